import AurumCore
import AurumSQL
import AurumStorage

/// A column visible to expressions: its name, the table (alias) it comes from, its type.
struct ScopeColumn {
    var name: String
    var table: String?
    var type: DataType
    /// A JOIN ... USING key of one side: reachable only qualified (`l.id`); the unqualified name
    /// (and `*`) means the merged key column.
    var usingHidden: Bool = false
}

struct Scope {
    var columns: [ScopeColumn] = []

    /// Resolves `[table.]name`; exact spelling first, then case-insensitive when unambiguous.
    func resolve(_ n: QualifiedName) throws -> Int? {
        let name = n.last
        let qual = n.parts.count >= 2 ? n.parts[n.parts.count - 2] : nil
        func matches(_ exact: Bool) -> [Int] {
            columns.indices.filter { i in
                let c = columns[i]
                let nameOK = exact ? c.name == name : c.name.lowercased() == name.lowercased()
                guard nameOK else { return false }
                if qual == nil && c.usingHidden { return false }
                if let q = qual {
                    guard let t = c.table else { return false }
                    return exact ? t == q : t.lowercased() == q.lowercased()
                }
                return true
            }
        }
        var m = matches(true)
        if m.isEmpty && !(n.quoted.last ?? false) { m = matches(false) }
        if m.count > 1 {
            throw AurumError(.ambiguousColumn, "column reference \"\(n)\" is ambiguous", position: n.pos)
        }
        return m.first
    }
}

/// Binding context for aggregate queries: group expressions and the aggregates found so far.
final class AggregateCollector {
    var groups: [BoundExpr]
    var aggregates: [BoundAggregate] = []
    let fromScope: Scope
    init(groups: [BoundExpr], fromScope: Scope) { self.groups = groups; self.fromScope = fromScope }
}

/// Name resolution and typing: AST -> Plan / BoundExpr.
final class Binder {
    let session: SessionContext
    var cteStack: [[String: CommonTableExpression]] = []
    /// Select-list aliases usable in WHERE/GROUP BY/HAVING (ClickHouse style).
    var aliasStack: [[String: Expr]] = []
    /// ClickHouse scalar WITH items visible in the query being bound (inner names shadow outer).
    var scalarWithStack: [[String: Expr]] = []
    var aliasGuard: Set<String> = []
    /// The FROM scope of the SELECT being bound: a name that is a real column there is not an alias.
    var fromScopeStack: [Scope] = []
    var parameters: [Value]
    /// Set while preparing a statement: `$n` binds to a typed NULL and its type is inferred
    /// from the context (see Prepared.swift).
    var inference: ParameterInference?
    /// Enclosing queries of the subquery being bound (correlated subqueries, Functions+PGCompat.swift).
    var correlation: [CorrelationFrame] = []
    /// WITH RECURSIVE: the rows of the previous iteration, by CTE name (lowercased).
    var workingTables: [String: (Block, [String])] = [:]
    /// Set while the select list / ORDER BY of a SELECT are bound: window functions register here.
    var windowCollector: WindowCollector?
    /// Set while the select list / ORDER BY of a SELECT are bound: set-returning functions register here.
    var srfCollector: SRFCollector?

    init(session: SessionContext, parameters: [Value] = []) {
        self.session = session
        self.parameters = parameters
    }

    // MARK: queries

    func bindQuery(_ q: Query) throws -> (Plan, [String]) {
        if !q.scalarWith.isEmpty {
            var frame = scalarWithStack.last ?? [:]
            for w in q.scalarWith { frame[w.name.lowercased()] = w.expr }
            scalarWithStack.append(frame)
        }
        defer { if !q.scalarWith.isEmpty { scalarWithStack.removeLast() } }
        if !q.with.isEmpty {
            var frame: [String: CommonTableExpression] = [:]
            for c in q.with { frame[c.name.lowercased()] = c }
            cteStack.append(frame)
        }
        defer { if !q.with.isEmpty { cteStack.removeLast() } }
        if case .select(let s) = q.body {
            return try bindSelect(s, orderBy: q.orderBy, limitBy: q.limitBy, limit: q.limit, offset: q.offset)
        }
        var (plan, names) = try bindBody(q.body)
        // ORDER BY / LIMIT over a set operation or VALUES: output columns by name or position.
        if !q.orderBy.isEmpty {
            var scope = Scope()
            for (i, t) in plan.types.enumerated() { scope.columns.append(ScopeColumn(name: names[i], table: nil, type: t)) }
            let keys = try q.orderBy.map { o -> SortKey in
                let e: BoundExpr
                if case .literal(.integer(let s), let pos) = o.expr, let k = Int(s) {
                    guard k >= 1 && k <= names.count else { throw AurumError(.invalidColumnReference, "ORDER BY position \(k) is not in select list", position: pos) }
                    e = .column(k - 1, plan.types[k - 1])
                } else { e = try bindExpr(o.expr, scope) }
                return SortKey(expr: e, ascending: o.ascending, nullsFirst: o.nullsFirst ?? !o.ascending)
            }
            plan = .sort(plan, keys, limit: try limitValue(q.limit).map { $0 + (try limitValue(q.offset) ?? 0) })
        }
        if q.limit != nil || q.offset != nil {
            plan = .limit(plan, limit: try limitValue(q.limit), offset: try limitValue(q.offset) ?? 0)
        }
        return (plan, names)
    }

    func limitValue(_ e: Expr?) throws -> Int? {
        guard let e else { return nil }
        let b = try bindHinted(e, .int64, Scope(), nil)
        let v = try Evaluator.constantValue(b)
        if v.isNull { return nil }
        guard let n = v.asInt64, n >= 0 else {
            throw AurumError(.invalidParameterValue, "LIMIT/OFFSET must be a non-negative integer, got \(v)", position: e.pos)
        }
        return Int(n)
    }

    func bindBody(_ body: QueryBody) throws -> (Plan, [String]) {
        switch body {
        case .select(let s): return try bindSelect(s, orderBy: [], limitBy: nil, limit: nil, offset: nil)
        case .nested(let q): return try bindQuery(q)
        case .values(let rows): return try bindValues(rows)
        case .setOperation(let op, let l, let r):
            let (lp, ln) = try bindBody(l)
            let (rp, _) = try bindBody(r)
            let lt = lp.types, rt = rp.types
            guard lt.count == rt.count else {
                throw AurumError(.syntaxError, "each \(op.rawValue) query must have the same number of columns (\(lt.count) vs \(rt.count))")
            }
            var types: [DataType] = []
            for i in 0..<lt.count {
                guard let t = TypeRules.supertype(lt[i], rt[i]) else {
                    throw AurumError(.datatypeMismatch, "\(op.rawValue) types \(lt[i]) and \(rt[i]) cannot be matched")
                }
                types.append(t)
            }
            func conform(_ p: Plan, _ ts: [DataType]) -> Plan {
                if ts == types { return p }
                return .project(p, ts.enumerated().map { i, t in t == types[i] ? .column(i, t) : .cast(.column(i, t), types[i]) })
            }
            let u = Plan.union([conform(lp, lt), conform(rp, rt)])
            switch op {
            case .unionAll: return (u, ln)
            case .unionDistinct: return (.distinct(u), ln)
            case .intersect, .except:
                throw AurumError.notSupported("\(op.rawValue) is not supported yet; use IN / NOT IN subqueries")
            }
        }
    }

    func bindValues(_ rows: [[Expr]]) throws -> (Plan, [String]) {
        guard let first = rows.first else { throw AurumError.syntax("VALUES needs at least one row") }
        var vals: [[Value]] = []
        var types: [DataType] = Array(repeating: .nothing, count: first.count)
        for r in rows {
            guard r.count == first.count else { throw AurumError(.syntaxError, "VALUES lists must all be the same length", position: r.first?.pos) }
            var row: [Value] = []
            for (i, e) in r.enumerated() {
                let b = try bindExpr(e, Scope())
                row.append(try Evaluator.constantValue(b))
                guard let t = TypeRules.supertype(types[i], b.type) else {
                    throw AurumError(.datatypeMismatch, "VALUES types \(types[i]) and \(b.type) cannot be matched", position: e.pos)
                }
                types[i] = t
            }
            vals.append(row)
        }
        var cols: [Column] = []
        for i in 0..<types.count {
            let t = types[i].base == .nothing ? DataType.string.nullable : types[i]
            var b = ColumnBuilder(type: t, capacity: vals.count)
            for r in vals { b.append(try r[i].cast(to: t)) }
            var c = b.finish()
            c.type = t
            cols.append(c)
        }
        return (.rows(Block(columns: cols, count: vals.count)), (1...max(1, types.count)).prefix(types.count).map { "column\($0)" })
    }

    // MARK: SELECT

    func bindSelect(_ s: Select, orderBy: [OrderItem], limitBy: LimitBy?, limit: Expr?, offset: Expr?) throws -> (Plan, [String]) {
        var plan: Plan
        var scope: Scope
        if let from = s.from {
            (plan, scope) = try bindFrom(from)
        } else {
            plan = .rows(Block(columns: [], count: 1))
            scope = Scope()
        }
        // aliases for WHERE / GROUP BY / HAVING
        // ClickHouse `WITH <expr> AS name` items of this and enclosing queries, then the select list's
        let outerWindows = windowCollector, outerSRFs = srfCollector
        windowCollector = nil
        srfCollector = nil
        defer { windowCollector = outerWindows; srfCollector = outerSRFs }
        var aliases: [String: Expr] = scalarWithStack.last ?? [:]
        for item in s.items { if let a = item.alias { aliases[a.lowercased()] = item.expr } }
        aliasStack.append(aliases)
        fromScopeStack.append(scope)
        defer { aliasStack.removeLast(); fromScopeStack.removeLast() }

        if let w = s.whereClause {
            if containsAggregate(w) { throw AurumError(.groupingError, "aggregate functions are not allowed in WHERE", position: w.pos) }
            let f = try bindPredicate(w, scope)
            plan = .filter(plan, f)
        }

        // expand select list stars
        var items: [(Expr, String)] = []
        for item in s.items {
            if case .star(let q, _) = item.expr {
                let tq = q?.last
                var any = false
                for c in scope.columns where tq == nil ? !c.usingHidden : c.table?.lowercased() == tq!.lowercased() {
                    items.append((.column(QualifiedName(c.table.map { [$0, c.name] } ?? [c.name])), c.name))
                    any = true
                }
                if !any && tq != nil { throw AurumError(.undefinedTable, "missing FROM-clause entry for table \"\(tq!)\"", position: item.expr.pos) }
                continue
            }
            items.append((item.expr, item.alias ?? outputName(item.expr)))
        }
        let names = items.map { $0.1 }

        var namedWindows: [String: WindowSpec] = [:]
        for w in s.windows {
            if namedWindows[w.name.lowercased()] != nil { throw AurumError(.windowingError, "window \"\(w.name)\" is already defined", position: w.spec.pos) }
            namedWindows[w.name.lowercased()] = w.spec
        }
        let windows = WindowCollector(named: namedWindows)
        let sets = SRFCollector()
        let isAggregate = !s.groupBy.isEmpty || items.contains { containsAggregate($0.0) } || (s.having != nil)
        var outScope = Scope()   // for ORDER BY / LIMIT BY over outputs
        var projected: [BoundExpr]
        var collector: AggregateCollector? = nil
        if isAggregate {
            var groups: [BoundExpr] = []
            for g in s.groupBy {
                var ge = g
                if case .literal(.integer(let txt), let pos) = g, let k = Int(txt) {
                    guard k >= 1 && k <= items.count else { throw AurumError(.invalidColumnReference, "GROUP BY position \(k) is not in select list", position: pos) }
                    ge = items[k - 1].0
                }
                if containsAggregate(ge) { throw AurumError(.groupingError, "aggregate functions are not allowed in GROUP BY", position: ge.pos) }
                if case .tuple(let xs, _) = ge {
                    for x in xs { groups.append(try bindExpr(x, scope)) }
                } else {
                    groups.append(try bindExpr(ge, scope))
                }
            }
            let col = AggregateCollector(groups: groups, fromScope: scope)
            collector = col
            windowCollector = windows
            srfCollector = sets
            projected = try items.map { try regOutput($0.0, try bindAggExpr($0.0, col)) }
            var havingExpr: BoundExpr? = nil
            windowCollector = nil
            srfCollector = nil
            if let h = s.having { havingExpr = try bindAggExpr(h, col, predicate: true) }
            windowCollector = windows
            srfCollector = sets
            // ORDER BY may add aggregates too: bind them before building the aggregate node
            let orderBound = try bindOrderBy(orderBy, items: items, names: names, projected: &projected, bindOther: { try self.bindAggExpr($0, col) })
            windowCollector = nil
            srfCollector = nil
            plan = .aggregate(plan, groups: col.groups, aggregates: col.aggregates, totals: s.withTotals)
            if let h = havingExpr { plan = .filter(plan, h) }
            addWindows(windows, &plan, &projected)
            addSetReturning(sets, &plan, &projected)
            return try finishSelect(plan, projected: projected, names: names, order: orderBound, distinct: s.distinct, limitBy: limitBy, limit: limit, offset: offset, outScope: &outScope)
        }
        _ = collector
        windowCollector = windows
        srfCollector = sets
        projected = try items.map { try regOutput($0.0, try bindExpr($0.0, scope)) }
        let orderBound = try bindOrderBy(orderBy, items: items, names: names, projected: &projected, bindOther: { try self.bindExpr($0, scope) })
        windowCollector = nil
        srfCollector = nil
        addWindows(windows, &plan, &projected)
        addSetReturning(sets, &plan, &projected)
        return try finishSelect(plan, projected: projected, names: names, order: orderBound, distinct: s.distinct, limitBy: limitBy, limit: limit, offset: offset, outScope: &outScope)
    }

    /// Puts the window operator (if the select list or ORDER BY called window functions) on
    /// top of `plan` and points the placeholder columns at its output.
    func addWindows(_ windows: WindowCollector, _ plan: inout Plan, _ projected: inout [BoundExpr]) {
        guard !windows.windows.isEmpty else { return }
        let m = windows.mapping(inputWidth: plan.types.count)
        projected = projected.map { $0.remap(m) }
        plan = .window(plan, windows.windows)
    }

    /// Binds ORDER BY items to indices into `projected`, appending hidden expressions when needed.
    func bindOrderBy(_ orderBy: [OrderItem], items: [(Expr, String)], names: [String], projected: inout [BoundExpr],
                     bindOther: (Expr) throws -> BoundExpr) throws -> [(Int, OrderItem)] {
        var out: [(Int, OrderItem)] = []
        for o in orderBy {
            if case .literal(.integer(let txt), let pos) = o.expr, let k = Int(txt) {
                guard k >= 1 && k <= names.count else { throw AurumError(.invalidColumnReference, "ORDER BY position \(k) is not in select list", position: pos) }
                out.append((k - 1, o)); continue
            }
            if case .column(let n) = o.expr, n.parts.count == 1 {
                let exact = names.indices.filter { names[$0] == n.last }
                let ci = exact.isEmpty ? names.indices.filter { names[$0].lowercased() == n.last.lowercased() } : exact
                if ci.count >= 1, items.indices.contains(ci[0]) {
                    // prefer the output column when the name is an alias or the same column
                    out.append((ci[0], o)); continue
                }
            }
            if let i = items.firstIndex(where: { $0.0 == o.expr }) { out.append((i, o)); continue }
            let b = try bindOther(o.expr)
            if let i = projected.firstIndex(where: { $0.same(b) }) { out.append((i, o)); continue }
            projected.append(b)
            out.append((projected.count - 1, o))
        }
        return out
    }

    func finishSelect(_ input: Plan, projected: [BoundExpr], names: [String], order: [(Int, OrderItem)], distinct: Bool,
                      limitBy: LimitBy?, limit: Expr?, offset: Expr?, outScope: inout Scope) throws -> (Plan, [String]) {
        var plan = Plan.project(input, projected)
        let visible = names.count
        if distinct {
            if projected.count > visible {
                throw AurumError(.invalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
            }
            plan = .distinct(plan)
        }
        let types = projected.map(\.type)
        for (i, t) in types.enumerated() { outScope.columns.append(ScopeColumn(name: i < visible ? names[i] : "", table: nil, type: t)) }
        let lim = try limitValue(limit), off = try limitValue(offset) ?? 0
        if !order.isEmpty {
            let keys = order.map { SortKey(expr: .column($0.0, types[$0.0]), ascending: $0.1.ascending, nullsFirst: $0.1.nullsFirst ?? !$0.1.ascending) }
            plan = .sort(plan, keys, limit: limitBy == nil ? lim.map { $0 + off } : nil)
        }
        if let lb = limitBy {
            let keys = try lb.by.map { try bindExpr($0, outScope) }
            guard let n = try limitValue(lb.limit) else { throw AurumError.syntax("LIMIT BY needs a number") }
            plan = .limitBy(plan, keys: keys, limit: n, offset: try limitValue(lb.offset) ?? 0)
        }
        if lim != nil || off > 0 { plan = .limit(plan, limit: lim, offset: off) }
        if projected.count > visible {
            plan = .project(plan, (0..<visible).map { .column($0, types[$0]) })
        }
        return (plan, names)
    }

    /// The default output column name (PostgreSQL style).
    func outputName(_ e: Expr) -> String {
        switch e {
        case .column(let n): return n.last
        case .function(let f, _):
            // `(record).field` is named by the field, as in PostgreSQL
            if f.name.last == "pg_record_field", f.arguments.count == 2, case .literal(.string(let field), _) = f.arguments[1] { return field }
            return f.name.last.lowercased() == "count" && f.star ? "count" : f.name.last
        case .cast(let x, let t, _):
            if case .column = x { return outputName(x) }
            return t.name.lowercased()
        case .extract(let f, _, _): return f
        case .caseWhen: return "case"
        case .literal, .binary, .unary: return "?column?"
        default: return "?column?"
        }
    }

    // MARK: FROM

    func bindFrom(_ t: TableRef) throws -> (Plan, Scope) {
        switch t {
        case .table(let name, let alias, let final):
            return try bindTableName(name, alias: alias, final: final)
        case .subquery(let q, let alias, let colAliases):
            let (p, names) = try bindQuery(q)
            var scope = Scope()
            for (i, ty) in p.types.enumerated() {
                scope.columns.append(ScopeColumn(name: i < colAliases.count ? colAliases[i] : names[i], table: alias, type: ty))
            }
            return (p, scope)
        case .function(let f, let alias, let colAliases):
            var (p, names) = try TableFunctions.bind(f, binder: self)
            // PostgreSQL: a scalar set-returning function's column is named by the table alias
            if let alias, colAliases.isEmpty, names.count == 1,
               ["unnest", "generate_series", "generate_subscripts"].contains(f.name.last.lowercased()) || FunctionRegistry.exists(f.name.last) {
                names = [alias]
            }
            var scope = Scope()
            for (i, ty) in p.types.enumerated() {
                scope.columns.append(ScopeColumn(name: i < colAliases.count ? colAliases[i] : names[i], table: alias ?? f.name.last, type: ty))
            }
            return (p, scope)
        case .join(let l, let kind, let r, let on, let using):
            let (lp, ls) = try bindFrom(l)
            let (rp, rs) = try bindFrom(r)
            var scope = Scope(columns: ls.columns + rs.columns)
            let jt: JoinType = [.inner: .inner, .left: .left, .right: .right, .full: .full, .cross: .cross][kind]!
            if jt == .left || jt == .full { for i in ls.columns.count..<scope.columns.count { scope.columns[i].type = scope.columns[i].type.nullable } }
            if jt == .right || jt == .full { for i in 0..<ls.columns.count { scope.columns[i].type = scope.columns[i].type.nullable } }
            var lkeys: [BoundExpr] = [], rkeys: [BoundExpr] = []
            var residual: [BoundExpr] = []
            let nl = ls.columns.count
            var conds: [BoundExpr] = []
            var usingMerged: [(String, BoundExpr)] = []
            if !using.isEmpty {
                for c in using {
                    guard let li = try ls.resolve(QualifiedName([c])), let ri = try rs.resolve(QualifiedName([c])) else {
                        throw AurumError(.undefinedColumn, "column \"\(c)\" specified in USING clause does not exist in both tables")
                    }
                    conds.append(try makeCompare(.eq, .column(li, ls.columns[li].type), .column(nl + ri, rs.columns[ri].type)))
                    // the merged key: the left side's, the right's for RIGHT, coalesce(l, r) for FULL
                    let lcol = BoundExpr.column(li, scope.columns[li].type), rcol = BoundExpr.column(nl + ri, scope.columns[nl + ri].type)
                    let merged: BoundExpr = jt == .full ? try call("coalesce", [lcol, rcol], pos: 0) : (jt == .right ? rcol : lcol)
                    usingMerged.append((ls.columns[li].name, merged))
                    scope.columns[li].usingHidden = true
                    scope.columns[nl + ri].usingHidden = true
                }
            } else if let on {
                conds = try bindPredicate(on, scope).conjuncts
            }
            for c in conds {
                if case .compare(.eq, let a, let b) = c {
                    let ca = a.columns, cb = b.columns
                    if !ca.isEmpty && !cb.isEmpty {
                        if ca.allSatisfy({ $0 < nl }) && cb.allSatisfy({ $0 >= nl }) {
                            lkeys.append(a); rkeys.append(b.remap(Dictionary(uniqueKeysWithValues: cb.map { ($0, $0 - nl) }))); continue
                        }
                        if cb.allSatisfy({ $0 < nl }) && ca.allSatisfy({ $0 >= nl }) {
                            lkeys.append(b); rkeys.append(a.remap(Dictionary(uniqueKeysWithValues: ca.map { ($0, $0 - nl) }))); continue
                        }
                    }
                }
                residual.append(c)
            }
            // keys were bound in the joined scope; the left/right types there may be nullable-widened
            lkeys = lkeys.map { stripNullableWidening($0, ls) }
            rkeys = rkeys.map { stripNullableWidening($0, rs) }
            var plan = Plan.join(lp, rp, jt, leftKeys: lkeys, rightKeys: rkeys, residual: residual.isEmpty ? nil : (residual.count == 1 ? residual[0] : .and(residual)))
            if !using.isEmpty {
                // USING: one output column per key (coalesced for FULL) first, then both sides' columns
                let all = scope.columns.indices.map { BoundExpr.column($0, scope.columns[$0].type) }
                plan = .project(plan, usingMerged.map { $0.1 } + all)
                scope.columns = usingMerged.map { ScopeColumn(name: $0.0, table: nil, type: $0.1.type) } + scope.columns
            }
            return (plan, scope)
        }
    }

    func stripNullableWidening(_ e: BoundExpr, _ scope: Scope) -> BoundExpr {
        if case .column(let i, _) = e { return .column(i, scope.columns[i].type) }
        return e
    }

    func bindTableName(_ name: QualifiedName, alias: String?, final: Bool) throws -> (Plan, Scope) {
        if name.parts.count == 1, let (block, names) = workingTables[name.last.lowercased()] {
            var scope = Scope()
            for (i, c) in block.columns.enumerated() { scope.columns.append(ScopeColumn(name: names[i], table: alias ?? name.last, type: c.type)) }
            return (.rows(block), scope)
        }
        // CTE?
        if name.parts.count == 1, let cte = cteStack.reversed().lazy.compactMap({ $0[name.last.lowercased()] }).first {
            if cte.recursive, let r = try bindRecursiveCTE(cte, alias: alias) { return r }
            let (p, names) = try bindQuery(cte.query)
            var scope = Scope()
            for (i, t) in p.types.enumerated() {
                scope.columns.append(ScopeColumn(name: i < cte.columnAliases.count ? cte.columnAliases[i] : names[i], table: alias ?? cte.name, type: t))
            }
            return (p, scope)
        }
        let db = name.parts.count >= 2 ? PGCatalog.schemaAlias(name.parts[name.parts.count - 2], session.catalog) : session.currentDatabase
        if let v = try VirtualTables.lookup(database: db, name: name.last, qualified: name.parts.count >= 2, session: session) {
            var scope = Scope()
            for (i, c) in v.block.columns.enumerated() { scope.columns.append(ScopeColumn(name: v.names[i], table: alias ?? name.last, type: c.type)) }
            return (.rows(v.block), scope)
        }
        guard let entry = session.catalog.table(db, name.last) else {
            if !session.catalog.databaseExists(db) {
                throw AurumError(.undefinedTable, "relation \"\(name)\" does not exist", detail: "database \"\(db)\" does not exist", position: name.pos)
            }
            throw AurumError(.undefinedTable, "relation \"\(name)\" does not exist", position: name.pos)
        }
        let def = entry.definition
        var scope = Scope()
        for c in def.columns { scope.columns.append(ScopeColumn(name: c.name, table: alias ?? entry.name, type: c.type)) }
        let scan = ScanNode(table: entry, snapshot: entry.storage.snapshot(), columns: Array(0..<def.columns.count), filter: nil, final: final)
        return (.scan(scan), scope)
    }

    // MARK: aggregates

    func containsAggregate(_ e: Expr) -> Bool {
        switch e {
        case .function(let f, _):
            if let w = f.over {
                // sum(sum(x)) OVER (...): the window's arguments may aggregate over the GROUP BY
                return f.arguments.contains(where: containsAggregate) || w.partitionBy.contains(where: containsAggregate)
                    || w.orderBy.contains { containsAggregate($0.expr) }
            }
            if f.name.parts.count == 1 && AggregateRegistry.isAggregate(f.name.last) && !FunctionRegistry.exists(f.name.last) { return true }
            if f.name.parts.count == 1 && AggregateRegistry.isAggregate(f.name.last) && (f.star || f.distinct) { return true }
            return f.arguments.contains(where: containsAggregate)
        case .unary(_, let x, _), .cast(let x, _, _), .isNull(let x, _, _), .isBool(let x, _, _, _), .interval(let x, _, _), .extract(_, let x, _):
            return containsAggregate(x)
        case .binary(_, let a, let b, _), .subscript(let a, let b, _): return containsAggregate(a) || containsAggregate(b)
        case .caseWhen(let op, let ws, let el, _):
            return (op.map(containsAggregate) ?? false) || ws.contains { containsAggregate($0.condition) || containsAggregate($0.result) } || (el.map(containsAggregate) ?? false)
        case .between(let x, let lo, let hi, _, _): return containsAggregate(x) || containsAggregate(lo) || containsAggregate(hi)
        case .inList(let x, let xs, _, _): return containsAggregate(x) || xs.contains(where: containsAggregate)
        case .inSubquery(let x, _, _, _): return containsAggregate(x)
        case .tuple(let xs, _), .array(let xs, _): return xs.contains(where: containsAggregate)
        case .quantified(_, let a, _, let b, _): return containsAggregate(a) || containsAggregate(b)
        case .column(let n):
            // an alias that names an aggregate expression
            if let scope = fromScopeStack.last, ((try? scope.resolve(n)) ?? nil) != nil { return false }
            if n.parts.count == 1, let a = aliasStack.last?[n.last.lowercased()], !aliasGuard.contains(n.last.lowercased()) {
                aliasGuard.insert(n.last.lowercased()); defer { aliasGuard.remove(n.last.lowercased()) }
                return containsAggregate(a)
            }
            return false
        default: return false
        }
    }

    /// Binds an expression over the output of an aggregation (groups then aggregates).
    func bindAggExpr(_ e: Expr, _ col: AggregateCollector, predicate: Bool = false) throws -> BoundExpr {
        let b = try bindExpr(e, col.fromScope, agg: col)
        if predicate { return try asPredicate(b, e.pos) }
        return b
    }

    func registerAggregate(_ f: FunctionCall, pos: Int, _ col: AggregateCollector) throws -> BoundExpr {
        var name = f.name.last
        var args = f.arguments
        var condition: Expr? = f.filter
        let lname = name.lowercased()
        if !AggregateRegistry.names.contains(lname) && lname.hasSuffix("if") && AggregateRegistry.names.contains(String(lname.dropLast(2))) {
            // -If combinator: last argument is the condition
            guard let c = args.last else { throw AurumError(.undefinedFunction, "\(name) needs a condition argument", position: pos) }
            name = String(name.dropLast(2))
            args.removeLast()
            condition = condition.map { .binary(.and, $0, c, pos: pos) } ?? c
            if lname == "countif" && args.isEmpty { return try registerAggregateBound(name: "count", args: [], star: true, distinct: false, params: [], condition: condition, col, pos: pos) }
        }
        for a in args where containsAggregate(a) {
            throw AurumError(.groupingError, "aggregate function calls cannot be nested", position: a.pos)
        }
        let params = try f.parameters.map { try Evaluator.constantValue(try bindExpr($0, Scope())) }
        return try registerAggregateBound(name: name, args: args, star: f.star, distinct: f.distinct, params: params, condition: condition, col, pos: pos)
    }

    func registerAggregateBound(name: String, args: [Expr], star: Bool, distinct: Bool, params: [Value], condition: Expr?,
                                _ col: AggregateCollector, pos: Int) throws -> BoundExpr {
        var bargs = try args.map { try bindExpr($0, col.fromScope) }
        if name.lowercased() == "string_agg" && bargs.count == 1 { bargs.append(.constant(.string(","), .string)) }
        let lname = name.lowercased()
        if lname == "argmin" || lname == "argmax", bargs.count == 2 { bargs = [bargs[1], bargs[0]] }
        let types = bargs.map(\.type)
        let r: ResolvedAggregate
        do {
            r = try AggregateRegistry.resolve(name, parameters: params, args: lname == "argmin" || lname == "argmax" ? types.reversed() : types, distinct: distinct, star: star)
        } catch var e as AurumError { if e.position == nil { e.position = pos }; throw e }
        var castArgs: [BoundExpr] = []
        for (i, a) in bargs.enumerated() {
            let want = i < r.argumentTypes.count ? r.argumentTypes[i] : a.type
            castArgs.append(try coerce(a, to: want.base == a.type.base ? a.type : (a.type.isNullable ? want.nullable : want)))
        }
        let cond = try condition.map { try bindPredicate($0, col.fromScope) }
        let agg = BoundAggregate(name: name, arguments: castArgs, condition: cond, distinct: distinct, returnType: r.returnType, makeState: r.makeState)
        let idx: Int
        if let i = col.aggregates.firstIndex(where: { $0.key == agg.key }) { idx = i } else { col.aggregates.append(agg); idx = col.aggregates.count - 1 }
        return .column(col.groups.count + idx, r.returnType)
    }
}
