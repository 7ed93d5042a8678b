import AurumCore

#if _endian(big)
#error("the Parquet reader assumes a little-endian host (Parquet stores values little-endian)")
#endif

/// Parquet's `Encoding` enum values.
enum ParquetEncoding {
    static let plain = 0
    static let plainDictionary = 2
    static let rle = 3
    static let bitPacked = 4
    static let deltaBinaryPacked = 5
    static let deltaLengthByteArray = 6
    static let deltaByteArray = 7
    static let rleDictionary = 8
    static let byteStreamSplit = 9

    static func name(_ e: Int) -> String {
        switch e {
        case 0: return "PLAIN"
        case 2: return "PLAIN_DICTIONARY"
        case 3: return "RLE"
        case 4: return "BIT_PACKED"
        case 5: return "DELTA_BINARY_PACKED"
        case 6: return "DELTA_LENGTH_BYTE_ARRAY"
        case 7: return "DELTA_BYTE_ARRAY"
        case 8: return "RLE_DICTIONARY"
        case 9: return "BYTE_STREAM_SPLIT"
        default: return "encoding \(e)"
        }
    }
}

/// A malformed page: 22P04 with what was wrong (the chunk reader adds file, row group,
/// column and page offset).
func pageError(_ message: String) -> AurumError {
    AurumError(.badCopyFileFormat, message)
}

/// Bounds-checked sequential reads over a page's bytes.
/// A reader of bytes that can fail: page data (ByteCursor) and Thrift metadata share the
/// ULEB128 varint decoding below.
protocol VarintReader {
    mutating func readByte() throws -> UInt8
    /// The error for malformed input of this reader's kind.
    func malformed(_ what: String) -> AurumError
}

extension VarintReader {
    /// An unsigned LEB128 varint of at most 64 bits (a longer one is malformed input).
    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try readByte()
            if shift == 63 && b > 1 { throw malformed("varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw malformed("varint too long") }
        }
    }
}

struct ByteCursor: VarintReader {
    let buffer: UnsafeRawBufferPointer
    var position = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - position }

    mutating func readByte() throws -> UInt8 {
        guard position < buffer.count else { throw pageError("page data ends unexpectedly") }
        let b = buffer[position]
        position += 1
        return b
    }

    func malformed(_ what: String) -> AurumError { pageError(what) }

    mutating func readZigzag() throws -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func readUInt32() throws -> UInt32 {
        guard remaining >= 4 else { throw pageError("page data ends unexpectedly") }
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: v)
    }

    /// The next `n` bytes.
    mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else { throw pageError("page data ends unexpectedly (\(n) bytes needed, \(remaining) left)") }
        let r = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + n)])
        position += n
        return r
    }

    /// Everything left.
    mutating func rest() -> UnsafeRawBufferPointer {
        let r = UnsafeRawBufferPointer(rebasing: buffer[position...])
        position = buffer.count
        return r
    }
}

enum BitUnpacking {
    /// Unpacks `count` values of `width` bits (0...64, LSB first, as Parquet packs them)
    /// starting at bit `startBit` of `src`. The caller has checked that `src` holds
    /// `startBit + count * width` bits.
    @inline(__always)
    static func unpack<T: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, startBit: Int, width: Int, count: Int,
                                             into out: UnsafeMutablePointer<T>) {
        if count == 0 { return }
        if width == 0 {
            out.initialize(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = width == 64 ? ~0 : (UInt64(1) << UInt64(width)) &- 1
        let base = src.baseAddress!
        let n = src.count
        // Values whose 8-byte window (plus one more byte for wide values) lies inside the buffer.
        var fast = 0
        if n >= 9 {
            // bit position b = startBit + i*width; need (b >> 3) + 9 <= n
            let lastByteAllowed = n - 9
            let maxBit = lastByteAllowed * 8 + 7
            if maxBit >= startBit { fast = Swift.min(count, (maxBit - startBit) / width + 1) }
        }
        var bit = startBit
        if width <= 56 {
            for i in 0..<fast {
                let w = base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self)
                out[i] = T(truncatingIfNeeded: (UInt64(littleEndian: w) >> UInt64(bit & 7)) & mask)
                bit &+= width
            }
        } else {
            for i in 0..<fast {
                let byte = bit >> 3, shift = UInt64(bit & 7)
                var v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) >> shift
                if shift > 0 { v |= UInt64(base.load(fromByteOffset: byte + 8, as: UInt8.self)) << (64 - shift) }
                out[i] = T(truncatingIfNeeded: v & mask)
                bit &+= width
            }
        }
        // The tail, a byte at a time.
        for i in fast..<count {
            var v: UInt64 = 0
            var got = 0
            var b = bit
            while got < width {
                let byte = Int(base.load(fromByteOffset: b >> 3, as: UInt8.self))
                let off = b & 7
                let take = Swift.min(8 - off, width - got)
                v |= UInt64((byte >> off) & ((1 << take) - 1)) << UInt64(got)
                got += take
                b += take
            }
            out[i] = T(truncatingIfNeeded: v)
            bit &+= width
        }
    }
}

enum RLEHybrid {
    /// Decodes `count` values of the RLE/bit-packed hybrid encoding (no length prefix) from
    /// `src` into `out`. Bit-packed runs are padded to multiples of 8 values; the padding is
    /// ignored. Throws 22P04 when the data ends early or a run is malformed.
    static func decode<T: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, bitWidth: Int, count: Int,
                                             into out: UnsafeMutablePointer<T>) throws {
        guard bitWidth >= 0 && bitWidth <= 32 else { throw pageError("RLE bit width \(bitWidth) is out of range") }
        var c = ByteCursor(src)
        var done = 0
        let valueBytes = (bitWidth + 7) / 8
        let maxValue: UInt64 = bitWidth == 0 ? 0 : (UInt64(1) << UInt64(bitWidth)) - 1
        while done < count {
            let header = try c.readVarint()
            if header & 1 == 0 {
                let runLength = header >> 1
                guard runLength > 0 else { throw pageError("empty RLE run") }
                var v: UInt64 = 0
                for k in 0..<valueBytes { v |= UInt64(try c.readByte()) << UInt64(8 * k) }
                guard v <= maxValue else { throw pageError("RLE value \(v) wider than \(bitWidth) bits") }
                let n = Int(Swift.min(runLength, UInt64(count - done)))
                (out + done).initialize(repeating: T(truncatingIfNeeded: v), count: n)
                done += n
            } else {
                let groups = header >> 1
                guard groups > 0, groups <= UInt64(Int32.max) else { throw pageError("bad bit-packed run of \(groups) groups") }
                let values = Int(groups) * 8
                let bytes = Int(groups) * bitWidth
                let available = Swift.min(bytes, c.remaining)
                let n = Swift.min(values, count - done)
                guard n * bitWidth <= available * 8 else {
                    throw pageError("bit-packed run ends early (\(available) of \(bytes) bytes)")
                }
                let run = UnsafeRawBufferPointer(rebasing: c.buffer[c.position..<(c.position + available)])
                BitUnpacking.unpack(run, startBit: 0, width: bitWidth, count: n, into: out + done)
                c.position += available
                done += n
            }
        }
    }
}

enum DeltaBinaryPacked {
    /// Decodes a DELTA_BINARY_PACKED stream that must hold exactly `count` values into `out`
    /// (Int32 columns wrap at 32 bits, as the spec requires), advancing `cursor` past it.
    static func decode<T: FixedWidthInteger>(_ cursor: inout ByteCursor, count: Int,
                                             into out: UnsafeMutablePointer<T>) throws {
        let blockSize = try cursor.readVarint()
        let miniblocks = try cursor.readVarint()
        let total = try cursor.readVarint()
        var previous = try cursor.readZigzag()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20, miniblocks > 0, blockSize % miniblocks == 0,
              (blockSize / miniblocks) % 32 == 0 else {
            throw pageError("bad DELTA_BINARY_PACKED header (block size \(blockSize), \(miniblocks) miniblocks)")
        }
        guard total == UInt64(count) else {
            throw pageError("DELTA_BINARY_PACKED holds \(total) values, the page needs \(count)")
        }
        if count == 0 { return }
        out[0] = T(truncatingIfNeeded: previous)
        var done = 1
        let perMini = Int(blockSize / miniblocks)
        var widths = [UInt8](repeating: 0, count: Int(miniblocks))
        var deltas = [UInt64](repeating: 0, count: perMini)
        while done < count {
            let minDelta = try cursor.readZigzag()
            for k in 0..<widths.count { widths[k] = try cursor.readByte() }
            for k in 0..<widths.count where done < count {
                let w = Int(widths[k])
                guard w <= 64 else { throw pageError("DELTA_BINARY_PACKED bit width \(w) is out of range") }
                let n = Swift.min(perMini, count - done)
                let full = perMini * w / 8
                let needed = (n * w + 7) / 8
                guard needed <= cursor.remaining else { throw pageError("DELTA_BINARY_PACKED miniblock ends early") }
                let take = Swift.min(full, cursor.remaining)
                let bytes = UnsafeRawBufferPointer(rebasing: cursor.buffer[cursor.position..<(cursor.position + take)])
                deltas.withUnsafeMutableBufferPointer { d in
                    BitUnpacking.unpack(bytes, startBit: 0, width: w, count: n, into: d.baseAddress!)
                    for i in 0..<n {
                        previous = previous &+ minDelta &+ Int64(bitPattern: d[i])
                        out[done + i] = T(truncatingIfNeeded: previous)
                    }
                }
                cursor.position += take
                done += n
            }
        }
    }

    /// Decodes the lengths of DELTA_LENGTH_BYTE_ARRAY / prefixes of DELTA_BYTE_ARRAY as Int32s.
    static func decodeLengths(_ cursor: inout ByteCursor, count: Int) throws -> [Int32] {
        var out = [Int32](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try decode(&cursor, count: count, into: $0.baseAddress!) }
        return out
    }
}

enum ByteStreamSplit {
    /// Reassembles `count` values of `width` bytes from `width` byte streams.
    static func decode(_ src: UnsafeRawBufferPointer, width: Int, count: Int, into out: UnsafeMutableRawPointer) throws {
        guard src.count == width * count else {
            throw pageError("BYTE_STREAM_SPLIT data has \(src.count) bytes, \(width * count) expected")
        }
        let s = src.baseAddress
        guard let s, count > 0 else { return }
        let o = out.assumingMemoryBound(to: UInt8.self)
        let b = s.assumingMemoryBound(to: UInt8.self)
        for k in 0..<width {
            let stream = b + k * count
            var dst = o + k
            for i in 0..<count {
                dst.pointee = stream[i]
                dst += width
            }
        }
    }
}
