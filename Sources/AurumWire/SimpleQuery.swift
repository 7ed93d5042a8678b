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
    let output: PGOutput
    let batchBytes: Int
    /// The transaction status, updated as statements run.
    private(set) var status: PGTransactionStatus
    /// Messages not yet sent.
    private var out: ByteBuffer
    /// DataRow messages not yet moved into `out`.
    private var rows: [UInt8] = []

    init(session: Session, connection: PGConnection, status: PGTransactionStatus, batchBytes: Int) {
        self.session = session
        self.connection = connection
        self.output = PGOutput(connection: connection)
        self.status = status
        self.batchBytes = max(1024, batchBytes)
        self.out = connection.channel.allocator.buffer(capacity: 1024)
        rows.reserveCapacity(self.batchBytes + 4096)
    }

    static let canceled = AurumError(.queryCanceled, "canceling statement due to user request")
    static let inFailedTransaction = AurumError(
        .inFailedTransaction, "current transaction is aborted, commands ignored until end of transaction block")

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
            PGBackend.emptyQueryResponse(into: &out)
            return try finish()
        }
        var locator = StatementLocator(sql)
        for s in statements {
            let offset = locator.offset(of: s.text)
            do {
                try checkCancel()
                try runStatement(s)
            } catch is PGConnectionClosed {
                throw PGConnectionClosed()
            } catch {
                fail(error, offset: offset)
                break
            }
        }
        try finish()
    }

    private mutating func runStatement(_ s: ParsedStatement) throws {
        var tagOverride: String?
        var notice: PGErrorFields?
        let next: PGTransactionStatus
        switch s.statement {
        case .begin:
            if status == .failed { throw Self.inFailedTransaction }
            if status != .idle {
                notice = PGErrorFields(severity: .warning, code: "25001", message: "there is already a transaction in progress")
            }
            if s.text.prefix(5).uppercased() == "START" { tagOverride = "START TRANSACTION" }
            next = .inTransaction
        case .commit:
            if status == .idle {
                notice = PGErrorFields(severity: .warning, code: "25P01", message: "there is no transaction in progress")
            }
            // COMMIT of a failed transaction block rolls it back, as in PostgreSQL.
            if status == .failed { tagOverride = "ROLLBACK" }
            next = .idle
        case .rollback:
            if status == .idle {
                notice = PGErrorFields(severity: .warning, code: "25P01", message: "there is no transaction in progress")
            }
            next = .idle
        default:
            if status == .failed { throw Self.inFailedTransaction }
            next = status
        }
        let results = try session.execute(s.text)
        if let notice { PGBackend.errorOrNotice(notice, into: &out) }
        for r in results { try send(r, tag: tagOverride) }
        status = next
    }

    /// Sends one statement result.
    private mutating func send(_ r: StatementResult, tag: String?) throws {
        if !r.columnNames.isEmpty {
            let fields = zip(r.columnNames, r.columnTypes).enumerated().map { i, c -> PGBackend.Field in
                let info = PGTypes.info(for: c.1)
                // plain table columns carry their table OID and attnum (pg_class.oid, pg_attribute.attnum)
                let src = i < r.sourceColumns.count ? r.sourceColumns[i] : nil
                return PGBackend.Field(name: c.0, tableOID: src?.tableOID ?? 0, attributeNumber: src?.attnum ?? 0,
                                       typeOID: info.oid, typeSize: info.size, typeModifier: info.modifier)
            }
            PGBackend.rowDescription(fields, into: &out)
            let width = r.columnNames.count
            for block in r.blocks where block.count > 0 {
                let columns = block.columns.prefix(width)
                for row in 0..<block.count {
                    rows.append(UInt8(ascii: "D"))
                    let lengthAt = rows.count
                    rows.append(contentsOf: [0, 0, 0, 0])
                    rows.append(UInt8(truncatingIfNeeded: width >> 8))
                    rows.append(UInt8(truncatingIfNeeded: width))
                    for c in columns { PGValueEncoder.appendField(c, row: row, format: .text, to: &rows) }
                    let length = UInt32(truncatingIfNeeded: rows.count - lengthAt)
                    rows[lengthAt] = UInt8(truncatingIfNeeded: length >> 24)
                    rows[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 16)
                    rows[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 8)
                    rows[lengthAt + 3] = UInt8(truncatingIfNeeded: length)
                    if rows.count >= batchBytes {
                        try flush()
                        try checkCancel()
                    }
                }
            }
        }
        moveRows()
        PGBackend.commandComplete(tag ?? r.commandTag, into: &out)
    }

    private func checkCancel() throws {
        if connection.cancelRequested.load(ordering: .sequentiallyConsistent) { throw Self.canceled }
    }

    /// Queues an ErrorResponse for `error`; `offset` is the character offset of the statement
    /// in the query string (positions are reported relative to the whole string).
    private mutating func fail(_ error: Error, offset: Int?) {
        var fields: PGErrorFields
        if let e = error as? AurumError {
            fields = PGErrorFields(e)
            if let p = e.position {
                if let offset { fields.position = p + offset } else { fields.position = nil }
            }
        } else {
            fields = PGErrorFields(severity: .error, code: .internalError, message: "internal error: \(error)")
        }
        moveRows()
        PGBackend.errorOrNotice(fields, into: &out)
        if status == .inTransaction { status = .failed }
    }

    private mutating func moveRows() {
        if !rows.isEmpty {
            out.writeBytes(rows)
            rows.removeAll(keepingCapacity: true)
        }
    }

    private mutating func flush() throws {
        moveRows()
        guard out.readableBytes > 0 else { return }
        try output.send(out)
        out.clear()
    }

    private mutating func finish() throws {
        PGBackend.readyForQuery(status, into: &out)
        try flush()
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
