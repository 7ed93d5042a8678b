#if _endian(big)
#error("Aurum's on-disk format is little-endian and this build assumes a little-endian host")
#endif
import AurumCore
import CLZ4
import CZstd
import Glibc

/// A compressed block: the unit of compression and checksumming inside a column file.
///
/// ```
///  offset  size  field
///  0       8     checksum      XXH64 (seed 0) of bytes [8, 24 + 2n + compressed size)
///  8       1     magic         0xAB
///  9       1     n             number of codec steps (1...8)
///  10      1     width         element width for Delta/DoubleDelta (1,2,4,8,16; 0 = bytes)
///  11      1     reserved      0
///  12      4     compressed    payload size in this file (UInt32 LE)
///  16      4     uncompressed  decoded payload size (UInt32 LE)
///  20      4     rows          rows in the block (UInt32 LE)
///  24      2n    codec steps   (method byte, parameter byte) in write order
///  24+2n   ...   payload       output of the last step
/// ```
/// Decoding runs the general-purpose step's decompressor, then undoes the transforms in
/// reverse order. The checksum covers the header too, so a flipped size or method byte is
/// reported as corruption rather than misread.
enum CompressedBlock {
    static let magic: UInt8 = 0xAB
    static let fixedHeaderSize = 24
    static func headerSize(steps: Int) -> Int { fixedHeaderSize + 2 * steps }

    struct Header {
        var steps: [CodecStep]
        var width: Int
        var compressedSize: Int
        var uncompressedSize: Int
        var rows: Int
        var headerSize: Int { CompressedBlock.headerSize(steps: steps.count) }
        var totalSize: Int { headerSize + compressedSize }
    }

    enum Failure: Error {
        case truncated(needed: Int, available: Int)
        case checksum(expected: UInt64, actual: UInt64)
        case badHeader(String)
        case decompress(String)
    }

    /// Parses and verifies (checksum) the block starting at `p`, with `available` bytes readable.
    static func parse(_ p: UnsafeRawPointer, available: Int) throws(Failure) -> Header {
        guard available >= fixedHeaderSize else { throw .truncated(needed: fixedHeaderSize, available: available) }
        let m = p.load(fromByteOffset: 8, as: UInt8.self)
        guard m == magic else { throw .badHeader("bad block magic 0x\(String(m, radix: 16))") }
        let n = Int(p.load(fromByteOffset: 9, as: UInt8.self))
        guard (1...8).contains(n) else { throw .badHeader("bad codec step count \(n)") }
        let width = Int(p.load(fromByteOffset: 10, as: UInt8.self))
        let csize = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let usize = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
        let rows = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
        let hsize = headerSize(steps: n)
        guard available >= hsize + csize else { throw .truncated(needed: hsize + csize, available: available) }
        let stored = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let actual = XXHash64.hash(UnsafeRawBufferPointer(start: p + 8, count: hsize + csize - 8))
        guard stored == actual else { throw .checksum(expected: stored, actual: actual) }
        var steps: [CodecStep] = []
        steps.reserveCapacity(n)
        for i in 0..<n {
            let method = p.load(fromByteOffset: fixedHeaderSize + 2 * i, as: UInt8.self)
            let param = p.load(fromByteOffset: fixedHeaderSize + 2 * i + 1, as: UInt8.self)
            guard let s = CodecStep.from(method: method, parameter: param) else {
                throw .badHeader("unknown codec method byte 0x\(String(method, radix: 16))")
            }
            steps.append(s)
        }
        guard let last = steps.last, !last.isTransform, steps.dropLast().allSatisfy(\.isTransform) else {
            throw .badHeader("malformed codec chain \(steps)")
        }
        if steps.count > 1 {
            guard [1, 2, 4, 8, 16].contains(width) else { throw .badHeader("bad element width \(width)") }
        }
        return Header(steps: steps, width: width, compressedSize: csize, uncompressedSize: usize, rows: rows)
    }

    /// Decodes the payload of a parsed block (at `p`) into `dst`, which must hold
    /// `header.uncompressedSize` bytes. `zstd` is a lazily created decompression context.
    static func decode(_ header: Header, at p: UnsafeRawPointer, into dst: UnsafeMutableRawPointer,
                       zstd: inout ZstdDecompressor?) throws(Failure) {
        let src = p + header.headerSize
        let csize = header.compressedSize, usize = header.uncompressedSize
        switch header.steps.last! {
        case .none:
            guard csize == usize else { throw .badHeader("NONE block with compressed \(csize) != uncompressed \(usize)") }
            if usize > 0 { dst.copyMemory(from: src, byteCount: usize) }
        case .lz4:
            if usize == 0 { break }
            let r = LZ4_decompress_safe(src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                                        Int32(csize), Int32(usize))
            guard r == Int32(usize) else { throw .decompress("LZ4 returned \(r), expected \(usize) bytes") }
        case .zstd:
            if zstd == nil { zstd = ZstdDecompressor() }
            let r = ZSTD_decompressDCtx(zstd!.ctx, dst, usize, src, csize)
            if ZSTD_isError(r) != 0 {
                throw .decompress("ZSTD: " + String(cString: ZSTD_getErrorName(r)))
            }
            guard r == usize else { throw .decompress("ZSTD returned \(r), expected \(usize) bytes") }
        case .delta, .doubleDelta:
            throw .badHeader("transform as last step")
        }
        var i = header.steps.count - 2
        while i >= 0 {
            Transforms.decode(header.steps[i], dst, byteCount: usize, width: header.width)
            i -= 1
        }
    }
}

/// A zstd decompression context, freed on deinit. Owned by one reader call at a time.
final class ZstdDecompressor {
    let ctx: OpaquePointer
    init() { ctx = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(ctx) }
}

/// Encodes payloads into compressed blocks. Not thread-safe: one per writer.
///
/// Scratch buffers are reused across blocks, so writing a column allocates O(1) times.
final class BlockEncoder {
    private var scratch: UnsafeMutableRawPointer? = nil
    private var scratchCapacity = 0
    private var output: UnsafeMutableRawPointer? = nil
    private var outputCapacity = 0
    private var cctx: OpaquePointer? = nil

    init() {}
    deinit {
        scratch?.deallocate()
        output?.deallocate()
        if let c = cctx { ZSTD_freeCCtx(c) }
    }

    private func ensure(_ p: inout UnsafeMutableRawPointer?, _ cap: inout Int, _ need: Int) -> UnsafeMutableRawPointer {
        if cap < need || p == nil {
            p?.deallocate()
            cap = max(need, 64, cap * 2)
            p = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        }
        return p!
    }

    /// Compresses `payload` (which holds `rows` rows; `width` = element width for transforms)
    /// with `steps` (already resolved: transforms + one general step) and appends the whole
    /// block (header + compressed bytes) to `out`.
    func encode(_ payload: UnsafeRawBufferPointer, rows: Int, width: Int, steps: [CodecStep],
                into out: inout [UInt8]) throws {
        let usize = payload.count
        guard usize <= Int(UInt32.max), rows <= Int(UInt32.max) else {
            throw AurumError(SQLState("54000"), "a compressed block would exceed 4 GiB (\(usize) bytes)")
        }
        var src = UnsafeRawPointer(payload.baseAddress)
        if steps.count > 1, usize > 0 {
            let s = ensure(&scratch, &scratchCapacity, usize)
            s.copyMemory(from: payload.baseAddress!, byteCount: usize)
            for t in steps.dropLast() { Transforms.encode(t, s, byteCount: usize, width: width) }
            src = UnsafeRawPointer(s)
        }
        let general = steps.last!
        let compressed: UnsafeRawBufferPointer
        switch general {
        case .none, .delta, .doubleDelta:
            compressed = UnsafeRawBufferPointer(start: src, count: usize)
        case .lz4:
            let bound = Int(LZ4_compressBound(Int32(usize)))
            let o = ensure(&output, &outputCapacity, max(bound, 1))
            var n: Int32 = 0
            if usize > 0 {
                n = LZ4_compress_default(src!.assumingMemoryBound(to: CChar.self), o.assumingMemoryBound(to: CChar.self),
                                         Int32(usize), Int32(bound))
                guard n > 0 else { throw AurumError.internalError("LZ4_compress_default failed for \(usize) bytes") }
            }
            compressed = UnsafeRawBufferPointer(start: o, count: Int(n))
        case .zstd(let level):
            let bound = ZSTD_compressBound(usize)
            let o = ensure(&output, &outputCapacity, max(bound, 1))
            if cctx == nil { cctx = ZSTD_createCCtx() }
            let n = ZSTD_compressCCtx(cctx, o, bound, src, usize, Int32(level))
            if ZSTD_isError(n) != 0 {
                throw AurumError.internalError("ZSTD_compress failed: " + String(cString: ZSTD_getErrorName(n)))
            }
            compressed = UnsafeRawBufferPointer(start: o, count: n)
        }
        let hsize = CompressedBlock.headerSize(steps: steps.count)
        let start = out.count
        out.reserveCapacity(start + hsize + compressed.count)
        // Header with a zero checksum, then payload, then patch the checksum in.
        var h = [UInt8](repeating: 0, count: hsize)
        h[8] = CompressedBlock.magic
        h[9] = UInt8(steps.count)
        h[10] = UInt8(width)
        h.withUnsafeMutableBytes { b in
            b.storeBytes(of: UInt32(compressed.count).littleEndian, toByteOffset: 12, as: UInt32.self)
            b.storeBytes(of: UInt32(usize).littleEndian, toByteOffset: 16, as: UInt32.self)
            b.storeBytes(of: UInt32(rows).littleEndian, toByteOffset: 20, as: UInt32.self)
        }
        for (i, s) in steps.enumerated() {
            h[CompressedBlock.fixedHeaderSize + 2 * i] = s.methodByte
            h[CompressedBlock.fixedHeaderSize + 2 * i + 1] = s.parameterByte
        }
        out.append(contentsOf: h)
        if compressed.count > 0 { out.append(contentsOf: compressed) }
        out.withUnsafeMutableBytes { b in
            let sum = XXHash64.hash(UnsafeRawBufferPointer(rebasing: b[(start + 8)...]))
            b.storeBytes(of: sum.littleEndian, toByteOffset: start, as: UInt64.self)
        }
    }
}

/// Delta and DoubleDelta over little-endian integers of the column's byte width, with
/// wrapping arithmetic (so they are exact for any bit pattern, floats included).
///
/// Delta:       out[0] = x[0]; out[i] = x[i] - x[i-1]
/// DoubleDelta: out[0] = x[0]; out[1] = x[1] - x[0]; out[i] = (x[i] - x[i-1]) - (x[i-1] - x[i-2])
/// The second-order deltas are stored at full width; the general-purpose step that follows
/// squeezes the (mostly zero) high bytes. Trailing bytes that do not fill an element (never
/// produced by Aurum) are left as they are.
enum Transforms {
    static func encode(_ step: CodecStep, _ p: UnsafeMutableRawPointer, byteCount: Int, width: Int) {
        switch width {
        case 1: run(step, encode: true, p.assumingMemoryBound(to: UInt8.self), byteCount)
        case 2: run(step, encode: true, p.assumingMemoryBound(to: UInt16.self), byteCount / 2)
        case 4: run(step, encode: true, p.assumingMemoryBound(to: UInt32.self), byteCount / 4)
        case 8: run(step, encode: true, p.assumingMemoryBound(to: UInt64.self), byteCount / 8)
        case 16: run(step, encode: true, p.assumingMemoryBound(to: UInt128.self), byteCount / 16)
        default: break
        }
    }
    static func decode(_ step: CodecStep, _ p: UnsafeMutableRawPointer, byteCount: Int, width: Int) {
        switch width {
        case 1: run(step, encode: false, p.assumingMemoryBound(to: UInt8.self), byteCount)
        case 2: run(step, encode: false, p.assumingMemoryBound(to: UInt16.self), byteCount / 2)
        case 4: run(step, encode: false, p.assumingMemoryBound(to: UInt32.self), byteCount / 4)
        case 8: run(step, encode: false, p.assumingMemoryBound(to: UInt64.self), byteCount / 8)
        case 16: run(step, encode: false, p.assumingMemoryBound(to: UInt128.self), byteCount / 16)
        default: break
        }
    }

    @inline(__always)
    static func run<T: FixedWidthInteger & UnsignedInteger>(_ step: CodecStep, encode: Bool, _ x: UnsafeMutablePointer<T>, _ n: Int) {
        guard n > 1 else { return }
        switch (step, encode) {
        case (.delta, true):
            var i = n - 1
            while i > 0 { x[i] = x[i] &- x[i - 1]; i -= 1 }
        case (.delta, false):
            var acc = x[0]
            for i in 1..<n { acc = acc &+ x[i]; x[i] = acc }
        case (.doubleDelta, true):
            var i = n - 1
            while i > 1 { x[i] = x[i] &- (x[i - 1] &<< 1) &+ x[i - 2]; i -= 1 }
            x[1] = x[1] &- x[0]
        case (.doubleDelta, false):
            x[1] = x[1] &+ x[0]
            if n > 2 { for i in 2..<n { x[i] = x[i] &+ (x[i - 1] &<< 1) &- x[i - 2] } }
        default: break
        }
    }
}
