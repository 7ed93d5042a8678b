import AurumCore
import AurumEngine
import AurumIngest
import AurumWire
import ArgumentParser
import Dispatch
import Foundation
import Logging
import Synchronization

/// `aurum serve`: serves a data directory over the PostgreSQL wire protocol until SIGINT or
/// SIGTERM, then shuts down gracefully.
struct ServeCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the data directory over the PostgreSQL wire protocol (psql, drivers, BI tools).",
        discussion: """
            Listens on 127.0.0.1:5433 by default, and serves GET /health and /metrics (Prometheus) \
            over HTTP on --http-port (8080) of the same host. Authentication is trust unless \
            passwords are configured: users in the --config file, AURUM_USERS (name:hash entries) \
            or AURUM_PASSWORD (one password for any user name); then SCRAM-SHA-256 unless \
            auth_method says otherwise. A non-loopback --host is refused without a password unless \
            --allow-remote-without-password is given. --tls-cert/--tls-key enable TLS \
            (sslmode=require). Flags override the configuration file. SIGINT/SIGTERM stop \
            accepting connections, let running queries finish (cancelling them after \
            --shutdown-timeout seconds) and exit 0. While it runs, DIR/SERVER records its address, so \
            `aurum load --data DIR` loads through it. See docs/security.md and docs/monitoring.md.
            """
    )

    /// The environment variable holding the shared server password.
    static let passwordVariable = "AURUM_PASSWORD"
    /// The environment variable listing users: `name:hash` entries separated by commas or newlines.
    static let usersVariable = "AURUM_USERS"
    static let defaultData = "./aurum-data"

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: ArgumentHelp("A YAML configuration file (see docs/security.md); flags override it.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The address to listen on (default 127.0.0.1).", valueName: "address"))
    var host: String?

    @Option(help: "The TCP port (default 5433; 0 picks a free one).")
    var port: Int?

    @Option(help: ArgumentHelp("The HTTP port for /health and /metrics (default 8080; 0 picks a free one).", valueName: "port"))
    var httpPort: Int?

    @Flag(help: "Do not serve HTTP (/health, /metrics).")
    var noHttp = false

    @Option(help: ArgumentHelp("PEM certificate (chain) for TLS; needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key for TLS.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Which clients must use TLS: optional, remote (non-loopback) or all.", valueName: "which"))
    var tlsRequire: String?

    @Option(help: ArgumentHelp("trust, password, md5 or scram-sha-256 (default: scram-sha-256 when passwords are configured, else trust).",
                               valueName: "method"))
    var authMethod: String?

    @Option(help: ArgumentHelp("Threads that run statements (default 64).", valueName: "n"))
    var queryThreads: Int?

    @Flag(help: "Load the Gold demo tables of schemas/ first (those that are missing).")
    var demo = false

    @Option(help: ArgumentHelp("With --demo: the directory holding the schema scripts.", valueName: "dir"))
    var schemas: String?

    @Flag(help: "Allow a non-loopback --host although no password is set (anyone who can reach the port gets in).")
    var allowRemoteWithoutPassword = false

    @Option(help: ArgumentHelp("Seconds running queries may take to finish at shutdown before they are cancelled (default 5).",
                               valueName: "seconds"))
    var shutdownTimeout: Double?

    /// Everything `serve` needs, from flags, the configuration file and the environment.
    struct Settings {
        var data: String
        var host: String
        var port: Int
        /// nil: HTTP disabled.
        var httpPort: Int?
        var tls: PGTLSConfiguration?
        var authentication: PGAuthentication
        var shutdownTimeout: Double
        var queryThreads: Int
    }

    /// Merges flags over the configuration file over the defaults, and checks the result.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        let file = try config.map { try ServeConfigFile.load(path: $0) } ?? ServeConfigFile()
        let host = self.host ?? file.host ?? "127.0.0.1"
        let port = self.port ?? file.port ?? 5433
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        let httpPort: Int? = noHttp ? nil : (self.httpPort ?? (file.httpPort ?? .some(8080)))
        if let p = httpPort, !(0...65535).contains(p) { throw ValidationError("--http-port must be between 0 and 65535") }
        let shutdownTimeout = self.shutdownTimeout ?? file.shutdownTimeout ?? 5
        guard shutdownTimeout >= 0 else { throw ValidationError("--shutdown-timeout must not be negative") }
        let queryThreads = self.queryThreads ?? file.queryThreads ?? 64
        guard (1...4096).contains(queryThreads) else { throw ValidationError("--query-threads must be between 1 and 4096") }
        let data = options.data != Self.defaultData ? options.data : (file.data ?? options.data)

        var tls: PGTLSConfiguration?
        let cert = tlsCert ?? file.tlsCert, key = tlsKey ?? file.tlsKey
        switch (cert, key) {
        case (nil, nil): break
        case (let c?, let k?):
            var require = PGTLSConfiguration.Requirement.optional
            if let r = tlsRequire {
                guard let v = PGTLSConfiguration.Requirement(rawValue: r) else {
                    throw ValidationError("--tls-require must be one of: optional, remote, all")
                }
                require = v
            } else if let r = file.tlsRequire { require = r }
            tls = PGTLSConfiguration(certificatePath: c, privateKeyPath: k, require: require)
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        if tls == nil, tlsRequire != nil || file.tlsRequire != nil {
            throw ValidationError("tls_require needs a certificate (--tls-cert and --tls-key)")
        }

        var users = file.users
        if let list = environment[Self.usersVariable], !list.isEmpty {
            do {
                for (name, hash) in try PGAuthentication.parseUserList(list) { users[name] = hash }
            } catch {
                throw ValidationError("\(Self.usersVariable): \(error)")
            }
        }
        let shared = environment[Self.passwordVariable].flatMap { $0.isEmpty ? nil : $0 }
        let hasPasswords = !users.isEmpty || shared != nil
        var method = hasPasswords ? PGAuthMethod.scramSHA256 : .trust
        if let m = authMethod {
            guard let v = PGAuthMethod(rawValue: m) else {
                throw ValidationError("--auth-method must be one of: \(PGAuthMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            method = v
        } else if let m = file.authMethod { method = m }
        if method != .trust && !hasPasswords {
            throw ValidationError("""
                auth_method \(method.rawValue) needs passwords: add users to the configuration file, or set \
                \(Self.usersVariable) or \(Self.passwordVariable)
                """)
        }
        let authentication = PGAuthentication(method: method, users: users, sharedPassword: shared)
        let allowRemote = allowRemoteWithoutPassword || (file.allowRemoteWithoutPassword ?? false)
        if !PGServerConfiguration.isLoopback(host) && !authentication.hasPasswords && !allowRemote {
            throw ValidationError("""
                refusing to listen on \(host): it is not a loopback address and no password is set, so anyone \
                who can reach the port could connect. Configure users (--config), set \(Self.passwordVariable), \
                or pass --allow-remote-without-password if the network is trusted.
                """)
        }
        return Settings(data: data, host: host, port: port, httpPort: httpPort, tls: tls, authentication: authentication,
                        shutdownTimeout: shutdownTimeout, queryThreads: queryThreads)
    }

    mutating func validate() throws {
        do { _ = try settings() } catch let e as ServeConfigFile.Error { throw ValidationError(e.description) }
    }

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let out = context.stdout
        let settings: Settings
        do { settings = try self.settings() } catch {
            context.stderr.write("ERROR: \(error)\n")
            return 64
        }
        let host = settings.host, port = settings.port, shutdownTimeout = settings.shutdownTimeout
        let monitor = AurumMonitor()
        var http: AurumHTTPServer?
        if let httpPort = settings.httpPort {
            do {
                http = try blocking { try await AurumHTTPServer.start(host: host, port: httpPort, monitor: monitor) }
            } catch {
                context.stderr.write("ERROR: cannot listen for HTTP on \(host):\(httpPort): \(error)\n")
                return 1
            }
        }
        defer { if let http { try? blocking { await http.shutdown() } } }
        let engine: Engine
        do {
            IngestTableFunctions.install()   // file(...) / deltaLake(...) over the wire
            engine = try Engine(directory: settings.data)
        } catch {
            context.stderr.write(ErrorReport.render(error))
            return 1
        }
        defer { engine.close() }
        if demo {
            do {
                try loadDemo(into: engine, out: out)
            } catch {
                context.stderr.write(ErrorReport.render(error))
                return 1
            }
        }

        // Signals: handled by dispatch sources, not by the default action.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let stopRequested = DispatchSemaphore(value: 0)
        let signalCount = SignalCounter()
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if signalCount.increment() == 1 {
                    stopRequested.signal()
                } else {
                    // A second signal: stop now (parts on disk are always consistent).
                    _exit(130)
                }
            }
            source.resume()
            return source
        }
        defer { for s in sources { s.cancel() } }

        monitor.attach(engine: engine)
        var configuration = PGServerConfiguration(host: host, port: port, queryThreads: settings.queryThreads)
        configuration.authentication = settings.authentication
        configuration.tls = settings.tls
        let server: PGServer
        let finalConfiguration = configuration
        do {
            server = try blocking { try await PGServer.start(engine: engine, configuration: finalConfiguration) }
        } catch {
            context.stderr.write("ERROR: cannot listen on \(host):\(port): \(error)\n")
            return 1
        }
        monitor.attach(server)
        monitor.setReady(true)
        let connectHost = PGServerConfiguration.isLoopback(host) || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        out.write("""
            Aurum \(Session.version): serving \(settings.data)
            listening on \(host):\(server.port) — connect with: psql -h \(connectHost) -p \(server.port) -U aurum default
            authentication: \(settings.authentication.method.rawValue); TLS: \(settings.tls.map { "on (\($0.require.rawValue))" } ?? "off")
            \(http.map { "HTTP: http://\(connectHost):\($0.port)/health and /metrics" } ?? "HTTP: off")

            """)
        // Where loads of this directory find the server (`aurum load --data DIR` while it runs).
        let localHost = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
        do { try ServerAddressFile.write(directory: settings.data, host: localHost, port: server.port) } catch {
            context.stderr.write("warning: \(error); aurum load --data \(settings.data) will not find this server (use --server)\n")
        }
        defer { ServerAddressFile.remove(directory: settings.data) }
        if settings.authentication.method == .password && settings.tls == nil {
            out.write("warning: auth_method password sends passwords in clear and no TLS certificate is configured\n")
        }
        out.flush()

        stopRequested.wait()
        monitor.setReady(false)
        out.write("shutting down: no new connections; waiting up to \(shutdownTimeout) s for running queries\n")
        out.flush()
        let grace = Duration.milliseconds(Int64(shutdownTimeout * 1000))
        try? blocking { await server.shutdown(gracePeriod: grace) }
        out.write("stopped\n")
        out.flush()
        return 0
    }

    /// Creates the demo tables that are missing (existing ones are kept, so a restart is quick).
    func loadDemo(into engine: Engine, out: TextOutput) throws {
        let directory = try DemoCommand.locateSchemas(explicit: schemas)
        let session = engine.makeSession()
        for table in try DemoCommand.tableScripts(in: directory) {
            if (try? session.execute("SELECT 1 FROM \(table.name) LIMIT 0")) != nil {
                out.write("demo table \(table.name): present\n")
                continue
            }
            let started = ContinuousClock.now
            _ = try session.execute(table.sql(scale: 1))
            out.write("demo table \(table.name): loaded in \(DemoCommand.seconds(ContinuousClock.now - started))\n")
            out.flush()
        }
    }
}

/// Runs async work from synchronous code (the command's thread is not part of the
/// concurrency pool, so blocking it is fine).
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        do { result.set(.success(try await body())) } catch { result.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try result.get()
}

private final class SignalCounter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}

private final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<Result<T, Error>?>(nil)
    func set(_ r: Result<T, Error>) { value.withLock { $0 = r } }
    func get() throws -> T { try value.withLock { $0! }.get() }
}
