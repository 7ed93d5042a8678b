import AurumCore
import AurumEngine
import Dispatch
import Foundation

/// A `BlockSource` over one or more Parquet files with the same columns: one Block per
/// non-empty row group, in file order and row-group order.
///
/// Row groups are decoded in parallel: each `next()` that finds no decoded block waiting
/// decodes the next window of up to `parallelism` row groups (default: the active cores)
/// with `DispatchQueue.concurrentPerform`, then hands them out in order. At most one window
/// of decoded row groups is held in memory.
///
/// Files must agree on the selected columns' names and types (nullability may differ: the
/// source's column is nullable if any file's is); otherwise `init` throws 22P04 naming both
/// files and the column. Used by one thread at a time (as `BlockSource` requires).
public final class ParquetSource: BlockSource {
    public let files: [ParquetFile]
    public let columns: [SourceColumn]
    /// Per file, the file's column index of each source column.
    private let selection: [[Int]]
    private let tasks: [(file: Int, rowGroup: Int)]
    private var nextTask = 0
    private var ready: [Block] = []
    private var readyPosition = 0
    private let parallelism: Int
    public private(set) var bytesRead: Int64 = 0
    public let bytesTotal: Int64?

    /// Opens `paths` (in the order given). `columns` selects top-level columns by name
    /// (case-insensitive when unambiguous; 42703 for an unknown name); nil reads all.
    public convenience init(paths: [String], columns: [String]? = nil, parallelism: Int? = nil) throws {
        try self.init(files: paths.map { try ParquetFile(path: $0) }, columns: columns, parallelism: parallelism)
    }

    public init(files: [ParquetFile], columns names: [String]? = nil, parallelism: Int? = nil) throws {
        guard let first = files.first else {
            throw AurumError(.invalidParameterValue, "no Parquet files to read")
        }
        var firstSelection: [Int]
        if let names {
            firstSelection = []
            for n in names {
                guard let i = first.columnIndex(named: n) else {
                    throw AurumError(.undefinedColumn, "\(first.displayName): column \"\(n)\" does not exist",
                                     hint: "the file has: \(first.columns.map(\.name).joined(separator: ", "))")
                }
                firstSelection.append(i)
            }
        } else {
            firstSelection = Array(first.columns.indices)
        }
        var cols = firstSelection.map { first.columns[$0] }
        var selection = [firstSelection]
        for f in files.dropFirst() {
            var sel: [Int] = []
            for (k, c) in cols.enumerated() {
                guard let i = f.columnIndex(named: c.name) else {
                    throw AurumError(.badCopyFileFormat, "\(f.displayName) has no column \"\(c.name)\", which \(first.displayName) has",
                                     hint: "all files of one load must have the same columns")
                }
                let t = f.columns[i].type
                guard t.nonNullable == c.type.nonNullable else {
                    throw AurumError(.badCopyFileFormat, "column \"\(c.name)\" is \(c.type.nonNullable) in \(first.displayName) but \(t.nonNullable) in \(f.displayName)",
                                     hint: "all files of one load must have the same column types")
                }
                if t.isNullable { cols[k].type = c.type.nullable }
                sel.append(i)
            }
            if names == nil && f.columns.count != cols.count {
                let extra = f.columns.first { c in !cols.contains { $0.name.lowercased() == c.name.lowercased() } }
                throw AurumError(.badCopyFileFormat, "\(f.displayName) has column \"\(extra?.name ?? "?")\", which \(first.displayName) does not have",
                                 hint: "all files of one load must have the same columns, or select columns by name")
            }
            selection.append(sel)
        }
        var tasks: [(Int, Int)] = []
        var total: Int64 = 0
        for (fi, f) in files.enumerated() {
            for (g, rows) in f.rowGroups.enumerated() where rows > 0 {
                tasks.append((fi, g))
            }
            total += f.fileSize
        }
        self.files = files
        self.columns = cols
        self.selection = selection
        self.tasks = tasks
        self.bytesTotal = total
        self.parallelism = max(1, parallelism ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    public func next() throws -> Block? {
        if readyPosition < ready.count {
            defer { readyPosition += 1 }
            return ready[readyPosition]
        }
        ready = []
        readyPosition = 0
        guard nextTask < tasks.count else { return nil }
        let window = Array(tasks[nextTask..<min(tasks.count, nextTask + parallelism)])
        nextTask += window.count
        let results = DecodeResults(count: window.count)
        let files = self.files, selection = self.selection
        DispatchQueue.concurrentPerform(iterations: window.count) { k in
            let (fi, g) = window[k]
            do {
                results.set(k, .success(try files[fi].readRowGroup(g, columns: selection[fi])))
            } catch {
                results.set(k, .failure(error))
            }
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(window.count)
        for (k, (fi, g)) in window.enumerated() {
            bytesRead += files[fi].compressedBytes(rowGroup: g, columns: selection[fi])
            switch results.get(k) {
            case .success(var b):
                for c in b.columns.indices { b.columns[c].type = columns[c].type }
                blocks.append(b)
            case .failure(let e): throw e
            case nil: throw AurumError.internalError("a Parquet row group was not decoded")
            }
        }
        if nextTask == tasks.count { bytesRead = bytesTotal ?? bytesRead }
        ready = blocks
        readyPosition = 1
        return ready[0]
    }
}

/// Per-slot results of one decode window, written by the worker threads.
private final class DecodeResults: @unchecked Sendable {
    private var slots: [Result<Block, any Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<Block, any Error>) { lock.withLock { slots[i] = r } }
    func get(_ i: Int) -> Result<Block, any Error>? { lock.withLock { slots[i] } }
}
