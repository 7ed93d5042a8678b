import AurumCore
import AurumSQL
import AurumStorage
import Foundation

/// INSERT: binds the source, converts columns to the table's types, fills defaults, splits
/// rows by partition, and commits all parts of the statement atomically.
struct InsertExecutor {
    let session: Session
    let parameters: [Value]

    func run(_ ins: Insert) throws -> Int {
        let entry = try session.table(ins.table)
        let def = entry.definition
        var targets: [Int] = []
        if let cols = ins.columns {
            for c in cols {
                guard let i = def.columnIndex(c) else {
                    throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(entry.name)\" does not exist")
                }
                targets.append(i)
            }
        } else { targets = Array(0..<def.columns.count) }
        switch ins.source {
        case .defaultValues:
            return try insertBlocks([Block(columns: [], count: 1)], into: entry, columns: [])
        case .infile(let path, let format):
            return try insertFile(path, format: format, compression: ins.compression, into: entry, targets: targets, listed: ins.columns != nil)
        case .query(let q):
            let binder = Binder(session: session, parameters: parameters)
            // VALUES: bind row literals directly against the target types (exact decimals, dates from text)
            if case .values(let rows) = q.body, q.orderBy.isEmpty, q.limit == nil {
                let types = targets.map { def.columns[$0].type }
                var builders = types.map { ColumnBuilder(type: $0.nullable, capacity: rows.count) }
                for r in rows {
                    guard r.count == targets.count else {
                        throw AurumError(.syntaxError, "INSERT has \(r.count) expressions but \(targets.count) target columns", position: r.first?.pos)
                    }
                    for (k, e) in r.enumerated() {
                        let b = try binder.bindExpr(e, Scope())
                        let v = try Evaluator.constantValue(b)
                        do { builders[k].append(try v.cast(to: types[k])) } catch var err as AurumError {
                            if err.position == nil { err.position = e.pos }
                            err.detail = "column \"\(def.columns[targets[k]].name)\""
                            throw err
                        }
                    }
                }
                let cols = builders.enumerated().map { k, b -> Column in var c = b.finish(); c.type = c.validity != nil ? types[k].nullable : types[k]; return c }
                return try insertBlocks([Block(columns: cols, count: rows.count)], into: entry, columns: targets)
            }
            let (plan, _) = try binder.bindQuery(q)
            guard plan.types.count == targets.count else {
                throw AurumError(.syntaxError, "INSERT has \(plan.types.count) expressions but \(targets.count) target columns")
            }
            // streamed into a bulk insert: a large INSERT ... SELECT (FROM file(...)) is written
            // part by part as its rows arrive instead of being held in memory
            let ctx = session.currentContext ?? session.makeContext()
            let stream = try Executor(ctx: ctx).stream(Optimizer.optimize(plan))
            return try bulkInsert(into: entry, columns: targets.map { def.columns[$0].name }) { try stream.next() }
        }
    }

    /// Appends the blocks `next` returns (until nil) to one atomic bulk insert into the named
    /// columns, checking for cancellation between blocks.
    func bulkInsert(into entry: TableEntry, columns: [String], _ next: () throws -> Block?) throws -> Int {
        let insert = try BulkInsert(session: session, entry: entry, columns: columns)
        do {
            while let block = try next() {
                try session.currentContext?.checkCancelled()
                try insert.append(block)
            }
            return try insert.finish()
        } catch {
            insert.abort()
            throw error
        }
    }

    /// `FROM INFILE`: streams the file(s) through the ingest readers (CSV/TSV, NDJSON, Parquet,
    /// Delta) into one atomic bulk insert — parts are written while the file is read, and
    /// published together at the end, or removed if anything fails.
    func insertFile(_ path: String, format: String?, compression: String?, into entry: TableEntry, targets: [Int], listed: Bool) throws -> Int {
        guard let provider = ExternalSources.provider else {
            throw AurumError(.featureNotSupported, "INSERT ... FROM INFILE needs the file readers, which are not installed in this process",
                             hint: "call IngestTableFunctions.install() (the embedded Database and the CLI do)")
        }
        let def = entry.definition
        let columns = targets.map { SourceColumn(name: def.columns[$0].name, type: def.columns[$0].type) }
        let (source, names) = try provider.openInfile(path: path, format: format, compression: compression, table: entry.name, targets: columns, listed: listed)
        return try bulkInsert(into: entry, columns: names) { try source.next() }
    }

    /// Converts `blocks` (columns matching `columns` = target column indices), computes the
    /// hidden sorting-key columns, and inserts them.
    func insertBlocks(_ blocks: [Block], into entry: TableEntry, columns: [Int]) throws -> Int {
        let (batches, total) = try storageBatches(blocks, for: entry, columns: columns)
        if !batches.isEmpty { try entry.storage.insert(batches) }
        return total
    }

    /// The storage batches of an insert of `blocks` (see `insertBlocks`): converted to the
    /// table's types, defaults filled, hidden key columns computed, split by partition.
    func storageBatches(_ blocks: [Block], for entry: TableEntry, columns: [Int]) throws -> ([PartitionedBlock], Int) {
        let def = entry.definition
        var batches: [PartitionedBlock] = []
        var total = 0
        let partitionBinder: BoundExpr? = try def.partitionBy.map { e in
            try Binder.constantBinder().bindExpr(e, def.columnScope)
        }
        // sorting-key expressions: computed over the user columns, appended as hidden columns
        let keyExprs = try def.keyExpressions()
        let storageTypes = def.columns.map(\.type) + keyExprs.map(\.type)
        var defaultExprs: [Int: BoundExpr] = [:]
        for (i, c) in def.columns.enumerated() where !columns.contains(i) {
            if let d = c.defaultExpr {
                var scope = Scope()
                for cc in def.columns { scope.columns.append(ScopeColumn(name: cc.name, table: nil, type: cc.type)) }
                defaultExprs[i] = try Binder.constantBinder().bindExpr(d, scope)
            }
        }
        var pending: [Block] = []
        var pendingRows = 0
        func flush() throws {
            guard pendingRows > 0 else { return }
            let b = Block.concat(pending, types: storageTypes)
            pending = []; pendingRows = 0
            if let pe = partitionBinder {
                let keys = try Evaluator.evaluate(pe, b)
                var groups: [String: [Int32]] = [:]
                var order: [String] = []
                for i in 0..<b.count {
                    let k = keys.value(at: i).description
                    if groups[k] == nil { order.append(k) }
                    groups[k, default: []].append(Int32(i))
                }
                if order.count > 1000 {
                    throw AurumError(.invalidParameterValue, "too many partitions (\(order.count)) in one INSERT", hint: "PARTITION BY should produce few values, e.g. toYYYYMM(date)")
                }
                for k in order { batches.append(PartitionedBlock(partitionID: k, block: b.gather(groups[k]!))) }
            } else {
                batches.append(PartitionedBlock(partitionID: "", block: b))
            }
        }
        for src in blocks where src.count > 0 {
            var cols: [Column] = []
            let n = src.count
            // first the provided columns, converted; then defaults (which may reference them)
            var provided: [Int: Column] = [:]
            for (k, ti) in columns.enumerated() {
                let t = def.columns[ti].type
                var c = try Cast.column(src.columns[k], to: t)
                if c.validity != nil && !t.isNullable {
                    if c.nullCount > 0 {
                        throw AurumError(.notNullViolation, "null value in column \"\(def.columns[ti].name)\" violates not-null constraint",
                                         hint: "declare the column Nullable(...) or insert a value")
                    }
                    c.validity = nil
                }
                c.type = t
                provided[ti] = c
            }
            // omitted columns without DEFAULT get NULL or the type's zero value
            for (i, c) in def.columns.enumerated() where provided[i] == nil && defaultExprs[i] == nil {
                provided[i] = Column.constant(c.type.isNullable ? .null : StorageColumn.zeroValue(c.type), type: c.type, count: n)
            }
            // defaults are evaluated over the row being inserted, each after the columns it
            // references (which may themselves be defaulted: `b DEFAULT a * 2, a DEFAULT 1`)
            var waiting = def.columns.indices.filter { provided[$0] == nil }
            while !waiting.isEmpty {
                let ready = waiting.firstIndex { i in
                    var refs = Set<Int>()
                    defaultExprs[i]!.collectColumns(into: &refs)
                    return refs.allSatisfy { provided[$0] != nil }
                } ?? 0   // a cycle: evaluate in column order with what is there
                let i = waiting.remove(at: ready)
                let c = def.columns[i]
                let partial = Block(columns: def.columns.indices.map { j in provided[j] ?? Column.constant(def.columns[j].type.isNullable ? .null : StorageColumn.zeroValue(def.columns[j].type), type: def.columns[j].type.nullable, count: n) }, count: n)
                var v = try Cast.column(try Evaluator.evaluate(defaultExprs[i]!, partial), to: c.type)
                if !c.type.isNullable { v.validity = nil }
                v.type = c.type
                provided[i] = v
            }
            for i in def.columns.indices { cols.append(provided[i]!) }
            if !keyExprs.isEmpty {
                let user = Block(columns: cols, count: n)
                for k in keyExprs {
                    var v = try Cast.column(try Evaluator.evaluate(k.bound, user), to: k.type)
                    if !k.type.isNullable {
                        if v.validity != nil && v.nullCount > 0 {
                            throw AurumError(.notNullViolation, "sorting key expression \(SQLPrinter.expr(k.expr)) gave NULL for a non-nullable key")
                        }
                        v.validity = nil
                    }
                    v.type = k.type
                    cols.append(v)
                }
            }
            pending.append(Block(columns: cols, count: n))
            pendingRows += n
            total += n
            if pendingRows >= 1 << 20 { try flush() }
        }
        try flush()
        return (batches, total)
    }
}

extension Session {
    func makeContextIfNeeded() -> QueryContext { makeContext() }
}
