import AurumCore
import Foundation

/// The outcome of parsing one text field into a typed value.
enum ParseStatus: UInt8 {
    case ok
    /// Not a value of the type at all (22P02, 22007 for dates and times).
    case invalid
    /// Well formed but outside the type's range (22003, 22008 for dates and times).
    case outOfRange
}

/// Byte-level parsers for the values of text exports (CSV fields, NDJSON scalars), working on
/// a pointer and a length: no `String`, no allocation, no locale. Each returns a status and
/// a value that is meaningful only when the status is `.ok`. Inputs are never trimmed here
/// (the tokenizer trims when asked to).
enum TextValueParsers {
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    // MARK: integers

    /// A signed decimal integer: optional sign, at least one digit, nothing else.
    @inline(__always)
    static func int64(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int64, ParseStatus) {
        guard n > 0 else { return (0, .invalid) }
        var i = 0
        var negative = false
        if p[0] == 45 || p[0] == 43 { negative = p[0] == 45; i = 1 }
        guard i < n else { return (0, .invalid) }
        // Accumulate the magnitude as UInt64 so Int64.min is representable.
        var magnitude: UInt64 = 0
        var overflow = false
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { return (0, .invalid) }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            magnitude = a
            i &+= 1
        }
        if overflow { return (0, .outOfRange) }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return (0, .outOfRange) }
            return (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude), .ok)
        }
        if magnitude > UInt64(Int64.max) { return (0, .outOfRange) }
        return (Int64(magnitude), .ok)
    }

    /// An unsigned decimal integer (a leading `+` is allowed; `-0` is 0, other negatives are out of range).
    @inline(__always)
    static func uint64(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, ParseStatus) {
        guard n > 0 else { return (0, .invalid) }
        var i = 0
        var negative = false
        if p[0] == 45 || p[0] == 43 { negative = p[0] == 45; i = 1 }
        guard i < n else { return (0, .invalid) }
        var v: UInt64 = 0
        var overflow = false
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { return (0, .invalid) }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            v = a
            i &+= 1
        }
        if overflow || (negative && v != 0) { return (0, .outOfRange) }
        return (v, .ok)
    }

    // MARK: floating point

    static let exactPowers: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// A double: `[-+]digits[.digits][e[-+]digits]`, `NaN`, `inf`, `Infinity`. Values that
    /// are exact in a double with a power of ten up to 1e22 take the fast path (correctly
    /// rounded, one multiplication or division); the rest go through `strtod`.
    @inline(__always)
    static func double(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Double, ParseStatus) {
        guard n > 0 else { return (0, .invalid) }
        var i = 0
        var negative = false
        if p[0] == 45 || p[0] == 43 { negative = p[0] == 45; i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < n, isDigit(p[i]) {
            sawDigit = true
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48); if mantissa != 0 { digits += 1 } } else { exponent += 1; truncated = true }
            i &+= 1
        }
        if i < n, p[i] == 46 {
            i &+= 1
            while i < n, isDigit(p[i]) {
                sawDigit = true
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48); if mantissa != 0 { digits += 1 }; exponent -= 1 } else { truncated = true }
                i &+= 1
            }
        }
        if !sawDigit { return slowDouble(p, n) }
        if i < n, p[i] == 101 || p[i] == 69 {
            i &+= 1
            var eNegative = false
            if i < n, p[i] == 45 || p[i] == 43 { eNegative = p[i] == 45; i &+= 1 }
            guard i < n, isDigit(p[i]) else { return (0, .invalid) }
            var e = 0
            while i < n, isDigit(p[i]) { if e < 100_000 { e = e * 10 + Int(p[i] &- 48) }; i &+= 1 }
            exponent += eNegative ? -e : e
        }
        guard i == n else { return (0, .invalid) }
        if !truncated && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var d = Double(mantissa)
            if exponent < 0 { d /= exactPowers[-exponent] } else { d *= exactPowers[exponent] }
            return (negative ? -d : d, .ok)
        }
        return slowDouble(p, n)
    }

    /// `strtod` on a NUL-terminated copy; accepts what C accepts except leading spaces and hex.
    static func slowDouble(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Double, ParseStatus) {
        guard n > 0, n < 400 else { return (0, .invalid) }
        let first = p[0]
        guard isDigit(first) || first == 45 || first == 43 || first == 46 || first == 78 || first == 110
            || first == 73 || first == 105 else { return (0, .invalid) }
        for k in 0..<n where p[k] == 120 || p[k] == 88 { return (0, .invalid) }  // no hex floats
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            for k in 0..<n { buf[k] = CChar(bitPattern: p[k]) }
            buf[n] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let d = strtod(buf.baseAddress!, &end)
            guard let end, end - buf.baseAddress! == n else { return (0, .invalid) }
            if d.isInfinite {
                // strtod returns ±inf for overflow too: only accept it when the text says so.
                let hasI = (0..<n).contains { p[$0] == 73 || p[$0] == 105 }
                return hasI ? (d, .ok) : (0, .outOfRange)
            }
            return (d, .ok)
        }
    }

    // MARK: decimals

    /// Exact decimal text at `scale` into a raw integer; extra fractional digits are rounded
    /// half away from zero (as casts do). `maxRaw` is 10^precision - 1. Exponents go through
    /// `DecimalMath.parse` (slow path, rare in exports).
    @inline(__always)
    static func decimal(_ p: UnsafePointer<UInt8>, _ n: Int, scale: Int, maxRaw: Int128) -> (Int128, ParseStatus) {
        guard n > 0 else { return (0, .invalid) }
        var i = 0
        var negative = false
        if p[0] == 45 || p[0] == 43 { negative = p[0] == 45; i = 1 }
        var raw: Int128 = 0
        var small: Int64 = 0         // digits accumulate here while they fit, then move to raw
        var smallDigits = 0
        var sawDigit = false
        var overflow = false
        var significant = 0
        @inline(__always) func push(_ d: UInt8) {
            if smallDigits == 18 {
                let (m, o1) = raw.multipliedReportingOverflow(by: 1_000_000_000_000_000_000)
                let (a, o2) = m.addingReportingOverflow(Int128(small))
                if o1 || o2 { overflow = true }
                raw = a
                small = 0
                smallDigits = 0
            }
            small = small &* 10 &+ Int64(d)
            smallDigits &+= 1
        }
        while i < n, isDigit(p[i]) {
            sawDigit = true
            if significant > 0 || p[i] != 48 { significant &+= 1; if significant > 40 { overflow = true } else { push(p[i] &- 48) } }
            i &+= 1
        }
        var fraction = 0
        var roundUp = false
        if i < n, p[i] == 46 {
            i &+= 1
            while i < n, isDigit(p[i]) {
                sawDigit = true
                if fraction < scale {
                    if significant > 0 || p[i] != 48 { significant &+= 1 }
                    if significant > 40 { overflow = true } else { push(p[i] &- 48) }
                    fraction &+= 1
                } else if fraction == scale {
                    roundUp = p[i] >= 53
                    fraction &+= 1
                }
                i &+= 1
            }
        }
        guard sawDigit else { return (0, .invalid) }
        if i < n {
            guard p[i] == 101 || p[i] == 69 else { return (0, .invalid) }
            let text = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            guard let r = DecimalMath.parse(Substring(text), scale: scale) else {
                return (0, DecimalMath.parse(Substring(text), scale: 0) == nil && Double(text) == nil ? .invalid : .outOfRange)
            }
            return ((r < 0 ? -r : r) > maxRaw ? (0, .outOfRange) : (r, .ok))
        }
        if overflow { return (0, .outOfRange) }
        // Move the small accumulator into raw, then scale up the missing fractional digits.
        var (m, o1) = raw.multipliedReportingOverflow(by: DecimalMath.pow10[smallDigits])
        var (a, o2) = m.addingReportingOverflow(Int128(small))
        if o1 || o2 { return (0, .outOfRange) }
        let missing = scale - min(fraction, scale)
        if missing > 0 {
            (m, o1) = a.multipliedReportingOverflow(by: DecimalMath.pow10[missing])
            if o1 { return (0, .outOfRange) }
            a = m
        }
        if roundUp { (a, o2) = a.addingReportingOverflow(1); if o2 { return (0, .outOfRange) } }
        if a > maxRaw { return (0, .outOfRange) }
        return (negative ? -a : a, .ok)
    }

    // MARK: booleans and UUIDs

    /// true/false, t/f, yes/no, y/n, on/off, 1/0 (ASCII case-insensitive).
    @inline(__always)
    static func bool(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt8, ParseStatus) {
        @inline(__always) func lower(_ k: Int) -> UInt8 { p[k] | 0x20 }
        switch n {
        case 1:
            switch lower(0) {
            case 116, 121, 0x31: return (1, .ok)   // t y 1
            case 102, 110, 0x30: return (0, .ok)   // f n 0
            default: return (0, .invalid)
            }
        case 2:
            if lower(0) == 111 && lower(1) == 110 { return (1, .ok) }  // on
            if lower(0) == 110 && lower(1) == 111 { return (0, .ok) }  // no
        case 3:
            if lower(0) == 121 && lower(1) == 101 && lower(2) == 115 { return (1, .ok) }  // yes
            if lower(0) == 111 && lower(1) == 102 && lower(2) == 102 { return (0, .ok) }  // off
        case 4:
            if lower(0) == 116 && lower(1) == 114 && lower(2) == 117 && lower(3) == 101 { return (1, .ok) }
        case 5:
            if lower(0) == 102 && lower(1) == 97 && lower(2) == 108 && lower(3) == 115 && lower(4) == 101 { return (0, .ok) }
        default: break
        }
        return (0, .invalid)
    }

    /// 32 hex digits, with or without the four dashes of the 8-4-4-4-12 form (or braces).
    @inline(__always)
    static func uuid(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt128, ParseStatus) {
        var start = 0, end = n
        if n == 38, p[0] == 123, p[37] == 125 { start = 1; end = 37 }
        let len = end - start
        guard len == 36 || len == 32 else { return (0, .invalid) }
        var v: UInt128 = 0
        var k = start
        var count = 0
        while k < end {
            let c = p[k]
            if c == 45 {
                guard len == 36, [8, 13, 18, 23].contains(k - start) else { return (0, .invalid) }
                k &+= 1
                continue
            }
            let d: UInt8
            switch c {
            case 48...57: d = c &- 48
            case 97...102: d = c &- 87
            case 65...70: d = c &- 55
            default: return (0, .invalid)
            }
            v = (v << 4) | UInt128(d)
            count &+= 1
            k &+= 1
        }
        return count == 32 ? (v, .ok) : (0, .invalid)
    }

    // MARK: dates and timestamps

    @inline(__always)
    static func digits2(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int? {
        let a = p[i] &- 48, b = p[i + 1] &- 48
        guard a < 10, b < 10 else { return nil }
        return Int(a) * 10 + Int(b)
    }

    /// `YYYY-MM-DD` at the start of `p` (exactly 10 bytes) into days since 1970-01-01.
    @inline(__always)
    static func datePart(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int, ParseStatus) {
        guard n >= 10, p[4] == 45, p[7] == 45,
              let y1 = digits2(p, 0), let y2 = digits2(p, 2), let m = digits2(p, 5), let d = digits2(p, 8)
        else { return (0, .invalid) }
        let y = y1 * 100 + y2
        guard m >= 1, m <= 12, d >= 1, d <= Temporal.daysInMonth(y, m) else { return (0, .outOfRange) }
        return (Temporal.days(year: y, month: m, day: d), .ok)
    }

    /// A date: `YYYY-MM-DD`, or a timestamp whose time of day is midnight (`2024-01-01 00:00:00`,
    /// `2024-01-01T00:00:00Z`) as some exports write dates.
    @inline(__always)
    static func date(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int32, ParseStatus) {
        if n == 10 {
            let (d, s) = datePart(p, n)
            return s == .ok ? (Int32(truncatingIfNeeded: d), .ok) : (0, s)
        }
        let (t, s) = timestamp(p, n, precision: 0)
        guard s == .ok else { return (0, s) }
        guard t % 86400 == 0 else { return (0, .invalid) }
        return (Int32(truncatingIfNeeded: t / 86400), .ok)
    }

    /// A timestamp into ticks of 10^-precision seconds since the epoch, UTC:
    /// `YYYY-MM-DD[( |T)HH:MM[:SS[.fffffffff]]][ ][Z|UTC|±HH[:MM]|±HHMM]`. An offset is
    /// subtracted to give UTC; digits beyond `precision` are truncated.
    @inline(__always)
    static func timestamp(_ p: UnsafePointer<UInt8>, _ n: Int, precision: Int) -> (Int64, ParseStatus) {
        let (days, ds) = datePart(p, n)
        guard ds == .ok else { return (0, ds) }
        var i = 10
        var seconds = 0
        var fraction: Int64 = 0
        if i < n {
            guard p[i] == 32 || p[i] == 84 || p[i] == 116, n >= i + 6 else { return (0, .invalid) }
            i += 1
            guard let hh = digits2(p, i), p[i + 2] == 58, let mm = digits2(p, i + 3) else { return (0, .invalid) }
            i += 5
            var ss = 0
            if i < n, p[i] == 58 {
                guard n >= i + 3, let s = digits2(p, i + 1) else { return (0, .invalid) }
                ss = s
                i += 3
                if i < n, p[i] == 46 || p[i] == 44 {
                    i += 1
                    var count = 0
                    while i < n, isDigit(p[i]) {
                        if count < precision { fraction = fraction * 10 + Int64(p[i] &- 48) }
                        count += 1
                        i += 1
                    }
                    guard count > 0 else { return (0, .invalid) }
                    if count < precision { fraction *= Temporal.pow10[precision - count] }
                }
            }
            guard hh <= 23, mm <= 59, ss <= 60 else { return (0, .outOfRange) }
            seconds = hh * 3600 + mm * 60 + min(ss, 59)
            if i < n, p[i] == 32 { i += 1 }
            if i < n {
                let c = p[i]
                if (c == 90 || c == 122) && i + 1 == n {
                    i += 1
                } else if n - i == 3, p[i] | 0x20 == 117, p[i + 1] | 0x20 == 116, p[i + 2] | 0x20 == 99 {
                    i += 3  // UTC
                } else if c == 43 || c == 45 {
                    i += 1
                    guard n >= i + 2, let oh = digits2(p, i) else { return (0, .invalid) }
                    i += 2
                    var om = 0
                    if i < n, p[i] == 58 { i += 1 }
                    if i < n {
                        guard n == i + 2, let m = digits2(p, i) else { return (0, .invalid) }
                        om = m
                        i += 2
                    }
                    guard oh <= 18, om <= 59 else { return (0, .outOfRange) }
                    let offset = oh * 3600 + om * 60
                    seconds += c == 45 ? offset : -offset
                } else {
                    return (0, .invalid)
                }
            }
            guard i == n else { return (0, .invalid) }
        }
        let total = Int64(days) * 86400 + Int64(seconds)
        let (scaled, o) = total.multipliedReportingOverflow(by: Temporal.pow10[precision])
        if o { return (0, .outOfRange) }
        return (scaled + fraction, .ok)
    }
}
