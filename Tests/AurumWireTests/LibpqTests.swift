import CLibpq
import Foundation
import Testing
@testable import AurumWire

// libpq (the C driver under psql, psycopg2, Ruby pg, ...) from Swift: PQprepare,
// PQdescribePrepared, PQexecPrepared with binary parameters and results, PQexecParams,
// single-row mode and errors.

@Suite("libpq")
struct LibpqTests {
    final class Connection {
        let conn: OpaquePointer
        init(port: Int) throws {
            guard let c = PQconnectdb("host=127.0.0.1 port=\(port) user=aurum dbname=default sslmode=disable connect_timeout=10") else {
                throw TestFailure("PQconnectdb returned nil")
            }
            conn = c
            guard PQstatus(c) == CONNECTION_OK else { throw TestFailure("connect: \(String(cString: PQerrorMessage(c)))") }
        }
        deinit { PQfinish(conn) }

        func exec(_ sql: String) -> OpaquePointer? { PQexec(conn, sql) }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    static func be64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    static func sqlState(_ r: OpaquePointer?) -> String? {
        guard let p = PQresultErrorField(r, Int32(UInt8(ascii: "C"))) else { return nil }
        return String(cString: p)
    }

    /// Runs `PQexecPrepared`/`PQexecParams`-style calls with byte-array parameters.
    static func withParams<R>(_ params: [[UInt8]?], _ body: ([UnsafePointer<CChar>?], [Int32]) -> R) -> R {
        let buffers = params.map { p -> UnsafeMutablePointer<CChar>? in
            guard let p else { return nil }
            // NUL-terminated: libpq reads text-format parameters as C strings
            let b = UnsafeMutablePointer<CChar>.allocate(capacity: p.count + 1)
            for (i, x) in p.enumerated() { b[i] = CChar(bitPattern: x) }
            b[p.count] = 0
            return b
        }
        defer { for b in buffers { b?.deallocate() } }
        return body(buffers.map { $0.map { UnsafePointer($0) } }, params.map { Int32($0?.count ?? 0) })
    }

    @Test func preparedStatementsWithBinaryParametersAndResults() async throws {
        try await TestServer.with { s in
            let c = try Connection(port: s.server.port)
            var r = c.exec("CREATE TABLE lp (id Int32, day Date, name String, v Float64) ENGINE = MergeTree ORDER BY id")
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK)
            PQclear(r)
            r = c.exec("INSERT INTO lp VALUES (1, '2024-03-01', 'one', 1.5), (2, '2024-03-02', 'two', 2.5), (3, '2024-03-03', 'three', 3.5)")
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK)
            PQclear(r)

            // PQprepare without declared types: the server infers int4 and date
            r = PQprepare(c.conn, "q", "SELECT id, name, v FROM lp WHERE id >= $1 AND day <= $2 ORDER BY id", 2, nil)
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK, "\(String(cString: PQresultErrorMessage(r)))")
            PQclear(r)
            r = PQdescribePrepared(c.conn, "q")
            #expect(PQnparams(r) == 2)
            #expect(PQparamtype(r, 0) == PGTypes.int4OID)
            #expect(PQparamtype(r, 1) == PGTypes.dateOID)
            #expect(PQnfields(r) == 3)
            #expect(String(cString: PQfname(r, 1)) == "name")
            #expect(PQftype(r, 0) == PGTypes.int4OID)
            #expect(PQftype(r, 2) == PGTypes.float8OID)
            PQclear(r)

            // binary parameters (int4 2, date 2024-03-03 = 8828 days after 2000-01-01), binary results
            r = Self.withParams([Self.be32(2), Self.be32(8828)]) { values, lengths in
                PQexecPrepared(c.conn, "q", 2, values, lengths, [1, 1], 1)
            }
            #expect(PQresultStatus(r) == PGRES_TUPLES_OK, "\(String(cString: PQresultErrorMessage(r)))")
            #expect(PQntuples(r) == 2)
            #expect(PQfformat(r, 0) == 1)
            let id = (0..<4).map { UInt8(bitPattern: PQgetvalue(r, 1, 0)[$0]) }
            #expect(id == Self.be32(3))
            #expect(String(cString: PQgetvalue(r, 0, 1)) == "two")
            let v = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(UInt8(bitPattern: PQgetvalue(r, 0, 2)[$1])) }
            #expect(Double(bitPattern: v) == 2.5)
            PQclear(r)

            // text parameters through PQexecParams (unnamed statement), declared int8
            r = Self.withParams([Array("1".utf8)]) { values, lengths in
                PQexecParams(c.conn, "SELECT count(*) FROM lp WHERE id > $1", 1, [Oid(PGTypes.int8OID)], values, lengths, [0], 0)
            }
            #expect(PQresultStatus(r) == PGRES_TUPLES_OK, "\(String(cString: PQresultErrorMessage(r)))")
            #expect(PQntuples(r) == 1 && String(cString: PQgetvalue(r, 0, 0)) == "2")
            PQclear(r)

            // NULL parameter
            r = Self.withParams([nil, Self.be32(8828)]) { values, lengths in
                PQexecPrepared(c.conn, "q", 2, values, lengths, [1, 1], 0)
            }
            #expect(PQresultStatus(r) == PGRES_TUPLES_OK)
            #expect(PQntuples(r) == 0)
            PQclear(r)

            // errors: wrong binary length (22P03), then the connection is still usable
            r = Self.withParams([[0, 1], Self.be32(1)]) { values, lengths in
                PQexecPrepared(c.conn, "q", 2, values, lengths, [1, 1], 0)
            }
            #expect(PQresultStatus(r) == PGRES_FATAL_ERROR)
            #expect(Self.sqlState(r) == "22P03")
            PQclear(r)
            r = PQdescribePrepared(c.conn, "missing")
            #expect(Self.sqlState(r) == "26000")
            PQclear(r)

            // single-row mode over the extended protocol
            #expect(PQsendQueryParams(c.conn, "SELECT number FROM numbers(1000)", 0, nil, nil, nil, nil, 0) == 1)
            #expect(PQsetSingleRowMode(c.conn) == 1)
            var rows = 0
            while let res = PQgetResult(c.conn) {
                if PQresultStatus(res) == PGRES_SINGLE_TUPLE { rows += 1 }
                PQclear(res)
            }
            #expect(rows == 1000)

            // DEALLOCATE through SQL removes the protocol-level statement
            r = c.exec("DEALLOCATE q")
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK)
            PQclear(r)
            r = PQdescribePrepared(c.conn, "q")
            #expect(Self.sqlState(r) == "26000")
            PQclear(r)
        }
    }
}

// libpq from Swift, continued: SCRAM-SHA-256, COPY in both directions, and cancel.
extension LibpqTests {
    static func connect(_ conninfo: String) -> OpaquePointer? {
        let c = PQconnectdb(conninfo)
        if let c, PQstatus(c) == CONNECTION_OK { return c }
        return c
    }

    @Test func scramAuthentication() async throws {
        let users: [String: PGStoredPassword] = ["alice": .scram(SCRAMVerifier.make(password: "wonder land"))]
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: users)) { (s: TestServer) async throws in
            let base = "host=127.0.0.1 port=\(s.server.port) dbname=default sslmode=disable connect_timeout=10"
            // channel_binding=disable: libpq must not require SCRAM-SHA-256-PLUS (no TLS here)
            let ok = try #require(Self.connect(base + " user=alice password='wonder land' channel_binding=disable"))
            defer { PQfinish(ok) }
            #expect(PQstatus(ok) == CONNECTION_OK, "\(String(cString: PQerrorMessage(ok)))")
            let r = PQexec(ok, "SELECT current_user")
            #expect(PQresultStatus(r) == PGRES_TUPLES_OK)
            #expect(String(cString: PQgetvalue(r, 0, 0)) == "alice")
            PQclear(r)
            // libpq's own check that the server proved it knows the password (ServerSignature)
            // passed, else PQstatus would be CONNECTION_BAD.
            let bad = try #require(Self.connect(base + " user=alice password=wrong"))
            defer { PQfinish(bad) }
            #expect(PQstatus(bad) == CONNECTION_BAD)
            #expect(String(cString: PQerrorMessage(bad)).contains("password authentication failed for user \"alice\""))
        }
    }

    @Test func copyInAndOut() async throws {
        try await TestServer.with { s in
            let c = try Connection(port: s.server.port)
            var r = c.exec("CREATE TABLE lc (id Int32, name String, amount Decimal(10, 2)) ENGINE = MergeTree ORDER BY id")
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK)
            PQclear(r)
            r = c.exec("COPY lc FROM STDIN WITH (FORMAT csv)")
            #expect(PQresultStatus(r) == PGRES_COPY_IN)
            PQclear(r)
            // rows split across CopyData messages at arbitrary points
            let data = (1...1000).map { "\($0),\"name \($0), quoted\",\($0).25\n" }.joined()
            let bytes = Array(data.utf8)
            var i = 0
            while i < bytes.count {
                let n = min(777, bytes.count - i)
                let sent = bytes[i..<(i + n)].withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { PQputCopyData(c.conn, $0.baseAddress, Int32(n)) }
                }
                #expect(sent == 1)
                i += n
            }
            #expect(PQputCopyEnd(c.conn, nil) == 1)
            r = PQgetResult(c.conn)
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK, "\(String(cString: PQresultErrorMessage(r)))")
            #expect(String(cString: PQcmdStatus(r)) == "COPY 1000")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }

            r = c.exec("COPY (SELECT id, name, amount FROM lc WHERE id <= 3 ORDER BY id) TO STDOUT")
            #expect(PQresultStatus(r) == PGRES_COPY_OUT)
            PQclear(r)
            var out: [String] = []
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let n = PQgetCopyData(c.conn, &buffer, 0)
                if n < 0 { break }
                if let buffer {
                    out.append(String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(n)), as: UTF8.self))
                    PQfreemem(buffer)
                }
            }
            r = PQgetResult(c.conn)
            #expect(String(cString: PQcmdStatus(r)) == "COPY 3")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }
            #expect(out == ["1\tname 1, quoted\t1.25\n", "2\tname 2, quoted\t2.25\n", "3\tname 3, quoted\t3.25\n"])
        }
    }

    @Test func cancelInterruptsARunningQuery() async throws {
        try await TestServer.with { s in
            let c = try Connection(port: s.server.port)
            #expect(PQsendQuery(c.conn, "SELECT count(*) FROM numbers(2000000000) WHERE number % 7 = 3") == 1)
            try await Task.sleep(for: .milliseconds(300))
            let cancel = try #require(PQgetCancel(c.conn))
            var err = [CChar](repeating: 0, count: 256)
            let sent = PQcancel(cancel, &err, Int32(err.count))
            #expect(sent == 1, "\(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            PQfreeCancel(cancel)
            let r = PQgetResult(c.conn)
            #expect(PQresultStatus(r) == PGRES_FATAL_ERROR)
            #expect(Self.sqlState(r) == "57014")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }
            // the connection stays usable
            let again = c.exec("SELECT 42")
            #expect(String(cString: PQgetvalue(again, 0, 0)) == "42")
            PQclear(again)
        }
    }

    /// pg_stat_activity lists every connection with its state and last/current query.
    @Test func pgStatActivityListsEveryConnection() async throws {
        try await TestServer.with { s in
            let a = try Connection(port: s.server.port)
            let b = try Connection(port: s.server.port)
            func run(_ c: Connection, _ sql: String) -> [[String]] {
                let r = c.exec(sql)
                defer { PQclear(r) }
                #expect(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "\(sql): \(String(cString: PQerrorMessage(c.conn)))")
                return (0..<PQntuples(r)).map { i in (0..<PQnfields(r)).map { String(cString: PQgetvalue(r, i, $0)) } }
            }
            _ = run(a, "SET application_name = 'dash-a'")
            _ = run(a, "BEGIN")
            _ = run(a, "SELECT 42 AS answer")
            let pidA = PQbackendPID(a.conn), pidB = PQbackendPID(b.conn)
            let q = "SELECT pid, application_name, state, query, client_addr, usename FROM pg_stat_activity ORDER BY pid"
            var rows = run(b, q)
            #expect(rows.count == 2)
            let rowA = rows.first { $0[0] == "\(pidA)" }
            #expect(rowA == ["\(pidA)", "dash-a", "idle in transaction", "SELECT 42 AS answer", "127.0.0.1", "aurum"])
            let rowB = rows.first { $0[0] == "\(pidB)" }
            #expect(rowB?[2] == "active")
            #expect(rowB?[3] == q)
            _ = run(a, "COMMIT")
            rows = run(b, "SELECT state, query, xact_start IS NULL FROM pg_stat_activity WHERE pid = \(pidA)")
            #expect(rows == [["idle", "COMMIT", "t"]])
            // a closed connection leaves the view
            _ = consume a
            var left: [[String]] = []
            for _ in 0..<50 {
                left = run(b, "SELECT pid FROM pg_stat_activity")
                if left.count == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(left == [["\(pidB)"]])
        }
    }

    /// COPY sent through the extended protocol (PQexecParams: Parse/Bind/Describe/Execute/Sync),
    /// both directions, and a CopyFail that leaves the connection usable.
    @Test func copyThroughTheExtendedProtocol() async throws {
        try await TestServer.with { s in
            let c = try Connection(port: s.server.port)
            func execParams(_ sql: String) -> OpaquePointer? { PQexecParams(c.conn, sql, 0, nil, nil, nil, nil, 0) }
            var r = execParams("CREATE TABLE lx (id Int32, name String) ENGINE = MergeTree ORDER BY id")
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK)
            PQclear(r)
            func copyIn(_ rows: String, fail: Bool = false) -> OpaquePointer? {
                let r = execParams("COPY lx FROM STDIN WITH (FORMAT csv)")
                #expect(PQresultStatus(r) == PGRES_COPY_IN, "\(String(cString: PQerrorMessage(c.conn)))")
                PQclear(r)
                let bytes = Array(rows.utf8)
                let sent = bytes.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { PQputCopyData(c.conn, $0.baseAddress, Int32(b.count)) } }
                #expect(sent == 1)
                #expect(PQputCopyEnd(c.conn, fail ? "client gave up" : nil) == 1)
                return PQgetResult(c.conn)
            }
            r = copyIn((1...500).map { "\($0),row \($0)\n" }.joined())
            #expect(PQresultStatus(r) == PGRES_COMMAND_OK, "\(String(cString: PQresultErrorMessage(r)))")
            #expect(String(cString: PQcmdStatus(r)) == "COPY 500")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }

            // CopyFail: 57014, nothing committed, the connection goes on
            r = copyIn("501,x\n", fail: true)
            #expect(PQresultStatus(r) == PGRES_FATAL_ERROR)
            #expect(Self.sqlState(r) == "57014")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }
            // a malformed row: 22P04, the connection goes on
            r = copyIn("502,ok\n503\n")
            #expect(PQresultStatus(r) == PGRES_FATAL_ERROR)
            #expect(Self.sqlState(r) == "22P04")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }

            r = execParams("SELECT count(*), sum(id) FROM lx")
            #expect(String(cString: PQgetvalue(r, 0, 0)) == "500")
            #expect(String(cString: PQgetvalue(r, 0, 1)) == "125250")
            PQclear(r)

            r = execParams("COPY (SELECT id, name FROM lx WHERE id > 497 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)")
            #expect(PQresultStatus(r) == PGRES_COPY_OUT, "\(String(cString: PQerrorMessage(c.conn)))")
            PQclear(r)
            var out = ""
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let n = PQgetCopyData(c.conn, &buffer, 0)
                if n < 0 { break }
                if let buffer {
                    out += String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(n)), as: UTF8.self)
                    PQfreemem(buffer)
                }
            }
            r = PQgetResult(c.conn)
            #expect(String(cString: PQcmdStatus(r)) == "COPY 3")
            PQclear(r)
            while let extra = PQgetResult(c.conn) { PQclear(extra) }
            #expect(out == "id,name\n498,row 498\n499,row 499\n500,row 500\n")
            r = execParams("SELECT 1")
            #expect(PQresultStatus(r) == PGRES_TUPLES_OK)
            PQclear(r)
        }
    }
}
