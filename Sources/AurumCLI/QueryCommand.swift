import Aurum
import ArgumentParser

/// `aurum query`: run SQL against a data directory and print each result.
///
/// Statements are separated by `;` and run in order on one connection. The whole input is
/// parsed first, so a syntax error anywhere runs nothing; an error while running a statement
/// stops there (earlier statements stay applied) and nothing is printed for the script, only
/// the error. Results that have columns are printed; in `table` format the command tags of
/// the other statements (`CREATE TABLE`, `INSERT 0 5`) are printed too.
///
/// Exit status: 0 on success, 1 on an SQL or I/O error (printed to stderr as
/// `ERROR <SQLSTATE>: message`), 64 on bad arguments.
struct QueryCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run SQL against a data directory and print the results.",
        discussion: """
            Reads the SQL from standard input when no SQL argument is given. Several statements \
            may be separated by ';'. The default format is 'table' when stdout is a terminal and \
            'tsv' otherwise.

            Examples:
              aurum query --data ./aurum-data "SELECT region, sum(revenue) FROM sales_daily GROUP BY region"
              aurum query --data ./aurum-data --format csv < report.sql > report.csv
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: [.customShort("f"), .long], help: "Output format: table, csv, tsv or json.")
    var format: OutputFormat?

    @Argument(help: "SQL to run (statements separated by ';'). Read from standard input if omitted.")
    var sql: String?

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let text: String
        if let sql {
            text = sql
        } else {
            if context.stdinIsTerminal {
                context.stderr.write("Reading SQL from standard input; finish with Ctrl-D.\n")
                context.stderr.flush()
            }
            text = context.readStandardInput()
        }
        if text.allSatisfy(\.isWhitespace) { return 0 }
        let format = self.format ?? (context.stdoutIsTerminal ? .table : .tsv)

        let results: [ResultSet]
        do {
            let db = try Database.open(at: options.data)
            defer { db.close() }
            results = try db.connect().executeAll(text)
        } catch {
            context.stderr.write(ErrorReport.render(error, sql: text))
            return 1
        }
        Self.printResults(results, format: format, to: context.stdout)
        return 0
    }

    /// Prints each result with columns; in `table` format also the tags of the others.
    /// Tables are separated from what precedes them by an empty line; JSON results are one
    /// array each, one after another.
    static func printResults(_ results: [ResultSet], format: OutputFormat, to output: TextOutput) {
        var printedAnything = false
        var previousWasTable = false
        for result in results {
            if result.columns.isEmpty {
                guard format == .table else { continue }
                if previousWasTable { output.write("\n") }
                output.write(result.commandTag + "\n")
                previousWasTable = false
            } else {
                if printedAnything && format != .json { output.write("\n") }
                var text = ""
                ResultFormatter.write(result, as: format, to: &text)
                output.write(text)
                previousWasTable = true
            }
            printedAnything = true
        }
    }
}
