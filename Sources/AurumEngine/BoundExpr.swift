import AurumCore

/// A vectorised kernel: computes a result column of `count` rows from argument columns.
/// An argument column with 1 row while `count > 1` is a broadcast constant.
final class ScalarKernel: Sendable {
    let run: @Sendable ([Column], Int) throws -> Column
    init(_ run: @escaping @Sendable ([Column], Int) throws -> Column) { self.run = run }
}

/// How a function treats NULL arguments.
enum NullHandling: Sendable {
    /// Any NULL argument gives NULL; the kernel computes values blindly and the caller sets validity.
    case propagate
    /// The kernel looks at validity itself (coalesce, if, isNull, concat_ws, ...).
    case custom
}

/// A resolved scalar function: name (for display and equality), result type and kernel.
struct BoundFunction: Sendable {
    var name: String
    var returnType: DataType
    var kernel: ScalarKernel
    var nulls: NullHandling
    /// Deterministic functions can be constant-folded.
    var deterministic: Bool = true
}

enum CompareOp: String, Sendable {
    case eq = "=", ne = "<>", lt = "<", le = "<=", gt = ">", ge = ">="
    var flipped: CompareOp {
        switch self {
        case .eq, .ne: return self
        case .lt: return .gt
        case .le: return .ge
        case .gt: return .lt
        case .ge: return .le
        }
    }
}

struct CaseBranch: Sendable {
    var condition: BoundExpr
    var result: BoundExpr
}

/// A bound (name-resolved, typed) expression over the columns of an input block.
indirect enum BoundExpr: Sendable, CustomStringConvertible {
    case column(Int, DataType)
    case constant(Value, DataType)
    case call(BoundFunction, [BoundExpr])
    case cast(BoundExpr, DataType)
    case compare(CompareOp, BoundExpr, BoundExpr)
    case and([BoundExpr])
    case or([BoundExpr])
    case not(BoundExpr)
    case isNull(BoundExpr, negated: Bool)
    /// `x IN (constants)`; `hasNull` when the list contains NULL (three-valued NOT IN).
    case inSet(BoundExpr, [Value], negated: Bool, hasNull: Bool)
    case caseWhen([CaseBranch], BoundExpr?, DataType)

    var type: DataType {
        switch self {
        case .column(_, let t), .constant(_, let t), .cast(_, let t), .caseWhen(_, _, let t): return t
        case .call(let f, _): return f.returnType
        case .compare(_, let a, let b):
            return DataType(.bool, nullable: a.type.isNullable || b.type.isNullable)
        case .and(let xs), .or(let xs): return DataType(.bool, nullable: xs.contains { $0.type.isNullable })
        case .not(let x): return DataType(.bool, nullable: x.type.isNullable)
        case .isNull: return .bool
        case .inSet(let x, _, _, let hasNull): return DataType(.bool, nullable: x.type.isNullable || hasNull)
        }
    }

    var isConstant: Bool { if case .constant = self { return true }; return false }

    var description: String {
        switch self {
        case .column(let i, _): return "#\(i)"
        case .constant(let v, _): return v.isNull ? "NULL" : "'\(v)'"
        case .call(let f, let a): return "\(f.name)(\(a.map(\.description).joined(separator: ", ")))"
        case .cast(let x, let t): return "CAST(\(x) AS \(t))"
        case .compare(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        case .and(let xs): return "(" + xs.map(\.description).joined(separator: " AND ") + ")"
        case .or(let xs): return "(" + xs.map(\.description).joined(separator: " OR ") + ")"
        case .not(let x): return "NOT \(x)"
        case .isNull(let x, let n): return "(\(x) IS \(n ? "NOT " : "")NULL)"
        case .inSet(let x, let vs, let n, _): return "(\(x) \(n ? "NOT " : "")IN (\(vs.map(\.description).joined(separator: ", "))))"
        case .caseWhen(let bs, let e, _):
            return "CASE " + bs.map { "WHEN \($0.condition) THEN \($0.result)" }.joined(separator: " ") + (e.map { " ELSE \($0)" } ?? "") + " END"
        }
    }

    /// Structural equality (used to match GROUP BY expressions and dedupe aggregates).
    func same(_ o: BoundExpr) -> Bool { description == o.description && type == o.type }

    /// Column indices this expression reads.
    func collectColumns(into s: inout Set<Int>) {
        switch self {
        case .column(let i, _): s.insert(i)
        case .constant: break
        case .call(_, let a): a.forEach { $0.collectColumns(into: &s) }
        case .cast(let x, _), .not(let x), .isNull(let x, _), .inSet(let x, _, _, _): x.collectColumns(into: &s)
        case .compare(_, let a, let b): a.collectColumns(into: &s); b.collectColumns(into: &s)
        case .and(let xs), .or(let xs): xs.forEach { $0.collectColumns(into: &s) }
        case .caseWhen(let bs, let e, _):
            for b in bs { b.condition.collectColumns(into: &s); b.result.collectColumns(into: &s) }
            e?.collectColumns(into: &s)
        }
    }
    var columns: Set<Int> { var s = Set<Int>(); collectColumns(into: &s); return s }

    /// Rewrites column indices through `map` (old index -> new index).
    func remap(_ map: [Int: Int]) -> BoundExpr {
        switch self {
        case .column(let i, let t): return .column(map[i] ?? i, t)
        case .constant: return self
        case .call(let f, let a): return .call(f, a.map { $0.remap(map) })
        case .cast(let x, let t): return .cast(x.remap(map), t)
        case .compare(let op, let a, let b): return .compare(op, a.remap(map), b.remap(map))
        case .and(let xs): return .and(xs.map { $0.remap(map) })
        case .or(let xs): return .or(xs.map { $0.remap(map) })
        case .not(let x): return .not(x.remap(map))
        case .isNull(let x, let n): return .isNull(x.remap(map), negated: n)
        case .inSet(let x, let v, let n, let h): return .inSet(x.remap(map), v, negated: n, hasNull: h)
        case .caseWhen(let bs, let e, let t):
            return .caseWhen(bs.map { CaseBranch(condition: $0.condition.remap(map), result: $0.result.remap(map)) }, e?.remap(map), t)
        }
    }

    /// Splits a conjunction into its terms.
    var conjuncts: [BoundExpr] {
        if case .and(let xs) = self { return xs.flatMap { $0.conjuncts } }
        return [self]
    }
}
