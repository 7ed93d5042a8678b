import AurumCore
import AurumEngine
import Foundation
import Glibc
import Testing
@testable import AurumIngest

/// `aurum load --from postgresql://...`: a real PostgreSQL 15 (a throw-away cluster on
/// loopback, started here) as the source; types from its RowDescription, rows by COPY.
@Suite("PostgreSQL source", .serialized)
struct PostgresSourceTests {
    /// A throw-away PostgreSQL 15 cluster (initdb + pg_ctl; as the postgres user when root).
    final class Cluster {
        let dir: String
        let port: Int
        let bin = "/usr/lib/postgresql/15/bin"
        var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }

        init() throws {
            dir = NSTemporaryDirectory() + "aurum-pgsrc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            port = 20_000 + Int(getpid() % 20_000)
            guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
                throw AurumError(.ioError, "PostgreSQL 15 server binaries are missing (\(bin)); .ci/run installs postgresql-15")
            }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", dir]) }
            try asPostgres(bin + "/initdb", ["-D", dir + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"])
            try asPostgres(bin + "/pg_ctl", ["-D", dir + "/data", "-l", dir + "/log", "-w", "-o",
                                             "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1", "start"])
        }

        deinit {
            try? asPostgres(bin + "/pg_ctl", ["-D", dir + "/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Runs a server tool with posix_spawn + waitpid, its output to a file. (Foundation's
        /// Process notices termination through a descriptor the child inherits; the server
        /// pg_ctl starts inherits it too and keeps it open, so Process would wait forever.)
        func asPostgres(_ tool: String, _ args: [String]) throws {
            let argv = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + args : [tool] + args
            let log = dir + "/tool.log"
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            var cargs = argv.map { strdup($0) }
            cargs.append(nil)
            defer { for a in cargs { free(a) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, environ)
            guard rc == 0 else { throw AurumError(.ioError, "cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else {
                throw AurumError(.ioError, "\(tool) failed: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
            }
        }

        /// Runs SQL through psql; returns its unaligned output.
        @discardableResult
        func psql(_ sql: String) throws -> String {
            try Self.run("/usr/bin/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "host=127.0.0.1 port=\(port) user=postgres dbname=postgres", "-c", sql])
        }

        @discardableResult
        static func run(_ path: String, _ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw AurumError(.ioError, "\(path) \(args.joined(separator: " ")) failed: " + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func loadsAQueryWithTypesFromTheSource() throws {
        let pg = try Cluster()
        try pg.psql("""
            CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), placed timestamptz, day date,
                                 ok boolean, u uuid, note varchar(20), f double precision, small smallint, big numeric);
            INSERT INTO orders SELECT g, 'c' || (g % 7), g * 1.25, timestamptz '2024-01-01 00:00:00+02' + g * interval '1 hour',
                   date '2024-01-01' + g % 30, g % 2 = 0, md5(g::text)::uuid,
                   CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN E'tab\\there' ELSE 'quote "' || g || '"' END, g / 4.0, g % 100,
                   g * 1000000000000
            FROM generate_series(1, 20000) g;
            """)
        let db = try LoaderTests.DB()
        var request = LoadRequest(postgres: PostgresQuerySpec(url: pg.url, query: "SELECT * FROM orders WHERE id > 10"), table: "orders")
        request.create = true
        let s = try Loader.run(request, session: db.engine.makeSession())
        #expect(s.rows == 19_990 && s.created)
        let types = try db.scalar("SELECT name, type FROM system.columns WHERE \"table\" = 'orders' ORDER BY position")
        #expect(types == ["id|Nullable(Int64)", "customer|Nullable(String)", "amount|Nullable(Decimal(12, 2))", "placed|Nullable(DateTime64(6))",
                          "day|Nullable(Date)", "ok|Nullable(Bool)", "u|Nullable(UUID)", "note|Nullable(String)", "f|Nullable(Float64)",
                          "small|Nullable(Int16)", "big|Nullable(Decimal(38, 10))"])
        // aggregates as the source computes them
        let want = try pg.psql("""
            SELECT count(*), sum(amount), to_char(min(placed) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), count(*) FILTER (WHERE note IS NULL),
                   sum(length(note)), sum(f), sum(small), count(DISTINCT u), max(day), sum(big)::numeric(38, 10)
            FROM orders WHERE id > 10
            """)
        let got = try db.scalar("""
            SELECT count(*), sum(amount), formatDateTime(min(placed), '%Y-%m-%d %H:%M:%S'), countIf(note IS NULL), sum(length(note)),
                   sum(f), sum(small), count(DISTINCT u), max(day), sum(big)
            FROM orders
            """)
        #expect(got == [want], "aurum: \(got) postgres: \(want)")
        // a tab and quotes inside text survive COPY's escaping
        #expect(try db.scalar("SELECT note FROM orders WHERE id = 11") == ["tab\there"])

        // replace from a narrower query (columns by name, in another order); the rest get NULL
        var replace = LoadRequest(postgres: PostgresQuerySpec(url: pg.url, query: "SELECT customer, id FROM orders WHERE id <= 100"), table: "orders")
        replace.mode = .replace
        let r = try Loader.run(replace, session: db.engine.makeSession())
        #expect(r.replaced && r.rows == 100)
        #expect(try db.scalar("SELECT count(*), sum(id), countIf(amount IS NULL) FROM orders") == ["100|5050|100"])

        // errors keep the source's SQLSTATE; nothing changes
        let missing = LoadRequest(postgres: PostgresQuerySpec(url: pg.url, query: "SELECT nope FROM orders"), table: "orders")
        let e = #expect(throws: AurumError.self) { _ = try Loader.run(missing, session: db.engine.makeSession()) }
        #expect(e?.code == .undefinedColumn)
        #expect(e?.message.contains("PostgreSQL source") == true)
        let unknown = LoadRequest(postgres: PostgresQuerySpec(url: pg.url, query: "SELECT 1 AS x"), table: "orders")
        let e2 = #expect(throws: AurumError.self) { _ = try Loader.run(unknown, session: db.engine.makeSession()) }
        #expect(e2?.code == .undefinedColumn)
        #expect(try db.scalar("SELECT count(*) FROM orders") == ["100"])
    }

    @Test func connectionFailuresAre08001() throws {
        let db = try LoaderTests.DB()
        _ = try db.engine.makeSession().execute("CREATE TABLE t (x Int64) ENGINE = MergeTree ORDER BY x")
        let request = LoadRequest(postgres: PostgresQuerySpec(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", query: "SELECT 1 AS x"), table: "t")
        let e = #expect(throws: AurumError.self) { _ = try Loader.run(request, session: db.engine.makeSession()) }
        #expect(e?.code == SQLState("08001"))
        #expect(PostgresExport.type(oid: 1700, modifier: (10 << 16 | 3) + 4) == DataType(.decimal(precision: 10, scale: 3)))
        #expect(PostgresExport.type(oid: 3802, modifier: -1) == .string)   // jsonb as text
    }
}
