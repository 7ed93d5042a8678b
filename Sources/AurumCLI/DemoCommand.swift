import Aurum
import ArgumentParser
import Foundation

/// `aurum demo`: (re)creates the Gold demo tables of `schemas/` in a data directory, filled
/// by SQL inside Aurum, and prints a few dashboard-style aggregate queries over them.
///
/// Every `schemas/<table>.sql` except `demo_queries.sql` is a script that drops, creates and
/// fills the table `<table>`; `{scale}` in it is replaced by `--scale`. The data is a pure
/// function of the row number, so every run (and every machine) produces the same tables.
/// `schemas/demo_queries.sql` holds the queries, each introduced by a `-- name: <title>` line.
struct DemoCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create the Gold demo tables from schemas/ and run the demo queries.",
        discussion: """
            Drops and recreates sales_daily, stock_prices and web_events (about 150k-250k rows \
            each at scale 1) and prints the results of schemas/demo_queries.sql.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: "Multiply the number of generated rows (1-1000).")
    var scale: Int = 1

    @Option(help: ArgumentHelp(
        "Directory holding the schema scripts (default: ./schemas, else the schemas/ directory of the source tree the executable was built in).",
        valueName: "dir"))
    var schemas: String?

    @Option(name: [.customShort("f"), .long], help: "Output format of the query results: table, csv, tsv or json.")
    var format: OutputFormat = .table

    @Flag(help: "Only print the SQL that would run (with {scale} substituted), then exit.")
    var printSQL = false

    mutating func validate() throws {
        guard (1...1000).contains(scale) else { throw ValidationError("--scale must be between 1 and 1000") }
    }

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let out = context.stdout
        do {
            let directory = try Self.locateSchemas(explicit: schemas)
            let tables = try Self.tableScripts(in: directory)
            let queries = try Self.demoQueries(in: directory)
            if printSQL {
                for t in tables { out.write("-- \(t.name)\n" + t.sql(scale: scale) + "\n") }
                for q in queries { out.write("-- name: \(q.title)\n\(q.sql)\n") }
                return 0
            }

            out.write("Aurum demo: data directory \(options.data), scale \(scale)\n\n")
            out.write("Loading the Gold demo tables from \(directory)/\n")
            out.flush()
            let db = try Database.open(at: options.data)
            defer { db.close() }
            let connection = db.connect()
            let nameWidth = tables.map(\.name.count).max() ?? 0
            for table in tables {
                let started = ContinuousClock.now
                _ = try connection.executeAll(table.sql(scale: scale))
                let elapsed = ContinuousClock.now - started
                let rows = try connection.execute("SELECT count(*) FROM \(table.name)")[0].int(0) ?? 0
                out.write("  \(table.name.padding(nameWidth))  \(Self.grouped(rows).leftPadding(11)) rows  \(Self.seconds(elapsed))\n")
                out.flush()
            }

            for query in queries {
                out.write("\n-- \(query.title)\n")
                let started = ContinuousClock.now
                let result = try connection.execute(query.sql)
                let elapsed = ContinuousClock.now - started
                var text = ""
                ResultFormatter.write(result, as: format, to: &text)
                out.write(text)
                out.write("Time: \(Self.milliseconds(elapsed))\n")
                out.flush()
            }
            out.write("""

                The tables stay in \(options.data). Query them with, for example:
                  aurum query --data \(options.data) "SELECT region, sum(revenue) FROM sales_daily GROUP BY region ORDER BY 2 DESC"

                """)
            return 0
        } catch {
            context.stderr.write(ErrorReport.render(error))
            return 1
        }
    }

    // MARK: - Schema scripts

    struct TableScript {
        var name: String
        var template: String
        func sql(scale: Int) -> String { template.replacingOccurrences(of: "{scale}", with: String(scale)) }
    }

    struct DemoQuery {
        var title: String
        var sql: String
    }

    static let queriesFile = "demo_queries.sql"
    /// PostgreSQL's `undefined_file`.
    static let undefinedFile = SQLState("58P01")

    /// The `--schemas` directory, or the first of `./schemas` and the `schemas/` directory
    /// beside one of the executable's ancestors (the source tree it was built in).
    static func locateSchemas(explicit: String?) throws -> String {
        let fm = FileManager.default
        func holdsSchemas(_ dir: String) -> Bool { fm.fileExists(atPath: dir + "/" + queriesFile) }
        if let explicit {
            guard holdsSchemas(explicit) else {
                throw AurumError(undefinedFile, "\(explicit)/\(queriesFile) not found",
                                 hint: "--schemas must name the schemas/ directory of the Aurum source tree")
            }
            return explicit
        }
        if holdsSchemas("schemas") { return "schemas" }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("schemas").path
            if holdsSchemas(candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw AurumError(undefinedFile, "cannot find the schemas/ directory with \(queriesFile)",
                         hint: "run from the Aurum source tree or pass --schemas DIR")
    }

    /// `<dir>/*.sql` except the queries file, sorted by name.
    static func tableScripts(in directory: String) throws -> [TableScript] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".sql") && $0 != queriesFile }
            .sorted()
        return try names.map { file in
            TableScript(name: String(file.dropLast(4)),
                        template: try String(contentsOfFile: directory + "/" + file, encoding: .utf8))
        }
    }

    /// The queries of `<dir>/demo_queries.sql`: each starts at a `-- name: <title>` line.
    static func demoQueries(in directory: String) throws -> [DemoQuery] {
        let text = try String(contentsOfFile: directory + "/" + queriesFile, encoding: .utf8)
        var queries: [DemoQuery] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- name:") {
                let title = line.dropFirst("-- name:".count).trimmingCharacters(in: .whitespaces)
                queries.append(DemoQuery(title: title, sql: ""))
            } else if !queries.isEmpty {
                queries[queries.count - 1].sql += line + "\n"
            }
        }
        for i in queries.indices {
            queries[i].sql = queries[i].sql.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return queries.filter { !$0.sql.isEmpty }
    }

    // MARK: - Formatting

    static func grouped(_ n: Int64) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return n < 0 ? "-" + out : out
    }

    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return String(format: "%.2f s", s)
    }

    static func milliseconds(_ d: Duration) -> String {
        let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
        return String(format: "%.1f ms", ms)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
