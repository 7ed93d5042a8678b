import AurumCore
import AurumEngine

/// A value a decoder could not take: the row (index in the chunk's `FieldTable`), the target
/// column, the SQLSTATE and reason, and the offending text.
struct BadValue: Sendable {
    var row: Int
    var column: Int
    var code: SQLState
    var reason: String
    var value: String
}

/// Turns one field of every row of a `FieldTable` into a typed `Column`: the type is switched
/// on once per column, then a specialised loop parses the bytes in place (escaped fields go
/// through a reused scratch buffer). Bad values are reported, not thrown, and their rows get
/// a zero value that the caller drops.
final class TextColumnDecoder {
    let table: FieldTable
    let bytes: UnsafeBufferPointer<UInt8>
    let escape: EscapeStyle
    /// Reused for the unescaped bytes of escaped fields.
    private var scratch: [UInt8] = []

    init(table: FieldTable, bytes: UnsafeBufferPointer<UInt8>, escape: EscapeStyle) {
        self.table = table
        self.bytes = bytes
        self.escape = escape
    }

    /// Decodes field `field` (nil: the source lacks the column) of every row into a column
    /// of `column.type`. Missing values are NULL for nullable columns, else the type's zero.
    func decode(_ column: SourceColumn, index: Int, field: Int?, bad: inout [BadValue]) -> Column {
        let type = column.type
        let rows = table.rowCount
        guard let field else {
            if type.isNullable {
                return Column(type: type, data: .zeros(type.physical, count: rows),
                              validity: rows > 0 ? [UInt8](repeating: 0, count: rows) : nil)
            }
            return Column(type: type, data: .zeros(type.physical, count: rows))
        }
        switch type.base {
        case .bool:
            let (v, m) = fixed(type, index, field, &bad, zero: UInt8(0), TextValueParsers.bool)
            return Column(type: type, data: .uint8(v), validity: m)
        case .int8: return narrowInt(type, index, field, &bad, Int8.self) { .int8($0) }
        case .int16: return narrowInt(type, index, field, &bad, Int16.self) { .int16($0) }
        case .int32: return narrowInt(type, index, field, &bad, Int32.self) { .int32($0) }
        case .int64:
            let (v, m) = fixed(type, index, field, &bad, zero: Int64(0), TextValueParsers.int64)
            return Column(type: type, data: .int64(v), validity: m)
        case .uint8: return narrowUInt(type, index, field, &bad, UInt8.self) { .uint8($0) }
        case .uint16: return narrowUInt(type, index, field, &bad, UInt16.self) { .uint16($0) }
        case .uint32: return narrowUInt(type, index, field, &bad, UInt32.self) { .uint32($0) }
        case .uint64:
            let (v, m) = fixed(type, index, field, &bad, zero: UInt64(0), TextValueParsers.uint64)
            return Column(type: type, data: .uint64(v), validity: m)
        case .float32:
            let (v, m) = fixed(type, index, field, &bad, zero: Float(0)) { p, n in
                let (d, s) = TextValueParsers.double(p, n)
                if s == .ok, d.isFinite, !Float(d).isFinite { return (0, .outOfRange) }
                return (Float(d), s)
            }
            return Column(type: type, data: .float32(v), validity: m)
        case .float64:
            let (v, m) = fixed(type, index, field, &bad, zero: Double(0), TextValueParsers.double)
            return Column(type: type, data: .float64(v), validity: m)
        case .decimal(let precision, let scale):
            let maxRaw = DecimalMath.maxRaw(precision: min(max(precision, 1), 38))
            if precision <= 18 {
                let (v, m) = fixed(type, index, field, &bad, zero: Int64(0)) { p, n in
                    let (r, s) = TextValueParsers.decimal(p, n, scale: scale, maxRaw: maxRaw)
                    return (Int64(truncatingIfNeeded: r), s)
                }
                return Column(type: type, data: .int64(v), validity: m)
            }
            let (v, m) = fixed(type, index, field, &bad, zero: Int128(0)) { p, n in
                TextValueParsers.decimal(p, n, scale: scale, maxRaw: maxRaw)
            }
            return Column(type: type, data: .int128(v), validity: m)
        case .date:
            let (v, m) = fixed(type, index, field, &bad, zero: Int32(0), TextValueParsers.date)
            return Column(type: type, data: .int32(v), validity: m)
        case .dateTime:
            let (v, m) = fixed(type, index, field, &bad, zero: Int64(0)) { p, n in TextValueParsers.timestamp(p, n, precision: 0) }
            return Column(type: type, data: .int64(v), validity: m)
        case .dateTime64(let precision):
            let pr = min(max(precision, 0), 9)
            let (v, m) = fixed(type, index, field, &bad, zero: Int64(0)) { p, n in TextValueParsers.timestamp(p, n, precision: pr) }
            return Column(type: type, data: .int64(v), validity: m)
        case .uuid:
            let (v, m) = fixed(type, index, field, &bad, zero: UInt128(0), TextValueParsers.uuid)
            return Column(type: type, data: .uint128(v), validity: m)
        case .string, .nothing:
            let (s, m) = strings(type, index, field, &bad)
            return Column(type: type, data: .string(s), validity: m)
        }
    }

    private func narrowInt<T: FixedWidthInteger & SignedInteger>(
        _ type: DataType, _ index: Int, _ field: Int, _ bad: inout [BadValue], _: T.Type, _ wrap: ([T]) -> ColumnData
    ) -> Column {
        let (v, m) = fixed(type, index, field, &bad, zero: T(0)) { p, n in
            let (x, s) = TextValueParsers.int64(p, n)
            guard s == .ok else { return (0, s) }
            guard let t = T(exactly: x) else { return (0, .outOfRange) }
            return (t, .ok)
        }
        return Column(type: type, data: wrap(v), validity: m)
    }

    private func narrowUInt<T: FixedWidthInteger & UnsignedInteger>(
        _ type: DataType, _ index: Int, _ field: Int, _ bad: inout [BadValue], _: T.Type, _ wrap: ([T]) -> ColumnData
    ) -> Column {
        let (v, m) = fixed(type, index, field, &bad, zero: T(0)) { p, n in
            let (x, s) = TextValueParsers.uint64(p, n)
            guard s == .ok else { return (0, s) }
            guard let t = T(exactly: x) else { return (0, .outOfRange) }
            return (t, .ok)
        }
        return Column(type: type, data: wrap(v), validity: m)
    }

    /// The loop shared by every fixed-width type.
    @inline(__always)
    private func fixed<T>(
        _ type: DataType, _ index: Int, _ field: Int, _ bad: inout [BadValue], zero: T,
        _ parse: (UnsafePointer<UInt8>, Int) -> (T, ParseStatus)
    ) -> ([T], [UInt8]?) {
        let rows = table.rowCount
        let width = table.width
        var validity: [UInt8]? = nil
        guard let base = bytes.baseAddress, rows > 0 else {
            return ([T](repeating: zero, count: rows), rows > 0 && type.isNullable ? [UInt8](repeating: 0, count: rows) : nil)
        }
        let values = [T](unsafeUninitializedCapacity: rows) { out, initialized in
            table.fields.withUnsafeBufferPointer { fields in
                        var k = field
                        for r in 0..<rows {
                            let f = fields[k].flags
                            var value = zero
                            if f == 0 || f == FieldFlags.quoted {
                                let s = Int(fields[k].start)
                                let (v, st) = parse(base + s, Int(fields[k].end) - s)
                                if st == .ok { value = v } else { report(st, type, index, r, k, &bad) }
                            } else if f & (FieldFlags.null | FieldFlags.missing) != 0 {
                                nullAt(r, rows, type, index, k, f, &validity, &bad)
                            } else if f & FieldFlags.nested != 0 {
                                report(.invalid, type, index, r, k, &bad, nested: true)
                            } else {
                                // Escaped: unescape into the scratch buffer, then parse that.
                                scratch.removeAll(keepingCapacity: true)
                                let s = Int(fields[k].start)
                                if escape.unescape(base + s, Int(fields[k].end) - s, into: &scratch) {
                                    let (v, st) = scratch.withUnsafeBufferPointer { sp in
                                        parse(sp.baseAddress ?? UnsafePointer(base), sp.count)
                                    }
                                    if st == .ok { value = v } else { report(st, type, index, r, k, &bad) }
                                } else {
                                    report(.invalid, type, index, r, k, &bad, badEscape: true)
                                }
                            }
                            (out.baseAddress! + r).initialize(to: value)
                            k &+= width
                        }
            }
            initialized = rows
        }
        return (values, validity)
    }

    private func strings(_ type: DataType, _ index: Int, _ field: Int, _ bad: inout [BadValue]) -> (StringArray, [UInt8]?) {
        let rows = table.rowCount
        let width = table.width
        var validity: [UInt8]? = nil
        var out = StringArray()
        guard let base = bytes.baseAddress, rows > 0 else {
            for _ in 0..<rows { out.appendEmpty() }
            return (out, rows > 0 && type.isNullable ? [UInt8](repeating: 0, count: rows) : nil)
        }
        var total = 0
        var k = field
        for _ in 0..<rows { total &+= Int(table.fields[k].end &- table.fields[k].start); k &+= width }
        out.reserve(count: rows, bytes: total)
        table.fields.withUnsafeBufferPointer { fields in
            var k = field
            for r in 0..<rows {
                let f = fields[k].flags
                let s = Int(fields[k].start)
                if f & (FieldFlags.null | FieldFlags.missing) != 0 {
                    nullAt(r, rows, type, index, k, f, &validity, &bad)
                    out.appendEmpty()
                } else if f & FieldFlags.escaped == 0 {
                    out.bytes.append(contentsOf: UnsafeBufferPointer(start: base + s, count: Int(fields[k].end) - s))
                    out.offsets.append(UInt32(truncatingIfNeeded: out.bytes.count))
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    if escape.unescape(base + s, Int(fields[k].end) - s, into: &scratch) {
                        out.bytes.append(contentsOf: scratch)
                    } else {
                        report(.invalid, type, index, r, k, &bad, badEscape: true)
                    }
                    out.offsets.append(UInt32(truncatingIfNeeded: out.bytes.count))
                }
                k &+= width
            }
        }
        return (out, validity)
    }

    /// A NULL (or absent value) at row r: a cleared validity bit for nullable columns; for
    /// NOT NULL columns an absent value is the type's zero and a NULL is rejected (23502).
    @inline(never)
    private func nullAt(_ r: Int, _ rows: Int, _ type: DataType, _ index: Int, _ k: Int, _ f: UInt8,
                        _ validity: inout [UInt8]?, _ bad: inout [BadValue]) {
        if type.isNullable {
            if validity == nil { validity = [UInt8](repeating: 1, count: rows) }
            validity![r] = 0
        } else if f & FieldFlags.missing == 0 {
            bad.append(BadValue(row: r, column: index, code: .notNullViolation,
                                reason: "NULL into the NOT NULL column (type \(type))", value: "NULL"))
        }
    }

    @inline(never)
    private func report(_ status: ParseStatus, _ type: DataType, _ index: Int, _ r: Int, _ k: Int,
                        _ bad: inout [BadValue], nested: Bool = false, badEscape: Bool = false) {
        let s = Int(table.fields[k].start), e = Int(table.fields[k].end)
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
        let plain = type.plain
        let code: SQLState
        let reason: String
        if badEscape {
            code = .invalidTextRepresentation
            reason = "malformed escape sequence in a value for type \(plain)"
        } else if nested {
            code = .invalidTextRepresentation
            reason = "a JSON object or array cannot be loaded into a column of type \(plain)"
        } else if status == .outOfRange {
            code = type.isTemporal ? .datetimeFieldOverflow : .numericValueOutOfRange
            reason = "value out of range for type \(plain)"
        } else {
            code = type.isTemporal ? .invalidDatetimeFormat : .invalidTextRepresentation
            reason = "invalid input syntax for type \(plain)"
        }
        bad.append(BadValue(row: r, column: index, code: code, reason: reason, value: text))
    }
}
