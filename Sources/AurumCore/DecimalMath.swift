/// Exact decimal helpers. A decimal value is an integer `raw` and a scale `s`: value = raw / 10^s.
public enum DecimalMath {
    /// 10^0 ... 10^38 as Int128.
    public static let pow10: [Int128] = {
        var a: [Int128] = [1]
        for _ in 1...38 { a.append(a.last! * 10) }
        return a
    }()

    /// The largest raw magnitude for precision p: 10^p - 1.
    @inlinable public static func maxRaw(precision p: Int) -> Int128 { pow10[p] - 1 }

    /// Parses decimal text (`-12.345`, `1e3`, `+.5`) into a raw integer at `scale`.
    /// Extra fractional digits are rounded half away from zero. Returns nil on bad text or overflow.
    public static func parse(_ text: Substring, scale: Int) -> Int128? {
        let u = Array(text.trimmingSpaces.utf8)
        if u.isEmpty { return nil }
        var i = 0
        var neg = false
        if u[i] == 45 || u[i] == 43 { neg = u[i] == 45; i += 1 }
        var intPart: Int128 = 0
        var fracDigits: [UInt8] = []
        var sawDigit = false
        while i < u.count, u[i] >= 48, u[i] <= 57 {
            let (m, o1) = intPart.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(u[i] - 48))
            if o1 || o2 { return nil }
            intPart = a; i += 1; sawDigit = true
        }
        if i < u.count && u[i] == 46 {
            i += 1
            while i < u.count, u[i] >= 48, u[i] <= 57 { fracDigits.append(u[i] - 48); i += 1; sawDigit = true }
        }
        guard sawDigit else { return nil }
        var exp = 0
        if i < u.count && (u[i] == 101 || u[i] == 69) {
            i += 1
            var eneg = false
            if i < u.count && (u[i] == 45 || u[i] == 43) { eneg = u[i] == 45; i += 1 }
            var e = 0
            var any = false
            while i < u.count, u[i] >= 48, u[i] <= 57 { e = e * 10 + Int(u[i] - 48); i += 1; any = true; if e > 100 { return nil } }
            guard any else { return nil }
            exp = eneg ? -e : e
        }
        guard i == u.count else { return nil }
        // digits = intPart digits followed by fracDigits; value = digits * 10^(exp - fracDigits.count)
        var raw = intPart
        for d in fracDigits {
            let (m, o1) = raw.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(d))
            if o1 || o2 { return nil }
            raw = a
        }
        let shift = scale + exp - fracDigits.count
        if shift >= 0 {
            guard shift <= 38 else { return raw == 0 ? 0 : nil }
            let (m, o) = raw.multipliedReportingOverflow(by: pow10[shift])
            if o { return nil }
            raw = m
        } else {
            let k = -shift
            if k > 38 { raw = 0 } else { raw = divRound(raw, pow10[k]) }
        }
        return neg ? -raw : raw
    }

    /// Integer division rounding half away from zero.
    @inlinable public static func divRound(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b, r = a % b
        if r == 0 { return q }
        let twice = (r < 0 ? -r : r) * 2
        let bb = b < 0 ? -b : b
        if twice >= bb { return (a < 0) != (b < 0) ? q - 1 : q + 1 }
        return q
    }

    /// Exact text of raw/10^scale, e.g. (12345, 2) -> "123.45", (-5, 3) -> "-0.005".
    public static func format(_ raw: Int128, scale: Int) -> String {
        let neg = raw < 0
        let mag = raw.magnitude
        var digits = String(mag)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return neg ? "-" + digits : digits
    }

    /// Rescales raw from scale `from` to scale `to` (rounding half away from zero when reducing).
    /// Returns nil on overflow.
    @inlinable public static func rescale(_ raw: Int128, from: Int, to: Int) -> Int128? {
        if from == to { return raw }
        if to > from {
            let (m, o) = raw.multipliedReportingOverflow(by: pow10[to - from])
            return o ? nil : m
        }
        return divRound(raw, pow10[from - to])
    }

    public static func toDouble(_ raw: Int128, scale: Int) -> Double {
        Double(raw) / Double(sign: .plus, exponent: 0, significand: 1) / pow(10, scale)
    }

    @inlinable public static func pow(_ b: Double, _ e: Int) -> Double {
        var r = 1.0
        for _ in 0..<e { r *= b }
        return r
    }

    /// Nearest raw decimal for a double at scale, or nil when it does not fit 38 digits.
    public static func fromDouble(_ d: Double, scale: Int) -> Int128? {
        guard d.isFinite else { return nil }
        let scaled = (d * pow(10, scale)).rounded(.toNearestOrAwayFromZero)
        guard abs(scaled) < 1e38 else { return nil }
        return Int128(scaled)
    }
}
