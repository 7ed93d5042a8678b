import Dispatch
import Synchronization

/// A fixed degree of parallelism for query work. `run` executes `tasks` closures-worth of
/// work on up to `threads` threads (Dispatch's concurrentPerform: one thread per core, no
/// Task per batch) and rethrows the first error.
final class WorkerPool: Sendable {
    let threads: Int
    init(threads: Int) { self.threads = max(1, threads) }

    /// Calls `body(worker)` for worker in 0..<min(threads, workers) in parallel.
    func run(workers: Int, _ body: @Sendable (Int) throws -> Void) throws {
        let n = max(1, min(threads, workers))
        if n == 1 { try body(0); return }
        let firstError = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: n) { w in
            do { try body(w) } catch { firstError.withLock { if $0 == nil { $0 = error } } }
        }
        if let e = firstError.withLock({ $0 }) { throw e }
    }
}

/// Per-query context: cancellation and the memory budget for hash tables and sorts.
final class QueryContext: Sendable {
    let memoryLimit: Int
    let cancelled = Atomic<Bool>(false)
    /// Set (with `cancelled`) when `statement_timeout` expired.
    let timedOut = Atomic<Bool>(false)
    let pool: WorkerPool
    /// Where scans report what they read (nil: not counted).
    let statistics: EngineStatistics?
    init(memoryLimit: Int, pool: WorkerPool, statistics: EngineStatistics? = nil) {
        self.memoryLimit = memoryLimit
        self.pool = pool
        self.statistics = statistics
    }

    func checkCancelled() throws {
        if cancelled.load(ordering: .relaxed) {
            if timedOut.load(ordering: .relaxed) {
                throw AurumError(.queryCanceled, "canceling statement due to statement timeout")
            }
            throw AurumError(.queryCanceled, "canceling statement due to user request")
        }
    }

    func checkMemory(_ bytes: Int, _ what: String) throws {
        if bytes > memoryLimit {
            throw AurumError(.outOfMemory, "query memory limit exceeded: \(what) needs \(bytes >> 20) MiB, the limit is \(memoryLimit >> 20) MiB",
                             hint: "add filters, reduce GROUP BY cardinality, or raise max_memory_usage (SET max_memory_usage = bytes)")
        }
    }
}

import AurumCore
