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
    static func definition(from ct: CreateTable) throws -> TableDefinition {
        var cols: [ColumnInfo] = []
        var seen = Set<String>()
        for c in ct.columns {
            guard seen.insert(c.name.lowercased()).inserted else {
                throw AurumError(.duplicateColumn, "column \"\(c.name)\" specified more than once", position: c.pos)
            }
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
        // validate key columns: ORDER BY must name columns (expressions are not supported as keys yet)
        for e in def.orderBy {
            guard case .column(let n) = e, def.columnIndex(n.last) != nil else {
                if case .function(let f, _) = e, f.name.last.lowercased() == "tuple", f.arguments.isEmpty { continue }
                throw AurumError(.featureNotSupported, "ORDER BY key must be a list of columns; \(SQLPrinter.expr(e)) is not supported yet", position: e.pos)
            }
        }
        def.orderBy = def.orderBy.filter { if case .function = $0 { return false }; return true }
        return def
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

    static func storageSchema(_ def: TableDefinition) throws -> StorageSchema {
        var cols: [StorageColumn] = []
        for c in def.columns {
            var dv: Value = c.type.isNullable ? .null : StorageColumn.zeroValue(c.type)
            if let d = c.defaultExpr, let v = try? constantDefault(d, c.type) { dv = v }
            cols.append(StorageColumn(name: c.name, type: c.type, codec: codecSteps(c.codec), defaultValue: dv))
        }
        let key = def.orderBy.compactMap { e -> Int? in if case .column(let n) = e { return def.columnIndex(n.last) }; return nil }
        var mode = MergeMode.plain
        switch def.engineName.lowercased() {
        case "replacingmergetree":
            var ver: Int? = nil
            if let a = def.engineArguments.first, case .column(let n) = a { ver = def.columnIndex(n.last) }
            mode = .replacing(versionColumn: ver)
        case "summingmergetree":
            var cs: [Int] = []
            for a in def.engineArguments { if case .column(let n) = a, let i = def.columnIndex(n.last) { cs.append(i) } }
            if cs.isEmpty { cs = def.columns.indices.filter { def.columns[$0].type.isNumeric && !key.contains($0) } }
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
                    let t = try resolveType(cd.type, nullConstraint: cd.nullConstraint)
                    let info = ColumnInfo(name: cd.name, type: t, defaultExpr: cd.defaultValue, codec: cd.codec, comment: cd.comment)
                    if let a = after, let i = def.columnIndex(a) { def.columns.insert(info, at: i + 1) } else { def.columns.append(info) }
                case .dropColumn(let c, let ifExists):
                    guard let i = def.columnIndex(c) else {
                        if ifExists { continue }
                        throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(entry.name)\" does not exist")
                    }
                    if def.orderBy.contains(where: { if case .column(let k) = $0 { return k.last.lowercased() == def.columns[i].name.lowercased() }; return false }) {
                        throw AurumError(.featureNotSupported, "cannot drop column \"\(c)\": it is part of the sorting key")
                    }
                    if def.columns.count == 1 { throw AurumError(.featureNotSupported, "cannot drop the only column of a table") }
                    def.columns.remove(at: i)
                case .renameColumn(let from, let to):
                    guard let i = def.columnIndex(from) else { throw AurumError(.undefinedColumn, "column \"\(from)\" does not exist") }
                    if def.columnIndex(to) != nil { throw AurumError(.duplicateColumn, "column \"\(to)\" already exists") }
                    renames[def.columns[i].name] = to
                    def.columns[i].name = to
                    def.orderBy = def.orderBy.map { e in
                        if case .column(let k) = e, k.last.lowercased() == from.lowercased() { return .column(QualifiedName([to])) }
                        return e
                    }
                    if let p = def.partitionBy, SQLPrinter.expr(p).contains(from) {
                        throw AurumError(.featureNotSupported, "cannot rename a column used in PARTITION BY")
                    }
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
