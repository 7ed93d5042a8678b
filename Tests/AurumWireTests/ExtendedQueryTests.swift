import AurumEngine
import Foundation
import Testing
@testable import AurumWire

// The extended query protocol over a raw socket: Parse/Bind/Describe/Execute/Close/Sync/Flush,
// row limits and PortalSuspended, formats, errors skipping to Sync, pipelining.

/// Frontend message builders.
enum FE {
    static func int16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    static func int32(_ v: Int32) -> [UInt8] { RawClient.int32(v) }
    static func cstring(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [UInt8(ascii: type.unicodeScalars.first!)] + int32(Int32(body.count + 4)) + body
    }
    static func parse(_ name: String = "", _ sql: String, types: [UInt32] = []) -> [UInt8] {
        message("P", cstring(name) + cstring(sql) + int16(Int16(types.count)) + types.flatMap { int32(Int32(bitPattern: $0)) })
    }
    /// `params`: nil is NULL.
    static func bind(_ portal: String = "", _ statement: String = "", formats: [Int16] = [], _ params: [[UInt8]?] = [],
                     resultFormats: [Int16] = []) -> [UInt8] {
        var b = cstring(portal) + cstring(statement) + int16(Int16(formats.count)) + formats.flatMap(int16)
        b += int16(Int16(params.count))
        for p in params {
            if let p { b += int32(Int32(p.count)) + p } else { b += int32(-1) }
        }
        b += int16(Int16(resultFormats.count)) + resultFormats.flatMap(int16)
        return message("B", b)
    }
    static func text(_ s: String) -> [UInt8]? { Array(s.utf8) }
    static func describe(_ kind: Character, _ name: String = "") -> [UInt8] {
        message("D", [UInt8(ascii: kind.unicodeScalars.first!)] + cstring(name))
    }
    static func execute(_ portal: String = "", maxRows: Int32 = 0) -> [UInt8] { message("E", cstring(portal) + int32(maxRows)) }
    static func close(_ kind: Character, _ name: String = "") -> [UInt8] {
        message("C", [UInt8(ascii: kind.unicodeScalars.first!)] + cstring(name))
    }
    static let sync = message("S", [])
    static let flush = message("H", [])
}

/// Reads a message body.
struct BodyReader {
    let b: [UInt8]
    var i = 0
    init(_ b: [UInt8]) { self.b = b }
    mutating func int16() -> Int16 { defer { i += 2 }; return Int16(bitPattern: UInt16(b[i]) << 8 | UInt16(b[i + 1])) }
    mutating func int32() -> Int32 {
        defer { i += 4 }
        return Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
    }
    mutating func cstring() -> String {
        var j = i
        while b[j] != 0 { j += 1 }
        defer { i = j + 1 }
        return String(decoding: b[i..<j], as: UTF8.self)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { defer { i += n }; return Array(b[i..<(i + n)]) }
}

extension RawClient {
    /// The fields of a DataRow (nil = NULL).
    static func dataRow(_ body: [UInt8]) -> [[UInt8]?] {
        var r = BodyReader(body)
        let n = Int(r.int16())
        return (0..<n).map { _ in
            let len = Int(r.int32())
            return len < 0 ? nil : r.bytes(len)
        }
    }
    static func textRow(_ body: [UInt8]) -> [String?] { dataRow(body).map { $0.map { String(decoding: $0, as: UTF8.self) } } }
    /// RowDescription: (name, type OID, format) per field.
    static func rowDescription(_ body: [UInt8]) -> [(String, UInt32, Int16)] {
        var r = BodyReader(body)
        let n = Int(r.int16())
        return (0..<n).map { _ in
            let name = r.cstring()
            _ = r.int32(); _ = r.int16()
            let oid = UInt32(bitPattern: r.int32())
            _ = r.int16(); _ = r.int32()
            return (name, oid, r.int16())
        }
    }
    static func parameterDescription(_ body: [UInt8]) -> [UInt32] {
        var r = BodyReader(body)
        return (0..<Int(r.int16())).map { _ in UInt32(bitPattern: r.int32()) }
    }
    static func commandTag(_ body: [UInt8]) -> String { var r = BodyReader(body); return r.cstring() }

    /// Sends `bytes` and reads up to ReadyForQuery.
    func roundTrip(_ bytes: [UInt8]) -> [(type: Character, body: [UInt8])] {
        send(bytes)
        return readUntilReady()
    }
}

@Suite("Extended query protocol, raw socket")
struct ExtendedQueryTests {
    static func connected(_ s: TestServer) throws -> RawClient {
        let c = try RawClient(port: s.server.port)
        #expect(c.startup() != nil)
        return c
    }

    static let setup = """
        CREATE TABLE ev (id Int32, day Date, name String, amount Decimal(10, 2)) ENGINE = MergeTree ORDER BY id;
        INSERT INTO ev VALUES (1, '2024-01-01', 'a', 1.50), (2, '2024-01-02', 'b', 2.25), (3, '2024-01-03', 'c', 3.00),
            (4, '2024-01-04', 'd', 4.75), (5, '2024-01-05', 'e', 5.00)
        """

    @Test func parseDescribeBindExecuteWithRowLimits() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            _ = c.roundTrip(RawClient.query(Self.setup))
            let reply = c.roundTrip(
                FE.parse("s1", "SELECT id, name FROM ev WHERE day >= $1 AND id < $2 ORDER BY id") + FE.describe("S", "s1")
                + FE.bind("p1", "s1", [FE.text("2024-01-02"), FE.text("5")]) + FE.describe("P", "p1")
                + FE.execute("p1", maxRows: 2) + FE.execute("p1", maxRows: 2) + FE.execute("p1", maxRows: 2) + FE.sync)
            #expect(reply.map(\.type) == ["1", "t", "T", "2", "T", "D", "D", "s", "D", "C", "C", "Z"])
            // $1 next to a Date column is a date, $2 next to Int32 an int4
            #expect(RawClient.parameterDescription(reply[1].body) == [PGTypes.dateOID, PGTypes.int4OID])
            #expect(RawClient.rowDescription(reply[2].body).map(\.0) == ["id", "name"])
            #expect(RawClient.rowDescription(reply[2].body).map(\.1) == [PGTypes.int4OID, PGTypes.textOID])
            #expect(RawClient.textRow(reply[5].body) == ["2", "b"])
            #expect(RawClient.textRow(reply[6].body) == ["3", "c"])
            #expect(RawClient.textRow(reply[8].body) == ["4", "d"])
            #expect(RawClient.commandTag(reply[9].body) == "SELECT 1")
            #expect(RawClient.commandTag(reply[10].body) == "SELECT 0")
            #expect(reply.last?.body == [UInt8(ascii: "I")])
        }
    }

    @Test func binaryParametersAndResults() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            _ = c.roundTrip(RawClient.query(Self.setup))
            // int4 parameter in binary; results: id binary, name text (one format per column)
            let reply = c.roundTrip(
                FE.parse("", "SELECT id, name, amount FROM ev WHERE id = $1", types: [PGTypes.int4OID])
                + FE.bind(formats: [1], [FE.int32(3)], resultFormats: [1, 0, 1]) + FE.describe("P") + FE.execute() + FE.sync)
            #expect(reply.map(\.type) == ["1", "2", "T", "D", "C", "Z"])
            #expect(RawClient.rowDescription(reply[2].body).map(\.2) == [1, 0, 1])
            let row = RawClient.dataRow(reply[3].body)
            #expect(row[0] == FE.int32(3))
            #expect(row[1] == Array("c".utf8))
            // numeric 3.00 binary: ndigits 1, weight 0, sign 0, dscale 2, digit 3
            #expect(row[2] == FE.int16(1) + FE.int16(0) + FE.int16(0) + FE.int16(2) + FE.int16(3))
            // one format code for all columns
            let all = c.roundTrip(FE.parse("", "SELECT id, day FROM ev WHERE id = 1") + FE.bind(resultFormats: [1]) + FE.execute() + FE.sync)
            #expect(all.map(\.type) == ["1", "2", "D", "C", "Z"])
            // date 2024-01-01 = 8766 days after 2000-01-01
            #expect(RawClient.dataRow(all[2].body) == [FE.int32(1), FE.int32(8766)])
        }
    }

    @Test func errorsSkipToSyncAndCarrySQLStates() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            _ = c.roundTrip(RawClient.query(Self.setup))
            func code(_ bytes: [UInt8]) -> (types: [Character], code: String?) {
                let r = c.roundTrip(bytes)
                return (r.map(\.type), r.first { $0.type == "E" }.map { RawClient.fields($0.body)["C"] ?? "" })
            }
            // syntax error in Parse: Bind/Execute are skipped, Sync answers
            var r = code(FE.parse("", "SELEC 1") + FE.bind() + FE.execute() + FE.sync)
            #expect(r.types == ["E", "Z"])
            #expect(r.code == "42601")
            // unknown statement / portal
            #expect(code(FE.bind("", "nope") + FE.sync).code == "26000")
            #expect(code(FE.execute("nope") + FE.sync).code == "34000")
            #expect(code(FE.describe("S", "nope") + FE.sync).code == "26000")
            // duplicate named statement
            r = code(FE.parse("dup", "SELECT 1") + FE.parse("dup", "SELECT 2") + FE.sync)
            #expect(r.types == ["1", "E", "Z"])
            #expect(r.code == "42P05")
            // wrong parameter count; bad text; wrong binary length
            #expect(code(FE.parse("", "SELECT id FROM ev WHERE id = $1") + FE.bind() + FE.sync).code == "08P01")
            #expect(code(FE.parse("", "SELECT id FROM ev WHERE id = $1") + FE.bind("", "", [FE.text("x1")]) + FE.sync).code == "22P02")
            #expect(code(FE.parse("", "SELECT id FROM ev WHERE id = $1") + FE.bind("", "", formats: [1], [[0, 1]]) + FE.sync).code == "22P03")
            // an execution error after a good Parse/Bind
            r = code(FE.parse("", "SELECT 1 / $1") + FE.bind("", "", [FE.text("0")]) + FE.execute() + FE.sync)
            #expect(r.types == ["1", "2", "E", "Z"])
            // the session works afterwards; the named statement survived the errors
            let ok = c.roundTrip(FE.bind("", "dup") + FE.execute() + FE.sync)
            #expect(ok.map(\.type) == ["2", "D", "C", "Z"])
            #expect(RawClient.textRow(ok[1].body) == ["1"])
        }
    }

    @Test func namedAndUnnamedStatementsAndClose() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            // the unnamed statement is replaced by the next Parse
            var r = c.roundTrip(FE.parse("", "SELECT 1") + FE.parse("", "SELECT 2") + FE.bind() + FE.execute() + FE.sync)
            #expect(r.map(\.type) == ["1", "1", "2", "D", "C", "Z"])
            #expect(RawClient.textRow(r[3].body) == ["2"])
            // named statement: reusable until Close
            r = c.roundTrip(FE.parse("n", "SELECT $1::Int64 * 2") + FE.sync)
            #expect(r.map(\.type) == ["1", "Z"])
            r = c.roundTrip(FE.bind("", "n", [FE.text("21")]) + FE.execute() + FE.bind("", "n", [FE.text("5")]) + FE.execute() + FE.sync)
            #expect(r.map(\.type) == ["2", "D", "C", "2", "D", "C", "Z"])
            #expect(RawClient.textRow(r[1].body) == ["42"])
            #expect(RawClient.textRow(r[4].body) == ["10"])
            r = c.roundTrip(FE.close("S", "n") + FE.close("P", "whatever") + FE.sync)
            #expect(r.map(\.type) == ["3", "3", "Z"])
            r = c.roundTrip(FE.bind("", "n", [FE.text("1")]) + FE.sync)
            #expect(RawClient.fields(r[0].body)["C"] == "26000")
            // a statement without rows: NoData; empty query: EmptyQueryResponse
            r = c.roundTrip(FE.parse("", "SET application_name = 'x'") + FE.describe("S") + FE.bind() + FE.execute()
                            + FE.parse("", "") + FE.bind() + FE.execute() + FE.sync)
            #expect(r.map(\.type) == ["1", "t", "n", "2", "C", "S", "1", "2", "I", "Z"])
            #expect(RawClient.commandTag(r[4].body) == "SET")
            #expect(r[5].body.starts(with: Array("application_name\u{0}x\u{0}".utf8)))
            // SQL DEALLOCATE removes a protocol-level statement (one namespace, as PostgreSQL)
            r = c.roundTrip(FE.parse("m", "SELECT 1") + FE.sync + RawClient.query("DEALLOCATE m") + FE.bind("", "m") + FE.sync)
            #expect(r.map(\.type) == ["1", "Z"])
            #expect(c.readUntilReady().map(\.type) == ["C", "Z"])
            #expect(c.readUntilReady().map(\.type) == ["E", "Z"])
            // DISCARD ALL drops named statements and portals
            r = c.roundTrip(FE.parse("k", "SELECT 1") + FE.parse("", "DISCARD ALL") + FE.bind() + FE.execute() + FE.sync)
            #expect(r.map(\.type) == ["1", "1", "2", "C", "Z"])
            #expect(RawClient.commandTag(r[3].body) == "DISCARD ALL")
            r = c.roundTrip(FE.describe("S", "k") + FE.sync)
            #expect(RawClient.fields(r[0].body)["C"] == "26000")
        }
    }

    @Test func transactionStatusInExtendedProtocol() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            func run(_ sql: String) -> [UInt8] {
                let r = c.roundTrip(FE.parse("", sql) + FE.bind() + FE.execute() + FE.sync)
                return r.last?.body ?? []
            }
            #expect(run("BEGIN") == [UInt8(ascii: "T")])
            // a named portal survives Sync inside a transaction block and is resumed
            var r = c.roundTrip(FE.parse("", "SELECT number FROM numbers(5)") + FE.bind("cur") + FE.execute("cur", maxRows: 3) + FE.sync)
            #expect(r.map(\.type) == ["1", "2", "D", "D", "D", "s", "Z"])
            r = c.roundTrip(FE.execute("cur", maxRows: 3) + FE.sync)
            #expect(r.map(\.type) == ["D", "D", "C", "Z"])
            #expect(RawClient.textRow(r[0].body) == ["3"])
            #expect(run("SELECT * FROM missing_table") == [UInt8(ascii: "E")])
            #expect(run("SELECT 1") == [UInt8(ascii: "E")], "25P02 in a failed transaction block")
            #expect(run("ROLLBACK") == [UInt8(ascii: "I")])
            // outside a transaction block, Sync closes the portals
            r = c.roundTrip(FE.parse("", "SELECT number FROM numbers(5)") + FE.bind("p") + FE.execute("p", maxRows: 1) + FE.sync)
            #expect(r.map(\.type) == ["1", "2", "D", "s", "Z"])
            r = c.roundTrip(FE.execute("p", maxRows: 1) + FE.sync)
            #expect(RawClient.fields(r[0].body)["C"] == "34000")
        }
    }

    @Test func flushSendsPendingAnswersBeforeSync() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            c.send(FE.parse("", "SELECT 7") + FE.bind() + FE.execute() + FE.flush)
            #expect(c.readMessage()?.type == "1")
            #expect(c.readMessage()?.type == "2")
            #expect(c.readMessage()?.type == "D")
            #expect(c.readMessage()?.type == "C")
            #expect(c.roundTrip(FE.sync).map(\.type) == ["Z"])
        }
    }

    @Test func pipelinedBatchesAnswerInOrder() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            var batch: [UInt8] = []
            for i in 0..<50 {
                batch += FE.parse("", "SELECT $1::Int32 + 1") + FE.bind("", "", [FE.text(String(i))]) + FE.execute() + FE.sync
            }
            c.send(batch)
            for i in 0..<50 {
                let r = c.readUntilReady()
                #expect(r.map(\.type) == ["1", "2", "D", "C", "Z"])
                #expect(RawClient.textRow(r[2].body) == [String(i + 1)])
            }
        }
    }

    @Test func odbcStyleCursorsOverSimpleQuery() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            _ = c.roundTrip(RawClient.query(Self.setup))
            // psqlODBC with UseDeclareFetch=1
            var r = c.roundTrip(RawClient.query("BEGIN; DECLARE c1 CURSOR WITH HOLD FOR SELECT id, name FROM ev ORDER BY id; FETCH 2 IN c1"))
            #expect(r.map(\.type) == ["C", "C", "T", "D", "D", "C", "Z"])
            #expect(RawClient.commandTag(r[1].body) == "DECLARE CURSOR")
            #expect(RawClient.commandTag(r[5].body) == "FETCH 2")
            #expect(r.last?.body == [UInt8(ascii: "T")])
            r = c.roundTrip(RawClient.query("MOVE 1 IN c1; FETCH 10 IN c1; COMMIT"))
            #expect(r.map(\.type) == ["C", "T", "D", "D", "C", "C", "Z"])
            #expect(RawClient.commandTag(r[0].body) == "MOVE 1")
            #expect(RawClient.textRow(r[2].body) == ["4", "d"])
            #expect(RawClient.commandTag(r[4].body) == "FETCH 2")
            // WITH HOLD: still open after COMMIT, then closed
            r = c.roundTrip(RawClient.query("FETCH ALL FROM c1; CLOSE c1"))
            #expect(r.map(\.type) == ["T", "C", "C", "Z"])
            #expect(RawClient.commandTag(r[1].body) == "FETCH 0")
            #expect(RawClient.commandTag(r[2].body) == "CLOSE CURSOR")
            // DECLARE without HOLD outside a transaction block: 25P01
            r = c.roundTrip(RawClient.query("DECLARE c2 CURSOR FOR SELECT 1"))
            #expect(RawClient.fields(r[0].body)["C"] == "25P01")
            // DISCARD ALL inside a transaction block: 25001
            r = c.roundTrip(RawClient.query("BEGIN; DISCARD ALL"))
            #expect(r.first { $0.type == "E" }.map { RawClient.fields($0.body)["C"] } == "25001")
            #expect(c.roundTrip(RawClient.query("ROLLBACK")).last?.body == [UInt8(ascii: "I")])
        }
    }

    @Test func cancelRequestStopsAnExecute() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            let key = try #require(c.startup())
            c.send(FE.parse("", "SELECT number FROM numbers(3000000)") + FE.bind() + FE.execute() + FE.sync)
            #expect(c.readMessage()?.type == "1")
            #expect(c.readMessage()?.type == "2")
            #expect(c.readMessage()?.type == "D")
            try await Task.sleep(for: .milliseconds(300))
            let canceller = try RawClient(port: s.server.port)
            canceller.send(RawClient.int32(16) + RawClient.int32(80_877_102) + RawClient.int32(key.0) + RawClient.int32(key.1))
            #expect(canceller.read(1) == nil)
            var rows = 1
            var error: [Character: String]?
            while let m = c.readMessage() {
                if m.type == "D" { rows += 1 }
                if m.type == "E" { error = RawClient.fields(m.body) }
                if m.type == "Z" { break }
            }
            #expect(error?["C"] == "57014")
            #expect(rows < 3_000_000)
            let r = c.roundTrip(FE.parse("", "SELECT 1") + FE.bind() + FE.execute() + FE.sync)
            #expect(r.map(\.type) == ["1", "2", "D", "C", "Z"])
        }
    }

    @Test func readingPausesWhileManyPipelinedMessagesWait() async throws {
        try await TestServer.with { s in
            let c = try Self.connected(s)
            // A large result the client does not read yet keeps the connection busy
            // (backpressure); thousands of queries pipelined behind it must not all be queued.
            var bytes = RawClient.query("SELECT number, toString(number) FROM numbers(500000)")
            for _ in 0..<5000 { bytes += RawClient.query("SELECT 1") }
            let job = SendJob(client: c, bytes: bytes)
            let sender = Thread { job.client.send(job.bytes) }
            sender.start()
            try await Task.sleep(for: .milliseconds(1500))
            let pauses = s.server.context.registry.all.map { $0.readPauses.load(ordering: .relaxed) }.reduce(0, +)
            #expect(pauses > 0, "the handler stops reading while its queue is full")
            var rows = 0
            while let m = c.readMessage() {
                if m.type == "D" { rows += 1 }
                if m.type == "Z" { break }
            }
            #expect(rows == 500_000)
            for _ in 0..<5000 {
                #expect(c.readUntilReady().map(\.type) == ["T", "D", "C", "Z"])
            }
        }
    }
}

/// Sends from another thread while the test reads (the client is only written there).
private final class SendJob: @unchecked Sendable {
    let client: RawClient
    let bytes: [UInt8]
    init(client: RawClient, bytes: [UInt8]) { self.client = client; self.bytes = bytes }
}
