import AurumCore
import Testing
@testable import AurumSQL

// DECLARE / FETCH / MOVE / CLOSE, PREPARE / EXECUTE / DEALLOCATE, DISCARD.

@Suite struct ParserCursorTests {
    func one(_ sql: String) throws -> Statement {
        let s = try Parser.parse(sql)
        guard s.count == 1 else { throw AurumError(.syntaxError, "expected one statement") }
        return s[0].statement
    }

    func code(_ sql: String) -> SQLState? {
        do { _ = try Parser.parse(sql); return nil } catch let e as AurumError { return e.code } catch { return nil }
    }

    @Test func declare() throws {
        guard case .declareCursor("c", _, false, false) = try one("DECLARE c CURSOR FOR SELECT 1") else { Issue.record("plain"); return }
        guard case .declareCursor("c", _, true, true) = try one("DECLARE c BINARY INSENSITIVE SCROLL CURSOR WITH HOLD FOR SELECT 1") else {
            Issue.record("options"); return
        }
        guard case .declareCursor("My C", _, false, false) = try one("declare \"My C\" no scroll cursor without hold for (select 1)") else {
            Issue.record("quoted"); return
        }
        #expect(code("DECLARE c CURSOR FOR INSERT INTO t VALUES (1)") == .syntaxError)
        #expect(code("DECLARE c SENSITIVE CURSOR FOR SELECT 1") == .featureNotSupported)
    }

    @Test func fetchAndMove() throws {
        #expect(try one("FETCH c") == .fetch(name: "c", count: 1, move: false))
        #expect(try one("FETCH NEXT FROM c") == .fetch(name: "c", count: 1, move: false))
        #expect(try one("FETCH 10 IN c") == .fetch(name: "c", count: 10, move: false))
        #expect(try one("FETCH FORWARD 5 c") == .fetch(name: "c", count: 5, move: false))
        #expect(try one("FETCH FORWARD ALL FROM c") == .fetch(name: "c", count: nil, move: false))
        #expect(try one("FETCH ALL IN c") == .fetch(name: "c", count: nil, move: false))
        #expect(try one("FETCH FORWARD FROM c") == .fetch(name: "c", count: 1, move: false))
        #expect(try one("MOVE 3 IN c") == .fetch(name: "c", count: 3, move: true))
        for sql in ["FETCH BACKWARD 1 FROM c", "FETCH PRIOR c", "FETCH FIRST c", "FETCH LAST c", "FETCH ABSOLUTE 3 c",
                    "FETCH RELATIVE 1 c", "FETCH -1 FROM c", "MOVE BACKWARD ALL IN c"] {
            #expect(code(sql) == .featureNotSupported, "\(sql)")
        }
    }

    @Test func closeDiscardDeallocate() throws {
        #expect(try one("CLOSE c") == .closeCursor(name: "c"))
        #expect(try one("CLOSE ALL") == .closeCursor(name: nil))
        #expect(try one("DISCARD ALL") == .discard("ALL"))
        #expect(try one("DISCARD TEMPORARY") == .discard("TEMP"))
        #expect(code("DISCARD EVERYTHING") == .syntaxError)
        #expect(try one("DEALLOCATE p") == .deallocate(name: "p"))
        #expect(try one("DEALLOCATE PREPARE ALL") == .deallocate(name: nil))
    }

    @Test func prepareAndExecute() throws {
        guard case .prepare("p", let types, .query, let text) = try one("PREPARE p (int4, Date) AS SELECT $1, $2") else {
            Issue.record("prepare"); return
        }
        #expect(types.map(\.name) == ["int4", "Date"])
        #expect(text == "SELECT $1, $2")
        guard case .prepare("q", [], .insert, _) = try one("PREPARE q AS INSERT INTO t VALUES ($1)") else { Issue.record("insert"); return }
        guard case .execute("p", let args) = try one("EXECUTE p (1, 'x')") else { Issue.record("execute"); return }
        #expect(args.count == 2)
        #expect(try one("EXECUTE p") == .execute(name: "p", arguments: []))
    }
}
