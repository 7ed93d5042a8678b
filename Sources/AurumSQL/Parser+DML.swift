import AurumCore

// Data manipulation: INSERT (VALUES, query, FROM INFILE, DEFAULT VALUES) and DELETE.

extension SQLParser {
    /// `INSERT INTO [TABLE] t [(cols)] VALUES ... | query | FROM INFILE 'path' [COMPRESSION 'c'] [FORMAT f] | DEFAULT VALUES`
    mutating func parseInsert() throws -> Statement {
        index += 1
        try expectKeyword("INTO")
        if isKeyword("FUNCTION") { throw notSupported("INSERT INTO FUNCTION", at: peek) }
        _ = acceptKeyword("TABLE")
        let table = try parseQualifiedName()
        var columns: [String]?
        if isSymbol("(") && !isQueryStart(throughParens: true) {
            columns = try parseParenthesizedNames()
        }
        let t = peek
        if t.isKeyword("VALUES") {
            index += 1
            var rows: [[Expr]] = []
            // ClickHouse accepts rows without separating commas.
            repeat {
                _ = acceptSymbol(",")
                try expectSymbol("(")
                rows.append(try parseExprList())
                try expectSymbol(")")
            } while isSymbol("(") || (isSymbol(",") && peek(1).isSymbol("("))
            return .insert(Insert(table: table, columns: columns, source: .query(Query(body: .values(rows)))))
        }
        if t.isKeyword("FROM") && isKeyword("INFILE", at: 1) {
            index += 2
            let path = try parseStringLiteral()
            var compression: String?
            if acceptKeyword("COMPRESSION") { compression = try parseStringLiteral() }
            var format: String?
            if acceptKeyword("FORMAT") { format = try parseIdentifier(allowReserved: true).0 }
            return .insert(Insert(table: table, columns: columns, source: .infile(path: path, format: format),
                                  compression: compression))
        }
        if t.isKeyword("DEFAULT") {
            index += 1
            try expectKeyword("VALUES")
            return .insert(Insert(table: table, columns: columns, source: .defaultValues))
        }
        if t.isKeyword("FORMAT") { throw notSupported("INSERT ... FORMAT with inline data", at: t) }
        if t.isKeyword("SETTINGS") { throw notSupported("INSERT ... SETTINGS", at: t) }
        guard isQueryStart(throughParens: true) else { throw unexpected() }
        return .insert(Insert(table: table, columns: columns, source: .query(try parseQuery())))
    }

    /// `DELETE FROM t [WHERE cond]`
    mutating func parseDelete() throws -> Statement {
        index += 1
        try expectKeyword("FROM")
        let table = try parseQualifiedName()
        var condition: Expr?
        if acceptKeyword("WHERE") { condition = try parseExpr() }
        return .delete(table: table, whereClause: condition)
    }
}
