import AurumCore

// COPY: `COPY t [(cols)] FROM STDIN` and `COPY t [(cols)] | (query) TO STDOUT`, with the
// option list in both PostgreSQL syntaxes: `WITH (FORMAT csv, HEADER, ...)` and the old
// `WITH CSV HEADER DELIMITER ',' NULL ''` that psql and older clients send.

extension SQLParser {
    mutating func parseCopy() throws -> Statement {
        let copyToken = advance()
        let source: CopyStatement.Source
        if isSymbol("(") {
            index += 1
            try enter()
            let q = try parseQuery()
            leave()
            try expectSymbol(")")
            source = .query(q)
        } else {
            let name = try parseQualifiedName()
            var columns: [String]?
            if isSymbol("(") { columns = try parseParenthesizedNames() }
            source = .table(name, columns: columns)
        }
        let isFrom: Bool
        if acceptKeyword("FROM") {
            isFrom = true
        } else if acceptKeyword("TO") {
            isFrom = false
        } else {
            throw unexpected()
        }
        if case .query = source, isFrom {
            throw AurumError.syntax("COPY (query) FROM is not allowed; only COPY (query) TO STDOUT", position: copyToken.position)
        }
        let target = peek
        if acceptKeyword(isFrom ? "STDIN" : "STDOUT") {
        } else if target.kind == .string || target.isKeyword("PROGRAM") {
            throw AurumError(.featureNotSupported,
                             "COPY \(isFrom ? "FROM" : "TO") \(target.kind == .string ? "a server file" : "PROGRAM") is not supported",
                             hint: isFrom ? "use COPY ... FROM STDIN (psql: \\copy ... from 'file'), or INSERT INTO t FROM INFILE 'path' FORMAT CSV for a file on the server"
                                          : "use COPY ... TO STDOUT (psql: \\copy ... to 'file')",
                             position: target.position)
        } else {
            throw unexpected()
        }
        var options = CopyOptions()
        if acceptKeyword("WITH") {
            if isSymbol("(") { try parseCopyOptionList(&options) } else { try parseOldCopyOptions(&options) }
        } else if isSymbol("(") {
            try parseCopyOptionList(&options)
        } else {
            try parseOldCopyOptions(&options)
        }
        if isKeyword("WHERE") { throw notSupported("COPY ... WHERE", at: peek) }
        if options.format == .binary {
            throw AurumError(.featureNotSupported, "COPY FORMAT binary is not supported", hint: "use FORMAT text or FORMAT csv",
                             position: copyToken.position)
        }
        return .copy(CopyStatement(source: source, isFrom: isFrom, options: options))
    }

    /// `(FORMAT csv, HEADER [bool|MATCH], DELIMITER 'c', NULL 's', QUOTE 'c', ESCAPE 'c',
    /// FORCE_NOT_NULL (cols), FORCE_NULL (cols), FORCE_QUOTE (cols) | *, ENCODING 'e')`.
    mutating func parseCopyOptionList(_ o: inout CopyOptions) throws {
        try expectSymbol("(")
        var seen = Set<String>()
        repeat {
            let (rawName, _, nameToken) = try parseIdentifier(allowReserved: true)
            let name = rawName.lowercased()
            guard seen.insert(name).inserted else {
                throw AurumError.syntax("conflicting or redundant options", position: nameToken.position)
            }
            switch name {
            case "format":
                let v = try parseCopyWordOrString().lowercased()
                guard let f = CopyFormat(rawValue: v) else {
                    throw AurumError(.invalidParameterValue, "COPY format \"\(v)\" not recognized", position: nameToken.position)
                }
                o.format = f
            case "header":
                if isSymbol(",") || isSymbol(")") { o.header = .present; break }
                let v = try parseCopyWordOrString().lowercased()
                switch v {
                case "true", "on", "1": o.header = .present
                case "false", "off", "0": o.header = .none
                case "match": o.header = .match
                default: throw AurumError(.invalidParameterValue, "header requires a Boolean value or \"match\"", position: nameToken.position)
                }
            case "delimiter": o.delimiter = try parseStringLiteral()
            case "null": o.null = try parseStringLiteral()
            case "quote": o.quote = try parseStringLiteral()
            case "escape": o.escape = try parseStringLiteral()
            case "encoding": o.encoding = try parseStringLiteral()
            case "force_not_null": o.forceNotNull = try parseParenthesizedNames()
            case "force_null": o.forceNull = try parseParenthesizedNames()
            case "force_quote":
                if acceptSymbol("*") { o.forceQuote = nil } else { o.forceQuote = try parseParenthesizedNames() }
            case "freeze":
                if !isSymbol(",") && !isSymbol(")") { _ = try parseCopyWordOrString() }
            default:
                throw AurumError.syntax("option \"\(name)\" not recognized", position: nameToken.position)
            }
        } while acceptSymbol(",")
        try expectSymbol(")")
    }

    /// The pre-9.0 syntax: `[BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV [HEADER]
    /// [QUOTE [AS] 'c'] [ESCAPE [AS] 'c'] [FORCE NOT NULL cols] [FORCE QUOTE cols|*]]`.
    mutating func parseOldCopyOptions(_ o: inout CopyOptions) throws {
        while peek.kind == .word {
            let t = advance()
            switch t.upper {
            case "BINARY": o.format = .binary
            case "CSV": o.format = .csv
            case "HEADER": o.header = .present
            case "DELIMITER": _ = acceptKeyword("AS"); o.delimiter = try parseStringLiteral()
            case "NULL": _ = acceptKeyword("AS"); o.null = try parseStringLiteral()
            case "QUOTE": _ = acceptKeyword("AS"); o.quote = try parseStringLiteral()
            case "ESCAPE": _ = acceptKeyword("AS"); o.escape = try parseStringLiteral()
            case "ENCODING": o.encoding = try parseStringLiteral()
            case "FREEZE": break
            case "FORCE":
                if acceptKeyword("NOT") {
                    try expectKeyword("NULL")
                    o.forceNotNull = try parseNameList()
                } else if acceptKeyword("NULL") {
                    o.forceNull = try parseNameList()
                } else {
                    try expectKeyword("QUOTE")
                    if acceptSymbol("*") { o.forceQuote = nil } else { o.forceQuote = try parseNameList() }
                }
            default:
                throw syntaxError(at: t)
            }
        }
    }

    private mutating func parseNameList() throws -> [String] {
        if isSymbol("(") { return try parseParenthesizedNames() }
        var names: [String] = []
        repeat { names.append(try parseName()) } while acceptSymbol(",")
        return names
    }

    private mutating func parseCopyWordOrString() throws -> String {
        let t = peek
        switch t.kind {
        case .word, .string, .integer:
            index += 1
            return t.text
        default:
            throw unexpected()
        }
    }
}
