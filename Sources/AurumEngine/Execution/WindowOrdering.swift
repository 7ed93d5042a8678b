import AurumCore

/// The window operator's input rows in (PARTITION BY, ORDER BY) order, with partition and peer
/// group boundaries. Computed once per distinct (PARTITION BY, ORDER BY) pair and shared by
/// every window function using it.
///
/// How: PARTITION BY keys become dense partition ids through a `GroupTable` (partitions only
/// need grouping, not ordering); every ORDER BY key becomes one or more order-preserving
/// UInt64 words per row (signed integers with the sign bit flipped, floats by their IEEE bits,
/// 128-bit values as two words, strings as the rank of their distinct value, DESC inverted, a
/// leading flag word when the key has NULLs so they go first or last). An LSD radix sort of
/// the row indices over those words (stable, so ties keep input order; bytes that are the same
/// in every row are skipped) gives the permutation; input already in order costs one check.
struct WindowOrdering {
    /// Sorted position -> input row.
    var perm: [Int32]
    /// Sorted position of the first row of every partition, then `count`.
    var partitionStarts: [Int32]
    /// Sorted position of the first row of every peer group (rows of one partition equal on
    /// all ORDER BY keys; all rows of a partition without ORDER BY), then `count`.
    var peerStarts: [Int32]
    /// Sorted position -> index of its peer group in `peerStarts`.
    var peerOf: [Int32]

    var count: Int { perm.count }
    var partitionCount: Int { partitionStarts.count - 1 }

    /// Bytes this ordering holds (counted against max_memory_usage by the operator).
    static func estimatedBytes(rows n: Int, keyWords: Int) -> Int { n * (16 + 8 * (keyWords + 2)) }

    init(partitionBy: [Column], orderBy: [Column], keys: [(asc: Bool, nullsFirst: Bool)], count n: Int) {
        var words: [[UInt64]] = []
        var partitionWords = 0
        if !partitionBy.isEmpty && n > 1 {
            let table = GroupTable(keyTypes: partitionBy.map(\.type), capacity: 1024)
            var newRows: [Int32] = []
            let ids = table.insert(partitionBy, n, newRows: &newRows)
            if newRows.count > 1 {
                words.append(ids.map { UInt64(UInt32(bitPattern: $0)) })
                partitionWords = 1
            }
        }
        for (k, c) in orderBy.enumerated() where c.count == n && n > 1 {
            words += WindowOrdering.encode(c, asc: keys[k].asc, nullsFirst: keys[k].nullsFirst)
        }
        perm = WindowOrdering.sortedPermutation(words, n)
        var parts: [Int32] = [0], peers: [Int32] = [0]
        var peerOf = [Int32](repeating: 0, count: n)
        if n > 0 {
            perm.withUnsafeBufferPointer { p in
                peerOf.withUnsafeMutableBufferPointer { po in
                    if words.count == 1 {
                        words[0].withUnsafeBufferPointer { w in
                            for i in 1..<max(1, n) where w[Int(p[i - 1])] != w[Int(p[i])] {
                                if partitionWords == 1 { parts.append(Int32(i)) }
                                peers.append(Int32(i))
                            }
                        }
                    } else if words.count > 1 {
                        for i in 1..<max(1, n) {
                            let a = Int(p[i - 1]), b = Int(p[i])
                            for k in 0..<words.count where words[k][a] != words[k][b] {
                                if k < partitionWords { parts.append(Int32(i)) }
                                peers.append(Int32(i))
                                break
                            }
                        }
                    }
                    // peer group index of every position
                    var g = 0
                    for i in 0..<n {
                        if g + 1 < peers.count && Int(peers[g + 1]) == i { g += 1 }
                        po[i] = Int32(g)
                    }
                }
            }
        }
        if n > 0 { parts.append(Int32(n)); peers.append(Int32(n)) }
        partitionStarts = parts
        peerStarts = peers
        self.peerOf = peerOf
    }

    // MARK: key encoding

    static let signBit: UInt64 = 1 << 63

    /// Order-preserving bits of a float: NaN above +Infinity (PostgreSQL), -0.0 = 0.0.
    @inline(__always) static func floatKey(_ x: Double) -> UInt64 {
        if x.isNaN { return UInt64.max }
        let b = (x == 0 ? 0.0 : x).bitPattern
        return b & signBit != 0 ? ~b : b | signBit
    }

    /// The order-preserving words of one ORDER BY column (most significant first).
    static func encode(_ c: Column, asc: Bool, nullsFirst: Bool) -> [[UInt64]] {
        @inline(__always) func signed<T: FixedWidthInteger & SignedInteger>(_ a: [T]) -> [UInt64] {
            a.map { UInt64(bitPattern: Int64($0)) ^ signBit }
        }
        @inline(__always) func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ a: [T]) -> [UInt64] {
            a.map { UInt64($0) }
        }
        var value: [[UInt64]]
        switch c.data {
        case .int8(let a): value = [signed(a)]
        case .int16(let a): value = [signed(a)]
        case .int32(let a): value = [signed(a)]
        case .int64(let a): value = [signed(a)]
        case .int128(let a):
            value = [a.map { UInt64(bitPattern: $0._high) ^ signBit }, a.map { $0._low }]
        case .uint8(let a): value = [unsigned(a)]
        case .uint16(let a): value = [unsigned(a)]
        case .uint32(let a): value = [unsigned(a)]
        case .uint64(let a): value = [unsigned(a)]
        case .uint128(let a):
            value = [a.map { $0._high }, a.map { $0._low }]
        case .float32(let a): value = [a.map { floatKey(Double($0)) }]
        case .float64(let a): value = [a.map(floatKey)]
        case .string: value = [stringRanks(c)]
        }
        if !asc {
            for k in value.indices { value[k].withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = ~p[i] } } }
        }
        guard let valid = c.validity else { return value }
        // NULLs are peers of each other: zero their value words, order them by a flag word
        let nullFlag: UInt64 = nullsFirst ? 0 : 2
        var flags = [UInt64](repeating: 1, count: valid.count)
        for i in valid.indices where valid[i] == 0 {
            flags[i] = nullFlag
            for k in value.indices { value[k][i] = 0 }
        }
        return [flags] + value
    }

    /// Rank of every row's string among the column's distinct strings (byte-wise order).
    static func stringRanks(_ c: Column) -> [UInt64] {
        guard case .string(let s) = c.data else { return [UInt64](repeating: 0, count: c.count) }
        let table = GroupTable(keyTypes: [c.type], capacity: 1024)
        var firstRows: [Int32] = []
        let ids = table.insert([c], c.count, newRows: &firstRows)
        var order = Array(0..<firstRows.count)
        order.sort { s.compare(Int(firstRows[$0]), s, Int(firstRows[$1])) < 0 }
        var rank = [UInt64](repeating: 0, count: firstRows.count)
        for (r, g) in order.enumerated() { rank[g] = UInt64(r) }
        return ids.map { rank[Int($0)] }
    }

    // MARK: sorting

    /// Whether rows 0..<n are already in key order.
    static func isSorted(_ words: [[UInt64]], _ n: Int) -> Bool {
        if words.count == 1 {
            return words[0].withUnsafeBufferPointer { w in
                for i in 1..<n where w[i - 1] > w[i] { return false }
                return true
            }
        }
        for i in 1..<n {
            for w in words {
                if w[i - 1] < w[i] { break }
                if w[i - 1] > w[i] { return false }
            }
        }
        return true
    }

    /// When the keys' significant bits (each word minus its minimum) and the row index fit one
    /// UInt64 together, sorts `key << indexBits | index` values: one array moves per pass, the
    /// index bits keep equal keys in input order, and digits are up to 11 bits wide.
    static func packedSort(_ words: [[UInt64]], _ n: Int) -> [Int32]? {
        var ranges: [(min: UInt64, bits: Int)] = []
        var keyBits = 0
        for w in words {
            var lo = UInt64.max, hi: UInt64 = 0
            w.withUnsafeBufferPointer { p in for x in p { lo = Swift.min(lo, x); hi = Swift.max(hi, x) } }
            let bits = hi == lo ? 0 : 64 - (hi - lo).leadingZeroBitCount
            ranges.append((lo, bits))
            keyBits += bits
        }
        let indexBits = 64 - UInt64(n - 1).leadingZeroBitCount
        guard keyBits + indexBits <= 64, keyBits > 0 else { return nil }
        var a = [UInt64](repeating: 0, count: n)
        a.withUnsafeMutableBufferPointer { out in
            for i in 0..<n { out[i] = UInt64(i) }
            var shift = indexBits + keyBits
            for (k, r) in ranges.enumerated() where r.bits > 0 {
                shift -= r.bits
                words[k].withUnsafeBufferPointer { w in
                    for i in 0..<n { out[i] |= (w[i] &- r.min) << UInt64(shift) }
                }
            }
        }
        var b = [UInt64](repeating: 0, count: n)
        let passes = (keyBits + 10) / 11
        let width = (keyBits + passes - 1) / passes
        let mask = (UInt64(1) << UInt64(width)) - 1
        var counts = [Int](repeating: 0, count: 1 << width)
        for pass in 0..<passes {
            let shift = UInt64(indexBits + pass * width)
            counts.withUnsafeMutableBufferPointer { cnt in
                for d in 0..<cnt.count { cnt[d] = 0 }
                a.withUnsafeBufferPointer { src in
                    for i in 0..<n { cnt[Int(truncatingIfNeeded: (src[i] >> shift) & mask)] += 1 }
                    var sum = 0
                    for d in 0..<cnt.count { let c = cnt[d]; cnt[d] = sum; sum += c }
                    b.withUnsafeMutableBufferPointer { dst in
                        for i in 0..<n {
                            let d = Int(truncatingIfNeeded: (src[i] >> shift) & mask)
                            dst[cnt[d]] = src[i]
                            cnt[d] += 1
                        }
                    }
                }
            }
            swap(&a, &b)
        }
        let indexMask = (UInt64(1) << UInt64(indexBits)) - 1
        return a.map { Int32(truncatingIfNeeded: $0 & indexMask) }
    }

    /// Stable LSD radix sort of the row indices by `words` (most significant word first).
    static func sortedPermutation(_ words: [[UInt64]], _ n: Int) -> [Int32] {
        var perm = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i) }
            c = n
        }
        if words.isEmpty || n < 2 || isSorted(words, n) { return perm }
        if let packed = packedSort(words, n) { return packed }
        var keys = [UInt64](repeating: 0, count: n), keys2 = [UInt64](repeating: 0, count: n)
        var perm2 = [Int32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 256)
        for w in words.reversed() {
            var diff: UInt64 = 0
            w.withUnsafeBufferPointer { p in
                let f = p[0]
                for x in p { diff |= x ^ f }
            }
            if diff == 0 { continue }
            // this word's keys in the current order
            w.withUnsafeBufferPointer { src in
                perm.withUnsafeBufferPointer { p in
                    keys.withUnsafeMutableBufferPointer { k in
                        for i in 0..<n { k[i] = src[Int(p[i])] }
                    }
                }
            }
            for byte in 0..<8 where (diff >> UInt64(byte * 8)) & 0xff != 0 {
                let shift = UInt64(byte * 8)
                counts.withUnsafeMutableBufferPointer { cnt in
                    for b in 0..<256 { cnt[b] = 0 }
                    keys.withUnsafeBufferPointer { k in
                        for i in 0..<n { cnt[Int(truncatingIfNeeded: (k[i] >> shift) & 0xff)] += 1 }
                    }
                    var sum = 0
                    for b in 0..<256 { let c = cnt[b]; cnt[b] = sum; sum += c }
                    keys.withUnsafeBufferPointer { k in
                        perm.withUnsafeBufferPointer { p in
                            keys2.withUnsafeMutableBufferPointer { k2 in
                                perm2.withUnsafeMutableBufferPointer { p2 in
                                    for i in 0..<n {
                                        let b = Int(truncatingIfNeeded: (k[i] >> shift) & 0xff)
                                        let d = cnt[b]
                                        cnt[b] = d + 1
                                        k2[d] = k[i]
                                        p2[d] = p[i]
                                    }
                                }
                            }
                        }
                    }
                }
                swap(&keys, &keys2)
                swap(&perm, &perm2)
            }
        }
        return perm
    }
}
