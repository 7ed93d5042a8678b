import AurumCore
import AurumEngine

/// Where a load's statements and rows go: the in-process `Session` (`SessionLoadTarget`) or a
/// running server over the PostgreSQL protocol (`ServerLoadTarget`). `Loader` makes every
/// decision (staging tables, EXCHANGE, transforms) once and sends them to a target; a target
/// only runs SQL and takes data.
///
/// Not thread-safe: a load uses its target from one thread, one statement or sink at a time
/// (a server connection cannot run SQL while a COPY is open on it).
public protocol LoadTarget: AnyObject {
    /// The database unqualified table names resolve in.
    func currentDatabaseName() throws -> String
    /// Runs one statement; returns the rows it affected (0 for DDL).
    @discardableResult func execute(_ sql: String) throws -> Int
    /// Runs a query; returns the first column of its first row as text (nil: no row, or NULL).
    func queryValue(_ sql: String) throws -> String?
    /// The columns of table `db.name`, in table order, with their types.
    func tableColumns(db: String, name: String) throws -> [SourceColumn]
    /// Starts an atomic append of Blocks to `columns` of `db.name` (nil: every column): nothing
    /// is visible before `finish()`, nothing after `abort()` or an error.
    func beginAppend(db: String, name: String, columns: [String]?) throws -> LoadBlockSink
    /// Starts an atomic `COPY db.name (columns) FROM STDIN` in text format, fed raw COPY text
    /// (a PostgreSQL source's `COPY ... TO STDOUT`).
    func beginCopyText(db: String, name: String, columns: [String]) throws -> LoadTextSink
}

/// An atomic append of Blocks (see `LoadTarget.beginAppend`). `append` casts each block to
/// `columns`' types (a value that does not convert fails the load, naming the column).
public protocol LoadBlockSink: AnyObject {
    /// The target columns, in the order appended blocks must have them.
    var columns: [SourceColumn] { get }
    /// Rows appended so far.
    var rowCount: Int { get }
    func append(_ block: Block) throws
    /// Makes every appended row visible at once; returns their number.
    func finish() throws -> Int
    /// Drops everything appended (safe to call more than once, or after a failed `finish`).
    func abort()
}

/// An atomic COPY of raw text-format data (see `LoadTarget.beginCopyText`).
public protocol LoadTextSink: AnyObject {
    /// The next chunk of COPY text (chunks may split rows anywhere).
    func feed(_ bytes: [UInt8]) throws
    /// Makes every row visible at once; returns their number.
    func finish() throws -> Int
    /// Drops everything fed (safe to call more than once).
    func abort()
}

extension BulkInsert: LoadBlockSink {}
extension CopyIn: LoadTextSink {}

/// A load into the data directory this process holds: BulkInsert for Blocks, CopyIn for text.
public final class SessionLoadTarget: LoadTarget {
    public let session: Session

    public init(session: Session) { self.session = session }

    public func currentDatabaseName() throws -> String { session.currentDatabaseName }

    @discardableResult public func execute(_ sql: String) throws -> Int {
        try session.execute(sql).last?.rowsAffected ?? 0
    }

    public func queryValue(_ sql: String) throws -> String? {
        let r = try session.execute(sql)
        guard let b = r.last?.blocks.first(where: { $0.count > 0 }), let c = b.columns.first else { return nil }
        let v = c.value(at: 0)
        if v.isNull { return nil }
        return v.asString ?? v.description
    }

    public func tableColumns(db: String, name: String) throws -> [SourceColumn] {
        try session.tableColumns("\(db).\(name)")
    }

    public func beginAppend(db: String, name: String, columns: [String]?) throws -> LoadBlockSink {
        try session.beginBulkInsert(table: "\(db).\(name)", columns: columns)
    }

    public func beginCopyText(db: String, name: String, columns: [String]) throws -> LoadTextSink {
        try session.beginCopyIn(Loader.copyStatement(db: db, name: name, columns: columns))
    }
}
