import Aurum
import ArgumentParser
import Foundation

/// `aurum bench`: times queries through the embedded library the way `shared/bench/run_bench.py`
/// times its peers — per query one warm-up run, then the median of `--runs` timed runs (wall
/// time of execute + materialising all rows). Queries come from a file in the benchmark's
/// block format (`-- name: X` starts a query; other `--` lines are ignored; blocks with a
/// `-- dialect:` line are skipped, so the default SQL every peer runs is what gets timed).
/// Until the wire server exists this is how Aurum is compared with DuckDB (docs/benchmark.md).
struct BenchCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time benchmark queries (1 warm-up, median of N) through the embedded library."
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: ArgumentHelp("Query file in the shared/bench block format.", valueName: "file"))
    var queries: String

    @Option(help: "Timed runs per query (the median is reported).")
    var runs: Int = 5

    @Option(help: "Only these queries (comma-separated names).")
    var only: String?

    mutating func validate() throws {
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be between 1 and 100") }
    }

    mutating func run() throws { try runWithStandardStreams() }

    static func parseBlocks(_ text: String) -> [(name: String, sql: String)] {
        // A block starts at a line that begins with "-- name: " (not a mention inside a comment).
        var blocks: [(name: String, lines: [Substring])] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- name: ") {
                blocks.append((String(line.dropFirst("-- name: ".count)).trimmingCharacters(in: .whitespaces), []))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1].lines.append(line)
            }
        }
        var out: [(String, String)] = []
        for (name, lines) in blocks {
            if lines.prefix(2).contains(where: { $0.hasPrefix("-- dialect:") }) { continue }
            let sql = lines.filter { !$0.hasPrefix("--") }.joined(separator: "\n")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if !sql.isEmpty { out.append((name, sql)) }
        }
        return out
    }

    func execute(in context: CLIContext) -> Int32 {
        let text: String
        do { text = try String(contentsOfFile: queries, encoding: .utf8) } catch {
            context.stderr.write("ERROR: cannot read \(queries): \(error.localizedDescription)\n")
            return 1
        }
        let wanted = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        do {
            let db = try Database.open(at: options.data)
            defer { db.close() }
            let conn = db.connect()
            var total = 0.0
            context.stdout.write("query\tmedian_ms\trows\n")
            for (name, sql) in Self.parseBlocks(text) where wanted?.contains(name) ?? true {
                let warm = try conn.execute(sql)
                var times: [Double] = []
                for _ in 0..<runs {
                    let t = DispatchTime.now().uptimeNanoseconds
                    _ = try conn.execute(sql).rows
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
                }
                times.sort()
                let median = times[times.count / 2]
                total += median
                context.stdout.write("\(name)\t\(String(format: "%.1f", median))\t\(warm.count)\n")
            }
            context.stdout.write("TOTAL\t\(String(format: "%.1f", total))\t\n")
            return 0
        } catch {
            context.stderr.write(ErrorReport.render(error, sql: nil))
            return 1
        }
    }
}
