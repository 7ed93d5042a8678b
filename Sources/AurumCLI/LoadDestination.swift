import Aurum
import AurumCore
import AurumIngest
import Dispatch
import Foundation

/// `DIR/SERVER`: where the `aurum serve` that holds data directory DIR listens, so `aurum
/// load --data DIR` and `aurum ingest --data DIR` can load through it.
///
/// Text, one `key=value` per line: `pid`, `host` (an address a local client connects to) and
/// `port`. `aurum serve` writes it (temporary file + rename) once its listener is bound and
/// removes it at a clean shutdown. A stale file (after a crash) is harmless: it is read only
/// while DIR's lock is held by another process, and ignored when its pid is not alive.
enum ServerAddressFile {
    static let name = "SERVER"

    struct Entry: Equatable {
        var pid: Int32
        var host: String
        var port: Int

        /// libpq conninfo for the server: database `default` (unqualified tables resolve there,
        /// as in-process); user and password from PGUSER/PGPASSWORD (or the OS user, ~/.pgpass).
        var conninfo: String { "host='\(host)' port=\(port) dbname=default" }
    }

    static func path(_ directory: String) -> String { directory + "/" + name }

    static func write(directory: String, host: String, port: Int) throws {
        let text = "pid=\(getpid())\nhost=\(host)\nport=\(port)\n"
        let tmp = path(directory) + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)), rename(tmp, path(directory)) == 0 else {
            unlink(tmp)
            throw AurumError(.ioError, "cannot write \(path(directory)): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the file if this process wrote it.
    static func remove(directory: String) {
        if read(directory: directory, requireAlive: false)?.pid == getpid() { unlink(path(directory)) }
    }

    /// The entry, or nil when the file is missing, malformed or names a process that is gone.
    static func read(directory: String, requireAlive: Bool = true) -> Entry? {
        guard let text = try? String(contentsOfFile: path(directory), encoding: .utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }), pid > 0, let host = fields["host"], !host.isEmpty, !host.contains("'"),
              let port = fields["port"].flatMap({ Int($0) }), (1...65535).contains(port) else { return nil }
        if requireAlive && kill(pid, 0) != 0 && errno != EPERM { return nil }
        return Entry(pid: pid, host: host, port: port)
    }
}

/// Where `aurum load` / `aurum ingest` write: the data directory opened in-process, or a
/// running server (`--server URL`, or the `aurum serve` that holds `--data DIR`).
enum LoadDestination {
    case local(Database)
    case server(ServerLoadTarget)

    /// `server` when given; else opens `data`, and when another process holds it and that
    /// process is a server that recorded its address (`ServerAddressFile`), connects to it and
    /// writes a one-line note to `note`. A directory held by anything else is the usual error.
    static func open(data: String, server: String?, note: TextOutput) throws -> LoadDestination {
        if let server { return .server(try ServerLoadTarget(url: server)) }
        do {
            return .local(try Database.open(at: data))
        } catch var e as AurumError where e.message.contains("is in use") {
            guard let entry = ServerAddressFile.read(directory: data) else {
                e.hint = "no server address is recorded in \(ServerAddressFile.path(data)) (aurum query or an embedded program holds it?); "
                    + "to load through the server that serves it: --server postgresql://user@host:port/default (docs/load.md)"
                throw e
            }
            note.write("note: \(data) is served by aurum serve (pid \(entry.pid)); loading through it at \(entry.host):\(entry.port)\n")
            note.flush()
            do { return .server(try ServerLoadTarget(url: entry.conninfo)) } catch var e as AurumError where e.code.code == "08001" {
                e.hint = "\(ServerAddressFile.path(data)) names pid \(entry.pid) at \(entry.host):\(entry.port) but no server answers there; "
                    + "if the process holding \(data) is not a server, that file is stale: remove it"
                throw e
            }
        }
    }

    func load(_ request: LoadRequest, progress: ((LoadProgress) -> Void)?) throws -> LoadSummary {
        switch self {
        case .local(let db): return try db.load(request, progress: progress)
        case .server(let target): return try Loader.run(request, target: target, progress: progress)
        }
    }

    /// Runs `body` with SIGINT/SIGTERM cancelling a server load cleanly: the first signal makes
    /// the load stop at its next step, abort its COPY and drop its staging table (on the
    /// server, which would otherwise keep it); a second one exits at once. In-process loads
    /// keep the default action: their unpublished parts are never visible.
    func cancellable<T>(_ body: () throws -> T) rethrows -> T {
        guard case .server(let target) = self else { return try body() }
        let cancellation = target.cancellation
        let signals = [SIGINT, SIGTERM]
        for s in signals { signal(s, SIG_IGN) }
        let sources = signals.map { sig -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if cancellation.isCancelled { _exit(130) }
                cancellation.cancel()
                FileHandle.standardError.write(Data("\ncancelling: the load is rolled back on the server (press Ctrl-C again to quit at once)\n".utf8))
            }
            source.resume()
            return source
        }
        defer {
            for s in sources { s.cancel() }
            for s in signals { signal(s, SIG_DFL) }
        }
        return try body()
    }

    func close() {
        if case .local(let db) = self { db.close() }
    }
}
