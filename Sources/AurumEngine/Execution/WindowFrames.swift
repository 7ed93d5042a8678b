import AurumCore

/// The frame of every row of a `WindowOrdering`, in sorted positions: `[start, end)` before the
/// exclusion (an empty frame has `end == start`), plus the exclusion, which `pieces` applies.
/// Frame bounds never decrease from one row to the next within a partition, so ROWS, GROUPS and
/// RANGE offsets are all found in one forward pass (RANGE: two pointers over the sorted key).
struct WindowFrames {
    var start: [Int32]
    var end: [Int32]
    var exclusion: BoundFrame.Exclusion

    /// Whether every frame starts at its partition's first row and nothing is excluded (running
    /// aggregates, whole partitions): a state can then be extended row by row.
    func isRunning(_ o: WindowOrdering) -> Bool {
        guard exclusion == .noOthers else { return false }
        for p in 0..<o.partitionCount {
            let ps = o.partitionStarts[p], pe = Int(o.partitionStarts[p + 1])
            for i in Int(ps)..<pe where start[i] != ps { return false }
        }
        return true
    }

    /// The frame of sorted position `i` after the exclusion: up to three disjoint ranges in
    /// sorted order (empty ranges have `lo >= hi`).
    @inline(__always)
    func pieces(_ i: Int, _ o: WindowOrdering) -> FramePieces {
        let s = Int(start[i]), e = Int(end[i])
        switch exclusion {
        case .noOthers:
            return FramePieces(a0: s, a1: e, b0: 0, b1: 0, c0: 0, c1: 0)
        case .currentRow:
            return FramePieces(a0: s, a1: min(e, i), b0: max(s, i + 1), b1: e, c0: 0, c1: 0)
        case .group, .ties:
            let g = Int(o.peerOf[i])
            let gs = Int(o.peerStarts[g]), ge = Int(o.peerStarts[g + 1])
            let keep = exclusion == .ties && i >= s && i < e
            return FramePieces(a0: s, a1: min(e, gs), b0: keep ? i : 0, b1: keep ? i + 1 : 0, c0: max(s, ge), c1: e)
        }
    }
}

/// Up to three disjoint, ordered ranges of sorted positions: a frame minus its exclusion.
struct FramePieces {
    var a0: Int, a1: Int, b0: Int, b1: Int, c0: Int, c1: Int

    /// The first position of the frame, or nil when it is empty.
    @inline(__always) var first: Int? {
        if a0 < a1 { return a0 }
        if b0 < b1 { return b0 }
        if c0 < c1 { return c0 }
        return nil
    }
    /// The last position of the frame, or nil when it is empty.
    @inline(__always) var last: Int? {
        if c0 < c1 { return c1 - 1 }
        if b0 < b1 { return b1 - 1 }
        if a0 < a1 { return a1 - 1 }
        return nil
    }
    /// The k-th position (0-based) of the frame, or nil.
    @inline(__always) func nth(_ k: Int) -> Int? {
        var k = k
        let na = max(0, a1 - a0)
        if k < na { return a0 + k }
        k -= na
        let nb = max(0, b1 - b0)
        if k < nb { return b0 + k }
        k -= nb
        let nc = max(0, c1 - c0)
        if k < nc { return c0 + k }
        return nil
    }
    /// Calls `body` with every non-empty range.
    @inline(__always) func forEach(_ body: (Int, Int) throws -> Void) rethrows {
        if a0 < a1 { try body(a0, a1) }
        if b0 < b1 { try body(b0, b1) }
        if c0 < c1 { try body(c0, c1) }
    }
}

extension WindowOrdering {
    /// The frames of `frame` for every row. `orderKey` is the single ORDER BY column (in input
    /// order) when the frame is RANGE with an offset.
    func frames(_ frame: BoundFrame, orderKey: Column?, ascending: Bool, nullsFirst: Bool) throws -> WindowFrames {
        let n = count
        var start = [Int32](repeating: 0, count: n), end = [Int32](repeating: 0, count: n)
        if frame.unit == .range, case .preceding = frame.start, let k = orderKey {
            try rangeOffsets(frame.start, isStart: true, key: k, ascending: ascending, nullsFirst: nullsFirst, into: &start)
        } else if frame.unit == .range, case .following = frame.start, let k = orderKey {
            try rangeOffsets(frame.start, isStart: true, key: k, ascending: ascending, nullsFirst: nullsFirst, into: &start)
        } else {
            positional(frame.unit, frame.start, isStart: true, into: &start)
        }
        if frame.unit == .range, case .preceding = frame.end, let k = orderKey {
            try rangeOffsets(frame.end, isStart: false, key: k, ascending: ascending, nullsFirst: nullsFirst, into: &end)
        } else if frame.unit == .range, case .following = frame.end, let k = orderKey {
            try rangeOffsets(frame.end, isStart: false, key: k, ascending: ascending, nullsFirst: nullsFirst, into: &end)
        } else {
            positional(frame.unit, frame.end, isStart: false, into: &end)
        }
        // a frame starting after its end is empty
        start.withUnsafeBufferPointer { s in
            end.withUnsafeMutableBufferPointer { e in
                for i in 0..<n where e[i] < s[i] { e[i] = s[i] }
            }
        }
        return WindowFrames(start: start, end: end, exclusion: frame.exclusion)
    }

    /// ROWS and GROUPS bounds, and the RANGE bounds that need no key arithmetic.
    private func positional(_ unit: BoundFrame.Unit, _ bound: BoundFrame.Bound, isStart: Bool, into out: inout [Int32]) {
        // offsets beyond any partition size clamp to it
        func clamp(_ o: FrameOffset) -> Int {
            if case .count(let c) = o { return Int(min(c, Int64(Int32.max))) }
            return 0
        }
        do {
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<partitionCount {
                    let ps = Int(partitionStarts[p]), pe = Int(partitionStarts[p + 1])
                    let firstGroup = Int(peerOf[ps]), lastGroup = Int(peerOf[pe - 1])
                    for i in ps..<pe {
                        let pos: Int
                        switch bound {
                        case .unboundedPreceding: pos = ps
                        case .unboundedFollowing: pos = pe
                        case .currentRow:
                            if unit == .rows { pos = isStart ? i : i + 1 } else {
                                let g = Int(peerOf[i])
                                pos = Int(isStart ? peerStarts[g] : peerStarts[g + 1])
                            }
                        case .preceding(let off):
                            let k = clamp(off)
                            if unit == .rows {
                                pos = isStart ? max(ps, i - k) : max(ps, i - k + 1)
                            } else {
                                // GROUPS (RANGE offsets are handled by rangeOffsets)
                                let g = Int(peerOf[i]) - k
                                if isStart { pos = Int(peerStarts[max(firstGroup, g)]) } else { pos = g < firstGroup ? ps : Int(peerStarts[g + 1]) }
                            }
                        case .following(let off):
                            let k = clamp(off)
                            if unit == .rows {
                                pos = isStart ? min(pe, i + k) : min(pe, i + k + 1)
                            } else {
                                let g = Int(peerOf[i]) + k
                                if isStart { pos = g > lastGroup ? pe : Int(peerStarts[g]) } else { pos = Int(peerStarts[min(lastGroup, g) + 1]) }
                            }
                        }
                        o[i] = Int32(pos)
                    }
                }
            }
        }
    }

    /// RANGE `offset PRECEDING | FOLLOWING`: the first row whose key is at or beyond
    /// key ∓ offset (start), or beyond it (end), found with a pointer that only moves forward.
    /// A NULL key's frame bound is its peer group (the NULLs); NULLs sort as if above or below
    /// every value, so they are in a non-NULL row's frame only through UNBOUNDED bounds.
    private func rangeOffsets(_ bound: BoundFrame.Bound, isStart: Bool, key: Column, ascending: Bool, nullsFirst: Bool,
                              into out: inout [Int32]) throws {
        let offset: FrameOffset
        let preceding: Bool
        switch bound {
        case .preceding(let o): offset = o; preceding = true
        case .following(let o): offset = o; preceding = false
        default: return
        }
        // in key terms: subtract when moving towards smaller keys
        let subtract = preceding == ascending
        switch offset {
        case .float(let d):
            let keys = WindowOrdering.sortedDoubles(key, perm).map(TotalOrderDouble.init)
            let delta = subtract ? -d : d
            search(keys, key.validity, isStart: isStart, ascending: ascending, into: &out) { TotalOrderDouble($0.value + delta) }
        case .exact(let x):
            let keys = WindowOrdering.sortedExact(key, perm)
            search(keys, key.validity, isStart: isStart, ascending: ascending, into: &out) { k in
                let (r, o) = subtract ? k.subtractingReportingOverflow(x) : k.addingReportingOverflow(x)
                return o ? (subtract ? Int128.min : Int128.max) : r
            }
        case .interval(let months, let days, let micros):
            let (keys, q) = WindowOrdering.sortedTicks(key, perm)
            let sign: Int64 = subtract ? -1 : 1
            search(keys, key.validity, isStart: isStart, ascending: ascending, into: &out) { k in
                WindowOrdering.addInterval(k, months: months * sign, days: days * sign, micros: micros * sign, scale: q)
            }
        case .count:
            return
        }
    }

    private func search<K: Comparable>(_ keys: [K], _ validity: [UInt8]?, isStart: Bool, ascending: Bool,
                                       into out: inout [Int32], _ boundOf: (K) -> K) {
        // key order within the non-NULL run; `inFrame(k, b)`: k is at or past the bound
        @inline(__always) func reached(_ k: K, _ b: K) -> Bool {
            if isStart { return ascending ? k >= b : k <= b }
            return ascending ? k > b : k < b
        }
        for p in 0..<partitionCount {
            let ps = Int(partitionStarts[p]), pe = Int(partitionStarts[p + 1])
            var nn0 = ps, nn1 = pe
            if let v = validity {
                // NULL keys are contiguous at one end of the partition
                while nn0 < pe && v[Int(perm[nn0])] == 0 { nn0 += 1 }
                if nn0 == ps { while nn1 > ps && v[Int(perm[nn1 - 1])] == 0 { nn1 -= 1 } }
            }
            var j = nn0
            for i in ps..<pe {
                if i < nn0 || i >= nn1 {
                    let g = Int(peerOf[i])
                    out[i] = isStart ? peerStarts[g] : peerStarts[g + 1]
                    continue
                }
                let b = boundOf(keys[i])
                while j < nn1 && !reached(keys[j], b) { j += 1 }
                out[i] = Int32(j)
            }
        }
    }

    // MARK: keys in sorted order

    static func sortedDoubles(_ c: Column, _ perm: [Int32]) -> [Double] {
        let d = c.doubleValues
        return perm.map { d[Int($0)] }
    }

    static func sortedExact(_ c: Column, _ perm: [Int32]) -> [Int128] {
        // concrete conversions: the generic Int128(T) initialiser is not specialised across modules
        @inline(__always) func s(_ x: Int64) -> Int128 { Int128(_low: UInt64(bitPattern: x), _high: x >> 63) }
        @inline(__always) func u(_ x: UInt64) -> Int128 { Int128(_low: x, _high: 0) }
        switch c.data {
        case .int8(let a): return perm.map { s(Int64(a[Int($0)])) }
        case .int16(let a): return perm.map { s(Int64(a[Int($0)])) }
        case .int32(let a): return perm.map { s(Int64(a[Int($0)])) }
        case .int64(let a): return perm.map { s(a[Int($0)]) }
        case .int128(let a): return perm.map { a[Int($0)] }
        case .uint8(let a): return perm.map { u(UInt64(a[Int($0)])) }
        case .uint16(let a): return perm.map { u(UInt64(a[Int($0)])) }
        case .uint32(let a): return perm.map { u(UInt64(a[Int($0)])) }
        case .uint64(let a): return perm.map { u(a[Int($0)]) }
        case .uint128(let a): return perm.map { let x = a[Int($0)]; return Int128(_low: x._low, _high: Int64(bitPattern: x._high)) }
        case .float32, .float64, .string: return [Int128](repeating: 0, count: perm.count)
        }
    }

    /// Date/time keys as ticks of 10^-q seconds (q = max(6, precision)), q.
    static func sortedTicks(_ c: Column, _ perm: [Int32]) -> ([Int128], Int) {
        let raw = sortedExact(c, perm)
        switch c.type.base {
        case .date:
            let perDay = 86_400 * DecimalMath.pow10[6]
            return (raw.map { $0 * perDay }, 6)
        case .dateTime:
            return (raw.map { $0 * DecimalMath.pow10[6] }, 6)
        case .dateTime64(let p):
            if p >= 6 { return (raw, p) }
            let m = DecimalMath.pow10[6 - p]
            return (raw.map { $0 * m }, 6)
        default:
            return (raw, 6)
        }
    }

    /// `ticks + interval` (PostgreSQL's timestamp + interval: months with the day clamped to
    /// the month's length, then days, then the time part); saturates far outside the calendar.
    static func addInterval(_ ticks: Int128, months: Int64, days: Int64, micros: Int64, scale q: Int) -> Int128 {
        let perDay = 86_400 * DecimalMath.pow10[q]
        // offsets beyond +-200,000 years put the bound past every representable key
        if months > 2_400_000 || days > 73_000_000 { return Int128.max / 2 }
        if months < -2_400_000 || days < -73_000_000 { return Int128.min / 2 }
        var day = ticks / perDay
        if ticks % perDay < 0 { day -= 1 }
        let tod = ticks - day * perDay
        if months != 0 {
            let (y, m, d) = Temporal.civil(Int(day))
            let total = y * 12 + (m - 1) + Int(months)
            var ny = total / 12
            if total % 12 < 0 { ny -= 1 }
            let nm = total - ny * 12 + 1
            day = Int128(Temporal.days(year: ny, month: nm, day: min(d, Temporal.daysInMonth(ny, nm))))
        }
        day += Int128(days)
        return day * perDay + tod + Int128(micros) * DecimalMath.pow10[q - 6]
    }
}

/// A Double ordered as PostgreSQL sorts floats: NaN equal to NaN and above every other value.
struct TotalOrderDouble: Comparable {
    let value: Double
    init(_ value: Double) { self.value = value }
    static func < (a: TotalOrderDouble, b: TotalOrderDouble) -> Bool {
        if a.value.isNaN { return false }
        if b.value.isNaN { return true }
        return a.value < b.value
    }
    static func == (a: TotalOrderDouble, b: TotalOrderDouble) -> Bool {
        (a.value.isNaN && b.value.isNaN) || a.value == b.value
    }
}
