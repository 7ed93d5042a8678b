import AurumCore
import AurumSQL

/// information_schema.* views answered from Aurum's catalog (see docs/pg-compat.md). Schemas
/// are Aurum databases; table_catalog is the current database, as current_database() reports.
enum InformationSchema {
    static let specs: [String: String] = [
        "schemata": "catalog_name schema_name schema_owner default_character_set_catalog:t default_character_set_schema:t default_character_set_name:t sql_path:t",
        "tables": "table_catalog table_schema table_name table_type self_referencing_column_name:t reference_generation:t user_defined_type_catalog:t user_defined_type_schema:t user_defined_type_name:t is_insertable_into is_typed commit_action:t",
        "columns": "table_catalog table_schema table_name column_name ordinal_position:i4 column_default:t is_nullable data_type character_maximum_length:i4n character_octet_length:i4n numeric_precision:i4n numeric_precision_radix:i4n numeric_scale:i4n datetime_precision:i4n interval_type:t interval_precision:i4n character_set_catalog:t character_set_schema:t character_set_name:t collation_catalog:t collation_schema:t collation_name:t domain_catalog:t domain_schema:t domain_name:t udt_catalog udt_schema udt_name scope_catalog:t scope_schema:t scope_name:t maximum_cardinality:i4n dtd_identifier is_self_referencing is_identity identity_generation:t identity_start:t identity_increment:t identity_maximum:t identity_minimum:t identity_cycle is_generated generation_expression:t is_updatable",
        "views": "table_catalog table_schema table_name view_definition check_option is_updatable is_insertable_into is_trigger_updatable is_trigger_deletable is_trigger_insertable_into",
        "key_column_usage": "constraint_catalog constraint_schema constraint_name table_catalog table_schema table_name column_name ordinal_position:i4 position_in_unique_constraint:i4n",
        "table_constraints": "constraint_catalog constraint_schema constraint_name table_catalog table_schema table_name constraint_type is_deferrable initially_deferred enforced nulls_distinct:t",
        "referential_constraints": "constraint_catalog constraint_schema constraint_name unique_constraint_catalog unique_constraint_schema unique_constraint_name match_option update_rule delete_rule",
        "constraint_column_usage": "table_catalog table_schema table_name column_name constraint_catalog constraint_schema constraint_name",
        "routines": "specific_catalog specific_schema specific_name routine_catalog routine_schema routine_name routine_type data_type:t type_udt_catalog:t type_udt_schema:t type_udt_name:t routine_body routine_definition:t external_name:t external_language:t parameter_style:t is_deterministic:t sql_data_access:t is_null_call:t",
        "parameters": "specific_catalog specific_schema specific_name ordinal_position:i4 parameter_mode is_result parameter_name:t data_type udt_name",
        "character_sets": "character_set_catalog:t character_set_schema:t character_set_name character_repertoire form_of_use default_collate_catalog default_collate_schema:t default_collate_name",
    ]

    static let tableNames: [String] = specs.keys.sorted()

    /// information_schema.columns.data_type for a type OID.
    static func dataType(_ t: DataType) -> String {
        let oid = PGTypeCatalog.oid(for: t)
        if oid == 1700 { return "numeric" }
        return PGTypeCatalog.formatType(oid: oid, modifier: -1) ?? "USER-DEFINED"
    }

    static func lookup(_ name: String, session: SessionContext) throws -> VirtualTables.Table? {
        let lname = name.lowercased()
        guard let spec = specs[lname] else { return nil }
        let catalog = session.catalog
        let cat = Value.string(session.currentDatabase)
        func s(_ v: String) -> Value { .string(v) }
        var rows: [[Value]] = []
        switch lname {
        case "schemata":
            for n in ["information_schema", "pg_catalog"] + PGCatalog.schemaNames(catalog) {
                rows.append([cat, s(n), s(session.user), .null, .null, .null, .null])
            }
        case "tables":
            for t in catalog.allTables {
                rows.append([cat, s(t.database), s(t.name), s("BASE TABLE"), .null, .null, .null, .null, .null, s("YES"), s("NO"), .null])
            }
            for v in VirtualTables.systemTableNames {
                rows.append([cat, s("system"), s(v), s("VIEW"), .null, .null, .null, .null, .null, s("NO"), s("NO"), .null])
            }
        case "columns":
            for t in catalog.allTables {
                for (k, c) in t.definition.columns.enumerated() {
                    let oid = PGTypeCatalog.oid(for: c.type)
                    var precision: Value = .null, radix: Value = .null, scale: Value = .null, dtPrecision: Value = .null
                    switch c.type.base {
                    case .int8, .int16, .uint8: precision = .int(16); radix = .int(2); scale = .int(0)
                    case .int32, .uint16: precision = .int(32); radix = .int(2); scale = .int(0)
                    case .int64, .uint32: precision = .int(64); radix = .int(2); scale = .int(0)
                    case .float32: precision = .int(24); radix = .int(2)
                    case .float64: precision = .int(53); radix = .int(2)
                    case .decimal(let p, let sc): precision = .int(Int64(p)); radix = .int(10); scale = .int(Int64(sc))
                    case .uint64: radix = .int(10); scale = .int(0)
                    case .date: dtPrecision = .int(0)
                    case .dateTime: dtPrecision = .int(0)
                    case .dateTime64(let p): dtPrecision = .int(Int64(p))
                    default: break
                    }
                    let udt = PGTypeCatalog.builtin(oid: oid)?.name ?? "text"
                    rows.append([cat, s(t.database), s(t.name), s(c.name), .int(Int64(k + 1)), c.defaultExpr.map { s(SQLPrinter.expr($0)) } ?? .null,
                                 s(c.type.isNullable ? "YES" : "NO"), s(dataType(c.type)), .null, c.type.isString ? .int(1_073_741_824) : .null,
                                 precision, radix, scale, dtPrecision, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null,
                                 cat, s("pg_catalog"), s(udt), .null, .null, .null, .null, s(String(k + 1)), s("NO"), s("NO"), .null, .null, .null,
                                 .null, .null, s("NO"), s("NEVER"), .null, s("YES")])
                }
            }
        case "character_sets":
            rows.append([.null, .null, s("UTF8"), s("UCS"), s("UTF8"), cat, .null, s("C")])
        default:
            break   // views, constraints, routines: Aurum has none yet (the columns exist)
        }
        return PGCatalog.make(spec, rows)
    }
}
