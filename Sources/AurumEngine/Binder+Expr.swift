import AurumCore
import AurumSQL

extension Binder {
    /// Binds an expression that must be boolean (WHERE, HAVING, ON, CASE WHEN).
    func bindPredicate(_ e: Expr, _ scope: Scope, agg: AggregateCollector? = nil) throws -> BoundExpr {
        try asPredicate(try bindExpr(e, scope, agg: agg), e.pos)
    }

    func asPredicate(_ b: BoundExpr, _ pos: Int) throws -> BoundExpr {
        let t = b.type
        if t.base == .bool { return b }
        if t.base == .nothing { return .constant(.null, DataType.bool.nullable) }
        if t.isInteger { return try makeCompare(.ne, b, .constant(.int(0), .int64)) }
        throw AurumError(.datatypeMismatch, "argument of WHERE/HAVING/ON must be type boolean, not type \(t.plain)", position: pos)
    }

    /// Casts `b` to `t` (no-op when the types already match; constants fold).
    func coerce(_ b: BoundExpr, to t: DataType) throws -> BoundExpr {
        if b.type == t { return b }
        if b.type.base == t.base && b.type.isLowCardinality == t.isLowCardinality {
            if case .column(let i, _) = b { return .column(i, b.type.isNullable ? b.type : t.nonNullable) }
            return b
        }
        if case .constant(let v, _) = b {
            var rt = t
            if v.isNull { rt.isNullable = true }
            return .constant(try v.cast(to: t), rt)
        }
        return .cast(b, b.type.isNullable ? t.nullable : t.nonNullable)
    }

    func makeCompare(_ op: CompareOp, _ a: BoundExpr, _ b: BoundExpr, pos: Int = 0) throws -> BoundExpr {
        // column vs constant: convert the constant to the column's type when it fits exactly,
        // so the kernel runs on the column's native width (and granule pruning applies).
        if case .constant(let v, _) = b, !a.isConstant, !v.isNull, a.type.base != .nothing {
            if let c = try? v.cast(to: a.type.plain), (try? c.cast(to: b.type.plain)) == (try? v.cast(to: b.type.plain)) || v.asString != nil {
                if !(a.type.isInteger && (v.asDouble.map { $0 != $0.rounded() } ?? false)) {
                    return .compare(op, a, .constant(c, a.type.plain))
                }
            }
        }
        if case .constant = a, !b.isConstant { return try makeCompare(op.flipped, b, a, pos: pos) }
        guard let ct = TypeRules.comparisonType(a.type, b.type) else {
            throw AurumError(.undefinedFunction, "operator does not exist: \(a.type.plain) \(op.rawValue) \(b.type.plain)", hint: "add an explicit cast", position: pos)
        }
        return .compare(op, try coerce(a, to: a.type.isNullable ? ct.nullable : ct), try coerce(b, to: b.type.isNullable ? ct.nullable : ct))
    }

    func call(_ name: String, _ args: [BoundExpr], pos: Int) throws -> BoundExpr {
        let constants: [Value?] = args.map { if case .constant(let v, _) = $0 { return v } else { return nil } }
        let resolved = try FunctionRegistry.$constantArguments.withValue(constants) { try FunctionRegistry.resolve(name, args.map(\.type)) }
        guard let r = resolved else {
            throw AurumError(.undefinedFunction, "function \(name)(\(args.map { $0.type.plain.description }.joined(separator: ", "))) does not exist",
                             hint: "see docs/sql.md for the functions Aurum supports", position: pos)
        }
        var cast: [BoundExpr] = []
        for (i, a) in args.enumerated() {
            var want = i < r.argumentTypes.count ? r.argumentTypes[i] : a.type
            if a.type.isNullable { want.isNullable = true }
            cast.append(try coerce(a, to: want))
        }
        let e = BoundExpr.call(r.function, cast)
        // constant folding
        if r.function.deterministic && cast.allSatisfy({ $0.isConstant }) {
            let v = try Evaluator.constantValue(e)
            return .constant(v, v.isNull ? r.function.returnType.nullable : r.function.returnType)
        }
        return e
    }

    func bindExpr(_ e: Expr, _ scope: Scope, agg: AggregateCollector? = nil) throws -> BoundExpr {
        if let col = agg {
            if case .function(let f, let pos) = e, f.over == nil, AggregateRegistry.isAggregate(f.name.last),
               f.name.parts.count == 1, !FunctionRegistry.exists(f.name.last) || f.star || f.distinct {
                return try registerAggregate(f, pos: pos, col)
            }
            switch e {
            case .literal, .parameter, .subquery, .exists: break
            case .function(let f, _) where Binder.setReturningFunctions.contains(f.name.last.lowercased()): break
            default:
                // (window functions must not register while probing for a GROUP BY match)
                let windows = windowCollector, sets = srfCollector
                windowCollector = nil
                srfCollector = nil
                let probe = containsAggregate(e) ? nil : try? bindExpr(e, scope)
                windowCollector = windows
                srfCollector = sets
                if let plain = probe {
                    if let gi = col.groups.firstIndex(where: { $0.same(plain) }) { return .column(gi, col.groups[gi].type) }
                    if plain.columns.isEmpty { return plain }
                    if case .column(let n) = e {
                        throw AurumError(.groupingError, "column \"\(n)\" must appear in the GROUP BY clause or be used in an aggregate function", position: n.pos)
                    }
                }
                if case .column(let n) = e, n.parts.count == 1, (try? scope.resolve(n)) ?? nil == nil,
                   let a = aliasStack.last?[n.last.lowercased()], !aliasGuard.contains(n.last.lowercased()) {
                    aliasGuard.insert(n.last.lowercased()); defer { aliasGuard.remove(n.last.lowercased()) }
                    return try bindExpr(a, scope, agg: agg)
                }
            }
        }
        switch e {
        case .literal(let l, let pos): return try bindLiteral(l, pos)
        case .parameter(let i, let pos):
            if let inference { return try inference.bind(i, pos: pos) }
            guard i >= 1 && i <= parameters.count else { throw AurumError(.undefinedParameter, "there is no parameter $\(i)", position: pos) }
            let v = parameters[i - 1]
            return .constant(v, literalType(v))
        case .column(let n):
            if let i = try scope.resolve(n) { return .column(i, scope.columns[i].type) }
            // ClickHouse-style select alias
            if n.parts.count == 1, let a = aliasStack.last?[n.last.lowercased()], !aliasGuard.contains(n.last.lowercased()) {
                aliasGuard.insert(n.last.lowercased()); defer { aliasGuard.remove(n.last.lowercased()) }
                return try bindExpr(a, scope, agg: agg)
            }
            // special identifiers that are functions without parentheses in PostgreSQL
            if let outer = try resolveOuterColumn(n) { return outer }
            if n.parts.count == 1, ["current_date", "current_timestamp", "now", "localtimestamp", "current_user", "session_user", "current_schema", "current_database", "user", "current_catalog"].contains(n.last.lowercased()) {
                return try bindExpr(.function(FunctionCall(name: n), pos: n.pos), scope, agg: agg)
            }
            throw AurumError(.undefinedColumn, "column \"\(n)\" does not exist", hint: scope.columns.isEmpty ? nil : "available columns: \(scope.columns.prefix(12).map(\.name).joined(separator: ", "))", position: n.pos)
        case .star(_, let pos):
            throw AurumError(.syntaxError, "* is only allowed in a select list or count(*)", position: pos)
        case .unary(let op, let x, let pos):
            let b = try bindExpr(x, scope, agg: agg)
            switch op {
            case .not: return .not(try asPredicate(b, pos))
            case .plus: return b
            case .minus:
                if case .constant(let v, let t) = b {
                    switch v {
                    case .int(let i) where i != .min: return .constant(.int(-i), t)
                    case .float(let d): return .constant(.float(-d), t)
                    case .decimal(let r, let s): return .constant(.decimal(-r, scale: s), t)
                    case .uint(let u) where u == UInt64(Int64.max) + 1: return .constant(.int(.min), .int64)
                    default: break
                    }
                }
                return try call("negate", [b], pos: pos)
            }
        case .binary(let op, let l, let r, let pos):
            return try bindBinary(op, l, r, pos, scope, agg)
        case .function(let f, let pos):
            return try bindFunction(f, pos, scope, agg)
        case .cast(let x, let tn, let pos):
            // While preparing, `$n::T` makes $n a T (reg* casts take a name, array casts text).
            let castName = tn.name.lowercased()
            let hint: DataType? = tn.isArray || ["regclass", "regtype", "regproc"].contains(castName) ? .string
                : castName == "oid" ? .int64 : (try? resolveType(tn))
            var b = try bindHinted(x, hint, scope, agg)
            if !tn.isArray, let r = try bindRegCast(b, tn.name, pos: pos) { return r }
            if !tn.isArray, ["text", "varchar", "name", "character varying", "string"].contains(castName) { b = try regOutput(x, b) }
            // arrays are PostgreSQL array text (Functions+PGCompat.swift): T[] casts keep the text
            if tn.isArray, b.type.isString || b.type.base == .nothing { return try coerce(b, to: DataType.string.nullable) }
            let t = try resolveType(tn)
            do { return try coerce(b, to: b.type.isNullable || b.type.base == .nothing ? t.nullable : t) } catch var err as AurumError {
                if err.position == nil { err.position = pos }; throw err
            }
        case .caseWhen(let operand, let whens, let elseE, let pos):
            let op = try operand.map { try bindHinted($0, try inferredType(whens.map(\.condition), scope, agg), scope, agg) }
            let resultHint = try inferredType(whens.map(\.result) + (elseE.map { [$0] } ?? []), scope, agg)
            var conds: [BoundExpr] = []
            var results: [BoundExpr] = []
            for w in whens {
                if let op {
                    conds.append(try makeCompare(.eq, op, try bindHinted(w.condition, op.type, scope, agg), pos: w.condition.pos))
                } else {
                    conds.append(try asPredicate(try bindHinted(w.condition, .bool, scope, agg), w.condition.pos))
                }
                results.append(try bindHinted(w.result, resultHint, scope, agg))
            }
            let el = try elseE.map { try bindHinted($0, resultHint, scope, agg) }
            // A string literal branch takes the other branches' type; a String column does not
            // mix with a non-string one (42804, as PostgreSQL, ClickHouse and DuckDB).
            let all = results + (el.map { [$0] } ?? [])
            let typed = all.filter { if case .constant(let v, _) = $0, v.asString != nil { return false }; return true }
            let basis = typed.isEmpty ? all : typed
            var t = basis[0].type
            for r in basis.dropFirst() {
                let mixesString = t.isString != r.type.isString && t.base != .nothing && r.type.base != .nothing
                guard !mixesString, let s = TypeRules.supertype(t, r.type) else {
                    throw AurumError(.datatypeMismatch, "CASE types \(t.plain) and \(r.type.plain) cannot be matched", position: pos)
                }
                t = s
            }
            if el == nil { t.isNullable = true }
            if t.base == .nothing { t = DataType.string.nullable }
            let branches = try zip(conds, results).map { CaseBranch(condition: $0, result: try coerce($1, to: $1.type.isNullable ? t.nullable : t)) }
            return .caseWhen(branches, try el.map { try coerce($0, to: $0.type.isNullable ? t.nullable : t) }, t)
        case .between(let x, let lo, let hi, let neg, let pos):
            let bx = try bindHinted(x, try inferredType([lo, hi], scope, agg), scope, agg)
            let r = BoundExpr.and([try makeCompare(.ge, bx, try bindHinted(lo, bx.type, scope, agg), pos: pos),
                                   try makeCompare(.le, bx, try bindHinted(hi, bx.type, scope, agg), pos: pos)])
            return neg ? .not(r) : r
        case .inList(let x, let list, let neg, let pos):
            let bx = try bindHinted(x, try inferredType(list, scope, agg), scope, agg)
            let items = try list.map { try bindHinted($0, bx.type, scope, agg) }
            if items.allSatisfy({ $0.isConstant }) {
                var vals: [Value] = []
                var hasNull = false
                for it in items {
                    guard case .constant(let v, _) = it else { continue }
                    if v.isNull { hasNull = true; continue }
                    do { vals.append(try v.cast(to: bx.type.plain)) } catch {
                        // a value that cannot be the column's type never matches, unless the types are incompatible
                        if v.asString == nil && !(bx.type.isNumeric && v.asDouble != nil) {
                            throw AurumError(.datatypeMismatch, "IN list value \(v) does not match type \(bx.type.plain)", position: pos)
                        }
                    }
                }
                return .inSet(bx, vals, negated: neg, hasNull: hasNull)
            }
            let ors = try items.map { try makeCompare(.eq, bx, $0, pos: pos) }
            let r: BoundExpr = ors.count == 1 ? ors[0] : .or(ors)
            return neg ? .not(r) : r
        case .inSubquery(let x, let q, let neg, let pos):
            let bx = try bindExpr(x, scope, agg: agg)
            let (vals, hasNull) = try evaluateSubqueryColumn(q, pos: pos)
            let cast = vals.compactMap { try? $0.cast(to: bx.type.plain) }
            return .inSet(bx, cast, negated: neg, hasNull: hasNull)
        case .isNull(let x, let neg, _):
            return .isNull(try bindExpr(x, scope, agg: agg), negated: neg)
        case .isBool(let x, let v, let neg, let pos):
            let b = try asPredicate(try bindExpr(x, scope, agg: agg), pos)
            // x IS TRUE: true only when x is known true
            let cmp = BoundExpr.and([.isNull(b, negated: true), v ? b : .not(b)])
            let folded = nullAsFalse(cmp)
            return neg ? .not(folded) : folded
        case .subquery(let q, let pos):
            let p: Plan
            switch try bindSubqueryExpr(q, .scalar, scope, agg, pos: pos) {
            case .expression(let c): return c
            case .plan(let plan): p = plan
            }
            let types = p.types
            guard types.count == 1 else { throw AurumError(.syntaxError, "subquery must return only one column", position: pos) }
            let blocks = try session.run(p)
            let rows = blocks.reduce(0) { $0 + $1.count }
            guard rows <= 1 else { throw AurumError(.cardinalityViolation, "more than one row returned by a subquery used as an expression", position: pos) }
            let v = rows == 0 ? Value.null : blocks.first(where: { $0.count > 0 })!.columns[0].value(at: 0)
            return .constant(v, types[0].nullable)
        case .exists(let q, let neg, let pos):
            let p: Plan
            switch try bindSubqueryExpr(q, .exists(negated: neg), scope, agg, pos: pos) {
            case .expression(let c): return c
            case .plan(let plan): p = plan
            }
            let rows = try session.run(.limit(p, limit: 1, offset: 0)).reduce(0) { $0 + $1.count }
            return .constant(.bool((rows > 0) != neg), .bool)
        case .interval(_, _, let pos):
            throw AurumError(.syntaxError, "INTERVAL is only supported in date/time arithmetic (x + INTERVAL n UNIT)", position: pos)
        case .extract(let field, let x, let pos):
            let b = try bindExpr(x, scope, agg: agg)
            let map: [String: String] = ["year": "toYear", "month": "toMonth", "day": "toDayOfMonth", "hour": "toHour", "minute": "toMinute",
                                         "second": "toSecond", "quarter": "toQuarter", "doy": "toDayOfYear", "week": "toISOWeek",
                                         "isodow": "toDayOfWeek", "epoch": "toUnixTimestamp"]
            if field == "dow" {
                return try call("modulo", [try call("toDayOfWeek", [b], pos: pos), .constant(.int(7), .int64)], pos: pos)
            }
            guard let fn = map[field] else { throw AurumError(.invalidParameterValue, "EXTRACT field \"\(field)\" is not supported", position: pos) }
            return try call(fn, [b], pos: pos)
        case .quantified(let op, let a, let all, let b, let pos):
            if case .array(let xs, _) = b {
                let bx = try bindExpr(a, scope, agg: agg)
                let cmps = try xs.map { try makeCompare(compareOp(op, pos), bx, try bindExpr($0, scope, agg: agg), pos: pos) }
                if cmps.isEmpty { return .constant(.bool(all), .bool) }
                return all ? .and(cmps) : (cmps.count == 1 ? cmps[0] : .or(cmps))
            }
            if case .subquery(let sq, let spos) = b, !all, op == .equal {
                return try bindExpr(.inSubquery(a, sq, negated: false, pos: spos), scope, agg: agg)
            }
            // array text ('{a,b}', catalog array columns, current_schemas(...))
            return try bindAnyArrayText(op, try bindExpr(a, scope, agg: agg), all: all, try bindExpr(b, scope, agg: agg), pos: pos)
        case .subscript(let base, let index, let pos):
            let bb = try bindExpr(base, scope, agg: agg)
            guard bb.type.isString else { throw AurumError(.featureNotSupported, "arrays are not supported yet", position: pos) }
            return try call("pg_array_element", [bb, try bindExpr(index, scope, agg: agg)], pos: pos)
        case .array(_, let pos):
            throw AurumError(.featureNotSupported, "arrays are not supported yet", position: pos)
        case .tuple(let xs, let pos):
            if xs.count == 1 { return try bindExpr(xs[0], scope, agg: agg) }
            throw AurumError(.featureNotSupported, "row values (tuples) are not supported in this position", position: pos)
        }
    }

    /// `coalesce(predicate, false)`: a NULL result counts as false (IS TRUE, IS NOT DISTINCT FROM).
    func nullAsFalse(_ predicate: BoundExpr) -> BoundExpr {
        .call(BoundFunction(name: "coalesce", returnType: .bool, kernel: ScalarKernel { c, n in
            let col = Evaluator.broadcast(c[0], n)
            guard case .uint8(let bits) = col.data else { return col }
            return Column(type: .bool, data: .uint8((0..<n).map { col.isNull($0) ? 0 : bits[$0] }))
        }, nulls: .custom), [predicate])
    }

    func compareOp(_ op: BinaryOperator, _ pos: Int) throws -> CompareOp {
        switch op {
        case .equal: return .eq
        case .notEqual: return .ne
        case .less: return .lt
        case .lessEqual: return .le
        case .greater: return .gt
        case .greaterEqual: return .ge
        default: throw AurumError(.syntaxError, "\(op.rawValue) is not a comparison", position: pos)
        }
    }

    func evaluateSubqueryColumn(_ q: Query, pos: Int) throws -> ([Value], Bool) {
        let (p, _) = try bindQuery(q)
        guard p.types.count == 1 else { throw AurumError(.syntaxError, "subquery has too many columns", position: pos) }
        var vals: [Value] = []
        var hasNull = false
        for b in try session.run(p) {
            for i in 0..<b.count { let v = b.columns[0].value(at: i); if v.isNull { hasNull = true } else { vals.append(v) } }
        }
        return (vals, hasNull)
    }

    func literalType(_ v: Value) -> DataType {
        switch v {
        case .null: return .nothing
        case .bool: return .bool
        case .int: return .int64
        case .uint: return .uint64
        case .int128: return .decimal(38, 0)
        case .float: return .float64
        case .decimal(let r, let s):
            let digits = max(String(r.magnitude).count, s + 1)
            return .decimal(min(38, max(digits, 1)), s)
        case .string: return .string
        case .date: return .date
        case .dateTime: return .dateTime
        case .dateTime64(_, let p): return .dateTime64(p)
        case .uuid: return .uuid
        }
    }

    func bindLiteral(_ l: Literal, _ pos: Int) throws -> BoundExpr {
        switch l {
        case .null: return .constant(.null, .nothing)
        case .bool(let b): return .constant(.bool(b), .bool)
        case .integer(let s):
            if let v = Int64(s) { return .constant(.int(v), .int64) }
            if let u = UInt64(s) { return .constant(.uint(u), .uint64) }
            if let d = DecimalMath.parse(Substring(s), scale: 0) { return .constant(.decimal(d, scale: 0), .decimal(38, 0)) }
            throw AurumError(.numericValueOutOfRange, "integer literal \(s) is out of range", position: pos)
        case .number(let s):
            // Decimal literal when it fits (exact, as PostgreSQL's numeric); exponent forms are Float64.
            if !s.lowercased().contains("e"), let dot = s.firstIndex(of: ".") {
                let scale = s.distance(from: dot, to: s.endIndex) - 1
                if let r = DecimalMath.parse(Substring(s), scale: scale) {
                    let v = Value.decimal(r, scale: scale)
                    return .constant(v, literalType(v))
                }
            }
            guard let d = Double(s) else { throw AurumError(.syntaxError, "invalid number \(s)", position: pos) }
            return .constant(.float(d), .float64)
        case .string(let s): return .constant(.string(s), .string)
        case .typed(let tn, let s):
            let lname = tn.name.lowercased()
            if lname == "interval" { throw AurumError(.syntaxError, "INTERVAL literal only allowed in date/time arithmetic", position: pos) }
            let t = try resolveType(tn)
            do { return .constant(try Value.string(s).cast(to: t), t) } catch var e as AurumError { e.position = pos; throw e }
        }
    }

    func resolveType(_ tn: TypeName) throws -> DataType {
        if tn.isArray { throw AurumError(.featureNotSupported, "array types are not supported yet", position: tn.pos) }
        var t: DataType
        do { t = try DataType.named(tn.name, arguments: tn.arguments) } catch var e as AurumError { e.position = tn.pos; throw e }
        t.isNullable = tn.nullable
        if tn.lowCardinality {
            guard t.base == .string else { throw AurumError(.featureNotSupported, "LowCardinality is supported for String only", position: tn.pos) }
            t.isLowCardinality = true
        }
        return t
    }

    // MARK: operators

    func bindBinary(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ pos: Int, _ scope: Scope, _ agg: AggregateCollector?) throws -> BoundExpr {
        switch op {
        case .and:
            return .and([try bindPredicate(l, scope, agg: agg), try bindPredicate(r, scope, agg: agg)].flatMap { $0.conjuncts })
        case .or:
            let a = try bindPredicate(l, scope, agg: agg), b = try bindPredicate(r, scope, agg: agg)
            var xs: [BoundExpr] = []
            for x in [a, b] { if case .or(let ys) = x { xs += ys } else { xs.append(x) } }
            return .or(xs)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            let (a, b) = try bindPair(l, r, scope, agg)
            return try makeCompare(try compareOp(op, pos), a, b, pos: pos)
        case .isDistinctFrom, .isNotDistinctFrom:
            let (a, b) = try bindPair(l, r, scope, agg)
            let eq = try makeCompare(.eq, a, b, pos: pos)
            // not distinct: both null, or both non-null and equal
            let bothNull = BoundExpr.and([.isNull(a, negated: false), .isNull(b, negated: false)])
            let bothEq = BoundExpr.and([.isNull(a, negated: true), .isNull(b, negated: true), eq])
            let nd = nullAsFalse(.or([bothNull, bothEq]))
            return op == .isNotDistinctFrom ? nd : .not(nd)
        case .like, .notLike, .ilike, .notIlike:
            let name = [.like: "like", .notLike: "notLike", .ilike: "ilike", .notIlike: "notILike"][op]!
            let a = try bindHinted(l, .string, scope, agg), b = try bindHinted(r, .string, scope, agg)
            return try call(name, [a, b], pos: pos)
        case .concat:
            return try call("concat", [try bindHinted(l, .string, scope, agg), try bindHinted(r, .string, scope, agg)], pos: pos)
        case .add, .subtract:
            // date/time arithmetic with intervals
            if case .interval(let v, let unit, _) = r {
                return try addInterval(try bindExpr(l, scope, agg: agg), try bindExpr(v, scope, agg: agg), unit, negate: op == .subtract, pos: pos)
            }
            if case .literal(.typed(let tn, let s), _) = r, tn.name.lowercased() == "interval" {
                let (n, unit) = try parseIntervalText(s, pos)
                return try addInterval(try bindExpr(l, scope, agg: agg), .constant(.int(n), .int64), unit, negate: op == .subtract, pos: pos)
            }
            if op == .add, case .interval(let v, let unit, _) = l {
                return try addInterval(try bindExpr(r, scope, agg: agg), try bindExpr(v, scope, agg: agg), unit, negate: false, pos: pos)
            }
            let (a, b) = try bindPair(l, r, scope, agg, arithmetic: true)
            if a.type.isTemporal || b.type.isTemporal {
                return try temporalArithmetic(op == .add, a, b, pos)
            }
            return try call(op == .add ? "plus" : "minus", [a, b], pos: pos)
        case .multiply, .divide, .modulo:
            let (a, b) = try bindPair(l, r, scope, agg, arithmetic: true)
            return try call(op == .multiply ? "multiply" : op == .divide ? "divide" : "modulo", [a, b], pos: pos)
        }
    }

    func parseIntervalText(_ s: String, _ pos: Int) throws -> (Int64, IntervalUnit) {
        let parts = s.split(separator: " ").map(String.init)
        guard parts.count == 2, let n = Int64(parts[0]) else {
            throw AurumError(.invalidDatetimeFormat, "invalid input syntax for type interval: \"\(s)\"", position: pos)
        }
        var u = parts[1].lowercased()
        if u.hasSuffix("s") { u.removeLast() }
        guard let unit = IntervalUnit(rawValue: u) else { throw AurumError(.invalidDatetimeFormat, "invalid interval unit \"\(parts[1])\"", position: pos) }
        return (n, unit)
    }

    func addInterval(_ x: BoundExpr, _ n: BoundExpr, _ unit: IntervalUnit, negate: Bool, pos: Int) throws -> BoundExpr {
        var amount = n
        // `INTERVAL '2 days'` / `INTERVAL '3' MONTH`: the parser keeps the quantity as a string.
        if case .constant(let v, _) = n, v.asString != nil {
            do { amount = try coerce(n, to: .int64) } catch var e as AurumError { e.position = pos; throw e }
        }
        if negate { amount = try call("negate", [amount], pos: pos) }
        var target = x
        if x.type.isString, case .constant = x { target = try coerce(x, to: .dateTime) }
        guard target.type.isTemporal else {
            throw AurumError(.undefinedFunction, "operator does not exist: \(x.type.plain) + interval", position: pos)
        }
        let fn: String
        switch unit {
        case .year: fn = "addYears"
        case .quarter: fn = "addQuarters"
        case .month: fn = "addMonths"
        case .week: fn = "addWeeks"
        case .day: fn = "addDays"
        case .hour: fn = "addHours"
        case .minute: fn = "addMinutes"
        case .second: fn = "addSeconds"
        case .millisecond, .microsecond, .nanosecond:
            throw AurumError(.featureNotSupported, "sub-second intervals are not supported yet", position: pos)
        }
        return try call(fn, [target, amount], pos: pos)
    }

    func temporalArithmetic(_ add: Bool, _ a: BoundExpr, _ b: BoundExpr, _ pos: Int) throws -> BoundExpr {
        // date +/- integer days; datetime +/- integer seconds; date - date = days; datetime - datetime = seconds
        if a.type.isTemporal && (b.type.isInteger) {
            let fn = a.type.base == .date ? "addDays" : "addSeconds"
            return try call(fn, [a, add ? b : try call("negate", [b], pos: pos)], pos: pos)
        }
        if add && b.type.isTemporal && a.type.isInteger {
            return try call(b.type.base == .date ? "addDays" : "addSeconds", [b, a], pos: pos)
        }
        if !add && a.type.isTemporal && b.type.isTemporal {
            let unit = a.type.base == .date && b.type.base == .date ? "day" : "second"
            return try call("dateDiff", [.constant(.string(unit), .string), b, a], pos: pos)
        }
        if a.type.isTemporal, case .constant(let v, _) = b, v.asString != nil {
            return try temporalArithmetic(add, a, try coerce(b, to: a.type.plain), pos)
        }
        throw AurumError(.undefinedFunction, "operator does not exist: \(a.type.plain) \(add ? "+" : "-") \(b.type.plain)", position: pos)
    }

    // MARK: functions

    func bindFunction(_ f: FunctionCall, _ pos: Int, _ scope: Scope, _ agg: AggregateCollector?) throws -> BoundExpr {
        if f.over != nil { return try bindWindowFunction(f, pos, scope, agg) }
        if let set = try bindSetReturning(f, pos, scope, agg) { return set }
        if f.name.last.lowercased() == "pg_record_field", f.arguments.count == 2, case .function(let inner, let ipos) = f.arguments[0],
           case .literal(.string(let field), _) = f.arguments[1],
           let set = try bindSetReturning(inner, ipos, scope, agg, field: field) { return set }
        if f.name.last.lowercased() == "pg_record_field", f.arguments.count == 2, case .literal(.string(let field), _) = f.arguments[1],
           let r = try bindRecordField(try bindExpr(f.arguments[0], scope, agg: agg), field) { return r }
        let name = f.name.last
        let lname = name.lowercased()
        if AggregateRegistry.isAggregate(name) && (!FunctionRegistry.exists(name) || f.star || f.distinct) {
            throw AurumError(.groupingError, "aggregate function \(name) is not allowed here", position: pos)
        }
        if f.star { throw AurumError(.syntaxError, "\(name)(*) is not a valid call", position: pos) }
        if let r = try bindPGCompatFunction(f, lname, scope, agg, pos: pos) { return r }
        // session functions
        switch lname {
        case "version": return .constant(.string(Session.versionString), .string)
        case "current_database", "currentdatabase", "database", "current_schema", "current_catalog":
            return .constant(.string(session.currentDatabase), .string)
        case "current_user", "session_user", "user", "currentuser":
            return .constant(.string(session.user), .string)
        case "current_date", "today":
            if f.arguments.isEmpty { return .constant(.date(Int32(Session.nowSeconds() / 86400)), .date) }
        case "now", "current_timestamp", "localtimestamp":
            if f.arguments.isEmpty { return .constant(.dateTime(Session.nowSeconds()), .dateTime) }
        default: break
        }
        var args: [BoundExpr]
        if inference != nil, f.arguments.contains(where: { parameterIndex($0) != nil }) {
            args = try bindArgumentsInferring(lname, f.arguments, scope, agg)
        } else {
            args = try f.arguments.map { try bindExpr($0, scope, agg: agg) }
        }
        if FunctionRegistry.exists(name) { return try call(name, args, pos: pos) }
        if AggregateRegistry.isAggregate(name) {
            throw AurumError(.groupingError, "aggregate function \(name) is not allowed here", position: pos)
        }
        throw AurumError(.undefinedFunction, "function \(name)(\(args.map { $0.type.plain.description }.joined(separator: ", "))) does not exist",
                         hint: "see docs/sql.md for the functions Aurum supports", position: pos)
    }
}
