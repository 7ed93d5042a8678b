import AurumCore
import Foundation
import Testing
import AurumSQL
@testable import AurumEngine

// COPY FROM STDIN at the engine level: the streaming CopyIn (text and CSV formats, rows
// spanning chunks, escapes, errors with PostgreSQL's context) and its atomicity (parts written
// before finish are invisible until then and removed on abort or error).

private final class EngineFixture {
    let directory: String
    let engine: Engine
    let session: Session

    init() throws {
        directory = NSTemporaryDirectory() + "aurum-copy-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        engine = try Engine(directory: directory, options: EngineOptions(threads: 2, backgroundMerges: false, fsync: false))
        session = engine.makeSession()
    }

    deinit {
        engine.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func run(_ sql: String) throws -> [StatementResult] { try session.execute(sql) }

    /// Rows of a query as `|`-joined text, NULL as `NULL`.
    func rows(_ sql: String) throws -> [String] {
        guard let r = try session.execute(sql).last else { return [] }
        var out: [String] = []
        for b in r.blocks {
            for i in 0..<b.count {
                out.append(b.columns.prefix(r.columnNames.count).map { c -> String in
                    let v = c.value(at: i)
                    if v.isNull { return "NULL" }
                    if case .string(let s) = v { return s }
                    return v.description
                }.joined(separator: "|"))
            }
        }
        return out
    }

    /// Feeds `data` in chunks of `chunk` bytes, then finishes.
    func copy(_ sql: String, _ data: String, chunk: Int = Int.max) throws -> Int {
        let c = try session.beginCopyIn(sql)
        let bytes = Array(data.utf8)
        var i = 0
        while i < bytes.count {
            let n = min(chunk, bytes.count - i)
            try c.feed(Array(bytes[i..<(i + n)]))
            i += n
        }
        return try c.finish()
    }

    func copyError(_ sql: String, _ data: String, chunk: Int = Int.max) -> AurumError? {
        do {
            _ = try copy(sql, data, chunk: chunk)
            return nil
        } catch let e as AurumError {
            return e
        } catch {
            return AurumError(.internalError, "\(error)")
        }
    }

    /// Part directories of table `t` on disk.
    func partDirectories(_ t: String) throws -> [String] {
        let entry = try session.table(QualifiedName([t]))
        return try FileManager.default.contentsOfDirectory(atPath: entry.storage.directory)
            .filter { !$0.hasPrefix("parts") && $0 != "detached" && !$0.hasPrefix("tmp_") }
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: entry.storage.directory + "/" + $0, isDirectory: &d) && d.boolValue }
    }
}

@Suite("COPY FROM STDIN in the engine")
struct CopyInTests {
    @Test func textFormatEscapesAtEveryChunkBoundary() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int32, b Nullable(String)) ENGINE = MergeTree ORDER BY a")
        let data = "1\tplain\n2\t\\N\n3\ttab\\there\\nnewline\n4\tback\\\\slash \\x41\\101\\7\n5\t\n6\tcr\\r \\b\\f\\v end\n\\.\n7\tignored after the end marker\n"
        let expected = ["1|plain", "2|NULL", "3|tab\there\nnewline", "4|back\\slash AA\u{7}", "5|", "6|cr\r \u{8}\u{C}\u{B} end"]
        for chunk in [1, 2, 3, 7, 1000] {
            try f.run("TRUNCATE TABLE t")
            #expect(try f.copy("COPY t FROM STDIN", data, chunk: chunk) == 6)
            #expect(try f.rows("SELECT a, b FROM t ORDER BY a") == expected, "chunk \(chunk)")
        }
    }

    @Test func textOptionsAndColumnList() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int32, b Nullable(String), c Int64 DEFAULT a * 10) ENGINE = MergeTree ORDER BY a")
        #expect(try f.copy("COPY t (b, a) FROM STDIN WITH (DELIMITER '|', NULL 'nil')", "x|1\nnil|2\r\n\\|y|3") == 3)
        #expect(try f.rows("SELECT a, b, c FROM t ORDER BY a") == ["1|x|10", "2|NULL|20", "3||y|30"])
        // the last line may lack its newline
        #expect(try f.copy("COPY t (a) FROM STDIN", "4") == 1)
        #expect(try f.rows("SELECT count(*) FROM t") == ["4"])
    }

    @Test func csvQuotesNullsAndHeader() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int32, b Nullable(String), c Nullable(String)) ENGINE = MergeTree ORDER BY a")
        let data = "a,b,c\n1,\"multi\nline, \"\"quoted\"\"\",x\n2,,\"\"\n3,\"\",\n"
        for chunk in [1, 4, 1000] {
            try f.run("TRUNCATE TABLE t")
            #expect(try f.copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER)", data, chunk: chunk) == 3)
            #expect(try f.rows("SELECT a, b, c FROM t ORDER BY a") == ["1|multi\nline, \"quoted\"|x", "2|NULL|", "3||NULL"], "chunk \(chunk)")
        }
        try f.run("TRUNCATE TABLE t")
        // old syntax, custom NULL, FORCE_NOT_NULL / FORCE_NULL
        #expect(try f.copy("COPY t FROM STDIN WITH CSV DELIMITER ';' NULL 'NA'", "1;NA;\"NA\"\n") == 1)
        #expect(try f.copy("COPY t FROM STDIN WITH (FORMAT csv, NULL 'NA', FORCE_NOT_NULL (b), FORCE_NULL (c))", "2;NA;\"NA\"\n".replacingOccurrences(of: ";", with: ",")) == 1)
        #expect(try f.rows("SELECT a, b, c FROM t ORDER BY a") == ["1|NULL|NA", "2|NA|NULL"])
        // ESCAPE different from QUOTE
        #expect(try f.copy("COPY t FROM STDIN WITH (FORMAT csv, ESCAPE '\\')", "3,\"a\\\"b\",\"c\\\\d\"\n") == 1)
        #expect(try f.rows("SELECT b, c FROM t WHERE a = 3") == ["a\"b|c\\d"])
        // HEADER MATCH checks the names
        #expect(try f.copy("COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER match)", "a,b\n4,z\n") == 1)
        let mismatch = f.copyError("COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER match)", "a,x\n5,z\n")
        #expect(mismatch?.code == .badCopyFileFormat)
        #expect(mismatch?.message == "column name mismatch in header line field 2: got \"x\", expected \"b\"")
    }

    @Test func errorsNameTheLineAndColumn() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int32, b Int8, s String) ENGINE = MergeTree ORDER BY a")
        var e = f.copyError("COPY t FROM STDIN", "1\t2\tx\n2\tnope\ty\n")
        #expect(e?.code == .invalidTextRepresentation)
        #expect(e?.context == "COPY t, line 2, column b: \"nope\"")
        e = f.copyError("COPY t FROM STDIN", "1\t2\tx\n2\t300\ty\n")
        #expect(e?.code == .numericValueOutOfRange)
        #expect(e?.context == "COPY t, line 2, column b: \"300\"")
        e = f.copyError("COPY t FROM STDIN", "1\t2\n")
        #expect(e?.code == .badCopyFileFormat)
        #expect(e?.message == "missing data for column \"s\"")
        #expect(e?.context == "COPY t, line 1: \"1\t2\"")
        e = f.copyError("COPY t FROM STDIN WITH (FORMAT csv)", "1,2,x\n1,2,x,4\n")
        #expect(e?.code == .badCopyFileFormat)
        #expect(e?.message == "extra data after last expected column")
        #expect(e?.context == "COPY t, line 2: \"1,2,x,4\"")
        e = f.copyError("COPY t FROM STDIN", "1\t\\N\tx\n")
        #expect(e?.code == .notNullViolation)
        #expect(e?.context == "COPY t, line 1, column b: null input")
        e = f.copyError("COPY t FROM STDIN WITH (FORMAT csv)", "1,2,\"never closed\n3,4,y\n")
        #expect(e?.code == .badCopyFileFormat)
        #expect(e?.message == "unterminated CSV quoted field")
        e = f.copyError("COPY t FROM STDIN", "1\t2\t\\xff\n")
        #expect(e?.code == .characterNotInRepertoire)
        // nothing of the failed COPYs is visible
        #expect(try f.rows("SELECT count(*) FROM t") == ["0"])
    }

    @Test func integerFastPathMatchesTheCast() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int64, b UInt8, c Int16) ENGINE = MergeTree ORDER BY a")
        let data = "-9223372036854775808\t255\t-32768\n9223372036854775807\t+0\t 12 \n7\t1e2\t3.9\n"
        #expect(try f.copy("COPY t FROM STDIN", data) == 3)
        #expect(try f.rows("SELECT a, b, c FROM t ORDER BY a") == ["-9223372036854775808|255|-32768", "7|100|3", "9223372036854775807|0|12"])
        #expect(CopyIn.plainInteger(ArraySlice(Array("9999999999999999999".utf8))) == Int128(9_999_999_999_999_999_999 as UInt64))
        #expect(CopyIn.plainInteger(ArraySlice(Array("-".utf8))) == nil)
        #expect(CopyIn.plainInteger(ArraySlice(Array("12a".utf8))) == nil)
        #expect(f.copyError("COPY t FROM STDIN", "9223372036854775808\t1\t1\n")?.code == .numericValueOutOfRange)
        #expect(f.copyError("COPY t FROM STDIN", "1\t-1\t1\n")?.code == .numericValueOutOfRange)
        #expect(f.copyError("COPY t FROM STDIN", "1\t1\t99999999999999999999\n")?.code == .numericValueOutOfRange)
    }

    @Test func badOptionsAreRefused() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a")
        #expect(f.copyError("COPY t FROM STDIN WITH (DELIMITER '||')", "")?.code == .featureNotSupported)
        #expect(f.copyError("COPY t FROM STDIN WITH (QUOTE '''')", "")?.code == .featureNotSupported)
        #expect(f.copyError("COPY t FROM STDIN WITH (FORMAT csv, FORCE_NULL (zz))", "")?.code == .invalidColumnReference)
        #expect(f.copyError("COPY t (zz) FROM STDIN", "")?.code == .undefinedColumn)
        #expect(f.copyError("COPY nosuch FROM STDIN", "")?.code == .undefinedTable)
        #expect(f.copyError("COPY t FROM STDIN WITH (ENCODING 'LATIN1')", "")?.code == .featureNotSupported)
        // embedded execute has no data channel
        #expect(throws: AurumError.self) { try f.run("COPY t FROM STDIN") }
        #expect(throws: AurumError.self) { try f.run("COPY t TO STDOUT") }
    }

    @Test func partsWrittenBeforeFinishStayInvisibleAndAbortRemovesThem() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int64, s String) ENGINE = MergeTree ORDER BY a")
        let before = try f.partDirectories("t")
        var data = ""
        for i in 0..<1000 { data += "\(i)\trow \(i)\n" }

        let c = try f.session.beginCopyIn("COPY t FROM STDIN")
        c.flushRows = 100
        try c.feed(Array(data.utf8))
        #expect(try f.partDirectories("t").count >= before.count + 9, "batches were written as parts")
        #expect(try f.rows("SELECT count(*) FROM t") == ["0"], "but are not visible")
        c.abort()
        #expect(try f.partDirectories("t") == before)
        #expect(try f.rows("SELECT count(*) FROM t") == ["0"])

        // an error after some batches were written leaves nothing behind either
        let c2 = try f.session.beginCopyIn("COPY t FROM STDIN")
        c2.flushRows = 100
        try c2.feed(Array(data.utf8))
        #expect(throws: AurumError.self) { try c2.feed(Array("bad\trow\n".utf8)) }
        #expect(try f.partDirectories("t") == before)
        #expect(throws: AurumError.self) { try c2.finish() }

        // finish publishes every batch at once
        let c3 = try f.session.beginCopyIn("COPY t FROM STDIN")
        c3.flushRows = 100
        try c3.feed(Array(data.utf8))
        #expect(try f.rows("SELECT count(*) FROM t") == ["0"])
        #expect(try c3.finish() == 1000)
        #expect(try f.rows("SELECT count(*), sum(a), max(s) FROM t") == ["1000|499500|row 999"])
    }

    @Test func truncateDuringCopyFailsTheCopy() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE t (a Int64) ENGINE = MergeTree ORDER BY a")
        let c = try f.session.beginCopyIn("COPY t FROM STDIN")
        c.flushRows = 10
        try c.feed(Array((0..<50).map { "\($0)\n" }.joined().utf8))
        try f.run("TRUNCATE TABLE t")
        #expect { try c.finish() } throws: { ($0 as? AurumError)?.code == SQLState("40001") }
        #expect(try f.rows("SELECT count(*) FROM t") == ["0"])
    }
}

// BulkInsert: the block-level atomic load under `aurum load` (casts to the column types,
// parts written on workers while rows arrive, invisible until finish, removed on abort).
struct BulkInsertTests {
    static func block(_ ids: Range<Int>) -> Block {
        let id = Column(type: .int64, data: .int64(ids.map(Int64.init)))
        let name = Column(type: .string, data: .string(StringArray(ids.map { "n\($0)" })))
        return Block(columns: [id, name], count: ids.count)
    }

    @Test func loadsAtomicallyWithCastsAndManyBatches() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE bi (id Int32, name String, extra Int64 DEFAULT 7) ENGINE = MergeTree ORDER BY id")
        let load = try f.session.beginBulkInsert(table: "default.bi", columns: ["id", "name"])
        load.batchRows = 10_000
        #expect(load.columns.map(\.name) == ["id", "name"])
        for start in stride(from: 0, to: 100_000, by: 7_000) { try load.append(Self.block(start..<min(100_000, start + 7_000))) }
        // written parts are not visible before finish
        #expect(try f.rows("SELECT count(*) FROM bi") == ["0"])
        #expect(try load.finish() == 100_000)
        #expect(try f.rows("SELECT count(*), sum(id), min(name), max(extra) FROM bi") == ["100000|4999950000|n0|7"])
        #expect(throws: AurumError.self) { try load.append(Self.block(0..<1)) }
    }

    @Test func aValueThatDoesNotFitFailsTheWholeLoad() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE bi2 (id Int8, name String) ENGINE = MergeTree ORDER BY id")
        let load = try f.session.beginBulkInsert(table: "bi2")
        load.batchRows = 50
        try load.append(Self.block(0..<100))
        let error = #expect(throws: AurumError.self) { try load.append(Self.block(100..<200)) }
        #expect(error?.code == .numericValueOutOfRange)
        #expect(error?.message.contains("column id") == true)
        #expect(try f.rows("SELECT count(*) FROM bi2") == ["0"])
        // the parts written before the error are gone from disk too
        let parts = try FileManager.default.subpathsOfDirectory(atPath: f.directory + "/store").filter { $0.hasSuffix("/columns.txt") }
        #expect(parts.isEmpty, "\(parts)")
        // and a good load still works after the failed one
        let again = try f.session.beginBulkInsert(table: "bi2")
        try again.append(Self.block(0..<100))
        #expect(try again.finish() == 100)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: f.directory + "/store").contains { $0.hasSuffix("/columns.txt") })
    }

    @Test func unknownColumnsAndTables() throws {
        let f = try EngineFixture()
        try f.run("CREATE TABLE bi3 (id Int32) ENGINE = MergeTree ORDER BY id")
        #expect(throws: AurumError.self) { _ = try f.session.beginBulkInsert(table: "bi3", columns: ["nope"]) }
        let e = #expect(throws: AurumError.self) { _ = try f.session.beginBulkInsert(table: "missing") }
        #expect(e?.code == .undefinedTable)
    }
}
