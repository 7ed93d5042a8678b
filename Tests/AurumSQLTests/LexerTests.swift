import AurumCore
import AurumSQL
import Testing

@Suite struct LexerTests {
    func kinds(_ sql: String) throws -> [Token.Kind] { try Lexer.tokenize(sql).map(\.kind) }
    func texts(_ sql: String) throws -> [String] { try Lexer.tokenize(sql).map(\.text) }

    @Test func wordsKeepTheirSpellingAndGetAnUppercaseKey() throws {
        let tokens = try Lexer.tokenize("select MyCol from t_1$x")
        #expect(tokens.map(\.text) == ["select", "MyCol", "from", "t_1$x"])
        #expect(tokens.map(\.upper) == ["SELECT", "MYCOL", "FROM", "T_1$X"])
        #expect(tokens.allSatisfy { $0.kind == .word })
        #expect(tokens[0].isKeyword("SELECT"))
    }

    @Test func quotedIdentifiers() throws {
        let tokens = try Lexer.tokenize(#""My ""Col""" `back``tick`"#)
        #expect(tokens.map(\.kind) == [.quotedIdentifier, .quotedIdentifier])
        #expect(tokens.map(\.text) == [#"My "Col""#, "back`tick"])
    }

    @Test func stringsWithDoubledQuotesAndLiteralBackslashes() throws {
        let tokens = try Lexer.tokenize(#"'it''s' 'C:\new' ''"#)
        #expect(tokens.map(\.text) == ["it's", #"C:\new"#, ""])
        #expect(tokens.allSatisfy { $0.kind == .string })
    }

    @Test func escapeStrings() throws {
        let tokens = try Lexer.tokenize(#"E'a\nb\t\'c\\' e'\x41\u00e9'"#)
        #expect(tokens.map(\.text) == ["a\nb\t'c\\", "Aé"])
        #expect(tokens.map(\.kind) == [.string, .string])
    }

    @Test func dollarQuotedStrings() throws {
        let tokens = try Lexer.tokenize("$$it's; -- not a comment$$ $fn$a$b$fn$")
        #expect(tokens.map(\.text) == ["it's; -- not a comment", "a$b"])
        #expect(tokens.map(\.kind) == [.string, .string])
    }

    @Test func numbers() throws {
        let tokens = try Lexer.tokenize("123 1.5 .5 1e10 2.5E-3 0x1F 7.")
        #expect(tokens.map(\.kind) == [.integer, .number, .number, .number, .number, .integer, .number])
        #expect(tokens.map(\.text) == ["123", "1.5", ".5", "1e10", "2.5E-3", "31", "7."])
    }

    @Test func memberAccessDigitsAreNotDecimals() throws {
        #expect(try kinds("t.5") == [.word, .symbol, .integer])
    }

    @Test func parameters() throws {
        let tokens = try Lexer.tokenize("$1 + $23")
        #expect(tokens.map(\.kind) == [.parameter, .symbol, .parameter])
        #expect(tokens.map(\.text) == ["1", "+", "23"])
    }

    @Test func operatorsAreLongestMatch() throws {
        let ops = "+ - * / % || = == <> != < <= > >= :: ( ) , . ; [ ]"
        #expect(try texts(ops) == ops.split(separator: " ").map(String.init))
        #expect(try kinds(ops).allSatisfy { $0 == .symbol })
        #expect(try texts("a<=b") == ["a", "<=", "b"])
        #expect(try texts("x::int") == ["x", "::", "int"])
    }

    @Test func commentsAreSkipped() throws {
        #expect(try texts("a -- comment ; here\n b /* block ; /* nested */ still */ c") == ["a", "b", "c"])
        #expect(try texts("a--b") == ["a"])
    }

    @Test func offsetsCountCharacters() throws {
        let tokens = try Lexer.tokenize("SELECT 'é', x")
        #expect(tokens.map(\.position) == [1, 8, 11, 13])
        #expect(tokens[1].end == 10)
    }

    @Test func unterminatedTokensAreSyntaxErrorsAtTheirStart() throws {
        for (sql, pos) in [("SELECT 'abc", 8), ("SELECT \"abc", 8), ("SELECT 1 /* x", 10), ("SELECT $$x", 8), ("SELECT E'x", 8)] {
            do {
                _ = try Lexer.tokenize(sql)
                Issue.record("expected an error for \(sql)")
            } catch let e as AurumError {
                #expect(e.code == .syntaxError, "\(sql)")
                #expect(e.position == pos, "\(sql)")
            }
        }
    }

    @Test func postgresOperatorSymbols() throws {
        let symbols = try Lexer.tokenize("a ~ b ~* c !~ d !~* e & f != g").filter { $0.kind == .symbol }.map(\.text)
        #expect(symbols == ["~", "~*", "!~", "!~*", "&", "!="])
    }

    @Test func unknownCharacterAndEmptyQuotedIdentifierAreErrors() throws {
        #expect(throws: AurumError.self) { try Lexer.tokenize("SELECT a ? b") }
        #expect(throws: AurumError.self) { try Lexer.tokenize(#"SELECT """#) }
        #expect(throws: AurumError.self) { try Lexer.tokenize("SELECT 0xFFFFFFFFFFFFFFFFFF") }
    }
}
