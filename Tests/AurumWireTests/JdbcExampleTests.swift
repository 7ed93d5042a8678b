import Foundation
import Testing
import AurumEngine

/// clients/jdbc/AurumJdbcExample.java, compiled and run by java against TestServer with the
/// Debian pgJDBC jar (default extended query mode).
@Suite("JDBC example") struct JdbcExampleTests {
    @Test func exampleProgramRuns() async throws {
        let jar = "/usr/share/java/postgresql.jar"
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/java"), "/usr/bin/java is missing: apt-get install default-jdk-headless")
        #expect(FileManager.default.fileExists(atPath: jar), "\(jar) is missing: apt-get install libpostgresql-jdbc-java")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/java"), FileManager.default.fileExists(atPath: jar) else { return }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent("clients/jdbc/AurumJdbcExample.java").path
        try await TestServer.with { s in
            let (status, text) = try ClientScriptTests.runProcess(["java", "-cp", jar, source, "jdbc:postgresql://127.0.0.1:\(s.server.port)/default?user=aurum"])
            #expect(status == 0, "AurumJdbcExample.java failed:\n\(text)")
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines == [
                "2024-01-01 east 100.00 100.00",
                "2024-01-02 east 50.50 150.50",
                "2024-01-01 west 75.25 75.25",
                "column 1 day date",
                "column 2 region text",
                "column 3 revenue numeric",
                "ok",
            ], "\(text)")
        }
    }
}
