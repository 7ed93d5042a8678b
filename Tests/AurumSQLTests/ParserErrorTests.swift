import AurumCore
import AurumSQL
import Foundation
import Testing

@Suite struct ParserErrorTests {
    @Test(arguments: [
        ("SELECT * FROM", "syntax error at end of input", 14),
        ("SELECT 1 +* 2", #"syntax error at or near "*""#, 11),
        ("SELECT * FROM;", #"syntax error at or near ";""#, 14),
        ("SELECT 1; SELECT * FRM t", #"syntax error at or near "FRM""#, 20),
        ("SELEC 1", #"syntax error at or near "SELEC""#, 1),
        ("SELECT (1", "syntax error at end of input", 10),
        ("SELECT a FROM t WHERE", "syntax error at end of input", 22),
        ("SELECT CASE WHEN 1 END", #"syntax error at or near "END""#, 20),
        ("SELECT a FROM t GROUP x", #"syntax error at or near "GROUP""#, 17),
        ("SELECT 'x' 'y'", #"syntax error at or near "'y'""#, 12),
        ("INSERT INTO t VALUES (1,", "syntax error at end of input", 25),
        ("CREATE TABLE t (a)", #"syntax error at or near ")""#, 18),
        ("SELECT f(1 2)", #"syntax error at or near "2""#, 12),
        ("SELECT 1 FROM t ORDER a", #"syntax error at or near "ORDER""#, 17),
        ("  \n SELECT from", #"syntax error at or near "from""#, 12),
        ("SELECT 'abc", #"unterminated quoted string at or near "'abc""#, 8),
    ] as [(String, String, Int)])
    func syntaxErrorsHaveMessageAndPosition(sql: String, message: String, position: Int) {
        let e = parseError(sql)
        #expect(e?.code == .syntaxError, "\(sql)")
        #expect(e?.kind == .syntax, "\(sql)")
        #expect(e?.message == message, "\(sql)")
        #expect(e?.position == position, "\(sql)")
    }

    @Test func positionsCountCharactersNotBytes() {
        // 'é' and '€' are one character each but two and three UTF-8 bytes.
        #expect(parseError("SELECT 'é€', ) ")?.position == 14)
    }

    @Test func parseExpressionAndParseTypeReportPositions() {
        do {
            _ = try Parser.parseExpression("a + ) ")
            Issue.record("expected an error")
        } catch let e as AurumError {
            #expect(e.code == .syntaxError && e.position == 5)
        } catch { Issue.record("wrong error type \(error)") }
    }

    // MARK: Nesting limits

    @Test func deepButReasonableNestingParses() throws {
        let n = 200
        let sql = "SELECT " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n)
        let s = try parseSelect(sql)
        #expect(s.items[0].expr == .literal(.integer("1"), pos: 8 + n))
        let subqueries = "SELECT " + String(repeating: "(SELECT ", count: 50) + "1" + String(repeating: ")", count: 50)
        #expect(throws: Never.self) { try Parser.parse(subqueries) }
    }

    static let deepInputs: [String: String] = [
        "parens": "SELECT " + String(repeating: "(", count: 1001) + "1" + String(repeating: ")", count: 1001),
        "unclosed": "SELECT " + String(repeating: "(", count: 100_000),
        "minus": "SELECT " + String(repeating: "-", count: 5000) + "1",
        "not": "SELECT " + String(repeating: "NOT ", count: 5000) + "1",
        "calls": "SELECT " + String(repeating: "f(", count: 3000) + "1" + String(repeating: ")", count: 3000),
        "arrays": "SELECT " + String(repeating: "[", count: 3000) + "1" + String(repeating: "]", count: 3000),
        "subqueries": "SELECT " + String(repeating: "(SELECT ", count: 2000) + "1" + String(repeating: ")", count: 2000),
        "types": "SELECT x::" + String(repeating: "Nullable(", count: 3000) + "Int8" + String(repeating: ")", count: 3000),
        "from": "SELECT * FROM " + String(repeating: "(", count: 3000) + "t" + String(repeating: ")", count: 3000),
        "explain": String(repeating: "EXPLAIN ", count: 3000) + "SELECT 1",
        "case": "SELECT " + String(repeating: "CASE WHEN ", count: 3000),
    ]

    @Test(arguments: deepInputs.keys.sorted())
    func excessiveNestingIsAnErrorNotACrash(kind: String) {
        let e = parseError(Self.deepInputs[kind]!)
        #expect(e != nil)
        #expect(e?.code == SQLState("54001") || e?.code == .syntaxError)
    }

    @Test func tooDeepNestingIsStatementTooComplex() {
        let sql = "SELECT " + String(repeating: "(", count: 1001) + "1" + String(repeating: ")", count: 1001)
        #expect(parseError(sql)?.code == SQLState("54001"))
    }

    @Test func smallThreadStacksGiveAnErrorInsteadOfOverflowing() async {
        let sql = "SELECT " + String(repeating: "(", count: 990) + "1" + String(repeating: ")", count: 990)
        let outcome: String = await withCheckedContinuation { continuation in
            let thread = Thread {
                let e = parseError(sql)
                continuation.resume(returning: e.map { $0.code.code } ?? "parsed")
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        // Debug builds run out of this stack well before 990 levels; either way, no crash.
        #expect(outcome == "54001" || outcome == "parsed")
    }

    @Test func longFlatChainsDoNotRecurse() throws {
        let terms = (0..<20_000).map { "c\($0)" }
        let s = try parseSelect("SELECT " + terms.joined(separator: " + ") + " FROM t WHERE " + terms.joined(separator: " AND "))
        #expect(s.items.count == 1)
        let list = try parseSelect("SELECT 1 FROM t WHERE x IN (" + (0..<20_000).map(String.init).joined(separator: ",") + ")")
        guard case .inList(_, let items, _, _)? = list.whereClause else { Issue.record("IN list"); return }
        #expect(items.count == 20_000)
    }
}

/// Random inputs must give an `AurumError` or a statement, never a trap or another error type.
@Suite struct ParserRobustnessTests {
    /// SplitMix64: deterministic so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    }

    static let vocabulary: [String] = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "OFFSET", "HAVING", "JOIN", "LEFT", "ON", "USING",
        "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END",
        "CAST", "INTERVAL", "DAY", "EXTRACT", "EXISTS", "ANY", "ALL", "UNION", "WITH", "VALUES", "INSERT", "INTO",
        "CREATE", "TABLE", "ENGINE", "=", "MergeTree", "DROP", "ALTER", "ADD", "COLUMN", "SET", "SHOW", "TO", "DEFAULT",
        "DATE", "TIMESTAMP", "ARRAY", "FILTER", "OVER", "PARTITION", "DISTINCT", "FINAL", "SETTINGS", "CODEC",
        "Nullable", "Decimal", "TRIM", "SUBSTRING", "POSITION", "FOR", "LEADING", "EXPLAIN", "BEGIN", "COMMIT",
        "a", "t", "count", "x", "\"q\"", "1", "2.5", "'s'", "$1", "(", ")", "(", ")", ",", ".", ";", "*", "+", "-",
        "/", "%", "||", "::", "<", ">=", "<>", "[", "]", "0x1F", "E'\\n'", "$$d$$", "--c\n", "/* c */",
    ]

    @Test func randomTokenSequencesNeverCrash() {
        var rng = Random(state: 42)
        var parsed = 0
        for _ in 0..<600 {
            let count = Int(rng.next() % 24) + 1
            let sql = (0..<count).map { _ in rng.pick(Self.vocabulary) }.joined(separator: " ")
            do {
                _ = try Parser.parse(sql)
                parsed += 1
            } catch is AurumError {
                // expected for most inputs
            } catch {
                Issue.record("non-AurumError \(error) for: \(sql)")
            }
        }
        #expect(parsed < 600)
    }

    @Test func randomCharactersNeverCrash() {
        var rng = Random(state: 7)
        let chars = Array("SELECT abc'\"`$()[],.;:*+-/%|=<>!0123456789eE \n\t-/*é€😀\\")
        for _ in 0..<400 {
            let n = Int(rng.next() % 40)
            let sql = String((0..<n).map { _ in rng.pick(chars) })
            do { _ = try Parser.parse(sql) } catch is AurumError {} catch { Issue.record("non-AurumError \(error) for: \(sql)") }
        }
    }

    static let corpus: [String] = [
        "SELECT a, count(DISTINCT b) AS n FROM db.t FINAL AS x LEFT JOIN u ON x.id = u.id WHERE a BETWEEN 1 AND 2 AND b NOT IN (SELECT c FROM v) GROUP BY a WITH TOTALS HAVING n > 1 ORDER BY a DESC NULLS LAST LIMIT 2 BY a LIMIT 10 OFFSET 5",
        "WITH q (c) AS (SELECT 1) SELECT CASE WHEN c IS NOT NULL THEN 'x' || c::text ELSE NULL END, quantile(0.9)(c), sum(c) FILTER (WHERE c > 0) OVER (PARTITION BY c ORDER BY c) FROM q UNION ALL SELECT 1, 2, 3",
        "SELECT INTERVAL '2 hours', EXTRACT(epoch FROM now()), TRIM(LEADING 'x' FROM s), SUBSTRING(s FROM 1 FOR 2), POSITION('a' IN s), x = ANY(ARRAY[1, 2]), DATE '2024-01-01', [1, 2][1] FROM t",
        "CREATE TABLE IF NOT EXISTS db.t (id UInt64 CODEC(Delta, ZSTD(3)), v Nullable(Decimal(18, 2)) DEFAULT 0 COMMENT 'c', PRIMARY KEY (id)) ENGINE = ReplacingMergeTree(v) PARTITION BY toYYYYMM(d) ORDER BY (id, v) SETTINGS index_granularity = 8192",
        "INSERT INTO t (a, b) VALUES (1, 'a'), (-2, E'b\\n')",
        "INSERT INTO t FROM INFILE 'a.csv' COMPRESSION 'gzip' FORMAT CSV",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c String AFTER b, DROP COLUMN d, RENAME COLUMN e TO f",
        "SET search_path TO public, \"$user\"",
        "SELECT * FROM a OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY",
        "EXPLAIN ANALYZE SELECT * FROM generate_series(1, 3) AS g(n)",
    ]

    @Test func everyPrefixOfValidStatementsParsesOrThrows() throws {
        for sql in Self.corpus {
            #expect(throws: Never.self, "\(sql)") { try Parser.parse(sql) }
            let scalars = Array(sql.unicodeScalars)
            for cut in 0..<scalars.count {
                let prefix = String(String.UnicodeScalarView(scalars[0..<cut]))
                do {
                    _ = try Parser.parse(prefix)
                } catch let e as AurumError {
                    if let p = e.position { #expect(p >= 1 && p <= cut + 1, "\(prefix)") }
                } catch {
                    Issue.record("non-AurumError \(error) for: \(prefix)")
                }
            }
        }
    }

    @Test func randomTokenDeletionsFromValidStatementsNeverCrash() throws {
        var rng = Random(state: 99)
        for sql in Self.corpus {
            let tokens = try Lexer.tokenize(sql)
            let source = Array(sql.unicodeScalars)
            for _ in 0..<40 {
                let drop = Int(rng.next() % UInt64(tokens.count))
                let mutated = tokens.enumerated().filter { $0.offset != drop }
                    .map { String(String.UnicodeScalarView(source[$0.element.start..<$0.element.end])) }
                    .joined(separator: " ")
                do { _ = try Parser.parse(mutated) } catch is AurumError {} catch { Issue.record("non-AurumError for: \(mutated)") }
            }
        }
    }
}
