import AurumCore
import Foundation
import Testing
@testable import AurumEngine

// Session.prepare: parameter type inference and result columns without running the statement;
// Session.execute(prepared, parameters:).

@Suite("Prepared statements and parameter inference")
struct PrepareTests {
    final class Fixture {
        let dir = NSTemporaryDirectory() + "aurum-prepare-\(UInt64.random(in: 0...UInt64.max))"
        let engine: Engine
        let session: Session
        init() throws {
            engine = try Engine(directory: dir, options: EngineOptions(threads: 2, fsync: false))
            session = engine.makeSession()
            _ = try session.execute("""
                CREATE TABLE t (id Int32, day Date, at DateTime, name String, amount Decimal(10, 2), ok Bool, u UUID, x Float64)
                ENGINE = MergeTree ORDER BY id
                """)
            _ = try session.execute("INSERT INTO t VALUES (1, '2024-01-01', '2024-01-01 10:00:00', 'a', 1.50, true, '00000000-0000-0000-0000-000000000001', 0.5)")
        }
        deinit {
            engine.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        func types(_ sql: String, declared: [DataType?] = []) throws -> [DataType] {
            try session.prepare(sql, declaredTypes: declared).parameterTypes
        }
    }

    @Test func inferenceFromContext() throws {
        let f = try Fixture()
        #expect(try f.types("SELECT * FROM t WHERE day >= $1 AND id = $2") == [.date, .int32])
        #expect(try f.types("SELECT * FROM t WHERE $1 < amount") == [.decimal(10, 2)])
        #expect(try f.types("SELECT * FROM t WHERE at BETWEEN $1 AND $2") == [.dateTime, .dateTime])
        #expect(try f.types("SELECT * FROM t WHERE id IN ($1, $2, 3)") == [.int32, .int32])
        #expect(try f.types("SELECT id + $1, x * $2 FROM t") == [.int32, .float64])
        #expect(try f.types("SELECT day + $1 FROM t") == [.int64], "date + integer days")
        #expect(try f.types("SELECT CASE WHEN ok THEN name ELSE $1 END FROM t") == [.string])
        #expect(try f.types("SELECT CASE id WHEN $1 THEN 1 END FROM t") == [.int32])
        #expect(try f.types("SELECT coalesce($1, amount) FROM t") == [.decimal(10, 2)])
        #expect(try f.types("SELECT CAST($1 AS Date), $2::UUID") == [.date, .uuid])
        #expect(try f.types("SELECT * FROM t LIMIT $1 OFFSET $2") == [.int64, .int64])
        #expect(try f.types("SELECT * FROM t WHERE name LIKE $1") == [.string])
        #expect(try f.types("SELECT $1") == [.string], "no context: text")
        #expect(try f.types("SELECT * FROM t WHERE u = $1 AND ok = $2") == [.uuid, .bool])
        #expect(try f.types("INSERT INTO t (id, day, amount) VALUES ($1, $2, $3)") == [.int32, .date, .decimal(10, 2)])
        #expect(try f.types("SELECT * FROM t WHERE id = $2") == [.string, .int32], "an unused $1 is text")
        // the first inferred type wins when the second is comparable; otherwise 42P08
        #expect(try f.types("SELECT * FROM t WHERE id = $1 AND x = $1") == [.int32])
        do {
            _ = try f.types("SELECT * FROM t WHERE id = $1 AND day = $1")
            Issue.record("expected 42P08")
        } catch let e as AurumError {
            #expect(e.code == .inconsistentParameterTypes)
        }
    }

    @Test func declaredTypesWin() throws {
        let f = try Fixture()
        #expect(try f.types("SELECT * FROM t WHERE id = $1", declared: [.int64]) == [.int64])
        #expect(try f.types("SELECT * FROM t WHERE id = $1", declared: [nil, .string]) == [.int32, .string])
    }

    @Test func columnsWithoutExecuting() throws {
        let f = try Fixture()
        let p = try f.session.prepare("SELECT id, name AS n, amount * 2 FROM t WHERE id = $1")
        #expect(p.columns.count == 3)
        #expect(Array(p.columns.map(\.name).prefix(2)) == ["id", "n"])
        #expect(p.columns.first?.type.plain == .int32)
        #expect(p.columns[1].type.plain == .string)
        // INSERT is bound, not run
        let ins = try f.session.prepare("INSERT INTO t (id) VALUES ($1)")
        #expect(!ins.returnsRows)
        #expect(try f.session.execute("SELECT count(*) FROM t")[0].blocks[0].columns[0].value(at: 0).description == "1")
        let empty = try f.session.prepare("")
        #expect(empty.statement == nil)
        #expect(throws: AurumError.self) { try f.session.prepare("SELECT 1; SELECT 2") }
        #expect((try? f.session.prepare("SELECT nope FROM t"))?.columns == nil, "binding errors surface at prepare")
    }

    @Test func executePrepared() throws {
        let f = try Fixture()
        let ins = try f.session.prepare("INSERT INTO t (id, day, name, amount) VALUES ($1, $2, $3, $4)")
        _ = try f.session.execute(ins, parameters: [.int(2), .string("2024-02-02"), .string("b"), .string("2.25")])
        let q = try f.session.prepare("SELECT name, amount FROM t WHERE day >= $1 ORDER BY id")
        let r = try f.session.execute(q, parameters: [.date(Int32(19754))])  // 2024-02-01
        #expect(r.rowCount == 1)
        #expect(r.blocks.first { $0.count > 0 }?.columns[0].value(at: 0) == .string("b"))
        // wrong parameter count: 08P01; a value that does not fit the parameter type: an error
        #expect(throws: AurumError.self) { try f.session.execute(q, parameters: []) }
        #expect(throws: AurumError.self) { try f.session.execute(q, parameters: [.string("not a date")]) }
        // named statements: duplicates refused with 42P05
        try f.session.addPreparedStatement(q, name: "q")
        do {
            try f.session.addPreparedStatement(q, name: "q")
            Issue.record("expected 42P05")
        } catch let e as AurumError {
            #expect(e.code == .duplicatePreparedStatement)
        }
        #expect(f.session.preparedStatement(named: "q") === q)
        f.session.removePreparedStatement(named: "q")
        #expect(f.session.preparedStatement(named: "q") == nil)
    }
}
