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

// The progress bar of `aurum load`, on a real pseudo-terminal: the built `aurum` binary runs
// under a pty (python3's pty module; an 80-column window) loading a CSV big enough for several
// redraws; without a terminal only the summary line appears.
extension LoadCLITests {
    /// Runs argv under a new pty of 80x24 with stdin, stdout and stderr on it; writes what the
    /// terminal received to OUT; exits with the child's status.
    static let ptyRunner = """
        import fcntl, os, pty, struct, subprocess, sys, termios
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        child = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        seen = bytearray()
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            seen += chunk
        status = child.wait()
        open(sys.argv[1], "wb").write(bytes(seen))
        sys.exit(status if status >= 0 else 128 - status)
        """

    /// id,qty rows 1...n (sum of id = n(n+1)/2), written by python3 (fast enough for millions).
    static func bigCSV(_ path: String, rows n: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import sys
            n = int(sys.argv[2])
            with open(sys.argv[1], "w") as f:
                f.write("id,qty\\n")
                for start in range(1, n + 1, 100000):
                    f.write("".join("%d,%d\\n" % (i, i % 7) for i in range(start, min(n, start + 99999) + 1)))
            """, path, String(n)]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CLIError("python3 could not write \(path) (python3 is needed by this test)") }
    }

    struct CLIError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static var summaryPattern: Regex<(Substring, Substring, Substring, Substring)> { /loaded (\d+) rows into default\.(\w+) \(([\d.]+) MB read\) in [\d.]+ s, \d+ rows\/s, 0 rejected/ }
    static var barPattern: Regex<(Substring, Substring, Substring, Substring, Substring, Substring, Substring, Substring)> { /\[([#.]{5,28})\] +(\d{1,3})% ([\d.]+[kM]?) rows, ([\d.]+)\/([\d.]+) MB, ([\d.]+[kM]?) rows\/s, ETA (\d+:\d\d|--:--)/ }

    @Test func progressBarOnARealTerminal() throws {
        let binary = try #require(AurumExecutable.path, AurumExecutable.missingMessage)
        let dir = TestScratch.directory("load-pty")
        defer { TestScratch.remove(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let rows = 5_000_000
        try Self.bigCSV(dir + "/big.csv", rows: rows)
        let csvBytes = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/big.csv")[.size] as? Int)

        // on a terminal: the bar on stderr, redrawn in place, then erased before the summary
        let screen = dir + "/screen"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", Self.ptyRunner, screen, binary, "load", "--data", dir + "/data", "--table", "t", "--create", dir + "/big.csv"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let seen = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: screen))) ?? Data(), as: UTF8.self)
        let redraw = "\r\u{1B}[K"
        let segments = seen.components(separatedBy: redraw)
        // segment 0 precedes the first draw; the last follows the final erase (the summary)
        #expect(segments.first == "", "output before the first bar: \(segments.first ?? "")")
        let bars = Array(segments.dropFirst().dropLast())
        #expect(bars.count >= 2, "at least two redraws expected, the terminal saw: \(seen.debugDescription)")
        var lastPercent = -1
        for bar in bars {
            #expect(bar.count <= 79, "a bar line wider than the 80-column terminal wraps and cannot be redrawn: \(bar)")
            #expect(!bar.contains("\n"), "\(bar.debugDescription)")
            guard let m = bar.wholeMatch(of: Self.barPattern) else {
                Issue.record("not a progress bar line: \(bar.debugDescription)"); continue
            }
            let percent = Int(m.output.2) ?? -1
            #expect(percent >= lastPercent, "percent went back: \(bar)")
            lastPercent = percent
            // the bar graphic agrees with the percent (within one cell)
            let filled = m.output.1.filter { $0 == "#" }.count, width = m.output.1.count
            #expect(abs(Double(filled) / Double(width) * 100 - Double(percent)) <= 100 / Double(width) + 1, "\(bar)")
            // MB of the total: the file's size
            #expect(m.output.5 == String(format: "%.1f", Double(csvBytes) / 1e6), "\(bar)")
        }
        #expect(lastPercent == 100, "the last draw shows the whole input read")
        #expect(bars.contains { $0.wholeMatch(of: Self.barPattern).map { Int($0.output.2) ?? 100 } ?? 100 < 100 },
                "an intermediate state was drawn")
        // the summary (stdout on the same terminal, which turns \n into \r\n) stands alone
        let summary = segments.last ?? ""
        #expect(summary.hasSuffix("\r\n"))
        let m = summary.trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: Self.summaryPattern)
        #expect(m?.output.1 == "\(rows)" && m?.output.2 == "t", "\(summary.debugDescription)")
        #expect(Self.query(dir, "SELECT count(*), sum(id) FROM t") == "count,sum\n\(rows),\(rows * (rows + 1) / 2)")

        // without a terminal (pipes): no bar characters, exactly the summary line on stdout
        let q = Process()
        q.executableURL = URL(fileURLWithPath: binary)
        q.arguments = ["load", "--data", dir + "/data", "--table", "t2", "--create", dir + "/big.csv"]
        let out = Pipe(), err = Pipe()
        q.standardOutput = out
        q.standardError = err
        q.standardInput = FileHandle.nullDevice
        try q.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        q.waitUntilExit()
        #expect(q.terminationStatus == 0)
        #expect(stderr == "", "\(stderr.debugDescription)")
        #expect(!stdout.contains("\r") && !stdout.contains("\u{1B}") && !stdout.contains("#"), "\(stdout.debugDescription)")
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1] == "", "\(stdout.debugDescription)")
        let plain = lines.first.map(String.init)?.wholeMatch(of: Self.summaryPattern)
        #expect(plain?.output.1 == "\(rows)" && plain?.output.2 == "t2", "\(stdout.debugDescription)")
    }
}
