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
        case .filter(let p, let e):
            return try run(p).compactMap { b in
                let sel = try Evaluator.select(e, b)
                if sel.count == b.count { return b }
                return sel.isEmpty ? nil : b.gather(sel)
            }
        case .project(let p, let es):
            return try run(p).map { b in Block(columns: try es.map { try Evaluator.evaluate($0, b) }, count: b.count) }
        case .aggregate(let input, let groups, let aggs, let totals):
            let agg = Aggregation(groups: groups, aggregates: aggs, ctx: ctx)
            if let pipe = ScanPipeline(input) {
                var result = try runPipeline(pipe, sink: .aggregate(agg)).aggregate!
                return [try result.finish(totals: totals)]
            }
            var state = agg.makeLocal()
            for b in try run(input) { try state.consume(b) }
            return [try state.finish(totals: totals)]
        case .sort(let p, let keys, let limit):
            let input = Block.concat(try run(p), types: p.types)
            return [try Sorter.sort(input, keys, limit: limit, ctx: ctx)]
        case .limit(let p, let limit, let offset):
            var out: [Block] = []
            var skip = offset
            var left = limit ?? Int.max
            for b in try run(p) {
                if left == 0 { break }
                var start = 0
                if skip > 0 { let s = min(skip, b.count); skip -= s; start = s }
                let take = min(left, b.count - start)
                if take > 0 { out.append(start == 0 && take == b.count ? b : b.slice(start..<(start + take))); left -= take }
            }
            return out
        case .limitBy(let p, let keys, let limit, let offset):
            let table = GroupTable(keyTypes: keys.map(\.type))
            var counts: [Int] = []
            var out: [Block] = []
            for b in try run(p) {
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
        case .distinct(let p):
            let types = p.types
            let table = GroupTable(keyTypes: types)
            var out: [Block] = []
            for b in try run(p) {
                var newRows: [Int32] = []
                _ = table.insert(b.columns, b.count, newRows: &newRows)
                try ctx.checkMemory(table.memoryBytes, "DISTINCT")
                if !newRows.isEmpty { out.append(newRows.count == b.count ? b : b.gather(newRows)) }
            }
            return out
        case .join(let l, let r, let kind, let lk, let rk, let residual):
            return try HashJoin(ctx: ctx).run(left: l, right: r, kind: kind, leftKeys: lk, rightKeys: rk, residual: residual, executor: self)
        case .union(let ps):
            var out: [Block] = []
            for p in ps { out.append(contentsOf: try run(p)) }
            return out
        }
    }

    // MARK: parallel scan pipelines

    enum Sink { case collect, aggregate(Aggregation) }
    struct PipelineResult { var blocks: [Block] = []; var aggregate: Aggregation.Local? }

    func runPipeline(_ pipe: ScanPipeline, sink: Sink) throws -> PipelineResult {
        let scan = pipe.scan
        let morsels = try Pruning.morsels(scan, granulesPerMorsel: Executor.morselGranules)
        if scan.final, case .plain = scan.table.storage.schema.mergeMode {} else if scan.final {
            // FINAL on a Replacing/Summing table: read the merged view (single-threaded).
            let blocks = try scan.table.storage.readFinal(snapshot: scan.snapshot, columns: scan.columns)
            let fraction = Double(scan.columns.count) / Double(max(scan.table.storage.schema.columns.count, 1))
            ctx.statistics?.recordScan(rows: scan.snapshot.parts.reduce(0) { $0 + $1.rowCount },
                                       bytes: Int(Double(scan.snapshot.parts.reduce(0) { $0 + $1.bytesUncompressed }) * fraction))
            return try consumeSerial(blocks, pipe, sink)
        }
        let filter = ScanFilter(scan.filter, scan: scan)
        let next = Atomic<Int>(0)
        let n = morsels.count
        let results = Mutex<[Int: Block]>([:])
        let locals = Mutex<[Aggregation.Local]>([])
        let ctx = self.ctx
        try ctx.pool.run(workers: n) { _ in
            var local: Aggregation.Local? = nil
            if case .aggregate(let agg) = sink { local = agg.makeLocal() }
            var mine: [Int: Block] = [:]
            var cache = ScanFilter.Cache()
            var rowsRead = 0, bytesRead = 0
            defer { ctx.statistics?.recordScan(rows: rowsRead, bytes: bytesRead) }
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= n { break }
                try ctx.checkCancelled()
                let (r, by) = Self.readVolume(morsels[i], columns: scan.columns.count,
                                              ofColumns: scan.table.storage.schema.columns.count)
                rowsRead += r
                bytesRead += by
                guard let b = try filter.read(morsels[i], scan: scan, cache: &cache) else { continue }
                guard let out = try pipe.apply(b) else { continue }
                if local != nil { try local!.consume(out) } else { mine[i] = out }
            }
            if let local { locals.withLock { $0.append(local) } }
            if !mine.isEmpty { results.withLock { r in for (k, v) in mine { r[k] = v } } }
        }
        var res = PipelineResult()
        if case .aggregate(let agg) = sink {
            var all = locals.withLock { $0 }
            var merged = all.isEmpty ? agg.makeLocal() : all.removeFirst()
            for other in all { try merged.merge(other) }
            res.aggregate = merged
        } else {
            let r = results.withLock { $0 }
            res.blocks = r.keys.sorted().map { r[$0]! }
        }
        return res
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
