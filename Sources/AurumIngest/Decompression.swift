import AurumCore
import CLZ4
import CSnappy
import CZlib
import CZstd

/// The compression codecs of warehouse exports: whole files (`.gz`, `.zst`) and Parquet pages
/// (SNAPPY, GZIP, ZSTD, LZ4_RAW). Errors are `AurumError` 22P04 (bad input file); callers add
/// the file name, row group or page to the message.
public enum CompressionCodec: String, Sendable, CaseIterable {
    case none, gzip, zstd, snappy, lz4Raw

    /// The codec a file's name says it is compressed with (`.gz`, `.gzip`, `.zst`, `.zstd`),
    /// else the one its first bytes show (gzip 1F 8B, zstd 28 B5 2F FD), else `.none`.
    public static func detect(path: String, prefix: some Collection<UInt8>) -> CompressionCodec {
        let lower = path.lowercased()
        if lower.hasSuffix(".gz") || lower.hasSuffix(".gzip") { return .gzip }
        if lower.hasSuffix(".zst") || lower.hasSuffix(".zstd") { return .zstd }
        let head = Array(prefix.prefix(4))
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return .gzip }
        if head == [0x28, 0xB5, 0x2F, 0xFD] { return .zstd }
        return .none
    }

    /// The file name with a compression suffix removed (`sales.csv.gz` → `sales.csv`), so the
    /// format can be guessed from what is left.
    public static func strippingSuffix(_ path: String) -> String {
        for suffix in [".gz", ".gzip", ".zst", ".zstd"] where path.lowercased().hasSuffix(suffix) {
            return String(path.dropLast(suffix.count))
        }
        return path
    }
}

public enum Decompression {
    static func failure(_ codec: CompressionCodec, _ detail: String) -> AurumError {
        AurumError(.badCopyFileFormat, "\(codec.rawValue) data is corrupt: \(detail)")
    }

    /// Decompresses one block whose decompressed size is known (a Parquet page) into `dst`,
    /// which must be exactly that size. Throws unless exactly `dst.count` bytes come out.
    public static func block(_ codec: CompressionCodec, _ src: UnsafeRawBufferPointer,
                             into dst: UnsafeMutableRawBufferPointer) throws {
        let expected = dst.count
        switch codec {
        case .none:
            guard src.count == expected else { throw failure(codec, "\(src.count) bytes stored, \(expected) expected") }
            if expected > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: expected) }
        case .snappy:
            var length = 0
            guard src.count > 0,
                  snappy_uncompressed_length(src.baseAddress!.assumingMemoryBound(to: CChar.self), src.count, &length) == SNAPPY_OK,
                  length == expected else { throw failure(codec, "bad length header (expected \(expected) bytes)") }
            if expected == 0 { return }
            var outLength = expected
            let r = snappy_uncompress(src.baseAddress!.assumingMemoryBound(to: CChar.self), src.count,
                                      dst.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
            guard r == SNAPPY_OK, outLength == expected else { throw failure(codec, "snappy_uncompress failed") }
        case .zstd:
            if expected == 0 && src.count == 0 { return }
            guard let s = src.baseAddress else { throw failure(codec, "empty frame") }
            let r = ZSTD_decompress(dst.baseAddress, expected, s, src.count)
            if ZSTD_isError(r) != 0 { throw failure(codec, String(cString: ZSTD_getErrorName(r))) }
            guard r == expected else { throw failure(codec, "\(r) bytes decompressed, \(expected) expected") }
        case .lz4Raw:
            if expected == 0 && src.count == 0 { return }
            guard let s = src.baseAddress, let d = dst.baseAddress,
                  src.count <= Int(Int32.max), expected <= Int(Int32.max) else { throw failure(codec, "block too large") }
            let r = LZ4_decompress_safe(s.assumingMemoryBound(to: CChar.self), d.assumingMemoryBound(to: CChar.self),
                                        Int32(src.count), Int32(expected))
            guard r == Int32(expected) else { throw failure(codec, "LZ4 returned \(r), \(expected) bytes expected") }
        case .gzip:
            var stream = GzipStream()
            var out: [UInt8] = []
            out.reserveCapacity(expected)
            try stream.feed(src, into: &out)
            try stream.finish()
            guard out.count == expected else { throw failure(codec, "\(out.count) bytes decompressed, \(expected) expected") }
            out.withUnsafeBytes { if expected > 0 { dst.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: expected) } }
        }
    }

    /// Decompresses a whole buffer whose decompressed size is unknown (a `.gz`/`.zst` file read
    /// in one piece). Concatenated gzip members and zstd frames are all decoded.
    public static func whole(_ codec: CompressionCodec, _ src: [UInt8]) throws -> [UInt8] {
        if codec == .none { return src }
        var stream = try StreamDecompressor(codec)
        var out: [UInt8] = []
        out.reserveCapacity(src.count * 4)
        try src.withUnsafeBytes { try stream.feed($0, into: &out) }
        try stream.finish()
        return out
    }
}

/// Incremental decompression of a `.gz` or `.zst` file read in chunks: `feed` appends what each
/// chunk decodes to, `finish` checks the input did not stop in the middle of a member/frame.
public struct StreamDecompressor {
    private var gzip: GzipStream?
    private var zstd: ZstdStream?
    public let codec: CompressionCodec

    public init(_ codec: CompressionCodec) throws {
        self.codec = codec
        switch codec {
        case .gzip: gzip = GzipStream()
        case .zstd: zstd = ZstdStream()
        case .none: break
        case .snappy, .lz4Raw:
            throw AurumError(.featureNotSupported, "\(codec.rawValue) is a page codec, not a file compression",
                             hint: "compressed files may be gzip (.gz) or zstd (.zst)")
        }
    }

    public mutating func feed(_ chunk: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        if gzip != nil { try gzip!.feed(chunk, into: &out) }
        else if zstd != nil { try zstd!.feed(chunk, into: &out) }
        else { out.append(contentsOf: chunk) }
    }

    public mutating func finish() throws {
        if gzip != nil { try gzip!.finish() }
        if zstd != nil { try zstd!.finish() }
    }
}

/// gzip (RFC 1952) members one after another, through zlib's inflate with automatic header
/// detection; the context is allocated on the heap so the struct may be copied before use.
struct GzipStream {
    private final class Context {
        var z = z_stream()
        var open = false
        var inMember = false
        deinit { if open { inflateEnd(&z) } }
    }
    private let context = Context()

    mutating func feed(_ chunk: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        guard chunk.count > 0 else { return }
        let c = context
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while offset < chunk.count {
            if !c.open {
                c.z = z_stream()
                guard inflateInit2_(&c.z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                    throw Decompression.failure(.gzip, "inflateInit2 failed")
                }
                c.open = true
            }
            c.inMember = true
            let base = chunk.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            c.z.next_in = UnsafeMutablePointer(mutating: base)
            c.z.avail_in = UInt32(min(chunk.count - offset, Int(UInt32.max)))
            let before = Int(c.z.avail_in)
            var status: Int32 = Z_OK
            repeat {
                let produced: Int = buffer.withUnsafeMutableBytes { b in
                    c.z.next_out = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    c.z.avail_out = UInt32(b.count)
                    status = inflate(&c.z, Z_NO_FLUSH)
                    return b.count - Int(c.z.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                    let message = c.z.msg.map { String(cString: $0) } ?? "inflate returned \(status)"
                    throw Decompression.failure(.gzip, message)
                }
                out.append(contentsOf: buffer[0..<produced])
                if status == Z_BUF_ERROR && produced == 0 { break }
            } while status != Z_STREAM_END && (c.z.avail_in > 0 || c.z.avail_out == 0)
            offset += before - Int(c.z.avail_in)
            if status == Z_STREAM_END {
                // The member ended; another may follow (concatenated .gz files are valid gzip).
                inflateEnd(&c.z)
                c.open = false
                c.inMember = false
            }
        }
    }

    func finish() throws {
        if context.inMember { throw Decompression.failure(.gzip, "unexpected end of file (truncated gzip member)") }
    }
}

/// zstd frames one after another, through a streaming decompression context.
struct ZstdStream {
    private final class Context {
        let ctx: OpaquePointer = ZSTD_createDStream()
        var pending = false   // inside a frame: more input is needed to finish it
        deinit { ZSTD_freeDStream(ctx) }
    }
    private let context = Context()

    mutating func feed(_ chunk: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        guard chunk.count > 0 else { return }
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        var buffer = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        while true {
            let (hint, produced): (Int, Int) = buffer.withUnsafeMutableBytes { b in
                var output = ZSTD_outBuffer(dst: b.baseAddress, size: b.count, pos: 0)
                let r = ZSTD_decompressStream(context.ctx, &output, &input)
                return (r, output.pos)
            }
            if ZSTD_isError(hint) != 0 { throw Decompression.failure(.zstd, String(cString: ZSTD_getErrorName(hint))) }
            out.append(contentsOf: buffer[0..<produced])
            context.pending = hint != 0
            if input.pos == input.size && produced < buffer.count { break }
        }
    }

    func finish() throws {
        if context.pending { throw Decompression.failure(.zstd, "unexpected end of file (truncated zstd frame)") }
    }
}
