import AurumCore

/// Maps rows' key tuples to dense group ids (0, 1, 2, ...) with an open-addressing hash table.
///
/// Keys are serialised per row into bytes (a null flag, then fixed-width little-endian values
/// or length-prefixed string bytes), so any key types work; when every key is a fixed-width
/// non-null value of at most 8 bytes in total, the serialised form is packed into one UInt64
/// and the byte arena is not used (the fast path). Equal values of equal types give equal
/// keys; the binder casts join keys to one type first.
final class GroupTable {
    private(set) var groupCount = 0
    private var slots: [Int32]          // -1 = empty, else group id
    private var hashes: [UInt64]        // per group
    private var mask: Int
    // general path: key bytes per group
    private var arena: [UInt8] = []
    private var keyOffsets: [Int] = [0]
    // fast path
    private var packed: [UInt64] = []
    let keyTypes: [DataType]
    let fast: Bool
    let fastWidths: [Int]

    init(keyTypes: [DataType], capacity: Int = 1024) {
        self.keyTypes = keyTypes
        var widths: [Int] = []
        var ok = !keyTypes.isEmpty
        for t in keyTypes {
            if t.isNullable || t.byteWidth == nil { ok = false; break }
            widths.append(t.byteWidth!)
        }
        if widths.reduce(0, +) > 8 { ok = false }
        fast = ok
        fastWidths = widths
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        hashes = []
    }

    var memoryBytes: Int { slots.count * 4 + hashes.count * 8 + arena.count + keyOffsets.count * 8 + packed.count * 8 }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    // MARK: key encoding

    /// Packs the keys of all rows into UInt64 (fast path).
    func packKeys(_ cols: [Column], _ n: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: n)
        var shift: UInt64 = 0
        for (k, c) in cols.enumerated() {
            let w = fastWidths[k]
            let bits = Cast.rawBits(c.data)
            let m: UInt64 = w == 8 ? ~0 : (1 << UInt64(w * 8)) - 1
            bits.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    if b.count == 1 { let v = (b[0] & m) << shift; for i in 0..<n { o[i] |= v } }
                    else { for i in 0..<n { o[i] |= (b[i] & m) << shift } }
                }
            }
            shift += UInt64(w * 8)
        }
        return out
    }

    /// Serialises the keys of all rows into one byte buffer plus offsets (general path).
    func encodeKeys(_ cols: [Column], _ n: Int) -> (bytes: [UInt8], offsets: [Int]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 8 * cols.count)
        var rowStarts = [Int](repeating: 0, count: n + 1)
        // Encode column by column into per-row buffers would scatter; instead encode row-major.
        let raws: [[UInt64]] = cols.map { $0.type.byteWidth != nil && $0.type.byteWidth! <= 8 ? Cast.rawBits($0.data) : [] }
        for i in 0..<n {
            rowStarts[i] = bytes.count
            for (k, c) in cols.enumerated() {
                let r = c.count == 1 ? 0 : i
                if c.isNull(r) { bytes.append(0); continue }
                bytes.append(1)
                switch c.data {
                case .string(let s):
                    let a = Int(s.offsets[r]), b = Int(s.offsets[r + 1])
                    var len = UInt32(b - a)
                    withUnsafeBytes(of: &len) { bytes.append(contentsOf: $0) }
                    bytes.append(contentsOf: s.bytes[a..<b])
                case .int128(let a):
                    var v = a[r]; withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
                case .uint128(let a):
                    var v = a[r]; withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
                default:
                    var v = raws[k][r]
                    let w = c.type.byteWidth ?? 8
                    withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0.prefix(w)) }
                }
            }
        }
        rowStarts[n] = bytes.count
        return (bytes, rowStarts)
    }

    static func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            h = mix(h ^ w)
            i += 8
        }
        var tail: UInt64 = 0
        var s: UInt64 = 0
        while i < n { tail |= UInt64(p[i]) << s; s += 8; i += 1 }
        return mix(h ^ tail)
    }

    // MARK: lookup / insert

    private func grow() {
        let cap = slots.count * 2
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for g in 0..<groupCount {
            var p = Int(truncatingIfNeeded: hashes[g]) & mask
            while slots[p] != -1 { p = (p + 1) & mask }
            slots[p] = Int32(g)
        }
    }

    /// Assigns a group id to every row, inserting new groups. Returns ids and the rows that
    /// created new groups (in order), so callers can gather representative key values.
    func insert(_ cols: [Column], _ n: Int, newRows: inout [Int32]) -> [Int32] {
        var ids = [Int32](repeating: 0, count: n)
        if fast {
            let keys = packKeys(cols, n)
            for i in 0..<n {
                let k = keys[i]
                let h = GroupTable.mix(k)
                var p = Int(truncatingIfNeeded: h) & mask
                while true {
                    let s = slots[p]
                    if s == -1 {
                        let g = Int32(groupCount)
                        slots[p] = g
                        packed.append(k)
                        hashes.append(h)
                        groupCount += 1
                        ids[i] = g
                        newRows.append(Int32(i))
                        if groupCount * 2 > slots.count { grow() }
                        break
                    }
                    if packed[Int(s)] == k { ids[i] = s; break }
                    p = (p + 1) & mask
                }
            }
            return ids
        }
        let (bytes, offs) = encodeKeys(cols, n)
        bytes.withUnsafeBufferPointer { bp in
            let base = bp.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for i in 0..<n {
                let a = offs[i], len = offs[i + 1] - a
                let h = GroupTable.hashBytes(base + a, len)
                var p = Int(truncatingIfNeeded: h) & mask
                while true {
                    let s = slots[p]
                    if s == -1 {
                        let g = Int32(groupCount)
                        slots[p] = g
                        arena.append(contentsOf: UnsafeBufferPointer(start: base + a, count: len))
                        keyOffsets.append(arena.count)
                        hashes.append(h)
                        groupCount += 1
                        ids[i] = g
                        newRows.append(Int32(i))
                        if groupCount * 2 > slots.count { grow() }
                        break
                    }
                    if hashes[Int(s)] == h {
                        let ka = keyOffsets[Int(s)], kl = keyOffsets[Int(s) + 1] - ka
                        if kl == len && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + ka, base + a, len) == 0 || len == 0 }) {
                            ids[i] = s
                            break
                        }
                    }
                    p = (p + 1) & mask
                }
            }
        }
        return ids
    }

    /// Looks up every row without inserting; -1 for rows whose key is absent.
    /// Rows with a NULL key component get -1 when `nullsMatch` is false (join semantics).
    func lookup(_ cols: [Column], _ n: Int, nullsMatch: Bool) -> [Int32] {
        var ids = [Int32](repeating: -1, count: n)
        if groupCount == 0 { return ids }
        var nullRow = [Bool](repeating: false, count: n)
        if !nullsMatch {
            for c in cols where c.validity != nil { for i in 0..<n where c.isNull(c.count == 1 ? 0 : i) { nullRow[i] = true } }
        }
        if fast {
            let keys = packKeys(cols, n)
            for i in 0..<n where !nullRow[i] {
                let k = keys[i]
                var p = Int(truncatingIfNeeded: GroupTable.mix(k)) & mask
                while true {
                    let s = slots[p]
                    if s == -1 { break }
                    if packed[Int(s)] == k { ids[i] = s; break }
                    p = (p + 1) & mask
                }
            }
            return ids
        }
        let (bytes, offs) = encodeKeys(cols, n)
        bytes.withUnsafeBufferPointer { bp in
            let base = bp.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for i in 0..<n where !nullRow[i] {
                let a = offs[i], len = offs[i + 1] - a
                let h = GroupTable.hashBytes(base + a, len)
                var p = Int(truncatingIfNeeded: h) & mask
                while true {
                    let s = slots[p]
                    if s == -1 { break }
                    if hashes[Int(s)] == h {
                        let ka = keyOffsets[Int(s)], kl = keyOffsets[Int(s) + 1] - ka
                        if kl == len && arena.withUnsafeBufferPointer({ len == 0 || memcmp($0.baseAddress! + ka, base + a, len) == 0 }) {
                            ids[i] = s; break
                        }
                    }
                    p = (p + 1) & mask
                }
            }
        }
        return ids
    }
}

extension Cast {
    /// Raw bits of fixed-width values (<= 8 bytes) widened to UInt64 (for hashing/packing).
    static func rawBits(_ d: ColumnData) -> [UInt64] {
        switch d {
        case .int8(let a): return a.map { UInt64(UInt8(bitPattern: $0)) }
        case .int16(let a): return a.map { UInt64(UInt16(bitPattern: $0)) }
        case .int32(let a): return a.map { UInt64(UInt32(bitPattern: $0)) }
        case .int64(let a): return a.map { UInt64(bitPattern: $0) }
        case .uint8(let a): return a.map { UInt64($0) }
        case .uint16(let a): return a.map { UInt64($0) }
        case .uint32(let a): return a.map { UInt64($0) }
        case .uint64(let a): return a
        case .float32(let a): return a.map { UInt64(($0 == 0 ? 0 : $0).bitPattern) }
        case .float64(let a): return a.map { ($0 == 0 ? 0 : $0).bitPattern }
        default: return []
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
