import AurumCore

// Conditional and NULL functions: if, multiIf, coalesce, ifNull, nullIf, greatest, least,
// isNull, isNotNull, assumeNotNull. These look at validity themselves (`NullHandling.custom`).

/// Builds a column taking row i from `sources[choice[i]]` (each source has n rows or 1 row).
func pickRows(_ sources: [Column], _ choice: [Int32], _ t: DataType, _ n: Int) -> Column {
    var all = Column.empty(t.nullable, capacity: n * sources.count)
    var starts: [Int] = []
    for s in sources {
        starts.append(all.count)
        var c = s
        c.type = t.nullable
        all.append(contentsOf: c)
    }
    var idx = [Int32](repeating: 0, count: n)
    for i in 0..<n {
        let k = Int(choice[i])
        idx[i] = Int32(starts[k] + (sources[k].count == 1 ? 0 : i))
    }
    var out = all.gather(idx)
    out.type = t
    if out.validity != nil { out.type.isNullable = true }
    return out
}

private func truthy(_ c: Column, _ i: Int) -> Bool {
    guard isValid(c, i), case .uint8(let b) = c.data else { return false }
    return b[c.count == 1 ? 0 : i] != 0
}

private func unify(_ name: String, _ types: [DataType]) throws -> DataType {
    var t = types[0]
    for x in types.dropFirst() {
        guard let s = TypeRules.supertype(t, x) else {
            throw AurumError(.datatypeMismatch, "\(name): cannot find a common type for \(types.map { $0.description }.joined(separator: ", "))")
        }
        t = s
    }
    return t
}

private func custom(_ name: String, _ rt: DataType, _ k: @escaping @Sendable ([Column], Int) throws -> Column) -> BoundFunction {
    BoundFunction(name: name, returnType: rt, kernel: ScalarKernel(k), nulls: .custom)
}

private func boolType(_ t: DataType) -> Bool { t.base == .bool || t.isInteger || t.base == .nothing }

let conditionalFunctions: [([String], ScalarResolver)] = [
    (["if"], { name, a in
        try FunctionRegistry.argCount(name, a, 3...3)
        guard boolType(a[0]) else { throw FunctionRegistry.typeError(name, a) }
        let t = try unify(name, [a[1], a[2]])
        return ResolvedFunction(argumentTypes: [DataType(.bool, nullable: a[0].isNullable), t, t], function: custom(name, t) { c, n in
            let choice = (0..<n).map { Int32(truthy(c[0], $0) ? 0 : 1) }
            return pickRows([c[1], c[2]], choice, t, n)
        })
    }),
    (["multiIf"], { name, a in
        guard a.count >= 3, a.count % 2 == 1 else {
            throw AurumError(.undefinedFunction, "multiIf expects an odd number (>= 3) of arguments: cond1, then1, ..., else")
        }
        let results = stride(from: 1, to: a.count, by: 2).map { a[$0] } + [a[a.count - 1]]
        let t = try unify(name, results)
        var argTypes: [DataType] = []
        for i in 0..<a.count { argTypes.append(i % 2 == 0 && i != a.count - 1 ? DataType(.bool, nullable: a[i].isNullable) : t) }
        return ResolvedFunction(argumentTypes: argTypes, function: custom(name, t) { c, n in
            let pairs = (c.count - 1) / 2
            var choice = [Int32](repeating: Int32(pairs), count: n)
            for i in 0..<n {
                for p in 0..<pairs where truthy(c[2 * p], i) { choice[i] = Int32(p); break }
            }
            let sources = (0..<pairs).map { c[2 * $0 + 1] } + [c[c.count - 1]]
            return pickRows(sources, choice, t, n)
        })
    }),
    (["coalesce", "ifNull", "nvl"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...64)
        if name.lowercased() == "ifnull" { try FunctionRegistry.argCount(name, a, 2...2) }
        var t = try unify(name, a)
        t.isNullable = a.allSatisfy { $0.isNullable }
        let target = t
        return ResolvedFunction(argumentTypes: a.map { x in var y = target; y.isNullable = x.isNullable; return y }, function: custom(name, t) { c, n in
            var choice = [Int32](repeating: Int32(c.count - 1), count: n)
            for i in 0..<n {
                for k in 0..<c.count where isValid(c[k], i) { choice[i] = Int32(k); break }
            }
            return pickRows(c, choice, target, n)
        })
    }),
    (["nullIf"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard let ct = TypeRules.comparisonType(a[0], a[1]) else { throw FunctionRegistry.typeError(name, a) }
        let t = a[0].plain.nullable
        return ResolvedFunction(argumentTypes: [a[0], ct.nullable], function: custom(name, t) { c, n in
            let x = try Cast.column(c[0], to: ct.nullable)
            let eq = try Compare.run(.eq, x, c[1], count: n)
            var out = Evaluator.broadcast(c[0], n)
            var v = out.validity ?? [UInt8](repeating: 1, count: n)
            if case .uint8(let bits) = eq.data {
                for i in 0..<n where bits[i] != 0 && !eq.isNull(i) { v[i] = 0 }
            }
            out.validity = v
            out.type = t
            return out
        })
    }),
    (["greatest", "least"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...64)
        let t = try unify(name, a)
        let greatest = name.lowercased() == "greatest"
        return ResolvedFunction(argumentTypes: a.map { _ in t }, function: custom(name, t) { c, n in
            // PostgreSQL: NULL arguments are ignored; NULL only if all are NULL.
            var best = Evaluator.broadcast(c[0], n)
            for k in 1..<c.count {
                let other = Evaluator.broadcast(c[k], n)
                let cmp = try Compare.run(greatest ? .gt : .lt, other, best, count: n)
                guard case .uint8(let bits) = cmp.data else { continue }
                var choice = [Int32](repeating: 0, count: n)
                for i in 0..<n {
                    let ov = isValid(other, i), bv = isValid(best, i)
                    if ov && (!bv || bits[i] != 0) { choice[i] = 1 }
                }
                best = pickRows([best, other], choice, t, n)
            }
            return best
        })
    }),
    (["isNull"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        return ResolvedFunction(argumentTypes: a, function: custom(name, .bool) { c, n in
            Column(type: .bool, data: .uint8((0..<n).map { isValid(c[0], $0) ? 0 : 1 }))
        })
    }),
    (["isNotNull"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        return ResolvedFunction(argumentTypes: a, function: custom(name, .bool) { c, n in
            Column(type: .bool, data: .uint8((0..<n).map { isValid(c[0], $0) ? 1 : 0 }))
        })
    }),
    (["assumeNotNull"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let t = a[0].nonNullable
        return ResolvedFunction(argumentTypes: a, function: custom(name, t) { c, _ in var x = c[0]; x.validity = nil; x.type = t; return x })
    }),
]
