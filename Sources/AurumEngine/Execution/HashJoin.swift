import AurumCore

/// Hash join: builds a GroupTable over the right side's keys (rows chained per key), probes
/// with the left side. LEFT/FULL emit unmatched left rows with NULLs; RIGHT/FULL emit unmatched
/// right rows at the end. CROSS (no keys) is a nested loop in blocks.
struct HashJoin {
    let ctx: QueryContext

    func run(left: Plan, right: Plan, kind: JoinType, leftKeys: [BoundExpr], rightKeys: [BoundExpr],
             residual: BoundExpr?, executor: Executor) throws -> [Block] {
        let lt = left.types, rt = right.types
        let rightBlock = Block.concat(try executor.run(right), types: rt)
        let leftBlocks = try executor.run(left)
        try ctx.checkMemory(rightBlock.count * 64, "JOIN build side")
        let nullableLeft = kind == .right || kind == .full
        let nullableRight = kind == .left || kind == .full
        var rightMatched = [Bool](repeating: false, count: rightBlock.count)
        var out: [Block] = []

        // Build
        let table = GroupTable(keyTypes: rightKeys.map(\.type))
        var head: [Int32] = []
        var next = [Int32](repeating: -1, count: rightBlock.count)
        if !rightKeys.isEmpty && rightBlock.count > 0 {
            let rk = try rightKeys.map { try Evaluator.evaluate($0, rightBlock) }
            // rows with NULL keys never match
            var newRows: [Int32] = []
            let ids = table.insert(rk, rightBlock.count, newRows: &newRows)
            head = [Int32](repeating: -1, count: table.groupCount)
            for i in stride(from: rightBlock.count - 1, through: 0, by: -1) {
                if rk.contains(where: { $0.isNull(i) }) { continue }
                let g = Int(ids[i])
                next[i] = head[g]
                head[g] = Int32(i)
            }
        }

        func emit(_ lb: Block, _ lsel: [Int32], _ rsel: [Int32]) throws {
            // -1 in a selection means "NULL row" for that side.
            var cols: [Column] = []
            cols.append(contentsOf: side(lb, lsel, lt, nullable: nullableLeft))
            cols.append(contentsOf: side(rightBlock, rsel, rt, nullable: nullableRight))
            var b = Block(columns: cols, count: lsel.count)
            if let residual, b.count > 0 {
                let keep = try Evaluator.select(residual, b)
                if keep.count != b.count { b = b.gather(keep) }
            }
            if b.count > 0 { out.append(b) }
        }

        for lb in leftBlocks {
            try ctx.checkCancelled()
            var lsel: [Int32] = [], rsel: [Int32] = []
            if rightKeys.isEmpty {
                // cross join (residual, if any, filters)
                if residual == nil || kind == .inner || kind == .cross {
                    for i in 0..<lb.count { for j in 0..<rightBlock.count { lsel.append(Int32(i)); rsel.append(Int32(j)) } }
                    try ctx.checkMemory(lsel.count * 8, "cross join")
                    try emit(lb, lsel, rsel)
                    for j in 0..<rightBlock.count where !lsel.isEmpty { rightMatched[j] = true }
                    continue
                }
                // outer join with only a non-equi condition: evaluate per left row
                for i in 0..<lb.count {
                    let ls = [Int32](repeating: Int32(i), count: rightBlock.count)
                    let rs = (0..<rightBlock.count).map { Int32($0) }
                    var cols = side(lb, ls, lt, nullable: nullableLeft)
                    cols += side(rightBlock, rs, rt, nullable: nullableRight)
                    let matches = try Evaluator.select(residual!, Block(columns: cols, count: rs.count))
                    for m in matches { lsel.append(Int32(i)); rsel.append(m); rightMatched[Int(m)] = true }
                    if matches.isEmpty && (kind == .left || kind == .full) { lsel.append(Int32(i)); rsel.append(-1) }
                }
                var cols = side(lb, lsel, lt, nullable: nullableLeft)
                cols += side(rightBlock, rsel, rt, nullable: nullableRight)
                if !lsel.isEmpty { out.append(Block(columns: cols, count: lsel.count)) }
                continue
            }
            let lk = try leftKeys.map { try Evaluator.evaluate($0, lb) }
            let ids = table.lookup(lk, lb.count, nullsMatch: false)
            if residual == nil {
                for i in 0..<lb.count {
                    var r = ids[i] >= 0 ? head[Int(ids[i])] : -1
                    if r == -1 {
                        if kind == .left || kind == .full { lsel.append(Int32(i)); rsel.append(-1) }
                        continue
                    }
                    while r != -1 { lsel.append(Int32(i)); rsel.append(r); rightMatched[Int(r)] = true; r = next[Int(r)] }
                }
                try ctx.checkMemory(lsel.count * 8, "JOIN output")
                try emit(lb, lsel, rsel)
            } else {
                // candidates, then residual per candidate; outer rows without a surviving match get NULLs
                for i in 0..<lb.count {
                    var r = ids[i] >= 0 ? head[Int(ids[i])] : -1
                    while r != -1 { lsel.append(Int32(i)); rsel.append(r); r = next[Int(r)] }
                }
                var cols = side(lb, lsel, lt, nullable: nullableLeft)
                cols += side(rightBlock, rsel, rt, nullable: nullableRight)
                let cand = Block(columns: cols, count: lsel.count)
                let keep = lsel.isEmpty ? [] : try Evaluator.select(residual!, cand)
                var matchedLeft = [Bool](repeating: false, count: lb.count)
                var fl: [Int32] = [], fr: [Int32] = []
                for k in keep { let li = lsel[Int(k)], ri = rsel[Int(k)]; fl.append(li); fr.append(ri); matchedLeft[Int(li)] = true; rightMatched[Int(ri)] = true }
                if kind == .left || kind == .full { for i in 0..<lb.count where !matchedLeft[i] { fl.append(Int32(i)); fr.append(-1) } }
                var c2 = side(lb, fl, lt, nullable: nullableLeft)
                c2 += side(rightBlock, fr, rt, nullable: nullableRight)
                if !fl.isEmpty { out.append(Block(columns: c2, count: fl.count)) }
            }
        }
        if kind == .right || kind == .full {
            let un = (0..<rightBlock.count).filter { !rightMatched[$0] }.map { Int32($0) }
            if !un.isEmpty {
                var cols = side(Block.empty(lt), [Int32](repeating: -1, count: un.count), lt, nullable: true)
                cols += side(rightBlock, un, rt, nullable: nullableRight)
                out.append(Block(columns: cols, count: un.count))
            }
        }
        return out
    }

    /// Gathers rows `sel` of `b` (-1 = a NULL row), typing columns nullable when asked.
    func side(_ b: Block, _ sel: [Int32], _ types: [DataType], nullable: Bool) -> [Column] {
        let hasMiss = sel.contains(-1)
        return types.enumerated().map { k, t in
            if !hasMiss {
                var c = b.columns.isEmpty ? Column.empty(t) : b.columns[k].gather(sel)
                if nullable { c.type = t.nullable }
                return c
            }
            let safe = sel.map { $0 < 0 ? 0 : $0 }
            var c: Column
            if b.count == 0 {
                c = Column(type: t.nullable, data: .zeros(t.physical, count: sel.count))
            } else {
                c = b.columns[k].gather(safe)
            }
            var v = c.validity ?? [UInt8](repeating: 1, count: sel.count)
            for i in 0..<sel.count where sel[i] < 0 { v[i] = 0 }
            c.validity = v
            c.type = t.nullable
            return c
        }
    }
}
