import AurumCore

// Helpers that move column vectors to and from raw little-endian payloads.
// Dispatch on the physical type happens once per call; the loops are generic and typed.

extension PhysicalType {
    /// Bytes per value, 0 for strings.
    var width: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        case .int128, .uint128: return 16
        case .string: return 0
        }
    }
}

extension ColumnData {
    /// Calls `body` with the raw bytes of a fixed-width vector; nil for strings.
    func withFixedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        switch self {
        case .int8(let a): return try a.withUnsafeBytes(body)
        case .int16(let a): return try a.withUnsafeBytes(body)
        case .int32(let a): return try a.withUnsafeBytes(body)
        case .int64(let a): return try a.withUnsafeBytes(body)
        case .int128(let a): return try a.withUnsafeBytes(body)
        case .uint8(let a): return try a.withUnsafeBytes(body)
        case .uint16(let a): return try a.withUnsafeBytes(body)
        case .uint32(let a): return try a.withUnsafeBytes(body)
        case .uint64(let a): return try a.withUnsafeBytes(body)
        case .uint128(let a): return try a.withUnsafeBytes(body)
        case .float32(let a): return try a.withUnsafeBytes(body)
        case .float64(let a): return try a.withUnsafeBytes(body)
        case .string: return nil
        }
    }

    /// A fixed-width vector of `count` values whose bytes `fill` initialises completely.
    static func fromRaw(_ p: PhysicalType, count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> ColumnData {
        func mk<T>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buf, n in
                try fill(UnsafeMutableRawBufferPointer(buf))
                n = count
            }
        }
        switch p {
        case .int8: return .int8(try mk(Int8.self))
        case .int16: return .int16(try mk(Int16.self))
        case .int32: return .int32(try mk(Int32.self))
        case .int64: return .int64(try mk(Int64.self))
        case .int128: return .int128(try mk(Int128.self))
        case .uint8: return .uint8(try mk(UInt8.self))
        case .uint16: return .uint16(try mk(UInt16.self))
        case .uint32: return .uint32(try mk(UInt32.self))
        case .uint64: return .uint64(try mk(UInt64.self))
        case .uint128: return .uint128(try mk(UInt128.self))
        case .float32: return .float32(try mk(Float.self))
        case .float64: return .float64(try mk(Double.self))
        case .string: preconditionFailure("fromRaw on strings")
        }
    }

    /// `count` copies of row `i`.
    func repeated(_ i: Int, count: Int) -> ColumnData {
        func rep<T>(_ a: [T]) -> [T] { [T](repeating: a[i], count: count) }
        switch self {
        case .int8(let a): return .int8(rep(a))
        case .int16(let a): return .int16(rep(a))
        case .int32(let a): return .int32(rep(a))
        case .int64(let a): return .int64(rep(a))
        case .int128(let a): return .int128(rep(a))
        case .uint8(let a): return .uint8(rep(a))
        case .uint16(let a): return .uint16(rep(a))
        case .uint32(let a): return .uint32(rep(a))
        case .uint64(let a): return .uint64(rep(a))
        case .uint128(let a): return .uint128(rep(a))
        case .float32(let a): return .float32(rep(a))
        case .float64(let a): return .float64(rep(a))
        case .string(let s):
            let piece = s.byteSlice(at: i)
            var out = StringArray()
            out.reserve(count: count, bytes: piece.count * count)
            for _ in 0..<count { out.append(contentsOf: piece) }
            return .string(out)
        }
    }
}

/// Values payload encoding shared by column blocks, min/max files and the primary index.
///
/// Fixed width: the values, little-endian, back to back.
/// String:      `rows` × UInt32 LE byte lengths, then the bytes of all rows back to back.
enum ValuesCodec {
    /// Appends the payload for `rows` of `data` to `out`.
    static func append(_ data: ColumnData, rows: Range<Int>, to out: inout [UInt8]) {
        if case .string(let s) = data {
            let base = Int(s.offsets[rows.lowerBound]), end = Int(s.offsets[rows.upperBound])
            let start = out.count
            out.reserveCapacity(start + rows.count * 4 + (end - base))
            out.append(contentsOf: repeatElement(0, count: rows.count * 4))
            out.withUnsafeMutableBytes { b in
                s.offsets.withUnsafeBufferPointer { o in
                    var pos = start
                    for i in rows {
                        b.storeBytes(of: (o[i + 1] &- o[i]).littleEndian, toByteOffset: pos, as: UInt32.self)
                        pos += 4
                    }
                }
            }
            s.bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[base..<end])) }
            return
        }
        let w = data.physical.width
        data.withFixedBytes { b in
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[(rows.lowerBound * w)..<(rows.upperBound * w)]))
        }
    }

    /// Uncompressed payload size of `rows` of `data`.
    static func size(_ data: ColumnData, rows: Range<Int>) -> Int {
        if case .string(let s) = data {
            return rows.count * 4 + Int(s.offsets[rows.upperBound] - s.offsets[rows.lowerBound])
        }
        return rows.count * data.physical.width
    }

    enum DecodeError: Error { case malformed(String) }

    /// Decodes `count` values of physical type `p` from `b[offset...]`; advances `offset`.
    static func decode(_ p: PhysicalType, count: Int, from b: UnsafeRawBufferPointer, offset: inout Int) throws(DecodeError) -> ColumnData {
        if p == .string {
            guard count >= 0, offset + count * 4 <= b.count else { throw .malformed("string lengths past end of payload") }
            var offs = [UInt32](repeating: 0, count: count + 1)
            var total = 0
            for i in 0..<count {
                let l = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
                total += Int(l)
                guard total <= Int(UInt32.max) else { throw .malformed("string bytes exceed 4 GiB") }
                offs[i + 1] = UInt32(total)
            }
            offset += count * 4
            guard offset + total <= b.count else { throw .malformed("string bytes past end of payload") }
            let bytes = Array(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + total)]))
            offset += total
            return .string(StringArray(offsets: offs, bytes: bytes))
        }
        let n = count * p.width
        guard count >= 0, offset + n <= b.count else { throw .malformed("values past end of payload") }
        let start = offset
        offset += n
        return ColumnData.fromRaw(p, count: count) { dst in
            if n > 0 { dst.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: n) }
        }
    }
}

/// Per-granule min/max over non-null, non-NaN values.
enum GranuleMinMax {
    /// Flags per granule: bit 0 = has NULL, bit 1 = all NULL (or all NaN: no min/max), bit 2 = has NaN.
    static let hasNull: UInt8 = 1, allNull: UInt8 = 2, hasNaN: UInt8 = 4

    static func compute(_ data: ColumnData, validity: [UInt8]?, granularity: Int, rows: Int)
        -> (min: ColumnData, max: ColumnData, flags: [UInt8]) {
        let g = (rows + granularity - 1) / granularity
        var flags = [UInt8](repeating: 0, count: g)
        func fixed<T: Comparable>(_ a: [T], zero: T) -> ([T], [T]) {
            var mins = [T](repeating: zero, count: g), maxs = [T](repeating: zero, count: g)
            a.withUnsafeBufferPointer { p in
                for k in 0..<g {
                    let lo = k * granularity, hi = min(rows, lo + granularity)
                    var mn = zero, mx = zero, any = false, f: UInt8 = 0
                    for i in lo..<hi {
                        if let v = validity, v[i] == 0 { f |= hasNull; continue }
                        let x = p[i]
                        if x != x { f |= hasNaN; continue }
                        if !any { mn = x; mx = x; any = true } else {
                            if x < mn { mn = x }
                            if mx < x { mx = x }
                        }
                    }
                    if !any { f |= allNull }
                    flags[k] = f
                    mins[k] = mn; maxs[k] = mx
                }
            }
            return (mins, maxs)
        }
        switch data {
        case .int8(let a): let r = fixed(a, zero: 0); return (.int8(r.0), .int8(r.1), flags)
        case .int16(let a): let r = fixed(a, zero: 0); return (.int16(r.0), .int16(r.1), flags)
        case .int32(let a): let r = fixed(a, zero: 0); return (.int32(r.0), .int32(r.1), flags)
        case .int64(let a): let r = fixed(a, zero: 0); return (.int64(r.0), .int64(r.1), flags)
        case .int128(let a): let r = fixed(a, zero: 0); return (.int128(r.0), .int128(r.1), flags)
        case .uint8(let a): let r = fixed(a, zero: 0); return (.uint8(r.0), .uint8(r.1), flags)
        case .uint16(let a): let r = fixed(a, zero: 0); return (.uint16(r.0), .uint16(r.1), flags)
        case .uint32(let a): let r = fixed(a, zero: 0); return (.uint32(r.0), .uint32(r.1), flags)
        case .uint64(let a): let r = fixed(a, zero: 0); return (.uint64(r.0), .uint64(r.1), flags)
        case .uint128(let a): let r = fixed(a, zero: 0); return (.uint128(r.0), .uint128(r.1), flags)
        case .float32(let a): let r = fixed(a, zero: 0); return (.float32(r.0), .float32(r.1), flags)
        case .float64(let a): let r = fixed(a, zero: 0); return (.float64(r.0), .float64(r.1), flags)
        case .string(let s):
            var mins = StringArray(), maxs = StringArray()
            for k in 0..<g {
                let lo = k * granularity, hi = min(rows, lo + granularity)
                var mn = -1, mx = -1, f: UInt8 = 0
                for i in lo..<hi {
                    if let v = validity, v[i] == 0 { f |= hasNull; continue }
                    if mn < 0 { mn = i; mx = i; continue }
                    if s.compare(i, s, mn) < 0 { mn = i }
                    if s.compare(i, s, mx) > 0 { mx = i }
                }
                if mn < 0 { f |= allNull; mins.appendEmpty(); maxs.appendEmpty() } else {
                    mins.append(from: s, at: mn); maxs.append(from: s, at: mx)
                }
                flags[k] = f
            }
            return (.string(mins), .string(maxs), flags)
        }
    }
}

extension DataType {
    /// Parses the spelling `DataType.description` produces (`Nullable(Decimal(18, 2))`,
    /// `LowCardinality(String)`, `DateTime64(3)`, ...). Used for `columns.txt`.
    static func parseDescription(_ text: String) throws -> DataType {
        let t = Substring(text).trimmingSpaces
        func unwrap(_ prefix: String) -> Substring? {
            guard t.hasPrefix(prefix + "("), t.hasSuffix(")") else { return nil }
            return t.dropFirst(prefix.count + 1).dropLast()
        }
        if let inner = unwrap("LowCardinality") {
            var d = try parseDescription(String(inner))
            d.isLowCardinality = true
            return d
        }
        if let inner = unwrap("Nullable") {
            var d = try parseDescription(String(inner))
            d.isNullable = true
            return d
        }
        if t == "Nothing" { return .nothing }
        var name = t
        var args: [Int] = []
        if let open = t.firstIndex(of: "("), t.hasSuffix(")") {
            name = t[..<open]
            for a in t[t.index(after: open)..<t.index(before: t.endIndex)].split(separator: ",") {
                guard let v = Int(a.trimmingSpaces) else {
                    throw AurumError(.invalidTextRepresentation, "bad type argument in \"\(text)\"")
                }
                args.append(v)
            }
        }
        return try DataType.named(String(name), arguments: args)
    }
}
