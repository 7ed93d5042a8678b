import Foundation

/// Prints AST nodes back as SQL text (used for catalog files and SHOW CREATE TABLE).
/// The output re-parses to an equal AST (modulo positions).
public enum SQLPrinter {
    public static func quoteIdentifier(_ s: String) -> String {
        let simple = !s.isEmpty && s.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
            && !(s.first!.isNumber)
        if simple && !reserved.contains(s.lowercased()) { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    static let reserved: Set<String> = ["select", "from", "where", "group", "order", "by", "limit", "table", "and", "or", "not", "null",
                                        "as", "on", "join", "union", "all", "case", "when", "then", "else", "end", "in", "is",
                                        "between", "like", "default", "create", "insert", "into", "values", "having", "distinct",
                                        "primary", "key", "true", "false", "with", "offset"]

    public static func quoteString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }

    public static func type(_ t: TypeName) -> String {
        var s = t.name
        if !t.arguments.isEmpty { s += "(" + t.arguments.map(String.init).joined(separator: ", ") + ")" }
        if t.nullable { s = "Nullable(\(s))" }
        if t.lowCardinality { s = "LowCardinality(\(s))" }
        if t.isArray { s += "[]" }
        return s
    }

    public static func name(_ n: QualifiedName) -> String { n.parts.map(quoteIdentifier).joined(separator: ".") }

    public static func literal(_ l: Literal) -> String {
        switch l {
        case .null: return "NULL"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let s), .number(let s): return s
        case .string(let s): return quoteString(s)
        case .typed(let t, let s): return type(t) + " " + quoteString(s)
        }
    }

    public static func expr(_ e: Expr) -> String {
        switch e {
        case .literal(let l, _): return literal(l)
        case .column(let n): return name(n)
        case .star(let q, _): return q.map { name($0) + ".*" } ?? "*"
        case .parameter(let i, _): return "$\(i)"
        case .unary(let op, let x, _): return op == .not ? "NOT (\(expr(x)))" : "\(op.rawValue)(\(expr(x)))"
        case .binary(let op, let a, let b, _): return "(\(expr(a)) \(op.rawValue) \(expr(b)))"
        case .function(let f, _):
            var s = name(f.name)
            if !f.parameters.isEmpty { s += "(" + f.parameters.map(expr).joined(separator: ", ") + ")" }
            s += "("
            if f.distinct { s += "DISTINCT " }
            s += f.star ? "*" : f.arguments.map(expr).joined(separator: ", ")
            if !f.orderBy.isEmpty { s += " ORDER BY " + f.orderBy.map(orderItem).joined(separator: ", ") }
            s += ")"
            if let w = f.filter { s += " FILTER (WHERE \(expr(w)))" }
            if let o = f.over { s += " OVER " + windowSpecText(o, expr: expr, orderItem: orderItem) }
            return s
        case .cast(let x, let t, _): return "CAST(\(expr(x)) AS \(type(t)))"
        case .caseWhen(let op, let whens, let el, _):
            var s = "CASE"
            if let op { s += " " + expr(op) }
            for w in whens { s += " WHEN \(expr(w.condition)) THEN \(expr(w.result))" }
            if let el { s += " ELSE \(expr(el))" }
            return s + " END"
        case .between(let x, let lo, let hi, let neg, _):
            return "(\(expr(x))\(neg ? " NOT" : "") BETWEEN \(expr(lo)) AND \(expr(hi)))"
        case .inList(let x, let list, let neg, _):
            return "(\(expr(x))\(neg ? " NOT" : "") IN (\(list.map(expr).joined(separator: ", "))))"
        case .inSubquery(let x, _, let neg, _): return "(\(expr(x))\(neg ? " NOT" : "") IN (<subquery>))"
        case .isNull(let x, let neg, _): return "(\(expr(x)) IS \(neg ? "NOT " : "")NULL)"
        case .isBool(let x, let v, let neg, _): return "(\(expr(x)) IS \(neg ? "NOT " : "")\(v ? "TRUE" : "FALSE"))"
        case .subquery: return "(<subquery>)"
        case .exists(_, let neg, _): return "\(neg ? "NOT " : "")EXISTS (<subquery>)"
        case .interval(let x, let u, _): return "INTERVAL \(expr(x)) \(u.rawValue.uppercased())"
        case .extract(let f, let x, _): return "EXTRACT(\(f.uppercased()) FROM \(expr(x)))"
        case .quantified(let op, let a, let all, let b, _): return "(\(expr(a)) \(op.rawValue) \(all ? "ALL" : "ANY")(\(expr(b))))"
        case .array(let xs, _): return "[" + xs.map(expr).joined(separator: ", ") + "]"
        case .subscript(let a, let i, _): return "\(expr(a))[\(expr(i))]"
        case .tuple(let xs, _): return "(" + xs.map(expr).joined(separator: ", ") + (xs.count == 1 ? ",)" : ")")
        }
    }

    public static func orderItem(_ o: OrderItem) -> String {
        var s = expr(o.expr) + (o.ascending ? "" : " DESC")
        if let nf = o.nullsFirst { s += nf ? " NULLS FIRST" : " NULLS LAST" }
        return s
    }
}

extension SQLPrinter {
    /// `name` or `(base PARTITION BY ... ORDER BY ... frame)`.
    public static func windowSpecText(_ w: WindowSpec, expr: (Expr) -> String, orderItem: (OrderItem) -> String) -> String {
        var parts: [String] = []
        if let b = w.base { parts.append("\"" + b.replacingOccurrences(of: "\"", with: "\"\"") + "\"") }
        if !w.partitionBy.isEmpty { parts.append("PARTITION BY " + w.partitionBy.map(expr).joined(separator: ", ")) }
        if !w.orderBy.isEmpty { parts.append("ORDER BY " + w.orderBy.map(orderItem).joined(separator: ", ")) }
        if let f = w.frame {
            func bound(_ b: FrameBound) -> String {
                switch b {
                case .unboundedPreceding: return "UNBOUNDED PRECEDING"
                case .unboundedFollowing: return "UNBOUNDED FOLLOWING"
                case .currentRow: return "CURRENT ROW"
                case .preceding(let e): return expr(e) + " PRECEDING"
                case .following(let e): return expr(e) + " FOLLOWING"
                }
            }
            parts.append("\(f.unit.rawValue) BETWEEN \(bound(f.start)) AND \(bound(f.end))" + (f.exclude ? " EXCLUDE \(f.exclusion.rawValue)" : ""))
        }
        return "(" + parts.joined(separator: " ") + ")"
    }
}
