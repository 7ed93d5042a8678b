import AurumCore
import CLZ4
import CZstd
import Foundation
import Glibc
import Testing
@testable import AurumStorage

/// Measures compression ratio and decompression speed of LZ4 vs ZSTD(1) (and Delta+codec
/// for integers) on realistic columns, in 64 KiB blocks as the part writer cuts them. The
/// numbers recorded in docs/format.md come from this test (`--filter CodecMeasurement`).
/// The libraries are optimised C, so a debug build of the test measures them fairly.
/// A measurement, not a regression test (CodecTests cover correctness): it runs only with
/// AURUM_MEASURE=1 (`AURUM_MEASURE=1 swift test --filter CodecMeasurement`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AURUM_MEASURE"] != nil, "set AURUM_MEASURE=1 to measure codecs"))
struct CodecMeasurementTests {
    static func columns() -> [(String, DataType, ColumnData)] {
        var rng = Rng(2024)
        let n = 1 << 20
        let cities = (0..<60).map { "City-\($0)-" + String(repeating: "x", count: $0 % 9) }
        var urls = StringArray(), lc = StringArray()
        for i in 0..<n {
            lc.append(cities[Int(rng.next() % 60)])
            urls.append("https://shop.example.com/catalog/\(rng.next() % 5000)/item?id=\(i / 3)&ref=\(["mail", "ad", "seo"][i % 3])")
        }
        var ts: [Int64] = []
        var t: Int64 = 1_700_000_000
        for _ in 0..<n { t += Int64(rng.next() % 3); ts.append(t) }
        return [
            ("UserID Int32 (random 0..<1M)", .int32, .int32((0..<n).map { _ in Int32(rng.next() % 1_000_000) })),
            ("CounterID Int32 (sorted key)", .int32, .int32((0..<n).map { Int32($0 / 5000) })),
            ("EventTime DateTime (increasing)", .dateTime, .int64(ts)),
            ("Price Float64 (2 decimals)", .float64, .float64((0..<n).map { _ in Double(rng.next() % 100_000) / 100 })),
            ("IsMobile UInt8", .uint8, .uint8((0..<n).map { _ in UInt8(rng.next() % 100 < 30 ? 1 : 0) })),
            ("City LowCardinality(String)", .string, .string(lc)),
            ("URL String", .string, .string(urls)),
        ]
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    @Test func measureDefaultCodecCandidates() throws {
        let chains: [(String, [CodecStep])] = [("LZ4", [.lz4]), ("ZSTD(1)", [.zstd(level: 1)]), ("ZSTD(3)", [.zstd(level: 3)]),
                                               ("Delta+LZ4", [.delta, .lz4]), ("Delta+ZSTD(1)", [.delta, .zstd(level: 1)])]
        var report = "column | codec | ratio | decompress GB/s\n"
        for (name, type, data) in CodecMeasurementTests.columns() {
            // Cut into ~64 KiB blocks of whole 8192-row granules, as PartWriter does.
            let count = data.count
            var payloads: [[UInt8]] = []
            var r = 0
            while r < count {
                var end = min(count, r + 8192)
                while end < count && ValuesCodec.size(data, rows: r..<end) < 64 * 1024 { end = min(count, end + 8192) }
                var p: [UInt8] = []
                ValuesCodec.append(data, rows: r..<end, to: &p)
                payloads.append(p)
                r = end
            }
            let raw = payloads.reduce(0) { $0 + $1.count }
            for (cname, chain) in chains {
                if chain.contains(where: \.isTransform) && type.physical == .string { continue }
                let enc = BlockEncoder()
                var blocks: [[UInt8]] = []
                for p in payloads {
                    var o: [UInt8] = []
                    try p.withUnsafeBytes { try enc.encode($0, rows: p.count / max(1, type.physical.width), width: type.physical.width, steps: chain, into: &o) }
                    blocks.append(o)
                }
                let compressed = blocks.reduce(0) { $0 + $1.count }
                let dst = UnsafeMutableRawPointer.allocate(byteCount: 2 << 20, alignment: 16)
                defer { dst.deallocate() }
                var z: ZstdDecompressor? = nil
                // Time only the general-purpose decompressor (optimised C), so a debug build
                // measures it fairly; checksum and Delta are measured elsewhere in release.
                let headers = try blocks.map { b in try b.withUnsafeBytes { try CompressedBlock.parse($0.baseAddress!, available: $0.count) } }
                let dctx = ZSTD_createDCtx()
                defer { ZSTD_freeDCtx(dctx) }
                var best = Double.infinity
                for _ in 0..<7 {
                    let t0 = CodecMeasurementTests.now()
                    for (b, h) in zip(blocks, headers) {
                        b.withUnsafeBytes { bb in
                            let src = bb.baseAddress! + h.headerSize
                            switch h.steps.last! {
                            case .lz4:
                                _ = LZ4_decompress_safe(src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                                                        Int32(h.compressedSize), Int32(h.uncompressedSize))
                            default:
                                _ = ZSTD_decompressDCtx(dctx, dst, h.uncompressedSize, src, h.compressedSize)
                            }
                        }
                    }
                    best = min(best, CodecMeasurementTests.now() - t0)
                }
                // Round trip check on the first block.
                try blocks[0].withUnsafeBytes { bb in
                    let h = try CompressedBlock.parse(bb.baseAddress!, available: bb.count)
                    try CompressedBlock.decode(h, at: bb.baseAddress!, into: dst, zstd: &z)
                    #expect(memcmp(dst, payloads[0], payloads[0].count) == 0)
                }
                let ratio = Double(raw) / Double(compressed)
                report += "\(name) | \(cname) | \(String(format: "%.2f", ratio)) | \(String(format: "%.2f", Double(raw) / best / 1e9))\n"
            }
        }
        print(report)
    }
}
