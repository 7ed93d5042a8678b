import AurumCore
import AurumStorage

/// A pull-based source of result blocks: `next()` computes just enough to return the next
/// non-empty block, or nil at the end. Streams let a client read a large result (a wire
/// portal, a cursor, a LIMIT) without the whole result being materialised.
///
/// Pipelines (a scan with its filters and projections) stream in windows of morsels run in
/// parallel; LIMIT, UNION ALL, DISTINCT, filters and projections above a stream stream too.
/// Pipeline breakers (aggregation, sort, join, LIMIT BY) materialise their own output first.
class BlockStream {
    func next() throws -> Block? { nil }
}

extension Executor {
    /// Morsels run per pull of a scan stream, per worker thread.
    static let streamMorselsPerWorker = 4

    /// A stream of `plan`'s output blocks.
    func stream(_ plan: Plan) throws -> BlockStream {
        try ctx.checkCancelled()
        if let pipe = ScanPipeline(plan) {
            if pipe.scan.final { return ArrayStream(try runPipeline(pipe, sink: .collect).blocks) }
            return try ScanStream(executor: self, pipe: pipe)
        }
        switch plan {
        case .rows(let b):
            return ArrayStream([b])
        case .series(let s):
            return SeriesStream(s, ctx: ctx)
        case .filter(let p, let e):
            return MapStream(try stream(p)) { b in
                let sel = try Evaluator.select(e, b)
                if sel.count == b.count { return b }
                return sel.isEmpty ? nil : b.gather(sel)
            }
        case .project(let p, let es):
            return MapStream(try stream(p)) { b in Block(columns: try es.map { try Evaluator.evaluate($0, b) }, count: b.count) }
        case .external(let x):
            return ExternalStream(x, ctx: ctx)
        case .projectSet(let p, let fs):
            let ctx = self.ctx
            return MapStream(try stream(p)) { b in try Executor.projectSet(b, fs, ctx: ctx) }
        case .limit(let p, let limit, let offset):
            return LimitStream(try stream(p), limit: limit, offset: offset)
        case .union(let ps):
            return ConcatStream(ps.map { p in { try self.stream(p) } })
        case .distinct(let p):
            let input = try stream(p)
            let table = GroupTable(keyTypes: p.types)
            let ctx = self.ctx
            return MapStream(input) { b in
                var newRows: [Int32] = []
                _ = table.insert(b.columns, b.count, newRows: &newRows)
                try ctx.checkMemory(table.memoryBytes, "DISTINCT")
                if newRows.isEmpty { return nil }
                return newRows.count == b.count ? b : b.gather(newRows)
            }
        default:
            // A pipeline breaker: computed on the first pull, not when the stream is opened.
            return ConcatStream([{ ArrayStream(try self.run(plan)) }])
        }
    }

    /// Pulls every block of `stream`.
    static func collect(_ stream: BlockStream) throws -> [Block] {
        var out: [Block] = []
        while let b = try stream.next() { out.append(b) }
        return out
    }
}

/// Blocks already computed.
final class ArrayStream: BlockStream {
    private var blocks: [Block]
    private var index = 0
    init(_ blocks: [Block]) { self.blocks = blocks }
    override func next() throws -> Block? {
        while index < blocks.count {
            let b = blocks[index]
            blocks[index] = Block(columns: [], count: 0)  // release it once handed out
            index += 1
            if b.count > 0 { return b }
        }
        return nil
    }
}

/// A scan pipeline read a window of morsels at a time (the window's morsels run in parallel;
/// their blocks come out in morsel order, so a sorted table streams in key order).
final class ScanStream: BlockStream {
    private let executor: Executor
    private let pipe: ScanPipeline
    private let filter: ScanFilter
    private let morsels: [Morsel]
    private let window: Int
    private var position = 0
    private var buffered: [Block] = []
    private var bufferIndex = 0

    init(executor: Executor, pipe: ScanPipeline) throws {
        self.executor = executor
        self.pipe = pipe
        self.filter = ScanFilter(pipe.scan.filter, scan: pipe.scan)
        self.morsels = try Pruning.morsels(pipe.scan, granulesPerMorsel: Executor.morselGranules)
        self.window = max(1, executor.ctx.pool.threads * Executor.streamMorselsPerWorker)
    }

    override func next() throws -> Block? {
        while true {
            if bufferIndex < buffered.count {
                let b = buffered[bufferIndex]
                bufferIndex += 1
                return b
            }
            guard position < morsels.count else { return nil }
            try executor.ctx.checkCancelled()
            let end = min(morsels.count, position + window)
            buffered = try executor.collectMorsels(morsels, position..<end, pipe, filter)
            bufferIndex = 0
            position = end
        }
    }
}

/// numbers(N) / generate_series, one block of `SeriesNode.blockRows` values at a time.
final class SeriesStream: BlockStream {
    private let series: SeriesNode
    private let ctx: QueryContext
    private var produced: Int64 = 0
    init(_ series: SeriesNode, ctx: QueryContext) {
        self.series = series
        self.ctx = ctx
    }
    override func next() throws -> Block? {
        guard produced < series.count else { return nil }
        try ctx.checkCancelled()
        let n = Int(min(Int64(SeriesNode.blockRows), series.count - produced))
        defer { produced += Int64(n) }
        return series.block(offset: produced, count: n)
    }
}

/// Applies `transform` to each block of `input`; nil drops the block.
final class MapStream: BlockStream {
    private let input: BlockStream
    private let transform: (Block) throws -> Block?
    init(_ input: BlockStream, _ transform: @escaping (Block) throws -> Block?) {
        self.input = input
        self.transform = transform
    }
    override func next() throws -> Block? {
        while let b = try input.next() {
            if let out = try transform(b), out.count > 0 { return out }
        }
        return nil
    }
}

/// OFFSET/LIMIT: stops pulling from its input once the limit is reached.
final class LimitStream: BlockStream {
    private let input: BlockStream
    private var skip: Int
    private var left: Int
    init(_ input: BlockStream, limit: Int?, offset: Int) {
        self.input = input
        self.skip = offset
        self.left = limit ?? Int.max
    }
    override func next() throws -> Block? {
        while left > 0, let b = try input.next() {
            var start = 0
            if skip > 0 {
                let s = min(skip, b.count)
                skip -= s
                start = s
            }
            let take = min(left, b.count - start)
            if take <= 0 { continue }
            left -= take
            return start == 0 && take == b.count ? b : b.slice(start..<(start + take))
        }
        return nil
    }
}

/// UNION ALL: each input in turn, each opened only when the previous one is exhausted.
final class ConcatStream: BlockStream {
    private var pending: [() throws -> BlockStream]
    private var current: BlockStream?
    init(_ inputs: [() throws -> BlockStream]) { self.pending = inputs.reversed() }
    override func next() throws -> Block? {
        while true {
            if let c = current, let b = try c.next() { return b }
            guard let open = pending.popLast() else { return nil }
            current = try open()
        }
    }
}
