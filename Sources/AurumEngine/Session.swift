import AurumCore
import AurumSQL
import AurumStorage
import Foundation
import Synchronization

/// What the binder needs from a session.
protocol SessionContext: AnyObject {
    var catalog: Catalog { get }
    var currentDatabase: String { get }
    var user: String { get }
    var settings: [String: String] { get }
    func run(_ plan: Plan) throws -> [Block]
}

/// A session: current database, settings, the running query's context (for cancel).
/// Statements on one session are serialised.
public final class Session: @unchecked Sendable, SessionContext {
    public static let version = "0.1.0"
    static let versionString = "PostgreSQL 15.0 (Aurum \(version)) on x86_64-linux, compiled by Swift 6"

    let engine: Engine
    let lock = NSLock()
    let current = Mutex<QueryContext?>(nil)
    var currentDatabase = "default"
    /// The database unqualified names resolve in (`USE db`).
    public var currentDatabaseName: String { lock.withLock { currentDatabase } }
    /// The user name current_user and session_user report (the wire server sets the authenticated one).
    public var user = "aurum"
    var settings: [String: String] = [:]
    /// Named prepared statements (SQL PREPARE and protocol Parse share them) and SQL cursors.
    var preparedStatements: [String: PreparedStatement] = [:]
    var cursors: [String: ResultCursor] = [:]
    /// The process ID the wire server reported in BackendKeyData (pg_backend_pid()).
    public var backendPID: Int32 = 0
    var catalog: Catalog { engine.catalog }
    /// Whether a transaction block (BEGIN ... COMMIT/ROLLBACK) is open: SET LOCAL values
    /// last until it ends.
    private var inTransaction = false
    /// The savepoints of the open transaction block, oldest first (names may repeat).
    private var savepoints: [String] = []
    /// Values to restore at the end of the transaction block (nil: was not set).
    private var localSaved: [String: String?] = [:]
    /// Reported settings (ParameterStatus) changed since `takeReportedChanges()`.
    private var reportedChanged: [String] = []
    /// The values last reported to the client (only changes are reported again).
    private var lastReported: [String: String] = [:]
    /// What RESET goes back to besides the built-in defaults: the settings the connection
    /// started with (see `adoptSettingsAsDefaults`).
    private var sessionDefaults: [String: String] = [:]
    /// The COPY data channel of the statement being executed, if any.
    private var copyIO: CopyIO?
    /// Called (from any thread) when the running statement is cancelled or times out.
    private let wakeHook = Mutex<(@Sendable () -> Void)?>(nil)

    /// This session's row of pg_stat_activity.
    let activity = SessionActivity()
    var isInTransactionBlock: Bool { inTransaction }

    init(engine: Engine) {
        self.engine = engine
        engine.sessions.add(activity)
    }

    deinit { engine.sessions.remove(activity) }

    /// Fires statement timeouts. A serial queue of its own (overcommitting): the global
    /// queues can be saturated by the query workers themselves (concurrentPerform).
    static let timeoutQueue = DispatchQueue(label: "aurum.statement-timeout")

    static func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Parses and runs `sql` (one or more `;`-separated statements). Stops at the first error.
    ///
    /// `copy` is the client's data channel for `COPY ... FROM STDIN / TO STDOUT`; without it,
    /// COPY fails with 0A000.
    public func execute(_ sql: String, parameters: [Value] = [], copy: CopyIO? = nil) throws -> [StatementResult] {
        lock.lock()
        defer { lock.unlock() }
        copyIO = copy
        wakeHook.withLock { $0 = copy.map { io in { @Sendable in io.wake() } } }
        defer {
            copyIO = nil
            wakeHook.withLock { $0 = nil }
        }
        let stmts = try Session.attributing(sql) { try Parser.parse(sql) }
        var out: [StatementResult] = []
        for s in stmts {
            out.append(try Session.attributing(s.text) { try executeStatement(s.statement, text: s.text, parameters: parameters) })
        }
        return out
    }

    /// Runs `body`; an AurumError it throws is tied to the statement text `sql` (the position of
    /// a syntax or binder error points into it).
    static func attributing<R>(_ sql: String, _ body: () throws -> R) throws -> R {
        do { return try body() } catch var e as AurumError {
            e.sql = sql
            throw e
        }
    }

    /// Cancels the running statement, if any.
    public func cancel() {
        current.withLock { $0?.cancelled.store(true, ordering: .relaxed) }
        wakeHook.withLock { $0 }?()
    }

    /// The running statement's context.
    var currentContext: QueryContext? { current.withLock { $0 } }

    /// `statement_timeout` in milliseconds (0: none).
    var statementTimeout: Int {
        guard let v = settings["statement_timeout"] else { return 0 }
        return (try? Settings.milliseconds("statement_timeout", v)) ?? 0
    }

    /// The reported settings (ParameterStatus) changed by SET/RESET since the last call,
    /// with their current values, by their PostgreSQL names (`DateStyle`, `TimeZone`, ...).
    public func takeReportedChanges() -> [(name: String, value: String)] {
        lock.lock()
        defer { lock.unlock() }
        var seen = Set<String>()
        var out: [(name: String, value: String)] = []
        for l in reportedChanged where seen.insert(l).inserted {
            guard let d = Settings.definitions[l] else { continue }
            let v = settingValue(l) ?? d.defaultValue
            if lastReported[l] != v {
                out.append((d.name, v))
                lastReported[l] = v
            }
        }
        reportedChanged = []
        return out
    }

    /// Every reported setting with its current value (sent after authentication).
    public func reportedSettings() -> [(name: String, value: String)] {
        lock.lock()
        defer { lock.unlock() }
        reportedChanged = []
        return Settings.definitions.values.filter(\.reported).sorted { $0.name < $1.name }.map { d in
            let v = settingValue(d.name.lowercased()) ?? d.defaultValue
            lastReported[d.name.lowercased()] = v
            return (d.name, v)
        }
    }

    /// Makes the current settings (those a connection's startup parameters set) what RESET
    /// returns to, as PostgreSQL does.
    public func adoptSettingsAsDefaults() {
        lock.lock()
        defer { lock.unlock() }
        sessionDefaults = settings
    }

    /// The current value of a setting as SHOW gives it (any case; nil when unknown and never
    /// set). Not for use while a statement of this session runs (it takes the session lock):
    /// code inside a statement calls `settingValue(_:)`.
    public func currentSettingValue(_ name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return settingValue(name.lowercased())
    }

    /// The current value of a setting (lowercased name), nil when unknown and never set.
    func settingValue(_ l: String) -> String? {
        switch l {
        case "transaction_isolation":
            return settings[l] ?? settings["default_transaction_isolation"] ?? "read committed"
        case "transaction_read_only":
            return settings[l] ?? settings["default_transaction_read_only"] ?? "off"
        case "session_authorization":
            return user
        default:
            return settings[l] ?? Settings.definitions[l]?.defaultValue
        }
    }

    /// SET: checks and normalises known settings; others are stored as given.
    private func assign(_ name: String, _ value: String) throws {
        let l = name.lowercased()
        guard let d = Settings.definitions[l] else {
            settings[l] = value
            return
        }
        if d.readOnly {
            throw AurumError(SQLState("55P02"), "parameter \"\(d.name)\" cannot be changed")
        }
        settings[l] = try d.normalize(value)
        if d.reported { reportedChanged.append(l) }
    }

    static func noSavepoint(_ name: String) -> AurumError {
        AurumError(.invalidSavepointSpecification, "savepoint \"\(name)\" does not exist")
    }

    private func resetSetting(_ l: String) {
        let before = settings[l]
        settings[l] = sessionDefaults[l]
        if before != settings[l], Settings.definitions[l]?.reported == true { reportedChanged.append(l) }
    }

    /// The end of a transaction block: SET LOCAL values go back.
    private func endTransaction() {
        inTransaction = false
        savepoints = []
        for (l, v) in localSaved {
            let before = settings[l]
            settings[l] = v
            if before != v, Settings.definitions[l]?.reported == true { reportedChanged.append(l) }
        }
        localSaved = [:]
    }

    var memoryLimit: Int {
        if let s = settings["max_memory_usage"], let n = Int(s), n > 0 { return n }
        return engine.options.queryMemoryLimit
    }

    func makeContext() -> QueryContext {
        let c = QueryContext(memoryLimit: memoryLimit, pool: engine.pool, statistics: engine.statistics)
        current.withLock { $0 = c }
        return c
    }

    func run(_ plan: Plan) throws -> [Block] {
        let ctx = current.withLock { $0 } ?? makeContext()
        let optimized = Optimizer.optimize(plan)
        return try Executor(ctx: ctx).run(optimized)
    }

    func runQuery(_ q: Query, parameters: [Value]) throws -> StatementResult {
        let binder = Binder(session: self, parameters: parameters)
        let (plan, names) = try binder.bindQuery(q)
        let ctx = current.withLock { $0 } ?? makeContext()
        let blocks = try Executor.collect(try Executor(ctx: ctx).stream(Optimizer.optimize(plan)))
        let types = plan.types
        let n = blocks.reduce(0) { $0 + $1.count }
        // result column types: widen to nullable when data has nulls
        var finalTypes = types
        for b in blocks { for (i, c) in b.columns.enumerated() where c.validity != nil { finalTypes[i].isNullable = true } }
        var result = StatementResult(columnNames: names, columnTypes: finalTypes, blocks: blocks, commandTag: "SELECT \(n)")
        result.sourceColumns = PGCatalog.sourceColumns(plan, count: names.count, catalog: catalog)
        return result
    }

    func executeStatement(_ stmt: Statement, text: String, parameters: [Value]) throws -> StatementResult {
        let started = ContinuousClock.now
        let token = activityBegan(text)
        do {
            let result = try executeStatementUncounted(stmt, text: text, parameters: parameters)
            engine.statistics.recordStatement(.ok, seconds: Self.seconds(since: started))
            activityEnded(token, failed: false)
            return result
        } catch {
            engine.statistics.recordStatement(EngineStatistics.outcome(of: error), seconds: Self.seconds(since: started))
            activityEnded(token, failed: true)
            throw error
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// `executeStatement` without the statistics.
    /// Starts the statement_timeout clock for `ctx` (nil when there is no timeout): when it
    /// runs out the context is cancelled and marked timed out. Cancel the item to stop it.
    func armStatementTimeout(_ ctx: QueryContext) -> DispatchWorkItem? {
        let timeout = statementTimeout
        guard timeout > 0 else { return nil }
        let hook = wakeHook.withLock { $0 }
        let item = DispatchWorkItem {
            ctx.timedOut.store(true, ordering: .relaxed)
            ctx.cancelled.store(true, ordering: .relaxed)
            hook?()
        }
        Session.timeoutQueue.asyncAfter(deadline: .now() + .milliseconds(timeout), execute: item)
        return item
    }

    private func executeStatementUncounted(_ stmt: Statement, text: String, parameters: [Value]) throws -> StatementResult {
        let ctx = makeContext()
        defer { current.withLock { $0 = nil } }
        let timer = armStatementTimeout(ctx)
        defer { timer?.cancel() }
        switch stmt {
        case .query(let q):
            return try runQuery(q, parameters: parameters)
        case .explain(let inner, _):
            guard case .query(let q) = inner else { throw AurumError.notSupported("EXPLAIN supports queries only") }
            let (plan, _) = try Binder(session: self, parameters: parameters).bindQuery(q)
            let lines = Optimizer.explain(Optimizer.optimize(plan))
            return textResult("QUERY PLAN", lines, tag: "EXPLAIN")
        case .createDatabase(let name, let ifNotExists):
            return try catalog.ddlLock.withLock { _ in
                if catalog.databaseExists(name) {
                    if ifNotExists { return .empty(tag: "CREATE DATABASE") }
                    throw AurumError(.duplicateDatabase, "database \"\(name)\" already exists")
                }
                try catalog.createDatabase(name)
                return .empty(tag: "CREATE DATABASE")
            }
        case .dropDatabase(let name, let ifExists):
            return try catalog.ddlLock.withLock { _ in
                guard catalog.databases.contains(name) else {
                    if ifExists { return .empty(tag: "DROP DATABASE") }
                    throw AurumError(.invalidCatalogName, "database \"\(name)\" does not exist")
                }
                if name == "default" { throw AurumError(.featureNotSupported, "the default database cannot be dropped") }
                try catalog.dropDatabase(name)
                if currentDatabase == name { currentDatabase = "default" }
                return .empty(tag: "DROP DATABASE")
            }
        case .createTable(let ct): return try DDL.createTable(ct, session: self, parameters: parameters)
        case .dropTable(let names, let ifExists, _):
            return try catalog.ddlLock.withLock { _ in
                for n in names {
                    let (db, t) = resolveName(n)
                    guard let entry = catalog.table(db, t) else {
                        if ifExists { continue }
                        throw AurumError(.undefinedTable, "table \"\(n)\" does not exist", position: n.pos)
                    }
                    try catalog.dropTable(entry)
                }
                return .empty(tag: "DROP TABLE")
            }
        case .truncate(let n):
            let entry = try table(n)
            try entry.storage.truncate()
            return .empty(tag: "TRUNCATE TABLE")
        case .renameTable(let pairs):
            return try catalog.ddlLock.withLock { _ in
                for (a, b) in pairs {
                    let entry = try table(a)
                    let (db, name) = resolveName(b)
                    guard catalog.databaseExists(db) else { throw AurumError(.invalidCatalogName, "database \"\(db)\" does not exist") }
                    if catalog.table(db, name) != nil { throw AurumError(.duplicateTable, "relation \"\(b)\" already exists") }
                    try catalog.rename(entry, toDatabase: db, name: name)
                }
                return .empty(tag: "RENAME TABLE")
            }
        case .exchangeTables(let a, let b):
            return try catalog.ddlLock.withLock { _ in
                try catalog.exchange(try table(a), try table(b))
                return .empty(tag: "EXCHANGE TABLES")
            }
        case .alterTable(let n, let actions):
            return try DDL.alter(n, actions, session: self)
        case .insert(let ins):
            let rows = try InsertExecutor(session: self, parameters: parameters).run(ins)
            return .empty(tag: "INSERT 0 \(rows)", rowsAffected: rows)
        case .delete:
            throw AurumError.notSupported("DELETE is not supported yet; rebuild the table with INSERT ... SELECT and EXCHANGE TABLES")
        case .createView:
            throw AurumError.notSupported("views are not supported yet")
        case .optimize(let n, let final):
            let entry = try table(n)
            try entry.storage.optimize(final: final)
            return .empty(tag: "OPTIMIZE")
        case .show(let kind):
            return try show(kind)
        case .describe(let n):
            var b = ResultBuilder(["name", "type", "default_type", "default_expression", "comment"])
            let (db, name) = resolveName(n)
            if let v = try VirtualTables.lookup(database: db, name: name, qualified: n.parts.count >= 2, session: self) {
                for (i, c) in v.block.columns.enumerated() {
                    b.add([.string(v.names[i]), .string(c.type.description), .string(""), .string(""), .string("")])
                }
                return b.result(tag: "DESCRIBE")
            }
            let entry = try table(n)
            for c in entry.definition.columns {
                b.add([.string(c.name), .string(c.type.description), .string(c.defaultExpr == nil ? "" : "DEFAULT"),
                       .string(c.defaultExpr.map(SQLPrinter.expr) ?? ""), .string(c.comment ?? "")])
            }
            return b.result(tag: "DESCRIBE")
        case .use(let db):
            guard catalog.databaseExists(db) else { throw AurumError(.invalidCatalogName, "database \"\(db)\" does not exist") }
            currentDatabase = db
            return .empty(tag: "USE")
        case .set(let name, let value):
            let l = name.lowercased()
            if l == "search_path" || l == "schema" {
                let first = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
                    .first { $0 != "$user" && $0 != "public" && $0 != "pg_catalog" }
                if let f = first, catalog.databaseExists(f) { currentDatabase = f }
            }
            try assign(l, value)
            return .empty(tag: "SET")
        case .setLocal(let name, let value):
            // Outside a transaction block SET LOCAL has no effect (PostgreSQL warns).
            guard inTransaction else { return .empty(tag: "SET") }
            let l = name.lowercased()
            let old = settings[l]
            try assign(l, value)
            if localSaved[l] == nil { localSaved[l] = .some(old) }
            return .empty(tag: "SET")
        case .reset(let name):
            if let name {
                let l = name.lowercased()
                if let d = Settings.definitions[l], d.readOnly {
                    throw AurumError(SQLState("55P02"), "parameter \"\(d.name)\" cannot be changed")
                }
                resetSetting(l)
            } else {
                for k in Set(settings.keys).union(sessionDefaults.keys) { resetSetting(k) }
            }
            return .empty(tag: "RESET")
        case .begin:
            inTransaction = true
            return .empty(tag: "BEGIN")
        case .commit:
            closeTransactionCursors()
            endTransaction()
            return .empty(tag: "COMMIT")
        case .rollback:
            closeTransactionCursors()
            endTransaction()
            return .empty(tag: "ROLLBACK")
        case .savepoint(let name):
            // Savepoints are names only: like ROLLBACK, ROLLBACK TO undoes no data changes.
            guard inTransaction else {
                throw AurumError(.noActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
            }
            savepoints.append(name)
            return .empty(tag: "SAVEPOINT")
        case .releaseSavepoint(let name):
            guard inTransaction else {
                throw AurumError(.noActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
            }
            guard let i = savepoints.lastIndex(of: name) else { throw Self.noSavepoint(name) }
            savepoints.removeSubrange(i...)
            return .empty(tag: "RELEASE")
        case .rollbackToSavepoint(let name):
            guard inTransaction else {
                throw AurumError(.noActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
            }
            guard let i = savepoints.lastIndex(of: name) else { throw Self.noSavepoint(name) }
            savepoints.removeSubrange((i + 1)...)
            return .empty(tag: "ROLLBACK")
        case .declareCursor, .fetch, .closeCursor, .discard, .deallocate, .prepare, .execute:
            return try executeSessionStatement(stmt, parameters: parameters)
        case .copy(let c):
            return try runCopy(c, io: copyIO)
        }
    }

    func resolveName(_ n: QualifiedName) -> (String, String) {
        (n.parts.count >= 2 ? n.parts[n.parts.count - 2] : currentDatabase, n.last)
    }

    func table(_ n: QualifiedName) throws -> TableEntry {
        let (db, t) = resolveName(n)
        guard let e = catalog.table(db, t) else { throw AurumError(.undefinedTable, "table \"\(n)\" does not exist", position: n.pos) }
        return e
    }

    func textResult(_ column: String, _ lines: [String], tag: String) -> StatementResult {
        var b = ResultBuilder([column])
        for l in lines { b.add([.string(l)]) }
        return b.result(tag: tag)
    }

    func show(_ kind: ShowKind) throws -> StatementResult {
        switch kind {
        case .databases:
            var b = ResultBuilder(["name"])
            for d in (catalog.databases + ["system"]).sorted() { b.add([.string(d)]) }
            return b.result(tag: "SHOW")
        case .tables(let from, let like):
            let db = from ?? currentDatabase
            guard catalog.databaseExists(db) else { throw AurumError(.invalidCatalogName, "database \"\(db)\" does not exist") }
            var b = ResultBuilder(["name"])
            let names = db == "system" ? VirtualTables.systemTableNames : catalog.tables(in: db).map(\.name)
            let pattern = like.map { p in Array(p.utf8).withUnsafeBufferPointer { LikePattern($0, caseInsensitive: false) } }
            for n in names where pattern.map({ p in Array(n.utf8).withUnsafeBufferPointer { p.matches($0) } }) ?? true {
                b.add([.string(n)])
            }
            return b.result(tag: "SHOW")
        case .createTable(let n):
            let e = try table(n)
            return textResult("statement", [e.definition.createSQL(database: e.database, name: e.name, uuid: nil)], tag: "SHOW")
        case .setting(let name):
            let l = name.lowercased()
            guard let v = settingValue(l) else {
                throw AurumError(.undefinedObject, "unrecognized configuration parameter \"\(name)\"")
            }
            // PostgreSQL's tag for SHOW of a setting is `SHOW` (not `SELECT 1`)
            var r = textResult(Settings.definitions[l]?.name ?? l, [v], tag: "SHOW")
            r.commandTag = "SHOW"
            return r
        case .all:
            var b = ResultBuilder(["name", "setting", "description"])
            var names = Set(Settings.definitions.keys)
            for k in settings.keys { names.insert(k) }
            let rows = names.map { l in (Settings.definitions[l]?.name ?? l, l) }.sorted { $0.0.lowercased() < $1.0.lowercased() }
            for (display, l) in rows {
                b.add([.string(display), .string(settingValue(l) ?? ""), .string(Settings.definitions[l]?.description ?? "")])
            }
            var r = b.result(tag: "SHOW")
            r.commandTag = "SHOW"
            return r
        }
    }

    static var defaultSettings: [String: String] { Settings.definitions.mapValues(\.defaultValue) }
}

/// Builds small text/scalar results row by row.
struct ResultBuilder {
    var names: [String]
    var rows: [[Value]] = []
    init(_ names: [String]) { self.names = names }
    mutating func add(_ r: [Value]) { rows.append(r) }
    func block(types: [DataType]? = nil) -> Block {
        let types = types ?? names.indices.map { i -> DataType in
            for r in rows where !r[i].isNull {
                switch r[i] {
                case .int: return .int64
                case .uint: return .uint64
                case .bool: return .bool
                case .float: return .float64
                case .date: return .date
                case .dateTime: return .dateTime
                default: return .string
                }
            }
            return .string
        }
        var cols: [Column] = []
        for (i, t) in types.enumerated() {
            var b = ColumnBuilder(type: t, capacity: rows.count)
            for r in rows { b.append(r[i]) }
            var c = b.finish()
            if c.validity != nil { c.type = t.nullable }
            cols.append(c)
        }
        return Block(columns: cols, count: rows.count)
    }
    func result(tag: String) -> StatementResult {
        let b = block()
        return StatementResult(columnNames: names, columnTypes: b.columns.map(\.type), blocks: [b], commandTag: tag == "SHOW" || tag == "DESCRIBE" ? "SELECT \(rows.count)" : tag)
    }
}
