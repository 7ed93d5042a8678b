import AurumTestSupport
import Testing
import AurumCore
@testable import AurumEngine

// GroupTable against a reference: a Swift Dictionary over each row's `[Value]` key (via
// `Column.value(at:)`), handing out dense ids in order of first appearance, exactly as
// GroupTable must. Data is random with fixed seeds.

/// A column of `t` from values (NULLs make it nullable).
private func column(_ t: DataType, _ values: [Value]) -> Column {
    var b = ColumnBuilder(type: t, capacity: values.count)
    for v in values { b.append(v) }
    var c = b.finish()
    if c.validity != nil { c.type.isNullable = true }
    return c
}
private func strings(_ s: [String?], nullable: Bool = false) -> Column {
    column(nullable ? DataType.string.nullable : .string, s.map { $0.map(Value.string) ?? .null })
}
private func ints(_ v: [Int64?], _ t: DataType = .int64) -> Column {
    column(t, v.map { $0.map(Value.int) ?? .null })
}

/// A string column with a dictionary side-car: `codes[i]` indexes `values` (sorted, distinct),
/// nil = NULL. `data` is materialised from the codes, as storage does.
private func dictColumn(_ values: [String], _ codes: [Int?], id: Int, nullable: Bool = false,
                        width: PhysicalType = .uint16) -> Column {
    precondition(values == values.sorted() && Set(values).count == values.count)
    let raw = codes.map { $0 ?? 0 }
    let codeData: ColumnData
    switch width {
    case .uint8: codeData = .uint8(raw.map { UInt8($0) })
    case .uint32: codeData = .uint32(raw.map { UInt32($0) })
    default: codeData = .uint16(raw.map { UInt16($0) })
    }
    let dict = DictionaryCodes(id: id, values: StringArray(values), codes: codeData)
    let validity: [UInt8]? = codes.contains(where: { $0 == nil }) ? codes.map { $0 == nil ? 0 : 1 } : nil
    let data = dict.materialize(validity: validity)
    let t = DataType(.string, nullable: nullable || validity != nil, lowCardinality: true)
    return Column(type: t, data: .string(data), validity: validity, dictionary: dict)
}

/// The reference implementation.
private struct Reference {
    var groups: [[Value]: Int32] = [:]

    static func key(_ cols: [Column], _ i: Int) -> [Value] {
        cols.map { $0.value(at: $0.count == 1 ? 0 : i) }
    }

    mutating func insert(_ cols: [Column], _ n: Int) -> (ids: [Int32], newRows: [Int32]) {
        var ids: [Int32] = [], newRows: [Int32] = []
        for i in 0..<n {
            let k = Reference.key(cols, i)
            if let g = groups[k] { ids.append(g); continue }
            let g = Int32(groups.count)
            groups[k] = g
            ids.append(g)
            newRows.append(Int32(i))
        }
        return (ids, newRows)
    }

    func lookup(_ cols: [Column], _ n: Int, nullsMatch: Bool) -> [Int32] {
        (0..<n).map { i in
            let k = Reference.key(cols, i)
            if !nullsMatch && k.contains(where: \.isNull) { return -1 }
            return groups[k] ?? -1
        }
    }
}

/// Inserts into both and compares ids, new rows and group counts.
@discardableResult
private func checkInsert(_ t: GroupTable, _ r: inout Reference, _ cols: [Column], _ n: Int,
                         sourceLocation: SourceLocation = #_sourceLocation) -> [Int32] {
    var newRows: [Int32] = []
    let ids = t.insert(cols, n, newRows: &newRows)
    let (refIDs, refNew) = r.insert(cols, n)
    #expect(ids == refIDs, sourceLocation: sourceLocation)
    #expect(newRows == refNew, sourceLocation: sourceLocation)
    #expect(t.groupCount == r.groups.count, sourceLocation: sourceLocation)
    return ids
}

private func checkLookup(_ t: GroupTable, _ r: Reference, _ cols: [Column], _ n: Int, nullsMatch: Bool,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let ids = t.lookup(cols, n, nullsMatch: nullsMatch)
    #expect(ids == r.lookup(cols, n, nullsMatch: nullsMatch), sourceLocation: sourceLocation)
}

private let alphabet = ["a", "b", "c", "é", "-", "X", "Y", "Z", " ", "0"]

/// A random word of 0...maxLen letters from a small alphabet (so words repeat).
private func word(_ g: inout SplitMix64, maxLen: Int = 12) -> String {
    let len = Int.random(in: 0...maxLen, using: &g)
    return (0..<len).map { _ in alphabet.randomElement(using: &g)! }.joined()
}

private func pool(_ count: Int, _ g: inout SplitMix64) -> [String] {
    var s = Set<String>()
    while s.count < count { s.insert(word(&g)) }
    return s.sorted()
}

@Suite struct GroupTableTests {
    @Test func singleStringKey() {
        var g = SplitMix64(seed: 1)
        let values = pool(60, &g) + [""]
        let t = GroupTable(keyTypes: [.string])
        #expect(t.representation == .word)
        var r = Reference()
        for _ in 0..<5 {
            let n = Int.random(in: 1...3000, using: &g)
            checkInsert(t, &r, [strings((0..<n).map { _ in values.randomElement(using: &g)! })], n)
        }
        #expect(t.internedCount(stringKey: 0) == r.groups.count)
    }

    @Test func multiStringKeys() {
        var g = SplitMix64(seed: 2)
        let a = pool(7, &g), b = pool(5, &g), c = pool(4, &g)
        for (count, repr) in [(2, GroupTable.Representation.word), (3, .doubleWord), (4, .doubleWord), (5, .bytes(width: 20))] {
            let t = GroupTable(keyTypes: Array(repeating: .string, count: count))
            #expect(t.representation == repr)
            var r = Reference()
            for _ in 0..<4 {
                let n = Int.random(in: 100...2000, using: &g)
                let cols = (0..<count).map { k in strings((0..<n).map { _ in [a, b, c][k % 3].randomElement(using: &g)! }) }
                checkInsert(t, &r, cols, n)
                checkLookup(t, r, cols, n, nullsMatch: false)
            }
        }
    }

    @Test func mixedStringAndFixedKeys() {
        var g = SplitMix64(seed: 3)
        let words = pool(20, &g)
        let cases: [([DataType], GroupTable.Representation)] = [
            ([.string, .int32], .word),                        // 32 + 32
            ([.string, .int16.nullable], .word),               // 32 + 17
            ([.uint8, .string, .date], .doubleWord),           // 8 + 32 + 32
            ([.string, .int64], .doubleWord),                  // 32 + 64
            ([.string.nullable, .int32.nullable], .doubleWord), // 32 + 33
            ([.string, .float64, .string], .doubleWord),       // 32 + 64 + 32
            ([.uuid], .doubleWord),                            // 128
        ]
        for (types, repr) in cases {
            let t = GroupTable(keyTypes: types)
            #expect(t.representation == repr)
            var r = Reference()
            for _ in 0..<4 {
                let n = Int.random(in: 200...3000, using: &g)
                let cols: [Column] = types.map { ty in
                    let vs: [Value] = (0..<n).map { _ in
                        if ty.isNullable && Int.random(in: 0..<10, using: &g) == 0 { return .null }
                        switch ty.base {
                        case .string: return .string(words.randomElement(using: &g)!)
                        case .float64: return .float([0.0, -0.0, 1.5, -2.25, 1e300].randomElement(using: &g)!)
                        case .uuid: return .uuid(UInt128(UInt64.random(in: 0..<4, using: &g)) << 100 | UInt128(UInt64.random(in: 0..<3, using: &g)))
                        case .date: return .date(Int32.random(in: -3...3, using: &g))
                        case .uint8: return .uint(UInt64.random(in: 250...255, using: &g))
                        default: return .int(Int64.random(in: -5...5, using: &g) * (Int64.max / 7))
                        }
                    }
                    return column(ty, vs)
                }
                checkInsert(t, &r, cols, n)
                checkLookup(t, r, cols, n, nullsMatch: true)
                checkLookup(t, r, cols, n, nullsMatch: false)
            }
        }
    }

    @Test func generalPath() {
        var g = SplitMix64(seed: 4)
        let words = pool(6, &g)
        let dec = DataType.decimal(38, 4)
        let cases: [[DataType]] = [
            [dec, dec, dec],
            [dec.nullable, dec, dec.nullable],
            [.string, .string, .string, .string, .string.nullable, .float64],
            [.uuid, .string, .int8.nullable],
        ]
        for types in cases {
            let t = GroupTable(keyTypes: types)
            guard case .bytes = t.representation else { Issue.record("expected the byte path for \(types)"); continue }
            var r = Reference()
            for _ in 0..<4 {
                let n = Int.random(in: 500...3000, using: &g)
                let cols: [Column] = types.map { ty in
                    column(ty, (0..<n).map { _ in
                        if ty.isNullable && Int.random(in: 0..<8, using: &g) == 0 { return .null }
                        switch ty.base {
                        case .string: return .string(words.randomElement(using: &g)!)
                        case .float64: return .float([0.0, -0.0, 3.0].randomElement(using: &g)!)
                        case .decimal: return .decimal(Int128(Int64.random(in: -2...2, using: &g)) << 80 | Int128(Int.random(in: 0...1, using: &g)), scale: 4)
                        case .int8: return .int(Int64.random(in: -1...1, using: &g))
                        default: return .uuid(UInt128(UInt64.random(in: 0...2, using: &g)) * UInt128(UInt64.max))
                        }
                    })
                }
                checkInsert(t, &r, cols, n)
                checkLookup(t, r, cols, n, nullsMatch: true)
                checkLookup(t, r, cols, n, nullsMatch: false)
            }
        }
    }

    @Test func nullsAreTheirOwnGroup() {
        // nullable string: NULL, "" and "a" are three groups
        let t = GroupTable(keyTypes: [.string.nullable])
        var n1: [Int32] = []
        let ids = t.insert([strings([nil, "", "a", nil, "", "a"], nullable: true)], 6, newRows: &n1)
        #expect(ids == [0, 1, 2, 0, 1, 2])
        #expect(n1 == [0, 1, 2])
        // nullable int: NULL and 0 are two groups (in both packed widths and the byte path)
        for types in [[DataType.int32.nullable], [.int64.nullable], [.int64.nullable, .int64.nullable, .string]] {
            let t2 = GroupTable(keyTypes: types)
            var nr: [Int32] = []
            let cols = types.map { ty in ty.isString ? strings(["x", "x", "x", "x"]) : ints([nil, 0, nil, 0], ty) }
            #expect(t2.insert(cols, 4, newRows: &nr) == [0, 1, 0, 1])
            #expect(t2.lookup(cols, 4, nullsMatch: true) == [0, 1, 0, 1])
            #expect(t2.lookup(cols, 4, nullsMatch: false) == [-1, 1, -1, 1])
        }
        // randomized: nullable string + nullable int, both lookups
        var g = SplitMix64(seed: 5)
        let words = pool(10, &g) + [""]
        let t3 = GroupTable(keyTypes: [.string.nullable, .int16.nullable])
        var r = Reference()
        for _ in 0..<4 {
            let n = Int.random(in: 500...2000, using: &g)
            let s = strings((0..<n).map { _ in Int.random(in: 0..<5, using: &g) == 0 ? nil : words.randomElement(using: &g)! }, nullable: true)
            let v = ints((0..<n).map { _ in Int.random(in: 0..<5, using: &g) == 0 ? nil : Int64.random(in: -3...3, using: &g) }, .int16.nullable)
            checkInsert(t3, &r, [s, v], n)
            checkLookup(t3, r, [s, v], n, nullsMatch: true)
            checkLookup(t3, r, [s, v], n, nullsMatch: false)
        }
    }

    @Test func emptyStrings() {
        let t = GroupTable(keyTypes: [.string, .string])
        var r = Reference()
        let a = strings(["", "", "a", "", "ab", ""]), b = strings(["", "a", "", "", "", "b"])
        checkInsert(t, &r, [a, b], 6)
        #expect(t.groupCount == 5)
        checkLookup(t, r, [strings(["", "a", "b"]), strings(["", "", ""])], 3, nullsMatch: false)
        // a column whose byte buffer is empty (every row "")
        let t2 = GroupTable(keyTypes: [.string])
        var nr: [Int32] = []
        #expect(t2.insert([strings(["", ""])], 2, newRows: &nr) == [0, 0])
        #expect(t2.lookup([strings(["", "x"])], 2, nullsMatch: false) == [0, -1])
    }

    @Test func floatEquality() {
        let t = GroupTable(keyTypes: [.float64, .string])
        var nr: [Int32] = []
        let nan = Double.nan
        let f = column(.float64, [.float(0.0), .float(-0.0), .float(nan), .float(nan), .float(1)])
        #expect(t.insert([f, strings(["a", "a", "a", "a", "a"])], 5, newRows: &nr) == [0, 0, 1, 1, 2])
        let f32 = column(.float32, [.float(-0.0), .float(0.0)])
        let t2 = GroupTable(keyTypes: [.float32])
        #expect(t2.insert([f32], 2, newRows: &nr) == [0, 0])
    }

    @Test func manyDistinctValues() {
        var g = SplitMix64(seed: 6)
        // > 100k distinct strings: both the group table and the intern tables grow many times
        let t = GroupTable(keyTypes: [.string, .int32])
        var r = Reference()
        var distinct = Set<String>()
        for block in 0..<6 {
            let n = 40_000
            var s: [String?] = [], v: [Int64?] = []
            for i in 0..<n {
                let x = i % 5 == 0 ? "same-\(i % 3)" : "value-\(block)-\(UInt32.random(in: 0..<1_000_000, using: &g))"
                s.append(x); distinct.insert(x)
                v.append(Int64.random(in: 0...1, using: &g))
            }
            checkInsert(t, &r, [strings(s), ints(v, .int32)], n)
        }
        #expect(t.groupCount > 100_000)
        #expect(t.internedCount(stringKey: 0) == distinct.count)
        // memory includes the interned strings' bytes
        #expect(t.memoryBytes > distinct.count * 12)
        let probe = strings((0..<1000).map { i in i % 2 == 0 ? "value-0-\(i)" : "nope-\(i)" })
        checkLookup(t, r, [probe, ints((0..<1000).map { Int64($0 % 2) }, .int32)], 1000, nullsMatch: false)
        #expect(t.internedCount(stringKey: 0) == distinct.count)

        // the byte path with many groups
        let tb = GroupTable(keyTypes: [.decimal(38, 0), .decimal(38, 0)])
        var rb = Reference()
        for _ in 0..<3 {
            let n = 50_000
            let a = column(.decimal(38, 0), (0..<n).map { _ in .decimal(Int128(Int64.random(in: 0..<200_000, using: &g)), scale: 0) })
            let b = column(.decimal(38, 0), (0..<n).map { _ in .decimal(Int128(Int64.random(in: 0..<2, using: &g)) << 70, scale: 0) })
            checkInsert(tb, &rb, [a, b], n)
        }
        #expect(tb.groupCount > 100_000)
    }

    /// What Aggregation.merge does: each thread-local table keeps the representative keys of
    /// its groups (gathered from `newRows`), and one table re-inserts another's keys.
    @Test func blocksAndMerge() {
        var g = SplitMix64(seed: 7)
        let words = pool(30, &g)
        let types: [DataType] = [.string.nullable, .int64, .string]
        func block(_ n: Int) -> [Column] {
            [strings((0..<n).map { _ in Int.random(in: 0..<6, using: &g) == 0 ? nil : words.randomElement(using: &g)! }, nullable: true),
             ints((0..<n).map { _ in Int64.random(in: 0...4, using: &g) }),
             strings((0..<n).map { _ in words[Int.random(in: 0..<4, using: &g)] })]
        }
        var tables: [GroupTable] = [], refs: [Reference] = [], keys: [[Column]] = []
        for _ in 0..<2 {
            let t = GroupTable(keyTypes: types)
            var r = Reference()
            var kc = types.map { Column.empty($0) }
            for _ in 0..<5 {
                let n = Int.random(in: 1...2000, using: &g)
                let cols = block(n)
                var newRows: [Int32] = []
                _ = t.insert(cols, n, newRows: &newRows)
                _ = r.insert(cols, n)
                for k in kc.indices { kc[k].append(contentsOf: cols[k].gather(newRows)) }
            }
            #expect(t.groupCount == r.groups.count)
            tables.append(t); refs.append(r); keys.append(kc)
        }
        // representative keys are each group's first key
        for (r, kc) in zip(refs, keys) {
            for (key, gid) in r.groups { #expect(Reference.key(kc, Int(gid)) == key) }
        }
        let merged = checkInsert(tables[0], &refs[0], keys[1], tables[1].groupCount)
        // group i of table 1 maps to the group of table 0 with the same key
        for (key, gid) in refs[1].groups { #expect(refs[0].groups[key] == merged[Int(gid)]) }
    }

    @Test func dictionarySideCar() {
        var g = SplitMix64(seed: 8)
        let all = pool(40, &g)
        // two dictionaries with overlapping values (different codes for the same string)
        let d1 = Array(all[0..<25]), d2 = Array(all[15..<40])
        let id1 = DictionaryCodes.nextID(), id2 = DictionaryCodes.nextID()
        let t = GroupTable(keyTypes: [DataType(.string, nullable: true, lowCardinality: true), .int8])
        var r = Reference()
        for round in 0..<6 {
            let n = Int.random(in: 100...3000, using: &g)
            let (values, id) = round % 2 == 0 ? (d1, id1) : (d2, id2)
            let codes: [Int?] = (0..<n).map { _ in Int.random(in: 0..<10, using: &g) == 0 ? nil : Int.random(in: 0..<values.count, using: &g) }
            let width: PhysicalType = [.uint8, .uint16, .uint32][round % 3]
            let s = dictColumn(values, codes, id: id, width: width)
            let v = ints((0..<n).map { _ in Int64.random(in: 0...1, using: &g) }, .int8)
            checkInsert(t, &r, [s, v], n)
            checkLookup(t, r, [s, v], n, nullsMatch: false)
            checkLookup(t, r, [s, v], n, nullsMatch: true)
            // the same rows without the side-car give the same groups
            var plain = s; plain.dictionary = nil
            checkInsert(t, &r, [plain, v], n)
        }
        // equal strings from the two dictionaries share groups
        var nr: [Int32] = []
        let a = t.insert([dictColumn(d1, [20], id: id1), ints([1], .int8)], 1, newRows: &nr)
        let b = t.insert([dictColumn(d2, [5], id: id2), ints([1], .int8)], 1, newRows: &nr)
        #expect(d1[20] == d2[5] && a == b)
        // the side-car is what is read: codes decide the group, not the (here inconsistent) data
        let t2 = GroupTable(keyTypes: [.string])
        var c = dictColumn(["p", "q"], [0, 1, 1, 0], id: DictionaryCodes.nextID())
        c.data = .string(StringArray(["z", "z", "z", "z"]))
        #expect(t2.insert([c], 4, newRows: &nr) == [0, 1, 1, 0])
        // values never referenced by codes are not interned
        let t3 = GroupTable(keyTypes: [.string])
        _ = t3.insert([dictColumn(all, [3, 3, 7], id: DictionaryCodes.nextID())], 3, newRows: &nr)
        #expect(t3.internedCount(stringKey: 0) == 2)
    }

    @Test func dictionaryLookupAfterLaterInserts() {
        // a dictionary value absent at the first probe must be found once it is inserted
        let id = DictionaryCodes.nextID()
        let t = GroupTable(keyTypes: [.string])
        var nr: [Int32] = []
        _ = t.insert([strings(["a"])], 1, newRows: &nr)
        let probe = dictColumn(["a", "b", "c"], [0, 1, 2, 1], id: id)
        #expect(t.lookup([probe], 4, nullsMatch: false) == [0, -1, -1, -1])
        #expect(t.internedCount(stringKey: 0) == 1)
        _ = t.insert([strings(["c"])], 1, newRows: &nr)
        #expect(t.lookup([probe], 4, nullsMatch: false) == [0, -1, 1, -1])
        _ = t.insert([probe], 4, newRows: &nr)
        #expect(t.lookup([probe], 4, nullsMatch: false) == [0, 2, 1, 2])
    }

    @Test func lookupUnseenStrings() {
        var g = SplitMix64(seed: 9)
        let seen = pool(50, &g)
        let t = GroupTable(keyTypes: [.string, .string.nullable])
        var r = Reference()
        let n = 5000
        let build = [strings((0..<n).map { _ in seen[Int.random(in: 0..<25, using: &g)] }),
                     strings((0..<n).map { _ in Int.random(in: 0..<7, using: &g) == 0 ? nil : seen[Int.random(in: 0..<25, using: &g)] }, nullable: true)]
        checkInsert(t, &r, build, n)
        let interned = t.internedCount(stringKey: 0) + t.internedCount(stringKey: 1)
        // probe with a mix of seen strings, unseen strings and NULLs
        let probe = [strings((0..<n).map { _ in seen.randomElement(using: &g)! + (Int.random(in: 0..<4, using: &g) == 0 ? "!" : "") }),
                     strings((0..<n).map { _ in Int.random(in: 0..<7, using: &g) == 0 ? nil : seen.randomElement(using: &g)! }, nullable: true)]
        checkLookup(t, r, probe, n, nullsMatch: false)
        checkLookup(t, r, probe, n, nullsMatch: true)
        let ids = t.lookup(probe, n, nullsMatch: true)
        #expect(ids.contains(-1) && ids.contains { $0 >= 0 })
        // lookups never intern
        #expect(t.internedCount(stringKey: 0) + t.internedCount(stringKey: 1) == interned)
        // an empty table finds nothing
        #expect(GroupTable(keyTypes: [.string]).lookup([strings(["a"])], 1, nullsMatch: true) == [-1])
    }

    @Test func broadcastConstantColumn() {
        let t = GroupTable(keyTypes: [.string, .int64])
        var r = Reference()
        let cols = [strings(["k"]), ints([1, 2, 1, 3])]
        checkInsert(t, &r, cols, 4)
        checkLookup(t, r, [strings(["k", "j", "k"]), ints([3])], 3, nullsMatch: false)
    }

    /// Strings of every length up to 40 that differ in one byte at every position (the hash
    /// and the comparison read short strings with overlapping word loads).
    @Test func stringLengthsAndSingleByteDifferences() {
        var all: [String] = []
        for len in 0...40 {
            let base = String(repeating: "m", count: len)
            all.append(base)
            for pos in 0..<len {
                var chars = Array(base)
                chars[pos] = "n"
                all.append(String(chars))
            }
        }
        #expect(Set(all).count == all.count)
        for types in [[DataType.string], [.string, .string, .string, .string, .string]] {
            let t = GroupTable(keyTypes: types)
            var r = Reference()
            let col = strings(all)
            let cols = Array(repeating: col, count: types.count)
            let ids = checkInsert(t, &r, cols, all.count)
            #expect(ids == (0..<all.count).map { Int32($0) })
            // again, reversed: every row finds its group
            let rev = strings(all.reversed())
            checkInsert(t, &r, Array(repeating: rev, count: types.count), all.count)
            #expect(t.groupCount == all.count)
            checkLookup(t, r, Array(repeating: strings(all.map { $0 + "o" }), count: types.count), all.count, nullsMatch: false)
        }
    }

    /// Many dictionaries (one per part) overflow the dictionary-map cache; results stay right.
    @Test func dictionaryMapCacheEviction() {
        var g = SplitMix64(seed: 10)
        let all = pool(200, &g)
        let t = GroupTable(keyTypes: [.string, .string])
        t.dictionaryMapLimit = 2000
        var r = Reference()
        var dictionaries: [(values: [String], id: Int)] = []
        for _ in 0..<12 {
            let lo = Int.random(in: 0..<150, using: &g)
            dictionaries.append((Array(all[lo..<(lo + 50)]), DictionaryCodes.nextID()))
        }
        for _ in 0..<40 {
            let (values, id) = dictionaries.randomElement(using: &g)!
            let n = Int.random(in: 1...500, using: &g)
            let a = dictColumn(values, (0..<n).map { _ in Int.random(in: 0..<values.count, using: &g) }, id: id, width: .uint8)
            let b = strings((0..<n).map { _ in all[Int.random(in: 0..<3, using: &g)] })
            checkInsert(t, &r, [a, b], n)
            checkLookup(t, r, [a, b], n, nullsMatch: false)
        }
        #expect(t.memoryBytes > 0)
    }

    /// Columns whose physical type differs from the key type are converted first.
    @Test func keyColumnsOfANarrowerType() {
        let t = GroupTable(keyTypes: [.int64, .string])
        var nr: [Int32] = []
        let narrow = ints([1, -1, 1, 2], .int32)
        #expect(t.insert([narrow, strings(["a", "a", "a", "a"])], 4, newRows: &nr) == [0, 1, 0, 2])
        #expect(t.lookup([ints([-1, 2, 3]), strings(["a"])], 3, nullsMatch: false) == [1, 2, -1])
    }

    /// The memory estimate covers the interned strings and dictionary maps, not only slots.
    @Test func memoryIncludesInternTables() {
        let t = GroupTable(keyTypes: [.string, .string])
        let before = t.memoryBytes
        let long = (0..<2000).map { "a string long enough to matter in the estimate #\($0)" }
        var nr: [Int32] = []
        // one string key varies, the other is constant: the bytes live in the intern table
        _ = t.insert([strings(long), strings(["k"])], long.count, newRows: &nr)
        let bytes = long.reduce(0) { $0 + $1.utf8.count }
        #expect(t.memoryBytes - before >= bytes)
        let d = dictColumn((0..<50_000).map { String($0 + 100_000) }, [0, 1], id: DictionaryCodes.nextID(), width: .uint32)
        let m0 = t.memoryBytes
        _ = t.insert([d, strings(["k"])], 2, newRows: &nr)
        #expect(t.memoryBytes - m0 >= 50_000 * 4)
    }
}
