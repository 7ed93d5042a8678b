// SQL-file tests: the script model and its parser.
//
// The format is DuckDB's sqllogictest dialect (see docs/testing.md for the full description):
//
//     # name: test/sql/aggregate/sum.test        <- comment lines start with '#'
//
//     statement ok                               <- a record: header line, body, blank line
//     CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a
//
//     statement error 42P01                      <- optional SQLSTATE
//     SELECT * FROM missing
//     ----
//     missing                                    <- optional message substring
//
//     query IT rowsort                           <- type letters, optional sort mode
//     SELECT a, b FROM t
//     ----
//     1	x                                      <- expected rows, columns separated by TABs
//
//     restart | require <feature> | loop i 0 10 ... endloop | foreach v a b ... endloop
//     mode skip | mode unskip | halt
//
// The parser is pure (no engine, no file system beyond reading the text) so it is unit-tested
// on inline scripts. It keeps line numbers so failures point at the file, and the line span
// of each query's expected section so completion mode can rewrite it in place.

import Foundation

/// How a query's result rows are ordered before comparison.
public enum SQLLogicSortMode: String, Sendable, Equatable {
    /// Compare in the order the engine returned (the query must have a total ORDER BY).
    case noSort = "nosort"
    /// Sort rows by their text form (TAB-joined) before comparing.
    case rowSort = "rowsort"
    /// Sort every individual value before comparing (shape is ignored).
    case valueSort = "valuesort"
}

/// One statement or query with the place it came from.
public struct SQLLogicQuery: Sendable, Equatable {
    /// 1-based line of the `query ...` header.
    public var line: Int
    public var sql: String
    /// The type letters as written (`I`, `R`, `T`, `B`, `D`, ...); one per result column.
    public var types: String
    public var sortMode: SQLLogicSortMode
    /// Expected rows, each a list of column texts (TAB-separated in the file).
    public var expected: [[String]]
    /// Whether the record had a `----` line at all.
    public var hasResultSection: Bool
    /// 0-based line indexes: the header line, and the half-open range of expected-result lines
    /// (empty range positioned after the SQL when there is no `----`). Used by completion.
    public var headerLineIndex: Int
    public var resultLines: Range<Int>
}

public struct SQLLogicStatement: Sendable, Equatable {
    public var line: Int
    public var sql: String
    /// `nil` for `statement ok`; for `statement error`, the expectation.
    public var expectedError: ExpectedError?

    public struct ExpectedError: Sendable, Equatable {
        /// Five-character SQLSTATE, or nil to accept any error.
        public var sqlState: String?
        /// Substring the error message must contain (text after `----`), or nil.
        public var messageSubstring: String?
        public init(sqlState: String? = nil, messageSubstring: String? = nil) {
            self.sqlState = sqlState
            self.messageSubstring = messageSubstring
        }
    }
}

public indirect enum SQLLogicRecord: Sendable, Equatable {
    case statement(SQLLogicStatement)
    case query(SQLLogicQuery)
    /// Close the database and reopen it on the same directory.
    case restart(line: Int)
    /// Skip the rest of the file unless the runner knows the feature.
    case require(feature: String, line: Int)
    /// `loop var from to` (to exclusive) or `foreach var v1 v2 ...`; `${var}` is substituted
    /// in the SQL and expected text of the body.
    case loop(variable: String, values: [String], body: [SQLLogicRecord], line: Int)
    /// `mode skip` / `mode unskip`: records in between are parsed but not run.
    case skipMode(Bool, line: Int)
    /// Stop running the file here (handy while debugging).
    case halt(line: Int)
}

public struct SQLLogicScript: Sendable {
    /// Path as given (for messages).
    public var path: String
    /// The source lines, kept for completion mode.
    public var lines: [String]
    public var records: [SQLLogicRecord]

    /// Parses a script; throws `SQLLogicParseError` with the 1-based line on malformed input.
    public init(path: String, text: String) throws {
        self.path = path
        var ls = text.components(separatedBy: "\n")
        if ls.last == "" { ls.removeLast() }  // trailing newline
        // tolerate CRLF files
        ls = ls.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        self.lines = ls
        var p = SQLLogicParser(path: path, lines: ls)
        self.records = try p.parseAll()
    }

    public static func load(path: String) throws -> SQLLogicScript {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try SQLLogicScript(path: path, text: text)
    }
}

public struct SQLLogicParseError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): \(message)" }
}

/// Recursive-descent over lines. Records end at a blank line; `loop`/`foreach` nest until
/// `endloop`.
struct SQLLogicParser {
    let path: String
    let lines: [String]
    var i = 0

    init(path: String, lines: [String]) {
        self.path = path
        self.lines = lines
    }

    mutating func parseAll() throws -> [SQLLogicRecord] {
        let (records, terminatedByEndloop) = try parseBlock(insideLoop: false)
        if terminatedByEndloop { throw error("`endloop` without `loop`", line: i) }
        return records
    }

    private func error(_ message: String, line: Int) -> SQLLogicParseError {
        SQLLogicParseError(path: path, line: line, message: message)
    }

    private static func isBlank(_ s: String) -> Bool { s.allSatisfy { $0 == " " || $0 == "\t" } }

    /// Parses records until EOF or `endloop`; returns whether `endloop` ended it.
    private mutating func parseBlock(insideLoop: Bool) throws -> ([SQLLogicRecord], Bool) {
        var out: [SQLLogicRecord] = []
        while i < lines.count {
            let raw = lines[i]
            if Self.isBlank(raw) || raw.hasPrefix("#") { i += 1; continue }
            let lineNo = i + 1
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch words[0] {
            case "statement":
                out.append(.statement(try parseStatement(words, lineNo: lineNo)))
            case "query":
                out.append(.query(try parseQuery(words, lineNo: lineNo)))
            case "restart":
                guard words.count == 1 else { throw error("`restart` takes no arguments", line: lineNo) }
                i += 1
                out.append(.restart(line: lineNo))
            case "require":
                guard words.count == 2 else { throw error("usage: require <feature>", line: lineNo) }
                i += 1
                out.append(.require(feature: words[1], line: lineNo))
            case "mode":
                guard words.count == 2, words[1] == "skip" || words[1] == "unskip" else {
                    throw error("usage: mode skip | mode unskip", line: lineNo)
                }
                i += 1
                out.append(.skipMode(words[1] == "skip", line: lineNo))
            case "halt":
                i += 1
                out.append(.halt(line: lineNo))
            case "loop":
                guard words.count == 4, let from = Int(words[2]), let to = Int(words[3]), from <= to else {
                    throw error("usage: loop <var> <from> <to> (to exclusive, from <= to)", line: lineNo)
                }
                try checkVariableName(words[1], line: lineNo)
                i += 1
                let (body, closed) = try parseBlock(insideLoop: true)
                guard closed else { throw error("`loop` without `endloop`", line: lineNo) }
                out.append(.loop(variable: words[1], values: (from..<to).map(String.init), body: body, line: lineNo))
            case "foreach":
                guard words.count >= 3 else { throw error("usage: foreach <var> <value> [<value> ...]", line: lineNo) }
                try checkVariableName(words[1], line: lineNo)
                i += 1
                let (body, closed) = try parseBlock(insideLoop: true)
                guard closed else { throw error("`foreach` without `endloop`", line: lineNo) }
                out.append(.loop(variable: words[1], values: Array(words[2...]), body: body, line: lineNo))
            case "endloop":
                i += 1
                if !insideLoop { throw error("`endloop` without `loop`", line: lineNo) }
                return (out, true)
            default:
                throw error("unknown record type `\(words[0])` (expected statement, query, restart, require, loop, foreach, endloop, mode, halt)", line: lineNo)
            }
        }
        return (out, false)
    }

    private func checkVariableName(_ name: String, line: Int) throws {
        guard let f = name.first, f.isLetter || f == "_",
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw error("bad loop variable name `\(name)`", line: line)
        }
    }

    /// Reads body lines from `i` until a blank line, `endloop`, EOF, or (if `stopAtDashes`) `----`.
    /// Returns the lines; leaves `i` on the terminator.
    private mutating func readBody(stopAtDashes: Bool) -> [String] {
        var body: [String] = []
        while i < lines.count {
            let l = lines[i]
            if Self.isBlank(l) || l == "endloop" { break }  // `endloop` may follow a body directly
            if stopAtDashes && l == "----" { break }
            body.append(l)
            i += 1
        }
        return body
    }

    private mutating func parseStatement(_ words: [String], lineNo: Int) throws -> SQLLogicStatement {
        guard words.count >= 2 else { throw error("usage: statement ok | statement error [SQLSTATE]", line: lineNo) }
        i += 1
        var expected: SQLLogicStatement.ExpectedError?
        switch words[1] {
        case "ok":
            guard words.count == 2 else { throw error("`statement ok` takes no arguments", line: lineNo) }
        case "error":
            guard words.count <= 3 else { throw error("usage: statement error [SQLSTATE]", line: lineNo) }
            var state: String?
            if words.count == 3 {
                let s = words[2]
                guard s.count == 5, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }) else {
                    throw error("`\(s)` is not a 5-character SQLSTATE (digits and upper-case letters)", line: lineNo)
                }
                state = s
            }
            expected = .init(sqlState: state, messageSubstring: nil)
        default:
            throw error("unknown statement kind `\(words[1])` (expected ok or error)", line: lineNo)
        }
        let body = readBody(stopAtDashes: true)
        guard !body.isEmpty else { throw error("statement without SQL", line: lineNo) }
        if i < lines.count && lines[i] == "----" {
            guard expected != nil else { throw error("`----` after `statement ok` (use `query` to check results)", line: i + 1) }
            i += 1
            let msg = readBody(stopAtDashes: false)
            if !msg.isEmpty { expected!.messageSubstring = msg.joined(separator: "\n") }
        }
        return SQLLogicStatement(line: lineNo, sql: body.joined(separator: "\n"), expectedError: expected)
    }

    private mutating func parseQuery(_ words: [String], lineNo: Int) throws -> SQLLogicQuery {
        guard words.count == 2 || words.count == 3 else {
            throw error("usage: query <type letters> [nosort|rowsort|valuesort]", line: lineNo)
        }
        let types = words[1]
        guard types.allSatisfy({ "IRTBD".contains($0) }) else {
            throw error("bad type letters `\(types)` (use I, R, T, B, D, one per column)", line: lineNo)
        }
        var mode = SQLLogicSortMode.noSort
        if words.count == 3 {
            guard let m = SQLLogicSortMode(rawValue: words[2]) else {
                throw error("unknown sort mode `\(words[2])` (nosort, rowsort, valuesort)", line: lineNo)
            }
            mode = m
        }
        let header = i
        i += 1
        let body = readBody(stopAtDashes: true)
        guard !body.isEmpty else { throw error("query without SQL", line: lineNo) }
        var expected: [[String]] = []
        var hasSection = false
        var range = i..<i
        if i < lines.count && lines[i] == "----" {
            hasSection = true
            i += 1
            let start = i
            let rows = readBody(stopAtDashes: false)
            range = start..<i
            for (k, r) in rows.enumerated() {
                let cols = r.components(separatedBy: "\t")
                if mode != .valueSort && cols.count != types.count {
                    throw error("expected row has \(cols.count) column(s) but the query declares \(types.count) (`\(types)`); columns are TAB-separated", line: start + k + 1)
                }
                expected.append(cols)
            }
        }
        return SQLLogicQuery(
            line: lineNo, sql: body.joined(separator: "\n"), types: types, sortMode: mode,
            expected: expected, hasResultSection: hasSection, headerLineIndex: header, resultLines: range)
    }
}
