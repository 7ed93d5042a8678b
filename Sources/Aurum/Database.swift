@_exported import AurumCore
import AurumEngine
@_exported import AurumIngest

/// An Aurum database: a data directory (or a private temporary one for `inMemory()`).
///
/// Thread safety: `Database` is `Sendable`; open one per directory per process and share it.
/// Each `Connection` carries session state (current database, settings); connections are
/// `Sendable` too and serialise their own statements, so a connection may be used from any
/// thread, but concurrent work should use one connection per task for parallelism.
///
/// ```swift
/// let db = try Database.open(at: "/var/lib/aurum")
/// try db.execute("CREATE TABLE t (id Int64, name String) ENGINE = MergeTree ORDER BY id")
/// try db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
/// let rs = try db.query("SELECT count(*) AS n FROM t")
/// print(rs[0].int("n")!)   // 2
/// ```
public final class Database: Sendable {
    let engine: Engine

    init(engine: Engine) {
        self.engine = engine
        // file(...) / deltaLake(...) in SQL read exports through AurumIngest
        IngestTableFunctions.install()
    }

    /// Bulk-loads files (CSV, TSV, NDJSON, Parquet) or a Delta table into a table, atomically
    /// (see `LoadRequest`; docs/load.md). `progress` is called about twice a second.
    public func load(_ request: LoadRequest, progress: ((LoadProgress) -> Void)? = nil) throws -> LoadSummary {
        try Loader.run(request, session: engine.makeSession(), progress: progress)
    }

    /// Opens (creating if needed) the database stored in `path`. Runs crash recovery.
    public static func open(at path: String, options: DatabaseOptions = .init()) throws -> Database {
        Database(engine: try Engine(directory: path, options: options.engineOptions))
    }

    /// A database whose data lives in a private temporary directory removed by `close()`
    /// (or at process exit when the OS cleans its temp directory).
    public static func inMemory(options: DatabaseOptions = .init()) throws -> Database {
        Database(engine: try Engine(directory: nil, options: options.engineOptions))
    }

    /// A new session (current database `default`, default settings).
    public func connect() -> Connection { Connection(session: engine.makeSession()) }

    /// Runs one or more `;`-separated statements on a fresh connection; returns the last result.
    @discardableResult
    public func execute(_ sql: String) throws -> ResultSet { try connect().execute(sql) }

    /// Same as `execute`, named for readability when a result is expected.
    public func query(_ sql: String) throws -> ResultSet { try connect().execute(sql) }

    /// Stops background work and releases the directory. Further use throws.
    public func close() { engine.close() }
}

/// Options for opening a database.
public struct DatabaseOptions: Sendable {
    /// Worker threads for query execution (default: number of cores).
    public var threads: Int?
    /// Memory budget per query for hash tables and sorts, in bytes (default 4 GiB).
    public var queryMemoryLimit: Int
    /// Run background merges (default true).
    public var backgroundMerges: Bool
    /// fsync parts and manifests (default true; turning it off risks data loss on power failure).
    public var fsync: Bool

    public init(threads: Int? = nil, queryMemoryLimit: Int = 4 << 30, backgroundMerges: Bool = true, fsync: Bool = true) {
        self.threads = threads
        self.queryMemoryLimit = queryMemoryLimit
        self.backgroundMerges = backgroundMerges
        self.fsync = fsync
    }

    var engineOptions: EngineOptions {
        EngineOptions(threads: threads, queryMemoryLimit: queryMemoryLimit, backgroundMerges: backgroundMerges, fsync: fsync)
    }
}

/// A session: current database, settings. Statements on one connection run one at a time.
public final class Connection: Sendable {
    let session: Session

    init(session: Session) { self.session = session }

    /// Runs one or more `;`-separated statements; returns the result of the last one.
    @discardableResult
    public func execute(_ sql: String) throws -> ResultSet {
        let results = try executeAll(sql)
        return results.last ?? ResultSet(StatementResult.empty(tag: "EMPTY"))
    }

    /// Runs one or more `;`-separated statements; returns every statement's result.
    /// Stops at the first error (earlier statements stay applied).
    public func executeAll(_ sql: String) throws -> [ResultSet] {
        try session.execute(sql).map { ResultSet($0) }
    }

    /// Cancels the statement running on this connection, if any (it fails with 57014).
    public func cancel() { session.cancel() }
}
