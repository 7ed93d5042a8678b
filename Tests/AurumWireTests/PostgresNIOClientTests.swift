import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Testing
@testable import AurumWire

// postgres-nio (Vapor's Swift driver) against the server: it always uses the extended
// protocol with binary parameters and results, prepared statements, and COPY FROM STDIN
// through Execute.

@Suite("postgres-nio")
struct PostgresNIOClientTests {
    static let logger = Logger(label: "aurum.test.postgres-nio")

    static func withConnection(_ s: TestServer, _ body: (PostgresConnection) async throws -> Void) async throws {
        let config = PostgresConnection.Configuration(host: "127.0.0.1", port: s.server.port, username: "aurum",
                                                      password: nil, database: "default", tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    struct Bump: PostgresPreparedStatement {
        static let sql = "SELECT id, name FROM nio_t WHERE id > $1 AND amount < $2 ORDER BY id"
        typealias Row = (Int32, String)
        var above: Int32
        var below: Double
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(above)
            b.append(below)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    @Test func extendedProtocolBinaryTypesPreparedStatementsAndErrors() async throws {
        try await TestServer.with { s in
            try await Self.withConnection(s) { c in
                try await c.query("""
                    CREATE TABLE nio_t (id Int32, big Int64, small Int16, amount Float64, ratio Float32, price Decimal(12, 3),
                    name String, ok Bool, day Date, at DateTime64(6), u UUID, note Nullable(String))
                    ENGINE = MergeTree ORDER BY id
                    """, logger: Self.logger)
                try await c.query("""
                    INSERT INTO nio_t VALUES
                    (1, 9000000000, -7, 1.5, 0.25, 12.345, 'one', true, '2024-02-29', '2024-02-29 13:14:15.123456', '0b1e9a4c-8f3a-4e7e-9d7c-1c2b3a4d5e6f', NULL),
                    (2, -1, 300, 2.5, 0.5, -0.001, 'zwei ☃', false, '1970-01-01', '1999-12-31 23:59:59', '00000000-0000-0000-0000-000000000001', 'n')
                    """, logger: Self.logger)

                // every type decoded from the binary format by postgres-nio's own decoders
                let rows = try await c.query("SELECT id, big, small, amount, ratio, name, ok, day, at, u, note, price FROM nio_t ORDER BY id",
                                             logger: Self.logger)
                var seen: [Int32] = []
                for try await row in rows {
                    let (id, big, small, amount, ratio, name, ok, day, at, u, note) =
                        try row.decode((Int32, Int64, Int16, Double, Float, String, Bool, Date, Date, UUID, String?).self)
                    let cells = row.makeRandomAccess()
                    let price = try cells[11].decode(Decimal.self)   // binary numeric
                    seen.append(id)
                    if id == 1 {
                        #expect(big == 9_000_000_000 && small == -7 && amount == 1.5 && ratio == 0.25)
                        #expect(name == "one" && ok && note == nil)
                        #expect(day == Date(timeIntervalSince1970: 1_709_164_800))
                        #expect(abs(at.timeIntervalSince1970 - 1_709_212_455.123456) < 0.000_001)
                        #expect(u == UUID(uuidString: "0B1E9A4C-8F3A-4E7E-9D7C-1C2B3A4D5E6F"))
                        #expect(price == Decimal(string: "12.345"))
                    } else {
                        #expect(big == -1 && small == 300 && name == "zwei ☃" && !ok && note == "n")
                        #expect(day == Date(timeIntervalSince1970: 0))
                        #expect(at == Date(timeIntervalSince1970: 946_684_799))
                        #expect(price == Decimal(string: "-0.001"))
                    }
                }
                #expect(seen == [1, 2])

                // binary parameters of several types (string interpolation binds them)
                let since = Date(timeIntervalSince1970: 1_700_000_000)
                let key = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
                let hit = try await c.query("SELECT id FROM nio_t WHERE at < \(since) AND u = \(key) AND name = \("zwei ☃") AND ok = \(false)",
                                            logger: Self.logger)
                var ids: [Int32] = []
                for try await (id) in hit.decode(Int32.self) { ids.append(id) }
                #expect(ids == [2])

                // a prepared statement executed several times (named statement, Bind per execution)
                for (above, expected) in [(Int32(0), [1, 2]), (1, [2]), (2, [])] as [(Int32, [Int32])] {
                    var got: [Int32] = []
                    for try await (id, _) in try await c.execute(Bump(above: above, below: 10), logger: Self.logger) { got.append(id) }
                    #expect(got == expected)
                }

                // an error carries the SQLSTATE; the connection stays usable
                do {
                    try await c.query("SELECT * FROM no_such_table", logger: Self.logger)
                    Issue.record("no error for a missing table")
                } catch let e as PSQLError {
                    #expect(e.serverInfo?[.sqlState] == "42P01")
                }
                let one = try await c.query("SELECT 41 + \(1)", logger: Self.logger)
                for try await (v) in one.decode(Int64.self) { #expect(v == 42) }
            }
        }
    }

    @Test func copyFromThroughExecute() async throws {
        try await TestServer.with { s in
            try await Self.withConnection(s) { c in
                try await c.query("CREATE TABLE nio_copy (id Int64, label String) ENGINE = MergeTree ORDER BY id", logger: Self.logger)
                try await c.copyFrom(table: "nio_copy", columns: ["id", "label"], logger: Self.logger) { writer in
                    for chunk in stride(from: 1, through: 10_000, by: 1000) {
                        var buffer = ByteBuffer()
                        for i in chunk..<(chunk + 1000) { buffer.writeString("\(i)\tlabel \(i)\n") }
                        try await writer.write(buffer)
                    }
                }
                let r = try await c.query("SELECT count(*), sum(id), max(label) FROM nio_copy", logger: Self.logger)
                for try await (n, sum, label) in r.decode((Int64, Decimal, String).self) {
                    #expect(n == 10_000)
                    #expect(sum == 50_005_000)   // sum(Int64) is numeric, as in PostgreSQL
                    #expect(label == "label 9999")
                }
                // a failing COPY (a value that is not a number) rolls back: 22P02 as in PostgreSQL
                do {
                    try await c.copyFrom(table: "nio_copy", logger: Self.logger) { writer in
                        var buffer = ByteBuffer()
                        buffer.writeString("10001\tok\nnot-a-number\tbad\n")
                        try await writer.write(buffer)
                    }
                    Issue.record("no error for a bad COPY row")
                } catch let e as PSQLError {
                    #expect(e.serverInfo?[.sqlState] == "22P02")
                }
                let again = try await c.query("SELECT count(*) FROM nio_copy", logger: Self.logger)
                for try await (n) in again.decode(Int64.self) { #expect(n == 10_000) }
            }
        }
    }
}
