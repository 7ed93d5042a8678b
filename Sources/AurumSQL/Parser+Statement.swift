import AurumCore

// Statement dispatch and the session/utility statements: EXPLAIN, SHOW, DESCRIBE, USE, SET,
// RESET and transaction control.

extension SQLParser {
    /// One statement that must use every token up to the statement's end.
    mutating func parseStatementToEnd() throws -> Statement {
        let s = try parseStatement()
        if !atEnd, peek.kind == .word, ["FORMAT", "SETTINGS", "INTO"].contains(peek.upper) {
            throw notSupported("\(peek.upper) after a statement", at: peek)
        }
        try expectEnd()
        return s
    }

    mutating func parseStatement() throws -> Statement {
        let t = peek
        if t.isSymbol("(") { return .query(try parseQuery()) }
        guard t.kind == .word else { throw unexpected() }
        switch t.upper {
        case "SELECT", "WITH", "VALUES": return .query(try parseQuery())
        case "EXPLAIN": return try parseExplain()
        case "CREATE": return try parseCreate()
        case "DROP": return try parseDrop()
        case "ALTER": return try parseAlter()
        case "TRUNCATE": return try parseTruncate()
        case "RENAME": return try parseRename()
        case "EXCHANGE": return try parseExchange()
        case "OPTIMIZE": return try parseOptimize()
        case "INSERT": return try parseInsert()
        case "DELETE": return try parseDelete()
        case "SHOW": return try parseShow()
        case "DESCRIBE", "DESC":
            index += 1
            _ = acceptKeyword("TABLE")
            return .describe(try parseQualifiedName())
        case "USE":
            index += 1
            return .use(try parseName())
        case "SET": return try parseSet()
        case "COPY": return try parseCopy()
        case "RESET":
            index += 1
            if acceptKeyword("ALL") { return .reset(name: nil) }
            if acceptKeywords("TIME", "ZONE") { return .reset(name: "timezone") }
            return .reset(name: try parseSettingName())
        case "BEGIN":
            index += 1
            if !acceptKeyword("WORK") { _ = acceptKeyword("TRANSACTION") }
            try skipTransactionModes()
            return .begin
        case "START":
            index += 1
            try expectKeyword("TRANSACTION")
            try skipTransactionModes()
            return .begin
        case "COMMIT", "END":
            index += 1
            if !acceptKeyword("WORK") { _ = acceptKeyword("TRANSACTION") }
            if isKeyword("AND") { throw notSupported("COMMIT AND CHAIN", at: peek) }
            return .commit
        case "ROLLBACK", "ABORT":
            index += 1
            if !acceptKeyword("WORK") { _ = acceptKeyword("TRANSACTION") }
            if acceptKeyword("TO") {
                _ = acceptKeyword("SAVEPOINT")
                return .rollbackToSavepoint(try parseSavepointName())
            }
            if isKeyword("AND") { throw notSupported("ROLLBACK AND CHAIN", at: peek) }
            return .rollback
        case "SAVEPOINT":
            index += 1
            return .savepoint(try parseSavepointName())
        case "RELEASE":
            index += 1
            _ = acceptKeyword("SAVEPOINT")
            return .releaseSavepoint(try parseSavepointName())
        case "DECLARE": return try parseDeclareCursor()
        case "FETCH", "MOVE": return try parseFetch()
        case "CLOSE":
            index += 1
            if acceptKeyword("ALL") { return .closeCursor(name: nil) }
            return .closeCursor(name: try parseName())
        case "DISCARD":
            index += 1
            let w = peek
            guard w.kind == .word, ["ALL", "PLANS", "SEQUENCES", "TEMP", "TEMPORARY"].contains(w.upper) else { throw unexpected() }
            index += 1
            return .discard(w.upper == "TEMPORARY" ? "TEMP" : w.upper)
        case "DEALLOCATE":
            index += 1
            _ = acceptKeyword("PREPARE")
            if acceptKeyword("ALL") { return .deallocate(name: nil) }
            return .deallocate(name: try parseName())
        case "PREPARE": return try parsePrepare()
        case "EXECUTE":
            index += 1
            let name = try parseName()
            var args: [Expr] = []
            if acceptSymbol("(") {
                repeat { args.append(try parseExpr()) } while acceptSymbol(",")
                try expectSymbol(")")
            }
            return .execute(name: name, arguments: args)
        case "UPDATE", "MERGE", "GRANT", "REVOKE",
             "LISTEN", "UNLISTEN", "NOTIFY", "VACUUM", "ANALYZE", "CALL", "DO", "COMMENT", "LOCK", "ATTACH", "DETACH", "SYSTEM", "KILL", "CHECKPOINT":
            throw notSupported(t.upper, at: t)
        default:
            throw unexpected()
        }
    }

    /// A savepoint name: an identifier, folded to lower case unless quoted (as in PostgreSQL).
    mutating func parseSavepointName() throws -> String {
        let (name, quoted, _) = try parseIdentifier()
        return quoted ? name : name.lowercased()
    }

    /// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [{WITH | WITHOUT} HOLD] FOR query`
    mutating func parseDeclareCursor() throws -> Statement {
        index += 1
        let name = try parseName()
        var scroll = false
        while true {
            if acceptKeyword("BINARY") || acceptKeyword("INSENSITIVE") || acceptKeyword("ASENSITIVE") { continue }
            if isKeyword("SENSITIVE") { throw notSupported("SENSITIVE cursors", at: peek) }
            if acceptKeywords("NO", "SCROLL") { scroll = false; continue }
            if acceptKeyword("SCROLL") { scroll = true; continue }
            break
        }
        try expectKeyword("CURSOR")
        var hold = false
        if acceptKeyword("WITH") { try expectKeyword("HOLD"); hold = true } else if acceptKeyword("WITHOUT") { try expectKeyword("HOLD") }
        try expectKeyword("FOR")
        guard isKeyword("SELECT") || isKeyword("WITH") || isKeyword("VALUES") || isSymbol("(") else { throw unexpected() }
        return .declareCursor(name: name, query: try parseQuery(), hold: hold, scroll: scroll)
    }

    /// `FETCH | MOVE [NEXT | FORWARD [n | ALL] | n | ALL | backward forms] [FROM | IN] name`.
    /// Backward and absolute forms are parsed and refused with 0A000 (cursors are forward-only).
    mutating func parseFetch() throws -> Statement {
        let move = advance().upper == "MOVE"
        var count: Int? = 1
        func number() throws -> Int? {
            var negative = false
            if isSymbol("-") || isSymbol("+") { negative = advance().text == "-" }
            guard peek.kind == .integer, let n = Int(peek.text) else { return nil }
            index += 1
            return negative ? -n : n
        }
        func backward(_ what: String) -> AurumError {
            AurumError(.featureNotSupported, "\(what) is not supported: cursors are forward-only",
                       hint: "use FETCH [FORWARD] n or FETCH ALL", position: peek.position)
        }
        if acceptKeyword("NEXT") {
            count = 1
        } else if acceptKeyword("FORWARD") {
            if acceptKeyword("ALL") { count = nil } else if let n = try number() { count = n } else { count = 1 }
        } else if isKeyword("PRIOR") || isKeyword("FIRST") || isKeyword("LAST") || isKeyword("BACKWARD")
                    || isKeyword("ABSOLUTE") || isKeyword("RELATIVE") {
            throw backward("\(move ? "MOVE" : "FETCH") \(peek.upper)")
        } else if acceptKeyword("ALL") {
            count = nil
        } else if isSymbol("-") || isSymbol("+") || peek.kind == .integer {
            let p = peek.position
            guard let n = try number() else { throw unexpected() }
            if n < 0 {
                throw AurumError(.featureNotSupported, "\(move ? "MOVE" : "FETCH") with a negative count is not supported: cursors are forward-only", position: p)
            }
            count = n
        }
        if !acceptKeyword("FROM") { _ = acceptKeyword("IN") }
        return .fetch(name: try parseName(), count: count, move: move)
    }

    /// `PREPARE name [(type, ...)] AS statement`
    mutating func parsePrepare() throws -> Statement {
        index += 1
        let name = try parseName()
        var types: [TypeName] = []
        if acceptSymbol("(") {
            repeat { types.append(try parseType()) } while acceptSymbol(",")
            try expectSymbol(")")
        }
        try expectKeyword("AS")
        let start = peek.start
        let body = try parseStatement()
        let end = index < limit ? peek.start : endToken.start
        return .prepare(name: name, types: types, body: body, text: SQLParser.trimmedText(source, from: start, to: end))
    }

    /// `EXPLAIN [ANALYZE] [VERBOSE] stmt` or `EXPLAIN (ANALYZE [bool], ...) stmt`.
    mutating func parseExplain() throws -> Statement {
        index += 1
        var analyze = false
        if isSymbol("(") && peek(1).kind == .word {
            index += 1
            repeat {
                let option = try parseIdentifier(allowReserved: true).2
                var enabled = true
                if !isSymbol(",") && !isSymbol(")") {
                    let v = advance()
                    guard v.kind == .word || v.kind == .string || v.kind == .integer else { throw syntaxError(at: v) }
                    let text = v.text.uppercased()
                    enabled = !(text == "FALSE" || text == "OFF" || text == "0")
                }
                if option.upper == "ANALYZE" { analyze = enabled }
            } while acceptSymbol(",")
            try expectSymbol(")")
        } else {
            analyze = acceptKeyword("ANALYZE")
            _ = acceptKeyword("VERBOSE")
        }
        // PostgreSQL does not allow EXPLAIN EXPLAIN either; refusing it keeps this non-recursive.
        if isKeyword("EXPLAIN") { throw unexpected() }
        return .explain(try parseStatement(), analyze: analyze)
    }

    // MARK: SHOW

    mutating func parseShow() throws -> Statement {
        index += 1
        let t = peek
        guard t.kind == .word || t.kind == .quotedIdentifier else { throw unexpected() }
        if t.kind == .word {
            switch t.upper {
            case "DATABASES", "SCHEMAS":
                index += 1
                return .show(.databases)
            case "TABLES":
                index += 1
                var from: String?
                if acceptKeyword("FROM") || acceptKeyword("IN") { from = try parseName() }
                var like: String?
                if acceptKeyword("LIKE") { like = try parseStringLiteral() }
                return .show(.tables(from: from, like: like))
            case "CREATE":
                index += 1
                _ = acceptKeyword("TABLE")
                return .show(.createTable(try parseQualifiedName()))
            case "ALL":
                index += 1
                return .show(.all)
            case "TRANSACTION" where isKeyword("ISOLATION", at: 1):
                index += 1
                try expectKeyword("ISOLATION")
                try expectKeyword("LEVEL")
                return .show(.setting("transaction_isolation"))
            case "TIME" where isKeyword("ZONE", at: 1):
                index += 2
                return .show(.setting("timezone"))
            case "SESSION" where isKeyword("AUTHORIZATION", at: 1):
                index += 2
                return .show(.setting("session_authorization"))
            default:
                break
            }
        }
        return .show(.setting(try parseSettingName()))
    }

    /// A setting name, possibly dotted (`app.user_id`); lowercased unless quoted.
    mutating func parseSettingName() throws -> String {
        var parts: [String] = []
        repeat {
            let (name, quoted, _) = try parseIdentifier(allowReserved: true)
            parts.append(quoted ? name : name.lowercased())
        } while acceptSymbol(".")
        return parts.joined(separator: ".")
    }

    // MARK: SET

    /// `SET [SESSION|LOCAL] name = value | TO value`, `SET TIME ZONE x`, `SET NAMES x`,
    /// `SET [SESSION CHARACTERISTICS AS] TRANSACTION ...`; `= DEFAULT` is a RESET.
    mutating func parseSet() throws -> Statement {
        index += 1
        var local = false
        if !acceptKeyword("SESSION") { local = acceptKeyword("LOCAL") }
        var characteristics = false
        if acceptKeywords("CHARACTERISTICS", "AS") {
            guard isKeyword("TRANSACTION") else { throw unexpected() }
            characteristics = true
        }
        func make(_ name: String, _ value: String) -> Statement {
            local ? .setLocal(name: name, value: value) : .set(name: name, value: value)
        }
        if acceptKeywords("TIME", "ZONE") {
            let value = try parseSetValue()
            if value.uppercased() == "DEFAULT" || value.uppercased() == "LOCAL" { return .reset(name: "timezone") }
            return make("timezone", value)
        }
        if acceptKeyword("NAMES") {
            return make("client_encoding", try parseSetValue())
        }
        if acceptKeyword("TRANSACTION") {
            // `SET TRANSACTION` applies to the current transaction only; `SET SESSION
            // CHARACTERISTICS AS TRANSACTION` sets the default of later ones.
            let prefix = characteristics ? "default_" : ""
            if !characteristics { local = true }
            var result: Statement?
            repeat {
                if acceptKeywords("ISOLATION", "LEVEL") {
                    result = make(prefix + "transaction_isolation", try parseIsolationLevel())
                } else if acceptKeyword("READ") {
                    if acceptKeyword("ONLY") {
                        if result == nil { result = make(prefix + "transaction_read_only", "on") }
                    } else {
                        try expectKeyword("WRITE")
                        if result == nil { result = make(prefix + "transaction_read_only", "off") }
                    }
                } else if acceptKeyword("NOT") {
                    try expectKeyword("DEFERRABLE")
                } else if acceptKeyword("DEFERRABLE") {
                } else {
                    throw unexpected()
                }
            } while acceptSymbol(",") || (peek.kind == .word && ["ISOLATION", "READ", "NOT", "DEFERRABLE"].contains(peek.upper))
            guard let result else { throw unexpected() }
            return result
        }
        let name = try parseSettingName()
        if !acceptSymbol("=") { try expectKeyword("TO") }
        if isKeyword("DEFAULT") && peek(1).kind == .end {
            index += 1
            return .reset(name: name)
        }
        return make(name, try parseSetValue())
    }

    /// Comma-separated value items as text without quotes, joined by ", ".
    mutating func parseSetValue() throws -> String {
        var items: [String] = []
        repeat {
            let t = peek
            switch t.kind {
            case .string, .quotedIdentifier, .integer, .number, .word:
                index += 1
                items.append(t.text)
            case .symbol where (t.text == "-" || t.text == "+") && (peek(1).kind == .integer || peek(1).kind == .number):
                let number = peek(1)
                index += 2
                items.append((t.text == "-" ? "-" : "") + number.text)
            default:
                throw unexpected()
            }
        } while acceptSymbol(",")
        return items.joined(separator: ", ")
    }

    /// `SERIALIZABLE | REPEATABLE READ | READ COMMITTED | READ UNCOMMITTED`, lowercased.
    mutating func parseIsolationLevel() throws -> String {
        if acceptKeyword("SERIALIZABLE") { return "serializable" }
        if acceptKeywords("REPEATABLE", "READ") { return "repeatable read" }
        try expectKeyword("READ")
        if acceptKeyword("COMMITTED") { return "read committed" }
        try expectKeyword("UNCOMMITTED")
        return "read uncommitted"
    }

    /// Transaction modes after BEGIN / START TRANSACTION (accepted and ignored: Aurum's
    /// statements are atomic on their own).
    mutating func skipTransactionModes() throws {
        while true {
            if acceptKeywords("ISOLATION", "LEVEL") {
                _ = try parseIsolationLevel()
            } else if acceptKeyword("READ") {
                if !acceptKeyword("ONLY") { try expectKeyword("WRITE") }
            } else if acceptKeyword("NOT") {
                try expectKeyword("DEFERRABLE")
            } else if acceptKeyword("DEFERRABLE") {
            } else {
                return
            }
            _ = acceptSymbol(",")
        }
    }
}
