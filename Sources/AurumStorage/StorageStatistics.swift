import Synchronization

/// Process-wide merge counters of the storage layer (every table of every engine in the
/// process), for monitoring.
public final class StorageStatistics: Sendable {
    public static let shared = StorageStatistics()

    private let completed = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let rows = Atomic<Int>(0)

    /// Merges committed since the process started.
    public var mergesCompleted: Int { completed.load(ordering: .relaxed) }
    /// Merges in progress now.
    public var mergesRunning: Int { running.load(ordering: .relaxed) }
    /// Rows written by committed merges.
    public var rowsMerged: Int { rows.load(ordering: .relaxed) }

    func mergeStarted() { running.add(1, ordering: .relaxed) }
    func mergeEnded(committedRows: Int?) {
        running.subtract(1, ordering: .relaxed)
        if let committedRows {
            completed.add(1, ordering: .relaxed)
            rows.add(committedRows, ordering: .relaxed)
        }
    }
}
