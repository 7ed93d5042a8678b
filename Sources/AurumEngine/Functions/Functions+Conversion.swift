import AurumCore

// Conversion functions: toInt8..toUInt64, toFloat32/64 (plus *OrNull / *OrZero), toDecimal32/64/128,
// toDecimal, toBool, toUUID, toTypeName; and the helpers the other function files share.
//
// Semantics (DESIGN.md "Semantics"): the plain forms never wrap. Text that does not parse is
// 22P02, a value outside the target type is 22003 (ClickHouse wraps; Aurum does not). Floats and
// decimals convert to integers by truncating toward zero. The *OrNull forms give NULL and the
// *OrZero forms give 0 where the plain form would raise either error.

// MARK: - Shared helpers for the function files

extension FunctionRegistry {
    /// The values of the constant arguments of the call being resolved (`nil` for a non-constant
    /// argument), for the few functions whose result *type* depends on an argument value:
    /// `toDateTime64(x, p)`, `toDecimal32(x, s)`, `toDecimal(x, p, s)`, `now64(p)`.
    ///
    /// The binder sets it around `resolve`:
    /// `try FunctionRegistry.$constantArguments.withValue(values) { try FunctionRegistry.resolve(name, types) }`.
    /// When unset, those functions assume their documented default (precision 3, scale 0) and
    /// their kernels fail with 0A000 if the argument they actually receive differs, so a missing
    /// value can never silently give a wrong type.
    @TaskLocal static var constantArguments: [Value?] = []

    /// The constant value of argument `i` of the call being resolved, if known.
    static func constantArgument(_ i: Int) -> Value? {
        let c = constantArguments
        return i < c.count ? c[i] : nil
    }
}

/// A propagating (`NullHandling.propagate`) function: the result is NULL when any argument is.
func propagating(_ name: String, _ inputs: [DataType], args: [DataType], returns rt: DataType, deterministic: Bool = true,
                 _ k: @escaping @Sendable ([Column], Int) throws -> Column) -> ResolvedFunction {
    ResolvedFunction(argumentTypes: args, function: BoundFunction(
        name: name, returnType: FunctionRegistry.nullableIf(rt, inputs), kernel: ScalarKernel(k),
        nulls: .propagate, deterministic: deterministic))
}

/// Row `i` of a possibly-broadcast (1-row) column.
@inline(__always) func row(_ c: Column, _ i: Int) -> Int { c.count == 1 ? 0 : i }

/// The text of an argument that must be constant (a unit, a format, a pattern): the value of its
/// first row, after checking that all rows agree. Returns nil when it is NULL (the result is NULL
/// anyway under `.propagate`).
func constantText(_ c: Column, function: String, argument: String) throws -> String? {
    guard c.count > 0 else { return "" }
    if c.isNull(0) { return nil }
    let s = c.strings
    for i in 1..<max(1, c.count) where c.isNull(i) || s.compare(i, s, 0) != 0 {
        throw AurumError(.featureNotSupported, "\(function): the \(argument) must be a constant",
                         hint: "pass a literal for the \(argument)")
    }
    return s.string(at: 0)
}

/// The integer value of an argument that must be constant (a precision, a scale, a digit count).
func constantInt(_ c: Column, function: String, argument: String) throws -> Int? {
    guard c.count > 0, !c.isNull(0) else { return nil }
    let v = c.int64Values
    for i in 1..<max(1, c.count) where v[i] != v[0] && !c.isNull(i) {
        throw AurumError(.featureNotSupported, "\(function): the \(argument) must be a constant", hint: "pass a literal for the \(argument)")
    }
    return Int(v[0])
}

/// The result rows that are valid under `.propagate` (nil = all valid).
@inline(__always) func validRows(_ args: [Column], _ n: Int) -> [UInt8]? { Evaluator.mergeValidity(args, n) }

/// A column of `n` zero values (for a NULL constant argument that makes every row NULL).
func zeroColumn(_ t: DataType, _ n: Int) -> Column { Column(type: t.plain, data: .zeros(t.physical, count: n)) }

/// Integer digits 0-9 of a byte.
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
@inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

/// Parses `[spaces][+|-]digits[spaces]` as an integer (no fraction, no exponent).
/// Returns (value, ok, overflow): ok false for bad text, overflow true when it does not fit Int128.
@inline(__always)
func parseInteger(_ p: UnsafePointer<UInt8>?, _ len: Int) -> (Int128, ok: Bool, overflow: Bool) {
    guard let p, len > 0 else { return (0, false, false) }
    var i = 0, e = len
    while i < e && isSpace(p[i]) { i += 1 }
    while e > i && isSpace(p[e - 1]) { e -= 1 }
    var neg = false
    if i < e && (p[i] == 45 || p[i] == 43) { neg = p[i] == 45; i += 1 }
    guard i < e else { return (0, false, false) }
    var v: Int128 = 0
    var over = false
    while i < e {
        let d = p[i] &- 48
        guard d < 10 else { return (0, false, false) }
        if !over {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(d))
            if o1 || o2 { over = true } else { v = a }
        }
        i += 1
    }
    return (neg ? -v : v, true, over)
}

/// Parses a float as PostgreSQL's float8 input does (also inf/infinity/nan). nil on bad text.
func parseDouble(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
    let s = Substring(String(decoding: p, as: UTF8.self)).trimmingSpaces
    if let d = Double(s) {
        // Swift accepts hex floats ("0x1p3"); SQL does not.
        if s.contains(where: { $0 == "x" || $0 == "X" }) { return nil }
        return d
    }
    switch s.lowercased() {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan", "+nan", "-nan": return .nan
    default: return nil
    }
}

// MARK: - Integer and float conversions

/// What a conversion does with text that does not parse or a value out of range.
enum ConversionFailure: Sendable { case error, null, zero }

private func conversionName(_ base: String, _ f: ConversionFailure) -> String {
    switch f {
    case .error: return base
    case .null: return base + "OrNull"
    case .zero: return base + "OrZero"
    }
}

/// Builds the integer column of type `t` from exact Int128 values (all in range).
func integerData(_ w: [Int128], _ t: DataType) -> ColumnData {
    switch t.physical {
    case .int8: return .int8(w.map { Int8(truncatingIfNeeded: $0) })
    case .int16: return .int16(w.map { Int16(truncatingIfNeeded: $0) })
    case .int32: return .int32(w.map { Int32(truncatingIfNeeded: $0) })
    case .uint8: return .uint8(w.map { UInt8(truncatingIfNeeded: $0) })
    case .uint16: return .uint16(w.map { UInt16(truncatingIfNeeded: $0) })
    case .uint32: return .uint32(w.map { UInt32(truncatingIfNeeded: $0) })
    case .uint64: return .uint64(w.map { UInt64(truncatingIfNeeded: $0) })
    default: return .int64(w.map { Int64(truncatingIfNeeded: $0) })
    }
}

/// Reads the argument as exact Int128 values plus a per-row failure code
/// (0 ok, 1 bad text, 2 out of Int128 range). Decimals and floats truncate toward zero.
private func wideValues(_ c: Column) -> (values: [Int128], fail: [UInt8]?) {
    let n = c.count
    switch c.type.base {
    case .string:
        let s = c.strings
        var out = [Int128](repeating: 0, count: n)
        var fail: [UInt8]? = nil
        s.bytes.withUnsafeBufferPointer { b in
            for i in 0..<n {
                let a = Int(s.offsets[i]), e = Int(s.offsets[i + 1])
                let r = parseInteger(b.baseAddress.map { $0 + a }, e - a)
                if r.ok && !r.overflow { out[i] = r.0; continue }
                // Only integer text parses ("1.5" is 22P02, as in PostgreSQL and ClickHouse).
                if fail == nil { fail = [UInt8](repeating: 0, count: n) }
                fail![i] = r.ok ? 2 : 1
            }
        }
        return (out, fail)
    case .decimal(_, let sc):
        let k = DecimalMath.pow10[sc]
        return (Cast.decimalRaw(c.data).map { $0 / k }, nil)
    case .float32, .float64:
        let d = c.doubleValues
        var fail: [UInt8]? = nil
        var out = [Int128](repeating: 0, count: n)
        for i in 0..<n {
            let x = d[i].rounded(.towardZero)
            if x.isFinite && abs(x) < 1.7e38 { out[i] = Int128(x) } else {
                if fail == nil { fail = [UInt8](repeating: 0, count: n) }
                fail![i] = x.isNaN ? 1 : 2
            }
        }
        return (out, fail)
    default:
        return (Cast.wide(c.data), nil)
    }
}

private func resolveToInteger(_ base: String, _ t: DataType, _ f: ConversionFailure) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        guard x.isNumeric || x.isString || x.isTemporal || x.base == .bool || x.base == .nothing else {
            throw FunctionRegistry.typeError(name, a)
        }
        let argType = x.base == .nothing ? DataType.int64 : x.plain
        let rt = f == .null ? t.nullable : FunctionRegistry.nullableIf(t, a)
        let (lo, hi) = Value.intRange(t)
        let kernel = ScalarKernel { c, n in
            let col = c[0]
            var (w, fail) = wideValues(col)
            var validity: [UInt8]? = col.validity
            for i in 0..<w.count {
                let code = fail?[i] ?? 0
                if code == 0 && w[i] >= lo && w[i] <= hi { continue }
                if col.isNull(i) { w[i] = 0; continue }
                switch f {
                case .error:
                    if code == 1 {
                        throw AurumError(.invalidTextRepresentation, "\(name): invalid input syntax for type \(t): \"\(col.value(at: i))\"")
                    }
                    throw AurumError(.numericValueOutOfRange, "\(name): value \(col.value(at: i)) is out of range for type \(t)")
                case .zero: w[i] = 0
                case .null:
                    w[i] = 0
                    if validity == nil { validity = [UInt8](repeating: 1, count: w.count) }
                    validity![i] = 0
                }
            }
            return Column(type: rt, data: integerData(w, t), validity: validity)
        }
        return ResolvedFunction(argumentTypes: [argType], function: BoundFunction(
            name: name, returnType: rt, kernel: kernel, nulls: .custom))
    }
}

private func resolveToFloat(_ t: DataType, _ f: ConversionFailure) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        guard x.isNumeric || x.isString || x.base == .bool || x.base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        let rt = f == .null ? t.nullable : FunctionRegistry.nullableIf(t, a)
        let argType = x.base == .nothing ? DataType.float64 : x.plain
        let single = t.base == .float32
        let kernel = ScalarKernel { c, n in
            let col = c[0]
            var d: [Double]
            var validity = col.validity
            if case .string(let s) = col.data {
                d = [Double](repeating: 0, count: col.count)
                var bad: Int? = nil
                s.bytes.withUnsafeBufferPointer { b in
                    for i in 0..<col.count {
                        let r = UnsafeBufferPointer(rebasing: b[Int(s.offsets[i])..<Int(s.offsets[i + 1])])
                        if let v = parseDouble(r) { d[i] = v; continue }
                        if col.isNull(i) { continue }
                        switch f {
                        case .error: if bad == nil { bad = i }
                        case .zero: break
                        case .null:
                            if validity == nil { validity = [UInt8](repeating: 1, count: col.count) }
                            validity![i] = 0
                        }
                    }
                }
                if let i = bad {
                    throw AurumError(.invalidTextRepresentation, "\(name): invalid input syntax for type \(t): \"\(s.string(at: i))\"")
                }
            } else if case .decimal(_, let sc) = col.type.base {
                let div = DecimalMath.pow(10, sc)
                d = Cast.decimalRaw(col.data).map { Double($0) / div }
            } else {
                d = col.doubleValues
            }
            if single {
                // Float32 overflow is out of range, as for the integer types.
                for i in 0..<d.count where d[i].isFinite && !Float(d[i]).isFinite && !col.isNull(i) {
                    switch f {
                    case .error: throw AurumError(.numericValueOutOfRange, "\(name): value \(Value.formatDouble(d[i])) is out of range for type Float32")
                    case .zero: d[i] = 0
                    case .null:
                        d[i] = 0
                        if validity == nil { validity = [UInt8](repeating: 1, count: d.count) }
                        validity![i] = 0
                    }
                }
                return Column(type: rt, data: .float32(d.map { Float($0) }), validity: validity)
            }
            _ = n
            return Column(type: rt, data: .float64(d), validity: validity)
        }
        return ResolvedFunction(argumentTypes: [argType], function: BoundFunction(name: name, returnType: rt, kernel: kernel, nulls: .custom))
    }
}

// MARK: - Decimal, Bool, UUID, toTypeName

/// toDecimal32/64/128(x, s) and toDecimal(x, p, s): the scale (and precision) must be constants
/// (see `FunctionRegistry.constantArguments`); the conversion itself is `Cast` (exact, 22003 when
/// the value does not fit, 22P02 for bad text, rounding half away from zero when reducing scale).
private func resolveToDecimal(precision fixed: Int?) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, fixed == nil ? 3...3 : 2...2)
        guard a[0].isNumeric || a[0].isString || a[0].base == .bool || a[0].base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        for t in a.dropFirst() where !(t.isInteger || t.base == .nothing) { throw FunctionRegistry.typeError(name, a) }
        var p = fixed ?? 38, s = 0
        if fixed == nil, let v = FunctionRegistry.constantArgument(1)?.asInt64 { p = Int(v) }
        if let v = FunctionRegistry.constantArgument(fixed == nil ? 2 : 1)?.asInt64 { s = Int(v) }
        guard (1...38).contains(p) else { throw AurumError(.invalidParameterValue, "\(name): decimal precision must be between 1 and 38, got \(p)") }
        guard (0...p).contains(s) else { throw AurumError(.invalidParameterValue, "\(name): decimal scale must be between 0 and \(p), got \(s)") }
        let t = DataType.decimal(p, s)
        let argTypes = [a[0].base == .nothing ? t : a[0].plain] + a.dropFirst().map { _ in DataType.int64 }
        let (rp, rs) = (p, s)
        return propagating(name, a, args: argTypes, returns: t) { c, n in
            if fixed == nil, let pv = try constantInt(c[1], function: name, argument: "precision"), pv != rp {
                throw AurumError(.featureNotSupported, "\(name): the precision must be a constant literal")
            }
            if let sv = try constantInt(c[c.count - 1], function: name, argument: "scale"), sv != rs {
                throw AurumError(.featureNotSupported, "\(name): the scale must be a constant literal")
            }
            var x = c[0]
            if x.count != n { x = Evaluator.broadcast(x, n) }
            var out = try Cast.column(x, to: t)
            out.validity = nil
            return out
        }
    }
}

let conversionFunctions: [([String], ScalarResolver)] = {
    var list: [([String], ScalarResolver)] = []
    let ints: [(String, DataType)] = [("toInt8", .int8), ("toInt16", .int16), ("toInt32", .int32), ("toInt64", .int64),
                                      ("toUInt8", .uint8), ("toUInt16", .uint16), ("toUInt32", .uint32), ("toUInt64", .uint64)]
    for (base, t) in ints {
        for f in [ConversionFailure.error, .null, .zero] {
            list.append(([conversionName(base, f)], resolveToInteger(base, t, f)))
        }
    }
    for (base, t) in [("toFloat32", DataType.float32), ("toFloat64", .float64)] {
        for f in [ConversionFailure.error, .null, .zero] {
            list.append(([conversionName(base, f)], resolveToFloat(t, f)))
        }
    }
    list.append((["toDecimal32"], resolveToDecimal(precision: 9)))
    list.append((["toDecimal64"], resolveToDecimal(precision: 18)))
    list.append((["toDecimal128"], resolveToDecimal(precision: 38)))
    list.append((["toDecimal"], resolveToDecimal(precision: nil)))
    list.append((["toBool", "toBoolean"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        guard x.isNumeric || x.isString || x.base == .bool || x.base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [x.base == .nothing ? .bool : x.plain], returns: .bool) { c, n in
            let col = c[0]
            switch col.type.base {
            case .bool: return Column(type: .bool, data: col.data)
            case .string:
                // Value.cast accepts t/true/yes/on/1 and f/false/no/off/0 (PostgreSQL's bool input).
                var v = [UInt8](repeating: 0, count: col.count)
                for i in 0..<col.count where !col.isNull(i) {
                    v[i] = try col.value(at: i).cast(to: .bool).asBool == true ? 1 : 0
                }
                return Column(type: .bool, data: .uint8(v))
            case .decimal:
                return Column(type: .bool, data: .uint8(Cast.decimalRaw(col.data).map { $0 != 0 ? 1 : 0 }))
            default:
                return Column(type: .bool, data: .uint8(col.doubleValues.map { $0 != 0 ? 1 : 0 }))
            }
        }
    }))
    list.append((["toUUID"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        guard x.isString || x.base == .uuid || x.base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [x.base == .uuid ? .uuid : .string], returns: .uuid) { c, n in
            let col = c[0]
            if col.type.base == .uuid { return Column(type: .uuid, data: col.data) }
            let s = col.strings
            var out = [UInt128](repeating: 0, count: col.count)
            for i in 0..<col.count where !col.isNull(i) {
                let text = s.string(at: i)
                guard let u = Value.parseUUID(Substring(text)) else {
                    throw AurumError(.invalidTextRepresentation, "\(name): invalid input syntax for type uuid: \"\(text)\"")
                }
                out[i] = u
            }
            return Column(type: .uuid, data: .uint128(out))
        }
    }))
    list.append((["toTypeName"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let text = a[0].description
        return ResolvedFunction(argumentTypes: a, function: BoundFunction(
            name: name, returnType: .string,
            kernel: ScalarKernel { _, n in Column(type: .string, data: .string(StringArray(repeatElement(text, count: n)))) },
            nulls: .custom))
    }))
    return list
}()
