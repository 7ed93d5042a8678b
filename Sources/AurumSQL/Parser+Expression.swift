import AurumCore

// Scalar expressions, by precedence climbing with PostgreSQL's precedence (lowest first):
//   1 OR   2 AND   3 NOT (prefix)   4 IS, ISNULL, NOTNULL   5 comparisons (= <> < <= > >= == !=)
//   6 [NOT] BETWEEN / IN / LIKE / ILIKE   7 ||   8 + -   9 * / %   10 unary + -
//   11 postfix :: and [ ]   then primaries.
// All binary operators are left-associative. Each level of parenthesis costs a handful of stack
// frames only, and `enter()` bounds the nesting.

extension SQLParser {
    enum Precedence {
        static let or = 1, and = 2, not = 3, isTest = 4, comparison = 5, like = 6, concat = 7
        static let additive = 8, multiplicative = 9, unary = 10
    }

    /// A full expression.
    mutating func parseExpr() throws -> Expr {
        try enter()
        defer { leave() }
        return try parseBinary(Precedence.or)
    }

    /// `expr, expr, ...`
    mutating func parseExprList() throws -> [Expr] {
        var list = [try parseExpr()]
        while acceptSymbol(",") { list.append(try parseExpr()) }
        return list
    }

    /// Parses operators whose precedence is at least `minPrec`.
    mutating func parseBinary(_ minPrec: Int) throws -> Expr {
        var left = try parsePrefix()
        while true {
            let t = peek
            switch t.kind {
            case .word:
                switch t.upper {
                case "OR":
                    guard minPrec <= Precedence.or else { return left }
                    index += 1
                    left = .binary(.or, left, try parseBinary(Precedence.or + 1), pos: left.pos)
                case "AND":
                    guard minPrec <= Precedence.and else { return left }
                    index += 1
                    left = .binary(.and, left, try parseBinary(Precedence.and + 1), pos: left.pos)
                case "IS", "ISNULL", "NOTNULL":
                    guard minPrec <= Precedence.isTest else { return left }
                    left = try parseIsTest(left)
                case "NOT":
                    let next = peek(1)
                    guard next.kind == .word, ["BETWEEN", "IN", "LIKE", "ILIKE"].contains(next.upper),
                          minPrec <= Precedence.like else { return left }
                    index += 1
                    left = try parsePredicate(left, negated: true)
                case "BETWEEN", "IN", "LIKE", "ILIKE":
                    guard minPrec <= Precedence.like else { return left }
                    left = try parsePredicate(left, negated: false)
                case "OPERATOR" where peek(1).isSymbol("("):
                    // PostgreSQL's OPERATOR(schema.op) spelling of a binary operator (psql uses
                    // OPERATOR(pg_catalog.~)); the schema is ignored.
                    guard minPrec <= Precedence.comparison else { return left }
                    index += 2
                    while (peek.kind == .word || peek.kind == .quotedIdentifier) && peek(1).isSymbol(".") { index += 2 }
                    let sym = peek
                    guard sym.kind == .symbol else { throw AurumError.syntax("syntax error at or near \"\(sym.text)\"", position: sym.position) }
                    index += 1
                    try expectSymbol(")")
                    let right = try parseBinary(Precedence.comparison + 1)
                    left = try operatorExpr(sym.text, left, right, pos: sym.position)
                default:
                    return left
                }
            case .symbol:
                let op: BinaryOperator
                let prec: Int
                switch t.text {
                case "=", "==": op = .equal; prec = Precedence.comparison
                case "<>", "!=": op = .notEqual; prec = Precedence.comparison
                case "<": op = .less; prec = Precedence.comparison
                case "<=": op = .lessEqual; prec = Precedence.comparison
                case ">": op = .greater; prec = Precedence.comparison
                case ">=": op = .greaterEqual; prec = Precedence.comparison
                case "||": op = .concat; prec = Precedence.concat
                case "+": op = .add; prec = Precedence.additive
                case "-": op = .subtract; prec = Precedence.additive
                case "*": op = .multiply; prec = Precedence.multiplicative
                case "/": op = .divide; prec = Precedence.multiplicative
                case "%": op = .modulo; prec = Precedence.multiplicative
                case "~", "~*", "!~", "!~*":
                    // POSIX regular expression match, as a call of the regex functions
                    guard Precedence.comparison >= minPrec else { return left }
                    index += 1
                    let right = try parseBinary(Precedence.comparison + 1)
                    left = try operatorExpr(t.text, left, right, pos: t.position)
                    continue
                case "&":
                    // bitwise AND (PostgreSQL's "other operator" precedence, with ||)
                    guard Precedence.concat >= minPrec else { return left }
                    index += 1
                    let right = try parseBinary(Precedence.concat + 1)
                    left = try operatorExpr(t.text, left, right, pos: t.position)
                    continue
                default: return left
                }
                guard prec >= minPrec else { return left }
                index += 1
                if prec == Precedence.comparison, let quantified = try parseQuantified(op, left) {
                    left = quantified
                } else {
                    left = .binary(op, left, try parseBinary(prec + 1), pos: left.pos)
                }
            default:
                return left
            }
        }
    }

    /// A binary operator given by its symbol (OPERATOR(...) and the regex operators).
    func operatorExpr(_ sym: String, _ l: Expr, _ r: Expr, pos: Int) throws -> Expr {
        let ops: [String: BinaryOperator] = ["=": .equal, "<>": .notEqual, "!=": .notEqual, "<": .less, "<=": .lessEqual, ">": .greater,
                                             ">=": .greaterEqual, "||": .concat, "+": .add, "-": .subtract, "*": .multiply, "/": .divide, "%": .modulo]
        if let op = ops[sym] { return .binary(op, l, r, pos: l.pos) }
        let regex: [String: String] = ["~": "pg_regex_match", "~*": "pg_regex_imatch", "!~": "pg_regex_not_match", "!~*": "pg_regex_not_imatch",
                                         "&": "pg_bitand"]
        if let fn = regex[sym] { return .function(FunctionCall(name: QualifiedName([fn], pos: pos), arguments: [l, r]), pos: l.pos) }
        throw AurumError.syntax("operator \(sym) is not supported", position: pos)
    }

    /// Prefix operators (`NOT`, unary `-`/`+`), then postfix operators on a primary.
    mutating func parsePrefix() throws -> Expr {
        let t = peek
        if t.isKeyword("NOT") {
            index += 1
            try enter()
            defer { leave() }
            let operand = try parseBinary(Precedence.isTest)
            if case .exists(let q, let negated, _) = operand {
                return .exists(q, negated: !negated, pos: t.position)
            }
            return .unary(.not, operand, pos: t.position)
        }
        if t.isSymbol("-") || t.isSymbol("+") {
            index += 1
            try enter()
            defer { leave() }
            let operand = try parsePrefix()
            return .unary(t.text == "-" ? .minus : .plus, operand, pos: t.position)
        }
        return try parsePostfix(try parsePrimary())
    }

    /// `x::type` (repeatable) and `x[i]`.
    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if acceptSymbol("::") {
                e = .cast(e, try parseType(), pos: e.pos)
            } else if isSymbol("[") {
                index += 1
                let sub = try parseExpr()
                try expectSymbol("]")
                e = .subscript(e, sub, pos: e.pos)
            } else if peek.isKeyword("COLLATE") && (peek(1).kind == .word || peek(1).kind == .quotedIdentifier) {
                // `x COLLATE name`: Aurum compares bytes (C collation); the clause is accepted and ignored
                index += 2
                while isSymbol(".") && (peek(1).kind == .word || peek(1).kind == .quotedIdentifier) { index += 2 }
            } else {
                return e
            }
        }
    }

    // MARK: Predicates

    /// `IS [NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM x`, `ISNULL`, `NOTNULL`.
    mutating func parseIsTest(_ left: Expr) throws -> Expr {
        let t = advance()
        if t.upper == "ISNULL" { return .isNull(left, negated: false, pos: left.pos) }
        if t.upper == "NOTNULL" { return .isNull(left, negated: true, pos: left.pos) }
        let negated = acceptKeyword("NOT")
        let w = peek
        switch w.kind == .word ? w.upper : "" {
        case "NULL", "UNKNOWN":
            index += 1
            return .isNull(left, negated: negated, pos: left.pos)
        case "TRUE", "FALSE":
            index += 1
            return .isBool(left, value: w.upper == "TRUE", negated: negated, pos: left.pos)
        case "DISTINCT":
            index += 1
            try expectKeyword("FROM")
            let right = try parseBinary(Precedence.comparison)
            return .binary(negated ? .isNotDistinctFrom : .isDistinctFrom, left, right, pos: left.pos)
        default:
            throw unexpected()
        }
    }

    /// `[NOT] BETWEEN a AND b`, `[NOT] IN (...)`, `[NOT] LIKE|ILIKE p` (NOT already consumed).
    mutating func parsePredicate(_ left: Expr, negated: Bool) throws -> Expr {
        let t = advance()
        switch t.upper {
        case "BETWEEN":
            if acceptKeyword("SYMMETRIC") { throw notSupported("BETWEEN SYMMETRIC", at: t) }
            _ = acceptKeyword("ASYMMETRIC")
            let low = try parseBinary(Precedence.concat)
            try expectKeyword("AND")
            let high = try parseBinary(Precedence.concat)
            return .between(left, low: low, high: high, negated: negated, pos: left.pos)
        case "IN":
            let open = try expectSymbol("(")
            if isQueryStart() {
                let q = try parseQuery()
                try expectSymbol(")")
                return .inSubquery(left, q, negated: negated, pos: left.pos)
            }
            _ = open
            let list = try parseExprList()
            try expectSymbol(")")
            return .inList(left, list, negated: negated, pos: left.pos)
        default: // LIKE, ILIKE
            var pattern = try parseBinary(Precedence.concat)
            if isKeyword("ESCAPE") {
                // rewritten to the default backslash escape by pg_like_escape(pattern, escape)
                let e = advance()
                let esc = try parseBinary(Precedence.concat)
                pattern = .function(FunctionCall(name: QualifiedName(["pg_like_escape"], pos: e.position), arguments: [pattern, esc]), pos: pattern.pos)
            }
            let op: BinaryOperator = t.upper == "LIKE" ? (negated ? .notLike : .like) : (negated ? .notIlike : .ilike)
            return .binary(op, left, pattern, pos: left.pos)
        }
    }

    /// After a comparison operator: `ANY|SOME|ALL (array or subquery)`, or nil.
    mutating func parseQuantified(_ op: BinaryOperator, _ left: Expr) throws -> Expr? {
        let t = peek
        guard t.kind == .word, t.upper == "ANY" || t.upper == "SOME" || t.upper == "ALL",
              peek(1).isSymbol("(") else { return nil }
        index += 2
        let rhs: Expr
        if isQueryStart() {
            let qpos = peek.position
            rhs = .subquery(try parseQuery(), pos: qpos)
        } else {
            rhs = try parseExpr()
        }
        try expectSymbol(")")
        return .quantified(op, left, all: t.upper == "ALL", rhs, pos: left.pos)
    }

    /// Whether the next tokens start a query (`SELECT`, `WITH`, `VALUES (`), looking through
    /// any number of opening parentheses when `throughParens` is set.
    func isQueryStart(throughParens: Bool = false) -> Bool {
        var k = 0
        if throughParens { while peek(k).isSymbol("(") { k += 1 } }
        let t = peek(k)
        return t.isKeyword("SELECT") || t.isKeyword("WITH") || (t.isKeyword("VALUES") && peek(k + 1).isSymbol("("))
    }

    // MARK: Primaries

    mutating func parsePrimary() throws -> Expr {
        let t = peek
        switch t.kind {
        case .integer:
            index += 1
            return .literal(.integer(t.text), pos: t.position)
        case .number:
            index += 1
            return .literal(.number(t.text), pos: t.position)
        case .string:
            index += 1
            return .literal(.string(t.text), pos: t.position)
        case .parameter:
            index += 1
            guard let n = Int(t.text), n <= Int(Int32.max) else { throw syntaxError(at: t) }
            return .parameter(n, pos: t.position)
        case .quotedIdentifier:
            return try parseNameOrCall()
        case .symbol:
            if t.text == "(" { return try parseParenthesized() }
            if t.text == "[" {
                index += 1
                return .array(try parseArrayElements(open: t), pos: t.position)
            }
            throw unexpected()
        case .end:
            throw unexpected()
        case .word:
            return try parseWordPrimary(t)
        }
    }

    /// A primary starting with an unquoted word: keyword forms, literals, names and calls.
    mutating func parseWordPrimary(_ t: Token) throws -> Expr {
        let next = peek(1)
        switch t.upper {
        case "NULL": index += 1; return .literal(.null, pos: t.position)
        case "TRUE": index += 1; return .literal(.bool(true), pos: t.position)
        case "FALSE": index += 1; return .literal(.bool(false), pos: t.position)
        case "CASE": return try parseCase()
        case "CAST" where next.isSymbol("("): return try parseCast()
        case "EXISTS" where next.isSymbol("("):
            index += 2
            guard isQueryStart() else { throw unexpected() }
            let q = try parseQuery()
            try expectSymbol(")")
            return .exists(q, negated: false, pos: t.position)
        case "ARRAY" where next.isSymbol("(") && peek(2).isKeyword("SELECT"):
            // ARRAY(subquery): bound as the function `array` over a subquery (array text result)
            index += 2
            let qpos = peek.position
            let q = try parseQuery()
            try expectSymbol(")")
            return .function(FunctionCall(name: QualifiedName(["array"], pos: t.position), arguments: [.subquery(q, pos: qpos)]), pos: t.position)
        case "ARRAY" where next.isSymbol("["):
            index += 2
            return .array(try parseArrayElements(open: next), pos: t.position)
        case "INTERVAL" where startsIntervalValue():
            return try parseInterval()
        case "EXTRACT" where next.isSymbol("(") && hasTopLevelKeyword(["FROM"]):
            return try parseExtract()
        case "DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "DATETIME", "DATETIME64", "UUID":
            if let lit = try parseTypedLiteral() { return lit }
        case "SUBSTRING", "SUBSTR", "POSITION", "TRIM", "OVERLAY":
            if next.isSymbol("("), let e = try parseSpecialFunction(t) { return e }
        case "TABLE" where !next.isSymbol("("):
            // A column named `table` (system.columns, system.parts), as ClickHouse allows: the
            // keyword never starts an expression.
            return .column(try parseQualifiedName(allowReservedFirst: true))
        default:
            if Keywords.niladicFunctions.contains(t.upper) && !next.isSymbol("(") {
                index += 1
                let name = QualifiedName([t.text.lowercased()], pos: t.position)
                return .function(FunctionCall(name: name), pos: t.position)
            }
        }
        return try parseNameOrCall()
    }

    /// A column reference, `t.*`, or a (qualified) function call.
    mutating func parseNameOrCall() throws -> Expr {
        let name = try parseQualifiedName()
        if isSymbol(".") && peek(1).isSymbol("*") {
            index += 2
            return .star(qualifier: name, pos: name.pos)
        }
        if isSymbol("(") {
            return .function(try parseFunctionCall(name), pos: name.pos)
        }
        return .column(name)
    }

    /// `( expr )`, `(a, b)` tuple, or `(SELECT ...)` scalar subquery.
    mutating func parseParenthesized() throws -> Expr {
        let open = advance()
        if isQueryStart() {
            let q = try parseQuery()
            try expectSymbol(")")
            return .subquery(q, pos: open.position)
        }
        let first = try parseExpr()
        if acceptSymbol(",") {
            var items = [first]
            repeat { items.append(try parseExpr()) } while acceptSymbol(",")
            try expectSymbol(")")
            return .tuple(items, pos: open.position)
        }
        try expectSymbol(")")
        if isSymbol("."), peek(1).kind == .word || peek(1).kind == .quotedIdentifier {
            // `(record).field`: PostgreSQL composite field selection
            index += 1
            let field = advance()
            return .function(FunctionCall(name: QualifiedName(["pg_record_field"], pos: field.position),
                                          arguments: [first, .literal(.string(field.text), pos: field.position)]), pos: open.position)
        }
        return first
    }

    /// Elements after `[` up to and including `]`.
    mutating func parseArrayElements(open: Token) throws -> [Expr] {
        if acceptSymbol("]") { return [] }
        let items = try parseExprList()
        try expectSymbol("]")
        return items
    }

    // MARK: Function calls

    /// `name(args)` with DISTINCT, `*`, ORDER BY inside, ClickHouse parameters `f(p)(args)`,
    /// `WITHIN GROUP (ORDER BY ...)`, `FILTER (WHERE ...)` and `OVER (...)`.
    mutating func parseFunctionCall(_ name: QualifiedName) throws -> FunctionCall {
        var call = FunctionCall(name: name)
        try parseCallArguments(&call)
        if isSymbol("("), !call.distinct, !call.star, call.orderBy.isEmpty {
            call.parameters = call.arguments
            call.arguments = []
            try parseCallArguments(&call)
        }
        if isKeyword("WITHIN") && isKeyword("GROUP", at: 1) {
            index += 2
            try expectSymbol("(")
            try expectKeyword("ORDER")
            try expectKeyword("BY")
            call.orderBy = try parseOrderItems()
            try expectSymbol(")")
        }
        if isKeyword("FILTER") && peek(1).isSymbol("(") {
            index += 2
            try expectKeyword("WHERE")
            call.filter = try parseExpr()
            try expectSymbol(")")
        }
        if isKeyword("OVER") {
            index += 1
            call.over = try parseWindowSpec()
        }
        return call
    }

    /// `( [DISTINCT|ALL] args [ORDER BY ...] )` or `(*)`.
    mutating func parseCallArguments(_ call: inout FunctionCall) throws {
        try expectSymbol("(")
        if acceptSymbol(")") { return }
        if isSymbol("*") && peek(1).isSymbol(")") {
            index += 2
            call.star = true
            return
        }
        if acceptKeyword("DISTINCT") {
            call.distinct = true
        } else if isKeyword("ALL") && !peek(1).isSymbol("(") {
            index += 1
        }
        call.arguments = try parseExprList()
        if isKeyword("ORDER") && isKeyword("BY", at: 1) {
            index += 2
            call.orderBy = try parseOrderItems()
        }
        try expectSymbol(")")
    }

    /// `name` or `( [base] [PARTITION BY ...] [ORDER BY ...] [frame] )`.
    mutating func parseWindowSpec() throws -> WindowSpec {
        let start = peek
        guard isSymbol("(") else {
            if peek.kind == .word || peek.kind == .quotedIdentifier {
                let (name, _, _) = try parseIdentifier()
                return WindowSpec(base: name, pos: start.position)
            }
            throw unexpected()
        }
        index += 1
        var spec = WindowSpec(pos: start.position)
        if (peek.kind == .word && !["PARTITION", "ORDER", "ROWS", "RANGE", "GROUPS"].contains(peek.upper)) || peek.kind == .quotedIdentifier {
            spec.base = try parseIdentifier().0
        }
        if acceptKeywords("PARTITION", "BY") { spec.partitionBy = try parseExprList() }
        if acceptKeywords("ORDER", "BY") { spec.orderBy = try parseOrderItems() }
        if isKeyword("ROWS") || isKeyword("RANGE") || isKeyword("GROUPS") {
            let t = advance()
            let unit = WindowFrame.Unit(rawValue: t.upper) ?? .rows
            var frame: WindowFrame
            if acceptKeyword("BETWEEN") {
                let s = try parseFrameBound()
                _ = try expectKeyword("AND")
                frame = WindowFrame(unit: unit, start: s, end: try parseFrameBound(), pos: t.position)
            } else {
                frame = WindowFrame(unit: unit, start: try parseFrameBound(), pos: t.position)
            }
            if acceptKeyword("EXCLUDE") {
                if acceptKeywords("CURRENT", "ROW") { frame.exclusion = .currentRow }
                else if acceptKeyword("GROUP") { frame.exclusion = .group }
                else if acceptKeyword("TIES") { frame.exclusion = .ties }
                else if acceptKeywords("NO", "OTHERS") { frame.exclusion = .noOthers }
                else { throw unexpected() }
            }
            spec.frame = frame
        }
        try expectSymbol(")")
        return spec
    }

    /// `UNBOUNDED PRECEDING | UNBOUNDED FOLLOWING | CURRENT ROW | expr PRECEDING | expr FOLLOWING`.
    mutating func parseFrameBound() throws -> FrameBound {
        if acceptKeywords("UNBOUNDED", "PRECEDING") { return .unboundedPreceding }
        if acceptKeywords("UNBOUNDED", "FOLLOWING") { return .unboundedFollowing }
        if acceptKeywords("CURRENT", "ROW") { return .currentRow }
        let e = try parseExpr()
        if acceptKeyword("PRECEDING") { return .preceding(e) }
        if acceptKeyword("FOLLOWING") { return .following(e) }
        throw unexpected()
    }

    /// `expr [ASC|DESC] [NULLS FIRST|LAST], ...`
    mutating func parseOrderItems() throws -> [OrderItem] {
        var items: [OrderItem] = []
        repeat {
            var item = OrderItem(expr: try parseExpr())
            if acceptKeyword("DESC") { item.ascending = false } else { _ = acceptKeyword("ASC") }
            if acceptKeyword("NULLS") {
                if acceptKeyword("FIRST") { item.nullsFirst = true }
                else if acceptKeyword("LAST") { item.nullsFirst = false }
                else { throw unexpected() }
            }
            items.append(item)
        } while acceptSymbol(",")
        return items
    }

    // MARK: Keyword forms

    mutating func parseCase() throws -> Expr {
        let t = advance()
        var operand: Expr?
        if !isKeyword("WHEN") { operand = try parseExpr() }
        var whens: [WhenClause] = []
        while acceptKeyword("WHEN") {
            let cond = try parseExpr()
            try expectKeyword("THEN")
            whens.append(WhenClause(condition: cond, result: try parseExpr()))
        }
        if whens.isEmpty { throw unexpected() }
        var elseResult: Expr?
        if acceptKeyword("ELSE") { elseResult = try parseExpr() }
        try expectKeyword("END")
        return .caseWhen(operand: operand, whens: whens, elseResult: elseResult, pos: t.position)
    }

    /// `CAST(x AS type)` or ClickHouse's `CAST(x, 'type')`.
    mutating func parseCast() throws -> Expr {
        let t = advance()
        index += 1 // (
        let value = try parseExpr()
        let type: TypeName
        if acceptKeyword("AS") {
            type = try parseType()
        } else if acceptSymbol(",") {
            let s = peek
            let text = try parseStringLiteral()
            do {
                var inner = try SQLParser(whole: text)
                var parsed = try inner.parseType()
                try inner.expectEnd()
                parsed.pos = s.position
                type = parsed
            } catch {
                throw AurumError.syntax("invalid type name \"\(text)\"", position: s.position)
            }
        } else {
            throw unexpected()
        }
        try expectSymbol(")")
        return .cast(value, type, pos: t.position)
    }

    /// `EXTRACT(field FROM x)`; the field is a word or a string, lowercased.
    mutating func parseExtract() throws -> Expr {
        let t = advance()
        index += 1 // (
        let f = peek
        guard f.kind == .word || f.kind == .string || f.kind == .quotedIdentifier else { throw unexpected() }
        index += 1
        try expectKeyword("FROM")
        let value = try parseExpr()
        try expectSymbol(")")
        return .extract(field: f.text.lowercased(), value, pos: t.position)
    }

    /// `DATE '...'`, `TIMESTAMP [WITH[OUT] TIME ZONE] '...'`, `TIME '...'`; nil if the word is
    /// not followed by a string (then it is a name or a function).
    mutating func parseTypedLiteral() throws -> Expr? {
        let t = peek
        var k = 1
        var name = t.text.lowercased()
        if (t.upper == "TIMESTAMP" || t.upper == "TIME"),
           peek(1).isKeyword("WITH") || peek(1).isKeyword("WITHOUT"),
           peek(2).isKeyword("TIME"), peek(3).isKeyword("ZONE") {
            name += peek(1).upper == "WITH" ? " with time zone" : " without time zone"
            k = 4
        }
        let s = peek(k)
        guard s.kind == .string else { return nil }
        index += k + 1
        return .literal(.typed(TypeName(name: name, pos: t.position), s.text), pos: t.position)
    }

    /// `SUBSTRING(x FROM a FOR b)`, `POSITION(a IN b)`, `TRIM([BOTH|LEADING|TRAILING] [c] FROM x)`,
    /// `OVERLAY(x PLACING y FROM a [FOR b])`; nil when the call uses plain comma syntax.
    mutating func parseSpecialFunction(_ t: Token) throws -> Expr? {
        let keywords: Set<String>
        switch t.upper {
        case "POSITION": keywords = ["IN"]
        case "TRIM": keywords = ["FROM", "BOTH", "LEADING", "TRAILING"]
        case "OVERLAY": keywords = ["PLACING"]
        default: keywords = ["FROM", "FOR"]
        }
        guard hasTopLevelKeyword(keywords) else { return nil }
        index += 2 // name (
        let pos = t.position
        func call(_ name: String, _ args: [Expr]) -> Expr {
            .function(FunctionCall(name: QualifiedName([name], pos: pos), arguments: args), pos: pos)
        }
        let result: Expr
        switch t.upper {
        case "POSITION":
            // ClickHouse argument order: position(haystack, needle).
            let needle = try parseBinary(Precedence.concat)
            try expectKeyword("IN")
            let haystack = try parseExpr()
            result = call("position", [haystack, needle])
        case "TRIM":
            var name = "trim"
            if acceptKeyword("LEADING") { name = "ltrim" }
            else if acceptKeyword("TRAILING") { name = "rtrim" }
            else { _ = acceptKeyword("BOTH") }
            if acceptKeyword("FROM") {
                result = call(name, [try parseExpr()])
            } else {
                let chars = try parseExpr()
                if acceptKeyword("FROM") {
                    result = call(name, [try parseExpr(), chars])
                } else {
                    result = call(name, [chars])
                }
            }
        case "OVERLAY":
            let value = try parseExpr()
            try expectKeyword("PLACING")
            var args = [value, try parseExpr()]
            try expectKeyword("FROM")
            args.append(try parseExpr())
            if acceptKeyword("FOR") { args.append(try parseExpr()) }
            result = call("overlay", args)
        default: // SUBSTRING / SUBSTR
            let value = try parseExpr()
            var from: Expr?
            var count: Expr?
            if acceptKeyword("FROM") { from = try parseExpr() }
            if acceptKeyword("FOR") { count = try parseExpr() }
            if from == nil && count == nil { throw unexpected() }
            var args = [value, from ?? .literal(.integer("1"), pos: value.pos)]
            if let count { args.append(count) }
            result = call("substring", args)
        }
        try expectSymbol(")")
        return result
    }

    /// Whether one of `keywords` appears at parenthesis depth 1 after the current `name (`.
    func hasTopLevelKeyword(_ keywords: Set<String>) -> Bool {
        var k = 2
        var depth = 0
        while true {
            let t = peek(k)
            switch t.kind {
            case .end: return false
            case .symbol:
                if t.text == "(" || t.text == "[" { depth += 1 }
                if t.text == ")" || t.text == "]" {
                    if depth == 0 { return false }
                    depth -= 1
                }
            case .word:
                if depth == 0 && keywords.contains(t.upper) { return true }
            default: break
            }
            k += 1
        }
    }

    // MARK: Intervals

    /// Whether `INTERVAL` at the cursor is the keyword (and not a column named interval).
    func startsIntervalValue() -> Bool {
        let v = peek(1)
        switch v.kind {
        case .string, .integer, .number, .parameter: return true
        case .symbol:
            if v.text == "(" { return true }
            // `INTERVAL -1 DAY`, but `interval + 1` is arithmetic on a column.
            return (v.text == "-" || v.text == "+") && peek(3).kind == .word
                && SQLParser.intervalUnit(peek(3).text, abbreviations: false) != nil
        case .word, .quotedIdentifier:
            return SQLParser.intervalUnit(peek(2).kind == .word ? peek(2).text : "", abbreviations: false) != nil
        default: return false
        }
    }

    /// `INTERVAL n UNIT`, `INTERVAL 'n' UNIT`, `INTERVAL 'n unit [n unit ...]'`.
    mutating func parseInterval() throws -> Expr {
        let kw = advance()
        let pos = kw.position
        if peek.kind == .string {
            let s = advance()
            if peek.kind == .word, let unit = SQLParser.intervalUnit(peek.text, abbreviations: false) {
                index += 1
                return .interval(.literal(.string(s.text), pos: s.position), unit, pos: pos)
            }
            return try intervalFromString(s, pos: pos)
        }
        let value = try parsePrefix()
        guard peek.kind == .word, let unit = SQLParser.intervalUnit(peek.text, abbreviations: false) else { throw unexpected() }
        index += 1
        return .interval(value, unit, pos: pos)
    }

    /// `'2 hours'`, `'1 day 3 hours'` (a sum of intervals), `'10'` (seconds). Values stay strings.
    func intervalFromString(_ s: Token, pos: Int) throws -> Expr {
        let chars = Array(s.text.unicodeScalars)
        var i = 0
        var parts: [(String, IntervalUnit)] = []
        func skipSpaces() { while i < chars.count && chars[i].properties.isWhitespace { i += 1 } }
        let invalid = AurumError(.invalidDatetimeFormat, "invalid input syntax for type interval: \"\(s.text)\"",
                                 position: s.position)
        skipSpaces()
        while i < chars.count {
            let numStart = i
            if chars[i] == "-" || chars[i] == "+" { i += 1 }
            while i < chars.count && (Lexer.isDigit(chars[i]) || chars[i] == ".") { i += 1 }
            let number = String(String.UnicodeScalarView(chars[numStart..<i]))
            guard number.contains(where: { $0.isNumber }) else { throw invalid }
            skipSpaces()
            let unitStart = i
            while i < chars.count && chars[i].properties.isAlphabetic { i += 1 }
            let unitText = String(String.UnicodeScalarView(chars[unitStart..<i]))
            let unit: IntervalUnit
            if unitText.isEmpty {
                guard parts.isEmpty, i == chars.count else { throw invalid }
                unit = .second
            } else {
                guard let u = SQLParser.intervalUnit(unitText, abbreviations: true) else { throw invalid }
                unit = u
            }
            parts.append((number.hasPrefix("+") ? String(number.dropFirst()) : number, unit))
            skipSpaces()
        }
        guard let first = parts.first else { throw invalid }
        var e = Expr.interval(.literal(.string(first.0), pos: s.position), first.1, pos: pos)
        for p in parts.dropFirst() {
            e = .binary(.add, e, .interval(.literal(.string(p.0), pos: s.position), p.1, pos: pos), pos: pos)
        }
        return e
    }

    /// Interval unit names, singular and plural, case-insensitive; PostgreSQL's abbreviations
    /// (`mins`, `h`, `mon`, ...) only inside interval strings, where they cannot be an alias.
    static func intervalUnit(_ word: String, abbreviations: Bool) -> IntervalUnit? {
        switch word.lowercased() {
        case "nanosecond", "nanoseconds": return .nanosecond
        case "microsecond", "microseconds": return .microsecond
        case "millisecond", "milliseconds": return .millisecond
        case "second", "seconds": return .second
        case "minute", "minutes": return .minute
        case "hour", "hours": return .hour
        case "day", "days": return .day
        case "week", "weeks": return .week
        case "month", "months": return .month
        case "quarter", "quarters": return .quarter
        case "year", "years": return .year
        case let w where abbreviations:
            switch w {
            case "ns": return .nanosecond
            case "us", "usec", "usecs": return .microsecond
            case "ms", "msec", "msecs": return .millisecond
            case "s", "sec", "secs": return .second
            case "m", "min", "mins": return .minute
            case "h", "hr", "hrs": return .hour
            case "d": return .day
            case "w": return .week
            case "mon", "mons": return .month
            case "q": return .quarter
            case "y", "yr", "yrs": return .year
            default: return nil
            }
        default: return nil
        }
    }
}
