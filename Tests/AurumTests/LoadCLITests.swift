// `aurum load` and `aurum ingest --config` through the CLI, in-process: summaries, exit codes,
// pipelines with transforms, dedup, replace, a failing pipeline among good ones, config errors.

import Aurum
import AurumCLI
import Foundation
import Testing

@Suite("aurum load / aurum ingest")
struct LoadCLITests {
    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func query(_ dir: String, _ sql: String) -> String {
        CLI.run(arguments: ["query", "--data", dir + "/data", "--format", "csv", sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func loadCommand() throws {
        let dir = TestScratch.directory("load-cli")
        defer { TestScratch.remove(dir) }
        try Self.write(dir + "/in/a.csv", "id,name,amount\n1,x,1.50\n2,y,2.25\n")
        try Self.write(dir + "/in/b.csv", "id,name,amount\n3,z,-1.00\n")
        var r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "t", "--create", dir + "/in/*.csv"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("loaded 3 rows into default.t ("), "\(r.stdout)")
        #expect(Self.query(dir, "SELECT count(*), sum(amount) FROM t") == "count,sum\n3,2.75")
        r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "t", "--replace", dir + "/in/b.csv"])
        #expect(r.exitCode == 0 && r.stdout.hasPrefix("replaced with 1 rows"), "\(r.stdout) \(r.stderr)")
        r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "missing", dir + "/in/b.csv"])
        #expect(r.exitCode == 1)
        #expect(r.stderr.contains("ERROR 42P01"))
        r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "t", "--rejects", "x", dir + "/in/b.csv"])
        #expect(r.exitCode == 64)
        r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "t", dir + "/in/nothing*.csv"])
        #expect(r.exitCode == 1 && r.stderr.contains("58030"), "\(r.stderr)")
        // a directory a server (here: an open Database) holds is refused, with the way around
        let held = try Database.open(at: dir + "/data")
        r = CLI.run(arguments: ["load", "--data", dir + "/data", "--table", "t", dir + "/in/b.csv"])
        held.close()
        #expect(r.exitCode == 1)
        #expect(r.stderr.contains("in use") && r.stderr.contains("load through the server"), "\(r.stderr)")
    }

    @Test func ingestPipelines() throws {
        let dir = TestScratch.directory("ingest-cli")
        defer { TestScratch.remove(dir) }
        try Self.write(dir + "/exports/orders_1.csv", "order_id,customer,amount_cents\n1,acme,150\n2,acme,250\n2,acme,250\n3,zeta,99\n")
        try Self.write(dir + "/exports/orders_2.csv", "order_id,customer,amount_cents\n4,zeta,1000\n")
        try Self.write(dir + "/exports/plain.tsv", "1\tone\n2\ttwo\n")
        try Self.write(dir + "/pipelines.yaml", """
            pipelines:
              - name: orders
                source:
                  path: exports/orders_*.csv
                select:
                  - order_id
                  - upper(customer) AS customer
                  - amount_cents / 100 AS amount
                dedup_key: order_id
                target: orders
                create: true
                order_by: order_id
                mode: replace
              - name: broken
                source:
                  path: exports/does_not_exist_*.csv
                target: nowhere
                create: true
              - name: plain
                source:
                  path: exports/plain.tsv
                csv:
                  preset: tsv
                target: plain
                create: true
            """)
        var r = CLI.run(arguments: ["ingest", "--data", dir + "/data", "--config", dir + "/pipelines.yaml"])
        #expect(r.exitCode == 1, "one pipeline fails")
        #expect(r.stdout.contains("[orders] ok: loaded 4 rows into default.orders"), "\(r.stdout)")
        #expect(r.stdout.contains("[broken] FAILED"))
        #expect(r.stdout.contains("[plain] ok: loaded 2 rows"))
        #expect(r.stdout.contains("2 of 3 pipelines succeeded"))
        #expect(r.stderr.contains("[broken] ERROR 58030"), "\(r.stderr)")
        #expect(Self.query(dir, "SELECT order_id, customer, amount FROM orders ORDER BY order_id")
                == "order_id,customer,amount\n1,ACME,1.5\n2,ACME,2.5\n3,ZETA,0.99\n4,ZETA,10")
        #expect(Self.query(dir, "SELECT count(*) FROM system.tables WHERE name LIKE '%aurum_%'") == "count\n0")
        // run only one pipeline again: replace keeps 4 rows
        r = CLI.run(arguments: ["ingest", "--data", dir + "/data", "--config", dir + "/pipelines.yaml", "--only", "orders"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.contains("[orders] ok: replaced with 4 rows"), "\(r.stdout)")
        #expect(Self.query(dir, "SELECT count(*) FROM orders") == "count\n4")
    }

    @Test func configErrorsNameFileLineAndKey() throws {
        let dir = TestScratch.directory("ingest-config")
        defer { TestScratch.remove(dir) }
        try Self.write(dir + "/bad.yaml", """
            pipelines:
              - name: x
                source: { path: a.csv }
                target: t
                colour: blue
            """)
        let r = CLI.run(arguments: ["ingest", "--data", dir + "/data", "--config", dir + "/bad.yaml"])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("bad.yaml:5"), "\(r.stderr)")
        #expect(r.stderr.contains("unknown key colour"))
        #expect(throws: PipelineConfig.Error.self) { _ = try PipelineConfig.parse("pipelines:\n  - name: a\n    target: t\n") }
        #expect(throws: PipelineConfig.Error.self) {
            _ = try PipelineConfig.parse("pipelines:\n  - name: a\n    target: t\n    source: {path: x}\n    mode: upsert\n")
        }
        let example = try PipelineConfig.load(path: TestScratch.repositoryRoot + "/schemas/pipelines.example.yaml")
        #expect(example.map(\.name) == ["sales_daily", "customers", "orders", "refunds"])
        #expect(example[2].csv?.quote == nil && example[2].dedupKey == ["order_id"] && example[2].maxErrors == 100)
        #expect(example[3].postgres?.url == "postgresql://etl@warehouse.internal:5432/silver")
    }
}
