import AurumCore
import Dispatch
import Foundation
import Logging
import Synchronization

/// An immutable view of a table: the parts visible at one moment, bound to the schema of
/// that moment. Readers keep using a snapshot while inserts, merges and ALTERs go on; the
/// files of its parts stay on disk until the last snapshot holding them is released.
public struct TableSnapshot: Sendable {
    public let parts: [DataPart]
    public let schema: StorageSchema
    public var rowCount: Int { parts.reduce(0) { $0 + $1.rowCount } }
    /// Partition IDs in part order (each once).
    public var partitions: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in parts where seen.insert(p.partitionID).inserted { out.append(p.partitionID) }
        return out
    }
}

/// A MergeTree-family table: a directory of immutable parts plus the `parts.txt` manifest
/// that says which are visible (see docs/format.md).
///
/// Thread-safety: every method may be called from any thread. Inserts write their parts
/// concurrently and serialise only the manifest commit; merges run on a background thread
/// (if enabled) or on the caller's. `snapshot()` never blocks on I/O.
///
/// Blocking: `insert`, `alter`, `truncate`, `mergeOnce`, `optimize` do file I/O and fsync;
/// `close` waits for a running merge to finish.
public final class MergeTreeTable: Sendable {
    public let directory: String
    let io: FileIO
    let options: StorageOptions
    let logger: Logger

    struct State {
        var schema: StorageSchema
        var codecs: [[CodecStep]]
        var parts: [DataPart]
        var nextBlock: Int
        var nextMutation: Int
        /// Bumped by ALTER and TRUNCATE: merges and inserts prepared under an older
        /// generation do not commit.
        var generation: Int
        var merging: Set<String>
        var closed: Bool
    }
    let state: Mutex<State>
    /// Serialises manifest commits (held across the manifest write; `state` is not).
    private let commitLock = Mutex<Int>(0)
    private struct Background { var running = false; var stop = false }
    private let background = Mutex(Background())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens (creating if missing) the table in `directory` and runs startup recovery:
    /// removes `tmp_*` leftovers and unlisted part directories, and verifies every listed
    /// part's metadata files and file sizes (column data is verified block by block on read).
    ///
    /// Throws XX001 if a listed part is damaged (unless `options.detachBrokenParts`),
    /// 58030/53100 on I/O errors, 22023/42701 for an unusable schema.
    public init(directory: String, schema: StorageSchema, options: StorageOptions = .init(),
                logger: Logger = Logger(label: "aurum.storage")) throws {
        var dir = directory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        self.directory = dir
        self.options = options
        var lg = logger
        lg[metadataKey: StorageLogKey.table] = "\(dir)"
        self.logger = lg
        try schema.validate()
        let io = FileIO(fsyncEnabled: options.fsync, injector: options.faultInjector)
        self.io = io
        try io.makeDirectories(dir)

        // Recovery.
        let entries = try FileIO.listDirectory(dir)
        for e in entries where e.hasPrefix("tmp_") {
            lg.debug("removing leftover \(e)")
            io.removeTree(dir + "/" + e)
        }
        var manifest = Manifest(nextBlock: 1, nextMutation: 1, columns: [], parts: [])
        let mpath = dir + "/" + Manifest.fileName
        if FileIO.exists(mpath) {
            do { manifest = try Manifest.decode(try FileIO.readFile(mpath)) }
            catch let e as AurumError where e.code == .dataCorrupted {
                throw AurumError(.dataCorrupted, "data corruption in table directory \"\(dir)\": \(e.message)", kind: .io)
            }
        }
        var cores: [PartCore] = []
        var detached: [String] = []
        for name in manifest.parts {
            do {
                cores.append(try PartCore.open(tableDirectory: dir, name: name, io: io))
            } catch let e as AurumError where e.code == .dataCorrupted && options.detachBrokenParts {
                lg.info("detaching broken part \(name): \(e.message)", metadata: [StorageLogKey.part: "\(name)"])
                try io.makeDirectories(dir + "/detached")
                if FileIO.exists(dir + "/" + name) {
                    try io.rename(dir + "/" + name, dir + "/detached/broken_" + name)
                }
                detached.append(name)
            }
        }
        let listed = Set(manifest.parts).subtracting(detached)
        for e in entries where !e.hasPrefix("tmp_") && e != "detached" && !listed.contains(e) && FileIO.isDirectory(dir + "/" + e) {
            lg.debug("removing unlisted part directory \(e)")
            io.removeTree(dir + "/" + e)
        }
        var nextBlock = manifest.nextBlock
        for c in cores { nextBlock = max(nextBlock, c.info.maxBlock + 1) }
        var nextMutation = manifest.nextMutation
        for c in cores { nextMutation = max(nextMutation, c.info.mutation + 1) }
        let parts = try cores.map { try DataPart(core: $0, schema: schema) }.sorted(by: MergeTreeTable.partOrder)
        state = Mutex(State(schema: schema, codecs: try schema.resolvedCodecs(), parts: parts, nextBlock: nextBlock,
                            nextMutation: nextMutation, generation: 0, merging: [], closed: false))
        if !detached.isEmpty {
            _ = try commit(generation: nil) { cur, _ in cur }
        }
        if options.backgroundMerges { startBackground() }
        lg.debug("opened table with \(parts.count) parts")
    }

    static func partOrder(_ a: DataPart, _ b: DataPart) -> Bool {
        if a.partitionID != b.partitionID { return a.partitionID < b.partitionID }
        return a.minBlock < b.minBlock
    }

    public var schema: StorageSchema { state.withLock { $0.schema } }

    /// The current visible parts. O(parts); never blocks on I/O.
    public func snapshot() -> TableSnapshot {
        state.withLock { TableSnapshot(parts: $0.parts, schema: $0.schema) }
    }

    // MARK: commit

    /// Writes a new manifest with `update(current parts, schema)` and publishes it.
    /// Returns false (nothing changed) when `generation` is given and no longer current.
    @discardableResult
    func commit(generation expected: Int?, newSchema: StorageSchema? = nil, bumpGeneration: Bool = false,
                _ update: ([DataPart], StorageSchema) throws -> [DataPart]) throws -> Bool {
        try commitLock.withLock { _ in
            let (cur, schema, gen, nb, nm) = state.withLock { ($0.parts, $0.schema, $0.generation, $0.nextBlock, $0.nextMutation) }
            if let expected, expected != gen { return false }
            let newParts = try update(cur, schema).sorted(by: MergeTreeTable.partOrder)
            let effective = newSchema ?? schema
            let m = Manifest(nextBlock: nb, nextMutation: nm,
                             columns: effective.columns.map { PartColumn(name: $0.name, type: $0.type) },
                             parts: newParts.map(\.name))
            try writeManifest(m)
            let keep = Set(newParts.map { ObjectIdentifier($0.core) })
            for p in cur where !keep.contains(ObjectIdentifier(p.core)) {
                p.core.obsolete.store(true, ordering: .releasing)
            }
            let codecs = try effective.resolvedCodecs()
            state.withLock {
                $0.parts = newParts
                if let newSchema { $0.schema = newSchema; $0.codecs = codecs }
                if bumpGeneration { $0.generation += 1 }
            }
            return true
        }
    }

    private func writeManifest(_ m: Manifest) throws {
        let tmp = directory + "/" + Manifest.tmpName
        if FileIO.exists(tmp) { io.removeTree(tmp) }
        do { _ = try io.writeFile(tmp, m.encode()) } catch {
            io.removeTree(tmp)
            throw error
        }
        try io.rename(tmp, directory + "/" + Manifest.fileName)
        // The rename is the commit point. A failed directory fsync after it cannot be undone:
        // the new part set is what a reopen (without power loss) will see, so it is published.
        do { try io.fsyncDirectory(directory) } catch {
            logger.info("fsync of the table directory after a manifest commit failed: \(error)")
        }
    }

    // MARK: insert

    /// Sorts each batch by the sort key (stable), applies the merge mode within it, writes
    /// one part per partition, and commits all of them atomically: after a crash either all
    /// or none are visible. `metadata` is stored in every part written (e.g. Kafka offsets).
    ///
    /// Throws 42804 if a block does not match the schema, 58030/53100 on I/O errors, 40001 if
    /// an ALTER or TRUNCATE committed while the parts were being written (retry).
    public func insert(_ batches: [PartitionedBlock], metadata: [String: String] = [:]) throws {
        let prepared = try prepareInsert(batches, metadata: metadata)
        try publish([prepared])
    }

    /// Parts written by `prepareInsert` and not yet visible. Hand them to `publish` (all at
    /// once, atomically) or `discard`; parts neither published nor discarded are removed by
    /// the next `discard`, or by startup recovery (they are not in the manifest).
    public final class PreparedInsert: Sendable {
        let parts: [DataPart]
        let created: [String]
        let generation: Int
        public var rowCount: Int { parts.reduce(0) { $0 + $1.rowCount } }
        init(parts: [DataPart], created: [String], generation: Int) {
            self.parts = parts
            self.created = created
            self.generation = generation
        }
    }

    /// Writes the parts of an insert (as `insert` does) without publishing them: nothing is
    /// visible until `publish`. Long loads (COPY) write parts as their data arrives and
    /// publish them together at the end.
    public func prepareInsert(_ batches: [PartitionedBlock], metadata: [String: String] = [:]) throws -> PreparedInsert {
        let (schema, codecs, generation, closed) = state.withLock { ($0.schema, $0.codecs, $0.generation, $0.closed) }
        guard !closed else { throw AurumError(.ioError, "table \"\(directory)\" is closed", kind: .io) }
        // Group by partition, keeping first-appearance order.
        var order: [String] = []
        var byPartition: [String: Block] = [:]
        for b in batches {
            try check(b.block, schema: schema)
            if b.block.count == 0 { continue }
            if byPartition[b.partitionID] == nil { order.append(b.partitionID); byPartition[b.partitionID] = b.block }
            else { byPartition[b.partitionID]!.append(contentsOf: b.block) }
        }
        guard !order.isEmpty else { return PreparedInsert(parts: [], created: [], generation: generation) }
        let firstBlock = state.withLock { st -> Int in
            let b = st.nextBlock
            st.nextBlock += order.count
            return b
        }
        var created: [String] = []
        var cores: [PartCore] = []
        do {
            for (i, pid) in order.enumerated() {
                let block = RowOrder.arrange(byPartition.removeValue(forKey: pid)!, schema: schema)
                let blockNo = firstBlock + i
                let name = PartFiles.partName(partition: pid, minBlock: blockNo, maxBlock: blockNo, level: 0, mutation: 0)
                let info = PartInfo(partition: pid, minBlock: blockNo, maxBlock: blockNo, level: 0, mutation: 0, rows: block.count,
                                    granularity: schema.indexGranularity, granules: 0,
                                    sortKey: schema.sortKey.map { schema.columns[$0].name }, bytesUncompressed: 0, metadata: metadata)
                try writePart(name: name, kind: "insert", info: info, rows: block.count, schema: schema, codecs: codecs,
                              created: &created) { i in block.columns[i] } keys: {
                    schema.sortKey.map { block.columns[$0] }
                }
                cores.append(try PartCore.open(tableDirectory: directory, name: name, io: io))
            }
            let parts = try cores.map { try DataPart(core: $0, schema: schema) }
            return PreparedInsert(parts: parts, created: created, generation: generation)
        } catch {
            if !io.isDead {
                for c in cores { c.obsolete.store(true, ordering: .releasing) }
                for p in created { io.removeTree(p) }
            }
            throw error
        }
    }

    /// Makes the parts of every `prepared` insert visible in one manifest commit. On failure
    /// (40001 when an ALTER or TRUNCATE committed after a part was written, I/O errors) none
    /// is visible and their files are removed.
    public func publish(_ prepared: [PreparedInsert]) throws {
        let newParts = prepared.flatMap(\.parts)
        guard !newParts.isEmpty else { return }
        do {
            let generations = Set(prepared.filter { !$0.parts.isEmpty }.map(\.generation))
            guard generations.count == 1, let generation = generations.first else {
                throw AurumError(SQLState("40001"), "table \"\(directory)\" was altered or truncated during the insert; retry the insert")
            }
            let ok = try commit(generation: generation) { cur, _ in cur + newParts }
            if !ok {
                throw AurumError(SQLState("40001"), "table \"\(directory)\" was altered or truncated during the insert; retry the insert")
            }
        } catch {
            discard(prepared)
            throw error
        }
        wake.signal()
    }

    /// Removes the files of prepared, unpublished parts.
    public func discard(_ prepared: [PreparedInsert]) {
        guard !io.isDead else { return }
        for p in prepared {
            for part in p.parts { part.core.obsolete.store(true, ordering: .releasing) }
            for path in p.created { io.removeTree(path) }
        }
    }

    private func check(_ b: Block, schema: StorageSchema) throws {
        guard b.columns.count == schema.columns.count else {
            throw AurumError(.datatypeMismatch, "insert into \"\(directory)\": block has \(b.columns.count) columns, table has \(schema.columns.count)")
        }
        for (i, c) in b.columns.enumerated() {
            guard c.data.physical == schema.columns[i].type.physical, c.count == b.count else {
                throw AurumError(.datatypeMismatch, "insert into \"\(directory)\": column \"\(schema.columns[i].name)\" is \(c.type) with \(c.count) rows, expected \(schema.columns[i].type) with \(b.count)")
            }
        }
    }

    /// Writes a part under `tmp_<kind>_<name>`, then renames it to `name`. `column(i)` gives
    /// schema column i (called once per column, in order, so callers can stream); paths
    /// created are appended to `created` for cleanup on failure.
    func writePart(name: String, kind: String, info: PartInfo, rows: Int, schema: StorageSchema, codecs: [[CodecStep]],
                   created: inout [String], column: (Int) throws -> Column, keys: () throws -> [Column]) throws {
        let tmp = directory + "/tmp_\(kind)_" + name
        let final = directory + "/" + name
        if FileIO.exists(final) {
            throw AurumError.internalError("part directory \(final) already exists")
        }
        created.append(tmp)
        try io.makeDirectory(tmp)
        let w = PartWriter(directory: tmp, rows: rows, granularity: info.granularity, io: io, minBlockSize: options.minCompressBlockSize)
        for (i, c) in schema.columns.enumerated() {
            try w.writeColumn(name: c.name, type: c.type, codec: codecs[i], column: try column(i))
        }
        try w.writePrimaryIndex(keys: try keys())
        try w.finish(info: info)
        try io.rename(tmp, final)
        created.append(final)
    }

    // MARK: truncate / alter / close / drop

    /// Atomically removes every part (the files go when no snapshot uses them).
    public func truncate() throws {
        try commit(generation: nil, bumpGeneration: true) { _, _ in [] }
    }

    /// Applies ADD / DROP / RENAME COLUMN (and codec, default or merge-mode changes).
    ///
    /// Parts stay immutable: a part that stores a dropped or renamed column is replaced by a
    /// new part directory (`<name>_<mutation>`) whose column files are hard links to the old
    /// ones under the new names, with new columns.txt, meta.json and checksums.txt; parts
    /// without such columns are reused. Added columns are not written: reads fill them with
    /// `defaultValue`. Everything commits in one manifest rewrite.
    ///
    /// `renamedColumns` maps old name → new name. Throws 0A000 when a kept column changes
    /// physical type or the sort key changes, 42703 when a rename names an unknown column.
    public func alter(schema newSchema: StorageSchema, renamedColumns: [String: String] = [:]) throws {
        try newSchema.validate()
        let old = schema
        for (from, to) in renamedColumns {
            guard old.index(of: from) != nil else { throw AurumError(.undefinedColumn, "column \"\(from)\" does not exist") }
            guard newSchema.index(of: to) != nil else { throw AurumError(.undefinedColumn, "column \"\(to)\" is not in the new schema") }
        }
        func mapped(_ n: String) -> String { renamedColumns[n] ?? n }
        for c in old.columns {
            if let j = newSchema.index(of: mapped(c.name)), newSchema.columns[j].type.physical != c.type.physical {
                throw AurumError.notSupported("changing the type of column \"\(c.name)\" from \(c.type) to \(newSchema.columns[j].type) is not supported")
            }
        }
        let oldKey = old.sortKey.map { mapped(old.columns[$0].name) }
        let newKey = newSchema.sortKey.map { newSchema.columns[$0].name }
        guard oldKey == newKey else { throw AurumError.notSupported("changing the sort key of a table is not supported") }

        let mutation = state.withLock { st -> Int in let m = st.nextMutation; st.nextMutation += 1; return m }
        var created: [String] = []
        var replaced: [ObjectIdentifier: DataPart] = [:]
        do {
            try commit(generation: nil, newSchema: newSchema, bumpGeneration: true) { cur, _ in
                var out: [DataPart] = []
                for p in cur {
                    let core = p.core
                    // Part column → new name (nil = drop).
                    var plan: [(PartColumn, String?)] = []
                    for c in core.columns {
                        if old.index(of: c.name) != nil, newSchema.index(of: mapped(c.name)) != nil {
                            plan.append((c, mapped(c.name)))
                        } else {
                            plan.append((c, nil))
                        }
                    }
                    if plan.allSatisfy({ $0.1 == $0.0.name }) {
                        out.append(try DataPart(core: core, schema: newSchema))
                        continue
                    }
                    let newCore = try relinkPart(core, plan: plan, mutation: mutation, sortKey: newKey, created: &created)
                    let np = try DataPart(core: newCore, schema: newSchema)
                    replaced[ObjectIdentifier(core)] = np
                    out.append(np)
                }
                return out
            }
        } catch {
            if !io.isDead { for p in created { io.removeTree(p) } }
            throw error
        }
        logger.debug("altered table: \(replaced.count) parts relinked")
    }

    /// Builds `<name>_<mutation>` from `core` with hard links (see `alter`).
    private func relinkPart(_ core: PartCore, plan: [(PartColumn, String?)], mutation: Int, sortKey: [String],
                            created: inout [String]) throws -> PartCore {
        var info = core.info
        info.mutation = mutation
        info.sortKey = sortKey
        let name = PartFiles.partName(partition: info.partition, minBlock: info.minBlock, maxBlock: info.maxBlock,
                                      level: info.level, mutation: mutation)
        let tmp = directory + "/tmp_alter_" + name
        let final = directory + "/" + name
        created.append(tmp)
        try io.makeDirectory(tmp)
        let w = PartWriter(directory: tmp, rows: info.rows, granularity: info.granularity, io: io, minBlockSize: options.minCompressBlockSize)
        for (c, newName) in plan {
            guard let newName else { continue }
            let nc = PartColumn(name: newName, type: c.type)
            var files = [(PartFiles.bin(c.stem), PartFiles.bin(nc.stem)), (PartFiles.marks(c.stem), PartFiles.marks(nc.stem)),
                         (PartFiles.minMax(c.stem), PartFiles.minMax(nc.stem))]
            if core.checksums.files[PartFiles.nullBin(c.stem)] != nil {
                files.append((PartFiles.nullBin(c.stem), PartFiles.nullBin(nc.stem)))
            }
            if core.checksums.files[PartFiles.dict(c.stem)] != nil {
                files.append((PartFiles.dict(c.stem), PartFiles.dict(nc.stem)))
            }
            for (from, to) in files {
                try io.link(core.path + "/" + from, tmp + "/" + to)
                w.adopt(file: to, entry: core.checksums.files[from]!)
            }
            w.adopt(column: nc)
        }
        if let e = core.checksums.files[PartFiles.primaryIndex] {
            try io.link(core.path + "/" + PartFiles.primaryIndex, tmp + "/" + PartFiles.primaryIndex)
            w.adopt(file: PartFiles.primaryIndex, entry: e)
        }
        try w.finish(info: info)
        try io.rename(tmp, final)
        created.append(final)
        return try PartCore.open(tableDirectory: directory, name: name, io: io)
    }

    /// Stops the background merge thread (waiting for a running merge) and refuses further
    /// inserts. Snapshots stay readable.
    public func close() {
        let wasRunning = background.withLock { b -> Bool in
            let r = b.running
            b.running = false
            b.stop = true
            return r
        }
        state.withLock { $0.closed = true }
        if wasRunning {
            wake.signal()
            finished.wait()
        }
    }

    /// Closes the table and deletes its directory. Existing snapshots become unreadable.
    public func drop() throws {
        close()
        var parts = state.withLock { st -> [DataPart] in let p = st.parts; st.parts = []; return p }
        for p in parts {
            p.core.tableDropped.store(true, ordering: .releasing)
            p.core.obsolete.store(true, ordering: .releasing)
        }
        // Queries that started before the drop may still be reading parts: a part directory
        // goes when its last reader lets go (PartCore.deinit, which then removes the emptied
        // table directory); everything else goes now.
        let live = Set(parts.map(\.core.name))
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: directory) }
        catch { throw AurumError(.ioError, "could not list table directory \"\(directory)\": \(error)", kind: .io) }
        for e in entries where !live.contains(e) {
            do { try FileManager.default.removeItem(atPath: directory + "/" + e) }
            catch { throw AurumError(.ioError, "could not remove \"\(directory)/\(e)\": \(error)", kind: .io) }
        }
        parts.removeAll()
        rmdir(directory)   // fails (harmlessly) while a reader still holds a part
    }

    // MARK: background merges

    private func startBackground() {
        background.withLock { $0.running = true }
        let wake = self.wake, finished = self.finished
        let thread = Thread { [weak self] in
            defer { finished.signal() }
            while true {
                guard let table = self else { return }
                if table.backgroundPass() { return }
                _ = wake.wait(timeout: .now() + .seconds(1))
            }
        }
        thread.name = "aurum-merge"
        thread.start()
    }

    private var stopRequested: Bool { background.withLock { $0.stop } }

    /// One background round: merge while some partition has too many parts. Returns true to stop.
    private func backgroundPass() -> Bool {
        while !stopRequested {
            do {
                if try !mergeStep(threshold: options.maxPartsPerPartition) { break }
            } catch {
                logger.info("background merge failed: \(error)")
                break
            }
        }
        return stopRequested
    }
}
