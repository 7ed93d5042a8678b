import AurumCore

/// Receives the decoded non-NULL values of one column chunk, page by page, in the physical
/// representation of its Parquet type. One sink per physical type family, so the page loop
/// (`ParquetChunkDecoder`) is generic and each sink's loops specialise.
protocol ParquetValueSink {
    /// The chunk's dictionary page (PLAIN-encoded values).
    mutating func setDictionary(_ data: UnsafeRawBufferPointer, count: Int) throws
    /// `count` values of a data page in `encoding`.
    mutating func decode(_ data: UnsafeRawBufferPointer, encoding: Int, count: Int) throws
}

func unsupportedEncoding(_ encoding: Int, _ type: String) -> AurumError {
    AurumError(.featureNotSupported, "\(ParquetEncoding.name(encoding)) encoding of \(type) values is not supported")
}

/// Appends `n` slots to `array` and lets `body` fill them (all `n` must be written).
@inline(__always)
func appendSlots<T>(_ array: inout [T], _ n: Int, zero: T, _ body: (UnsafeMutablePointer<T>) throws -> Void) rethrows {
    let start = array.count
    array.append(contentsOf: repeatElement(zero, count: n))
    try array.withUnsafeMutableBufferPointer { try body($0.baseAddress! + start) }
}

/// Appends the first `n` bytes of `src` (which holds at least `n`) with one memcpy.
@inline(__always)
func appendBytes(_ array: inout [UInt8], _ src: UnsafeRawBufferPointer, _ n: Int) {
    guard n > 0 else { return }
    appendSlots(&array, n, zero: 0) { UnsafeMutableRawPointer($0).copyMemory(from: src.baseAddress!, byteCount: n) }
}

/// RLE_DICTIONARY / PLAIN_DICTIONARY indices: a bit-width byte, then the hybrid runs.
/// Checks every index against the dictionary size.
func decodeDictionaryIndices(_ data: UnsafeRawBufferPointer, count: Int, dictionaryCount: Int,
                             into indices: inout [UInt32]) throws {
    if indices.count < count { indices = [UInt32](repeating: 0, count: count) }
    if count == 0 { return }
    var c = ByteCursor(data)
    let width = Int(try c.readByte())
    try indices.withUnsafeMutableBufferPointer { idx in
        try RLEHybrid.decode(c.rest(), bitWidth: width, count: count, into: idx.baseAddress!)
        var maxIndex: UInt32 = 0
        for i in 0..<count { maxIndex = Swift.max(maxIndex, idx[i]) }
        guard Int(maxIndex) < dictionaryCount else {
            throw pageError("dictionary index \(maxIndex) out of range (the dictionary has \(dictionaryCount) values)")
        }
    }
}

/// Fixed-width little-endian values: INT32, INT64, FLOAT, DOUBLE.
protocol ParquetFixedValue: BitwiseCopyable {
    static var parquetZero: Self { get }
    static var isInteger: Bool { get }
    init(deltaTruncating v: Int64)
}

extension Int32: ParquetFixedValue {
    static var parquetZero: Int32 { 0 }
    static var isInteger: Bool { true }
    init(deltaTruncating v: Int64) { self.init(truncatingIfNeeded: v) }
}
extension Int64: ParquetFixedValue {
    static var parquetZero: Int64 { 0 }
    static var isInteger: Bool { true }
    init(deltaTruncating v: Int64) { self = v }
}
extension Float: ParquetFixedValue {
    static var parquetZero: Float { 0 }
    static var isInteger: Bool { false }
    init(deltaTruncating v: Int64) { self = 0 }
}
extension Double: ParquetFixedValue {
    static var parquetZero: Double { 0 }
    static var isInteger: Bool { false }
    init(deltaTruncating v: Int64) { self = 0 }
}

struct FixedValueSink<T: ParquetFixedValue>: ParquetValueSink {
    var values: [T] = []
    var dictionary: [T]?
    var indices: [UInt32] = []
    let typeName: String

    init(capacity: Int, typeName: String) {
        values.reserveCapacity(capacity)
        self.typeName = typeName
    }

    mutating func setDictionary(_ data: UnsafeRawBufferPointer, count: Int) throws {
        let size = MemoryLayout<T>.size
        guard data.count >= count * size else { throw pageError("dictionary page holds \(data.count) bytes, \(count * size) expected") }
        var d = [T]()
        if count > 0 {
            appendSlots(&d, count, zero: T.parquetZero) { UnsafeMutableRawPointer($0).copyMemory(from: data.baseAddress!, byteCount: count * size) }
        }
        dictionary = d
    }

    mutating func decode(_ data: UnsafeRawBufferPointer, encoding: Int, count: Int) throws {
        let size = MemoryLayout<T>.size
        switch encoding {
        case ParquetEncoding.plain:
            guard data.count >= count * size else { throw pageError("PLAIN page holds \(data.count) bytes, \(count * size) expected for \(count) values") }
            if count > 0 {
                appendSlots(&values, count, zero: T.parquetZero) { UnsafeMutableRawPointer($0).copyMemory(from: data.baseAddress!, byteCount: count * size) }
            }
        case ParquetEncoding.rleDictionary, ParquetEncoding.plainDictionary:
            guard let dict = dictionary else { throw pageError("dictionary-encoded page without a dictionary page") }
            try decodeDictionaryIndices(data, count: count, dictionaryCount: dict.count, into: &indices)
            indices.withUnsafeBufferPointer { idx in
                dict.withUnsafeBufferPointer { d in
                    appendSlots(&values, count, zero: T.parquetZero) { out in
                        for i in 0..<count { out[i] = d[Int(idx[i])] }
                    }
                }
            }
        case ParquetEncoding.deltaBinaryPacked where T.isInteger:
            var c = ByteCursor(data)
            if T.self == Int32.self {
                var tmp = [Int32](repeating: 0, count: count)
                try tmp.withUnsafeMutableBufferPointer { try DeltaBinaryPacked.decode(&c, count: count, into: $0.baseAddress!) }
                tmp.withUnsafeBytes { src in appendSlots(&values, count, zero: T.parquetZero) { UnsafeMutableRawPointer($0).copyMemory(from: src.baseAddress!, byteCount: src.count) } }
            } else {
                var tmp = [Int64](repeating: 0, count: count)
                try tmp.withUnsafeMutableBufferPointer { try DeltaBinaryPacked.decode(&c, count: count, into: $0.baseAddress!) }
                tmp.withUnsafeBytes { src in appendSlots(&values, count, zero: T.parquetZero) { UnsafeMutableRawPointer($0).copyMemory(from: src.baseAddress!, byteCount: src.count) } }
            }
        case ParquetEncoding.byteStreamSplit:
            try appendSlots(&values, count, zero: T.parquetZero) { try ByteStreamSplit.decode(data, width: size, count: count, into: UnsafeMutableRawPointer($0)) }
        default:
            throw unsupportedEncoding(encoding, typeName)
        }
    }
}

/// BOOLEAN: PLAIN (bit-packed, LSB first) or RLE (a 4-byte length, then 1-bit hybrid runs).
struct BoolSink: ParquetValueSink {
    var values: [UInt8] = []

    init(capacity: Int) { values.reserveCapacity(capacity) }

    mutating func setDictionary(_ data: UnsafeRawBufferPointer, count: Int) throws {
        throw AurumError(.featureNotSupported, "dictionary-encoded BOOLEAN columns are not supported")
    }

    mutating func decode(_ data: UnsafeRawBufferPointer, encoding: Int, count: Int) throws {
        switch encoding {
        case ParquetEncoding.plain:
            guard data.count * 8 >= count else { throw pageError("PLAIN BOOLEAN page holds \(data.count) bytes for \(count) values") }
            appendSlots(&values, count, zero: 0) { BitUnpacking.unpack(data, startBit: 0, width: 1, count: count, into: $0) }
        case ParquetEncoding.rle:
            var c = ByteCursor(data)
            let length = Int(try c.readUInt32())
            let runs = try c.take(length)
            try appendSlots(&values, count, zero: 0) { try RLEHybrid.decode(runs, bitWidth: 1, count: count, into: $0) }
        default:
            throw unsupportedEncoding(encoding, "BOOLEAN")
        }
    }
}

/// BYTE_ARRAY values into one offsets + bytes array.
struct ByteArraySink: ParquetValueSink {
    var values = StringArray()
    var dictionary: StringArray?
    /// The dictionary's bytes followed by 16 zero bytes (see `gather`).
    var paddedDictionary: [UInt8] = []
    var indices: [UInt32] = []
    var previous: [UInt8] = []

    init(capacity: Int) { values.offsets.reserveCapacity(capacity + 1) }

    static func tooLarge() -> AurumError {
        AurumError(.featureNotSupported, "more than 4 GiB of string data in one row group column",
                   hint: "write the file with smaller row groups")
    }

    /// PLAIN: each value is a 4-byte little-endian length and the bytes.
    static func decodePlain(_ data: UnsafeRawBufferPointer, count: Int, into out: inout StringArray) throws {
        // Pass 1: validate lengths and size the bytes.
        var pos = 0
        var total = 0
        for _ in 0..<count {
            guard data.count - pos >= 4 else { throw pageError("PLAIN BYTE_ARRAY page ends after \(pos) bytes") }
            let len = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: pos, as: UInt32.self)))
            pos += 4
            guard len <= data.count - pos else { throw pageError("PLAIN BYTE_ARRAY value of \(len) bytes past the end of the page") }
            pos += len
            total += len
        }
        let base = out.bytes.count
        guard base + total <= Int(UInt32.max) else { throw tooLarge() }
        let firstOffset = out.offsets.count
        appendSlots(&out.offsets, count, zero: 0) { _ in }
        appendSlots(&out.bytes, total, zero: 0) { _ in }
        out.bytes.withUnsafeMutableBytes { dst in
            out.offsets.withUnsafeMutableBufferPointer { offs in
                var pos = 0
                var at = base
                for i in 0..<count {
                    let len = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: pos, as: UInt32.self)))
                    pos += 4
                    if len > 0 { (dst.baseAddress! + at).copyMemory(from: data.baseAddress! + pos, byteCount: len) }
                    pos += len
                    at += len
                    offs[firstOffset + i] = UInt32(truncatingIfNeeded: at)
                }
            }
        }
    }

    /// Appends `count` values from `src` selected by `indices` (already range-checked).
    /// `padded` is `src.bytes` plus 16 zero bytes: values of up to 16 bytes (most dictionary
    /// strings) are then copied as two unaligned 8-byte words instead of a memcpy call.
    static func gather(_ src: StringArray, padded: [UInt8], _ indices: UnsafeBufferPointer<UInt32>,
                       into out: inout StringArray) throws {
        let count = indices.count
        var total = 0
        src.offsets.withUnsafeBufferPointer { o in
            for i in 0..<count { let k = Int(indices[i]); total += Int(o[k + 1] &- o[k]) }
        }
        let base = out.bytes.count
        guard base + total <= Int(UInt32.max) else { throw tooLarge() }
        let firstOffset = out.offsets.count
        let slack = 16
        appendSlots(&out.offsets, count, zero: 0) { _ in }
        appendSlots(&out.bytes, total + slack, zero: 0) { _ in }
        out.bytes.withUnsafeMutableBytes { dst in
            out.offsets.withUnsafeMutableBufferPointer { offs in
                src.offsets.withUnsafeBufferPointer { so in
                    padded.withUnsafeBytes { sb in
                        let d = dst.baseAddress!, s = sb.baseAddress!
                        var at = base
                        for i in 0..<count {
                            let k = Int(indices[i])
                            let a = Int(so[k]), len = Int(so[k + 1] &- so[k])
                            if len <= slack {
                                d.storeBytes(of: s.loadUnaligned(fromByteOffset: a, as: UInt64.self), toByteOffset: at, as: UInt64.self)
                                d.storeBytes(of: s.loadUnaligned(fromByteOffset: a + 8, as: UInt64.self), toByteOffset: at + 8, as: UInt64.self)
                            } else {
                                (d + at).copyMemory(from: s + a, byteCount: len)
                            }
                            at += len
                            offs[firstOffset + i] = UInt32(truncatingIfNeeded: at)
                        }
                    }
                }
            }
        }
        out.bytes.removeLast(slack)
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths (DELTA_BINARY_PACKED), then all bytes.
    static func decodeDeltaLength(_ cursor: inout ByteCursor, count: Int, into out: inout StringArray) throws {
        let lengths = try DeltaBinaryPacked.decodeLengths(&cursor, count: count)
        var total = 0
        for l in lengths {
            guard l >= 0 else { throw pageError("negative length \(l) in DELTA_LENGTH_BYTE_ARRAY") }
            total += Int(l)
        }
        let bytes = try cursor.take(total)
        let base = out.bytes.count
        guard base + total <= Int(UInt32.max) else { throw tooLarge() }
        appendBytes(&out.bytes, bytes, total)
        out.offsets.reserveCapacity(out.offsets.count + count)
        var at = base
        for l in lengths {
            at += Int(l)
            out.offsets.append(UInt32(truncatingIfNeeded: at))
        }
    }

    /// DELTA_BYTE_ARRAY: prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY; each
    /// value is the first `prefix` bytes of the previous value followed by its suffix.
    static func decodeDeltaByteArray(_ data: UnsafeRawBufferPointer, count: Int, previous: inout [UInt8],
                                     _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var c = ByteCursor(data)
        let prefixes = try DeltaBinaryPacked.decodeLengths(&c, count: count)
        var suffixes = StringArray()
        try decodeDeltaLength(&c, count: count, into: &suffixes)
        previous.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let p = Int(prefixes[i])
            guard p >= 0 && p <= previous.count else {
                throw pageError("DELTA_BYTE_ARRAY prefix \(p) longer than the previous value (\(previous.count) bytes)")
            }
            previous.removeLast(previous.count - p)
            previous.append(contentsOf: suffixes.bytes[Int(suffixes.offsets[i])..<Int(suffixes.offsets[i + 1])])
            try previous.withUnsafeBytes { try emit($0) }
        }
    }

    mutating func setDictionary(_ data: UnsafeRawBufferPointer, count: Int) throws {
        var d = StringArray()
        try Self.decodePlain(data, count: count, into: &d)
        dictionary = d
        paddedDictionary = d.bytes
        paddedDictionary.append(contentsOf: repeatElement(0, count: 16))
    }

    mutating func decode(_ data: UnsafeRawBufferPointer, encoding: Int, count: Int) throws {
        switch encoding {
        case ParquetEncoding.plain:
            try Self.decodePlain(data, count: count, into: &values)
        case ParquetEncoding.rleDictionary, ParquetEncoding.plainDictionary:
            guard let dict = dictionary else { throw pageError("dictionary-encoded page without a dictionary page") }
            try decodeDictionaryIndices(data, count: count, dictionaryCount: dict.count, into: &indices)
            try indices.withUnsafeBufferPointer { try Self.gather(dict, padded: paddedDictionary, UnsafeBufferPointer(rebasing: $0[0..<count]), into: &values) }
        case ParquetEncoding.deltaLengthByteArray:
            var c = ByteCursor(data)
            try Self.decodeDeltaLength(&c, count: count, into: &values)
        case ParquetEncoding.deltaByteArray:
            var out = values
            values = StringArray()
            defer { values = out }
            try Self.decodeDeltaByteArray(data, count: count, previous: &previous) { v in
                guard out.bytes.count + v.count <= Int(UInt32.max) else { throw Self.tooLarge() }
                out.append(bytes: v.bindMemory(to: UInt8.self))
            }
        default:
            throw unsupportedEncoding(encoding, "BYTE_ARRAY")
        }
    }
}

/// FIXED_LEN_BYTE_ARRAY (and INT96, 12 bytes) values, `width` bytes each, back to back.
struct FixedLenSink: ParquetValueSink {
    let width: Int
    var values: [UInt8] = []
    var dictionary: [UInt8]?
    var dictionaryCount = 0
    var indices: [UInt32] = []
    var previous: [UInt8] = []
    let typeName: String

    init(width: Int, capacity: Int, typeName: String) {
        self.width = width
        self.typeName = typeName
        values.reserveCapacity(capacity * width)
    }

    var count: Int { values.count / width }

    mutating func setDictionary(_ data: UnsafeRawBufferPointer, count: Int) throws {
        guard data.count >= count * width else { throw pageError("dictionary page holds \(data.count) bytes, \(count * width) expected") }
        var d: [UInt8] = []
        appendBytes(&d, data, count * width)
        dictionary = d
        dictionaryCount = count
    }

    mutating func decode(_ data: UnsafeRawBufferPointer, encoding: Int, count: Int) throws {
        let w = width
        switch encoding {
        case ParquetEncoding.plain:
            guard data.count >= count * w else { throw pageError("PLAIN page holds \(data.count) bytes, \(count * w) expected for \(count) values") }
            appendBytes(&values, data, count * w)
        case ParquetEncoding.rleDictionary, ParquetEncoding.plainDictionary:
            guard let dict = dictionary else { throw pageError("dictionary-encoded page without a dictionary page") }
            try decodeDictionaryIndices(data, count: count, dictionaryCount: dictionaryCount, into: &indices)
            indices.withUnsafeBufferPointer { idx in
                dict.withUnsafeBytes { d in
                    appendSlots(&values, count * w, zero: 0) { out in
                        for i in 0..<count {
                            (out + i * w).initialize(from: d.baseAddress!.assumingMemoryBound(to: UInt8.self) + Int(idx[i]) * w, count: w)
                        }
                    }
                }
            }
        case ParquetEncoding.byteStreamSplit:
            try appendSlots(&values, count * w, zero: 0) { try ByteStreamSplit.decode(data, width: w, count: count, into: UnsafeMutableRawPointer($0)) }
        case ParquetEncoding.deltaByteArray:
            var out = values
            values = []
            defer { values = out }
            try ByteArraySink.decodeDeltaByteArray(data, count: count, previous: &previous) { v in
                guard v.count == w else { throw pageError("DELTA_BYTE_ARRAY value of \(v.count) bytes in a FIXED_LEN_BYTE_ARRAY(\(w)) column") }
                appendBytes(&out, v, v.count)
            }
        default:
            throw unsupportedEncoding(encoding, typeName)
        }
    }
}
