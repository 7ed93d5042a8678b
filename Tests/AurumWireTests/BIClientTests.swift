import Foundation
import Testing
@testable import AurumWire

// The BI tools' driver paths: psqlODBC (Tableau, Power BI's ODBC connector) through unixODBC
// and pyodbc, and the type loading Npgsql (Power BI's PostgreSQL connector) runs at connect.
// See docs/bi/tableau.md and docs/bi/powerbi.md.

/// The text values of the DataRows in `messages`, grouped by result (one group per
/// RowDescription / CommandComplete pair); NULL is nil.
func textResults(_ messages: [(type: Character, body: [UInt8])]) -> [[[String?]]] {
    var results: [[[String?]]] = []
    var current: [[String?]]?
    for m in messages {
        switch m.type {
        case "T": current = []
        case "D":
            var r = BodyReader(m.body)
            var row: [String?] = []
            for _ in 0..<Int(r.int16()) {
                let n = Int(r.int32())
                row.append(n < 0 ? nil : String(decoding: r.bytes(n), as: UTF8.self))
            }
            current?.append(row)
        case "C":
            if let c = current { results.append(c) }
            current = nil
        default: break
        }
    }
    return results
}

/// Npgsql 8's type loading, in the same shape (our own text): `SELECT version()`, then the types
/// query (derived tables over pg_type LEFT JOINed to pg_class, pg_proc on typreceive (an array
/// is a type received by array_recv) and pg_range, a correlated subquery in a CASE, `--`
/// comments inside the WHERE, ORDER BY a CASE with no tie-breaker), the composite fields query
/// and the enum labels query, sent as one Query message with Windows line ends (Power BI runs
/// on Windows and Npgsql joins the statements with Environment.NewLine).
enum NpgsqlShape {
    static let version = "SELECT version();"
    static let types = """
        SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid
        FROM (
            -- the element of arrays, the subtype of ranges and the base of domains become elemtypoid
            SELECT
                typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
                elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
                CASE WHEN elemproc.proname='array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
            FROM (
                SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
                    CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
                    CASE
                        WHEN proc.proname='array_recv' THEN typ.typelem
                        WHEN typ.typtype='r' THEN rngsubtype
                        WHEN typ.typtype='m' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)
                        WHEN typ.typtype='d' THEN typ.typbasetype
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
        WHERE
            typtype IN ('b', 'r', 'm', 'e', 'd') OR -- base, range, multirange, enum, domain
            (typtype = 'c' AND relkind='c') OR -- stand-alone composites
            (typtype = 'p' AND typname IN ('record', 'void')) OR -- two pseudo-types
            (typtype = 'a' AND (  -- arrays of those
                elemtyptype IN ('b', 'r', 'm', 'e', 'd') OR
                (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) OR
                (elemtyptype = 'c' AND elemrelkind='c')
            ))
        ORDER BY CASE
               WHEN typtype IN ('b', 'e', 'p') THEN 0
               WHEN typtype = 'r' THEN 1
               WHEN typtype = 'm' THEN 2
               WHEN typtype = 'c' THEN 3
               WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 4
               WHEN typtype = 'a' THEN 5
               WHEN typtype = 'd' AND elemtyptype = 'a' THEN 6
        END;
        """
    static let composites = """
        -- fields of stand-alone composite types
        SELECT typ.oid, att.attname, att.atttypid
        FROM pg_type AS typ
        JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
        JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
        JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
        WHERE
          (typ.typtype = 'c' AND cls.relkind='c') AND
          attnum > 0 AND     -- no system columns
          NOT attisdropped
        ORDER BY typ.oid, att.attnum;
        """
    static let enums = """
        -- enum labels
        SELECT pg_type.oid, enumlabel
        FROM pg_enum
        JOIN pg_type ON pg_type.oid=enumtypid
        ORDER BY oid, enumsortorder;
        """

    /// Checks the types result the way Npgsql reads it: every array's element type came
    /// earlier, the types it needs are there, typtype is one letter, typnotnull is t/f.
    static func checkTypes(_ rows: [[String?]]) {
        #expect(rows.count > 30, "\(rows.count) types")
        var seen: Set<String> = []
        for row in rows {
            #expect(row.count == 6)
            guard row.count == 6, let oid = row[1], let kind = row[3] else { Issue.record("bad row \(row)"); continue }
            #expect(["b", "a", "p", "e", "r", "m", "c", "d"].contains(kind), "\(row)")
            #expect(row[4] == "f", "\(row)")
            if kind == "a" {
                #expect(row[5].map { seen.contains($0) } == true, "array before its element: \(row)")
            } else if kind == "b" {
                #expect(row[5] == nil, "\(row)")
            }
            seen.insert(oid)
        }
        let byName = Dictionary(rows.compactMap { r in r[2].map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        #expect(byName["int4"] == ["pg_catalog", "23", "int4", "b", "f", nil])
        #expect(byName["_int4"] == ["pg_catalog", "1007", "_int4", "a", "f", "23"])
        #expect(byName["numeric"] == ["pg_catalog", "1700", "numeric", "b", "f", nil])
        #expect(byName["_timestamp"] == ["pg_catalog", "1115", "_timestamp", "a", "f", "1114"])
        #expect(byName["text"]?[1] == "25")
        #expect(byName["uuid"]?[1] == "2950")
        #expect(byName["unknown"] == nil, "unknown is a pseudo-type Npgsql does not load")
    }
}

@Suite("BI tool drivers: psqlODBC and Npgsql's connect", .serialized)
struct BIClientTests {
    /// psqlODBC + unixODBC + pyodbc: SQLTables, SQLColumns, SQLPrimaryKeys, SQLStatistics,
    /// ? parameters of several types, in the default mode, UseDeclareFetch=1 and
    /// UseServerSidePrepare=0/1 (see the script).
    @Test func psqlODBCThroughPyodbc() async throws {
        try await TestServer.with { s in
            let r = try ClientScriptTests.run("odbc_pyodbc.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("all checks passed"), "\(r.output)")
        }
    }

    /// What psqlODBC sends at connect, in one Query message, then its lo lookup; the
    /// connection settles in ISO dates and shows its isolation level.
    @Test func psqlODBCConnectSequence() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            c.send(RawClient.query("SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation"))
            let first = c.readUntilReady()
            #expect(!first.contains { $0.type == "E" }, "\(first.filter { $0.type == "E" }.map { RawClient.fields($0.body) })")
            let tags = first.filter { $0.type == "C" }.map { String(decoding: $0.body.dropLast(), as: UTF8.self) }
            #expect(tags == ["SET", "SET", "SHOW"], "\(tags)")
            #expect(textResults(first) == [[["read committed"]]])
            c.send(RawClient.query("select oid, typbasetype from pg_type where typname = 'lo'"))
            let lo = c.readUntilReady()
            #expect(!lo.contains { $0.type == "E" })
            #expect(textResults(lo) == [[]])
        }
    }

    /// psqlODBC's statement-level rollback: SAVEPOINT before each statement of a transaction
    /// block, RELEASE after it, ROLLBACK TO after an error, which leaves the failed state.
    @Test func savepointsOverTheWire() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            func run(_ sql: String) -> (tags: [String], errors: [String], status: Character?) {
                c.send(RawClient.query(sql))
                let m = c.readUntilReady()
                return (m.filter { $0.type == "C" }.map { String(decoding: $0.body.dropLast(), as: UTF8.self) },
                        m.filter { $0.type == "E" }.compactMap { RawClient.fields($0.body)["C"] },
                        m.last.flatMap { $0.type == "Z" ? Character(Unicode.Scalar($0.body[0])) : nil })
            }
            var r = run("BEGIN;SAVEPOINT _EXEC_SVP_1;SELECT 1")
            #expect(r.tags == ["BEGIN", "SAVEPOINT", "SELECT 1"] && r.status == "T", "\(r)")
            r = run("RELEASE _EXEC_SVP_1;SAVEPOINT _EXEC_SVP_1;SELECT * FROM no_such_table")
            #expect(r.tags == ["RELEASE", "SAVEPOINT"] && r.errors == ["42P01"] && r.status == "E", "\(r)")
            r = run("SELECT 1")
            #expect(r.errors == ["25P02"] && r.status == "E", "\(r)")
            r = run("ROLLBACK TO nope")
            #expect(r.errors == ["3B001"] && r.status == "E", "\(r)")
            r = run("ROLLBACK TO _EXEC_SVP_1")
            #expect(r.tags == ["ROLLBACK"] && r.errors.isEmpty && r.status == "T", "\(r)")
            r = run("SELECT 2;RELEASE SAVEPOINT _EXEC_SVP_1;COMMIT")
            #expect(r.tags == ["SELECT 1", "RELEASE", "COMMIT"] && r.status == "I", "\(r)")
            r = run("SAVEPOINT x")
            #expect(r.errors == ["25P01"] && r.status == "I", "\(r)")
        }
    }

    /// Npgsql's connect-time batch in one Query message with CRLF line ends.
    @Test func npgsqlTypeLoadingSimpleProtocol() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            let batch = [NpgsqlShape.version, NpgsqlShape.types, NpgsqlShape.composites, NpgsqlShape.enums]
                .map { $0.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n" }.joined()
            c.send(RawClient.query(batch))
            let messages = c.readUntilReady()
            let errors = messages.filter { $0.type == "E" }.map { RawClient.fields($0.body) }
            #expect(errors.isEmpty, "\(errors)")
            let results = textResults(messages)
            #expect(results.count == 4)
            guard results.count == 4 else { return }
            #expect(results[0].first?.first??.hasPrefix("PostgreSQL 15") == true)
            NpgsqlShape.checkTypes(results[1])
            #expect(results[2].isEmpty)
            #expect(results[3].isEmpty)
        }
    }

    /// The same statements one by one over the extended protocol (Parse/Bind/Describe/Execute/Sync).
    @Test func npgsqlTypeLoadingExtendedProtocol() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            var results: [[[String?]]] = []
            for sql in [NpgsqlShape.version, NpgsqlShape.types, NpgsqlShape.composites, NpgsqlShape.enums] {
                c.send(FE.parse("", sql) + FE.bind() + FE.describe("P") + FE.execute() + FE.sync)
                let messages = c.readUntilReady()
                let errors = messages.filter { $0.type == "E" }.map { RawClient.fields($0.body) }
                #expect(errors.isEmpty, "\(errors)")
                results += textResults(messages)
            }
            #expect(results.count == 4)
            guard results.count == 4 else { return }
            #expect(results[0].first?.first??.hasPrefix("PostgreSQL 15") == true)
            NpgsqlShape.checkTypes(results[1])
            #expect(results[2].isEmpty)
            #expect(results[3].isEmpty)
        }
    }
}
