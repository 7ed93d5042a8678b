import AurumCore
import AurumEngine
import NIOCore
import NIOPosix

/// The protocol state machine of one connection. Runs on the channel's event loop and only
/// parses and writes messages: session setup and statements run on the server's query pool.
///
/// While a query runs, further messages are queued and handled, in order, after its
/// ReadyForQuery.
final class PGConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = PGFrontendMessage
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Waiting for StartupMessage (or SSLRequest, GSSENCRequest, CancelRequest).
        case startup
        /// Sent AuthenticationCleartextPassword; waiting for PasswordMessage.
        case awaitingPassword
        /// Authenticated; the session is being set up on the query pool.
        case settingUp
        /// Ready for queries.
        case ready
        /// Closing or closed: ignore everything.
        case closed
    }

    private let server: PGServerContext
    private var state = State.startup
    private var connection: PGConnection?
    private var session: Session?
    private var parameters: [String: String] = [:]
    private var status = PGTransactionStatus.idle
    /// A query or the session setup runs on the query pool.
    private var busy = false
    private var queue = CircularBuffer<PGFrontendMessage>()
    /// After an error in an extended-query message: discard messages until Sync.
    private var skipUntilSync = false

    init(server: PGServerContext) {
        self.server = server
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        connection = server.registry.register(channel: context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        if let connection {
            connection.gate.closed()
            if busy { connection.cancel() }
            server.registry.remove(connection)
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { connection?.gate.writable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? PGProtocolError {
            fatal(context: context, PGErrorFields(severity: .fatal, code: e.code, message: e.message))
        } else {
            server.logger.debug("connection error: \(error)")
            state = .closed
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is PGServerShutdownEvent {
            // Safe while a query streams too: its batches are whole messages written on this
            // event loop, so the FATAL lands between two of them; the query thread's next
            // write then fails and it stops.
            fatal(context: context, PGErrorFields(severity: .fatal, code: "57P01",
                                                  message: "terminating connection due to administrator command"))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if busy {
            queue.append(message)
        } else {
            handle(message, context: context)
        }
    }

    // MARK: - Messages

    private func handle(_ message: PGFrontendMessage, context: ChannelHandlerContext) {
        switch state {
        case .closed, .settingUp:
            return
        case .startup:
            switch message {
            case .sslRequest, .gssEncRequest:
                // No TLS or GSSAPI encryption (yet): 'N', then the client sends StartupMessage.
                var b = context.channel.allocator.buffer(capacity: 1)
                b.writeInteger(UInt8(ascii: "N"))
                context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            case .cancelRequest(let pid, let key):
                // Answered with nothing, as in PostgreSQL; a wrong key is silently ignored.
                if let target = server.registry.lookup(processID: pid, secretKey: key), target !== connection {
                    target.cancel()
                }
                state = .closed
                context.close(promise: nil)
            case .startup(let version, let params):
                startup(version: version, parameters: params, context: context)
            default:
                fatal(context: context, PGErrorFields(severity: .fatal, code: .protocolViolation,
                                                      message: "expected startup message"))
            }
        case .awaitingPassword:
            guard case .password(let given) = message else {
                fatal(context: context, PGErrorFields(severity: .fatal, code: .protocolViolation,
                                                      message: "expected password response"))
                return
            }
            let user = parameters["user"] ?? ""
            guard let expected = server.configuration.password, constantTimeEqual(given, expected) else {
                fatal(context: context, PGErrorFields(severity: .fatal, code: .invalidPassword,
                                                      message: "password authentication failed for user \"\(user)\""))
                return
            }
            authenticated(context: context)
        case .ready:
            ready(message, context: context)
        }
    }

    private func ready(_ message: PGFrontendMessage, context: ChannelHandlerContext) {
        switch message {
        case .query(let sql):
            if skipUntilSync { return }
            runQuery(sql, context: context)
        case .terminate:
            state = .closed
            context.close(promise: nil)
        case .sync:
            skipUntilSync = false
            var b = context.channel.allocator.buffer(capacity: 8)
            PGBackend.readyForQuery(status, into: &b)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        case .flush, .copy:
            // Flush: everything is flushed already. CopyData/CopyDone/CopyFail outside COPY
            // are ignored, as in PostgreSQL (the client may still be sending a failed COPY).
            return
        case .extended:
            if skipUntilSync { return }
            skipUntilSync = true
            if status == .inTransaction { status = .failed }
            var b = context.channel.allocator.buffer(capacity: 128)
            PGBackend.errorOrNotice(PGErrorFields(
                severity: .error, code: .featureNotSupported, message: "extended query protocol not supported yet",
                hint: "use the simple query protocol for now (psql does; pgJDBC: preferQueryMode=simple)"), into: &b)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        case .password, .startup, .sslRequest, .gssEncRequest, .cancelRequest:
            fatal(context: context, PGErrorFields(severity: .fatal, code: .protocolViolation,
                                                  message: "unexpected message during a session"))
        }
    }

    // MARK: - Startup

    private func startup(version: Int32, parameters list: [(String, String)], context: ChannelHandlerContext) {
        let major = version >> 16, minor = version & 0xFFFF
        guard major == 3 else {
            fatal(context: context, PGErrorFields(
                severity: .fatal, code: .featureNotSupported,
                message: "unsupported frontend protocol \(major).\(minor): server supports 3.0 to 3.0"))
            return
        }
        var unrecognised: [String] = []
        for (name, value) in list {
            if name.hasPrefix("_pq_.") { unrecognised.append(name) } else { parameters[name] = value }
        }
        if minor > 0 || !unrecognised.isEmpty {
            var b = context.channel.allocator.buffer(capacity: 64)
            PGBackend.negotiateProtocolVersion(minor: 0, unrecognised: unrecognised, into: &b)
            context.write(wrapOutboundOut(b), promise: nil)
        }
        guard let user = parameters["user"], !user.isEmpty else {
            fatal(context: context, PGErrorFields(severity: .fatal, code: "28000",
                                                  message: "no PostgreSQL user name specified in startup packet"))
            return
        }
        if server.configuration.password != nil {
            state = .awaitingPassword
            var b = context.channel.allocator.buffer(capacity: 16)
            PGBackend.authenticationCleartextPassword(into: &b)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        } else {
            authenticated(context: context)
        }
    }

    /// Authentication succeeded: set the session up on the query pool, then report it.
    private func authenticated(context: ChannelHandlerContext) {
        guard let connection else { return }
        var b = context.channel.allocator.buffer(capacity: 16)
        PGBackend.authenticationOk(into: &b)
        context.write(wrapOutboundOut(b), promise: nil)

        state = .settingUp
        setBusy(true)
        let engine = server.engine
        let parameters = self.parameters
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        server.threadPool.submit { _ in
            let result = PGSessionSetup.run(engine: engine, parameters: parameters)
            result.session.backendPID = connection.processID
            connection.attach(result.session)
            eventLoop.execute { bound.value.setupFinished(result) }
        }
    }

    private func setupFinished(_ result: PGSessionSetup.Result) {
        setBusy(false)
        guard state == .settingUp, let connection, let context = currentContext else { return }
        if let f = result.fatal {
            fatal(context: context, f)
            return
        }
        session = result.session
        var b = context.channel.allocator.buffer(capacity: 512)
        let statuses: [(String, String)] = [
            ("server_version", "15.0 (Aurum \(Session.version))"),
            ("server_encoding", "UTF8"),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, MDY"),
            ("IntervalStyle", "postgres"),
            ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"),
            ("TimeZone", "UTC"),
            ("application_name", parameters["application_name"] ?? ""),
            ("is_superuser", "on"),
            ("session_authorization", parameters["user"] ?? "aurum"),
        ]
        for (name, value) in statuses { PGBackend.parameterStatus(name, value, into: &b) }
        PGBackend.backendKeyData(processID: connection.processID, secretKey: connection.secretKey, into: &b)
        for n in result.notices { PGBackend.errorOrNotice(n, into: &b) }
        PGBackend.readyForQuery(.idle, into: &b)
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        state = .ready
        drainQueue(context: context)
    }

    // MARK: - Queries

    private func runQuery(_ sql: String, context: ChannelHandlerContext) {
        guard let session, let connection else { return }
        setBusy(true)
        let status = self.status
        let batchBytes = server.configuration.batchBytes
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        server.threadPool.submit { workState in
            var newStatus: PGTransactionStatus?
            if workState == .active {
                var q = PGSimpleQuery(session: session, connection: connection, status: status, batchBytes: batchBytes)
                do {
                    try q.run(sql)
                    newStatus = q.status
                } catch {
                    newStatus = nil
                }
            }
            let finalStatus = newStatus
            eventLoop.execute { bound.value.queryFinished(finalStatus) }
        }
    }

    /// `status` is nil when the results could not be sent (the connection is gone).
    private func queryFinished(_ newStatus: PGTransactionStatus?) {
        setBusy(false)
        guard let context = currentContext else { return }
        guard let newStatus else {
            state = .closed
            context.close(promise: nil)
            return
        }
        status = newStatus
        drainQueue(context: context)
    }

    private func drainQueue(context: ChannelHandlerContext) {
        while !busy, state != .closed, let next = queue.popFirst() {
            handle(next, context: context)
        }
    }

    // MARK: - Helpers

    private var currentContext: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { currentContext = context }
    func handlerRemoved(context: ChannelHandlerContext) { currentContext = nil }

    private func setBusy(_ b: Bool) {
        busy = b
        connection?.busy.store(b, ordering: .sequentiallyConsistent)
    }

    /// Sends a FATAL ErrorResponse and closes the connection.
    private func fatal(context: ChannelHandlerContext, _ fields: PGErrorFields) {
        guard state != .closed else { return }
        state = .closed
        var b = context.channel.allocator.buffer(capacity: 128)
        PGBackend.errorOrNotice(fields, into: &b)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}

/// Creates the session of a new connection from the startup parameters (runs on the query
/// pool: `USE` and `SET` go through the engine).
enum PGSessionSetup {
    struct Result: Sendable {
        var session: Session
        var notices: [PGErrorFields] = []
        var fatal: PGErrorFields?
    }

    /// Startup parameters that are not settings.
    static let nonSettings: Set<String> = ["user", "database", "options", "replication", "client_encoding"]

    static func run(engine: Engine, parameters: [String: String]) -> Result {
        var result = Result(session: engine.makeSession())
        let session = result.session
        if let db = parameters["database"], !db.isEmpty, db != "default" {
            do {
                _ = try session.execute("USE " + quoteIdentifier(db))
            } catch {
                result.notices.append(PGErrorFields(
                    severity: .notice, code: .invalidCatalogName,
                    message: "database \"\(db)\" does not exist; using \"default\""))
            }
        }
        if let enc = parameters["client_encoding"] {
            let normalized = enc.trimmingCharacters(in: ["'", "\"", " "]).uppercased()
                .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
            if !["UTF8", "UNICODE", "SQLASCII"].contains(normalized) {
                result.notices.append(PGErrorFields(
                    severity: .warning, code: .featureNotSupported,
                    message: "client_encoding \"\(enc)\" is not supported; the server sends and expects UTF8"))
            }
        }
        // Other startup parameters are settings (application_name, DateStyle, extra_float_digits, ...).
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) where !nonSettings.contains(name) {
            guard isSettingName(name) else { continue }
            _ = try? session.execute("SET \(name) = \(quoteLiteral(value))")
        }
        // `options`: command-line style `-c name=value` / `--name=value`.
        if let options = parameters["options"] {
            do {
                for (name, value) in try parseOptions(options) {
                    guard isSettingName(name) else {
                        throw AurumError(.invalidParameterValue, "invalid setting name \"\(name)\" in options")
                    }
                    _ = try session.execute("SET \(name) = \(quoteLiteral(value))")
                }
            } catch let e as AurumError {
                result.fatal = PGErrorFields(e, severity: .fatal)
            } catch {
                result.fatal = PGErrorFields(severity: .fatal, code: .internalError, message: "\(error)")
            }
        }
        return result
    }

    static func quoteIdentifier(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    static func quoteLiteral(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    static func isSettingName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Splits the `options` startup parameter: whitespace separates arguments, a backslash
    /// escapes the next character; `-c name=value`, `-cname=value` and `--name=value` set
    /// settings (`-` in a `--` name becomes `_`).
    static func parseOptions(_ options: String) throws -> [(String, String)] {
        var args: [String] = []
        var current = ""
        var escaped = false, inArg = false
        for ch in options {
            if escaped { current.append(ch); escaped = false; inArg = true; continue }
            if ch == "\\" { escaped = true; inArg = true; continue }
            if ch.isWhitespace {
                if inArg { args.append(current); current = ""; inArg = false }
                continue
            }
            current.append(ch)
            inArg = true
        }
        if inArg { args.append(current) }
        var out: [(String, String)] = []
        var i = 0
        func pair(_ s: String) throws -> (String, String) {
            guard let eq = s.firstIndex(of: "=") else {
                throw AurumError(.invalidParameterValue, "invalid command-line argument for server process: \(s)",
                                 hint: "use -c name=value")
            }
            return (String(s[..<eq]).lowercased(), String(s[s.index(after: eq)...]))
        }
        while i < args.count {
            let a = args[i]
            if a == "-c" {
                guard i + 1 < args.count else {
                    throw AurumError(.invalidParameterValue, "invalid command-line argument for server process: -c")
                }
                out.append(try pair(args[i + 1]))
                i += 2
            } else if a.hasPrefix("-c") {
                out.append(try pair(String(a.dropFirst(2))))
                i += 1
            } else if a.hasPrefix("--") {
                let (n, v) = try pair(String(a.dropFirst(2)))
                out.append((n.replacingOccurrences(of: "-", with: "_"), v))
                i += 1
            } else {
                throw AurumError(.invalidParameterValue, "invalid command-line argument for server process: \(a)",
                                 hint: "use -c name=value")
            }
        }
        return out
    }
}
