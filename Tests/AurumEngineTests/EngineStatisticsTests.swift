import AurumCore
import AurumStorage
import Testing
@testable import AurumEngine

@Suite("Engine statistics")
struct EngineStatisticsTests {
    @Test func statementsScansAndMergesAreCounted() throws {
        let engine = try Engine(directory: nil, options: EngineOptions(threads: 2, backgroundMerges: false, fsync: false))
        defer { engine.close() }
        let session = engine.makeSession()
        let s0 = engine.statistics.snapshot
        #expect(s0.statements == [.ok: 0, .error: 0, .canceled: 0])
        _ = try session.execute("CREATE TABLE t (id Int64, v Int64, s String) ENGINE = MergeTree ORDER BY id")
        _ = try session.execute("INSERT INTO t SELECT number, number * 2, 'x' FROM numbers(20000)")
        _ = try session.execute("INSERT INTO t SELECT number, 1, 'y' FROM numbers(100)")
        #expect(throws: AurumError.self) { try session.execute("SELECT nope FROM t") }
        let beforeScan = engine.statistics.snapshot
        let r = try session.execute("SELECT sum(v) FROM t")
        #expect(r[0].rowCount == 1)
        let s = engine.statistics.snapshot
        #expect(s.statements[.ok] == 4)
        #expect(s.statements[.error] == 1)
        #expect(s.latencyCumulative.last == 5)
        #expect(s.latencyCumulative == s.latencyCumulative.sorted(), "buckets are cumulative")
        #expect(s.latencySum > 0)
        // The scan read every row of both parts and only two of the three columns' bytes.
        #expect(s.rowsRead - beforeScan.rowsRead == 20100)
        #expect(s.bytesRead > beforeScan.bytesRead)
        // A filtered query on the sort key prunes granules: fewer rows read than stored.
        let beforePruned = engine.statistics.snapshot.rowsRead
        _ = try session.execute("SELECT count(*) FROM t WHERE id = 5")
        let pruned = engine.statistics.snapshot.rowsRead - beforePruned
        #expect(pruned > 0 && pruned < 20100, "\(pruned)")

        let tables = engine.tableStatistics()
        #expect(tables.map(\.table) == ["t"])
        #expect(tables[0].rows == 20100)
        #expect(tables[0].parts == 2)
        let merges = StorageStatistics.shared.mergesCompleted
        _ = try session.execute("OPTIMIZE TABLE t FINAL")
        #expect(StorageStatistics.shared.mergesCompleted >= merges + 1)
        #expect(engine.tableStatistics()[0].parts == 1)
    }

    @Test func outcomes() {
        #expect(EngineStatistics.outcome(of: AurumError(.queryCanceled, "canceling statement due to user request")) == .canceled)
        #expect(EngineStatistics.outcome(of: AurumError(.divisionByZero, "division by zero")) == .error)
        let st = EngineStatistics()
        st.recordStatement(.canceled, seconds: 0.002)
        st.recordStatement(.ok, seconds: 100)
        let s = st.snapshot
        #expect(s.statements[.canceled] == 1)
        #expect(s.latencyCumulative[0] == 0)              // <= 1 ms
        #expect(s.latencyCumulative[1] == 1)              // <= 5 ms
        #expect(s.latencyCumulative[EngineStatistics.latencyBuckets.count - 1] == 1)  // <= 30 s
        #expect(s.latencyCumulative.last == 2)            // +Inf
    }
}
