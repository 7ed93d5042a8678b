import AurumCore
import AurumStorage
import Synchronization

/// Runs a plan to materialised blocks. Scans (with their fused filters and projections and a
/// partial aggregation on top) run in parallel over granule morsels; operators above a
/// pipeline breaker run on the calling thread.
struct Executor {
    let ctx: QueryContext
    static let morselGranules = 4

    func run(_ plan: Plan) throws -> [Block] {
        try ctx.checkCancelled()
        if let pipe = ScanPipeline(plan) {
            return try runPipeline(pipe, sink: .collect).blocks
        }
        switch plan {
        case .scan: fatalError("unreachable: scans are pipelines")
        case .rows(let b): return [b]
        case .series(let s):
            try ctx.checkMemory(Int(s.count) * 8, "numbers()/generate_series")
            return [s.block(offset: 0, count: Int(s.count))]
        case .filter, .project, .limit, .distinct, .union, .projectSet, .external:
            // Streaming operators: pulled block by block (a LIMIT stops its input early).
            return try Executor.collect(try stream(plan))
        case .aggregate(let input, let groups, let aggs, let totals):
            let agg = Aggregation(groups: groups, aggregates: aggs, ctx: ctx)
            if let pipe = ScanPipeline(input) {
                var result = try runPipeline(pipe, sink: .aggregate(agg)).aggregate!
                return [try result.finish(totals: totals)]
            }
            var state = agg.makeLocal()
            let blocks = try stream(input)
            while let b = try blocks.next() {
                try ctx.checkCancelled()
                try state.consume(b)
            }
            return [try state.finish(totals: totals)]
        case .sort(let p, let keys, let limit):
            return [try sortStream(try stream(p), types: p.types, keys: keys, limit: limit)]
        case .limitBy(let p, let keys, let limit, let offset):
            let table = GroupTable(keyTypes: keys.map(\.type))
            var counts: [Int] = []
            var out: [Block] = []
            let blocks = try stream(p)
            while let b = try blocks.next() {
                let kc = try keys.map { try Evaluator.evaluate($0, b) }
                var newRows: [Int32] = []
                let ids = table.insert(kc, b.count, newRows: &newRows)
                if counts.count < table.groupCount { counts.append(contentsOf: repeatElement(0, count: table.groupCount - counts.count)) }
                var sel: [Int32] = []
                for i in 0..<b.count {
                    let g = Int(ids[i])
                    let k = counts[g]
                    counts[g] += 1
                    if k >= offset && k < offset + limit { sel.append(Int32(i)) }
                }
                if !sel.isEmpty { out.append(b.gather(sel)) }
            }
            return out
        case .window(let p, let ws):
            return [try runWindow(p, ws)]
        case .join(let l, let r, let kind, let lk, let rk, let residual):
            return try HashJoin(ctx: ctx).run(left: l, right: r, kind: kind, leftKeys: lk, rightKeys: rk, residual: residual, executor: self)
        }
    }

    /// ORDER BY over a stream. The buffered input counts against the memory limit as it
    /// grows (so a huge input fails with 53200 instead of exhausting memory); with a LIMIT
    /// the buffer is cut back to the best `limit` rows whenever it grows large, so a top-N
    /// runs in memory proportional to N.
    func sortStream(_ input: BlockStream, types: [DataType], keys: [SortKey], limit: Int?) throws -> Block {
        var buffered: [Block] = []
        var rows = 0, bytes = 0
        let rowWidth = types.reduce(0) { $0 + max(8, $1.byteWidth ?? 16) }
        let compactAt = limit.map { max(4 * $0, 262_144) }
        while let b = try input.next() {
            buffered.append(b)
            rows += b.count
            bytes += b.count * rowWidth
            if let compactAt, let limit, rows >= compactAt {
                let top = try Sorter.sort(Block.concat(buffered, types: types), keys, limit: limit, ctx: ctx)
                buffered = [top]
                rows = top.count
                bytes = rows * rowWidth
            }
            try ctx.checkMemory(bytes, "ORDER BY")
        }
        return try Sorter.sort(Block.concat(buffered, types: types), keys, limit: limit, ctx: ctx)
    }

    // MARK: parallel scan pipelines

    enum Sink { case collect, aggregate(Aggregation) }
    struct PipelineResult { var blocks: [Block] = []; var aggregate: Aggregation.Local? }

    func runPipeline(_ pipe: ScanPipeline, sink: Sink) throws -> PipelineResult {
        let scan = pipe.scan
        if scan.final, case .plain = scan.table.storage.schema.mergeMode {} else if scan.final {
            // FINAL on a Replacing/Summing table: read the merged view (single-threaded).
            let blocks = try scan.table.storage.readFinal(snapshot: scan.snapshot, columns: scan.columns)
            let fraction = Double(scan.columns.count) / Double(max(scan.table.storage.schema.columns.count, 1))
            ctx.statistics?.recordScan(rows: scan.snapshot.parts.reduce(0) { $0 + $1.rowCount },
                                       bytes: Int(Double(scan.snapshot.parts.reduce(0) { $0 + $1.bytesUncompressed }) * fraction))
            return try consumeSerial(blocks, pipe, sink)
        }
        let morsels = try Pruning.morsels(scan, granulesPerMorsel: Executor.morselGranules)
        let filter = ScanFilter(scan.filter, scan: scan)
        var res = PipelineResult()
        if case .aggregate(let agg) = sink {
            let locals = Mutex<[Aggregation.Local]>([])
            try forEachMorsel(morsels, 0..<morsels.count, pipe, filter, makeState: { agg.makeLocal() },
                              consume: { local, _, block in try local.consume(block) },
                              finish: { local in locals.withLock { $0.append(local) } })
            var all = locals.withLock { $0 }
            var merged = all.isEmpty ? agg.makeLocal() : all.removeFirst()
            for other in all { try merged.merge(other) }
            res.aggregate = merged
        } else {
            res.blocks = try collectMorsels(morsels, 0..<morsels.count, pipe, filter)
        }
        return res
    }

    /// Runs the pipeline over `morsels[range]` in parallel and returns the non-empty output
    /// blocks in morsel order.
    func collectMorsels(_ morsels: [Morsel], _ range: Range<Int>, _ pipe: ScanPipeline, _ filter: ScanFilter) throws -> [Block] {
        let results = Mutex<[Int: Block]>([:])
        try forEachMorsel(morsels, range, pipe, filter, makeState: { [Int: Block]() },
                          consume: { mine, i, block in mine[i] = block },
                          finish: { mine in if !mine.isEmpty { results.withLock { r in r.merge(mine) { a, _ in a } } } })
        let r = results.withLock { $0 }
        return r.keys.sorted().map { r[$0]! }
    }

    /// The parallel morsel loop: each worker takes the next morsel of `range`, reads it
    /// through `filter`, applies the pipeline steps and hands the surviving block to `consume`
    /// with its per-worker state; `finish` receives each worker's state at the end.
    private func forEachMorsel<State>(
        _ morsels: [Morsel], _ range: Range<Int>, _ pipe: ScanPipeline, _ filter: ScanFilter,
        makeState: @Sendable () -> State,
        consume: @Sendable (inout State, Int, Block) throws -> Void,
        finish: @Sendable (State) -> Void
    ) throws {
        let next = Atomic<Int>(range.lowerBound)
        let end = range.upperBound
        let ctx = self.ctx
        let scan = pipe.scan
        try ctx.pool.run(workers: range.count) { _ in
            var state = makeState()
            var cache = ScanFilter.Cache()
            var rowsRead = 0, bytesRead = 0
            defer { ctx.statistics?.recordScan(rows: rowsRead, bytes: bytesRead) }
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= end { break }
                try ctx.checkCancelled()
                let (r, by) = Self.readVolume(morsels[i], columns: scan.columns.count,
                                              ofColumns: scan.table.storage.schema.columns.count)
                rowsRead += r
                bytesRead += by
                guard let b = try filter.read(morsels[i], scan: scan, cache: &cache) else { continue }
                guard let out = try pipe.apply(b) else { continue }
                try consume(&state, i, out)
            }
            finish(state)
        }
    }

    private func consumeSerial(_ blocks: [Block], _ pipe: ScanPipeline, _ sink: Sink) throws -> PipelineResult {
        var res = PipelineResult()
        var local: Aggregation.Local? = nil
        if case .aggregate(let agg) = sink { local = agg.makeLocal() }
        for var b in blocks {
            if let f = pipe.scan.filter {
                let sel = try Evaluator.select(f, b)
                if sel.isEmpty { continue }
                b = b.gather(sel)
            }
            guard let out = try pipe.apply(b) else { continue }
            if local != nil { try local!.consume(out) } else { res.blocks.append(out) }
        }
        res.aggregate = local
        return res
    }
}

/// A scan followed by filters/projections that run per morsel on the worker threads.
struct ScanPipeline {
    enum Step { case filter(BoundExpr), project([BoundExpr]) }
    var scan: ScanNode
    var steps: [Step]

    init?(_ plan: Plan) {
        var steps: [Step] = []
        var p = plan
        while true {
            switch p {
            case .scan(let s):
                self.scan = s
                self.steps = steps.reversed()
                return
            case .filter(let inner, let e): steps.append(.filter(e)); p = inner
            case .project(let inner, let es): steps.append(.project(es)); p = inner
            default: return nil
            }
        }
    }

    func apply(_ block: Block) throws -> Block? {
        var b = block
        for s in steps {
            switch s {
            case .filter(let e):
                let sel = try Evaluator.select(e, b)
                if sel.isEmpty { return nil }
                if sel.count != b.count { b = b.gather(sel) }
            case .project(let es):
                b = Block(columns: try es.map { try Evaluator.evaluate($0, b) }, count: b.count)
            }
        }
        return b
    }
}

struct Morsel { let part: DataPart; let granules: Range<Int> }

extension Executor {
    /// Rows in a morsel's granules, and the uncompressed bytes of `columns` of the table's
    /// `ofColumns` columns, estimated from the part's uncompressed size (for the statistics).
    static func readVolume(_ m: Morsel, columns: Int, ofColumns: Int) -> (rows: Int, bytes: Int) {
        guard !m.granules.isEmpty else { return (0, 0) }
        let rows = m.part.granuleRowRange(m.granules.upperBound - 1).upperBound - m.part.granuleRowRange(m.granules.lowerBound).lowerBound
        let partRows = max(m.part.rowCount, 1)
        let bytes = Int(Double(m.part.bytesUncompressed) * Double(rows) / Double(partRows)
                        * Double(columns) / Double(max(ofColumns, 1)))
        return (rows, bytes)
    }
}
