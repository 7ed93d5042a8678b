import AurumCore

/// The window operator: a pipeline breaker. The input is buffered whole (counted against
/// max_memory_usage); for each window function the rows are sorted by PARTITION BY then
/// ORDER BY keys (a permutation, the input is not moved), each partition is walked in order
/// and the function's value is written back to the row's original position. Output: the
/// input columns, in input order, then one column per window function.
extension Executor {
    func runWindow(_ input: Plan, _ windows: [BoundWindow]) throws -> Block {
        let types = input.types
        let rowWidth = types.reduce(0) { $0 + max(8, $1.byteWidth ?? 16) }
        var buffered: [Block] = []
        var bytes = 0
        let s = try stream(input)
        while let b = try s.next() {
            try ctx.checkCancelled()
            buffered.append(b)
            bytes += b.count * rowWidth
            try ctx.checkMemory(bytes, "window functions")
        }
        let block = Block.concat(buffered, types: types)
        buffered = []
        // per window: the sort permutation, key columns and one Value per row
        try ctx.checkMemory(bytes + block.count * windows.count * 48, "window functions")
        var columns = block.columns
        for w in windows {
            try ctx.checkCancelled()
            columns.append(try WindowEvaluator(window: w, input: block).run())
        }
        return Block(columns: columns, count: block.count)
    }
}

struct WindowEvaluator {
    let window: BoundWindow
    let input: Block

    func run() throws -> Column {
        let n = input.count
        let w = window
        if n == 0 { return ColumnBuilder(type: w.returnType, capacity: 0).finish() }
        let pcols = try w.partitionBy.map { try Evaluator.evaluate($0, input) }
        let ocols = try w.orderBy.map { try Evaluator.evaluate($0.expr, input) }
        let args = try w.arguments.map { try Evaluator.evaluate($0, input) }
        let pcmp = Sorter.comparator(pcols, pcols.map { _ in (true, false) })
        let ocmp = Sorter.comparator(ocols, w.orderBy.map { ($0.ascending, $0.nullsFirst) })
        var perm = Array(0..<n)
        if !pcols.isEmpty || !ocols.isEmpty {
            perm.sort { a, b in
                let p = pcmp(a, b)
                if p != 0 { return p < 0 }
                let o = ocmp(a, b)
                if o != 0 { return o < 0 }
                return a < b
            }
        }
        // row_number / rank / dense_rank: computed straight into an Int64 column
        var ranks: [Int64]? = nil
        switch w.kind {
        case .rowNumber, .rank, .denseRank: ranks = [Int64](repeating: 0, count: n)
        default: break
        }
        var result = [Value](repeating: .null, count: ranks == nil ? n : 0)
        var ps = 0
        while ps < n {
            var pe = ps + 1
            while pe < n && pcmp(perm[pe - 1], perm[pe]) == 0 { pe += 1 }
            // peer groups: peerEnd[i - ps] = end (exclusive) of row i's peer group
            var peerStart = [Int](repeating: ps, count: pe - ps)
            var peerEnd = [Int](repeating: pe, count: pe - ps)
            var gs = ps
            for i in ps..<pe {
                if i > ps && ocmp(perm[i - 1], perm[i]) != 0 { gs = i }
                peerStart[i - ps] = gs
            }
            var ge = pe
            for i in stride(from: pe - 1, through: ps, by: -1) {
                if i < pe - 1 && ocmp(perm[i], perm[i + 1]) != 0 { ge = i + 1 }
                peerEnd[i - ps] = ge
            }
            if ranks != nil {
                var dense: Int64 = 0
                for i in ps..<pe {
                    switch w.kind {
                    case .rowNumber: ranks![perm[i]] = Int64(i - ps + 1)
                    case .rank: ranks![perm[i]] = Int64(peerStart[i - ps] - ps + 1)
                    default:
                        if peerStart[i - ps] == i { dense += 1 }
                        ranks![perm[i]] = dense
                    }
                }
            } else {
                try evaluatePartition(ps, pe, perm, peerStart, peerEnd, args, &result)
            }
            ps = pe
        }
        if let ranks { return Column(type: .int64, data: .int64(ranks)) }
        let t = w.returnType
        var b = ColumnBuilder(type: t, capacity: n)
        for v in result { b.append(v.isNull ? .null : try v.cast(to: t)) }
        var c = b.finish()
        c.type = t
        return c
    }

    /// Frame of sorted position `i` as a closed range of sorted positions.
    func frame(_ i: Int, _ ps: Int, _ pe: Int, _ peerEnd: [Int]) -> (Int, Int) {
        switch window.frame {
        case .partition: return (ps, pe - 1)
        case .rangeToCurrent: return (ps, peerEnd[i - ps] - 1)
        case .rows(let p): return (p.map { max(ps, i - $0) } ?? ps, i)
        }
    }

    func evaluatePartition(_ ps: Int, _ pe: Int, _ perm: [Int], _ peerStart: [Int], _ peerEnd: [Int], _ args: [Column],
                           _ result: inout [Value]) throws {
        let count = pe - ps
        switch window.kind {
        case .rowNumber:
            for i in ps..<pe { result[perm[i]] = .int(Int64(i - ps + 1)) }
        case .rank:
            for i in ps..<pe { result[perm[i]] = .int(Int64(peerStart[i - ps] - ps + 1)) }
        case .denseRank:
            var r: Int64 = 0
            for i in ps..<pe {
                if peerStart[i - ps] == i { r += 1 }
                result[perm[i]] = .int(r)
            }
        case .percentRank:
            for i in ps..<pe {
                result[perm[i]] = .float(count <= 1 ? 0 : Double(peerStart[i - ps] - ps) / Double(count - 1))
            }
        case .cumeDist:
            for i in ps..<pe { result[perm[i]] = .float(Double(peerEnd[i - ps] - ps) / Double(count)) }
        case .ntile:
            for i in ps..<pe {
                let v = args[0].value(at: perm[i])
                guard let buckets = v.asInt64 else { result[perm[i]] = .null; continue }
                guard buckets > 0 else { throw AurumError(.invalidArgumentForNtile, "argument of ntile must be greater than zero") }
                // the first (count % buckets) buckets get one extra row
                let nb = Int(min(buckets, Int64(count)))
                let size = count / nb, extra = count % nb
                let k = i - ps
                let bucket = k < extra * (size + 1) ? k / (size + 1) : extra + (k - extra * (size + 1)) / size
                result[perm[i]] = .int(Int64(bucket + 1))
            }
        case .lag, .lead:
            let sign = { if case .lag = window.kind { return -1 } else { return 1 } }()
            for i in ps..<pe {
                var off: Int64 = 1
                if args.count >= 2 {
                    guard let o = args[1].value(at: perm[i]).asInt64 else { result[perm[i]] = .null; continue }
                    off = o
                }
                let (t, overflow) = Int64(i).addingReportingOverflow(Int64(sign) &* off)
                if !overflow, t >= Int64(ps), t < Int64(pe) {
                    result[perm[i]] = args[0].value(at: perm[Int(t)])
                } else {
                    result[perm[i]] = args.count >= 3 ? args[2].value(at: perm[i]) : .null
                }
            }
        case .firstValue, .lastValue, .nthValue:
            for i in ps..<pe {
                let (a, b) = frame(i, ps, pe, peerEnd)
                switch window.kind {
                case .firstValue: result[perm[i]] = args[0].value(at: perm[a])
                case .lastValue: result[perm[i]] = args[0].value(at: perm[b])
                default:
                    guard let k = args[1].value(at: perm[i]).asInt64 else { result[perm[i]] = .null; continue }
                    guard k > 0 else { throw AurumError(.invalidArgumentForNthValue, "argument of nth_value must be greater than zero") }
                    result[perm[i]] = k - 1 <= Int64(b - a) ? args[0].value(at: perm[a + Int(k) - 1]) : .null
                }
            }
        case .aggregate(let make):
            try aggregate(make, ps, pe, perm, peerEnd, args, &result)
        }
    }

    func aggregate(_ make: () -> AggregateState, _ ps: Int, _ pe: Int, _ perm: [Int], _ peerEnd: [Int], _ args: [Column],
                   _ result: inout [Value]) throws {
        func rows(_ r: Range<Int>) -> [Column] {
            let idx = r.map { Int32(perm[$0]) }
            return args.map { $0.gather(idx) }
        }
        switch window.frame {
        case .partition:
            let st = make()
            st.resize(1)
            let zeros = [Int32](repeating: 0, count: pe - ps)
            try zeros.withUnsafeBufferPointer { try st.update(rows(ps..<pe), $0) }
            let v = try st.finalize(1).value(at: 0)
            for i in ps..<pe { result[perm[i]] = v }
        case .rangeToCurrent, .rows(preceding: nil):
            // running aggregate: add each peer group (or row), read the state after it
            let st = make()
            st.resize(1)
            var i = ps
            while i < pe {
                let end: Int
                if case .rangeToCurrent = window.frame { end = peerEnd[i - ps] } else { end = i + 1 }
                let zeros = [Int32](repeating: 0, count: end - i)
                try zeros.withUnsafeBufferPointer { try st.update(rows(i..<end), $0) }
                let v = try st.finalize(1).value(at: 0)
                for j in i..<end { result[perm[j]] = v }
                i = end
            }
        case .rows(preceding: let p?):
            // one group per row; row j contributes to the rows j ... j + p of its partition
            let count = pe - ps
            let st = make()
            st.resize(count)
            for k in 0...min(p, count - 1) {
                let groups = (0..<(count - k)).map { Int32($0 + k) }
                try groups.withUnsafeBufferPointer { try st.update(rows(ps..<(pe - k)), $0) }
            }
            let c = try st.finalize(count)
            for i in ps..<pe { result[perm[i]] = c.value(at: i - ps) }
        }
    }
}
