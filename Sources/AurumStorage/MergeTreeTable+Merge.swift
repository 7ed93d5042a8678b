import AurumCore
import Glibc

extension MergeTreeTable {
    /// One merge step: if some partition has more than one part, merges a run of adjacent
    /// parts (chosen to reduce the part count for the fewest bytes rewritten). Returns true
    /// if a merge was committed.
    public func mergeOnce() throws -> Bool {
        try mergeStep(threshold: 1)
    }

    /// Merges parts per partition until each has one part. With `final`, a partition that
    /// already has one part is re-merged when the merge mode is not `.plain`, so the result
    /// holds exactly one row per key. Waits for background merges of the same parts.
    public func optimize(final: Bool) throws {
        for pid in snapshot().partitions {
            var mergedFinal = false
            while true {
                enum Step { case wait, done, go([DataPart], Int, StorageSchema, [[CodecStep]]) }
                let step = state.withLock { st -> Step in
                    let ps = st.parts.filter { $0.partitionID == pid }
                    if ps.contains(where: { st.merging.contains($0.name) }) { return .wait }
                    let needs = ps.count > 1 || (final && !mergedFinal && ps.count == 1 && st.schema.mergeMode != .plain)
                    guard needs else { return .done }
                    for p in ps { st.merging.insert(p.name) }
                    return .go(ps, st.generation, st.schema, st.codecs)
                }
                switch step {
                case .done: break
                case .wait:
                    usleep(2000)
                    continue
                case .go(let parts, let gen, let schema, let codecs):
                    defer { state.withLock { st in for p in parts { st.merging.remove(p.name) } } }
                    _ = try mergeAndCommit(parts, generation: gen, schema: schema, codecs: codecs)
                    if final { mergedFinal = true }
                    continue
                }
                break
            }
        }
    }

    /// Picks and merges one run of parts in a partition with more than `threshold` parts.
    func mergeStep(threshold: Int) throws -> Bool {
        let maxAtOnce = max(2, options.maxPartsToMergeAtOnce)
        let pick = state.withLock { st -> ([DataPart], Int, StorageSchema, [[CodecStep]])? in
            var best: [DataPart]? = nil
            var bestScore = Double.infinity
            var byPartition: [String: [DataPart]] = [:]
            for p in st.parts { byPartition[p.partitionID, default: []].append(p) }
            for (_, ps) in byPartition.sorted(by: { $0.key < $1.key }) where ps.count > threshold {
                // Runs of adjacent parts not already being merged.
                var run: [DataPart] = []
                func consider(_ run: [DataPart]) {
                    guard run.count >= 2 else { return }
                    for start in 0..<(run.count - 1) {
                        var bytes = 0
                        for end in (start + 1)..<min(run.count, start + maxAtOnce) {
                            if end == start + 1 { bytes = max(run[start].bytesOnDisk, 1) }
                            bytes += max(run[end].bytesOnDisk, 1)
                            let score = Double(bytes) / Double(end - start)
                            if score < bestScore { bestScore = score; best = Array(run[start...end]) }
                        }
                    }
                }
                for p in ps {
                    if st.merging.contains(p.name) { consider(run); run = [] } else { run.append(p) }
                }
                consider(run)
            }
            guard let b = best else { return nil }
            for p in b { st.merging.insert(p.name) }
            return (b, st.generation, st.schema, st.codecs)
        }
        guard let (parts, gen, schema, codecs) = pick else { return false }
        defer { state.withLock { st in for p in parts { st.merging.remove(p.name) } } }
        return try mergeAndCommit(parts, generation: gen, schema: schema, codecs: codecs)
    }

    /// Merges `parts` (one partition) into a new part at level max+1 and commits it in place
    /// of them. Returns false if an ALTER/TRUNCATE intervened (the result is discarded).
    func mergeAndCommit(_ parts: [DataPart], generation: Int, schema: StorageSchema, codecs: [[CodecStep]]) throws -> Bool {
        var created: [String] = []
        StorageStatistics.shared.mergeStarted()
        var committedRows: Int?
        defer { StorageStatistics.shared.mergeEnded(committedRows: committedRows) }
        do {
            let core = try mergeParts(parts, schema: schema, codecs: codecs, created: &created)
            let merged = try DataPart(core: core, schema: schema)
            let sources = Set(parts.map { ObjectIdentifier($0.core) })
            let ok = try commit(generation: generation) { cur, _ in
                cur.filter { !sources.contains(ObjectIdentifier($0.core)) } + [merged]
            }
            if ok { committedRows = merged.rowCount }
            if !ok {
                core.obsolete.store(true, ordering: .releasing)
                return false
            }
            logger.debug("merged \(parts.count) parts into \(merged.name)", metadata: [StorageLogKey.part: "\(merged.name)"])
            return true
        } catch {
            if !io.isDead { for p in created { io.removeTree(p) } }
            throw error
        }
    }

    /// Vertical merge: sort keys (and the version column) of all parts decide the output
    /// order once; then each column is read from every part, rearranged and written, one
    /// column in memory at a time.
    private func mergeParts(_ input: [DataPart], schema: StorageSchema, codecs: [[CodecStep]],
                            created: inout [String]) throws -> PartCore {
        let parts = input.sorted { $0.minBlock < $1.minBlock }
        let total = parts.reduce(0) { $0 + $1.rowCount }
        guard total <= Int(Int32.max) else { throw AurumError.notSupported("merging more than 2^31 rows into one part") }
        let plan = try MergeTreeTable.mergePlan(parts, schema: schema)
        let summed = Set(schema.summedColumns)
        var metadata: [String: String] = [:]
        for p in parts { metadata.merge(p.metadata) { _, new in new } }
        let pid = parts[0].partitionID
        let minBlock = parts.map(\.minBlock).min()!, maxBlock = parts.map(\.maxBlock).max()!
        let level = parts.map(\.level).max()! + 1
        let name = PartFiles.partName(partition: pid, minBlock: minBlock, maxBlock: maxBlock, level: level, mutation: 0)
        let info = PartInfo(partition: pid, minBlock: minBlock, maxBlock: maxBlock, level: level, mutation: 0,
                            rows: plan.outputCount, granularity: schema.indexGranularity, granules: 0,
                            sortKey: schema.sortKey.map { schema.columns[$0].name }, bytesUncompressed: 0, metadata: metadata)
        try writePart(name: name, kind: "merge", info: info, rows: plan.outputCount, schema: schema, codecs: codecs,
                      created: &created) { i in
            RowOrder.apply(plan, to: try MergeTreeTable.concatColumn(parts, i), sum: summed.contains(i))
        } keys: {
            try schema.sortKey.map { RowOrder.apply(plan, to: try MergeTreeTable.concatColumn(parts, $0), sum: false) }
        }
        return try PartCore.open(tableDirectory: directory, name: name, io: io)
    }

    static func concatColumn(_ parts: [DataPart], _ c: Int) throws -> Column {
        var out: Column? = nil
        for p in parts {
            let col = try p.readAll(columns: [c]).columns[0]
            if out == nil { out = col } else { out!.append(contentsOf: col) }
        }
        return out!
    }

    static func mergePlan(_ parts: [DataPart], schema: StorageSchema) throws -> RowOrder.Plan {
        let total = parts.reduce(0) { $0 + $1.rowCount }
        let keys = try schema.sortKey.map { try concatColumn(parts, $0) }
        var version: Column? = nil
        if case .replacing(let v?) = schema.mergeMode { version = try concatColumn(parts, v) }
        return RowOrder.plan(keys: keys, mode: schema.mergeMode, version: version, count: total)
    }

    /// The merged view of `snapshot` (SELECT ... FINAL): per partition, rows of all parts
    /// merged by sort key with the merge mode applied (`.plain` returns every row as stored).
    /// Returns one or more blocks per partition with schema columns `columns`.
    public func readFinal(snapshot: TableSnapshot, columns: [Int]) throws -> [Block] {
        let schema = snapshot.schema
        var out: [Block] = []
        let summed = Set(schema.summedColumns)
        for pid in snapshot.partitions {
            let parts = snapshot.parts.filter { $0.partitionID == pid }.sorted { $0.minBlock < $1.minBlock }
            if schema.mergeMode == .plain || parts.count == 1 {
                for p in parts { out.append(try p.readAll(columns: columns)) }
                continue
            }
            let plan = try MergeTreeTable.mergePlan(parts, schema: schema)
            let cols = try columns.map { RowOrder.apply(plan, to: try MergeTreeTable.concatColumn(parts, $0), sum: summed.contains($0)) }
            out.append(Block(columns: cols, count: plan.outputCount))
        }
        return out
    }
}
