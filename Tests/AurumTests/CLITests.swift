// Tests of the `aurum` command line (Sources/AurumCLI): output formats, statement scripts,
// standard input, errors and exit codes, run in-process through `CLI.run`, plus one run of
// the built executable.

import Aurum
@testable import AurumCLI
import Foundation
import Testing

/// Temporary data directories for the tests in this module's CLI, embedded-API, restart and
/// crash-safety suites; each call returns a fresh, empty path under the system temp directory.
enum TestScratch {
    static func directory(_ label: String) -> String {
        let base = FileManager.default.temporaryDirectory.path
        let path = "\(base)/aurum-\(label)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The repository root (this file is Tests/AurumTests/CLITests.swift).
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// A result made by hand, to test the formatters without the engine.
struct FakeResult: TabularResult {
    var columnNames: [String]
    var columnTypes: [DataType]
    var rows: [[Value]]
    var rowCount: Int { rows.count }
    func value(row: Int, column: Int) -> Value { rows[row][column] }
}

@Suite("CLI output formatters")
struct ResultFormatterTests {
    let result = FakeResult(
        columnNames: ["id", "name", "price", "note"],
        columnTypes: [.int64, .string, .decimal(10, 2), DataType.string.nullable],
        rows: [
            [.int(1), .string("plain"), .decimal(150, scale: 2), .null],
            [.int(22), .string("comma, \"quoted\""), .decimal(-325, scale: 2), .string("")],
            [.int(3), .string("tab\there"), .decimal(2200, scale: 2), .string("line1\nline2\\")],
        ])

    @Test func csvFollowsRFC4180() {
        #expect(ResultFormatter.render(result, as: .csv) == """
            id,name,price,note
            1,plain,1.50,
            22,"comma, \"\"quoted\"\"",-3.25,""
            3,tab\there,22.00,"line1
            line2\\"

            """)
    }

    @Test func tsvEscapesAndWritesNullAsBackslashN() {
        #expect(ResultFormatter.render(result, as: .tsv) == """
            id\tname\tprice\tnote
            1\tplain\t1.50\t\\N
            22\tcomma, "quoted"\t-3.25\t
            3\ttab\\there\t22.00\tline1\\nline2\\\\

            """)
    }

    @Test func jsonIsOneArrayOfObjects() {
        #expect(ResultFormatter.render(result, as: .json) == """
            [
            {"id":1,"name":"plain","price":1.50,"note":null},
            {"id":22,"name":"comma, \\"quoted\\"","price":-3.25,"note":""},
            {"id":3,"name":"tab\\there","price":22.00,"note":"line1\\nline2\\\\"}
            ]

            """)
        let data = ResultFormatter.render(result, as: .json).data(using: .utf8)!
        let parsed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        #expect(parsed?.count == 3)
        #expect(parsed?[1]["name"] as? String == "comma, \"quoted\"")
    }

    @Test func jsonValuesOfEveryKind() {
        let r = FakeResult(
            columnNames: ["b", "f", "nan", "d", "u", "s"],
            columnTypes: [.bool, .float64, .float64, .date, .uuid, .string],
            rows: [[.bool(true), .float(0.5), .float(.nan), .date(0), .uuid(1), .string("\u{01}é")]])
        #expect(ResultFormatter.render(r, as: .json) == """
            [
            {"b":true,"f":0.5,"nan":null,"d":"1970-01-01","u":"00000000-0000-0000-0000-000000000001","s":"\\u0001é"}
            ]

            """)
        #expect(ResultFormatter.render(FakeResult(columnNames: ["x"], columnTypes: [.int64], rows: []), as: .json) == "[]\n")
    }

    @Test func tableAlignsNumbersRightAndCountsRows() {
        #expect(ResultFormatter.render(result, as: .table) == """
            ┌────┬─────────────────┬───────┬───────────────┐
            │ id │ name            │ price │ note          │
            ├────┼─────────────────┼───────┼───────────────┤
            │  1 │ plain           │  1.50 │ NULL          │
            │ 22 │ comma, "quoted" │ -3.25 │               │
            │  3 │ tab\\there       │ 22.00 │ line1\\nline2\\ │
            └────┴─────────────────┴───────┴───────────────┘
            (3 rows)

            """)
        let one = FakeResult(columnNames: ["n"], columnTypes: [.int64], rows: [[.int(7)]])
        #expect(ResultFormatter.render(one, as: .table).hasSuffix("(1 row)\n"))
    }

    @Test func caretPointsAtThePositionOnItsLine() {
        let sql = "SELECT a,\n       b FORM t"
        // "FORM" starts at scalar 20 (1-based).
        #expect(ErrorReport.caretContext(sql, position: 20) == "LINE 2:        b FORM t\n                 ^\n")
        // One past the end: an unexpected end of input.
        #expect(ErrorReport.caretContext("SELECT (", position: 9) == "LINE 1: SELECT (\n                ^\n")
        #expect(ErrorReport.caretContext("SELECT", position: 99) == nil)
        let long = String(repeating: "x", count: 200) + " FORM t"
        let context = ErrorReport.caretContext(long, position: 202)!
        let lines = context.split(separator: "\n")
        #expect(lines[0].hasPrefix("LINE 1: ..."))
        let caret = Array(lines[1]).firstIndex(of: "^")!
        #expect(Array(lines[0])[caret] == "F")
    }
}

@Suite("aurum query")
struct CLITests {
    /// Creates a small table in a fresh data directory; returns the directory.
    func prepared() throws -> String {
        let dir = TestScratch.directory("cli")
        let r = CLI.run(arguments: ["query", "--data", dir, """
            CREATE TABLE t (id Int64, name String, price Decimal(10, 2), note Nullable(String))
            ENGINE = MergeTree ORDER BY id;
            INSERT INTO t VALUES (1, 'plain', 1.50, NULL), (22, 'comma, "quoted"', -3.25, ''),
                                 (3, E'tab\\there', 22.00, E'line1\\nline2');
            """])
        try #require(r.exitCode == 0, "setup failed: \(r.stderr)")
        #expect(r.stdout == "")  // no result has columns
        return dir
    }

    let select = "SELECT id, name, price, note FROM t ORDER BY id"

    @Test func csvFormat() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir, "--format", "csv", select])
        #expect(r.exitCode == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == """
            id,name,price,note
            1,plain,1.50,
            3,tab\there,22.00,"line1
            line2"
            22,"comma, \"\"quoted\"\"",-3.25,""

            """)
    }

    @Test func tsvFormatIsTheDefaultWhenNotATerminal() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let expected = """
            id\tname\tprice\tnote
            1\tplain\t1.50\t\\N
            3\ttab\\there\t22.00\tline1\\nline2
            22\tcomma, "quoted"\t-3.25\t

            """
        #expect(CLI.run(arguments: ["query", "--data", dir, "--format", "tsv", select]).stdout == expected)
        #expect(CLI.run(arguments: ["query", "--data", dir, select]).stdout == expected)
    }

    @Test func jsonFormat() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir, "-f", "json", select + " LIMIT 2"])
        #expect(r.exitCode == 0)
        #expect(r.stdout == """
            [
            {"id":1,"name":"plain","price":1.50,"note":null},
            {"id":3,"name":"tab\\there","price":22.00,"note":"line1\\nline2"}
            ]

            """)
    }

    @Test func tableFormatIsTheDefaultOnATerminal() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let sql = "SELECT id, name FROM t WHERE id < 10 ORDER BY id"
        let expected = """
            ┌────┬───────────┐
            │ id │ name      │
            ├────┼───────────┤
            │  1 │ plain     │
            │  3 │ tab\\there │
            └────┴───────────┘
            (2 rows)

            """
        #expect(CLI.run(arguments: ["query", "--data", dir, "--format", "table", sql]).stdout == expected)
        #expect(CLI.run(arguments: ["query", "--data", dir, sql], stdoutIsTerminal: true).stdout == expected)
    }

    @Test func severalStatementsPrintEachResultWithColumns() throws {
        let dir = TestScratch.directory("cli-multi")
        defer { TestScratch.remove(dir) }
        let script = """
            CREATE TABLE m (k Int32) ENGINE = MergeTree ORDER BY k;
            INSERT INTO m VALUES (1), (2), (3);
            SELECT count(*) AS n FROM m;
            INSERT INTO m VALUES (4);
            SELECT sum(k) AS total FROM m
            """
        let csv = CLI.run(arguments: ["query", "--data", dir, "--format", "csv", script])
        #expect(csv.exitCode == 0, "\(csv.stderr)")
        #expect(csv.stdout == "n\n3\n\ntotal\n10\n")

        let table = CLI.run(arguments: ["query", "--data", dir, "--format", "table",
                                        "INSERT INTO m VALUES (5); SELECT max(k) AS top FROM m; DROP TABLE m"])
        #expect(table.stdout == """
            INSERT 0 1

            ┌─────┐
            │ top │
            ├─────┤
            │   5 │
            └─────┘
            (1 row)

            DROP TABLE

            """)
    }

    @Test func readsSQLFromStandardInput() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir, "--format", "csv"],
                        stdin: "SELECT count(*) AS n FROM t;\nSELECT max(id) AS m FROM t;\n")
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "n\n3\n\nm\n22\n")
        // Empty input runs nothing and succeeds.
        #expect(CLI.run(arguments: ["query", "--data", dir], stdin: "  \n") == CLIResult(exitCode: 0, stdout: "", stderr: ""))
    }

    @Test func dataPersistsBetweenInvocations() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        #expect(CLI.run(arguments: ["query", "--data", dir, "INSERT INTO t (id, name, price) VALUES (4, 'four', 4)"]).exitCode == 0)
        #expect(CLI.run(arguments: ["query", "--data", dir, "-f", "csv", "SELECT count(*) AS n FROM t"]).stdout == "n\n4\n")
    }

    @Test func unknownTableExitsWithStatusOneAndSQLState() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir, "SELECT * FROM missing_table"])
        #expect(r.exitCode == 1)
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("ERROR 42P01: "), "\(r.stderr)")
    }

    @Test func syntaxErrorShowsTheLineAndACaret() throws {
        let dir = TestScratch.directory("cli-syntax")
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir], stdin: "SELECT 1;\nSELECT 2 FORM x")
        #expect(r.exitCode == 1)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("ERROR 42601: ") == true, "\(r.stderr)")
        #expect(lines.count >= 3)
        if lines.count >= 3 {
            #expect(lines[1] == "LINE 2: SELECT 2 FORM x")
            let caret = Array(lines[2]).firstIndex(of: "^")
            #expect(caret.map { Array(lines[1])[$0] } == "x", "\(r.stderr)")
        }
        // The whole script is parsed first: the valid first statement printed nothing.
        #expect(r.stdout == "")
    }

    @Test func unknownColumnReportsItsCode() throws {
        let dir = try prepared()
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["query", "--data", dir, "SELECT nope FROM t"])
        #expect(r.exitCode == 1)
        #expect(r.stderr.hasPrefix("ERROR 42703: "), "\(r.stderr)")
    }

    @Test func badArgumentsExitWithUsageStatus() {
        let r = CLI.run(arguments: ["query", "--format", "xml", "SELECT 1"])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("xml"))
        let help = CLI.run(arguments: ["query", "--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("--format"))
        #expect(!CLI.run(arguments: ["--help"]).stdout.contains("insert-loop"))  // hidden test aid
    }

    @Test func demoPrintSQLSubstitutesTheScale() {
        let r = CLI.run(arguments: ["demo", "--schemas", TestScratch.repositoryRoot + "/schemas", "--scale", "3", "--print-sql"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("{scale}"))
        #expect(r.stdout.contains("numbers(731 * 200 * 3)"))
        for table in ["sales_daily", "stock_prices", "web_events"] {
            #expect(r.stdout.contains("CREATE TABLE \(table)"))
        }
        #expect(r.stdout.components(separatedBy: "-- name: ").count - 1 >= 4)
        #expect(CLI.run(arguments: ["demo", "--scale", "0"]).exitCode == 64)
    }

    @Test func demoBuildsTheTablesAndRunsTheQueries() throws {
        let dir = TestScratch.directory("cli-demo")
        defer { TestScratch.remove(dir) }
        let r = CLI.run(arguments: ["demo", "--data", dir, "--schemas", TestScratch.repositoryRoot + "/schemas"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.contains("146,200 rows"))
        #expect(r.stdout.contains("195,000 rows"))
        #expect(r.stdout.contains("200,000 rows"))
        #expect(!r.stdout.contains("(0 rows)"))

        // Deterministic: the data is a pure function of the row number, so these totals
        // never change (update them only together with a deliberate change to schemas/).
        let totals = CLI.run(arguments: ["query", "--data", dir, "-f", "csv", """
            SELECT count(*) AS n, sum(units) AS u, sum(revenue) AS r, sum(cost) AS c FROM sales_daily;
            SELECT count(*) AS n, min(low) AS lo, max(high) AS hi, sum(volume) AS v FROM stock_prices;
            SELECT count(*) AS n, count(duration_ms) AS timed, uniqExact(session_id) AS sessions,
                   uniqExact(user_id) AS users, sum(duration_ms) AS total_ms FROM web_events
            """])
        #expect(totals.exitCode == 0, "\(totals.stderr)")
        #expect(totals.stdout == """
            n,u,r,c
            146200,2283720,520946157.45,363732308.32

            n,lo,hi,v
            195000,19.9365,391.7193,7807050000

            n,timed,sessions,users,total_ms
            200000,170625,25000,9000,3842561552

            """)
    }

    @Test func builtExecutableRunsAQuery() throws {
        let binary = try #require(AurumExecutable.path, AurumExecutable.missingMessage)
        let dir = TestScratch.directory("cli-exe")
        defer { TestScratch.remove(dir) }
        let ok = try AurumExecutable.run(binary, ["query", "--data", dir, "--format", "csv"],
                                         stdin: "CREATE TABLE x (a Int32) ENGINE = MergeTree ORDER BY a; INSERT INTO x VALUES (41), (1); SELECT sum(a) AS s FROM x")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "s\n42\n")
        let bad = try AurumExecutable.run(binary, ["query", "--data", dir, "SELECT * FROM nope"])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("ERROR 42P01: "))
    }
}

@Suite("aurum bench query file")
struct BenchQueryFileTests {
    @Test func blocksStartOnlyAtLinesBeginningWithName() {
        // The shared benchmark file's header mentions `"-- name: X"` inside a comment line;
        // that must not become a query.
        let text = """
        -- File format:
        --   "-- name: X"        starts a query block
        -- name: Q1
        -- features: scalar
        SELECT 1;

        -- name: Q2
        -- dialect: postgres
        SELECT 2;

        -- name: Q3
        SELECT 3
        FROM t;
        """
        let blocks = BenchCommand.parseBlocks(text)
        #expect(blocks.map(\.name) == ["Q1", "Q3"])
        #expect(blocks.map(\.sql) == ["SELECT 1;", "SELECT 3\nFROM t;"])
    }

    static let sharedQueries = TestScratch.repositoryRoot + "/../shared/bench/ssb_queries.sql"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedQueries), "needs ../shared/bench"))
    func sharedBenchmarkFileHasFifteenDefaultQueries() throws {
        let text = try String(contentsOfFile: Self.sharedQueries, encoding: .utf8)
        let names = BenchCommand.parseBlocks(text).map(\.name)
        #expect(names.count == 15)
        #expect(names.first == "Q1.1" && names.last == "TQ6")
    }
}
