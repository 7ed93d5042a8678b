import AurumCore
import Foundation
import Testing
@testable import AurumStorage

/// SQLite-style failure testing: fail (or "crash" at) every durable operation of an insert
/// of two partitions in turn, reopen, and check that either both parts are visible or none.
@Suite struct FaultInjectionTests {
    func twoPartitions() -> [PartitionedBlock] {
        [PartitionedBlock(partitionID: "a", block: salesBlock([3, 1, 2], amountNullEvery: 2)),
         PartitionedBlock(partitionID: "b", block: salesBlock([9, 8]))]
    }

    func countOperations() throws -> Int {
        let dir = TempDir("count"); defer { dir.cleanup() }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true))
        defer { t.close() }
        let inj = FaultInjector()
        let t2 = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true, injector: inj))
        defer { t2.close() }
        try t2.insert(twoPartitions())
        return inj.count
    }

    @Test(arguments: [FaultInjector.Action.simulatedCrash, .ioError, .diskFull])
    func insertIsAllOrNothingAtEveryFaultPoint(action: FaultInjector.Action) throws {
        let total = try countOperations()
        #expect(total > 20)
        var sawNone = false, sawAll = false
        for failAt in 0..<total {
            let dir = TempDir("fault"); defer { dir.cleanup() }
            let setup = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true))
            try setup.insert([PartitionedBlock(partitionID: "a", block: salesBlock([100]))])   // pre-existing data
            setup.close()
            let inj = FaultInjector(failAt: failAt, action: action)
            let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true, injector: inj))
            var threw = false
            do { try t.insert(twoPartitions()) } catch let e as AurumError {
                threw = true
                #expect(e.code == (action == .diskFull ? .diskFull : .ioError))
            }
            #expect(inj.triggered)
            let inProcess = t.snapshot().rowCount
            if action != .simulatedCrash {
                // The failed insert left the in-memory view consistent with what it reported.
                #expect(inProcess == (threw ? 1 : 6), "failAt \(failAt)")
            }
            // "Restart": reopen the directory without the injector.
            let r = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
            let s = r.snapshot()
            let rowsSeen = try allRows(s).map { $0[0] }
            if s.parts.count == 1 {
                sawNone = true
                #expect(rowsSeen == [.int(100)], "failAt \(failAt)")
            } else {
                sawAll = true
                #expect(s.parts.count == 3, "failAt \(failAt): \(s.parts.map(\.name))")
                #expect(Set(rowsSeen) == Set([100, 1, 2, 3, 8, 9].map { Value.int($0) }), "failAt \(failAt)")
            }
            if action != .simulatedCrash { #expect((inProcess == 6) == sawAll || inProcess == 1) }
            // No temporary or unlisted directories survive recovery.
            let entries = try FileManager.default.contentsOfDirectory(atPath: dir.table)
            #expect(!entries.contains { $0.hasPrefix("tmp_") }, "failAt \(failAt): \(entries)")
            #expect(Set(entries.filter { FileIO.isDirectory(dir.table + "/" + $0) }) == Set(s.parts.map(\.name)))
            r.close()
            t.close()
        }
        #expect(sawNone && sawAll)
    }

    @Test func failedMergeLeavesPartsIntact() throws {
        let dir = TempDir("mergefault"); defer { dir.cleanup() }
        let counter = FaultInjector()
        let t0 = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true))
        try t0.insert([PartitionedBlock(block: salesBlock([1, 2]))])
        try t0.insert([PartitionedBlock(block: salesBlock([3]))])
        t0.close()
        let tc = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true, injector: counter))
        let before = try allRows(tc.snapshot())
        tc.close()
        // Fail the merge at a few points, including the manifest rename.
        for failAt in [0, 5, 17] {
            let inj = FaultInjector(failAt: failAt, action: .ioError)
            let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions(fsync: true, injector: inj))
            #expect(throws: AurumError.self) { _ = try t.mergeOnce() }
            #expect(try allRows(t.snapshot()) == before)
            t.close()
        }
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(), options: quietOptions())
        defer { t.close() }
        #expect(t.snapshot().parts.count == 2)
        #expect(try allRows(t.snapshot()) == before)
    }
}
