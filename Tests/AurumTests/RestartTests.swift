// Restart: data written (several inserts, ALTERs, renames, drops), the database closed or
// the writing process exited, the directory reopened: every query answers exactly as before.

import Aurum
import AurumCLI
import Foundation
import Testing

@Suite("Restart")
struct RestartTests {
    /// Queries whose complete results (column names, types and every row) must survive a restart.
    static let probes = [
        "SELECT * FROM orders ORDER BY id",
        "SELECT region, count(*) AS n, sum(amount) AS total, min(day) AS first, max(note) AS last_note FROM orders GROUP BY region ORDER BY region",
        "SELECT count(*), sum(qty), countIf(note IS NULL), avg(score) FROM orders",
        "SELECT * FROM archive ORDER BY k",
        "SHOW TABLES",
        "DESCRIBE TABLE orders",
        "SHOW CREATE TABLE orders",
        "SELECT name, type FROM system.columns WHERE \"table\" = 'orders' ORDER BY position",
    ]

    struct Snapshot: Equatable, CustomStringConvertible {
        var columns: [String]
        var types: [DataType]
        var rows: [[Value]]
        var description: String { "\(columns) \(rows.prefix(5))... (\(rows.count) rows)" }
    }

    static func snapshot(_ db: Database) throws -> [Snapshot] {
        try probes.map { sql in
            let rs = try db.query(sql)
            return Snapshot(columns: rs.columns.map(\.name), types: rs.columns.map(\.type), rows: rs.rows)
        }
    }

    /// Builds the test's history: inserts, ALTER ADD/RENAME/DROP COLUMN, RENAME and DROP TABLE.
    static let history = """
        CREATE TABLE orders (id UInt64, region LowCardinality(String), amount Decimal(18, 2),
                             day Date, note Nullable(String), tag String)
        ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (region, id);
        INSERT INTO orders VALUES (1, 'North', 10.50, '2024-01-05', NULL, 'a'), (2, 'South', 7.25, '2024-02-01', 'gift', 'b');
        INSERT INTO orders VALUES (3, 'North', 99.99, '2024-02-10', 'rush', 'c');
        INSERT INTO orders SELECT 100 + number, if(number % 2 = 0, 'East', 'West'), CAST(number AS Decimal(18, 2)) / 4,
                                  toDate('2024-03-01') + number % 40, NULL, 'bulk'
                           FROM numbers(5000);
        ALTER TABLE orders ADD COLUMN qty UInt32 DEFAULT 1;
        INSERT INTO orders (id, region, amount, day, note, tag, qty) VALUES (4, 'South', 0.01, '2023-12-31', 'late', 'd', 7);
        ALTER TABLE orders RENAME COLUMN tag TO label;
        ALTER TABLE orders ADD COLUMN score Float64 DEFAULT 0.5;
        ALTER TABLE orders DROP COLUMN label;
        INSERT INTO orders (id, region, amount, day, qty, score) VALUES (5, 'East', 1000000.00, '2024-04-01', 3, 2.25);
        CREATE TABLE scratch (k Int32) ENGINE = MergeTree ORDER BY k;
        INSERT INTO scratch VALUES (1), (2);
        RENAME TABLE scratch TO archive;
        CREATE TABLE dropped (x Int32) ENGINE = MergeTree ORDER BY x;
        INSERT INTO dropped VALUES (1);
        DROP TABLE dropped;
        """

    @Test func closeAndReopenGivesIdenticalResults() throws {
        let dir = TestScratch.directory("restart")
        defer { TestScratch.remove(dir) }
        let before: [Snapshot]
        do {
            let db = try Database.open(at: dir)
            defer { db.close() }
            _ = try db.connect().executeAll(Self.history)
            before = try Self.snapshot(db)
        }
        #expect(before[0].rows.count == 5005)
        #expect(before[0].columns == ["id", "region", "amount", "day", "note", "qty", "score"])

        for round in 1...2 {
            let db = try Database.open(at: dir)
            defer { db.close() }
            let after = try Self.snapshot(db)
            for (i, sql) in Self.probes.enumerated() {
                #expect(after[i] == before[i], "restart \(round) changed the result of \(sql)")
            }
        }

        // The reopened database accepts writes that survive the next restart too.
        do {
            let db = try Database.open(at: dir)
            defer { db.close() }
            try db.execute("INSERT INTO orders (id, region, amount, day) VALUES (6, 'West', 6.00, '2024-05-05')")
        }
        let db = try Database.open(at: dir)
        defer { db.close() }
        let row = try db.query("SELECT qty, score, note FROM orders WHERE id = 6")
        #expect(row.rows == [[.uint(1), .float(0.5), .null]])
        #expect(try db.query("SELECT count(*) FROM orders")[0].int(0) == 5006)
    }

    @Test func manySmallInsertsWithBackgroundMergesSurviveRestart() throws {
        let dir = TestScratch.directory("restart-merges")
        defer { TestScratch.remove(dir) }
        let expected: [[Value]]
        do {
            let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: true))
            defer { db.close() }
            try db.execute("CREATE TABLE m (g UInt8, v Int64, s String) ENGINE = MergeTree ORDER BY (g, v)")
            let connection = db.connect()
            for i in 0..<60 {
                let values = (0..<20).map { j in "(\((i + j) % 7), \(i * 20 + j), 'v\(i)-\(j)')" }
                try connection.execute("INSERT INTO m VALUES " + values.joined(separator: ","))
            }
            expected = try db.query("SELECT g, count(*), sum(v), min(s), max(s) FROM m GROUP BY g ORDER BY g").rows
        }
        let db = try Database.open(at: dir)
        defer { db.close() }
        #expect(try db.query("SELECT g, count(*), sum(v), min(s), max(s) FROM m GROUP BY g ORDER BY g").rows == expected)
        let counts = try db.query("SELECT count(*), uniqExact(v) FROM m")[0]
        #expect(counts.int(0) == 1200)
        #expect(counts.int(1) == 1200)
    }

    @Test func dataWrittenByAnExitedProcessReadsTheSame() throws {
        let binary = try #require(AurumExecutable.path, AurumExecutable.missingMessage)
        let dir = TestScratch.directory("restart-process")
        defer { TestScratch.remove(dir) }
        // The same history, written by the aurum executable, which then exits.
        let written = try AurumExecutable.run(binary, ["query", "--data", dir], stdin: Self.history)
        #expect(written.status == 0, "\(written.stderr)")
        let fromProcess: [Snapshot]
        do {
            let db = try Database.open(at: dir)
            defer { db.close() }
            fromProcess = try Self.snapshot(db)
        }
        // ...and in-process, in memory: both paths give the same answers.
        let memory = try Database.inMemory()
        defer { memory.close() }
        _ = try memory.connect().executeAll(Self.history)
        let inMemory = try Self.snapshot(memory)
        for (i, sql) in Self.probes.enumerated() where !sql.hasPrefix("SHOW CREATE") {
            #expect(fromProcess[i] == inMemory[i], "\(sql) differs between the exited process's data and a fresh database")
        }
        // The CLI reads the directory back too, with the same totals.
        let cli = CLI.run(arguments: ["query", "--data", dir, "-f", "csv", "SELECT count(*) AS n FROM orders"])
        #expect(cli.stdout == "n\n5005\n", "\(cli.stderr)")
    }
}
