import AurumCore
import AurumSQL
import AurumStorage
import CAurumShims
import Foundation
import Logging
import Synchronization

/// A column of a table as the catalog knows it.
struct ColumnInfo: Sendable {
    var name: String
    var type: DataType
    /// DEFAULT expression (AST) and its constant value when it is constant.
    var defaultExpr: Expr?
    var codec: [CodecStage]
    var comment: String?
}

/// The definition of a MergeTree-family table, from which the catalog file is printed.
struct TableDefinition: Sendable {
    /// The user columns. Sorting-key expressions add hidden storage columns after these
    /// (`keyExpressions()`, `DDL.storageSchema`); they never appear here.
    var columns: [ColumnInfo]
    var engineName: String
    var engineArguments: [Expr]
    var partitionBy: Expr?
    var orderBy: [Expr]
    var indexGranularity: Int
    var comment: String?

    func columnIndex(_ name: String) -> Int? {
        if let i = columns.firstIndex(where: { $0.name == name }) { return i }
        let l = name.lowercased()
        let matches = columns.indices.filter { columns[$0].name.lowercased() == l }
        return matches.count == 1 ? matches[0] : nil
    }

    /// `CREATE TABLE db.name UUID '...' (...) ENGINE = ... ORDER BY ...` — the catalog file text.
    func createSQL(database: String, name: String, uuid: String?) -> String {
        var s = "CREATE TABLE \(SQLPrinter.quoteIdentifier(database)).\(SQLPrinter.quoteIdentifier(name))"
        if let uuid { s += " UUID '\(uuid)'" }
        s += "\n(\n"
        s += columns.map { c in
            var l = "    \(SQLPrinter.quoteIdentifier(c.name)) \(c.type.description)"
            if let d = c.defaultExpr { l += " DEFAULT \(SQLPrinter.expr(d))" }
            if !c.codec.isEmpty {
                l += " CODEC(" + c.codec.map { $0.arguments.isEmpty ? $0.name : "\($0.name)(\($0.arguments.map(String.init).joined(separator: ", ")))" }.joined(separator: ", ") + ")"
            }
            if let cm = c.comment { l += " COMMENT \(SQLPrinter.quoteString(cm))" }
            return l
        }.joined(separator: ",\n")
        s += "\n)\nENGINE = \(engineName)"
        if !engineArguments.isEmpty { s += "(" + engineArguments.map(SQLPrinter.expr).joined(separator: ", ") + ")" }
        if let p = partitionBy { s += "\nPARTITION BY \(SQLPrinter.expr(p))" }
        // an empty key is written `tuple()`: `ORDER BY ()` does not parse back
        s += "\nORDER BY " + (orderBy.isEmpty ? "tuple()" : orderBy.count == 1 ? SQLPrinter.expr(orderBy[0])
                                 : "(" + orderBy.map(SQLPrinter.expr).joined(separator: ", ") + ")")
        s += "\nSETTINGS index_granularity = \(indexGranularity)"
        if let c = comment { s += "\nCOMMENT \(SQLPrinter.quoteString(c))" }
        return s
    }
}

/// A table in the catalog: its definition and its storage. Immutable; DDL replaces the entry.
final class TableEntry: Sendable {
    let database: String
    let name: String
    let uuid: String
    let definition: TableDefinition
    let storage: MergeTreeTable
    /// Storage sort key: column indices into the storage schema (the user columns, then the
    /// hidden `_sort_key_<n>` columns of key expressions; see `DDL.storageSchema`).
    let sortKey: [Int]

    init(database: String, name: String, uuid: String, definition: TableDefinition, storage: MergeTreeTable, sortKey: [Int]) {
        self.database = database
        self.name = name
        self.uuid = uuid
        self.definition = definition
        self.storage = storage
        self.sortKey = sortKey
    }

    func renamed(database: String, name: String) -> TableEntry {
        TableEntry(database: database, name: name, uuid: uuid, definition: definition, storage: storage, sortKey: sortKey)
    }
    /// The entry after an ALTER (call after `storage.alter`: the sort key indices are taken from
    /// the storage schema, since ADD COLUMN ... AFTER shifts them).
    func with(definition: TableDefinition) -> TableEntry {
        TableEntry(database: database, name: name, uuid: uuid, definition: definition, storage: storage, sortKey: storage.schema.sortKey)
    }
}

/// The catalog: databases and tables, persisted as readable SQL.
///
/// Layout of the data directory:
/// ```
/// <dir>/metadata/<database>/              one directory per database
/// <dir>/metadata/<database>/<table>.sql   CREATE TABLE text with the table's UUID
/// <dir>/store/<uuid>/                     the table's parts (AurumStorage)
/// <dir>/LOCK                              advisory lock: one process per directory
/// ```
/// Names are stored percent-escaped in file names. Renames and EXCHANGE move only the small
/// `.sql` files (EXCHANGE uses one atomic renameat2(RENAME_EXCHANGE)); data never moves.
final class Catalog: Sendable {
    struct State: Sendable {
        var databases: Set<String> = []
        /// key: database + "\u{0}" + table
        var tables: [String: TableEntry] = [:]
    }

    let directory: String
    let options: EngineOptions
    let logger: Logger
    let state: Mutex<State>
    /// Serialises DDL (catalog file changes) so they apply in one order.
    let ddlLock = Mutex<Void>(())
    let lockFD: Int32

    static func key(_ db: String, _ t: String) -> String { db + "\u{0}" + t }

    init(directory: String, options: EngineOptions, logger: Logger) throws {
        self.directory = directory
        self.options = options
        self.logger = logger
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory + "/metadata/default", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: directory + "/store", withIntermediateDirectories: true)
        } catch {
            throw AurumError.io("cannot create data directory \(directory): \(error.localizedDescription)")
        }
        let fd = open(directory + "/LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AurumError.io("cannot open \(directory)/LOCK: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            Glibc.close(fd)
            throw AurumError(.ioError, "data directory \(directory) is in use by another Aurum process",
                             hint: "stop the other process (aurum serve / aurum query) or use another --data directory")
        }
        lockFD = fd
        state = Mutex(State())
        try load()
    }

    func close() {
        let tables = state.withLock { s in Array(s.tables.values) }
        for t in tables { t.storage.close() }
        flock(lockFD, LOCK_UN)
        Glibc.close(lockFD)
    }

    // MARK: names on disk

    static func escape(_ name: String) -> String {
        var out = ""
        for b in name.utf8 {
            let c = Character(UnicodeScalar(b))
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D {
                out.append(c)
            } else {
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
    static func unescape(_ name: String) -> String {
        var bytes: [UInt8] = []
        var u = Array(name.utf8)[...]
        while let b = u.first {
            if b == 0x25, u.count >= 3, let v = UInt8(String(decoding: u.dropFirst().prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v); u = u.dropFirst(3)
            } else { bytes.append(b); u = u.dropFirst() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    func databaseDir(_ db: String) -> String { directory + "/metadata/" + Catalog.escape(db) }
    func tableFile(_ db: String, _ t: String) -> String { databaseDir(db) + "/" + Catalog.escape(t) + ".sql" }
    func storeDir(_ uuid: String) -> String { directory + "/store/" + uuid }

    // MARK: loading

    private func load() throws {
        let fm = FileManager.default
        let meta = directory + "/metadata"
        let dbs = (try? fm.contentsOfDirectory(atPath: meta)) ?? []
        var st = State()
        for dbFile in dbs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: meta + "/" + dbFile, isDirectory: &isDir), isDir.boolValue else { continue }
            let db = Catalog.unescape(dbFile)
            st.databases.insert(db)
            for f in (try? fm.contentsOfDirectory(atPath: meta + "/" + dbFile)) ?? [] {
                let path = meta + "/" + dbFile + "/" + f
                if f.hasSuffix(".sql.tmp") { try? fm.removeItem(atPath: path); continue }
                guard f.hasSuffix(".sql") else { continue }
                let text: String
                do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw AurumError.io("cannot read catalog file \(path): \(error.localizedDescription)")
                }
                let stmts: [ParsedStatement]
                do { stmts = try Parser.parse(text) } catch let e as AurumError {
                    throw AurumError(.dataCorrupted, "catalog file \(path) does not parse: \(e.message)",
                                     hint: "fix the CREATE TABLE text in that file or move it away")
                }
                guard stmts.count == 1, case .createTable(let ct) = stmts[0].statement, let uuid = ct.uuid else {
                    throw AurumError(.dataCorrupted, "catalog file \(path) must hold one CREATE TABLE with a UUID clause")
                }
                let tname = Catalog.unescape(String(f.dropLast(4)))
                let def = try DDL.definition(from: ct, loading: true)
                let entry = try openTable(database: db, name: tname, uuid: uuid, definition: def)
                st.tables[Catalog.key(db, tname)] = entry
            }
        }
        st.databases.insert("default")
        // Remove store directories no catalog file references (a crash between creating the
        // store and writing the catalog file, or after a DROP removed the file).
        let referenced = Set(st.tables.values.map { $0.uuid })
        for d in (try? fm.contentsOfDirectory(atPath: directory + "/store")) ?? [] where !referenced.contains(d) {
            try? fm.removeItem(atPath: directory + "/store/" + d)
        }
        state.withLock { $0 = st }
    }

    func openTable(database: String, name: String, uuid: String, definition: TableDefinition) throws -> TableEntry {
        let schema = try DDL.storageSchema(definition)
        var opts = StorageOptions()
        opts.backgroundMerges = options.backgroundMerges
        opts.fsync = options.fsync
        var logger = self.logger
        logger[metadataKey: "aurum_table"] = "\(database).\(name)"
        let storage = try MergeTreeTable(directory: storeDir(uuid), schema: schema, options: opts, logger: logger)
        return TableEntry(database: database, name: name, uuid: uuid, definition: definition, storage: storage, sortKey: schema.sortKey)
    }

    // MARK: lookups

    var databases: [String] { state.withLock { $0.databases.sorted() } }

    func databaseExists(_ db: String) -> Bool {
        db == "system" || db == "information_schema" || db == "pg_catalog" || state.withLock { $0.databases.contains(db) }
    }

    func table(_ db: String, _ name: String) -> TableEntry? {
        state.withLock { s in
            if let t = s.tables[Catalog.key(db, name)] { return t }
            // case-insensitive fallback when unambiguous
            let l = name.lowercased()
            let m = s.tables.values.filter { $0.database == db && $0.name.lowercased() == l }
            return m.count == 1 ? m[0] : nil
        }
    }

    func tables(in db: String) -> [TableEntry] {
        state.withLock { s in s.tables.values.filter { $0.database == db }.sorted { $0.name < $1.name } }
    }
    var allTables: [TableEntry] {
        state.withLock { s in s.tables.values.sorted { ($0.database, $0.name) < ($1.database, $1.name) } }
    }

    // MARK: changes (callers hold ddlLock)

    func writeCatalogFile(_ entry: TableEntry) throws {
        let path = tableFile(entry.database, entry.name)
        try Catalog.atomicWrite(path: path, text: entry.definition.createSQL(database: entry.database, name: entry.name, uuid: entry.uuid) + "\n", fsync: options.fsync)
    }

    static func atomicWrite(path: String, text: String, fsync doSync: Bool) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw AurumError.io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        var ok = true
        var text = text
        text.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { ok = false; break }
                off += n
            }
        }
        if doSync && fsync(fd) != 0 { ok = false }
        Glibc.close(fd)
        guard ok else {
            let e = errno
            unlink(tmp)
            throw AurumError(e == ENOSPC ? .diskFull : .ioError, "cannot write \(path): \(String(cString: strerror(e)))")
        }
        guard Glibc.rename(tmp, path) == 0 else { throw AurumError.io("cannot rename \(tmp): \(String(cString: strerror(errno)))") }
        if doSync { _ = aurum_fsync_dir((path as NSString).deletingLastPathComponent) }
    }

    func createDatabase(_ db: String) throws {
        do { try FileManager.default.createDirectory(atPath: databaseDir(db), withIntermediateDirectories: true) } catch {
            throw AurumError.io("cannot create database directory: \(error.localizedDescription)")
        }
        if options.fsync { _ = aurum_fsync_dir(directory + "/metadata") }
        _ = state.withLock { $0.databases.insert(db) }
    }

    func dropDatabase(_ db: String) throws {
        for t in tables(in: db) { try dropTable(t) }
        try? FileManager.default.removeItem(atPath: databaseDir(db))
        _ = state.withLock { $0.databases.remove(db) }
    }

    func register(_ entry: TableEntry) throws {
        try writeCatalogFile(entry)
        state.withLock { $0.tables[Catalog.key(entry.database, entry.name)] = entry }
    }

    func replace(_ entry: TableEntry) throws {
        try writeCatalogFile(entry)
        state.withLock { $0.tables[Catalog.key(entry.database, entry.name)] = entry }
    }

    func dropTable(_ entry: TableEntry) throws {
        // Remove the catalog file first: after that the table is gone even if deleting data fails
        // (startup removes unreferenced store directories).
        unlink(tableFile(entry.database, entry.name))
        if options.fsync { _ = aurum_fsync_dir(databaseDir(entry.database)) }
        _ = state.withLock { $0.tables.removeValue(forKey: Catalog.key(entry.database, entry.name)) }
        try? entry.storage.drop()
    }

    func rename(_ entry: TableEntry, toDatabase db: String, name: String) throws {
        let newEntry = entry.renamed(database: db, name: name)
        try writeCatalogFile(newEntry)
        unlink(tableFile(entry.database, entry.name))
        if options.fsync { _ = aurum_fsync_dir(databaseDir(entry.database)) }
        state.withLock { s in
            s.tables.removeValue(forKey: Catalog.key(entry.database, entry.name))
            s.tables[Catalog.key(db, name)] = newEntry
        }
    }

    /// Swaps two tables' contents atomically on disk (one renameat2 of the catalog files) and in memory.
    func exchange(_ a: TableEntry, _ b: TableEntry) throws {
        let newA = b.renamed(database: a.database, name: a.name)
        let newB = a.renamed(database: b.database, name: b.name)
        // Write the new texts beside, then exchange atomically.
        let pa = tableFile(a.database, a.name), pb = tableFile(b.database, b.name)
        // Files still name the old db/table inside; rewrite them after the swap (the name in the
        // text is informational: the file name is authoritative).
        guard aurum_rename_exchange(pa, pb) == 0 else {
            throw AurumError.io("EXCHANGE TABLES failed: \(String(cString: strerror(errno)))")
        }
        if options.fsync { _ = aurum_fsync_dir(databaseDir(a.database)); _ = aurum_fsync_dir(databaseDir(b.database)) }
        state.withLock { s in
            s.tables[Catalog.key(a.database, a.name)] = newA
            s.tables[Catalog.key(b.database, b.name)] = newB
        }
        try? writeCatalogFile(newA)
        try? writeCatalogFile(newB)
    }
}
