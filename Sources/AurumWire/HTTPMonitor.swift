import AurumCore
import AurumEngine
import AurumStorage
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What the HTTP endpoints report: readiness and the Prometheus metrics of an engine and
/// (once attached) its PostgreSQL server.
public final class AurumMonitor: Sendable {
    private let engine = Mutex<Engine?>(nil)
    private let server = Mutex<PGServer?>(nil)
    private let ready = Atomic<Bool>(false)

    /// A monitor with nothing attached yet: not ready, connection and engine metrics absent.
    public init() {}

    /// The engine whose statements, scans and tables are reported.
    public func attach(engine e: Engine) { engine.withLock { $0 = e } }

    /// The PostgreSQL server whose connections are reported; readiness follows it.
    public func attach(_ s: PGServer) { server.withLock { $0 = s } }

    /// Ready: accepting and serving connections. Set after start-up, cleared at shutdown.
    public func setReady(_ r: Bool) { ready.store(r, ordering: .sequentiallyConsistent) }

    public var isReady: Bool {
        guard ready.load(ordering: .sequentiallyConsistent), let s = server.withLock({ $0 }) else { return false }
        return s.isRunning
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    public func renderMetrics() -> String {
        var out = PrometheusText()
        out.family("aurum_ready", "gauge", "1 when the server accepts and serves connections, else 0.")
        out.sample("aurum_ready", value: isReady ? 1 : 0)

        let wire = server.withLock { $0 }?.statistics
        out.family("aurum_connections", "gauge", "Open PostgreSQL client connections.")
        out.sample("aurum_connections", value: wire?.openConnections ?? 0)
        out.family("aurum_connections_total", "counter", "PostgreSQL client connections accepted since start.")
        out.sample("aurum_connections_total", value: wire?.acceptedConnections ?? 0)
        out.family("aurum_authentication_failures_total", "counter", "Failed password authentications (wrong password or unknown user).")
        out.sample("aurum_authentication_failures_total", value: wire?.authenticationFailures ?? 0)
        out.family("aurum_tls_connections_total", "counter", "Connections that switched to TLS after SSLRequest.")
        out.sample("aurum_tls_connections_total", value: wire?.tlsConnections ?? 0)

        guard let engine = engine.withLock({ $0 }) else { return out.text }
        let s = engine.statistics.snapshot
        out.family("aurum_queries_total", "counter", "Statements executed, by outcome (ok, error, canceled).")
        for o in EngineStatistics.Outcome.allCases {
            out.sample("aurum_queries_total", labels: [("outcome", o.rawValue)], value: s.statements[o] ?? 0)
        }
        out.family("aurum_query_duration_seconds", "histogram", "Statement execution time in seconds.")
        for (i, bound) in EngineStatistics.latencyBuckets.enumerated() {
            out.sample("aurum_query_duration_seconds_bucket", labels: [("le", PrometheusText.number(bound))],
                       value: s.latencyCumulative[i])
        }
        let count = s.latencyCumulative.last ?? 0
        out.sample("aurum_query_duration_seconds_bucket", labels: [("le", "+Inf")], value: count)
        out.sample("aurum_query_duration_seconds_sum", text: PrometheusText.number(s.latencySum))
        out.sample("aurum_query_duration_seconds_count", value: count)
        out.family("aurum_rows_read_total", "counter", "Rows read by table scans (after granule pruning, before filters).")
        out.sample("aurum_rows_read_total", value: s.rowsRead)
        out.family("aurum_bytes_read_total", "counter", "Uncompressed bytes of the columns table scans read (estimated per part).")
        out.sample("aurum_bytes_read_total", value: s.bytesRead)

        let tables = engine.tableStatistics()
        out.family("aurum_table_parts", "gauge", "Active data parts per table.")
        for t in tables { out.sample("aurum_table_parts", labels: [("database", t.database), ("table", t.table)], value: t.parts) }
        out.family("aurum_table_rows", "gauge", "Rows per table (all active parts, before FINAL deduplication).")
        for t in tables { out.sample("aurum_table_rows", labels: [("database", t.database), ("table", t.table)], value: t.rows) }
        out.family("aurum_table_bytes", "gauge", "Compressed bytes on disk per table.")
        for t in tables { out.sample("aurum_table_bytes", labels: [("database", t.database), ("table", t.table)], value: t.bytesOnDisk) }

        let m = StorageStatistics.shared
        out.family("aurum_merges_total", "counter", "Part merges committed (background and OPTIMIZE).")
        out.sample("aurum_merges_total", value: m.mergesCompleted)
        out.family("aurum_merges_running", "gauge", "Part merges in progress.")
        out.sample("aurum_merges_running", value: m.mergesRunning)
        out.family("aurum_merged_rows_total", "counter", "Rows written by committed merges.")
        out.sample("aurum_merged_rows_total", value: m.rowsMerged)
        return out.text
    }
}

/// Builds Prometheus text exposition.
struct PrometheusText {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], value: Int) {
        sample(name, labels: labels, text: String(value))
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], text value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    static func escape(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.append(ch)
            }
        }
        return o
    }

    static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }
}

/// The HTTP endpoint: `GET /health` (200 `ready` / 503 `not ready`) and `GET /metrics`.
public final class AurumHTTPServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    public let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.group = group
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` (port 0 picks a free one) and serves `monitor`.
    public static func start(host: String, port: Int, monitor: AurumMonitor) async throws -> AurumHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPMonitorHandler(monitor: monitor))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return AurumHTTPServer(group: group, channel: channel)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    public func shutdown() async {
        try? await channel.close().get()
        try? await group.shutdownGracefully()
    }
}

/// Answers one request per connection (then closes it).
final class HTTPMonitorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let monitor: AurumMonitor
    private var head: HTTPRequestHead?

    init(monitor: AurumMonitor) { self.monitor = monitor }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        var status = HTTPResponseStatus.ok
        var body = ""
        var contentType = "text/plain; charset=utf-8"
        var allow: String?
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = "method not allowed\n"
            allow = "GET, HEAD"
        } else {
            switch path {
            case "/health":
                if monitor.isReady { body = "ready\n" } else { status = .serviceUnavailable; body = "not ready\n" }
            case "/metrics":
                body = monitor.renderMetrics()
                contentType = "text/plain; version=0.0.4; charset=utf-8"
            default:
                status = .notFound
                body = "not found: try /health or /metrics\n"
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        if let allow { headers.add(name: "Allow", value: allow) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            var b = context.channel.allocator.buffer(capacity: body.utf8.count)
            b.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(b))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
