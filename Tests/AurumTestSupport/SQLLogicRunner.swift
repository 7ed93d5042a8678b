// SQL-file tests: running a parsed script against a backend.
//
// The runner knows nothing about Aurum: it talks to a `SQLLogicBackend` (the embedded API
// today, the PostgreSQL wire protocol later), which returns results as text. That keeps the
// comparison, sorting, loop and completion logic testable with a fake backend.

import Foundation

/// A result as the runner compares it: per column a type letter, per row the text of each
/// value (`nil` for SQL NULL).
public struct SQLLogicResult: Sendable, Equatable {
    public var typeLetters: String
    public var rows: [[String?]]
    public init(typeLetters: String, rows: [[String?]]) {
        self.typeLetters = typeLetters
        self.rows = rows
    }
}

/// An error reported by the backend: the SQLSTATE and the human-readable message.
public struct SQLLogicBackendError: Error, Sendable, CustomStringConvertible {
    public var sqlState: String
    public var message: String
    public init(sqlState: String, message: String) {
        self.sqlState = sqlState
        self.message = message
    }
    public var description: String { "ERROR \(sqlState): \(message)" }
}

/// What the runner needs from a database. Errors should be `SQLLogicBackendError`; anything
/// else is reported with SQLSTATE `?????`.
public protocol SQLLogicBackend: AnyObject {
    /// Runs one or more `;`-separated statements; returns the last statement's result.
    func execute(_ sql: String) throws -> SQLLogicResult
    /// Closes the database and reopens it on the same data directory.
    func restart() throws
    func close()
}

/// One failed record.
public struct SQLLogicFailure: Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var sql: String?
    public var message: String
    public var expected: String?
    public var actual: String?

    public var description: String {
        var s = "\(path):\(line): \(message)"
        if let sql { s += "\n  SQL:\n" + Self.indent(sql) }
        if let expected { s += "\n  expected:\n" + Self.indent(expected) }
        if let actual { s += "\n  actual:\n" + Self.indent(actual) }
        return s
    }

    static func indent(_ s: String) -> String {
        s.isEmpty ? "    (nothing)" : s.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}

/// The outcome of running one script.
public struct SQLLogicOutcome: Sendable {
    public var failures: [SQLLogicFailure] = []
    /// Set when a `require` skipped (the rest of) the file.
    public var skipReason: String?
    /// Statements and queries executed (loop iterations counted individually).
    public var recordsRun = 0
    /// In completion mode: the rewritten file text (nil when nothing changed).
    public var completedText: String?
}

public final class SQLLogicRunner {
    public struct Configuration: Sendable {
        /// Features `require` accepts; anything else skips the rest of the file.
        public var features: Set<String>
        /// Predefined `${NAME}` variables (e.g. DATA, TMP).
        public var variables: [String: String]
        /// Completion mode: record actual query results instead of failing on mismatches.
        public var complete: Bool
        /// Stop reporting (and running) after this many failures in one file.
        public var maxFailures: Int

        public init(features: Set<String> = SQLLogicRunner.defaultFeatures, variables: [String: String] = [:], complete: Bool = false, maxFailures: Int = 50) {
            self.features = features
            self.variables = variables
            self.complete = complete
            self.maxFailures = maxFailures
        }
    }

    /// Features every Aurum build has. Add a name here when the engine gains an optional
    /// capability that test files should be able to `require`.
    public static let defaultFeatures: Set<String> = ["embedded", "csv", "tsv"]

    let script: SQLLogicScript
    let config: Configuration
    let backend: SQLLogicBackend
    private var outcome = SQLLogicOutcome()
    private var skipping = false
    private var stopped = false
    /// Completion: header line index -> (actual type letters, actual formatted lines).
    private var completions: [Int: (types: String, lines: [String])] = [:]

    public init(script: SQLLogicScript, backend: SQLLogicBackend, configuration: Configuration = .init()) {
        self.script = script
        self.backend = backend
        self.config = configuration
    }

    /// Runs every record; never throws (problems become failures).
    public func run() -> SQLLogicOutcome {
        run(script.records, variables: config.variables, inLoop: false)
        if config.complete { outcome.completedText = completedText() }
        return outcome
    }

    // MARK: records

    private func run(_ records: [SQLLogicRecord], variables: [String: String], inLoop: Bool) {
        for r in records {
            if stopped { return }
            switch r {
            case .skipMode(let on, _):
                skipping = on
            case _ where skipping:
                continue
            case .halt:
                stopped = true
            case .require(let feature, let line):
                if !config.features.contains(feature) {
                    outcome.skipReason = "line \(line): require \(feature) (unknown to this runner)"
                    stopped = true
                }
            case .restart(let line):
                do {
                    try backend.restart()
                } catch {
                    fail(line: line, sql: nil, "restart failed: \(error)")
                    stopped = true  // no database to run the rest against
                }
            case .loop(let name, let values, let body, _):
                for v in values {
                    var vars = variables
                    vars[name] = v
                    run(body, variables: vars, inLoop: true)
                    if stopped { return }
                }
            case .statement(let st):
                runStatement(st, variables: variables)
            case .query(let q):
                runQuery(q, variables: variables, inLoop: inLoop)
            }
        }
    }

    private func runStatement(_ st: SQLLogicStatement, variables: [String: String]) {
        let sql: String
        do { sql = try Self.substitute(st.sql, variables) } catch {
            fail(line: st.line, sql: st.sql, "\(error)"); return
        }
        outcome.recordsRun += 1
        do {
            _ = try backend.execute(sql)
            if let exp = st.expectedError {
                fail(line: st.line, sql: sql, "statement succeeded but an error was expected",
                     expected: "error " + (exp.sqlState ?? "(any SQLSTATE)") + (exp.messageSubstring.map { " containing \"\($0)\"" } ?? ""),
                     actual: "success")
            }
        } catch {
            let (state, message) = Self.describe(error)
            guard let exp = st.expectedError else {
                fail(line: st.line, sql: sql, "statement failed", expected: "success", actual: "ERROR \(state): \(message)")
                return
            }
            if let want = exp.sqlState, want != state {
                fail(line: st.line, sql: sql, "wrong SQLSTATE", expected: "ERROR \(want)", actual: "ERROR \(state): \(message)")
                return
            }
            if let sub = exp.messageSubstring {
                let want: String
                do { want = try Self.substitute(sub, variables) } catch { fail(line: st.line, sql: sql, "\(error)"); return }
                if !message.contains(want) {
                    fail(line: st.line, sql: sql, "error message does not contain the expected text",
                         expected: "message containing \"\(want)\"", actual: "ERROR \(state): \(message)")
                }
            }
        }
    }

    private func runQuery(_ q: SQLLogicQuery, variables: [String: String], inLoop: Bool) {
        let sql: String
        do { sql = try Self.substitute(q.sql, variables) } catch {
            fail(line: q.line, sql: q.sql, "\(error)"); return
        }
        outcome.recordsRun += 1
        let result: SQLLogicResult
        do {
            result = try backend.execute(sql)
        } catch {
            let (state, message) = Self.describe(error)
            fail(line: q.line, sql: sql, "query failed", expected: Self.render(q.expected), actual: "ERROR \(state): \(message)")
            return
        }
        let actualRows = result.rows.map { $0.map(Self.format) }
        // In completion mode rewrite (top-level) queries instead of comparing them. Queries in a
        // loop may expect `${var}`-dependent text, so they are compared as usual.
        if config.complete && !inLoop {
            let lines = Self.sorted(actualRows, q.sortMode).map { $0.joined(separator: "\t") }
            let letters = result.typeLetters.count == (actualRows.first?.count ?? result.typeLetters.count) ? result.typeLetters : q.types
            completions[q.headerLineIndex] = (letters, lines)
            return
        }
        let columnCount = result.typeLetters.count
        if columnCount != q.types.count && q.sortMode != .valueSort {
            fail(line: q.line, sql: sql, "the query declares \(q.types.count) column(s) (`\(q.types)`) but the result has \(columnCount)",
                 expected: Self.render(q.expected), actual: Self.render(actualRows))
            return
        }
        var expected: [[String]]
        do {
            expected = try q.expected.map { try $0.map { try Self.substitute($0, variables) } }
        } catch { fail(line: q.line, sql: sql, "\(error)"); return }
        let ok: Bool
        var shownExpected = expected
        var shownActual = actualRows
        switch q.sortMode {
        case .noSort:
            ok = expected == actualRows
        case .rowSort:
            shownExpected = Self.sorted(expected, .rowSort)
            shownActual = Self.sorted(actualRows, .rowSort)
            ok = shownExpected == shownActual
        case .valueSort:
            let e = expected.flatMap { $0 }.sorted()
            let a = actualRows.flatMap { $0 }.sorted()
            ok = e == a
            shownExpected = e.map { [$0] }
            shownActual = a.map { [$0] }
        }
        if !ok {
            var msg = "result mismatch (\(q.sortMode.rawValue)): expected \(expected.count) row(s), got \(actualRows.count)"
            if let d = Self.firstDifference(shownExpected, shownActual) { msg += "; first difference at row \(d + 1)" }
            fail(line: q.line, sql: sql, msg, expected: Self.render(shownExpected), actual: Self.render(shownActual))
        }
    }

    private func fail(line: Int, sql: String?, _ message: String, expected: String? = nil, actual: String? = nil) {
        outcome.failures.append(SQLLogicFailure(path: script.path, line: line, sql: sql, message: message, expected: expected, actual: actual))
        if outcome.failures.count >= config.maxFailures {
            outcome.failures.append(SQLLogicFailure(path: script.path, line: line, sql: nil, message: "too many failures; stopped running this file"))
            stopped = true
        }
    }

    // MARK: helpers (static so tests can call them)

    /// The text form of a value in expected output: NULL, `(empty)` for the empty string,
    /// otherwise the value's text with TAB, CR and LF escaped as `\t`, `\r`, `\n` (and `\`
    /// itself as `\\` when such escapes are needed), so a value never breaks the row format.
    public static func format(_ v: String?) -> String {
        guard let v else { return "NULL" }
        if v.isEmpty { return "(empty)" }
        if !v.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) { return v }
        var s = ""
        for c in v {
            switch c {
            case "\\": s += "\\\\"
            case "\t": s += "\\t"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            default: s.append(c)
            }
        }
        return s
    }

    static func sorted(_ rows: [[String]], _ mode: SQLLogicSortMode) -> [[String]] {
        switch mode {
        case .noSort: return rows
        case .rowSort:
            return rows.sorted { Array($0.joined(separator: "\t").utf8).lexicographicallyPrecedes($1.joined(separator: "\t").utf8) }
        case .valueSort:
            return rows.flatMap { $0 }.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }.map { [$0] }
        }
    }

    static func render(_ rows: [[String]]) -> String {
        rows.map { $0.joined(separator: "\t") }.joined(separator: "\n")
    }

    static func firstDifference(_ a: [[String]], _ b: [[String]]) -> Int? {
        for k in 0..<max(a.count, b.count) where k >= a.count || k >= b.count || a[k] != b[k] { return k }
        return nil
    }

    static func describe(_ error: any Error) -> (String, String) {
        if let e = error as? SQLLogicBackendError { return (e.sqlState, e.message) }
        return ("?????", String(describing: error))
    }

    public struct SubstitutionError: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown variable ${\(name)} (loop variables, DATA and TMP are defined)" }
    }

    /// Replaces `${name}` with its value; unknown names are an error.
    public static func substitute(_ text: String, _ vars: [String: String]) throws -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let name = String(rest[start.upperBound..<end])
            guard let v = vars[name] else { throw SubstitutionError(name: name) }
            out += v
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return out
    }

    // MARK: completion

    private func completedText() -> String? {
        guard !completions.isEmpty else { return nil }
        var lines = script.lines
        var queries: [SQLLogicQuery] = []
        func collect(_ rs: [SQLLogicRecord]) {
            for r in rs {
                if case .query(let q) = r { queries.append(q) }
                // loop bodies are not completed
            }
        }
        collect(script.records)
        // Edit bottom-up so earlier line indexes stay valid.
        for q in queries.sorted(by: { $0.headerLineIndex > $1.headerLineIndex }) {
            guard let c = completions[q.headerLineIndex] else { continue }
            if q.hasResultSection {
                lines.replaceSubrange(q.resultLines, with: c.lines)
            } else if !c.lines.isEmpty {
                lines.insert(contentsOf: ["----"] + c.lines, at: q.resultLines.lowerBound)
            }
            if c.types != q.types {
                var header = "query \(c.types)"
                if q.sortMode != .noSort { header += " \(q.sortMode.rawValue)" }
                lines[q.headerLineIndex] = header
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        return text == script.lines.joined(separator: "\n") + "\n" ? nil : text
    }
}
