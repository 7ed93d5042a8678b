// Sorting keys with expressions (`ORDER BY (toStartOfHour(ts), symbol)`) across restarts: the
// catalog file keeps the original ORDER BY text, the hidden `_sort_key_<n>` storage columns are
// derived from it again at open, so old parts stay readable, new inserts compute the key, and
// merges (OPTIMIZE FINAL, ReplacingMergeTree collapse) keep working on old and new parts.

import Aurum
import Foundation
import Testing

@Suite("ORDER BY expressions across restarts")
struct OrderByExpressionRestartTests {
    static let probes = [
        "SELECT * FROM ticks ORDER BY ts, symbol",
        "SELECT * FROM ticks FINAL ORDER BY ts, symbol",
        "SELECT toStartOfHour(ts) AS h, symbol, count(*), sum(qty) FROM ticks FINAL GROUP BY h, symbol ORDER BY h, symbol",
        "SELECT count(*) FROM ticks FINAL WHERE symbol = 'B' AND ts >= '2024-03-01 05:00:00'",
        "DESCRIBE TABLE ticks",
        "SHOW CREATE TABLE ticks",
        "SELECT name, type, is_in_sorting_key FROM system.columns WHERE \"table\" = 'ticks' ORDER BY position",
        "SELECT sorting_key, partition_key FROM system.tables WHERE name = 'ticks'",
    ]

    static func snapshot(_ db: Database) throws -> [[[Value]]] {
        try probes.map { try db.query($0).rows }
    }

    static let history = """
        CREATE TABLE ticks (ts DateTime64(3), symbol LowCardinality(String), price Float64, qty UInt32)
        ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(ts) ORDER BY (toStartOfHour(ts), symbol)
        SETTINGS index_granularity = 4;
        INSERT INTO ticks SELECT toDateTime64('2024-03-01 00:00:00', 3) + INTERVAL number MINUTE,
                                 multiIf(number % 3 = 0, 'A', number % 3 = 1, 'B', 'C'), number, 1
                          FROM numbers(600);
        INSERT INTO ticks VALUES ('2024-03-01 05:30:00', 'B', 9999, 7), ('2024-04-01 00:10:00', 'A', 1.5, 2);
        ALTER TABLE ticks ADD COLUMN venue String DEFAULT 'XNAS' AFTER ts;
        INSERT INTO ticks VALUES ('2024-03-01 10:15:00', 'ARCX', 'C', 42, 5);
        """

    /// Column names listed in the `columns.txt` of every part of the table's store.
    static func partColumns(_ dir: String) throws -> [[String]] {
        let fm = FileManager.default
        var out: [[String]] = []
        for store in try fm.contentsOfDirectory(atPath: dir + "/store") {
            for part in try fm.contentsOfDirectory(atPath: dir + "/store/" + store).sorted() {
                let path = dir + "/store/" + store + "/" + part + "/columns.txt"
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                out.append(text.split(separator: "\n").filter { $0.hasPrefix("`") }.map { String($0.split(separator: "`")[0]) })
            }
        }
        return out
    }

    @Test func expressionKeySurvivesRestart() throws {
        let dir = TestScratch.directory("order-by-expr")
        defer { TestScratch.remove(dir) }
        let before: [[[Value]]]
        do {
            let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
            defer { db.close() }
            _ = try db.connect().executeAll(Self.history)
            before = try Self.snapshot(db)
        }
        // 10 hours x 3 symbols in March (one row per key: ReplacingMergeTree collapses within an
        // INSERT too) + (05:00, B) again + one April row + (10:00, C)
        #expect(before[1].count == 32)
        #expect(before[4].map { $0[0] } == [.string("ts"), .string("venue"), .string("symbol"), .string("price"), .string("qty")])
        #expect(before[7] == [[.string("toStartOfHour(ts), symbol"), .string("toYYYYMM(ts)")]])
        let replaced = before[1].first { $0[2] == .string("B") && $0[0].description.hasPrefix("2024-03-01 05:") }
        #expect(replaced?[3] == .float(9999))

        // The catalog file keeps the user's ORDER BY; the hidden column is storage-only.
        let catalog = try String(contentsOfFile: dir + "/metadata/default/ticks.sql", encoding: .utf8)
        #expect(catalog.contains("ORDER BY (toStartOfHour(ts), symbol)"))
        #expect(!catalog.contains("_sort_key"))
        let parts = try Self.partColumns(dir)
        #expect(!parts.isEmpty)
        for cols in parts { #expect(cols.contains("_sort_key_0"), "part columns: \(cols)") }

        for round in 1...2 {
            let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
            defer { db.close() }
            let after = try Self.snapshot(db)
            for (i, sql) in Self.probes.enumerated() {
                #expect(after[i] == before[i], "restart \(round) changed the result of \(sql)")
            }
        }

        // After a restart: INSERT without a column list (user columns only), hidden names stay
        // unresolvable, FINAL and OPTIMIZE FINAL combine old and new parts by the computed key.
        do {
            let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
            defer { db.close() }
            try db.execute("INSERT INTO ticks VALUES ('2024-03-01 05:45:00', 'XNYS', 'B', 12345, 3)")
            do {
                _ = try db.query("SELECT _sort_key_0 FROM ticks")
                Issue.record("the hidden key column was resolvable by name")
            } catch let e as AurumError {
                #expect(e.code == SQLState("42703"))
            }
            try db.execute("OPTIMIZE TABLE ticks FINAL")
        }
        let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
        defer { db.close() }
        #expect(try db.query("SELECT count(*) FROM ticks")[0].int(0) == 32)
        let b5 = try db.query("SELECT venue, price, qty FROM ticks WHERE symbol = 'B' AND toStartOfHour(ts) = '2024-03-01 05:00:00'")
        #expect(b5.rows == [[.string("XNYS"), .float(12345), .uint(3)]])
        // every other row is unchanged by the merge
        let others = try db.query("SELECT * FROM ticks WHERE NOT (symbol = 'B' AND toStartOfHour(ts) = '2024-03-01 05:00:00') ORDER BY ts, symbol").rows
        let expectedOthers = before[1].filter { !($0[2] == .string("B") && $0[0].description.hasPrefix("2024-03-01 05:")) }
        #expect(others == expectedOthers)
        #expect(try db.query("SELECT count(*) FROM system.parts WHERE \"table\" = 'ticks'")[0].int(0) == 2)
        for cols in try Self.partColumns(dir) { #expect(cols.last == "_sort_key_0", "part columns: \(cols)") }
    }

    /// `ORDER BY tuple()` (no sorting key) was written to the catalog as `ORDER BY ()`, which
    /// does not parse: the table could not be opened again.
    @Test func emptySortingKeySurvivesRestart() throws {
        let dir = TestScratch.directory("order-by-tuple")
        defer { TestScratch.remove(dir) }
        do {
            let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
            defer { db.close() }
            _ = try db.connect().executeAll("""
                CREATE TABLE unkeyed (a Nullable(Int32), d Date) ENGINE = MergeTree ORDER BY tuple();
                INSERT INTO unkeyed VALUES (2, '2024-01-02'), (NULL, '2024-01-01'), (1, '2024-01-03');
                """)
        }
        let catalog = try String(contentsOfFile: dir + "/metadata/default/unkeyed.sql", encoding: .utf8)
        #expect(catalog.contains("ORDER BY tuple()"))
        let db = try Database.open(at: dir, options: DatabaseOptions(backgroundMerges: false))
        defer { db.close() }
        #expect(try db.query("SELECT count(*), sum(a) FROM unkeyed").rows == [[.int(3), .int(3)]])
        #expect(try db.query("SELECT sorting_key FROM system.tables WHERE name = 'unkeyed'").rows == [[.string("")]])
    }
}
