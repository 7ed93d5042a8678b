import AurumCore
import AurumStorage

/// system.* tables answered from the catalog and storage snapshots.
enum VirtualTables {
    struct Table { var names: [String]; var block: Block }
    static let systemTableNames = ["columns", "databases", "numbers_mt_unsupported", "parts", "tables"].filter { !$0.hasSuffix("unsupported") }

    static func lookup(database: String, name: String, qualified: Bool, session: SessionContext) throws -> Table? {
        switch database.lowercased() {
        case "pg_catalog":
            if let t = try PGCatalog.lookup(name, session: session) { return t }
            throw AurumError(.undefinedTable, "relation \"pg_catalog.\(name)\" does not exist")
        case "information_schema":
            if let t = try InformationSchema.lookup(name, session: session) { return t }
            throw AurumError(.undefinedTable, "relation \"information_schema.\(name)\" does not exist")
        default: break
        }
        // pg_catalog is implicitly first on the search path, unless a table of the database has the name
        if !qualified, name.lowercased().hasPrefix("pg_"), session.catalog.table(database, name) == nil,
           let t = try PGCatalog.lookup(name, session: session) { return t }
        guard database.lowercased() == "system" else { return nil }
        let catalog = session.catalog
        switch name.lowercased() {
        case "databases":
            var b = ResultBuilder(["name"])
            for d in (catalog.databases + ["system"]).sorted() { b.add([.string(d)]) }
            return Table(names: b.names, block: b.block(types: [.string]))
        case "tables":
            var b = ResultBuilder(["database", "name", "engine", "total_rows", "total_bytes", "uuid", "create_table_query", "sorting_key", "partition_key"])
            for t in catalog.allTables {
                let snap = t.storage.snapshot()
                b.add([.string(t.database), .string(t.name), .string(t.definition.engineName), .uint(UInt64(snap.rowCount)),
                       .uint(UInt64(snap.parts.reduce(0) { $0 + $1.bytesOnDisk })), .string(t.uuid),
                       .string(t.definition.createSQL(database: t.database, name: t.name, uuid: nil)),
                       .string(t.definition.orderBy.map { SQLPrinter.expr($0) }.joined(separator: ", ")),
                       .string(t.definition.partitionBy.map { SQLPrinter.expr($0) } ?? "")])
            }
            // the system tables list themselves, as in ClickHouse (engine SystemTables, ..., no row counts)
            for s in systemTableNames {
                b.add([.string("system"), .string(s), .string("System" + s.prefix(1).uppercased() + s.dropFirst()), .null, .null,
                       .string(""), .string(""), .string(""), .string("")])
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .uint64, .uint64, .string, .string, .string, .string]))
        case "columns":
            var b = ResultBuilder(["database", "table", "name", "type", "position", "default_kind", "default_expression", "is_in_sorting_key", "comment"])
            for t in catalog.allTables {
                // a column is in the sorting key when the key reads it (plainly or inside an expression)
                let keys = (try? t.definition.keyReferencedColumns()) ?? Set(t.sortKey)
                for (i, c) in t.definition.columns.enumerated() {
                    b.add([.string(t.database), .string(t.name), .string(c.name), .string(c.type.description), .uint(UInt64(i + 1)),
                           .string(c.defaultExpr == nil ? "" : "DEFAULT"), .string(c.defaultExpr.map { SQLPrinter.expr($0) } ?? ""),
                           .uint(keys.contains(i) ? 1 : 0), .string(c.comment ?? "")])
                }
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .string, .uint64, .string, .string, .uint8, .string]))
        case "parts":
            var b = ResultBuilder(["database", "table", "name", "partition", "partition_id", "rows", "bytes_on_disk", "data_compressed_bytes",
                                   "data_uncompressed_bytes", "level", "marks", "active"])
            for t in catalog.allTables {
                for p in t.storage.snapshot().parts {
                    b.add([.string(t.database), .string(t.name), .string(p.name), .string(p.partitionID), .string(p.partitionID),
                           .uint(UInt64(p.rowCount)), .uint(UInt64(p.bytesOnDisk)), .uint(UInt64(p.bytesOnDisk)),
                           .uint(UInt64(p.bytesUncompressed)), .uint(UInt64(p.level)), .uint(UInt64(p.granuleCount)), .uint(1)])
                }
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .string, .string, .uint64, .uint64, .uint64, .uint64, .uint64, .uint64, .uint8]))
        default:
            throw AurumError(.undefinedTable, "relation \"system.\(name)\" does not exist", hint: "system tables: \(systemTableNames.joined(separator: ", "))")
        }
    }
}

import AurumSQL
