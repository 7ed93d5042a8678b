import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumWire

// pg_catalog / information_schema through real clients: psql 15's describe commands, the
// SQLAlchemy 2 inspector (psycopg2), and the type-introspection query shapes asyncpg and Npgsql
// send at connect. See docs/pg-compat.md.

/// Fails (does not skip) when a client tool is missing.
private func requireTool(_ path: String, _ hint: String) -> Bool {
    let ok = FileManager.default.isExecutableFile(atPath: path)
    #expect(ok, "\(path) is missing: \(hint)")
    return ok
}

private let setupSQL = [
    "CREATE TABLE t (id Int32 COMMENT 'key', name Nullable(String) DEFAULT 'n/a', amount Decimal(18, 2), ts DateTime) ENGINE = MergeTree ORDER BY id COMMENT 'test table'",
    "CREATE DATABASE other",
    "CREATE TABLE other.o (x Int64) ENGINE = MergeTree ORDER BY x",
]

@Suite("pg_catalog through psql and drivers")
struct PGCatalogClientTests {
    @Test func psqlDescribeCommands() async throws {
        guard requireTool("/usr/bin/psql", "apt-get install postgresql-client") else { return }
        try await TestServer.with { s in
            let setup = try s.psql(setupSQL)
            #expect(setup.status == 0 && setup.stderr.isEmpty, "\(setup.stderr)")
            func run(_ c: String) throws -> [String] {
                let r = try s.psql([c])
                #expect(r.stderr.isEmpty, "\(c): \(r.stderr)")
                return r.lines
            }
            #expect(try run("\\l") == ["default|aurum|UTF8|C|C||libc|", "other|aurum|UTF8|C|C||libc|"])
            #expect(try run("\\dn") == ["default|aurum", "other|aurum", "system|aurum"])
            #expect(try run("\\dt") == ["default|t|table|aurum"])
            #expect(try run("\\dt other.*") == ["other|o|table|aurum"])
            #expect(try run("\\d t") == [
                "id|integer||not null|",
                "name|text|||'n/a'",
                "amount|numeric(18,2)||not null|",
                "ts|timestamp without time zone||not null|",
            ])
            #expect(try run("\\d+ t") == [
                "id|integer||not null||plain|||key",
                "name|text|||'n/a'|extended|||",
                "amount|numeric(18,2)||not null||extended|||",
                "ts|timestamp without time zone||not null||plain|||",
            ])
            #expect(try run("\\dt+ t") == ["default|t|table|aurum|permanent|heap|0 bytes|test table"])
            #expect(try run("\\df") == [])
            #expect(try run("\\dv") == [])
            #expect(try run("\\di") == [])
            // the table header psql prints (not tuples-only) names the schema-qualified table
            let full = try s.psql(["\\d t"], tuplesOnly: false)
            #expect(full.lines.first?.contains("Table \"default.t\"") == true, "\(full.stdout)")
            let missing = try s.psql(["\\d nope"], quiet: false)
            #expect(missing.stderr.contains("Did not find any relation named \"nope\""), "\(missing.stderr)")
        }
    }

    @Test func sqlalchemyInspector() async throws {
        guard requireTool("/usr/bin/env", "coreutils") else { return }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients/sqlalchemy_inspect.py").path
        try await TestServer.with { s in
            let (status, text) = try ClientScriptTests.runProcess(["python3", script, "--port", String(s.server.port)])
            #expect(status == 0, "sqlalchemy_inspect.py failed (pip install sqlalchemy psycopg2-binary):\n\(text)")
            #expect(text.contains("ok"), "\(text)")
        }
    }

    /// pgJDBC DatabaseMetaData (getColumns, getTypeInfo, getSchemas, getTables, getPrimaryKeys),
    /// ResultSetMetaData and PreparedStatement parameters, in the default (extended) query mode
    /// and with preferQueryMode=simple.
    @Test(arguments: ["extended", "simple"]) func jdbcMetadata(mode: String) async throws {
        let jar = "/usr/share/java/postgresql.jar"
        guard requireTool("/usr/bin/java", "apt-get install default-jdk-headless"),
              requireTool("/usr/bin/javac", "apt-get install default-jdk-headless") else { return }
        #expect(FileManager.default.fileExists(atPath: jar), "\(jar) is missing: apt-get install libpostgresql-jdbc-java")
        guard FileManager.default.fileExists(atPath: jar) else { return }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients/JdbcMetadata.java").path
        try await TestServer.with { s in
            let (status, text) = try ClientScriptTests.runProcess(["java", "-cp", jar, source, "--port", String(s.server.port), "--mode", mode])
            #expect(status == 0 && text.contains("ok"), "JdbcMetadata.java (\(mode) mode) failed:\n\(text)")
        }
    }

    /// The shape of asyncpg's type introspection: wrapped in current_setting('jit') /
    /// set_config, a WITH RECURSIVE over pg_type whose rows carry a correlated scalar subquery
    /// (itself a WITH RECURSIVE over the domain base types), LEFT JOINs to pg_type and
    /// pg_range, `= any('{...}'::oid[])`, `::regtype::text`, SELECT DISTINCT * ORDER BY depth.
    @Test func asyncpgShapedTypeIntrospection() async throws {
        guard requireTool("/usr/bin/psql", "apt-get install postgresql-client") else { return }
        let info = """
            (SELECT ty.oid AS oid, nsp.nspname AS ns, ty.typname AS name, ty.typtype AS kind,
                (CASE WHEN ty.typtype = 'd' THEN
                    (WITH RECURSIVE bases(oid, depth) AS (
                        SELECT b.typbasetype AS oid, 0 AS depth FROM pg_type b WHERE b.oid = ty.oid
                        UNION ALL
                        SELECT b.typbasetype AS oid, bs.depth + 1 AS depth FROM pg_type b, bases bs
                        WHERE bs.oid = b.oid AND b.typbasetype != 0)
                     SELECT oid FROM bases ORDER BY depth DESC LIMIT 1)
                 ELSE NULL END) AS basetype,
                ty.typelem AS elemtype, el.typdelim AS elemdelim, rng.rngsubtype AS range_subtype,
                (CASE WHEN ty.typtype = 'c' THEN
                    (SELECT array_agg(att.atttypid ORDER BY att.attnum) FROM pg_attribute att
                     INNER JOIN pg_class cl ON (att.attrelid = cl.oid)
                     WHERE att.attnum > 0 AND NOT att.attisdropped AND cl.reltype = ty.oid)
                 ELSE NULL END) AS attrtypoids
             FROM pg_catalog.pg_type AS ty
             INNER JOIN pg_catalog.pg_namespace nsp ON (nsp.oid = ty.typnamespace)
             LEFT JOIN pg_type el ON (ty.typlen = -1 AND ty.typelem != 0 AND ty.typelem = el.oid)
             LEFT JOIN pg_range rng ON (ty.oid = rng.rngtypid))
            """
        let query = """
            WITH RECURSIVE tree(oid, ns, name, kind, basetype, elemtype, elemdelim, range_subtype, attrtypoids, depth) AS (
                SELECT ti.oid, ti.ns, ti.name, ti.kind, ti.basetype, ti.elemtype, ti.elemdelim, ti.range_subtype, ti.attrtypoids, 0
                FROM \(info) AS ti WHERE ti.oid = any('{1007,1700}'::oid[])
                UNION ALL
                SELECT ti.oid, ti.ns, ti.name, ti.kind, ti.basetype, ti.elemtype, ti.elemdelim, ti.range_subtype, ti.attrtypoids, tt.depth + 1
                FROM \(info) ti, tree tt
                WHERE (tt.elemtype IS NOT NULL AND tt.elemtype <> 0 AND ti.oid = tt.elemtype)
                   OR (tt.attrtypoids IS NOT NULL AND ti.oid = any(tt.attrtypoids))
                   OR (tt.range_subtype IS NOT NULL AND ti.oid = tt.range_subtype))
            SELECT DISTINCT oid, ns, name, kind, depth, elemtype::regtype::text AS elemtype_name
            FROM tree ORDER BY depth DESC, oid
            """
        try await TestServer.with { s in
            let r = try s.psql(["SELECT current_setting('jit') AS cur, set_config('jit', 'off', false) AS new", query,
                                "SELECT set_config('jit', 'on', false)", "SELECT current_setting('jit')"])
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            #expect(r.lines == [
                "off|off",
                "23|pg_catalog|int4|b|1|-",
                "1007|pg_catalog|_int4|b|0|integer",
                "1700|pg_catalog|numeric|b|0|-",
                "on",
                "on",
            ])
        }
    }

    /// The shape of Npgsql's type loading at connect (one Query message with several
    /// statements): derived tables over pg_type joined to pg_proc on typreceive (arrays are the
    /// types received by array_recv), pg_range, a correlated subquery in a CASE, ORDER BY CASE.
    @Test func npgsqlShapedTypeLoading() async throws {
        guard requireTool("/usr/bin/psql", "apt-get install postgresql-client") else { return }
        let query = """
            SELECT version();
            SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid
            FROM (
                -- the element of arrays, ranges and domains
                SELECT typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
                       elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
                       CASE WHEN elemproc.proname = 'array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
                FROM (
                    SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
                           CASE WHEN proc.proname = 'array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
                           CASE WHEN proc.proname = 'array_recv' THEN typ.typelem
                                WHEN typ.typtype = 'r' THEN rngsubtype
                                WHEN typ.typtype = 'm' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)
                                WHEN typ.typtype = 'd' THEN typ.typbasetype
                           END AS elemtypoid
                    FROM pg_type AS typ
                    LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
                    LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
                    LEFT JOIN pg_range ON (pg_range.rngtypid = typ.oid)
                ) AS typ
                LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemtypoid
                LEFT JOIN pg_class AS elemcls ON (elemcls.oid = elemtyp.typrelid)
                LEFT JOIN pg_proc AS elemproc ON elemproc.oid = elemtyp.typreceive
            ) AS t
            JOIN pg_namespace AS ns ON (ns.oid = typnamespace)
            WHERE (typtype IN ('b', 'r', 'm', 'e', 'd') OR (typtype = 'a' AND elemtyptype IN ('b', 'r', 'm', 'e', 'd')))
              AND t.typname IN ('int4', '_int4', 'text', '_text', 'timestamp', '_timestamp')
            ORDER BY CASE WHEN typtype IN ('b', 'e', 'p') THEN 0 WHEN typtype = 'r' THEN 1 WHEN typtype = 'a' THEN 5 END, t.oid;
            SELECT pg_type.oid, enumlabel FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid ORDER BY oid, enumsortorder;
            """
        try await TestServer.with { s in
            let r = try s.psql([query])
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            #expect(Array(r.lines.dropFirst()) == [
                "pg_catalog|23|int4|b|f|",
                "pg_catalog|25|text|b|f|",
                "pg_catalog|1114|timestamp|b|f|",
                "pg_catalog|1007|_int4|a|f|23",
                "pg_catalog|1009|_text|a|f|25",
                "pg_catalog|1115|_timestamp|a|f|1114",
            ])
            #expect(r.lines.first?.hasPrefix("PostgreSQL 15.0") == true)
        }
    }

    /// RowDescription carries pg_class.oid and pg_attribute.attnum for plain table columns
    /// (psqlODBC and JDBC describe result columns through them), 0 for computed ones.
    @Test func rowDescriptionHasTableOIDAndAttnum() async throws {
        try await TestServer.with { s in
            let session = s.engine.makeSession()
            _ = try session.execute(setupSQL[0])
            let oid = try session.execute("SELECT oid FROM pg_class WHERE relname = 't'")[0].blocks[0].columns[0].value(at: 0)
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            c.send(RawClient.query("SELECT y.ts, x.id + 1 AS next, x.name FROM t AS x JOIN t y ON x.id = y.id WHERE x.id > 0 ORDER BY 1 LIMIT 5"))
            let messages = c.readUntilReady()
            guard let desc = messages.first(where: { $0.type == "T" })?.body else {
                Issue.record("no RowDescription: \(messages.map { RawClient.fields($0.body) })"); return
            }
            // parse: count, then per field name\0 tableOID(4) attnum(2) type(4) size(2) mod(4) format(2)
            var i = 2
            var fields: [(String, UInt32, Int16)] = []
            func u32(_ at: Int) -> UInt32 { desc[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
            for _ in 0..<(Int(desc[0]) << 8 | Int(desc[1])) {
                let end = desc[i...].firstIndex(of: 0)!
                let name = String(decoding: desc[i..<end], as: UTF8.self)
                i = end + 1
                let table = u32(i), att = Int16(bitPattern: UInt16(desc[i + 4]) << 8 | UInt16(desc[i + 5]))
                fields.append((name, table, att))
                i += 18
            }
            let want = UInt32(oid.asInt64 ?? -1)
            #expect(fields.map(\.0) == ["ts", "next", "name"])
            #expect(fields.map(\.1) == [want, 0, want])
            #expect(fields.map(\.2) == [4, 0, 2])
        }
    }

    /// The OIDs pg_type reports for result columns are the ones RowDescription sends.
    @Test func pgTypeAgreesWithTheWire() throws {
        for t: DataType in [.bool, .int16, .int32, .int64, .uint32, .uint64, .float32, .float64, .decimal(18, 2), .string, .date, .dateTime, .dateTime64(3), .uuid] {
            let wire = PGTypes.info(for: t)
            #expect(PGTypeCatalog.oid(for: t) == wire.oid)
            #expect(PGTypeCatalog.builtin(oid: wire.oid)?.name == wire.name)
            #expect(PGTypeCatalog.modifier(for: t) == wire.modifier)
        }
    }
}
