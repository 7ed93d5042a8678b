import Foundation
import Testing
@testable import AurumCLI

// The examples under clients/ (what users copy) run against an in-process server holding
// the real demo table sales_daily (schemas/sales_daily.sql at scale 1, 146,200 rows).

@Suite("clients/ examples", .serialized)
struct ClientExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func withDemoServer(_ f: (TestServer) async throws -> Void) async throws {
        try await TestServer.with { s in
            let scripts = try DemoCommand.tableScripts(in: Self.repository.appendingPathComponent("schemas").path)
            let sales = try #require(scripts.first { $0.name == "sales_daily" })
            _ = try s.engine.makeSession().execute(sales.sql(scale: 1))
            try await f(s)
        }
    }

    static func python(_ script: String, port: Int) throws -> (status: Int32, output: String) {
        try ClientScriptTests.runProcess(["python3", repository.appendingPathComponent("clients/python/" + script).path,
                                          "--port", String(port)])
    }

    @Test func psycopgExample() async throws {
        try await Self.withDemoServer { s in
            let r = try Self.python("psycopg_example.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("PostgreSQL 15.0 (Aurum"))
            #expect(r.output.contains("146200 rows"), "\(r.output)")
            #expect(r.output.contains("streamed 146200 rows through a server-side cursor"), "\(r.output)")
            #expect(r.output.contains("region,month,target\nEast,2024-01-01,125000.00"), "\(r.output)")
        }
    }

    @Test func supersetExample() async throws {
        try await Self.withDemoServer { s in
            let r = try Self.python("superset_sqlalchemy.py", port: s.server.port)
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains("tables in default : ['sales_daily']"), "\(r.output)")
            #expect(r.output.contains("revenue    NUMERIC(18, 2)"), "\(r.output)")
            let regions = r.output.split(separator: "\n").filter { ["North", "South", "East", "West"].contains($0.split(separator: " ").first ?? "") }
            #expect(regions.count >= 4, "\(r.output)")
        }
    }

    @Test func psqlCopyScript() async throws {
        try await Self.withDemoServer { s in
            let script = Self.repository.appendingPathComponent("clients/psql/copy.sql").path
            let out = try s.psql(["\\i " + script])
            #expect(out.status == 0, "\(out.stderr)")
            // copied rows and revenue equal the source's
            let lines = out.lines.filter { $0.contains("|") }
            #expect(lines.count == 2, "\(out.stdout)")
            #expect(lines.first == lines.last, "\(out.stdout)")
            #expect(lines.first?.hasPrefix("6200|") == true, "\(out.stdout)")
        }
    }
}
