import AurumCore

/// Vectorised type conversion. Numeric and temporal conversions run as typed loops;
/// conversions from text parse per row (22P02 on bad text, 22003 when out of range).
public enum Cast {
    public static func column(_ c: Column, to t: DataType) throws -> Column {
        if c.type.base == t.base {
            var out = c
            out.type = t
            if out.validity != nil { out.type.isNullable = true }
            return out
        }
        if c.type.base == .nothing {
            return Column.constant(.null, type: t.nullable, count: c.count)
        }
        let src = c.type
        var out: Column?
        if (src.isInteger || src.isFloat || src.base == .bool) && (t.isInteger || t.isFloat || t.base == .bool) {
            out = try numeric(c, to: t)
        } else if src.isTemporal && t.isTemporal {
            out = temporal(c, to: t)
        } else if src.isDecimal && t.isDecimal {
            out = try decimalRescale(c, to: t)
        } else if (src.isInteger || src.base == .bool) && t.isDecimal {
            out = try intToDecimal(c, to: t)
        } else if src.isDecimal && t.isFloat {
            out = decimalToFloat(c, to: t)
        }
        if var o = out {
            o.validity = c.validity
            o.type = t
            if o.validity != nil { o.type.isNullable = true }
            return o
        }
        return try slow(c, to: t)
    }

    /// Per-row conversion through `Value.cast` (text parsing and rare combinations).
    static func slow(_ c: Column, to t: DataType) throws -> Column {
        var b = ColumnBuilder(type: t.nullable, capacity: c.count)
        for i in 0..<c.count {
            if c.isNull(i) { b.append(.null); continue }
            b.append(try c.value(at: i).cast(to: t))
        }
        var out = b.finish()
        out.type = t
        if out.validity != nil { out.type.isNullable = true }
        return out
    }

    // MARK: numeric

    /// Reads any numeric physical vector as Double.
    static func doubles(_ d: ColumnData) -> [Double] {
        switch d {
        case .int8(let a): return a.map { Double($0) }
        case .int16(let a): return a.map { Double($0) }
        case .int32(let a): return a.map { Double($0) }
        case .int64(let a): return a.map { Double($0) }
        case .int128(let a): return a.map { Double($0) }
        case .uint8(let a): return a.map { Double($0) }
        case .uint16(let a): return a.map { Double($0) }
        case .uint32(let a): return a.map { Double($0) }
        case .uint64(let a): return a.map { Double($0) }
        case .uint128(let a): return a.map { Double($0) }
        case .float32(let a): return a.map { Double($0) }
        case .float64(let a): return a
        case .string: return []
        }
    }

    /// Reads any integer physical vector as Int128 (exact).
    static func wide(_ d: ColumnData) -> [Int128] {
        switch d {
        case .int8(let a): return a.map { Int128($0) }
        case .int16(let a): return a.map { Int128($0) }
        case .int32(let a): return a.map { Int128($0) }
        case .int64(let a): return a.map { Int128($0) }
        case .int128(let a): return a
        case .uint8(let a): return a.map { Int128($0) }
        case .uint16(let a): return a.map { Int128($0) }
        case .uint32(let a): return a.map { Int128($0) }
        case .uint64(let a): return a.map { Int128($0) }
        case .uint128(let a): return a.map { Int128(truncatingIfNeeded: $0) }
        case .float32(let a): return a.map { $0.isFinite ? Int128($0.rounded(.towardZero)) : 0 }
        case .float64(let a): return a.map { $0.isFinite && abs($0) < 1.7e38 ? Int128($0.rounded(.towardZero)) : 0 }
        case .string: return []
        }
    }

    /// Reads an integer vector as Int64 (values must fit; used for signed/temporal kernels).
    static func int64s(_ d: ColumnData) -> [Int64] {
        switch d {
        case .int8(let a): return a.map { Int64($0) }
        case .int16(let a): return a.map { Int64($0) }
        case .int32(let a): return a.map { Int64($0) }
        case .int64(let a): return a
        case .uint8(let a): return a.map { Int64($0) }
        case .uint16(let a): return a.map { Int64($0) }
        case .uint32(let a): return a.map { Int64($0) }
        case .uint64(let a): return a.map { Int64(bitPattern: $0) }
        case .int128(let a): return a.map { Int64(truncatingIfNeeded: $0) }
        case .uint128(let a): return a.map { Int64(truncatingIfNeeded: $0) }
        case .float32(let a): return a.map { $0.isFinite ? Int64(clamping: Int64(exactly: $0.rounded(.towardZero)) ?? 0) : 0 }
        case .float64(let a): return a.map { $0.isFinite && abs($0) < 9.2e18 ? Int64($0.rounded(.towardZero)) : 0 }
        case .string: return []
        }
    }

    static func numeric(_ c: Column, to t: DataType) throws -> Column {
        let n = c.count
        if t.isFloat {
            let d = doubles(c.data)
            return Column(type: t, data: t.base == .float32 ? .float32(d.map { Float($0) }) : .float64(d))
        }
        if t.base == .bool {
            let d = doubles(c.data)
            return Column(type: t, data: .uint8(d.map { $0 != 0 ? 1 : 0 }))
        }
        // integer target: check range on valid rows
        let (lo, hi) = Value.intRange(t)
        if c.type.isFloat {
            let d = doubles(c.data)
            for i in 0..<n where !c.isNull(i) {
                let x = d[i]
                if !x.isFinite || x.rounded(.towardZero) < Double(lo) || x.rounded(.towardZero) > Double(hi) {
                    throw AurumError(.numericValueOutOfRange, "value \(Value.formatDouble(x)) is out of range for type \(t.plain)")
                }
            }
        }
        let w = wide(c.data)
        for i in 0..<n where (w[i] < lo || w[i] > hi) && !c.isNull(i) {
            throw AurumError(.numericValueOutOfRange, "value \(w[i]) is out of range for type \(t.plain)")
        }
        let data: ColumnData
        switch t.physical {
        case .int8: data = .int8(w.map { Int8(truncatingIfNeeded: $0) })
        case .int16: data = .int16(w.map { Int16(truncatingIfNeeded: $0) })
        case .int32: data = .int32(w.map { Int32(truncatingIfNeeded: $0) })
        case .int64: data = .int64(w.map { Int64(truncatingIfNeeded: $0) })
        case .uint8: data = .uint8(w.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16: data = .uint16(w.map { UInt16(truncatingIfNeeded: $0) })
        case .uint32: data = .uint32(w.map { UInt32(truncatingIfNeeded: $0) })
        case .uint64: data = .uint64(w.map { UInt64(truncatingIfNeeded: $0) })
        default: data = .int64(w.map { Int64(truncatingIfNeeded: $0) })
        }
        return Column(type: t, data: data)
    }

    // MARK: temporal

    static func ticksPerSecond(_ t: DataType) -> Int64 {
        if case .dateTime64(let p) = t.base { return Temporal.pow10[p] }
        return 1
    }

    static func temporal(_ c: Column, to t: DataType) -> Column {
        let src = c.type
        let v = int64s(c.data)
        if t.base == .date {
            let tps = ticksPerSecond(src)
            return Column(type: t, data: .int32(v.map { Int32(truncatingIfNeeded: Temporal.floorDiv(Temporal.floorDiv($0, tps), 86400)) }))
        }
        let dst = ticksPerSecond(t)
        if src.base == .date {
            let k = 86400 * dst
            return Column(type: t, data: .int64(v.map { $0 &* k }))
        }
        let s = ticksPerSecond(src)
        if s == dst { return Column(type: t, data: .int64(v)) }
        if s < dst { let k = dst / s; return Column(type: t, data: .int64(v.map { $0 &* k })) }
        let k = s / dst
        return Column(type: t, data: .int64(v.map { Temporal.floorDiv($0, k) }))
    }

    // MARK: decimal

    static func decimalRaw(_ d: ColumnData) -> [Int128] {
        switch d {
        case .int64(let a): return a.map { Int128($0) }
        case .int128(let a): return a
        default: return wide(d)
        }
    }

    static func makeDecimal(_ raw: [Int128], _ t: DataType) -> ColumnData {
        t.physical == .int64 ? .int64(raw.map { Int64(truncatingIfNeeded: $0) }) : .int128(raw)
    }

    static func checkPrecision(_ raw: [Int128], _ c: Column, _ t: DataType) throws {
        let maxv = DecimalMath.maxRaw(precision: t.decimalPrecision)
        for i in 0..<raw.count where (raw[i] > maxv || raw[i] < -maxv) && !c.isNull(i) {
            throw AurumError(.numericValueOutOfRange, "value \(DecimalMath.format(raw[i], scale: t.decimalScale)) is out of range for type \(t.plain)")
        }
    }

    static func decimalRescale(_ c: Column, to t: DataType) throws -> Column {
        let s0 = c.type.decimalScale, s1 = t.decimalScale
        var raw = decimalRaw(c.data)
        if s1 > s0 {
            let k = DecimalMath.pow10[s1 - s0]
            for i in 0..<raw.count {
                let (m, o) = raw[i].multipliedReportingOverflow(by: k)
                if o && !c.isNull(i) { throw AurumError(.numericValueOutOfRange, "decimal value out of range for type \(t.plain)") }
                raw[i] = o ? 0 : m
            }
        } else if s1 < s0 {
            let k = DecimalMath.pow10[s0 - s1]
            for i in 0..<raw.count { raw[i] = DecimalMath.divRound(raw[i], k) }
        }
        try checkPrecision(raw, c, t)
        return Column(type: t, data: makeDecimal(raw, t))
    }

    static func intToDecimal(_ c: Column, to t: DataType) throws -> Column {
        let k = DecimalMath.pow10[t.decimalScale]
        var raw = wide(c.data)
        for i in 0..<raw.count {
            let (m, o) = raw[i].multipliedReportingOverflow(by: k)
            if o && !c.isNull(i) { throw AurumError(.numericValueOutOfRange, "value \(raw[i]) is out of range for type \(t.plain)") }
            raw[i] = o ? 0 : m
        }
        try checkPrecision(raw, c, t)
        return Column(type: t, data: makeDecimal(raw, t))
    }

    static func decimalToFloat(_ c: Column, to t: DataType) -> Column {
        let s = c.type.decimalScale
        let div = DecimalMath.pow(10, s)
        let raw = decimalRaw(c.data)
        let d = raw.map { Double($0) / div }
        return Column(type: t, data: t.base == .float32 ? .float32(d.map { Float($0) }) : .float64(d))
    }
}
