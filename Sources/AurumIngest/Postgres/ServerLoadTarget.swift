import AurumCore
import AurumEngine
import CLibpq
import Foundation
import Synchronization

/// A load into a running Aurum server, over the PostgreSQL protocol with libpq (`aurum load
/// --server URL`, or `--data DIR` while `aurum serve` holds DIR).
///
/// The client reads and parses the input and casts each block to the table's column types
/// (so bad values are rejected or reported here, as in-process); rows go to the server as
/// `COPY db.t (cols) FROM STDIN` in text format (`CopyText`), in CopyData messages of about
/// 1 MiB. The server's COPY is atomic: its rows appear at CopyDone, or never. Server errors
/// keep their SQLSTATE, detail, hint and context.
///
/// One connection, used from one thread; closed on deinit. `cancel()` may be called from any
/// thread (e.g. on SIGINT).
public final class ServerLoadTarget: LoadTarget {
    let conn: OpaquePointer
    /// `host:port` of the server, for messages.
    public let address: String
    /// Cancels this load from any thread (see `cancel()`).
    public let cancellation = Cancellation()

    /// A flag set from another thread (a signal handler) to cancel the load.
    public final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        public func cancel() { flag.store(true, ordering: .relaxed) }
        public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    }

    /// Stops the load at its next step (block, chunk or statement) with 57014, so the Loader
    /// aborts the COPY (the server discards its rows) and drops its staging table: cleanup
    /// statements (`DROP ...`) still run. A statement already running on the server finishes.
    /// Thread-safe.
    public func cancel() { cancellation.cancel() }

    func checkCancelled() throws {
        if cancellation.isCancelled { throw AurumError(.queryCanceled, "the load was cancelled; nothing was committed") }
    }

    /// Connects with a `postgresql://user:password@host:port/db` URL or a `key=value`
    /// conninfo; what it leaves out comes from the PG* environment variables (PGHOST, PGPORT,
    /// PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, ...) and ~/.pgpass, as for psql. A refused
    /// connection is 08001, a rejected or missing password 28P01 (libpq's message; the
    /// password is never echoed).
    public init(url: String) throws {
        let keys = ["dbname", "fallback_application_name"], values = [url, "aurum load"]
        let c: OpaquePointer? = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let c else { throw AurumError(.init("08001"), "could not allocate a libpq connection") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            let needsPassword = PQconnectionNeedsPassword(c) != 0
            PQfinish(c)
            if needsPassword || message.contains("authentication failed") {
                throw AurumError(.invalidPassword, "could not connect to the Aurum server: \(message)",
                                 hint: "give the password in the URL (postgresql://user:password@host:port/db) or in PGPASSWORD")
            }
            throw AurumError(.init("08001"), "could not connect to the Aurum server: \(message)",
                             hint: "is `aurum serve` running there? (--server URL, or the PG* environment variables)")
        }
        conn = c
        let host: String? = PQhost(c).map { String(cString: $0) }, port: String? = PQport(c).map { String(cString: $0) }
        address = (host ?? "?") + ":" + (port ?? "?")
    }

    deinit { PQfinish(conn) }

    var lastError: String { String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines) }

    /// An error result from the server as an AurumError with its SQLSTATE and fields.
    func serverError(_ r: OpaquePointer?) -> AurumError {
        func field(_ code: Character) -> String? {
            guard let r, let p = PQresultErrorField(r, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let code = field("C") ?? (PQstatus(conn) == CONNECTION_OK ? "XX000" : "08006")
        let message = field("M") ?? (lastError.isEmpty ? "the server reported an error" : lastError)
        var e = AurumError(SQLState(code), message, detail: field("D"), hint: field("H"))
        e.context = field("W")
        return e
    }

    /// Runs `sql`; the result (caller clears it) or the server's error.
    func run(_ sql: String, expect: ExecStatusType) throws -> OpaquePointer {
        if !sql.hasPrefix("DROP ") { try checkCancelled() }
        guard let r = PQexec(conn, sql) else { throw AurumError(.init("08006"), "the connection to the server failed: \(lastError)") }
        guard PQresultStatus(r) == expect else {
            let e = serverError(r)
            PQclear(r)
            throw e
        }
        return r
    }

    public func currentDatabaseName() throws -> String {
        try queryValue("SELECT currentDatabase()") ?? "default"
    }

    @discardableResult public func execute(_ sql: String) throws -> Int {
        let r = try run(sql, expect: PGRES_COMMAND_OK)
        defer { PQclear(r) }
        return Int(String(cString: PQcmdTuples(r))) ?? 0
    }

    public func queryValue(_ sql: String) throws -> String? {
        let r = try run(sql, expect: PGRES_TUPLES_OK)
        defer { PQclear(r) }
        guard PQntuples(r) > 0, PQnfields(r) > 0, PQgetisnull(r, 0, 0) == 0 else { return nil }
        return String(cString: PQgetvalue(r, 0, 0))
    }

    /// From system.columns: names and type names (parsed as file()'s structure types are).
    public func tableColumns(db: String, name: String) throws -> [SourceColumn] {
        let r = try run("SELECT name, type FROM system.columns WHERE database = \(Loader.literal(db)) AND table = \(Loader.literal(name)) ORDER BY position",
                        expect: PGRES_TUPLES_OK)
        defer { PQclear(r) }
        let n = Int(PQntuples(r))
        guard n > 0 else { throw AurumError(.undefinedTable, "table \(db).\(name) does not exist on the server \(address)") }
        return try (0..<n).map { i in
            let column = String(cString: PQgetvalue(r, Int32(i), 0)), type = String(cString: PQgetvalue(r, Int32(i), 1))
            do { return SourceColumn(name: column, type: try IngestTableFunctions.parseType(type)) } catch {
                throw AurumError(.featureNotSupported, "column \(column) of \(db).\(name) has a type this client does not know: \(type)",
                                 hint: "use an aurum client of the server's version")
            }
        }
    }

    public func beginAppend(db: String, name: String, columns: [String]?) throws -> LoadBlockSink {
        let all = try tableColumns(db: db, name: name)
        let targets = try (columns ?? all.map(\.name)).map { c -> SourceColumn in
            guard let t = Loader.matchColumn(c, in: all.map(\.name)), let column = all.first(where: { $0.name == t }) else {
                throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(name)\" does not exist")
            }
            return column
        }
        return ServerBlockSink(copy: try openCopy(db: db, name: name, columns: targets.map(\.name)), columns: targets)
    }

    public func beginCopyText(db: String, name: String, columns: [String]) throws -> LoadTextSink {
        try openCopy(db: db, name: name, columns: columns)
    }

    func openCopy(db: String, name: String, columns: [String]) throws -> ServerCopyIn {
        let r = try run(Loader.copyStatement(db: db, name: name, columns: columns), expect: PGRES_COPY_IN)
        PQclear(r)
        return ServerCopyIn(target: self)
    }
}

/// `COPY ... FROM STDIN` in progress on a server connection: data is buffered and sent in
/// CopyData messages of `ServerCopyIn.messageBytes`; `finish()` sends CopyDone and reads the
/// server's verdict, `abort()` sends CopyFail (the server then discards every row).
final class ServerCopyIn: LoadTextSink {
    static let messageBytes = 1 << 20
    let target: ServerLoadTarget
    private var buffer: [UInt8] = []
    private var done = false

    init(target: ServerLoadTarget) {
        self.target = target
        buffer.reserveCapacity(Self.messageBytes + (Self.messageBytes >> 2))
    }

    func feed(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        try sendFull()
    }

    /// Encodes `block` (already of the target types) as COPY text rows and sends what fills
    /// whole messages.
    func append(_ block: Block) throws {
        CopyText.append(block, to: &buffer)
        try sendFull()
    }

    private func sendFull() throws {
        guard !done else { throw AurumError(.objectNotInPrerequisiteState, "COPY already finished") }
        try target.checkCancelled()
        guard buffer.count >= Self.messageBytes else { return }
        try send(all: false)
    }

    /// Sends whole messages from the buffer (all of it when `all`), keeping the rest.
    private func send(all: Bool) throws {
        var start = 0
        let end = buffer.count
        try buffer.withUnsafeBufferPointer { p in
            while end - start >= Self.messageBytes || (all && start < end) {
                let n = min(Self.messageBytes, end - start)
                let ok = p.baseAddress!.advanced(by: start).withMemoryRebound(to: CChar.self, capacity: n) {
                    PQputCopyData(target.conn, $0, Int32(n))
                }
                guard ok == 1 else { throw failure("sending COPY data to the server") }
                start += n
            }
        }
        buffer.removeFirst(start)
    }

    func finish() throws -> Int {
        guard !done else { throw AurumError(.objectNotInPrerequisiteState, "COPY already finished") }
        do {
            try target.checkCancelled()
            try send(all: true)
        } catch {
            abort()
            throw error
        }
        done = true
        guard PQputCopyEnd(target.conn, nil) == 1 else { throw failure("ending COPY on the server") }
        return try result()
    }

    /// After PQputCopyData/PQputCopyEnd failed: the server's error when it ended the COPY
    /// itself (a row it refused: its SQLSTATE and context), else a connection error (08006).
    /// Reads the remaining results, so the connection can run the cleanup statements.
    private func failure(_ what: String) -> AurumError {
        done = true
        buffer = []
        var found: AurumError?
        while let r = PQgetResult(target.conn) {
            let status = PQresultStatus(r)
            if found == nil && status == PGRES_FATAL_ERROR { found = target.serverError(r) }
            PQclear(r)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { break }
        }
        return found ?? AurumError(.init("08006"), "\(what) failed: \(target.lastError)")
    }

    func abort() {
        guard !done else { return }
        done = true
        buffer = []
        if PQputCopyEnd(target.conn, "aurum load aborted") == 1 { _ = try? result() }
    }

    /// The COPY's result: the row count from its command tag, or the server's error; then
    /// reads up to the end of the command so the connection is ready for the next statement.
    private func result() throws -> Int {
        var outcome: Result<Int, Error> = .failure(AurumError(.init("08006"), "no result for COPY from the server: \(target.lastError)"))
        var first = true
        while let r = PQgetResult(target.conn) {
            defer { PQclear(r) }
            guard first else { continue }
            first = false
            if PQresultStatus(r) == PGRES_COMMAND_OK {
                outcome = .success(Int(String(cString: PQcmdTuples(r))) ?? 0)
            } else {
                outcome = .failure(target.serverError(r))
            }
        }
        return try outcome.get()
    }
}

/// Blocks to a server COPY: cast locally to the table's types (`BulkInsert.cast`, the same
/// errors as in-process), then encoded as COPY text.
final class ServerBlockSink: LoadBlockSink {
    let copy: ServerCopyIn
    let columns: [SourceColumn]
    private(set) var rowCount = 0

    init(copy: ServerCopyIn, columns: [SourceColumn]) {
        self.copy = copy
        self.columns = columns
    }

    func append(_ block: Block) throws {
        guard block.columns.count == columns.count else {
            throw AurumError(.internalError, "server load: \(block.columns.count) columns appended, \(columns.count) expected")
        }
        if block.count == 0 { return }
        do {
            try copy.append(try BulkInsert.cast(block, to: columns))
            rowCount += block.count
        } catch {
            copy.abort()
            throw error
        }
    }

    func finish() throws -> Int { try copy.finish() }
    func abort() { copy.abort() }
}

/// Calls `body` with a NULL-terminated array of C strings (valid only inside `body`).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for p in copies { free(p) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
