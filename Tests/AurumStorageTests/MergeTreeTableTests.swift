import AurumCore
import Foundation
import Testing
@testable import AurumStorage

/// Schema: id Int64 (key), city LowCardinality(String), amount Nullable(Int32), price Float64.
func salesSchema(granularity: Int = 4, mode: MergeMode = .plain) -> StorageSchema {
    StorageSchema(columns: [
        StorageColumn(name: "id", type: .int64, codec: [.delta, .lz4]),
        StorageColumn(name: "city", type: DataType(.string, lowCardinality: true)),
        StorageColumn(name: "amount", type: DataType.int32.nullable, codec: [.zstd(level: 3)]),
        StorageColumn(name: "price", type: .float64),
    ], sortKey: [0], indexGranularity: granularity, mergeMode: mode)
}

func salesBlock(_ ids: [Int], amountNullEvery: Int = 0) -> Block {
    let cities = ["Berlin", "Paris", "Oslo"]
    return Block(columns: [
        column(.int64, ids.map { .int(Int64($0)) }),
        column(DataType(.string, lowCardinality: true), ids.map { .string(cities[abs($0) % 3]) }),
        column(DataType.int32.nullable, ids.map { amountNullEvery > 0 && $0 % amountNullEvery == 0 ? .null : .int(Int64($0 * 10)) }),
        column(.float64, ids.map { .float(Double($0) / 4) }),
    ])
}

@Suite struct MergeTreeTableTests {
    @Test func insertSortsAndReadsBack() throws {
        let dir = TempDir("ins"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        let ids = [5, 3, 9, 1, 7, 3, 2, 8, 6, 4, 0]
        try t.insert([PartitionedBlock(block: salesBlock(ids, amountNullEvery: 3))], metadata: ["kafka.offset": "17"])
        let s = t.snapshot()
        #expect(s.parts.count == 1)
        let p = s.parts[0]
        #expect(p.rowCount == ids.count)
        #expect(p.metadata["kafka.offset"] == "17")
        #expect(p.level == 0)
        #expect(p.granuleCount == 3)
        #expect(p.granuleRowRange(2) == 8..<11)
        let got = try allRows(s)
        #expect(got.map { $0[0] } == ids.sorted().map { .int(Int64($0)) })
        // Stable: the two rows with id 3 keep their input order; other columns follow the key.
        for r in got {
            guard case .int(let id) = r[0] else { Issue.record("bad id"); continue }
            #expect(r[3] == .float(Double(id) / 4))
            #expect(r[2] == (id % 3 == 0 ? .null : .int(id * 10)))
        }
        #expect(p.bytesOnDisk > 0 && p.bytesUncompressed > 0)
    }

    @Test func granuleStatsAndPrimaryIndex() throws {
        let dir = TempDir("stats"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        // ids 0..<10 with amount NULL for ids 4...7 (granule 1 all NULL).
        var b = salesBlock(Array(0..<10))
        b.columns[2] = column(DataType.int32.nullable, (0..<10).map { (4...7).contains($0) ? .null : .int(Int64(100 - $0)) })
        try t.insert([PartitionedBlock(block: b)])
        let p = t.snapshot().parts[0]
        let id = try #require(p.granuleStats(column: 0))
        #expect(id.min.type == .int64)
        #expect((0..<3).map { id.min.value(at: $0) } == [.int(0), .int(4), .int(8)])
        #expect((0..<3).map { id.max.value(at: $0) } == [.int(3), .int(7), .int(9)])
        #expect(id.hasNull == [false, false, false])
        let amount = try #require(p.granuleStats(column: 2))
        #expect(amount.min.type == .int32)
        #expect(amount.allNull == [false, true, false])
        #expect(amount.hasNull == [false, true, false])
        #expect(amount.min.value(at: 0) == .int(97) && amount.max.value(at: 0) == .int(100))
        #expect(amount.min.value(at: 2) == .int(91) && amount.max.value(at: 2) == .int(92))
        let city = try #require(p.granuleStats(column: 1))
        #expect(city.min.value(at: 0) == .string("Berlin") && city.max.value(at: 0) == .string("Paris"))
        let idx = try #require(p.primaryIndex())
        #expect(idx.count == 4)
        #expect((0..<4).map { idx.columns[0].value(at: $0) } == [.int(0), .int(4), .int(8), .int(9)])
    }

    @Test func floatStatsIgnoreNaN() throws {
        let dir = TempDir("nan"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [StorageColumn(name: "x", type: .float64)], indexGranularity: 3)
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: Block(columns: [column(.float64, [.float(.nan), .float(2), .float(-1), .float(.nan)])]))])
        let s = try #require(t.snapshot().parts[0].granuleStats(column: 0))
        #expect(s.min.value(at: 0) == .float(-1) && s.max.value(at: 0) == .float(2))
        #expect(s.hasNaN == [true, true] && s.allNull == [false, true])
    }

    @Test func multiPartitionInsertIsOnePartPerPartition() throws {
        let dir = TempDir("multi"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        try t.insert([
            PartitionedBlock(partitionID: "2024-01", block: salesBlock([3, 1, 2])),
            PartitionedBlock(partitionID: "2024/02 ünï_côde", block: salesBlock([9, 8])),
            PartitionedBlock(partitionID: "2024-01", block: salesBlock([0])),
            PartitionedBlock(partitionID: "empty", block: salesBlock([])),
        ])
        let s = t.snapshot()
        #expect(s.parts.count == 2)
        #expect(Set(s.parts.map(\.partitionID)) == ["2024-01", "2024/02 ünï_côde"])
        for p in s.parts {
            #expect(!p.name.dropFirst().contains("/"))
            #expect(p.name.split(separator: "_").count == 4)
        }
        let jan = try #require(s.parts.first { $0.partitionID == "2024-01" })
        #expect(try rows(jan.readAll(columns: [0])).map { $0[0] } == [.int(0), .int(1), .int(2), .int(3)])
        #expect(s.rowCount == 6)
    }

    @Test func snapshotIsUnaffectedByLaterInsertsMergesAndTruncate() throws {
        let dir = TempDir("snap"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: salesBlock([1, 2, 3]))])
        try t.insert([PartitionedBlock(block: salesBlock([4, 5]))])
        let before = t.snapshot()
        let expected = try allRows(before)
        try t.insert([PartitionedBlock(block: salesBlock([6]))])
        try t.optimize(final: true)
        #expect(t.snapshot().parts.count == 1)
        try t.truncate()
        #expect(t.snapshot().parts.isEmpty)
        // The old snapshot's parts still read, although the table no longer lists them.
        #expect(try allRows(before) == expected)
        #expect(before.rowCount == 5)
    }

    @Test func mergePlainKeepsAllRowsSorted() throws {
        let dir = TempDir("mplain"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: salesBlock([5, 1, 9]))], metadata: ["o": "1"])
        try t.insert([PartitionedBlock(block: salesBlock([2, 5, 0]))], metadata: ["o": "2"])
        try t.insert([PartitionedBlock(block: salesBlock([7]))], metadata: ["o": "3"])
        #expect(try t.mergeOnce())
        while try t.mergeOnce() {}
        #expect(try !t.mergeOnce())
        let s = t.snapshot()
        #expect(s.parts.count == 1)
        #expect(s.parts[0].level >= 1)
        #expect(s.parts[0].metadata["o"] == "3")
        #expect(s.parts[0].name.hasPrefix("all_1_3_"))
        #expect(try allRows(s).map { $0[0] } == [0, 1, 2, 5, 5, 7, 9].map { .int($0) })
    }

    @Test func replacingKeepsMaxVersionOrLastInserted() throws {
        let dir = TempDir("repl"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [
            StorageColumn(name: "k", type: .string), StorageColumn(name: "v", type: .uint32), StorageColumn(name: "payload", type: .string),
        ], sortKey: [0], indexGranularity: 2, mergeMode: .replacing(versionColumn: 1))
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        func b(_ r: [(String, UInt64, String)]) -> PartitionedBlock {
            PartitionedBlock(block: Block(columns: [column(.string, r.map { .string($0.0) }), column(.uint32, r.map { .uint($0.1) }),
                                                    column(.string, r.map { .string($0.2) })]))
        }
        try t.insert([b([("a", 1, "a1"), ("b", 5, "b5"), ("a", 3, "a3")])])   // collapses within the part
        #expect(t.snapshot().rowCount == 2)
        try t.insert([b([("a", 2, "a2"), ("b", 5, "b5-later"), ("c", 1, "c1")])])
        // FINAL before merging.
        let final = try t.readFinal(snapshot: t.snapshot(), columns: [0, 2])
        #expect(final.flatMap(rows) == [[.string("a"), .string("a3")], [.string("b"), .string("b5-later")], [.string("c"), .string("c1")]])
        try t.optimize(final: true)
        #expect(try allRows(t.snapshot(), columns: [0, 1, 2]) == [
            [.string("a"), .uint(3), .string("a3")], [.string("b"), .uint(5), .string("b5-later")], [.string("c"), .uint(1), .string("c1")],
        ])
    }

    @Test func replacingWithoutVersionKeepsLastInserted() throws {
        let dir = TempDir("repl2"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [StorageColumn(name: "k", type: .int32), StorageColumn(name: "x", type: .int32)],
                                   sortKey: [0], indexGranularity: 8192, mergeMode: .replacing(versionColumn: nil))
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: Block(columns: [column(.int32, [.int(1), .int(2)]), column(.int32, [.int(10), .int(20)])]))])
        try t.insert([PartitionedBlock(block: Block(columns: [column(.int32, [.int(1)]), column(.int32, [.int(11)])]))])
        try t.optimize(final: false)
        #expect(try allRows(t.snapshot()) == [[.int(1), .int(11)], [.int(2), .int(20)]])
    }

    @Test func summingAddsMeasures() throws {
        let dir = TempDir("sum"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [
            StorageColumn(name: "day", type: .date), StorageColumn(name: "hits", type: .uint64),
            StorageColumn(name: "revenue", type: .decimal(18, 2)), StorageColumn(name: "note", type: .string),
            StorageColumn(name: "opt", type: DataType.float64.nullable),
        ], sortKey: [0], indexGranularity: 8192, mergeMode: .summing(columns: []))
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        func b(_ r: [(Int32, UInt64, Int128, String, Double?)]) -> PartitionedBlock {
            PartitionedBlock(block: Block(columns: [
                column(.date, r.map { .date($0.0) }), column(.uint64, r.map { .uint($0.1) }),
                column(.decimal(18, 2), r.map { .decimal($0.2, scale: 2) }), column(.string, r.map { .string($0.3) }),
                column(DataType.float64.nullable, r.map { $0.4.map { .float($0) } ?? .null }),
            ]))
        }
        try t.insert([b([(1, 1, 150, "first", nil), (2, 4, 1, "x", nil)])])
        try t.insert([b([(1, 2, 250, "second", 1.5), (3, 1, 0, "y", nil), (1, 3, 5, "third", 2.0)])])
        let final = try t.readFinal(snapshot: t.snapshot(), columns: [0, 1, 2, 3, 4]).flatMap(rows)
        let expected: [[Value]] = [
            [.date(1), .uint(6), .decimal(405, scale: 2), .string("first"), .float(3.5)],
            [.date(2), .uint(4), .decimal(1, scale: 2), .string("x"), .null],
            [.date(3), .uint(1), .decimal(0, scale: 2), .string("y"), .null],
        ]
        #expect(final == expected)
        try t.optimize(final: true)
        #expect(t.snapshot().parts.count == 1)
        #expect(try allRows(t.snapshot()) == expected)
    }

    @Test func truncateEmptiesAndSurvivesReopen() throws {
        let dir = TempDir("trunc"); defer { dir.cleanup() }
        do {
            let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
            try t.insert([PartitionedBlock(block: salesBlock([1, 2]))])
            try t.truncate()
            #expect(t.snapshot().rowCount == 0)
            try t.insert([PartitionedBlock(block: salesBlock([3]))])
            t.close()
        }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        #expect(try allRows(t.snapshot()).map { $0[0] } == [.int(3)])
        // Only the live part's directory remains.
        let dirs = try FileManager.default.contentsOfDirectory(atPath: dir.table).filter { FileIO.isDirectory(dir.table + "/" + $0) }
        #expect(dirs == t.snapshot().parts.map(\.name))
    }

    @Test func alterAddDropRenameColumns() throws {
        let dir = TempDir("alter"); defer { dir.cleanup() }
        let s0 = salesSchema()
        let t = try MergeTreeTable(directory: dir.table, schema: s0, options: quietOptions())
        try t.insert([PartitionedBlock(block: salesBlock([2, 1], amountNullEvery: 2))])
        let old = t.snapshot()
        // RENAME amount -> qty, DROP price, ADD note String DEFAULT 'n/a', ADD maybe Nullable(Int8).
        var s1 = s0
        s1.columns[2].name = "qty"
        s1.columns.remove(at: 3)
        s1.columns.append(StorageColumn(name: "note", type: .string, defaultValue: .string("n/a")))
        s1.columns.append(StorageColumn(name: "maybe", type: DataType.int8.nullable))
        try t.alter(schema: s1, renamedColumns: ["amount": "qty"])
        #expect(t.schema == s1)
        let expected: [[Value]] = [
            [.int(1), .string("Paris"), .int(10), .string("n/a"), .null],
            [.int(2), .string("Oslo"), .null, .string("n/a"), .null],
        ]
        #expect(try allRows(t.snapshot()) == expected)
        // The old snapshot still reads with the old schema.
        #expect(try allRows(old).map { $0[3] } == [.float(0.25), .float(0.5)])
        // New rows carry the new columns; merge materialises defaults.
        try t.insert([PartitionedBlock(block: Block(columns: [
            column(.int64, [.int(0)]), column(DataType(.string, lowCardinality: true), [.string("Rome")]),
            column(DataType.int32.nullable, [.int(7)]), column(.string, [.string("new")]), column(DataType.int8.nullable, [.int(-1)]),
        ]))])
        try t.optimize(final: false)
        let merged: [[Value]] = [[.int(0), .string("Rome"), .int(7), .string("new"), .int(-1)]] + expected
        #expect(try allRows(t.snapshot()) == merged)
        // DROP then re-ADD a column with the same name must not resurrect old data.
        var s2 = s1
        s2.columns.removeAll { $0.name == "qty" }
        try t.alter(schema: s2, renamedColumns: [:])
        var s3 = s2
        s3.columns.append(StorageColumn(name: "qty", type: .int32))
        try t.alter(schema: s3, renamedColumns: [:])
        #expect(try allRows(t.snapshot()).map { $0[4] } == [.int(0), .int(0), .int(0)])
        // Unsupported changes are refused.
        var bad = s3
        bad.columns[1].type = .int32
        #expect(throws: AurumError.self) { try t.alter(schema: bad, renamedColumns: [:]) }
        t.close()
        // Reopen with the final schema.
        let t2 = try MergeTreeTable(directory: dir.table, schema: s3, options: quietOptions())
        defer { t2.close() }
        #expect(try allRows(t2.snapshot()).map { $0[0] } == [.int(0), .int(1), .int(2)])
    }

    @Test func reopenGivesIdenticalData() throws {
        let dir = TempDir("reopen"); defer { dir.cleanup() }
        var rng = Rng(99)
        var expected: [[Value]] = []
        do {
            let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 16), options: quietOptions(fsync: true))
            for _ in 0..<3 {
                let ids = (0..<50).map { _ in rng.int(-1000..<1000) }
                try t.insert([PartitionedBlock(partitionID: "p\(ids[0] & 1)", block: salesBlock(ids, amountNullEvery: 7))])
            }
            _ = try t.mergeOnce()
            expected = try allRows(t.snapshot())
            t.close()
        }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 16), options: quietOptions())
        defer { t.close() }
        #expect(try allRows(t.snapshot()) == expected)
        try t.insert([PartitionedBlock(partitionID: "p0", block: salesBlock([1]))])
        #expect(Set(t.snapshot().parts.map(\.name)).count == t.snapshot().parts.count)
    }

    @Test func backgroundMergesBoundPartCount() throws {
        let dir = TempDir("bg"); defer { dir.cleanup() }
        let opts = StorageOptions(maxPartsPerPartition: 3, backgroundMerges: true, fsync: false)
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: opts)
        for i in 0..<12 { try t.insert([PartitionedBlock(block: salesBlock([i, i + 100]))]) }
        var waited = 0
        while t.snapshot().parts.count > 3 && waited < 500 { usleep(10_000); waited += 1 }
        t.close()
        let s = t.snapshot()
        #expect(s.parts.count <= 3)
        #expect(s.rowCount == 24)
        #expect(try allRows(s).count == 24)
    }

    @Test func insertRejectsMismatchedBlocks() throws {
        let dir = TempDir("bad"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        var b = salesBlock([1])
        b.columns[0] = column(.int32, [.int(1)])
        #expect(throws: AurumError.self) { try t.insert([PartitionedBlock(block: b)]) }
        #expect(t.snapshot().parts.isEmpty)
    }

    @Test func largeInsertSpansManyBlocksAndGranules() throws {
        let dir = TempDir("large"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [
            StorageColumn(name: "ts", type: .dateTime, codec: [.doubleDelta]),
            StorageColumn(name: "v", type: .int32),
            StorageColumn(name: "s", type: DataType.string.nullable),
        ], sortKey: [0], indexGranularity: 1000)
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        let n = 50_000
        let ts = Column(type: .dateTime, data: .int64((0..<n).map { 1_600_000_000 + Int64($0) * 15 }))
        let v = Column(type: .int32, data: .int32((0..<n).map { Int32(truncatingIfNeeded: $0 &* 2654435761) }))
        var sa = StringArray()
        var validity = [UInt8](repeating: 1, count: n)
        for i in 0..<n { if i % 10 == 0 { sa.appendEmpty(); validity[i] = 0 } else { sa.append("s\(i % 977)") } }
        let s = Column(type: DataType.string.nullable, data: .string(sa), validity: validity)
        try t.insert([PartitionedBlock(block: Block(columns: [ts, v, s]))])
        let p = t.snapshot().parts[0]
        #expect(p.granuleCount == 50)
        let back = try p.read(columns: [0, 1, 2], granules: 13..<29)
        #expect(back.count == 16_000)
        #expect(back.columns[0] == ts.slice(13_000..<29_000))
        #expect(back.columns[1] == v.slice(13_000..<29_000))
        #expect(back.columns[2] == s.slice(13_000..<29_000))
        #expect(try p.readAll(columns: [1, 2]).columns == [v, s])
    }
}
