import AurumCore

// Queries: WITH, set operations, SELECT blocks, FROM/JOIN trees, ORDER BY and the LIMIT family
// (`LIMIT n [OFFSET m]`, `LIMIT m, n`, `LIMIT n BY cols`, `OFFSET m ROWS FETCH FIRST n ROWS ONLY`).

extension SQLParser {
    /// `[WITH ...] body [ORDER BY ...] [LIMIT ... BY ...] [LIMIT ...] [OFFSET ...] [FETCH ...]`
    mutating func parseQuery() throws -> Query {
        try enter()
        defer { leave() }
        var with: [CommonTableExpression] = []
        var scalars: [ScalarWith] = []
        if acceptKeyword("WITH") {
            let recursive = acceptKeyword("RECURSIVE")
            repeat {
                if isCommonTableExpressionStart {
                    var cte = try parseCommonTableExpression()
                    cte.recursive = recursive
                    with.append(cte)
                } else {
                    // ClickHouse: `WITH <expr> AS name`
                    let e = try parseExpr()
                    try expectKeyword("AS")
                    scalars.append(ScalarWith(name: try parseName(), expr: e))
                }
            } while acceptSymbol(",")
        }
        var query = Query(with: with, body: try parseSetOperations())
        query.scalarWith = scalars
        if acceptKeywords("ORDER", "BY") { query.orderBy = try parseOrderItems() }
        try parseLimitClauses(&query)
        return query
    }

    /// `name AS (` or `name (`: a CTE rather than a ClickHouse scalar `WITH <expr> AS name`.
    var isCommonTableExpressionStart: Bool {
        let t = peek
        return (t.kind == .word || t.kind == .quotedIdentifier)
            && ((peek(1).isKeyword("AS") && peek(2).isSymbol("(")) || peek(1).isSymbol("("))
    }

    /// `name [(cols)] AS (query)`
    mutating func parseCommonTableExpression() throws -> CommonTableExpression {
        let name = try parseName()
        var columns: [String] = []
        if isSymbol("(") { columns = try parseParenthesizedNames() }
        try expectKeyword("AS")
        if acceptKeyword("NOT") { try expectKeyword("MATERIALIZED") } else { _ = acceptKeyword("MATERIALIZED") }
        try expectSymbol("(")
        let q = try parseQuery()
        try expectSymbol(")")
        return CommonTableExpression(name: name, columnAliases: columns, query: q)
    }

    /// UNION / EXCEPT (left-associative) over INTERSECT terms, which bind tighter (PostgreSQL).
    mutating func parseSetOperations() throws -> QueryBody {
        var left = try parseIntersectTerm()
        while true {
            let op: SetOperator
            if isKeyword("UNION") {
                index += 1
                if acceptKeyword("ALL") { op = .unionAll } else { _ = acceptKeyword("DISTINCT"); op = .unionDistinct }
            } else if isKeyword("EXCEPT") {
                index += 1
                if isKeyword("ALL") { throw notSupported("EXCEPT ALL", at: peek) }
                _ = acceptKeyword("DISTINCT")
                op = .except
            } else {
                return left
            }
            left = .setOperation(op, left, try parseIntersectTerm())
        }
    }

    mutating func parseIntersectTerm() throws -> QueryBody {
        var left = try parseQueryPrimary()
        while acceptKeyword("INTERSECT") {
            if isKeyword("ALL") { throw notSupported("INTERSECT ALL", at: peek) }
            _ = acceptKeyword("DISTINCT")
            left = .setOperation(.intersect, left, try parseQueryPrimary())
        }
        return left
    }

    /// `SELECT ...`, `VALUES ...` or `( query )`.
    mutating func parseQueryPrimary() throws -> QueryBody {
        if isKeyword("SELECT") { return .select(try parseSelect()) }
        if acceptKeyword("VALUES") { return .values(try parseValuesRows()) }
        if acceptSymbol("(") {
            let q = try parseQuery()
            try expectSymbol(")")
            return .nested(q)
        }
        throw unexpected()
    }

    /// `(a, b), (c, d)` after VALUES.
    mutating func parseValuesRows() throws -> [[Expr]] {
        var rows: [[Expr]] = []
        repeat {
            try expectSymbol("(")
            rows.append(try parseExprList())
            try expectSymbol(")")
        } while acceptSymbol(",")
        return rows
    }

    mutating func parseSelect() throws -> Select {
        let kw = try expectKeyword("SELECT")
        var select = Select(items: [], pos: kw.position)
        if acceptKeyword("DISTINCT") {
            select.distinct = true
            if acceptKeyword("ON") {
                try expectSymbol("(")
                select.distinctOn = try parseExprList()
                try expectSymbol(")")
            }
        } else {
            _ = acceptKeyword("ALL")
        }
        repeat { select.items.append(try parseSelectItem()) } while acceptSymbol(",")
        if acceptKeyword("FROM") { select.from = try parseFromClause() }
        if acceptKeyword("PREWHERE") {
            // ClickHouse's PREWHERE is an optimisation hint; its meaning is a filter.
            select.whereClause = try parseExpr()
        }
        if acceptKeyword("WHERE") {
            let w = try parseExpr()
            if let pre = select.whereClause {
                select.whereClause = .binary(.and, pre, w, pos: pre.pos)
            } else {
                select.whereClause = w
            }
        }
        if acceptKeywords("GROUP", "BY") {
            if isKeyword("ALL") && !peek(1).isSymbol("(") { throw notSupported("GROUP BY ALL", at: peek) }
            select.groupBy = try parseExprList()
            if isKeyword("WITH") {
                if isKeyword("TOTALS", at: 1) {
                    index += 2
                    select.withTotals = true
                } else if isKeyword("ROLLUP", at: 1) || isKeyword("CUBE", at: 1) {
                    throw notSupported("GROUP BY ... WITH \(peek(1).upper)", at: peek(1))
                }
            }
        }
        if acceptKeyword("HAVING") { select.having = try parseExpr() }
        if acceptKeyword("WINDOW") {
            repeat {
                let (name, _, _) = try parseIdentifier()
                _ = try expectKeyword("AS")
                select.windows.append(NamedWindow(name: name, spec: try parseWindowSpec()))
            } while acceptSymbol(",")
        }
        return select
    }

    /// `*`, or `expr [[AS] alias]` (`t.*` comes back from the expression parser).
    mutating func parseSelectItem() throws -> SelectItem {
        let t = peek
        if t.isSymbol("*") {
            index += 1
            return SelectItem(expr: .star(qualifier: nil, pos: t.position))
        }
        let e = try parseExpr()
        return SelectItem(expr: e, alias: try parseOptionalAlias())
    }

    /// `AS name` (any word, quoted identifier or string), or a bare name that is not a keyword
    /// which could continue the statement.
    mutating func parseOptionalAlias() throws -> String? {
        if acceptKeyword("AS") {
            let t = peek
            switch t.kind {
            case .word, .quotedIdentifier, .string:
                index += 1
                return t.text
            default:
                throw unexpected()
            }
        }
        let t = peek
        if t.kind == .quotedIdentifier || (t.kind == .word && !Keywords.notAlias.contains(t.upper)) {
            index += 1
            return t.text
        }
        return nil
    }

    // MARK: FROM

    /// Comma-separated joined tables; `,` is a cross join binding looser than JOIN.
    mutating func parseFromClause() throws -> TableRef {
        var left = try parseJoinedTable()
        while acceptSymbol(",") {
            left = .join(left, .cross, try parseJoinedTable(), on: nil, using: [])
        }
        return left
    }

    /// `factor { [kind] JOIN factor [ON ... | USING (...)] }`
    mutating func parseJoinedTable() throws -> TableRef {
        var left = try parseTableFactor()
        while let kind = try parseJoinKind() {
            let right = try parseTableFactor()
            if kind == .cross {
                left = .join(left, .cross, right, on: nil, using: [])
            } else if acceptKeyword("ON") {
                left = .join(left, kind, right, on: try parseExpr(), using: [])
            } else if acceptKeyword("USING") {
                let names: [String]
                if isSymbol("(") {
                    names = try parseParenthesizedNames()
                } else {
                    // ClickHouse allows `USING a, b` without parentheses.
                    var list = [try parseName()]
                    while isSymbol(",") && (peek(1).kind == .word || peek(1).kind == .quotedIdentifier)
                            && !peek(2).isSymbol("(") && !peek(2).isSymbol(".") {
                        index += 1
                        list.append(try parseName())
                    }
                    names = list
                }
                left = .join(left, kind, right, on: nil, using: names)
            } else {
                throw unexpected()
            }
        }
        return left
    }

    /// Consumes a join operator and returns its kind, or nil if none follows.
    mutating func parseJoinKind() throws -> JoinKind? {
        let t = peek
        guard t.kind == .word else { return nil }
        switch t.upper {
        case "JOIN":
            index += 1
            return .inner
        case "INNER":
            index += 1
            try expectKeyword("JOIN")
            return .inner
        case "CROSS":
            index += 1
            try expectKeyword("JOIN")
            return .cross
        case "LEFT", "RIGHT", "FULL":
            let next = peek(1)
            guard next.isKeyword("JOIN") || next.isKeyword("OUTER") || next.kind == .word && ["SEMI", "ANTI", "ANY", "ALL", "ASOF"].contains(next.upper) else {
                return nil
            }
            index += 1
            if ["SEMI", "ANTI", "ANY", "ASOF"].contains(peek.upper) && peek.kind == .word {
                throw notSupported("\(t.upper) \(peek.upper) JOIN", at: t)
            }
            _ = acceptKeyword("ALL")
            _ = acceptKeyword("OUTER")
            try expectKeyword("JOIN")
            return t.upper == "LEFT" ? .left : (t.upper == "RIGHT" ? .right : .full)
        case "ALL":
            // ClickHouse strictness: ALL is the standard join semantics.
            let next = peek(1)
            guard next.kind == .word, ["JOIN", "INNER", "LEFT", "RIGHT", "FULL"].contains(next.upper) else { return nil }
            index += 1
            return try parseJoinKind()
        case "NATURAL", "ANY", "SEMI", "ANTI", "ASOF", "GLOBAL", "PASTE", "LATERAL":
            throw notSupported("\(t.upper) JOIN", at: t)
        case "ARRAY" where peek(1).isKeyword("JOIN"):
            throw notSupported("ARRAY JOIN", at: t)
        default:
            return nil
        }
    }

    /// A table, a table function, a subquery or a parenthesised join.
    mutating func parseTableFactor() throws -> TableRef {
        let t = peek
        if t.isSymbol("(") {
            try enter()
            defer { leave() }
            if isQueryStart(throughParens: true) {
                let start = index
                index += 1
                do {
                    let q = try parseQuery()
                    try expectSymbol(")")
                    let alias = try parseOptionalAlias()
                    let columns = isSymbol("(") ? try parseParenthesizedNames() : []
                    return .subquery(q, alias: alias, columnAliases: columns)
                } catch {
                    // `((SELECT ...) AS x JOIN y ON ...)`: a parenthesised join whose first
                    // table is a subquery (psqlODBC's SQLForeignKeys); otherwise the query's error.
                    index = start
                    guard peek(1).isSymbol("(") else { throw error }
                    index += 1
                    guard let inner = try? parseFromClause(), isSymbol(")") else {
                        index = start
                        throw error
                    }
                    index += 1
                    if try parseOptionalAlias() != nil { throw notSupported("aliases on parenthesised joins", at: t) }
                    return inner
                }
            }
            index += 1
            let inner = try parseFromClause()
            try expectSymbol(")")
            if try parseOptionalAlias() != nil { throw notSupported("aliases on parenthesised joins", at: t) }
            return inner
        }
        if t.isKeyword("LATERAL") { throw notSupported("LATERAL", at: t) }
        if t.isKeyword("ONLY") && (peek(1).kind == .word || peek(1).kind == .quotedIdentifier) { index += 1 }
        let name = try parseQualifiedName()
        if isSymbol("(") {
            var call = FunctionCall(name: name)
            try parseCallArguments(&call)
            let alias = try parseOptionalAlias()
            let columns = isSymbol("(") ? try parseParenthesizedNames() : []
            return .function(call, alias: alias, columnAliases: columns)
        }
        var final = acceptKeyword("FINAL")
        let alias = try parseOptionalAlias()
        if !final { final = acceptKeyword("FINAL") }
        if isKeyword("SAMPLE") { throw notSupported("SAMPLE", at: peek) }
        return .table(name, alias: alias, final: final)
    }

    // MARK: LIMIT family

    mutating func parseLimitClauses(_ query: inout Query) throws {
        while true {
            let t = peek
            if t.isKeyword("LIMIT") {
                index += 1
                if acceptKeyword("ALL") {
                    if query.limit != nil { throw syntaxError(at: t) }
                    continue
                }
                let first = try parseExpr()
                var count = first
                var offset: Expr?
                if acceptSymbol(",") {
                    offset = first
                    count = try parseExpr()
                } else if acceptKeyword("OFFSET") {
                    offset = try parseExpr()
                    if !acceptKeyword("ROWS") { _ = acceptKeyword("ROW") }
                }
                if acceptKeyword("BY") {
                    guard query.limitBy == nil, query.limit == nil else { throw syntaxError(at: t) }
                    query.limitBy = LimitBy(limit: count, offset: offset, by: try parseExprList())
                    continue
                }
                guard query.limit == nil else { throw syntaxError(at: t) }
                query.limit = count
                if let offset {
                    guard query.offset == nil else { throw syntaxError(at: t) }
                    query.offset = offset
                }
            } else if t.isKeyword("OFFSET") {
                index += 1
                guard query.offset == nil else { throw syntaxError(at: t) }
                query.offset = try parseExpr()
                if !acceptKeyword("ROWS") { _ = acceptKeyword("ROW") }
            } else if t.isKeyword("FETCH") {
                index += 1
                if !acceptKeyword("FIRST") { try expectKeyword("NEXT") }
                var count: Expr = .literal(.integer("1"), pos: peek.position)
                if !isKeyword("ROW") && !isKeyword("ROWS") { count = try parseExpr() }
                if !acceptKeyword("ROWS") { try expectKeyword("ROW") }
                if isKeyword("WITH") { throw notSupported("FETCH ... WITH TIES", at: peek) }
                try expectKeyword("ONLY")
                guard query.limit == nil else { throw syntaxError(at: t) }
                query.limit = count
            } else {
                return
            }
        }
    }
}
