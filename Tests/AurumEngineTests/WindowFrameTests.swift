import AurumCore
import Foundation
import AurumTestSupport
import Testing
@testable import AurumEngine

// Window frames against a brute-force reference: random data (partitions, an integer ORDER BY
// key with duplicates and NULLs, a nullable value) and random ROWS / RANGE / GROUPS frames with
// exclusions, ASC/DESC and NULLS FIRST/LAST. The reference decides frame membership row by row
// from the definitions (O(n^2), no shared code with the engine); the engine's answers for sum,
// count, min, max, count(*), uniqExact (a state without a frame fast path) and first_value
// (unique ORDER BY for ROWS) must match exactly. Seeds are fixed.

private struct Row { let id: Int; let p: Int; let k: Int?; let x: Int? }

private enum Bound {
    case unboundedPreceding, preceding(Int), currentRow, following(Int), unboundedFollowing
    var sql: String {
        switch self {
        case .unboundedPreceding: return "UNBOUNDED PRECEDING"
        case .preceding(let n): return "\(n) PRECEDING"
        case .currentRow: return "CURRENT ROW"
        case .following(let n): return "\(n) FOLLOWING"
        case .unboundedFollowing: return "UNBOUNDED FOLLOWING"
        }
    }
    /// Rank for validity: a frame may not start later (in this order) than it ends.
    var rank: Int {
        switch self {
        case .unboundedPreceding: return 0
        case .preceding: return 1
        case .currentRow: return 2
        case .following: return 3
        case .unboundedFollowing: return 4
        }
    }
}

private struct Spec {
    var unit: String  // ROWS, RANGE, GROUPS
    var start: Bound
    var end: Bound
    var exclude: String  // "", CURRENT ROW, GROUP, TIES
    var desc: Bool
    var nullsFirst: Bool

    var orderSQL: String {
        "k" + (desc ? " DESC" : "") + (nullsFirst ? " NULLS FIRST" : " NULLS LAST") + (unit == "ROWS" ? ", id" : "")
    }
    var sql: String {
        "PARTITION BY p ORDER BY \(orderSQL) \(unit) BETWEEN \(start.sql) AND \(end.sql)" + (exclude.isEmpty ? "" : " EXCLUDE \(exclude)")
    }
}

/// The reference: members of each row's frame (row indices into `rows`), by definition.
private func referenceFrames(_ rows: [Row], _ s: Spec) -> [Int: [Int]] {
    var out: [Int: [Int]] = [:]
    // compare two keys in sort order (NULLs first or last)
    func cmpKey(_ a: Int?, _ b: Int?) -> Int {
        switch (a, b) {
        case (nil, nil): return 0
        case (nil, _): return s.nullsFirst ? -1 : 1
        case (_, nil): return s.nullsFirst ? 1 : -1
        case (let x?, let y?): return x == y ? 0 : ((x < y) != s.desc ? -1 : 1)
        }
    }
    for p in Set(rows.map(\.p)) {
        var part = rows.indices.filter { rows[$0].p == p }
        part.sort { a, b in
            let c = cmpKey(rows[a].k, rows[b].k)
            return c != 0 ? c < 0 : rows[a].id < rows[b].id
        }
        // peer group index per position (ROWS: every row its own group, the ORDER BY ends with id)
        var group = [Int](repeating: 0, count: part.count)
        for j in 1..<max(1, part.count) {
            let samePeer = s.unit == "ROWS" ? false : cmpKey(rows[part[j - 1]].k, rows[part[j]].k) == 0
            group[j] = group[j - 1] + (samePeer ? 0 : 1)
        }
        let m = part.count
        for i in 0..<m {
            let ki = rows[part[i]].k
            // in RANGE offset mode: is position j at/after (start) or at/before (end) key bound b?
            func rangeBound(_ off: Int, _ preceding: Bool) -> Int? {
                guard let k = ki else { return nil }
                let subtract = preceding != s.desc
                return subtract ? k - off : k + off
            }
            func atOrAfter(_ j: Int, _ b: Int) -> Bool {
                guard let kj = rows[part[j]].k else { return !s.nullsFirst }
                return s.desc ? kj <= b : kj >= b
            }
            func atOrBefore(_ j: Int, _ b: Int) -> Bool {
                guard let kj = rows[part[j]].k else { return s.nullsFirst }
                return s.desc ? kj >= b : kj <= b
            }
            func inStart(_ j: Int) -> Bool {
                switch s.start {
                case .unboundedPreceding: return true
                case .unboundedFollowing: return false
                case .currentRow: return s.unit == "ROWS" ? j >= i : group[j] >= group[i]
                case .preceding(let n), .following(let n):
                    let pre: Bool = { if case .preceding = s.start { return true }; return false }()
                    let d = pre ? -n : n
                    if s.unit == "ROWS" { return j >= i + d }
                    if s.unit == "GROUPS" { return group[j] >= group[i] + d }
                    guard let b = rangeBound(n, pre) else { return group[j] >= group[i] }
                    return atOrAfter(j, b)
                }
            }
            func inEnd(_ j: Int) -> Bool {
                switch s.end {
                case .unboundedFollowing: return true
                case .unboundedPreceding: return false
                case .currentRow: return s.unit == "ROWS" ? j <= i : group[j] <= group[i]
                case .preceding(let n), .following(let n):
                    let pre: Bool = { if case .preceding = s.end { return true }; return false }()
                    let d = pre ? -n : n
                    if s.unit == "ROWS" { return j <= i + d }
                    if s.unit == "GROUPS" { return group[j] <= group[i] + d }
                    guard let b = rangeBound(n, pre) else { return group[j] <= group[i] }
                    return atOrBefore(j, b)
                }
            }
            // exclusions use ORDER BY peers: equal k (RANGE, GROUPS); ROWS orders by (k, id), so only the row itself
            func peers(_ j: Int) -> Bool { s.unit == "ROWS" ? j == i : cmpKey(rows[part[j]].k, ki) == 0 }
            var members: [Int] = []
            for j in 0..<m where inStart(j) && inEnd(j) {
                switch s.exclude {
                case "CURRENT ROW": if j == i { continue }
                case "GROUP": if peers(j) { continue }
                case "TIES": if peers(j) && j != i { continue }
                default: break
                }
                members.append(part[j])
            }
            out[part[i]] = members
        }
    }
    return out
}

@Suite("Window frames against a brute-force reference")
struct WindowFrameTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomFrames(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let dir = NSTemporaryDirectory() + "aurum-window-\(seed)-\(UInt64.random(in: 0...UInt64.max))"
        let engine = try Engine(directory: dir, options: EngineOptions(threads: 2, fsync: false))
        defer { engine.close(); try? FileManager.default.removeItem(atPath: dir) }
        let session = engine.makeSession()
        let n = 240
        var rows: [Row] = []
        for id in 0..<n {
            let k: Int? = Int.random(in: 0..<10, using: &rng) == 0 ? nil : Int.random(in: 0..<25, using: &rng)
            let x: Int? = Int.random(in: 0..<8, using: &rng) == 0 ? nil : Int.random(in: -50..<50, using: &rng)
            rows.append(Row(id: id, p: Int.random(in: 0..<3, using: &rng), k: k, x: x))
        }
        _ = try session.execute("CREATE TABLE t (id Int32, p Int32, k Nullable(Int32), x Nullable(Int64)) ENGINE = MergeTree ORDER BY id")
        let values = rows.map { "(\($0.id), \($0.p), \($0.k.map(String.init) ?? "NULL"), \($0.x.map(String.init) ?? "NULL"))" }
        _ = try session.execute("INSERT INTO t VALUES " + values.joined(separator: ", "))

        let bounds: (inout SplitMix64) -> Bound = { r in
            switch Int.random(in: 0..<5, using: &r) {
            case 0: return .unboundedPreceding
            case 1: return .preceding(Int.random(in: 0..<4, using: &r))
            case 2: return .currentRow
            case 3: return .following(Int.random(in: 0..<4, using: &r))
            default: return .unboundedFollowing
            }
        }
        var checked = 0
        while checked < 40 {
            let start = bounds(&rng), end = bounds(&rng)
            // the invalid combinations are binder errors (tested in frames_errors.test)
            if case .unboundedFollowing = start { continue }
            if case .unboundedPreceding = end { continue }
            if start.rank > end.rank || (start.rank == 2 && end.rank == 1) || (start.rank == 3 && end.rank <= 2) { continue }
            let spec = Spec(unit: ["ROWS", "RANGE", "GROUPS"][Int.random(in: 0..<3, using: &rng)], start: start, end: end,
                            exclude: ["", "CURRENT ROW", "GROUP", "TIES"][Int.random(in: 0..<4, using: &rng)],
                            desc: Bool.random(using: &rng), nullsFirst: Bool.random(using: &rng))
            checked += 1
            let firstValue = spec.unit == "ROWS" ? ", first_value(x) OVER w, last_value(id) OVER w" : ""
            let sql = "SELECT id, sum(x) OVER w, count(x) OVER w, min(x) OVER w, max(x) OVER w, count(*) OVER w, uniqExact(x) OVER w\(firstValue) FROM t WINDOW w AS (\(spec.sql)) ORDER BY id"
            guard let r = try session.execute(sql).last else { Issue.record("no result for \(sql)"); return }
            var got: [[Value]] = []
            for b in r.blocks { for i in 0..<b.count { got.append(b.columns.prefix(r.columnNames.count).map { $0.value(at: i) }) } }
            let frames = referenceFrames(rows, spec)
            #expect(got.count == n, "\(sql)")
            for (idx, row) in got.enumerated() where idx < rows.count {
                let members = frames[idx] ?? []
                let xs = members.compactMap { rows[$0].x }
                var want: [Value] = [
                    .int(Int64(idx)),
                    xs.isEmpty ? .null : .int(Int64(xs.reduce(0, +))),
                    .int(Int64(xs.count)),
                    xs.min().map { .int(Int64($0)) } ?? .null,
                    xs.max().map { .int(Int64($0)) } ?? .null,
                    .int(Int64(members.count)),
                    .int(Int64(Set(xs).count)),
                ]
                if spec.unit == "ROWS" {
                    want.append(members.first.flatMap { rows[$0].x }.map { .int(Int64($0)) } ?? .null)
                    want.append(members.last.map { .int(Int64(rows[$0].id)) } ?? .null)
                }
                let gotText = row.map { $0.isNull ? "NULL" : ($0.asInt64.map(String.init) ?? $0.description) }
                let wantText = want.map { $0.isNull ? "NULL" : ($0.asInt64.map(String.init) ?? $0.description) }
                if gotText != wantText {
                    Issue.record("seed \(seed), \(spec.sql), id \(idx): got \(gotText), want \(wantText)")
                    return
                }
            }
        }
    }
}
