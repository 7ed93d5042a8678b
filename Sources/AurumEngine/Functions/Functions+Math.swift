import AurumCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Math functions: abs, sign, round/floor/ceil/trunc (with digits), sqrt, cbrt, pow, exp, ln/log,
// log2, log10, trigonometry, degrees/radians, pi, e, gcd, lcm, rand/random.
//
// Decisions (documented in docs/sql.md):
// - round rounds half away from zero for every type (PostgreSQL numeric, DuckDB; ClickHouse uses
//   banker's rounding for floats). Floats round as DuckDB does: round(x * 10^n) / 10^n.
// - round/floor/ceil/trunc keep integer types exactly (a negative digit count rounds integers to
//   tens, hundreds, ...); floats give Float64. Decimal(P, S) keeps P and takes the scale of the
//   digit count when it is a constant (min(S, max(n, 0)); 0 without digits), as PostgreSQL and
//   DuckDB: round(2.71828, 3) = 2.718, floor(2.7) = 2. Rounding past the precision is 22003.
// - sqrt of a negative number is NaN and the logarithm of zero -Infinity (of a negative number
//   NaN), as in ClickHouse and DuckDB (PostgreSQL raises 2201F/2201E); asin/acos outside
//   [-1, 1] are errors (22003).
// - sign returns Int8 (ClickHouse, DuckDB).

private func numericArg(_ t: DataType) -> Bool { t.isNumeric || t.base == .bool || t.base == .nothing }

/// A Float64 -> Float64 function; `domain` says whether x is allowed (else `error(x)` is thrown
/// for a valid row).
private func floatUnary(_ f: @escaping @Sendable (Double) -> Double, domain: (@Sendable (Double) -> Bool)? = nil,
                        error: (@Sendable (String, Double) -> AurumError)? = nil) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        guard numericArg(a[0]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.float64], returns: .float64) { c, n in
            let x = c[0].doubleValues
            if let domain, let error {
                for i in 0..<x.count where !domain(x[i]) && isValid(c[0], i) { throw error(name, x[i]) }
            }
            return Column(type: .float64, data: .float64(mapUnary(x, n, f)))
        }
    }
}

/// Rounds raw to a multiple of k (k > 0) with the rounding rule.
@inline(__always)
private func roundMultiple(_ raw: Int128, _ k: Int128, _ rule: FloatingPointRoundingRule) -> Int128 {
    if k == 1 { return raw }
    let q = raw / k, r = raw % k
    if r == 0 { return raw }
    var adj: Int128
    switch rule {
    case .down: adj = raw < 0 ? q - 1 : q
    case .up: adj = raw > 0 ? q + 1 : q
    case .towardZero: adj = q
    default:  // half away from zero
        adj = (r < 0 ? -r : r) * 2 >= k ? (raw < 0 ? q - 1 : q + 1) : q
    }
    return adj * k
}

/// round/floor/ceil/trunc(x [, digits]).
private func roundResolver(_ rule: FloatingPointRoundingRule) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...2)
        guard numericArg(a[0]), a.count == 1 || a[1].isInteger || a[1].base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        let x = a[0]
        let digitsArg: [DataType] = a.count == 2 ? [.int64] : []
        if x.isDecimal || x.isInteger {
            let t = x.plain
            // Decimal result scale: the digit count when known at bind time (see the header).
            var resultScale = t.decimalScale
            if a.count == 1 { resultScale = 0 }
            else if let d = FunctionRegistry.constantArgument(1)?.asInt64 { resultScale = Int(Swift.min(Int64(resultScale), Swift.max(d, 0))) }
            let rt = t.isDecimal ? DataType.decimal(t.decimalPrecision, resultScale) : t
            return propagating(name, a, args: [t] + digitsArg, returns: rt) { c, n in
                let digits = c.count == 2 ? c[1].int64Values : [0]
                let scale = t.decimalScale
                let raw = t.isDecimal ? Cast.decimalRaw(c[0].data) : Cast.wide(c[0].data)
                let down = DecimalMath.pow10[scale - rt.decimalScale]  // to the result scale (exact)
                let out: [Int128] = mapBinary(raw, digits, n) { v, d in
                    let drop = Int64(scale) - d  // decimal digits to clear
                    if drop <= 0 { return v / down }
                    if drop > 38 { return 0 }
                    return roundMultiple(v, DecimalMath.pow10[Int(drop)], rule) / down
                }
                // Range check for the result type (only valid rows can fail).
                let (lo, hi): (Int128, Int128) = t.isDecimal
                    ? (-DecimalMath.maxRaw(precision: rt.decimalPrecision), DecimalMath.maxRaw(precision: rt.decimalPrecision))
                    : Value.intRange(t)
                let ok = validRows(c, n)
                for i in 0..<n where (out[i] < lo || out[i] > hi) && (ok == nil || ok![i] != 0) {
                    throw AurumError(.numericValueOutOfRange, "\(name): result out of range for type \(rt)")
                }
                let data: ColumnData
                if t.isDecimal { data = Cast.makeDecimal(out, rt) }
                else {
                    data = integerData(out.map { Swift.min(Swift.max($0, lo), hi) }, t)
                }
                return Column(type: rt, data: data)
            }
        }
        return propagating(name, a, args: [.float64] + digitsArg, returns: .float64) { c, n in
            let v = c[0].doubleValues
            if c.count == 1 { return Column(type: .float64, data: .float64(mapUnary(v, n) { $0.rounded(rule) })) }
            let digits = c[1].int64Values
            return Column(type: .float64, data: .float64(mapBinary(v, digits, n) { x, d in
                if !x.isFinite { return x }
                if d >= 0 {
                    if d > 308 { return x }
                    let m = pow(10.0, Double(d))
                    let r = (x * m).rounded(rule) / m
                    return r.isFinite ? r : x
                }
                if d < -308 { return 0 }
                let m = pow(10.0, Double(-d))
                return (x / m).rounded(rule) * m
            }))
        }
    }
}

private func gcd(_ a: Int128, _ b: Int128) -> Int128 {
    var x = a < 0 ? -a : a, y = b < 0 ? -b : b
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// n pseudo-random words: SplitMix64 seeded once per call from the system generator.
private func randomWords(_ n: Int) -> [UInt64] {
    var g = SystemRandomNumberGenerator()
    var state: UInt64 = g.next()
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let mathFunctions: [([String], ScalarResolver)] = [
    (["abs"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        guard numericArg(x) else { throw FunctionRegistry.typeError(name, a) }
        if x.isFloat || x.base == .nothing {
            return propagating(name, a, args: [.float64], returns: .float64) { c, n in
                Column(type: .float64, data: .float64(mapUnary(c[0].doubleValues, n) { Swift.abs($0) }))
            }
        }
        if x.isUnsignedInteger || x.base == .bool {
            let t = x.plain
            return propagating(name, a, args: [t], returns: t) { c, _ in Column(type: t, data: c[0].data) }
        }
        let t = x.plain
        return propagating(name, a, args: [t], returns: t) { c, n in
            let raw = t.isDecimal ? Cast.decimalRaw(c[0].data) : Cast.wide(c[0].data)
            let out = mapUnary(raw, n) { $0 < 0 ? -$0 : $0 }
            if t.isInteger {
                let (_, hi) = Value.intRange(t)
                for i in 0..<out.count where out[i] > hi && isValid(c[0], i) {
                    throw AurumError(.numericValueOutOfRange, "\(name): integer out of range for type \(t)", hint: "cast to a wider type first")
                }
                return Column(type: t, data: integerData(out.map { Swift.min($0, hi) }, t))
            }
            return Column(type: t, data: Cast.makeDecimal(out, t))
        }
    }),
    (["sign"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        guard numericArg(a[0]) else { throw FunctionRegistry.typeError(name, a) }
        if a[0].isFloat {
            return propagating(name, a, args: [.float64], returns: .int8) { c, n in
                Column(type: .int8, data: .int8(mapUnary(c[0].doubleValues, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }))
            }
        }
        let t = a[0].base == .nothing ? DataType.int64 : a[0].plain
        return propagating(name, a, args: [t], returns: .int8) { c, n in
            let raw = t.isDecimal ? Cast.decimalRaw(c[0].data) : Cast.wide(c[0].data)
            return Column(type: .int8, data: .int8(mapUnary(raw, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }))
        }
    }),
    (["round"], roundResolver(.toNearestOrAwayFromZero)),
    (["floor"], roundResolver(.down)),
    (["ceil", "ceiling"], roundResolver(.up)),
    (["trunc", "truncate"], roundResolver(.towardZero)),
    (["sqrt"], floatUnary({ $0.squareRoot() })),
    // glibc's cbrt(27) is 3.0000000000000004: snap exact cubes of integers.
    (["cbrt"], floatUnary({ x in let r = cbrt(x), k = r.rounded(); return k * k * k == x ? k : r })),
    (["exp"], floatUnary({ exp($0) })),
    (["ln", "log"], floatUnary({ log($0) })),
    (["log2"], floatUnary({ log2($0) })),
    (["log10"], floatUnary({ log10($0) })),
    (["sin"], floatUnary({ sin($0) })),
    (["cos"], floatUnary({ cos($0) })),
    (["tan"], floatUnary({ tan($0) })),
    (["asin"], floatUnary({ asin($0) }, domain: { !($0 < -1 || $0 > 1) },
                          error: { n, _ in AurumError(.numericValueOutOfRange, "\(n): input is out of range") })),
    (["acos"], floatUnary({ acos($0) }, domain: { !($0 < -1 || $0 > 1) },
                          error: { n, _ in AurumError(.numericValueOutOfRange, "\(n): input is out of range") })),
    (["atan"], floatUnary({ atan($0) })),
    (["degrees"], floatUnary({ $0 * 180 / Double.pi })),
    (["radians"], floatUnary({ $0 * Double.pi / 180 })),
    (["atan2"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(numericArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.float64, .float64], returns: .float64) { c, n in
            Column(type: .float64, data: .float64(mapBinary(c[0].doubleValues, c[1].doubleValues, n) { atan2($0, $1) }))
        }
    }),
    (["pow", "power"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(numericArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.float64, .float64], returns: .float64) { c, n in
            Column(type: .float64, data: .float64(mapBinary(c[0].doubleValues, c[1].doubleValues, n) { pow($0, $1) }))
        }
    }),
    (["pi"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...0)
        return propagating(name, a, args: [], returns: .float64) { _, n in Column(type: .float64, data: .float64([Double](repeating: .pi, count: n))) }
    }),
    (["e"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...0)
        return propagating(name, a, args: [], returns: .float64) { _, n in Column(type: .float64, data: .float64([Double](repeating: exp(1.0), count: n))) }
    }),
    (["gcd", "lcm"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy({ $0.isInteger || $0.base == .nothing || $0.base == .bool }) else { throw FunctionRegistry.typeError(name, a) }
        let isGCD = name.lowercased() == "gcd"
        return propagating(name, a, args: [.int64, .int64], returns: .int64) { c, n in
            let x = Cast.wide(c[0].data), y = Cast.wide(c[1].data)
            let out: [Int128] = mapBinary(x, y, n) { p, q in
                let g = gcd(p, q)
                if isGCD { return g }
                if g == 0 { return 0 }
                let l = (p / g) * q
                return l < 0 ? -l : l
            }
            let ok = validRows(c, n)
            for i in 0..<n where (out[i] > Int128(Int64.max) || out[i] < Int128(Int64.min)) && (ok == nil || ok![i] != 0) {
                throw AurumError(.numericValueOutOfRange, "\(name): result out of range for type Int64")
            }
            return Column(type: .int64, data: .int64(out.map { Int64(truncatingIfNeeded: $0) }))
        }
    }),
    (["rand", "rand32"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...1)
        return propagating(name, a, args: a.map { $0.plain }, returns: .uint32, deterministic: false) { _, n in
            Column(type: .uint32, data: .uint32(randomWords(n).map { UInt32(truncatingIfNeeded: $0 >> 32) }))
        }
    }),
    (["rand64"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...1)
        return propagating(name, a, args: a.map { $0.plain }, returns: .uint64, deterministic: false) { _, n in
            Column(type: .uint64, data: .uint64(randomWords(n)))
        }
    }),
    (["random", "randCanonical"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...1)
        return propagating(name, a, args: a.map { $0.plain }, returns: .float64, deterministic: false) { _, n in
            Column(type: .float64, data: .float64(randomWords(n).map { Double($0 >> 11) * 0x1.0p-53 }))
        }
    }),
]
