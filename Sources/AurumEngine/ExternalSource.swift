import AurumCore
import Foundation
import Synchronization

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

/// Opens external inputs for the table functions `file(...)`, `deltaLake(...)` and friends.
/// The engine knows no file formats: AurumIngest installs its provider
/// (`ExternalSources.install`) when the embedded API or the CLI starts.
public protocol ExternalSourceProvider: Sendable {
    /// The table functions this provider answers (lowercased), e.g. `file`, `deltalake`.
    var functions: Set<String> { get }
    /// Describes the source a call names (its columns) without reading rows; `arguments` are
    /// the call's constant arguments.
    func describe(function: String, arguments: [Value]) throws -> [SourceColumn]
    /// Opens the source for reading; `described` is what `describe` returned when the query
    /// was bound (not computed again), `columns` the indices into it the query needs, in the
    /// order the blocks must have them.
    func open(function: String, arguments: [Value], described: [SourceColumn], columns: [Int]) throws -> BlockSource
    /// Opens the file(s) of `INSERT INTO t [(cols)] FROM INFILE 'path' [COMPRESSION 'c']
    /// [FORMAT f]` (`format` nil: from the file names) into `table`. `targets` are the insert's target
    /// columns; `listed` says whether the statement named them (then source columns without a
    /// target are skipped instead of being an error). Returns the reader and, for each of its
    /// columns, the name of the target it loads into.
    func openInfile(path: String, format: String?, compression: String?, table: String, targets: [SourceColumn], listed: Bool) throws -> (source: BlockSource, targets: [String])
}

public enum ExternalSources {
    private static let installed = Mutex<ExternalSourceProvider?>(nil)

    /// Installs the provider of external table functions (idempotent; the last one wins).
    public static func install(_ provider: ExternalSourceProvider) { installed.withLock { $0 = provider } }

    static var provider: ExternalSourceProvider? { installed.withLock { $0 } }
}

/// A scan of an external source (`FROM file('x.parquet')`): its columns, the ones read, and
/// how to open it at execution time.
struct ExternalScanNode: @unchecked Sendable {
    var function: String
    var arguments: [Value]
    var provider: ExternalSourceProvider
    /// All columns of the source.
    var sourceColumns: [SourceColumn]
    /// Indices into `sourceColumns` read, in output order.
    var projection: [Int]

    var types: [DataType] { projection.map { sourceColumns[$0].type } }
    var description: String {
        "External \(function)(\(arguments.map { $0.isNull ? "NULL" : "\($0)" }.joined(separator: ", "))) [\(projection.map { sourceColumns[$0].name }.joined(separator: ", "))]"
    }
}

/// Pulls the blocks of an external source, checking for cancellation between blocks and
/// counting what it reads.
final class ExternalStream: BlockStream {
    private let node: ExternalScanNode
    private let ctx: QueryContext
    private var source: BlockSource?
    private var done = false
    init(_ node: ExternalScanNode, ctx: QueryContext) {
        self.node = node
        self.ctx = ctx
    }
    override func next() throws -> Block? {
        if done { return nil }
        try ctx.checkCancelled()
        if source == nil { source = try node.provider.open(function: node.function, arguments: node.arguments,
                                                                described: node.sourceColumns, columns: node.projection) }
        guard let s = source else { return nil }
        while let b = try s.next() {
            try ctx.checkCancelled()
            guard b.columns.count == node.projection.count else {
                throw AurumError(.internalError, "\(node.function)(): the reader returned \(b.columns.count) columns, \(node.projection.count) expected")
            }
            if b.count > 0 {
                ctx.statistics?.recordScan(rows: b.count, bytes: 0)
                return b
            }
        }
        done = true
        source = nil
        return nil
    }
}
