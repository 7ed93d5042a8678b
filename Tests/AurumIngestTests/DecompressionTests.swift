import AurumCore
import CLZ4
import CSnappy
import CZlib
import CZstd
import Foundation
import Testing
@testable import AurumIngest

/// The codecs of exports and Parquet pages, checked against data compressed by the same C
/// libraries' encoders (gzip through zlib's deflate with a gzip wrapper).
struct DecompressionTests {
    /// Compressible but not trivial: CSV-like lines with a counter.
    static let sample: [UInt8] = {
        var s = ""
        for i in 0..<20_000 { s += "\(i),name-\(i % 97),\(Double(i) * 0.25),2024-01-\(i % 28 + 1)\n" }
        return Array(s.utf8)
    }()

    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var z = z_stream()
        #expect(deflateInit2_(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, UInt(data.count))) + 64)
        var input = data
        let produced = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                z.next_in = i.baseAddress; z.avail_in = UInt32(i.count)
                z.next_out = o.baseAddress; z.avail_out = UInt32(o.count)
                let r = deflate(&z, Z_FINISH)
                precondition(r == Z_STREAM_END)
                return o.count - Int(z.avail_out)
            }
        }
        deflateEnd(&z)
        return Array(out[0..<produced])
    }

    static func zstd(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let n = out.withUnsafeMutableBytes { o in data.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, o.count, i.baseAddress, i.count, 3) } }
        precondition(ZSTD_isError(n) == 0)
        return Array(out[0..<n])
    }

    static func snappy(_ data: [UInt8]) -> [UInt8] {
        var length = snappy_max_compressed_length(data.count)
        var out = [UInt8](repeating: 0, count: length)
        let r = out.withUnsafeMutableBytes { o in
            data.withUnsafeBytes { i in
                snappy_compress(i.baseAddress!.assumingMemoryBound(to: CChar.self), i.count,
                                o.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
            }
        }
        precondition(r == SNAPPY_OK)
        return Array(out[0..<length])
    }

    static func lz4(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(data.count))))
        let n = out.withUnsafeMutableBytes { o in
            data.withUnsafeBytes { i in
                LZ4_compress_default(i.baseAddress!.assumingMemoryBound(to: CChar.self), o.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(i.count), Int32(o.count))
            }
        }
        return Array(out[0..<Int(n)])
    }

    static func block(_ codec: CompressionCodec, _ compressed: [UInt8], size: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        try compressed.withUnsafeBytes { c in try out.withUnsafeMutableBytes { try Decompression.block(codec, c, into: $0) } }
        return out
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .zstd, .snappy, .lz4Raw])
    func pageBlocksRoundTrip(codec: CompressionCodec) throws {
        let data = Self.sample
        let compressed: [UInt8]
        switch codec {
        case .none: compressed = data
        case .gzip: compressed = Self.gzip(data)
        case .zstd: compressed = Self.zstd(data)
        case .snappy: compressed = Self.snappy(data)
        case .lz4Raw: compressed = Self.lz4(data)
        }
        if codec != .none { #expect(compressed.count < data.count / 2) }
        #expect(try Self.block(codec, compressed, size: data.count) == data)
        // A wrong expected size is an error, never a short or padded page.
        #expect(throws: AurumError.self) { try Self.block(codec, compressed, size: data.count + 1) }
        if codec != .none {
            var broken = compressed
            broken.removeLast(compressed.count / 3)
            #expect(throws: AurumError.self) { try Self.block(codec, broken, size: data.count) }
        }
    }

    @Test func gzipFileStreamsInSmallChunksAcrossMembers() throws {
        let a = Array(Self.sample[0..<100_000]), b = Array(Self.sample[100_000...])
        let file = Self.gzip(a) + Self.gzip(b)   // `cat a.gz b.gz` is a valid gzip file
        var stream = try StreamDecompressor(.gzip)
        var out: [UInt8] = []
        var offset = 0
        while offset < file.count {
            let end = min(file.count, offset + 777)
            try file[offset..<end].withUnsafeBytes { try stream.feed($0, into: &out) }
            offset = end
        }
        try stream.finish()
        #expect(out == Self.sample)
        #expect(try Decompression.whole(.gzip, file) == Self.sample)
    }

    @Test func zstdFileStreamsAcrossFrames() throws {
        let file = Self.zstd(Array(Self.sample[0..<50_000])) + Self.zstd(Array(Self.sample[50_000...]))
        var stream = try StreamDecompressor(.zstd)
        var out: [UInt8] = []
        for start in stride(from: 0, to: file.count, by: 4096) {
            try file[start..<min(file.count, start + 4096)].withUnsafeBytes { try stream.feed($0, into: &out) }
        }
        try stream.finish()
        #expect(out == Self.sample)
    }

    @Test(arguments: [CompressionCodec.gzip, .zstd])
    func truncatedFilesAreErrors(codec: CompressionCodec) throws {
        let full = codec == .gzip ? Self.gzip(Self.sample) : Self.zstd(Self.sample)
        let cut = Array(full[0..<(full.count * 2 / 3)])
        let error = #expect(throws: AurumError.self) { _ = try Decompression.whole(codec, cut) }
        #expect(error?.code == .badCopyFileFormat)
        #expect(error?.message.contains(codec.rawValue) == true)
        var corrupt = full
        for i in 20..<60 { corrupt[i] ^= 0x5A }
        #expect(throws: AurumError.self) { _ = try Decompression.whole(codec, corrupt) }
    }

    @Test func detectsCompressionByNameThenMagic() {
        #expect(CompressionCodec.detect(path: "data_0_0_0.csv.gz", prefix: [UInt8]()) == .gzip)
        #expect(CompressionCodec.detect(path: "x.ndjson.zst", prefix: [UInt8]()) == .zstd)
        #expect(CompressionCodec.detect(path: "000000000000", prefix: [0x1F, 0x8B, 8, 0]) == .gzip)
        #expect(CompressionCodec.detect(path: "part", prefix: [0x28, 0xB5, 0x2F, 0xFD]) == .zstd)
        #expect(CompressionCodec.detect(path: "a.csv", prefix: Array("id,".utf8)) == .none)
        #expect(CompressionCodec.strippingSuffix("a/b.csv.gz") == "a/b.csv")
        #expect(throws: AurumError.self) { _ = try StreamDecompressor(.snappy) }
    }
}
