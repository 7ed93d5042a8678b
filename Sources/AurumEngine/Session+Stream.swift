import AurumCore
import AurumSQL
import Foundation

/// The result of one statement, read block by block.
///
/// For a query, rows are computed as they are pulled (see `BlockStream`): a client that reads
/// a 10-million-row result block by block never holds more than a window of it, and one that
/// stops early (a cursor, a row-limited portal) never computes the rest. Other statements run
/// when the stream is opened and their (small) result is handed out from memory.
///
/// Pulling takes the session's statement lock, so a stream may be read between other
/// statements of its session (cursors and portals do that), but never concurrently with one.
/// `Session.cancel()` cancels a pull in progress; statement_timeout counts from the opening
/// (or the last `restartTimeout()`).
public final class StatementStream: @unchecked Sendable {
    public let columnNames: [String]
    public let columnTypes: [DataType]
    /// For each result column: its table OID and attribute number when it is a plain table
    /// column (RowDescription carries them), else nil. Empty when unknown.
    public let sourceColumns: [PGColumnSource?]
    /// Rows handed out so far.
    public private(set) var rowCount = 0
    /// True once `next()` returned nil or threw.
    public private(set) var isExhausted = false

    private weak var session: Session?
    private let context: QueryContext?
    private let source: BlockStream
    private let text: String
    private let fixedTag: String?
    private let rowsAffected: Int
    private let opened = ContinuousClock.now
    private var recorded = false
    private var timer: DispatchWorkItem?
    /// The pg_stat_activity token of this query (0: not tracked).
    private var activityToken: UInt64 = 0

    /// A query's stream.
    init(session: Session, context: QueryContext, names: [String], types: [DataType], sources: [PGColumnSource?],
         source: BlockStream, text: String, activityToken: UInt64) {
        self.session = session
        self.context = context
        self.columnNames = names
        self.columnTypes = types
        self.sourceColumns = sources
        self.source = source
        self.text = text
        self.fixedTag = nil
        self.rowsAffected = 0
        self.timer = session.armStatementTimeout(context)
        self.activityToken = activityToken
    }

    /// A statement that already ran.
    init(result: StatementResult) {
        self.session = nil
        self.context = nil
        self.columnNames = result.columnNames
        self.columnTypes = result.columnTypes
        self.sourceColumns = result.sourceColumns
        self.source = ArrayStream(result.blocks)
        self.text = ""
        self.fixedTag = result.commandTag
        self.rowsAffected = result.rowsAffected
        self.recorded = true  // counted by executeStatement
    }

    deinit {
        timer?.cancel()
        record(nil)
    }

    /// Whether the statement returns rows (a RowDescription is due).
    public var returnsRows: Bool { !columnNames.isEmpty }

    /// The command tag (`SELECT n` counts the rows handed out so far).
    public var commandTag: String { fixedTag ?? "SELECT \(rowCount)" }

    /// Starts the statement_timeout clock again (a portal's next Execute, a cursor's FETCH).
    public func restartTimeout() {
        guard let context, let session, !isExhausted else { return }
        timer?.cancel()
        timer = session.armStatementTimeout(context)
    }

    /// The next non-empty block, or nil at the end. Takes the session's statement lock.
    public func next() throws -> Block? {
        guard !isExhausted else { return nil }
        guard context != nil else { return try pull() }
        guard let session else {
            isExhausted = true
            throw AurumError(.objectNotInPrerequisiteState, "the session of this result was closed")
        }
        session.lock.lock()
        defer { session.lock.unlock() }
        return try nextLocked()
    }

    /// `next()` for a caller that already holds the session's statement lock (FETCH).
    func nextLocked() throws -> Block? {
        guard !isExhausted else { return nil }
        guard let context, let session else { return try pull() }
        let outer = session.current.withLock { c -> QueryContext? in
            defer { c = context }
            return c
        }
        defer { session.current.withLock { $0 = outer } }
        do {
            return try pull()
        } catch var e as AurumError {
            e.sql = e.sql ?? text
            throw e
        }
    }

    private func pull() throws -> Block? {
        do {
            if let b = try source.next() {
                rowCount += b.count
                return b
            }
            isExhausted = true
            timer?.cancel()
            record(nil)
            return nil
        } catch {
            isExhausted = true
            timer?.cancel()
            record(error)
            throw error
        }
    }

    /// Counts the query in the engine statistics once: when it ends, fails or is dropped.
    private func record(_ error: Error?) {
        guard !recorded, let session else { return }
        recorded = true
        if activityToken != 0 { session.activityEnded(activityToken, failed: error != nil) }
        session.engine.statistics.recordStatement(error.map(EngineStatistics.outcome(of:)) ?? .ok,
                                                  seconds: Session.seconds(since: opened))
    }

    /// Reads the rest into a materialised result.
    public func collect() throws -> StatementResult {
        var blocks: [Block] = []
        while let b = try next() { blocks.append(b) }
        var r = StatementResult(columnNames: columnNames, columnTypes: columnTypes, blocks: blocks,
                                commandTag: commandTag, rowsAffected: rowsAffected)
        r.sourceColumns = sourceColumns
        return r
    }
}

extension Session {
    /// Opens one parsed statement as a stream. Queries are bound and planned now and run as
    /// the stream is read; other statements run now.
    public func stream(_ statement: ParsedStatement, parameters: [Value] = []) throws -> StatementStream {
        lock.lock()
        defer { lock.unlock() }
        return try Session.attributing(statement.text) { try openStream(statement.statement, text: statement.text, parameters: parameters) }
    }

    /// Opens a prepared statement as a stream (see `execute(_:parameters:)` for the
    /// parameters); result columns keep the types the statement was described with.
    public func stream(_ prepared: PreparedStatement, parameters: [Value]) throws -> StatementStream {
        lock.lock()
        defer { lock.unlock() }
        guard let stmt = prepared.statement else { return StatementStream(result: .empty(tag: "")) }
        return try Session.attributing(prepared.sql) {
            guard case .query = stmt else {
                return StatementStream(result: try runPrepared(prepared, stmt, parameters: parameters))
            }
            let values = try preparedValues(prepared, parameters)
            return try openStream(stmt, text: prepared.sql, parameters: values, describedAs: prepared.columns.map(\.type))
        }
    }

    /// `stream` with the statement lock held. `describedAs`: result types announced earlier
    /// (a prepared statement's RowDescription); columns that come out otherwise are cast.
    func openStream(_ stmt: Statement, text: String, parameters: [Value], describedAs: [DataType] = []) throws -> StatementStream {
        guard case .query(let q) = stmt else {
            return StatementStream(result: try executeStatement(stmt, text: text, parameters: parameters))
        }
        let outer = current.withLock { $0 }  // DECLARE opens a stream inside its own statement
        let context = makeContext()
        defer { current.withLock { $0 = outer } }
        // active from binding on: pg_stat_activity's rows are read while the query is bound
        let token = activityBegan(text)
        do {
            let (plan, names) = try Binder(session: self, parameters: parameters).bindQuery(q)
            var types = plan.types
            var source = try Executor(ctx: context).stream(Optimizer.optimize(plan))
            let casts = Session.describedCasts(types, describedAs)
            for (i, t) in casts { types[i] = t }
            if !casts.isEmpty { source = MapStream(source) { b in try Session.conform(b, casts) } }
            return StatementStream(session: self, context: context, names: names, types: types,
                                   sources: PGCatalog.sourceColumns(plan, count: names.count, catalog: catalog),
                                   source: source, text: text, activityToken: token)
        } catch {
            // binding failed: the statement counts as run (and failed) like any other
            engine.statistics.recordStatement(EngineStatistics.outcome(of: error), seconds: 0)
            activityEnded(token, failed: true)
            throw error
        }
    }
}
