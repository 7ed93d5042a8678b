import AurumEngine
import Foundation
import Testing
@testable import AurumWire

// COPY FROM STDIN / TO STDOUT, SET/SHOW/RESET with ParameterStatus, statement_timeout and
// cancel, end to end: psql 15 (\copy both ways, inline COPY data in a script), a raw socket
// client for the protocol details, and psycopg 3 (Tests/AurumWireTests/clients/copy_psycopg.py).

extension TestServer {
    /// psql with a script file (`-f`), unaligned and tuples-only.
    func psqlFile(_ script: String) throws -> Output {
        let path = directory + "-script-\(UInt64.random(in: 0...UInt64.max)).sql"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try runProgram("/usr/bin/psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=verbose",
                                                "-h", "127.0.0.1", "-p", String(server.port), "-U", "aurum", "-d", "default",
                                                "-f", path])
    }

    /// A scratch file path next to the server's data directory.
    func scratchFile(_ name: String) -> String { directory + "-" + name }
}

extension RawClient {
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [UInt8(type.asciiValue!)] + int32(Int32(body.count + 4)) + body
    }
    static func copyData(_ s: String) -> [UInt8] { message("d", Array(s.utf8)) }
    static let copyDone = message("c", [])
    static func copyFail(_ reason: String) -> [UInt8] { message("f", Array(reason.utf8) + [0]) }

    /// ParameterStatus messages among `messages` as name -> value.
    static func parameterStatuses(_ messages: [(type: Character, body: [UInt8])]) -> [String: String] {
        var out: [String: String] = [:]
        for m in messages where m.type == "S" {
            let parts = m.body.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if parts.count >= 2 { out[parts[0]] = parts[1] }
        }
        return out
    }
}

@Suite("COPY and settings through psql")
struct CopyPsqlTests {
    @Test func backslashCopyBothWays() async throws {
        try await TestServer.with { s in
            _ = try s.psql(["CREATE TABLE t (id Int32, name Nullable(String), amount Decimal(10, 2), day Date) ENGINE = MergeTree ORDER BY id"])
            let input = s.scratchFile("in.csv")
            try "id,name,amount,day\n1,plain,1.50,2024-01-31\n2,\"comma, \"\"q\"\"\",-2.25,2024-02-01\n3,,0,2024-03-01\n"
                .write(toFile: input, atomically: true, encoding: .utf8)
            var r = try s.psql(["\\copy t from '\(input)' csv header"], quiet: false)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "COPY 3\n")
            r = try s.psql(["SELECT id, name, amount, day FROM t ORDER BY id"])
            #expect(r.lines == ["1|plain|1.50|2024-01-31", "2|comma, \"q\"|-2.25|2024-02-01", "3||0.00|2024-03-01"])

            let textOut = s.scratchFile("out.txt")
            r = try s.psql(["\\copy t to '\(textOut)'"], quiet: false)
            #expect(r.stdout == "COPY 3\n", "\(r.stderr)")
            let text = try String(contentsOfFile: textOut, encoding: .utf8)
            #expect(text.split(separator: "\n").sorted() == ["1\tplain\t1.50\t2024-01-31", "2\tcomma, \"q\"\t-2.25\t2024-02-01", "3\t\\N\t0.00\t2024-03-01"])

            let csvOut = s.scratchFile("out.csv")
            r = try s.psql(["\\copy (SELECT id, name FROM t ORDER BY id) to '\(csvOut)' with (format csv, header)"], quiet: false)
            #expect(r.stdout == "COPY 3\n", "\(r.stderr)")
            #expect(try String(contentsOfFile: csvOut, encoding: .utf8) == "id,name\n1,plain\n2,\"comma, \"\"q\"\"\"\n3,\n")

            // the text file loads back into a copy of the table
            _ = try s.psql(["CREATE TABLE t2 (id Int32, name Nullable(String), amount Decimal(10, 2), day Date) ENGINE = MergeTree ORDER BY id"])
            r = try s.psql(["\\copy t2 from '\(textOut)'", "SELECT count(*), count(name) FROM t2"])
            #expect(r.lines == ["3|2"], "\(r.stderr)")
            for f in [input, textOut, csvOut] { try? FileManager.default.removeItem(atPath: f) }
        }
    }

    @Test func inlineCopyDataInAScript() async throws {
        try await TestServer.with { s in
            let r = try s.psqlFile("""
                CREATE TABLE t (a Int32, b Nullable(String)) ENGINE = MergeTree ORDER BY a;
                COPY t FROM STDIN;
                1\tone
                2\t\\N
                3\ttab\\tinside
                \\.
                COPY t (a) FROM STDIN WITH (FORMAT csv);
                4
                \\.
                SELECT a, coalesce(b, 'NULL') FROM t ORDER BY a;
                COPY (SELECT a, b FROM t WHERE a <= 3 ORDER BY a) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *);
                COPY t TO STDOUT WITH (DELIMITER '|');

                """)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            let expected = ["1|one", "2|NULL", "3|tab\tinside", "4|NULL",
                            "a,b", "\"1\",\"one\"", "\"2\",", "\"3\",\"tab\tinside\""]
            #expect(Array(r.lines.prefix(expected.count)) == expected)
            #expect(r.lines.dropFirst(expected.count).sorted() == ["1|one", "2|\\N", "3|tab\\tinside", "4|\\N"])
        }
    }

    @Test func badRowFailsTheWholeCopyWithLineAndColumn() async throws {
        try await TestServer.with { s in
            _ = try s.psql(["CREATE TABLE t (a Int32, b Int16) ENGINE = MergeTree ORDER BY a"])
            let input = s.scratchFile("bad.csv")
            var data = ""
            for i in 1...5000 { data += "\(i),\(i % 100)\n" }
            data += "5001,x\n5002,1\n"
            try data.write(toFile: input, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: input) }
            var r = try s.psql(["\\set VERBOSITY verbose", "\\copy t from '\(input)' csv"])
            #expect(r.stderr.contains("ERROR:  22P02: invalid input syntax"), "\(r.stderr)")
            #expect(r.stderr.contains("CONTEXT:  COPY t, line 5001, column b: \"x\""), "\(r.stderr)")
            try "1,2\n2,3,4\n".write(toFile: input, atomically: true, encoding: .utf8)
            r = try s.psql(["\\set VERBOSITY verbose", "\\copy t from '\(input)' csv"])
            #expect(r.stderr.contains("ERROR:  22P04: extra data after last expected column"), "\(r.stderr)")
            #expect(r.stderr.contains("CONTEXT:  COPY t, line 2: \"2,3,4\""), "\(r.stderr)")
            r = try s.psql(["SELECT count(*) FROM t"])
            #expect(r.lines == ["0"], "nothing of a failed COPY is committed")
        }
    }

    @Test func copyFromAFileOnTheServerIsRefusedWithAHint() async throws {
        try await TestServer.with { s in
            _ = try s.psql(["CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a"])
            let r = try s.psql(["\\set VERBOSITY verbose", "COPY t FROM '/etc/passwd'", "COPY t TO STDOUT WITH (FORMAT binary)"])
            #expect(r.stderr.contains("0A000: COPY FROM a server file is not supported"), "\(r.stderr)")
            #expect(r.stderr.contains("INSERT INTO t FROM INFILE"), "\(r.stderr)")
            #expect(r.stderr.contains("0A000: COPY FORMAT binary is not supported"), "\(r.stderr)")
        }
    }

    @Test func statementTimeoutCancelsASlowQuery() async throws {
        try await TestServer.with { s in
            _ = try s.psql(["CREATE TABLE big (x UInt64) ENGINE = MergeTree ORDER BY x", "INSERT INTO big SELECT number FROM numbers(4000000)"])
            let slow = "SELECT count(*) FROM big WHERE toString(x * 7919) LIKE '%12%34%'"
            let clock = ContinuousClock()
            let start = clock.now
            let full = try s.psql([slow])
            let fullTime = clock.now - start
            #expect(full.status == 0 && full.lines.count == 1, "\(full.stderr)")
            let t0 = clock.now
            let r = try s.psql(["\\set VERBOSITY verbose", "SET statement_timeout = '100ms'", "SHOW statement_timeout", slow, "SELECT 1"])
            let timedTime = clock.now - t0
            #expect(r.stderr.contains("ERROR:  57014: canceling statement due to statement timeout"), "\(r.stderr)")
            #expect(r.lines == ["100ms", "1"], "the session stays usable")
            #expect(timedTime < fullTime, "timed out after \(timedTime), full run \(fullTime)")
            // RESET: no timeout any more
            let again = try s.psql(["SET statement_timeout = 100", "RESET statement_timeout", slow])
            #expect(again.lines == full.lines, "\(again.stderr)")
        }
    }

    @Test func clientMinMessagesFiltersWarnings() async throws {
        try await TestServer.with { s in
            var r = try s.psql(["COMMIT"])
            #expect(r.stderr.contains("WARNING:  there is no transaction in progress"), "\(r.stderr)")
            r = try s.psql(["SET client_min_messages = error", "COMMIT", "SHOW client_min_messages"])
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            #expect(r.lines == ["error"])
        }
    }

    @Test func showAllHasPostgreSQLsShape() async throws {
        try await TestServer.with { s in
            let r = try s.psql(["SET application_name = 'shown'", "SHOW ALL"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.lines.contains("application_name|shown|Sets the application name to be reported in statistics and logs."))
            #expect(r.lines.contains { $0.hasPrefix("DateStyle|ISO, MDY|") })
            #expect(r.lines.contains { $0.hasPrefix("TimeZone|UTC|") })
            #expect(r.lines.contains { $0.hasPrefix("statement_timeout|0|") })
            let header = try s.psql(["SHOW ALL"], tuplesOnly: false)
            #expect(header.lines.first == "name|setting|description")
            let one = try s.psql(["SHOW datestyle"], tuplesOnly: false)
            #expect(one.lines.prefix(2) == ["DateStyle", "ISO, MDY"])
        }
    }
}

@Suite("COPY and settings, raw protocol")
struct CopyRawProtocolTests {
    @Test func copyInMessagesAndCommandTag() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int32, b Nullable(String)) ENGINE = MergeTree ORDER BY a"))
            _ = c.readUntilReady()
            c.send(RawClient.query("COPY t (a, b) FROM STDIN"))
            let g = try #require(c.readMessage())
            #expect(g.type == "G")
            #expect(g.body == [0, 0, 2, 0, 0, 0, 0], "text format, 2 text columns")
            // rows split across CopyData messages anywhere; Flush and Sync are ignored
            c.send(RawClient.copyData("1\tx\n2\t"))
            c.send(RawClient.message("H", []))
            c.send(RawClient.copyData("\\N\n3"))
            c.send(RawClient.message("S", []))
            c.send(RawClient.copyData("\ty\n"))
            c.send(RawClient.copyDone)
            let done = c.readUntilReady()
            #expect(done.map(\.type) == ["C", "Z"])
            #expect(done.first.map { String(decoding: $0.body.dropLast(), as: UTF8.self) } == "COPY 3")
            c.send(RawClient.query("SELECT count(*), count(b) FROM t"))
            let rows = c.readUntilReady()
            #expect(rows.map(\.type) == ["T", "D", "C", "Z"])
        }
    }

    @Test func copyFailAndProtocolViolationAbortTheCopy() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a"))
            _ = c.readUntilReady()

            c.send(RawClient.query("COPY t FROM STDIN"))
            #expect(c.readMessage()?.type == "G")
            c.send(RawClient.copyData("1\n2\n"))
            c.send(RawClient.copyFail("client gave up"))
            var m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            var f = RawClient.fields(m[0].body)
            #expect(f["C"] == "57014")
            #expect(f["M"] == "COPY from stdin failed: client gave up")

            c.send(RawClient.query("COPY t FROM STDIN"))
            #expect(c.readMessage()?.type == "G")
            c.send(RawClient.copyData("3\n"))
            c.send(RawClient.query("SELECT 1"))
            m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            f = RawClient.fields(m[0].body)
            #expect(f["C"] == "08P01")

            c.send(RawClient.query("SELECT count(*) FROM t"))
            m = c.readUntilReady()
            #expect(m.map(\.type) == ["T", "D", "C", "Z"])
            #expect(m[1].body.suffix(1) == [UInt8(ascii: "0")], "nothing was committed")
        }
    }

    @Test func errorMidCopyIsReportedAtOnceAndTheRestIsIgnored() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a"))
            _ = c.readUntilReady()
            c.send(RawClient.query("COPY t FROM STDIN"))
            #expect(c.readMessage()?.type == "G")
            c.send(RawClient.copyData("1\nnot a number\n"))
            let m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            let f = RawClient.fields(m[0].body)
            #expect(f["C"] == "22P02")
            #expect(f["W"] == "COPY t, line 2, column a: \"not a number\"")
            // the client still sends its data: ignored until CopyDone
            c.send(RawClient.copyData("3\n4\n"))
            c.send(RawClient.copyDone)
            c.send(RawClient.query("SELECT count(*) FROM t"))
            let rows = c.readUntilReady()
            #expect(rows.map(\.type) == ["T", "D", "C", "Z"])
            #expect(rows[1].body.suffix(1) == [UInt8(ascii: "0")])
        }
    }

    @Test func cancelRequestStopsACopyIn() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            let key = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a"))
            _ = c.readUntilReady()
            c.send(RawClient.query("COPY t FROM STDIN"))
            #expect(c.readMessage()?.type == "G")
            c.send(RawClient.copyData("1\n2\n"))
            try await Task.sleep(for: .milliseconds(200))
            let canceller = try RawClient(port: s.server.port)
            canceller.send(RawClient.int32(16) + RawClient.int32(80_877_102) + RawClient.int32(key.0) + RawClient.int32(key.1))
            _ = canceller.read(1)
            let m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            #expect(RawClient.fields(m[0].body)["C"] == "57014")
            c.send(RawClient.copyDone)
            c.send(RawClient.query("SELECT count(*) FROM t"))
            let rows = c.readUntilReady()
            #expect(rows.map(\.type) == ["T", "D", "C", "Z"])
            #expect(rows[1].body.suffix(1) == [UInt8(ascii: "0")])
        }
    }

    @Test func statementTimeoutStopsACopyInWaitingForData() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a; SET statement_timeout = 300"))
            _ = c.readUntilReady()
            c.send(RawClient.query("COPY t FROM STDIN"))
            #expect(c.readMessage()?.type == "G")
            c.send(RawClient.copyData("1\n"))
            // then nothing: the timeout ends the COPY
            let m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            let f = m.first.map { RawClient.fields($0.body) }
            #expect(f?["C"] == "57014")
            #expect(f?["M"] == "canceling statement due to statement timeout")
            c.send(RawClient.copyDone)
            c.send(RawClient.query("SELECT count(*) FROM t"))
            let rows = c.readUntilReady()
            #expect(rows.map(\.type) == ["T", "D", "C", "Z"])
            #expect(rows[1].body.suffix(1) == [UInt8(ascii: "0")])
        }
    }

    @Test func largeCopyInWithBackpressure() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("CREATE TABLE t (a Int64, s String) ENGINE = MergeTree ORDER BY a"))
            _ = c.readUntilReady()
            c.send(RawClient.query("COPY t FROM STDIN WITH (FORMAT csv)"))
            #expect(c.readMessage()?.type == "G")
            let rows = 600_000
            var chunk = ""
            var sent = 0
            for i in 0..<rows {
                chunk += "\(i),\"some text for row \(i)\"\n"
                if chunk.utf8.count > 100_000 || i == rows - 1 {
                    c.send(RawClient.copyData(chunk))
                    sent += chunk.utf8.count
                    chunk = ""
                }
            }
            c.send(RawClient.copyDone)
            let m = c.readUntilReady()
            #expect(m.first.map { String(decoding: $0.body.dropLast(), as: UTF8.self) } == "COPY \(rows)", "\(m.map(\.type)) after \(sent) bytes")
            c.send(RawClient.query("SELECT count(*), sum(a) FROM t"))
            let r = c.readUntilReady()
            #expect(r.count == 4)
            let text = String(decoding: r[1].body, as: UTF8.self)
            #expect(text.contains("\(rows)") && text.contains("\(rows * (rows - 1) / 2)"))
        }
    }

    @Test func copyOutMessages() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            _ = try #require(c.startup())
            c.send(RawClient.query("COPY (SELECT number, toString(number) AS s FROM numbers(3)) TO STDOUT WITH (FORMAT csv, HEADER)"))
            let m = c.readUntilReady()
            #expect(m.map(\.type) == ["H", "d", "d", "d", "d", "c", "C", "Z"])
            #expect(m[0].body == [0, 0, 2, 0, 0, 0, 0])
            #expect(m[1...4].map { String(decoding: $0.body, as: UTF8.self) } == ["number,s\n", "0,0\n", "1,1\n", "2,2\n"])
            #expect(String(decoding: m[6].body.dropLast(), as: UTF8.self) == "COPY 3")
            // a big COPY OUT streams (one CopyData per row)
            c.send(RawClient.query("COPY (SELECT number FROM numbers(200000)) TO STDOUT"))
            var rows = 0, tag = ""
            while let msg = c.readMessage() {
                if msg.type == "d" { rows += 1 }
                if msg.type == "C" { tag = String(decoding: msg.body.dropLast(), as: UTF8.self) }
                if msg.type == "Z" { break }
            }
            #expect(rows == 200_000 && tag == "COPY 200000")
        }
    }

    @Test func cancelRequestStopsACopyOut() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            let key = try #require(c.startup())
            c.send(RawClient.query("COPY (SELECT number FROM numbers(3000000)) TO STDOUT"))
            #expect(c.readMessage()?.type == "H")
            #expect(c.readMessage()?.type == "d")
            // stop reading: the server waits for the socket (backpressure), then gets cancelled
            try await Task.sleep(for: .milliseconds(300))
            let canceller = try RawClient(port: s.server.port)
            canceller.send(RawClient.int32(16) + RawClient.int32(80_877_102) + RawClient.int32(key.0) + RawClient.int32(key.1))
            _ = canceller.read(1)
            var rows = 1
            var error: [Character: String]?
            var types: [Character] = []
            while let m = c.readMessage() {
                if m.type == "d" { rows += 1 } else { types.append(m.type) }
                if m.type == "E" { error = RawClient.fields(m.body) }
                if m.type == "Z" { break }
            }
            #expect(error?["C"] == "57014")
            #expect(types == ["E", "Z"], "no CopyDone after an error")
            #expect(rows < 3_000_000)
            c.send(RawClient.query("SELECT 1"))
            #expect(c.readUntilReady().map(\.type) == ["T", "D", "C", "Z"])
        }
    }

    @Test func parameterStatusFollowsSetAndReset() async throws {
        try await TestServer.with { s in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.startupMessage([("user", "aurum"), ("database", "default"), ("TimeZone", "Europe/Berlin"),
                                             ("application_name", "startup-app")]))
            let startup = RawClient.parameterStatuses(c.readUntilReady())
            #expect(startup["TimeZone"] == "Europe/Berlin")
            #expect(startup["application_name"] == "startup-app")
            #expect(startup["DateStyle"] == "ISO, MDY")

            // psqlODBC's first query
            c.send(RawClient.query("SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation"))
            var m = c.readUntilReady()
            // DateStyle keeps its value ('ISO' is 'ISO, MDY'): like PostgreSQL, no ParameterStatus
            #expect(m.map(\.type) == ["C", "C", "T", "D", "C", "Z"])
            c.send(RawClient.query("SET DateStyle = 'ISO, DMY'"))
            m = c.readUntilReady()
            #expect(m.map(\.type) == ["C", "S", "Z"])
            #expect(RawClient.parameterStatuses(m) == ["DateStyle": "ISO, DMY"])

            c.send(RawClient.query("SET application_name = 'pgjdbc app'; SET statement_timeout = '1s'; SET TIME ZONE 'UTC'"))
            m = c.readUntilReady()
            #expect(RawClient.parameterStatuses(m) == ["application_name": "pgjdbc app", "TimeZone": "UTC"])

            c.send(RawClient.query("RESET ALL"))
            m = c.readUntilReady()
            // back to the startup values
            #expect(RawClient.parameterStatuses(m) == ["application_name": "startup-app", "TimeZone": "Europe/Berlin", "DateStyle": "ISO, MDY"])
            c.send(RawClient.query("SHOW TimeZone"))
            m = c.readUntilReady()
            #expect(m.map(\.type) == ["T", "D", "C", "Z"])
            #expect(String(decoding: m[1].body, as: UTF8.self).hasSuffix("Europe/Berlin"))

            c.send(RawClient.query("BEGIN; SET LOCAL application_name = 'local'; COMMIT"))
            m = c.readUntilReady()
            let statuses = m.filter { $0.type == "S" }.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(statuses == ["application_name\0local\0", "application_name\0startup-app\0"])

            c.send(RawClient.query("SET DateStyle = 'German'"))
            m = c.readUntilReady()
            #expect(m.map(\.type) == ["E", "Z"])
            #expect(RawClient.fields(m[0].body)["C"] == "0A000")
        }
    }
}

@Suite("COPY and settings, psycopg 3")
struct CopyPsycopgTests {
    @Test func psycopgCopyAndParameterStatus() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients/copy_psycopg.py").path
        let check = try runProgram("/usr/bin/env", ["python3", "-c", "import psycopg"])
        #expect(check.status == 0, "psycopg 3 is not installed (pip install 'psycopg[binary]'): \(check.stderr)")
        try await TestServer.with { s in
            let r = try runProgram("/usr/bin/env", ["python3", script, "--port", String(s.server.port)])
            #expect(r.status == 0, "copy_psycopg.py failed:\n\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("ok"), "\(r.stdout)")
        }
    }
}
