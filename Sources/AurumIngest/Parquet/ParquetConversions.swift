import AurumCore

/// Turning a chunk's physical values into Aurum column data (`ParquetConversion`), and
/// spreading dense non-NULL values over the rows of a nullable column.
enum ParquetConvert {
    static func outOfRange(_ what: String) -> AurumError {
        AurumError(.badCopyFileFormat, what)
    }

    static func narrow<S: FixedWidthInteger, D: FixedWidthInteger>(_ a: [S], to: D.Type, typeName: String) throws -> [D] {
        var bad: S? = nil
        let out = [D](unsafeUninitializedCapacity: a.count) { buf, n in
            a.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    let v = src[i]
                    let d = D(truncatingIfNeeded: v)
                    if S(truncatingIfNeeded: d) != v || (d < 0) != (v < 0) { if bad == nil { bad = v } }
                    buf[i] = d
                }
            }
            n = a.count
        }
        if let bad { throw outOfRange("value \(bad) does not fit the column's \(typeName) annotation") }
        return out
    }

    /// INT96 (8 bytes nanoseconds of the day, 4 bytes Julian day, little-endian) → ns since epoch.
    static func int96(_ bytes: [UInt8]) throws -> [Int64] {
        let n = bytes.count / 12
        var bad = false
        let out = [Int64](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { src in
                for i in 0..<n {
                    let nanos = Int64(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i * 12, as: UInt64.self)))
                    let day = Int64(Int32(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 12 + 8, as: UInt32.self))))
                    let (d, o1) = (day - 2_440_588).multipliedReportingOverflow(by: 86_400_000_000_000)
                    let (t, o2) = d.addingReportingOverflow(nanos)
                    if o1 || o2 { bad = true }
                    buf[i] = t
                }
            }
            count = n
        }
        if bad {
            throw AurumError(.datetimeFieldOverflow, "an INT96 timestamp is outside DateTime64(9)'s range (years 1677-2262)")
        }
        return out
    }

    /// A big-endian two's complement integer of `len` bytes, or nil when it does not fit Int128.
    @inline(__always)
    static func bigEndian(_ p: UnsafePointer<UInt8>, _ len: Int) -> Int128? {
        if len == 0 { return 0 }
        var start = 0
        if len > 16 {
            let fill: UInt8 = p[0] & 0x80 != 0 ? 0xFF : 0
            for k in 0..<(len - 16) where p[k] != fill { return nil }
            start = len - 16
            if (p[start] & 0x80 != 0) != (fill == 0xFF) { return nil }
        }
        var v: Int128 = p[start] & 0x80 != 0 ? -1 : 0
        for k in start..<len { v = (v << 8) | Int128(p[k]) }
        return v
    }

    static func decimalsFixed(_ bytes: [UInt8], width: Int, wide: Bool, column: String) throws -> ColumnData {
        guard width > 0 else { return wide ? .int128([]) : .int64([]) }
        let n = bytes.count / width
        if !wide && width <= 8 {
            // The common case (Spark/pyarrow DECIMAL(p <= 18) in 1-8 bytes): straight to Int64.
            let out = [Int64](unsafeUninitializedCapacity: n) { buf, count in
                bytes.withUnsafeBufferPointer { src in
                    let p = src.baseAddress!
                    for i in 0..<n {
                        let q = p + i * width
                        var v: Int64 = q[0] & 0x80 != 0 ? -1 : 0
                        for k in 0..<width { v = (v << 8) | Int64(q[k]) }
                        buf[i] = v
                    }
                }
                count = n
            }
            return .int64(out)
        }
        return try bytes.withUnsafeBufferPointer { src in
            var wideOut = [Int128](repeating: 0, count: n)
            for i in 0..<n {
                guard let v = bigEndian(src.baseAddress! + i * width, width) else {
                    throw outOfRange("a DECIMAL value of \(width) bytes does not fit 128 bits")
                }
                wideOut[i] = v
            }
            return try wide ? .int128(wideOut) : .int64(toInt64(wideOut))
        }
    }

    static func decimalsVariable(_ s: StringArray, wide: Bool) throws -> ColumnData {
        let n = s.count
        var out = [Int128](repeating: 0, count: n)
        try s.bytes.withUnsafeBufferPointer { b in
            for i in 0..<n {
                let a = Int(s.offsets[i]), l = Int(s.offsets[i + 1]) - a
                guard let v = l == 0 ? 0 : bigEndian(b.baseAddress! + a, l) else {
                    throw outOfRange("a DECIMAL value of \(l) bytes does not fit 128 bits")
                }
                out[i] = v
            }
        }
        return try wide ? .int128(out) : .int64(toInt64(out))
    }

    static func toInt64(_ a: [Int128]) throws -> [Int64] {
        var out = [Int64](repeating: 0, count: a.count)
        for i in 0..<a.count {
            guard let v = Int64(exactly: a[i]) else { throw outOfRange("DECIMAL value \(a[i]) exceeds 18 digits") }
            out[i] = v
        }
        return out
    }

    static func uuids(_ bytes: [UInt8]) -> [UInt128] {
        let n = bytes.count / 16
        var out = [UInt128](repeating: 0, count: n)
        bytes.withUnsafeBytes { src in
            for i in 0..<n {
                let hi = UInt64(bigEndian: src.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self))
                let lo = UInt64(bigEndian: src.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self))
                out[i] = UInt128(hi) << 64 | UInt128(lo)
            }
        }
        return out
    }

    static func float16s(_ bytes: [UInt8]) -> [Float] {
        let n = bytes.count / 2
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let h = UInt32(bytes[2 * i]) | UInt32(bytes[2 * i + 1]) << 8
            let sign = (h & 0x8000) << 16
            let exp = (h >> 10) & 0x1F
            let mant = h & 0x3FF
            let bits: UInt32
            if exp == 0 {
                // zero or subnormal: mant * 2^-24
                let f = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
                bits = f.bitPattern | sign
            } else if exp == 31 {
                bits = sign | 0x7F80_0000 | (mant << 13)
            } else {
                bits = sign | ((exp + 112) << 23) | (mant << 13)
            }
            out[i] = Float(bitPattern: bits)
        }
        return out
    }

    static func fixedStrings(_ bytes: [UInt8], width: Int) throws -> StringArray {
        guard bytes.count <= Int(UInt32.max) else { throw ByteArraySink.tooLarge() }
        let n = width > 0 ? bytes.count / width : 0
        var offsets = [UInt32](repeating: 0, count: n + 1)
        for i in 0...n { offsets[i] = UInt32(truncatingIfNeeded: i * width) }
        return StringArray(offsets: offsets, bytes: bytes)
    }

    /// Spreads `dense` (the non-NULL values in row order) over `validity.count` rows, zero
    /// (or the empty string) under NULLs.
    static func scatter(_ dense: ColumnData, validity: [UInt8]) -> ColumnData {
        func spread<T>(_ a: [T], _ zero: T) -> [T] {
            [T](unsafeUninitializedCapacity: validity.count) { buf, n in
                a.withUnsafeBufferPointer { src in
                    validity.withUnsafeBufferPointer { v in
                        var k = 0
                        for i in 0..<v.count {
                            if v[i] != 0 { buf.baseAddress!.advanced(by: i).initialize(to: src[k]); k += 1 }
                            else { buf.baseAddress!.advanced(by: i).initialize(to: zero) }
                        }
                    }
                }
                n = validity.count
            }
        }
        switch dense {
        case .int8(let a): return .int8(spread(a, 0))
        case .int16(let a): return .int16(spread(a, 0))
        case .int32(let a): return .int32(spread(a, 0))
        case .int64(let a): return .int64(spread(a, 0))
        case .int128(let a): return .int128(spread(a, 0))
        case .uint8(let a): return .uint8(spread(a, 0))
        case .uint16(let a): return .uint16(spread(a, 0))
        case .uint32(let a): return .uint32(spread(a, 0))
        case .uint64(let a): return .uint64(spread(a, 0))
        case .uint128(let a): return .uint128(spread(a, 0))
        case .float32(let a): return .float32(spread(a, 0))
        case .float64(let a): return .float64(spread(a, 0))
        case .string(let s):
            var offsets = [UInt32](repeating: 0, count: validity.count + 1)
            s.offsets.withUnsafeBufferPointer { so in
                validity.withUnsafeBufferPointer { v in
                    offsets.withUnsafeMutableBufferPointer { o in
                        var k = 0
                        for i in 0..<v.count {
                            if v[i] != 0 { k += 1 }
                            o[i + 1] = so[k]
                        }
                    }
                }
            }
            return .string(StringArray(offsets: offsets, bytes: s.bytes))
        }
    }
}
