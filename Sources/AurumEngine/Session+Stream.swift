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
/// `Session.cancel()` cancels a pull in progress.
public final class StatementStream: @unchecked Sendable {
    public let columnNames: [String]
    public let columnTypes: [DataType]
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

    /// A query's stream.
    init(session: Session, context: QueryContext, names: [String], types: [DataType], source: BlockStream, text: String) {
        self.session = session
        self.context = context
        self.columnNames = names
        self.columnTypes = types
        self.source = source
        self.text = text
        self.fixedTag = nil
        self.rowsAffected = 0
    }

    /// A statement that already ran.
    init(result: StatementResult) {
        self.session = nil
        self.context = nil
        self.columnNames = result.columnNames
        self.columnTypes = result.columnTypes
        self.source = ArrayStream(result.blocks)
        self.text = ""
        self.fixedTag = result.commandTag
        self.rowsAffected = result.rowsAffected
    }

    /// Whether the statement returns rows (a RowDescription is due).
    public var returnsRows: Bool { !columnNames.isEmpty }

    /// The command tag (`SELECT n` counts the rows handed out so far).
    public var commandTag: String { fixedTag ?? "SELECT \(rowCount)" }

    /// The next non-empty block, or nil at the end.
    public func next() throws -> Block? {
        guard !isExhausted else { return nil }
        guard let context else {
            return try pull()
        }
        guard let session else {
            isExhausted = true
            throw AurumError("55000", "the session of this result was closed")
        }
        session.lock.lock()
        defer { session.lock.unlock() }
        session.current.withLock { $0 = context }
        defer { session.current.withLock { $0 = nil } }
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
            return nil
        } catch {
            isExhausted = true
            throw error
        }
    }

    /// Reads the rest into a materialised result.
    public func collect() throws -> StatementResult {
        var blocks: [Block] = []
        while let b = try next() { blocks.append(b) }
        return StatementResult(columnNames: columnNames, columnTypes: columnTypes, blocks: blocks,
                               commandTag: commandTag, rowsAffected: rowsAffected)
    }
}

extension Session {
    /// Opens one parsed statement as a stream. Queries are bound and planned now and run as
    /// the stream is read; other statements run now.
    public func stream(_ statement: ParsedStatement, parameters: [Value] = []) throws -> StatementStream {
        guard case .query(let q) = statement.statement else {
            lock.lock()
            defer { lock.unlock() }
            do {
                return StatementStream(result: try executeStatement(statement.statement, text: statement.text, parameters: parameters))
            } catch var e as AurumError {
                e.sql = statement.text
                throw e
            }
        }
        lock.lock()
        defer { lock.unlock() }
        let context = makeContext()
        defer { current.withLock { $0 = nil } }
        do {
            let (plan, names) = try Binder(session: self, parameters: parameters).bindQuery(q)
            let source = try Executor(ctx: context).stream(Optimizer.optimize(plan))
            return StatementStream(session: self, context: context, names: names, types: plan.types, source: source,
                                   text: statement.text)
        } catch var e as AurumError {
            e.sql = statement.text
            throw e
        }
    }
}
