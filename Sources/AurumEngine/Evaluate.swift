import AurumCore

/// Vectorised evaluation of bound expressions over a block.
///
/// Broadcast rule: a 1-row column used where the block has more rows is a constant. Results
/// of `evaluate` always have `block.count` rows.
enum Evaluator {
    static func evaluate(_ e: BoundExpr, _ block: Block) throws -> Column {
        let n = block.count
        switch e {
        case .column(let i, _):
            return block.columns[i]
        case .constant(let v, let t):
            return Column.constant(v, type: t, count: n)
        default:
            let c = try evaluateCompact(e, block)
            if c.count == n { return c }
            return broadcast(c, n)
        }
    }

    /// Like `evaluate`, but a constant sub-result may stay 1 row long (broadcast).
    static func evaluateCompact(_ e: BoundExpr, _ block: Block) throws -> Column {
        let n = block.count
        switch e {
        case .column(let i, _):
            return block.columns[i]
        case .constant(let v, let t):
            return Column.constant(v, type: t, count: 1)
        case .call(let f, let args):
            let cols = try args.map { try evaluateCompact($0, block) }
            let allConst = cols.allSatisfy { $0.count == 1 } && n != 1
            let m = allConst ? 1 : n
            var out = try f.kernel.run(cols, m)
            if case .propagate = f.nulls { out.validity = mergeValidity(cols, m) }
            out.type = f.returnType
            if out.validity != nil && !out.type.isNullable { out.type.isNullable = true }
            return out
        case .cast(let x, let t):
            let c = try evaluateCompact(x, block)
            return try Cast.column(c, to: t)
        case .compare(let op, let a, let b):
            let ca = try evaluateCompact(a, block)
            let cb = try evaluateCompact(b, block)
            return try Compare.run(op, ca, cb, count: (ca.count == 1 && cb.count == 1) ? 1 : n)
        case .and(let xs):
            var acc = try evaluate(xs[0], block)
            for x in xs.dropFirst() { acc = Logic.and(acc, try evaluate(x, block)) }
            return acc
        case .or(let xs):
            var acc = try evaluate(xs[0], block)
            for x in xs.dropFirst() { acc = Logic.or(acc, try evaluate(x, block)) }
            return acc
        case .not(let x):
            return Logic.not(try evaluateCompact(x, block))
        case .isNull(let x, let neg):
            let c = try evaluateCompact(x, block)
            var out = [UInt8](repeating: neg ? 1 : 0, count: c.count)
            if let v = c.validity {
                for i in 0..<c.count { out[i] = (v[i] == 0) != neg ? 1 : 0 }
            }
            return Column(type: .bool, data: .uint8(out))
        case .inSet(let x, let values, let neg, let hasNull):
            let c = try evaluateCompact(x, block)
            return InSet.run(c, values, negated: neg, listHasNull: hasNull)
        case .caseWhen(let branches, let elseExpr, let t):
            return try CaseEval.run(branches, elseExpr, t, block)
        }
    }

    /// Repeats a 1-row column `n` times.
    static func broadcast(_ c: Column, _ n: Int) -> Column {
        if c.count == n { return c }
        precondition(c.count == 1, "broadcast of a \(c.count)-row column to \(n)")
        let idx = [Int32](repeating: 0, count: n)
        return c.gather(idx)
    }

    /// AND of the validity masks of `cols` (broadcasting 1-row columns), nil when all valid.
    static func mergeValidity(_ cols: [Column], _ n: Int) -> [UInt8]? {
        var out: [UInt8]? = nil
        for c in cols {
            guard let v = c.validity else { continue }
            if c.count == 1 && n != 1 {
                if v[0] == 0 { return [UInt8](repeating: 0, count: n) }
                continue
            }
            if out == nil { out = v } else {
                out!.withUnsafeMutableBufferPointer { o in
                    v.withUnsafeBufferPointer { s in for i in 0..<n { o[i] &= s[i] } }
                }
            }
        }
        return out
    }

    /// Evaluates a predicate and returns the indices of rows where it is TRUE (not NULL/false).
    static func select(_ predicate: BoundExpr, _ block: Block) throws -> [Int32] {
        let c = try evaluate(predicate, block)
        return selection(c)
    }

    static func selection(_ c: Column) -> [Int32] {
        guard case .uint8(let bits) = c.data else { return [] }
        var out = [Int32]()
        out.reserveCapacity(c.count)
        bits.withUnsafeBufferPointer { b in
            if let v = c.validity {
                v.withUnsafeBufferPointer { vv in
                    for i in 0..<b.count where b[i] & vv[i] != 0 { out.append(Int32(i)) }
                }
            } else {
                for i in 0..<b.count where b[i] != 0 { out.append(Int32(i)) }
            }
        }
        return out
    }

    /// Evaluates a constant expression (no column references) to a value.
    static func constantValue(_ e: BoundExpr) throws -> Value {
        let c = try evaluate(e, Block(columns: [], count: 1))
        return c.value(at: 0)
    }
}

/// Three-valued boolean logic on Bool columns (validity = known).
enum Logic {
    static func and(_ a: Column, _ b: Column) -> Column {
        let n = max(a.count, b.count)
        let a = Evaluator.broadcast(a, n), b = Evaluator.broadcast(b, n)
        guard case .uint8(let x) = a.data, case .uint8(let y) = b.data else { return a }
        var out = [UInt8](repeating: 0, count: n)
        if a.validity == nil && b.validity == nil {
            for i in 0..<n { out[i] = x[i] & y[i] }
            return Column(type: .bool, data: .uint8(out))
        }
        // FALSE if either is known false; TRUE if both known true; else NULL.
        var valid = [UInt8](repeating: 1, count: n)
        for i in 0..<n {
            let av = a.validity?[i] ?? 1, bv = b.validity?[i] ?? 1
            let af = av == 1 && x[i] == 0, bf = bv == 1 && y[i] == 0
            if af || bf { out[i] = 0; valid[i] = 1 }
            else if av == 1 && bv == 1 { out[i] = 1 }
            else { valid[i] = 0 }
        }
        return Column(type: .bool.nullable, data: .uint8(out), validity: valid).normalized()
    }

    static func or(_ a: Column, _ b: Column) -> Column {
        let n = max(a.count, b.count)
        let a = Evaluator.broadcast(a, n), b = Evaluator.broadcast(b, n)
        guard case .uint8(let x) = a.data, case .uint8(let y) = b.data else { return a }
        var out = [UInt8](repeating: 0, count: n)
        if a.validity == nil && b.validity == nil {
            for i in 0..<n { out[i] = x[i] | y[i] }
            return Column(type: .bool, data: .uint8(out))
        }
        var valid = [UInt8](repeating: 1, count: n)
        for i in 0..<n {
            let av = a.validity?[i] ?? 1, bv = b.validity?[i] ?? 1
            let at = av == 1 && x[i] != 0, bt = bv == 1 && y[i] != 0
            if at || bt { out[i] = 1 }
            else if av == 1 && bv == 1 { out[i] = 0 }
            else { valid[i] = 0 }
        }
        return Column(type: .bool.nullable, data: .uint8(out), validity: valid).normalized()
    }

    static func not(_ a: Column) -> Column {
        guard case .uint8(let x) = a.data else { return a }
        var out = [UInt8](repeating: 0, count: x.count)
        for i in 0..<x.count { out[i] = x[i] == 0 ? 1 : 0 }
        return Column(type: a.type, data: .uint8(out), validity: a.validity)
    }
}

/// Comparison kernels: both sides have the same physical type (the binder inserts casts).
enum Compare {
    static func run(_ op: CompareOp, _ a: Column, _ b: Column, count n: Int) throws -> Column {
        var out = [UInt8](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            switch (a.data, b.data) {
            case (.int8(let x), .int8(let y)): loop(op, x, y, o)
            case (.int16(let x), .int16(let y)): loop(op, x, y, o)
            case (.int32(let x), .int32(let y)): loop(op, x, y, o)
            case (.int64(let x), .int64(let y)): loop(op, x, y, o)
            case (.int128(let x), .int128(let y)): loop(op, x, y, o)
            case (.uint8(let x), .uint8(let y)): loop(op, x, y, o)
            case (.uint16(let x), .uint16(let y)): loop(op, x, y, o)
            case (.uint32(let x), .uint32(let y)): loop(op, x, y, o)
            case (.uint64(let x), .uint64(let y)): loop(op, x, y, o)
            case (.uint128(let x), .uint128(let y)): loop(op, x, y, o)
            case (.float32(let x), .float32(let y)): loop(op, x, y, o)
            case (.float64(let x), .float64(let y)): loop(op, x, y, o)
            case (.string(let x), .string(let y)): strings(op, x, y, o)
            default: preconditionFailure("Compare: physical types differ: \(a.data.physical) vs \(b.data.physical)")
            }
        }
        let v = Evaluator.mergeValidity([a, b], n)
        return Column(type: DataType(.bool, nullable: v != nil), data: .uint8(out), validity: v)
    }

    @inline(__always)
    static func loop<T: Comparable>(_ op: CompareOp, _ x: [T], _ y: [T], _ o: UnsafeMutableBufferPointer<UInt8>) {
        switch op {
        case .eq: apply(x, y, o) { $0 == $1 }
        case .ne: apply(x, y, o) { $0 != $1 }
        case .lt: apply(x, y, o) { $0 < $1 }
        case .le: apply(x, y, o) { $0 <= $1 }
        case .gt: apply(x, y, o) { $0 > $1 }
        case .ge: apply(x, y, o) { $0 >= $1 }
        }
    }

    @inline(__always)
    static func apply<T>(_ x: [T], _ y: [T], _ o: UnsafeMutableBufferPointer<UInt8>, _ f: (T, T) -> Bool) {
        let n = o.count
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                if xp.count == n && yp.count == n {
                    for i in 0..<n { o[i] = f(xp[i], yp[i]) ? 1 : 0 }
                } else if yp.count == 1 && xp.count == n {
                    let c = yp[0]
                    for i in 0..<n { o[i] = f(xp[i], c) ? 1 : 0 }
                } else if xp.count == 1 && yp.count == n {
                    let c = xp[0]
                    for i in 0..<n { o[i] = f(c, yp[i]) ? 1 : 0 }
                } else {
                    for i in 0..<n { o[i] = f(xp[xp.count == 1 ? 0 : i], yp[yp.count == 1 ? 0 : i]) ? 1 : 0 }
                }
            }
        }
    }

    static func strings(_ op: CompareOp, _ x: StringArray, _ y: StringArray, _ o: UnsafeMutableBufferPointer<UInt8>) {
        let n = o.count
        let xc = x.count == 1 && n != 1, yc = y.count == 1 && n != 1
        // Equality against a constant: compare lengths first, then bytes.
        x.bytes.withUnsafeBufferPointer { xb in
            y.bytes.withUnsafeBufferPointer { yb in
                x.offsets.withUnsafeBufferPointer { xo in
                    y.offsets.withUnsafeBufferPointer { yo in
                        for i in 0..<n {
                            let xi = xc ? 0 : i, yi = yc ? 0 : i
                            let a0 = Int(xo[xi]), a1 = Int(xo[xi + 1]), b0 = Int(yo[yi]), b1 = Int(yo[yi + 1])
                            let la = a1 - a0, lb = b1 - b0
                            let r: Int
                            if (op == .eq || op == .ne) && la != lb { r = 1 }
                            else if la == 0 || lb == 0 { r = la < lb ? -1 : (la > lb ? 1 : 0) }
                            else {
                                let m = memcmp(xb.baseAddress! + a0, yb.baseAddress! + b0, min(la, lb))
                                r = m != 0 ? Int(m) : (la < lb ? -1 : (la > lb ? 1 : 0))
                            }
                            let res: Bool
                            switch op {
                            case .eq: res = r == 0
                            case .ne: res = r != 0
                            case .lt: res = r < 0
                            case .le: res = r <= 0
                            case .gt: res = r > 0
                            case .ge: res = r >= 0
                            }
                            o[i] = res ? 1 : 0
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// `x IN (constant list)` with SQL three-valued semantics.
enum InSet {
    static func run(_ c: Column, _ values: [Value], negated: Bool, listHasNull: Bool) -> Column {
        let n = c.count
        var out = [UInt8](repeating: 0, count: n)
        func fill<T: Hashable>(_ a: [T], _ set: Set<T>) { for i in 0..<n { out[i] = set.contains(a[i]) ? 1 : 0 } }
        let nonNull = values.filter { !$0.isNull }
        switch c.data {
        case .int8(let a): fill(a, Set(nonNull.map { Int8(truncatingIfNeeded: $0.rawInt64) }))
        case .int16(let a): fill(a, Set(nonNull.map { Int16(truncatingIfNeeded: $0.rawInt64) }))
        case .int32(let a): fill(a, Set(nonNull.map { Int32(truncatingIfNeeded: $0.rawInt64) }))
        case .int64(let a): fill(a, Set(nonNull.map { $0.rawInt64 }))
        case .int128(let a): fill(a, Set(nonNull.map { $0.rawInt128 }))
        case .uint8(let a): fill(a, Set(nonNull.map { UInt8(truncatingIfNeeded: $0.rawInt64) }))
        case .uint16(let a): fill(a, Set(nonNull.map { UInt16(truncatingIfNeeded: $0.rawInt64) }))
        case .uint32(let a): fill(a, Set(nonNull.map { UInt32(truncatingIfNeeded: $0.rawInt64) }))
        case .uint64(let a): fill(a, Set(nonNull.map { $0.rawUInt64 }))
        case .uint128(let a): fill(a, Set(nonNull.map { v -> UInt128 in if case .uuid(let u) = v { return u }; return UInt128(truncatingIfNeeded: v.rawInt128) }))
        case .float32(let a): fill(a, Set(nonNull.map { Float($0.asDouble ?? 0) }))
        case .float64(let a): fill(a, Set(nonNull.map { $0.asDouble ?? 0 }))
        case .string(let s):
            let set = Set(nonNull.map { Array(($0.asString ?? $0.description).utf8) })
            for i in 0..<n { out[i] = set.contains(Array(s.byteSlice(at: i))) ? 1 : 0 }
        }
        var valid: [UInt8]? = c.validity
        if listHasNull {
            // Not found + NULL in the list => NULL.
            var v = valid ?? [UInt8](repeating: 1, count: n)
            for i in 0..<n where out[i] == 0 { v[i] = 0 }
            valid = v
        }
        if negated { for i in 0..<n { out[i] ^= 1 } }
        return Column(type: DataType(.bool, nullable: valid != nil), data: .uint8(out), validity: valid).normalized()
    }
}

/// CASE WHEN evaluation: each branch's condition and result evaluated on the full block,
/// then rows picked by the first TRUE condition.
enum CaseEval {
    static func run(_ branches: [CaseBranch], _ elseExpr: BoundExpr?, _ t: DataType, _ block: Block) throws -> Column {
        let n = block.count
        var chosen = [Int32](repeating: -1, count: n)  // branch index, -1 = else
        var remaining = n
        for (bi, br) in branches.enumerated() where remaining > 0 {
            let c = try Evaluator.evaluate(br.condition, block)
            guard case .uint8(let bits) = c.data else { continue }
            for i in 0..<n where chosen[i] == -1 && bits[i] != 0 && !c.isNull(i) {
                chosen[i] = Int32(bi)
                remaining -= 1
            }
        }
        var results: [Column] = []
        for br in branches { results.append(try Cast.column(try Evaluator.evaluate(br.result, block), to: t)) }
        let elseCol: Column = try elseExpr.map { try Cast.column(try Evaluator.evaluate($0, block), to: t) }
            ?? Column.constant(.null, type: t.nullable, count: n)
        // Assemble by gathering from a concatenation: candidates = results... + else.
        var all = Column.empty(t.nullable, capacity: n * (branches.count + 1))
        for r in results { all.append(contentsOf: r) }
        all.append(contentsOf: elseCol)
        var idx = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let b = chosen[i] == -1 ? branches.count : Int(chosen[i])
            idx[i] = Int32(b * n + i)
        }
        var out = all.gather(idx)
        out.type = t
        if out.validity != nil { out.type.isNullable = true }
        return out
    }
}
