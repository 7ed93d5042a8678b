import AurumEngine
import Foundation
import Testing
@testable import AurumCLI
@testable import AurumWire

// Authentication (trust, cleartext, MD5, SCRAM-SHA-256), TLS, the serve configuration file
// and `aurum passwd`, driven by the real psql (libpq 15) where a client is involved.

extension TestServer {
    /// psql as `user` with `password` (nil: none) and extra connection options.
    func psqlAs(_ user: String, password: String?, sslmode: String = "disable", _ commands: [String]) throws -> Output {
        var args = ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                    "host=127.0.0.1 port=\(server.port) user=\(user) dbname=default sslmode=\(sslmode)"]
        for c in commands { args += ["-c", c] }
        var env: [String: String] = [:]
        if let password { env["PGPASSWORD"] = password } else { env["PGPASSWORD"] = "" }
        return try runProgram("/usr/bin/psql", args, environment: env)
    }
}

func authConfiguration(_ method: PGAuthMethod, users: [String: PGStoredPassword], shared: String? = nil) -> PGServerConfiguration {
    var c = PGServerConfiguration(host: "127.0.0.1", port: 0)
    c.authentication = PGAuthentication(method: method, users: users, sharedPassword: shared)
    return c
}

/// The FATAL line of a failed psql connection with the user name replaced.
func failureLine(_ stderr: String, user: String) -> String {
    let line = stderr.split(separator: "\n").first { $0.contains("FATAL") }.map(String.init) ?? stderr
    return line.replacingOccurrences(of: "\"\(user)\"", with: "\"USER\"")
}

@Suite("Authentication with psql", .enabled(if: psqlInstalled, "needs /usr/bin/psql (postgresql-client)"))
struct AuthPsqlTests {
    @Test func scramSHA256() async throws {
        let users: [String: PGStoredPassword] = ["alice": .scram(SCRAMVerifier.make(password: "wonder land")),
                                                 "bob": .plaintext("builder")]
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: users)) { (s: TestServer) async throws in
            let ok = try s.psqlAs("alice", password: "wonder land", ["SELECT current_user, 1"])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.hasSuffix("|1\n"), "\(ok.stdout)")
            let plain = try s.psqlAs("bob", password: "builder", ["SELECT 2"])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(plain.stdout == "2\n")

            let wrong = try s.psqlAs("alice", password: "wonderland", ["SELECT 1"])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("FATAL:  password authentication failed for user \"alice\""), "\(wrong.stderr)")
            let unknown = try s.psqlAs("mallory", password: "wonder land", ["SELECT 1"])
            #expect(unknown.status != 0)
            #expect(failureLine(unknown.stderr, user: "mallory") == failureLine(wrong.stderr, user: "alice"),
                    "unknown: \(unknown.stderr) wrong: \(wrong.stderr)")
            #expect(s.server.statistics.authenticationFailures == 2)
        }
    }

    @Test func md5() async throws {
        let users: [String: PGStoredPassword] = ["carol": .md5(PGMD5.stored(password: "c4r0l", user: "carol")),
                                                 "dave": .plaintext("d")]
        try await TestServer.with(configuration: authConfiguration(.md5, users: users)) { (s: TestServer) async throws in
            #expect(try s.psqlAs("carol", password: "c4r0l", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("dave", password: "d", ["SELECT 1"]).stdout == "1\n")
            let wrong = try s.psqlAs("carol", password: "carol", ["SELECT 1"])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("password authentication failed for user \"carol\""), "\(wrong.stderr)")
            let unknown = try s.psqlAs("erin", password: "c4r0l", ["SELECT 1"])
            #expect(failureLine(unknown.stderr, user: "erin") == failureLine(wrong.stderr, user: "carol"))
        }
    }

    @Test func md5MethodUsesSCRAMForAVerifier() async throws {
        let users: [String: PGStoredPassword] = ["frank": .scram(SCRAMVerifier.make(password: "f"))]
        try await TestServer.with(configuration: authConfiguration(.md5, users: users)) { (s: TestServer) async throws in
            #expect(try s.psqlAs("frank", password: "f", ["SELECT 1"]).stdout == "1\n")
        }
    }

    @Test func cleartextPasswordChecksEveryStoredForm() async throws {
        let users: [String: PGStoredPassword] = ["s": .scram(SCRAMVerifier.make(password: "p1")),
                                                 "m": .md5(PGMD5.stored(password: "p2", user: "m")),
                                                 "p": .plaintext("p3")]
        try await TestServer.with(configuration: authConfiguration(.password, users: users)) { (s: TestServer) async throws in
            #expect(try s.psqlAs("s", password: "p1", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("m", password: "p2", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("p", password: "p3", ["SELECT 1"]).stdout == "1\n")
            let wrong = try s.psqlAs("m", password: "p3", ["SELECT 1"])
            #expect(wrong.stderr.contains("password authentication failed for user \"m\""), "\(wrong.stderr)")
            let unknown = try s.psqlAs("z", password: "p3", ["SELECT 1"])
            #expect(failureLine(unknown.stderr, user: "z") == failureLine(wrong.stderr, user: "m"))
        }
    }

    @Test func sharedPasswordWithSCRAM() async throws {
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: [:], shared: "everyone")) { (s: TestServer) async throws in
            #expect(try s.psqlAs("anyname", password: "everyone", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("other", password: "nope", ["SELECT 1"]).status != 0)
        }
    }

    /// libpq applies SASLprep to the password; the server's verifier must be computed the same way.
    @Test func scramWithSASLprep() async throws {
        let users: [String: PGStoredPassword] = ["u": .scram(SCRAMVerifier.make(password: "IX")),
                                                 "v": .scram(SCRAMVerifier.make(password: "caf\u{E9}"))]
        try await TestServer.with(configuration: authConfiguration(.scramSHA256, users: users)) { (s: TestServer) async throws in
            // Soft hyphen (mapped to nothing) and ROMAN NUMERAL NINE (NFKC: "IX").
            #expect(try s.psqlAs("u", password: "I\u{AD}X", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("u", password: "\u{2168}", ["SELECT 1"]).stdout == "1\n")
            // Decomposed e + combining acute: NFKC composes it.
            #expect(try s.psqlAs("v", password: "cafe\u{301}", ["SELECT 1"]).stdout == "1\n")
            #expect(try s.psqlAs("u", password: "I X", ["SELECT 1"]).status != 0)
        }
    }

    @Test func trustLetsAnyoneIn() async throws {
        try await TestServer.with(configuration: authConfiguration(.trust, users: ["x": .plaintext("y")])) { (s: TestServer) async throws in
            #expect(try s.psqlAs("whoever", password: nil, ["SELECT 1"]).stdout == "1\n")
        }
    }
}

@Suite("SCRAM-SHA-256 and MD5 primitives")
struct SCRAMTests {
    /// The example exchange of RFC 7677, section 3.
    @Test func rfc7677Example() throws {
        let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
        let v = SCRAMVerifier.make(password: "pencil", salt: salt, iterations: 4096)
        var ex = SCRAM.ServerExchange(verifier: v, genuine: true, serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        let first = try ex.clientFirst(Array("n,,n=user,r=rOprNGfwEbeRWgbNEkqO".utf8))
        #expect(String(decoding: first, as: UTF8.self)
                == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        let final = try ex.clientFinal(Array(("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=").utf8))
        #expect(String(decoding: final, as: UTF8.self) == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        // A wrong proof, a wrong nonce, and a fake verifier fail.
        #expect(throws: SCRAM.Failure.wrongProof) {
            try ex.clientFinal(Array("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8))
        }
        #expect(throws: SCRAM.Failure.self) {
            try ex.clientFinal(Array("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8))
        }
        var fake = SCRAM.ServerExchange(verifier: v, genuine: false, serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        _ = try fake.clientFirst(Array("n,,n=user,r=rOprNGfwEbeRWgbNEkqO".utf8))
        #expect(throws: SCRAM.Failure.wrongProof) {
            try fake.clientFinal(Array(("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=").utf8))
        }
    }

    @Test func channelBindingAndMalformedMessagesAreRefused() {
        var ex = SCRAM.ServerExchange(verifier: SCRAMVerifier.make(password: "x"), genuine: true)
        #expect(throws: SCRAM.Failure.self) { try ex.clientFirst(Array("p=tls-server-end-point,,n=,r=abc".utf8)) }
        #expect(throws: SCRAM.Failure.self) { try ex.clientFirst(Array("garbage".utf8)) }
        #expect(throws: SCRAM.Failure.self) { try ex.clientFirst(Array("n,,m=ext,n=,r=abc".utf8)) }
        #expect(throws: SCRAM.Failure.self) { try ex.clientFirst([0xff, 0xfe]) }
    }

    @Test func saslPrepExamples() {
        // RFC 4013 section 3 examples (those that are not prohibited).
        #expect(SCRAM.saslPrep("I\u{AD}X") == "IX")
        #expect(SCRAM.saslPrep("user") == "user")
        #expect(SCRAM.saslPrep("\u{AA}") == "a")
        #expect(SCRAM.saslPrep("\u{2168}") == "IX")
        #expect(SCRAM.saslPrep("a\u{A0}b") == "a b")
        // Prohibited after mapping (a control character): the password is used unchanged.
        #expect(SCRAM.saslPrep("\u{E9}\u{7}") == "\u{E9}\u{7}")
        #expect(SCRAM.saslPrep("tab\there") == "tab\there")
    }

    @Test func verifierTextRoundTripsAndMatches() throws {
        let v = SCRAMVerifier.make(password: "secret")
        let text = v.text
        #expect(text.hasPrefix("SCRAM-SHA-256$4096:"))
        #expect(SCRAMVerifier(text) == v)
        #expect(PGStoredPassword.parseHash(text) == .scram(v))
        #expect(v.matches(password: "secret"))
        #expect(!v.matches(password: "Secret"))
        #expect(SCRAMVerifier("SCRAM-SHA-256$x:abc$def:ghi") == nil)
        #expect(PGStoredPassword.parseHash("plain") == nil)
    }

    @Test func md5AsPostgreSQLStoresIt() throws {
        // md5("ab") is a well-known digest; the stored form is md5(password + user name).
        #expect(PGMD5.stored(password: "a", user: "b") == "md5187ef4436122d1cc2f40dc2b92f0eba0")
        #expect(PGStoredPassword.parseHash("md5187ef4436122d1cc2f40dc2b92f0eba0") == .md5("md5187ef4436122d1cc2f40dc2b92f0eba0"))
        // Cross-check with coreutils' md5sum: the challenge answer is md5(hex + salt).
        let stored = PGMD5.stored(password: "secret", user: "postgres")
        let sum = try runProgram("/usr/bin/md5sum", [], stdin: "secretpostgres")
        #expect(sum.status == 0, "md5sum is needed: \(sum.stderr)")
        #expect(stored == "md5" + (sum.stdout.split(separator: " ").first.map(String.init) ?? ""))
        let answer = PGMD5.response(stored: stored, salt: Array("wxyz".utf8))
        let sum2 = try runProgram("/usr/bin/md5sum", [], stdin: String(stored.dropFirst(3)) + "wxyz")
        #expect(answer == "md5" + (sum2.stdout.split(separator: " ").first.map(String.init) ?? ""))
    }

    @Test func userListFromTheEnvironment() throws {
        let v = SCRAMVerifier.make(password: "x")
        let m = PGMD5.stored(password: "y", user: "u2")
        let list = try PGAuthentication.parseUserList("u1:\(v.text),\nu2:\(m)\n")
        #expect(list == ["u1": .scram(v), "u2": .md5(m)])
        #expect(throws: PGAuthConfigError.self) { try PGAuthentication.parseUserList("u1:plaintext") }
        #expect(throws: PGAuthConfigError.self) { try PGAuthentication.parseUserList("nocolon") }
    }
}

