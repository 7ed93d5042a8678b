import AurumCore
import Foundation
import Testing
@testable import AurumStorage

@Suite struct ChecksumTests {
    @Test func xxhash64KnownVectors() {
        #expect(XXHash64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xFBCE_A83C_8A37_8BF1)
    }

    @Test func xxhash64StreamingEqualsOneShot() {
        var rng = Rng(7)
        let data = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let whole = XXHash64.hash(data)
        for split in [0, 1, 3, 31, 32, 33, 64, 500, 999, 1000] {
            var h = XXHash64()
            data.withUnsafeBytes { b in
                h.update(UnsafeRawBufferPointer(rebasing: b[0..<split]))
                h.update(UnsafeRawBufferPointer(rebasing: b[split...]))
            }
            #expect(h.digest() == whole, "split at \(split)")
        }
    }
}

@Suite struct CodecTests {
    static let chains: [[CodecStep]] = [
        [.none], [.lz4], [.zstd(level: 1)], [.zstd(level: 5)], [.delta, .lz4], [.delta, .zstd(level: 3)],
        [.doubleDelta], [.doubleDelta, .zstd(level: 1)], [.delta, .doubleDelta, .none],
    ]

    @Test(arguments: [1, 2, 4, 8, 16])
    func transformsRoundTripEveryWidth(width: Int) throws {
        var rng = Rng(UInt64(width))
        // Monotone-ish values plus wrap-around extremes.
        var payload = [UInt8]()
        for i in 0..<1003 {
            var v = UInt64(i * 37) &+ (rng.next() % 5)
            if i % 100 == 0 { v = UInt64.max - UInt64(i) }
            withUnsafeBytes(of: v.littleEndian) { payload.append(contentsOf: $0.prefix(min(width, 8))) }
            if width == 16 { withUnsafeBytes(of: rng.next()) { payload.append(contentsOf: $0) } }
        }
        let enc = BlockEncoder()
        for declared in CodecTests.chains {
            let chain = try CodecStep.resolve(declared, for: .int64, column: "x")
            var out: [UInt8] = []
            try payload.withUnsafeBytes { try enc.encode($0, rows: payload.count / width, width: width, steps: chain, into: &out) }
            let decoded: [UInt8] = try out.withUnsafeBytes { b in
                let h = try CompressedBlock.parse(b.baseAddress!, available: b.count)
                #expect(h.totalSize == b.count)
                #expect(h.steps == chain)
                var z: ZstdDecompressor? = nil
                return try [UInt8](unsafeUninitializedCapacity: h.uncompressedSize) { d, n in
                    try CompressedBlock.decode(h, at: b.baseAddress!, into: UnsafeMutableRawPointer(d.baseAddress!), zstd: &z)
                    n = h.uncompressedSize
                }
            }
            #expect(decoded == payload, "chain \(chain) width \(width)")
        }
    }

    @Test func emptyPayloadRoundTrips() throws {
        let enc = BlockEncoder()
        for declared in CodecTests.chains {
            let chain = try CodecStep.resolve(declared, for: .int64, column: "x")
            var out: [UInt8] = []
            try enc.encode(UnsafeRawBufferPointer(start: nil, count: 0), rows: 0, width: 4, steps: chain, into: &out)
            try out.withUnsafeBytes { b in
                let h = try CompressedBlock.parse(b.baseAddress!, available: b.count)
                #expect(h.uncompressedSize == 0 && h.rows == 0)
            }
        }
    }

    @Test func codecChainValidation() throws {
        #expect(try CodecStep.resolve([], for: .int32, column: "a") == [CodecStep.defaultCompression])
        #expect(try CodecStep.resolve([.delta], for: .int64, column: "a") == [.delta, CodecStep.defaultCompression])
        #expect(try CodecStep.resolve([.delta, .zstd(level: 3)], for: .date, column: "a") == [.delta, .zstd(level: 3)])
        #expect(throws: AurumError.self) { try CodecStep.resolve([.delta], for: .string, column: "s") }
        #expect(throws: AurumError.self) { try CodecStep.resolve([.lz4, .delta], for: .int32, column: "a") }
        #expect(throws: AurumError.self) { try CodecStep.resolve([.lz4, .zstd(level: 1)], for: .int32, column: "a") }
        #expect(CodecStep.parse("ZSTD(3)") == .zstd(level: 3))
        #expect(CodecStep.parse("zstd") == .zstd(level: 1))
        #expect(CodecStep.parse("Delta(4)") == .delta)
        #expect(CodecStep.parse("DoubleDelta") == .doubleDelta)
        #expect(CodecStep.parse("bogus") == nil)
    }

    static let allTypes: [DataType] = [
        .bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .float32, .float64,
        .decimal(18, 2), .decimal(38, 10), .string, .date, .dateTime, .dateTime64(3), .uuid,
        DataType(.string, lowCardinality: true),
    ]

    static func value(_ t: DataType, _ i: Int, _ rng: inout Rng) -> Value {
        let r = rng.next()
        switch t.base {
        case .bool: return .bool(r & 1 == 1)
        case .int8: return .int(Int64(Int8(truncatingIfNeeded: r)))
        case .int16: return .int(Int64(Int16(truncatingIfNeeded: r)))
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: i * 3)) &+ Int64(r % 3))
        case .int64: return .int(i % 7 == 0 ? Int64.min + Int64(i) : Int64(bitPattern: r))
        case .uint8: return .uint(UInt64(UInt8(truncatingIfNeeded: r)))
        case .uint16: return .uint(UInt64(UInt16(truncatingIfNeeded: r)))
        case .uint32: return .uint(UInt64(UInt32(truncatingIfNeeded: r)))
        case .uint64: return .uint(i % 5 == 0 ? UInt64.max - UInt64(i) : r)
        case .float32: return .float(Double(Float(Int(r % 10000)) / 7))
        case .float64: return .float(i % 11 == 0 ? -0.0 : Double(Int64(bitPattern: r)) / 1e9)
        case .decimal(let p, let s):
            if p > 18 { return .decimal((Int128(Int64(bitPattern: r)) << 40) | Int128(i), scale: s) }
            return .decimal(Int128(Int64(bitPattern: r) >> 8), scale: s)
        case .string:
            let len = Int(r % 40)
            return .string(i % 13 == 0 ? "" : String(repeating: "é", count: len % 5) + "row-\(i)-" + String(repeating: "x", count: len))
        case .date: return .date(Int32(-25567 + i * 3))   // from 1900-01-01
        case .dateTime: return .dateTime(1_700_000_000 + Int64(i) * 60)
        case .dateTime64(let p): return .dateTime64(1_700_000_000_000 + Int64(i) * 17, precision: p)
        case .uuid: return .uuid((UInt128(r) << 64) | UInt128(rng.next()))
        case .nothing: return .null
        }
    }

    /// Every physical type, nullable and not, through every codec chain it accepts:
    /// insert, read back whole and by granule ranges, and compare value by value.
    @Test(arguments: [[CodecStep](), [.none], [.lz4], [.zstd(level: 1)], [.zstd(level: 3)], [.delta, .zstd(level: 1)], [.doubleDelta]])
    func partRoundTripEveryType(codec: [CodecStep]) throws {
        let dir = TempDir("codec")
        defer { dir.cleanup() }
        var cols: [StorageColumn] = []
        for t in CodecTests.allTypes {
            let c = (codec.contains { $0.isTransform } && t.physical == .string) ? [] : codec
            cols.append(StorageColumn(name: "c_\(t)", type: t, codec: c))
            if !t.isLowCardinality { cols.append(StorageColumn(name: "n_\(t)", type: t.nullable, codec: c)) }
        }
        let schema = StorageSchema(columns: cols, sortKey: [], indexGranularity: 100)
        let table = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { table.close() }
        var rng = Rng(42)
        let n = 1037
        var expected: [[Value]] = Array(repeating: [], count: cols.count)
        var columns: [Column] = []
        for (ci, c) in cols.enumerated() {
            var vals: [Value] = []
            for i in 0..<n {
                if c.type.isNullable && (i % 9 == 0 || (i >= 200 && i < 300)) { vals.append(.null) }   // granule 2 all NULL
                else { vals.append(CodecTests.value(c.type, i, &rng)) }
            }
            expected[ci] = vals
            columns.append(column(c.type, vals))
        }
        try table.insert([PartitionedBlock(block: Block(columns: columns))])
        let snap = table.snapshot()
        #expect(snap.parts.count == 1)
        let part = snap.parts[0]
        #expect(part.granuleCount == 11)
        let all = try part.readAll(columns: Array(cols.indices))
        for ci in cols.indices {
            #expect(all.columns[ci].type == cols[ci].type)
            for i in 0..<n where all.columns[ci].value(at: i) != expected[ci][i] {
                Issue.record("column \(cols[ci].name) row \(i): \(all.columns[ci].value(at: i)) != \(expected[ci][i])")
                break
            }
        }
        // Granule sub-ranges, including ones that start and end inside a compressed block.
        for r in [0..<1, 1..<2, 3..<7, 10..<11, 5..<5] {
            let b = try part.read(columns: Array(cols.indices), granules: r)
            let lo = r.isEmpty ? 0 : part.granuleRowRange(r.lowerBound).lowerBound
            #expect(b.count == (r.isEmpty ? 0 : part.granuleRowRange(r.upperBound - 1).upperBound - lo))
            for ci in cols.indices {
                for i in 0..<b.count where b.columns[ci].value(at: i) != expected[ci][lo + i] {
                    Issue.record("granules \(r) column \(cols[ci].name) row \(i)")
                    break
                }
            }
        }
    }
}
