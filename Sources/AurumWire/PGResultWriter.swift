import AurumCore
import AurumEngine
import AurumSQL
import NIOCore

/// Collects backend messages on a query thread and sends them: RowDescription, DataRows in
/// batches of about `batchBytes` (each batch waits for the channel to be writable, and a
/// cancel request is checked between batches), errors. Shared by the simple and the extended
/// query protocol.
struct PGResultWriter {
    let connection: PGConnection
    let output: PGOutput
    let batchBytes: Int
    /// Messages not yet sent.
    var out: ByteBuffer
    /// DataRow messages not yet moved into `out`.
    private var rows: [UInt8] = []

    init(connection: PGConnection, batchBytes: Int) {
        self.connection = connection
        self.output = PGOutput(connection: connection)
        self.batchBytes = max(1024, batchBytes)
        self.out = connection.channel.allocator.buffer(capacity: 1024)
        rows.reserveCapacity(self.batchBytes + 4096)
    }

    static let canceled = AurumError(.queryCanceled, "canceling statement due to user request")

    /// RowDescription for `columns`, with one format code per column; `sources` gives the
    /// table OID and attribute number of plain table columns (psqlODBC looks them up in
    /// pg_attribute), zero otherwise.
    mutating func rowDescription(_ columns: [(name: String, type: DataType)], formats: [PGFormat],
                                 sources: [PGColumnSource?] = []) {
        let fields = columns.enumerated().map { i, c -> PGBackend.Field in
            let info = PGTypes.info(for: c.type)
            let src = i < sources.count ? sources[i] : nil
            return PGBackend.Field(name: c.name, tableOID: src?.tableOID ?? 0, attributeNumber: src?.attnum ?? 0,
                                   typeOID: info.oid, typeSize: info.size, typeModifier: info.modifier,
                                   format: i < formats.count ? formats[i] : .text)
        }
        PGBackend.rowDescription(fields, into: &out)
    }

    /// DataRows for every row of `blocks` (the first `width` columns), in `formats` (one per
    /// column; missing ones are text).
    mutating func dataRows(_ blocks: [Block], width: Int, formats: [PGFormat]) throws {
        let formats = (0..<width).map { $0 < formats.count ? formats[$0] : PGFormat.text }
        for block in blocks where block.count > 0 {
            let columns = Array(block.columns.prefix(width))
            for row in 0..<block.count {
                rows.append(UInt8(ascii: "D"))
                let lengthAt = rows.count
                rows.append(contentsOf: [0, 0, 0, 0])
                rows.append(UInt8(truncatingIfNeeded: width >> 8))
                rows.append(UInt8(truncatingIfNeeded: width))
                for (k, c) in columns.enumerated() { PGValueEncoder.appendField(c, row: row, format: formats[k], to: &rows) }
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
        moveRows()
    }

    func checkCancel() throws {
        if connection.cancelRequested.load(ordering: .sequentiallyConsistent) { throw Self.canceled }
    }

    /// Queues an ErrorResponse for `error`; `offset` is the character offset of the statement
    /// in the query string (positions are reported relative to the whole string).
    mutating func error(_ error: Error, offset: Int?) {
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
    }

    mutating func moveRows() {
        if !rows.isEmpty {
            out.writeBytes(rows)
            rows.removeAll(keepingCapacity: true)
        }
    }

    /// Sends everything queued (and waits until the channel is writable).
    mutating func flush() throws {
        moveRows()
        guard out.readableBytes > 0 else { return }
        try output.send(out)
        out.clear()
    }

    /// The queued bytes, for the event loop to write.
    mutating func take() -> ByteBuffer {
        moveRows()
        let b = out
        out = connection.channel.allocator.buffer(capacity: 256)
        return b
    }
}

/// How a statement changes the transaction status (the same for simple and extended query).
enum PGTransactionControl {
    struct Step {
        var next: PGTransactionStatus
        var notice: PGErrorFields?
        var tagOverride: String?
    }

    static let inFailedTransaction = AurumError(
        .inFailedTransaction, "current transaction is aborted, commands ignored until end of transaction block")

    /// Throws 25P02 for statements refused in a failed transaction block.
    static func step(_ statement: Statement?, text: String, status: PGTransactionStatus) throws -> Step {
        switch statement {
        case .begin:
            if status == .failed { throw inFailedTransaction }
            var step = Step(next: .inTransaction)
            if status != .idle {
                step.notice = PGErrorFields(severity: .warning, code: "25001", message: "there is already a transaction in progress")
            }
            if text.prefix(5).uppercased() == "START" { step.tagOverride = "START TRANSACTION" }
            return step
        case .commit:
            var step = Step(next: .idle)
            if status == .idle {
                step.notice = PGErrorFields(severity: .warning, code: "25P01", message: "there is no transaction in progress")
            }
            // COMMIT of a failed transaction block rolls it back, as in PostgreSQL.
            if status == .failed { step.tagOverride = "ROLLBACK" }
            return step
        case .rollback:
            var step = Step(next: .idle)
            if status == .idle {
                step.notice = PGErrorFields(severity: .warning, code: "25P01", message: "there is no transaction in progress")
            }
            return step
        case .rollbackToSavepoint:
            // the way out of a failed transaction block short of ending it (the session
            // checks the savepoint exists)
            return Step(next: status == .failed ? .inTransaction : status)
        case .declareCursor(_, _, let hold, _):
            if status == .failed { throw inFailedTransaction }
            if !hold && status == .idle {
                throw AurumError(.noActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
            }
            return Step(next: status)
        case .discard("ALL"):
            if status == .failed { throw inFailedTransaction }
            if status != .idle { throw AurumError(.activeSQLTransaction, "DISCARD ALL cannot run inside a transaction block") }
            return Step(next: status)
        default:
            if status == .failed { throw inFailedTransaction }
            return Step(next: status)
        }
    }
}
