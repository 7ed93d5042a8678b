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
            if isKeyword("TO") { throw notSupported("savepoints", at: peek) }
            if isKeyword("AND") { throw notSupported("ROLLBACK AND CHAIN", at: peek) }
            return .rollback
        case "UPDATE", "MERGE", "GRANT", "REVOKE", "PREPARE", "EXECUTE", "DEALLOCATE", "DISCARD",
             "LISTEN", "UNLISTEN", "NOTIFY", "VACUUM", "ANALYZE", "CALL", "DO", "COMMENT", "SAVEPOINT",
             "RELEASE", "LOCK", "DECLARE", "CLOSE", "ATTACH", "DETACH", "SYSTEM", "KILL", "CHECKPOINT":
            throw notSupported(t.upper, at: t)
        default:
            throw unexpected()
        }
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
