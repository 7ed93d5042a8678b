import AurumCore
import AurumSQL
import AurumStorage
import Foundation

/// Loads Blocks into a MergeTree table atomically: parts are written (compressed, on disk)
/// while rows arrive — on worker threads, overlapping with the reader — and nothing is
/// visible until `finish()` publishes them all at once. After an error or `abort()` the
/// written parts are removed. Used by bulk loads (`aurum load`, `aurum ingest`); COPY FROM
/// STDIN does the same for text.
///
/// Not thread-safe: call it from one thread.
public final class BulkInsert {
    let session: Session
    let entry: TableEntry
    let targets: [Int]
    /// The target columns, in the order appended blocks must have them.
    public let columns: [SourceColumn]
    /// Rows per storage batch (a part per partition per batch).
    public var batchRows = 1 << 20

    private var pending: [Block] = []
    private var pendingRows = 0
    private var rows = 0
    private var finished = false
    /// Part writing in flight on the worker queue.
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let written = WrittenParts()

    /// Parts written on worker threads, and the first error there.
    final class WrittenParts: @unchecked Sendable {
        let lock = NSLock()
        var parts: [MergeTreeTable.PreparedInsert] = []
        var error: Error?
        func take() -> [MergeTreeTable.PreparedInsert] { lock.withLock { defer { parts = [] }; return parts } }
        var firstError: Error? { lock.withLock { error } }
    }

    init(session: Session, entry: TableEntry, columns names: [String]?) throws {
        self.session = session
        self.entry = entry
        let def = entry.definition
        let targets = try entry.targetColumns(names)
        self.targets = targets
        columns = targets.map { SourceColumn(name: def.columns[$0].name, type: def.columns[$0].type) }
        slots = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Rows appended so far.
    public var rowCount: Int { rows }

    /// Appends a block whose columns are `columns` in order; values are cast to the column
    /// types (an impossible cast fails the load with the value's error, naming the column).
    public func append(_ block: Block) throws {
        guard !finished else { throw AurumError(.objectNotInPrerequisiteState, "the load already finished") }
        guard block.columns.count == targets.count else {
            throw AurumError(.internalError, "bulk insert: \(block.columns.count) columns appended, \(targets.count) expected")
        }
        if block.count == 0 { return }
        do {
            try throwAsyncError()
            pending.append(try Self.cast(block, to: columns))
            pendingRows += block.count
            rows += block.count
            if pendingRows >= batchRows { try flush() }
        } catch {
            abort()
            throw error
        }
    }

    /// `block` with its columns cast to the types of `columns` (same count and order); a
    /// column with NULLs keeps them (its type becomes nullable: the NOT NULL check comes
    /// later, with the table). An impossible cast throws the value's error, prefixed with
    /// `column NAME: `. Loads through a server cast the same way before sending.
    public static func cast(_ block: Block, to columns: [SourceColumn]) throws -> Block {
        var cols = block.columns
        for (k, c) in cols.enumerated() where c.type != columns[k].type {
            let target = c.hasNulls && !columns[k].type.isNullable ? columns[k].type.nullable : columns[k].type
            do { cols[k] = try Cast.column(c, to: target) } catch var e as AurumError {
                e.message = "column \(columns[k].name): " + e.message
                throw e
            }
        }
        return Block(columns: cols, count: block.count)
    }

    /// Publishes every part; returns the number of rows loaded.
    public func finish() throws -> Int {
        guard !finished else { throw AurumError(.objectNotInPrerequisiteState, "the load already finished") }
        do {
            try flush()
            group.wait()
            try throwAsyncError()
            finished = true
            try entry.storage.publish(written.take())
            return rows
        } catch {
            abort()
            throw error
        }
    }

    /// Drops everything loaded so far.
    public func abort() {
        finished = true
        group.wait()
        entry.storage.discard(written.take())
        pending = []
    }

    private func throwAsyncError() throws {
        if let e = written.firstError { throw e }
    }

    /// Converts the pending blocks to storage batches (defaults, NOT NULL checks, partition and
    /// key columns) and writes their parts on a worker, at most one per core in flight.
    private func flush() throws {
        guard pendingRows > 0 else { return }
        let blocks = pending
        pending = []
        pendingRows = 0
        let (batches, _) = try InsertExecutor(session: session, parameters: []).storageBatches(blocks, for: entry, columns: targets)
        guard !batches.isEmpty else { return }
        slots.wait()
        let storage = entry.storage, written = self.written, slots = self.slots, group = self.group
        group.enter()
        DispatchQueue.global().async {
            defer { slots.signal(); group.leave() }
            do {
                let p = try storage.prepareInsert(batches)
                written.lock.withLock { written.parts.append(p) }
            } catch {
                written.lock.withLock { if written.error == nil { written.error = error } }
            }
        }
    }
}

extension Session {
    /// Starts an atomic bulk load into `table` (`[db.]name`); `columns` nil means every column
    /// in table order.
    public func beginBulkInsert(table: String, columns: [String]? = nil) throws -> BulkInsert {
        try BulkInsert(session: self, entry: try tableEntry(table), columns: columns)
    }

    /// The columns of `table` (`[db.]name`), in table order.
    public func tableColumns(_ table: String) throws -> [SourceColumn] {
        try tableEntry(table).definition.columns.map { SourceColumn(name: $0.name, type: $0.type) }
    }

    private func tableEntry(_ table: String) throws -> TableEntry {
        lock.lock()
        defer { lock.unlock() }
        return try self.table(QualifiedName(table.split(separator: ".", maxSplits: 1).map(String.init)))
    }
}
