import AurumCore
import Foundation
import Glibc
import Synchronization
import Testing
@testable import AurumStorage

let lowCard = DataType(.string, lowCardinality: true)
let nullableLowCard = DataType(.string, nullable: true, lowCardinality: true)

/// Strings in unsigned byte order (the order dictionaries must use; Swift's `<` on String is not it).
func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

/// A value pool with the awkward cases: empty string, prefixes, bytes ≥ 0x80, emoji, spaces,
/// equal lengths differing in the last byte, a long value (> 8 bytes, not a multiple of 8).
let dictionaryPool: [String] = [
    "", "a", "ab", "abc", "abd", "b", "Z", "z", "ä", "é", "Zürich", "東京", "😀", "a b", "\u{7F}", "\u{01}",
    "longer string value number one", "longer string value number two", "12345678", "123456789",
] + (0..<20).map { "city-\($0)" }

/// Schema: id Int64 (key), city LowCardinality(String), ncity Nullable(LowCardinality(String)).
func dictSchema(granularity: Int = 7, mode: MergeMode = .plain) -> StorageSchema {
    StorageSchema(columns: [
        StorageColumn(name: "id", type: .int64),
        StorageColumn(name: "city", type: lowCard),
        StorageColumn(name: "ncity", type: nullableLowCard),
    ], sortKey: [0], indexGranularity: granularity, mergeMode: mode)
}

/// Deterministic rows for ids: city from `pool`, ncity NULL for every `nullEvery`-th id.
func dictRow(_ id: Int, pool: [String] = dictionaryPool, nullEvery: Int = 4) -> [Value] {
    let city = pool[(id &* 7 &+ 3) % pool.count]
    let ncity: Value = id % nullEvery == 0 ? .null : .string(pool[(id &* 13 &+ 1) % pool.count])
    return [.int(Int64(id)), .string(city), ncity]
}

func dictBlock(_ ids: [Int], pool: [String] = dictionaryPool, nullEvery: Int = 4) -> Block {
    let r = ids.map { dictRow($0, pool: pool, nullEvery: nullEvery) }
    return Block(columns: [column(.int64, r.map { $0[0] }), column(lowCard, r.map { $0[1] }), column(nullableLowCard, r.map { $0[2] })])
}

func smallBlockOptions() -> StorageOptions {
    var o = quietOptions()
    o.minCompressBlockSize = 64   // many blocks per column file, so ranges start and end inside blocks
    return o
}

/// Every row of a dictionary side-car decodes to the column's value.
func expectSideCarMatches(_ c: Column, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let d = try #require(c.dictionary, "no dictionary side-car", sourceLocation: sourceLocation)
    #expect(d.count == c.count, sourceLocation: sourceLocation)
    #expect(ColumnData.string(d.materialize(validity: c.validity)) == c.data, sourceLocation: sourceLocation)
    d.withCodes { codes in
        for i in 0..<c.count where !c.isNull(i) {
            #expect(Value.string(d.values.string(at: Int(codes[i]))) == c.value(at: i), sourceLocation: sourceLocation)
        }
    }
}

@Suite struct DictionaryEncodingTests {
    // MARK: the encoder

    @Test func encoderMatchesReference() throws {
        var rng = Rng(99)
        for trial in 0..<40 {
            let n = rng.int(0..<3000)
            let k = rng.int(1..<600)
            // Values of varied lengths (0...40 bytes) sharing prefixes, so hashing and comparison see
            // every tail length.
            let pool = (0..<k).map { i in String(repeating: "x", count: i % 37) + "\(i % 5)" + (i % 3 == 0 ? "" : "ü\(i)") }
            var sa = StringArray()
            var strings: [String] = []
            var validity: [UInt8]? = trial % 2 == 0 ? [] : nil
            for _ in 0..<n {
                let s = pool[rng.int(0..<k)]
                let isNull = validity != nil && rng.int(0..<5) == 0
                validity?.append(isNull ? 0 : 1)
                strings.append(isNull ? "" : s)
                if isNull { sa.appendEmpty() } else { sa.append(s) }
            }
            let enc = try #require(DictionaryEncoder.encode(sa, validity: validity))
            var distinct = Set<[UInt8]>()
            for i in 0..<n where validity == nil || validity![i] != 0 { distinct.insert(Array(strings[i].utf8)) }
            let expected = distinct.sorted { $0.lexicographicallyPrecedes($1) }
            let got = (0..<enc.values.count).map { Array(enc.values.byteSlice(at: $0)) }
            let same = got == (expected.isEmpty ? [[]] : expected)
            #expect(same, "trial \(trial): \(got.count) dictionary values differ from the \(expected.count) expected")
            #expect(enc.codes.physical == (got.count <= 256 ? .uint8 : .uint16))
            let dc = DictionaryCodes(id: 0, values: enc.values, codes: enc.codes)
            dc.withCodes { codes in
                for i in 0..<n {
                    if let v = validity, v[i] == 0 { #expect(codes[i] == 0) } else {
                        #expect(enc.values.string(at: Int(codes[i])) == strings[i])
                    }
                }
            }
        }
    }

    @Test func encoderEdgeCases() throws {
        // Every row NULL: the dictionary is [""] and every code 0.
        var sa = StringArray(["", "", ""])
        var e = try #require(DictionaryEncoder.encode(sa, validity: [0, 0, 0]))
        #expect(e.values == StringArray([""]) && e.codes == .uint8([0, 0, 0]))
        // Only empty strings (no bytes at all).
        e = try #require(DictionaryEncoder.encode(sa, validity: nil))
        #expect(e.values == StringArray([""]) && e.codes == .uint8([0, 0, 0]))
        // No rows.
        e = try #require(DictionaryEncoder.encode(StringArray(), validity: nil))
        #expect(e.values.count == 1 && e.codes == .uint8([]))
        // NULL rows get code 0 even where the smallest value is not "".
        sa = StringArray(["m", "", "b", "m"])
        e = try #require(DictionaryEncoder.encode(sa, validity: [1, 0, 1, 1]))
        #expect(e.values == StringArray(["b", "m"]) && e.codes == .uint8([1, 0, 0, 1]))
        // Limits: exactly maxValues distinct values encode, one more falls back.
        sa = StringArray(["c", "a", "b", "a"])
        #expect(DictionaryEncoder.encode(sa, validity: nil, maxValues: 3)?.codes == .uint8([2, 0, 1, 0]))
        #expect(DictionaryEncoder.encode(sa, validity: nil, maxValues: 2) == nil)
        #expect(DictionaryEncoder.encode(sa, validity: nil, maxBytes: 3) != nil)
        #expect(DictionaryEncoder.encode(sa, validity: nil, maxBytes: 2) == nil)
        // 256 values fit one byte, 257 need two.
        let v256 = StringArray((0..<256).map { "v\($0)" })
        #expect(DictionaryEncoder.encode(v256, validity: nil)?.codes.physical == .uint8)
        let v257 = StringArray((0..<257).map { "v\($0)" })
        #expect(DictionaryEncoder.encode(v257, validity: nil)?.codes.physical == .uint16)
        // Bytes ≥ 0x80 sort after ASCII (unsigned), a prefix before its extensions.
        sa = StringArray(["é", "z", "", "ab", "a", "\u{7F}"])
        e = try #require(DictionaryEncoder.encode(sa, validity: nil))
        #expect(e.values == StringArray(["", "a", "ab", "z", "\u{7F}", "é"]))
    }

    @Test func dictionaryMinMaxEqualsStringMinMax() throws {
        var rng = Rng(5)
        let n = 500
        var sa = StringArray()
        var validity = [UInt8]()
        for i in 0..<n {
            let isNull = (100..<130).contains(i) || rng.int(0..<6) == 0   // granules 10...12 of 10 rows all NULL
            validity.append(isNull ? 0 : 1)
            if isNull { sa.appendEmpty() } else { sa.append(dictionaryPool[rng.int(0..<dictionaryPool.count)]) }
        }
        let e = try #require(DictionaryEncoder.encode(sa, validity: validity))
        let fromCodes = GranuleMinMax.compute(dictionary: e.values, codes: e.codes, validity: validity, granularity: 10, rows: n)
        let fromStrings = GranuleMinMax.compute(.string(sa), validity: validity, granularity: 10, rows: n)
        #expect(fromCodes.min == fromStrings.min && fromCodes.max == fromStrings.max && fromCodes.flags == fromStrings.flags)
        #expect(fromCodes.flags[11] & GranuleMinMax.allNull != 0)
    }

    @Test func dictionaryPayloadValidation() throws {
        func decode(_ p: [UInt8]) -> String? {
            p.withUnsafeBytes { b in
                do throws(ValuesCodec.DecodeError) { _ = try PartDictionary.decodePayload(b); return nil } catch {
                    switch error { case .malformed(let m): return m }
                }
            }
        }
        var good: [UInt8] = []
        PartDictionary.appendPayload(values: StringArray(["a", "b"]), width: 1, to: &good)
        #expect(decode(good) == nil)
        var unsorted: [UInt8] = []
        PartDictionary.appendPayload(values: StringArray(["b", "a"]), width: 1, to: &unsorted)
        #expect(decode(unsorted)?.contains("ascending") == true)
        var duplicate: [UInt8] = []
        PartDictionary.appendPayload(values: StringArray(["a", "a"]), width: 1, to: &duplicate)
        #expect(decode(duplicate) != nil)
        var badWidth = good
        badWidth[4] = 3
        #expect(decode(badWidth)?.contains("width") == true)
        var tooMany: [UInt8] = []
        PartDictionary.appendPayload(values: StringArray((0..<257).map { "v\($0 + 1000)" }), width: 1, to: &tooMany)
        #expect(decode(tooMany) != nil)
        #expect(decode(good + [0]) != nil)
        #expect(decode(Array(good.dropLast())) != nil)
        var empty: [UInt8] = []
        PartDictionary.appendPayload(values: StringArray(), width: 1, to: &empty)
        #expect(decode(empty) != nil)
        #expect(decode([1, 0]) != nil)
    }

    @Test func materializeHonoursValidityAndWidths() {
        let values = StringArray(["", "ab", "cde"])
        for codes in [ColumnData.uint8([2, 1, 0, 2]), .uint16([2, 1, 0, 2]), .uint32([2, 1, 0, 2])] {
            let d = DictionaryCodes(id: 1, values: values, codes: codes)
            #expect(d.materialize() == StringArray(["cde", "ab", "", "cde"]))
            #expect(d.materialize(validity: [1, 0, 1, 0]) == StringArray(["cde", "", "", ""]))
            #expect(d.slice(1..<3).materialize() == StringArray(["ab", ""]))
        }
    }

    // MARK: parts

    @Test func roundTripThroughInsertAndRead() throws {
        let dir = TempDir("dict-rt"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        defer { t.close() }
        var rng = Rng(3)
        var ids = Array(0..<1000)
        for i in stride(from: ids.count - 1, to: 0, by: -1) { ids.swapAt(i, rng.int(0..<(i + 1))) }
        try t.insert([PartitionedBlock(block: dictBlock(ids))])
        let part = t.snapshot().parts[0]
        for stem in ["city", "ncity"] {
            #expect(FileIO.exists(part.path + "/\(stem).dict"))
            #expect(part.core.checksums.files["\(stem).dict"] != nil)
        }
        #expect(part.core.dictionaryEncoded == [false, true, true])
        let expected = (0..<1000).map { dictRow($0) }
        let all = try part.readAll(columns: [0, 1, 2])
        #expect(rows(all) == expected)
        #expect(all.columns[0].dictionary == nil)
        try expectSideCarMatches(all.columns[1])
        try expectSideCarMatches(all.columns[2])
        #expect(all.columns[2].validity != nil)
        // The marks put several granules in one block and the column in many blocks.
        let m = try part.core.marks(1)
        #expect(Set(m.valueOffset).count > 5 && Set(m.valueOffset).count < part.granuleCount)
        // Partial granule ranges: starting and ending inside blocks, single granules, the short last one.
        let g = part.granuleCount
        for r in [0..<1, 1..<2, 3..<17, 5..<6, 10..<g, (g - 1)..<g, 0..<g, 7..<7] {
            let b = try part.read(columns: [1, 2, 0], granules: r)
            let lo = r.lowerBound * 7, hi = min(1000, r.upperBound * 7)
            #expect(rows(b) == expected[lo..<hi].map { [$0[1], $0[2], $0[0]] }, "granules \(r)")
            if b.count > 0 {
                try expectSideCarMatches(b.columns[0])
                try expectSideCarMatches(b.columns[1])
            }
        }
        // NULL rows read as "" under the validity, as in the plain layout.
        let nc = all.columns[2]
        for i in 0..<1000 where nc.isNull(i) { #expect(nc.data.stringAt(i) == "") }
        // Reopening reads the same.
        t.close()
        let t2 = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
        defer { t2.close() }
        #expect(try allRows(t2.snapshot()) == expected)
    }

    @Test func statsAndPrimaryIndexUseStringValues() throws {
        let dir = TempDir("dict-stats"); defer { dir.cleanup() }
        // city is the sort key here: the primary index and min/max hold strings.
        let schema = StorageSchema(columns: [StorageColumn(name: "city", type: lowCard), StorageColumn(name: "ncity", type: nullableLowCard)],
                                   sortKey: [0], indexGranularity: 3)
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        let city = ["b", "a", "é", "a", "c", "b", "", "z", "c"]
        let ncity: [Value] = [.null, .string("x"), .null, .null, .string("y"), .null, .null, .null, .null]
        try t.insert([PartitionedBlock(block: Block(columns: [column(lowCard, city.map { .string($0) }), column(nullableLowCard, ncity)]))])
        let p = t.snapshot().parts[0]
        // Sorted: "", a, a, b, b, c, c, z, é
        let s = try #require(p.granuleStats(column: 0))
        #expect((0..<3).map { s.min.value(at: $0) } == [.string(""), .string("b"), .string("c")])
        #expect((0..<3).map { s.max.value(at: $0) } == [.string("a"), .string("c"), .string("é")])
        let ns = try #require(p.granuleStats(column: 1))
        #expect(ns.hasNull == [true, true, true])
        #expect(ns.allNull == [false, false, true])
        let idx = try #require(p.primaryIndex())
        #expect((0..<4).map { idx.columns[0].value(at: $0) } == [.string(""), .string("b"), .string("c"), .string("é")])
        #expect(try rows(p.readAll(columns: [0])).map { $0[0] } == ["", "a", "a", "b", "b", "c", "c", "z", "é"].map { .string($0) })
    }

    @Test func readDictionaryGivesSortedValuesAndCodes() throws {
        let dir = TempDir("dict-rd"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<700)))])
        try t.insert([PartitionedBlock(block: dictBlock(Array(700..<750), pool: ["q", "p"], nullEvery: 20))])
        let parts = t.snapshot().parts
        let part = parts[0]
        let expected = (0..<700).map { dictRow($0) }
        #expect(try part.readDictionary(column: 0, granules: 0..<part.granuleCount) == nil)
        for c in [1, 2] {
            let (codes, validity) = try #require(try part.readDictionary(column: c, granules: 0..<part.granuleCount))
            // The dictionary: the distinct non-NULL values, in unsigned byte order.
            let distinct = Set(expected.compactMap { r -> String? in if case .string(let s) = r[c] { return s } else { return nil } })
            #expect((0..<codes.values.count).map { codes.values.string(at: $0) } == distinct.sorted(by: byteOrder))
            #expect(codes.codes.physical == .uint8)
            #expect(codes.count == 700)
            #expect((validity != nil) == (c == 2))
            codes.withCodes { cs in
                for i in 0..<700 {
                    if case .string(let s) = expected[i][c] {
                        #expect(codes.values.string(at: Int(cs[i])) == s)
                        #expect(validity == nil || validity![i] == 1)
                    } else {
                        #expect(validity![i] == 0 && cs[i] == 0)
                    }
                }
            }
            // The same dictionary (and id) for every range and for `read`'s side-car; partial
            // ranges give the matching slice of codes and validity.
            let (sub, subValidity) = try #require(try part.readDictionary(column: c, granules: 13..<40))
            #expect(sub.id == codes.id)
            #expect(sub.codes == codes.codes.slice((13 * 7)..<(40 * 7)))
            #expect(subValidity == validity.map { Array($0[(13 * 7)..<(40 * 7)]) })
            #expect(try part.read(columns: [c], granules: 2..<3).columns[0].dictionary?.id == codes.id)
            // Another part has its own dictionary and id.
            let (other, _) = try #require(try parts[1].readDictionary(column: c, granules: 0..<parts[1].granuleCount))
            #expect(other.id != codes.id)
            #expect((0..<other.values.count).map { other.values.string(at: $0) } == ["p", "q"])
        }
        // A range without NULLs has no validity (as `read`): granule 1 of the second part is ids 707...713.
        #expect(try #require(try parts[1].readDictionary(column: 2, granules: 1..<2)).validity == nil)
        #expect(try #require(try parts[1].readDictionary(column: 2, granules: 0..<1)).validity == [0, 1, 1, 1, 1, 1, 1])
        #expect(try parts[1].read(columns: [2], granules: 1..<2).columns[0].validity == nil)
        // 300 distinct values: two-byte codes.
        let wide = (0..<300).map { "w\($0)" }
        try t.insert([PartitionedBlock(block: dictBlock(Array(1000..<1600), pool: wide, nullEvery: 1_000_000))])
        let wp = try #require(t.snapshot().parts.first { $0.minBlock == 3 })
        let (wc, wv) = try #require(try wp.readDictionary(column: 1, granules: 0..<wp.granuleCount))
        #expect(wc.codes.physical == .uint16 && wc.values.count == 300 && wv == nil)
        #expect(try rows(wp.readAll(columns: [0, 1, 2])) == (1000..<1600).map { dictRow($0, pool: wide, nullEvery: 1_000_000) })
    }

    @Test func concurrentFirstReadsShareOneDictionary() throws {
        let dir = TempDir("dict-conc"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<500)))])
        t.close()
        // A fresh open, so every thread races to load the dictionary first.
        let r = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
        defer { r.close() }
        let p = r.snapshot().parts[0]
        let ids = Mutex([Int]())
        let expected = (0..<500).map { dictRow($0) }
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            let g = k % p.granuleCount
            guard let col = try? p.read(columns: [1], granules: g..<(g + 1)).columns[0], let d = col.dictionary else {
                ids.withLock { $0.append(-1) }
                return
            }
            let ok = (0..<col.count).allSatisfy { col.value(at: $0) == expected[g * 7 + $0][1] }
            ids.withLock { $0.append(ok ? d.id : -2) }
        }
        let got = ids.withLock { $0 }
        #expect(got.count == 8 && Set(got).count == 1 && got[0] > 0, "\(got)")
    }

    @Test func fallsBackToPlainAboveTheDictionaryLimit() throws {
        let dir = TempDir("dict-big"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [StorageColumn(name: "id", type: .int64), StorageColumn(name: "s", type: lowCard)],
                                   sortKey: [0], indexGranularity: 8192)
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        func insert(distinct: Int, rows n: Int) throws -> DataPart {
            let ids = Array(0..<n)
            try t.insert([PartitionedBlock(block: Block(columns: [
                column(.int64, ids.map { .int(Int64($0)) }), column(lowCard, ids.map { .string("s\($0 % distinct)") }),
            ]))])
            return try #require(t.snapshot().parts.last)
        }
        // Exactly 65,536 distinct values: still a dictionary, with two-byte codes.
        let atLimit = try insert(distinct: 65_536, rows: 70_000)
        #expect(atLimit.core.dictionaryEncoded[1])
        let (codes, _) = try #require(try atLimit.readDictionary(column: 1, granules: 0..<atLimit.granuleCount))
        #expect(codes.values.count == 65_536 && codes.codes.physical == .uint16)
        #expect(try atLimit.read(columns: [1], granules: 8..<9).columns[0].value(at: 100) == .string("s\((8 * 8192 + 100) % 65_536)"))
        // One more: plain strings, no .dict file; reads are unchanged.
        let over = try insert(distinct: 65_537, rows: 70_000)
        #expect(!over.core.dictionaryEncoded[1])
        #expect(!FileIO.exists(over.path + "/s.dict"))
        #expect(try over.readDictionary(column: 1, granules: 0..<over.granuleCount) == nil)
        let col = try over.readAll(columns: [1]).columns[0]
        #expect(col.dictionary == nil)
        #expect(col.data == .string(StringArray((0..<70_000).map { "s\($0 % 65_537)" })))
        // Merging the two re-encodes the union (too many values: plain).
        try t.optimize(final: false)
        let merged = t.snapshot().parts[0]
        #expect(merged.rowCount == 140_000 && !merged.core.dictionaryEncoded[1])
        let m = try merged.read(columns: [0, 1], granules: 0..<1)
        #expect(m.columns[1].value(at: 1) == .string("s0") && m.columns[1].value(at: 2) == .string("s1"))
    }

    @Test func mergesReencodeDifferentDictionaries() throws {
        let dir = TempDir("dict-merge"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        defer { t.close() }
        let pools = [["x", "b", "é"], ["a", "b", "c", "d"], dictionaryPool]
        var expected: [[Value]] = []
        for (k, pool) in pools.enumerated() {
            let ids = Array((k * 300)..<(k * 300 + 250)).reversed().map { $0 }
            try t.insert([PartitionedBlock(block: dictBlock(ids, pool: pool, nullEvery: 3 + k))])
            expected += ids.map { dictRow($0, pool: pool, nullEvery: 3 + k) }
        }
        expected.sort { if case .int(let a) = $0[0], case .int(let b) = $1[0] { return a < b }; return false }
        try t.optimize(final: false)
        let s = t.snapshot()
        #expect(s.parts.count == 1)
        let p = s.parts[0]
        #expect(try allRows(s) == expected)
        let (codes, _) = try #require(try p.readDictionary(column: 1, granules: 0..<p.granuleCount))
        let union = Set(expected.compactMap { r -> String? in if case .string(let v) = r[1] { return v } else { return nil } })
        #expect((0..<codes.values.count).map { codes.values.string(at: $0) } == union.sorted(by: byteOrder))
        try expectSideCarMatches(try p.readAll(columns: [2]).columns[0])
    }

    @Test func finalAndReplacingMergesAcrossDictionaries() throws {
        let dir = TempDir("dict-final"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(granularity: 3, mode: .replacing(versionColumn: nil)),
                                   options: quietOptions())
        defer { t.close() }
        func b(_ r: [(Int64, String, String?)]) -> PartitionedBlock {
            PartitionedBlock(block: Block(columns: [column(.int64, r.map { .int($0.0) }), column(lowCard, r.map { .string($0.1) }),
                                                    column(nullableLowCard, r.map { $0.2.map { .string($0) } ?? .null })]))
        }
        try t.insert([b([(1, "one", nil), (2, "two", "deux"), (3, "three", "trois"), (4, "four", nil)])])
        try t.insert([b([(2, "TWO", nil), (4, "FOUR", "quatre"), (5, "five", "cinq")])])
        let expected: [[Value]] = [
            [.int(1), .string("one"), .null], [.int(2), .string("TWO"), .null], [.int(3), .string("three"), .string("trois")],
            [.int(4), .string("FOUR"), .string("quatre")], [.int(5), .string("five"), .string("cinq")],
        ]
        #expect(try t.readFinal(snapshot: t.snapshot(), columns: [0, 1, 2]).flatMap(rows) == expected)
        try t.optimize(final: true)
        #expect(try allRows(t.snapshot()) == expected)
        let p = t.snapshot().parts[0]
        let (codes, validity) = try #require(try p.readDictionary(column: 2, granules: 0..<p.granuleCount))
        #expect((0..<codes.values.count).map { codes.values.string(at: $0) } == ["cinq", "quatre", "trois"])
        #expect(validity == [0, 0, 1, 1, 1])
    }

    @Test func alterRenameAndTypeChangesKeepDictionaryColumnsReadable() throws {
        let dir = TempDir("dict-alter"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<200)))])
        let before = t.snapshot().parts[0]
        let expected = (0..<200).map { dictRow($0) }
        // RENAME city -> town (hard-links city.dict as town.dict).
        var s1 = dictSchema()
        s1.columns[1].name = "town"
        try t.alter(schema: s1, renamedColumns: ["city": "town"])
        let p = t.snapshot().parts[0]
        #expect(p.name != before.name)
        #expect(FileIO.exists(p.path + "/town.dict") && !FileIO.exists(p.path + "/city.dict"))
        #expect(p.core.checksums.files["town.dict"] != nil)
        #expect(try allRows(t.snapshot()) == expected)
        try expectSideCarMatches(try p.readAll(columns: [1]).columns[0])
        #expect(try p.readDictionary(column: 1, granules: 0..<p.granuleCount) != nil)
        // DROP ncity: its files go, the others still read.
        var s2 = s1
        s2.columns.remove(at: 2)
        try t.alter(schema: s2, renamedColumns: [:])
        let p2 = t.snapshot().parts[0]
        #expect(!FileIO.exists(p2.path + "/ncity.dict") && FileIO.exists(p2.path + "/town.dict"))
        #expect(try allRows(t.snapshot()) == expected.map { [$0[0], $0[1]] })
        // The part keeps its encoding when the table type changes to plain String.
        var s3 = s2
        s3.columns[1].type = .string
        try t.alter(schema: s3, renamedColumns: [:])
        let p3 = t.snapshot().parts[0]
        #expect(try allRows(t.snapshot()) == expected.map { [$0[0], $0[1]] })
        #expect(try p3.readDictionary(column: 1, granules: 0..<p3.granuleCount) != nil)
        // ...and new parts of a plain String column are written plain; a merge of both re-encodes plain.
        try t.insert([PartitionedBlock(block: Block(columns: [column(.int64, [.int(500)]), column(.string, [.string("new")])]))])
        try t.optimize(final: false)
        let p4 = t.snapshot().parts[0]
        #expect(!p4.core.dictionaryEncoded[1])
        #expect(try allRows(t.snapshot()) == expected.map { [$0[0], $0[1]] } + [[.int(500), .string("new")]])
        t.close()
        let t2 = try MergeTreeTable(directory: dir.table, schema: s3, options: quietOptions())
        defer { t2.close() }
        #expect(try allRows(t2.snapshot()).count == 201)
    }

    @Test func nonNullableTableTypeOverNullableDictionaryPart() throws {
        let dir = TempDir("dict-nn"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
        defer { t.close() }
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<50), nullEvery: 20))])
        var s = dictSchema()
        s.columns[2].type = lowCard   // Nullable(LowCardinality(String)) -> LowCardinality(String): storage allows it
        try t.alter(schema: s, renamedColumns: [:])
        let p = t.snapshot().parts[0]
        let c = try p.readAll(columns: [2]).columns[0]
        // Former NULLs read as "" (as in the plain layout), without a side-car whose code 0 would say otherwise.
        #expect(c.validity == nil && c.dictionary == nil)
        for i in 0..<50 {
            if case .string(let v) = dictRow(i, nullEvery: 20)[2] { #expect(c.value(at: i) == .string(v)) } else { #expect(c.value(at: i) == .string("")) }
        }
        #expect(try p.readDictionary(column: 2, granules: 0..<p.granuleCount) == nil)
        // Granule 0 (ids 0...6) holds a NULL; granule 1 (ids 7...13) none, so it keeps the side-car and codes.
        #expect(try p.read(columns: [2], granules: 0..<1).columns[0].dictionary == nil)
        #expect(try p.readDictionary(column: 2, granules: 0..<1) == nil)
        try expectSideCarMatches(try p.read(columns: [2], granules: 1..<2).columns[0])
        #expect(try p.readDictionary(column: 2, granules: 1..<2) != nil)
        #expect(try p.readDictionary(column: 1, granules: 0..<p.granuleCount) != nil)
    }

    @Test func bytesUncompressedCountsCodesNullMapAndDictionary() throws {
        let dir = TempDir("dict-bytes"); defer { dir.cleanup() }
        let schema = StorageSchema(columns: [StorageColumn(name: "s", type: nullableLowCard)], indexGranularity: 4)
        let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
        defer { t.close() }
        let values: [Value] = (0..<10).map { $0 == 3 ? .null : .string(["alpha", "be", "alpha"][$0 % 3]) }
        try t.insert([PartitionedBlock(block: Block(columns: [column(nullableLowCard, values)]))])
        let p = t.snapshot().parts[0]
        // 10 one-byte codes + 10 null-map bytes + dictionary (4 + 1 + 2 × 4 + "alpha" + "be").
        #expect(p.bytesUncompressed == 10 + 10 + (5 + 8 + 7))
        #expect(try rows(p.readAll(columns: [0])).map { $0[0] } == values)
    }

    // MARK: corruption

    func expectCorrupt(_ body: () throws -> Void, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected XX001 (\(mentions))", sourceLocation: sourceLocation)
        } catch let e as AurumError {
            #expect(e.code == .dataCorrupted, "\(e)", sourceLocation: sourceLocation)
            for m in mentions { #expect(e.message.contains(m), "message \"\(e.message)\" lacks \(m)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func flippedByteInDictionaryFileIsDetected() throws {
        let dir = TempDir("dict-flip"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<300)))])
        let name = t.snapshot().parts[0].name
        t.close()
        let path = dir.table + "/" + name + "/city.dict"
        let original = try FileIO.readFile(path)
        for off in [0, 9, 20, original.count / 2, original.count - 1] {
            var b = original
            b[off] ^= 0x5A
            try Data(b).write(to: URL(fileURLWithPath: path))
            // The dictionary is verified when first loaded, not at startup.
            let r = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
            let p = r.snapshot().parts[0]
            expectCorrupt({ _ = try p.readAll(columns: [1]) }, mentions: [dir.table, name, "\"city\"", "city.dict"])
            expectCorrupt({ _ = try p.readDictionary(column: 1, granules: 0..<1) }, mentions: [name, "\"city\"", "city.dict"])
            // Other columns are unaffected.
            #expect(try p.readAll(columns: [0, 2]).count == 300)
            r.close()
        }
        try Data(original).write(to: URL(fileURLWithPath: path))
        let r = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
        defer { r.close() }
        #expect(try allRows(r.snapshot()) == (0..<300).map { dictRow($0) })
    }

    /// Rewrites `<stem>.dict` of the part with `payload` and updates checksums.txt to match, so
    /// only the reader's own checks can catch the damage.
    func replaceDictionary(partPath: String, stem: String, payload: [UInt8]) throws {
        var block: [UInt8] = []
        try payload.withUnsafeBytes { try BlockEncoder().encode($0, rows: 0, width: 0, steps: [.lz4], into: &block) }
        try Data(block).write(to: URL(fileURLWithPath: partPath + "/\(stem).dict"))
        var sums = try ChecksumsFile.decode(try FileIO.readFile(partPath + "/checksums.txt"))
        sums.files["\(stem).dict"] = .init(size: block.count, hash: XXHash64.hash(block))
        try Data(sums.encode()).write(to: URL(fileURLWithPath: partPath + "/checksums.txt"))
    }

    @Test func outOfRangeCodeIsDetected() throws {
        let dir = TempDir("dict-range"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<300)))])
        let p0 = t.snapshot().parts[0]
        let (codes, _) = try #require(try p0.readDictionary(column: 2, granules: 0..<p0.granuleCount))
        t.close()
        // A valid dictionary with the largest value missing: the codes that name it are out of range.
        let k = codes.values.count
        var payload: [UInt8] = []
        let kept = [Int32](0..<Int32(k - 1)).withUnsafeBufferPointer { codes.values.gather($0) }
        PartDictionary.appendPayload(values: kept, width: 1, to: &payload)
        try replaceDictionary(partPath: p0.path, stem: "ncity", payload: payload)
        let r = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
        defer { r.close() }
        let p = r.snapshot().parts[0]
        expectCorrupt({ _ = try p.readAll(columns: [2]) }, mentions: [dir.table, p.name, "\"ncity\"", "out of range"])
        expectCorrupt({ _ = try p.readDictionary(column: 2, granules: 0..<p.granuleCount) }, mentions: [p.name, "\"ncity\"", "out of range"])
        // Granules whose codes all fall inside the smaller dictionary still read correctly.
        let expected = (0..<300).map { dictRow($0) }
        var ok = 0
        for g in 0..<p.granuleCount {
            let r = p.granuleRowRange(g)
            let maxCode = codes.slice(r).withCodes { Int($0.max() ?? 0) }   // NULL rows have code 0
            if maxCode < k - 1 {
                #expect(try rows(p.read(columns: [2], granules: g..<(g + 1))).map { $0[0] } == expected[r].map { $0[2] })
                ok += 1
            } else {
                expectCorrupt({ _ = try p.read(columns: [2], granules: g..<(g + 1)) }, mentions: ["\"ncity\"", "out of range"])
            }
        }
        #expect(ok > 0 && ok < p.granuleCount)
    }

    @Test func malformedDictionaryFilesAreDetected() throws {
        let dir = TempDir("dict-bad"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: smallBlockOptions())
        try t.insert([PartitionedBlock(block: dictBlock(Array(0..<100)))])
        let p0 = t.snapshot().parts[0]
        let values = try #require(try p0.readDictionary(column: 1, granules: 0..<1)).codes.values
        t.close()
        var wrongWidth: [UInt8] = []
        PartDictionary.appendPayload(values: values, width: 2, to: &wrongWidth)   // .bin holds 1-byte codes
        var unsorted: [UInt8] = []
        let reversed = (0..<values.count).reversed().map { Int32($0) }
        PartDictionary.appendPayload(values: reversed.withUnsafeBufferPointer { values.gather($0) }, width: 1, to: &unsorted)
        for (payload, why) in [(wrongWidth, "city.bin"), (unsorted, "ascending"), (Array(wrongWidth.prefix(3)), "city.dict")] {
            try replaceDictionary(partPath: p0.path, stem: "city", payload: payload)
            let r = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions())
            expectCorrupt({ _ = try r.snapshot().parts[0].readAll(columns: [1]) }, mentions: [p0.name, "\"city\"", why])
            r.close()
        }
        // A .dict listed for a non-string column makes the part unreadable at startup.
        try replaceDictionary(partPath: p0.path, stem: "id", payload: wrongWidth)
        expectCorrupt({ _ = try MergeTreeTable(directory: dir.table, schema: dictSchema(), options: quietOptions()) },
                      mentions: [p0.name, "id.dict"])
    }

    // MARK: measurement

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// On-disk bytes and read times of 1 Mi-row string columns stored plain (`String`, the
    /// layout LowCardinality used before dictionary encoding) and dictionary-encoded
    /// (`LowCardinality(String)`), with LZ4 and ZSTD(1); and the encoder's time on 6 Mi rows.
    /// Run with AURUM_MEASURE=1, in a release build for meaningful times
    /// (`AURUM_MEASURE=1 swift test -c release --filter DictionaryEncodingTests/measure`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AURUM_MEASURE"] != nil))
    func measureLowCardinalityColumns() throws {
        let n = 1 << 20
        var rng = Rng(7)
        let nations = ["UNITED KI", "UNITED ST", "CHINA    ", "FRANCE   ", "GERMANY  ", "JAPAN    ", "BRAZIL   ", "INDIA    ",
                       "RUSSIA   ", "PERU     ", "KENYA    ", "EGYPT    ", "CANADA   ", "IRAN     ", "IRAQ     ", "JORDAN   ",
                       "MOROCCO  ", "ROMANIA  ", "VIETNAM  ", "ETHIOPIA ", "ALGERIA  ", "ARGENTINA", "INDONESIA", "MOZAMBIQU",
                       "SAUDI ARA"]
        let ssbCities = nations.flatMap { nat in (0..<10).map { nat + String($0) } }
        // The value set of CodecMeasurementTests' "City LowCardinality(String)" column.
        let cities60 = (0..<60).map { "City-\($0)-" + String(repeating: "x", count: $0 % 9) }
        func random(_ pool: [String]) -> StringArray {
            var sa = StringArray()
            for _ in 0..<n { sa.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            return sa
        }
        let datasets = [("SSB c_city (250 values)", random(ssbCities)), ("City (60 values)", random(cities60))]
        func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }
        var report = "column | type | codec | bytes on disk | bytes_uncompressed | readAll | readDictionary\n"
        for (name, sa) in datasets {
            for type in [DataType.string, lowCard] {
                for codec in [[CodecStep.lz4], [.zstd(level: 1)]] {
                    let dir = TempDir("measure"); defer { dir.cleanup() }
                    let schema = StorageSchema(columns: [StorageColumn(name: "c", type: type, codec: codec)])
                    let t = try MergeTreeTable(directory: dir.table, schema: schema, options: quietOptions())
                    defer { t.close() }
                    try t.insert([PartitionedBlock(block: Block(columns: [Column(type: type, data: .string(sa))]))])
                    let part = t.snapshot().parts[0]
                    let colBytes = part.core.checksums.files.filter { $0.key.hasPrefix("c.") }.reduce(0) { $0 + $1.value.size }
                    var best = Double.infinity, bestCodes = Double.infinity
                    for _ in 0..<7 {
                        let t1 = DictionaryEncodingTests.now()
                        let b = try part.readAll(columns: [0])
                        best = min(best, DictionaryEncodingTests.now() - t1)
                        #expect(b.count == n)
                        if type.isLowCardinality {
                            let t2 = DictionaryEncodingTests.now()
                            let d = try part.readDictionary(column: 0, granules: 0..<part.granuleCount)
                            bestCodes = min(bestCodes, DictionaryEncodingTests.now() - t2)
                            #expect(d?.codes.count == n)
                        }
                    }
                    #expect(try part.readAll(columns: [0]).columns[0].data == .string(sa))
                    report += "\(name) | \(type) | \(codec[0]) | \(colBytes) | \(part.bytesUncompressed) | \(ms(best)) | "
                        + (type.isLowCardinality ? ms(bestCodes) : "–") + "\n"
                }
            }
        }
        // The encoder alone on 6 Mi rows.
        var big = StringArray()
        big.reserve(count: 6 * n, bytes: 6 * datasets[0].1.bytes.count)
        for _ in 0..<6 { big.append(contentsOf: datasets[0].1) }
        var bestEncode = Double.infinity
        for _ in 0..<5 {
            let t3 = DictionaryEncodingTests.now()
            let e = DictionaryEncoder.encode(big, validity: nil)
            bestEncode = min(bestEncode, DictionaryEncodingTests.now() - t3)
            #expect(e?.values.count == ssbCities.count)
        }
        report += "DictionaryEncoder.encode on \(big.count) rows (250 values): best \(ms(bestEncode))\n"
        print(report)
    }
}

extension ColumnData {
    /// Test helper: string row `i`.
    func stringAt(_ i: Int) -> String? {
        if case .string(let s) = self { return s.string(at: i) }
        return nil
    }
}
