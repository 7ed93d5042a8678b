import AurumCore
import AurumEngine
import AurumSQL
import NIOCore

// The extended query protocol: Parse, Bind, Describe, Execute, Close (Sync and Flush are
// handled by PGConnectionHandler on the event loop). Each message runs on a query thread.

/// A prepared statement as the wire sees it: the engine's statement and the type OIDs its
/// parameters are reported (ParameterDescription) and decoded (Bind) as.
struct PGStatement {
    let prepared: PreparedStatement
    let parameterOIDs: [UInt32]

    init(_ prepared: PreparedStatement, declared: [UInt32] = []) {
        self.prepared = prepared
        parameterOIDs = prepared.parameterTypes.enumerated().map { i, t in
            i < declared.count && declared[i] != 0 ? declared[i] : PGTypes.info(for: t).oid
        }
    }
}

/// A portal: a bound statement, its parameters, result formats and, once executed, the rows
/// not yet sent.
final class PGPortal: @unchecked Sendable {
    let statement: PGStatement
    let parameters: [Value]
    /// One format per result column.
    let formats: [PGFormat]
    /// Rows of a row-returning statement that ran (the materialised result).
    var cursor: ResultCursor?
    /// The first word(s) of the command tag of a row-returning statement ("SELECT", "FETCH").
    var verb = "SELECT"
    /// The tag of a statement without rows that ran (executing it again repeats the tag).
    var completedTag: String?

    init(statement: PGStatement, parameters: [Value], formats: [PGFormat]) {
        self.statement = statement
        self.parameters = parameters
        self.formats = formats
    }
}

/// The connection's unnamed statement and portals. Used by one thread at a time: the event
/// loop, or the query thread running a message for it (the handler is busy meanwhile).
final class PGExtendedState: @unchecked Sendable {
    var unnamed: PGStatement?
    /// Declared parameter OIDs of named statements (the statements themselves live in the
    /// session, shared with SQL PREPARE / DEALLOCATE).
    var named: [String: PGStatement] = [:]
    var portals: [String: PGPortal] = [:]

    /// DISCARD ALL.
    func reset() {
        unnamed = nil
        named.removeAll()
        portals.removeAll()
    }
}

/// Runs one extended-query message on a query thread.
struct PGExtendedQuery {
    let session: Session
    let connection: PGConnection
    let state: PGExtendedState
    private(set) var status: PGTransactionStatus
    private(set) var writer: PGResultWriter
    /// The message failed (an ErrorResponse was queued): skip until Sync.
    private(set) var failed = false
    let copyHooks: PGSimpleQuery.CopyHooks?

    init(session: Session, connection: PGConnection, state: PGExtendedState, status: PGTransactionStatus, batchBytes: Int,
         copyHooks: PGSimpleQuery.CopyHooks? = nil) {
        self.copyHooks = copyHooks
        self.session = session
        self.connection = connection
        self.state = state
        self.status = status
        self.writer = PGResultWriter(connection: connection, batchBytes: batchBytes)
    }

    /// Handles `message`; an error becomes an ErrorResponse. Throws only when the connection
    /// is gone. The bytes still to write are in `writer` (see `take()`).
    mutating func run(_ message: PGFrontendMessage) throws {
        do {
            switch message {
            case .parse(let name, let query, let types): try parse(name, query, types)
            case .bind(let b): try bind(b)
            case .describe(let kind, let name): try describe(kind, name)
            case .execute(let portal, let maxRows): try execute(portal, maxRows)
            case .close(let kind, let name): close(kind, name)
            case .functionCall:
                throw AurumError(.featureNotSupported, "the function call protocol message is not supported",
                                 hint: "use SELECT f(...) instead")
            default:
                throw AurumError(.protocolViolation, "unexpected message in the extended query protocol")
            }
        } catch is PGConnectionClosed {
            throw PGConnectionClosed()
        } catch {
            writer.error(error, offset: 0)
            failed = true
            if status == .inTransaction { status = .failed }
        }
    }

    mutating func take() -> ByteBuffer { writer.take() }

    // MARK: messages

    private mutating func parse(_ name: String, _ query: String, _ types: [UInt32]) throws {
        if !name.isEmpty, session.preparedStatement(named: name) != nil {
            throw AurumError(.duplicatePreparedStatement, "prepared statement \"\(name)\" already exists")
        }
        let declared = try types.map { oid -> DataType? in
            if oid == 0 { return nil }
            if let t = PGTypes.aurumType(oid: oid) { return t }
            if oid == PGTypes.byteaOID { return .string }
            if let info = PGTypes.builtin(oid: oid) {
                throw AurumError(.featureNotSupported, "parameters of type \(info.name) are not supported")
            }
            throw AurumError(.undefinedObject, "type with OID \(oid) does not exist")
        }
        let p = try session.prepare(query, declaredTypes: declared)
        _ = try PGTransactionControl.step(p.statement, text: p.sql, status: status)
        let st = PGStatement(p, declared: types)
        if name.isEmpty {
            state.unnamed = st
        } else {
            try session.addPreparedStatement(p, name: name)
            state.named[name] = st
        }
        PGBackend.parseComplete(into: &writer.out)
    }

    private func statement(_ name: String) throws -> PGStatement {
        if name.isEmpty {
            guard let s = state.unnamed else {
                throw AurumError(.invalidSQLStatementName, "unnamed prepared statement does not exist")
            }
            return s
        }
        guard let p = session.preparedStatement(named: name) else {
            throw AurumError(.invalidSQLStatementName, "prepared statement \"\(name)\" does not exist")
        }
        if let s = state.named[name], s.prepared === p { return s }
        return PGStatement(p)
    }

    private func portal(_ name: String) throws -> PGPortal {
        guard let p = state.portals[name] else {
            throw AurumError(.invalidCursorName, "portal \"\(name)\" does not exist")
        }
        return p
    }

    static func format(_ code: Int16) throws -> PGFormat {
        guard let f = PGFormat(rawValue: code) else {
            throw AurumError(.invalidParameterValue, "unsupported format code: \(code)")
        }
        return f
    }

    /// Expands a format-code list (none: all text; one: for all; else one each) to `n` formats.
    static func formats(_ codes: [Int16], count n: Int, what: String) throws -> [PGFormat] {
        switch codes.count {
        case 0: return Array(repeating: .text, count: n)
        case 1: return Array(repeating: try format(codes[0]), count: n)
        case n: return try codes.map(format)
        default:
            throw AurumError(.protocolViolation, "bind message has \(codes.count) \(what) formats but \(what == "result" ? "query has \(n) columns" : "\(n) parameters")")
        }
    }

    private mutating func bind(_ b: PGBind) throws {
        let st = try statement(b.statement)
        if !b.portal.isEmpty, state.portals[b.portal] != nil {
            throw AurumError(.duplicateCursor, "portal \"\(b.portal)\" already exists")
        }
        let n = st.parameterOIDs.count
        guard b.parameters.count == n else {
            throw AurumError(.protocolViolation,
                             "bind message supplies \(b.parameters.count) parameters, but prepared statement \"\(b.statement)\" requires \(n)")
        }
        _ = try PGTransactionControl.step(st.prepared.statement, text: st.prepared.sql, status: status)
        let parameterFormats = try Self.formats(b.parameterFormats, count: n, what: "parameter")
        var values: [Value] = []
        values.reserveCapacity(n)
        for (i, bytes) in b.parameters.enumerated() {
            do {
                values.append(try PGValueDecoder.decode(bytes.map { $0[...] }, oid: st.parameterOIDs[i], format: parameterFormats[i]))
            } catch var e as AurumError {
                if e.code == .protocolViolation && parameterFormats[i] == .binary { e.code = .invalidBinaryRepresentation }
                e.message += " (parameter $\(i + 1))"
                throw e
            }
        }
        let resultFormats = try Self.formats(b.resultFormats, count: st.prepared.columns.count, what: "result")
        // The unnamed portal is replaced; a named one lives until Close or the end of the transaction.
        state.portals[b.portal] = PGPortal(statement: st, parameters: values, formats: resultFormats)
        PGBackend.bindComplete(into: &writer.out)
    }

    private mutating func describe(_ kind: UInt8, _ name: String) throws {
        if kind == UInt8(ascii: "S") {
            let st = try statement(name)
            PGBackend.parameterDescription(st.parameterOIDs, into: &writer.out)
            if st.prepared.returnsRows {
                writer.rowDescription(st.prepared.columns, formats: [], sources: st.prepared.sourceColumns)
            } else {
                PGBackend.noData(into: &writer.out)
            }
        } else {
            if state.portals[name] == nil, let columns = session.cursorColumns(named: name) {
                // a SQL cursor (DECLARE) is a portal too
                writer.rowDescription(columns, formats: [])
                return
            }
            let p = try portal(name)
            if p.statement.prepared.returnsRows {
                writer.rowDescription(p.statement.prepared.columns, formats: p.formats, sources: p.statement.prepared.sourceColumns)
            } else {
                PGBackend.noData(into: &writer.out)
            }
        }
    }

    private mutating func execute(_ name: String, _ maxRows: Int32) throws {
        connection.cancelRequested.store(false, ordering: .sequentiallyConsistent)
        let p = try portal(name)
        let prepared = p.statement.prepared
        guard let stmt = prepared.statement else {
            PGBackend.emptyQueryResponse(into: &writer.out)
            return
        }
        if let tag = p.completedTag {
            PGBackend.commandComplete(tag, into: &writer.out)
            return
        }
        if p.cursor == nil {
            let step = try PGTransactionControl.step(stmt, text: prepared.sql, status: status)
            try writer.checkCancel()
            if case .copy = stmt, let hooks = copyHooks {
                // COPY through Execute: the same copy sub-protocol as after a simple Query (the
                // Sync a client sent behind the Execute is ignored during COPY FROM STDIN, as in
                // PostgreSQL; libpq sends another after CopyDone). Executing the portal again
                // repeats the tag, like other statements without rows.
                try writer.flush()
                let tag = try PGCopyIO.run(prepared.sql, session: session, connection: connection, batchBytes: writer.batchBytes, hooks: hooks)
                status = step.next
                p.completedTag = tag
                PGBackend.commandComplete(tag, into: &writer.out)
                return
            }
            let r = try session.stream(prepared, parameters: p.parameters)
            if case .discard("ALL") = stmt { state.reset() }
            if let notice = step.notice,
               PGSimpleQuery.sendsNotice(notice.severity, minimum: session.currentSettingValue("client_min_messages")) {
                PGBackend.errorOrNotice(notice, into: &writer.out)
            }
            status = step.next
            if !r.returnsRows {
                let tag = step.tagOverride ?? r.commandTag
                p.completedTag = tag
                PGBackend.commandComplete(tag, into: &writer.out)
                // a SET of a reported setting: ParameterStatus, as after a simple query
                for (name, value) in session.takeReportedChanges() { PGBackend.parameterStatus(name, value, into: &writer.out) }
                return
            }
            p.cursor = ResultCursor(stream: r)
            var words = r.commandTag.split(separator: " ")
            if let last = words.last, Int(last) != nil { words.removeLast() }
            p.verb = words.joined(separator: " ")
        }
        guard let cursor = p.cursor else { return }
        cursor.stream.restartTimeout()
        // Rows are pulled from the statement's stream block by block and written as they come
        // (backpressure), up to the row limit.
        let width = max(prepared.columns.count, cursor.columnNames.count)
        var left = maxRows > 0 ? Int(maxRows) : Int.max
        var n = 0
        while left > 0 {
            let blocks = try cursor.next(maxRows: min(left, 65_536))
            if blocks.isEmpty { break }
            let got = blocks.reduce(0) { $0 + $1.count }
            try writer.dataRows(blocks, width: width, formats: p.formats)
            n += got
            left -= got
        }
        if maxRows > 0 && !cursor.isExhausted && left == 0 {
            PGBackend.portalSuspended(into: &writer.out)
        } else {
            PGBackend.commandComplete("\(p.verb) \(n)", into: &writer.out)
        }
    }

    private mutating func close(_ kind: UInt8, _ name: String) {
        if kind == UInt8(ascii: "S") {
            if name.isEmpty {
                state.unnamed = nil
            } else {
                session.removePreparedStatement(named: name)
                state.named.removeValue(forKey: name)
            }
        } else {
            state.portals.removeValue(forKey: name)
        }
        PGBackend.closeComplete(into: &writer.out)
    }
}
