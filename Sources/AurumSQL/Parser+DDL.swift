import AurumCore

// Data definition: CREATE DATABASE/TABLE/VIEW, DROP, TRUNCATE, RENAME, EXCHANGE, ALTER TABLE,
// OPTIMIZE. ClickHouse table clauses (ENGINE, PARTITION BY, PRIMARY KEY, ORDER BY, SETTINGS,
// COMMENT) may come in any order; column options too.

extension SQLParser {
    mutating func parseCreate() throws -> Statement {
        index += 1
        let orReplace = acceptKeywords("OR", "REPLACE")
        let temporary = acceptKeyword("TEMPORARY") || acceptKeyword("TEMP")
        let t = peek
        switch t.kind == .word ? t.upper : "" {
        case "DATABASE", "SCHEMA":
            guard !orReplace, !temporary else { throw syntaxError(at: t) }
            index += 1
            let ifNotExists = acceptKeywords("IF", "NOT", "EXISTS")
            let name = try parseName()
            if isKeyword("ON") && isKeyword("CLUSTER", at: 1) { throw notSupported("ON CLUSTER", at: peek) }
            if acceptKeyword("ENGINE") {
                _ = acceptSymbol("=")
                _ = try parseIdentifier(allowReserved: true)
                if isSymbol("(") {
                    var ignored = FunctionCall(name: QualifiedName([]))
                    try parseCallArguments(&ignored)
                }
            }
            if acceptKeyword("COMMENT") { _ = try parseStringLiteral() }
            return .createDatabase(name: name, ifNotExists: ifNotExists)
        case "TABLE":
            if orReplace { throw notSupported("CREATE OR REPLACE TABLE", at: t) }
            index += 1
            return .createTable(try parseCreateTable(temporary: temporary))
        case "VIEW":
            guard !temporary else { throw notSupported("temporary views", at: t) }
            index += 1
            if isKeyword("IF") { throw notSupported("CREATE VIEW IF NOT EXISTS", at: peek) }
            let name = try parseQualifiedName()
            if isSymbol("(") { throw notSupported("view column lists", at: peek) }
            try expectKeyword("AS")
            guard isQueryStart(throughParens: true) else { throw unexpected() }
            return .createView(name: name, query: try parseQuery(), orReplace: orReplace)
        case "MATERIALIZED", "DICTIONARY", "FUNCTION", "INDEX", "USER", "ROLE":
            throw notSupported("CREATE \(t.upper)", at: t)
        default:
            throw unexpected()
        }
    }

    /// After `CREATE [TEMPORARY] TABLE`.
    mutating func parseCreateTable(temporary: Bool) throws -> CreateTable {
        let ifNotExists = acceptKeywords("IF", "NOT", "EXISTS")
        var table = CreateTable(name: try parseQualifiedName(), ifNotExists: ifNotExists, temporary: temporary)
        if acceptKeyword("UUID") { table.uuid = try parseStringLiteral() }
        if isKeyword("ON") && isKeyword("CLUSTER", at: 1) { throw notSupported("ON CLUSTER", at: peek) }
        var hasElements = false
        if isSymbol("(") {
            hasElements = true
            try parseTableElements(&table)
        }
        while true {
            let t = peek
            guard t.kind == .word else { break }
            switch t.upper {
            case "ENGINE":
                index += 1
                _ = acceptSymbol("=")
                let (name, _, _) = try parseIdentifier(allowReserved: true)
                var engine = EngineClause(name: name)
                if isSymbol("(") {
                    var call = FunctionCall(name: QualifiedName([name]))
                    try parseCallArguments(&call)
                    engine.arguments = call.arguments
                }
                table.engine = engine
            case "PARTITION":
                index += 1
                try expectKeyword("BY")
                table.partitionBy = try parseExpr()
            case "PRIMARY":
                index += 1
                try expectKeyword("KEY")
                table.primaryKey = try parseKeyExpression()
            case "ORDER":
                index += 1
                try expectKeyword("BY")
                table.orderBy = try parseKeyExpression()
            case "SETTINGS":
                index += 1
                repeat {
                    let name = try parseIdentifier(allowReserved: true).0
                    try expectSymbol("=")
                    table.settings.append((name, try parseSettingLiteral()))
                } while acceptSymbol(",")
            case "COMMENT":
                index += 1
                table.comment = try parseStringLiteral()
            case "AS":
                index += 1
                guard isQueryStart(throughParens: true) else {
                    throw notSupported("CREATE TABLE ... AS <table> (copying another table's structure)", at: peek)
                }
                table.asQuery = try parseQuery()
            case "SAMPLE", "TTL", "WITH", "TABLESPACE", "INHERITS", "PARTITIONED", "CLUSTER":
                throw notSupported("\(t.upper) in CREATE TABLE", at: t)
            default:
                throw unexpected()
            }
            if table.asQuery != nil { break }
        }
        if !hasElements && table.asQuery == nil { throw unexpected() }
        return table
    }

    /// `ORDER BY` / `PRIMARY KEY` key: `expr`, `(a, b)` or `tuple()` (an empty key).
    mutating func parseKeyExpression() throws -> [Expr] {
        let e = try parseExpr()
        switch e {
        case .tuple(let items, _):
            return items
        case .function(let call, _) where call.name.parts.count == 1 && call.name.last.lowercased() == "tuple"
            && call.parameters.isEmpty && call.over == nil && call.filter == nil && !call.star && !call.distinct:
            return call.arguments
        default:
            return [e]
        }
    }

    /// A SETTINGS value: number (optionally signed), string, boolean, NULL or a bare word.
    mutating func parseSettingLiteral() throws -> Literal {
        let t = advance()
        switch t.kind {
        case .integer: return .integer(t.text)
        case .number: return .number(t.text)
        case .string: return .string(t.text)
        case .symbol where t.text == "-" && (peek.kind == .integer || peek.kind == .number):
            let n = advance()
            return n.kind == .integer ? .integer("-" + n.text) : .number("-" + n.text)
        case .word:
            switch t.upper {
            case "TRUE": return .bool(true)
            case "FALSE": return .bool(false)
            case "NULL": return .null
            default: return .string(t.text)
            }
        default:
            throw syntaxError(at: t)
        }
    }

    /// `( column | PRIMARY KEY (...) | CONSTRAINT ..., ... )`
    mutating func parseTableElements(_ table: inout CreateTable) throws {
        try expectSymbol("(")
        repeat {
            let t = peek
            if t.isKeyword("PRIMARY") {
                index += 1
                try expectKeyword("KEY")
                table.primaryKey = try parseKeyExpression()
            } else if t.isKeyword("CONSTRAINT") || t.isKeyword("CHECK") {
                index += 1
                if t.isKeyword("CONSTRAINT") { _ = try parseIdentifier(allowReserved: true) }
                if acceptKeywords("PRIMARY", "KEY") {
                    table.primaryKey = try parseKeyExpression()
                } else if acceptKeyword("CHECK") || acceptKeyword("ASSUME") {
                    // Constraints are accepted and not enforced.
                    _ = try parseExpr()
                } else {
                    throw notSupported("this table constraint", at: peek)
                }
            } else if t.kind == .word && ["INDEX", "PROJECTION", "UNIQUE", "FOREIGN", "EXCLUDE", "LIKE"].contains(t.upper)
                        && peek(1).kind != .symbol {
                throw notSupported("\(t.upper) in CREATE TABLE", at: t)
            } else {
                table.columns.append(try parseColumnDefinition())
            }
        } while acceptSymbol(",")
        try expectSymbol(")")
    }

    /// `name Type [NULL|NOT NULL] [DEFAULT expr] [CODEC(...)] [PRIMARY KEY] [COMMENT 'x']`
    /// (options in any order).
    mutating func parseColumnDefinition() throws -> ColumnDefinition {
        let (name, _, t) = try parseIdentifier()
        var column = ColumnDefinition(name: name, type: try parseType(), pos: t.position)
        while true {
            let o = peek
            guard o.kind == .word else { return column }
            switch o.upper {
            case "NULL":
                index += 1
                column.nullConstraint = true
            case "NOT":
                index += 1
                try expectKeyword("NULL")
                column.nullConstraint = false
            case "DEFAULT":
                index += 1
                column.defaultValue = try parseExpr()
            case "CODEC":
                index += 1
                column.codec = try parseCodec()
            case "PRIMARY":
                index += 1
                try expectKeyword("KEY")
                column.primaryKey = true
            case "COMMENT":
                index += 1
                column.comment = try parseStringLiteral()
            case "MATERIALIZED", "ALIAS", "EPHEMERAL", "TTL", "UNIQUE", "REFERENCES", "CHECK", "COLLATE",
                 "GENERATED", "SETTINGS", "STATISTICS":
                throw notSupported("\(o.upper) in a column definition", at: o)
            default:
                return column
            }
        }
    }

    /// `( Stage[(n, ...)], ... )` after CODEC.
    mutating func parseCodec() throws -> [CodecStage] {
        try expectSymbol("(")
        var stages: [CodecStage] = []
        repeat {
            var stage = CodecStage(name: try parseIdentifier(allowReserved: true).0)
            if acceptSymbol("(") {
                repeat {
                    let negative = acceptSymbol("-")
                    let n = peek
                    guard n.kind == .integer, let value = Int(n.text) else { throw unexpected() }
                    index += 1
                    stage.arguments.append(negative ? -value : value)
                } while acceptSymbol(",")
                try expectSymbol(")")
            }
            stages.append(stage)
        } while acceptSymbol(",")
        try expectSymbol(")")
        return stages
    }

    // MARK: DROP, TRUNCATE, RENAME, EXCHANGE, OPTIMIZE

    mutating func parseDrop() throws -> Statement {
        index += 1
        _ = acceptKeyword("TEMPORARY")
        let t = peek
        switch t.kind == .word ? t.upper : "" {
        case "DATABASE", "SCHEMA":
            index += 1
            let ifExists = acceptKeywords("IF", "EXISTS")
            let name = try parseName()
            try skipDropOptions()
            return .dropDatabase(name: name, ifExists: ifExists)
        case "TABLE", "VIEW":
            index += 1
            let ifExists = acceptKeywords("IF", "EXISTS")
            var names: [QualifiedName] = []
            repeat { names.append(try parseQualifiedName()) } while acceptSymbol(",")
            try skipDropOptions()
            return .dropTable(names: names, ifExists: ifExists, isView: t.upper == "VIEW")
        case "MATERIALIZED", "DICTIONARY", "FUNCTION", "INDEX", "USER", "ROLE":
            throw notSupported("DROP \(t.upper)", at: t)
        default:
            throw unexpected()
        }
    }

    /// `[CASCADE|RESTRICT] [SYNC]`: Aurum drops contents with the container (ClickHouse semantics).
    mutating func skipDropOptions() throws {
        if isKeyword("ON") && isKeyword("CLUSTER", at: 1) { throw notSupported("ON CLUSTER", at: peek) }
        if !acceptKeyword("CASCADE") { _ = acceptKeyword("RESTRICT") }
        _ = acceptKeyword("SYNC")
    }

    mutating func parseTruncate() throws -> Statement {
        index += 1
        _ = acceptKeyword("TABLE")
        if isKeyword("IF") { throw notSupported("TRUNCATE IF EXISTS", at: peek) }
        let name = try parseQualifiedName()
        if isSymbol(",") { throw notSupported("TRUNCATE of several tables", at: peek) }
        return .truncate(name)
    }

    mutating func parseRename() throws -> Statement {
        index += 1
        if isKeyword("DATABASE") || isKeyword("DICTIONARY") { throw notSupported("RENAME \(peek.upper)", at: peek) }
        if !acceptKeyword("TABLE") { try expectKeyword("TABLES") }
        var pairs: [(QualifiedName, QualifiedName)] = []
        repeat {
            let from = try parseQualifiedName()
            try expectKeyword("TO")
            pairs.append((from, try parseQualifiedName()))
        } while acceptSymbol(",")
        return .renameTable(pairs)
    }

    mutating func parseExchange() throws -> Statement {
        index += 1
        if !acceptKeyword("TABLES") { try expectKeyword("TABLE") }
        let a = try parseQualifiedName()
        try expectKeyword("AND")
        return .exchangeTables(a, try parseQualifiedName())
    }

    mutating func parseOptimize() throws -> Statement {
        index += 1
        try expectKeyword("TABLE")
        let name = try parseQualifiedName()
        if isKeyword("PARTITION") || isKeyword("DEDUPLICATE") || isKeyword("CLEANUP") {
            throw notSupported("OPTIMIZE ... \(peek.upper)", at: peek)
        }
        return .optimize(name, final: acceptKeyword("FINAL"))
    }

    // MARK: ALTER TABLE

    mutating func parseAlter() throws -> Statement {
        index += 1
        try expectKeyword("TABLE")
        if isKeyword("IF") || isKeyword("ONLY") { throw notSupported("ALTER TABLE \(peek.upper)", at: peek) }
        let name = try parseQualifiedName()
        if acceptKeyword("DELETE") {
            try expectKeyword("WHERE")
            return .delete(table: name, whereClause: try parseExpr())
        }
        var actions: [AlterAction] = []
        repeat { actions.append(try parseAlterAction()) } while acceptSymbol(",")
        return .alterTable(name, actions)
    }

    mutating func parseAlterAction() throws -> AlterAction {
        let t = advance()
        guard t.kind == .word else { throw syntaxError(at: t) }
        switch t.upper {
        case "ADD":
            if !acceptKeyword("COLUMN"), peek.kind == .word,
               ["INDEX", "CONSTRAINT", "PROJECTION", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "STATISTICS"].contains(peek.upper) {
                throw notSupported("ADD \(peek.upper)", at: peek)
            }
            let ifNotExists = acceptKeywords("IF", "NOT", "EXISTS")
            let column = try parseColumnDefinition()
            var after: String?
            if acceptKeyword("AFTER") { after = try parseName() }
            if isKeyword("FIRST") { throw notSupported("ADD COLUMN ... FIRST", at: peek) }
            return .addColumn(column, ifNotExists: ifNotExists, after: after)
        case "DROP":
            if !acceptKeyword("COLUMN"), peek.kind == .word,
               ["PARTITION", "INDEX", "CONSTRAINT", "PROJECTION", "DETACHED", "PART", "STATISTICS"].contains(peek.upper) {
                throw notSupported("DROP \(peek.upper)", at: peek)
            }
            let ifExists = acceptKeywords("IF", "EXISTS")
            let column = try parseName()
            if isKeyword("CASCADE") || isKeyword("RESTRICT") { index += 1 }
            return .dropColumn(column, ifExists: ifExists)
        case "RENAME":
            if acceptKeyword("TO") { return .renameTable(to: try parseQualifiedName()) }
            _ = acceptKeyword("COLUMN")
            if isKeyword("IF") { throw notSupported("RENAME COLUMN IF EXISTS", at: peek) }
            let from = try parseName()
            try expectKeyword("TO")
            return .renameColumn(from: from, to: try parseName())
        case "MODIFY", "ALTER", "COMMENT", "CLEAR", "UPDATE", "DELETE", "MATERIALIZE", "ATTACH", "DETACH",
             "FREEZE", "REPLACE", "MOVE", "FETCH", "SET", "OWNER", "REMOVE", "RESET":
            throw notSupported("ALTER TABLE ... \(t.upper)", at: t)
        default:
            throw syntaxError(at: t)
        }
    }
}
