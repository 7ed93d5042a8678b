import AurumCore
import AurumEngine
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
            Listens on 127.0.0.1:5433 by default. Authentication is trust, unless the environment \
            variable AURUM_PASSWORD is set (then clients must send that password, cleartext). A \
            non-loopback --host is refused without a password unless \
            --allow-remote-without-password is given. SIGINT/SIGTERM stop accepting connections, \
            let running queries finish (cancelling them after --shutdown-timeout seconds) and exit 0.
            """
    )

    /// The environment variable holding the server password.
    static let passwordVariable = "AURUM_PASSWORD"

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "address"))
    var host: String = "127.0.0.1"

    @Option(help: "The TCP port (0 picks a free one).")
    var port: Int = 5433

    @Flag(help: "Load the Gold demo tables of schemas/ first (those that are missing).")
    var demo = false

    @Option(help: ArgumentHelp("With --demo: the directory holding the schema scripts.", valueName: "dir"))
    var schemas: String?

    @Flag(help: "Allow a non-loopback --host although no password is set (anyone who can reach the port gets in).")
    var allowRemoteWithoutPassword = false

    @Option(help: ArgumentHelp("Seconds running queries may take to finish at shutdown before they are cancelled.",
                               valueName: "seconds"))
    var shutdownTimeout: Double = 5

    var password: String? {
        guard let p = ProcessInfo.processInfo.environment[Self.passwordVariable], !p.isEmpty else { return nil }
        return p
    }

    mutating func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard shutdownTimeout >= 0 else { throw ValidationError("--shutdown-timeout must not be negative") }
        if !PGServerConfiguration.isLoopback(host) && password == nil && !allowRemoteWithoutPassword {
            throw ValidationError("""
                refusing to listen on \(host): it is not a loopback address and no password is set, so anyone \
                who can reach the port could connect. Set \(Self.passwordVariable), or pass \
                --allow-remote-without-password if the network is trusted.
                """)
        }
    }

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let out = context.stdout
        let engine: Engine
        do {
            engine = try Engine(directory: options.data)
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

        let configuration = PGServerConfiguration(host: host, port: port, password: password)
        let server: PGServer
        do {
            server = try blocking { try await PGServer.start(engine: engine, configuration: configuration) }
        } catch {
            context.stderr.write("ERROR: cannot listen on \(host):\(port): \(error)\n")
            return 1
        }
        let connectHost = PGServerConfiguration.isLoopback(host) || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        out.write("""
            Aurum \(Session.version): serving \(options.data)
            listening on \(host):\(server.port) — connect with: psql -h \(connectHost) -p \(server.port) -U aurum default

            """)
        out.flush()

        stopRequested.wait()
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
