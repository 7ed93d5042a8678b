import AurumCore
import AurumEngine
import AurumSQL
import Foundation
import NIOCore

/// The client went away while results were being sent.
struct PGConnectionClosed: Error {}

/// Sends bytes to the client from a query thread, waiting while the channel is not writable
/// (backpressure: a slow client makes the query thread wait, it never makes the server buffer
/// the whole result).
struct PGOutput: Sendable {
    let connection: PGConnection

    /// Writes and flushes `buffer`, then blocks until the channel can take more.
    func send(_ buffer: ByteBuffer) throws {
        let channel = connection.channel
        let gate = connection.gate
        do {
            try channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                guard channel.isActive else { return channel.eventLoop.makeFailedFuture(PGConnectionClosed()) }
                channel.writeAndFlush(buffer, promise: nil)
                return gate.whenWritable(channel)
            }.wait()
        } catch {
            throw PGConnectionClosed()
        }
    }
}

/// Runs one simple-query (`Q`) message on a query thread: its statements in order, each
/// result as RowDescription + DataRows + CommandComplete, an error as ErrorResponse (which
/// skips the statements after it), then ReadyForQuery.
struct PGSimpleQuery {
    let session: Session
    let connection: PGConnection
    /// The transaction status, updated as statements run.
    private(set) var status: PGTransactionStatus
    private var writer: PGResultWriter
    /// A DISCARD ALL ran: the connection drops its portals and unnamed statement too.
    private(set) var discardedAll = false
    let copyHooks: CopyHooks?

    /// What a COPY needs from the connection handler.
    struct CopyHooks: Sendable {
        /// Routes copy messages to the queue (on the event loop), then sends the response.
        var startCopyIn: @Sendable (PGCopyInQueue, ByteBuffer) -> EventLoopFuture<Void>
        /// Stops or resumes reading the socket (backpressure).
        var setReading: @Sendable (Bool) -> Void
    }

    init(session: Session, connection: PGConnection, status: PGTransactionStatus, batchBytes: Int, copyHooks: CopyHooks? = nil) {
        self.session = session
        self.copyHooks = copyHooks
        self.connection = connection
        self.status = status
        self.writer = PGResultWriter(connection: connection, batchBytes: batchBytes)
    }

    /// Runs `sql` and sends everything up to and including ReadyForQuery. Throws only when the
    /// connection is gone.
    mutating func run(_ sql: String) throws {
        connection.cancelRequested.store(false, ordering: .sequentiallyConsistent)
        let statements: [ParsedStatement]
        do {
            statements = try Parser.parse(sql)
        } catch {
            // Like PostgreSQL, the whole string is parsed first: a syntax error runs nothing.
            fail(error, offset: 0)
            return try finish()
        }
        if statements.isEmpty {
            PGBackend.emptyQueryResponse(into: &writer.out)
            return try finish()
        }
        var locator = StatementLocator(sql)
        for s in statements {
            let offset = locator.offset(of: s.text)
            do {
                try writer.checkCancel()
                try runStatement(s)
            } catch is PGConnectionClosed {
                throw PGConnectionClosed()
            } catch {
                // A query is bound from the parse of the whole string: its positions are
                // absolute already. Other statements run from their own text.
                if case .query = s.statement { fail(error, offset: offset == nil ? nil : 0) } else { fail(error, offset: offset) }
                break
            }
        }
        try finish()
    }

    private mutating func runStatement(_ s: ParsedStatement) throws {
        let step = try PGTransactionControl.step(s.statement, text: s.text, status: status)
        if case .query = s.statement {
            // Rows stream from the executor as they are computed, in batches that wait for
            // the client (a large result is never held whole).
            let stream = try session.stream(s)
            writer.rowDescription(Array(zip(stream.columnNames, stream.columnTypes)), formats: [],
                                  sources: stream.sourceColumns)
            let width = stream.columnNames.count
            while let block = try stream.next() {
                try writer.dataRows([block], width: width, formats: [])
                try writer.checkCancel()
            }
            PGBackend.commandComplete(step.tagOverride ?? stream.commandTag, into: &writer.out)
            // set_config() in a query may change a reported setting
            for (name, value) in session.takeReportedChanges() { PGBackend.parameterStatus(name, value, into: &writer.out) }
            status = step.next
            return
        }
        let results: [StatementResult]
        if case .copy = s.statement, let hooks = copyHooks {
            // COPY talks to the client itself: everything before it goes out first.
            try writer.flush()
            results = try PGCopyIO.execute(s.text, session: session, connection: connection, batchBytes: writer.batchBytes, hooks: hooks)
        } else {
            results = try session.execute(s.text)
        }
        if case .discard("ALL") = s.statement { discardedAll = true }
        if let notice = step.notice,
           Self.sendsNotice(notice.severity, minimum: session.currentSettingValue("client_min_messages")) {
            PGBackend.errorOrNotice(notice, into: &writer.out)
        }
        for r in results { try send(r, tag: step.tagOverride) }
        for (name, value) in session.takeReportedChanges() { PGBackend.parameterStatus(name, value, into: &writer.out) }
        status = step.next
    }

    /// Sends one statement result.
    private mutating func send(_ r: StatementResult, tag: String?) throws {
        if !r.columnNames.isEmpty {
            writer.rowDescription(Array(zip(r.columnNames, r.columnTypes)), formats: [], sources: r.sourceColumns)
            try writer.dataRows(r.blocks, width: r.columnNames.count, formats: [])
        }
        PGBackend.commandComplete(tag ?? r.commandTag, into: &writer.out)
    }

    /// Whether a WARNING or NOTICE reaches a client with `client_min_messages = minimum`.
    static func sendsNotice(_ severity: PGErrorFields.Severity, minimum: String?) -> Bool {
        switch minimum ?? "notice" {
        case "error": return false
        case "warning": return severity == .warning
        default: return true
        }
    }

    /// Queues an ErrorResponse for `error`.
    private mutating func fail(_ error: Error, offset: Int?) {
        writer.error(error, offset: offset)
        if status == .inTransaction { status = .failed }
    }

    private mutating func finish() throws {
        PGBackend.readyForQuery(status, into: &writer.out)
        try writer.flush()
    }
}

/// Finds each statement's text in the query string, in order, and returns its offset in
/// Unicode scalars (the unit of `AurumError.position`).
struct StatementLocator {
    let sql: String
    private var cursor: String.Index
    private var cursorOffset = 0

    init(_ sql: String) {
        self.sql = sql
        self.cursor = sql.startIndex
    }

    mutating func offset(of text: String) -> Int? {
        guard !text.isEmpty,
              let r = sql.range(of: text, options: .literal, range: cursor..<sql.endIndex) else { return nil }
        cursorOffset += sql.unicodeScalars.distance(from: cursor, to: r.lowerBound)
        cursor = r.lowerBound
        return cursorOffset
    }
}
