import AurumCore
import AurumEngine
import Foundation
import Synchronization
import Testing
@testable import AurumIngest

/// Loads end to end (InputSpec → Loader → BulkInsert → table): --create from a Delta table and
/// a CSV with inferred columns, --replace while other sessions read, a failed load that leaves
/// no trace, an error budget with a rejects file.
@Suite("Loader")
struct LoaderTests {
    final class DB {
        let dir = NSTemporaryDirectory() + "aurum-load-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let engine: Engine
        init() throws {
            IngestTableFunctions.install()   // file(), deltaLake(), FROM INFILE
            engine = try Engine(directory: dir, options: EngineOptions(threads: 2, backgroundMerges: false, fsync: false))
        }
        deinit {
            engine.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        func scalar(_ sql: String) throws -> [String] {
            let r = try engine.makeSession().execute(sql).last!
            return r.blocks.flatMap { b in (0..<b.count).map { i in b.columns.map { $0.value(at: i).description }.joined(separator: "|") } }
        }
        /// Runs statements; returns the rows the last one affected.
        @discardableResult
        func run(_ sql: String) throws -> Int { try engine.makeSession().execute(sql).last?.rowsAffected ?? 0 }
        func load(_ paths: [String], table: String, format: String = "auto", create: Bool = false, replace: Bool = false,
                  maxErrors: Int = 0, rejects: String? = nil, csv: CSVOptions? = nil) throws -> LoadSummary {
            var r = LoadRequest(input: try InputSpec.resolve(paths, format: format, csv: csv), table: table)
            r.create = create
            r.mode = replace ? .replace : .append
            r.maxErrors = maxErrors
            r.rejectsPath = rejects
            return try Loader.run(r, session: engine.makeSession())
        }
    }

    @Test func createFromADeltaTableThenAppend() throws {
        let db = try DB()
        let (path, expected) = try DeltaLogTests.table("events")
        let latest = try #require((expected["versions"] as? [String: [String: Any]])?["3"])
        let s = try db.load([path], table: "events", create: true)
        #expect(s.created && !s.replaced)
        #expect(s.rows == latest["rows"] as? Int)
        #expect(try db.scalar("SELECT count(*), sum(id), countIf(region IS NULL) FROM events")
                == ["\(latest["rows"]!)|\(latest["sum_id"]!)|\(latest["null_regions"]!)"])
        #expect(try db.scalar("SELECT type FROM system.columns WHERE \"table\" = 'events' AND name = 'amount'") == ["Nullable(Decimal(18, 2))"])
        // append the same again: twice the rows
        _ = try db.load([path], table: "events")
        #expect(try db.scalar("SELECT count(*) FROM events") == ["\(2 * (latest["rows"] as! Int))"])
        // a table that does not exist, without --create
        let e = #expect(throws: AurumError.self) { _ = try db.load([path], table: "nope") }
        #expect(e?.code == .undefinedTable)
    }

    @Test func createFromCSVWithInferredColumnsAndDefaultKey() throws {
        let db = try DB()
        let big = try TextFixtures.section("big_csv")
        let s = try db.load([try TextFixtures.path("big.csv")], table: "big", create: true)
        #expect(s.rows == big["rows"] as? Int)
        #expect(s.bytesRead > 20_000_000)
        #expect(try db.scalar("SELECT count(*), sum(id), sum(qty), countIf(note IS NULL) FROM big")
                == ["\(big["rows"]!)|\(big["sum_id"]!)|\(big["sum_qty"]!)|\(big["null_notes"]!)"])
        // the default key: the first non-nullable date/time column and string column, else the first column
        #expect(try db.scalar("SELECT sorting_key FROM system.tables WHERE name = 'big'") == ["day"])
        #expect(Loader.defaultOrderBy([SourceColumn(name: "x", type: DataType.float64), SourceColumn(name: "id", type: .int64)]) == "\"id\"")
        #expect(Loader.defaultOrderBy([SourceColumn(name: "x", type: DataType.int64.nullable)]) == "tuple()")
    }

    /// Readers in other sessions see the old contents or the new, never a mix, and never an
    /// empty or missing table, while a replace runs.
    @Test func replaceIsAtomicForConcurrentReaders() async throws {
        let db = try DB()
        let (events, _) = try DeltaLogTests.table("events")
        _ = try db.load([events], table: "t", create: true)
        let old = try db.scalar("SELECT count(*) FROM t")
        let big = try TextFixtures.section("big_csv")
        // two contents to swap between: the big CSV (300k rows), and it plus a copy (600k)
        let one = try TextFixtures.path("big.csv")
        let copy = db.dir + "-big-copy.csv"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: one, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        _ = try db.load([one], table: "b", create: true)
        let rows = big["rows"] as! Int
        let stop = Atomic(false)
        let seen = Mutex<Set<String>>([])
        let failures = Mutex<[String]>([])
        let engine = db.engine
        let reader = Task.detached {
            let session = engine.makeSession()
            while !stop.load(ordering: .relaxed) {
                do {
                    let r = try session.execute("SELECT count(*), sum(id) FROM b").last!
                    let n = r.blocks[0].columns[0].value(at: 0).description + "|" + r.blocks[0].columns[1].value(at: 0).description
                    seen.withLock { _ = $0.insert(n) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        // the reader has seen the table before the first replace starts
        while seen.withLock({ $0.isEmpty }) && failures.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
        for round in 1...4 {
            let s = try db.load(round % 2 == 1 ? [one, copy] : [one], table: "b", replace: true)
            #expect(s.replaced && s.rows == (round % 2 == 1 ? 2 * rows : rows))
        }
        stop.store(true, ordering: .relaxed)
        await reader.value
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let sumID = (big["sum_id"] as! NSNumber).int64Value
        let states = seen.withLock { $0 }
        #expect(states.isSubset(of: ["\(rows)|\(sumID)", "\(2 * rows)|\(2 * sumID)"]), "\(states)")
        #expect(!states.isEmpty)
        #expect(try db.scalar("SELECT count(*) FROM t") == old)
        // no staging table is left behind
        #expect(try db.scalar("SELECT count(*) FROM system.tables WHERE name LIKE '%aurum_load%'") == ["0"])
    }

    @Test func aFailedLoadChangesNothing() throws {
        let db = try DB()
        var csv = CSVOptions.rfc4180
        csv.header = false
        _ = try db.engine.makeSession().execute("CREATE TABLE n (a Int64, amount Decimal(9, 2), d Date, k Int64) ENGINE = MergeTree ORDER BY a")
        _ = try db.load([try TextFixtures.path("bad_number.csv")], table: "n", maxErrors: 1, csv: csv)
        #expect(try db.scalar("SELECT count(*) FROM n") == ["3"])
        // the bad row fails a load without a budget: nothing more is added, for append and replace
        for replace in [false, true] {
            let e = #expect(throws: AurumError.self) {
                _ = try db.load([try TextFixtures.path("bad_number.csv")], table: "n", replace: replace, csv: csv)
            }
            #expect(e?.code == .invalidTextRepresentation)
            #expect(e?.message.contains("bad_number.csv") == true)
            #expect(try db.scalar("SELECT count(*) FROM n") == ["3"])
        }
        #expect(try db.scalar("SELECT count(*) FROM system.tables WHERE name LIKE '%aurum_load%'") == ["0"])
        // a failed --create (an unbalanced quote) leaves no table
        let e = #expect(throws: AurumError.self) {
            _ = try db.load([try TextFixtures.path("bad_unbalanced.csv")], table: "fresh", create: true, csv: csv)
        }
        #expect(e?.code == .badCopyFileFormat)
        #expect(try db.scalar("SELECT count(*) FROM system.tables WHERE name = 'fresh'") == ["0"])
    }

    @Test func rejectsFileListsTheBadRows() throws {
        let db = try DB()
        var csv = CSVOptions.rfc4180
        csv.header = false
        _ = try db.engine.makeSession().execute("CREATE TABLE r (a Int64, amount Decimal(9, 2), d Date, k Int64) ENGINE = MergeTree ORDER BY a")
        let rejects = NSTemporaryDirectory() + "aurum-rejects-\(getpid()).ndjson"
        defer { try? FileManager.default.removeItem(atPath: rejects) }
        let s = try db.load([try TextFixtures.path("bad_number.csv")], table: "r", maxErrors: 5, rejects: rejects, csv: csv)
        #expect(s.rejected == 1)
        #expect(s.rows == 3)
        let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect((row["location"] as? String)?.hasSuffix("bad_number.csv:2") == true)
        #expect(row["column"] as? String == "amount")
        #expect(row["value"] as? String == "12x.5")
        #expect((row["reason"] as? String)?.isEmpty == false)
    }
}
