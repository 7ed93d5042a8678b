import AurumEngine
import Foundation
import Testing
@testable import AurumCLI
@testable import AurumWire

// TLS (SSLRequest -> 'S'), the unknown-user SCRAM exchange on the wire, the HTTP endpoints,
// the configuration file, `aurum passwd` and the serve refusals.

let opensslInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
let curlInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

/// A fresh self-signed certificate and key in a temporary directory (never committed).
struct TestCertificate {
    let directory: String
    var cert: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    init() throws {
        directory = NSTemporaryDirectory() + "aurum-tls-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let r = try runProgram("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem",
                                                    "-out", directory + "/cert.pem", "-days", "2", "-subj", "/CN=localhost"])
        guard r.status == 0 else { throw PGAuthConfigError("openssl failed: \(r.stderr)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("TLS", .enabled(if: psqlInstalled && opensslInstalled, "needs /usr/bin/psql and /usr/bin/openssl"))
struct TLSTests {
    @Test func psqlWithSslmodeRequireAndSCRAM() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        var c = authConfiguration(.scramSHA256, users: ["tina": .scram(SCRAMVerifier.make(password: "t-pass"))])
        c.tls = PGTLSConfiguration(certificatePath: cert.cert, privateKeyPath: cert.key)
        try await TestServer.with(configuration: c) { (s: TestServer) async throws in
            let r = try s.psqlAs("tina", password: "t-pass", sslmode: "require", ["\\conninfo", "SELECT 7"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("SSL connection (protocol: TLSv1."), "\(r.stdout)")
            #expect(r.stdout.hasSuffix("7\n"))
            // Plain connections still work when TLS is optional.
            let plain = try s.psqlAs("tina", password: "t-pass", sslmode: "disable", ["\\conninfo"])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(!plain.stdout.contains("SSL connection"))
            #expect(s.server.statistics.tlsConnections == 1)
        }
    }

    @Test func requireAllRefusesPlainConnections() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        var c = PGServerConfiguration()
        c.tls = PGTLSConfiguration(certificatePath: cert.cert, privateKeyPath: cert.key, require: .all)
        try await TestServer.with(configuration: c) { (s: TestServer) async throws in
            let plain = try s.psqlAs("aurum", password: nil, sslmode: "disable", ["SELECT 1"])
            #expect(plain.status != 0)
            #expect(plain.stderr.contains("this server requires TLS"), "\(plain.stderr)")
            #expect(try s.psqlAs("aurum", password: nil, sslmode: "require", ["SELECT 1"]).stdout == "1\n")
        }
    }

    @Test func psycopgWithSslmodeRequire() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        var c = authConfiguration(.scramSHA256, users: ["py": .scram(SCRAMVerifier.make(password: "snake"))])
        c.tls = PGTLSConfiguration(certificatePath: cert.cert, privateKeyPath: cert.key)
        try await TestServer.with(configuration: c) { (s: TestServer) async throws in
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients/tls_scram.py").path
            let r = try runProgram("/usr/bin/env", ["python3", script, "--port", String(s.server.port), "--user", "py", "--password", "snake"])
            #expect(r.status == 0, "tls_scram.py failed: \(r.stderr) \(r.stdout)")
        }
    }

    @Test func whichClientsMustUseTLS() {
        func t(_ r: PGTLSConfiguration.Requirement) -> PGTLSConfiguration {
            PGTLSConfiguration(certificatePath: "c", privateKeyPath: "k", require: r)
        }
        #expect(!t(.optional).requiresTLS(clientAddress: "10.1.2.3"))
        #expect(t(.all).requiresTLS(clientAddress: "127.0.0.1"))
        #expect(!t(.remote).requiresTLS(clientAddress: "127.0.0.1"))
        #expect(!t(.remote).requiresTLS(clientAddress: "::1"))
        #expect(!t(.remote).requiresTLS(clientAddress: "::ffff:127.0.0.1"))
        #expect(t(.remote).requiresTLS(clientAddress: "10.1.2.3"))
        #expect(t(.remote).requiresTLS(clientAddress: "::ffff:10.1.2.3"))
        #expect(t(.remote).requiresTLS(clientAddress: nil))
    }

    @Test func missingCertificateFailsAtStart() async throws {
        var c = PGServerConfiguration()
        c.tls = PGTLSConfiguration(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        await #expect(throws: PGAuthConfigError.self) { _ = try await TestServer.start(configuration: c) }
    }

    @Test func withoutCertificateSSLRequestIsAnsweredN() async throws {
        try await TestServer.with(configuration: PGServerConfiguration()) { (s: TestServer) async throws in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.int32(8) + RawClient.int32(80_877_103))
            #expect(c.read(1) == [UInt8(ascii: "N")])
        }
    }
}

@Suite("SCRAM on the wire")
struct SCRAMWireTests {
    /// Sends a startup for `user` and a SCRAM client-first message; returns the server-first
    /// message (or the ErrorResponse fields).
    static func serverFirst(port: Int, user: String) throws -> String {
        let c = try RawClient(port: port)
        c.send(RawClient.startupMessage([("user", user), ("database", "default")]))
        guard let r = c.readMessage(), r.type == "R", Array(r.body.prefix(4)) == [0, 0, 0, 10] else { return "no AuthenticationSASL" }
        #expect(Array(r.body.dropFirst(4)) == Array("SCRAM-SHA-256".utf8) + [0, 0], "only SCRAM-SHA-256, no -PLUS")
        let data = Array("n,,n=,r=clientnonce123".utf8)
        let body = Array("SCRAM-SHA-256".utf8) + [0] + RawClient.int32(Int32(data.count)) + data
        c.send([UInt8(ascii: "p")] + RawClient.int32(Int32(body.count + 4)) + body)
        guard let m = c.readMessage() else { return "EOF" }
        if m.type == "E" { return "E " + (RawClient.fields(m.body)["C"] ?? "") }
        // Answer with a wrong proof: the failure must be the usual 28P01.
        let text = String(decoding: m.body.dropFirst(4), as: UTF8.self)
        let nonce = text.split(separator: ",")[0].dropFirst(2)
        let final = Array("c=biws,r=\(nonce),p=\(Data(repeating: 7, count: 32).base64EncodedString())".utf8)
        c.send([UInt8(ascii: "p")] + RawClient.int32(Int32(final.count + 4)) + final)
        let e = c.readMessage()
        #expect(e?.type == "E")
        let f = RawClient.fields(e?.body ?? [])
        #expect(f["C"] == "28P01")
        #expect(f["M"] == "password authentication failed for user \"\(user)\"")
        return text
    }

    @Test func unknownUsersGetAStableFakeSaltAndTheSameFailure() async throws {
        let v = SCRAMVerifier.make(password: "x")
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: ["known": .scram(v)])) { (s: TestServer) async throws in
            func saltAndIterations(_ t: String) -> String { t.split(separator: ",").dropFirst().joined(separator: ",") }
            let known = try Self.serverFirst(port: s.server.port, user: "known")
            #expect(saltAndIterations(known) == "s=\(Data(v.salt).base64EncodedString()),i=4096")
            let ghost1 = try Self.serverFirst(port: s.server.port, user: "ghost")
            let ghost2 = try Self.serverFirst(port: s.server.port, user: "ghost")
            #expect(ghost1.hasPrefix("r=clientnonce123"))
            #expect(saltAndIterations(ghost1) == saltAndIterations(ghost2), "the fake salt is stable per user")
            #expect(saltAndIterations(ghost1).hasSuffix(",i=4096"))
            #expect(saltAndIterations(ghost1) != saltAndIterations(try Self.serverFirst(port: s.server.port, user: "ghost2")))
        }
    }

    @Test func terminateWhileAuthenticatingClosesQuietly() async throws {
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: [:], shared: "p")) { (s: TestServer) async throws in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.startupMessage([("user", "u")]))
            #expect(c.readMessage()?.type == "R")
            c.send([UInt8(ascii: "X")] + RawClient.int32(4))
            #expect(c.read(1) == nil, "closed without an ErrorResponse")
        }
    }

    @Test func md5ChallengeLooksTheSameForUnknownUsers() async throws {
        let users: [String: PGStoredPassword] = ["known": .md5(PGMD5.stored(password: "x", user: "known"))]
        try await TestServer.with(configuration: authConfiguration(.md5, users: users)) { (s: TestServer) async throws in
            for user in ["known", "unknown"] {
                let c = try RawClient(port: s.server.port)
                c.send(RawClient.startupMessage([("user", user)]))
                let r = c.readMessage()
                #expect(r?.type == "R")
                #expect(Array(r?.body.prefix(4) ?? []) == [0, 0, 0, 5])
                #expect(r?.body.count == 8, "Int32 5 and a 4-byte salt")
                let answer = Array("md5\(String(repeating: "0", count: 32))".utf8) + [0]
                c.send([UInt8(ascii: "p")] + RawClient.int32(Int32(answer.count + 4)) + answer)
                let e = c.readMessage()
                #expect(RawClient.fields(e?.body ?? [])["M"] == "password authentication failed for user \"\(user)\"")
                #expect(RawClient.fields(e?.body ?? [])["C"] == "28P01")
            }
        }
    }

    @Test func wrongMechanismIsAProtocolViolation() async throws {
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: [:], shared: "p")) { (s: TestServer) async throws in
            let c = try RawClient(port: s.server.port)
            c.send(RawClient.startupMessage([("user", "u")]))
            #expect(c.readMessage()?.type == "R")
            let body = Array("SCRAM-SHA-256-PLUS".utf8) + [0] + RawClient.int32(0)
            c.send([UInt8(ascii: "p")] + RawClient.int32(Int32(body.count + 4)) + body)
            let e = c.readMessage()
            #expect(e?.type == "E")
            #expect(RawClient.fields(e?.body ?? [])["C"] == "08P01")
        }
    }
}

/// GET with curl: (status, body).
func httpGet(_ port: Int, _ path: String) throws -> (Int, String) {
    let r = try runProgram("/usr/bin/curl", ["-s", "-S", "--max-time", "10", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
    guard r.status == 0 else { throw PGAuthConfigError("curl failed: \(r.stderr)") }
    var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let code = Int(lines.removeLast()) ?? -1
    return (code, lines.joined(separator: "\n"))
}

/// The value of one sample line (`name{labels} value`) in a Prometheus exposition.
func metric(_ text: String, _ sample: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
        return Double(line.dropFirst(sample.count + 1))
    }
    return nil
}

@Suite("HTTP health and metrics", .enabled(if: psqlInstalled && curlInstalled, "needs /usr/bin/psql and /usr/bin/curl"))
struct HTTPMonitorTests {
    @Test func healthAndMetricsMoveWithQueries() async throws {
        try await TestServer.with(configuration: PGServerConfiguration()) { (s: TestServer) async throws in
            let monitor = AurumMonitor()
            let http = try await AurumHTTPServer.start(host: "127.0.0.1", port: 0, monitor: monitor)
            do {
                #expect(try httpGet(http.port, "/health") == (503, "not ready\n"))
                monitor.attach(engine: s.engine)
                monitor.attach(s.server)
                monitor.setReady(true)
                #expect(try httpGet(http.port, "/health") == (200, "ready\n"))
                #expect(try httpGet(http.port, "/nope").0 == 404)
                let post = try runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                            "http://127.0.0.1:\(http.port)/metrics"])
                #expect(post.stdout == "405")
                let head = try runProgram("/usr/bin/curl", ["-s", "-I", "http://127.0.0.1:\(http.port)/metrics"])
                #expect(head.stdout.contains("text/plain; version=0.0.4"), "\(head.stdout)")

                let before = try httpGet(http.port, "/metrics").1
                let setup = try s.psql(["CREATE TABLE m (id Int64, s String) ENGINE = MergeTree ORDER BY id",
                                        "INSERT INTO m SELECT number, toString(number) FROM numbers(1000)",
                                        "INSERT INTO m SELECT number, 'x' FROM numbers(500)",
                                        "SELECT count(*), max(s) FROM m", "SELECT no_such_column FROM m"])
                #expect(setup.stdout.contains("1500|"), "\(setup.stdout) \(setup.stderr)")
                let after = try httpGet(http.port, "/metrics").1
                let okBefore = metric(before, "aurum_queries_total{outcome=\"ok\"}") ?? -1
                let errBefore = metric(before, "aurum_queries_total{outcome=\"error\"}") ?? -1
                // psql's session also runs the SETs of its startup parameters: at least the 4 statements.
                let okAfter = metric(after, "aurum_queries_total{outcome=\"ok\"}") ?? -1
                #expect(okAfter >= okBefore + 4)
                #expect(metric(after, "aurum_queries_total{outcome=\"error\"}") == errBefore + 1)
                #expect(metric(after, "aurum_query_duration_seconds_count") == okAfter + errBefore + 1
                        + (metric(after, "aurum_queries_total{outcome=\"canceled\"}") ?? 0))
                #expect(metric(after, "aurum_query_duration_seconds_bucket{le=\"+Inf\"}") == metric(after, "aurum_query_duration_seconds_count"))
                #expect((metric(after, "aurum_rows_read_total") ?? 0) >= (metric(before, "aurum_rows_read_total") ?? 0) + 1500)
                #expect((metric(after, "aurum_bytes_read_total") ?? 0) > (metric(before, "aurum_bytes_read_total") ?? 0))
                #expect(metric(after, "aurum_table_rows{database=\"default\",table=\"m\"}") == 1500)
                #expect((metric(after, "aurum_table_parts{database=\"default\",table=\"m\"}") ?? 0) >= 1)
                #expect(metric(after, "aurum_connections_total") == 1)
                #expect(metric(after, "aurum_connections") == 0)
                #expect(metric(after, "aurum_ready") == 1)
                #expect(after.contains("# TYPE aurum_query_duration_seconds histogram"))

                let merges = metric(after, "aurum_merges_total") ?? -1
                #expect(try s.psql(["OPTIMIZE TABLE m FINAL"]).status == 0)
                let merged = try httpGet(http.port, "/metrics").1
                #expect((metric(merged, "aurum_merges_total") ?? 0) >= merges + 1)
                #expect(metric(merged, "aurum_table_parts{database=\"default\",table=\"m\"}") == 1)

                monitor.setReady(false)
                #expect(try httpGet(http.port, "/health").0 == 503)
            } catch {
                await http.shutdown()
                throw error
            }
            await http.shutdown()
        }
    }

    @Test func grafanaDashboardUsesOnlyExportedMetrics() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dashboard = root.appendingPathComponent("clients/grafana/aurum-dashboard.json")
        let data = try Data(contentsOf: dashboard)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let panels = json?["panels"] as? [[String: Any]] ?? []
        #expect(panels.count >= 8)
        let text = String(decoding: data, as: UTF8.self)
        let names = Set(text.matches(of: /aurum_[a-z_]+/).map { String($0.output) })
        #expect(names.count >= 10)
        try await TestServer.with(configuration: PGServerConfiguration()) { (s: TestServer) async throws in
            #expect(try s.psql(["CREATE TABLE g (x Int32) ENGINE = MergeTree ORDER BY x", "INSERT INTO g VALUES (1)"]).status == 0)
            let monitor = AurumMonitor()
            monitor.attach(engine: s.engine)
            monitor.attach(s.server)
            let exposition = monitor.renderMetrics()
            var families: Set<String> = []
            for line in exposition.split(separator: "\n") where line.hasPrefix("# TYPE ") {
                families.insert(String(line.split(separator: " ")[2]))
            }
            for n in names {
                let family = ["_bucket", "_sum", "_count"].reduce(n) { f, suffix in
                    f.hasSuffix(suffix) && families.contains(String(f.dropLast(suffix.count))) ? String(f.dropLast(suffix.count)) : f
                }
                #expect(families.contains(family), "the dashboard uses \(n), which /metrics does not export")
            }
        }
        let provisioning = try String(contentsOf: root.appendingPathComponent("clients/grafana/provisioning/datasources/aurum.yaml"), encoding: .utf8)
        #expect(provisioning.contains("type: postgres") || provisioning.contains("type: grafana-postgresql-datasource"))
        #expect(provisioning.contains("type: prometheus"))
    }
}

@Suite("serve configuration file")
struct ServeConfigTests {
    @Test func fullFile() throws {
        let v = SCRAMVerifier.make(password: "pw")
        let c = try ServeConfigFile.parse("""
            # comment
            data: data-dir
            host: 0.0.0.0
            port: 6543
            http_port: 9100
            tls_cert: certs/c.pem
            tls_key: /abs/k.pem
            tls_require: remote
            auth_method: md5
            users:
              - name: alice
                password: "\(v.text)"
              - name: bob
                plaintext_password: hunter2
            allow_remote_without_password: false
            shutdown_timeout: 2.5
            query_threads: 8
            """, baseDirectory: "/etc/aurum")
        #expect(c.data == "/etc/aurum/data-dir")
        #expect(c.host == "0.0.0.0")
        #expect(c.port == 6543)
        #expect(c.httpPort == .some(9100))
        #expect(c.tlsCert == "/etc/aurum/certs/c.pem")
        #expect(c.tlsKey == "/abs/k.pem")
        #expect(c.tlsRequire == .remote)
        #expect(c.authMethod == .md5)
        #expect(c.users == ["alice": .scram(v), "bob": .plaintext("hunter2")])
        #expect(c.shutdownTimeout == 2.5)
        #expect(c.queryThreads == 8)
        #expect(try ServeConfigFile.parse("http_port: off").httpPort == .some(nil))
        #expect(try ServeConfigFile.parse("").host == nil)
    }

    @Test func errorsNameTheKeyAndLine() {
        func message(_ yaml: String) -> String {
            do { _ = try ServeConfigFile.parse(yaml, file: "a.yaml"); return "no error" } catch { return "\(error)" }
        }
        #expect(message("host: x\nprot: 5433\n") == "a.yaml:2: prot: unknown key (known keys: \(ServeConfigFile.keys.joined(separator: ", ")))")
        #expect(message("port: 70000").hasPrefix("a.yaml:1: port: expected an integer between 0 and 65535"))
        #expect(message("port: abc").hasPrefix("a.yaml:1: port: expected an integer"))
        #expect(message("auth_method: kerberos").hasPrefix("a.yaml:1: auth_method: expected one of trust, password, md5, scram-sha-256"))
        #expect(message("users:\n  - name: a\n    password: secret\n").hasPrefix("a.yaml:3: users.password: not a SCRAM-SHA-256 verifier"))
        #expect(message("users:\n  - name: a\n    passwd: x\n").hasPrefix("a.yaml:3: users.passwd: unknown key"))
        #expect(message("users:\n  - name: a\n").contains("user \"a\" needs password or plaintext_password"))
        #expect(message("tls_cert: c.pem").contains("tls_cert and tls_key go together"))
        #expect(message("- a\n- b").contains("must be a mapping"))
        #expect(message("host: [unclosed").contains("invalid YAML"))
        #expect(message("port: 1\nport: 2").contains("duplicated key(s): 'port'"))
    }

    @Test func exampleFileParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try ServeConfigFile.load(path: root.appendingPathComponent("docs/aurum.example.yaml").path)
        #expect(c.port == 5433)
        #expect(!c.users.isEmpty)
    }
}

@Suite("aurum serve settings and aurum passwd")
struct ServeSettingsTests {
    func writeConfig(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "aurum-conf-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func flagsOverrideTheFile() throws {
        let path = try writeConfig("host: 127.0.0.2\nport: 6000\nhttp_port: 9000\nquery_threads: 3\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cmd = try ServeCommand.parse(["--config", path, "--port", "6001"])
        let s = try cmd.settings(environment: [:])
        #expect(s.host == "127.0.0.2")
        #expect(s.port == 6001)
        #expect(s.httpPort == 9000)
        #expect(s.queryThreads == 3)
        #expect(s.authentication.method == .trust)
        #expect(try ServeCommand.parse(["--config", path, "--no-http"]).settings(environment: [:]).httpPort == nil)
    }

    @Test func passwordsChooseSCRAMAndAllowRemote() throws {
        let v = SCRAMVerifier.make(password: "pw")
        let path = try writeConfig("host: 0.0.0.0\nusers:\n  - name: a\n    password: '\(v.text)'\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try ServeCommand.parse(["--config", path]).settings(environment: [:])
        #expect(s.authentication.method == .scramSHA256)
        #expect(s.authentication.users["a"] == .scram(v))
        // (parse() validates with the real environment, so the environment cases use loopback.)
        let env = try ServeCommand.parse([]).settings(environment: ["AURUM_USERS": "b:\(v.text)"])
        #expect(env.authentication.users["b"] == .scram(v))
        #expect(env.authentication.method == .scramSHA256)
        #expect(env.authentication.hasPasswords)
        var withMethod = try ServeCommand.parse([])
        withMethod.authMethod = "password"
        let shared = try withMethod.settings(environment: ["AURUM_PASSWORD": "z"])
        #expect(shared.authentication.method == .password)
        #expect(shared.authentication.sharedPassword == "z")
    }

    @Test func refusals() throws {
        let trustRemote = try writeConfig("host: 0.0.0.0\n")
        defer { try? FileManager.default.removeItem(atPath: trustRemote) }
        let r = CLI.run(arguments: ["serve", "--config", trustRemote])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("refusing to listen on 0.0.0.0"), "\(r.stderr)")
        // Users in the file but auth_method trust: still no password.
        let v = SCRAMVerifier.make(password: "pw")
        let trustUsers = try writeConfig("host: 0.0.0.0\nauth_method: trust\nusers:\n  - name: a\n    password: '\(v.text)'\n")
        defer { try? FileManager.default.removeItem(atPath: trustUsers) }
        #expect(CLI.run(arguments: ["serve", "--config", trustUsers]).stderr.contains("refusing to listen"))
        let bad = try writeConfig("port: 5433\nbogus: 1\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let b = CLI.run(arguments: ["serve", "--config", bad])
        #expect(b.exitCode == 64)
        #expect(b.stderr.contains(":2: bogus: unknown key"), "\(b.stderr)")
        #expect(CLI.run(arguments: ["serve", "--auth-method", "scram-sha-256"]).stderr.contains("needs passwords"))
        #expect(CLI.run(arguments: ["serve", "--tls-cert", "c.pem"]).stderr.contains("go together"))
        #expect(CLI.run(arguments: ["serve", "--config", "/nonexistent/aurum.yaml"]).stderr.contains("cannot read the configuration file"))
    }

    @Test func passwdMakesVerifiersAndMD5Hashes() throws {
        let r = CLI.run(arguments: ["passwd", "--user", "zoe"], stdin: "correct horse\n")
        #expect(r.exitCode == 0, "\(r.stderr)")
        let hash = r.stdout.matches(of: /SCRAM-SHA-256\$[^"'\s]+/).first.map { String($0.output) }
        let v = try #require(hash.flatMap { SCRAMVerifier($0) })
        #expect(v.matches(password: "correct horse"))
        #expect(r.stdout.contains("- name: \"zoe\""))
        #expect(r.stdout.contains("AURUM_USERS='zoe:SCRAM-SHA-256$"))
        // The printed entry parses as configuration.
        let entry = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("AURUM") && !$0.isEmpty }.joined(separator: "\n")
        #expect(try ServeConfigFile.parse("users:\n" + entry).users["zoe"] == .scram(v))
        let m = CLI.run(arguments: ["passwd", "--user", "zoe", "--method", "md5"], stdin: "pw")
        #expect(m.stdout.contains(PGMD5.stored(password: "pw", user: "zoe")))
        #expect(CLI.run(arguments: ["passwd"], stdin: "\n").exitCode == 1)
        #expect(CLI.run(arguments: ["passwd", "--method", "sha1"], stdin: "x").exitCode == 64)
    }
}
