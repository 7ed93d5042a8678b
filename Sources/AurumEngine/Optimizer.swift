import AurumCore

/// Rewrites: push filters into scans (for granule skipping and early filtering) and prune
/// columns so scans read only what the query references.
enum Optimizer {
    static func optimize(_ plan: Plan) -> Plan {
        let pushed = pushFilters(plan)
        let all = Set(0..<pushed.types.count)
        return prune(pushed, all).0
    }

    static func pushFilters(_ p: Plan) -> Plan {
        switch p {
        case .filter(let inner, let e):
            let i = pushFilters(inner)
            if case .scan(var s) = i {
                s.filter = s.filter.map { .and($0.conjuncts + e.conjuncts) } ?? e
                return .scan(s)
            }
            return .filter(i, e)
        case .scan, .rows, .series, .external: return p
        case .project(let i, let es): return .project(pushFilters(i), es)
        case .aggregate(let i, let g, let a, let t): return .aggregate(pushFilters(i), groups: g, aggregates: a, totals: t)
        case .sort(let i, let k, let l): return .sort(pushFilters(i), k, limit: l)
        case .limit(let i, let l, let o): return .limit(pushFilters(i), limit: l, offset: o)
        case .limitBy(let i, let k, let l, let o): return .limitBy(pushFilters(i), keys: k, limit: l, offset: o)
        case .distinct(let i): return .distinct(pushFilters(i))
        case .join(let l, let r, let k, let lk, let rk, let res): return .join(pushFilters(l), pushFilters(r), k, leftKeys: lk, rightKeys: rk, residual: res)
        case .union(let ps): return .union(ps.map(pushFilters))
        case .window(let i, let ws): return .window(pushFilters(i), ws)
        case .projectSet(let i, let fs): return .projectSet(pushFilters(i), fs)
        }
    }

    /// Pruning below an operator whose output is its input's columns then one column per
    /// function (window functions, set-returning functions): the input keeps what is required
    /// of it and what the functions read. Returns the pruned input, the input's mapping and the
    /// operator's output mapping.
    static func pruneAppending(_ input: Plan, _ required: Set<Int>, reading: [Set<Int>]) -> (Plan, [Int: Int], [Int: Int]) {
        let n = input.types.count
        var need = Set(required.filter { $0 < n })
        for r in reading { need.formUnion(r) }
        let (pruned, m) = prune(input, need)
        let nn = pruned.types.count
        var out = m
        for k in reading.indices { out[n + k] = nn + k }
        return (pruned, m, out)
    }

    static func identity(_ n: Int) -> [Int: Int] { Dictionary(uniqueKeysWithValues: (0..<n).map { ($0, $0) }) }

    /// Returns the pruned plan and the mapping old output index -> new output index
    /// (for every index in `required`).
    static func prune(_ p: Plan, _ required: Set<Int>) -> (Plan, [Int: Int]) {
        switch p {
        case .scan(var s):
            var need = required
            s.filter.map { need.formUnion($0.columns) }
            if need.isEmpty { need = [s.table.sortKey.first.flatMap { k in s.columns.firstIndex(of: k) } ?? 0] }
            let keep = need.sorted()
            var m: [Int: Int] = [:]
            for (n, o) in keep.enumerated() { m[o] = n }
            s.columns = keep.map { s.columns[$0] }
            s.filter = s.filter?.remap(m)
            return (.scan(s), m)
        case .rows(let b):
            return (.rows(b), identity(b.columns.count))
        case .external(var x):
            // read only the columns the query needs (at least one, for the row count)
            let keep = required.isEmpty ? [0] : required.sorted()
            var m: [Int: Int] = [:]
            for (k, i) in keep.enumerated() where i < x.projection.count { m[i] = k }
            x.projection = keep.filter { $0 < x.projection.count }.map { x.projection[$0] }
            return (.external(x), m)
        case .series:
            return (p, identity(1))
        case .filter(let i, let e):
            let (ni, m) = prune(i, required.union(e.columns))
            return (.filter(ni, e.remap(m)), m)
        case .project(let i, let es):
            var need = Set<Int>()
            for e in es { need.formUnion(e.columns) }
            let (ni, m) = prune(i, need)
            return (.project(ni, es.map { $0.remap(m) }), identity(es.count))
        case .aggregate(let i, let g, let a, let t):
            var need = Set<Int>()
            for e in g { need.formUnion(e.columns) }
            for x in a { for e in x.arguments { need.formUnion(e.columns) }; x.condition.map { need.formUnion($0.columns) } }
            let (ni, m) = prune(i, need)
            let na = a.map { x -> BoundAggregate in
                var y = x
                y.arguments = x.arguments.map { $0.remap(m) }
                y.condition = x.condition?.remap(m)
                return y
            }
            return (.aggregate(ni, groups: g.map { $0.remap(m) }, aggregates: na, totals: t), identity(g.count + a.count))
        case .sort(let i, let keys, let l):
            var need = required
            for k in keys { need.formUnion(k.expr.columns) }
            let (ni, m) = prune(i, need)
            return (.sort(ni, keys.map { SortKey(expr: $0.expr.remap(m), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }, limit: l), m)
        case .limit(let i, let l, let o):
            let (ni, m) = prune(i, required)
            return (.limit(ni, limit: l, offset: o), m)
        case .limitBy(let i, let keys, let l, let o):
            var need = required
            for k in keys { need.formUnion(k.columns) }
            let (ni, m) = prune(i, need)
            return (.limitBy(ni, keys: keys.map { $0.remap(m) }, limit: l, offset: o), m)
        case .distinct(let i):
            let n = i.types.count
            let (ni, m) = prune(i, Set(0..<n))
            return (.distinct(ni), m)
        case .union(let ps):
            return (.union(ps.map { prune($0, Set(0..<$0.types.count)).0 }), identity(p.types.count))
        case .window(let i, let ws):
            let (ni, m, out) = pruneAppending(i, required, reading: ws.map(\.columns))
            return (.window(ni, ws.map { $0.remap(m) }), out)
        case .projectSet(let i, let fs):
            let (ni, m, out) = pruneAppending(i, required, reading: fs.map(\.columns))
            return (.projectSet(ni, fs.map { $0.remap(m) }), out)
        case .join(let l, let r, let k, let lk, let rk, let res):
            let nl = l.types.count
            var needL = Set<Int>(), needR = Set<Int>()
            var all = required
            res.map { all.formUnion($0.columns) }
            for c in all { if c < nl { needL.insert(c) } else { needR.insert(c - nl) } }
            for e in lk { needL.formUnion(e.columns) }
            for e in rk { needR.formUnion(e.columns) }
            let (pl, ml) = prune(l, needL)
            let (pr, mr) = prune(r, needR)
            let newNL = pl.types.count
            var m: [Int: Int] = [:]
            for (o, n) in ml { m[o] = n }
            for (o, n) in mr { m[o + nl] = n + newNL }
            return (.join(pl, pr, k, leftKeys: lk.map { $0.remap(ml) }, rightKeys: rk.map { $0.remap(mr) }, residual: res?.remap(m)), m)
        }
    }

    static func explain(_ p: Plan, _ depth: Int = 0) -> [String] {
        let pad = String(repeating: "  ", count: depth)
        switch p {
        case .scan(let s):
            let cols = s.columns.map { s.table.definition.columns[$0].name }.joined(separator: ", ")
            return [pad + "Scan \(s.table.database).\(s.table.name) [\(cols)]" + (s.filter.map { " filter \($0)" } ?? "") + (s.final ? " FINAL" : "")
                    + " parts=\(s.snapshot.parts.count)"]
        case .rows(let b): return [pad + "Rows (\(b.count))"]
        case .external(let x): return [pad + x.description]
        case .series(let s): return [pad + "Series (\(s.count) values from \(s.start) step \(s.step))"]
        case .filter(let i, let e): return [pad + "Filter \(e)"] + explain(i, depth + 1)
        case .project(let i, let es): return [pad + "Project \(es.map(\.description).joined(separator: ", "))"] + explain(i, depth + 1)
        case .aggregate(let i, let g, let a, _): return [pad + "Aggregate keys=[\(g.map(\.description).joined(separator: ", "))] aggs=[\(a.map(\.key).joined(separator: ", "))]"] + explain(i, depth + 1)
        case .sort(let i, let k, let l): return [pad + "Sort \(k.map { "\($0.expr)\($0.ascending ? "" : " DESC")" }.joined(separator: ", "))" + (l.map { " top \($0)" } ?? "")] + explain(i, depth + 1)
        case .limit(let i, let l, let o): return [pad + "Limit \(l.map(String.init) ?? "ALL") offset \(o)"] + explain(i, depth + 1)
        case .limitBy(let i, _, let l, _): return [pad + "LimitBy \(l)"] + explain(i, depth + 1)
        case .distinct(let i): return [pad + "Distinct"] + explain(i, depth + 1)
        case .join(let l, let r, let k, let lk, let rk, _): return [pad + "HashJoin \(k) on \(zip(lk, rk).map { "\($0) = \($1)" }.joined(separator: ", "))"] + explain(l, depth + 1) + explain(r, depth + 1)
        case .union(let ps): return [pad + "UnionAll"] + ps.flatMap { explain($0, depth + 1) }
        case .window(let i, let ws): return [pad + "Window " + ws.map(\.description).joined(separator: ", ")] + explain(i, depth + 1)
        case .projectSet(let i, let fs): return [pad + "ProjectSet " + fs.map(\.description).joined(separator: ", ")] + explain(i, depth + 1)
        }
    }
}
