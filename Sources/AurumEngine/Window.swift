import AurumCore
import AurumSQL

/// The frame of a bound window function (the forms the engine implements).
enum BoundFrame: Sendable, Equatable {
    /// The whole partition (no ORDER BY, or `... UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING`).
    case partition
    /// `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`: the partition start through the
    /// last peer of the current row (the default with ORDER BY).
    case rangeToCurrent
    /// `ROWS BETWEEN n PRECEDING AND CURRENT ROW` (`nil`: UNBOUNDED PRECEDING).
    case rows(preceding: Int?)

    var description: String {
        switch self {
        case .partition: return "partition"
        case .rangeToCurrent: return "range to current"
        case .rows(let n): return "rows \(n.map(String.init) ?? "unbounded") preceding"
        }
    }
}

/// A window function call bound over the window operator's input.
struct BoundWindow: Sendable {
    enum Kind: Sendable {
        case rowNumber, rank, denseRank, percentRank, cumeDist, ntile, lag, lead, firstValue, lastValue, nthValue
        /// sum/count/avg/min/max/... OVER: an aggregate state per frame.
        case aggregate(@Sendable () -> AggregateState)
    }
    var name: String
    var kind: Kind
    var arguments: [BoundExpr]
    var partitionBy: [BoundExpr]
    var orderBy: [SortKey]
    var frame: BoundFrame
    var returnType: DataType

    var description: String {
        var s = "\(name)(\(arguments.map(\.description).joined(separator: ", "))) OVER ("
        if !partitionBy.isEmpty { s += "PARTITION BY " + partitionBy.map(\.description).joined(separator: ", ") + " " }
        if !orderBy.isEmpty { s += "ORDER BY " + orderBy.map { "\($0.expr)\($0.ascending ? "" : " DESC")" }.joined(separator: ", ") + " " }
        return s + frame.description + ")"
    }

    /// Column indices of the input this window reads.
    var columns: Set<Int> {
        var s = Set<Int>()
        for e in arguments + partitionBy + orderBy.map(\.expr) { e.collectColumns(into: &s) }
        return s
    }

    func remap(_ m: [Int: Int]) -> BoundWindow {
        var w = self
        w.arguments = arguments.map { $0.remap(m) }
        w.partitionBy = partitionBy.map { $0.remap(m) }
        w.orderBy = orderBy.map { SortKey(expr: $0.expr.remap(m), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }
        return w
    }
}

/// Collects the window functions of one SELECT while its select list and ORDER BY are bound.
/// Each call binds to a placeholder column `base + i`, remapped to the window operator's
/// output (input columns, then one column per window function) once the input is known.
final class WindowCollector {
    static let base = 1 << 40
    var windows: [BoundWindow] = []
    let named: [String: WindowSpec]
    init(named: [String: WindowSpec]) { self.named = named }

    /// Placeholder index -> output index of the window operator over `inputWidth` columns.
    func mapping(inputWidth: Int) -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: windows.indices.map { (WindowCollector.base + $0, inputWidth + $0) })
    }
}

extension Binder {
    /// Resolves `OVER name` / `OVER (name ...)` against the WINDOW clause.
    func resolveWindowSpec(_ spec: WindowSpec, _ col: WindowCollector) throws -> WindowSpec {
        guard let b = spec.base else { return spec }
        guard let named = col.named[b.lowercased()] ?? col.named[b] else {
            throw AurumError(.undefinedObject, "window \"\(b)\" does not exist", position: spec.pos)
        }
        var base = try resolveWindowSpec(named, col)
        if !spec.partitionBy.isEmpty {
            throw AurumError(.windowingError, "cannot override PARTITION BY clause of window \"\(b)\"", position: spec.pos)
        }
        if !spec.orderBy.isEmpty {
            if !base.orderBy.isEmpty { throw AurumError(.windowingError, "cannot override ORDER BY clause of window \"\(b)\"", position: spec.pos) }
            base.orderBy = spec.orderBy
        }
        if base.frame != nil && (spec.frame != nil || !spec.orderBy.isEmpty) {
            throw AurumError(.windowingError, "cannot copy window \"\(b)\" because it has a frame clause", position: spec.pos)
        }
        if spec.frame != nil { base.frame = spec.frame }
        base.base = nil
        return base
    }

    /// Binds `f(...) OVER (...)`; returns the placeholder column of its result.
    func bindWindowFunction(_ f: FunctionCall, _ pos: Int, _ scope: Scope, _ agg: AggregateCollector?) throws -> BoundExpr {
        guard let col = windowCollector, let rawSpec = f.over else {
            throw AurumError(.windowingError, "window functions are not allowed here", position: pos)
        }
        let spec = try resolveWindowSpec(rawSpec, col)
        // arguments, PARTITION BY and ORDER BY may use aggregates (over a GROUP BY) but no window functions
        windowCollector = nil
        defer { windowCollector = col }
        func bind(_ e: Expr) throws -> BoundExpr {
            do { return try bindExpr(e, agg?.fromScope ?? scope, agg: agg) } catch let e as AurumError where e.code == .windowingError {
                throw AurumError(.windowingError, "window function calls cannot be nested", position: e.position)
            }
        }
        let name = f.name.last
        let lname = name.lowercased()
        if f.distinct { throw AurumError(.featureNotSupported, "DISTINCT is not implemented for window functions", position: pos) }
        if f.filter != nil { throw AurumError(.featureNotSupported, "FILTER is not implemented for window functions", position: pos) }
        if !f.orderBy.isEmpty || !f.parameters.isEmpty {
            throw AurumError(.featureNotSupported, "\(name) OVER does not support ordered-set or parametric arguments", position: pos)
        }
        let partition = try spec.partitionBy.map(bind)
        let order = try spec.orderBy.map { o in
            SortKey(expr: try bind(o.expr), ascending: o.ascending, nullsFirst: o.nullsFirst ?? !o.ascending)
        }
        let frame = try bindFrame(spec.frame, hasOrder: !order.isEmpty)
        var args = try f.arguments.map(bind)
        func arity(_ n: ClosedRange<Int>) throws {
            guard n.contains(args.count) else {
                throw AurumError(.undefinedFunction, "function \(name) with \(args.count) argument(s) does not exist", position: pos)
            }
        }
        func constantInt(_ i: Int, _ what: String) throws -> Int64? {
            // offsets/counts are integers (a `$n` or a quoted literal converts)
            if args[i].type.base != .int64 || args[i].isConstant { args[i] = try coerce(args[i], to: DataType.int64.nullable) }
            guard case .constant(let v, _) = args[i] else {
                throw AurumError(.featureNotSupported, "the \(what) of \(name) must be a constant", position: pos)
            }
            if v.isNull { return nil }
            guard let n = v.asInt64 else { throw AurumError(.datatypeMismatch, "the \(what) of \(name) must be an integer", position: pos) }
            return n
        }
        var kind: BoundWindow.Kind
        var type: DataType
        switch lname {
        case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist":
            try arity(0...0)
            kind = ["row_number": .rowNumber, "rank": .rank, "dense_rank": .denseRank, "percent_rank": .percentRank, "cume_dist": .cumeDist][lname]!
            type = lname == "percent_rank" || lname == "cume_dist" ? .float64 : .int64
        case "ntile":
            try arity(1...1)
            if let n = try constantInt(0, "bucket count"), n <= 0 {
                throw AurumError(.invalidArgumentForNtile, "argument of ntile must be greater than zero", position: pos)
            }
            args[0] = try coerce(args[0], to: .int64)
            kind = .ntile
            type = DataType.int32.nullable
        case "lag", "lead":
            try arity(1...3)
            if args.count >= 2 {
                _ = try constantInt(1, "offset")
                args[1] = try coerce(args[1], to: DataType.int64.nullable)
            }
            var t = args[0].type
            if args.count == 3 {
                guard let st = TypeRules.supertype(args[0].type, args[2].type) else {
                    throw AurumError(.datatypeMismatch, "\(name) types \(args[0].type.plain) and \(args[2].type.plain) cannot be matched", position: pos)
                }
                t = st
                args[2] = try coerce(args[2], to: args[2].type.isNullable ? st.nullable : st.nonNullable)
            }
            if t.base == .nothing { t = DataType.string.nullable }
            args[0] = try coerce(args[0], to: args[0].type.isNullable ? t.nullable : t.nonNullable)
            kind = lname == "lag" ? .lag : .lead
            type = t.nullable
        case "first_value", "last_value":
            try arity(1...1)
            kind = lname == "first_value" ? .firstValue : .lastValue
            type = args[0].type
        case "nth_value":
            try arity(2...2)
            if let n = try constantInt(1, "position"), n <= 0 {
                throw AurumError(.invalidArgumentForNthValue, "argument of nth_value must be greater than zero", position: pos)
            }
            args[1] = try coerce(args[1], to: DataType.int64.nullable)
            kind = .nthValue
            type = args[0].type.nullable
        default:
            guard AggregateRegistry.isAggregate(name), AggregateRegistry.names.contains(lname) else {
                throw AurumError(.featureNotSupported, "\(name) is not a window function or aggregate; supported: row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead, first_value, last_value, nth_value and aggregates OVER (...)", position: pos)
            }
            let r: ResolvedAggregate
            do {
                r = try AggregateRegistry.resolve(name, parameters: [], args: args.map(\.type), distinct: false, star: f.star)
            } catch var e as AurumError { if e.position == nil { e.position = pos }; throw e }
            args = try args.enumerated().map { i, a in
                let want = i < r.argumentTypes.count ? r.argumentTypes[i] : a.type
                return try coerce(a, to: want.base == a.type.base ? a.type : (a.type.isNullable ? want.nullable : want))
            }
            kind = .aggregate(r.makeState)
            type = r.returnType
        }
        col.windows.append(BoundWindow(name: lname, kind: kind, arguments: args, partitionBy: partition, orderBy: order, frame: frame, returnType: type))
        return .column(WindowCollector.base + col.windows.count - 1, type)
    }

    func bindFrame(_ frame: WindowFrame?, hasOrder: Bool) throws -> BoundFrame {
        guard let f = frame else { return hasOrder ? .rangeToCurrent : .partition }
        func unsupported() -> AurumError {
            AurumError(.featureNotSupported, "window frame \(SQLPrinter.windowSpecText(WindowSpec(frame: f), expr: SQLPrinter.expr, orderItem: SQLPrinter.orderItem).dropFirst().dropLast()) is not supported",
                       hint: "supported frames: ROWS|RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, ROWS BETWEEN n PRECEDING AND CURRENT ROW, ROWS|RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
                       position: f.pos)
        }
        if f.exclude || f.unit == .groups { throw unsupported() }
        switch (f.start, f.end) {
        case (.unboundedPreceding, .unboundedFollowing): return .partition
        case (.unboundedPreceding, .currentRow):
            if f.unit == .range { return hasOrder ? .rangeToCurrent : .partition }
            return .rows(preceding: nil)
        case (.currentRow, .currentRow) where f.unit == .rows: return .rows(preceding: 0)
        case (.preceding(let e), .currentRow) where f.unit == .rows:
            let b = try bindHinted(e, .int64, Scope(), nil)
            guard case .constant(let v, _) = b else {
                throw AurumError(.featureNotSupported, "frame offsets must be constants", position: e.pos)
            }
            // while a statement is prepared, `$n` binds to a typed NULL: the offset is known at execution
            if v.isNull && inference != nil { return .rows(preceding: 0) }
            guard let n = v.asInt64 else {
                throw AurumError(.nullValueNotAllowed, "frame starting offset must not be null", position: e.pos)
            }
            guard n >= 0 else { throw AurumError(.invalidPrecedingOrFollowingSize, "frame starting offset must not be negative", position: e.pos) }
            return .rows(preceding: Int(min(n, Int64(Int32.max))))
        case (.unboundedFollowing, _), (_, .unboundedPreceding):
            throw AurumError(.windowingError, "frame start cannot be UNBOUNDED FOLLOWING and frame end cannot be UNBOUNDED PRECEDING", position: f.pos)
        default:
            throw unsupported()
        }
    }
}
