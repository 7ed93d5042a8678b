import AurumCore

/// Hash aggregation: group keys -> dense ids (GroupTable), then each aggregate's state is
/// updated a block at a time. Each worker has a `Local`; locals merge at the end.
struct Aggregation: @unchecked Sendable {
    let groups: [BoundExpr]
    let aggregates: [BoundAggregate]
    let ctx: QueryContext

    func makeLocal() -> Local { Local(spec: self) }

    struct Local: @unchecked Sendable {
        let spec: Aggregation
        let table: GroupTable
        var states: [AggregateState]
        /// Representative key values per group (for the output).
        var keyColumns: [Column]
        var totalStates: [AggregateState]?

        init(spec: Aggregation) {
            self.spec = spec
            table = GroupTable(keyTypes: spec.groups.map(\.type))
            states = spec.aggregates.map { $0.makeState() }
            keyColumns = spec.groups.map { Column.empty($0.type) }
        }

        var groupCount: Int { spec.groups.isEmpty ? 1 : table.groupCount }

        mutating func consume(_ b: Block) throws {
            let n = b.count
            if n == 0 { return }
            var ids: [Int32]
            if spec.groups.isEmpty {
                ids = [Int32](repeating: 0, count: n)
            } else {
                let keys = try spec.groups.map { try Evaluator.evaluate($0, b) }
                var newRows: [Int32] = []
                ids = table.insert(keys, n, newRows: &newRows)
                if !newRows.isEmpty {
                    for k in 0..<keys.count { keyColumns[k].append(contentsOf: keys[k].gather(newRows)) }
                }
            }
            let g = groupCount
            for (i, agg) in spec.aggregates.enumerated() {
                states[i].resize(g)
                var args = try agg.arguments.map { try Evaluator.evaluate($0, b) }
                var rowIDs = ids
                if let cond = agg.condition {
                    let sel = try Evaluator.select(cond, b)
                    if sel.count != n {
                        args = args.map { $0.gather(sel) }
                        rowIDs = sel.map { ids[Int($0)] }
                    }
                }
                if rowIDs.isEmpty { continue }
                try rowIDs.withUnsafeBufferPointer { try states[i].update(args, $0) }
            }
            let mem = table.memoryBytes + states.reduce(0) { $0 + $1.memoryBytes }
            try spec.ctx.checkMemory(mem, "GROUP BY hash table")
        }

        mutating func merge(_ other: Local) throws {
            var mapping: [Int32]
            if spec.groups.isEmpty {
                mapping = [0]
            } else {
                var newRows: [Int32] = []
                mapping = table.insert(other.keyColumns, other.table.groupCount, newRows: &newRows)
                if !newRows.isEmpty {
                    for k in 0..<keyColumns.count { keyColumns[k].append(contentsOf: other.keyColumns[k].gather(newRows)) }
                }
            }
            let g = groupCount
            for i in states.indices {
                states[i].resize(g)
                other.states[i].resize(other.groupCount)
                try states[i].merge(other.states[i], mapping)
            }
        }

        /// Output block: keys then aggregates. A global aggregate over empty input gives one row.
        mutating func finish(totals: Bool) throws -> Block {
            let g = groupCount
            var cols = keyColumns
            for s in states { s.resize(g); cols.append(try s.finalize(g)) }
            var block = Block(columns: cols, count: g)
            if !spec.groups.isEmpty && g == 0 {
                block = Block(columns: spec.groups.map { Column.empty($0.type) } + spec.aggregates.map { Column.empty($0.returnType) }, count: 0)
            }
            if totals && !spec.groups.isEmpty {
                // WITH TOTALS: one more row aggregating all groups; keys are NULL (ClickHouse
                // shows defaults; Aurum uses NULL so BI tools can tell the row apart).
                var tcols: [Column] = spec.groups.map { Column.constant(.null, type: $0.type.nullable, count: 1) }
                for (i, s) in states.enumerated() {
                    let t = spec.aggregates[i].makeState()
                    t.resize(1)
                    s.resize(g)
                    try t.merge(s, [Int32](repeating: 0, count: g))
                    tcols.append(try t.finalize(1))
                }
                var out = Block(columns: block.columns.enumerated().map { i, c in
                    var c = c
                    if tcols[i].type.isNullable && !c.type.isNullable { c = Column(type: c.type.nullable, data: c.data, validity: c.validity) }
                    return c
                }, count: g)
                for i in out.columns.indices {
                    var t = tcols[i]
                    if t.type.base != out.columns[i].type.base { t = try Cast.column(t, to: out.columns[i].type) }
                    t.type = out.columns[i].type
                    if t.validity != nil { out.columns[i].type.isNullable = true; t.type.isNullable = true }
                    out.columns[i].append(contentsOf: t)
                }
                out.count = g + 1
                block = out
            }
            return block
        }
    }
}

/// ORDER BY: sorts a permutation with typed comparisons, then gathers. With a LIMIT the
/// comparison-sort is replaced by a partial selection (top-n).
enum Sorter {
    static func sort(_ input: Block, _ keys: [SortKey], limit: Int?, ctx: QueryContext) throws -> Block {
        let n = input.count
        if n <= 1 { return input }
        try ctx.checkMemory(n * 16 * max(1, keys.count), "ORDER BY")
        let cols = try keys.map { try Evaluator.evaluate($0.expr, input) }
        let compare = comparator(cols, keys.map { ($0.ascending, $0.nullsFirst) })
        var perm = Array(0..<n)
        let less: (Int, Int) -> Bool = { a, b in
            let r = compare(a, b)
            return r != 0 ? r < 0 : a < b   // stable
        }
        if let limit, limit < n / 4 {
            // top-n: keep a sorted buffer of the best `limit` rows
            var best: [Int] = []
            best.reserveCapacity(limit + 1)
            for i in 0..<n {
                if best.count == limit, let last = best.last, !less(i, last) { continue }
                var lo = 0, hi = best.count
                while lo < hi { let mid = (lo + hi) / 2; if less(best[mid], i) { lo = mid + 1 } else { hi = mid } }
                best.insert(i, at: lo)
                if best.count > limit { best.removeLast() }
            }
            perm = best
        } else {
            perm.sort(by: less)
            if let limit, limit < perm.count { perm = Array(perm.prefix(limit)) }
        }
        return input.gather(perm.map { Int32($0) })
    }

    /// Compares two rows by `cols`, each ascending or descending with its NULLs first or last
    /// (ORDER BY and window PARTITION BY / ORDER BY).
    static func comparator(_ cols: [Column], _ keys: [(asc: Bool, nullsFirst: Bool)]) -> (Int, Int) -> Int {
        let parts: [(Int, Int) -> Int] = cols.enumerated().map { k, c in
            let base = rowComparator(c)
            let valid = c.validity
            let (asc, nullsFirst) = keys[k]
            return { a, b in
                if let v = valid {
                    let na = v[a] == 0, nb = v[b] == 0
                    if na || nb {
                        if na && nb { return 0 }
                        return na == nullsFirst ? -1 : 1
                    }
                }
                let r = base(a, b)
                return asc ? r : -r
            }
        }
        return { a, b in
            for p in parts { let r = p(a, b); if r != 0 { return r } }
            return 0
        }
    }

    static func rowComparator(_ c: Column) -> (Int, Int) -> Int {
        func cmp<T: Comparable>(_ a: [T]) -> (Int, Int) -> Int { { x, y in a[x] < a[y] ? -1 : (a[x] == a[y] ? 0 : 1) } }
        switch c.data {
        case .int8(let a): return cmp(a)
        case .int16(let a): return cmp(a)
        case .int32(let a): return cmp(a)
        case .int64(let a): return cmp(a)
        case .int128(let a): return cmp(a)
        case .uint8(let a): return cmp(a)
        case .uint16(let a): return cmp(a)
        case .uint32(let a): return cmp(a)
        case .uint64(let a): return cmp(a)
        case .uint128(let a): return cmp(a)
        case .float32(let a): return cmp(a)
        case .float64(let a): return cmp(a)
        case .string(let s): return { x, y in s.compare(x, s, y) }
        }
    }
}
