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
import Dispatch
import Foundation
import Testing

@Suite("SQL logic tests over the wire")
struct SQLLogicWireTests {
    /// Features `require` accepts over the wire: `embedded` is not one of them.
    static let features = SQLLogicRunner.defaultFeatures.subtracting(["embedded"]).union(["wire"])

    /// Files running at once (each has its own engine, server and connection).
    static let slots = DispatchSemaphore(value: 2)

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
