import AurumCore
import AurumSQL
import Foundation

/// pg_catalog.* tables answered from Aurum's catalog (see docs/pg-compat.md).
///
/// Mapping: every Aurum database is a PostgreSQL schema (pg_namespace row) and also a
/// pg_database row (the name a client connects to); every Aurum table is a pg_class row with a
/// stable OID derived from its UUID; attnum is the 1-based column position; type OIDs come from
/// `PGTypeCatalog`, the table the wire server uses too. Array-valued columns (relacl, proargtypes,
/// ...) are PostgreSQL array text such as `{1,2}` (Aurum has no array type).
enum PGCatalog {
    static let pgCatalogOID: UInt32 = 11
    static let publicOID: UInt32 = 2200
    static let informationSchemaOID: UInt32 = 13_000
    static let ownerOID: UInt32 = 10
    static let heapAM: UInt32 = 2
    static let btreeAM: UInt32 = 403
    static let pgClassOID: UInt32 = 1259
    static let defaultCollation: UInt32 = 100
    /// First OID of the synthetic pg_proc rows (type I/O functions).
    static let procBase: UInt32 = 9_000

    /// The pg_catalog tables Aurum answers (`specs` holds their columns).
    static var tableNames: [String] { specs.keys.sorted() }

    // MARK: OIDs

    /// Stable OIDs for the catalog's namespaces and tables, computed from names (namespaces) and
    /// UUIDs (tables) in the user range >= 16384; a collision moves the later object (by key
    /// order) to the next free OID.
    struct OIDs {
        var namespaces: [String: UInt32] = [:]
        var tables: [String: UInt32] = [:]   // key: database + "\0" + table name
        var namespaceNames: [UInt32: String] = [:]
        var tableByOID: [UInt32: TableEntry] = [:]

        func namespace(_ db: String) -> UInt32 { namespaces[db] ?? 0 }
        func table(_ t: TableEntry) -> UInt32 { tables[t.database + "\u{0}" + t.name] ?? 0 }
    }

    static func hash32(_ s: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }

    static func userOID(_ key: String, taken: inout Set<UInt32>) -> UInt32 {
        var o = 16_384 + hash32(key) % (UInt32(Int32.max) - 16_384)
        while taken.contains(o) { o = o >= UInt32(Int32.max) - 1 ? 16_384 : o + 1 }
        taken.insert(o)
        return o
    }

    /// The schemas Aurum shows: its databases, `system`, plus pg_catalog and information_schema.
    static func schemaNames(_ catalog: Catalog) -> [String] { (catalog.databases + ["system"]).sorted() }

    static func oids(_ catalog: Catalog) -> OIDs {
        var o = OIDs()
        var taken: Set<UInt32> = []
        o.namespaces["pg_catalog"] = pgCatalogOID
        o.namespaces["information_schema"] = informationSchemaOID
        for d in schemaNames(catalog) { o.namespaces[d] = userOID("namespace:" + d, taken: &taken) }
        for t in catalog.allTables.sorted(by: { $0.uuid < $1.uuid }) {
            let v = userOID("table:" + t.uuid, taken: &taken)
            o.tables[t.database + "\u{0}" + t.name] = v
            o.tableByOID[v] = t
        }
        for (k, v) in o.namespaces { o.namespaceNames[v] = k }
        return o
    }

    /// OIDs of the pg_catalog relations (PostgreSQL's own for the common ones, so that
    /// `classoid = 'pg_class'::regclass` matches pg_description rows).
    static let catalogRelationOIDs: [String: UInt32] = {
        var m: [String: UInt32] = ["pg_class": 1259, "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_namespace": 2615,
                                   "pg_constraint": 2606, "pg_index": 2610, "pg_database": 1262, "pg_description": 2609, "pg_attrdef": 2604,
                                   "pg_am": 2601, "pg_authid": 1260, "pg_tablespace": 1213, "pg_collation": 3456, "pg_extension": 3079]
        for (k, n) in tableNames.sorted().enumerated() where m[n] == nil { m[n] = 12_000 + UInt32(k) }
        return m
    }()

    /// The OID of relation `name` (`[schema.]table`, as `'t'::regclass`), nil when it does not exist.
    static func relationOID(_ name: String, session: SessionContext) -> UInt32? {
        let parts = splitQualified(name)
        guard let last = parts.last else { return nil }
        if let o = catalogRelationOIDs[last], parts.count == 1 ? session.catalog.table(session.currentDatabase, last) == nil : parts[parts.count - 2] == "pg_catalog" {
            return o
        }
        let db = parts.count >= 2 ? schemaAlias(parts[parts.count - 2], session.catalog) : session.currentDatabase
        guard let t = session.catalog.table(db, last) else { return nil }
        return oids(session.catalog).table(t)
    }

    /// `public` is an alias of the `default` database (unless a database named `public` exists).
    static func schemaAlias(_ s: String, _ catalog: Catalog? = nil) -> String {
        guard s == "public" else { return s }
        if let catalog, catalog.databases.contains("public") { return s }
        return "default"
    }

    /// Splits `a.b` / `"A"."b"` into parts (quoted parts keep their case, others are lowercased
    /// only when no table with the exact spelling exists; Aurum names are case-sensitive).
    static func splitQualified(_ s: String) -> [String] {
        var parts: [String] = []
        var cur = ""
        var inQuote = false
        var chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\"" {
                if inQuote && i + 1 < chars.count && chars[i + 1] == "\"" { cur.append("\""); i += 2; continue }
                inQuote.toggle()
            } else if c == "." && !inQuote {
                parts.append(cur); cur = ""
            } else { cur.append(c) }
            i += 1
        }
        parts.append(cur)
        chars.removeAll()
        return parts
    }

    /// A setting as current_setting() and pg_settings report it. search_path, unless the
    /// session set it, is the effective one: unqualified names resolve in the current database.
    static func setting(_ name: String, session: SessionContext) -> String? {
        if let v = session.settings[name] { return v }
        if name == "search_path" { return "\"$user\", \(session.currentDatabase)" }
        return Session.defaultSettings[name] ?? extraSettings[name]
    }

    // MARK: result column sources

    /// For each of the first `count` output columns of `plan`: its table OID and attnum when it
    /// is a plain table column (through projections, filters, sorts, limits, DISTINCT and joins).
    static func sourceColumns(_ plan: Plan, count: Int, catalog: Catalog) -> [PGColumnSource?] {
        func source(_ p: Plan, _ i: Int) -> (TableEntry, Int)? {
            switch p {
            case .scan(let s):
                guard i < s.columns.count, s.columns[i] < s.table.definition.columns.count else { return nil }
                return (s.table, s.columns[i])
            case .project(let q, let es):
                guard i < es.count, case .column(let j, _) = es[i] else { return nil }
                return source(q, j)
            case .filter(let q, _), .sort(let q, _, _), .limit(let q, _, _), .limitBy(let q, _, _, _), .distinct(let q):
                return source(q, i)
            case .join(let l, let r, _, _, _, _):
                let n = l.types.count
                return i < n ? source(l, i) : source(r, i - n)
            case .window(let q, _):
                return i < q.types.count ? source(q, i) : nil
            case .projectSet(let q, _):
                return i < q.types.count ? source(q, i) : nil
            default:
                return nil
            }
        }
        let found = (0..<count).map { source(plan, $0) }
        guard found.contains(where: { $0 != nil }) else { return [] }
        let ids = oids(catalog)
        return found.map { f in
            guard let (t, k) = f else { return nil }
            let o = ids.table(t)
            return o == 0 ? nil : PGColumnSource(tableOID: o, attnum: Int16(k + 1))
        }
    }

    // MARK: table building

    /// Column kinds of the catalog tables: o oid (UInt32), n name/text, i2/i4/i8 integers,
    /// f4 real, b bool, c "char", a array text (nullable), t nullable text, ts nullable timestamp.
    static func types(_ spec: String) -> ([String], [DataType]) {
        var names: [String] = [], types: [DataType] = []
        for item in spec.split(separator: " ") {
            let p = item.split(separator: ":")
            names.append(String(p[0]))
            switch p.count > 1 ? String(p[1]) : "n" {
            case "o": types.append(.uint32)
            case "i2": types.append(.int16)
            case "i4": types.append(.int32)
            case "i8": types.append(.int64)
            case "f4": types.append(.float32)
            case "b": types.append(.bool)
            case "a", "t": types.append(DataType.string.nullable)
            case "i4n": types.append(DataType.int32.nullable)
            case "i8n": types.append(DataType.int64.nullable)
            case "on": types.append(DataType.uint32.nullable)
            case "ts": types.append(DataType.dateTime64(6).nullable)
            default: types.append(.string)
            }
        }
        return (names, types)
    }

    static func make(_ spec: String, _ rows: [[Value]]) -> VirtualTables.Table {
        let (names, ts) = types(spec)
        assert(rows.allSatisfy { $0.count == names.count }, "catalog row width does not match its columns: \(names)")
        var cols: [Column] = []
        for (i, t) in ts.enumerated() {
            var b = ColumnBuilder(type: t, capacity: rows.count)
            for r in rows { b.append(i < r.count ? r[i] : .null) }
            var c = b.finish()
            c.type = t
            cols.append(c)
        }
        return VirtualTables.Table(names: names, block: Block(columns: cols, count: rows.count))
    }

    static func o(_ v: UInt32) -> Value { .uint(UInt64(v)) }
    static func s(_ v: String) -> Value { .string(v) }
    static func i(_ v: Int) -> Value { .int(Int64(v)) }
    static func b(_ v: Bool) -> Value { .bool(v) }

    /// Type I/O function names of the pg_proc rows, in OID order from `procBase`.
    static let procNames: [String] = {
        var names = ["array_in", "array_out", "array_recv", "array_send"]
        for t in PGTypeCatalog.builtins where !t.name.hasPrefix("_") {
            names += [t.name + "in", t.name + "out", t.name + "recv", t.name + "send"]
        }
        return names
    }()
    static func procOID(_ name: String) -> UInt32 {
        procNames.firstIndex(of: name).map { procBase + UInt32($0) } ?? 0
    }

    static let specs: [String: String] = [
        "pg_namespace": "oid:o nspname nspowner:o nspacl:a",
        "pg_class": "oid:o relname relnamespace:o reltype:o reloftype:o relowner:o relam:o relfilenode:o reltablespace:o relpages:i4 reltuples:f4 relallvisible:i4 reltoastrelid:o relhasindex:b relisshared:b relpersistence:c relkind:c relnatts:i2 relchecks:i2 relhasrules:b relhastriggers:b relhassubclass:b relrowsecurity:b relforcerowsecurity:b relispopulated:b relreplident:c relispartition:b relrewrite:o relfrozenxid:o relminmxid:o relacl:a reloptions:a relpartbound:t",
        "pg_attribute": "attrelid:o attname atttypid:o attstattarget:i4 attlen:i2 attnum:i2 attndims:i4 attcacheoff:i4 atttypmod:i4 attbyval:b attalign:c attstorage:c attcompression:c attnotnull:b atthasdef:b atthasmissing:b attidentity:c attgenerated:c attisdropped:b attislocal:b attinhcount:i4 attcollation:o attacl:a attoptions:a attfdwoptions:a attmissingval:t",
        "pg_type": "oid:o typname typnamespace:o typowner:o typlen:i2 typbyval:b typtype:c typcategory:c typispreferred:b typisdefined:b typdelim:c typrelid:o typsubscript:o typelem:o typarray:o typinput:o typoutput:o typreceive:o typsend:o typmodin:o typmodout:o typanalyze:o typalign:c typstorage:c typnotnull:b typbasetype:o typtypmod:i4 typndims:i4 typcollation:o typdefaultbin:t typdefault:t typacl:a",
        "pg_attrdef": "oid:o adrelid:o adnum:i2 adbin",
        "pg_index": "indexrelid:o indrelid:o indnatts:i2 indnkeyatts:i2 indisunique:b indnullsnotdistinct:b indisprimary:b indisexclusion:b indimmediate:b indisclustered:b indisvalid:b indcheckxmin:b indisready:b indislive:b indisreplident:b indkey indcollation indclass indoption indexprs:t indpred:t",
        "pg_constraint": "oid:o conname connamespace:o contype:c condeferrable:b condeferred:b convalidated:b conrelid:o contypid:o conindid:o conparentid:o confrelid:o confupdtype:c confdeltype:c confmatchtype:c conislocal:b coninhcount:i4 connoinherit:b conkey:a confkey:a conpfeqop:a conppeqop:a conffeqop:a confdelsetcols:a conexclop:a conbin:t",
        "pg_description": "objoid:o classoid:o objsubid:i4 description",
        "pg_shdescription": "objoid:o classoid:o description",
        "pg_database": "oid:o datname datdba:o encoding:i4 datlocprovider:c datistemplate:b datallowconn:b datconnlimit:i4 datfrozenxid:o datminmxid:o dattablespace:o datcollate datctype daticulocale:t datcollversion:t datacl:a",
        "pg_roles": "rolname rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b rolreplication:b rolconnlimit:i4 rolpassword rolvaliduntil:ts rolbypassrls:b rolconfig:a oid:o",
        "pg_authid": "oid:o rolname rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b rolreplication:b rolbypassrls:b rolconnlimit:i4 rolpassword:t rolvaliduntil:ts",
        "pg_auth_members": "roleid:o member:o grantor:o admin_option:b",
        "pg_user": "usename usesysid:o usecreatedb:b usesuper:b userepl:b usebypassrls:b passwd valuntil:ts useconfig:a",
        "pg_settings": "name setting unit:t category short_desc extra_desc:t context vartype source min_val:t max_val:t enumvals:a boot_val reset_val sourcefile:t sourceline:i4n pending_restart:b",
        "pg_proc": "oid:o proname pronamespace:o proowner:o prolang:o procost:f4 prorows:f4 provariadic:o prosupport:o prokind:c prosecdef:b proleakproof:b proisstrict:b proretset:b provolatile:c proparallel:c pronargs:i2 pronargdefaults:i2 prorettype:o proargtypes proallargtypes:a proargmodes:a proargnames:a proargdefaults:t protrftypes:a prosrc probin:t prosqlbody:t proconfig:a proacl:a",
        "pg_range": "rngtypid:o rngsubtype:o rngmultitypid:o rngcollation:o rngsubopc:o rngcanonical:o rngsubdiff:o",
        "pg_enum": "oid:o enumtypid:o enumsortorder:f4 enumlabel",
        "pg_am": "oid:o amname amhandler:o amtype:c",
        "pg_tablespace": "oid:o spcname spcowner:o spcacl:a spcoptions:a",
        "pg_stat_activity": "datid:o datname pid:i4 leader_pid:i4n usesysid:o usename application_name client_addr:t client_hostname:t client_port:i4n backend_start:ts xact_start:ts query_start:ts state_change:ts wait_event_type:t wait_event:t state backend_xid:t backend_xmin:t query_id:i8n query backend_type",
        "pg_extension": "oid:o extname extowner:o extnamespace:o extrelocatable:b extversion extconfig:a extcondition:a",
        "pg_collation": "oid:o collname collnamespace:o collowner:o collprovider:c collisdeterministic:b collencoding:i4 collcollate:t collctype:t colliculocale:t collversion:t",
        "pg_inherits": "inhrelid:o inhparent:o inhseqno:i4 inhdetachpending:b",
        "pg_language": "oid:o lanname lanowner:o lanispl:b lanpltrusted:b lanplcallfoid:o laninline:o lanvalidator:o lanacl:a",
        "pg_depend": "classid:o objid:o objsubid:i4 refclassid:o refobjid:o refobjsubid:i4 deptype:c",
        "pg_operator": "oid:o oprname oprnamespace:o oprowner:o oprkind:c oprcanmerge:b oprcanhash:b oprleft:o oprright:o oprresult:o oprcom:o oprnegate:o oprcode:o oprrest:o oprjoin:o",
        "pg_policy": "oid:o polname polrelid:o polcmd:c polpermissive:b polroles:a polqual:t polwithcheck:t",
        "pg_publication": "oid:o pubname pubowner:o puballtables:b pubinsert:b pubupdate:b pubdelete:b pubtruncate:b pubviaroot:b",
        "pg_publication_rel": "oid:o prpubid:o prrelid:o prqual:t prattrs:a",
        "pg_publication_namespace": "oid:o pnpubid:o pnnspid:o",
        "pg_opclass": "oid:o opcmethod:o opcname opcnamespace:o opcowner:o opcfamily:o opcintype:o opcdefault:b opckeytype:o",
        "pg_opfamily": "oid:o opfmethod:o opfname opfnamespace:o opfowner:o",
        "pg_cast": "oid:o castsource:o casttarget:o castfunc:o castcontext:c castmethod:c",
        "pg_aggregate": "aggfnoid:o aggkind:c aggnumdirectargs:i2 aggtransfn:o aggfinalfn:o aggtranstype:o",
        "pg_subscription": "oid:o subdbid:o subname subowner:o subenabled:b",
        "pg_rewrite": "oid:o rulename ev_class:o ev_type:c ev_enabled:c is_instead:b ev_qual:t ev_action:t",
        "pg_sequence": "seqrelid:o seqtypid:o seqstart:i8 seqincrement:i8 seqmax:i8 seqmin:i8 seqcache:i8 seqcycle:b",
        "pg_statistic_ext": "oid:o stxrelid:o stxname stxnamespace:o stxowner:o stxstattarget:i4 stxkeys stxkind:a stxexprs:t",
        "pg_trigger": "oid:o tgrelid:o tgparentid:o tgname tgfoid:o tgtype:i2 tgenabled:c tgisinternal:b tgconstrrelid:o tgconstrindid:o tgconstraint:o tgdeferrable:b tginitdeferred:b tgnargs:i2 tgattr tgargs tgqual:t tgoldtable:t tgnewtable:t",
        "pg_foreign_table": "ftrelid:o ftserver:o ftoptions:a",
        "pg_partitioned_table": "partrelid:o partstrat:c partnatts:i2 partdefid:o partattrs partclass partcollation partexprs:t",
        "pg_event_trigger": "oid:o evtname evtevent evtowner:o evtfoid:o evtenabled:c evttags:a",
        "pg_init_privs": "objoid:o classoid:o objsubid:i4 privtype:c initprivs:a",
        "pg_views": "schemaname viewname viewowner definition",
        "pg_matviews": "schemaname matviewname matviewowner tablespace:t hasindexes:b ispopulated:b definition",
        "pg_tables": "schemaname tablename tableowner tablespace:t hasindexes:b hasrules:b hastriggers:b rowsecurity:b",
        "pg_indexes": "schemaname tablename indexname tablespace:t indexdef",
    ]

    static func lookup(_ name: String, session: SessionContext) throws -> VirtualTables.Table? {
        let lname = name.lowercased()
        guard let spec = specs[lname] else { return nil }
        let catalog = session.catalog
        let ids = oids(catalog)
        var rows: [[Value]] = []
        switch lname {
        case "pg_namespace":
            rows.append([o(pgCatalogOID), s("pg_catalog"), o(ownerOID), .null])
            rows.append([o(informationSchemaOID), s("information_schema"), o(ownerOID), .null])
            for d in schemaNames(catalog) { rows.append([o(ids.namespace(d)), s(d), o(ownerOID), .null]) }
        case "pg_class":
            for t in catalog.allTables {
                let snap = t.storage.snapshot()
                rows.append([o(ids.table(t)), s(t.name), o(ids.namespace(t.database)), o(0), o(0), o(ownerOID), o(heapAM), o(ids.table(t)), o(0),
                             i(snap.parts.reduce(0) { $0 + $1.bytesOnDisk } / 8192), .float(Double(snap.rowCount)), i(0), o(0), b(false), b(false),
                             s("p"), s("r"), i(t.definition.columns.count), i(0), b(false), b(false), b(false), b(false), b(false), b(true),
                             s("d"), b(false), o(0), o(0), o(0), .null, .null, .null])
            }
        case "pg_attribute":
            for t in catalog.allTables {
                for (k, c) in t.definition.columns.enumerated() {
                    let toid = PGTypeCatalog.oid(for: c.type)
                    let size = PGTypeCatalog.builtin(oid: toid)?.size ?? -1
                    rows.append([o(ids.table(t)), s(c.name), o(toid), i(-1), i(Int(size)), i(k + 1), i(0), i(-1), i(Int(PGTypeCatalog.modifier(for: c.type))),
                                 b(size > 0 && size <= 8), s(size == 8 ? "d" : (size == 2 ? "s" : (size == 1 ? "c" : "i"))), s(size > 0 ? "p" : "x"), s(""),
                                 b(!c.type.isNullable), b(c.defaultExpr != nil), b(false), s(""), s(""), b(false), b(true), i(0),
                                 o(c.type.isString ? defaultCollation : 0), .null, .null, .null, .null])
                }
            }
        case "pg_type":
            for t in PGTypeCatalog.builtins {
                let isArray = PGTypeCatalog.elementOID(ofArray: t.oid) != 0
                let cat = String(PGTypeCatalog.category(oid: t.oid))
                let io = isArray ? "array_" : t.name
                rows.append([o(t.oid), s(t.name), o(pgCatalogOID), o(ownerOID), i(Int(t.size)), b(t.size > 0 && t.size <= 8), s(t.oid == 705 ? "p" : "b"),
                             s(cat), b(["bool", "float8", "text", "timestamptz", "oid"].contains(t.name)), b(true), s(","), o(0), o(0),
                             o(PGTypeCatalog.elementOID(ofArray: t.oid)), o(PGTypeCatalog.arrayOID(ofElement: t.oid)),
                             o(procOID(io + (isArray ? "in" : "in"))), o(procOID(io + "out")), o(procOID(io + "recv")), o(procOID(io + "send")),
                             o(0), o(0), o(0), s(t.size == 8 ? "d" : (t.size == 2 ? "s" : (t.size == 1 ? "c" : "i"))), s(t.size > 0 ? "p" : "x"),
                             b(false), o(0), i(-1), i(0), o([25, 1043, 1042, 19].contains(t.oid) ? defaultCollation : 0), .null, .null, .null])
            }
        case "pg_attrdef":
            for t in catalog.allTables {
                for (k, c) in t.definition.columns.enumerated() {
                    guard let d = c.defaultExpr else { continue }
                    var taken: Set<UInt32> = []
                    rows.append([o(userOID("attrdef:\(t.uuid):\(k)", taken: &taken)), o(ids.table(t)), i(k + 1), s(SQLPrinter.expr(d))])
                }
            }
        case "pg_description":
            for t in catalog.allTables {
                if let c = t.definition.comment { rows.append([o(ids.table(t)), o(pgClassOID), i(0), s(c)]) }
                for (k, c) in t.definition.columns.enumerated() {
                    if let cm = c.comment, !cm.isEmpty { rows.append([o(ids.table(t)), o(pgClassOID), i(k + 1), s(cm)]) }
                }
            }
        case "pg_database":
            for d in catalog.databases {
                rows.append([o(ids.namespace(d)), s(d), o(ownerOID), i(6), s("c"), b(false), b(true), i(-1), o(0), o(0), o(1663),
                             s("C"), s("C"), .null, .null, .null])
            }
        case "pg_roles":
            rows.append([s(session.user), b(true), b(true), b(true), b(true), b(true), b(false), i(-1), s("********"), .null, b(true), .null, o(ownerOID)])
        case "pg_authid":
            rows.append([o(ownerOID), s(session.user), b(true), b(true), b(true), b(true), b(true), b(false), b(true), i(-1), .null, .null])
        case "pg_user":
            rows.append([s(session.user), o(ownerOID), b(true), b(true), b(false), b(true), s("********"), .null, .null])
        case "pg_settings":
            var all = extraSettings
            for (k, v) in Session.defaultSettings { all[k] = v }
            for (k, v) in session.settings { all[k] = v }
            all["search_path"] = setting("search_path", session: session)
            for k in all.keys.sorted() {
                let v = all[k]!
                let isBool = ["on", "off", "true", "false"].contains(v.lowercased())
                let isInt = Int64(v) != nil
                rows.append([s(k), s(v), .null, s("Aurum"), s(""), .null, s("user"), s(isBool ? "bool" : (isInt ? "integer" : "string")),
                             s(session.settings[k] != nil ? "session" : "default"), .null, .null, .null, s(Session.defaultSettings[k] ?? extraSettings[k] ?? ""),
                             s(Session.defaultSettings[k] ?? extraSettings[k] ?? ""), .null, .null, b(false)])
            }
        case "pg_proc":
            for (k, n) in procNames.enumerated() {
                let isIn = n.hasSuffix("in"), isRecv = n.hasSuffix("recv")
                let ret: UInt32 = isIn || isRecv ? 0 : (n.hasSuffix("out") ? 2275 : 17)
                rows.append([o(procBase + UInt32(k)), s(n), o(pgCatalogOID), o(ownerOID), o(12), .float(1), .float(0), o(0), o(0), s("f"),
                             b(false), b(false), b(true), b(false), s("i"), s("s"), i(1), i(0), o(ret), s(isIn ? "2275" : (isRecv ? "2281" : "0")),
                             .null, .null, .null, .null, .null, s(n), .null, .null, .null, .null])
            }
        case "pg_am":
            rows = [[o(heapAM), s("heap"), o(0), s("t")], [o(btreeAM), s("btree"), o(0), s("i")]]
        case "pg_tablespace":
            rows = [[o(1663), s("pg_default"), o(ownerOID), .null, .null], [o(1664), s("pg_global"), o(ownerOID), .null, .null]]
        case "pg_stat_activity":
            // every open session of the engine (each publishes its state as statements start and end)
            func ts(_ micros: Int64?) -> Value { micros.map { .dateTime64($0, precision: 6) } ?? .null }
            let sessions = (session as? Session)?.engine.sessions.snapshots ?? []
            for a in sessions {
                rows.append([o(ids.namespace(a.database)), s(a.database), i(Int(a.pid)), .null, o(ownerOID),
                             s(a.user), s(a.applicationName), a.clientAddress.map(s) ?? .null, .null, a.clientPort.map { i($0) } ?? .null,
                             ts(a.backendStart), ts(a.xactStart), ts(a.queryStart), ts(a.stateChange), .null, .null,
                             s(a.state), .null, .null, .null, s(a.query), s("client backend")])
            }
        case "pg_extension":
            rows = [[o(13_500), s("plpgsql"), o(ownerOID), o(pgCatalogOID), b(false), s("1.0"), .null, .null]]
        case "pg_collation":
            rows = [[o(defaultCollation), s("default"), o(pgCatalogOID), o(ownerOID), s("d"), b(true), i(-1), .null, .null, .null, .null],
                    [o(950), s("C"), o(pgCatalogOID), o(ownerOID), s("c"), b(true), i(-1), s("C"), s("C"), .null, .null],
                    [o(951), s("POSIX"), o(pgCatalogOID), o(ownerOID), s("c"), b(true), i(-1), s("POSIX"), s("POSIX"), .null, .null]]
        case "pg_language":
            rows = [[o(12), s("internal"), o(ownerOID), b(false), b(false), o(0), o(0), o(0), .null],
                    [o(14), s("sql"), o(ownerOID), b(false), b(true), o(0), o(0), o(0), .null]]
        case "pg_tables":
            for t in catalog.allTables {
                rows.append([s(t.database), s(t.name), s(session.user), .null, b(false), b(false), b(false), b(false)])
            }
        default:
            break   // tables Aurum has no objects for: the right columns, no rows
        }
        return make(spec, rows)
    }
}
