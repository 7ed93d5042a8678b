import AurumCore
import Glibc
import Synchronization

/// Makes the Nth durable file operation (write, fsync or rename) fail, for tests that prove a
/// part is either fully visible or absent (SQLite's `crash*.test` habit).
///
/// Every write(2), fsync (files and directories) and rename that storage performs calls
/// `check`; the injector counts them from 0. Copies share one counter (it is a handle to a
/// class). Thread-safe.
///
/// Actions:
/// - `.ioError` / `.diskFull`: the operation throws 58030 / 53100 and is not performed;
///   later operations succeed (a transient fault), so storage's cleanup runs.
/// - `.simulatedCrash`: the operation throws 58030 and the injector becomes *dead*: every
///   later operation throws and storage skips all cleanup, leaving the directory exactly as
///   a crash at that point would (minus the page cache). Reopen the table to recover.
/// - `.crash`: `_exit(9)` — a real process death, for subprocess tests.
public struct FaultInjector: Sendable {
    public enum Operation: String, Sendable, Hashable { case write, fsync, rename }
    public enum Action: Sendable, Equatable { case ioError, diskFull, simulatedCrash, crash }

    private final class State: Sendable {
        struct S { var count = 0; var dead = false; var triggered = false; var log: [String] = [] }
        let failAt: Int?
        let operations: Set<Operation>
        let action: Action
        let state = Mutex(S())
        init(failAt: Int?, operations: Set<Operation>, action: Action) {
            self.failAt = failAt; self.operations = operations; self.action = action
        }
    }
    private let s: State

    /// `failAt` nil only counts (use it for a dry run to learn how many operations an insert does).
    public init(failAt: Int? = nil, operations: Set<Operation> = [.write, .fsync, .rename], action: Action = .ioError) {
        s = State(failAt: failAt, operations: operations, action: action)
    }

    /// Operations of the selected kinds seen so far.
    public var count: Int { s.state.withLock { $0.count } }
    /// Whether the fault has fired.
    public var triggered: Bool { s.state.withLock { $0.triggered } }
    /// True after a `.simulatedCrash` fired: storage must not touch the disk any more.
    public var isDead: Bool { s.state.withLock { $0.dead } }
    /// "op path" for each counted operation (debugging failed tests).
    public var log: [String] { s.state.withLock { $0.log } }

    /// Called by storage before each operation.
    func check(_ op: Operation, path: String) throws {
        let fire: Bool = try s.state.withLock { st in
            if st.dead { throw AurumError(.ioError, "injected crash: storage is dead (\(op.rawValue) \(path))", kind: .io) }
            guard s.operations.contains(op) else { return false }
            let n = st.count
            st.count += 1
            st.log.append("\(op.rawValue) \(path)")
            if let f = s.failAt, n == f {
                st.triggered = true
                if s.action == .simulatedCrash { st.dead = true }
                return true
            }
            return false
        }
        guard fire else { return }
        switch s.action {
        case .crash: _exit(9)
        case .diskFull: throw AurumError(.diskFull, "could not \(op.rawValue) \"\(path)\": No space left on device (injected)", kind: .resources)
        case .ioError, .simulatedCrash: throw AurumError(.ioError, "could not \(op.rawValue) \"\(path)\": injected I/O error", kind: .io)
        }
    }
}
