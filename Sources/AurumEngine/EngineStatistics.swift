import AurumCore
import AurumStorage
import Synchronization

/// Counters of one engine, for monitoring (the server's `/metrics`): statements by outcome
/// and their latency, rows and bytes the scans read. Updated by `Session.executeStatement`
/// (once per statement) and by the scan pipelines (once per worker and scan, never per row),
/// so embedded use counts too. Merges are counted by the storage layer (`StorageStatistics`).
public final class EngineStatistics: Sendable {
    /// How a statement ended.
    public enum Outcome: String, Sendable, CaseIterable {
        case ok, error, canceled
    }

    /// Upper bounds (seconds) of the statement latency histogram buckets; `+Inf` is implicit.
    public static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// A consistent copy of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Statements by outcome.
        public var statements: [Outcome: Int]
        /// Cumulative counts per bucket of `latencyBuckets` (the last element: every statement).
        public var latencyCumulative: [Int]
        /// Sum of statement durations in seconds.
        public var latencySum: Double
        /// Rows read by scans of stored tables (before filters; after granule pruning).
        public var rowsRead: Int
        /// Uncompressed bytes of the columns those scans read.
        public var bytesRead: Int
    }

    private struct Queries {
        var byOutcome: [Outcome: Int] = [:]
        var buckets = [Int](repeating: 0, count: EngineStatistics.latencyBuckets.count + 1)
        var sum: Double = 0
    }

    private let queries = Mutex(Queries())
    private let rows = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)

    public init() {}

    /// Records one finished statement.
    public func recordStatement(_ outcome: Outcome, seconds: Double) {
        let i = Self.latencyBuckets.firstIndex { seconds <= $0 } ?? Self.latencyBuckets.count
        queries.withLock { q in
            q.byOutcome[outcome, default: 0] += 1
            q.buckets[i] += 1
            q.sum += seconds
        }
    }

    /// Adds what one scan worker read.
    func recordScan(rows r: Int, bytes b: Int) {
        if r != 0 { rows.add(r, ordering: .relaxed) }
        if b != 0 { bytes.add(b, ordering: .relaxed) }
    }

    public var snapshot: Snapshot {
        let q = queries.withLock { $0 }
        var cumulative: [Int] = []
        var running = 0
        for n in q.buckets { running += n; cumulative.append(running) }
        var byOutcome = q.byOutcome
        for o in Outcome.allCases where byOutcome[o] == nil { byOutcome[o] = 0 }
        return Snapshot(statements: byOutcome, latencyCumulative: cumulative, latencySum: q.sum,
                        rowsRead: rows.load(ordering: .relaxed), bytesRead: bytes.load(ordering: .relaxed))
    }

    /// The outcome of a statement that threw `error`.
    static func outcome(of error: Error) -> Outcome {
        if let e = error as? AurumError, e.code == .queryCanceled { return .canceled }
        return .error
    }
}

/// The size of one table, for monitoring.
public struct TableStatistics: Sendable, Equatable {
    public var database: String
    public var table: String
    /// Active (committed, not merged away) parts.
    public var parts: Int
    public var rows: Int
    public var bytesOnDisk: Int
}

extension Engine {
    /// Parts, rows and bytes of every table, from the current snapshots.
    public func tableStatistics() -> [TableStatistics] {
        catalog.allTables.map { t in
            let s = t.storage.snapshot()
            return TableStatistics(database: t.database, table: t.name, parts: s.parts.count, rows: s.rowCount,
                                   bytesOnDisk: s.parts.reduce(0) { $0 + $1.bytesOnDisk })
        }
    }
}
