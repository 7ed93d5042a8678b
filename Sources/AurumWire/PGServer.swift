import AurumCore
import AurumEngine
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Settings of the PostgreSQL protocol server.
public struct PGServerConfiguration: Sendable {
    /// The address to bind (`127.0.0.1` by default: loopback only).
    public var host: String
    /// The TCP port; 0 picks a free one (see `PGServer.port`).
    public var port: Int
    /// When set, clients must send this password (cleartext password authentication);
    /// when nil every client is trusted. Ignored when `authentication` is set.
    public var password: String?
    /// Event-loop threads (they only parse and write messages).
    public var eventLoopThreads: Int
    /// Threads that run statements: at most this many queries run at once; more wait.
    public var queryThreads: Int
    /// Bytes of DataRow messages collected before they are written to the socket.
    public var batchBytes: Int
    /// Users, passwords and the method; nil: derived from `password` (cleartext when set,
    /// trust when not).
    public var authentication: PGAuthentication? = nil
    /// TLS for clients that send SSLRequest; nil: SSLRequest is answered 'N'.
    public var tls: PGTLSConfiguration? = nil

    /// The authentication in force.
    public var effectiveAuthentication: PGAuthentication {
        if let authentication { return authentication }
        if let password { return PGAuthentication(method: .password, sharedPassword: password) }
        return .trust
    }

    public init(host: String = "127.0.0.1", port: Int = 5433, password: String? = nil,
                eventLoopThreads: Int = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)),
                queryThreads: Int = 64, batchBytes: Int = 64 << 10) {
        self.host = host
        self.port = port
        self.password = password
        self.eventLoopThreads = eventLoopThreads
        self.queryThreads = queryThreads
        self.batchBytes = batchBytes
    }

    /// Whether `host` is a loopback address or name (`127.x.x.x`, `::1`, `localhost`).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }
}

/// TLS settings: PEM files and which clients must use it.
public struct PGTLSConfiguration: Sendable {
    /// Which clients must use TLS.
    public enum Requirement: String, Sendable, CaseIterable {
        /// TLS is offered; plain connections are accepted too.
        case optional
        /// Clients not on a loopback address must use TLS.
        case remote
        /// Every client must use TLS.
        case all
    }
    public var certificatePath: String
    public var privateKeyPath: String
    public var require: Requirement

    /// Whether a client at `address` (an IP address; nil when unknown) must use TLS.
    public func requiresTLS(clientAddress address: String?) -> Bool {
        switch require {
        case .optional: return false
        case .all: return true
        case .remote:
            guard var a = address else { return true }
            if a.lowercased().hasPrefix("::ffff:") { a = String(a.dropFirst(7)) }
            return !PGServerConfiguration.isLoopback(a)
        }
    }

    public init(certificatePath: String, privateKeyPath: String, require: Requirement = .optional) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.require = require
    }

    /// Loads the certificate chain and the key (errors name the file).
    func makeContext() throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificatePath) } catch {
            throw PGAuthConfigError("cannot load the TLS certificate \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw PGAuthConfigError("no certificate in \(certificatePath)") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem) } catch {
            throw PGAuthConfigError("cannot load the TLS private key \(privateKeyPath): \(error)")
        }
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                         privateKey: .privateKey(key))
        c.minimumTLSVersion = .tlsv12
        do { return try NIOSSLContext(configuration: c) } catch {
            throw PGAuthConfigError("cannot use the TLS certificate \(certificatePath) with key \(privateKeyPath): \(error)")
        }
    }
}

/// Connection counters of one server (read by the HTTP metrics endpoint).
public final class PGServerStatistics: Sendable {
    let open = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let authFailures = Atomic<Int>(0)
    let tlsHandshakes = Atomic<Int>(0)

    public init() {}

    /// Open client connections.
    public var openConnections: Int { open.load(ordering: .relaxed) }
    /// Connections accepted since the server started.
    public var acceptedConnections: Int { accepted.load(ordering: .relaxed) }
    /// Failed authentication attempts (wrong password or unknown user).
    public var authenticationFailures: Int { authFailures.load(ordering: .relaxed) }
    /// Connections that switched to TLS.
    public var tlsConnections: Int { tlsHandshakes.load(ordering: .relaxed) }
}

/// What every connection of one server shares.
final class PGServerContext: Sendable {
    let engine: Engine
    let configuration: PGServerConfiguration
    let threadPool: NIOThreadPool
    let logger: Logger
    let registry = PGConnectionRegistry()
    let authentication: PGAuthentication
    let secrets: PGAuthSecrets
    let sslContext: NIOSSLContext?
    let statistics: PGServerStatistics

    init(engine: Engine, configuration: PGServerConfiguration, threadPool: NIOThreadPool, logger: Logger,
         sslContext: NIOSSLContext? = nil, statistics: PGServerStatistics = PGServerStatistics()) {
        self.engine = engine
        self.configuration = configuration
        self.threadPool = threadPool
        self.logger = logger
        self.authentication = configuration.effectiveAuthentication
        self.secrets = PGAuthSecrets(configuration.effectiveAuthentication)
        self.sslContext = sslContext
        self.statistics = statistics
    }
}

/// One client connection as the server and CancelRequest see it.
final class PGConnection: Sendable {
    let channel: Channel
    let gate = PGWritabilityGate()
    /// BackendKeyData, assigned when the connection is registered.
    let processID: Int32
    let secretKey: Int32
    /// Whether a query (or the startup work) is running on the query pool.
    let busy = Atomic<Bool>(false)
    /// Set by CancelRequest and shutdown; checked between statements and result batches.
    let cancelRequested = Atomic<Bool>(false)
    /// How often reading from the socket paused because too many pipelined messages waited.
    let readPauses = Atomic<Int>(0)
    private let session = Mutex<Session?>(nil)

    init(channel: Channel, processID: Int32, secretKey: Int32) {
        self.channel = channel
        self.processID = processID
        self.secretKey = secretKey
    }

    func attach(_ s: Session) { session.withLock { $0 = s } }

    /// Cancels the running statement, if any (also one that waits for the client to read).
    func cancel() {
        cancelRequested.store(true, ordering: .sequentiallyConsistent)
        session.withLock { $0 }?.cancel()
        gate.writable()
    }
}

/// The server's connections, by channel and by process ID (for CancelRequest).
final class PGConnectionRegistry: Sendable {
    private let state = Mutex<(byID: [Int32: PGConnection], next: Int32)>(
        ([:], Int32.random(in: 10_000...1_000_000)))

    /// Registers a new connection with a fresh process ID and random secret.
    func register(channel: Channel) -> PGConnection {
        state.withLock { s in
            var pid = s.next
            while s.byID[pid] != nil || pid <= 0 { pid = pid == Int32.max ? 10_000 : pid + 1 }
            s.next = pid == Int32.max ? 10_000 : pid + 1
            let c = PGConnection(channel: channel, processID: pid, secretKey: Int32.random(in: Int32.min...Int32.max))
            s.byID[pid] = c
            return c
        }
    }

    func remove(_ c: PGConnection) {
        state.withLock { s in
            if s.byID[c.processID] === c { s.byID[c.processID] = nil }
        }
    }

    /// The connection a CancelRequest names, when the secret matches.
    func lookup(processID: Int32, secretKey: Int32) -> PGConnection? {
        state.withLock { s in
            guard let c = s.byID[processID], c.secretKey == secretKey else { return nil }
            return c
        }
    }

    var all: [PGConnection] { state.withLock { Array($0.byID.values) } }
}

/// Lets a query thread wait until the channel can take more bytes.
final class PGWritabilityGate: Sendable {
    private let waiters = Mutex<(closed: Bool, promises: [EventLoopPromise<Void>])>((false, []))

    /// Succeeds when `channel` is writable. Call on the channel's event loop.
    func whenWritable(_ channel: Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.preconditionInEventLoop()
        if channel.isWritable { return channel.eventLoop.makeSucceededVoidFuture() }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let closed = waiters.withLock { w -> Bool in
            if !w.closed { w.promises.append(promise) }
            return w.closed
        }
        if closed { promise.fail(ChannelError.ioOnClosedChannel) }
        return promise.futureResult
    }

    /// The channel became writable (or a cancel wants the query thread to look up): wake
    /// every waiter.
    func writable() {
        let ps = waiters.withLock { w -> [EventLoopPromise<Void>] in
            defer { w.promises = [] }
            return w.promises
        }
        for p in ps { p.succeed() }
    }

    /// The channel closed: fail every waiter, now and later.
    func closed() {
        let ps = waiters.withLock { w -> [EventLoopPromise<Void>] in
            w.closed = true
            defer { w.promises = [] }
            return w.promises
        }
        for p in ps { p.fail(ChannelError.ioOnClosedChannel) }
    }
}

/// The accepted channels that have not closed yet.
final class PGChannelSet: Sendable {
    private let channels = Mutex<[ObjectIdentifier: Channel]>([:])
    func insert(_ c: Channel) { channels.withLock { $0[ObjectIdentifier(c)] = c } }
    func remove(_ id: ObjectIdentifier) { _ = channels.withLock { $0.removeValue(forKey: id) } }
    var count: Int { channels.withLock { $0.count } }
    var all: [Channel] { channels.withLock { Array($0.values) } }
}

/// Posted to every connection when the server shuts down.
struct PGServerShutdownEvent: Sendable {}

/// A PostgreSQL wire-protocol server over an `Engine`.
///
/// ```swift
/// let server = try await PGServer.start(engine: engine, configuration: .init(port: 0))
/// print(server.port)
/// await server.shutdown()
/// ```
/// The event loops only parse and write messages; statements run on a separate thread pool.
/// The engine stays owned by the caller: close it after `shutdown()`.
public final class PGServer: Sendable {
    let context: PGServerContext
    let group: MultiThreadedEventLoopGroup
    let serverChannel: Channel
    /// Every accepted channel that has not closed yet.
    let channels: PGChannelSet
    private let stopped = Atomic<Bool>(false)

    /// The bound host and port.
    public let host: String
    public let port: Int

    private init(context: PGServerContext, group: MultiThreadedEventLoopGroup, serverChannel: Channel,
                 channels: PGChannelSet) {
        self.context = context
        self.group = group
        self.serverChannel = serverChannel
        self.channels = channels
        self.host = serverChannel.localAddress?.ipAddress ?? context.configuration.host
        self.port = serverChannel.localAddress?.port ?? context.configuration.port
    }

    /// Binds and starts accepting connections.
    public static func start(engine: Engine, configuration: PGServerConfiguration = .init(),
                             logger: Logger = Logger(label: "aurum.wire")) async throws -> PGServer {
        let sslContext = try configuration.tls?.makeContext()
        let pool = NIOThreadPool(numberOfThreads: max(1, configuration.queryThreads))
        pool.start()
        let context = PGServerContext(engine: engine, configuration: configuration, threadPool: pool, logger: logger,
                                      sslContext: sslContext)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let channels = PGChannelSet()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark,
                                value: .init(low: configuration.batchBytes / 2, high: configuration.batchBytes * 2))
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                channels.insert(channel)
                channel.closeFuture.whenComplete { _ in channels.remove(id) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PGMessageDecoder()))
                    try channel.pipeline.syncOperations.addHandler(PGConnectionHandler(server: context))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            return PGServer(context: context, group: group, serverChannel: channel, channels: channels)
        } catch {
            try? await group.shutdownGracefully()
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int { channels.count }

    /// Connection counters (open, accepted, failed authentications, TLS).
    public var statistics: PGServerStatistics { context.statistics }

    /// False once `shutdown` has begun.
    public var isRunning: Bool { !stopped.load(ordering: .relaxed) }

    /// Stops accepting, lets running queries finish for `gracePeriod` (then cancels them),
    /// tells every client the server is going away (FATAL 57P01), closes the connections and
    /// stops the threads. Safe to call more than once.
    public func shutdown(gracePeriod: Duration = .seconds(5)) async {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        try? await serverChannel.close().get()
        let clock = ContinuousClock()
        func anyBusy() -> Bool { context.registry.all.contains { $0.busy.load(ordering: .sequentiallyConsistent) } }
        let deadline = clock.now + gracePeriod
        while anyBusy(), clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if anyBusy() {
            context.logger.info("cancelling running queries")
            for c in context.registry.all { c.cancel() }
            let cancelDeadline = clock.now + .seconds(2)
            while anyBusy(), clock.now < cancelDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        let open = channels.all
        for ch in open { ch.pipeline.fireUserInboundEventTriggered(PGServerShutdownEvent()) }
        let closeDeadline = clock.now + .seconds(2)
        while connectionCount > 0, clock.now < closeDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        for ch in channels.all { try? await ch.close().get() }
        try? await context.threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}
