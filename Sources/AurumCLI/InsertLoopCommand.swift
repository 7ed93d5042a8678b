import Aurum
import ArgumentParser

/// `aurum insert-loop` (hidden; a test aid for Tests/AurumTests/CrashSafetyTests.swift).
///
/// Inserts batches of `--batch` rows into `crash_test (batch UInt64, i UInt32, payload String)`,
/// one INSERT per batch, batch ids counting up from the number of whole batches already in
/// the table. Once the database is open it prints `ready <first batch>`; after each INSERT
/// returns it prints `committed <batch>`, flushing each line, so the parent knows which
/// inserts were acknowledged before it kills this process with SIGKILL.
/// Exits with status 3 if the table holds a partial batch when it starts.
struct InsertLoopCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "insert-loop",
        abstract: "Test aid: insert numbered batches until killed (used by the crash-safety test).",
        shouldDisplay: false
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: "Rows per INSERT.")
    var batch: Int = 1000

    @Option(help: "Stop after this many INSERTs (default: run until killed).")
    var batches: Int?

    mutating func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    mutating func run() throws { try runWithStandardStreams() }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS crash_test (batch UInt64, i UInt32, payload String)
        ENGINE = MergeTree ORDER BY (batch, i)
        """

    func execute(in context: CLIContext) -> Int32 {
        do {
            let db = try Database.open(at: options.data)
            defer { db.close() }
            let connection = db.connect()
            try connection.execute(Self.createTable)
            let existing = try connection.execute("SELECT count(*) FROM crash_test")[0].int(0) ?? 0
            guard existing % Int64(batch) == 0 else {
                context.stderr.write("crash_test holds \(existing) rows: not a whole number of batches of \(batch)\n")
                return 3
            }
            var next = existing / Int64(batch)
            context.stdout.write("ready \(next)\n")
            context.stdout.flush()
            var done = 0
            while batches.map({ done < $0 }) ?? true {
                try connection.execute(Self.insertStatement(batch: next, rows: batch))
                context.stdout.write("committed \(next)\n")
                context.stdout.flush()
                next += 1
                done += 1
            }
            return 0
        } catch {
            context.stderr.write(ErrorReport.render(error))
            return 1
        }
    }

    /// `INSERT ... VALUES` with rows `(batch, i, 'b<batch>-<i>')` for i in 0..<rows.
    static func insertStatement(batch: Int64, rows: Int) -> String {
        var sql = "INSERT INTO crash_test (batch, i, payload) VALUES "
        sql.reserveCapacity(32 + rows * 24)
        for i in 0..<rows {
            if i > 0 { sql += "," }
            sql += "(\(batch),\(i),'b\(batch)-\(i)')"
        }
        return sql
    }
}
