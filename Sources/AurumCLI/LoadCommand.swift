import Aurum
import AurumEngine
import AurumIngest
import ArgumentParser
import Foundation

/// `aurum load`: bulk-load exports (CSV/TSV, NDJSON, Parquet, Delta Lake) into a table.
///
/// Works on the data directory in-process, or through a running server: `--server URL`, or
/// automatically when `aurum serve` holds `--data DIR` (its address is in DIR/SERVER). The
/// input is read on this side either way. Every load is atomic; `--replace` swaps the new
/// contents in at once.
struct LoadCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load CSV, TSV, NDJSON, Parquet files or a Delta Lake table into a table.",
        discussion: """
            PATH may be a file, a directory (every file inside, skipping _* and .* names), a glob \
            (quote it: 'exports/2024-*/part-*.parquet') or a Delta table's directory. The load \
            commits all at once at the end, or not at all. While `aurum serve` holds --data DIR, \
            the load goes through that server (the files are still read here); --server loads \
            into any server (password in the URL or PGPASSWORD).

            Examples:
              aurum load --data ./aurum-data --table sales --create exports/sales.parquet
              aurum load --table gold.daily --replace --format delta /lake/gold/daily
              aurum load --table events --preset snowflake --max-errors 100 --rejects bad.ndjson 'unload/data_*.csv.gz'
              aurum load --table orders --create --from postgresql://etl@warehouse:5432/silver --query 'SELECT * FROM orders'
              aurum load --server postgresql://loader@gold-db:5433/default --table gold.daily --replace daily/*.parquet
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .long, help: ArgumentHelp("The target table.", valueName: "[db.]table"))
    var table: String

    @Option(name: .long, help: "Input format: auto, csv, tsv, ndjson, parquet or delta.")
    var format: String = "auto"

    @Flag(name: .long, help: "Create the table from the input's columns if it does not exist.")
    var create = false

    @Option(name: .customLong("order-by"), help: ArgumentHelp("Sorting key of a created table (SQL).", valueName: "cols"))
    var orderBy: String?

    @Option(name: .customLong("partition-by"), help: ArgumentHelp("Partition key of a created table (SQL).", valueName: "expr"))
    var partitionBy: String?

    @Flag(name: .long, help: "Replace the table's contents atomically (readers see the old rows or the new, never a mix).")
    var replace = false

    @Option(name: .customLong("max-errors"), help: "Rows that may be rejected before the load fails (0: the first bad row fails it).")
    var maxErrors = 0

    @Option(name: .long, help: ArgumentHelp("Write rejected rows here (NDJSON, with the reason).", valueName: "file"))
    var rejects: String?

    @Option(name: .customLong("delta-version"), help: "Load this version of a Delta table (default: the latest).")
    var deltaVersion: Int64?

    @Option(name: .long, help: "CSV preset: rfc4180, tsv, snowflake, spark or bigquery.")
    var preset: String?

    @Option(name: .long, help: "CSV field delimiter (one character; \\t for tab).")
    var delimiter: String?

    @Option(name: .long, help: "CSV quote character, or 'none'.")
    var quote: String?

    @Option(name: .long, help: "CSV escape: double (\"\" inside quotes), backslash or none.")
    var escape: String?

    @Flag(inversion: .prefixedNo, help: "Whether the first CSV record holds column names (default: yes for csv, no for tsv and presets).")
    var header: Bool?

    @Option(name: .long, help: ArgumentHelp("A text that means NULL (repeatable), e.g. \\N.", valueName: "text"))
    var null: [String] = []

    @Option(name: .customLong("skip-rows"), help: "Lines to skip at the start of each CSV file.")
    var skipRows = 0

    @Option(name: .long, help: ArgumentHelp("Read from a PostgreSQL-compatible source instead of files.", valueName: "postgresql://user@host:port/db"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("The query to run on --from (its rows are streamed with COPY).", valueName: "sql"))
    var query: String?

    @Option(name: .long, help: ArgumentHelp("Load through this running Aurum server instead of opening --data (missing parts from PGHOST, PGUSER, PGPASSWORD, ...).",
                                            valueName: "postgresql://user[:password]@host:port/db"))
    var server: String?

    @Argument(help: "Files, directories, globs, or a Delta table directory.")
    var paths: [String] = []

    mutating func run() throws { try runWithStandardStreams() }

    func csvOptions() throws -> CSVOptions? {
        let touched = preset != nil || delimiter != nil || quote != nil || escape != nil || header != nil || !null.isEmpty || skipRows > 0
        guard touched else { return nil }
        var o: CSVOptions
        switch (preset ?? (format.lowercased() == "tsv" ? "tsv" : "rfc4180")).lowercased() {
        case "rfc4180", "csv": o = .rfc4180; o.header = true
        case "tsv": o = .tsv
        case "snowflake": o = .snowflake
        case "spark", "databricks": o = .spark
        case "bigquery": o = .bigquery
        case let other: throw ValidationError("unknown preset \(other): use rfc4180, tsv, snowflake, spark or bigquery")
        }
        if let d = delimiter {
            let bytes = Array((d == "\\t" ? "\t" : d).utf8)
            guard bytes.count == 1 else { throw ValidationError("--delimiter must be one byte") }
            o.delimiter = bytes[0]
        }
        if let q = quote {
            if q.lowercased() == "none" { o.quote = nil } else {
                let bytes = Array(q.utf8)
                guard bytes.count == 1 else { throw ValidationError("--quote must be one byte or 'none'") }
                o.quote = bytes[0]
            }
        }
        switch escape?.lowercased() {
        case nil: break
        case "double", "doubled", "rfc4180": o.escape = .doubledQuote
        case "backslash": o.escape = .backslash
        case "none": o.escape = CSVOptions.Escape.none
        case let other?: throw ValidationError("unknown --escape \(other): use double, backslash or none")
        }
        if let header { o.header = header }
        if !null.isEmpty { o.nullMarkers = null }
        o.skipRows = skipRows
        return o
    }

    func execute(in context: CLIContext) -> Int32 {
        do {
            guard !(rejects != nil && maxErrors == 0) else { throw ValidationError("--rejects needs --max-errors N (N > 0)") }
            var request: LoadRequest
            if let from {
                guard let query, paths.isEmpty else { throw ValidationError("--from needs --query and no paths") }
                request = LoadRequest(postgres: PostgresQuerySpec(url: from, query: query), table: table)
            } else {
                guard query == nil else { throw ValidationError("--query needs --from") }
                guard !paths.isEmpty else { throw ValidationError("give the files to load (or --from and --query)") }
                request = LoadRequest(input: try InputSpec.resolve(paths, format: format, csv: try csvOptions(), deltaVersion: deltaVersion), table: table)
            }
            request.create = create
            request.orderBy = orderBy
            request.partitionBy = partitionBy
            request.mode = replace ? .replace : .append
            request.maxErrors = maxErrors
            request.rejectsPath = rejects
            let destination = try LoadDestination.open(data: options.data, server: server, note: context.stderr)
            defer { destination.close() }
            let bar = context.stderrIsTerminal ? ProgressBar(output: context.stderr) : nil
            let summary = try destination.cancellable { try destination.load(request) { p in bar?.update(p) } }
            bar?.finish()
            context.stdout.write(summary.description + "\n")
            if summary.rejected > 0, let rejects {
                context.stderr.write("\(summary.rejected) rejected rows written to \(rejects)\n")
            }
            return 0
        } catch let e as ValidationError {
            context.stderr.write("error: \(e.message)\n")
            return 64
        } catch {
            context.stderr.write(ErrorReport.render(error, sql: nil))
            return 1
        }
    }
}

/// A one-line progress bar on a terminal (stderr): percent of input bytes, rows, MB read (of
/// the total), rows/s and ETA, redrawn in place (`\r` + erase-line) each time the loader
/// reports (about twice a second), and erased at the end so the summary stands alone.
/// The line is kept shorter than the terminal is wide: a line that wraps cannot be redrawn in
/// place (each redraw would leave a copy behind), so the bar graphic shrinks or goes first,
/// then the text is cut. Without a known total (a PostgreSQL source) it shows rows, MB and
/// rows/s only.
final class ProgressBar {
    let output: TextOutput
    /// The terminal's width in columns.
    let columns: Int

    /// `columns`: the terminal width; nil asks the terminal on stderr (then `$COLUMNS`, then 80).
    init(output: TextOutput, columns: Int? = nil) {
        self.output = output
        self.columns = columns ?? Self.terminalColumns()
    }

    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }), c > 0 { return c }
        return 80
    }

    static func line(_ p: LoadProgress, columns: Int = 80, barWidth: Int = 28) -> String {
        let rate = p.seconds > 0 ? Double(p.rows) / p.seconds : 0
        let mb = { (bytes: Int64) in String(format: "%.1f", Double(bytes) / 1e6) }
        let room = max(1, columns - 1)
        var text: String
        var fraction: Double?
        if let total = p.bytesTotal, total > 0 {
            let f = min(1, max(0, Double(p.bytesRead) / Double(total)))
            fraction = f
            let eta = f > 0 ? p.seconds * (1 - f) / f : .infinity
            text = String(format: "%3.0f%% ", f * 100) + "\(compact(Double(p.rows))) rows, \(mb(p.bytesRead))/\(mb(total)) MB, "
                + "\(compact(rate)) rows/s, ETA \(clock(eta))"
        } else {
            text = "\(compact(Double(p.rows))) rows, \(mb(p.bytesRead)) MB, \(compact(rate)) rows/s"
        }
        if text.count > room { text = String(text.prefix(room)) }
        guard let fraction else { return text }
        // "[" + width + "] " around the bar; below 5 cells the graphic says too little to keep
        let width = min(barWidth, room - text.count - 3)
        guard width >= 5 else { return text }
        let filled = min(width, Int(fraction * Double(width)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + text
    }

    static func compact(_ v: Double) -> String {
        v >= 1e6 ? String(format: "%.2fM", v / 1e6) : v >= 1e3 ? String(format: "%.1fk", v / 1e3) : String(format: "%.0f", v)
    }

    /// m:ss, or --:-- when there is no estimate yet (nothing read) or it is absurd.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 360_000 else { return "--:--" }
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    func update(_ p: LoadProgress) {
        output.write("\r\u{1B}[K" + Self.line(p, columns: columns))
        output.flush()
    }

    func finish() {
        output.write("\r\u{1B}[K")
        output.flush()
    }
}
