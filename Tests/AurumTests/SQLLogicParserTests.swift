// Unit tests for the SQL-file test runner itself: the parser and the comparison logic, with a
// fake backend (no engine involved).

import AurumTestSupport
import Foundation
import Testing

/// Answers from a fixed table: SQL text -> result or error. Records what it was asked.
final class FakeBackend: SQLLogicBackend {
    var answers: [String: Result<SQLLogicResult, SQLLogicBackendError>]
    var executed: [String] = []
    var restarts = 0
    init(_ answers: [String: Result<SQLLogicResult, SQLLogicBackendError>]) { self.answers = answers }
    func execute(_ sql: String) throws -> SQLLogicResult {
        executed.append(sql)
        guard let a = answers[sql] else { return SQLLogicResult(typeLetters: "", rows: []) }
        return try a.get()
    }
    func restart() throws { restarts += 1 }
    func close() {}
}

private func rows(_ letters: String, _ r: [[String?]]) -> Result<SQLLogicResult, SQLLogicBackendError> {
    .success(SQLLogicResult(typeLetters: letters, rows: r))
}
private func err(_ state: String, _ msg: String) -> Result<SQLLogicResult, SQLLogicBackendError> {
    .failure(SQLLogicBackendError(sqlState: state, message: msg))
}

@Suite("sqllogictest parser")
struct SQLLogicParserTests {
    @Test func parsesAllRecordKinds() throws {
        let text = """
        # name: x.test
        # group: [x]

        statement ok
        CREATE TABLE t (a Int32)
        ENGINE = MergeTree ORDER BY a

        statement error 42P01
        SELECT * FROM missing
        ----
        missing

        statement error
        SELEC 1

        # NOTE: a comment right above a record
        query IT rowsort
        SELECT a, b
        FROM t
        ----
        1\tx
        2\tNULL

        query I
        SELECT 1 WHERE false

        restart

        require embedded

        mode skip

        statement ok
        not run

        mode unskip

        loop i 0 3
        statement ok
        INSERT INTO t VALUES (${i})

        endloop

        foreach tbl a b
        query I
        SELECT count(*) FROM ${tbl}
        ----
        0
        endloop

        halt
        """
        let s = try SQLLogicScript(path: "x.test", text: text)
        #expect(s.records.count == 13)
        guard case .statement(let create) = s.records[0] else { Issue.record("not a statement"); return }
        #expect(create.line == 4)
        #expect(create.sql == "CREATE TABLE t (a Int32)\nENGINE = MergeTree ORDER BY a")
        #expect(create.expectedError == nil)
        guard case .statement(let e1) = s.records[1] else { Issue.record("not a statement"); return }
        #expect(e1.expectedError == .init(sqlState: "42P01", messageSubstring: "missing"))
        guard case .statement(let e2) = s.records[2] else { Issue.record("not a statement"); return }
        #expect(e2.expectedError == .init(sqlState: nil, messageSubstring: nil))
        guard case .query(let q) = s.records[3] else { Issue.record("not a query"); return }
        #expect(q.line == 17 && q.types == "IT" && q.sortMode == .rowSort)
        #expect(q.sql == "SELECT a, b\nFROM t")
        #expect(q.expected == [["1", "x"], ["2", "NULL"]])
        #expect(q.resultLines == 20..<22)
        guard case .query(let q2) = s.records[4] else { Issue.record("not a query"); return }
        #expect(!q2.hasResultSection && q2.expected.isEmpty)
        #expect(s.records[5] == .restart(line: 27))
        #expect(s.records[6] == .require(feature: "embedded", line: 29))
        #expect(s.records[7] == .skipMode(true, line: 31))
        #expect(s.records[9] == .skipMode(false, line: 36))
        guard case .loop(let v, let values, let body, _) = s.records[10] else { Issue.record("not a loop"); return }
        #expect(v == "i" && values == ["0", "1", "2"] && body.count == 1)
        guard case .loop(let v2, let values2, let body2, _) = s.records[11] else { Issue.record("not a foreach"); return }
        #expect(v2 == "tbl" && values2 == ["a", "b"] && body2.count == 1)
    }

    @Test(arguments: [
        ("statement maybe\nSELECT 1\n", 1),
        ("statement error 4201\nSELECT 1\n", 1),
        ("query IX\nSELECT 1\n", 1),
        ("query I sometimes\nSELECT 1\n", 1),
        ("query II\nSELECT 1, 2\n----\n1 2\n", 4),  // spaces are not column separators
        ("loop i 0 2\nstatement ok\nSELECT 1\n", 1),
        ("endloop\n", 1),
        ("statement ok\nSELECT 1\n----\n1\n", 3),
        ("frobnicate\n", 1),
    ])
    func rejectsMalformedScripts(text: String, line: Int) {
        #expect {
            _ = try SQLLogicScript(path: "bad.test", text: text)
        } throws: { error in
            (error as? SQLLogicParseError)?.line == line
        }
    }

    /// Every file under Tests/sql parses (catches format mistakes without running the engine).
    @Test func everySQLFileParses() throws {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql").path
        let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".test") || $0.hasSuffix(".test_slow") }
        #expect(files.count >= 20, "found \(files.count) files under \(root)")
        for f in files.sorted() {
            let path = (root as NSString).appendingPathComponent(f)
            #expect(throws: Never.self, "\(f)") { _ = try SQLLogicScript.load(path: path) }
        }
    }

    @Test func formatsValues() {
        #expect(SQLLogicRunner.format(nil) == "NULL")
        #expect(SQLLogicRunner.format("") == "(empty)")
        #expect(SQLLogicRunner.format("a b") == "a b")
        #expect(SQLLogicRunner.format("a\tb\nc\\") == "a\\tb\\nc\\\\")
    }

    @Test func substitutesVariables() throws {
        #expect(try SQLLogicRunner.substitute("x${i}y${DATA}", ["i": "3", "DATA": "/d"]) == "x3y/d")
        #expect(throws: SQLLogicRunner.SubstitutionError.self) { try SQLLogicRunner.substitute("${nope}", [:]) }
    }
}

@Suite("sqllogictest runner")
struct SQLLogicRunnerTests {
    func run(_ text: String, _ backend: FakeBackend, complete: Bool = false, features: Set<String> = ["embedded"]) throws -> SQLLogicOutcome {
        let s = try SQLLogicScript(path: "t.test", text: text)
        let config = SQLLogicRunner.Configuration(features: features, variables: ["DATA": "/data"], complete: complete)
        return SQLLogicRunner(script: s, backend: backend, configuration: config).run()
    }

    @Test func sortModes() throws {
        let b = FakeBackend(["Q": rows("IT", [["2", "b"], ["1", nil], ["3", ""]])])
        let ok = """
        query IT rowsort
        Q
        ----
        1\tNULL
        2\tb
        3\t(empty)

        query IT
        Q
        ----
        2\tb
        1\tNULL
        3\t(empty)

        query IT valuesort
        Q
        ----
        (empty)\t1
        2\t3
        NULL\tb
        """
        #expect(try run(ok, b).failures.isEmpty)
        let bad = """
        query IT
        Q
        ----
        1\tNULL
        2\tb
        3\t(empty)
        """
        let o = try run(bad, b)
        #expect(o.failures.count == 1)
        #expect(o.failures.first?.line == 1)
        #expect(o.failures.first?.description.contains("t.test:1") == true)
    }

    @Test func columnCountMustMatch() throws {
        let b = FakeBackend(["Q": rows("II", [["1", "2"]])])
        #expect(try run("query I\nQ\n----\n1\n", b).failures.count == 1)
    }

    @Test func statementErrors() throws {
        let b = FakeBackend([
            "BAD": err("42P01", "table missing does not exist"),
            "GOOD": rows("", []),
        ])
        #expect(try run("statement error 42P01\nBAD\n----\ndoes not exist\n", b).failures.isEmpty)
        #expect(try run("statement error\nBAD\n", b).failures.isEmpty)
        #expect(try run("statement error 42703\nBAD\n", b).failures.count == 1)
        #expect(try run("statement error 42P01\nBAD\n----\nsomething else\n", b).failures.count == 1)
        #expect(try run("statement error\nGOOD\n", b).failures.count == 1)
        #expect(try run("statement ok\nBAD\n", b).failures.count == 1)
        #expect(try run("query I\nBAD\n----\n1\n", b).failures.count == 1)
    }

    @Test func loopsRestartSkipAndRequire() throws {
        let b = FakeBackend([:])
        let text = """
        loop i 0 3
        statement ok
        INSERT ${i}
        endloop

        restart

        mode skip

        statement ok
        SKIPPED

        mode unskip

        foreach f x y
        statement ok
        LOAD ${DATA}/${f}.csv
        endloop

        require something_else

        statement ok
        AFTER REQUIRE
        """
        let o = try run(text, b)
        #expect(o.failures.isEmpty)
        #expect(b.executed == ["INSERT 0", "INSERT 1", "INSERT 2", "LOAD /data/x.csv", "LOAD /data/y.csv"])
        #expect(b.restarts == 1)
        #expect(o.skipReason?.contains("something_else") == true)
        #expect(o.recordsRun == 5)
    }

    @Test func unknownVariableIsAFailure() throws {
        let o = try run("statement ok\nSELECT ${x}\n", FakeBackend([:]))
        #expect(o.failures.count == 1)
    }

    @Test func completionRewritesExpectedResults() throws {
        let b = FakeBackend([
            "A": rows("I", [["1"], ["2"]]),
            "B": rows("IT", [["9", "z"]]),
            "C": rows("I", []),
        ])
        let text = """
        # header

        query I
        A
        ----
        7

        query I rowsort
        B

        query I
        C
        ----
        5
        6

        statement ok
        D
        """
        let o = try run(text, b, complete: true)
        #expect(o.failures.isEmpty)
        let want = """
        # header

        query I
        A
        ----
        1
        2

        query IT rowsort
        B
        ----
        9\tz

        query I
        C
        ----

        statement ok
        D

        """
        #expect(o.completedText == want)
        // Completing an up-to-date file changes nothing.
        #expect(try run(want, b, complete: true).completedText == nil)
    }
}
