import AurumCore
import AurumEngine

// How Aurum types and values appear on the PostgreSQL wire (issue #3): the type OIDs of
// RowDescription/ParameterDescription, the text and binary encodings of DataRow fields, and the
// decoding of Bind parameters. The formats follow PostgreSQL's own *out/*send and *in/*recv
// functions, so psql, libpq, JDBC, psycopg and friends parse them unchanged.
//
// Type mapping (`PGTypes.info(for:)`):
//
//   Aurum                         PostgreSQL        note
//   Bool                          bool      16
//   Int8, Int16, UInt8            int2      21      PostgreSQL has no 1-byte integer type
//   Int32, UInt16                 int4      23
//   Int64, UInt32                 int8      20
//   UInt64                        numeric 1700      does not fit int8; typmod -1, dscale 0
//   Float32 / Float64             float4 700 / float8 701
//   Decimal(P, S)                 numeric 1700      typmod ((P << 16) | S) + 4, dscale S
//   String, LowCardinality(String), Nothing   text 25
//   Date                          date    1082
//   DateTime, DateTime64(p)       timestamp 1114    see below; DateTime64(p): typmod min(p, 6)
//   UUID                          uuid    2950
//
// DateTime and DateTime64 are reported as `timestamp` (without time zone), not `timestamptz`:
// Aurum's values are UTC instants without an attached zone, `CAST(x AS timestamp)` in Aurum
// gives DateTime64(6), and `timestamp` is what BI tools truncate and bucket on without applying a
// session time zone. Printing them as `timestamptz` would add a `+00` suffix and make clients
// convert to their local zone. Aurum's DataType carries no time zone, so `timestamptz` is never
// returned (it is still accepted for parameters).

/// How an Aurum type appears on the PostgreSQL wire (RowDescription, ParameterDescription,
/// pg_type/pg_attribute rows).
public struct PGTypeInfo: Sendable, Equatable {
    /// pg_type.oid, e.g. 20 (int8), 1700 (numeric), 25 (text).
    public var oid: UInt32
    /// pg_type.typname, e.g. "int8", "numeric", "text".
    public var name: String
    /// pg_type.typlen: the fixed size in bytes, or -1 for variable-length types.
    public var size: Int16
    /// atttypmod: -1 when none; numeric(p, s): ((p << 16) | s) + 4.
    public var modifier: Int32

    public init(oid: UInt32, name: String, size: Int16, modifier: Int32 = -1) {
        self.oid = oid; self.name = name; self.size = size; self.modifier = modifier
    }
}

/// Result and parameter formats of the extended protocol (0 text, 1 binary).
public enum PGFormat: Int16, Sendable {
    case text = 0
    case binary = 1
}

public enum PGTypes {
    // MARK: OIDs

    public static let boolOID: UInt32 = 16
    public static let byteaOID: UInt32 = 17
    public static let charOID: UInt32 = 18
    public static let nameOID: UInt32 = 19
    public static let int8OID: UInt32 = 20
    public static let int2OID: UInt32 = 21
    public static let int2vectorOID: UInt32 = 22
    public static let int4OID: UInt32 = 23
    public static let regprocOID: UInt32 = 24
    public static let textOID: UInt32 = 25
    public static let oidOID: UInt32 = 26
    public static let xidOID: UInt32 = 28
    public static let cidOID: UInt32 = 29
    public static let oidvectorOID: UInt32 = 30
    public static let jsonOID: UInt32 = 114
    public static let xmlOID: UInt32 = 142
    public static let float4OID: UInt32 = 700
    public static let float8OID: UInt32 = 701
    public static let unknownOID: UInt32 = 705
    public static let bpcharOID: UInt32 = 1042
    public static let varcharOID: UInt32 = 1043
    public static let dateOID: UInt32 = 1082
    public static let timeOID: UInt32 = 1083
    public static let timestampOID: UInt32 = 1114
    public static let timestamptzOID: UInt32 = 1184
    public static let intervalOID: UInt32 = 1186
    public static let numericOID: UInt32 = 1700
    public static let regclassOID: UInt32 = 2205
    public static let regtypeOID: UInt32 = 2206
    public static let uuidOID: UInt32 = 2950
    public static let jsonbOID: UInt32 = 3802

    /// The scale of a `numeric` parameter without a declared scale (PostgreSQL numeric has an
    /// arbitrary scale; Aurum's `numeric` alone is Decimal(38, 9), see docs/sql.md).
    public static let numericParameterScale = 9

    /// The wire type of an Aurum type (nullability and LowCardinality do not matter).
    public static func info(for type: DataType) -> PGTypeInfo {
        // OID, name and size come from the engine's type table (`PGTypeCatalog`), as pg_type does
        var t = builtin(oid: PGTypeCatalog.oid(for: type))!
        t.modifier = PGTypeCatalog.modifier(for: type)
        return t
    }

    /// The Aurum type for a declared parameter/column OID, nil when Aurum has no such type.
    ///
    /// `numeric` becomes Decimal(38, 9) (as the SQL type name `numeric` alone does): parameter
    /// values with more than 9 fractional digits are rounded half away from zero.
    /// `timestamp` and `timestamptz` both become DateTime64(6) (microseconds, UTC). `oid`
    /// becomes UInt32 (its exact range).
    public static func aurumType(oid: UInt32) -> DataType? {
        switch oid {
        case boolOID: return .bool
        case int2OID: return .int16
        case int4OID: return .int32
        case int8OID: return .int64
        case oidOID: return .uint32
        case float4OID: return .float32
        case float8OID: return .float64
        case numericOID: return .decimal(38, numericParameterScale)
        case textOID, varcharOID, bpcharOID, nameOID, charOID, unknownOID, jsonOID, jsonbOID: return .string
        case dateOID: return .date
        case timestampOID, timestamptzOID: return .dateTime64(6)
        case uuidOID: return .uuid
        default: return nil
        }
    }

    // MARK: pg_type

    /// Every type the server returns plus the ones drivers commonly look up (pg_type rows);
    /// the table lives in the engine (`PGTypeCatalog`, which pg_catalog.pg_type is built from).
    public static let builtins: [PGTypeInfo] = PGTypeCatalog.builtins.map { PGTypeInfo(oid: $0.oid, name: $0.name, size: $0.size) }

    /// (element OID, array OID) pairs of the array types in `builtins`: pg_type.typarray of the
    /// element and pg_type.typelem of the array.
    public static let arrayTypes: [(element: UInt32, array: UInt32)] = PGTypeCatalog.arrayTypes

    /// The builtin type with this OID, if it is in `builtins`.
    public static func builtin(oid: UInt32) -> PGTypeInfo? {
        PGTypeCatalog.builtin(oid: oid).map { PGTypeInfo(oid: $0.oid, name: $0.name, size: $0.size) }
    }
    /// The builtin type with this typname (e.g. "int8", "_text"), if it is in `builtins`.
    public static func builtin(named name: String) -> PGTypeInfo? {
        PGTypeCatalog.builtin(named: name).map { PGTypeInfo(oid: $0.oid, name: $0.name, size: $0.size) }
    }
    /// pg_type.typarray: the array type whose elements are `oid`, 0 when there is none.
    public static func arrayOID(ofElement oid: UInt32) -> UInt32 { PGTypeCatalog.arrayOID(ofElement: oid) }
    /// pg_type.typelem: the element type of array type `oid`, 0 when `oid` is not an array.
    public static func elementOID(ofArray oid: UInt32) -> UInt32 { PGTypeCatalog.elementOID(ofArray: oid) }

    /// pg_type.typcategory: B boolean, N numeric, S string, D date/time, T timespan,
    /// A array, X unknown, U user/other, Z internal.
    public static func category(oid: UInt32) -> Character { PGTypeCatalog.category(oid: oid) }
}

// MARK: - Encoding

public enum PGValueEncoder {
    /// Appends one DataRow field for row `row` of `column` to `out`: a big-endian Int32 byte
    /// length followed by the value in `format`, or length -1 for NULL. A 1-row column is a
    /// constant for every row.
    ///
    /// Hot path: reads the typed arrays directly and composes each field in a stack buffer,
    /// appending it to `out` in one go (no `Value` or `String` per row except float text).
    public static func appendField(_ column: Column, row: Int, format: PGFormat, to out: inout [UInt8]) {
        let i = column.count == 1 ? 0 : row
        if let v = column.validity, v[i] == 0 { appendNull(&out); return }
        let binary = format == .binary
        switch column.data {
        case .int8(let a):
            let v = a[i]
            emit(&out) { w in if binary { w.int16(Int16(v)) } else { w.signed(Int64(v)) } }
        case .int16(let a):
            let v = a[i]
            emit(&out) { w in if binary { w.int16(v) } else { w.signed(Int64(v)) } }
        case .int32(let a):
            let v = a[i]
            if column.type.base == .date {
                emit(&out) { w in if binary { w.int32(pgDate(v)) } else { writeDate(days: Int(v), bcSuffix: true, &w) } }
            } else {
                emit(&out) { w in if binary { w.int32(v) } else { w.signed(Int64(v)) } }
            }
        case .int64(let a):
            let v = a[i]
            switch column.type.base {
            case .dateTime:
                emit(&out) { w in
                    if binary { w.int64(pgTimestamp(seconds: v, micros: 0)) } else { writeTimestamp(seconds: v, micros: 0, &w) }
                }
            case .dateTime64(let p):
                let (secs, us) = splitTicks(v, precision: p)
                emit(&out) { w in
                    if binary { w.int64(pgTimestamp(seconds: secs, micros: us)) } else { writeTimestamp(seconds: secs, micros: us, &w) }
                }
            case .decimal(_, let s):
                emit(&out) { w in
                    if binary { writeBinaryNumeric(negative: v < 0, magnitude: v.magnitude, scale: s, &w) }
                    else { writeTextNumeric(negative: v < 0, magnitude: v.magnitude, scale: s, &w) }
                }
            default:
                emit(&out) { w in if binary { w.int64(v) } else { w.signed(v) } }
            }
        case .int128(let a):
            let v = a[i]
            let s = column.type.decimalScale
            emit(&out) { w in
                if binary { writeBinaryNumeric(negative: v < 0, magnitude: v.magnitude, scale: s, &w) }
                else { writeTextNumeric(negative: v < 0, magnitude: v.magnitude, scale: s, &w) }
            }
        case .uint8(let a):
            let v = a[i]
            switch column.type.base {
            case .bool:
                emit(&out) { w in w.byte(binary ? (v != 0 ? 1 : 0) : (v != 0 ? UInt8(ascii: "t") : UInt8(ascii: "f"))) }
            case .nothing:
                appendNull(&out)
            default:
                emit(&out) { w in if binary { w.int16(Int16(v)) } else { w.digits(UInt64(v)) } }
            }
        case .uint16(let a):
            let v = a[i]
            emit(&out) { w in if binary { w.int32(Int32(v)) } else { w.digits(UInt64(v)) } }
        case .uint32(let a):
            let v = a[i]
            emit(&out) { w in if binary { w.int64(Int64(v)) } else { w.digits(UInt64(v)) } }
        case .uint64(let a):
            let v = a[i]
            emit(&out) { w in
                if binary { writeBinaryNumeric(negative: false, magnitude: v, scale: 0, &w) } else { w.digits(v) }
            }
        case .uint128(let a):
            let u = a[i]
            emit(&out) { w in if binary { w.uint128(u) } else { writeUUID(u, &w) } }
        case .float32(let a):
            let v = a[i]
            if binary { emit(&out) { w in w.int32(Int32(bitPattern: v.bitPattern)) } }
            else { let s = v.description; emit(&out) { w in writeFloat(Double(v), shortest: s, fixedLimit: 6, &w) } }
        case .float64(let a):
            let v = a[i]
            if binary { emit(&out) { w in w.int64(Int64(bitPattern: v.bitPattern)) } }
            else { let s = v.description; emit(&out) { w in writeFloat(v, shortest: s, fixedLimit: 15, &w) } }
        case .string(let s):
            // text and binary are both the raw UTF-8 bytes
            let lo = Int(s.offsets[i]), hi = Int(s.offsets[i + 1])
            withUnsafeBytes(of: Int32(truncatingIfNeeded: hi - lo).bigEndian) { out.append(contentsOf: $0) }
            s.bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[lo..<hi])) }
        }
    }

    // MARK: field writer

    /// The largest field composed in the stack buffer: a 38-digit numeric as text is 41 bytes,
    /// as binary 8 + 2 * 20; a timestamp with a 12-digit year about 40.
    static let scratchCapacity = 128

    @inline(__always) static func appendNull(_ out: inout [UInt8]) {
        out.append(0xFF); out.append(0xFF); out.append(0xFF); out.append(0xFF)
    }

    /// Composes one field (length prefix included) in a stack buffer and appends it to `out`.
    @inline(__always) static func emit(_ out: inout [UInt8], _ body: (inout FieldWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchCapacity) { buf in
            let base = buf.baseAddress!
            var w = FieldWriter(base: base + 4)
            body(&w)
            UnsafeMutableRawPointer(base).storeBytes(of: Int32(truncatingIfNeeded: w.n).bigEndian, as: Int32.self)
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: w.n + 4))
        }
    }

    /// Writes bytes at `base`; the caller guarantees the room (see `scratchCapacity`).
    struct FieldWriter {
        let base: UnsafeMutablePointer<UInt8>
        var n = 0

        @inline(__always) mutating func byte(_ b: UInt8) { base[n] = b; n += 1 }
        @inline(__always) mutating func ascii(_ s: StaticString) {
            s.withUTF8Buffer { for b in $0 { base[n] = b; n += 1 } }
        }
        @inline(__always) mutating func int16(_ v: Int16) {
            UnsafeMutableRawPointer(base + n).storeBytes(of: v.bigEndian, as: Int16.self); n += 2
        }
        @inline(__always) mutating func int32(_ v: Int32) {
            UnsafeMutableRawPointer(base + n).storeBytes(of: v.bigEndian, as: Int32.self); n += 4
        }
        @inline(__always) mutating func int64(_ v: Int64) {
            UnsafeMutableRawPointer(base + n).storeBytes(of: v.bigEndian, as: Int64.self); n += 8
        }
        @inline(__always) mutating func uint128(_ v: UInt128) {
            int64(Int64(truncatingIfNeeded: v >> 64)); int64(Int64(truncatingIfNeeded: v))
        }
        /// Decimal digits of `v`, zero-padded on the left to `minWidth`.
        @inline(__always) mutating func digits(_ v: UInt64, minWidth: Int = 1) {
            var len = 1
            var t = v
            while t >= 10 { t /= 10; len += 1 }
            var pad = minWidth - len
            while pad > 0 { base[n] = 48; n += 1; pad -= 1 }
            var x = v
            var k = n + len - 1
            repeat { base[k] = 48 &+ UInt8(truncatingIfNeeded: x % 10); x /= 10; k -= 1 } while x > 0
            n += len
        }
        mutating func digits(_ v: UInt128, minWidth: Int = 1) {
            if let small = UInt64(exactly: v) { digits(small, minWidth: minWidth); return }
            // 19-digit chunks so the per-digit divisions run on 64 bits
            let chunk: UInt128 = 10_000_000_000_000_000_000
            digits(v / chunk, minWidth: max(1, minWidth - 19))
            digits(UInt64(v % chunk), minWidth: 19)
        }
        @inline(__always) mutating func signed(_ v: Int64) {
            if v < 0 { byte(UInt8(ascii: "-")) }
            digits(v.magnitude)
        }
    }

    // MARK: numeric

    /// Plain decimal text with exactly `scale` fractional digits, e.g. -0.050 for (50, 3).
    @inline(__always) static func writeTextNumeric<T: FixedWidthInteger & UnsignedInteger>(
        negative: Bool, magnitude: T, scale: Int, _ w: inout FieldWriter
    ) {
        if negative && magnitude != 0 { w.byte(UInt8(ascii: "-")) }
        if scale == 0 {
            w.digits(UInt128(magnitude))
        } else {
            let p = T(DecimalMath.pow10[scale])
            w.digits(UInt128(magnitude / p))
            w.byte(UInt8(ascii: "."))
            w.digits(UInt128(magnitude % p), minWidth: scale)
        }
    }

    /// PostgreSQL's binary NUMERIC: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then
    /// ndigits base-10000 digits, most significant first; value = Σ digit[i] * 10000^(weight - i).
    /// Leading and trailing zero digits are not sent; zero is ndigits 0, weight 0.
    static func writeBinaryNumeric<T: FixedWidthInteger & UnsignedInteger>(
        negative: Bool, magnitude: T, scale: Int, _ w: inout FieldWriter
    ) {
        // At most 39 integer digits (10 groups) and 38 fractional digits (10 groups).
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 24) { buf in
            var intPart = magnitude, frac: T = 0
            if scale > 0 {
                let p = T(DecimalMath.pow10[scale])
                intPart = magnitude / p; frac = magnitude % p
            }
            // Integer groups, least significant first, then reversed.
            var n = 0
            if let small = UInt64(exactly: intPart) {
                var x = small
                while x > 0 { buf[n] = UInt16(truncatingIfNeeded: x % 10000); x /= 10000; n += 1 }
            } else {
                var x = intPart
                while x > 0 { buf[n] = UInt16(truncatingIfNeeded: x % 10000); x /= 10000; n += 1 }
            }
            let intGroups = n
            var lo = 0, hi = n - 1
            while lo < hi { buf.swapAt(lo, hi); lo += 1; hi -= 1 }
            // Fraction groups: the point sits between groups, so the last group is padded with
            // zeros on the right to 4 digits.
            if scale > 0 {
                let groups = (scale + 3) / 4
                let lastLen = scale - 4 * (groups - 1)
                let lastPow = T(DecimalMath.pow10[lastLen])
                buf[intGroups + groups - 1] = UInt16(truncatingIfNeeded: frac % lastPow) * UInt16(DecimalMath.pow10[4 - lastLen])
                var f = frac / lastPow
                var g = groups - 2
                while g >= 0 { buf[intGroups + g] = UInt16(truncatingIfNeeded: f % 10000); f /= 10000; g -= 1 }
                n += groups
            }
            var first = 0, end = n
            var weight = intGroups - 1
            while first < end && buf[first] == 0 { first += 1; weight -= 1 }
            while end > first && buf[end - 1] == 0 { end -= 1 }
            let ndigits = end - first
            if ndigits == 0 { weight = 0 }
            w.int16(Int16(ndigits))
            w.int16(Int16(weight))
            w.int16(negative && ndigits > 0 ? 0x4000 : 0)
            w.int16(Int16(scale))
            for k in first..<end { w.int16(Int16(bitPattern: buf[k])) }
        }
    }

    // MARK: floats

    /// PostgreSQL 12+ float output (extra_float_digits >= 1): the shortest digits that round-trip,
    /// fixed notation when the decimal exponent is in -4 ..< fixedLimit (15 for float8, 6 for
    /// float4, as in PostgreSQL's d2s.c/f2s.c), otherwise `d.ddde+XX` with at least two exponent
    /// digits; `NaN`, `Infinity`, `-Infinity`, `-0`. The digits come from Swift's `description`,
    /// which is also shortest round-trip.
    static func writeFloat(_ d: Double, shortest: String, fixedLimit: Int, _ w: inout FieldWriter) {
        if d.isNaN { w.ascii("NaN"); return }
        if d.isInfinite { if d < 0 { w.ascii("-Infinity") } else { w.ascii("Infinity") }; return }
        if d == 0 { if d.sign == .minus { w.byte(UInt8(ascii: "-")) }; w.byte(48); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { dg in
            var nd = 0
            var pointPos = 0  // digits before the decimal point in Swift's mantissa
            var sawPoint = false
            var exp = 0
            var expNeg = false
            var inExp = false
            var leading = true
            var s = shortest
            s.withUTF8 { u in
                for c in u {
                    if inExp {
                        if c == UInt8(ascii: "-") { expNeg = true } else if c >= 48 && c <= 57 { exp = exp * 10 + Int(c - 48) }
                        continue
                    }
                    switch c {
                    case UInt8(ascii: "."): sawPoint = true
                    case UInt8(ascii: "e"), UInt8(ascii: "E"): inExp = true
                    case 48...57:
                        if leading && c == 48 {
                            if sawPoint { pointPos -= 1 }
                            continue
                        }
                        leading = false
                        if nd < 32 { dg[nd] = c; nd += 1 }
                        if !sawPoint { pointPos += 1 }
                    default: break
                    }
                }
            }
            while nd > 1 && dg[nd - 1] == 48 { nd -= 1 }
            if expNeg { exp = -exp }
            let point = pointPos + exp  // value = 0.d1d2... * 10^point
            let sciExp = point - 1
            if d < 0 { w.byte(UInt8(ascii: "-")) }
            if sciExp >= -4 && sciExp < fixedLimit {
                if point <= 0 {
                    w.byte(48); w.byte(UInt8(ascii: "."))
                    for _ in 0..<(-point) { w.byte(48) }
                    for k in 0..<nd { w.byte(dg[k]) }
                } else if point >= nd {
                    for k in 0..<nd { w.byte(dg[k]) }
                    for _ in 0..<(point - nd) { w.byte(48) }
                } else {
                    for k in 0..<point { w.byte(dg[k]) }
                    w.byte(UInt8(ascii: "."))
                    for k in point..<nd { w.byte(dg[k]) }
                }
            } else {
                w.byte(dg[0])
                if nd > 1 {
                    w.byte(UInt8(ascii: "."))
                    for k in 1..<nd { w.byte(dg[k]) }
                }
                w.byte(UInt8(ascii: "e"))
                w.byte(sciExp < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                w.digits(UInt64(sciExp.magnitude), minWidth: 2)
            }
        }
    }

    // MARK: dates and timestamps

    /// Days between 1970-01-01 (Aurum) and 2000-01-01 (PostgreSQL).
    static let pgEpochDays: Int64 = 10957
    /// Seconds between 1970-01-01 and 2000-01-01.
    static let pgEpochSeconds: Int64 = 946_684_800

    /// PostgreSQL date (days since 2000-01-01); values that do not fit are ±infinity.
    @inline(__always) static func pgDate(_ days: Int32) -> Int32 {
        let d = Int64(days) - pgEpochDays
        return Int32(exactly: d) ?? (d < 0 ? Int32.min : Int32.max)
    }

    /// PostgreSQL timestamp (microseconds since 2000-01-01); values that do not fit are ±infinity.
    @inline(__always) static func pgTimestamp(seconds: Int64, micros: Int64) -> Int64 {
        let (s, o0) = seconds.subtractingReportingOverflow(pgEpochSeconds)
        let (a, o1) = s.multipliedReportingOverflow(by: 1_000_000)
        let (b, o2) = a.addingReportingOverflow(micros)
        if o0 || o1 || o2 { return seconds < 0 ? Int64.min : Int64.max }
        return b
    }

    /// Splits DateTime64(p) ticks into whole seconds and microseconds (truncating below 1 µs).
    @inline(__always) static func splitTicks(_ ticks: Int64, precision p: Int) -> (Int64, Int64) {
        let scale = Temporal.pow10[p]
        let secs = Temporal.floorDiv(ticks, scale)
        let frac = Temporal.floorMod(ticks, scale)
        let us = p <= 6 ? frac * Temporal.pow10[6 - p] : frac / Temporal.pow10[p - 6]
        return (secs, us)
    }

    /// `YYYY-MM-DD` as PostgreSQL's ISO DateStyle prints it; year <= 0 is `(1 - year)` with a
    /// ` BC` suffix (written here when `bcSuffix`, else returned for the caller to write last).
    @inline(__always) @discardableResult
    static func writeDate(days: Int, bcSuffix: Bool, _ w: inout FieldWriter) -> Bool {
        let c = Temporal.civil(days)
        var year = c.year
        let bc = year <= 0
        if bc { year = 1 - year }
        w.digits(UInt64(year), minWidth: 4)
        w.byte(UInt8(ascii: "-"))
        w.digits(UInt64(c.month), minWidth: 2)
        w.byte(UInt8(ascii: "-"))
        w.digits(UInt64(c.day), minWidth: 2)
        if bc && bcSuffix { w.ascii(" BC") }
        return bc
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]` with trailing zeros of the fraction removed.
    static func writeTimestamp(seconds: Int64, micros: Int64, _ w: inout FieldWriter) {
        let days = Temporal.floorDiv(seconds, 86400)
        let sod = Int(Temporal.floorMod(seconds, 86400))
        let bc = writeDate(days: Int(days), bcSuffix: false, &w)
        w.byte(UInt8(ascii: " "))
        w.digits(UInt64(sod / 3600), minWidth: 2)
        w.byte(UInt8(ascii: ":"))
        w.digits(UInt64(sod / 60 % 60), minWidth: 2)
        w.byte(UInt8(ascii: ":"))
        w.digits(UInt64(sod % 60), minWidth: 2)
        if micros > 0 {
            var us = micros, width = 6
            while us % 10 == 0 { us /= 10; width -= 1 }
            w.byte(UInt8(ascii: "."))
            w.digits(UInt64(us), minWidth: width)
        }
        if bc { w.ascii(" BC") }
    }

    // MARK: uuid

    /// Lowercase 8-4-4-4-12 hex.
    static func writeUUID(_ u: UInt128, _ w: inout FieldWriter) {
        for k in 0..<32 {
            if k == 8 || k == 12 || k == 16 || k == 20 { w.byte(UInt8(ascii: "-")) }
            let nib = UInt8(truncatingIfNeeded: u >> UInt128(124 - 4 * k)) & 0xF
            w.byte(nib < 10 ? 48 + nib : 87 + nib)
        }
    }
}

// MARK: - Decoding

public enum PGValueDecoder {
    /// Decodes a Bind parameter (nil bytes = NULL) sent as wire type `oid` in `format` into a
    /// Value of the matching Aurum type (`PGTypes.aurumType(oid:)`; oid 0 = unspecified: text
    /// becomes a String value, binary is refused). Malformed input throws an AurumError with
    /// SQLSTATE 22P02 (invalid text representation) or 08P01 (protocol violation, e.g. a
    /// binary int8 that is not 8 bytes).
    ///
    /// Text of an OID Aurum has no type for becomes a String value (the statement then casts it
    /// or fails to bind); binary of such an OID is refused with 0A000. Out-of-range values throw
    /// 22003. Timestamps with a zone offset are converted to UTC for both `timestamp` and
    /// `timestamptz` (Aurum timestamps are UTC instants).
    public static func decode(_ bytes: ArraySlice<UInt8>?, oid: UInt32, format: PGFormat) throws -> Value {
        guard let bytes else { return .null }
        switch format {
        case .text: return try decodeText(bytes, oid: oid)
        case .binary: return try decodeBinary(bytes, oid: oid)
        }
    }

    // MARK: errors

    static func typeName(_ oid: UInt32) -> String {
        switch oid {
        case PGTypes.boolOID: return "boolean"
        case PGTypes.int2OID: return "smallint"
        case PGTypes.int4OID: return "integer"
        case PGTypes.int8OID: return "bigint"
        case PGTypes.oidOID: return "oid"
        case PGTypes.float4OID: return "real"
        case PGTypes.float8OID: return "double precision"
        case PGTypes.numericOID: return "numeric"
        case PGTypes.dateOID: return "date"
        case PGTypes.timestampOID: return "timestamp without time zone"
        case PGTypes.timestamptzOID: return "timestamp with time zone"
        case PGTypes.uuidOID: return "uuid"
        case 0: return "unknown"
        default: return PGTypes.builtin(oid: oid)?.name ?? "oid \(oid)"
        }
    }

    static func badText(_ text: Substring, _ oid: UInt32) -> AurumError {
        AurumError(.invalidTextRepresentation, "invalid input syntax for type \(typeName(oid)): \"\(text)\"")
    }
    static func outOfRange(_ text: Substring, _ oid: UInt32) -> AurumError {
        AurumError(.numericValueOutOfRange, "value \"\(text)\" is out of range for type \(typeName(oid))")
    }
    static func badLength(_ n: Int, _ oid: UInt32, expected: String) -> AurumError {
        AurumError(.protocolViolation,
                   "incorrect binary data format in bind parameter: \(typeName(oid)) needs \(expected) bytes, got \(n)")
    }
    static func infinityNotSupported(_ oid: UInt32) -> AurumError {
        .notSupported("\(typeName(oid)) infinity is not supported: Aurum has no infinite values of this type")
    }

    // MARK: text

    static func utf8String(_ bytes: ArraySlice<UInt8>) throws -> String {
        if bytes.contains(0) {
            throw AurumError(.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw AurumError(.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\" in parameter")
        }
        return s
    }

    static func decodeText(_ bytes: ArraySlice<UInt8>, oid: UInt32) throws -> Value {
        let s = try utf8String(bytes)
        switch oid {
        case PGTypes.boolOID: return .bool(try parseBool(Substring(s), oid))
        case PGTypes.int2OID: return .int(try parseInt(Substring(s), oid, min: Int64(Int16.min), max: Int64(Int16.max)))
        case PGTypes.int4OID: return .int(try parseInt(Substring(s), oid, min: Int64(Int32.min), max: Int64(Int32.max)))
        case PGTypes.int8OID: return .int(try parseInt(Substring(s), oid, min: Int64.min, max: Int64.max))
        case PGTypes.oidOID: return .uint(UInt64(try parseInt(Substring(s), oid, min: 0, max: Int64(UInt32.max))))
        case PGTypes.float4OID: return .float(try parseFloat(Substring(s), oid, single: true))
        case PGTypes.float8OID: return .float(try parseFloat(Substring(s), oid, single: false))
        case PGTypes.numericOID: return .decimal(try parseNumeric(Substring(s), oid), scale: PGTypes.numericParameterScale)
        case PGTypes.dateOID: return .date(try parseDate(Substring(s), oid))
        case PGTypes.timestampOID, PGTypes.timestamptzOID: return .dateTime64(try parseTimestamp(Substring(s), oid), precision: 6)
        case PGTypes.byteaOID:
            return .string(String(decoding: try decodeByteaText(bytes, oid), as: UTF8.self))
        case PGTypes.uuidOID:
            var t = Substring(s).trimmingSpaces
            if t.first == "{" && t.last == "}" && t.count >= 2 { t = t.dropFirst().dropLast() }
            guard let u = Value.parseUUID(t) else { throw badText(Substring(s), oid) }
            return .uuid(u)
        default:
            // text, varchar, bpchar, name, char, unknown, json, jsonb, oid 0 and anything else
            return .string(s)
        }
    }

    /// bytea input: hex (`\x` then pairs of hex digits, spaces allowed between pairs) or escape
    /// format (`\\` is a backslash, `\nnn` an octal byte, other bytes as they are).
    static func decodeByteaText(_ b: ArraySlice<UInt8>, _ oid: UInt32) throws -> [UInt8] {
        let u = Array(b)
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        let bad = AurumError(.invalidTextRepresentation, "invalid input syntax for type bytea")
        var out: [UInt8] = []
        if u.count >= 2 && u[0] == 92 && (u[1] == 120 || u[1] == 88) {
            var i = 2
            while i < u.count {
                if u[i] == 32 || u[i] == 9 || u[i] == 10 || u[i] == 13 { i += 1; continue }
                guard i + 1 < u.count, let h = hex(u[i]), let l = hex(u[i + 1]) else { throw bad }
                out.append(h << 4 | l)
                i += 2
            }
            return out
        }
        var i = 0
        while i < u.count {
            if u[i] != 92 { out.append(u[i]); i += 1; continue }
            if i + 1 < u.count && u[i + 1] == 92 { out.append(92); i += 2; continue }
            guard i + 3 < u.count, (48...51).contains(u[i + 1]), (48...55).contains(u[i + 2]), (48...55).contains(u[i + 3]) else { throw bad }
            out.append((u[i + 1] - 48) << 6 | (u[i + 2] - 48) << 3 | (u[i + 3] - 48))
            i += 4
        }
        return out
    }

    /// PostgreSQL's boolean input: any unique prefix of true/false/yes/no, on/off, 1/0,
    /// case-insensitive, surrounding spaces allowed.
    static func parseBool(_ text: Substring, _ oid: UInt32) throws -> Bool {
        let t = text.trimmingSpaces.lowercased()
        func prefix(of word: String, min: Int = 1) -> Bool { t.count >= min && word.hasPrefix(t) }
        if prefix(of: "true") || prefix(of: "yes") || prefix(of: "on", min: 2) || t == "1" { return true }
        if prefix(of: "false") || prefix(of: "no") || prefix(of: "off", min: 2) || t == "0" { return false }
        throw badText(text, oid)
    }

    /// Integer input as PostgreSQL 16 accepts it: spaces around, a sign, decimal digits or a
    /// 0x/0o/0b prefix, and single underscores between digits.
    static func parseInt(_ text: Substring, _ oid: UInt32, min: Int64, max: Int64) throws -> Int64 {
        let u = Array(text.trimmingSpaces.utf8)
        var i = 0
        var neg = false
        if i < u.count && (u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+")) { neg = u[i] == UInt8(ascii: "-"); i += 1 }
        var base: UInt64 = 10
        if i + 1 < u.count && u[i] == 48 {
            switch u[i + 1] | 0x20 {
            case UInt8(ascii: "x"): base = 16; i += 2
            case UInt8(ascii: "o"): base = 8; i += 2
            case UInt8(ascii: "b"): base = 2; i += 2
            default: break
            }
        }
        var mag: UInt64 = 0
        var overflow = false
        var digits = 0
        var lastUnderscore = false
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "_") {
                // an underscore must sit between digits (PostgreSQL also allows one after a base prefix)
                guard !lastUnderscore, digits > 0 || base != 10, i + 1 < u.count else { throw badText(text, oid) }
                lastUnderscore = true; i += 1; continue
            }
            let d: UInt64
            switch c {
            case 48...57: d = UInt64(c - 48)
            case 97...102: d = UInt64(c - 87)
            case 65...70: d = UInt64(c - 55)
            default: throw badText(text, oid)
            }
            guard d < base else { throw badText(text, oid) }
            let (m, o1) = mag.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { overflow = true }
            mag = a; digits += 1; lastUnderscore = false; i += 1
        }
        guard digits > 0, !lastUnderscore else { throw badText(text, oid) }
        if overflow { throw outOfRange(text, oid) }
        let v: Int64
        if neg {
            guard mag <= UInt64(Int64.max) + 1 else { throw outOfRange(text, oid) }
            v = mag == UInt64(Int64.max) + 1 ? Int64.min : -Int64(mag)
        } else {
            guard mag <= UInt64(Int64.max) else { throw outOfRange(text, oid) }
            v = Int64(mag)
        }
        guard v >= min && v <= max else { throw outOfRange(text, oid) }
        return v
    }

    /// Float input: spaces around, NaN, [+-]Infinity/inf, otherwise strtod syntax. Overflow and
    /// underflow (a nonzero mantissa that becomes 0) are out of range, as in PostgreSQL.
    static func parseFloat(_ text: Substring, _ oid: UInt32, single: Bool) throws -> Double {
        let t = text.trimmingSpaces
        switch t.lowercased() {
        case "nan", "+nan", "-nan": return .nan
        case "infinity", "+infinity", "inf", "+inf": return .infinity
        case "-infinity", "-inf": return -.infinity
        default: break
        }
        // Reject what strtod would not read as a number (Swift also accepts "nan(...)"/"inf").
        guard let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (first >= 48 && first <= 57),
              !t.contains(where: { $0 == "n" || $0 == "N" || $0 == "i" || $0 == "I" }) else { throw badText(text, oid) }
        let v: Double
        if single {
            guard let f = Float(t) else { throw badText(text, oid) }
            v = Double(f)
        } else {
            guard let d = Double(t) else { throw badText(text, oid) }
            v = d
        }
        if v.isInfinite { throw outOfRange(text, oid) }
        if v == 0 {
            // underflow: a nonzero digit in the mantissa (hex mantissas included)
            let isHex = t.lowercased().contains("x")
            let mantissa = isHex ? t.lowercased().split(separator: "x", maxSplits: 1).last!.prefix { $0 != "p" }
                                 : t.prefix { $0 != "e" && $0 != "E" }
            if mantissa.contains(where: { $0.isHexDigit && $0 != "0" }) { throw outOfRange(text, oid) }
        }
        return v
    }

    /// Numeric input at `numericParameterScale`: `[+-]digits[.digits][e[+-]digits]`, spaces around.
    static func parseNumeric(_ text: Substring, _ oid: UInt32) throws -> Int128 {
        let t = text.trimmingSpaces
        switch t.lowercased() {
        case "nan", "infinity", "+infinity", "-infinity", "inf", "+inf", "-inf":
            throw AurumError.notSupported("numeric \(t) is not supported: Aurum decimals are finite")
        default: break
        }
        // syntax check first, so that nil from DecimalMath.parse means overflow
        let u = Array(t.utf8)
        var i = 0
        if i < u.count && (u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+")) { i += 1 }
        var mantissaDigits = 0
        while i < u.count && u[i] >= 48 && u[i] <= 57 { i += 1; mantissaDigits += 1 }
        if i < u.count && u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count && u[i] >= 48 && u[i] <= 57 { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { throw badText(text, oid) }
        if i < u.count && (u[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < u.count && (u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+")) { i += 1 }
            var expDigits = 0
            while i < u.count && u[i] >= 48 && u[i] <= 57 { i += 1; expDigits += 1 }
            guard expDigits > 0 else { throw badText(text, oid) }
        }
        guard i == u.count else { throw badText(text, oid) }
        guard let raw = DecimalMath.parse(t, scale: PGTypes.numericParameterScale),
              raw.magnitude <= DecimalMath.maxRaw(precision: 38).magnitude else { throw outOfRange(text, oid) }
        return raw
    }

    /// A cursor over ASCII bytes for date/time input.
    struct Scanner {
        let u: [UInt8]
        var i = 0
        init(_ s: Substring) { u = Array(s.utf8) }
        var atEnd: Bool { i >= u.count }
        var peek: UInt8? { i < u.count ? u[i] : nil }
        mutating func skip(_ c: UInt8) -> Bool {
            if i < u.count && u[i] == c { i += 1; return true }
            return false
        }
        mutating func skipSpaces() { while i < u.count && (u[i] == 32 || u[i] == 9) { i += 1 } }
        /// Reads 1...maxCount digits; returns the value and how many were read.
        mutating func number(maxCount: Int = 18) -> (Int64, Int)? {
            var v: Int64 = 0, n = 0
            while i < u.count && n < maxCount && u[i] >= 48 && u[i] <= 57 { v = v * 10 + Int64(u[i] - 48); i += 1; n += 1 }
            return n > 0 ? (v, n) : nil
        }
        /// Consumes a case-insensitive word if it comes next.
        mutating func word(_ w: String) -> Bool {
            let b = Array(w.utf8)
            guard i + b.count <= u.count else { return false }
            for k in 0..<b.count where (u[i + k] | 0x20) != (b[k] | 0x20) { return false }
            i += b.count
            return true
        }
    }

    static func parseDate(_ text: Substring, _ oid: UInt32) throws -> Int32 {
        let t = text.trimmingSpaces
        switch t.lowercased() {
        case "epoch": return 0
        case "infinity", "+infinity", "-infinity": throw infinityNotSupported(oid)
        default: break
        }
        // A date with a time part is accepted and the time ignored, as PostgreSQL does; so is a
        // zone offset right after the date (pgJDBC sends `2024-02-29 +00`).
        var body = t
        if let sign = t.lastIndex(where: { $0 == "+" || $0 == "-" }), sign > t.startIndex,
           t[t.index(before: sign)] == " ",
           t[t.index(after: sign)...].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ":") }),
           !t[..<sign].contains(":") {
            body = t[..<sign].trimmingSpaces
        }
        let (days, _) = try parseDateTimeParts(body, oid)
        guard let d = Int32(exactly: days) else { throw outOfRange(text, oid) }
        return d
    }

    /// Microseconds since 1970-01-01 00:00:00 UTC.
    static func parseTimestamp(_ text: Substring, _ oid: UInt32) throws -> Int64 {
        let t = text.trimmingSpaces
        switch t.lowercased() {
        case "epoch": return 0
        case "infinity", "+infinity", "-infinity": throw infinityNotSupported(oid)
        default: break
        }
        let (days, micros) = try parseDateTimeParts(t, oid)
        let (a, o1) = days.multipliedReportingOverflow(by: 86_400_000_000)
        let (b, o2) = a.addingReportingOverflow(micros)
        guard !o1 && !o2 else { throw outOfRange(text, oid) }
        return b
    }

    /// `YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][ ][Z|UTC|GMT|±HH[:MM[:SS]]|±HHMM][ BC|AD]`
    /// (a year of 4 or more digits; year N BC is proleptic year 1 - N). Returns days since
    /// 1970-01-01 and microseconds of the day with the zone offset applied (so possibly outside
    /// 0 ..< 1 day); fractions beyond microseconds are rounded.
    static func parseDateTimeParts(_ t: Substring, _ oid: UInt32) throws -> (Int64, Int64) {
        var sc = Scanner(t)
        guard let (y, yn) = sc.number(maxCount: 9), yn >= 4, sc.skip(UInt8(ascii: "-")),
              let (m, _) = sc.number(maxCount: 2), sc.skip(UInt8(ascii: "-")),
              let (d, _) = sc.number(maxCount: 2) else { throw badText(t, oid) }
        var micros: Int64 = 0
        if let c = sc.peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "T") || c == UInt8(ascii: "t") {
            let save = sc.i
            sc.i += 1
            sc.skipSpaces()
            if let (hh, _) = sc.number(maxCount: 2) {
                guard sc.skip(UInt8(ascii: ":")), let (mi, mn) = sc.number(maxCount: 2), mn == 2 else { throw badText(t, oid) }
                var ss: Int64 = 0, frac: Int64 = 0
                if sc.skip(UInt8(ascii: ":")) {
                    guard let (s, sn) = sc.number(maxCount: 2), sn == 2 else { throw badText(t, oid) }
                    ss = s
                    if sc.skip(UInt8(ascii: ".")) {
                        var n = 0
                        var roundUp = false
                        while let c = sc.peek, c >= 48 && c <= 57 {
                            if n < 6 { frac = frac * 10 + Int64(c - 48) } else if n == 6 { roundUp = c >= 53 }
                            n += 1; sc.i += 1
                        }
                        while n < 6 { frac *= 10; n += 1 }
                        if roundUp { frac += 1 }
                    }
                }
                guard hh <= 24, mi <= 59, ss <= 60, hh < 24 || (mi == 0 && ss == 0 && frac == 0) else { throw outOfRange(t, oid) }
                micros = ((hh * 60 + mi) * 60 + ss) * 1_000_000 + frac
                sc.skipSpaces()
                if sc.word("z") || sc.word("utc") || sc.word("gmt") {
                    // UTC
                } else if let c = sc.peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    let sign: Int64 = c == UInt8(ascii: "-") ? -1 : 1
                    sc.i += 1
                    guard let (oh, ohn) = sc.number(maxCount: 2) else { throw badText(t, oid) }
                    var om: Int64 = 0, os: Int64 = 0
                    if sc.skip(UInt8(ascii: ":")) {
                        guard let (x, _) = sc.number(maxCount: 2) else { throw badText(t, oid) }
                        om = x
                        if sc.skip(UInt8(ascii: ":")) {
                            guard let (z, _) = sc.number(maxCount: 2) else { throw badText(t, oid) }
                            os = z
                        }
                    } else if ohn == 2, let (x, _) = sc.number(maxCount: 2) {
                        om = x
                    }
                    guard oh <= 15, om <= 59, os <= 59 else { throw outOfRange(t, oid) }
                    micros -= sign * ((oh * 60 + om) * 60 + os) * 1_000_000
                }
            } else {
                sc.i = save
            }
        }
        sc.skipSpaces()
        var year = y
        if sc.word("bc") {
            guard y >= 1 else { throw outOfRange(t, oid) }
            year = 1 - y
        } else {
            _ = sc.word("ad")
        }
        sc.skipSpaces()
        guard sc.atEnd else { throw badText(t, oid) }
        guard (1...12).contains(m), d >= 1, d <= Int64(Temporal.daysInMonth(Int(year), Int(m))) else { throw outOfRange(t, oid) }
        return (Int64(Temporal.days(year: Int(year), month: Int(m), day: Int(d))), micros)
    }

    // MARK: binary

    @inline(__always) static func readInt<T: FixedWidthInteger>(_ b: ArraySlice<UInt8>, _ at: Int, as: T.Type) -> T {
        var v: T = 0
        for k in 0..<MemoryLayout<T>.size { v = (v << 8) | T(truncatingIfNeeded: b[b.startIndex + at + k]) }
        return v
    }

    static func expectLength(_ b: ArraySlice<UInt8>, _ n: Int, _ oid: UInt32) throws {
        guard b.count == n else { throw badLength(b.count, oid, expected: String(n)) }
    }

    static func decodeBinary(_ b: ArraySlice<UInt8>, oid: UInt32) throws -> Value {
        switch oid {
        case PGTypes.boolOID:
            try expectLength(b, 1, oid)
            return .bool(b[b.startIndex] != 0)
        case PGTypes.int2OID:
            try expectLength(b, 2, oid)
            return .int(Int64(readInt(b, 0, as: Int16.self)))
        case PGTypes.int4OID:
            try expectLength(b, 4, oid)
            return .int(Int64(readInt(b, 0, as: Int32.self)))
        case PGTypes.int8OID:
            try expectLength(b, 8, oid)
            return .int(readInt(b, 0, as: Int64.self))
        case PGTypes.oidOID:
            try expectLength(b, 4, oid)
            return .uint(UInt64(readInt(b, 0, as: UInt32.self)))
        case PGTypes.float4OID:
            try expectLength(b, 4, oid)
            return .float(Double(Float(bitPattern: readInt(b, 0, as: UInt32.self))))
        case PGTypes.float8OID:
            try expectLength(b, 8, oid)
            return .float(Double(bitPattern: readInt(b, 0, as: UInt64.self)))
        case PGTypes.numericOID:
            return .decimal(try decodeBinaryNumeric(b, oid, scale: PGTypes.numericParameterScale), scale: PGTypes.numericParameterScale)
        case PGTypes.dateOID:
            try expectLength(b, 4, oid)
            let d = readInt(b, 0, as: Int32.self)
            if d == Int32.max || d == Int32.min { throw infinityNotSupported(oid) }
            guard let days = Int32(exactly: Int64(d) + PGValueEncoder.pgEpochDays) else {
                throw AurumError(.numericValueOutOfRange, "date out of range in bind parameter")
            }
            return .date(days)
        case PGTypes.timestampOID, PGTypes.timestamptzOID:
            try expectLength(b, 8, oid)
            let t = readInt(b, 0, as: Int64.self)
            if t == Int64.max || t == Int64.min { throw infinityNotSupported(oid) }
            let (v, o) = t.addingReportingOverflow(PGValueEncoder.pgEpochSeconds * 1_000_000)
            guard !o else { throw AurumError(.numericValueOutOfRange, "timestamp out of range in bind parameter") }
            return .dateTime64(v, precision: 6)
        case PGTypes.uuidOID:
            try expectLength(b, 16, oid)
            return .uuid(readInt(b, 0, as: UInt128.self))
        case PGTypes.textOID, PGTypes.varcharOID, PGTypes.bpcharOID, PGTypes.nameOID, PGTypes.charOID,
             PGTypes.unknownOID, PGTypes.jsonOID:
            return .string(try utf8String(b))
        case PGTypes.byteaOID:
            // the raw bytes; Aurum strings are byte strings
            return .string(String(decoding: b, as: UTF8.self))
        case PGTypes.jsonbOID:
            // jsonb binary: a version byte (1) and the JSON text
            guard b.first == 1 else {
                throw AurumError(.invalidBinaryRepresentation, "unsupported jsonb version number \(b.first.map(String.init) ?? "(none)")")
            }
            return .string(try utf8String(b.dropFirst()))
        case 0:
            throw AurumError(.protocolViolation, "binary parameter with unspecified type (oid 0) cannot be decoded; declare its type in Parse")
        default:
            throw AurumError.notSupported("binary format for parameters of type \(typeName(oid)) is not supported; send it as text")
        }
    }

    /// PostgreSQL binary NUMERIC to a raw decimal at `scale`, rounding half away from zero.
    static func decodeBinaryNumeric(_ b: ArraySlice<UInt8>, _ oid: UInt32, scale: Int) throws -> Int128 {
        guard b.count >= 8 else { throw badLength(b.count, oid, expected: "at least 8") }
        let ndigits = Int(readInt(b, 0, as: Int16.self))
        let weight = Int(readInt(b, 2, as: Int16.self))
        let sign = readInt(b, 4, as: UInt16.self)
        let dscale = readInt(b, 6, as: UInt16.self)
        guard ndigits >= 0 else { throw AurumError(.invalidBinaryRepresentation, "invalid length in external \"numeric\" value") }
        guard b.count == 8 + 2 * ndigits else { throw badLength(b.count, oid, expected: String(8 + 2 * ndigits)) }
        switch sign {
        case 0x0000, 0x4000: break
        case 0xC000: throw AurumError.notSupported("numeric NaN is not supported: Aurum decimals are finite")
        case 0xD000, 0xF000: throw infinityNotSupported(oid)
        default: throw AurumError(.invalidBinaryRepresentation, "invalid sign in external \"numeric\" value")
        }
        guard dscale & 0xC000 == 0 else { throw AurumError(.invalidBinaryRepresentation, "invalid scale in external \"numeric\" value") }
        let overflow = AurumError(.numericValueOutOfRange, "numeric parameter is out of range for Decimal(38, \(scale))")
        var raw: Int128 = 0
        var roundUp = false
        for k in 0..<ndigits {
            let d = Int(readInt(b, 8 + 2 * k, as: Int16.self))
            guard (0..<10000).contains(d) else { throw AurumError(.invalidBinaryRepresentation, "invalid digit in external \"numeric\" value") }
            // digit k is worth d * 10000^(weight - k); in units of 10^-scale that is d * 10^e
            let e = 4 * (weight - k) + scale
            if e >= 0 {
                if d == 0 { continue }
                guard e <= 38 else { throw overflow }
                let (m, o1) = Int128(d).multipliedReportingOverflow(by: DecimalMath.pow10[e])
                let (a, o2) = raw.addingReportingOverflow(m)
                guard !o1 && !o2 else { throw overflow }
                raw = a
            } else if e > -4 {
                // the digit straddles the last kept position: keep its top part, round on the rest
                let div = Int(DecimalMath.pow10[-e])
                let (a, o) = raw.addingReportingOverflow(Int128(d / div))
                guard !o else { throw overflow }
                raw = a
                roundUp = d % div >= div / 2
            }
            // digits with e <= -4 are below half a unit once the straddling digit is known
        }
        if roundUp { raw += 1 }
        guard raw <= DecimalMath.maxRaw(precision: 38) else { throw overflow }
        return sign == 0x4000 ? -raw : raw
    }
}
