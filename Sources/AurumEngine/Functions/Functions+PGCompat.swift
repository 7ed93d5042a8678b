import AurumCore
import AurumSQL
import Foundation
import Synchronization

// PostgreSQL compatibility functions that drivers and BI tools call while introspecting
// (docs/pg-compat.md): pure ones are registered in `pgCompatFunctions`; the ones that read the
// session or the catalog are bound in `Binder.bindPGCompatFunction`.
//
// Arrays: Aurum has no array type. Catalog array columns and functions that return arrays
// (current_schemas) use PostgreSQL's array text form `{a,b,"c d"}`; `x = ANY(text)`,
// array_to_string, array_length, cardinality, unnest and _pg_expandarray read that form.

enum PGArrayText {
    /// Parses `{a,b,"c,d",NULL}` (or an int2vector/oidvector `1 2 3`) into elements (nil = NULL).
    static func parse(_ s: String) -> [String?] {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("[") && t.hasSuffix("]") {
            // array_agg/groupArray text: [1,2] or ['a','b'] (quotes escaped with a backslash)
            let body = Array(t.dropFirst().dropLast())
            if body.isEmpty { return [] }
            var out: [String?] = []
            var cur = "", quoted = false, i = 0
            while i < body.count {
                let c = body[i]
                if quoted {
                    if c == "\\" && i + 1 < body.count { cur.append(body[i + 1]); i += 2; continue }
                    if c == "'" { quoted = false } else { cur.append(c) }
                } else if c == "'" { quoted = true } else if c == "," { out.append(cur); cur = "" } else { cur.append(c) }
                i += 1
            }
            out.append(cur)
            return out
        }
        guard t.hasPrefix("{") && t.hasSuffix("}") else {
            return t.split(separator: " ").map { String($0) }
        }
        let body = Array(t.dropFirst().dropLast())
        if body.isEmpty { return [] }
        var out: [String?] = []
        var cur = ""
        var quoted = false, wasQuoted = false
        var i = 0
        while i < body.count {
            let c = body[i]
            if quoted {
                if c == "\\" && i + 1 < body.count { cur.append(body[i + 1]); i += 2; continue }
                if c == "\"" { quoted = false } else { cur.append(c) }
            } else if c == "\"" {
                quoted = true; wasQuoted = true
            } else if c == "," {
                out.append(!wasQuoted && cur.uppercased() == "NULL" ? nil : cur)
                cur = ""; wasQuoted = false
            } else if !(c == " " && cur.isEmpty) {
                cur.append(c)
            }
            i += 1
        }
        out.append(!wasQuoted && cur.uppercased() == "NULL" ? nil : cur)
        return out
    }

    /// Formats elements as array text, quoting where PostgreSQL does.
    static func format(_ xs: [String?]) -> String {
        "{" + xs.map { x -> String in
            guard let x else { return "NULL" }
            let needs = x.isEmpty || x.uppercased() == "NULL" || x.contains(where: { ",{}\"\\ ".contains($0) })
            if !needs { return x }
            return "\"" + x.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

/// Regex matching for `~`, `~*`, `!~`, `!~*` (compiled patterns are cached per kernel call).
private func regexResolver(caseInsensitive: Bool, negate: Bool) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy({ $0.isString || $0.base == .nothing }) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .bool) { c, n in
            var cache: [String: Regex<AnyRegexOutput>] = [:]
            var out = [UInt8](repeating: 0, count: n)
            let s = c[0].strings, p = c[1].strings
            for i in 0..<n where isValid(c[0], i) && isValid(c[1], i) {
                let pattern = p.string(at: c[1].count == 1 ? 0 : i)
                let re: Regex<AnyRegexOutput>
                if let r = cache[pattern] { re = r } else {
                    do { re = caseInsensitive ? try Regex(pattern).ignoresCase() : try Regex(pattern) } catch {
                        throw AurumError(.invalidRegularExpression, "invalid regular expression: \(pattern)")
                    }
                    cache[pattern] = re
                }
                let hit = s.string(at: c[0].count == 1 ? 0 : i).contains(re)
                out[i] = hit != negate ? 1 : 0
            }
            return Column(type: .bool, data: .uint8(out))
        }
    }
}

/// A function evaluated row by row on `Value`s (catalog-sized inputs). NULLs are passed in.
func rowwiseFunction(_ name: String, returns: DataType, deterministic: Bool = true,
                     _ f: @escaping @Sendable ([Value]) throws -> Value) -> BoundFunction {
    let rt = returns.nullable
    return BoundFunction(name: name, returnType: rt, kernel: ScalarKernel { cols, n in
        var out: [Value] = []
        out.reserveCapacity(n)
        for r in 0..<n { out.append(try f(cols.map { $0.value(at: $0.count == 1 ? 0 : r) })) }
        var c = columnFromValues(out, rt)
        c.type = rt
        if c.validity == nil { c.validity = [UInt8](repeating: 1, count: n) }
        return c
    }, nulls: .custom, deterministic: deterministic)
}

private func rowwise(_ names: [String], arity: ClosedRange<Int>, returns: DataType,
                     _ f: @escaping @Sendable ([Value]) throws -> Value) -> ([String], ScalarResolver) {
    (names, { name, a in
        try FunctionRegistry.argCount(name, a, arity)
        return ResolvedFunction(argumentTypes: a, function: rowwiseFunction(name, returns: returns, f))
    })
}

func pgText(_ v: Value) -> String? { v.isNull ? nil : (v.asString ?? "\(v)") }

let pgCompatFunctions: [([String], ScalarResolver)] = [
    (["pg_regex_match"], regexResolver(caseInsensitive: false, negate: false)),
    (["pg_regex_imatch"], regexResolver(caseInsensitive: true, negate: false)),
    (["pg_regex_not_match"], regexResolver(caseInsensitive: false, negate: true)),
    (["pg_regex_not_imatch"], regexResolver(caseInsensitive: true, negate: true)),
    rowwise(["format_type"], arity: 2...2, returns: .string) { v in
        guard let oid = v[0].asInt64 else { return .null }
        let mod = Int32(truncatingIfNeeded: v[1].asInt64 ?? -1)
        return .string(PGTypeCatalog.formatType(oid: UInt32(truncatingIfNeeded: oid), modifier: mod) ?? "???")
    },
    rowwise(["pg_encoding_to_char"], arity: 1...1, returns: .string) { v in
        guard let e = v[0].asInt64 else { return .null }
        return .string(e == 6 ? "UTF8" : (e == 0 ? "SQL_ASCII" : ""))
    },
    // adbin holds the default expression's SQL text, so pg_get_expr returns it
    rowwise(["pg_get_expr"], arity: 2...3, returns: .string) { v in v[0].isNull ? .null : .string(pgText(v[0])!) },
    // Aurum has no indexes, constraints or views: no definition to print
    rowwise(["pg_get_indexdef"], arity: 1...3, returns: .string) { _ in .null },
    rowwise(["pg_get_constraintdef"], arity: 1...2, returns: .string) { _ in .null },
    rowwise(["pg_get_viewdef"], arity: 1...2, returns: .string) { _ in .null },
    rowwise(["pg_get_triggerdef", "pg_get_ruledef", "pg_get_partkeydef", "pg_get_statisticsobjdef_columns"], arity: 1...2, returns: .string) { _ in .null },
    rowwise(["pg_type_is_visible", "pg_function_is_visible"], arity: 1...1, returns: .bool) { v in v[0].isNull ? .null : .bool(true) },
    rowwise(["array_to_string"], arity: 2...3, returns: .string) { v in
        guard let a = pgText(v[0]), let sep = pgText(v[1]) else { return .null }
        let nullText = v.count > 2 ? pgText(v[2]) : nil
        return .string(PGArrayText.parse(a).compactMap { $0 ?? nullText }.joined(separator: sep))
    },
    rowwise(["array_length"], arity: 2...2, returns: .int32) { v in
        guard let a = pgText(v[0]), v[1].asInt64 == 1 else { return .null }
        let n = PGArrayText.parse(a).count
        return n == 0 ? .null : .int(Int64(n))
    },
    rowwise(["cardinality"], arity: 1...1, returns: .int32) { v in
        guard let a = pgText(v[0]) else { return .null }
        return .int(Int64(PGArrayText.parse(a).count))
    },
    rowwise(["array_upper"], arity: 2...2, returns: .int32) { v in
        guard let a = pgText(v[0]), v[1].asInt64 == 1 else { return .null }
        let n = PGArrayText.parse(a).count
        return n == 0 ? .null : .int(Int64(n))
    },
    rowwise(["array_lower"], arity: 2...2, returns: .int32) { v in
        guard let a = pgText(v[0]), v[1].asInt64 == 1, !PGArrayText.parse(a).isEmpty else { return .null }
        return .int(1)
    },
    // LIKE ... ESCAPE 'c': the pattern rewritten to LIKE's backslash escapes
    rowwise(["pg_like_escape"], arity: 2...2, returns: .string) { v in
        guard let p = pgText(v[0]), let e = pgText(v[1]) else { return .null }
        guard e.count <= 1 else { throw AurumError(.invalidParameterValue, "invalid escape string", hint: "Escape string must be empty or one character.") }
        if e == "\\" { return .string(p) }
        var out = ""
        var chars = p.makeIterator()
        while let c = chars.next() {
            if let ec = e.first, c == ec {
                if let n = chars.next() { out.append("\\"); out.append(n) }
            } else if c == "\\" {
                out += "\\\\"
            } else { out.append(c) }
        }
        return .string(out)
    },
    rowwise(["json_build_object"], arity: 0...100, returns: .string) { v in
        guard v.count % 2 == 0 else { throw AurumError(.invalidParameterValue, "argument list must have even number of elements") }
        func json(_ x: Value) -> String {
            switch x {
            case .null: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .int, .uint, .float, .decimal, .int128: return "\(x)"
            default:
                var s = "\""
                for c in (pgText(x) ?? "").unicodeScalars {
                    switch c {
                    case "\"": s += "\\\""
                    case "\\": s += "\\\\"
                    case "\n": s += "\\n"
                    default: s.unicodeScalars.append(c)
                    }
                }
                return s + "\""
            }
        }
        var parts: [String] = []
        for k in stride(from: 0, to: v.count, by: 2) {
            guard !v[k].isNull else { throw AurumError(.nullValueNotAllowed, "null value not allowed for object key") }
            parts.append(json(.string(pgText(v[k]) ?? "")) + " : " + json(v[k + 1]))
        }
        return .string("{" + parts.joined(separator: ", ") + "}")
    },
    rowwise(["pg_collation_is_visible", "pg_opclass_is_visible", "pg_conversion_is_visible"], arity: 1...1, returns: .bool) { v in v[0].isNull ? .null : .bool(true) },
    // Set-returning functions in a select list are not supported; they bind (catalog queries
    // over tables Aurum has no rows for, such as pg_index, still run) and fail on the first row.
    (["unnest", "generate_subscripts", "_pg_expandarray"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...2)
        let rt = name.lowercased() == "generate_subscripts" ? DataType.int32.nullable : DataType.string.nullable
        return ResolvedFunction(argumentTypes: a, function: BoundFunction(name: name, returnType: rt, kernel: ScalarKernel { _, n in
            if n > 0 { throw AurumError(.featureNotSupported, "set-returning function \(name)() in a select list is not supported yet; use it in FROM") }
            return zeroColumn(rt, 0)
        }, nulls: .custom, deterministic: false))
    }),
    // PostgreSQL's units: bytes below 10 kB, then kB, MB, GB, TB rounded half up
    rowwise(["pg_size_pretty"], arity: 1...1, returns: .string) { v in
        guard let n = v[0].asInt64 else { return .null }
        if abs(n) < 10 * 1024 { return .string("\(n) bytes") }
        var half = n >> 9
        for unit in ["kB", "MB", "GB", "TB"] {
            if abs(half) < 20 * 1024 - 1 || unit == "TB" { return .string("\((half + (half < 0 ? 0 : 1)) / 2) \(unit)") }
            half >>= 10
        }
        return .null
    },
    // (record).field: Aurum has no composite values (the records of _pg_expandarray in a select
    // list); binds as an integer field so catalog queries over empty tables run
    (["pg_record_field"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        return ResolvedFunction(argumentTypes: a, function: BoundFunction(name: name, returnType: DataType.int32.nullable, kernel: ScalarKernel { _, n in
            if n > 0 { throw AurumError(.featureNotSupported, "composite field selection is not supported yet") }
            return zeroColumn(DataType.int32.nullable, 0)
        }, nulls: .custom, deterministic: false))
    }),
    (["pg_bitand"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        // integers, or array-text elements (indoption[k] & 1)
        guard a.allSatisfy({ $0.isInteger || $0.isString || $0.base == .nothing }) else { throw FunctionRegistry.typeError("&", a) }
        return ResolvedFunction(argumentTypes: a, function: rowwiseFunction(name, returns: .int64) { v in
            func int(_ x: Value) throws -> Int64? {
                if x.isNull { return nil }
                if let s = x.asString {
                    guard let n = Int64(s) else { throw AurumError(.invalidTextRepresentation, "invalid input syntax for type bigint: \"\(s)\"") }
                    return n
                }
                return x.asInt64
            }
            guard let x = try int(v[0]), let y = try int(v[1]) else { return .null }
            return .int(x & y)
        })
    }),
    rowwise(["string_to_array"], arity: 2...3, returns: .string) { v in
        guard let s = pgText(v[0]) else { return .null }
        let nullText = v.count > 2 ? pgText(v[2]) : nil
        let parts: [String]
        if let sep = pgText(v[1]) {
            parts = s.isEmpty ? [] : (sep.isEmpty ? [s] : s.components(separatedBy: sep))
        } else {
            parts = s.map { String($0) }
        }
        return .string(PGArrayText.format(parts.map { $0 == nullText ? nil : $0 }))
    },
    rowwise(["pg_array_element"], arity: 2...2, returns: .string) { v in
        guard let a = pgText(v[0]), let k = v[1].asInt64 else { return .null }
        let xs = PGArrayText.parse(a)
        guard k >= 1 && k <= xs.count, let e = xs[Int(k - 1)] else { return .null }
        return .string(e)
    },
    rowwise(["pg_array_contains"], arity: 2...2, returns: .bool) { v in
        guard let a = pgText(v[0]), let x = pgText(v[1]) else { return .null }
        let xs = PGArrayText.parse(a)
        if xs.contains(where: { $0 == x }) { return .bool(true) }
        return xs.contains(where: { $0 == nil }) ? .null : .bool(false)
    },
    rowwise(["quote_ident"], arity: 1...1, returns: .string) { v in
        guard let s = pgText(v[0]) else { return .null }
        let plain = s.first.map { $0 == "_" || ($0.isLetter && $0.isLowercase) } == true
            && s.allSatisfy { $0 == "_" || ($0.isLetter && $0.isLowercase) || $0.isNumber }
        return .string(plain ? s : "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
    },
    // Aurum has no logical replication: nothing is published
    rowwise(["pg_relation_is_publishable"], arity: 1...1, returns: .bool) { v in v[0].isNull ? .null : .bool(false) },
    rowwise(["pg_is_in_recovery"], arity: 0...0, returns: .bool) { _ in .bool(false) },
]

/// When this server process started (Linux: /proc/self/stat starttime + boot time), for
/// pg_postmaster_start_time(); elsewhere the first time it is asked.
let pgStartTime: Date = {
    if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
       let boot = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
       let close = stat.lastIndex(of: ")") {
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let btime = boot.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // fields[0] is the state (field 3); starttime is field 22
        if fields.count > 19, let start = Double(fields[19]), let btime, ticks > 0 {
            return Date(timeIntervalSince1970: btime + start / ticks)
        }
    }
    return Date()
}()
let pgTxidCounter = Atomic<Int64>(1000)

extension Column {
    func retyped(_ t: DataType) -> Column { var c = self; c.type = t; return c }
}

/// Lets a kernel call back into the session (correlated subqueries run per outer row).
struct SessionBox: @unchecked Sendable { let session: SessionContext }

/// A correlated subquery's enclosing query: its FROM scope and, when the subquery is bound for
/// one outer row, that row's values.
final class CorrelationFrame: @unchecked Sendable {
    let scope: Scope
    let values: [Int: Value]?
    var refs: [Int] = []
    init(scope: Scope, values: [Int: Value]?) { self.scope = scope; self.values = values }
}

extension Binder {
    // MARK: correlated subqueries

    /// An outer column reference from inside a subquery: the outer row's value, or (while
    /// discovering the references) a typed NULL placeholder.
    func resolveOuterColumn(_ n: QualifiedName) throws -> BoundExpr? {
        for f in correlation.reversed() {
            guard let i = try f.scope.resolve(n) else { continue }
            let t = f.scope.columns[i].type
            if let vals = f.values {
                let v = vals[i] ?? .null
                return .constant(v, v.isNull ? t.nullable : t.nonNullable)
            }
            if !f.refs.contains(i) { f.refs.append(i) }
            return .constant(.null, t.nullable)
        }
        return nil
    }

    enum SubqueryKind { case scalar, exists(negated: Bool), array }
    /// A bound subquery: an expression (evaluated per outer row when it reads the enclosing
    /// query), or the plan of an uncorrelated subquery for the caller to run.
    enum BoundSubquery { case expression(BoundExpr), plan(Plan) }

    /// Binds a subquery expression; a subquery that reads columns of the enclosing query is
    /// evaluated per outer row (bound again with that row's values: fine for catalog-sized inputs).
    func bindSubqueryExpr(_ q: Query, _ kind: SubqueryKind, _ scope: Scope, _ agg: AggregateCollector?, pos: Int) throws -> BoundSubquery {
        let frame = CorrelationFrame(scope: scope, values: nil)
        correlation.append(frame)
        let (p, _) = try bindQuery(q)
        correlation.removeLast()
        if frame.refs.isEmpty {
            if case .array = kind {
                guard p.types.count == 1 else { throw AurumError(.syntaxError, "subquery must return only one column", position: pos) }
                return .expression(.constant(.string(PGArrayText.format(try Self.column(of: p, session: session))), .string))
            }
            return .plan(p)
        }
        if agg != nil { throw AurumError(.featureNotSupported, "correlated subqueries are not supported in aggregate queries yet", position: pos) }
        let types = p.types
        if case .exists = kind {} else if types.count != 1 {
            throw AurumError(.syntaxError, "subquery must return only one column", position: pos)
        }
        let refs = frame.refs
        let args = refs.map { BoundExpr.column($0, scope.columns[$0].type) }
        let box = SessionBox(session: session)
        let outer = correlation
        let ctes = cteStack, withs = scalarWithStack, params = parameters, working = workingTables
        let rt: DataType
        switch kind {
        case .scalar: rt = types[0]
        case .exists: rt = .bool
        case .array: rt = .string
        }
        let cache = Mutex<[String: Value]>([:])
        let fn = rowwiseFunction("subquery", returns: rt, deterministic: false) { vals in
            let key = vals.map { "\($0)" }.joined(separator: "\u{1}")
            if let v = cache.withLock({ $0[key] }) { return v }
            let b = Binder(session: box.session, parameters: params)
            b.cteStack = ctes
            b.scalarWithStack = withs
            b.workingTables = working
            var row: [Int: Value] = [:]
            for (j, i) in refs.enumerated() { row[i] = vals[j] }
            b.correlation = outer + [CorrelationFrame(scope: scope, values: row)]
            let (plan, _) = try b.bindQuery(q)
            let result: Value
            switch kind {
            case .exists(let negated):
                let n = try box.session.run(.limit(plan, limit: 1, offset: 0)).reduce(0) { $0 + $1.count }
                result = .bool((n > 0) != negated)
            case .scalar:
                let blocks = try box.session.run(plan)
                let n = blocks.reduce(0) { $0 + $1.count }
                guard n <= 1 else { throw AurumError(.cardinalityViolation, "more than one row returned by a subquery used as an expression") }
                result = n == 0 ? .null : blocks.first(where: { $0.count > 0 })!.columns[0].value(at: 0)
            case .array:
                result = .string(PGArrayText.format(try Self.column(of: plan, session: box.session)))
            }
            cache.withLock { $0[key] = result }
            return result
        }
        return .expression(.call(fn, args))
    }

    static func column(of p: Plan, session: SessionContext) throws -> [String?] {
        var out: [String?] = []
        for b in try session.run(p) { for i in 0..<b.count { out.append(pgText(b.columns[0].value(at: i))) } }
        return out
    }

    // MARK: WITH RECURSIVE

    /// `WITH RECURSIVE name AS (anchor UNION [ALL] step)`: runs the anchor, then the step over
    /// the previous iteration's rows until it returns none (UNION also drops rows seen before).
    /// A CTE whose body does not have that shape, or whose step does not read it, binds as usual.
    func bindRecursiveCTE(_ cte: CommonTableExpression, alias: String?) throws -> (Plan, Scope)? {
        guard case .setOperation(let op, let anchor, let step) = cte.query.body, op == .unionAll || op == .unionDistinct,
              cte.query.orderBy.isEmpty, cte.query.limit == nil else { return nil }
        let key = cte.name.lowercased()
        guard workingTables[key] == nil else { return nil }
        let (ap, anames) = try bindBody(anchor)
        let names = anames.indices.map { $0 < cte.columnAliases.count ? cte.columnAliases[$0] : anames[$0] }
        let types = ap.types.map { $0.base == .nothing ? DataType.string.nullable : $0 }
        func materialize(_ p: Plan, _ ts: [DataType]) throws -> Block {
            let blocks = try session.run(p)
            var cols: [Column] = []
            for (i, t) in types.enumerated() {
                var vals: [Value] = []
                for b in blocks { for r in 0..<b.count { vals.append(try b.columns[i].value(at: r).cast(to: t.plain)) } }
                var c = columnFromValues(vals, t)
                c.type = t.nullable
                cols.append(c)
            }
            return Block(columns: cols, count: cols.first?.count ?? 0)
        }
        var all = try materialize(ap, ap.types)
        var seen = Set<String>()
        func rowKey(_ b: Block, _ r: Int) -> String { b.columns.map { "\($0.value(at: r))" }.joined(separator: "\u{1}") }
        if op == .unionDistinct {
            var kept: [Int] = []
            for r in 0..<all.count where seen.insert(rowKey(all, r)).inserted { kept.append(r) }
            all = Block(columns: all.columns.map { c in columnFromValues(kept.map { c.value(at: $0) }, c.type).retyped(c.type) }, count: kept.count)
        }
        var working = all
        var iterations = 0
        while working.count > 0 {
            iterations += 1
            if iterations > 10_000 || all.count > 1_000_000 {
                throw AurumError(.featureNotSupported, "WITH RECURSIVE \(cte.name): more than 10000 iterations or 1000000 rows")
            }
            let saved = workingTables
            workingTables[key] = (working, names)
            defer { workingTables = saved }
            let (sp, _) = try bindBody(step)
            guard sp.types.count == types.count else {
                throw AurumError(.syntaxError, "each UNION query must have the same number of columns (\(types.count) vs \(sp.types.count))")
            }
            let next = try materialize(sp, sp.types)
            var kept: [Int] = []
            for r in 0..<next.count where op == .unionAll || seen.insert(rowKey(next, r)).inserted { kept.append(r) }
            working = Block(columns: next.columns.map { c in columnFromValues(kept.map { c.value(at: $0) }, c.type).retyped(c.type) }, count: kept.count)
            all = Block(columns: zip(all.columns, working.columns).map { a, w in var c = a; c.append(contentsOf: w); return c }, count: all.count + working.count)
        }
        var scope = Scope()
        for (i, c) in all.columns.enumerated() { scope.columns.append(ScopeColumn(name: names[i], table: alias ?? cte.name, type: c.type)) }
        return (.rows(all), scope)
    }

    // MARK: reg* casts

    /// `x::regclass`, `::regtype`, `::regproc`, `::regnamespace`, `::regrole`, `::oid`: a name
    /// (string) becomes its OID; an OID (integer) becomes its name, which is how these casts
    /// are used in catalog queries (compare with an oid column, or print a name).
    func bindRegCast(_ b: BoundExpr, _ typeName: String, pos: Int) throws -> BoundExpr? {
        let kind = typeName.lowercased()
        guard ["regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole", "oid", "xid", "cid"].contains(kind) else { return nil }
        if kind == "oid" || kind == "xid" || kind == "cid" { return try coerce(b, to: b.type.isNullable ? DataType.uint32.nullable : .uint32) }
        let box = SessionBox(session: session)
        if b.type.isString || b.type.base == .nothing {
            let f = rowwiseFunction(kind, returns: .uint32) { v in
                guard let name = pgText(v[0]) else { return .null }
                if let n = UInt32(name) { return .uint(UInt64(n)) }
                guard let o = try PGCatalog.oidOfName(kind, name, session: box.session) else {
                    switch kind {
                    case "regclass": throw AurumError(.undefinedTable, "relation \"\(name)\" does not exist")
                    case "regproc", "regprocedure": throw AurumError(.undefinedFunction, "function \"\(name)\" does not exist")
                    case "regnamespace": throw AurumError(.invalidSchemaName, "schema \"\(name)\" does not exist")
                    default: throw AurumError(.undefinedObject, "type \"\(name)\" does not exist")
                    }
                }
                return .uint(UInt64(o))
            }
            return try fold(.call(f, [b]))
        }
        guard b.type.isInteger else { throw AurumError(.cannotCoerce, "cannot cast type \(b.type.plain) to \(kind)", position: pos) }
        let f = rowwiseFunction(kind, returns: .string) { v in
            guard let n = v[0].asInt64 else { return .null }
            return .string(PGCatalog.nameOfOID(kind, UInt32(truncatingIfNeeded: n), session: box.session) ?? (n == 0 ? "-" : String(n)))
        }
        return try fold(.call(f, [b]))
    }

    /// How a reg* value prints: `'t'::regclass` in a select list or cast to text shows the name
    /// (as PostgreSQL does), while it compares as the OID everywhere else. `e` is the
    /// expression as written, `b` its bound form; anything else is returned unchanged.
    func regOutput(_ e: Expr, _ b: BoundExpr) throws -> BoundExpr {
        guard case .cast(_, let tn, _) = e, !tn.isArray, b.type.base == .uint32 else { return b }
        let kind = tn.name.lowercased()
        guard ["regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole"].contains(kind) else { return b }
        let box = SessionBox(session: session)
        let f = rowwiseFunction(kind + "out", returns: .string) { v in
            guard let n = v[0].asInt64 else { return .null }
            return .string(PGCatalog.nameOfOID(kind, UInt32(truncatingIfNeeded: n), session: box.session) ?? String(n))
        }
        return try fold(.call(f, [b]))
    }

    func fold(_ e: BoundExpr) throws -> BoundExpr {
        if case .call(let f, let args) = e, f.deterministic, args.allSatisfy(\.isConstant) {
            let v = try Evaluator.constantValue(e)
            return .constant(v, v.isNull ? f.returnType.nullable : f.returnType.nonNullable)
        }
        return e
    }

    // MARK: x op ANY(array text)

    func bindAnyArrayText(_ op: BinaryOperator, _ x: BoundExpr, all: Bool, _ arr: BoundExpr, pos: Int) throws -> BoundExpr {
        guard arr.type.isString || arr.type.base == .nothing else {
            throw AurumError(.datatypeMismatch, "op ANY/ALL (array) requires array on right side", position: pos)
        }
        guard (op == .equal && !all) || (op == .notEqual && all) else {
            throw AurumError(.featureNotSupported, "only = ANY(array) and <> ALL(array) are supported over array text", position: pos)
        }
        let text = x.type.isString ? x : try call("toString", [x], pos: pos)
        let contains = try call("pg_array_contains", [arr, text], pos: pos)
        return op == .equal ? contains : .not(contains)
    }

    // MARK: session and catalog functions

    func bindPGCompatFunction(_ f: FunctionCall, _ lname: String, _ scope: Scope, _ agg: AggregateCollector?, pos: Int) throws -> BoundExpr? {
        let known: Set<String> = ["current_schemas", "current_setting", "set_config", "pg_backend_pid", "pg_table_is_visible", "obj_description",
                                  "col_description", "shobj_description", "pg_get_userbyid", "has_table_privilege", "has_schema_privilege",
                                  "has_database_privilege", "has_column_privilege", "has_any_column_privilege", "has_function_privilege",
                                  "has_type_privilege", "pg_postmaster_start_time", "txid_current", "pg_current_xact_id", "to_regclass",
                                  "to_regtype", "pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_get_function_result",
                                  "pg_get_function_arguments", "pg_get_function_identity_arguments", "pg_get_serial_sequence",
                                  "pg_get_keywords"]
        if lname == "array", f.arguments.count == 1, case .subquery(let q, let qpos) = f.arguments[0] {
            switch try bindSubqueryExpr(q, .array, scope, agg, pos: qpos) {
            case .expression(let e): return e
            case .plan: throw AurumError(.internalError, "ARRAY(subquery) was not evaluated", position: qpos)
            }
        }
        guard known.contains(lname) else { return nil }
        let args = try f.arguments.map { try bindExpr($0, scope, agg: agg) }
        func arity(_ r: ClosedRange<Int>) throws { try FunctionRegistry.argCount(f.name.last, args.map(\.type), r) }
        func constant(_ i: Int) throws -> Value {
            guard i < args.count, case .constant(let v, _) = args[i] else {
                throw AurumError(.featureNotSupported, "\(lname): argument \(i + 1) must be a constant", position: pos)
            }
            return v
        }
        let box = SessionBox(session: session)
        let session = self.session
        var idsCache: PGCatalog.OIDs? = nil
        func ids() -> PGCatalog.OIDs {
            if let c = idsCache { return c }
            let c = PGCatalog.oids(session.catalog); idsCache = c; return c
        }
        switch lname {
        case "current_schemas":
            try arity(1...1)
            let implicit = try constant(0).asBool ?? false
            return .constant(.string(PGArrayText.format((implicit ? ["pg_catalog"] : []) + [session.currentDatabase])), .string)
        case "current_setting":
            try arity(1...2)
            guard let name = pgText(try constant(0))?.lowercased() else { return .constant(.null, DataType.string.nullable) }
            let missingOK = args.count > 1 ? (try constant(1).asBool ?? false) : false
            if let v = PGCatalog.setting(name, session: session) { return .constant(.string(v), .string) }
            if let v = PGCatalog.extraSettings[name] { return .constant(.string(v), .string) }
            if missingOK { return .constant(.null, DataType.string.nullable) }
            throw AurumError(.undefinedObject, "unrecognized configuration parameter \"\(name)\"", position: pos)
        case "set_config":
            try arity(3...3)
            guard let name = pgText(try constant(0))?.lowercased() else {
                throw AurumError(.nullValueNotAllowed, "SET requires parameter name", position: pos)
            }
            let value = pgText(try constant(1)) ?? ""
            guard let s = session as? Session else {
                throw AurumError(.featureNotSupported, "set_config() is not allowed here", position: pos)
            }
            s.settings[name] = value
            return .constant(.string(value), .string)
        case "pg_backend_pid":
            try arity(0...0)
            return .constant(.int(Int64((session as? Session)?.backendPID ?? 0)), .int32)
        case "pg_postmaster_start_time":
            try arity(0...0)
            return .constant(.dateTime64(Int64(pgStartTime.timeIntervalSince1970 * 1_000_000), precision: 6), .dateTime64(6))
        case "txid_current", "pg_current_xact_id":
            try arity(0...0)
            return .constant(.int(pgTxidCounter.wrappingAdd(1, ordering: .relaxed).newValue), .int64)
        case "pg_table_is_visible":
            try arity(1...1)
            let current = session.currentDatabase
            let visible = Set(ids().tables.compactMap { k, v in k.hasPrefix(current + "\u{0}") ? v : nil })
            return try fold(.call(rowwiseFunction(lname, returns: .bool) { v in
                guard let o = v[0].asInt64 else { return .null }
                return .bool(visible.contains(UInt32(truncatingIfNeeded: o)))
            }, args))
        case "obj_description", "col_description", "shobj_description":
            try arity(lname == "col_description" || lname == "shobj_description" ? 2...2 : 1...2)
            var comments: [String: String] = [:]
            for (o, t) in ids().tableByOID {
                if let c = t.definition.comment { comments["\(o):0"] = c }
                for (k, c) in t.definition.columns.enumerated() { if let cm = c.comment, !cm.isEmpty { comments["\(o):\(k + 1)"] = cm } }
            }
            let isCol = lname == "col_description"
            return try fold(.call(rowwiseFunction(lname, returns: .string) { [comments] v in
                guard let o = v[0].asInt64 else { return .null }
                if !isCol && v.count > 1, let cat = pgText(v[1]), cat != "pg_class" { return .null }
                let sub = isCol ? (v[1].asInt64 ?? -1) : 0
                return comments["\(o):\(sub)"].map { .string($0) } ?? .null
            }, args))
        case "pg_get_userbyid":
            try arity(1...1)
            let user = session.user
            return try fold(.call(rowwiseFunction(lname, returns: .string) { v in
                guard let o = v[0].asInt64 else { return .null }
                return .string(o == Int64(PGCatalog.ownerOID) ? user : "unknown (OID=\(o))")
            }, args))
        case "has_table_privilege", "has_schema_privilege", "has_database_privilege", "has_column_privilege", "has_any_column_privilege",
             "has_function_privilege", "has_type_privilege":
            // one role (the connected user) that may do everything Aurum supports
            try arity(2...4)
            return try fold(.call(rowwiseFunction(lname, returns: .bool) { v in v.contains(where: \.isNull) ? .null : .bool(true) }, args))
        case "to_regclass", "to_regtype":
            try arity(1...1)
            let kind = lname == "to_regclass" ? "regclass" : "regtype"
            return try fold(.call(rowwiseFunction(lname, returns: .uint32) { v in
                guard let name = pgText(v[0]) else { return .null }
                return try PGCatalog.oidOfName(kind, name, session: box.session).map { .uint(UInt64($0)) } ?? .null
            }, args))
        case "pg_relation_size", "pg_total_relation_size", "pg_table_size":
            try arity(1...2)
            var sizes: [UInt32: Int64] = [:]
            for (o, t) in ids().tableByOID { sizes[o] = Int64(t.storage.snapshot().parts.reduce(0) { $0 + $1.bytesOnDisk }) }
            return try fold(.call(rowwiseFunction(lname, returns: .int64) { [sizes] v in
                guard let o = v[0].asInt64 else { return .null }
                return sizes[UInt32(truncatingIfNeeded: o)].map { .int($0) } ?? .null
            }, args))
        case "pg_get_function_result", "pg_get_function_arguments", "pg_get_function_identity_arguments":
            try arity(1...1)
            let result = lname == "pg_get_function_result"
            return try fold(.call(rowwiseFunction(lname, returns: .string) { v in
                guard let o = v[0].asInt64, o >= Int64(PGCatalog.procBase), o < Int64(PGCatalog.procBase) + Int64(PGCatalog.procNames.count) else { return .null }
                let n = PGCatalog.procNames[Int(o - Int64(PGCatalog.procBase))]
                if result { return .string(n.hasSuffix("out") ? "cstring" : (n.hasSuffix("send") ? "bytea" : "internal")) }
                return .string(n.hasSuffix("in") ? "cstring" : (n.hasSuffix("recv") ? "internal" : "anyelement"))
            }, args))
        case "pg_get_serial_sequence":
            try arity(2...2)
            return .constant(.null, DataType.string.nullable)
        default:
            return nil
        }
    }
}

extension PGCatalog {
    /// Table functions over array text: unnest(arr), information_schema._pg_expandarray(arr)
    /// (columns x, n), generate_subscripts(arr, 1).
    static func tableFunction(_ name: String, _ args: [Value]) throws -> (Plan, [String])? {
        guard ["unnest", "_pg_expandarray", "generate_subscripts"].contains(name) else { return nil }
        guard let first = args.first else { throw AurumError(.undefinedFunction, "function \(name)() does not exist") }
        let elems = first.isNull ? [] : PGArrayText.parse(pgText(first) ?? "")
        func col(_ vals: [Value], _ t: DataType) -> Column { var c = columnFromValues(vals, t); c.type = c.validity == nil ? t : t.nullable; return c }
        switch name {
        case "unnest":
            let c = col(elems.map { $0.map(Value.string) ?? .null }, .string)
            return (.rows(Block(columns: [c], count: elems.count)), ["unnest"])
        case "_pg_expandarray":
            let x = col(elems.map { $0.map(Value.string) ?? .null }, .string)
            let n = col(elems.indices.map { .int(Int64($0 + 1)) }, .int32)
            return (.rows(Block(columns: [x, n], count: elems.count)), ["x", "n"])
        default:
            let n = col(elems.indices.map { .int(Int64($0 + 1)) }, .int32)
            return (.rows(Block(columns: [n], count: elems.count)), ["generate_subscripts"])
        }
    }

    /// Settings drivers read with current_setting() that Aurum does not otherwise keep.
    static let extraSettings: [String: String] = [
        "jit": "off", "lc_collate": "C", "lc_ctype": "C", "lc_messages": "C", "lc_monetary": "C", "lc_numeric": "C", "lc_time": "C",
        "default_transaction_read_only": "off", "max_identifier_length": "63", "block_size": "8192", "is_superuser": "on",
        "session_authorization": "aurum", "intervalstyle": "postgres", "server_version_num": "150000", "max_index_keys": "32", "max_function_args": "100",
    ]

    /// The OID of a named object for `'name'::regclass` and friends; nil when it does not exist.
    static func oidOfName(_ kind: String, _ name: String, session: SessionContext) throws -> UInt32? {
        switch kind {
        case "regclass":
            if let o = relationOID(name, session: session) { return o }
            return nil
        case "regtype":
            var n = name.lowercased().trimmingCharacters(in: .whitespaces)
            if n.hasPrefix("pg_catalog.") { n.removeFirst("pg_catalog.".count) }
            if let t = PGTypeCatalog.builtin(named: n) { return t.oid }
            if n.hasSuffix("[]"), let e = try oidOfName(kind, String(n.dropLast(2)), session: session) {
                let a = PGTypeCatalog.arrayOID(ofElement: e)
                return a == 0 ? nil : a
            }
            if let t = PGTypeCatalog.builtins.first(where: { PGTypeCatalog.formatType(oid: $0.oid, modifier: -1) == n }) { return t.oid }
            if let dt = try? DataType.named(n, arguments: []) { return PGTypeCatalog.oid(for: dt) }
            return nil
        case "regproc", "regprocedure":
            var n = name
            if n.hasPrefix("pg_catalog.") { n.removeFirst("pg_catalog.".count) }
            if let p = n.firstIndex(of: "(") { n = String(n[..<p]) }
            let o = procOID(n)
            return o == 0 ? nil : o
        case "regnamespace":
            let o = oids(session.catalog).namespaces[schemaAlias(name)]
            return o
        case "regrole":
            return name == session.user ? ownerOID : nil
        default:
            return nil
        }
    }

    /// The name printed for an OID cast to a reg* type.
    static func nameOfOID(_ kind: String, _ oid: UInt32, session: SessionContext) -> String? {
        switch kind {
        case "regclass":
            if let n = catalogRelationOIDs.first(where: { $0.value == oid })?.key { return n }
            guard let t = oids(session.catalog).tableByOID[oid] else { return nil }
            return t.database == session.currentDatabase ? t.name : t.database + "." + t.name
        case "regtype": return PGTypeCatalog.formatType(oid: oid, modifier: -1)
        case "regproc", "regprocedure":
            guard oid >= procBase, Int(oid - procBase) < procNames.count else { return nil }
            return procNames[Int(oid - procBase)]
        case "regnamespace": return oids(session.catalog).namespaceNames[oid]
        case "regrole": return oid == ownerOID ? session.user : nil
        default: return nil
        }
    }
}
