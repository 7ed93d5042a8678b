extension Value {
    /// Converts this value to `type` (slow path for constants and INSERT VALUES).
    ///
    /// Errors: 22P02 for text that does not parse, 22003 for out-of-range numbers,
    /// 42846-style mismatches as 42804.
    public func cast(to type: DataType) throws -> Value {
        if case .null = self { return .null }
        switch type.base {
        case .nothing: return .null
        case .bool:
            switch self {
            case .bool: return self
            case .int(let v): return .bool(v != 0)
            case .uint(let v): return .bool(v != 0)
            case .float(let d): return .bool(d != 0)
            case .decimal(let r, _): return .bool(r != 0)
            case .string(let s):
                switch s.lowercased().trimmingCharacters() {
                case "t", "true", "1", "yes", "y", "on": return .bool(true)
                case "f", "false", "0", "no", "n", "off": return .bool(false)
                default: throw Value.badText(s, type)
                }
            default: throw Value.mismatch(self, type)
            }
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64:
            let (lo, hi) = Value.intRange(type)
            var wide: Int128
            switch self {
            case .bool(let b): wide = b ? 1 : 0
            case .int(let v): wide = Int128(v)
            case .uint(let v): wide = Int128(v)
            case .int128(let v): wide = v
            case .float(let d):
                guard d.isFinite, abs(d) < 1.8e38 else { throw Value.outOfRange(self, type) }
                wide = Int128(d.rounded(.towardZero))
            case .decimal(let r, let s): wide = r / DecimalMath.pow10[s]
            case .string(let s):
                let t = Substring(s).trimmingSpaces
                if let v = Int128(t) { wide = v }
                else if let d = Double(t), d.isFinite, !t.contains(where: { $0.isLetter }) || t.lowercased().contains("e") {
                    guard abs(d) < 1.8e38 else { throw Value.outOfRange(self, type) }
                    wide = Int128(d.rounded(.towardZero))
                } else { throw Value.badText(s, type) }
            case .date(let d): wide = Int128(d)
            case .dateTime(let t): wide = Int128(t)
            case .dateTime64(let t, _): wide = Int128(t)
            default: throw Value.mismatch(self, type)
            }
            guard wide >= lo && wide <= hi else { throw Value.outOfRange(self, type) }
            return type.isUnsignedInteger ? .uint(UInt64(wide)) : .int(Int64(wide))
        case .float32, .float64:
            switch self {
            case .string(let s):
                let t = Substring(s).trimmingSpaces.lowercased()
                switch t {
                case "nan": return .float(.nan)
                case "inf", "infinity", "+inf", "+infinity": return .float(.infinity)
                case "-inf", "-infinity": return .float(-.infinity)
                default:
                    guard let d = Double(t) else { throw Value.badText(s, type) }
                    return .float(type.base == .float32 ? Double(Float(d)) : d)
                }
            default:
                guard let d = asDouble else { throw Value.mismatch(self, type) }
                return .float(type.base == .float32 ? Double(Float(d)) : d)
            }
        case .decimal(let p, let s):
            var raw: Int128
            switch self {
            case .bool(let b): raw = (b ? 1 : 0) * DecimalMath.pow10[s]
            case .int(let v):
                let (m, o) = Int128(v).multipliedReportingOverflow(by: DecimalMath.pow10[s]); if o { throw Value.outOfRange(self, type) }; raw = m
            case .uint(let v):
                let (m, o) = Int128(v).multipliedReportingOverflow(by: DecimalMath.pow10[s]); if o { throw Value.outOfRange(self, type) }; raw = m
            case .int128(let v):
                let (m, o) = v.multipliedReportingOverflow(by: DecimalMath.pow10[s]); if o { throw Value.outOfRange(self, type) }; raw = m
            case .float(let d):
                guard let r = DecimalMath.fromDouble(d, scale: s) else { throw Value.outOfRange(self, type) }
                raw = r
            case .decimal(let r, let s0):
                guard let r2 = DecimalMath.rescale(r, from: s0, to: s) else { throw Value.outOfRange(self, type) }
                raw = r2
            case .string(let str):
                guard let r = DecimalMath.parse(Substring(str), scale: s) else {
                    if DecimalMath.parse(Substring(str), scale: 0) != nil || Double(str) != nil { throw Value.outOfRange(self, type) }
                    throw Value.badText(str, type)
                }
                raw = r
            default: throw Value.mismatch(self, type)
            }
            guard raw.magnitude <= DecimalMath.maxRaw(precision: p).magnitude else { throw Value.outOfRange(self, type) }
            return .decimal(raw, scale: s)
        case .string:
            return .string(description)
        case .date:
            switch self {
            case .date: return self
            case .dateTime(let t): return .date(Int32(truncatingIfNeeded: Temporal.floorDiv(t, 86400)))
            case .dateTime64(let t, let p): return .date(Int32(truncatingIfNeeded: Temporal.floorDiv(Temporal.floorDiv(t, Temporal.pow10[p]), 86400)))
            case .string(let s):
                if let d = Temporal.parseDate(Substring(s)) { return .date(d) }
                if let t = Temporal.parseDateTime(Substring(s), precision: 0) {
                    return .date(Int32(truncatingIfNeeded: Temporal.floorDiv(t, 86400)))
                }
                throw Value.badText(s, type, what: "date")
            case .int(let v): return .date(Int32(truncatingIfNeeded: v))
            case .uint(let v): return .date(Int32(truncatingIfNeeded: v))
            default: throw Value.mismatch(self, type)
            }
        case .dateTime, .dateTime64:
            let p: Int
            if case .dateTime64(let pp) = type.base { p = pp } else { p = 0 }
            let scale = Temporal.pow10[p]
            func mk(_ ticks: Int64) -> Value { p == 0 && type.base == .dateTime ? .dateTime(ticks) : .dateTime64(ticks, precision: p) }
            switch self {
            case .date(let d): return mk(Int64(d) * 86400 * scale)
            case .dateTime(let t): return mk(t * scale)
            case .dateTime64(let t, let p0):
                if p0 == p { return mk(t) }
                if p0 < p { return mk(t * Temporal.pow10[p - p0]) }
                return mk(Temporal.floorDiv(t, Temporal.pow10[p0 - p]))
            case .string(let s):
                guard let t = Temporal.parseDateTime(Substring(s), precision: p) else { throw Value.badText(s, type, what: "timestamp") }
                return mk(t)
            case .int(let v): return mk(v * scale)
            case .uint(let v): return mk(Int64(truncatingIfNeeded: v) * scale)
            case .float(let d): return mk(Int64(d * Double(scale)))
            default: throw Value.mismatch(self, type)
            }
        case .uuid:
            switch self {
            case .uuid: return self
            case .string(let s):
                guard let u = Value.parseUUID(Substring(s)) else { throw Value.badText(s, type, what: "uuid") }
                return .uuid(u)
            default: throw Value.mismatch(self, type)
            }
        }
    }

    public static func intRange(_ t: DataType) -> (Int128, Int128) {
        switch t.base {
        case .int8: return (Int128(Int8.min), Int128(Int8.max))
        case .int16: return (Int128(Int16.min), Int128(Int16.max))
        case .int32: return (Int128(Int32.min), Int128(Int32.max))
        case .int64: return (Int128(Int64.min), Int128(Int64.max))
        case .uint8: return (0, Int128(UInt8.max))
        case .uint16: return (0, Int128(UInt16.max))
        case .uint32: return (0, Int128(UInt32.max))
        case .uint64: return (0, Int128(UInt64.max))
        default: return (Int128.min, Int128.max)
        }
    }

    static func badText(_ s: String, _ t: DataType, what: String? = nil) -> AurumError {
        // PostgreSQL reports bad date/time text as 22007 (invalid_datetime_format).
        AurumError(t.isTemporal ? .invalidDatetimeFormat : .invalidTextRepresentation, "invalid input syntax for type \(what ?? t.plain.description): \"\(s)\"")
    }
    static func outOfRange(_ v: Value, _ t: DataType) -> AurumError {
        AurumError(.numericValueOutOfRange, "value \(v) is out of range for type \(t.plain)")
    }
    static func mismatch(_ v: Value, _ t: DataType) -> AurumError {
        AurumError(.datatypeMismatch, "cannot convert \(v) to \(t.plain)")
    }
}

extension String {
    func trimmingCharacters() -> String { String(Substring(self).trimmingSpaces) }
}
