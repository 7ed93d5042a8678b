import AurumCore
import Foundation

/// A column of an external input (a file, a Delta table, a remote query) as its reader
/// presents it: the name in the source and the Aurum type its values are decoded to.
public struct SourceColumn: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public init(name: String, type: DataType) {
        self.name = name
        self.type = type
    }
    public var description: String { "\(name) \(type)" }
}

/// A reader of external rows (AurumIngest's CSV, NDJSON, Parquet, Delta and PostgreSQL
/// sources): the columns are known when it is opened, then `next()` returns Blocks whose
/// columns are in `columns`' order and types, nil at the end. Readers that can split their
/// input (CSV chunks, Parquet row groups) decode in parallel inside `next()` and still return
/// blocks in input order. Used by one thread at a time.
public protocol BlockSource: AnyObject {
    var columns: [SourceColumn] { get }
    /// The next block (never empty), or nil when the input is exhausted.
    func next() throws -> Block?
    /// Input bytes consumed so far (compressed bytes for compressed files), for progress.
    var bytesRead: Int64 { get }
    /// Total input bytes if known up front (file sizes), for progress and ETA.
    var bytesTotal: Int64? { get }
}

/// A row a load rejected, and why: where it came from (`file:line`, `file: row group 2, row 17`),
/// which column and value, and the reason (the error message without location).
public struct RejectedRow: Sendable, Equatable {
    public var location: String
    public var column: String?
    public var value: String?
    public var reason: String
    /// The raw record as read (CSV/NDJSON line), when there is one.
    public var raw: String?
    public init(location: String, column: String? = nil, value: String? = nil, reason: String, raw: String? = nil) {
        self.location = location
        self.column = column
        self.value = value
        self.reason = reason
        self.raw = raw
    }
}

/// How many bad rows a load may skip (`--max-errors N`). With a budget of 0 (the default) the
/// first bad row fails the load: `reject` throws an error naming the location, column and
/// value, and nothing is committed. Otherwise rejected rows are kept (for the rejects file)
/// until the budget is exceeded, which throws. Thread-safe: parallel chunk decoders share one.
public final class ErrorBudget: @unchecked Sendable {
    public let maxErrors: Int
    private let lock = NSLock()
    private var rows: [RejectedRow] = []

    public init(maxErrors: Int = 0) { self.maxErrors = max(0, maxErrors) }

    /// Records a rejected row; throws when this row exceeds the budget. `error` is the error
    /// the row caused (its SQLSTATE is kept when the load fails).
    public func reject(_ row: RejectedRow, error: AurumError) throws {
        let count: Int = lock.withLock {
            rows.append(row)
            return rows.count
        }
        if count > maxErrors {
            var e = error
            var where_ = row.location
            if let c = row.column { where_ += ", column \(c)" }
            if let v = row.value { where_ += ": \"\(v.count > 100 ? String(v.prefix(100)) + "..." : v)\"" }
            e.context = where_
            if !e.message.hasPrefix(row.location) { e.message = "\(row.location): \(e.message)" }
            if maxErrors > 0 { e.hint = "more than --max-errors \(maxErrors) rows were rejected; nothing was loaded" }
            throw e
        }
    }

    public var rejected: [RejectedRow] { lock.withLock { rows } }
    public var rejectedCount: Int { lock.withLock { rows.count } }
}
