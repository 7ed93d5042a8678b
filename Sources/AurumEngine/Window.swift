import AurumCore
import AurumSQL

/// A frame offset after binding: a row/group count (ROWS, GROUPS) or a distance in the
/// ORDER BY key's domain (RANGE).
enum FrameOffset: Sendable, Equatable {
    /// ROWS / GROUPS: a number of rows or peer groups (>= 0).
    case count(Int64)
    /// RANGE over an integer, decimal (raw value at the key's scale, rescaled at bind time)
    /// or date/time key given a plain number: a distance in the key's own units.
    case exact(Int128)
    /// RANGE over a floating-point key.
    case float(Double)
    /// RANGE over a date/time key: an INTERVAL applied as PostgreSQL does (months first,
    /// then days, then microseconds).
    case interval(months: Int64, days: Int64, micros: Int64)

    var description: String {
        switch self {
        case .count(let n): return String(n)
        case .exact(let n): return String(n)
        case .float(let d): return String(d)
        case .interval(let m, let d, let us):
            var parts: [String] = []
            if m != 0 { parts.append("\(m) months") }
            if d != 0 || (m == 0 && us == 0) { parts.append("\(d) days") }
            if us != 0 { parts.append("\(us) microseconds") }
            return "INTERVAL '" + parts.joined(separator: " ") + "'"
        }
    }
}

/// The frame of a bound window function: PostgreSQL's ROWS / RANGE / GROUPS frames with
/// every valid combination of bounds and an exclusion.
struct BoundFrame: Sendable, Equatable {
    enum Unit: String, Sendable, Equatable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }
    enum Bound: Sendable, Equatable {
        case unboundedPreceding
        case preceding(FrameOffset)
        case currentRow
        case following(FrameOffset)
        case unboundedFollowing

        var description: String {
            switch self {
            case .unboundedPreceding: return "UNBOUNDED PRECEDING"
            case .preceding(let o): return "\(o.description) PRECEDING"
            case .currentRow: return "CURRENT ROW"
            case .following(let o): return "\(o.description) FOLLOWING"
            case .unboundedFollowing: return "UNBOUNDED FOLLOWING"
            }
        }
    }
    typealias Exclusion = WindowFrame.Exclusion
    var unit: Unit
    var start: Bound
    var end: Bound
    var exclusion: Exclusion = .noOthers

    /// The whole partition (no ORDER BY, or `... UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING`).
    static let partition = BoundFrame(unit: .rows, start: .unboundedPreceding, end: .unboundedFollowing)
    /// `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW` (the default with ORDER BY).
    static let rangeToCurrent = BoundFrame(unit: .range, start: .unboundedPreceding, end: .currentRow)

    var isWholePartition: Bool { start == .unboundedPreceding && end == .unboundedFollowing && exclusion == .noOthers }

    var description: String {
        "\(unit.rawValue) BETWEEN \(start.description) AND \(end.description)" + (exclusion == .noOthers ? "" : " EXCLUDE \(exclusion.rawValue)")
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
        let frame = try bindFrame(spec.frame, order: order)
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
            // NULL for an empty frame
            type = args[0].type.nullable
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

    /// Binds a frame clause (PostgreSQL's rules and SQLSTATEs): invalid bound combinations and
    /// GROUPS / RANGE offsets without the ORDER BY they need are 42P20, offsets must be constants
    /// (or parameters), negative offsets 22013, NULL offsets 22004, RANGE offsets of a type that
    /// does not fit the ORDER BY key 0A000.
    func bindFrame(_ frame: WindowFrame?, order: [SortKey]) throws -> BoundFrame {
        guard let f = frame else { return order.isEmpty ? .partition : .rangeToCurrent }
        switch (f.start, f.end) {
        case (.unboundedFollowing, _):
            throw AurumError(.windowingError, "frame start cannot be UNBOUNDED FOLLOWING", position: f.pos)
        case (_, .unboundedPreceding):
            throw AurumError(.windowingError, "frame end cannot be UNBOUNDED PRECEDING", position: f.pos)
        case (.currentRow, .preceding):
            throw AurumError(.windowingError, "frame starting from current row cannot have preceding rows", position: f.pos)
        case (.following, .preceding), (.following, .currentRow):
            throw AurumError(.windowingError, "frame starting from following row cannot have preceding rows", position: f.pos)
        default: break
        }
        let unit: BoundFrame.Unit = f.unit == .rows ? .rows : f.unit == .range ? .range : .groups
        if unit == .groups && order.isEmpty {
            throw AurumError(.windowingError, "GROUPS mode requires an ORDER BY clause", position: f.pos)
        }
        func bound(_ b: FrameBound, isStart: Bool) throws -> BoundFrame.Bound {
            switch b {
            case .unboundedPreceding: return .unboundedPreceding
            case .unboundedFollowing: return .unboundedFollowing
            case .currentRow: return .currentRow
            case .preceding(let e): return .preceding(try frameOffset(e, unit: unit, order: order, isStart: isStart, pos: f.pos))
            case .following(let e): return .following(try frameOffset(e, unit: unit, order: order, isStart: isStart, pos: f.pos))
            }
        }
        var bf = BoundFrame(unit: unit, start: try bound(f.start, isStart: true), end: try bound(f.end, isStart: false), exclusion: f.exclusion)
        // without ORDER BY every row is a peer of every other: RANGE/GROUPS CURRENT ROW is the partition
        if order.isEmpty && unit == .range && bf.exclusion == .noOthers && bf.start != .currentRow && bf.end != .currentRow {
            bf = .partition
        }
        if bf.isWholePartition { return .partition }
        return bf
    }

    /// A constant frame offset: rows/groups as a non-negative count, RANGE in the ORDER BY
    /// key's domain.
    func frameOffset(_ e: Expr, unit: BoundFrame.Unit, order: [SortKey], isStart: Bool, pos: Int) throws -> FrameOffset {
        let which = isStart ? "starting" : "ending"
        func constant(_ b: BoundExpr) throws -> Value? {
            guard case .constant(let v, _) = b else {
                throw AurumError(.featureNotSupported, "frame offsets must be constants", position: e.pos)
            }
            if v.isNull {
                // while a statement is prepared, `$n` binds to a typed NULL: the offset is known at execution
                if inference != nil { return nil }
                throw AurumError(.nullValueNotAllowed, "frame \(which) offset must not be null", position: e.pos)
            }
            return v
        }
        if unit != .range {
            var b = try bindHinted(e, .int64, Scope(), nil)
            if b.type.isString, case .constant = b { b = try coerce(b, to: .int64) }
            guard b.type.isNumeric || b.type.base == .nothing else {
                throw AurumError(.datatypeMismatch, "argument of \(unit.rawValue) must be type bigint, not type \(b.type.plain)", position: e.pos)
            }
            guard let v = try constant(b) else { return .count(0) }
            // a decimal/float offset rounds to the nearest integer (PostgreSQL's cast to bigint)
            let exact: Int64?
            if b.type.isInteger { exact = v.asInt64 } else if let d = v.asDouble, abs(d) < 9.2e18 { exact = Int64(d.rounded()) } else { exact = nil }
            guard let n = exact else { throw AurumError(.numericValueOutOfRange, "frame \(which) offset is out of range", position: e.pos) }
            guard n >= 0 else { throw AurumError(.invalidPrecedingOrFollowingSize, "frame \(which) offset must not be negative", position: e.pos) }
            return .count(n)
        }
        guard order.count == 1 else {
            throw AurumError(.windowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column", position: pos)
        }
        let key = order[0].expr.type
        let negative = AurumError(.invalidPrecedingOrFollowingSize, "invalid preceding or following size in window function", position: e.pos)
        if key.isTemporal {
            guard let iv = try intervalOffset(e, pos: pos) else { return .interval(months: 0, days: 0, micros: 0) }
            // PostgreSQL compares intervals with a month of 30 days
            let total = Int128(iv.months) * 30 * 86_400_000_000 + Int128(iv.days) * 86_400_000_000 + Int128(iv.micros)
            if total < 0 { throw negative }
            return .interval(months: iv.months, days: iv.days, micros: iv.micros)
        }
        func mismatch(_ t: DataType) -> AurumError {
            AurumError(.featureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type \(key.plain) and offset type \(t.plain)",
                       hint: "Cast the offset value to an appropriate type.", position: e.pos)
        }
        if case .interval = e {
            throw AurumError(.featureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type \(key.plain) and offset type interval",
                             hint: "Cast the offset value to an appropriate type.", position: e.pos)
        }
        guard key.isNumeric else {
            throw AurumError(.featureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type \(key.plain)", position: e.pos)
        }
        var b = try bindHinted(e, key.plain, Scope(), nil)
        if b.type.isString, case .constant = b { b = try coerce(b, to: key.plain) }
        let t = b.type
        if key.isInteger {
            guard t.isInteger || t.base == .nothing else { throw mismatch(t) }
            guard let v = try constant(b) else { return .exact(0) }
            let n = v.rawInt128
            if n < 0 { throw negative }
            return .exact(n)
        }
        if key.isDecimal {
            guard t.isInteger || t.isDecimal || t.base == .nothing else { throw mismatch(t) }
            guard let v = try constant(b) else { return .exact(0) }
            // the offset at the key's scale, rounded up (a larger offset never drops a row in range)
            let ks = key.decimalScale
            var raw: Int128
            var scale = 0
            if case .decimal(let r, let s) = v { raw = r; scale = s } else { raw = v.rawInt128 }
            if raw < 0 { throw negative }
            if scale > ks {
                let d = DecimalMath.pow10[scale - ks]
                raw = raw / d + (raw % d != 0 ? 1 : 0)
            } else if scale < ks {
                let (m, o) = raw.multipliedReportingOverflow(by: DecimalMath.pow10[ks - scale])
                raw = o ? Int128.max : m
            }
            return .exact(raw)
        }
        // float keys: any numeric offset
        guard t.isNumeric || t.base == .nothing else { throw mismatch(t) }
        guard let v = try constant(b) else { return .float(0) }
        guard let d = v.asDouble else { throw mismatch(t) }
        if d.isNaN || d < 0 { throw negative }
        return .float(d)
    }

    /// `INTERVAL '7 days'`, `INTERVAL 1 MONTH`, `'1 day 3 hours'` (a sum), `'7 days'` as a plain
    /// string: months, days and microseconds; nil while preparing with a parameter amount.
    func intervalOffset(_ e: Expr, pos: Int) throws -> (months: Int64, days: Int64, micros: Int64)? {
        func unsupported() -> AurumError {
            AurumError(.featureNotSupported, "RANGE with offset PRECEDING/FOLLOWING over a date/time column needs an INTERVAL offset",
                       hint: "write e.g. RANGE BETWEEN INTERVAL '7 days' PRECEDING AND CURRENT ROW", position: e.pos)
        }
        func part(_ amount: Int64, _ unit: IntervalUnit, at p: Int) throws -> (Int64, Int64, Int64) {
            func mul(_ a: Int64, _ k: Int64) throws -> Int64 {
                let (r, o) = a.multipliedReportingOverflow(by: k)
                if o { throw AurumError(.numericValueOutOfRange, "interval out of range", position: p) }
                return r
            }
            switch unit {
            case .year: return (try mul(amount, 12), 0, 0)
            case .quarter: return (try mul(amount, 3), 0, 0)
            case .month: return (amount, 0, 0)
            case .week: return (0, try mul(amount, 7), 0)
            case .day: return (0, amount, 0)
            case .hour: return (0, 0, try mul(amount, 3_600_000_000))
            case .minute: return (0, 0, try mul(amount, 60_000_000))
            case .second: return (0, 0, try mul(amount, 1_000_000))
            case .millisecond: return (0, 0, try mul(amount, 1_000))
            case .microsecond: return (0, 0, amount)
            case .nanosecond: throw AurumError(.featureNotSupported, "nanosecond intervals are not supported in window frames", position: p)
            }
        }
        func add(_ a: (Int64, Int64, Int64), _ b: (Int64, Int64, Int64)) throws -> (Int64, Int64, Int64) {
            let (m, o1) = a.0.addingReportingOverflow(b.0), (d, o2) = a.1.addingReportingOverflow(b.1), (u, o3) = a.2.addingReportingOverflow(b.2)
            if o1 || o2 || o3 { throw AurumError(.numericValueOutOfRange, "interval out of range", position: e.pos) }
            return (m, d, u)
        }
        func walk(_ x: Expr) throws -> (Int64, Int64, Int64)? {
            switch x {
            case .interval(let v, let unit, let p):
                var b = try bindHinted(v, .int64, Scope(), nil)
                if case .constant(let c, _) = b, c.asString != nil { b = try coerce(b, to: .int64) }
                guard case .constant(let c, _) = b else {
                    throw AurumError(.featureNotSupported, "frame offsets must be constants", position: p)
                }
                if c.isNull {
                    if inference != nil { return nil }
                    throw AurumError(.nullValueNotAllowed, "frame offset must not be null", position: p)
                }
                guard b.type.isInteger || b.type.base == .nothing, let n = c.asInt64 else {
                    throw AurumError(.invalidDatetimeFormat, "invalid interval amount \(c)", position: p)
                }
                return try part(n, unit, at: p)
            case .binary(.add, let l, let r, _):
                guard let a = try walk(l), let b = try walk(r) else { return nil }
                return try add(a, b)
            case .literal(.string(let s), let p), .literal(.typed(_, let s), let p):
                if case .literal(.typed(let tn, _), _) = x, tn.name.lowercased() != "interval" { throw unsupported() }
                let (n, unit) = try parseIntervalText(s, p)
                return try part(n, unit, at: p)
            default:
                throw unsupported()
            }
        }
        guard let r = try walk(e) else { return nil }
        return (r.0, r.1, r.2)
    }
}
