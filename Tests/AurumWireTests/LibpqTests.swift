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
