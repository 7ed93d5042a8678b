/// Calendar arithmetic on the proleptic Gregorian calendar, UTC.
///
/// Dates are days since 1970-01-01 (Int32); times are seconds or ticks since the epoch (Int64).
/// Algorithms after Howard Hinnant's public-domain `days_from_civil` / `civil_from_days`.
public enum Temporal {
    /// Days since 1970-01-01 for a civil date. `month` 1...12, `day` 1...31.
    @inlinable public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Civil date for days since 1970-01-01.
    @inlinable public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    @inlinable public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @inlinable public static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// ISO day of week, Monday = 1 ... Sunday = 7.
    @inlinable public static func dayOfWeek(_ days: Int) -> Int {
        // 1970-01-01 was a Thursday (4).
        let r = (days + 3) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    @inlinable public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
    @inlinable public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return (r != 0 && (r < 0) != (b < 0)) ? r + b : r
    }

    public static let pow10: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

    // MARK: formatting

    @usableFromInline static func pad(_ v: Int, _ width: Int, into s: inout String) {
        var digits = String(v < 0 ? -v : v)
        if v < 0 { s.append("-") }
        if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
        s.append(digits)
    }

    /// `YYYY-MM-DD`
    public static func formatDate(_ days: Int32) -> String {
        let c = civil(Int(days))
        var s = ""
        s.reserveCapacity(10)
        pad(c.year, 4, into: &s); s.append("-"); pad(c.month, 2, into: &s); s.append("-"); pad(c.day, 2, into: &s)
        return s
    }

    /// `YYYY-MM-DD HH:MM:SS[.fff]` for ticks of 10^-precision seconds.
    public static func formatDateTime(_ ticks: Int64, precision: Int = 0) -> String {
        let scale = pow10[precision]
        let secs = floorDiv(ticks, scale)
        let frac = floorMod(ticks, scale)
        let days = floorDiv(secs, 86400)
        let sod = Int(floorMod(secs, 86400))
        var s = formatDate(Int32(truncatingIfNeeded: days))
        s.append(" ")
        pad(sod / 3600, 2, into: &s); s.append(":"); pad(sod / 60 % 60, 2, into: &s); s.append(":"); pad(sod % 60, 2, into: &s)
        if precision > 0 {
            s.append(".")
            pad(Int(frac), precision, into: &s)
        }
        return s
    }

    // MARK: parsing

    /// Parses `YYYY-MM-DD` (also `YYYYMMDD`, and a trailing time part which is ignored only
    /// when it is midnight). Returns nil when the text is not a valid date.
    public static func parseDate(_ text: Substring) -> Int32? {
        let t = text.trimmingSpaces
        guard let (days, secs, _) = parseDateTimeParts(t, precision: 0) else { return nil }
        if secs != 0 { return nil }
        return Int32(exactly: days)
    }

    /// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.fffffffff]][Z|±HH[:MM]]` into ticks of 10^-precision.
    /// A date alone means midnight. Extra fractional digits beyond `precision` are truncated.
    public static func parseDateTime(_ text: Substring, precision: Int) -> Int64? {
        let t = text.trimmingSpaces
        guard let (days, secs, frac) = parseDateTimeParts(t, precision: precision) else { return nil }
        let (a, o1) = Int64(days).multipliedReportingOverflow(by: 86400)
        if o1 { return nil }
        let (b, o2) = (a + secs).multipliedReportingOverflow(by: pow10[precision])
        if o2 { return nil }
        return b + frac
    }

    /// Returns (days, seconds-of-day adjusted for offset, fraction in 10^-precision units).
    static func parseDateTimeParts(_ t: Substring, precision: Int) -> (Int, Int64, Int64)? {
        let u = Array(t.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= u.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = u[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func skip(_ c: UInt8) -> Bool {
            if i < u.count && u[i] == c { i += 1; return true }
            return false
        }
        guard let y = digits(4) else { return nil }
        let m: Int, d: Int
        if skip(45) {  // '-'
            // allow 1- or 2-digit month/day
            guard let mm = digits(2) ?? { () -> Int? in digits(1) }() else { return nil }
            guard skip(45) else { return nil }
            guard let dd = digits(2) ?? { () -> Int? in digits(1) }() else { return nil }
            m = mm; d = dd
        } else {
            guard let mm = digits(2), let dd = digits(2) else { return nil }
            m = mm; d = dd
        }
        guard (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return nil }
        let days = Temporal.days(year: y, month: m, day: d)
        if i == u.count { return (days, 0, 0) }
        guard u[i] == 32 || u[i] == 84 else { return nil }  // ' ' or 'T'
        i += 1
        guard let hh = digits(2), skip(58), let mi = digits(2) else { return nil }
        var ss = 0
        var frac: Int64 = 0
        if skip(58) {
            guard let s = digits(2) else { return nil }
            ss = s
            if skip(46) {  // '.'
                var n = 0
                while i < u.count, u[i] >= 48, u[i] <= 57 {
                    if n < precision { frac = frac * 10 + Int64(u[i] - 48) }
                    n += 1; i += 1
                }
                if n == 0 { return nil }
                var k = min(n, precision)
                while k < precision { frac *= 10; k += 1 }
            }
        }
        guard hh <= 23, mi <= 59, ss <= 59 else { return nil }
        var secs = Int64(hh * 3600 + mi * 60 + ss)
        // optional zone
        if i < u.count {
            if u[i] == 32 { i += 1 }
            if i < u.count && (u[i] == 90 || u[i] == 122) { i += 1 }  // Z
            else if i < u.count && (u[i] == 43 || u[i] == 45) {
                let sign: Int64 = u[i] == 45 ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                var om = 0
                if skip(58) { guard let x = digits(2) else { return nil }; om = x }
                else if let x = digits(2) { om = x }
                secs -= sign * Int64(oh * 3600 + om * 60)
            }
            if i != u.count { return nil }
        }
        return (days, secs, frac)
    }
}

extension Substring {
    /// The substring without leading/trailing ASCII spaces.
    public var trimmingSpaces: Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return s
    }
}
