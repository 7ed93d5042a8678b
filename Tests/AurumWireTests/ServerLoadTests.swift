import AurumCore
import AurumEngine
import AurumIngest
import CLibpq
import Foundation
import Synchronization
import Testing

// `aurum load` / `aurum ingest` into a running `aurum serve` (real processes, real libpq):
// --server, the automatic route through DIR/SERVER, --create, --replace under a concurrent
// reader, failed loads leaving nothing behind, rejects, exact values, auth and refused
// connections, a PostgreSQL-protocol source piped into the server, pipelines.

/// `aurum serve --data DIR --port 0 --no-http` as a child process.
final class ServeProcess {
    let process = Process()
    let directory: String
    let port: Int
    let outPath: String

    init(directory: String, environment: [String: String] = [:]) throws {
        let binary = try #require(aurumExecutablePath, "the aurum executable was not found: run `swift build` first or set AURUM_EXECUTABLE")
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        outPath = directory + ".serve.out"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data", directory, "--port", "0", "--no-http", "--shutdown-timeout", "1", "--query-threads", "8"]
        var env = ProcessInfo.processInfo.environment
        env["AURUM_PASSWORD"] = nil
        env["AURUM_USERS"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)!
        process.standardError = FileHandle(forWritingAtPath: outPath)!
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // the server records its address once it listens
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            let text = (try? String(contentsOfFile: directory + "/SERVER", encoding: .utf8)) ?? ""
            found = text.firstMatch(of: /port=(\d+)/).flatMap { Int($0.1) }
            if found == nil { usleep(50_000) }
        }
        guard let found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw ServerLoadTests.Failure("no DIR/SERVER from aurum serve: \((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: outPath)
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// A libpq connection for checks.
final class CheckConnection {
    let conn: OpaquePointer
    init(port: Int, password: String? = nil) throws {
        let info = "host=127.0.0.1 port=\(port) user=aurum dbname=default sslmode=disable connect_timeout=10" + (password.map { " password=\($0)" } ?? "")
        guard let c = PQconnectdb(info) else { throw ServerLoadTests.Failure("PQconnectdb returned nil") }
        conn = c
        guard PQstatus(c) == CONNECTION_OK else { throw ServerLoadTests.Failure("connect: \(String(cString: PQerrorMessage(c)))") }
    }
    deinit { PQfinish(conn) }

    /// The rows of `sql` as text (nil for NULL), or the error's SQLSTATE and message.
    func rows(_ sql: String) throws -> [[String?]] {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        guard PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK else {
            throw ServerLoadTests.Failure(String(cString: PQresultErrorMessage(r)))
        }
        return (0..<PQntuples(r)).map { i in
            (0..<PQnfields(r)).map { k in PQgetisnull(r, i, k) != 0 ? nil : String(cString: PQgetvalue(r, i, k)) }
        }
    }

    func value(_ sql: String) throws -> String { try rows(sql).first?.first.flatMap { $0 } ?? "" }
}

@Suite("aurum load / ingest through a running server", .serialized)
struct ServerLoadTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func scratch(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "aurum-srvload-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Runs the aurum binary (PG* variables cleared unless given).
    static func aurum(_ args: [String], environment: [String: String] = [:]) throws -> TestServer.Output {
        let binary = try #require(aurumExecutablePath, "the aurum executable was not found")
        return try runProgram(binary, args, environment: environment)
    }

    static func csv(ids: Range<Int>) -> String {
        "id,name,amount\n" + ids.map { "\($0),n\($0 % 7),\($0).25" }.joined(separator: "\n") + "\n"
    }

    static func leftovers(_ c: CheckConnection) throws -> String {
        try c.value("SELECT count(*) FROM system.tables WHERE name LIKE '%aurum%'")
    }

    @Test func explicitServerAutomaticCreateAndRejects() throws {
        let dir = Self.scratch("basic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/a.csv", Self.csv(ids: 0..<1000))
        try Self.write(dir + "/b.csv", Self.csv(ids: 1000..<1500))
        try Self.write(dir + "/bad.csv", "id,name,amount\n1,x,1.5\n2,y,not-a-number\n3,z,3\n")
        let server = try ServeProcess(directory: dir + "/data")
        defer { server.stop() }
        let url = "postgresql://aurum@127.0.0.1:\(server.port)/default"

        // --server with --create: the table is created from the CSV's inferred columns
        var r = try Self.aurum(["load", "--server", url, "--table", "t", "--create", "--order-by", "id", dir + "/a.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("loaded 1000 rows into default.t"), "\(r.stdout)")
        let c = try CheckConnection(port: server.port)
        #expect(try c.value("SELECT count(*) FROM t") == "1000")
        #expect(try c.value("SELECT sum(amount) FROM t") == "499750")  // Σ id + 1000 * 0.25

        // automatic: --data DIR while the server holds it
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", dir + "/b.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("is served by aurum serve (pid \(server.process.processIdentifier)); loading through it at 127.0.0.1:\(server.port)"), "\(r.stderr)")
        #expect(try c.value("SELECT count(*), max(id) FROM t") == "1500")
        #expect(try c.rows("SELECT count(*), max(id) FROM t") == [["1500", "1499"]])

        // a bad value without --max-errors: the load fails here, the table is unchanged
        for mode in [[], ["--replace"]] {
            r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t"] + mode + [dir + "/bad.csv"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("ERROR 22P02") && r.stderr.contains("not-a-number"), "\(r.stderr)")
            #expect(try c.value("SELECT count(*) FROM t") == "1500")
            #expect(try Self.leftovers(c) == "0")
        }
        // --max-errors with --rejects: the good rows load, the bad one is written on the client
        r = try Self.aurum(["load", "--server", url, "--table", "t", "--max-errors", "1", "--rejects", dir + "/rejects.ndjson", dir + "/bad.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("loaded 2 rows") && r.stdout.hasSuffix("1 rejected\n"), "\(r.stdout)")
        let rejects = try String(contentsOfFile: dir + "/rejects.ndjson", encoding: .utf8)
        #expect(rejects.split(separator: "\n").count == 1 && rejects.contains("not-a-number"), "\(rejects)")
        #expect(try c.value("SELECT count(*) FROM t") == "1502")

        // a server-side failure (NOT NULL) keeps the server's SQLSTATE; nothing is left behind
        try Self.write(dir + "/nulls.csv", "id,name,amount\n5,,1\n")
        r = try Self.aurum(["load", "--server", url, "--table", "t", "--replace", "--null", "", dir + "/nulls.csv"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ERROR 23502"), "\(r.stderr)")
        #expect(try c.value("SELECT count(*) FROM t") == "1502")
        #expect(try Self.leftovers(c) == "0")

        // clean shutdown removes DIR/SERVER
        #expect(server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/data/SERVER"))
        // held by a process that is not a server: the usual error, with --server in the hint;
        // with a stale DIR/SERVER naming a live pid where nothing listens: 08001 saying so
        do {
            let holder = try Engine(directory: dir + "/data")
            defer { holder.close() }
            r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", dir + "/b.csv"])
            #expect(r.status == 1 && r.stderr.contains("ERROR 58030") && r.stderr.contains("is in use") && r.stderr.contains("--server"), "\(r.stderr)")
            try Self.write(dir + "/data/SERVER", "pid=\(getpid())\nhost=127.0.0.1\nport=1\n")
            r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", dir + "/b.csv"])
            #expect(r.status == 1 && r.stderr.contains("ERROR 08001") && r.stderr.contains("stale"), "\(r.stderr)")
        }
        // not held: --data loads in-process again (the stale file is ignored)
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", dir + "/b.csv"])
        #expect(r.status == 0 && !r.stderr.contains("served by"), "\(r.stderr)")
        #expect(r.stdout.hasPrefix("loaded 500 rows"), "\(r.stdout)")
    }

    @Test func replaceWhileAReaderCounts() throws {
        let dir = Self.scratch("replace")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/old.csv", Self.csv(ids: 0..<3000))
        try Self.write(dir + "/new.csv", Self.csv(ids: 0..<7000))
        let server = try ServeProcess(directory: dir + "/data")
        defer { server.stop() }
        var r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--create", dir + "/old.csv"])
        #expect(r.status == 0, "\(r.stderr)")

        // a reader counts in a loop through the server while the table is replaced
        let seen = Mutex<[String: Int]>([:])
        let stop = Atomic<Bool>(false)
        let port = server.port
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { done.signal() }
            do {
                let c = try CheckConnection(port: port)
                while !stop.load(ordering: .relaxed) {
                    let v: String
                    do { v = try c.value("SELECT count(*) FROM t") } catch { v = "error: \(error)" }
                    seen.withLock { $0[v, default: 0] += 1 }
                }
            } catch {
                seen.withLock { $0["connect error: \(error)", default: 0] += 1 }
            }
        }
        for file in ["new.csv", "old.csv", "new.csv"] {
            r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--replace", dir + "/" + file])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("replaced with"), "\(r.stdout)")
        }
        stop.store(true, ordering: .relaxed)
        done.wait()
        let counts = seen.withLock { $0 }
        #expect(Set(counts.keys).isSubset(of: ["3000", "7000"]), "\(counts)")
        #expect(counts.values.reduce(0, +) > 0)
        let c = try CheckConnection(port: server.port)
        #expect(try c.value("SELECT count(*) FROM t") == "7000")
        #expect(try Self.leftovers(c) == "0")
    }

    /// Ctrl-C during a --replace through the server: the COPY is aborted and the staging table
    /// dropped on the server; the table keeps its rows.
    @Test func interruptedReplaceLeavesNothingBehind() throws {
        let dir = Self.scratch("sigint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/old.csv", Self.csv(ids: 0..<10))
        try Self.write(dir + "/big.csv", Self.csv(ids: 0..<400_000))
        let server = try ServeProcess(directory: dir + "/data")
        defer { server.stop() }
        var r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--create", dir + "/old.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try CheckConnection(port: server.port)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(aurumExecutablePath))
        p.arguments = ["load", "--data", dir + "/data", "--table", "t", "--replace", dir + "/big.csv"]
        _ = FileManager.default.createFile(atPath: dir + "/load.err", contents: nil)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: dir + "/load.err")!
        try p.run()
        // wait until the staging table exists (the COPY into it is running), then interrupt
        let deadline = Date().addingTimeInterval(60)
        while try p.isRunning && Date() < deadline && Self.leftovers(c) == "0" { usleep(20_000) }
        #expect(p.isRunning, "the load finished before it could be interrupted")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let err = try String(contentsOfFile: dir + "/load.err", encoding: .utf8)
        #expect(p.terminationStatus == 1)
        #expect(err.contains("cancelling") && err.contains("ERROR 57014"), "\(err)")
        #expect(try c.value("SELECT count(*) FROM t") == "10")
        #expect(try Self.leftovers(c) == "0")
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--replace", dir + "/old.csv"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Every type, loaded through the server and in-process from the same file: the stored
    /// values are identical (compared in-process after the server stopped).
    @Test func valuesRoundTripExactly() throws {
        let dir = Self.scratch("types")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ddl = """
            CREATE TABLE default.v (id Int32, b Bool, i8 Int8, i16 Int16, i64 Int64, u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
              f32 Float32, f64 Float64, d9 Decimal(9, 2), d38 Decimal(38, 10), s String, lc LowCardinality(String), day Date,
              ts DateTime, ts3 DateTime64(3), ts9 DateTime64(9), u UUID, ni Nullable(Int32), ns Nullable(String), nd Nullable(Decimal(18, 4)))
            ENGINE = MergeTree ORDER BY id
            """
        // CSV (RFC 4180: quoted fields may hold commas, quotes, tabs and newlines)
        let rows = [
            #"1,true,-128,-32768,-9223372036854775808,0,0,0,0,0.1,0.1,-9999999.99,-9999999999999999999999999999.9999999999,"tab\#tand ""quote""",a,1900-01-01,1970-01-01 00:00:00,1900-01-01 00:00:00.001,2261-12-31 23:59:59.123456789,00000000-0000-0000-0000-000000000000,-2147483648,"line1"#
                + "\n" + #"line2\back\slash",0.0001"#,
            #"2,false,127,32767,9223372036854775807,255,65535,4294967295,18446744073709551615,3.4028235e38,1.7976931348623157e308,9999999.99,9999999999999999999999999999.9999999999,\.,b,2299-12-31,2106-02-07 06:28:15,2024-02-29 12:34:56.789,1969-12-31 23:59:59.999999999,ffffffff-ffff-ffff-ffff-ffffffffffff,2147483647,,-0.0001"#,
            #"3,true,0,0,0,1,1,1,1,-1.17549435e-38,5e-324,0.01,0.0000000001,"",c,2024-01-02,2024-01-02 03:04:05,2024-01-02 03:04:05.000,2024-01-02 03:04:05.000000001,123e4567-e89b-12d3-a456-426614174000,,"ünïcödé ✓ \N",12345678901234.5678"#,
            #"4,false,-1,-1,-1,2,2,2,2,-0,-2.2250738585072014e-308,-0.01,-1,x,c,1999-12-31,1999-12-31 23:59:59,1999-12-31 23:59:59.999,2000-01-01 00:00:00,6ba7b810-9dad-11d1-80b4-00c04fd430c8,0,NULL,"#,
        ]
        try Self.write(dir + "/v.csv", "id,b,i8,i16,i64,u8,u16,u32,u64,f32,f64,d9,d38,s,lc,day,ts,ts3,ts9,u,ni,ns,nd\n" + rows.joined(separator: "\n") + "\n")

        // in-process reference
        let reference = try Engine(directory: dir + "/ref")
        let local = reference.makeSession()
        _ = try local.execute(ddl)
        var request = LoadRequest(input: try InputSpec.resolve([dir + "/v.csv"]), table: "v")
        request.input.csv.nullMarkers = ["", "NULL"]
        _ = try Loader.run(request, session: local)
        let expected = try Self.dump(local)
        reference.close()
        #expect(expected.count == 4)

        let server = try ServeProcess(directory: dir + "/data")
        let c = try CheckConnection(port: server.port)
        _ = try c.rows(ddl)
        let r = try Self.aurum(["load", "--server", "postgresql://aurum@127.0.0.1:\(server.port)/default", "--table", "v", "--null", "", "--null", "NULL", dir + "/v.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(server.stop() == 0)
        let served = try Engine(directory: dir + "/data")
        defer { served.close() }
        let got = try Self.dump(served.makeSession())
        #expect(got.count == expected.count)
        for (a, b) in zip(got, expected) { #expect(a == b) }
    }

    static func dump(_ s: Session, table: String = "v") throws -> [[Value]] {
        var out: [[Value]] = []
        for b in try s.execute("SELECT * FROM default.\(table) ORDER BY id").last?.blocks ?? [] {
            for i in 0..<b.count { out.append(b.columns.map { $0.value(at: i) }) }
        }
        return out
    }

    /// Parquet columns of other types than the table's (fixtures/server_load_fixtures.py): the
    /// client casts each block; the stored values equal an in-process load's, and a value that
    /// does not convert fails with the same error as in-process.
    @Test func parquetBlocksAreCastOnTheClient() throws {
        let dir = Self.scratch("parquet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("AurumIngestTests/fixtures/server_load_fixtures.py").path
        let gen = try runProgram("/usr/bin/env", ["python3", script, dir + "/in"])
        try #require(gen.status == 0, "server_load_fixtures.py failed (needs python3 with pyarrow; .ci/run installs it): \(gen.stderr)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/in/expected.json"))) as? [String: Any])
        let ddl = "CREATE TABLE p (id Int64, amount Decimal(18, 2), day Date, ts DateTime64(3), name Nullable(String), code Int64) ENGINE = MergeTree ORDER BY id"

        var r = try Self.aurum(["query", "--data", dir + "/ref", ddl])
        #expect(r.status == 0, "\(r.stderr)")
        r = try Self.aurum(["load", "--data", dir + "/ref", "--table", "p", dir + "/in/good.parquet"])
        #expect(r.status == 0, "\(r.stderr)")
        let localBad = try Self.aurum(["load", "--data", dir + "/ref", "--table", "p", dir + "/in/bad.parquet"])

        let server = try ServeProcess(directory: dir + "/data")
        let url = "postgresql://aurum@127.0.0.1:\(server.port)/default"
        let c = try CheckConnection(port: server.port)
        _ = try c.rows(ddl)
        r = try Self.aurum(["load", "--server", url, "--table", "p", dir + "/in/good.parquet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("loaded \(expected["rows"] as? Int ?? -1) rows"), "\(r.stdout)")
        let sums = try c.rows("SELECT count(*), sum(id), sum(amount), sum(code), countIf(name IS NULL) FROM p")
        #expect(sums == [["\(expected["rows"] as? Int ?? -1)", "\(expected["sum_id"] as? Int ?? -1)", expected["sum_amount"] as? String,
                          "\(expected["sum_code"] as? Int ?? -1)", "\(expected["null_names"] as? Int ?? -1)"]])
        let remoteBad = try Self.aurum(["load", "--server", url, "--table", "p", dir + "/in/bad.parquet"])
        #expect(localBad.status == 1 && remoteBad.status == 1)
        #expect(remoteBad.stderr.contains("ERROR 22P02: column code:") && remoteBad.stderr.contains("x7"), "\(remoteBad.stderr)")
        #expect(remoteBad.stderr == localBad.stderr)
        #expect(try c.value("SELECT count(*) FROM p") == "\(expected["rows"] as? Int ?? -1)")
        #expect(server.stop() == 0)

        let served = try Engine(directory: dir + "/data"), reference = try Engine(directory: dir + "/ref")
        defer { served.close(); reference.close() }
        let got = try Self.dump(served.makeSession(), table: "p"), want = try Self.dump(reference.makeSession(), table: "p")
        #expect(got.count == want.count && got.count == expected["rows"] as? Int)
        #expect(got == want)
    }

    @Test func passwordsAndRefusedConnections() throws {
        let dir = Self.scratch("auth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/a.csv", Self.csv(ids: 0..<10))
        let server = try ServeProcess(directory: dir + "/data", environment: ["AURUM_PASSWORD": "s3cret"])
        defer { server.stop() }
        var r = try Self.aurum(["load", "--server", "postgresql://loader:wrong@127.0.0.1:\(server.port)/default", "--table", "t", "--create", dir + "/a.csv"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ERROR 28P01") && r.stderr.contains("password authentication failed"), "\(r.stderr)")
        // no password at all (automatic route): 28P01 with the hint
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--create", dir + "/a.csv"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ERROR 28P01") && r.stderr.contains("PGPASSWORD"), "\(r.stderr)")
        // PGPASSWORD with the automatic route; the password in the URL with --server
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "t", "--create", dir + "/a.csv"], environment: ["PGPASSWORD": "s3cret"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try Self.aurum(["load", "--server", "postgresql://loader:s3cret@127.0.0.1:\(server.port)/default", "--table", "t", dir + "/a.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        // the PG* variables alone
        r = try Self.aurum(["load", "--server", "", "--table", "t", dir + "/a.csv"],
                           environment: ["PGHOST": "127.0.0.1", "PGPORT": "\(server.port)", "PGUSER": "loader", "PGPASSWORD": "s3cret", "PGDATABASE": "default"])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try CheckConnection(port: server.port, password: "s3cret")
        #expect(try c.value("SELECT count(*) FROM t") == "30")
        // nothing listens on port 1
        r = try Self.aurum(["load", "--server", "postgresql://aurum@127.0.0.1:1/default", "--table", "t", dir + "/a.csv"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ERROR 08001") && r.stderr.contains("could not connect"), "\(r.stderr)")
    }

    /// A PostgreSQL-protocol source (here the server itself) piped into the server, and
    /// `aurum ingest` pipelines with a transform, through --server and automatically.
    @Test func postgresSourceAndPipelines() throws {
        let dir = Self.scratch("pipe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/a.csv", Self.csv(ids: 0..<100) + "5,n5,5.25\n")
        let server = try ServeProcess(directory: dir + "/data")
        defer { server.stop() }
        let url = "postgresql://aurum@127.0.0.1:\(server.port)/default"
        var r = try Self.aurum(["load", "--server", url, "--table", "src", "--create", dir + "/a.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try Self.aurum(["load", "--data", dir + "/data", "--table", "piped", "--create", "--from", url,
                            "--query", "SELECT id, name, amount * 2 AS doubled FROM src WHERE id < 50"])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try CheckConnection(port: server.port)
        #expect(try c.rows("SELECT count(*), sum(doubled) FROM piped") == [["51", "2485.5"]])  // 2 * (Σ0..49 + 5 + 51 * 0.25)
        try Self.write(dir + "/p.yaml", """
            pipelines:
              - name: dedup
                source:
                  path: a.csv
                select:
                  - id
                  - upper(name) AS name
                dedup_key: id
                target: clean
                create: true
                order_by: id
                mode: replace
            """)
        for args in [["--server", url], ["--data", dir + "/data"], ["--data", dir + "/data"]] {
            r = try Self.aurum(["ingest", "--config", dir + "/p.yaml"] + args)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("[dedup] ok:"), "\(r.stdout)")
        }
        #expect(try c.rows("SELECT count(*), max(name) FROM clean") == [["100", "N6"]])
        #expect(try Self.leftovers(c) == "0")
    }
}
