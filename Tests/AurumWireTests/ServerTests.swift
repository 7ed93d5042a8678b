import AurumCLI
import AurumEngine
import AurumIngest
import Foundation
import Testing
@testable import AurumWire
#if canImport(Glibc)
import Glibc
private let systemSend = Glibc.send
#elseif canImport(Darwin)
import Darwin
private let systemSend = Darwin.send
#endif

// End-to-end tests of the PostgreSQL protocol server: an in-process server on an ephemeral
// loopback port, driven by the real psql (PostgreSQL 15 client) and by a raw socket.

/// An engine over a temporary directory and a server on 127.0.0.1, port 0.
final class TestServer: Sendable {
    let directory: String
    let engine: Engine
    let server: PGServer

    private init(directory: String, engine: Engine, server: PGServer) {
        self.directory = directory
        self.engine = engine
        self.server = server
    }

    static func start(password: String? = nil) async throws -> TestServer {
        let dir = NSTemporaryDirectory() + "aurum-wire-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        IngestTableFunctions.install()   // as `aurum serve` does: file(...) / deltaLake(...)
        let engine = try Engine(directory: dir, options: EngineOptions(threads: 2, fsync: false))
        let server = try await PGServer.start(
            engine: engine, configuration: PGServerConfiguration(host: "127.0.0.1", port: 0, password: password))
        return TestServer(directory: dir, engine: engine, server: server)
    }

    /// Starts with a full configuration (authentication, TLS, ...); host and port are forced
    /// to 127.0.0.1 and 0.
    static func start(configuration: PGServerConfiguration) async throws -> TestServer {
        let dir = NSTemporaryDirectory() + "aurum-wire-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        IngestTableFunctions.install()   // as `aurum serve` does: file(...) / deltaLake(...)
        let engine = try Engine(directory: dir, options: EngineOptions(threads: 2, fsync: false))
        var c = configuration
        c.host = "127.0.0.1"
        c.port = 0
        do {
            let server = try await PGServer.start(engine: engine, configuration: c)
            return TestServer(directory: dir, engine: engine, server: server)
        } catch {
            engine.close()
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
    }

    /// Runs `f` with a fresh server started with `configuration` and always stops it.
    static func with(configuration: PGServerConfiguration, _ f: (TestServer) async throws -> Void) async throws {
        let s = try await start(configuration: configuration)
        do { try await f(s) } catch {
            await s.stop()
            throw error
        }
        await s.stop()
    }

    func stop() async {
        await server.shutdown(gracePeriod: .seconds(2))
        engine.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `f` with a fresh server and always stops it.
    static func with(password: String? = nil, _ f: (TestServer) async throws -> Void) async throws {
        let s = try await start(password: password)
        do { try await f(s) } catch {
            await s.stop()
            throw error
        }
        await s.stop()
    }

    struct Output {
        var stdout: String
        var stderr: String
        var status: Int32
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastEmpty() }
    }

    /// Runs psql once: unaligned, tuples only, `|` separated, no psqlrc; each command is one
    /// `-c` (one Query message, in one session).
    func psql(_ commands: [String], quiet: Bool = true, tuplesOnly: Bool = true, environment: [String: String] = [:]) throws -> Output {
        var args = ["-X", "-A", "-F", "|", "-v", "ON_ERROR_STOP=0", "-h", "127.0.0.1", "-p", String(server.port),
                    "-U", "aurum", "-d", "default"]
        if quiet { args.append("-q") }
        if tuplesOnly { args.append("-t") }
        for c in commands { args += ["-c", c] }
        return try runProgram("/usr/bin/psql", args, environment: environment)
    }
}

extension Array where Element == String {
    func dropLastEmpty() -> [String] { last == "" ? Array(dropLast()) : self }
}

let psqlInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")

@Suite("PostgreSQL wire server with psql", .enabled(if: psqlInstalled, "needs /usr/bin/psql (postgresql-client)"))
struct PsqlTests {
    @Test func selectOne() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["SELECT 1"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "1\n")
            #expect(r.stderr == "")
        }
    }

    @Test func tableWithSeveralTypes() async throws {
        try await TestServer.with { s in
            let r = try s.psql([
                """
                CREATE TABLE t (i Int32, l Int64, f Float64, d Decimal(10,2), s String, dt Date,
                                ts DateTime64(3), b Bool, n Nullable(Int32)) ENGINE = MergeTree ORDER BY i
                """,
                """
                INSERT INTO t VALUES
                  (1, 10000000000, 1.5, 12.34, 'héllo', '2024-01-02', '2024-01-02 03:04:05.678', true, NULL),
                  (2, -5, -0.25, -1.00, '', '1900-01-01', '2299-12-31 23:59:59', false, 7),
                  (3, 0, 1e100, 0.05, 'a|b', '2024-02-29', '1970-01-01 00:00:00', true, NULL)
                """,
                "SELECT * FROM t ORDER BY i",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr == "")
            #expect(r.lines == [
                "1|10000000000|1.5|12.34|héllo|2024-01-02|2024-01-02 03:04:05.678|t|",
                "2|-5|-0.25|-1.00||1900-01-01|2299-12-31 23:59:59|f|7",
                "3|0|1e+100|0.05|a|b|2024-02-29|1970-01-01 00:00:00|t|",
            ])
        }
    }

    @Test func commandTags() async throws {
        try await TestServer.with { s in
            let r = try s.psql([
                "CREATE TABLE tags (x Int64) ENGINE = MergeTree ORDER BY x",
                "INSERT INTO tags SELECT number FROM numbers(5)",
                "DROP TABLE tags",
            ], quiet: false)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.lines == ["CREATE TABLE", "INSERT 0 5", "DROP TABLE"])
        }
    }

    @Test func severalStatementsInOneQueryMessage() async throws {
        try await TestServer.with { s in
            let r = try s.psql([
                "CREATE TABLE m (x Int32) ENGINE = MergeTree ORDER BY x; INSERT INTO m VALUES (1), (2); SELECT sum(x) FROM m; SELECT 'a', 'b'",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.lines == ["3", "a|b"])
        }
    }

    @Test func errorHasSQLStateAndSessionStaysUsable() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["\\set VERBOSITY verbose", "SELECT * FROM nope", "SELECT 42"])
            #expect(r.stdout == "42\n")
            #expect(r.stderr.contains("ERROR:  42P01: "), "\(r.stderr)")
            #expect(r.stderr.contains("nope"))
        }
    }

    @Test func errorSkipsTheRestOfTheMessageAndPositionCountsFromItsStart() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["SELECT 1; SELECT * FROM nope2; SELECT 3", "SELECT 4"])
            #expect(r.lines == ["1", "4"])
            let lines = r.stderr.split(separator: "\n").map(String.init)
            #expect(lines.contains("LINE 1: SELECT 1; SELECT * FROM nope2; SELECT 3"), "\(r.stderr)")
            // The caret sits under `nope2`: 8 characters of "LINE 1: " plus its 0-based column 24.
            #expect(lines.contains(String(repeating: " ", count: 8 + 24) + "^"), "\(r.stderr)")
        }
    }

    @Test func syntaxErrorRunsNothingOfTheMessage() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["\\set VERBOSITY verbose", "SELECT 1; SELEC 2", "SELECT 5"])
            #expect(r.lines == ["5"])
            #expect(r.stderr.contains("ERROR:  42601: syntax error at or near \"SELEC\""), "\(r.stderr)")
        }
    }

    @Test func emptyQuery() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["", ";", "SELECT 6"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "6\n")
            #expect(r.stderr == "")
        }
    }

    @Test func transactionBlocks() async throws {
        try await TestServer.with { s in
            let ok = try s.psql(["BEGIN; SELECT 1; COMMIT"], quiet: false)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.lines == ["BEGIN", "1", "COMMIT"])

            let failed = try s.psql(["\\set VERBOSITY verbose", "BEGIN", "SELECT * FROM nope", "SELECT 1", "COMMIT", "SELECT 2",
                                     "START TRANSACTION", "SELECT 3", "ROLLBACK"], quiet: false)
            // After an error in a block only ROLLBACK/COMMIT run; COMMIT then reports ROLLBACK.
            #expect(failed.lines == ["BEGIN", "ROLLBACK", "2", "START TRANSACTION", "3", "ROLLBACK"], "\(failed.stdout)")
            #expect(failed.stderr.contains("ERROR:  25P02: current transaction is aborted"), "\(failed.stderr)")
        }
    }

    @Test func largeResultIsStreamedInBatches() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["SELECT number, toString(number * 7) FROM numbers(200000)"])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.lines
            #expect(lines.count == 200_000)
            #expect(lines.first == "0|0")
            #expect(lines.last == "199999|1399993")
        }
    }

    @Test func startupParametersBecomeSettings() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["SHOW application_name", "SHOW max_memory_usage"],
                               environment: ["PGAPPNAME": "wire-test", "PGOPTIONS": "-c max_memory_usage=123456789"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.lines == ["wire-test", "123456789"])
        }
    }

    @Test func unknownDatabaseFallsBackToDefaultWithANotice() async throws {
        try await TestServer.with { s in
            _ = try s.psql(["CREATE DATABASE analytics", "CREATE TABLE analytics.only_here (x Int32) ENGINE = MergeTree ORDER BY x"])
            var r = try s.psql(["\\c analytics", "SELECT count(*) FROM only_here"])
            #expect(r.stdout == "0\n", "\(r.stderr)")
            r = try s.psql(["\\c nosuchdb", "SELECT 7"])
            #expect(r.stdout == "7\n")
            #expect(r.stderr.contains("database \"nosuchdb\" does not exist; using \"default\""), "\(r.stderr)")
        }
    }

    @Test func cleartextPassword() async throws {
        try await TestServer.with(password: "s3cret") { s in
            let ok = try s.psql(["SELECT 1"], environment: ["PGPASSWORD": "s3cret"])
            #expect(ok.stdout == "1\n", "\(ok.stderr)")
            let bad = try s.psql(["SELECT 1"], environment: ["PGPASSWORD": "wrong"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("password authentication failed for user \"aurum\""), "\(bad.stderr)")
        }
    }
}

// MARK: - Raw socket

/// A blocking TCP client with a receive timeout.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Exactly `n` bytes, or nil at EOF / timeout.
    func read(_ n: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if r <= 0 { return nil }
            got += r
        }
        return out
    }

    /// One backend message: its type and body.
    func readMessage() -> (type: Character, body: [UInt8])? {
        guard let head = read(5) else { return nil }
        let len = Int(UInt32(head[1]) << 24 | UInt32(head[2]) << 16 | UInt32(head[3]) << 8 | UInt32(head[4]))
        guard len >= 4, let body = read(len - 4) else { return nil }
        return (Character(Unicode.Scalar(head[0])), body)
    }

    /// Reads messages up to and including ReadyForQuery (or EOF).
    func readUntilReady() -> [(type: Character, body: [UInt8])] {
        var out: [(type: Character, body: [UInt8])] = []
        while let m = readMessage() {
            out.append(m)
            if m.type == "Z" { break }
        }
        return out
    }

    static func int32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    static func startupMessage(_ params: [(String, String)]) -> [UInt8] {
        var body = int32(196_608)
        for (k, v) in params { body += Array(k.utf8) + [0] + Array(v.utf8) + [0] }
        body.append(0)
        return int32(Int32(body.count + 4)) + body
    }

    static func query(_ sql: String) -> [UInt8] {
        let body = Array(sql.utf8) + [0]
        return [UInt8(ascii: "Q")] + int32(Int32(body.count + 4)) + body
    }

    /// The fields of an ErrorResponse/NoticeResponse body by their code.
    static func fields(_ body: [UInt8]) -> [Character: String] {
        var out: [Character: String] = [:]
        var i = 0
        while i < body.count, body[i] != 0 {
            let code = Character(Unicode.Scalar(body[i]))
            var j = i + 1
            while j < body.count, body[j] != 0 { j += 1 }
            out[code] = String(decoding: body[(i + 1)..<j], as: UTF8.self)
            i = j + 1
        }
        return out
    }

    /// Connects and completes the startup; returns BackendKeyData (pid, secret).
    func startup() -> (Int32, Int32)? {
        send(Self.startupMessage([("user", "aurum"), ("database", "default")]))
        var key: (Int32, Int32)?
        for m in readUntilReady() where m.type == "K" {
            let b = m.body
            let pid = Int32(bitPattern: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
            let secret = Int32(bitPattern: UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7]))
            key = (pid, secret)
        }
        return key
    }
}

@Suite("PostgreSQL wire server, raw protocol")
struct RawProtocolTests {
    @Test func sslRequestIsAnsweredNThenStartupWorks() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.int32(8) + RawClient.int32(80_877_103))
            #expect(c.read(1) == [UInt8(ascii: "N")])
            c.send(RawClient.startupMessage([("user", "aurum"), ("database", "default"), ("client_encoding", "'utf-8'")]))
            let messages = c.readUntilReady()
            #expect(messages.first?.type == "R")
            #expect(messages.first?.body == [0, 0, 0, 0])
            #expect(messages.map(\.type).contains("K"))
            #expect(messages.last?.type == "Z")
            #expect(messages.last?.body == [UInt8(ascii: "I")])
            let statuses = messages.filter { $0.type == "S" }.map { m -> String in
                String(decoding: m.body.split(separator: 0, omittingEmptySubsequences: false)[0], as: UTF8.self)
            }
            for name in ["server_version", "server_encoding", "client_encoding", "DateStyle", "integer_datetimes",
                         "standard_conforming_strings", "TimeZone"] {
                #expect(statuses.contains(name), "missing ParameterStatus \(name)")
            }
            // No NOTICE/WARNING about the quoted client_encoding asyncpg sends.
            #expect(!messages.map(\.type).contains("N"))
        }
    }

    @Test func gssEncRequestIsAnsweredN() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.int32(8) + RawClient.int32(80_877_104))
            #expect(c.read(1) == [UInt8(ascii: "N")])
        }
    }

    @Test func absurdStartupLengthIsAFatalProtocolViolation() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            c.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            let m = c.readMessage()
            #expect(m?.type == "E")
            let f = RawClient.fields(m?.body ?? [])
            #expect(f["S"] == "FATAL")
            #expect(f["C"] == "08P01")
            #expect(c.read(1) == nil, "the server closes the connection")
        }
    }

    @Test func absurdMessageLengthAfterStartupIsAFatalProtocolViolation() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            c.send([UInt8(ascii: "Q")] + RawClient.int32(Int32.max))
            let m = c.readMessage()
            #expect(m?.type == "E")
            #expect(RawClient.fields(m?.body ?? [])["C"] == "08P01")
            #expect(c.read(1) == nil)
            let c2 = try RawClient(port: s.server.port)
            c2.send([UInt8(ascii: "Q")] + RawClient.int32(2))
            // Before the startup packet the same bytes are a startup length of 0x51000000.
            #expect(c2.readMessage()?.type == "E")
        }
    }

    @Test func emptyQueryAndSeveralResults() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            c.send(RawClient.query(""))
            #expect(c.readUntilReady().map(\.type) == ["I", "Z"])
            c.send(RawClient.query("  -- only a comment\n ; "))
            #expect(c.readUntilReady().map(\.type) == ["I", "Z"])
            c.send(RawClient.query("SELECT 1 AS a; SELECT 'x' AS b, 2 AS c"))
            #expect(c.readUntilReady().map(\.type) == ["T", "D", "C", "T", "D", "C", "Z"])
        }
    }

    @Test func currentUserIsTheStartupUser() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.startupMessage([("user", "analyst"), ("database", "default")]))
            let startup = c.readUntilReady()
            let status = startup.filter { $0.type == "S" }.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(status.contains("session_authorization\u{0}analyst\u{0}"), "\(status)")
            c.send(RawClient.query("SELECT current_user, session_user"))
            let r = c.readUntilReady()
            #expect(r.map(\.type) == ["T", "D", "C", "Z"])
            #expect(RawClient.textRow(r[1].body) == ["analyst", "analyst"])
        }
    }

    @Test func pipelinedQueriesAreAnsweredInOrder() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            #expect(c.startup() != nil)
            c.send(RawClient.query("SELECT 1") + RawClient.query("SELECT * FROM nope") + RawClient.query("SELECT 3"))
            #expect(c.readUntilReady().map(\.type) == ["T", "D", "C", "Z"])
            #expect(c.readUntilReady().map(\.type) == ["E", "Z"])
            let third = c.readUntilReady()
            #expect(third.map(\.type) == ["T", "D", "C", "Z"])
            #expect(third[1].body.suffix(1) == [UInt8(ascii: "3")])
        }
    }

    @Test func cancelRequestStopsAStreamingQuery() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            let key = try #require(c.startup())
            c.send(RawClient.query("SELECT number FROM numbers(3000000)"))
            // Read the RowDescription and a little, then stop reading: the server fills the
            // socket buffers and waits (backpressure).
            #expect(c.readMessage()?.type == "T")
            #expect(c.readMessage()?.type == "D")
            try await Task.sleep(for: .milliseconds(300))
            let canceller = try RawClient(port: s.server.port)
            canceller.send(RawClient.int32(16) + RawClient.int32(80_877_102) + RawClient.int32(key.0) + RawClient.int32(key.1))
            #expect(canceller.read(1) == nil, "a CancelRequest is answered by closing")
            var rows = 1
            var error: [Character: String]?
            while let m = c.readMessage() {
                if m.type == "D" { rows += 1 }
                if m.type == "E" { error = RawClient.fields(m.body) }
                if m.type == "Z" { break }
            }
            #expect(error?["C"] == "57014")
            #expect(rows < 3_000_000)
            // The session is usable afterwards.
            c.send(RawClient.query("SELECT 1"))
            #expect(c.readUntilReady().map(\.type) == ["T", "D", "C", "Z"])
        }
    }

    @Test func shutdownTellsIdleClients() async throws {
        let s = try await TestServer.start()
        let c = try RawClient(port: s.server.port)
        #expect(c.startup() != nil)
        await s.stop()
        let m = c.readMessage()
        #expect(m?.type == "E")
        #expect(RawClient.fields(m?.body ?? [])["C"] == "57P01")
        #expect(c.read(1) == nil)
    }
}

@Suite("aurum serve and wire helpers")
struct ServeCommandTests {
    @Test func nonLoopbackHostIsRefusedWithoutPassword() {
        let r = CLI.run(arguments: ["serve", "--data", NSTemporaryDirectory() + "aurum-never-opened", "--host", "0.0.0.0"])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("refusing to listen on 0.0.0.0"), "\(r.stderr)")
        #expect(r.stderr.contains("--allow-remote-without-password"))
    }

    @Test func loopbackNames() {
        #expect(PGServerConfiguration.isLoopback("127.0.0.1"))
        #expect(PGServerConfiguration.isLoopback("localhost"))
        #expect(PGServerConfiguration.isLoopback("::1"))
        #expect(!PGServerConfiguration.isLoopback("0.0.0.0"))
        #expect(!PGServerConfiguration.isLoopback("10.0.0.1"))
    }

    @Test func startupOptionsParsing() throws {
        let o = try PGSessionSetup.parseOptions("-c search_path=analytics  -cstatement_timeout=5s --extra-float-digits=3 -c a=x\\ y")
        #expect(o.map(\.0) == ["search_path", "statement_timeout", "extra_float_digits", "a"])
        #expect(o.map(\.1) == ["analytics", "5s", "3", "x y"])
        #expect(throws: (any Error).self) { try PGSessionSetup.parseOptions("-x") }
    }
}

/// Runs a program and captures its output (files, not pipes: no deadlock on large output).
func runProgram(_ path: String, _ args: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> TestServer.Output {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    for k in ["PGPASSWORD", "PGOPTIONS", "PGAPPNAME", "PGSSLMODE", "PGUSER", "PGHOST", "PGPORT"] { env[k] = nil }
    env["PGCONNECT_TIMEOUT"] = "10"
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let base = NSTemporaryDirectory() + "aurum-run-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    for suffix in [".out", ".err", ".in"] { _ = FileManager.default.createFile(atPath: base + suffix, contents: nil) }
    defer { for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
    if let stdin { try stdin.write(toFile: base + ".in", atomically: false, encoding: .utf8) }
    let out = FileHandle(forWritingAtPath: base + ".out")!
    let err = FileHandle(forWritingAtPath: base + ".err")!
    p.standardOutput = out
    p.standardError = err
    p.standardInput = stdin == nil ? FileHandle.nullDevice : FileHandle(forReadingAtPath: base + ".in")!
    try p.run()
    p.waitUntilExit()
    try out.close()
    try err.close()
    return TestServer.Output(stdout: try String(contentsOfFile: base + ".out", encoding: .utf8),
                             stderr: try String(contentsOfFile: base + ".err", encoding: .utf8),
                             status: p.terminationStatus)
}
