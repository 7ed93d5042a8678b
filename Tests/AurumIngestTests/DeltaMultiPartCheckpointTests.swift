import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Multi-part Delta checkpoints made from a real delta-rs checkpoint split into three
/// protocol-named parts (fixtures/delta_fixtures.py: `multipart`, `multipart_missing`,
/// `multipart_fallback`), checked against what delta-rs reads from the same table; and a v2
/// checkpoint with a sidecar file made from a real one (`sidecars`).
@Suite("Delta multi-part and v2 checkpoints")
struct DeltaMultiPartCheckpointTests {
    /// Rows, sum/min/max(id), the Decimal sum of amount, and rows per region of a source.
    struct Totals: Equatable {
        var rows = 0, sumID: Int64 = 0
        var minID = Int64.max, maxID = Int64.min
        var cents: Int128 = 0
        var perRegion: [String: Int] = [:]
    }

    static func totals(_ source: BlockSource) throws -> Totals {
        var t = Totals()
        let id = try #require(source.columns.firstIndex { $0.name == "id" })
        let region = try #require(source.columns.firstIndex { $0.name == "region" })
        let amount = try #require(source.columns.firstIndex { $0.name == "amount" })
        while let b = try source.next() {
            t.rows += b.count
            for r in 0..<b.count {
                if let v = b.columns[id].value(at: r).asInt64 {
                    t.sumID += v
                    t.minID = min(t.minID, v)
                    t.maxID = max(t.maxID, v)
                }
                t.perRegion[b.columns[region].value(at: r).asString ?? "<null>", default: 0] += 1
                if case .decimal(let raw, 2) = b.columns[amount].value(at: r) { t.cents += raw }
            }
        }
        return t
    }

    static func expectedTotals(_ e: [String: Any]) -> Totals {
        var t = Totals()
        t.rows = e["rows"] as? Int ?? -1
        t.sumID = (e["sum_id"] as? NSNumber)?.int64Value ?? -1
        t.minID = (e["min_id"] as? NSNumber)?.int64Value ?? -1
        t.maxID = (e["max_id"] as? NSNumber)?.int64Value ?? -1
        t.cents = Decimal(string: e["sum_amount"] as? String ?? "x").map { Int128(NSDecimalNumber(decimal: $0 * 100).int64Value) } ?? -1
        t.perRegion = e["per_region"] as? [String: Int] ?? [:]
        return t
    }

    static func relative(_ snap: DeltaSnapshot, _ root: String) -> [String] {
        snap.files.map { String($0.path.dropFirst(root.count + 1)) }.sorted()
    }

    @Test func theFixtureReallyHasOnlyAThreePartCheckpoint() throws {
        let (path, expected) = try DeltaLogTests.table("multipart")
        let log = try FileManager.default.contentsOfDirectory(atPath: path + "/_delta_log").sorted()
        let parts = try #require(expected["parts"] as? [String])
        #expect(parts.count == 3)
        #expect(log == parts + ["00000000000000000010.json", "00000000000000000011.json", "_last_checkpoint"])
        let hint = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/_delta_log/_last_checkpoint"))) as? [String: Any]
        #expect(hint?["version"] as? Int == 9)
        #expect(hint?["parts"] as? Int == 3)
        #expect(DeltaLog.checkpointFiles(log.filter { $0.contains(".checkpoint.") }) == parts)
        // every part holds actions; together they are the checkpoint delta-rs wrote
        let kinds = try #require(expected["checkpoint_actions"] as? [String: Int])
        var total = 0
        for p in parts {
            let n = try ParquetCheckpointReader().actions(of: [path + "/_delta_log/" + p]).count
            #expect(n > 0, "\(p)")
            total += n
        }
        #expect(total == kinds.values.reduce(0, +))
    }

    @Test func everyVersionFromTheCheckpointOn() throws {
        let (path, expected) = try DeltaLogTests.table("multipart")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        #expect(versions.keys.sorted() == ["10", "11", "9"])
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!, checkpoints: ParquetCheckpointReader())
            #expect(snap.version == Int64(v)!)
            #expect(Self.relative(snap, path) == e["files"] as? [String], "version \(v)")
            #expect(snap.partitionColumns == ["region"])
            #expect(try Self.totals(DeltaSource(snap)) == Self.expectedTotals(e), "version \(v)")
        }
        // the latest (no version given) is 11: commit 11's overwrite removed files the checkpoint listed
        let latest = try DeltaLog.snapshot(path, checkpoints: ParquetCheckpointReader())
        #expect(latest.version == 11)
        #expect(Self.relative(latest, path) == versions["11"]?["files"] as? [String])
        // there is nothing before the checkpoint
        let old = #expect(throws: AurumError.self) { try DeltaLog.snapshot(path, version: 8, checkpoints: ParquetCheckpointReader()) }
        #expect(old?.code == .badCopyFileFormat)
        #expect(old?.message.contains("commit 0 is gone") == true)
    }

    @Test func loadsThroughTheLoaderAndDeltaLakeFunction() throws {
        IngestTableFunctions.install()   // file() / deltaLake(), as the embedded API and the CLI do
        let db = try LoaderTests.DB()
        let (path, expected) = try DeltaLogTests.table("multipart")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        let latest = try #require(versions["11"])
        let summary = try db.load([path], table: "mp", create: true)
        #expect(summary.rows == latest["rows"] as? Int)
        #expect(try db.scalar("SELECT count(*), sum(id), min(id), max(id), sum(amount), countIf(region IS NULL) FROM mp")
                == ["\(latest["rows"]!)|\(latest["sum_id"]!)|\(latest["min_id"]!)|\(latest["max_id"]!)|\(latest["sum_amount"]!)|\(latest["null_regions"]!)"])
        let perRegion = try #require(latest["per_region"] as? [String: Int])
        #expect(try db.scalar("SELECT coalesce(region, '<null>'), count(*) FROM mp GROUP BY 1 ORDER BY 1")
                == perRegion.sorted { $0.key < $1.key }.map { "\($0.key)|\($0.value)" })
        // an older version in place, through deltaLake(dir, version)
        let v10 = try #require(versions["10"])
        #expect(try db.scalar("SELECT count(*), sum(id), max(id) FROM deltaLake('\(path)', 10)")
                == ["\(v10["rows"]!)|\(v10["sum_id"]!)|\(v10["max_id"]!)"])
    }

    @Test func aCheckpointWithAPartMissingIsNeverUsed() throws {
        let (path, expected) = try DeltaLogTests.table("multipart_missing")
        let missing = try #require(expected["missing_part"] as? String)
        for version in [nil, Int64(9), 10, 11] {
            let error = #expect(throws: AurumError.self) {
                try DeltaLog.snapshot(path, version: version, checkpoints: ParquetCheckpointReader())
            }
            #expect(error?.code == .badCopyFileFormat, "version \(String(describing: version))")
            #expect(error?.message.contains("commit 0 is gone") == true)
            #expect(error?.message.contains("checkpoint 9 lacks part 2 of 3 (\(missing))") == true, "\(error?.message ?? "")")
        }
        #expect(!DeltaLog.isComplete(try FileManager.default.contentsOfDirectory(atPath: path + "/_delta_log").filter { $0.contains(".checkpoint.") }))
        // the same through the loader: nothing loaded, the error says why
        let db = try LoaderTests.DB()
        let error = #expect(throws: AurumError.self) { _ = try db.load([path], table: "mp", create: true) }
        #expect(error?.code == .badCopyFileFormat)
        #expect(error?.message.contains(missing) == true)
    }

    @Test func anIncompleteCheckpointFallsBackToTheCommits() throws {
        let (path, expected) = try DeltaLogTests.table("multipart_fallback")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!, checkpoints: ParquetCheckpointReader())
            #expect(Self.relative(snap, path) == e["files"] as? [String], "version \(v)")
            #expect(try Self.totals(DeltaSource(snap)) == Self.expectedTotals(e), "version \(v)")
        }
        // no checkpoint reader is needed: the incomplete checkpoint is not a candidate
        #expect(try DeltaLog.snapshot(path).version == 11)
    }

    /// A UUID-named v2 checkpoint keeps its add/remove actions in a sidecar file: without
    /// reading it the snapshot would silently hold only the files of later commits.
    @Test func v2CheckpointWithASidecar() throws {
        let (path, expected) = try DeltaLogTests.table("sidecars")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!, checkpoints: ParquetCheckpointReader())
            #expect(Self.relative(snap, path) == e["files"] as? [String], "version \(v)")
            #expect(try Self.totals(DeltaSource(snap)) == Self.expectedTotals(e), "version \(v)")
        }
        // a sidecar that is gone is an error naming it, not a table with fewer rows
        let copy = NSTemporaryDirectory() + "aurum-sidecar-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let sidecar = try #require(expected["sidecar"] as? String)
        try FileManager.default.removeItem(atPath: copy + "/_delta_log/_sidecars/" + sidecar)
        let error = #expect(throws: AurumError.self) { try DeltaLog.snapshot(copy, checkpoints: ParquetCheckpointReader()) }
        #expect(error?.code == .ioError)
        #expect(error?.message.contains(sidecar) == true)
        #expect(ParquetCheckpointReader.sidecarPath("a%20b.parquet", checkpoints: ["/t/_delta_log/4.checkpoint.x.parquet"])
                == "/t/_delta_log/_sidecars/a b.parquet")
        #expect(ParquetCheckpointReader.sidecarPath("file:///elsewhere/s.parquet", checkpoints: ["/t/_delta_log/c.parquet"]) == "/elsewhere/s.parquet")
    }

    @Test func checkpointNames() {
        let v = "00000000000000000010"
        #expect(DeltaLog.checkpointVersion("\(v).checkpoint.parquet") == 10)
        #expect(DeltaLog.checkpointVersion("\(v).checkpoint.0000000001.0000000003.parquet") == 10)
        #expect(DeltaLog.checkpointVersion("\(v).checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet") == 10)
        #expect(DeltaLog.checkpointVersion("\(v).json") == nil)
        #expect(DeltaLog.checkpointVersion("\(v).checkpoint.parquet.crc") == nil)
        #expect(DeltaLog.checkpointVersion("10.checkpoint.parquet") == nil)
        #expect(DeltaLog.checkpointVersion("_last_checkpoint") == nil)
        let parts = (1...3).map { "\(v).checkpoint.000000000\($0).0000000003.parquet" }
        // parts come back in part order whatever the listing order
        #expect(DeltaLog.checkpointFiles(parts.reversed()) == parts)
        #expect(DeltaLog.checkpointFiles([parts[0], parts[2]]) == nil)
        #expect(DeltaLog.missingParts([parts[0], parts[2]]) == "part 2 of 3 (\(v).checkpoint.0000000002.0000000003.parquet)")
        // two checkpoints of one version (racing writers): one complete one is used, never a mix
        #expect(DeltaLog.checkpointFiles(parts + ["\(v).checkpoint.parquet"]) == ["\(v).checkpoint.parquet"])
        let two = (1...2).map { "\(v).checkpoint.000000000\($0).0000000002.parquet" }
        #expect(DeltaLog.checkpointFiles([parts[0], parts[2]] + two) == two)
        // part numbers outside 1...p do not count
        #expect(DeltaLog.checkpointFiles(["\(v).checkpoint.0000000000.0000000001.parquet"]) == nil)
        #expect(DeltaLog.checkpointFiles(["\(v).checkpoint.0000000002.0000000001.parquet"]) == nil)
        // a huge part count from a file name is not enumerated
        #expect(DeltaLog.missingParts(["\(v).checkpoint.0000000001.9999999999.parquet"])?.contains("9999999993 more") == true)
    }
}
