import AurumCore

/// Sorting and merge-mode planning over in-memory columns (insert, merge, FINAL).
///
/// Order: ascending by each key column in turn; NULLs last; NaN after every number;
/// strings byte-wise. Ties keep input order (stable), which is insertion order because
/// inputs are concatenated oldest part first.
enum RowOrder {
    /// Three-way comparison of rows i and j of one column.
    @inline(__always)
    static func cmp<T: Comparable>(_ a: UnsafeBufferPointer<T>, _ i: Int, _ j: Int) -> Int {
        let x = a[i], y = a[j]
        if x < y { return -1 }
        if y < x { return 1 }
        if x == y { return 0 }
        // Unordered: at least one NaN. NaN sorts after numbers; NaNs are equal.
        let xn = x != x, yn = y != y
        if xn && yn { return 0 }
        return xn ? 1 : -1
    }

    static func compare(_ d: ColumnData, _ i: Int, _ j: Int) -> Int {
        switch d {
        case .int8(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .int16(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .int32(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .int64(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .int128(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .uint8(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .uint16(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .uint32(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .uint64(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .uint128(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .float32(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .float64(let a): return a.withUnsafeBufferPointer { cmp($0, i, j) }
        case .string(let s): return s.compare(i, s, j)
        }
    }

    /// Compares rows i and j across key columns.
    static func compareRows(_ keys: [Column], _ i: Int, _ j: Int) -> Int {
        for k in keys {
            if let v = k.validity {
                let ni = v[i] == 0, nj = v[j] == 0
                if ni || nj {
                    if ni && nj { continue }
                    return ni ? 1 : -1
                }
            }
            let r = compare(k.data, i, j)
            if r != 0 { return r }
        }
        return 0
    }

    /// A stable permutation that sorts `count` rows by `keys`.
    static func sortPermutation(_ keys: [Column], count: Int) -> [Int32] {
        precondition(count <= Int(Int32.max), "too many rows to sort in one part")
        var perm = [Int32](unsafeUninitializedCapacity: count) { b, n in
            for i in 0..<count { b[i] = Int32(i) }
            n = count
        }
        guard !keys.isEmpty, count > 1 else { return perm }
        // Already sorted (time-ordered loads, merges of one part): nothing to do.
        var sorted = true
        for i in 1..<count where compareRows(keys, i - 1, i) > 0 { sorted = false; break }
        if sorted { return perm }
        // Fast path: one non-null integer key.
        if keys.count == 1, keys[0].validity == nil, let p = fastSort(keys[0].data, &perm) { return p }
        perm.sort { a, b in
            let r = compareRows(keys, Int(a), Int(b))
            return r < 0 || (r == 0 && a < b)
        }
        return perm
    }

    private static func fastSort(_ d: ColumnData, _ perm: inout [Int32]) -> [Int32]? {
        func go<T: Comparable>(_ a: [T]) -> [Int32] {
            a.withUnsafeBufferPointer { k in
                perm.sort { x, y in
                    let kx = k[Int(x)], ky = k[Int(y)]
                    return kx < ky || (kx == ky && x < y)
                }
            }
            return perm
        }
        switch d {
        case .int8(let a): return go(a)
        case .int16(let a): return go(a)
        case .int32(let a): return go(a)
        case .int64(let a): return go(a)
        case .int128(let a): return go(a)
        case .uint8(let a): return go(a)
        case .uint16(let a): return go(a)
        case .uint32(let a): return go(a)
        case .uint64(let a): return go(a)
        case .uint128(let a): return go(a)
        default: return nil   // floats (NaN) and strings take the general path
        }
    }

    /// Which input rows become output rows.
    ///
    /// `order` lists input rows in output order. Without `groupStarts` output row k is input
    /// row `order[k]`; with it (summing) output row k aggregates
    /// `order[groupStarts[k] ..< groupStarts[k+1]]`.
    struct Plan {
        var order: [Int32]
        var groupStarts: [Int]?
        var outputCount: Int { groupStarts.map { $0.count - 1 } ?? order.count }
    }

    static func plan(keys: [Column], mode: MergeMode, version: Column?, count: Int) -> Plan {
        let perm = sortPermutation(keys, count: count)
        switch mode {
        case .plain:
            return Plan(order: perm, groupStarts: nil)
        case .replacing:
            var out: [Int32] = []
            var i = 0
            while i < count {
                var best = i
                var j = i + 1
                while j < count, compareRows(keys, Int(perm[i]), Int(perm[j])) == 0 {
                    if let v = version {
                        // Later rows win ties (>=); NULL versions lose to any value.
                        let a = Int(perm[best]), b = Int(perm[j])
                        let an = v.isNull(a), bn = v.isNull(b)
                        if an && !bn { best = j }
                        else if !bn && compare(v.data, b, a) >= 0 { best = j }
                        else if an && bn { best = j }
                    } else {
                        best = j
                    }
                    j += 1
                }
                out.append(perm[best])
                i = j
            }
            return Plan(order: out, groupStarts: nil)
        case .summing:
            var starts: [Int] = []
            var i = 0
            while i < count {
                starts.append(i)
                var j = i + 1
                while j < count, compareRows(keys, Int(perm[i]), Int(perm[j])) == 0 { j += 1 }
                i = j
            }
            starts.append(count)
            return Plan(order: perm, groupStarts: starts)
        }
    }

    /// Applies a plan to one column: gather, or (summing) sum / first-of-group.
    static func apply(_ plan: Plan, to column: Column, sum: Bool) -> Column {
        guard let starts = plan.groupStarts else { return column.gather(plan.order).normalized() }
        if !sum {
            let firsts = (0..<(starts.count - 1)).map { plan.order[starts[$0]] }
            return column.gather(firsts).normalized()
        }
        let groups = starts.count - 1
        var validity: [UInt8]? = nil
        if let v = column.validity {
            var out = [UInt8](repeating: 0, count: groups)
            for g in 0..<groups {
                for k in starts[g]..<starts[g + 1] where v[Int(plan.order[k])] != 0 { out[g] = 1; break }
            }
            if out.contains(0) { validity = out }
        }
        let valid = column.validity
        func ints<T: FixedWidthInteger>(_ a: [T]) -> [T] {
            var out = [T](repeating: 0, count: groups)
            for g in 0..<groups {
                var s: T = 0
                for k in starts[g]..<starts[g + 1] {
                    let r = Int(plan.order[k])
                    if let v = valid, v[r] == 0 { continue }
                    s = s &+ a[r]
                }
                out[g] = s
            }
            return out
        }
        func floats<T: BinaryFloatingPoint>(_ a: [T]) -> [T] {
            var out = [T](repeating: 0, count: groups)
            for g in 0..<groups {
                var s: T = 0
                for k in starts[g]..<starts[g + 1] {
                    let r = Int(plan.order[k])
                    if let v = valid, v[r] == 0 { continue }
                    s += a[r]
                }
                out[g] = s
            }
            return out
        }
        let d: ColumnData
        switch column.data {
        case .int8(let a): d = .int8(ints(a))
        case .int16(let a): d = .int16(ints(a))
        case .int32(let a): d = .int32(ints(a))
        case .int64(let a): d = .int64(ints(a))
        case .int128(let a): d = .int128(ints(a))
        case .uint8(let a): d = .uint8(ints(a))
        case .uint16(let a): d = .uint16(ints(a))
        case .uint32(let a): d = .uint32(ints(a))
        case .uint64(let a): d = .uint64(ints(a))
        case .uint128(let a): d = .uint128(ints(a))
        case .float32(let a): d = .float32(floats(a))
        case .float64(let a): d = .float64(floats(a))
        case .string:
            let firsts = (0..<groups).map { plan.order[starts[$0]] }
            return column.gather(firsts).normalized()
        }
        return Column(type: column.type, data: d, validity: validity)
    }

    /// Sorts and collapses a block according to the schema (insert path and FINAL).
    static func arrange(_ block: Block, schema: StorageSchema) -> Block {
        let keys = schema.sortKey.map { block.columns[$0] }
        var version: Column? = nil
        if case .replacing(let v?) = schema.mergeMode { version = block.columns[v] }
        let p = plan(keys: keys, mode: schema.mergeMode, version: version, count: block.count)
        if p.groupStarts == nil, p.order.count == block.count, p.order.enumerated().allSatisfy({ Int($0.element) == $0.offset }) {
            return block
        }
        let summed = Set(schema.summedColumns)
        let cols = block.columns.indices.map { apply(p, to: block.columns[$0], sum: summed.contains($0)) }
        return Block(columns: cols, count: p.outputCount)
    }
}
