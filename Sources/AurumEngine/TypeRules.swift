import AurumCore

/// Type promotion rules (ClickHouse-flavoured, with PostgreSQL answers where they disagree;
/// see docs/sql.md "Types and promotion").
enum TypeRules {
    static func integerDigits(_ t: DataType) -> Int {
        switch t.base {
        case .bool: return 1
        case .int8, .uint8: return 3
        case .int16, .uint16: return 5
        case .int32, .uint32: return 10
        case .int64: return 19
        case .uint64: return 20
        case .decimal(let p, let s): return p - s
        default: return 19
        }
    }

    /// The decimal type an integer widens to in decimal arithmetic.
    static func asDecimal(_ t: DataType) -> DataType {
        if t.isDecimal { return t.plain }
        return .decimal(min(38, integerDigits(t)), 0)
    }

    static func intRank(_ t: DataType) -> Int {
        switch t.base {
        case .bool: return 0
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32: return 3
        default: return 4
        }
    }

    /// Common type for comparison, UNION, CASE branches, coalesce, IN lists. nil when none.
    static func supertype(_ a: DataType, _ b: DataType) -> DataType? {
        let nullable = a.isNullable || b.isNullable
        func wrap(_ t: DataType) -> DataType { var r = t.plain; r.isNullable = nullable; return r }
        if a.base == .nothing { return wrap(b.base == .nothing ? .nothing : b).nullable }
        if b.base == .nothing { return wrap(a).nullable }
        if a.base == b.base {
            var r = wrap(a)
            r.isLowCardinality = a.isLowCardinality && b.isLowCardinality
            return r
        }
        if (a.isInteger || a.base == .bool) && (b.isInteger || b.base == .bool) {
            if a.base == .bool { return wrap(b) }
            if b.base == .bool { return wrap(a) }
            if a.isSignedInteger == b.isSignedInteger { return wrap(intRank(a) >= intRank(b) ? a : b) }
            // mixed sign: the smallest signed type holding both
            let r = max(intRank(a.isSignedInteger ? a : b), intRank(a.isSignedInteger ? b : a) + 1)
            return wrap([DataType.int8, .int8, .int16, .int32, .int64, .int64][min(r, 5)])
        }
        if a.isFloat || b.isFloat {
            if (a.isNumeric || a.base == .bool) && (b.isNumeric || b.base == .bool) { return wrap(.float64) }
            return nil
        }
        if a.isDecimal || b.isDecimal {
            guard (a.isNumeric || a.base == .bool) && (b.isNumeric || b.base == .bool) else { return nil }
            let da = asDecimal(a), db = asDecimal(b)
            let s = max(da.decimalScale, db.decimalScale)
            let ip = max(integerDigits(da), integerDigits(db))
            return wrap(.decimal(min(38, ip + s), s))
        }
        if a.isTemporal && b.isTemporal {
            func p(_ t: DataType) -> Int { if case .dateTime64(let x) = t.base { return x }; return 0 }
            if a.base == .date { return wrap(b) }
            if b.base == .date { return wrap(a) }
            let pa = p(a), pb = p(b)
            if case .dateTime64 = a.base { return wrap(.dateTime64(max(pa, pb))) }
            if case .dateTime64 = b.base { return wrap(.dateTime64(max(pa, pb))) }
            return wrap(.dateTime)
        }
        if a.isString || b.isString { return wrap(.string) }
        return nil
    }

    /// The physical domain two values are compared in; casts both sides to it.
    static func comparisonType(_ a: DataType, _ b: DataType) -> DataType? {
        supertype(a.nonNullable, b.nonNullable).map { t in var r = t; r.isLowCardinality = false; return r }
    }
}
