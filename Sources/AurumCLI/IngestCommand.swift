import Aurum
import AurumEngine
import AurumIngest
import ArgumentParser
import Foundation
import Yams

/// One pipeline of `aurum ingest --config FILE` (see docs/load.md, schemas/*.yaml).
public struct Pipeline: Sendable {
    public var name: String
    /// Files / globs / a Delta directory, or a PostgreSQL query.
    public var paths: [String] = []
    public var postgres: PostgresQuerySpec?
    public var format = "auto"
    public var deltaVersion: Int64?
    public var csv: CSVOptions?
    public var target: String
    public var create = false
    public var orderBy: String?
    public var partitionBy: String?
    /// SQL select-list items over the source's columns (`day`, `revenue_cents / 100 AS revenue`,
    /// `CAST(id AS Int64) AS id`); empty: every column as it is.
    public var select: [String] = []
    public var mode: LoadRequest.Mode = .append
    /// Keep the first row of each key (within the rows of this run).
    public var dedupKey: [String] = []
    public var maxErrors = 0
    public var rejects: String?
}

/// Parses pipeline files: `pipelines:` is a list of mappings; unknown keys are errors naming
/// file, line and key. Relative paths are relative to the file's directory.
public enum PipelineConfig {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    static let keys = ["name", "source", "format", "csv", "target", "create", "order_by", "partition_by", "select", "mode",
                       "dedup_key", "max_errors", "rejects"]
    static let sourceKeys = ["path", "paths", "delta", "version", "postgres", "query"]
    static let csvKeys = ["preset", "delimiter", "quote", "escape", "header", "null", "skip_rows"]

    public static func load(path: String) throws -> [Pipeline] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Error(description: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, file: path, baseDirectory: URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path)
    }

    public static func parse(_ text: String, file: String = "pipelines", baseDirectory: String? = nil) throws -> [Pipeline] {
        func fail(_ n: Node?, _ key: String?, _ message: String) -> Error {
            var d = file
            if let line = n?.mark?.line { d += ":\(line)" }
            return Error(description: d + ": " + (key.map { "\($0): " } ?? "") + message)
        }
        func scalar(_ key: String, _ n: Node) throws -> String {
            guard let s = n.scalar?.string else { throw fail(n, key, "expected a single value") }
            return s
        }
        func strings(_ key: String, _ n: Node) throws -> [String] {
            if let s = n.scalar?.string { return [s] }
            guard let list = n.sequence else { throw fail(n, key, "expected a value or a list of values") }
            return try list.map { try scalar(key, $0) }
        }
        func bool(_ key: String, _ n: Node) throws -> Bool {
            switch try scalar(key, n).lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw fail(n, key, "expected true or false")
            }
        }
        func int(_ key: String, _ n: Node) throws -> Int {
            guard let v = Int(try scalar(key, n)), v >= 0 else { throw fail(n, key, "expected a whole number (0 or more)") }
            return v
        }
        func path(_ p: String) -> String {
            if p.hasPrefix("/") || baseDirectory == nil || p.hasPrefix("postgresql:") { return p }
            return baseDirectory! + "/" + p
        }
        func mapping(_ key: String, _ n: Node, known: [String]) throws -> [(String, Node, Node)] {
            guard let m = n.mapping else { throw fail(n, key, "expected a mapping") }
            var seen = Set<String>()
            return try m.map { k, v in
                guard let name = k.scalar?.string, known.contains(name) else {
                    throw fail(k, key, "unknown key \(k.scalar?.string ?? "?") (known: \(known.joined(separator: ", ")))")
                }
                guard seen.insert(name).inserted else { throw fail(k, key, "duplicate key \(name)") }
                return (name, k, v)
            }
        }

        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail(nil, nil, "invalid YAML: \(error)") }
        guard let root, let top = root.mapping, let list = top["pipelines"]?.sequence else {
            throw fail(root, nil, "expected a mapping with a `pipelines:` list")
        }
        var names = Set<String>()
        return try list.map { item in
            var name: String?, target: String?
            var p = Pipeline(name: "", target: "")
            for (key, k, v) in try mapping("pipeline", item, known: keys) {
                switch key {
                case "name": name = try scalar(key, v)
                case "target": target = try scalar(key, v)
                case "format": p.format = try scalar(key, v)
                case "create": p.create = try bool(key, v)
                case "order_by": p.orderBy = try scalar(key, v)
                case "partition_by": p.partitionBy = try scalar(key, v)
                case "select": p.select = try strings(key, v)
                case "dedup_key": p.dedupKey = try strings(key, v)
                case "max_errors": p.maxErrors = try int(key, v)
                case "rejects": p.rejects = path(try scalar(key, v))
                case "mode":
                    guard let m = LoadRequest.Mode(rawValue: try scalar(key, v).lowercased()) else { throw fail(v, key, "expected append or replace") }
                    p.mode = m
                case "source":
                    var url: String?, query: String?
                    for (sk, _, sv) in try mapping("source", v, known: sourceKeys) {
                        switch sk {
                        case "path", "paths": p.paths += try strings("source.\(sk)", sv).map(path)
                        case "delta": p.paths.append(path(try scalar("source.delta", sv))); p.format = "delta"
                        case "version":
                            guard let n = Int64(try scalar("source.version", sv)) else { throw fail(sv, "source.version", "expected a version number") }
                            p.deltaVersion = n
                        case "postgres": url = try scalar("source.postgres", sv)
                        default: query = try scalar("source.query", sv)
                        }
                    }
                    if let url {
                        guard let query, p.paths.isEmpty else { throw fail(v, "source", "postgres needs a query and no paths") }
                        p.postgres = PostgresQuerySpec(url: url, query: query)
                    } else if query != nil {
                        throw fail(v, "source", "query needs postgres")
                    } else if p.paths.isEmpty {
                        throw fail(v, "source", "needs path, delta, or postgres with query")
                    }
                case "csv":
                    var preset = "rfc4180", fields: [String: Node] = [:]
                    for (ck, _, cv) in try mapping("csv", v, known: csvKeys) {
                        if ck == "preset" { preset = try scalar("csv.preset", cv) } else { fields[ck] = cv }
                    }
                    var o: CSVOptions
                    switch preset.lowercased() {
                    case "rfc4180", "csv": o = .rfc4180; o.header = true
                    case "tsv": o = .tsv
                    case "snowflake": o = .snowflake
                    case "spark", "databricks": o = .spark
                    case "bigquery": o = .bigquery
                    default: throw fail(v, "csv.preset", "expected rfc4180, tsv, snowflake, spark or bigquery")
                    }
                    for (ck, cv) in fields {
                        switch ck {
                        case "delimiter":
                            let b = Array((try scalar("csv.delimiter", cv) == "\\t" ? "\t" : try scalar("csv.delimiter", cv)).utf8)
                            guard b.count == 1 else { throw fail(cv, "csv.delimiter", "expected one character") }
                            o.delimiter = b[0]
                        case "quote":
                            let q = try scalar("csv.quote", cv)
                            if q.lowercased() == "none" { o.quote = nil } else {
                                guard q.utf8.count == 1 else { throw fail(cv, "csv.quote", "expected one character or none") }
                                o.quote = Array(q.utf8)[0]
                            }
                        case "escape":
                            switch try scalar("csv.escape", cv).lowercased() {
                            case "double": o.escape = .doubledQuote
                            case "backslash": o.escape = .backslash
                            case "none": o.escape = CSVOptions.Escape.none
                            default: throw fail(cv, "csv.escape", "expected double, backslash or none")
                            }
                        case "header": o.header = try bool("csv.header", cv)
                        case "null": o.nullMarkers = try strings("csv.null", cv)
                        default: o.skipRows = try int("csv.skip_rows", cv)
                        }
                    }
                    p.csv = o
                default: _ = k
                }
            }
            guard let name, !name.isEmpty else { throw fail(item, "name", "every pipeline needs a name") }
            guard names.insert(name).inserted else { throw fail(item, "name", "pipeline \(name) is defined twice") }
            guard let target, !target.isEmpty else { throw fail(item, "target", "pipeline \(name) needs a target table") }
            guard p.postgres != nil || !p.paths.isEmpty else { throw fail(item, "source", "pipeline \(name) needs a source") }
            if p.rejects != nil && p.maxErrors == 0 { throw fail(item, "rejects", "needs max_errors > 0") }
            p.name = name
            p.target = target
            return p
        }
    }
}

extension Pipeline {
    /// The load this pipeline describes: one atomic `Loader` load, its `select` and `dedup_key`
    /// applied by the loader (`Loader.runTransformed`); `aurum ingest` runs it in-process or
    /// through a server (`LoadDestination`).
    public func request() throws -> LoadRequest {
        var r: LoadRequest
        if let postgres { r = LoadRequest(postgres: postgres, table: target) } else {
            r = LoadRequest(input: try InputSpec.resolve(paths, format: format, csv: csv, deltaVersion: deltaVersion), table: target)
        }
        r.create = create
        r.orderBy = orderBy
        r.partitionBy = partitionBy
        r.mode = mode
        r.maxErrors = maxErrors
        r.rejectsPath = rejects
        r.select = select
        r.dedupKey = dedupKey
        return r
    }
}

/// `aurum ingest --config pipelines.yaml`: runs every pipeline in order, reports each, and
/// exits 1 if any failed (the others still run).
struct IngestCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run the load pipelines of a YAML file (sources, formats, targets, transforms, modes).",
        discussion: """
            See docs/load.md and schemas/pipelines.example.yaml for the file format. While `aurum serve` \
            holds --data DIR, the pipelines load through that server; --server loads into any server.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .long, help: ArgumentHelp("The pipelines file.", valueName: "file"))
    var config: String

    @Option(name: .long, help: ArgumentHelp("Run only these pipelines (repeatable).", valueName: "name"))
    var only: [String] = []

    @Option(name: .long, help: ArgumentHelp("Load through this running Aurum server instead of opening --data (missing parts from PGHOST, PGUSER, PGPASSWORD, ...).",
                                            valueName: "postgresql://user[:password]@host:port/db"))
    var server: String?

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let pipelines: [Pipeline]
        do { pipelines = try PipelineConfig.load(path: config) } catch {
            context.stderr.write("error: \(error)\n")
            return 64
        }
        let selected = only.isEmpty ? pipelines : pipelines.filter { only.contains($0.name) }
        if selected.isEmpty {
            context.stderr.write("error: no pipeline named \(only.joined(separator: ", ")) in \(config)\n")
            return 64
        }
        let destination: LoadDestination
        do { destination = try LoadDestination.open(data: options.data, server: server, note: context.stderr) } catch {
            context.stderr.write(ErrorReport.render(error))
            return 1
        }
        defer { destination.close() }
        var failed = 0
        for p in selected {
            do {
                let bar = context.stderrIsTerminal ? ProgressBar(output: context.stderr) : nil
                let s = try destination.cancellable { try destination.load(try p.request()) { bar?.update($0) } }
                bar?.finish()
                context.stdout.write("[\(p.name)] ok: \(s)\n")
            } catch {
                failed += 1
                context.stdout.write("[\(p.name)] FAILED\n")
                context.stderr.write("[\(p.name)] " + ErrorReport.render(error))
            }
            context.flush()
        }
        context.stdout.write("\(selected.count - failed) of \(selected.count) pipelines succeeded\n")
        return failed == 0 ? 0 : 1
    }
}
