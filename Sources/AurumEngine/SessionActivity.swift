import AurumCore
import Foundation
import Synchronization

/// What `pg_stat_activity` shows of one session: written by the session's own thread when a
/// statement starts and ends, read by any session's query of pg_stat_activity.
public final class SessionActivity: Sendable {
    struct Snapshot: Sendable {
        var pid: Int32 = 0
        var user = "aurum"
        var database = "default"
        var applicationName = ""
        var clientAddress: String?
        var clientPort: Int?
        var backendStart: Int64   // microseconds since the epoch
        var xactStart: Int64?
        var queryStart: Int64?
        var stateChange: Int64
        /// active, idle, idle in transaction, idle in transaction (aborted)
        var state = "idle"
        var query = ""
        /// Which statement last became active (`end` only applies to the latest one).
        var statement: UInt64 = 0
    }

    let snapshot: Mutex<Snapshot>

    init() {
        let now = SessionActivity.now()
        snapshot = Mutex(Snapshot(backendStart: now, stateChange: now))
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// A statement starts: the session is active with `query`. Returns a token for `end`.
    func begin(query: String, inTransaction: Bool) -> UInt64 {
        let now = SessionActivity.now()
        return snapshot.withLock { s in
            s.statement += 1
            s.state = "active"
            s.query = query
            s.queryStart = now
            s.stateChange = now
            if !inTransaction || s.xactStart == nil { s.xactStart = now }
            return s.statement
        }
    }

    /// The statement `token` ended (its last row sent, or it failed).
    func end(_ token: UInt64, inTransaction: Bool, failed: Bool) {
        let now = SessionActivity.now()
        snapshot.withLock { s in
            guard s.statement == token else { return }
            s.state = inTransaction ? (failed ? "idle in transaction (aborted)" : "idle in transaction") : "idle"
            if !inTransaction { s.xactStart = nil }
            s.stateChange = now
        }
    }

    func update(_ body: (inout Snapshot) -> Void) { snapshot.withLock { body(&$0) } }
}

/// The live sessions of an engine (pg_stat_activity, the session count of /metrics).
final class SessionRegistry: Sendable {
    private let entries = Mutex<[ObjectIdentifier: SessionActivity]>([:])

    func add(_ a: SessionActivity) { entries.withLock { $0[ObjectIdentifier(a)] = a } }
    func remove(_ a: SessionActivity) { _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(a)) } }

    /// Every session's state, by backend start then PID.
    var snapshots: [SessionActivity.Snapshot] {
        entries.withLock { Array($0.values) }.map { $0.snapshot.withLock { $0 } }
            .sorted { ($0.backendStart, $0.pid) < ($1.backendStart, $1.pid) }
    }
}

extension Session {
    /// Publishes the session's identity (PID, user, database, application_name) and client
    /// address to pg_stat_activity; the wire server calls it once the connection is set up.
    public func publishActivity(clientAddress: String? = nil, clientPort: Int? = nil) {
        lock.withLock {
            publishIdentity()
            activity.update { s in
                if let clientAddress { s.clientAddress = clientAddress }
                if let clientPort { s.clientPort = clientPort }
            }
        }
    }

    /// Copies PID, user, database and application_name into the activity (lock held).
    private func publishIdentity() {
        let pid = backendPID, user = user, db = currentDatabase, app = settings["application_name"] ?? ""
        activity.update { s in
            s.pid = pid
            s.user = user
            s.database = db
            s.applicationName = app
        }
    }

    /// Marks a statement active (caller holds the session lock); pass the token to `activityEnded`.
    func activityBegan(_ text: String) -> UInt64 {
        publishIdentity()
        return activity.begin(query: text, inTransaction: isInTransactionBlock)
    }

    func activityEnded(_ token: UInt64, failed: Bool) {
        activity.end(token, inTransaction: isInTransactionBlock, failed: failed)
    }
}
