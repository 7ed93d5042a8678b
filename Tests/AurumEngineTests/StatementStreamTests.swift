import AurumCore
import AurumSQL
import Foundation
import Testing
@testable import AurumEngine

// Pull-based results (Session.stream): rows come out block by block in the same order and
// with the same values as the materialised result, a consumer that stops early leaves the
// rest uncomputed, and cancel/interleaving behave.

private func withEngine(_ body: (Engine, Session) throws -> Void) throws {
    let dir = NSTemporaryDirectory() + "aurum-stream-\(UInt64.random(in: 0...UInt64.max))"
    let engine = try Engine(directory: dir, options: EngineOptions(threads: 2, fsync: false))
    defer {
        engine.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
    try body(engine, engine.makeSession())
}

private func parsed(_ sql: String) throws -> ParsedStatement {
    let s = try Parser.parse(sql)
    #expect(s.count == 1)
    return s[0]
}

/// A table of `n` rows (k = 0..<n, sorted by k) written as several parts.
private func makeTable(_ session: Session, rows n: Int, parts: Int) throws {
    _ = try session.execute("CREATE TABLE t (k Int64, s String) ENGINE = MergeTree ORDER BY k")
    let per = n / parts
    for p in 0..<parts {
        _ = try session.execute("INSERT INTO t SELECT number + \(p * per), toString(number) FROM numbers(\(per))")
    }
}

@Suite struct StatementStreamTests {
    @Test func streamsAScanInKeyOrderInSeveralBlocks() throws {
        try withEngine { _, session in
            try makeTable(session, rows: 600_000, parts: 3)
            let stream = try session.stream(try parsed("SELECT k, s FROM t WHERE k % 3 <> 1"))
            #expect(stream.returnsRows)
            #expect(stream.columnNames == ["k", "s"])
            var blocks = 0, expected: Int64 = 0, largest = 0
            while let b = try stream.next() {
                blocks += 1
                largest = max(largest, b.count)
                for i in 0..<b.count {
                    while expected % 3 == 1 { expected += 1 }
                    #expect(b.columns[0].value(at: i) == .int(expected))
                    expected += 1
                }
            }
            #expect(expected == 600_000)
            #expect(stream.rowCount == 400_000)
            #expect(stream.commandTag == "SELECT 400000")
            #expect(blocks > 3, "the result came out in one piece")
            #expect(largest < 400_000)
        }
    }

    @Test func stoppingEarlyLeavesTheRestUncomputed() throws {
        try withEngine { _, session in
            // 10 parts of 100,000 rows; the window is threads * 4 morsels of 4 granules
            // (2 * 4 * 32,768 rows), so the first pull must not touch most of the table.
            try makeTable(session, rows: 1_000_000, parts: 10)
            let stream = try session.stream(try parsed("SELECT k FROM t"))
            let first = try #require(try stream.next())
            #expect(first.count > 0)
            #expect(stream.rowCount < 400_000)
            #expect(!stream.isExhausted)
        }
    }

    @Test func limitAndOffsetStopPulling() throws {
        try withEngine { _, session in
            try makeTable(session, rows: 300_000, parts: 3)
            let r = try session.stream(try parsed("SELECT k FROM t LIMIT 5 OFFSET 150000")).collect()
            #expect(r.rowCount == 5)
            #expect(r.blocks.first?.columns[0].value(at: 0) == .int(150_000))
            #expect(r.commandTag == "SELECT 5")
        }
    }

    @Test func sameRowsAsTheMaterialisedResult() throws {
        try withEngine { _, session in
            try makeTable(session, rows: 90_000, parts: 3)
            for sql in [
                "SELECT k % 7 AS m, count(*) FROM t GROUP BY m ORDER BY m",
                "SELECT DISTINCT k % 11 FROM t ORDER BY 1",
                "SELECT k FROM t WHERE k < 10 UNION ALL SELECT k FROM t WHERE k > 89990",
                "SELECT s FROM t ORDER BY k DESC LIMIT 3",
                "SELECT 1 AS one",
            ] {
                let streamed = try session.stream(try parsed(sql)).collect()
                let materialised = try session.execute(sql)[0]
                #expect(streamed.rowCount == materialised.rowCount, "\(sql)")
                let a = streamed.blocks.flatMap { b in (0..<b.count).map { i in b.columns.map { $0.value(at: i) } } }
                let b = materialised.blocks.flatMap { b in (0..<b.count).map { i in b.columns.map { $0.value(at: i) } } }
                #expect(a == b, "\(sql)")
            }
        }
    }

    @Test func otherStatementsRunWhenOpenedAndMayInterleave() throws {
        try withEngine { _, session in
            try makeTable(session, rows: 200_000, parts: 2)
            let created = try session.stream(try parsed("CREATE TABLE u (x Int32) ENGINE = MergeTree ORDER BY x"))
            #expect(!created.returnsRows)
            #expect(created.commandTag == "CREATE TABLE")
            let stream = try session.stream(try parsed("SELECT k FROM t"))
            _ = try stream.next()
            // Another statement between two pulls (what cursors and portals do).
            _ = try session.execute("INSERT INTO u VALUES (1)")
            var n = stream.rowCount
            while let b = try stream.next() { n += b.count }
            #expect(n == 200_000)
            #expect(try session.execute("SELECT x FROM u")[0].rowCount == 1)
        }
    }

    @Test func cancelStopsThePullInProgress() throws {
        try withEngine { _, session in
            // Opening is cheap (the aggregation runs on the first pull); the pull is cancelled.
            let stream = try session.stream(try parsed("SELECT count(*) FROM numbers(2000000000) WHERE number % 7 = 3"))
            let canceller = Thread {
                usleep(300_000)
                session.cancel()
            }
            canceller.start()
            let started = ContinuousClock.now
            #expect(throws: AurumError.self) {
                do { _ = try stream.next() } catch let e as AurumError {
                    #expect(e.code == .queryCanceled)
                    throw e
                }
            }
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(stream.isExhausted)
            #expect(try stream.next() == nil)
        }
    }

    @Test func errorsCarryTheStatementText() throws {
        try withEngine { _, session in
            #expect(throws: AurumError.self) { _ = try session.stream(try parsed("SELECT nope FROM numbers(3)")) }
            let stream = try session.stream(try parsed("SELECT intDiv(10, number - 2) FROM numbers(5)"))
            do {
                while try stream.next() != nil {}
                Issue.record("expected division by zero")
            } catch let e as AurumError {
                #expect(e.code == .divisionByZero)
                #expect(e.sql == "SELECT intDiv(10, number - 2) FROM numbers(5)")
            }
        }
    }
}

/// DROP TABLE while another session is still reading the table: the reader finishes with its
/// snapshot (the part files used to be deleted under it: XX001 "id.bin is missing"), and the
/// table directory is gone once the reader lets go.
@Test func dropTableWhileAStreamReadsIt() throws {
    try withEngine { engine, session in
        try makeTable(session, rows: 200_000, parts: 4)
        let uuid = try #require(try session.execute("SELECT uuid FROM system.tables WHERE name = 't'").last?.blocks.first?.columns.first?.value(at: 0).asString)
        let dir = engine.catalog.directory + "/store/" + uuid
        let stream = try session.stream(try parsed("SELECT k FROM t"))
        var total = 0
        if let first = try stream.next() { total += first.count }
        _ = try engine.makeSession().execute("DROP TABLE t")
        while let b = try stream.next() { total += b.count }
        #expect(total == 200_000)
        #expect(FileManager.default.fileExists(atPath: dir), "the reader's parts are still there")
        _ = consume stream
        #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) should be removed with the last reader")
    }
}
