import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Delta log replay against tables written by delta-rs (Tests/AurumIngestTests/fixtures/delta_fixtures.py):
/// the live files of every version, schema and partition columns, column mapping, refused
/// reader features, missing commits.
@Suite("Delta log")
struct DeltaLogTests {
    /// The generated tables (once per test process) and the generator's expectations.
    static let generated = FixtureGenerator.run("delta_fixtures.py", prefix: "aurum-delta", needs: "pip deltalake==1.6.6 and pyarrow; .ci/run installs them")

    static func fixtures() throws -> (dir: String, expected: [String: Any]) {
        let dir = try generated.get()
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/expected.json"))
        return (dir, try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
    }

    static func table(_ name: String) throws -> (path: String, expected: [String: Any]) {
        let f = try fixtures()
        return (f.dir + "/" + name, f.expected[name] as? [String: Any] ?? [:])
    }

    @Test func everyVersionOfAnAppendedAndOverwrittenTable() throws {
        let (path, expected) = try Self.table("events")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        #expect(versions.count == 4)
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!)
            let files = snap.files.map { String($0.path.dropFirst(path.count + 1)) }.sorted()
            #expect(files == e["files"] as? [String], "version \(v)")
            #expect(snap.files.compactMap(\.records).reduce(0, +) == (e["rows"] as? NSNumber)?.int64Value, "version \(v)")
            // partition values: the NULL partition is nil, the URL-encoded directory decodes
            let regions = Set(snap.files.map { ($0.partitionValues["region"] ?? nil) ?? "<null>" })
            #expect(regions.contains("<null>") == ((e["null_regions"] as? Int ?? 0) > 0), "version \(v)")
            for f in snap.files { #expect(FileManager.default.fileExists(atPath: f.path), "\(f.path)") }
        }
        let latest = try DeltaLog.snapshot(path)
        #expect(latest.version == 3)
        #expect(latest.partitionColumns == ["region"])
        #expect(latest.columns == [
            SourceColumn(name: "id", type: DataType.int64.nullable), SourceColumn(name: "region", type: DataType.string.nullable),
            SourceColumn(name: "amount", type: DataType(.decimal(precision: 18, scale: 2), nullable: true)),
            SourceColumn(name: "ts", type: DataType(.dateTime64(precision: 6), nullable: true)),
            SourceColumn(name: "note", type: DataType.string.nullable),
        ])
        #expect(latest.files.contains { $0.partitionValues["region"] == "north west" })
        let error = #expect(throws: AurumError.self) { try DeltaLog.snapshot(path, version: 4) }
        #expect(error?.code == .invalidParameterValue)
        #expect(error?.message.contains("latest is 3") == true)
    }

    @Test func columnMappingByName() throws {
        let (path, _) = try Self.table("mapped")
        let snap = try DeltaLog.snapshot(path)
        #expect(snap.columnMappingMode == "name")
        #expect(snap.fields.map(\.name) == ["Customer Id", "label"])
        #expect(snap.fields.map(\.physicalName) == ["col-a1", "col-b2"])
    }

    @Test func deletionVectorsAreRefused() throws {
        let (path, _) = try Self.table("dv")
        let error = #expect(throws: AurumError.self) { try DeltaLog.snapshot(path) }
        #expect(error?.code == .featureNotSupported)
        #expect(error?.message.contains("deletionVectors") == true)
    }

    @Test func checkpointsAreReadWhenEarlyCommitsAreGone() throws {
        let (path, expected) = try Self.table("checkpointed")
        #expect(expected["latest"] as? Int == 11)
        // without a checkpoint reader the snapshot cannot be rebuilt, and says why
        let error = #expect(throws: AurumError.self) { try DeltaLog.snapshot(path) }
        #expect(error?.code == .featureNotSupported)
        #expect(error?.message.contains("checkpoint 9") == true)
        // versions before the checkpoint lost their commits
        let old = #expect(throws: AurumError.self) { try DeltaLog.snapshot(path, version: 5, checkpoints: ParquetCheckpointReader()) }
        #expect(old?.message.contains("commit 0 is gone") == true)
        // with the Parquet checkpoint reader: the checkpoint, then the commits after it
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        #expect(versions.keys.sorted() == ["10", "11", "9"])
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!, checkpoints: ParquetCheckpointReader())
            #expect(snap.files.map { String($0.path.dropFirst(path.count + 1)) }.sorted() == e["files"] as? [String], "version \(v)")
            #expect(snap.partitionColumns == ["region"])
            #expect(snap.files.allSatisfy { ($0.partitionValues["region"] ?? nil)?.hasPrefix("r") == true })
            let (rows, sumID, _) = try Self.read(DeltaSource(snap))
            #expect(rows == e["rows"] as? Int, "version \(v)")
            #expect(sumID == (e["sum_id"] as? NSNumber)?.int64Value, "version \(v)")
        }
    }

    /// Rows, sum(id) and the Decimal sum of `amount` (as text) of a source's blocks.
    static func read(_ source: BlockSource) throws -> (Int, Int64, String) {
        var rows = 0, sumID: Int64 = 0
        var amount = Value.decimal(0, scale: 2)
        let idIndex = source.columns.firstIndex { $0.name == "id" || $0.name == "Customer Id" }
        let amountIndex = source.columns.firstIndex { $0.name == "amount" }
        while let b = try source.next() {
            rows += b.count
            for r in 0..<b.count {
                if let i = idIndex, let v = b.columns[i].value(at: r).asInt64 { sumID += v }
                if let a = amountIndex, case .decimal(let raw, _) = b.columns[a].value(at: r), case .decimal(let acc, let s) = amount {
                    amount = .decimal(acc + raw, scale: s)
                }
            }
        }
        return (rows, sumID, amount.description)
    }

    @Test func readsEveryVersionWithPartitionValues() throws {
        let (path, expected) = try Self.table("events")
        let versions = try #require(expected["versions"] as? [String: [String: Any]])
        for (v, e) in versions {
            let snap = try DeltaLog.snapshot(path, version: Int64(v)!)
            let source = try DeltaSource(snap)
            #expect(source.bytesTotal == snap.files.reduce(0) { $0 + $1.size })
            var nullRegions = 0, nullNotes = 0, rows = 0
            var sumID: Int64 = 0
            var cents: Int128 = 0
            while let b = try source.next() {
                rows += b.count
                for r in 0..<b.count {
                    if b.columns[1].value(at: r).isNull { nullRegions += 1 }
                    if b.columns[4].value(at: r).isNull { nullNotes += 1 }
                    sumID += b.columns[0].value(at: r).asInt64 ?? 0
                    if case .decimal(let raw, 2) = b.columns[2].value(at: r) { cents += raw }
                }
            }
            #expect(rows == e["rows"] as? Int, "version \(v)")
            #expect(sumID == (e["sum_id"] as? NSNumber)?.int64Value, "version \(v)")
            #expect(nullRegions == e["null_regions"] as? Int, "version \(v)")
            #expect(nullNotes == e["null_notes"] as? Int, "version \(v)")
            let expectedCents = Decimal(string: e["sum_amount"] as? String ?? "x").map { NSDecimalNumber(decimal: $0 * 100).int64Value }
            #expect(expectedCents == Int64(cents), "version \(v)")
            #expect(source.bytesRead == source.bytesTotal)
        }
        // only some columns, partition column first
        let source = try DeltaSource(try DeltaLog.snapshot(path, version: 1), columns: ["REGION", "id"])
        #expect(source.columns.map(\.name) == ["region", "id"])
        var regions: [String: Int] = [:]
        while let b = try source.next() {
            for r in 0..<b.count { regions[b.columns[0].value(at: r).asString ?? "<null>", default: 0] += 1 }
        }
        #expect(regions == ["eu": 3, "us": 2, "north west": 2, "<null>": 1])
    }

    @Test func columnMappingReadsPhysicalColumns() throws {
        let (path, _) = try Self.table("mapped")
        let source = try DeltaSource(try DeltaLog.snapshot(path))
        #expect(source.columns.map(\.name) == ["Customer Id", "label"])
        var ids: [Int64] = [], labels: [String?] = []
        while let b = try source.next() {
            for r in 0..<b.count {
                ids.append(b.columns[0].value(at: r).asInt64 ?? -1)
                labels.append(b.columns[1].value(at: r).asString)
            }
        }
        #expect(ids == [1, 2, 3])
        #expect(labels == ["x", nil, "z"])
    }

    @Test func aMissingDataFileIsAnError() throws {
        let (path, expected) = try Self.table("missing")
        let gone = try #require(expected["gone"] as? String)
        let source = try DeltaSource(try DeltaLog.snapshot(path))
        let error = #expect(throws: AurumError.self) { while try source.next() != nil {} }
        #expect(error?.code == .ioError)
        #expect(error?.message.contains(gone) == true)
    }

    @Test func notADeltaTable() throws {
        let f = try Self.fixtures()
        let error = #expect(throws: AurumError.self) { try DeltaLog.snapshot(f.dir + "/events/region=eu") }
        #expect(error?.code == .ioError)
        #expect(!DeltaLog.isDeltaTable(f.dir))
        #expect(DeltaLog.isDeltaTable(f.dir + "/events"))
    }

    @Test func multiPartCheckpointCompleteness() {
        #expect(DeltaLog.isComplete(["00000000000000000010.checkpoint.parquet"]))
        #expect(DeltaLog.isComplete(["00000000000000000010.checkpoint.0000000001.0000000002.parquet",
                                     "00000000000000000010.checkpoint.0000000002.0000000002.parquet"]))
        #expect(!DeltaLog.isComplete(["00000000000000000010.checkpoint.0000000001.0000000002.parquet"]))
    }
}
