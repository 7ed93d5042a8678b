import AurumCore

/// The window operator: a pipeline breaker. The input is buffered whole (counted against
/// max_memory_usage). Window functions with the same PARTITION BY and ORDER BY share one
/// `WindowOrdering` (a sorted permutation with partition and peer boundaries; the input is not
/// moved); each function then computes its values in typed buffers, written straight to the
/// rows' input positions. Output: the input columns, in input order, then one column per window
/// function.
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
        let n = block.count
        // orderings (permutation, boundaries, key words while sorting) and one result per window
        let keyWords = windows.map { $0.partitionBy.count + 2 * $0.orderBy.count }.max() ?? 0
        try ctx.checkMemory(bytes + WindowOrdering.estimatedBytes(rows: n, keyWords: keyWords) + n * windows.count * 24, "window functions")
        var columns = block.columns
        var orderings: [String: WindowOrdering] = [:]
        for w in windows {
            try ctx.checkCancelled()
            let evaluator = try WindowEvaluator(window: w, input: block)
            let key = w.sortSpecification
            let ordering: WindowOrdering
            if let o = orderings[key] { ordering = o } else {
                ordering = evaluator.makeOrdering()
                orderings[key] = ordering
            }
            columns.append(try evaluator.run(ordering))
        }
        return Block(columns: columns, count: n)
    }
}

extension BoundWindow {
    /// Identifies the (PARTITION BY, ORDER BY) pair: windows with equal ones share an ordering.
    var sortSpecification: String {
        partitionBy.map(\.description).joined(separator: ",") + " | "
            + orderBy.map { "\($0.expr) \($0.ascending) \($0.nullsFirst)" }.joined(separator: ",")
    }
}

struct WindowEvaluator {
    let window: BoundWindow
    let count: Int
    let partitionColumns: [Column]
    let orderColumns: [Column]
    let args: [Column]

    init(window: BoundWindow, input: Block) throws {
        self.window = window
        count = input.count
        partitionColumns = try window.partitionBy.map { try Evaluator.evaluate($0, input) }
        orderColumns = try window.orderBy.map { try Evaluator.evaluate($0.expr, input) }
        args = try window.arguments.map { try Evaluator.evaluate($0, input) }
    }

    func makeOrdering() -> WindowOrdering {
        WindowOrdering(partitionBy: partitionColumns, orderBy: orderColumns,
                       keys: window.orderBy.map { ($0.ascending, $0.nullsFirst) }, count: count)
    }

    func run(_ o: WindowOrdering) throws -> Column {
        let n = count
        let w = window
        if n == 0 { return ColumnBuilder(type: w.returnType, capacity: 0).finish() }
        switch w.kind {
        case .rowNumber, .rank, .denseRank:
            var out = [Int64](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { r in
                o.perm.withUnsafeBufferPointer { perm in
                    for p in 0..<o.partitionCount {
                        let ps = Int(o.partitionStarts[p]), pe = Int(o.partitionStarts[p + 1])
                        let firstGroup = Int(o.peerOf[ps])
                        for i in ps..<pe {
                            let v: Int
                            switch w.kind {
                            case .rowNumber: v = i - ps + 1
                            case .rank: v = Int(o.peerStarts[Int(o.peerOf[i])]) - ps + 1
                            default: v = Int(o.peerOf[i]) - firstGroup + 1
                            }
                            r[Int(perm[i])] = Int64(v)
                        }
                    }
                }
            }
            return Column(type: .int64, data: .int64(out))
        case .percentRank, .cumeDist:
            var out = [Double](repeating: 0, count: n)
            let cume: Bool = { if case .cumeDist = w.kind { return true }; return false }()
            for p in 0..<o.partitionCount {
                let ps = Int(o.partitionStarts[p]), pe = Int(o.partitionStarts[p + 1])
                let size = pe - ps
                for i in ps..<pe {
                    let g = Int(o.peerOf[i])
                    let v: Double
                    if cume {
                        v = Double(Int(o.peerStarts[g + 1]) - ps) / Double(size)
                    } else if size <= 1 {
                        v = 0
                    } else {
                        v = Double(Int(o.peerStarts[g]) - ps) / Double(size - 1)
                    }
                    out[Int(o.perm[i])] = v
                }
            }
            return Column(type: .float64, data: .float64(out))
        case .ntile:
            let buckets = WindowEvaluator.int64s(args[0])
            let valid = args[0].validity
            var out = [Int32](repeating: 0, count: n)
            var nulls: [UInt8]? = nil
            for p in 0..<o.partitionCount {
                let ps = Int(o.partitionStarts[p]), pe = Int(o.partitionStarts[p + 1])
                let size = pe - ps
                for i in ps..<pe {
                    let r = Int(o.perm[i])
                    if let valid, valid[r] == 0 {
                        if nulls == nil { nulls = [UInt8](repeating: 1, count: n) }
                        nulls![r] = 0
                        continue
                    }
                    let b = buckets[r]
                    guard b > 0 else { throw AurumError(.invalidArgumentForNtile, "argument of ntile must be greater than zero") }
                    // the first (size % buckets) buckets get one extra row
                    let nb = Int(min(b, Int64(size)))
                    let each = size / nb, extra = size % nb
                    let k = i - ps
                    let bucket = k < extra * (each + 1) ? k / (each + 1) : extra + (k - extra * (each + 1)) / each
                    out[r] = Int32(bucket + 1)
                }
            }
            return Column(type: nulls == nil ? .int32 : DataType.int32.nullable, data: .int32(out), validity: nulls)
        case .lag, .lead:
            let sign: Int64 = { if case .lag = w.kind { return -1 }; return 1 }()
            let offsets = args.count >= 2 ? WindowEvaluator.int64s(args[1]) : nil
            let offsetValid = args.count >= 2 ? args[1].validity : nil
            let hasDefault = args.count >= 3
            // source row of every result: an input row, n + row for the default, -1 for NULL
            var idx = [Int32](repeating: -1, count: n)
            for p in 0..<o.partitionCount {
                let ps = Int(o.partitionStarts[p]), pe = Int(o.partitionStarts[p + 1])
                for i in ps..<pe {
                    let r = Int(o.perm[i])
                    var off: Int64 = 1
                    if let offsets {
                        if let ov = offsetValid, ov[r] == 0 { continue }
                        off = offsets[r]
                    }
                    let (t, overflow) = Int64(i).addingReportingOverflow(sign &* off)
                    if !overflow, t >= Int64(ps), t < Int64(pe) {
                        idx[r] = o.perm[Int(t)]
                    } else if hasDefault {
                        idx[r] = Int32(n + r)
                    }
                }
            }
            var source = args[0]
            if hasDefault { source = try WindowEvaluator.appending(source, args[2]) }
            return try result(WindowEvaluator.gatherOrNull(source, idx))
        case .firstValue, .lastValue, .nthValue:
            let frames = try frames(o)
            var nth: [Int64]? = nil, nthValid: [UInt8]? = nil
            if case .nthValue = w.kind { nth = WindowEvaluator.int64s(args[1]); nthValid = args[1].validity }
            var idx = [Int32](repeating: -1, count: n)
            for i in 0..<n {
                let pcs = frames.pieces(i, o)
                let r = Int(o.perm[i])
                let pos: Int?
                switch w.kind {
                case .firstValue: pos = pcs.first
                case .lastValue: pos = pcs.last
                default:
                    if let nv = nthValid, nv[r] == 0 { continue }
                    let k = nth![r]
                    guard k > 0 else { throw AurumError(.invalidArgumentForNthValue, "argument of nth_value must be greater than zero") }
                    pos = k > Int64(Int32.max) ? nil : pcs.nth(Int(k) - 1)
                }
                if let pos { idx[r] = o.perm[pos] }
            }
            return try result(WindowEvaluator.gatherOrNull(args[0], idx))
        case .aggregate(let make):
            let frames = try frames(o)
            let state = make()
            let c: Column
            if let fast = state as? WindowFrameAggregate {
                c = try fast.evaluateFrames(args, o, frames)
            } else if args.count == 1, let v = windowVariance(w.name, args[0], o, frames) {
                c = v
            } else {
                c = try windowAggregateFallback(make, args, o, frames, w.returnType)
            }
            return try result(c)
        }
    }

    func frames(_ o: WindowOrdering) throws -> WindowFrames {
        let key = window.orderBy.count == 1 ? orderColumns[0] : nil
        return try o.frames(window.frame, orderKey: key, ascending: window.orderBy.first?.ascending ?? true,
                            nullsFirst: window.orderBy.first?.nullsFirst ?? false)
    }

    /// `c` as a column of the window's result type.
    func result(_ c: Column) throws -> Column {
        var c = c
        let t = window.returnType
        if c.type.base != t.base { c = try Cast.column(c, to: t.nullable) }
        c.type = t
        if c.validity != nil { c.type.isNullable = true }
        return c
    }

    // MARK: helpers

    /// Int64 values of an integer column (NULL rows: 0).
    static func int64s(_ c: Column) -> [Int64] {
        switch c.data {
        case .int64(let a): return a
        case .int8(let a): return a.map { Int64($0) }
        case .int16(let a): return a.map { Int64($0) }
        case .int32(let a): return a.map { Int64($0) }
        case .uint8(let a): return a.map { Int64($0) }
        case .uint16(let a): return a.map { Int64($0) }
        case .uint32(let a): return a.map { Int64($0) }
        case .uint64(let a): return a.map { Int64(truncatingIfNeeded: min($0, UInt64(Int64.max))) }
        default: return (0..<c.count).map { c.value(at: $0).asInt64 ?? 0 }
        }
    }

    /// Rows of `c` at `idx`; -1 gives NULL.
    static func gatherOrNull(_ c: Column, _ idx: [Int32]) -> Column {
        var safe = idx
        var anyNull = false
        for k in safe.indices where safe[k] < 0 { safe[k] = 0; anyNull = true }
        var out = c.gather(safe)
        if anyNull {
            var v = out.validity ?? [UInt8](repeating: 1, count: idx.count)
            for k in idx.indices where idx[k] < 0 { v[k] = 0 }
            out.validity = v
            out.type.isNullable = true
        }
        return out
    }

    /// `a` followed by `b` (same physical type after binding; cast otherwise).
    static func appending(_ a: Column, _ b: Column) throws -> Column {
        var a = a, b = b
        a.dictionary = nil
        if b.data.physical != a.data.physical { b = try Cast.column(b, to: a.type.nullable) }
        if b.validity != nil { a.type.isNullable = true }
        a.append(contentsOf: b)
        return a
    }
}
