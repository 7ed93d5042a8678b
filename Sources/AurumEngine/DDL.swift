import AurumCore
import AurumSQL
import AurumStorage
import Foundation

/// CREATE / ALTER TABLE: from the AST to a `TableDefinition`, a storage schema, and catalog changes.
enum DDL {
    static let engines = ["mergetree", "replacingmergetree", "summingmergetree"]

    static func resolveType(_ tn: TypeName, nullConstraint: Bool?) throws -> DataType {
        if tn.isArray { throw AurumError(.featureNotSupported, "array types are not supported yet", position: tn.pos) }
        var t: DataType
        do { t = try DataType.named(tn.name, arguments: tn.arguments) } catch var e as AurumError { e.position = tn.pos; throw e }
        if tn.lowCardinality {
            guard t.base == .string else { throw AurumError(.featureNotSupported, "LowCardinality is supported for String only", position: tn.pos) }
            t.isLowCardinality = true
        }
        // Nullable(T) or an explicit NULL makes the column nullable; NOT NULL / ClickHouse default is not.
        t.isNullable = tn.nullable || nullConstraint == true
        if tn.nullable && nullConstraint == false {
            throw AurumError(.syntaxError, "a Nullable column cannot be NOT NULL", position: tn.pos)
        }
        return t
    }

    /// Builds the definition from CREATE TABLE (columns must be present).
    ///
    /// `loading`: the definition comes from a catalog file written by an earlier version, so
    /// names that are reserved today (`_sort_key_*`) are tolerated there.
    static func definition(from ct: CreateTable, loading: Bool = false) throws -> TableDefinition {
        var cols: [ColumnInfo] = []
        var seen = Set<String>()
        for c in ct.columns {
            guard seen.insert(c.name.lowercased()).inserted else {
                throw AurumError(.duplicateColumn, "column \"\(c.name)\" specified more than once", position: c.pos)
            }
            if !loading { try checkColumnName(c.name, position: c.pos) }
            // PostgreSQL-style CREATE TABLE (no ENGINE): columns are nullable unless NOT NULL.
            let pgStyle = ct.engine == nil
            let nc: Bool? = c.nullConstraint ?? (pgStyle && !c.primaryKey && !c.type.nullable ? true : nil)
            let t = try resolveType(c.type, nullConstraint: nc)
            for st in c.codec where !["none", "lz4", "zstd", "delta", "doubledelta", "t64", "gorilla", "lz4hc"].contains(st.name.lowercased()) {
                throw AurumError(.invalidParameterValue, "unknown codec \(st.name)", hint: "supported codecs: NONE, LZ4, ZSTD(level), Delta, DoubleDelta")
            }
            cols.append(ColumnInfo(name: c.name, type: t, defaultExpr: c.defaultValue, codec: c.codec, comment: c.comment))
        }
        guard !cols.isEmpty else { throw AurumError(.syntaxError, "a table needs at least one column") }
        let engineName = ct.engine?.name ?? "MergeTree"
        guard engines.contains(engineName.lowercased()) else {
            throw AurumError(.featureNotSupported, "table engine \(engineName) is not supported", hint: "use MergeTree, ReplacingMergeTree or SummingMergeTree")
        }
        var order: [Expr] = ct.orderBy ?? ct.primaryKey ?? []
        if ct.orderBy == nil && ct.primaryKey == nil {
            let pk = ct.columns.filter { $0.primaryKey }.map { Expr.column(QualifiedName([$0.name])) }
            order = pk.isEmpty ? [.column(QualifiedName([cols[0].name]))] : pk
        }
        var granularity = 8192
        for (k, v) in ct.settings {
            switch k.lowercased() {
            case "index_granularity":
                guard case .integer(let s) = v, let n = Int(s), n >= 1, n <= 1 << 20 else {
                    throw AurumError(.invalidParameterValue, "index_granularity must be an integer between 1 and 1048576")
                }
                granularity = n
            default: break  // other ClickHouse settings are accepted and ignored
            }
        }
        var def = TableDefinition(columns: cols, engineName: engineName, engineArguments: ct.engine?.arguments ?? [],
                                  partitionBy: ct.partitionBy, orderBy: order, indexGranularity: granularity, comment: ct.comment)
        // `tuple()` inside the key is an empty element
        def.orderBy = def.orderBy.filter { e in
            if case .function(let f, _) = e, f.name.parts.count == 1, f.name.last.lowercased() == "tuple", f.arguments.isEmpty { return false }
            return true
        }
        // validate the key: plain columns must exist; expressions are checked and typed
        for e in def.orderBy {
            if case .column(let n) = e, def.columnIndex(n.last) == nil {
                throw AurumError(.undefinedColumn, "column \"\(n)\" in the sorting key does not exist", position: n.pos)
            }
        }
        _ = try def.keyExpressions()
        // PARTITION BY must bind over the columns now, not at the first INSERT
        if let p = def.partitionBy {
            do { _ = try def.partitionReferencedColumns() } catch var err as AurumError {
                if err.position == nil { err.position = p.pos }
                throw err
            }
        }
        return def
    }

    /// Refuses user column names in the reserved hidden-column namespace (42939).
    static func checkColumnName(_ name: String, position: Int? = nil) throws {
        if name.lowercased().hasPrefix(TableDefinition.hiddenKeyPrefix) {
            throw AurumError(SQLState("42939"), "column name \"\(name)\" is reserved: names starting with \(TableDefinition.hiddenKeyPrefix) are used for sorting-key expressions",
                             hint: "rename the column", position: position)
        }
    }

    static func codecSteps(_ stages: [CodecStage]) -> [CodecStep] {
        stages.compactMap { st in
            switch st.name.lowercased() {
            case "none": return CodecStep.none
            case "lz4", "lz4hc": return .lz4
            case "zstd": return .zstd(level: st.arguments.first ?? 1)
            case "delta": return .delta
            case "doubledelta": return .doubleDelta
            default: return nil   // T64/Gorilla: accepted, storage default used
            }
        }
    }

    /// The storage schema: the user columns in definition order, then one hidden column per
    /// sorting-key expression (`_sort_key_<position in ORDER BY>`), whose values inserts compute.
    /// Storage binds part files by column name, so hidden names stay stable across ALTERs.
    static func storageSchema(_ def: TableDefinition) throws -> StorageSchema {
        var cols: [StorageColumn] = []
        for c in def.columns {
            var dv: Value = c.type.isNullable ? .null : StorageColumn.zeroValue(c.type)
            if let d = c.defaultExpr, let v = try? constantDefault(d, c.type) { dv = v }
            cols.append(StorageColumn(name: c.name, type: c.type, codec: codecSteps(c.codec), defaultValue: dv))
        }
        let hidden = try def.keyExpressions()
        var key: [Int] = []
        for (pos, e) in def.orderBy.enumerated() {
            if case .column(let n) = e, let i = def.columnIndex(n.last) {
                key.append(i)
            } else if let h = hidden.firstIndex(where: { $0.position == pos }) {
                key.append(def.columns.count + h)
            }
        }
        for h in hidden { cols.append(StorageColumn(name: h.name, type: h.type)) }
        // columns a key expression reads are part of the key: never summed by default
        let keyInputs = try def.keyReferencedColumns()
        var mode = MergeMode.plain
        switch def.engineName.lowercased() {
        case "replacingmergetree":
            var ver: Int? = nil
            if let a = def.engineArguments.first, case .column(let n) = a { ver = def.columnIndex(n.last) }
            mode = .replacing(versionColumn: ver)
        case "summingmergetree":
            // A column a key expression reads must keep its row values (summed, the stored key
            // would no longer match it), so it is never summed.
            var cs: [Int] = []
            for a in def.engineArguments {
                guard case .column(let n) = a, let i = def.columnIndex(n.last) else { continue }
                if keyInputs.contains(i) && !key.contains(i) {
                    throw AurumError(.featureNotSupported, "column \"\(def.columns[i].name)\" is read by a sorting-key expression and cannot be summed", position: n.pos)
                }
                cs.append(i)
            }
            if cs.isEmpty {
                cs = def.columns.indices.filter { def.columns[$0].type.isNumeric && !key.contains($0) && !keyInputs.contains($0) }
                // storage reads an empty list as "every numeric non-key column", which would
                // include the key expressions' inputs
                if cs.isEmpty, let i = def.columns.indices.first(where: { def.columns[$0].type.isNumeric && !key.contains($0) }) {
                    throw AurumError(.featureNotSupported, "SummingMergeTree has no column to sum: numeric column \"\(def.columns[i].name)\" is read by a sorting-key expression",
                                     hint: "add a measure column, or use ReplacingMergeTree")
                }
            }
            mode = .summing(columns: cs)
        default: break
        }
        return StorageSchema(columns: cols, sortKey: key, indexGranularity: def.indexGranularity, mergeMode: mode)
    }

    /// Evaluates a constant DEFAULT expression (no column references) to a value of type t.
    static func constantDefault(_ e: Expr, _ t: DataType) throws -> Value {
        if SQLPrinter.expr(e).contains("<subquery>") { throw AurumError.notSupported("subqueries are not allowed in DEFAULT expressions") }
        let b = try Binder.constantBinder().bindExpr(e, Scope())
        return try Evaluator.constantValue(b).cast(to: t)
    }

    // MARK: CREATE TABLE

    static func createTable(_ ct: CreateTable, session: Session, parameters: [Value]) throws -> StatementResult {
        let (db, name) = session.resolveName(ct.name)
        let catalog = session.catalog
        var ct = ct
        var sourceBlocks: [Block]? = nil
        if let q = ct.asQuery {
            let binder = Binder(session: session, parameters: parameters)
            let (plan, names) = try binder.bindQuery(q)
            let types = plan.types
            if ct.columns.isEmpty {
                ct.columns = zip(names, types).map { n, t in
                    ColumnDefinition(name: n, type: TypeName(name: t.plain.description.components(separatedBy: "(")[0],
                                                             arguments: typeArguments(t), nullable: t.isNullable, lowCardinality: t.isLowCardinality),
                                     nullConstraint: nil)
                }
                if ct.engine == nil { ct.engine = EngineClause(name: "MergeTree") }
            }
            sourceBlocks = try session.run(plan)
        }
        let def = try definition(from: ct)
        return try catalog.ddlLock.withLock { _ -> StatementResult in
            guard catalog.databaseExists(db), db != "system" else { throw AurumError(.invalidSchemaName, "database \"\(db)\" does not exist", position: ct.name.pos) }
            if catalog.table(db, name) != nil {
                if ct.ifNotExists { return .empty(tag: "CREATE TABLE") }
                throw AurumError(.duplicateTable, "relation \"\(name)\" already exists", position: ct.name.pos)
            }
            let uuid = UUID().uuidString.lowercased()
            let entry = try catalog.openTable(database: db, name: name, uuid: uuid, definition: def)
            if let blocks = sourceBlocks {
                do {
                    _ = try InsertExecutor(session: session, parameters: parameters).insertBlocks(blocks, into: entry, columns: Array(0..<def.columns.count))
                } catch {
                    try? entry.storage.drop()
                    throw error
                }
            }
            do { try catalog.register(entry) } catch { try? entry.storage.drop(); throw error }
            return .empty(tag: sourceBlocks.map { "SELECT \($0.reduce(0) { $0 + $1.count })" } ?? "CREATE TABLE")
        }
    }

    static func typeArguments(_ t: DataType) -> [Int] {
        switch t.base {
        case .decimal(let p, let s): return [p, s]
        case .dateTime64(let p): return [p]
        default: return []
        }
    }

    // MARK: ALTER

    static func alter(_ n: QualifiedName, _ actions: [AlterAction], session: Session) throws -> StatementResult {
        let catalog = session.catalog
        return try catalog.ddlLock.withLock { _ -> StatementResult in
            var entry = try session.table(n)
            for action in actions {
                var def = entry.definition
                var renames: [String: String] = [:]
                switch action {
                case .addColumn(let cd, let ifNotExists, let after):
                    if def.columnIndex(cd.name) != nil {
                        if ifNotExists { continue }
                        throw AurumError(.duplicateColumn, "column \"\(cd.name)\" of relation \"\(entry.name)\" already exists", position: cd.pos)
                    }
                    try checkColumnName(cd.name, position: cd.pos)
                    let t = try resolveType(cd.type, nullConstraint: cd.nullConstraint)
                    let info = ColumnInfo(name: cd.name, type: t, defaultExpr: cd.defaultValue, codec: cd.codec, comment: cd.comment)
                    if let a = after, let i = def.columnIndex(a) { def.columns.insert(info, at: i + 1) } else { def.columns.append(info) }
                case .dropColumn(let c, let ifExists):
                    guard let i = def.columnIndex(c) else {
                        if ifExists { continue }
                        throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(entry.name)\" does not exist")
                    }
                    if try def.keyReferencedColumns().contains(i) {
                        throw AurumError(.featureNotSupported, "cannot drop column \"\(c)\": it is part of the sorting key")
                    }
                    if try def.partitionReferencedColumns().contains(i) {
                        throw AurumError(.featureNotSupported, "cannot drop column \"\(c)\": it is used in PARTITION BY")
                    }
                    if def.engineArgumentColumns.contains(i) {
                        throw AurumError(.featureNotSupported, "cannot drop column \"\(c)\": it is an argument of the table engine \(def.engineName)")
                    }
                    if def.columns.count == 1 { throw AurumError(.featureNotSupported, "cannot drop the only column of a table") }
                    def.columns.remove(at: i)
                case .renameColumn(let from, let to):
                    guard let i = def.columnIndex(from) else { throw AurumError(.undefinedColumn, "column \"\(from)\" does not exist") }
                    if def.columnIndex(to) != nil { throw AurumError(.duplicateColumn, "column \"\(to)\" already exists") }
                    try checkColumnName(to)
                    // a plain key column is renamed in ORDER BY too; one read by a key expression is not
                    if try def.keyReferencedColumns(expressionsOnly: true).contains(i) {
                        throw AurumError(.featureNotSupported, "cannot rename column \"\(from)\": it is used in a sorting-key expression")
                    }
                    if try def.partitionReferencedColumns().contains(i) {
                        throw AurumError(.featureNotSupported, "cannot rename a column used in PARTITION BY")
                    }
                    let oldName = def.columns[i].name
                    renames[oldName] = to
                    def.columns[i].name = to
                    // plain column references in ORDER BY and in the engine's arguments
                    // (ReplacingMergeTree(version), SummingMergeTree(columns)) follow the rename
                    func renamed(_ e: Expr) -> Expr {
                        if case .column(let k) = e, k.parts.count == 1, k.last.lowercased() == oldName.lowercased() { return .column(QualifiedName([to])) }
                        return e
                    }
                    def.orderBy = def.orderBy.map(renamed)
                    def.engineArguments = def.engineArguments.map(renamed)
                case .renameTable(let to):
                    let (db, name) = session.resolveName(to)
                    try catalog.rename(entry, toDatabase: db, name: name)
                    guard let e = catalog.table(db, name) else { throw AurumError.internalError("renamed table vanished") }
                    entry = e
                    continue
                }
                try entry.storage.alter(schema: try storageSchema(def), renamedColumns: renames)
                let newEntry = entry.with(definition: def)
                try catalog.replace(newEntry)
                entry = newEntry
            }
            return .empty(tag: "ALTER TABLE")
        }
    }
}

// MARK: sorting-key expressions

/// A sorting-key element that is an expression (`toDate(ts)`), stored as a hidden key column
/// that inserts compute from the user columns.
struct KeyExpression: Sendable {
    /// Index of the element in ORDER BY.
    var position: Int
    /// The hidden storage column: `_sort_key_<position>`.
    var name: String
    var expr: Expr
    /// Bound over the user columns (indices into `TableDefinition.columns`).
    var bound: BoundExpr
    var type: DataType
}

extension TableDefinition {
    /// User columns named as engine arguments (ReplacingMergeTree's version column,
    /// SummingMergeTree's summed columns).
    var engineArgumentColumns: Set<Int> {
        var s = Set<Int>()
        for a in engineArguments { if case .column(let n) = a, let i = columnIndex(n.last) { s.insert(i) } }
        return s
    }

    /// Prefix of hidden sorting-key columns; user columns may not start with it.
    static let hiddenKeyPrefix = "_sort_key_"

    /// A scope with the user columns, for binding key and partition expressions.
    var columnScope: Scope {
        var scope = Scope()
        for c in columns { scope.columns.append(ScopeColumn(name: c.name, table: nil, type: c.type)) }
        return scope
    }

    /// The ORDER BY elements that are not plain columns, validated and bound over the user
    /// columns, in ORDER BY order. Throws 42703 (unknown column), 42883 (unknown function),
    /// 0A000 (non-deterministic, aggregate, subquery, parameter or constant key).
    func keyExpressions() throws -> [KeyExpression] {
        var out: [KeyExpression] = []
        let scope = columnScope
        for (pos, e) in orderBy.enumerated() {
            if case .column = e { continue }
            let text = SQLPrinter.expr(e)
            try TableDefinition.checkKeyExpression(e, self, text: text)
            let bound: BoundExpr
            do { bound = try Binder.constantBinder().bindExpr(e, scope) } catch var err as AurumError {
                if err.position == nil { err.position = e.pos }
                throw err
            }
            if let f = bound.firstNonDeterministicCall {
                throw AurumError(.featureNotSupported, "sorting key expression \(text) is not deterministic (\(f))", position: e.pos)
            }
            if bound.columns.isEmpty {
                throw AurumError(.featureNotSupported, "sorting key expression \(text) is constant", hint: "a key element must read a column", position: e.pos)
            }
            guard bound.type.base != .nothing else {
                throw AurumError(.datatypeMismatch, "sorting key expression \(text) has no type", position: e.pos)
            }
            out.append(KeyExpression(position: pos, name: TableDefinition.hiddenKeyPrefix + String(pos), expr: e, bound: bound, type: bound.type))
        }
        return out
    }

    /// Indices of the user columns the sorting key reads (plain key columns and the inputs of
    /// key expressions; only the latter with `expressionsOnly`).
    func keyReferencedColumns(expressionsOnly: Bool = false) throws -> Set<Int> {
        var s = Set<Int>()
        for e in orderBy where !expressionsOnly {
            if case .column(let n) = e, let i = columnIndex(n.last) { s.insert(i) }
        }
        for k in try keyExpressions() { k.bound.collectColumns(into: &s) }
        return s
    }

    /// Indices of the user columns PARTITION BY reads.
    func partitionReferencedColumns() throws -> Set<Int> {
        guard let p = partitionBy else { return [] }
        return try Binder.constantBinder().bindExpr(p, columnScope).columns
    }

    /// Session and clock functions the binder folds into constants (so the bound form cannot
    /// show them), spelled as calls or as bare identifiers.
    static let sessionDependentNames: Set<String> = [
        "now", "current_timestamp", "localtimestamp", "today", "current_date", "version", "current_database",
        "currentdatabase", "database", "current_schema", "current_catalog", "current_user", "session_user", "user", "currentuser",
    ]

    /// AST checks for a key expression: no subqueries, parameters, aggregates, window functions,
    /// clock or session functions (0A000).
    static func checkKeyExpression(_ e: Expr, _ def: TableDefinition, text: String) throws {
        func refuse(_ why: String, _ pos: Int) -> AurumError {
            AurumError(.featureNotSupported, "sorting key expression \(text) is not allowed: \(why)", position: pos)
        }
        func walk(_ e: Expr) throws {
            switch e {
            case .literal, .star: break
            case .column(let n):
                if n.parts.count == 1, def.columnIndex(n.last) == nil, sessionDependentNames.contains(n.last.lowercased()) {
                    throw refuse("\(n.last) is not deterministic", n.pos)
                }
            case .parameter(_, let pos): throw refuse("it contains a parameter", pos)
            case .subquery(_, let pos), .exists(_, _, let pos), .inSubquery(_, _, _, let pos): throw refuse("it contains a subquery", pos)
            case .function(let f, let pos):
                let name = f.name.last
                if f.over != nil { throw refuse("window functions cannot be keys", pos) }
                if sessionDependentNames.contains(name.lowercased()) { throw refuse("\(name)() is not deterministic", pos) }
                if AggregateRegistry.isAggregate(name) && (!FunctionRegistry.exists(name) || f.star || f.distinct) {
                    throw refuse("aggregate function \(name) cannot be a key", pos)
                }
                for a in f.arguments + f.parameters { try walk(a) }
                if let w = f.filter { try walk(w) }
                for o in f.orderBy { try walk(o.expr) }
            case .unary(_, let x, _), .cast(let x, _, _), .isNull(let x, _, _), .isBool(let x, _, _, _), .interval(let x, _, _), .extract(_, let x, _):
                try walk(x)
            case .binary(_, let a, let b, _), .subscript(let a, let b, _), .quantified(_, let a, _, let b, _):
                try walk(a); try walk(b)
            case .caseWhen(let op, let ws, let el, _):
                if let op { try walk(op) }
                for w in ws { try walk(w.condition); try walk(w.result) }
                if let el { try walk(el) }
            case .between(let x, let lo, let hi, _, _): try walk(x); try walk(lo); try walk(hi)
            case .inList(let x, let xs, _, _): try walk(x); for y in xs { try walk(y) }
            case .tuple(let xs, _), .array(let xs, _): for y in xs { try walk(y) }
            }
        }
        try walk(e)
    }
}

extension BoundExpr {
    /// The name of the first non-deterministic function call in the expression, if any.
    var firstNonDeterministicCall: String? {
        switch self {
        case .column, .constant: return nil
        case .call(let f, let a):
            if !f.deterministic { return f.name }
            return a.lazy.compactMap(\.firstNonDeterministicCall).first
        case .cast(let x, _), .not(let x), .isNull(let x, _), .inSet(let x, _, _, _): return x.firstNonDeterministicCall
        case .compare(_, let a, let b): return a.firstNonDeterministicCall ?? b.firstNonDeterministicCall
        case .and(let xs), .or(let xs): return xs.lazy.compactMap(\.firstNonDeterministicCall).first
        case .caseWhen(let bs, let e, _):
            for b in bs { if let n = b.condition.firstNonDeterministicCall ?? b.result.firstNonDeterministicCall { return n } }
            return e?.firstNonDeterministicCall
        }
    }
}

extension Binder {
    /// A binder with no session, for constant expressions in DDL.
    static func constantBinder() -> Binder { Binder(session: ConstantSession(), parameters: []) }
}

/// A session stand-in for binding constant expressions (DEFAULT values at catalog load).
final class ConstantSession: SessionContext {
    var catalog: Catalog { fatalError("constant expressions cannot reference tables") }
    var currentDatabase: String { "default" }
    var user: String { "aurum" }
    var settings: [String: String] { [:] }
    func run(_ plan: Plan) throws -> [Block] { throw AurumError.notSupported("subqueries are not allowed in DEFAULT expressions") }
}
