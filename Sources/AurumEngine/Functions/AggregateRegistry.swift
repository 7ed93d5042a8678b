import AurumCore
import Foundation

/// Resolved aggregate: result type, argument casts, state factory.
struct ResolvedAggregate {
    var returnType: DataType
    var argumentTypes: [DataType]
    var makeState: @Sendable () -> AggregateState
}

enum AggregateRegistry {
    static let names: Set<String> = [
        "count", "sum", "avg", "min", "max", "any", "anylast", "any_value", "argmin", "argmax", "uniq", "uniqexact",
        "quantile", "median", "stddevpop", "stddevsamp", "varpop", "varsamp", "grouparray", "stddev", "stddev_pop",
        "stddev_samp", "variance", "var_pop", "var_samp", "string_agg", "bool_and", "bool_or", "every", "array_agg",
        "first_value", "last_value", "groupuniqarray",
    ]

    /// True if `name` (or `name` without an `If` suffix) is an aggregate.
    static func isAggregate(_ name: String) -> Bool {
        let l = name.lowercased()
        if names.contains(l) { return true }
        if l.hasSuffix("if") && names.contains(String(l.dropLast(2))) { return true }
        return false
    }

    static func minMax(_ t: DataType, isMax: Bool) -> @Sendable () -> AggregateState {
        let pt = t.plain
        switch pt.physical {
        case .int8: return { MinMaxState<Int8>(isMax: isMax, type: pt, extract: { if case .int8(let a) = $0 { return a }; return [] }, build: { .int8($0) }) }
        case .int16: return { MinMaxState<Int16>(isMax: isMax, type: pt, extract: { if case .int16(let a) = $0 { return a }; return [] }, build: { .int16($0) }) }
        case .int32: return { MinMaxState<Int32>(isMax: isMax, type: pt, extract: { if case .int32(let a) = $0 { return a }; return [] }, build: { .int32($0) }) }
        case .int64: return { MinMaxState<Int64>(isMax: isMax, type: pt, extract: { if case .int64(let a) = $0 { return a }; return [] }, build: { .int64($0) }) }
        case .int128: return { MinMaxState<Int128>(isMax: isMax, type: pt, extract: { if case .int128(let a) = $0 { return a }; return [] }, build: { .int128($0) }) }
        case .uint8: return { MinMaxState<UInt8>(isMax: isMax, type: pt, extract: { if case .uint8(let a) = $0 { return a }; return [] }, build: { .uint8($0) }) }
        case .uint16: return { MinMaxState<UInt16>(isMax: isMax, type: pt, extract: { if case .uint16(let a) = $0 { return a }; return [] }, build: { .uint16($0) }) }
        case .uint32: return { MinMaxState<UInt32>(isMax: isMax, type: pt, extract: { if case .uint32(let a) = $0 { return a }; return [] }, build: { .uint32($0) }) }
        case .uint64: return { MinMaxState<UInt64>(isMax: isMax, type: pt, extract: { if case .uint64(let a) = $0 { return a }; return [] }, build: { .uint64($0) }) }
        case .uint128: return { MinMaxState<UInt128>(isMax: isMax, type: pt, extract: { if case .uint128(let a) = $0 { return a }; return [] }, build: { .uint128($0) }) }
        case .float32: return { MinMaxState<Float>(isMax: isMax, type: pt, extract: { if case .float32(let a) = $0 { return a }; return [] }, build: { .float32($0) }) }
        case .float64: return { MinMaxState<Double>(isMax: isMax, type: pt, extract: { if case .float64(let a) = $0 { return a }; return [] }, build: { .float64($0) }) }
        case .string:
            return {
                MinMaxState<ByteString>(isMax: isMax, type: pt, extract: { d in
                    guard case .string(let s) = d else { return [] }
                    return (0..<s.count).map { ByteString(Array(s.byteSlice(at: $0))) }
                }, build: { vals in .string(StringArray(offsets: offsetsOf(vals), bytes: vals.flatMap { $0.bytes })) })
            }
        }
    }

    static func resolve(_ rawName: String, parameters: [Value], args: [DataType], distinct: Bool, star: Bool) throws -> ResolvedAggregate {
        let name = rawName.lowercased()
        func need(_ n: ClosedRange<Int>) throws { try FunctionRegistry.argCount(rawName, args, n) }
        func numeric(_ t: DataType) throws {
            guard t.isNumeric || t.base == .bool || t.base == .nothing else {
                throw AurumError(.undefinedFunction, "function \(rawName)(\(t.plain)) does not exist", hint: "\(rawName) needs a numeric argument")
            }
        }
        if distinct && name != "count" && name != "sum" && name != "avg" && name != "string_agg" && name != "grouparray" && name != "array_agg" && name != "uniq" && name != "uniqexact" && name != "min" && name != "max" {
            throw AurumError.notSupported("\(rawName)(DISTINCT ...) is not supported")
        }
        switch name {
        case "count":
            if star || args.isEmpty { return ResolvedAggregate(returnType: .int64, argumentTypes: [], makeState: { CountState(star: true) }) }
            if distinct {
                let t = args[0]
                return ResolvedAggregate(returnType: .int64, argumentTypes: [t], makeState: {
                    DistinctCountState(valueType: t, resultType: .int64)
                })
            }
            return ResolvedAggregate(returnType: .int64, argumentTypes: [args[0]], makeState: { CountState(star: false) })
        case "uniq", "uniqexact":
            try need(1...1)
            let t = args[0]
            return ResolvedAggregate(returnType: .uint64, argumentTypes: args, makeState: {
                DistinctCountState(valueType: t, resultType: .uint64)
            })
        case "sum", "avg":
            try need(1...1)
            let t = args[0]
            try numeric(t)
            let isAvg = name == "avg"
            let kind: SumKind
            var rt: DataType
            if t.isFloat { kind = .float; rt = .float64 }
            else if t.isDecimal {
                kind = .decimal(scale: t.decimalScale)
                rt = isAvg ? .decimal(38, max(t.decimalScale, 6)) : .decimal(38, t.decimalScale)
            } else if t.isUnsignedInteger { kind = .uint; rt = isAvg ? .float64 : .uint64 }
            else { kind = .int; rt = isAvg ? .float64 : .int64 }
            // Sums of 64-bit integers can exceed Int64/UInt64 with two rows: they accumulate in
            // Int128 and return Decimal(38, 0) (PostgreSQL: numeric, DuckDB: HUGEINT); DESIGN.md.
            if !isAvg && (t.base == .int64 || t.base == .uint64) { rt = .decimal(38, 0) }
            let argT = t.base == .bool || t.base == .nothing ? DataType.int64 : t.plain
            let finalT = rt
            if distinct {
                return ResolvedAggregate(returnType: rt.nullable, argumentTypes: [argT], makeState: {
                    ValueListState(distinct: true) { lists, _, n in
                        let st = SumState(kind: kind, avg: isAvg, resultType: finalT)
                        st.resize(n)
                        for g in 0..<n {
                            let col = columnFromValues(lists[g], argT)
                            let groups = [Int32](repeating: Int32(g), count: col.count)
                            try groups.withUnsafeBufferPointer { try st.update([col], $0) }
                        }
                        return try st.finalize(n)
                    }
                })
            }
            return ResolvedAggregate(returnType: rt.nullable, argumentTypes: [argT], makeState: { SumState(kind: kind, avg: isAvg, resultType: finalT) })
        case "min", "max":
            try need(1...1)
            return ResolvedAggregate(returnType: args[0].plain.nullable, argumentTypes: [args[0]], makeState: minMax(args[0], isMax: name == "max"))
        case "any", "any_value", "first_value", "anylast", "last_value":
            try need(1...1)
            let t = args[0].plain
            let last = name == "anylast" || name == "last_value"
            return ResolvedAggregate(returnType: t.nullable, argumentTypes: [args[0]], makeState: {
                ValueListState { lists, _, n in columnFromValues((0..<n).map { (last ? lists[$0].last : lists[$0].first) ?? .null }, t) }
            })
        case "argmin", "argmax":
            try need(2...2)
            let t = args[0].plain
            let isMax = name == "argmax"
            let vt = args[1]
            return ResolvedAggregate(returnType: t.nullable, argumentTypes: [vt, args[0]], makeState: {
                // lists = values compared (arg 2), extra = results (arg 1); argument order swapped at bind
                ValueListState(keepPairs: true) { lists, extra, n in
                    var out: [Value] = []
                    for g in 0..<n {
                        var best: Int? = nil
                        for (i, v) in lists[g].enumerated() {
                            if let b = best {
                                let c = compareValues(v, lists[g][b])
                                if isMax ? c > 0 : c < 0 { best = i }
                            } else { best = i }
                        }
                        out.append(best.map { extra[g][$0] } ?? .null)
                    }
                    return columnFromValues(out, t)
                }
            })
        case "quantile", "median":
            try need(1...1)
            try numeric(args[0])
            let q = name == "median" ? 0.5 : (parameters.first?.asDouble ?? 0.5)
            guard q >= 0 && q <= 1 else { throw AurumError(.invalidParameterValue, "quantile level must be between 0 and 1, got \(q)") }
            return ResolvedAggregate(returnType: DataType.float64.nullable, argumentTypes: [.float64], makeState: {
                ValueListState { lists, _, n in
                    columnFromValues((0..<n).map { g in
                        let xs = lists[g].compactMap { $0.asDouble }.sorted()
                        if xs.isEmpty { return .null }
                        // linear interpolation (ClickHouse quantileExactInclusive / PostgreSQL percentile_cont)
                        let pos = q * Double(xs.count - 1)
                        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, xs.count - 1)
                        return .float(xs[lo] + (xs[hi] - xs[lo]) * (pos - Double(lo)))
                    }, .float64)
                }
            })
        case "stddevpop", "stddev_pop", "stddevsamp", "stddev_samp", "stddev", "varpop", "var_pop", "varsamp", "var_samp", "variance":
            try need(1...1)
            try numeric(args[0])
            let samp = name.contains("samp") || name == "stddev" || name == "variance"
            let sq = name.hasPrefix("stddev")
            return ResolvedAggregate(returnType: DataType.float64.nullable, argumentTypes: [.float64], makeState: {
                ValueListState { lists, _, n in
                    columnFromValues((0..<n).map { g in
                        let xs = lists[g].compactMap { $0.asDouble }
                        let k = Double(xs.count)
                        if xs.isEmpty || (samp && xs.count < 2) { return .null }
                        let mean = xs.reduce(0, +) / k
                        let ss = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                        let v = ss / (samp ? k - 1 : k)
                        return .float(sq ? v.squareRoot() : v)
                    }, .float64)
                }
            })
        case "grouparray", "array_agg", "groupuniqarray":
            try need(1...1)
            let quote = args[0].isString || args[0].isTemporal || args[0].base == .uuid
            let uniq = distinct || name == "groupuniqarray"
            return ResolvedAggregate(returnType: .string, argumentTypes: [args[0]], makeState: {
                ValueListState(distinct: uniq) { lists, _, n in
                    columnFromValues((0..<n).map { g in
                        .string("[" + lists[g].map { quote ? "'" + $0.description.replacingOccurrences(of: "'", with: "\\'") + "'" : $0.description }.joined(separator: ",") + "]")
                    }, .string)
                }
            })
        case "string_agg":
            try need(2...2)
            return ResolvedAggregate(returnType: DataType.string.nullable, argumentTypes: [.string, .string], makeState: {
                ValueListState(keepPairs: true, distinct: distinct) { lists, extra, n in
                    columnFromValues((0..<n).map { g in
                        if lists[g].isEmpty { return .null }
                        var s = ""
                        for (i, v) in lists[g].enumerated() {
                            if i > 0 { s += extra[g].indices.contains(i) ? extra[g][i].description : (extra[g].first?.description ?? "") }
                            s += v.description
                        }
                        return .string(s)
                    }, .string)
                }
            })
        case "bool_and", "every", "bool_or":
            try need(1...1)
            let isAnd = name != "bool_or"
            return ResolvedAggregate(returnType: DataType.bool.nullable, argumentTypes: [.bool], makeState: {
                ValueListState { lists, _, n in
                    columnFromValues((0..<n).map { g in
                        let bs = lists[g].compactMap { $0.asBool }
                        if bs.isEmpty { return .null }
                        return .bool(isAnd ? bs.allSatisfy { $0 } : bs.contains(true))
                    }, .bool)
                }
            })
        default:
            throw AurumError(.undefinedFunction, "aggregate function \(rawName) does not exist")
        }
    }
}

/// Byte-wise comparable string for min/max states.
struct ByteString: Comparable, Hashable {
    var bytes: [UInt8]
    init(_ b: [UInt8]) { bytes = b }
    static func < (a: ByteString, b: ByteString) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

func offsetsOf(_ vals: [ByteString]) -> [UInt32] {
    var o: [UInt32] = [0]
    var n: UInt32 = 0
    for v in vals { n += UInt32(v.bytes.count); o.append(n) }
    return o
}

/// Total order on values of one type (NULLs first); used by slow-path aggregates and sorting of Values.
func compareValues(_ a: Value, _ b: Value) -> Int {
    switch (a, b) {
    case (.null, .null): return 0
    case (.null, _): return -1
    case (_, .null): return 1
    case (.string(let x), .string(let y)):
        return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (x == y ? 0 : 1)
    case (.decimal(let x, let s1), .decimal(let y, let s2)):
        let s = max(s1, s2)
        let xx = DecimalMath.rescale(x, from: s1, to: s) ?? x, yy = DecimalMath.rescale(y, from: s2, to: s) ?? y
        return xx < yy ? -1 : (xx == yy ? 0 : 1)
    case (.uuid(let x), .uuid(let y)): return x < y ? -1 : (x == y ? 0 : 1)
    case (.float, _), (_, .float):
        let x = a.asDouble ?? 0, y = b.asDouble ?? 0
        return x < y ? -1 : (x == y ? 0 : 1)
    default:
        let x = a.rawInt128, y = b.rawInt128
        return x < y ? -1 : (x == y ? 0 : 1)
    }
}
