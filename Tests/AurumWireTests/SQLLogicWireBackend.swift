// SQL-file tests over the PostgreSQL wire protocol: a `SQLLogicBackend` that runs every record
// through libpq against an in-process `PGServer` on loopback (see docs/testing.md).
//
// - One statement goes through the extended protocol (`PQexecParams` without parameters, text
//   results: Parse/Bind/Describe/Execute/Sync); several `;`-separated statements through the
//   simple protocol (`PQexec`, one Query message), whose last result is kept — as
//   `Connection.execute` does embedded.
// - Results come back as text plus type OIDs (and typmods). Where PostgreSQL's text differs from
//   `Value.description` for a legitimate reason, the value is converted by OID so the same
//   expectations hold on both paths: bool `t`/`f` -> `true`/`false`; float4/float8 reformatted
//   (PostgreSQL switches to exponent form earlier, float4 prints float4 digits); timestamp(p)
//   fractions padded to p digits (PostgreSQL trims trailing zeros).
// - Errors carry the SQLSTATE (PG_DIAG_SQLSTATE) and the primary message.
// - `restart()` stops the server, closes the engine, reopens it on the same directory, starts
//   a new server and reconnects.
//
// The runner is synchronous; starting and stopping the server is async. The backend must
// therefore run on a thread of its own (`SQLLogicWireTests` uses a dedicated `Thread`), never
// on a Swift concurrency thread: it blocks while a task does the async work.

import Aurum
import AurumCore
import AurumEngine
import AurumSQL
import AurumTestSupport
import AurumWire
import CLibpq
import Dispatch
import Foundation
import Synchronization

final class SQLLogicWireBackend: SQLLogicBackend {
    let directory: String
    let options: EngineOptions
    private var engine: Engine?
    private var server: PGServer?
    private var conn: OpaquePointer?

    init(directory: String, options: Aurum.DatabaseOptions) throws {
        self.directory = directory
        self.options = EngineOptions(
            threads: options.threads, queryMemoryLimit: options.queryMemoryLimit,
            backgroundMerges: options.backgroundMerges, fsync: options.fsync)
        try open()
    }

    deinit { close() }

    private func open() throws {
        let engine: Engine
        do {
            engine = try Engine(directory: directory, options: options)
        } catch {
            throw Self.translate(error)
        }
        self.engine = engine
        let configuration = PGServerConfiguration(host: "127.0.0.1", port: 0, eventLoopThreads: 1, queryThreads: 2)
        let server = try Self.blocking { try await PGServer.start(engine: engine, configuration: configuration) }
        self.server = server
        guard let c = PQconnectdb("host=127.0.0.1 port=\(server.port) user=aurum dbname=default sslmode=disable connect_timeout=10") else {
            throw SQLLogicBackendError(sqlState: "08001", message: "PQconnectdb returned nil")
        }
        conn = c
        guard PQstatus(c) == CONNECTION_OK else {
            throw SQLLogicBackendError(sqlState: "08001", message: "connect: " + String(cString: PQerrorMessage(c)))
        }
    }

    func execute(_ sql: String) throws -> SQLLogicResult {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw SQLLogicBackendError(sqlState: "08003", message: "not connected")
        }
        // One statement: extended protocol. Several (or a parse error, which the server then
        // reports): one statement at a time is what Parse accepts, so use a simple Query.
        let statements = (try? Parser.parse(sql).count) ?? 1
        let result: OpaquePointer? =
            statements > 1 ? PQexec(conn, sql) : PQexecParams(conn, sql, 0, nil, nil, nil, nil, 0)
        guard let result else {
            throw SQLLogicBackendError(sqlState: "08006", message: "no result: " + String(cString: PQerrorMessage(conn)))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return Self.convert(result)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return SQLLogicResult(typeLetters: "", rows: [])
        case PGRES_COPY_OUT:
            // not issued by the SQL files (COPY ... TO STDOUT needs a client); drain and report
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(conn, &buffer, 0) > 0 { PQfreemem(buffer) }
            while let r = PQgetResult(conn) { PQclear(r) }
            throw SQLLogicBackendError(sqlState: "?????", message: "COPY TO STDOUT is not supported by the SQL-file runner")
        case PGRES_COPY_IN:
            _ = PQputCopyEnd(conn, "COPY FROM STDIN is not supported by the SQL-file runner")
            while let r = PQgetResult(conn) { PQclear(r) }
            throw SQLLogicBackendError(sqlState: "?????", message: "COPY FROM STDIN is not supported by the SQL-file runner")
        default:
            throw Self.error(result, conn)
        }
    }

    func restart() throws {
        close()
        try open()
    }

    func close() {
        if let conn { PQfinish(conn) }
        conn = nil
        if let server {
            _ = try? Self.blocking { await server.shutdown(gracePeriod: .seconds(2)) }
        }
        server = nil
        engine?.close()
        engine = nil
    }

    // MARK: results

    static func error(_ result: OpaquePointer, _ conn: OpaquePointer) -> SQLLogicBackendError {
        func field(_ code: Character) -> String? {
            guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let message = field("M") ?? String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
        return SQLLogicBackendError(sqlState: field("C") ?? "?????", message: message)
    }

    static func convert(_ result: OpaquePointer) -> SQLLogicResult {
        let columns = Int(PQnfields(result))
        let oids = (0..<columns).map { UInt32(PQftype(result, Int32($0))) }
        let mods = (0..<columns).map { Int(PQfmod(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(PQntuples(result)))
        for r in 0..<PQntuples(result) {
            var row: [String?] = []
            row.reserveCapacity(columns)
            for c in 0..<columns {
                if PQgetisnull(result, r, Int32(c)) != 0 { row.append(nil); continue }
                let text = String(cString: PQgetvalue(result, r, Int32(c)))
                row.append(embeddedText(text, oid: oids[c], typmod: mods[c]))
            }
            rows.append(row)
        }
        return SQLLogicResult(typeLetters: String(oids.map(letter)), rows: rows)
    }

    /// The embedded API's text (`Value.description`) for a value PostgreSQL printed as `text`.
    static func embeddedText(_ text: String, oid: UInt32, typmod: Int) -> String {
        switch oid {
        case PGTypes.boolOID:
            switch text {
            case "t": return "true"
            case "f": return "false"
            default: return text
            }
        case PGTypes.float4OID:
            guard let f = Float(text) else { return text }
            return Value.formatDouble(Double(f))
        case PGTypes.float8OID:
            guard let d = Double(text) else { return text }
            return Value.formatDouble(d)
        case PGTypes.timestampOID:
            // timestamp(p): PostgreSQL drops trailing zeros of the fraction; Aurum prints p digits
            guard typmod > 0 else { return text }
            return padFraction(text, to: typmod)
        default:
            return text
        }
    }

    /// `YYYY-MM-DD HH:MM:SS[.f...]` with the fraction padded with zeros to `digits` digits.
    static func padFraction(_ text: String, to digits: Int) -> String {
        guard let space = text.firstIndex(of: " ") else { return text }
        let time = text[text.index(after: space)...]
        guard time.count >= 8 else { return text }
        let end = time.firstIndex(of: " ") ?? time.endIndex  // " BC"
        let clock = time[..<end]
        let suffix = time[end...]
        var fraction = ""
        var whole = clock
        if let dot = clock.firstIndex(of: ".") {
            fraction = String(clock[clock.index(after: dot)...])
            whole = clock[..<dot]
        }
        guard fraction.count <= digits else { return text }
        fraction += String(repeating: "0", count: digits - fraction.count)
        return text[..<space] + " " + whole + "." + fraction + suffix
    }

    /// The sqllogictest letter of a result column's type OID.
    static func letter(_ oid: UInt32) -> Character {
        switch oid {
        case PGTypes.boolOID: return "B"
        case PGTypes.int2OID, PGTypes.int4OID, PGTypes.int8OID, PGTypes.oidOID: return "I"
        case PGTypes.float4OID, PGTypes.float8OID, PGTypes.numericOID: return "R"
        case PGTypes.dateOID, PGTypes.timestampOID, PGTypes.timestamptzOID, PGTypes.timeOID: return "D"
        default: return "T"
        }
    }

    static func translate(_ error: any Error) -> SQLLogicBackendError {
        if let e = error as? SQLLogicBackendError { return e }
        if let e = error as? AurumError { return SQLLogicBackendError(sqlState: e.code.code, message: e.message) }
        return SQLLogicBackendError(sqlState: "?????", message: "\(error)")
    }

    // MARK: async bridge

    /// Runs `body` in a task and waits for it. Call only from a thread that is not part of the
    /// Swift concurrency pool (the task needs one of those threads to run).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            box.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}
