/// One SQL value, for constants, API results and slow paths. Never used per row in a kernel.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    /// Wide integers (Int128 results such as large sums).
    case int128(Int128)
    case float(Double)
    /// raw / 10^scale, exact.
    case decimal(Int128, scale: Int)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Seconds since the epoch (UTC).
    case dateTime(Int64)
    /// Ticks of 10^-precision seconds since the epoch (UTC).
    case dateTime64(Int64, precision: Int)
    case uuid(UInt128)

    public var isNull: Bool { if case .null = self { return true }; return false }

    /// Text form: dates `YYYY-MM-DD`, decimals exact, floats shortest round-trip, bools true/false.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .int128(let v): return String(v)
        case .float(let d): return Value.formatDouble(d)
        case .decimal(let r, let s): return DecimalMath.format(r, scale: s)
        case .string(let s): return s
        case .date(let d): return Temporal.formatDate(d)
        case .dateTime(let t): return Temporal.formatDateTime(t, precision: 0)
        case .dateTime64(let t, let p): return Temporal.formatDateTime(t, precision: p)
        case .uuid(let u): return Value.formatUUID(u)
        }
    }

    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == d.rounded(), abs(d) < 1e15 {
            if d == 0 { return d.sign == .minus ? "-0" : "0" }
            return String(Int64(d))
        }
        return "\(d)"
    }

    public static func formatUUID(_ u: UInt128) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(45) }
            let nib = Int((u >> UInt128(124 - 4 * i)) & 0xF)
            out.append(hex[nib])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func parseUUID(_ s: Substring) -> UInt128? {
        var v: UInt128 = 0
        var n = 0
        for c in s.trimmingSpaces.utf8 {
            if c == 45 { continue }
            let d: UInt8
            switch c {
            case 48...57: d = c - 48
            case 97...102: d = c - 87
            case 65...70: d = c - 55
            default: return nil
            }
            v = (v << 4) | UInt128(d)
            n += 1
            if n > 32 { return nil }
        }
        return n == 32 ? v : nil
    }

    // MARK: accessors

    /// Integer view of integral values (bool, int, uint within range, dates, times as raw).
    public var asInt64: Int64? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let v): return v
        case .uint(let v): return Int64(exactly: v)
        case .int128(let v): return Int64(exactly: v)
        case .date(let d): return Int64(d)
        case .dateTime(let t): return t
        case .dateTime64(let t, _): return t
        case .decimal(let r, let s): return s == 0 ? Int64(exactly: r) : nil
        default: return nil
        }
    }
    public var asDouble: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .int128(let v): return Double(v)
        case .float(let d): return d
        case .decimal(let r, let s): return Double(r) / DecimalMath.pow(10, s)
        default: return nil
        }
    }
    /// Raw physical bits for storage into an Int64-backed vector.
    public var rawInt64: Int64 {
        switch self {
        case .uint(let v): return Int64(bitPattern: v)
        case .decimal(let r, _): return Int64(truncatingIfNeeded: r)
        case .int128(let v): return Int64(truncatingIfNeeded: v)
        default: return asInt64 ?? 0
        }
    }
    public var rawUInt64: UInt64 {
        switch self {
        case .uint(let v): return v
        default: return UInt64(bitPattern: rawInt64)
        }
    }
    public var rawInt128: Int128 {
        switch self {
        case .decimal(let r, _): return r
        case .int128(let v): return v
        case .uint(let v): return Int128(v)
        case .uuid(let u): return Int128(truncatingIfNeeded: u)
        default: return Int128(rawInt64)
        }
    }
    public var asString: String? { if case .string(let s) = self { return s }; return nil }
    public var asBool: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let v): return v != 0
        case .uint(let v): return v != 0
        default: return nil
        }
    }

    /// Decodes row `i` of `data` as a value of logical type `type` (non-null).
    public static func decode(_ data: ColumnData, at i: Int, type: DataType) -> Value {
        switch type.base {
        case .bool:
            if case .uint8(let a) = data { return .bool(a[i] != 0) }
        case .int8, .int16, .int32, .int64:
            switch data {
            case .int8(let a): return .int(Int64(a[i]))
            case .int16(let a): return .int(Int64(a[i]))
            case .int32(let a): return .int(Int64(a[i]))
            case .int64(let a): return .int(a[i])
            default: break
            }
        case .uint8, .uint16, .uint32, .uint64:
            switch data {
            case .uint8(let a): return .uint(UInt64(a[i]))
            case .uint16(let a): return .uint(UInt64(a[i]))
            case .uint32(let a): return .uint(UInt64(a[i]))
            case .uint64(let a): return .uint(a[i])
            default: break
            }
        case .float32:
            if case .float32(let a) = data { return .float(Double(a[i])) }
        case .float64:
            if case .float64(let a) = data { return .float(a[i]) }
        case .decimal(_, let s):
            switch data {
            case .int64(let a): return .decimal(Int128(a[i]), scale: s)
            case .int128(let a): return .decimal(a[i], scale: s)
            default: break
            }
        case .string:
            if case .string(let a) = data { return .string(a.string(at: i)) }
        case .date:
            if case .int32(let a) = data { return .date(a[i]) }
        case .dateTime:
            if case .int64(let a) = data { return .dateTime(a[i]) }
        case .dateTime64(let p):
            if case .int64(let a) = data { return .dateTime64(a[i], precision: p) }
        case .uuid:
            if case .uint128(let a) = data { return .uuid(a[i]) }
        case .nothing:
            return .null
        }
        // A physical/logical mismatch is a bug.
        preconditionFailure("Value.decode: physical \(data.physical) does not match type \(type)")
    }
}
