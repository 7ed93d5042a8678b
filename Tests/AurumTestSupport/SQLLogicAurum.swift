// SQL-file tests: the embedded-API backend and the per-file driver (temporary directory,
// variables, seeded options, completion write-back). The wire-protocol backend
// (Tests/AurumWireTests/SQLLogicWireBackend.swift) reuses everything but the backend.

import Aurum
import Foundation

/// Runs SQL through `import Aurum` on a data directory.
public final class AurumEmbeddedBackend: SQLLogicBackend {
    public let directory: String
    public let options: DatabaseOptions
    private var db: Database?
    private var connection: Connection?

    public init(directory: String, options: DatabaseOptions = .init()) throws {
        self.directory = directory
        self.options = options
        try open()
    }

    private func open() throws {
        do {
            let d = try Database.open(at: directory, options: options)
            db = d
            connection = d.connect()
        } catch {
            throw Self.translate(error)
        }
    }

    public func execute(_ sql: String) throws -> SQLLogicResult {
        guard let connection else { throw SQLLogicBackendError(sqlState: "?????", message: "database is closed") }
        do {
            let rs = try connection.execute(sql)
            let letters = String(rs.columns.map { Self.letter(for: $0.type) })
            let rows: [[String?]] = rs.rows.map { $0.map { $0.isNull ? nil : $0.description } }
            return SQLLogicResult(typeLetters: letters, rows: rows)
        } catch {
            throw Self.translate(error)
        }
    }

    public func restart() throws {
        close()
        try open()
    }

    public func close() {
        connection = nil
        db?.close()
        db = nil
    }

    static func translate(_ error: any Error) -> SQLLogicBackendError {
        if let e = error as? AurumError { return SQLLogicBackendError(sqlState: e.code.code, message: e.message) }
        return SQLLogicBackendError(sqlState: "?????", message: "non-Aurum error: \(error)")
    }

    /// The sqllogictest type letter for a result column (used by completion mode).
    public static func letter(for type: DataType) -> Character {
        switch type.base {
        case .bool: return "B"
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return "I"
        case .float32, .float64, .decimal: return "R"
        case .date, .dateTime, .dateTime64: return "D"
        case .string, .uuid, .nothing: return "T"
        }
    }
}

/// Discovers and runs `Tests/sql/**/*.test` files.
public enum SQLLogicTestSuite {
    /// Environment switches (see docs/testing.md).
    public static var completeMode: Bool { env("AURUM_SLT_COMPLETE") == "1" }
    public static var slowTests: Bool { env("AURUM_SLOW_TESTS") == "1" }
    public static var keepDirectories: Bool { env("AURUM_SLT_KEEP") == "1" }

    public static func env(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    /// The run's seed: `AURUM_SLT_SEED` if set, otherwise chosen once per process.
    public static let seed: UInt64 = {
        if let s = env("AURUM_SLT_SEED"), let v = UInt64(s) { return v }
        return UInt64.random(in: 1...999_999)
    }()

    /// `*.test` files under `root` (and `*.test_slow` when `includeSlow`), as paths relative to
    /// `root`, sorted. An optional `AURUM_SLT_FILTER` substring narrows the list.
    public static func discover(root: String, includeSlow: Bool = slowTests, filter: String? = env("AURUM_SLT_FILTER")) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            if p.hasSuffix(".test") || (includeSlow && p.hasSuffix(".test_slow")) {
                if let filter, !filter.isEmpty, !p.contains(filter) { continue }
                out.append(p)
            }
        }
        return out.sorted()
    }

    /// Database options derived from the seed and the file (so a failure reproduces with
    /// `AURUM_SLT_SEED=<seed>`): worker threads and background merges vary between runs.
    public static func options(seed: UInt64, file: String) -> (DatabaseOptions, String) {
        var h: UInt64 = 0xcbf29ce484222325  // FNV-1a of the path, mixed with the seed
        for b in file.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        var rng = SplitMix64(seed: h ^ seed)
        let threads = [1, 2, 4][Int(rng.next() % 3)]
        let merges = rng.next() % 2 == 0
        let opts = DatabaseOptions(threads: threads, backgroundMerges: merges, fsync: env("AURUM_SLT_FSYNC") == "1")
        return (opts, "threads=\(threads) merges=\(merges ? "on" : "off")")
    }

    /// `Tests/sql`, found relative to this source file (Tests/AurumTestSupport/SQLLogicAurum.swift).
    public static let root: String = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql").path
    }()
    /// `Tests/sql/data`, what `${DATA}` expands to.
    public static var dataDirectory: String { (root as NSString).appendingPathComponent("data") }
    /// Every file the environment selects (`AURUM_SLT_FILTER`, `AURUM_SLOW_TESTS`), relative to `root`.
    public static let allFiles: [String] = discover(root: root)

    /// Runs one file (path relative to `root`) in its own temporary directory through the
    /// embedded API. `dataDirectory` is what `${DATA}` expands to. In completion mode the file
    /// is rewritten in place.
    public static func run(file: String, root: String, dataDirectory: String) -> SQLLogicOutcome {
        run(file: file, root: root, dataDirectory: dataDirectory, label: "slt", complete: completeMode) { dir, opts in
            try AurumEmbeddedBackend(directory: dir, options: opts)
        }
    }

    /// The reason a file opts out of a backend: the text after a `# <tag>: skip` comment line
    /// (e.g. `# wire: skip checks an embedded-only API`), nil when there is none.
    public static func skipDirective(_ tag: String, in script: SQLLogicScript) -> String? {
        let prefix = "# \(tag): skip"
        for l in script.lines where l.hasPrefix(prefix) {
            let reason = l.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            return reason.isEmpty ? "\(tag): skip" : reason
        }
        return nil
    }

    /// Runs one file (path relative to `root`) in its own temporary directory against the
    /// backend `makeBackend` opens on (database directory, seeded options). `label` prefixes the
    /// log line and names the `# <label>: skip <reason>` directive that skips the file for this
    /// backend; `features` are what `require` accepts; `complete` enables completion mode
    /// (the file is rewritten in place).
    public static func run(
        file: String, root: String, dataDirectory: String, label: String,
        features: Set<String> = SQLLogicRunner.defaultFeatures, complete: Bool,
        makeBackend: (_ directory: String, _ options: DatabaseOptions) throws -> any SQLLogicBackend
    ) -> SQLLogicOutcome {
        let path = (root as NSString).appendingPathComponent(file)
        let script: SQLLogicScript
        do {
            script = try SQLLogicScript.load(path: path)
        } catch {
            var o = SQLLogicOutcome()
            o.failures.append(SQLLogicFailure(path: path, line: (error as? SQLLogicParseError)?.line ?? 0, sql: nil, message: "cannot parse: \(error)"))
            return o
        }
        if let reason = skipDirective(label, in: script) {
            var o = SQLLogicOutcome()
            o.skipReason = "\(label): \(reason)"
            return o
        }
        let fm = FileManager.default
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("aurum-\(label)-\(UUID().uuidString.prefix(8))")
        let dbDir = (base as NSString).appendingPathComponent("db")
        let tmpDir = (base as NSString).appendingPathComponent("tmp")
        var outcome = SQLLogicOutcome()
        defer {
            if !keepDirectories { try? fm.removeItem(atPath: base) }
        }
        do {
            try fm.createDirectory(atPath: tmpDir, withIntermediateDirectories: true)
        } catch {
            outcome.failures.append(SQLLogicFailure(path: path, line: 0, sql: nil, message: "cannot create \(tmpDir): \(error)"))
            return outcome
        }
        let (opts, optsText) = options(seed: seed, file: file)
        print("[\(label)] \(file): seed=\(seed) \(optsText) dir=\(base)\(complete ? " (completing)" : "")")
        let backend: any SQLLogicBackend
        do {
            backend = try makeBackend(dbDir, opts)
        } catch {
            outcome.failures.append(SQLLogicFailure(path: path, line: 0, sql: nil, message: "cannot open database: \(error)"))
            return outcome
        }
        defer { backend.close() }
        let config = SQLLogicRunner.Configuration(
            features: features, variables: ["DATA": dataDirectory, "TMP": tmpDir], complete: complete)
        outcome = SQLLogicRunner(script: script, backend: backend, configuration: config).run()
        if let text = outcome.completedText {
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                print("[\(label)] \(file): expected results rewritten; review with git diff")
            } catch {
                outcome.failures.append(SQLLogicFailure(path: path, line: 0, sql: nil, message: "cannot write completed file: \(error)"))
            }
        }
        return outcome
    }
}

/// A tiny deterministic generator (SplitMix64) so seeds reproduce across platforms.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
