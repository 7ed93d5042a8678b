// Runs every SQL-file test (Tests/sql/**/*.test) a second time, over the PostgreSQL wire
// protocol: libpq against an in-process server (SQLLogicWireBackend), one parameterized test
// case per file. File discovery, seeds and environment switches are shared with the embedded
// run (SQLLogicTestSuite); see docs/testing.md.
//
//   swift test --filter SQLLogicWireTests
//   AURUM_SLT_FILTER=aggregate/ swift test --filter SQLLogicWireTests
//   AURUM_SLOW_TESTS=1 / AURUM_SLT_SEED=1234 / AURUM_SLT_KEEP=1   as for SQLLogicTests
//
// A file that cannot run over the wire for a principled reason says so with a comment line
// `# wire: skip <reason>` (it then shows as a cancelled test case). Completion mode
// (AURUM_SLT_COMPLETE) rewrites files from the embedded run only.

import AurumTestSupport
import AurumWire
import Dispatch
import Foundation
import Testing

@Suite("SQL logic tests over the wire")
struct SQLLogicWireTests {
    /// Features `require` accepts over the wire: `embedded` is not one of them.
    static let features = SQLLogicRunner.defaultFeatures.subtracting(["embedded"]).union(["wire"])

    /// Files running at once (each has its own engine, server and connection); one, so the wire
    /// run adds little load to the rest of the suite on small machines.
    static let slots = DispatchSemaphore(value: 1)

    @Test("SQL file over the wire", arguments: SQLLogicTestSuite.allFiles)
    func sqlFile(_ file: String) async throws {
        let outcome = await Self.onThread {
            Self.slots.wait()
            defer { Self.slots.signal() }
            return SQLLogicTestSuite.run(
                file: file, root: SQLLogicTestSuite.root, dataDirectory: SQLLogicTestSuite.dataDirectory,
                label: "wire", features: Self.features, complete: false
            ) { dir, options in
                try SQLLogicWireBackend(directory: dir, options: options)
            }
        }
        let path = (SQLLogicTestSuite.root as NSString).appendingPathComponent(file)
        for f in outcome.failures {
            let seed = SQLLogicTestSuite.seed
            Issue.record(
                Comment(rawValue: "[wire] " + f.description + "\n  (seed \(seed); rerun with AURUM_SLT_SEED=\(seed) AURUM_SLT_FILTER=\(file) swift test --filter SQLLogicWireTests)"),
                sourceLocation: SourceLocation(fileID: "sql/\(file)", filePath: path, line: max(f.line, 1), column: 1))
        }
        if let reason = outcome.skipReason, outcome.failures.isEmpty {
            try Test.cancel("skipped: \(reason)")
        }
    }

    @Test("the wire run sees the same files as the embedded run", .enabled(if: (SQLLogicTestSuite.env("AURUM_SLT_FILTER") ?? "").isEmpty))
    func discovered() {
        #expect(SQLLogicTestSuite.allFiles.count >= 20, "found \(SQLLogicTestSuite.allFiles.count) files under \(SQLLogicTestSuite.root)")
    }

    // MARK: the backend itself

    /// One inline script through both backends: multi-statement strings (simple Query), single
    /// statements (extended protocol), NULL/bool/float4/timestamp(3) values, an error's
    /// SQLSTATE, `restart`; the last record is wrong on purpose, so each run must report exactly
    /// that one failure.
    @Test func sameOutcomeAsEmbedded() async throws {
        let script = try SQLLogicScript(path: "inline.test", text: """
            statement ok
            CREATE TABLE w (a Int32, b Nullable(String), f Float32, ok Bool, ts DateTime64(3)) ENGINE = MergeTree ORDER BY a

            statement ok
            INSERT INTO w VALUES (1, 'x', 0.1, true, '2024-01-02 03:04:05.5'); INSERT INTO w VALUES (2, NULL, 1234567, false, '2024-01-02 03:04:05')

            query ITRBD
            SELECT a, b, f, ok, ts FROM w ORDER BY a
            ----
            1	x	0.10000000149011612	true	2024-01-02 03:04:05.500
            2	NULL	1234567	false	2024-01-02 03:04:05.000

            statement error 42P01
            SELECT * FROM missing

            statement error 42601
            SELECT 1; SELEC 2

            restart

            query IR
            SELECT count(*), sum(f) > 1234567 FROM w
            ----
            2	true

            query I
            SELECT 1
            ----
            2

            """)
        for wire in [false, true] {
            let run: (SQLLogicOutcome?, String) = await Self.onThread {
                let base = NSTemporaryDirectory() + "aurum-wire-inline-\(UInt64.random(in: 0...UInt64.max))"
                defer { try? FileManager.default.removeItem(atPath: base) }
                do {
                    let backend: any SQLLogicBackend = wire
                        ? try SQLLogicWireBackend(directory: base, options: .init(threads: 2, fsync: false))
                        : try AurumEmbeddedBackend(directory: base, options: .init(threads: 2, fsync: false))
                    defer { backend.close() }
                    return (SQLLogicRunner(script: script, backend: backend).run(), "")
                } catch {
                    return (nil, "cannot open: \(error)")
                }
            }
            let outcome = try #require(run.0, Comment(rawValue: run.1))
            let label = wire ? "wire" : "embedded"
            #expect(outcome.failures.count == 1, "\(label): \(outcome.failures.map { $0.description }.joined(separator: "\n"))")
            #expect(outcome.failures.first?.line == 26, "\(label)")
            #expect(outcome.failures.first?.actual == "1", "\(label)")
            #expect(outcome.recordsRun == 7, "\(label)")
        }
    }

    @Test func valuesConvertedByOID() {
        let f = SQLLogicWireBackend.embeddedText
        #expect(f("t", PGTypes.boolOID, -1) == "true")
        #expect(f("f", PGTypes.boolOID, -1) == "false")
        #expect(f("1.234567e+06", PGTypes.float4OID, -1) == "1234567")
        #expect(f("0.1", PGTypes.float4OID, -1) == "0.10000000149011612")
        #expect(f("1e+100", PGTypes.float8OID, -1) == "1e+100")
        #expect(f("100000", PGTypes.float8OID, -1) == "100000")
        #expect(f("-Infinity", PGTypes.float8OID, -1) == "-Infinity")
        #expect(f("NaN", PGTypes.float4OID, -1) == "NaN")
        #expect(f("2024-01-02 03:04:05.5", PGTypes.timestampOID, 3) == "2024-01-02 03:04:05.500")
        #expect(f("2024-01-02 03:04:05", PGTypes.timestampOID, 6) == "2024-01-02 03:04:05.000000")
        #expect(f("0044-03-15 12:00:00.25 BC", PGTypes.timestampOID, 3) == "0044-03-15 12:00:00.250 BC")
        #expect(f("2024-01-02 03:04:05", PGTypes.timestampOID, 0) == "2024-01-02 03:04:05")
        #expect(f("2024-01-02 03:04:05", PGTypes.timestampOID, -1) == "2024-01-02 03:04:05")
        #expect(f("1.50", PGTypes.numericOID, 1_179_654) == "1.50")
        #expect(f("t", PGTypes.textOID, -1) == "t")
    }

    @Test func skipDirective() throws {
        let skipped = try SQLLogicScript(path: "a.test", text: "# wire: skip uses an embedded-only API\n\nquery I\nSELECT 1\n----\n1\n")
        #expect(SQLLogicTestSuite.skipDirective("wire", in: skipped) == "uses an embedded-only API")
        #expect(SQLLogicTestSuite.skipDirective("slt", in: skipped) == nil)
        let plain = try SQLLogicScript(path: "b.test", text: "# wire: this file is fine\nquery I\nSELECT 1\n----\n1\n")
        #expect(SQLLogicTestSuite.skipDirective("wire", in: plain) == nil)
    }

    /// Runs `body` on a new thread (not a Swift concurrency thread: the wire backend blocks
    /// while tasks start and stop the server) and returns its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            let t = Thread { c.resume(returning: body()) }
            t.stackSize = 16 << 20  // the parser and binder recurse on deep expressions
            t.start()
        }
    }
}
