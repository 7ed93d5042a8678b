import Foundation
import Testing

// Real PostgreSQL drivers (Python scripts under clients/) against an in-process server. Each
// script takes --port and exits non-zero with a message on any mismatch; a missing driver is
// a failure too (.ci/run installs them).

@Suite("PostgreSQL drivers", .serialized)
struct ClientScriptTests {
    static let clients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients")

    /// Runs `python3 clients/<script> --port N`; returns exit status and output.
    static func run(_ script: String, port: Int) throws -> (status: Int32, output: String) {
        try runProcess(["python3", clients.appendingPathComponent(script).path, "--port", String(port)])
    }

    /// Where Debian's libpostgresql-jdbc-java puts pgJDBC.
    static let pgjdbcJar = "/usr/share/java/postgresql.jar"

    /// Runs `java -cp postgresql.jar clients/<source>.java --port N` (single-file source launch).
    static func runJava(_ source: String, port: Int) throws -> (status: Int32, output: String) {
        try runProcess(["java", "-cp", pgjdbcJar, clients.appendingPathComponent(source).path, "--port", String(port)])
    }

    /// Runs `/usr/bin/env arguments...` with stdin closed; returns exit status and stdout+stderr.
    static func runProcess(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try runProgram("/usr/bin/env", arguments)
        return (r.status, r.stdout + r.stderr)
    }

    @Test func pgjdbc() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.pgjdbcJar),
                     "pgJDBC is missing: apt-get install libpostgresql-jdbc-java (see .ci/run)")
        try await TestServer.with { s in
            let r = try Self.runJava("PgJdbcExtended.java", port: s.server.port)
            #expect(r.status == 0, "java (a JDK is needed: apt-get install default-jdk-headless): \(r.output)")
            #expect(r.output.contains("all checks passed"))
        }
    }

    @Test func psycopg3() async throws {
        try await TestServer.with { s in
            let r = try Self.run("psycopg_extended.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("all checks passed"))
        }
    }

    @Test func psycopg2NamedCursors() async throws {
        try await TestServer.with { s in
            let r = try Self.run("psycopg2_named_cursor.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("all checks passed"))
        }
    }

    @Test func asyncpg() async throws {
        try await TestServer.with { s in
            let r = try Self.run("asyncpg_extended.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("all checks passed"))
        }
    }
}
