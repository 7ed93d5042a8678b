import AurumCore

/// An aggregate state that evaluates every row's window frame directly instead of being
/// updated with the rows of each frame: count, sum and avg from prefix sums over the sorted
/// rows (exact for integers and decimals: Int128 prefix sums whose differences are exact),
/// float sum/avg and min/max from a segment tree (O(log n) per frame, no subtraction, so no
/// cancellation error and NaN/Infinity stay right). The state doubles as the result builder:
/// its groups are the input rows, and `finalize` gives the column in input order.
protocol WindowFrameAggregate: AnyObject {
    func evaluateFrames(_ args: [Column], _ o: WindowOrdering, _ f: WindowFrames) throws -> Column
}

/// Running count of valid rows (`validity` in input order) over the sorted positions.
private func prefixCounts(_ validity: [UInt8]?, _ o: WindowOrdering) -> [Int64] {
    let n = o.count
    var prefix = [Int64](repeating: 0, count: n + 1)
    prefix.withUnsafeMutableBufferPointer { p in
        if let v = validity {
            o.perm.withUnsafeBufferPointer { perm in
                for i in 0..<n { p[i + 1] = p[i] &+ Int64(v[Int(perm[i])]) }
            }
        } else {
            for i in 0..<n { p[i + 1] = Int64(i + 1) }
        }
    }
    return prefix
}

/// A bottom-up segment tree over the sorted positions (2n nodes, node i covering 2i and 2i+1);
/// `combine` must be associative and commutative.
struct SegmentTree<T> {
    var nodes: [T]
    let n: Int
    let identity: T

    init(_ leaves: [T], identity: T, _ combine: (T, T) -> T) {
        n = leaves.count
        self.identity = identity
        nodes = [T](repeating: identity, count: n) + leaves
        for i in stride(from: n - 1, through: 1, by: -1) { nodes[i] = combine(nodes[2 * i], nodes[2 * i + 1]) }
    }

    /// The combination of the leaves in `lo..<hi`.
    @inline(__always) func query(_ lo: Int, _ hi: Int, _ combine: (T, T) -> T) -> T {
        var res = identity
        var l = lo + n, r = hi + n
        while l < r {
            if l & 1 == 1 { res = combine(res, nodes[l]); l += 1 }
            if r & 1 == 1 { r -= 1; res = combine(res, nodes[r]) }
            l >>= 1
            r >>= 1
        }
        return res
    }
}

extension CountState: WindowFrameAggregate {
    func evaluateFrames(_ args: [Column], _ o: WindowOrdering, _ f: WindowFrames) throws -> Column {
        let n = o.count
        let prefix = prefixCounts(star || args.isEmpty ? nil : args[0].validity, o)
        var out = [Int64](repeating: 0, count: n)
        for i in 0..<n {
            var c: Int64 = 0
            f.pieces(i, o).forEach { lo, hi in c += prefix[hi] - prefix[lo] }
            out[Int(o.perm[i])] = c
        }
        counts = out
        return try finalize(n)
    }
}

extension SumState: WindowFrameAggregate {
    func evaluateFrames(_ args: [Column], _ o: WindowOrdering, _ f: WindowFrames) throws -> Column {
        let n = o.count
        let col = args[0]
        let valid = col.validity
        let cnt = prefixCounts(valid, o)
        resize(n)
        var outCounts = [Int64](repeating: 0, count: n)
        if case .float = kind {
            let d = col.doubleValues
            let leaves = o.perm.map { r in valid.map { $0[Int(r)] == 0 } == true ? 0 : d[Int(r)] }
            let tree = SegmentTree(leaves, identity: 0.0, +)
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0, c: Int64 = 0
                f.pieces(i, o).forEach { lo, hi in s += tree.query(lo, hi, +); c += cnt[hi] - cnt[lo] }
                let r = Int(o.perm[i])
                out[r] = s
                outCounts[r] = c
            }
            dbl = out
        } else {
            // Int128 prefix sums with wrapping adds: a difference is exact whenever the frame's
            // true sum fits Int128 (64-bit inputs: always)
            let vals = WindowOrdering.sortedExact(col, o.perm)
            var prefix = [Int128](repeating: 0, count: n + 1)
            for i in 0..<n {
                let ok = valid.map { $0[Int(o.perm[i])] != 0 } ?? true
                prefix[i + 1] = prefix[i] &+ (ok ? vals[i] : 0)
            }
            var out = [Int128](repeating: 0, count: n)
            for i in 0..<n {
                var s: Int128 = 0, c: Int64 = 0
                f.pieces(i, o).forEach { lo, hi in s = s &+ (prefix[hi] &- prefix[lo]); c += cnt[hi] - cnt[lo] }
                let r = Int(o.perm[i])
                out[r] = s
                outCounts[r] = c
            }
            wide = out
        }
        counts = outCounts
        return try finalize(n)
    }
}

extension MinMaxState: WindowFrameAggregate {
    func evaluateFrames(_ args: [Column], _ o: WindowOrdering, _ f: WindowFrames) throws -> Column {
        let n = o.count
        let a = extract(args[0].data)
        resize(n)
        guard a.count == n, n > 0 else { return try finalize(n) }
        let valid = args[0].validity
        let sorted = o.perm.map { a[Int($0)] }
        let isMax = self.isMax
        // the tree holds the sorted position of the best value of a range (-1: none)
        let better: (Int32, Int32) -> Int32 = { x, y in
            if x < 0 { return y }
            if y < 0 { return x }
            return isMax ? (sorted[Int(y)] > sorted[Int(x)] ? y : x) : (sorted[Int(y)] < sorted[Int(x)] ? y : x)
        }
        let leaves: [Int32] = (0..<n).map { i in (valid.map { $0[Int(o.perm[i])] == 0 } ?? false) ? -1 : Int32(i) }
        let tree = SegmentTree(leaves, identity: -1, better)
        var outVals = [T](repeating: a[0], count: n)
        var outHas = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            var best: Int32 = -1
            f.pieces(i, o).forEach { lo, hi in best = better(best, tree.query(lo, hi, better)) }
            if best >= 0 {
                let r = Int(o.perm[i])
                outVals[r] = sorted[Int(best)]
                outHas[r] = 1
            }
        }
        vals = outVals
        has = outHas
        return try finalize(n)
    }
}

/// stddev / variance (population and sample) over frames: a segment tree of (count, mean,
/// M2) summaries merged with Chan et al.'s pairwise formula, O(log n) per frame and
/// numerically stable (no running sum of squares). nil for other aggregates.
func windowVariance(_ name: String, _ arg: Column, _ o: WindowOrdering, _ f: WindowFrames) -> Column? {
    let variance: Set<String> = ["stddevpop", "stddev_pop", "stddevsamp", "stddev_samp", "stddev", "varpop", "var_pop", "varsamp", "var_samp", "variance"]
    guard variance.contains(name) else { return nil }
    let samp = name.contains("samp") || name == "stddev" || name == "variance"
    let root = name.hasPrefix("stddev")
    struct Moments { var n: Double; var mean: Double; var m2: Double }
    let combine: (Moments, Moments) -> Moments = { a, b in
        if a.n == 0 { return b }
        if b.n == 0 { return a }
        let n = a.n + b.n, d = b.mean - a.mean
        return Moments(n: n, mean: a.mean + d * b.n / n, m2: a.m2 + b.m2 + d * d * a.n * b.n / n)
    }
    let n = o.count
    let x = arg.doubleValues
    let valid = arg.validity
    let empty = Moments(n: 0, mean: 0, m2: 0)
    let leaves: [Moments] = o.perm.map { r in
        (valid.map { $0[Int(r)] == 0 } ?? false) ? empty : Moments(n: 1, mean: x[Int(r)], m2: 0)
    }
    let tree = SegmentTree(leaves, identity: empty, combine)
    var out = [Double](repeating: 0, count: n)
    var validity = [UInt8](repeating: 1, count: n)
    var anyNull = false
    for i in 0..<n {
        var acc = empty
        f.pieces(i, o).forEach { lo, hi in acc = combine(acc, tree.query(lo, hi, combine)) }
        let r = Int(o.perm[i])
        if acc.n == 0 || (samp && acc.n < 2) { validity[r] = 0; anyNull = true; continue }
        let v = max(0, acc.m2) / (samp ? acc.n - 1 : acc.n)
        out[r] = root ? v.squareRoot() : v
    }
    return Column(type: anyNull ? DataType.float64.nullable : .float64, data: .float64(out), validity: anyNull ? validity : nil)
}

/// Any other aggregate (any, argMin/argMax, quantile, string_agg, bool_and,
/// uniq, groupArray, ...) through its ordinary state:
/// - frames that start at the partition start and exclude nothing (running aggregates, whole
///   partitions): one state per partition, extended row by row and finalized once per distinct
///   frame end (O(n) updates; the finalize cost is the state's);
/// - any other frame: one group per distinct frame, updated with the frame's rows in batches
///   of 64K (O(sum of frame sizes), i.e. O(n * frame)).
func windowAggregateFallback(_ make: () -> AggregateState, _ args: [Column], _ o: WindowOrdering, _ f: WindowFrames,
                             _ type: DataType) throws -> Column {
    let n = o.count
    if f.isRunning(o) {
        var result = [Value](repeating: .null, count: n)
        for p in 0..<o.partitionCount {
            let ps = Int(o.partitionStarts[p]), pe = Int(o.partitionStarts[p + 1])
            let st = make()
            st.resize(1)
            var added = ps, lastEnd = -1
            var v = Value.null
            for i in ps..<pe {
                let e = Int(f.end[i])
                if e != lastEnd {
                    if e > added {
                        let rows = o.perm[added..<e].map { $0 }
                        let zeros = [Int32](repeating: 0, count: rows.count)
                        try zeros.withUnsafeBufferPointer { try st.update(args.map { $0.gather(rows) }, $0) }
                        added = e
                    }
                    v = try st.finalize(1).value(at: 0)
                    lastEnd = e
                }
                result[Int(o.perm[i])] = v
            }
        }
        var b = ColumnBuilder(type: type, capacity: n)
        for v in result { b.append(v.isNull ? .null : try v.cast(to: type)) }
        return b.finish()
    }
    // one group per distinct frame (consecutive rows with the same frame share it)
    var groupOf = [Int32](repeating: 0, count: n)
    var frames: [FramePieces] = []
    for i in 0..<n {
        let pcs = f.pieces(i, o)
        if f.exclusion == .noOthers, let last = frames.last, last.a0 == pcs.a0, last.a1 == pcs.a1 {
            groupOf[Int(o.perm[i])] = Int32(frames.count - 1)
        } else {
            frames.append(pcs)
            groupOf[Int(o.perm[i])] = Int32(frames.count - 1)
        }
    }
    let st = make()
    st.resize(frames.count)
    var rows: [Int32] = [], groups: [Int32] = []
    rows.reserveCapacity(1 << 16)
    groups.reserveCapacity(1 << 16)
    func flush() throws {
        guard !rows.isEmpty else { return }
        let cols = args.map { $0.gather(rows) }
        try groups.withUnsafeBufferPointer { try st.update(cols, $0) }
        rows.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
    }
    for (g, pcs) in frames.enumerated() {
        try pcs.forEach { lo, hi in
            for r in lo..<hi {
                rows.append(o.perm[r])
                groups.append(Int32(g))
            }
            if rows.count >= 1 << 16 { try flush() }
        }
    }
    try flush()
    return try st.finalize(frames.count).gather(groupOf)
}
