import AurumCore
import AurumSQL
import AurumStorage
import Foundation
import Logging
import Synchronization

/// Options for an engine instance.
public struct EngineOptions: Sendable {
    public var threads: Int?
    public var queryMemoryLimit: Int
    public var backgroundMerges: Bool
    public var fsync: Bool
    public init(threads: Int? = nil, queryMemoryLimit: Int = 4 << 30, backgroundMerges: Bool = true, fsync: Bool = true) {
        self.threads = threads
        self.queryMemoryLimit = queryMemoryLimit
        self.backgroundMerges = backgroundMerges
        self.fsync = fsync
    }
}

/// The result of one statement: column names and types, the rows as blocks, and the
/// PostgreSQL-style command tag.
public struct StatementResult: Sendable {
    public var columnNames: [String]
    public var columnTypes: [DataType]
    public var blocks: [Block]
    public var commandTag: String
    public var rowsAffected: Int
    /// Per result column: the table OID (pg_class.oid) and attnum when the column is a plain
    /// column of a table, else nil (RowDescription's table OID / column number). Empty when unknown.
    public var sourceColumns: [PGColumnSource?] = []

    public init(columnNames: [String], columnTypes: [DataType], blocks: [Block], commandTag: String, rowsAffected: Int = 0) {
        self.columnNames = columnNames
        self.columnTypes = columnTypes
        self.blocks = blocks
        self.commandTag = commandTag
        self.rowsAffected = rowsAffected
    }
    public static func empty(tag: String, rowsAffected: Int = 0) -> StatementResult {
        StatementResult(columnNames: [], columnTypes: [], blocks: [], commandTag: tag, rowsAffected: rowsAffected)
    }
    public var rowCount: Int { blocks.reduce(0) { $0 + $1.count } }
}

/// One database instance: catalog, tables, worker pool.
///
/// Thread safety: all methods may be called from any thread. Statements from different
/// sessions run concurrently; DDL is serialised by the catalog lock.
public final class Engine: Sendable {
    public let options: EngineOptions
    let catalog: Catalog
    let pool: WorkerPool
    let temporaryDirectory: String?
    let logger: Logger
    /// Statement, latency and scan counters (monitoring).
    public let statistics = EngineStatistics()
    /// The open sessions (pg_stat_activity).
    let sessions = SessionRegistry()

    /// Opens the database in `directory` (created if missing), or in a private temporary
    /// directory when `directory` is nil.
    public init(directory: String?, options: EngineOptions = .init(), logger: Logger = Logger(label: "aurum.engine")) throws {
        self.options = options
        self.logger = logger
        let dir: String
        if let directory {
            dir = directory
            temporaryDirectory = nil
        } else {
            let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
            dir = base + "/aurum-mem-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            temporaryDirectory = dir
        }
        pool = WorkerPool(threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        catalog = try Catalog(directory: dir, options: options, logger: logger)
    }

    public func makeSession() -> Session { Session(engine: self) }

    /// Stops background merges and closes tables; removes the directory of an in-memory database.
    public func close() {
        catalog.close()
        if let t = temporaryDirectory { try? FileManager.default.removeItem(atPath: t) }
    }
}
