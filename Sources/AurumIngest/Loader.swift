import AurumCore
import AurumEngine
import Foundation

/// Which reader a load uses and over which files.
public struct InputSpec: Sendable {
    /// csv, tsv, ndjson, parquet or delta.
    public var format: String
    /// The files (for delta: the table directory).
    public var paths: [String]
    public var csv: CSVOptions
    public var deltaVersion: Int64?

    /// Resolves what the user named: a Delta table directory (format `delta`, or `auto` and a
    /// `_delta_log` inside), else paths/directories/globs expanded by `InputFiles`, with the
    /// format from the file names when `auto` (all files must agree).
    public static func resolve(_ patterns: [String], format: String = "auto", csv: CSVOptions? = nil, deltaVersion: Int64? = nil) throws -> InputSpec {
        let f = format.lowercased()
        let known = ["auto", "csv", "tsv", "ndjson", "jsonl", "jsoneachrow", "parquet", "delta", "deltalake"]
        guard known.contains(f) else {
            throw AurumError(.invalidParameterValue, "unknown format \"\(format)\"", hint: "use auto, csv, tsv, ndjson, parquet or delta")
        }
        guard !patterns.isEmpty else { throw AurumError(.invalidParameterValue, "no input paths given") }
        if f == "delta" || f == "deltalake" || (f == "auto" && patterns.count == 1 && DeltaLog.isDeltaTable(patterns[0])) {
            guard patterns.count == 1 else { throw AurumError(.invalidParameterValue, "a Delta load reads one table directory") }
            return InputSpec(format: "delta", paths: patterns, csv: csv ?? CSVOptions(), deltaVersion: deltaVersion)
        }
        let files = try InputFiles.expand(patterns)
        var resolved = f == "jsonl" || f == "jsoneachrow" ? "ndjson" : f
        if resolved == "auto" {
            let found = Set(files.map { InputFiles.detectFormat(path: $0) })
            guard found.count == 1, let only = found.first, let detected = only else {
                let names = files.prefix(3).map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
                throw AurumError(.invalidParameterValue, found.count > 1 ? "the input files have different formats (\(names), ...)"
                                 : "cannot tell the format of \(names) from its name", hint: "pass --format csv|tsv|ndjson|parquet|delta")
            }
            resolved = detected
        }
        var options = csv ?? (resolved == "tsv" ? CSVOptions.tsv : CSVOptions.rfc4180)
        if csv == nil && resolved == "csv" { options.header = true }
        return InputSpec(format: resolved, paths: files, csv: options, deltaVersion: deltaVersion)
    }

    /// The columns the input has (names and types), without reading it all: Parquet and Delta
    /// metadata, or a sample for CSV/NDJSON (docs/ingest-text.md has the inference rules).
    public func describe() throws -> [SourceColumn] {
        switch format {
        case "parquet": return try ParquetFile(path: paths[0]).columns
        case "delta": return try DeltaLog.snapshot(paths[0], version: deltaVersion, checkpoints: ParquetCheckpointReader()).columns
        case "ndjson": return try NDJSONSource.inferSchema(paths: paths)
        default: return try CSVSource.inferSchema(paths: paths, options: csv)
        }
    }

    /// Opens a reader producing `columns`: for CSV/NDJSON the target columns (the reader parses
    /// into their types; a header or JSON keys are matched by name), for Parquet/Delta the
    /// source columns of these names (their own types; the caller casts).
    public func open(columns: [SourceColumn], errors: ErrorBudget) throws -> BlockSource {
        switch format {
        case "parquet": return try ParquetSource(paths: paths, columns: columns.map(\.name))
        case "delta":
            let snap = try DeltaLog.snapshot(paths[0], version: deltaVersion, checkpoints: ParquetCheckpointReader())
            return try DeltaSource(snap, columns: columns.map(\.name))
        case "ndjson": return try NDJSONSource(paths: paths, columns: columns, errors: errors)
        default: return try CSVSource(paths: paths, options: csv, columns: columns, errors: errors)
        }
    }

    /// Whether the reader decodes straight into given target types (text formats).
    var parsesIntoTargetTypes: Bool { format == "csv" || format == "tsv" || format == "ndjson" }
}

/// A query on a PostgreSQL-compatible source (`aurum load --from URL --query SQL`).
public struct PostgresQuerySpec: Sendable {
    public var url: String
    public var query: String
    public init(url: String, query: String) {
        self.url = url
        self.query = query
    }
}

/// A bulk load: input files (or a PostgreSQL query) into a table, atomically.
public struct LoadRequest: Sendable {
    public enum Mode: String, Sendable { case append, replace }
    public var input: InputSpec
    /// When set, rows come from this query instead of `input`.
    public var postgres: PostgresQuerySpec?
    /// `[database.]table`.
    public var table: String
    /// Create the table from the input's columns when it does not exist.
    public var create = false
    /// The sorting key for `create` (SQL, e.g. `day, region`); default: see `defaultOrderBy`.
    public var orderBy: String?
    public var partitionBy: String?
    public var mode: Mode = .append
    public var maxErrors = 0
    /// Rejected rows go here (NDJSON: location, column, value, reason, raw) when given.
    public var rejectsPath: String?
    /// SQL select-list items over the input's columns (renames, casts, derived columns);
    /// empty: the input's columns as they are.
    public var select: [String] = []
    /// Keep the first row of each key among this load's rows (`LIMIT 1 BY`).
    public var dedupKey: [String] = []

    public init(input: InputSpec, table: String) {
        self.input = input
        self.table = table
    }

    public init(postgres: PostgresQuerySpec, table: String) {
        self.input = InputSpec(format: "postgres", paths: [], csv: CSVOptions(), deltaVersion: nil)
        self.postgres = postgres
        self.table = table
    }
}

public struct LoadProgress: Sendable {
    public var rows: Int
    public var bytesRead: Int64
    public var bytesTotal: Int64?
    public var seconds: Double
}

public struct LoadSummary: Sendable, CustomStringConvertible {
    public var table: String
    public var rows: Int
    public var bytesRead: Int64
    public var seconds: Double
    public var rejected: Int
    public var replaced: Bool
    public var created: Bool

    public init(table: String, rows: Int, bytesRead: Int64, seconds: Double, rejected: Int, replaced: Bool, created: Bool) {
        self.table = table
        self.rows = rows
        self.bytesRead = bytesRead
        self.seconds = seconds
        self.rejected = rejected
        self.replaced = replaced
        self.created = created
    }

    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
    public var description: String {
        String(format: "%@ %d rows into %@ (%.1f MB read) in %.2f s, %.0f rows/s, %d rejected",
               replaced ? "replaced with" : "loaded", rows, table, Double(bytesRead) / 1_000_000, seconds, rowsPerSecond, rejected)
    }
}

public enum Loader {
    /// Runs `request` on `session`: everything the load writes becomes visible at once at the
    /// end (and, with `.replace`, the old contents disappear in the same step: the new rows
    /// are loaded into a new table beside the old one, then the two are exchanged), or not at
    /// all when it fails. `progress` is called from the loading thread about twice a second.
    public static func run(_ request: LoadRequest, session: Session, progress: ((LoadProgress) -> Void)? = nil) throws -> LoadSummary {
        try run(request, target: SessionLoadTarget(session: session), progress: progress)
    }

    /// Runs `request` into `target` (in-process, or a server: `ServerLoadTarget`) with the
    /// same steps and guarantees as `run(_:session:progress:)`: the input is read and parsed
    /// here, statements and rows go to the target.
    public static func run(_ request: LoadRequest, target: LoadTarget, progress: ((LoadProgress) -> Void)? = nil) throws -> LoadSummary {
        let started = Date()
        let (db, name) = try split(request.table, target: target)
        let qualified = quote(db) + "." + quote(name)
        let exists = try tableExists(db, name, target: target)
        var created = false
        if !exists {
            guard request.create else {
                throw AurumError(.undefinedTable, "table \(db).\(name) does not exist", hint: "create it first, or pass --create to create it from the input's columns")
            }
        }
        if !request.select.isEmpty || !request.dedupKey.isEmpty {
            return try runTransformed(request, db: db, name: name, exists: exists, target: target, started: started, progress: progress)
        }
        let export = try request.postgres.map { try PostgresExport(url: $0.url) }
        // Load into the table itself (append), or into a new table that then takes its place
        // (replace, and a first load with --create: a failed load leaves nothing behind).
        let direct = exists && request.mode == .append
        let staging = direct ? name : "\(name)__aurum_load_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let stagingQualified = quote(db) + "." + quote(staging)
        if !direct {
            let ddl: String
            if exists {
                ddl = try createStatement(of: db, name, as: stagingQualified, target: target)
            } else {
                let columns: [SourceColumn]
                if let export, let pg = request.postgres { columns = try export.describe(query: pg.query) } else { columns = try request.input.describe() }
                ddl = try createTable(stagingQualified, columns: columns, orderBy: request.orderBy, partitionBy: request.partitionBy)
                created = true
            }
            try target.execute(ddl)
        }
        do {
            let budget = ErrorBudget(maxErrors: request.maxErrors)
            let (rows, bytes): (Int, Int64)
            if let export, let pg = request.postgres {
                (rows, bytes) = try copy(pg.query, from: export, into: (db, staging), target: target, started: started, progress: progress)
            } else {
                (rows, bytes) = try copy(request.input, into: (db, staging), target: target, errors: budget, started: started, progress: progress)
            }
            if let path = request.rejectsPath { try writeRejects(budget.rejected, to: path) }
            if !direct {
                if exists {
                    try target.execute("EXCHANGE TABLES \(stagingQualified) AND \(qualified)")
                    try target.execute("DROP TABLE \(stagingQualified)")
                } else {
                    try target.execute("RENAME TABLE \(stagingQualified) TO \(qualified)")
                }
            }
            return LoadSummary(table: "\(db).\(name)", rows: rows, bytesRead: bytes, seconds: Date().timeIntervalSince(started),
                               rejected: budget.rejectedCount, replaced: exists && request.mode == .replace, created: created)
        } catch {
            if !direct { _ = try? target.execute("DROP TABLE IF EXISTS \(stagingQualified)") }
            throw error
        }
    }

    /// Streams the input into `table` through one atomic append.
    static func copy(_ input: InputSpec, into table: (db: String, name: String), target: LoadTarget, errors: ErrorBudget, started: Date,
                     progress: ((LoadProgress) -> Void)?) throws -> (Int, Int64) {
        let tableColumns = try target.tableColumns(db: table.db, name: table.name)
        let (source, targetNames) = try input.open(into: tableColumns, table: "\(table.db).\(table.name)", errors: errors)
        let insert = try target.beginAppend(db: table.db, name: table.name, columns: targetNames)
        var lastReport = Date.distantPast
        do {
            while let b = try source.next() {
                try insert.append(b)
                if let progress, Date().timeIntervalSince(lastReport) >= 0.5 {
                    lastReport = Date()
                    progress(LoadProgress(rows: insert.rowCount, bytesRead: source.bytesRead, bytesTotal: source.bytesTotal,
                                          seconds: lastReport.timeIntervalSince(started)))
                }
            }
            let rows = try insert.finish()
            progress?(LoadProgress(rows: rows, bytesRead: source.bytesRead, bytesTotal: source.bytesTotal, seconds: Date().timeIntervalSince(started)))
            return (rows, source.bytesRead)
        } catch {
            insert.abort()
            throw error
        }
    }

    /// Streams a source query into `table` through one atomic COPY FROM STDIN.
    static func copy(_ query: String, from export: PostgresExport, into table: (db: String, name: String), target: LoadTarget, started: Date,
                     progress: ((LoadProgress) -> Void)?) throws -> (Int, Int64) {
        // the query's columns go to the table's columns of the same names
        let tableColumns = try target.tableColumns(db: table.db, name: table.name).map(\.name)
        let names = try export.describe(query: query).map { c -> String in
            guard let t = matchColumn(c.name, in: tableColumns) else {
                throw AurumError(.undefinedColumn, "the source query returns a column \"\(c.name)\" that table \(table.db).\(table.name) does not have",
                                 hint: "table columns: \(tableColumns.joined(separator: ", ")); rename it with AS in the query")
            }
            return t
        }
        let sink = try target.beginCopyText(db: table.db, name: table.name, columns: names)
        var bytes: Int64 = 0
        do {
            let rows = try export.copy(query: query, into: sink) { received in
                bytes = received
                progress?(LoadProgress(rows: 0, bytesRead: received, bytesTotal: nil, seconds: Date().timeIntervalSince(started)))
            }
            return (rows, bytes)
        } catch {
            sink.abort()
            throw error
        }
    }

    /// The table column an input column loads into: the same name exactly, else ignoring case.
    static func matchColumn(_ name: String, in columns: [String]) -> String? {
        columns.first { $0 == name } ?? columns.first { $0.lowercased() == name.lowercased() }
    }

    /// A load with `select`/`dedup_key`: the input first loads (atomically, as any load) into a
    /// scratch table created from its columns; then `INSERT ... SELECT <select> FROM scratch
    /// [LIMIT 1 BY <dedupKey>]` fills the target — for a replace, a new table exchanged with
    /// it; a missing target (with `create`) is made by `CREATE TABLE ... AS SELECT`, sorted by
    /// `orderBy` or not at all. The scratch table is dropped whatever happens. Through a
    /// server, the SELECT runs on the server.
    static func runTransformed(_ request: LoadRequest, db: String, name: String, exists: Bool, target: LoadTarget, started: Date,
                               progress: ((LoadProgress) -> Void)?) throws -> LoadSummary {
        let qualified = quote(db) + "." + quote(name)
        let scratch = "\(name)__aurum_ingest_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let staging = quote(db) + "." + quote("\(name)__aurum_stage_\(getpid())_\(UInt32.random(in: 0...UInt32.max))")
        defer {
            _ = try? target.execute("DROP TABLE IF EXISTS \(quote(db)).\(quote(scratch))")
            _ = try? target.execute("DROP TABLE IF EXISTS \(staging)")
        }
        var raw = request
        raw.table = "\(db).\(scratch)"
        raw.create = true
        raw.mode = .append
        raw.orderBy = nil
        raw.partitionBy = nil
        raw.select = []
        raw.dedupKey = []
        let loaded = try run(raw, target: target, progress: progress)
        let items = request.select.isEmpty ? "*" : request.select.joined(separator: ", ")
        let body = "SELECT \(items) FROM \(quote(db)).\(quote(scratch))" + (request.dedupKey.isEmpty ? "" : " LIMIT 1 BY " + request.dedupKey.joined(separator: ", "))
        var rows = 0
        if !exists {
            try target.execute("CREATE TABLE \(staging) ENGINE = MergeTree" + (request.partitionBy.map { " PARTITION BY \($0)" } ?? "")
                               + " ORDER BY \(request.orderBy ?? "tuple()") AS \(body)")
            rows = Int(try target.queryValue("SELECT count(*) FROM \(staging)") ?? "0") ?? 0
            try target.execute("RENAME TABLE \(staging) TO \(qualified)")
        } else if request.mode == .replace {
            try target.execute(try createStatement(of: db, name, as: staging, target: target))
            rows = try target.execute("INSERT INTO \(staging) \(body)")
            try target.execute("EXCHANGE TABLES \(staging) AND \(qualified)")
        } else {
            rows = try target.execute("INSERT INTO \(qualified) \(body)")
        }
        return LoadSummary(table: "\(db).\(name)", rows: rows, bytesRead: loaded.bytesRead, seconds: Date().timeIntervalSince(started),
                           rejected: loaded.rejected, replaced: exists && request.mode == .replace, created: !exists)
    }

    static func split(_ table: String, target: LoadTarget) throws -> (String, String) {
        let parts = table.split(separator: ".", maxSplits: 1).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return parts.count == 2 ? (parts[0], parts[1]) : (try target.currentDatabaseName(), parts[0])
    }

    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    /// `COPY "db"."name" ("a", "b") FROM STDIN` (text format), for both load targets.
    static func copyStatement(db: String, name: String, columns: [String]) -> String {
        "COPY \(quote(db)).\(quote(name)) (\(columns.map(quote).joined(separator: ", "))) FROM STDIN"
    }
    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    static func tableExists(_ db: String, _ name: String, target: LoadTarget) throws -> Bool {
        Int(try target.queryValue("SELECT count(*) FROM system.tables WHERE database = \(literal(db)) AND name = \(literal(name))") ?? "0") ?? 0 > 0
    }

    /// The CREATE TABLE of an existing table, renamed (the staging table of a replace).
    static func createStatement(of db: String, _ name: String, as newName: String, target: LoadTarget) throws -> String {
        guard let text = try target.queryValue("SHOW CREATE TABLE \(quote(db)).\(quote(name))"), let open = text.firstIndex(of: "(") else {
            throw AurumError(.internalError, "SHOW CREATE TABLE \(db).\(name) returned nothing usable")
        }
        return "CREATE TABLE \(newName) " + text[open...]
    }

    /// CREATE TABLE for `--create`: the input's columns and a sorting key.
    static func createTable(_ qualified: String, columns: [SourceColumn], orderBy: String?, partitionBy: String?) throws -> String {
        guard !columns.isEmpty else { throw AurumError(.invalidParameterValue, "the input has no columns") }
        var s = "CREATE TABLE \(qualified) (\n"
        s += columns.map { "    \(quote($0.name)) \($0.type)" }.joined(separator: ",\n")
        s += "\n) ENGINE = MergeTree"
        if let p = partitionBy { s += " PARTITION BY \(p)" }
        s += " ORDER BY " + (orderBy ?? defaultOrderBy(columns))
        return s
    }

    /// The default sorting key of a created table: its first non-nullable date/time column and
    /// first non-nullable low-cardinality-looking string (BI filters on a period and a
    /// dimension), else the first non-nullable column, else none (`tuple()`).
    public static func defaultOrderBy(_ columns: [SourceColumn]) -> String {
        let keyable = columns.filter { !$0.type.isNullable && $0.type.base != .float32 && $0.type.base != .float64 }
        var key: [String] = []
        if let t = keyable.first(where: { [.date, .dateTime].contains($0.type.base) || { if case .dateTime64 = $0.type.base { return true }; return false }($0) }) {
            key.append(quote(t.name))
        }
        if let s = keyable.first(where: { $0.type.isString }) { key.append(quote(s.name)) }
        if key.isEmpty, let first = keyable.first { key.append(quote(first.name)) }
        if key.isEmpty { return "tuple()" }
        return key.count == 1 ? key[0] : "(" + key.joined(separator: ", ") + ")"
    }

    static func writeRejects(_ rows: [RejectedRow], to path: String) throws {
        func json(_ s: String?) -> String {
            guard let s else { return "null" }
            let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        var out = ""
        for r in rows {
            out += "{\"location\": \(json(r.location)), \"column\": \(json(r.column)), \"value\": \(json(r.value)), \"reason\": \(json(r.reason)), \"raw\": \(json(r.raw))}\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out.utf8)) else {
            throw AurumError(.ioError, "cannot write the rejects file \(path)")
        }
    }
}
