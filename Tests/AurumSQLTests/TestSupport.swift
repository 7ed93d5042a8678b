import AurumCore
import AurumSQL
import Testing

// Helpers shared by the parser tests: one-statement parsing and a compact S-expression
// rendering of expressions so tests can assert on AST shape without spelling out positions.

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func parseOne(_ sql: String) throws -> Statement {
    let statements = try Parser.parse(sql)
    guard statements.count == 1 else { throw TestFailure("expected one statement, got \(statements.count)") }
    return statements[0].statement
}

func parseQuery(_ sql: String) throws -> Query {
    guard case .query(let q) = try parseOne(sql) else { throw TestFailure("not a query: \(sql)") }
    return q
}

func parseSelect(_ sql: String) throws -> Select {
    let q = try parseQuery(sql)
    guard case .select(let s) = q.body else { throw TestFailure("not a plain SELECT: \(sql)") }
    return s
}

/// The S-expression of a standalone expression.
func sx(_ sql: String) throws -> String { render(try Parser.parseExpression(sql)) }

/// The error thrown by parsing `sql`, or nil if it parsed.
func parseError(_ sql: String) -> AurumError? {
    do {
        _ = try Parser.parse(sql)
        return nil
    } catch let e as AurumError {
        return e
    } catch {
        return AurumError(.internalError, "unexpected error type \(error)")
    }
}

func render(_ t: TypeName) -> String {
    var s = t.name
    var args = t.arguments.map(String.init)
    if let tz = t.timeZone { args.append("'\(tz)'") }
    if !args.isEmpty { s += "(" + args.joined(separator: ",") + ")" }
    if t.nullable { s = "Nullable(\(s))" }
    if t.lowCardinality { s = "LowCardinality(\(s))" }
    if t.isArray { s += "[]" }
    return s
}

func render(_ l: Literal) -> String {
    switch l {
    case .null: return "NULL"
    case .bool(let b): return b ? "TRUE" : "FALSE"
    case .integer(let s), .number(let s): return s
    case .string(let s): return "'\(s)'"
    case .typed(let t, let s): return "\(render(t))'\(s)'"
    }
}

func render(_ n: QualifiedName) -> String {
    zip(n.parts, n.quoted).map { $1 ? "\"\($0)\"" : $0 }.joined(separator: ".")
}

func render(_ items: [OrderItem]) -> String {
    items.map { o in
        var s = render(o.expr)
        if !o.ascending { s += " DESC" }
        if let nf = o.nullsFirst { s += nf ? " NULLS FIRST" : " NULLS LAST" }
        return s
    }.joined(separator: ", ")
}

func render(_ e: Expr) -> String {
    func list(_ es: [Expr]) -> String { es.map(render).joined(separator: " ") }
    switch e {
    case .literal(let l, _): return render(l)
    case .column(let n): return render(n)
    case .star(let q, _): return q.map { render($0) + ".*" } ?? "*"
    case .parameter(let n, _): return "$\(n)"
    case .unary(let op, let x, _): return "(\(op.rawValue) \(render(x)))"
    case .binary(let op, let l, let r, _): return "(\(op.rawValue) \(render(l)) \(render(r)))"
    case .function(let f, _):
        var s = render(f.name)
        if !f.parameters.isEmpty { s += "[" + list(f.parameters) + "]" }
        s += "("
        if f.star { s += "*" }
        if f.distinct { s += "DISTINCT " }
        s += list(f.arguments)
        if !f.orderBy.isEmpty { s += " ORDER BY " + render(f.orderBy) }
        s += ")"
        if let filter = f.filter { s += " FILTER(\(render(filter)))" }
        if let w = f.over {
            s += " OVER(" + "PARTITION BY " + list(w.partitionBy) + "; ORDER BY " + render(w.orderBy) + ")"
        }
        return s
    case .cast(let x, let t, _): return "(:: \(render(x)) \(render(t)))"
    case .caseWhen(let op, let whens, let el, _):
        var s = "(CASE"
        if let op { s += " " + render(op) }
        for w in whens { s += " WHEN \(render(w.condition)) THEN \(render(w.result))" }
        if let el { s += " ELSE " + render(el) }
        return s + ")"
    case .between(let x, let lo, let hi, let neg, _):
        return "(\(neg ? "NOT BETWEEN" : "BETWEEN") \(render(x)) \(render(lo)) \(render(hi)))"
    case .inList(let x, let items, let neg, _): return "(\(neg ? "NOT IN" : "IN") \(render(x)) \(list(items)))"
    case .inSubquery(let x, _, let neg, _): return "(\(neg ? "NOT IN" : "IN") \(render(x)) <subquery>)"
    case .isNull(let x, let neg, _): return "(\(neg ? "IS NOT NULL" : "IS NULL") \(render(x)))"
    case .isBool(let x, let v, let neg, _): return "(IS \(neg ? "NOT " : "")\(v ? "TRUE" : "FALSE") \(render(x)))"
    case .subquery: return "<subquery>"
    case .exists(_, let neg, _): return neg ? "(NOT EXISTS <subquery>)" : "(EXISTS <subquery>)"
    case .interval(let v, let u, _): return "(INTERVAL \(render(v)) \(u.rawValue))"
    case .extract(let f, let x, _): return "(EXTRACT \(f) \(render(x)))"
    case .quantified(let op, let l, let all, let r, _): return "(\(op.rawValue) \(all ? "ALL" : "ANY") \(render(l)) \(render(r)))"
    case .array(let items, _): return "[" + list(items) + "]"
    case .subscript(let a, let i, _): return "(SUBSCRIPT \(render(a)) \(render(i)))"
    case .tuple(let items, _): return "(TUPLE " + list(items) + ")"
    }
}

/// 1-based character offset of the last occurrence of `needle` in `sql` (for position checks).
func offset(ofLast needle: String, in sql: String) -> Int {
    let hay = Array(sql.unicodeScalars), n = Array(needle.unicodeScalars)
    var i = hay.count - n.count
    while i >= 0 {
        if Array(hay[i..<(i + n.count)]) == n { return i + 1 }
        i -= 1
    }
    return -1
}
