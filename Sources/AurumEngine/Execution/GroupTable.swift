import AurumCore

/// Maps rows' key tuples to dense group ids (0, 1, 2, ... in order of first appearance) with
/// open-addressing hash tables.
///
/// Every key column is first turned into one fixed-width value per row:
/// - strings are interned: each key column of physical type `.string` has an `InternTable`
///   (arena + open addressing) giving every distinct byte string a dense UInt32 id for the
///   lifetime of the table; id 0 is reserved for NULL. A column carrying a dictionary side-car
///   (`Column.dictionary`) maps each dictionary value to its id once (cached by dictionary id)
///   and then translates codes per row with an array lookup;
/// - fixed-width values use their raw bits (`Cast.rawBits`: -0.0 and 0.0 are one value, NaNs
///   compare by bit pattern), plus a null flag when the key type is nullable (NULL rows have
///   the flag clear and a zero value).
///
/// The per-row values are then packed (widths come from the key types at init: strings 32
/// bits, fixed-width values their width, nullable adds one bit) into one UInt64 when they fit
/// 64 bits, into a UInt128 (two words) when they fit 128 bits, and otherwise laid out as a
/// fixed number of bytes per row (the general path: hash + memcmp). Equal values of equal
/// types give equal keys; the binder casts join keys to one type first.
final class GroupTable {
    private(set) var groupCount = 0
    let keyTypes: [DataType]

    /// How one key column becomes a fixed-width value per row.
    enum FieldKind: Equatable {
        /// An intern id (UInt32) into `interns[table]`.
        case string(table: Int)
        /// Raw bits of a 1/2/4/8-byte value, plus a null flag when `nullable`.
        case fixed(width: Int, nullable: Bool)
        /// A 16-byte value (Int128 / UInt128), plus a null flag when `nullable`.
        case wide(nullable: Bool)
    }
    struct Field {
        let kind: FieldKind
        /// Bit position in the packed key (word / double-word representations).
        let bitShift: Int
        /// Byte position in the row key (byte representation).
        let byteOffset: Int
    }
    enum Representation: Equatable {
        case word
        case doubleWord
        case bytes(width: Int)
    }

    let fields: [Field]
    let representation: Representation

    private var interns: [InternTable]
    /// Per intern table: dictionary id -> intern id of every dictionary value (lazily filled).
    private var dictionaryMaps: [[Int: DictionaryMap]]
    private var dictionaryMapBytes = 0
    private var wordIndex: PackedIndex<UInt64>
    private var doubleWordIndex: PackedIndex<UInt128>
    private var byteIndex: ByteIndex

    /// Dictionary maps are dropped (and rebuilt on demand) once they hold more than this.
    var dictionaryMapLimit = 16 << 20
    /// Scratch buffers larger than this many bytes (a join build side, a merge) are not kept
    /// after the call.
    static let scratchKeepBytes = 4 << 20

    init(keyTypes: [DataType], capacity: Int = 1024) {
        self.keyTypes = keyTypes
        var fields: [Field] = []
        var bits = 0, bytes = 0, strings = 0
        for t in keyTypes {
            let kind: FieldKind
            let fieldBits: Int, fieldBytes: Int
            switch t.physical {
            case .string:
                kind = .string(table: strings)
                strings += 1
                fieldBits = 32; fieldBytes = 4
            case .int128, .uint128:
                kind = .wide(nullable: t.isNullable)
                fieldBits = 128 + (t.isNullable ? 1 : 0); fieldBytes = 16 + (t.isNullable ? 1 : 0)
            default:
                let w = t.byteWidth ?? 8
                kind = .fixed(width: w, nullable: t.isNullable)
                fieldBits = w * 8 + (t.isNullable ? 1 : 0); fieldBytes = w + (t.isNullable ? 1 : 0)
            }
            fields.append(Field(kind: kind, bitShift: bits, byteOffset: bytes))
            bits += fieldBits
            bytes += fieldBytes
        }
        self.fields = fields
        if bits <= 64 { representation = .word }
        else if bits <= 128 { representation = .doubleWord }
        else { representation = .bytes(width: bytes) }
        interns = (0..<strings).map { _ in InternTable() }
        dictionaryMaps = Array(repeating: [:], count: strings)
        let cap = max(16, capacity * 2)
        wordIndex = PackedIndex(capacity: representation == .word ? cap : 0)
        doubleWordIndex = PackedIndex(capacity: representation == .doubleWord ? cap : 0)
        if case .bytes(let w) = representation { byteIndex = ByteIndex(width: w, capacity: cap) }
        else { byteIndex = ByteIndex(width: 0, capacity: 0) }
    }

    /// Bytes held by the table: slots, per-group keys, intern tables, dictionary maps and the
    /// per-block scratch buffers.
    var memoryBytes: Int {
        wordIndex.memoryBytes + doubleWordIndex.memoryBytes + byteIndex.memoryBytes
            + interns.reduce(0) { $0 + $1.memoryBytes } + dictionaryMapBytes + scratchBytesHeld
    }

    /// Number of distinct non-NULL strings interned for string key `k` (the k-th string key).
    func internedCount(stringKey k: Int) -> Int { interns[k].count - 1 }

    /// Byte hashing and comparison: `ByteHash` (AurumCore), shared with the storage
    /// dictionary encoder.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 { ByteHash.mix(x) }

    // MARK: insert / lookup

    /// Assigns a group id to every row, inserting new groups. Returns ids and the rows that
    /// created new groups (in order), so callers can gather representative key values.
    /// A column of count 1 is broadcast to all `n` rows.
    func insert(_ cols: [Column], _ n: Int, newRows: inout [Int32]) -> [Int32] {
        var ids = [Int32](repeating: 0, count: n)
        if n == 0 { return ids }
        let cols = prepare(cols, n)
        ids.withUnsafeMutableBufferPointer { out in
            switch representation {
            case .word:
                withKeys(&scratchWords, cols, n, skip: nil) { wordIndex.insert($0, out, &groupCount, &newRows) }
            case .doubleWord:
                withKeys(&scratchDoubleWords, cols, n, skip: nil) { doubleWordIndex.insert($0, out, &groupCount, &newRows) }
            case .bytes:
                withByteKeys(cols, n, skip: nil) { byteIndex.insert($0, n, out, &groupCount, &newRows) }
            }
        }
        return ids
    }

    /// Looks up every row without inserting; -1 for rows whose key is absent (including rows
    /// with a string the table has never seen). Rows with a NULL key component get -1 when
    /// `nullsMatch` is false (join semantics).
    func lookup(_ cols: [Column], _ n: Int, nullsMatch: Bool) -> [Int32] {
        var ids = [Int32](repeating: -1, count: n)
        if groupCount == 0 || n == 0 { return ids }
        let cols = prepare(cols, n)
        var skip = [UInt8](repeating: 0, count: n)
        if !nullsMatch {
            for c in cols {
                guard let v = c.validity else { continue }
                for i in 0..<n where v[i] == 0 { skip[i] = 1 }
            }
        }
        skip.withUnsafeMutableBufferPointer { sk in
            ids.withUnsafeMutableBufferPointer { out in
                let skipped = UnsafeBufferPointer(sk)
                switch representation {
                case .word:
                    withKeys(&scratchWords, cols, n, skip: sk) { wordIndex.lookup($0, skipped, out) }
                case .doubleWord:
                    withKeys(&scratchDoubleWords, cols, n, skip: sk) { doubleWordIndex.lookup($0, skipped, out) }
                case .bytes:
                    withByteKeys(cols, n, skip: sk) { byteIndex.lookup($0, skipped, out) }
                }
            }
        }
        return ids
    }

    /// Broadcasts constant columns and brings columns to the physical types of the key types.
    private func prepare(_ cols: [Column], _ n: Int) -> [Column] {
        precondition(cols.count == keyTypes.count, "GroupTable: \(cols.count) key columns for \(keyTypes.count) key types")
        var cols = cols
        for k in cols.indices {
            if cols[k].count != n {
                precondition(cols[k].count == 1, "GroupTable: key column has \(cols[k].count) rows, expected \(n)")
                cols[k] = cols[k].gather([Int32](repeating: 0, count: n))
            }
            if cols[k].data.physical != keyTypes[k].physical {
                guard let c = try? Cast.column(cols[k], to: keyTypes[k]), c.data.physical == keyTypes[k].physical else {
                    preconditionFailure("GroupTable: key column of type \(cols[k].type) for key type \(keyTypes[k])")
                }
                cols[k] = c
            }
        }
        return cols
    }

    // MARK: building keys

    // Scratch buffers reused across blocks (moved out while in use).
    private var scratchWords: [UInt64] = []
    private var scratchDoubleWords: [UInt128] = []
    private var scratchBytes: [UInt8] = []
    private var scratchIDs: [UInt32] = []
    private var scratchBits: [UInt64] = []

    private var scratchBytesHeld: Int {
        scratchWords.capacity * 8 + scratchDoubleWords.capacity * 16 + scratchBytes.capacity + scratchIDs.capacity * 4 + scratchBits.capacity * 8
    }

    /// Takes `buffer` out of `self`, sized to at least `n` and zeroed when `zero`.
    @inline(__always) private static func take<T: FixedWidthInteger>(_ buffer: inout [T], _ n: Int, zero: Bool) -> [T] {
        var b: [T] = []
        swap(&b, &buffer)
        if b.count < n { b = [T](repeating: 0, count: n) }
        else if zero { b.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: n) } }
        return b
    }
    /// Returns a buffer taken with `take`, unless it is too large to keep.
    @inline(__always) private static func putBack<T>(_ b: [T], _ buffer: inout [T]) {
        buffer = b.count * MemoryLayout<T>.stride <= scratchKeepBytes ? b : []
    }

    /// Packs every row's key into `scratch` and calls `body` with the first `n` keys.
    private func withKeys<K: PackedGroupKey>(_ scratch: inout [K], _ cols: [Column], _ n: Int,
                                            skip: UnsafeMutableBufferPointer<UInt8>?, _ body: (UnsafeBufferPointer<K>) -> Void) {
        var keys = GroupTable.take(&scratch, n, zero: true)
        var ids = GroupTable.take(&scratchIDs, n, zero: false)
        var bits = GroupTable.take(&scratchBits, n, zero: false)
        keys.withUnsafeMutableBufferPointer { kb in
            ids.withUnsafeMutableBufferPointer { ib in
                bits.withUnsafeMutableBufferPointer { bb in
                    let keys = kb.baseAddress!, ids = ib.baseAddress!, bits = bb.baseAddress!
                    for (k, f) in fields.enumerated() {
                        let c = cols[k]
                        let shift = f.bitShift
                        switch f.kind {
                        case .string(let t):
                            stringIDs(c, t, n, ids, skip: skip)
                            for i in 0..<n { keys[i] |= K(truncatingIfNeeded: ids[i]) << shift }
                        case .fixed(let w, let nullable):
                            Cast.rawBits(c.data, into: bits)
                            if !nullable {
                                for i in 0..<n { keys[i] |= K(truncatingIfNeeded: bits[i]) << shift }
                            } else if let v = c.validity {
                                let flag = K(1) << (w * 8)
                                v.withUnsafeBufferPointer { v in
                                    for i in 0..<n {
                                        let x = (K(truncatingIfNeeded: bits[i]) | flag) << shift
                                        keys[i] |= v[i] != 0 ? x : 0
                                    }
                                }
                            } else {
                                let flag = K(1) << (w * 8)
                                for i in 0..<n { keys[i] |= (K(truncatingIfNeeded: bits[i]) | flag) << shift }
                            }
                        case .wide:
                            // only a single non-nullable 16-byte key fits (the double-word representation)
                            switch c.data {
                            case .int128(let a): for i in 0..<n { keys[i] |= K(truncatingIfNeeded: UInt128(bitPattern: a[i])) << shift }
                            case .uint128(let a): for i in 0..<n { keys[i] |= K(truncatingIfNeeded: a[i]) << shift }
                            default: preconditionFailure("GroupTable: 16-byte key without 16-byte data")
                            }
                        }
                    }
                    body(UnsafeBufferPointer(start: keys, count: n))
                }
            }
        }
        GroupTable.putBack(keys, &scratch)
        GroupTable.putBack(ids, &scratchIDs)
        GroupTable.putBack(bits, &scratchBits)
    }

    /// Lays every row's key out as `width` bytes (general path) and calls `body` with them.
    private func withByteKeys(_ cols: [Column], _ n: Int, skip: UnsafeMutableBufferPointer<UInt8>?,
                              _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard case .bytes(let width) = representation else { preconditionFailure("GroupTable: not the byte path") }
        var out = GroupTable.take(&scratchBytes, n * width, zero: true)
        var ids = GroupTable.take(&scratchIDs, n, zero: false)
        var bits = GroupTable.take(&scratchBits, n, zero: false)
        out.withUnsafeMutableBufferPointer { ob in
            ids.withUnsafeMutableBufferPointer { ib in
                bits.withUnsafeMutableBufferPointer { bb in
                    let base = UnsafeMutableRawPointer(ob.baseAddress!), ids = ib.baseAddress!, bits = bb.baseAddress!
                    for (k, f) in fields.enumerated() {
                        let c = cols[k]
                        let off = f.byteOffset
                        let validity = c.validity
                        switch f.kind {
                        case .string(let t):
                            stringIDs(c, t, n, ids, skip: skip)
                            for i in 0..<n { (base + i * width).storeBytes(of: ids[i], toByteOffset: off, as: UInt32.self) }
                        case .fixed(let w, let nullable):
                            Cast.rawBits(c.data, into: bits)
                            let o = off + (nullable ? 1 : 0)
                            for i in 0..<n {
                                let row = base + i * width
                                if nullable {
                                    if let v = validity, v[i] == 0 { continue }
                                    row.storeBytes(of: 1, toByteOffset: off, as: UInt8.self)
                                }
                                switch w {
                                case 1: row.storeBytes(of: UInt8(truncatingIfNeeded: bits[i]), toByteOffset: o, as: UInt8.self)
                                case 2: row.storeBytes(of: UInt16(truncatingIfNeeded: bits[i]), toByteOffset: o, as: UInt16.self)
                                case 4: row.storeBytes(of: UInt32(truncatingIfNeeded: bits[i]), toByteOffset: o, as: UInt32.self)
                                default: row.storeBytes(of: bits[i], toByteOffset: o, as: UInt64.self)
                                }
                            }
                        case .wide(let nullable):
                            let o = off + (nullable ? 1 : 0)
                            func store(_ x: UInt128, _ i: Int) {
                                let row = base + i * width
                                if nullable {
                                    if let v = validity, v[i] == 0 { return }
                                    row.storeBytes(of: 1, toByteOffset: off, as: UInt8.self)
                                }
                                row.storeBytes(of: x, toByteOffset: o, as: UInt128.self)
                            }
                            switch c.data {
                            case .int128(let a): for i in 0..<n { store(UInt128(bitPattern: a[i]), i) }
                            case .uint128(let a): for i in 0..<n { store(a[i], i) }
                            default: preconditionFailure("GroupTable: 16-byte key without 16-byte data")
                            }
                        }
                    }
                    body(UnsafeBufferPointer(start: ob.baseAddress!, count: n * width))
                }
            }
        }
        GroupTable.putBack(out, &scratchBytes)
        GroupTable.putBack(ids, &scratchIDs)
        GroupTable.putBack(bits, &scratchBits)
    }

    // MARK: strings

    /// Writes the intern id of every row of string column `c` (key field using intern table
    /// `t`) to `out`. Inserting (`skip == nil`) interns unseen strings; looking up marks rows
    /// with unseen strings in `skip`. NULL rows get id 0.
    private func stringIDs(_ c: Column, _ t: Int, _ n: Int, _ out: UnsafeMutablePointer<UInt32>,
                           skip: UnsafeMutableBufferPointer<UInt8>?) {
        guard case .string(let s) = c.data else { preconditionFailure("GroupTable: string key without string data") }
        let out = UnsafeMutableBufferPointer(start: out, count: n)
        if let d = c.dictionary, d.codes.count == n {
            translateDictionary(d, c.validity, t, out, insert: skip == nil)
        } else {
            interns[t].map(s, c.validity, out, insert: skip == nil)
        }
        if let skip {
            for i in 0..<n where out[i] == InternTable.absent { skip[i] = 1 }
        }
    }

    /// Dictionary side-car: codes -> intern ids through a per-dictionary map, filled lazily.
    private func translateDictionary(_ d: DictionaryCodes, _ validity: [UInt8]?, _ t: Int,
                                     _ out: UnsafeMutableBufferPointer<UInt32>, insert: Bool) {
        var m: DictionaryMap
        let cached = dictionaryMaps[t].removeValue(forKey: d.id)
        if let cached, cached.map.count == d.values.count {
            m = cached
        } else {
            if let cached { dictionaryMapBytes -= cached.memoryBytes }
            m = DictionaryMap(count: d.values.count)
            dictionaryMapBytes += m.memoryBytes
        }
        if !insert && m.hasAbsent && m.absentGeneration != interns[t].count {
            // strings were interned since "absent" was recorded: look those values up again
            m.forgetAbsent()
        }
        let internCount = interns[t].count
        switch d.codes {
        case .uint8(let a): a.withUnsafeBufferPointer { interns[t].translate($0, d.values, validity, &m, out, insert: insert) }
        case .uint16(let a): a.withUnsafeBufferPointer { interns[t].translate($0, d.values, validity, &m, out, insert: insert) }
        case .uint32(let a): a.withUnsafeBufferPointer { interns[t].translate($0, d.values, validity, &m, out, insert: insert) }
        default: preconditionFailure("dictionary codes must be unsigned integers")
        }
        if !insert && m.hasAbsent { m.absentGeneration = internCount }
        if dictionaryMapBytes > dictionaryMapLimit {
            // many parts with large dictionaries: start over rather than grow without bound
            for i in dictionaryMaps.indices { dictionaryMaps[i].removeAll() }
            dictionaryMapBytes = m.memoryBytes
        }
        dictionaryMaps[t][d.id] = m
    }
}

// MARK: - packed keys (one or two words)

/// A key packed into one fixed-width integer, and the hash-table slot that stores it.
protocol PackedGroupKey: FixedWidthInteger & UnsignedInteger {
    /// Key plus group id (-1 = empty).
    associatedtype Slot
    static func hashKey(_ k: Self) -> UInt64
    static var emptySlot: Slot { get }
    static func slot(_ k: Self, _ id: Int32) -> Slot
    static func id(_ s: Slot) -> Int32
    static func key(_ s: Slot) -> Self
}

struct WordSlot {
    var key: UInt64
    var id: Int32
}
/// Two words rather than a UInt128, so a slot takes 24 bytes instead of 32.
struct DoubleWordSlot {
    var low: UInt64
    var high: UInt64
    var id: Int32
}

extension UInt64: PackedGroupKey {
    @inline(__always) static func hashKey(_ k: UInt64) -> UInt64 { GroupTable.mix(k) }
    static var emptySlot: WordSlot { WordSlot(key: 0, id: -1) }
    @inline(__always) static func slot(_ k: UInt64, _ id: Int32) -> WordSlot { WordSlot(key: k, id: id) }
    @inline(__always) static func id(_ s: WordSlot) -> Int32 { s.id }
    @inline(__always) static func key(_ s: WordSlot) -> UInt64 { s.key }
}
extension UInt128: PackedGroupKey {
    @inline(__always) static func hashKey(_ k: UInt128) -> UInt64 {
        GroupTable.mix(UInt64(truncatingIfNeeded: k) ^ GroupTable.mix(UInt64(truncatingIfNeeded: k >> 64)))
    }
    static var emptySlot: DoubleWordSlot { DoubleWordSlot(low: 0, high: 0, id: -1) }
    @inline(__always) static func slot(_ k: UInt128, _ id: Int32) -> DoubleWordSlot {
        DoubleWordSlot(low: UInt64(truncatingIfNeeded: k), high: UInt64(truncatingIfNeeded: k >> 64), id: id)
    }
    @inline(__always) static func id(_ s: DoubleWordSlot) -> Int32 { s.id }
    @inline(__always) static func key(_ s: DoubleWordSlot) -> UInt128 { UInt128(s.high) << 64 | UInt128(s.low) }
}

/// Open addressing (linear probing, load <= 1/2) over packed keys; each slot holds the key and
/// its group id, so a probe touches one cache line.
struct PackedIndex<K: PackedGroupKey> {
    private var slots: [K.Slot]

    init(capacity: Int) {
        var cap = 16
        while cap < capacity { cap <<= 1 }
        slots = capacity == 0 ? [] : [K.Slot](repeating: K.emptySlot, count: cap)
    }

    var memoryBytes: Int { slots.count * MemoryLayout<K.Slot>.stride }

    /// The slot holding `k`, or the empty slot where it would go.
    @inline(__always) private static func probe(_ s: UnsafeBufferPointer<K.Slot>, _ k: K, _ h: UInt64) -> Int {
        let mask = s.count - 1
        var p = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = s[p]
            if K.id(slot) < 0 || K.key(slot) == k { return p }
            p = (p + 1) & mask
        }
    }

    mutating func insert(_ keys: UnsafeBufferPointer<K>, _ ids: UnsafeMutableBufferPointer<Int32>,
                         _ groupCount: inout Int, _ newRows: inout [Int32]) {
        var i = 0
        let n = keys.count
        while i < n {
            // run until the table must grow, grow, continue
            let limit = slots.count / 2
            var g = groupCount
            i = slots.withUnsafeMutableBufferPointer { s in
                var i = i
                while i < n {
                    let k = keys[i]
                    let p = Self.probe(UnsafeBufferPointer(s), k, K.hashKey(k))
                    let id = K.id(s[p])
                    if id >= 0 { ids[i] = id; i += 1; continue }
                    if g >= limit { break }
                    s[p] = K.slot(k, Int32(g))
                    ids[i] = Int32(g)
                    newRows.append(Int32(i))
                    g += 1
                    i += 1
                }
                return i
            }
            groupCount = g
            if i < n { grow() }
        }
    }

    func lookup(_ keys: UnsafeBufferPointer<K>, _ skip: UnsafeBufferPointer<UInt8>, _ ids: UnsafeMutableBufferPointer<Int32>) {
        slots.withUnsafeBufferPointer { s in
            for i in 0..<keys.count where skip[i] == 0 {
                let k = keys[i]
                ids[i] = K.id(s[Self.probe(s, k, K.hashKey(k))])   // -1 when the slot is empty
            }
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [K.Slot](repeating: K.emptySlot, count: max(16, old.count * 2))
        slots.withUnsafeMutableBufferPointer { s in
            for slot in old where K.id(slot) >= 0 {
                let k = K.key(slot)
                s[Self.probe(UnsafeBufferPointer(s), k, K.hashKey(k))] = slot
            }
        }
    }
}

// MARK: - byte keys (general path)

/// Open addressing over fixed-width byte keys (`width` bytes per row and per group).
struct ByteIndex {
    let width: Int
    private var slots: [Int32]      // -1 = empty, else group id
    private var hashes: [UInt64] = []   // per group
    private var keys: [UInt8] = []      // per group, `width` bytes each

    init(width: Int, capacity: Int) {
        self.width = width
        var cap = 16
        while cap < capacity { cap <<= 1 }
        slots = capacity == 0 ? [] : [Int32](repeating: -1, count: cap)
    }

    var memoryBytes: Int { slots.count * 4 + hashes.capacity * 8 + keys.capacity }

    /// The slot holding the key at `p`, or the empty slot where it would go.
    @inline(__always) private func probe(_ p: UnsafePointer<UInt8>, _ h: UInt64) -> Int {
        let mask = slots.count - 1
        var pos = Int(truncatingIfNeeded: h) & mask
        return keys.withUnsafeBufferPointer { kb in
            while true {
                let g = Int(slots[pos])
                if g < 0 { return pos }
                if hashes[g] == h && ByteHash.equal(kb.baseAddress! + g * width, p, width) { return pos }
                pos = (pos + 1) & mask
            }
        }
    }

    mutating func insert(_ rows: UnsafeBufferPointer<UInt8>, _ n: Int, _ ids: UnsafeMutableBufferPointer<Int32>,
                         _ groupCount: inout Int, _ newRows: inout [Int32]) {
        let base = rows.baseAddress!
        for i in 0..<n {
            let p = base + i * width
            let h = ByteHash.hash(p, width)
            let pos = probe(p, h)
            let s = slots[pos]
            if s >= 0 { ids[i] = s; continue }
            let g = Int32(groupCount)
            slots[pos] = g
            hashes.append(h)
            keys.append(contentsOf: UnsafeBufferPointer(start: p, count: width))
            groupCount += 1
            ids[i] = g
            newRows.append(Int32(i))
            if groupCount * 2 > slots.count { grow() }
        }
    }

    func lookup(_ rows: UnsafeBufferPointer<UInt8>, _ skip: UnsafeBufferPointer<UInt8>, _ ids: UnsafeMutableBufferPointer<Int32>) {
        let base = rows.baseAddress!
        for i in 0..<skip.count where skip[i] == 0 {
            let p = base + i * width
            ids[i] = slots[probe(p, ByteHash.hash(p, width))]
        }
    }

    private mutating func grow() {
        let cap = slots.count * 2
        slots = [Int32](repeating: -1, count: cap)
        let mask = cap - 1
        for g in 0..<hashes.count {
            var p = Int(truncatingIfNeeded: hashes[g]) & mask
            while slots[p] != -1 { p = (p + 1) & mask }
            slots[p] = Int32(g)
        }
    }
}

// MARK: - string interning

/// Intern ids of one dictionary's values (filled lazily as codes are seen).
struct DictionaryMap {
    static let unmapped = UInt32.max
    /// Entries are intern ids, `unmapped`, or `InternTable.absent` (looked up, not present).
    var map: [UInt32]
    var hasAbsent = false
    /// Intern count when the absent entries were recorded.
    var absentGeneration = 0

    init(count: Int) { map = [UInt32](repeating: DictionaryMap.unmapped, count: count) }

    var memoryBytes: Int { map.count * 4 + 64 }

    mutating func forgetAbsent() {
        for i in map.indices where map[i] == InternTable.absent { map[i] = DictionaryMap.unmapped }
        hasAbsent = false
    }
}

/// Distinct byte strings -> dense UInt32 ids (0 = NULL, reserved), over an arena.
struct InternTable {
    /// Result of a lookup that found nothing.
    static let absent = UInt32.max - 1

    /// 0 = empty, else (hash >> 32) << 32 | id (ids >= 1, so a used slot is never 0).
    private var slots: [UInt64]
    /// Arena range of id i: offsets[i] ..< offsets[i + 1]; id 0 (NULL) is empty.
    private var offsets: [Int] = [0, 0]
    private var arena: [UInt8] = []

    init() { slots = [UInt64](repeating: 0, count: 64) }

    /// Number of ids handed out, including the NULL id.
    var count: Int { offsets.count - 1 }

    var memoryBytes: Int { slots.count * 8 + offsets.capacity * 8 + arena.capacity }

    /// The slot holding the string (p, len), or the empty slot where it would go.
    @inline(__always) private static func probe(_ s: UnsafeBufferPointer<UInt64>, _ o: UnsafeBufferPointer<Int>,
                                                _ a: UnsafeBufferPointer<UInt8>, _ p: UnsafePointer<UInt8>, _ len: Int, _ h: UInt64) -> Int {
        let mask = s.count - 1
        let tag = h >> 32
        var pos = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = s[pos]
            if e == 0 { return pos }
            if e >> 32 == tag {
                let id = Int(truncatingIfNeeded: e & 0xFFFF_FFFF)
                let start = o[id], l = o[id + 1] - start
                if l == len && (len == 0 || ByteHash.equal(a.baseAddress! + start, p, len)) { return pos }
            }
            pos = (pos + 1) & mask
        }
    }

    /// Calls `body` with the table's buffers (read-only).
    @inline(__always) private func withBuffers<R>(_ body: (UnsafeBufferPointer<UInt64>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<UInt8>) -> R) -> R {
        slots.withUnsafeBufferPointer { s in
            offsets.withUnsafeBufferPointer { o in
                arena.withUnsafeBufferPointer { a in body(s, o, a) }
            }
        }
    }

    /// The id of (p, len); inserts it when `insert`, else returns `absent` for an unseen string.
    mutating func id(_ p: UnsafePointer<UInt8>, _ len: Int, insert: Bool) -> UInt32 {
        let h = ByteHash.hash(p, len)
        let pos = withBuffers { InternTable.probe($0, $1, $2, p, len, h) }
        let e = slots[pos]
        if e != 0 { return UInt32(truncatingIfNeeded: e) }
        if !insert { return InternTable.absent }
        let id = count
        precondition(id < Int(InternTable.absent), "GroupTable: too many distinct strings")
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: len))
        offsets.append(arena.count)
        slots[pos] = (h >> 32) << 32 | UInt64(id)
        if count * 2 > slots.count { grow() }
        return UInt32(id)
    }

    /// Ids of every row of `s` (NULL rows: 0; unseen strings when not inserting: `absent`).
    mutating func map(_ s: StringArray, _ validity: [UInt8]?, _ out: UnsafeMutableBufferPointer<UInt32>, insert: Bool) {
        let n = out.count
        s.offsets.withUnsafeBufferPointer { so in
            s.bytes.withUnsafeBufferPointer { sb in
                let base = sb.baseAddress ?? UnsafePointer(bitPattern: 1)!
                var i = 0
                while i < n {
                    // rows whose strings are already interned, with the table's buffers held
                    i = withBuffers { slots, offsets, arena in
                        var i = i
                        while i < n {
                            if let v = validity, v[i] == 0 { out[i] = 0; i += 1; continue }
                            let a = Int(so[i]), len = Int(so[i + 1]) - a
                            let p = base + a
                            let h = ByteHash.hash(p, len)
                            let e = slots[InternTable.probe(slots, offsets, arena, p, len, h)]
                            if e == 0 {
                                if insert { return i }
                                out[i] = InternTable.absent
                            } else {
                                out[i] = UInt32(truncatingIfNeeded: e)
                            }
                            i += 1
                        }
                        return i
                    }
                    if i < n {
                        // a new string
                        let a = Int(so[i])
                        out[i] = id(base + a, Int(so[i + 1]) - a, insert: true)
                        i += 1
                    }
                }
            }
        }
    }

    /// Ids of every row given as dictionary codes, through `m` (filled as values are met).
    mutating func translate<C: FixedWidthInteger>(_ codes: UnsafeBufferPointer<C>, _ values: StringArray, _ validity: [UInt8]?,
                                                  _ m: inout DictionaryMap, _ out: UnsafeMutableBufferPointer<UInt32>, insert: Bool) {
        var hasAbsent = m.hasAbsent
        values.offsets.withUnsafeBufferPointer { vo in
            values.bytes.withUnsafeBufferPointer { vb in
                let base = vb.baseAddress ?? UnsafePointer(bitPattern: 1)!
                m.map.withUnsafeMutableBufferPointer { map in
                    for i in 0..<out.count {
                        if let v = validity, v[i] == 0 { out[i] = 0; continue }
                        let c = Int(codes[i])
                        var x = map[c]
                        if x >= InternTable.absent && (insert || x == DictionaryMap.unmapped) {
                            let a = Int(vo[c])
                            x = id(base + a, Int(vo[c + 1]) - a, insert: insert)
                            map[c] = x
                            if x == InternTable.absent { hasAbsent = true }
                        }
                        out[i] = x
                    }
                }
            }
        }
        m.hasAbsent = hasAbsent
    }

    private mutating func grow() {
        let cap = slots.count * 2
        var fresh = [UInt64](repeating: 0, count: cap)
        let mask = cap - 1
        arena.withUnsafeBufferPointer { a in
            let base = a.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for id in 1..<count {
                let start = offsets[id]
                let h = ByteHash.hash(base + start, offsets[id + 1] - start)
                var p = Int(truncatingIfNeeded: h) & mask
                while fresh[p] != 0 { p = (p + 1) & mask }
                fresh[p] = (h >> 32) << 32 | UInt64(id)
            }
        }
        slots = fresh
    }
}

extension Cast {
    /// Raw bits of fixed-width values (<= 8 bytes) widened to UInt64 (for hashing/packing),
    /// written to `out` (one per row). -0.0 and 0.0 give the same bits; NaNs keep their bit
    /// patterns.
    static func rawBits(_ d: ColumnData, into out: UnsafeMutablePointer<UInt64>) {
        @inline(__always) func fill<T>(_ a: [T], _ f: (T) -> UInt64) {
            a.withUnsafeBufferPointer { a in for i in 0..<a.count { out[i] = f(a[i]) } }
        }
        switch d {
        case .int8(let a): fill(a) { UInt64(UInt8(bitPattern: $0)) }
        case .int16(let a): fill(a) { UInt64(UInt16(bitPattern: $0)) }
        case .int32(let a): fill(a) { UInt64(UInt32(bitPattern: $0)) }
        case .int64(let a): fill(a) { UInt64(bitPattern: $0) }
        case .uint8(let a): fill(a) { UInt64($0) }
        case .uint16(let a): fill(a) { UInt64($0) }
        case .uint32(let a): fill(a) { UInt64($0) }
        case .uint64(let a): fill(a) { $0 }
        case .float32(let a): fill(a) { UInt64(($0 == 0 ? 0 : $0).bitPattern) }
        case .float64(let a): fill(a) { ($0 == 0 ? 0 : $0).bitPattern }
        case .int128, .uint128, .string: preconditionFailure("rawBits: not a fixed-width type of at most 8 bytes")
        }
    }
}
