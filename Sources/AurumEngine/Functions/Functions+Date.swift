import AurumCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Date and time functions (ClickHouse names and semantics, UTC only).
//
// Representation: Date = Int32 days since 1970-01-01, DateTime = Int64 seconds, DateTime64(p) =
// Int64 ticks of 10^-p s. Every kernel switches once on the physical vector and runs a typed loop
// over Hinnant's civil-date arithmetic (Temporal); results cover 1900-2299 and beyond, no clamping.
//
// Decisions (documented in docs/sql.md):
// - A String argument is parsed as a timestamp, DateTime64(6) (PostgreSQL's `timestamp`).
// - toDate(integer) is days since 1970-01-01 (ClickHouse's "> 65535 means a Unix timestamp"
//   heuristic would misread dates after 2149); toDateTime(integer) is seconds.
// - Text that is not a date/time gives 22007 (invalid_datetime_format, as PostgreSQL).
// - date_trunc keeps the argument's type: Date -> Date (a sub-day unit leaves a date unchanged),
//   DateTime -> DateTime, DateTime64(p) -> DateTime64(p); text -> DateTime64(6) (timestamp).
//   The unit is a runtime value, so the type cannot depend on it.
// - toStartOfDay/Hour/Minute/... of a Date give DateTime; of DateTime64(p) give DateTime64(p).
// - toUnixTimestamp returns Int64 (ClickHouse: UInt32) so dates before 1970 and after 2106 work.
// - dateDiff counts unit boundaries crossed (ClickHouse), weeks start on Monday.
// - formatDateTime: %M is the minute (as %i; classic ClickHouse/strftime), %B the month name.

private let secondsPerDay: Int64 = 86400

private func datetimeError(_ fn: String, _ text: String) -> AurumError {
    AurumError(.invalidDatetimeFormat, "\(fn): invalid input syntax for type timestamp: \"\(text)\"")
}
private func dateOverflow(_ fn: String) -> AurumError {
    AurumError(.datetimeFieldOverflow, "\(fn): date/time value out of range")
}

/// The type a temporal argument is cast to (see the decisions above); nil when not temporal.
func temporalArgType(_ t: DataType) -> DataType? {
    if t.isTemporal { return t.plain }
    if t.isString { return .dateTime64(6) }
    if t.base == .nothing { return .dateTime }
    return nil
}

@inline(__always) private func tps(_ t: DataType) -> Int64 { Cast.ticksPerSecond(t) }

/// Maps each row's day number (days since the epoch) through `f`.
@inline(__always)
func mapDays<R>(_ c: Column, _ n: Int, _ f: (Int) -> R) -> [R] {
    switch c.data {
    case .int32(let a): return mapUnary(a, n) { f(Int($0)) }
    case .int64(let a):
        let k = tps(c.type) * secondsPerDay
        return mapUnary(a, n) { f(Int(Temporal.floorDiv($0, k))) }
    default: preconditionFailure("mapDays: \(c.type) is not temporal")
    }
}

/// Maps each row's seconds since the epoch through `f`.
@inline(__always)
func mapSeconds<R>(_ c: Column, _ n: Int, _ f: (Int64) -> R) -> [R] {
    switch c.data {
    case .int32(let a): return mapUnary(a, n) { f(Int64($0) &* secondsPerDay) }
    case .int64(let a):
        let k = tps(c.type)
        if k == 1 { return mapUnary(a, n, f) }
        return mapUnary(a, n) { f(Temporal.floorDiv($0, k)) }
    default: preconditionFailure("mapSeconds: \(c.type) is not temporal")
    }
}

/// Day of year 1...366.
@inline(__always) func dayOfYear(_ d: Int, _ year: Int) -> Int { d - Temporal.days(year: year, month: 1, day: 1) + 1 }

/// ISO 8601 (week-numbering year, week 1...53) of a day number.
@inline(__always)
func isoWeek(_ d: Int) -> (year: Int, week: Int) {
    // The ISO year of d is the year of the Thursday of d's week.
    let thursday = d - Temporal.dayOfWeek(d) + 4
    let y = Temporal.civil(thursday).year
    let jan1 = Temporal.days(year: y, month: 1, day: 1)
    return (y, (thursday - jan1) / 7 + 1)
}

/// Adds `months` to a civil date, clamping the day to the end of the target month.
@inline(__always)
func addMonths(_ d: Int, _ months: Int) -> Int {
    let c = Temporal.civil(d)
    let total = c.year * 12 + (c.month - 1) + months
    let y = total >= 0 ? total / 12 : (total - 11) / 12
    let m = total - y * 12 + 1
    return Temporal.days(year: y, month: m, day: min(c.day, Temporal.daysInMonth(y, m)))
}

// MARK: - Units

enum TimeUnit: Sendable {
    case nanosecond, microsecond, millisecond, second, minute, hour, day, week, month, quarter, year, decade, century, millennium

    static func parse(_ text: String, function: String) throws -> TimeUnit {
        switch text.lowercased() {
        case "nanosecond", "nanoseconds", "ns": return .nanosecond
        case "microsecond", "microseconds", "us", "mcs": return .microsecond
        case "millisecond", "milliseconds", "ms": return .millisecond
        case "second", "seconds", "ss", "s": return .second
        case "minute", "minutes", "mi", "n": return .minute
        case "hour", "hours", "hh", "h": return .hour
        case "day", "days", "dd", "d": return .day
        case "week", "weeks", "wk", "ww": return .week
        case "month", "months", "mm", "m": return .month
        case "quarter", "quarters", "qq", "q": return .quarter
        case "year", "years", "yyyy", "yy": return .year
        case "decade", "decades": return .decade
        case "century", "centuries": return .century
        case "millennium", "millennia": return .millennium
        default:
            throw AurumError(.invalidParameterValue, "\(function): unit \"\(text)\" not recognized",
                             hint: "use second, minute, hour, day, week, month, quarter or year")
        }
    }

    /// Length in seconds of a fixed-length unit of at least a second.
    var seconds: Int64? {
        switch self {
        case .second: return 1
        case .minute: return 60
        case .hour: return 3600
        case .day: return 86400
        case .week: return 7 * 86400
        default: return nil
        }
    }
    /// For sub-second units: the unit in 10^-9 s.
    var nanos: Int64? {
        switch self {
        case .nanosecond: return 1
        case .microsecond: return 1_000
        case .millisecond: return 1_000_000
        default: return nil
        }
    }
    /// Months in a calendar unit.
    var months: Int? {
        switch self {
        case .month: return 1
        case .quarter: return 3
        case .year: return 12
        case .decade: return 120
        case .century: return 1200
        case .millennium: return 12000
        default: return nil
        }
    }
}

/// Start of the calendar period of `months` months (1, 3, 12, 120, ...) holding day d.
@inline(__always)
private func truncMonths(_ d: Int, _ months: Int) -> Int {
    let c = Temporal.civil(d)
    if months == 1 { return d - c.day + 1 }
    if months == 3 { return Temporal.days(year: c.year, month: (c.month - 1) / 3 * 3 + 1, day: 1) }
    let years = months / 12
    var y = c.year
    if years > 1 {
        // decades start at years ending in 0, centuries at xx01, millennia at x001 (PostgreSQL)
        if years == 10 { y = Int(Temporal.floorDiv(Int64(y), 10)) * 10 }
        else { y = Int(Temporal.floorDiv(Int64(y - 1), Int64(years))) * years + 1 }
    }
    return Temporal.days(year: y, month: 1, day: 1)
}

// MARK: - Kernels

/// Truncates a temporal column to `unit`, keeping its type.
private func truncateColumn(_ c: Column, _ unit: TimeUnit, _ n: Int, _ t: DataType) -> Column {
    if case .int32(let a) = c.data {  // Date: sub-day units leave it unchanged
        switch unit {
        case .week: return Column(type: t, data: .int32(mapUnary(a, n) { d in Int32(truncatingIfNeeded: Int(d) - Temporal.dayOfWeek(Int(d)) + 1) }))
        default:
            if let m = unit.months { return Column(type: t, data: .int32(mapUnary(a, n) { Int32(truncatingIfNeeded: truncMonths(Int($0), m)) })) }
            return Column(type: t, data: .int32(mapUnary(a, n) { $0 }))
        }
    }
    let v = c.int64Values
    let k = tps(t)
    if let s = unit.seconds, unit != .week {
        let step = s * k
        return Column(type: t, data: .int64(mapUnary(v, n) { Temporal.floorDiv($0, step) * step }))
    }
    if let ns = unit.nanos {
        let step = max(1, k * ns / 1_000_000_000)
        return Column(type: t, data: .int64(mapUnary(v, n) { Temporal.floorDiv($0, step) * step }))
    }
    let perDay = k * secondsPerDay
    if unit == .week {
        return Column(type: t, data: .int64(mapUnary(v, n) { x in
            let d = Int(Temporal.floorDiv(x, perDay))
            return Int64(d - Temporal.dayOfWeek(d) + 1) * perDay
        }))
    }
    let m = unit.months!
    return Column(type: t, data: .int64(mapUnary(v, n) { x in Int64(truncMonths(Int(Temporal.floorDiv(x, perDay)), m)) * perDay }))
}

/// The number of `unit` boundaries between a and b (same temporal type `t`).
private func dateDiffColumn(_ unit: TimeUnit, _ a: Column, _ b: Column, _ t: DataType, _ n: Int) -> [Int64] {
    let k = t.base == .date ? 1 : tps(t)
    // Everything in ticks (Date: seconds).
    let scaleDate: Int64 = t.base == .date ? secondsPerDay : 1
    let va = a.int64Values, vb = b.int64Values
    @inline(__always) func rel(_ x: Int64) -> Int64 {
        let ticks = x &* scaleDate
        if let ns = unit.nanos {
            // relative number of sub-second units
            let perSecond = 1_000_000_000 / ns
            if perSecond >= k { return ticks &* (perSecond / k) }
            return Temporal.floorDiv(ticks, k / perSecond)
        }
        if unit == .week {
            let d = Temporal.floorDiv(ticks, k * secondsPerDay)
            return Temporal.floorDiv(d + 3, 7)  // Monday-based weeks: 1970-01-01 is a Thursday
        }
        if let s = unit.seconds { return Temporal.floorDiv(ticks, s * k) }
        let c = Temporal.civil(Int(Temporal.floorDiv(ticks, k * secondsPerDay)))
        let months = Int64(c.year * 12 + c.month - 1)
        return Temporal.floorDiv(months, Int64(unit.months!))
    }
    return mapBinary(va, vb, n) { x, y in rel(y) &- rel(x) }
}

// MARK: - formatDateTime / to_char

private let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
private let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

/// Broken-down time of one row, computed once per row.
struct CivilTime {
    var days: Int, year: Int, month: Int, day: Int
    var hour: Int, minute: Int, second: Int
    /// Fraction of a second in 10^-precision units.
    var fraction: Int64
    var dayOfWeek: Int { Temporal.dayOfWeek(days) }

    init(ticks: Int64, ticksPerSecond k: Int64) {
        let secs = Temporal.floorDiv(ticks, k)
        fraction = Temporal.floorMod(ticks, k)
        days = Int(Temporal.floorDiv(secs, secondsPerDay))
        let sod = Int(Temporal.floorMod(secs, secondsPerDay))
        (year, month, day) = Temporal.civil(days)
        hour = sod / 3600; minute = sod / 60 % 60; second = sod % 60
    }
}

@inline(__always)
func appendNumber(_ out: inout [UInt8], _ v: Int, width: Int, pad: UInt8 = 48) {
    var x = v
    if x < 0 { out.append(45); x = -x }
    var buf: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var k = 0
    withUnsafeMutableBytes(of: &buf) { b in
        repeat { b[k] = UInt8(48 + x % 10); x /= 10; k += 1 } while x > 0
        var w = k
        while w < width { out.append(pad); w += 1 }
        while k > 0 { k -= 1; out.append(b[k]) }
    }
}

/// One step of a compiled date format.
private enum FormatOp: Sendable {
    case literal([UInt8])
    case year(width: Int), year2, century, month, monthSpace, day, daySpace, dayOfYear, weekOfYear, quarter
    case hour24, hour12, minute, second, ampm(upper: Bool, dots: Bool), fraction(digits: Int)
    case monthName(abbrev: Bool, case: Int, fill: Bool), dayName(abbrev: Bool, case: Int, fill: Bool)
    case isoDayOfWeek, dayOfWeekSunday0, dayOfWeekSunday1, isoWeek, isoYear, isoYear2, offset
    case hour24Space, hour12Space, unixSeconds
}

/// Compiles a ClickHouse formatDateTime format (% codes).
private func compileClickHouseFormat(_ f: String, function: String, precision: Int) throws -> [FormatOp] {
    var ops: [FormatOp] = []
    var lit: [UInt8] = []
    let u = Array(f.utf8)
    var i = 0
    func flush() { if !lit.isEmpty { ops.append(.literal(lit)); lit = [] } }
    while i < u.count {
        let c = u[i]
        guard c == 37, i + 1 < u.count else { lit.append(c); i += 1; continue }  // '%'
        let code = u[i + 1]
        i += 2
        var op: FormatOp?
        switch code {
        case UInt8(ascii: "%"): lit.append(37)
        case UInt8(ascii: "n"): lit.append(10)
        case UInt8(ascii: "t"): lit.append(9)
        case UInt8(ascii: "Y"): op = .year(width: 4)
        case UInt8(ascii: "y"): op = .year2
        case UInt8(ascii: "C"): op = .century
        case UInt8(ascii: "m"), UInt8(ascii: "c"): op = .month
        case UInt8(ascii: "d"): op = .day
        case UInt8(ascii: "e"): op = .daySpace
        case UInt8(ascii: "j"): op = .dayOfYear
        case UInt8(ascii: "Q"): op = .quarter
        case UInt8(ascii: "H"): op = .hour24
        case UInt8(ascii: "k"): op = .hour24Space
        case UInt8(ascii: "I"), UInt8(ascii: "h"): op = .hour12
        case UInt8(ascii: "l"): op = .hour12Space
        case UInt8(ascii: "M"), UInt8(ascii: "i"): op = .minute
        case UInt8(ascii: "S"), UInt8(ascii: "s"): op = .second
        case UInt8(ascii: "f"): op = .fraction(digits: precision > 0 ? precision : 6)
        case UInt8(ascii: "p"): op = .ampm(upper: true, dots: false)
        case UInt8(ascii: "a"): op = .dayName(abbrev: true, case: 1, fill: false)
        case UInt8(ascii: "W"): op = .dayName(abbrev: false, case: 1, fill: false)
        case UInt8(ascii: "b"): op = .monthName(abbrev: true, case: 1, fill: false)
        case UInt8(ascii: "B"): op = .monthName(abbrev: false, case: 1, fill: false)
        case UInt8(ascii: "u"): op = .isoDayOfWeek
        case UInt8(ascii: "w"): op = .dayOfWeekSunday0
        case UInt8(ascii: "V"): op = .isoWeek
        case UInt8(ascii: "G"): op = .isoYear
        case UInt8(ascii: "g"): op = .isoYear2
        case UInt8(ascii: "z"): op = .offset
        case UInt8(ascii: "F"):
            flush(); ops += [.year(width: 4), .literal([45]), .month, .literal([45]), .day]
        case UInt8(ascii: "D"):
            flush(); ops += [.month, .literal([47]), .day, .literal([47]), .year2]
        case UInt8(ascii: "T"):
            flush(); ops += [.hour24, .literal([58]), .minute, .literal([58]), .second]
        case UInt8(ascii: "R"):
            flush(); ops += [.hour24, .literal([58]), .minute]
        case UInt8(ascii: "r"):
            flush(); ops += [.hour12, .literal([58]), .minute, .literal([32]), .ampm(upper: true, dots: false)]
        default:
            throw AurumError(.invalidParameterValue, "\(function): unknown format code %\(Character(UnicodeScalar(code)))")
        }
        if let op { flush(); ops.append(op) }
    }
    flush()
    return ops
}

/// Compiles a PostgreSQL to_char template (YYYY, MM, DD, HH24, MI, SS, Mon, Month, ...).
private func compilePostgresFormat(_ f: String) -> [FormatOp] {
    var ops: [FormatOp] = []
    var lit: [UInt8] = []
    let u = Array(f.utf8)
    var i = 0
    func flush() { if !lit.isEmpty { ops.append(.literal(lit)); lit = [] } }
    func at(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard i + b.count <= u.count else { return false }
        return Array(u[i..<(i + b.count)]) == b
    }
    func atCI(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard i + b.count <= u.count else { return false }
        for k in 0..<b.count where (u[i + k] | 0x20) != (b[k] | 0x20) { return false }
        return true
    }
    // Case of a name pattern from its spelling: MONTH = upper (2), Month = capitalised (1), month = lower (0).
    func nameCase(_ len: Int) -> Int {
        let first = u[i], second = u[i + 1]
        if first >= 97 { return 0 }
        return second < 97 ? 2 : 1
    }
    var fill = false
    while i < u.count {
        if u[i] == 34 {  // "literal text"
            i += 1
            while i < u.count && u[i] != 34 {
                if u[i] == 92 && i + 1 < u.count { i += 1 }
                lit.append(u[i]); i += 1
            }
            i += 1
            continue
        }
        if atCI("FM") { fill = true; i += 2; continue }
        var op: FormatOp?
        var len = 0
        if atCI("HH24") { op = .hour24; len = 4 }
        else if atCI("HH12") { op = .hour12; len = 4 }
        else if atCI("HH") { op = .hour12; len = 2 }
        else if atCI("MI") { op = .minute; len = 2 }
        else if atCI("SS") { op = .second; len = 2 }
        else if atCI("MS") { op = .fraction(digits: 3); len = 2 }
        else if atCI("US") { op = .fraction(digits: 6); len = 2 }
        else if atCI("YYYY") { op = .year(width: 4); len = 4 }
        else if atCI("YY") { op = .year2; len = 2 }
        else if atCI("IYYY") { op = .isoYear; len = 4 }
        else if atCI("IW") { op = .isoWeek; len = 2 }
        else if atCI("WW") { op = .weekOfYear; len = 2 }
        else if atCI("ID") { op = .isoDayOfWeek; len = 2 }
        else if atCI("CC") { op = .century; len = 2 }
        else if atCI("MONTH") { op = .monthName(abbrev: false, case: nameCase(5), fill: !fill); len = 5 }
        else if atCI("MON") { op = .monthName(abbrev: true, case: nameCase(3), fill: false); len = 3 }
        else if atCI("MM") { op = .month; len = 2 }
        else if atCI("DAY") { op = .dayName(abbrev: false, case: nameCase(3), fill: !fill); len = 3 }
        else if atCI("DY") { op = .dayName(abbrev: true, case: nameCase(2), fill: false); len = 2 }
        else if atCI("DDD") { op = .dayOfYear; len = 3 }
        else if atCI("DD") { op = .day; len = 2 }
        else if atCI("D") { op = .dayOfWeekSunday1; len = 1 }
        else if atCI("Q") { op = .quarter; len = 1 }
        else if at("AM") || at("PM") { op = .ampm(upper: true, dots: false); len = 2 }
        else if at("am") || at("pm") { op = .ampm(upper: false, dots: false); len = 2 }
        else if at("A.M.") || at("P.M.") { op = .ampm(upper: true, dots: true); len = 4 }
        else if at("a.m.") || at("p.m.") { op = .ampm(upper: false, dots: true); len = 4 }
        if let o = op {
            flush()
            // FM (fill mode) suppresses zero padding of the next number.
            if fill {
                switch o {
                case .hour24: ops.append(.hour24Space)
                case .hour12: ops.append(.hour12Space)
                case .month: ops.append(.monthSpace)
                case .day: ops.append(.daySpace)
                default: ops.append(o)
                }
            } else {
                ops.append(o)
            }
            fill = false
            i += len
        } else {
            lit.append(u[i]); i += 1
        }
    }
    flush()
    return ops
}

/// Renders compiled `ops` for every row of a temporal column into a string column.
/// `unpadded` makes the *Space ops print without padding (to_char FM) instead of space padding.
private func renderFormat(_ ops: [FormatOp], _ c: Column, _ n: Int, unpadded: Bool) -> StringArray {
    let k = c.type.base == .date ? 1 : tps(c.type)
    var precision = 0
    if case .dateTime64(let p) = c.type.base { precision = p }
    let raw = c.int64Values
    var out = StringArray()
    out.offsets.reserveCapacity(n + 1)
    out.bytes.reserveCapacity(n * 20)
    let spacePad: UInt8 = unpadded ? 0 : 32
    for i in 0..<n {
        let x = raw[row(c, i)]
        let t = CivilTime(ticks: c.type.base == .date ? x * secondsPerDay : x, ticksPerSecond: k)
        for op in ops {
            switch op {
            case .literal(let b): out.bytes.append(contentsOf: b)
            case .year(let w): appendNumber(&out.bytes, t.year, width: w)
            case .year2: appendNumber(&out.bytes, ((t.year % 100) + 100) % 100, width: 2)
            case .century: appendNumber(&out.bytes, t.year / 100, width: 2)
            case .month: appendNumber(&out.bytes, t.month, width: 2)
            case .monthSpace: appendNumber(&out.bytes, t.month, width: spacePad == 0 ? 1 : 2, pad: spacePad)
            case .day: appendNumber(&out.bytes, t.day, width: 2)
            case .daySpace: appendNumber(&out.bytes, t.day, width: spacePad == 0 ? 1 : 2, pad: spacePad)
            case .dayOfYear: appendNumber(&out.bytes, dayOfYear(t.days, t.year), width: 3)
            case .weekOfYear: appendNumber(&out.bytes, (dayOfYear(t.days, t.year) - 1) / 7 + 1, width: 2)
            case .quarter: appendNumber(&out.bytes, (t.month - 1) / 3 + 1, width: 1)
            case .hour24: appendNumber(&out.bytes, t.hour, width: 2)
            case .hour24Space: appendNumber(&out.bytes, t.hour, width: spacePad == 0 ? 1 : 2, pad: spacePad)
            case .hour12: appendNumber(&out.bytes, (t.hour + 11) % 12 + 1, width: 2)
            case .hour12Space: appendNumber(&out.bytes, (t.hour + 11) % 12 + 1, width: spacePad == 0 ? 1 : 2, pad: spacePad)
            case .minute: appendNumber(&out.bytes, t.minute, width: 2)
            case .second: appendNumber(&out.bytes, t.second, width: 2)
            case .fraction(let digits):
                // the fraction at `digits` digits, from the column's precision
                var f = t.fraction
                if digits > precision { f *= Temporal.pow10[digits - precision] } else { f /= Temporal.pow10[precision - digits] }
                appendNumber(&out.bytes, Int(f), width: digits)
            case .ampm(let upper, let dots):
                let pm = t.hour >= 12
                let s = dots ? (pm ? "p.m." : "a.m.") : (pm ? "pm" : "am")
                out.bytes.append(contentsOf: upper ? Array(s.uppercased().utf8) : Array(s.utf8))
            case .monthName(let abbrev, let cs, let fill):
                appendName(&out.bytes, monthNames[t.month - 1], abbrev: abbrev, case: cs, fill: fill)
            case .dayName(let abbrev, let cs, let fill):
                appendName(&out.bytes, dayNames[t.dayOfWeek - 1], abbrev: abbrev, case: cs, fill: fill)
            case .isoDayOfWeek: appendNumber(&out.bytes, t.dayOfWeek, width: 1)
            case .dayOfWeekSunday0: appendNumber(&out.bytes, t.dayOfWeek % 7, width: 1)
            case .dayOfWeekSunday1: appendNumber(&out.bytes, t.dayOfWeek % 7 + 1, width: 1)
            case .isoWeek: appendNumber(&out.bytes, isoWeek(t.days).week, width: 2)
            case .isoYear: appendNumber(&out.bytes, isoWeek(t.days).year, width: 4)
            case .isoYear2: appendNumber(&out.bytes, isoWeek(t.days).year % 100, width: 2)
            case .offset: out.bytes.append(contentsOf: Array("+0000".utf8))
            case .unixSeconds: appendNumber(&out.bytes, Int(Temporal.floorDiv(x, k)), width: 1)
            }
        }
        out.offsets.append(UInt32(truncatingIfNeeded: out.bytes.count))
    }
    return out
}

private func appendName(_ out: inout [UInt8], _ name: String, abbrev: Bool, case cs: Int, fill: Bool) {
    var s = abbrev ? String(name.prefix(3)) : name
    if cs == 2 { s = s.uppercased() } else if cs == 0 { s = s.lowercased() }
    out.append(contentsOf: Array(s.utf8))
    if fill && !abbrev { for _ in s.count..<9 { out.append(32) } }
}

// MARK: - Parsing text to dates

/// Parses every row of a string column as a timestamp at `precision` (ticks); fast paths for
/// `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS`, Temporal.parseDateTime for the rest. Throws 22007 for a
/// valid row that does not parse.
func parseTimestamps(_ c: Column, precision: Int, function: String) throws -> [Int64] {
    let s = c.strings
    let n = s.count
    let scale = Temporal.pow10[precision]
    var out = [Int64](repeating: 0, count: n)
    var bad = -1
    s.bytes.withUnsafeBufferPointer { b in
        s.offsets.withUnsafeBufferPointer { o in
            for i in 0..<n {
                let a = Int(o[i]), len = Int(o[i + 1]) - a
                if len == 10 || len == 19, let p = b.baseAddress.map({ $0 + a }) {
                    @inline(__always) func d2(_ k: Int) -> Int { let x = Int(p[k] &- 48), y = Int(p[k + 1] &- 48); return x < 10 && y < 10 ? x * 10 + y : -1 }
                    let y1 = d2(0), y2 = d2(2), mo = d2(5), dd = d2(8)
                    if p[4] == 45, p[7] == 45, y1 >= 0, y2 >= 0, (1...12).contains(mo), dd >= 1, dd <= Temporal.daysInMonth(y1 * 100 + y2, mo) {
                        let days = Int64(Temporal.days(year: y1 * 100 + y2, month: mo, day: dd))
                        if len == 10 { out[i] = days * secondsPerDay * scale; continue }
                        let hh = d2(11), mi = d2(14), ss = d2(17)
                        if p[10] == 32 || p[10] == 84, p[13] == 58, p[16] == 58, (0...23).contains(hh), (0...59).contains(mi), (0...59).contains(ss) {
                            out[i] = (days * secondsPerDay + Int64(hh * 3600 + mi * 60 + ss)) * scale
                            continue
                        }
                    }
                }
                let text = String(decoding: UnsafeBufferPointer(rebasing: b[a..<(a + len)]), as: UTF8.self)
                if let t = Temporal.parseDateTime(Substring(text), precision: precision) { out[i] = t; continue }
                if bad < 0 && !c.isNull(i) { bad = i }
            }
        }
    }
    if bad >= 0 { throw datetimeError(function, s.string(at: bad)) }
    return out
}

// MARK: - Resolvers

private func temporalOnly(_ name: String, _ a: [DataType], count: ClosedRange<Int> = 1...1) throws -> DataType {
    try FunctionRegistry.argCount(name, a, count)
    guard let t = temporalArgType(a[0]) else { throw FunctionRegistry.typeError(name, a) }
    return t
}

/// Parts of a date computed from the day number.
private enum DatePart: Sendable { case year, quarter, month, dayOfMonth, dayOfYear, isoWeek, isoYear, yyyymm, yyyymmdd }

private func extract(_ p: DatePart, _ c: Column, _ n: Int) -> ColumnData {
    switch p {
    case .year: return .uint16(mapDays(c, n) { UInt16(truncatingIfNeeded: Temporal.civil($0).year) })
    case .quarter: return .uint8(mapDays(c, n) { UInt8(truncatingIfNeeded: (Temporal.civil($0).month - 1) / 3 + 1) })
    case .month: return .uint8(mapDays(c, n) { UInt8(truncatingIfNeeded: Temporal.civil($0).month) })
    case .dayOfMonth: return .uint8(mapDays(c, n) { UInt8(truncatingIfNeeded: Temporal.civil($0).day) })
    case .dayOfYear: return .uint16(mapDays(c, n) { d in UInt16(truncatingIfNeeded: dayOfYear(d, Temporal.civil(d).year)) })
    case .isoWeek: return .uint8(mapDays(c, n) { UInt8(truncatingIfNeeded: isoWeek($0).week) })
    case .isoYear: return .uint16(mapDays(c, n) { UInt16(truncatingIfNeeded: isoWeek($0).year) })
    case .yyyymm: return .uint32(mapDays(c, n) { d in let x = Temporal.civil(d); return UInt32(truncatingIfNeeded: x.year * 100 + x.month) })
    case .yyyymmdd:
        return .uint32(mapDays(c, n) { d in let x = Temporal.civil(d); return UInt32(truncatingIfNeeded: x.year * 10000 + x.month * 100 + x.day) })
    }
}

private func dayPart(_ p: DatePart, _ rt: DataType) -> ScalarResolver {
    { name, a in
        let t = try temporalOnly(name, a)
        return propagating(name, a, args: [t], returns: rt) { c, n in Column(type: rt, data: extract(p, c[0], n)) }
    }
}

private enum TimePart: Sendable { case hour, minute, second }

private func timePart(_ p: TimePart) -> ScalarResolver {
    { name, a in
        let t = try temporalOnly(name, a)
        return propagating(name, a, args: [t], returns: .uint8) { c, n in
            let out: [UInt8]
            switch p {
            case .hour: out = mapSeconds(c[0], n) { UInt8(truncatingIfNeeded: Temporal.floorMod($0, secondsPerDay) / 3600) }
            case .minute: out = mapSeconds(c[0], n) { UInt8(truncatingIfNeeded: Temporal.floorMod($0, 3600) / 60) }
            case .second: out = mapSeconds(c[0], n) { UInt8(truncatingIfNeeded: Temporal.floorMod($0, 60)) }
            }
            return Column(type: .uint8, data: .uint8(out))
        }
    }
}

/// toStartOfYear/Quarter/Month and toMonday: Date results.
private func startOfDate(_ unit: TimeUnit) -> ScalarResolver {
    { name, a in
        let t = try temporalOnly(name, a)
        return propagating(name, a, args: [t], returns: .date) { c, n in
            let out: [Int32]
            switch unit {
            case .week: out = mapDays(c[0], n) { d in Int32(truncatingIfNeeded: d - Temporal.dayOfWeek(d) + 1) }
            case .month: out = mapDays(c[0], n) { d in Int32(truncatingIfNeeded: d - Temporal.civil(d).day + 1) }
            default:
                let m = unit.months ?? 12
                out = mapDays(c[0], n) { d in Int32(truncatingIfNeeded: truncMonths(d, m)) }
            }
            return Column(type: .date, data: .int32(out))
        }
    }
}

/// toStartOfX for a fixed sub-day step: Date -> DateTime, DateTime -> DateTime, DateTime64(p) -> DateTime64(p).
private func startOfTime(_ seconds: Int64) -> ScalarResolver {
    { name, a in
        let t = try temporalOnly(name, a)
        let rt = t.base == .date ? DataType.dateTime : t
        return propagating(name, a, args: [t], returns: rt) { c, n in
            if case .int32(let d) = c[0].data {
                return Column(type: rt, data: .int64(mapUnary(d, n) { Int64($0) * secondsPerDay }))
            }
            let step = seconds * tps(rt)
            return Column(type: rt, data: .int64(mapUnary(c[0].int64Values, n) { Temporal.floorDiv($0, step) * step }))
        }
    }
}

/// addX / subtractX for a unit. Month arithmetic clamps the day to the end of the month;
/// a result outside the representable range is 22008.
private func addResolver(_ unit: TimeUnit, sign: Int64) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard let t = temporalArgType(a[0]), a[1].isInteger || a[1].base == .nothing || a[1].base == .bool else {
            throw FunctionRegistry.typeError(name, a)
        }
        let subDay = unit.seconds.map { $0 < secondsPerDay } ?? false
        let rt = t.base == .date && subDay ? DataType.dateTime : t
        return propagating(name, a, args: [t, .int64], returns: rt) { c, n in
            let amounts = c[1].int64Values
            let dateResult = c[0].type.base == .date && !subDay
            // Date: values are days. Otherwise ticks of `rt` (a Date under a sub-day unit is
            // first converted to seconds).
            let values: [Int64] = c[0].type.base == .date && subDay ? c[0].int64Values.map { $0 &* secondsPerDay } : c[0].int64Values
            let perDay = dateResult ? 1 : tps(rt) * secondsPerDay
            let perUnit: Int64 = unit.months != nil ? 0 : (dateResult ? unit.seconds! / secondsPerDay : unit.seconds! * tps(rt))
            let months = Int64(unit.months ?? 0)
            @inline(__always) func step(_ x: Int64, _ amount: Int64) -> Int64? {
                let r: Int64
                if months != 0 {
                    guard amount.magnitude < 1_000_000 else { return nil }
                    let d = Temporal.floorDiv(x, perDay), rest = Temporal.floorMod(x, perDay)
                    let nd = Int64(addMonths(Int(d), Int(sign * amount * months)))
                    let (p, o) = nd.multipliedReportingOverflow(by: perDay)
                    if o { return nil }
                    r = p + rest
                } else {
                    let (p, o1) = amount.multipliedReportingOverflow(by: sign * perUnit)
                    let (s, o2) = x.addingReportingOverflow(p)
                    if o1 || o2 { return nil }
                    r = s
                }
                if dateResult && Int32(exactly: r) == nil { return nil }
                return r
            }
            var bad = false
            let out: [Int64] = mapBinary(values, amounts, n) { x, amount in
                if let r = step(x, amount) { return r }
                bad = true
                return 0
            }
            if bad {
                let ok = validRows(c, n)
                for i in 0..<n where ok == nil || ok![i] != 0 {
                    if step(values[values.count == 1 ? 0 : i], amounts[amounts.count == 1 ? 0 : i]) == nil { throw dateOverflow(name) }
                }
            }
            if dateResult { return Column(type: rt, data: .int32(out.map { Int32(truncatingIfNeeded: $0) })) }
            return Column(type: rt, data: .int64(out))
        }
    }
}

let dateFunctions: [([String], ScalarResolver)] = [
    // MARK: conversions
    (["toDate", "date"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let x = a[0]
        let argType: DataType
        if x.isTemporal || x.isString { argType = x.plain }
        else if x.isInteger || x.base == .nothing || x.base == .bool { argType = .int64 }
        else if x.isFloat || x.isDecimal { argType = .int64 }
        else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [argType], returns: .date) { c, n in
            let col = c[0]
            switch col.type.base {
            case .date: return Column(type: .date, data: col.data)
            case .string:
                let ticks = try parseTimestamps(col, precision: 0, function: name)
                return Column(type: .date, data: .int32(ticks.map { Int32(truncatingIfNeeded: Temporal.floorDiv($0, secondsPerDay)) }))
            case .int64 where !col.type.isTemporal:
                let v = col.int64Values
                for i in 0..<v.count where Int32(exactly: v[i]) == nil && !col.isNull(i) { throw dateOverflow(name) }
                return Column(type: .date, data: .int32(v.map { Int32(truncatingIfNeeded: $0) }))
            default:
                return Column(type: .date, data: .int32(mapDays(col, col.count) { Int32(truncatingIfNeeded: $0) }))
            }
        }
    }),
    (["toDateTime"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...2)
        let x = a[0]
        let argType: DataType
        if x.isTemporal || x.isString { argType = x.plain }
        else if x.isInteger || x.isFloat || x.isDecimal || x.base == .nothing || x.base == .bool { argType = .int64 }
        else { throw FunctionRegistry.typeError(name, a) }
        if a.count == 2 && !a[1].isString { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: a.count == 2 ? [argType, .string] : [argType], returns: .dateTime) { c, n in
            if c.count == 2 { try checkUTC(c[1], name) }
            let col = c[0]
            switch col.type.base {
            case .string: return Column(type: .dateTime, data: .int64(try parseTimestamps(col, precision: 0, function: name)))
            case .date: return Column(type: .dateTime, data: .int64(col.int64Values.map { $0 &* secondsPerDay }))
            default: return Column(type: .dateTime, data: .int64(mapSeconds(col, col.count) { $0 }))
            }
        }
    }),
    (["toDateTime64"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        let x = a[0]
        guard x.isTemporal || x.isString || x.isNumeric || x.base == .nothing, a[1].isInteger || a[1].base == .nothing else {
            throw FunctionRegistry.typeError(name, a)
        }
        let p = Int(FunctionRegistry.constantArgument(1)?.asInt64 ?? 3)
        guard (0...9).contains(p) else { throw AurumError(.invalidParameterValue, "\(name): precision must be between 0 and 9, got \(p)") }
        let rt = DataType.dateTime64(p)
        let argType: DataType = x.isTemporal || x.isString ? x.plain : (x.isInteger ? .int64 : (x.base == .nothing ? .int64 : .decimal(38, 9)))
        return propagating(name, a, args: [argType, .int64] + (a.count == 3 ? [.string] : []), returns: rt) { c, n in
            if let given = try constantInt(c[1], function: name, argument: "precision"), given != p {
                throw AurumError(.featureNotSupported, "\(name): the precision must be a constant literal")
            }
            if c.count == 3 { try checkUTC(c[2], name) }
            let col = c[0]
            let scale = Temporal.pow10[p]
            let ticks: [Int64]
            switch col.type.base {
            case .string: ticks = try parseTimestamps(col, precision: p, function: name)
            case .date, .dateTime, .dateTime64: ticks = try Cast.column(col, to: rt).int64Values
            case .decimal(_, let s):
                let k = DecimalMath.pow10[s] / Int128(scale)
                ticks = Cast.decimalRaw(col.data).map { Int64(truncatingIfNeeded: $0 / k) }
            default: ticks = col.int64Values.map { $0 &* scale }
            }
            return Column(type: rt, data: .int64(mapUnary(ticks, n) { $0 }))
        }
    }),
    // MARK: truncation to a period
    (["toStartOfYear"], startOfDate(.year)),
    (["toStartOfQuarter"], startOfDate(.quarter)),
    (["toStartOfMonth"], startOfDate(.month)),
    (["toMonday"], startOfDate(.week)),
    (["toStartOfWeek"], { name, a in
        let t = try temporalOnly(name, a, count: 1...2)
        if a.count == 2 && !(a[1].isInteger || a[1].base == .nothing) { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: a.count == 2 ? [t, .int64] : [t], returns: .date) { c, n in
            let days = mapDays(c[0], c[0].count) { Int64($0) }
            let modes = c.count == 2 ? c[1].int64Values : [0]
            // Odd modes start weeks on Monday, even modes on Sunday (ClickHouse's week modes).
            return Column(type: .date, data: .int32(mapBinary(days, modes, n) { d, mode in
                let dow = Temporal.dayOfWeek(Int(d))
                return Int32(truncatingIfNeeded: Int(d) - (mode & 1 == 1 ? dow - 1 : dow % 7))
            }))
        }
    }),
    (["toStartOfDay"], startOfTime(86400)),
    (["toStartOfHour"], startOfTime(3600)),
    (["toStartOfFifteenMinutes"], startOfTime(900)),
    (["toStartOfTenMinutes"], startOfTime(600)),
    (["toStartOfFiveMinutes", "toStartOfFiveMinute"], startOfTime(300)),
    (["toStartOfMinute"], startOfTime(60)),
    (["toStartOfSecond"], startOfTime(1)),
    // MARK: parts
    (["toYear", "year"], dayPart(.year, .uint16)),
    (["toQuarter", "quarter"], dayPart(.quarter, .uint8)),
    (["toMonth", "month"], dayPart(.month, .uint8)),
    (["toDayOfMonth", "day", "dayOfMonth"], dayPart(.dayOfMonth, .uint8)),
    (["toDayOfYear", "dayOfYear"], dayPart(.dayOfYear, .uint16)),
    (["toISOWeek"], dayPart(.isoWeek, .uint8)),
    (["toISOYear"], dayPart(.isoYear, .uint16)),
    (["toYYYYMM"], dayPart(.yyyymm, .uint32)),
    (["toYYYYMMDD"], dayPart(.yyyymmdd, .uint32)),
    (["toDayOfWeek", "dayOfWeek"], { name, a in
        let t = try temporalOnly(name, a, count: 1...2)
        if a.count == 2 && !(a[1].isInteger || a[1].base == .nothing) { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: a.count == 2 ? [t, .int64] : [t], returns: .uint8) { c, n in
            let dows = mapDays(c[0], c[0].count) { Int64(Temporal.dayOfWeek($0)) }
            let modes = c.count == 2 ? c[1].int64Values : [0]
            // mode 0: Monday=1..Sunday=7; 1: Monday=0..6; 2: Sunday=0..6; 3: Sunday=1..7.
            return Column(type: .uint8, data: .uint8(mapBinary(dows, modes, n) { dow, mode in
                switch mode & 3 {
                case 1: return UInt8(dow - 1)
                case 2: return UInt8(dow % 7)
                case 3: return UInt8(dow % 7 + 1)
                default: return UInt8(dow)
                }
            }))
        }
    }),
    (["toHour", "hour"], timePart(.hour)),
    (["toMinute", "minute"], timePart(.minute)),
    (["toSecond", "second"], timePart(.second)),
    (["toUnixTimestamp"], { name, a in
        let t = try temporalOnly(name, a, count: 1...2)
        return propagating(name, a, args: a.count == 2 ? [t, .string] : [t], returns: .int64) { c, n in
            if c.count == 2 { try checkUTC(c[1], name) }
            return Column(type: .int64, data: .int64(mapSeconds(c[0], n) { $0 }))
        }
    }),
    // MARK: differences and truncation by unit
    (["dateDiff", "date_diff", "timestampDiff", "timestamp_diff"], { name, a in
        try FunctionRegistry.argCount(name, a, 3...4)
        guard a[0].isString || a[0].base == .nothing, let ta = temporalArgType(a[1]), let tb = temporalArgType(a[2]),
              let st = TypeRules.supertype(ta, tb) else { throw FunctionRegistry.typeError(name, a) }
        let t = st.plain
        return propagating(name, a, args: [.string, t, t] + (a.count == 4 ? [.string] : []), returns: .int64) { c, n in
            guard let u = try constantText(c[0], function: name, argument: "unit") else { return zeroColumn(.int64, n) }
            if c.count == 4 { try checkUTC(c[3], name) }
            let unit = try TimeUnit.parse(u, function: name)
            return Column(type: .int64, data: .int64(dateDiffColumn(unit, c[1], c[2], t, n)))
        }
    }),
    (["date_trunc", "dateTrunc"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard a[0].isString || a[0].base == .nothing, let t = temporalArgType(a[1]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, t] + (a.count == 3 ? [.string] : []), returns: t) { c, n in
            guard let u = try constantText(c[0], function: name, argument: "unit") else { return zeroColumn(t, n) }
            if c.count == 3 { try checkUTC(c[2], name) }
            return truncateColumn(c[1], try TimeUnit.parse(u, function: name), n, t)
        }
    }),
    (["addSeconds"], addResolver(.second, sign: 1)), (["subtractSeconds"], addResolver(.second, sign: -1)),
    (["addMinutes"], addResolver(.minute, sign: 1)), (["subtractMinutes"], addResolver(.minute, sign: -1)),
    (["addHours"], addResolver(.hour, sign: 1)), (["subtractHours"], addResolver(.hour, sign: -1)),
    (["addDays"], addResolver(.day, sign: 1)), (["subtractDays"], addResolver(.day, sign: -1)),
    (["addWeeks"], addResolver(.week, sign: 1)), (["subtractWeeks"], addResolver(.week, sign: -1)),
    (["addMonths"], addResolver(.month, sign: 1)), (["subtractMonths"], addResolver(.month, sign: -1)),
    (["addQuarters"], addResolver(.quarter, sign: 1)), (["subtractQuarters"], addResolver(.quarter, sign: -1)),
    (["addYears"], addResolver(.year, sign: 1)), (["subtractYears"], addResolver(.year, sign: -1)),
    // MARK: current time (not deterministic: evaluated per query, never folded across queries)
    (["now", "current_timestamp", "localtimestamp"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...1)
        let lower = name.lowercased()
        let rt: DataType = lower == "now" ? .dateTime : .dateTime64(6)
        return propagating(name, a, args: a.map { _ in .string }, returns: rt, deterministic: false) { c, n in
            if c.count == 1 { try checkUTC(c[0], name) }
            let now = currentTicks(precision: rt.base == .dateTime ? 0 : 6)
            return Column(type: rt, data: .int64([Int64](repeating: now, count: n)))
        }
    }),
    (["now64"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...2)
        let p = Int(FunctionRegistry.constantArgument(0)?.asInt64 ?? 3)
        guard (0...9).contains(p) else { throw AurumError(.invalidParameterValue, "\(name): precision must be between 0 and 9, got \(p)") }
        let rt = DataType.dateTime64(p)
        return propagating(name, a, args: a.count >= 1 ? [.int64] + (a.count == 2 ? [.string] : []) : [], returns: rt, deterministic: false) { c, n in
            if c.count >= 1, let given = try constantInt(c[0], function: name, argument: "precision"), given != p {
                throw AurumError(.featureNotSupported, "\(name): the precision must be a constant literal")
            }
            return Column(type: rt, data: .int64([Int64](repeating: currentTicks(precision: p), count: n)))
        }
    }),
    (["today", "current_date", "curdate"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...0)
        return propagating(name, a, args: [], returns: .date, deterministic: false) { _, n in
            let d = Int32(truncatingIfNeeded: Temporal.floorDiv(currentTicks(precision: 0), secondsPerDay))
            return Column(type: .date, data: .int32([Int32](repeating: d, count: n)))
        }
    }),
    (["yesterday"], { name, a in
        try FunctionRegistry.argCount(name, a, 0...0)
        return propagating(name, a, args: [], returns: .date, deterministic: false) { _, n in
            let d = Int32(truncatingIfNeeded: Temporal.floorDiv(currentTicks(precision: 0), secondsPerDay) - 1)
            return Column(type: .date, data: .int32([Int32](repeating: d, count: n)))
        }
    }),
    // MARK: formatting
    (["formatDateTime"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard let t = temporalArgType(a[0]), a[1].isString || a[1].base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        var precision = 0
        if case .dateTime64(let p) = t.base { precision = p }
        let prec = precision
        return propagating(name, a, args: [t, .string] + (a.count == 3 ? [.string] : []), returns: .string) { c, n in
            guard let f = try constantText(c[1], function: name, argument: "format") else { return zeroColumn(.string, n) }
            if c.count == 3 { try checkUTC(c[2], name) }
            let ops = try compileClickHouseFormat(f, function: name, precision: prec)
            return Column(type: .string, data: .string(renderFormat(ops, c[0], n, unpadded: false)))
        }
    }),
    (["to_char"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard let t = temporalArgType(a[0]), a[1].isString || a[1].base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [t, .string], returns: .string) { c, n in
            guard let f = try constantText(c[1], function: name, argument: "format") else { return zeroColumn(.string, n) }
            return Column(type: .string, data: .string(renderFormat(compilePostgresFormat(f), c[0], n, unpadded: true)))
        }
    }),
]

/// Aurum is UTC only: a time zone argument must name UTC.
private func checkUTC(_ c: Column, _ fn: String) throws {
    guard let z = try constantText(c, function: fn, argument: "time zone") else { return }
    switch z.lowercased() {
    case "utc", "etc/utc", "gmt", "etc/gmt", "z", "utc0", "universal", "zulu", "": return
    default: throw AurumError(.featureNotSupported, "\(fn): time zone \"\(z)\" is not supported", hint: "Aurum works in UTC only")
    }
}

/// The current (wall-clock, UTC) time in ticks of 10^-precision seconds.
func currentTicks(precision: Int) -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let ns = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    return ns / Temporal.pow10[9 - precision]
}
