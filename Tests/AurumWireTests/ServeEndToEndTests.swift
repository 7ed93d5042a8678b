import Foundation
import Testing
@testable import AurumWire

// `aurum serve --config FILE` as a real process: SCRAM users and TLS from the file, HTTP on
// a free port, psql over TLS, /health and /metrics, then SIGTERM.

/// The built `aurum` executable (next to the test bundle, or .build/debug), or nil.
let aurumExecutablePath: String? = {
    var candidates: [String] = []
    if let explicit = ProcessInfo.processInfo.environment["AURUM_EXECUTABLE"] { candidates.append(explicit) }
    var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("aurum").path)
        dir = dir.deletingLastPathComponent()
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/aurum").path)
    return candidates.first { p in
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && !isDir.boolValue
            && FileManager.default.isExecutableFile(atPath: p)
    }
}()

@Suite("aurum serve end to end", .enabled(if: psqlInstalled && opensslInstalled && curlInstalled,
                                          "needs /usr/bin/psql, /usr/bin/openssl and /usr/bin/curl"))
struct ServeEndToEndTests {
    @Test func configFileWithSCRAMTLSAndHTTP() async throws {
        let binary = try #require(aurumExecutablePath, "the aurum executable was not found: run `swift build` first or set AURUM_EXECUTABLE")
        let cert = try TestCertificate()
        defer { cert.remove() }
        let verifier = SCRAMVerifier.make(password: "ops-pass")
        let config = cert.directory + "/aurum.yaml"
        try """
            data: data
            host: 127.0.0.1
            port: 0
            http_port: 0
            tls_cert: cert.pem
            tls_key: key.pem
            users:
              - name: ops
                password: "\(verifier.text)"
            shutdown_timeout: 1
            query_threads: 4
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let outPath = cert.directory + "/serve.out", errPath = cert.directory + "/serve.err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--config", config]
        var env = ProcessInfo.processInfo.environment
        env["AURUM_PASSWORD"] = nil
        env["AURUM_USERS"] = nil
        p.environment = env
        p.standardOutput = FileHandle(forWritingAtPath: outPath)!
        p.standardError = FileHandle(forWritingAtPath: errPath)!
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        // Wait for the banner with both ports.
        var pgPort: Int?, httpPort: Int?
        let deadline = Date().addingTimeInterval(60)
        while (pgPort == nil || httpPort == nil) && Date() < deadline && p.isRunning {
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            pgPort = out.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
            httpPort = out.firstMatch(of: /HTTP: http:\/\/127\.0\.0\.1:(\d+)\/health/).flatMap { Int($0.1) }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Read once more: on a loaded machine the sleep itself may outlast the deadline.
        if pgPort == nil || httpPort == nil {
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            pgPort = out.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
            httpPort = out.firstMatch(of: /HTTP: http:\/\/127\.0\.0\.1:(\d+)\/health/).flatMap { Int($0.1) }
        }
        let port = try #require(pgPort, "no banner: \((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")")
        let http = try #require(httpPort)
        let banner = try String(contentsOfFile: outPath, encoding: .utf8)
        #expect(banner.contains("authentication: scram-sha-256; TLS: on (optional)"), "\(banner)")

        #expect(try httpGet(http, "/health") == (200, "ready\n"))
        func psql(_ password: String, _ commands: [String]) throws -> TestServer.Output {
            var args = ["-X", "-A", "-t", "-q", "host=127.0.0.1 port=\(port) user=ops dbname=default sslmode=require"]
            for c in commands { args += ["-c", c] }
            return try runProgram("/usr/bin/psql", args, environment: ["PGPASSWORD": password])
        }
        let ok = try psql("ops-pass", ["\\conninfo", "SELECT 6 * 7"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("SSL connection (protocol: TLSv1."))
        #expect(ok.stdout.hasSuffix("42\n"))
        let bad = try psql("nope", ["SELECT 1"])
        #expect(bad.stderr.contains("password authentication failed for user \"ops\""), "\(bad.stderr)")
        let metrics = try httpGet(http, "/metrics").1
        #expect(metric(metrics, "aurum_connections_total") == 2)
        #expect(metric(metrics, "aurum_authentication_failures_total") == 1)
        #expect(metric(metrics, "aurum_tls_connections_total") == 2)

        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try String(contentsOfFile: outPath, encoding: .utf8).contains("stopped"))
    }
}
