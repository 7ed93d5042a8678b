import AurumCore
import AurumEngine
import NIOCore
import NIOPosix
import NIOSSL

/// The protocol state machine of one connection. Runs on the channel's event loop and only
/// parses and writes messages: session setup and statements run on the server's query pool.
///
/// While a query runs, further messages are queued and handled, in order, after it; while
/// more than `maxQueuedMessages` wait, the handler stops reading from the socket.
final class PGConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = PGFrontendMessage
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Waiting for StartupMessage (or SSLRequest, GSSENCRequest, CancelRequest).
        case startup
        /// Sent an authentication request; waiting for the client's answer (see `authStep`).
        case authenticating
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
    /// While authenticating: what the client's next 'p' message answers.
    private var authStep: PGAuthStep?
    /// The connection switched to TLS after SSLRequest.
    private var tlsActive = false
    /// The unnamed statement and the portals of the extended query protocol.
    private let extended = PGExtendedState()
    /// Whether reading from the socket is paused because the queue is full.
    private var readPaused = false
    /// Pipelined messages queued before reading pauses (resumes at half).
    static let maxQueuedMessages = 1024
    /// A COPY FROM STDIN is running: CopyData/CopyDone/CopyFail go to its queue.
    private var copyIn: PGCopyInQueue?

    init(server: PGServerContext) {
        self.server = server
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        connection = server.registry.register(channel: context.channel)
        server.statistics.open.add(1, ordering: .relaxed)
        server.statistics.accepted.add(1, ordering: .relaxed)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if connection != nil { server.statistics.open.subtract(1, ordering: .relaxed) }
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
        if copyIn != nil && routeCopy(message, context: context) { return }
        if busy {
            queue.append(message)
            if queue.count >= Self.maxQueuedMessages && !readPaused {
                readPaused = true
                connection?.readPauses.add(1, ordering: .relaxed)
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
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
            case .sslRequest:
                sslRequest(context: context)
            case .gssEncRequest:
                // No GSSAPI encryption: 'N', then the client sends StartupMessage (or SSLRequest).
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
        case .authenticating:
            if case .terminate = message {
                // The client gave up (no password to send): close quietly.
                state = .closed
                context.close(promise: nil)
                return
            }
            guard case .password(let body) = message, let step = authStep else {
                fatal(context: context, PGErrorFields(severity: .fatal, code: .protocolViolation,
                                                      message: "expected password response"))
                return
            }
            authResponse(body, step: step, context: context)
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
            // Outside a transaction block Sync ends the implicit transaction, and its portals.
            if status == .idle { extended.portals.removeAll() }
            var b = context.channel.allocator.buffer(capacity: 8)
            PGBackend.readyForQuery(status, into: &b)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        case .flush:
            context.flush()
        case .copyData, .copyDone, .copyFail:
            // CopyData/CopyDone/CopyFail outside COPY are ignored, as in PostgreSQL (the
            // client may still be sending a failed COPY).
            return
        case .parse, .bind, .describe, .execute, .close, .functionCall:
            if skipUntilSync { return }
            runExtended(message, context: context)
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
        if let tls = server.configuration.tls, !tlsActive, tls.requiresTLS(clientAddress: context.channel.remoteAddress?.ipAddress) {
            fatal(context: context, PGErrorFields(severity: .fatal, code: "28000",
                                                  message: "connection without TLS refused: this server requires TLS",
                                                  hint: "connect with sslmode=require"))
            return
        }
        beginAuthentication(user: user, context: context)
    }

    // MARK: - TLS and authentication

    /// SSLRequest: 'S' and a TLS handshake when a certificate is configured, else 'N'.
    private func sslRequest(context: ChannelHandlerContext) {
        var b = context.channel.allocator.buffer(capacity: 1)
        guard let sslContext = server.sslContext, !tlsActive else {
            b.writeInteger(UInt8(ascii: "N"))
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            return
        }
        b.writeInteger(UInt8(ascii: "S"))
        // The 'S' goes out in the clear (written before the TLS handler exists); everything
        // after it is encrypted.
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext), position: .first)
            tlsActive = true
            server.statistics.tlsHandshakes.add(1, ordering: .relaxed)
        } catch {
            server.logger.debug("cannot start TLS: \(error)")
            state = .closed
            context.close(promise: nil)
        }
    }

    private func beginAuthentication(user: String, context: ChannelHandlerContext) {
        let auth = server.authentication
        let stored = auth.stored(for: user)
        var b = context.channel.allocator.buffer(capacity: 64)
        switch auth.method {
        case .trust:
            authenticated(context: context)
            return
        case .password:
            authStep = .cleartext(stored)
            PGBackend.authenticationCleartextPassword(into: &b)
        case .md5:
            if case .scram(let v) = stored {
                // As PostgreSQL: a SCRAM verifier cannot answer an MD5 challenge, so use SCRAM.
                authStep = .saslInitial(SCRAM.ServerExchange(verifier: v, genuine: true))
                PGBackend.authenticationSASL(mechanisms: [SCRAM.mechanism], into: &b)
            } else {
                let salt = (0..<4).map { _ in UInt8.random(in: 0...255) }
                var expected: String?
                switch stored {
                case .plaintext(let p): expected = PGMD5.stored(password: p, user: user)
                case .md5(let h): expected = h
                default: expected = nil
                }
                authStep = .md5(salt: salt, expected: expected)
                PGBackend.authenticationMD5Password(salt: salt, into: &b)
            }
        case .scramSHA256:
            let exchange: SCRAM.ServerExchange
            switch stored {
            case .scram(let v): exchange = .init(verifier: v, genuine: true)
            case .plaintext(let p):
                let v = server.secrets.plaintextVerifiers[p] ?? SCRAMVerifier.make(password: p)
                exchange = .init(verifier: v, genuine: true)
            case .md5, nil:
                // Unknown user, or an md5 hash that cannot do SCRAM: the same exchange with a
                // verifier nobody can match, then the same failure.
                exchange = .init(verifier: server.secrets.fakeVerifier(user: user), genuine: false)
            }
            authStep = .saslInitial(exchange)
            PGBackend.authenticationSASL(mechanisms: [SCRAM.mechanism], into: &b)
        }
        state = .authenticating
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
    }

    private func authResponse(_ body: [UInt8], step: PGAuthStep, context: ChannelHandlerContext) {
        let user = parameters["user"] ?? ""
        func cString() -> String {
            String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
        }
        func malformed(_ m: String) {
            fatal(context: context, PGErrorFields(severity: .fatal, code: .protocolViolation, message: m))
        }
        switch step {
        case .cleartext(let stored):
            let given = cString()
            let ok: Bool
            switch stored {
            case .plaintext(let p): ok = SCRAM.constantTimeEqual(Array(given.utf8), Array(p.utf8))
            case .md5(let h): ok = SCRAM.constantTimeEqual(Array(PGMD5.stored(password: given, user: user).utf8), Array(h.utf8))
            case .scram(let v): ok = v.matches(password: given)
            case nil:
                // Unknown user: the same PBKDF2 work as a SCRAM-stored user, then failure.
                _ = server.secrets.fakeVerifier(user: user).matches(password: given)
                ok = false
            }
            ok ? authenticated(context: context) : authenticationFailed(user: user, context: context)
        case .md5(let salt, let expected):
            let given = cString()
            // Unknown users compare against a random hash: the same work, the same answer.
            let want = expected.map { PGMD5.response(stored: $0, salt: salt) }
                ?? PGMD5.response(stored: "md5" + PGMD5.hex((0..<16).map { _ in UInt8.random(in: 0...255) }), salt: salt)
            let ok = SCRAM.constantTimeEqual(Array(given.utf8), Array(want.utf8))
            ok && expected != nil ? authenticated(context: context) : authenticationFailed(user: user, context: context)
        case .saslInitial(var exchange):
            // SASLInitialResponse: mechanism name, Int32 length (-1: none), data.
            guard let nul = body.firstIndex(of: 0) else { return malformed("malformed SASLInitialResponse message") }
            let mechanism = String(decoding: body[..<nul], as: UTF8.self)
            guard mechanism == SCRAM.mechanism else {
                return malformed("client selected an invalid SASL authentication mechanism")
            }
            var rest = body[(nul + 1)...]
            guard rest.count >= 4 else { return malformed("malformed SASLInitialResponse message") }
            let len = Int(Int32(bitPattern: rest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            rest = rest.dropFirst(4)
            guard len >= 0, len == rest.count else { return malformed("malformed SASLInitialResponse message") }
            do {
                let serverFirst = try exchange.clientFirst(Array(rest))
                authStep = .saslContinue(exchange)
                var b = context.channel.allocator.buffer(capacity: 128)
                PGBackend.authenticationSASLContinue(serverFirst, into: &b)
                context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            } catch {
                if case .malformed(let m) = error { malformed(m) } else { authenticationFailed(user: user, context: context) }
            }
        case .saslContinue(let exchange):
            do {
                let serverFinal = try exchange.clientFinal(body)
                var b = context.channel.allocator.buffer(capacity: 128)
                PGBackend.authenticationSASLFinal(serverFinal, into: &b)
                context.write(wrapOutboundOut(b), promise: nil)
                authenticated(context: context)
            } catch {
                if case .malformed(let m) = error { malformed(m) } else { authenticationFailed(user: user, context: context) }
            }
        }
    }

    /// The one answer to a wrong password and an unknown user alike.
    private func authenticationFailed(user: String, context: ChannelHandlerContext) {
        server.statistics.authFailures.add(1, ordering: .relaxed)
        fatal(context: context, PGErrorFields(severity: .fatal, code: .invalidPassword,
                                              message: "password authentication failed for user \"\(user)\""))
    }

    /// Authentication succeeded: set the session up on the query pool, then report it.
    private func authenticated(context: ChannelHandlerContext) {
        guard let connection else { return }
        authStep = nil
        var b = context.channel.allocator.buffer(capacity: 16)
        PGBackend.authenticationOk(into: &b)
        context.write(wrapOutboundOut(b), promise: nil)

        state = .settingUp
        setBusy(true)
        let engine = server.engine
        let parameters = self.parameters
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let remote = context.channel.remoteAddress
        server.threadPool.submit { _ in
            let result = PGSessionSetup.run(engine: engine, parameters: parameters)
            result.session.backendPID = connection.processID
            result.session.publishActivity(clientAddress: remote?.ipAddress ?? (remote == nil ? nil : "local"), clientPort: remote?.port)
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
        var current: [String: String] = [:]
        for (name, value) in result.session.reportedSettings() { current[name] = value }
        let statuses: [(String, String)] = [
            ("server_version", "15.0 (Aurum \(Session.version))"),
            ("server_encoding", "UTF8"),
            ("client_encoding", "UTF8"),
            ("DateStyle", current["DateStyle"] ?? "ISO, MDY"),
            ("IntervalStyle", "postgres"),
            ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"),
            ("TimeZone", current["TimeZone"] ?? "UTC"),
            ("application_name", current["application_name"] ?? parameters["application_name"] ?? ""),
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

    // MARK: - COPY FROM STDIN

    /// The query thread started a COPY FROM STDIN: route copy messages to `queue` (also those
    /// that arrived early), then send CopyInResponse.
    private func copyInStarted(_ queue: PGCopyInQueue, response: ByteBuffer, context: ChannelHandlerContext) {
        copyIn = queue
        context.writeAndFlush(wrapOutboundOut(response), promise: nil)
        while copyIn != nil, let next = self.queue.first, routeCopy(next, context: context) {
            _ = self.queue.popFirst()
        }
    }

    /// Hands a message to the running COPY FROM STDIN. Returns false when it is not for the
    /// COPY (the COPY ended on the query side: handle the message normally).
    private func routeCopy(_ message: PGFrontendMessage, context: ChannelHandlerContext) -> Bool {
        guard let q = copyIn else { return false }
        if q.isClosed {
            copyIn = nil
            return false
        }
        switch message {
        case .copyData(let bytes):
            if q.push(bytes) { context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
        case .copyDone:
            q.finish(.done)
            copyIn = nil
        case .copyFail(let m):
            q.finish(.failed(m))
            copyIn = nil
        case .flush, .sync:
            // Ignored during COPY, as PostgreSQL does.
            break
        case .terminate:
            q.finish(.protocolError("terminating connection during COPY from stdin"))
            copyIn = nil
            state = .closed
            context.close(promise: nil)
        default:
            q.finish(.protocolError("unexpected message type during COPY from stdin"))
            copyIn = nil
        }
        return true
    }

    // MARK: - Queries

    /// What a COPY statement (simple or extended protocol) needs from this handler.
    private func makeCopyHooks(context: ChannelHandlerContext) -> PGSimpleQuery.CopyHooks {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let channel = context.channel
        return PGSimpleQuery.CopyHooks(
            startCopyIn: { queue, response in
                eventLoop.submit {
                    guard let ctx = bound.value.currentContext else { throw PGConnectionClosed() }
                    bound.value.copyInStarted(queue, response: response, context: ctx)
                }
            },
            setReading: { on in
                eventLoop.execute {
                    channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
                    if on { channel.read() }
                }
            })
    }

    private func runQuery(_ sql: String, context: ChannelHandlerContext) {
        guard let session, let connection else { return }
        setBusy(true)
        let status = self.status
        let batchBytes = server.configuration.batchBytes
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let extended = self.extended
        let copyHooks = makeCopyHooks(context: context)
        server.threadPool.submit { workState in
            var newStatus: PGTransactionStatus?
            if workState == .active {
                var q = PGSimpleQuery(session: session, connection: connection, status: status, batchBytes: batchBytes,
                                      copyHooks: copyHooks)
                do {
                    try q.run(sql)
                    newStatus = q.status
                } catch {
                    newStatus = nil
                }
                if q.discardedAll { extended.reset() }
            }
            let finalStatus = newStatus
            eventLoop.execute { bound.value.queryFinished(finalStatus) }
        }
    }

    /// `status` is nil when the results could not be sent (the connection is gone).
    private func queryFinished(_ newStatus: PGTransactionStatus?) {
        setBusy(false)
        copyIn = nil
        guard let context = currentContext else { return }
        guard let newStatus else {
            state = .closed
            context.close(promise: nil)
            return
        }
        status = newStatus
        // The end of a transaction (COMMIT/ROLLBACK, or a statement outside a block) ends its portals.
        if newStatus == .idle { extended.portals.removeAll() }
        drainQueue(context: context)
    }

    /// Runs an extended-query message on the query pool; its answer is written (not flushed:
    /// Sync and Flush flush) when it finishes.
    private func runExtended(_ message: PGFrontendMessage, context: ChannelHandlerContext) {
        guard let session, let connection else { return }
        setBusy(true)
        let status = self.status
        let batchBytes = server.configuration.batchBytes
        let extended = self.extended
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let copyHooks = makeCopyHooks(context: context)
        server.threadPool.submit { workState in
            var result: (PGTransactionStatus, Bool, ByteBuffer)?
            if workState == .active {
                var x = PGExtendedQuery(session: session, connection: connection, state: extended, status: status, batchBytes: batchBytes,
                                        copyHooks: copyHooks)
                do {
                    try x.run(message)
                    result = (x.status, x.failed, x.take())
                } catch {
                    result = nil
                }
            }
            let final = result
            eventLoop.execute { bound.value.extendedFinished(final) }
        }
    }

    /// `result` is nil when the connection is gone.
    private func extendedFinished(_ result: (status: PGTransactionStatus, failed: Bool, output: ByteBuffer)?) {
        setBusy(false)
        guard let context = currentContext else { return }
        guard let result else {
            state = .closed
            context.close(promise: nil)
            return
        }
        status = result.status
        if result.failed { skipUntilSync = true }
        if result.output.readableBytes > 0 { context.write(wrapOutboundOut(result.output), promise: nil) }
        drainQueue(context: context)
    }

    private func drainQueue(context: ChannelHandlerContext) {
        while !busy, state != .closed, let next = queue.popFirst() {
            handle(next, context: context)
        }
        if readPaused && queue.count <= Self.maxQueuedMessages / 2 && state != .closed {
            readPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
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
}

/// What the client's next 'p' message answers while authenticating.
enum PGAuthStep {
    /// AuthenticationCleartextPassword; nil: unknown user.
    case cleartext(PGStoredPassword?)
    /// AuthenticationMD5Password with this salt; `expected` is the stored md5 hash (nil: unknown user).
    case md5(salt: [UInt8], expected: String?)
    /// AuthenticationSASL sent: waiting for SASLInitialResponse.
    case saslInitial(SCRAM.ServerExchange)
    /// AuthenticationSASLContinue sent: waiting for SASLResponse.
    case saslContinue(SCRAM.ServerExchange)
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
        if let user = parameters["user"], !user.isEmpty { session.user = user }
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
        session.adoptSettingsAsDefaults()
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
