import Foundation

/// Runs a fixture generator of `fixtures/` (`python3 fixtures/<script> <dir>`) into a new
/// temporary directory and returns the directory; a failure says what the generator needs
/// (`needs`, e.g. "pyarrow 26, installed by .ci/run") and what it printed on stderr.
enum FixtureGenerator {
    static func run(_ script: String, prefix: String, needs: String) -> Result<String, AurumFixtureError> {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fixtures/\(script)").path
        let dir = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", path, dir]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch {
            return .failure(AurumFixtureError(message: "could not run python3 \(path): \(error)"))
        }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            return .failure(AurumFixtureError(message: "\(script) failed (needs \(needs)): \(String(decoding: stderr, as: UTF8.self))"))
        }
        return .success(dir)
    }
}
