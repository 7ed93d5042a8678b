import AurumCore
import AurumSQL
import Testing

@Suite struct StatementSplittingTests {
    @Test func splitsOnTopLevelSemicolonsAndKeepsText() throws {
        let sql = "SELECT 1;  select 'a;b' ; -- c;omment\nSELECT /* ; */ 2;;\n ; SELECT $$;$$"
        let statements = try Parser.parse(sql)
        #expect(statements.map(\.text) == ["SELECT 1", "select 'a;b'", "-- c;omment\nSELECT /* ; */ 2", "SELECT $$;$$"])
        #expect(statements.count == 4)
        guard case .query(let q) = statements[1].statement, case .select(let s) = q.body else { Issue.record("2nd"); return }
        #expect(s.items[0].expr == .literal(.string("a;b"), pos: 19))
    }

    @Test func emptyAndCommentOnlyInputGivesNoStatements() throws {
        #expect(try Parser.parse("").isEmpty)
        #expect(try Parser.parse(" ;; ; ").isEmpty)
        #expect(try Parser.parse("-- just a comment").isEmpty)
        #expect(try Parser.parse("/* a */ ; -- b").isEmpty)
    }

    @Test func semicolonInsideQuotedIdentifierOrParenthesesDoesNotSplit() throws {
        let statements = try Parser.parse(#"SELECT "a;b" FROM t; SELECT 2"#)
        #expect(statements.map(\.text) == [#"SELECT "a;b" FROM t"#, "SELECT 2"])
        // A `;` inside parentheses stays with its statement, which is then a syntax error there.
        let e = parseError("SELECT (1; 2); SELECT 3")
        #expect(e?.position == 10)
    }

    @Test func positionsAreRelativeToTheWholeInput() throws {
        let statements = try Parser.parse("SELECT 1;\nSELECT x")
        guard case .query(let q) = statements[1].statement, case .select(let s) = q.body else { Issue.record("shape"); return }
        #expect(s.pos == 11)
        #expect(s.items[0].expr.pos == 18)
    }

    @Test func aTrailingStatementWithoutSemicolonIsKept() throws {
        let statements = try Parser.parse("SHOW TABLES; USE db")
        #expect(statements.map(\.statement) == [.show(.tables(from: nil, like: nil)), .use("db")])
    }

    @Test func anErrorInALaterStatementFailsTheWholeParse() {
        #expect(parseError("SELECT 1; SELECT FROM")?.position == 18)
    }
}
