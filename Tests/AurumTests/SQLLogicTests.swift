// Runs every SQL-file test (Tests/sql/**/*.test) through the embedded API, one parameterized
// test case per file so a failure names the file. See docs/testing.md.
//
//   swift test --filter SQLLogicTests                       all files
//   AURUM_SLT_FILTER=aggregate/ swift test --filter SQLLogicTests
//   AURUM_SLT_COMPLETE=1 swift test --filter SQLLogicTests  rewrite expected results, then git diff
//   AURUM_SLOW_TESTS=1 ...                                  include *.test_slow
//   AURUM_SLT_SEED=1234 ...                                 reproduce a run's randomised options

import AurumTestSupport
import Foundation
import Testing

enum SQLFiles {
    /// Tests/sql (shared with the wire run, Tests/AurumWireTests/SQLLogicWireTests.swift).
    static let root = SQLLogicTestSuite.root
    static let data = SQLLogicTestSuite.dataDirectory
    static let all = SQLLogicTestSuite.allFiles
}

@Suite("SQL logic tests")
struct SQLLogicTests {
    @Test("SQL file", arguments: SQLFiles.all)
    func sqlFile(_ file: String) throws {
        let outcome = SQLLogicTestSuite.run(file: file, root: SQLFiles.root, dataDirectory: SQLFiles.data)
        for f in outcome.failures {
            let path = (SQLFiles.root as NSString).appendingPathComponent(file)
            Issue.record(
                Comment(rawValue: f.description + "\n  (seed \(SQLLogicTestSuite.seed); rerun with AURUM_SLT_SEED=\(SQLLogicTestSuite.seed) AURUM_SLT_FILTER=\(file))"),
                sourceLocation: SourceLocation(fileID: "sql/\(file)", filePath: path, line: max(f.line, 1), column: 1))
        }
        if let reason = outcome.skipReason, outcome.failures.isEmpty {
            try Test.cancel("skipped: \(reason)")
        }
    }

    @Test("the SQL directory has test files", .enabled(if: (SQLLogicTestSuite.env("AURUM_SLT_FILTER") ?? "").isEmpty))
    func discovered() {
        #expect(SQLFiles.all.count >= 20, "found \(SQLFiles.all.count) files under \(SQLFiles.root)")
    }
}
