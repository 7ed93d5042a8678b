import AurumCore
import AurumSQL

/// A set-returning function called in a select list (`SELECT unnest(arr)`,
/// `SELECT generate_series(1, n)`), evaluated by the ProjectSet operator: every input row
/// becomes as many rows as its longest function result; shorter results are padded with NULL
/// and the other select-list expressions repeat (PostgreSQL 10+ semantics). A row for which
/// every function returns no rows produces no output.
struct BoundSRF: Sendable {
    enum Kind: Sendable, Equatable {
        /// unnest(array text): the elements, as text.
        case unnest
        /// generate_series(start, stop[, step]) over integers.
        case generateSeries
        /// generate_subscripts(array, dim): 1..n for dimension 1.
        case generateSubscripts
        /// (information_schema._pg_expandarray(arr)).x / .n — the element or its 1-based index.
        case expandArrayElement, expandArrayIndex
        /// information_schema._pg_expandarray(arr) as a whole: record text `(x,n)` per element,
        /// read back with `(r).x` / `(r).n` (Binder.bindRecordField).
        case expandArrayRecord
    }
    var name: String
    var kind: Kind
    var arguments: [BoundExpr]
    var type: DataType

    var description: String { "\(name)(\(arguments.map(\.description).joined(separator: ", ")))" }

    var columns: Set<Int> {
        var s = Set<Int>()
        for e in arguments { e.collectColumns(into: &s) }
        return s
    }

    func remap(_ m: [Int: Int]) -> BoundSRF {
        var f = self
        f.arguments = arguments.map { $0.remap(m) }
        return f
    }

    /// The values this function returns for one row's argument values.
    func values(_ args: [Value]) throws -> [Value] {
        switch kind {
        case .unnest, .expandArrayElement, .expandArrayIndex, .expandArrayRecord, .generateSubscripts:
            guard let a = args.first, !a.isNull else { return [] }
            if kind == .generateSubscripts, args.count > 1, args[1].asInt64 != 1 { return [] }
            let elems = PGArrayText.parse(pgText(a) ?? "")
            switch kind {
            case .unnest, .expandArrayElement: return elems.map { $0.map(Value.string) ?? .null }
            case .expandArrayRecord:
                return elems.enumerated().map { i, e in
                    let x = e.map { PGArrayText.format([$0]).dropFirst().dropLast() } ?? ""
                    return .string("(\(x),\(i + 1))")
                }
            default: return elems.indices.map { .int(Int64($0 + 1)) }
            }
        case .generateSeries:
            if args.contains(where: \.isNull) { return [] }
            guard let start = args[0].asInt64, let stop = args[1].asInt64 else { return [] }
            let step = args.count > 2 ? args[2].asInt64 ?? 1 : 1
            guard step != 0 else { throw AurumError(.invalidParameterValue, "step size cannot equal zero") }
            let count = step > 0 ? (stop >= start ? (stop - start) / step + 1 : 0) : (start >= stop ? (start - stop) / -step + 1 : 0)
            guard count <= 10_000_000 else {
                throw AurumError(.programLimitExceeded, "generate_series in a select list would return \(count) rows for one input row",
                                 hint: "use generate_series(...) or numbers(...) in FROM for large series")
            }
            return (0..<count).map { .int(start + $0 * step) }
        }
    }
}

/// Collects the set-returning functions of one select list while it is bound; each binds to
/// a placeholder column `base + i`, remapped to the ProjectSet operator's output (its input's
/// columns, then one column per function).
final class SRFCollector {
    static let base = 1 << 41
    var functions: [BoundSRF] = []

    func mapping(inputWidth: Int) -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: functions.indices.map { (SRFCollector.base + $0, inputWidth + $0) })
    }
}

extension Binder {
    static let setReturningFunctions: Set<String> = ["unnest", "generate_series", "generate_subscripts", "_pg_expandarray"]

    /// Binds a set-returning function call of a select list (nil when `f` is not one, or when
    /// it appears where sets are not collected, e.g. WHERE: the scalar fallback then reports it).
    /// `field` selects a column of a record-returning function: `(_pg_expandarray(a)).n`.
    func bindSetReturning(_ f: FunctionCall, _ pos: Int, _ scope: Scope, _ agg: AggregateCollector?, field: String? = nil) throws -> BoundExpr? {
        let lname = f.name.last.lowercased()
        guard Binder.setReturningFunctions.contains(lname), f.over == nil else { return nil }
        guard let col = srfCollector else {
            // unnest/_pg_expandarray/generate_subscripts keep a scalar form that binds (and fails on
            // the first row) so catalog queries over tables without rows still run
            if lname == "generate_series" {
                throw AurumError(.featureNotSupported, "set-returning functions are not allowed here", hint: "call generate_series in FROM or in a select list", position: pos)
            }
            return nil
        }
        srfCollector = nil
        defer { srfCollector = col }
        let args = try f.arguments.map { a -> BoundExpr in
            if case .function(let inner, _) = a, Binder.setReturningFunctions.contains(inner.name.last.lowercased()) {
                throw AurumError(.featureNotSupported, "set-returning function calls nested in the arguments of \(f.name.last)() are not supported", position: a.pos)
            }
            return try bindExpr(a, scope, agg: agg)
        }
        func arity(_ r: ClosedRange<Int>) throws {
            guard r.contains(args.count) else {
                throw AurumError(.undefinedFunction, "function \(f.name.last)(\(args.map { $0.type.plain.description }.joined(separator: ", "))) does not exist", position: pos)
            }
        }
        let kind: BoundSRF.Kind, type: DataType
        switch lname {
        case "unnest": try arity(1...1); kind = .unnest; type = DataType.string.nullable
        case "generate_subscripts": try arity(1...2); kind = .generateSubscripts; type = DataType.int32.nullable
        case "_pg_expandarray":
            try arity(1...1)
            switch field?.lowercased() {
            case "x": kind = .expandArrayElement; type = DataType.string.nullable
            case "n": kind = .expandArrayIndex; type = DataType.int32.nullable
            case nil: kind = .expandArrayRecord; type = DataType.string.nullable
            default:
                throw AurumError(.undefinedColumn, "could not identify column \"\(field!)\" in record data type", position: pos)
            }
        default:
            try arity(2...3)
            for a in args where !(a.type.isInteger || a.type.base == .nothing) {
                throw AurumError(.featureNotSupported, "generate_series in a select list takes integers, not \(a.type.plain)",
                                 hint: "generate_series over timestamps is not supported yet", position: pos)
            }
            kind = .generateSeries; type = DataType.int64.nullable
        }
        col.functions.append(BoundSRF(name: f.name.last, kind: kind, arguments: args, type: type))
        return .column(SRFCollector.base + col.functions.count - 1, type)
    }

    /// `(r).x` / `(r).n` over the record text of `_pg_expandarray` (pgJDBC's primary-key query
    /// selects `_pg_expandarray(indkey) AS keys` in a subquery, then `(keys).x`). Nil for
    /// other fields (the registry's fallback reports them).
    func bindRecordField(_ record: BoundExpr, _ field: String) throws -> BoundExpr? {
        guard record.type.isString || record.type.base == .nothing else { return nil }
        let index: Int, type: DataType
        switch field.lowercased() {
        case "x": index = 0; type = .string
        case "n": index = 1; type = .int32
        default: return nil
        }
        let f = rowwiseFunction("pg_record_field", returns: type) { v in
            guard let text = pgText(v[0]), text.hasPrefix("("), text.hasSuffix(")") else { return .null }
            let fields = PGArrayText.parse("{" + text.dropFirst().dropLast() + "}")
            guard index < fields.count, let s = fields[index], !s.isEmpty else { return .null }
            return index == 1 ? (Int64(s).map(Value.int) ?? .null) : .string(s)
        }
        return .call(f, [record])
    }

    /// Puts the ProjectSet operator on top of `plan` if the select list called set-returning
    /// functions, and points their placeholder columns at its output.
    func addSetReturning(_ c: SRFCollector, _ plan: inout Plan, _ projected: inout [BoundExpr]) {
        guard !c.functions.isEmpty else { return }
        let m = c.mapping(inputWidth: plan.types.count)
        projected = projected.map { $0.remap(m) }
        plan = .projectSet(plan, c.functions)
    }
}

extension Executor {
    /// ProjectSet over one block: its rows repeated as many times as their longest function
    /// result, with the functions' values (NULL-padded) appended as columns.
    static func projectSet(_ b: Block, _ functions: [BoundSRF], ctx: QueryContext) throws -> Block? {
        let argColumns = try functions.map { f in try f.arguments.map { try Evaluator.evaluate($0, b) } }
        var rows: [Int32] = []
        var outputs = functions.map { ColumnBuilder(type: $0.type.nullable, capacity: b.count) }
        for r in 0..<b.count {
            let results = try functions.indices.map { k in try functions[k].values(argColumns[k].map { $0.value(at: r) }) }
            let n = results.map(\.count).max() ?? 0
            for i in 0..<n {
                rows.append(Int32(r))
                for k in functions.indices { outputs[k].append(i < results[k].count ? results[k][i] : .null) }
            }
            if rows.count > 1 << 20 { try ctx.checkMemory(rows.count * 16, "set-returning functions") }
        }
        if rows.isEmpty { return nil }
        var columns = b.gather(rows).columns
        for (k, builder) in outputs.enumerated() {
            var c = builder.finish()
            let t = functions[k].type
            c.type = c.validity != nil ? t.nullable : t
            columns.append(c)
        }
        return Block(columns: columns, count: rows.count)
    }
}
