import AurumCore
import AurumSQL

// Prepared statements (the extended query protocol's Parse, SQL PREPARE/EXECUTE), parameter
// type inference, and SQL cursors (DECLARE/FETCH/MOVE/CLOSE). See docs/wire-protocol.md.

/// A parsed and bound (not executed) statement: its parameter types and, for statements that
/// return rows, its result columns.
public final class PreparedStatement: Sendable {
    /// The statement text.
    public let sql: String
    /// The statement; nil for an empty query string.
    public let statement: Statement?
    /// The type of each `$n` (index n - 1): the declared type, else the type inferred from the
    /// context, else String (text).
    public let parameterTypes: [DataType]
    /// The result columns of a row-returning statement; empty otherwise.
    public let columns: [(name: String, type: DataType)]
    /// Table OID / attribute number of result columns that are plain table columns (for the
    /// RowDescription of a Describe; pgJDBC's ResultSetMetaData.getTableName etc.).
    public let sourceColumns: [PGColumnSource?]

    init(sql: String, statement: Statement?, parameterTypes: [DataType], columns: [(name: String, type: DataType)],
         sourceColumns: [PGColumnSource?] = []) {
        self.sourceColumns = sourceColumns
        self.sql = sql
        self.statement = statement
        self.parameterTypes = parameterTypes
        self.columns = columns
    }

    /// Whether the statement returns rows (a RowDescription describes it).
    public var returnsRows: Bool { !columns.isEmpty }
}

/// Collects parameter types while a statement is bound for preparation. Each `$n` binds to a
/// NULL of its type (declared, or inferred so far); the first inferred type wins.
final class ParameterInference {
    let declared: [DataType?]
    private var inferred: [Int: DataType] = [:]
    private var maxIndex = 0

    init(declared: [DataType?]) { self.declared = declared }

    /// PostgreSQL's limit on the number of parameters of one statement.
    static let maxParameters = 65535

    func type(of i: Int) -> DataType? {
        if i >= 1 && i <= declared.count, let t = declared[i - 1] { return t }
        return inferred[i]
    }

    /// Records `t` for `$i` unless it has a type; a second inferred type that cannot be compared
    /// with the first is 42P08, as PostgreSQL's "inconsistent types deduced for parameter".
    func note(_ i: Int, _ t: DataType) throws {
        guard t.base != .nothing else { return }
        if i >= 1 && i <= declared.count && declared[i - 1] != nil { return }
        if let existing = inferred[i] {
            if existing != t.plain && TypeRules.comparisonType(existing, t.plain) == nil {
                throw AurumError(.inconsistentParameterTypes, "inconsistent types deduced for parameter $\(i)",
                                 detail: "\(existing) versus \(t.plain)")
            }
            return
        }
        inferred[i] = t.plain
    }

    func bind(_ i: Int, pos: Int) throws -> BoundExpr {
        guard i >= 1 && i <= Self.maxParameters else {
            throw AurumError(.undefinedParameter, "there is no parameter $\(i)", position: pos)
        }
        maxIndex = max(maxIndex, i)
        guard let t = type(of: i) else { return .constant(.null, .nothing) }
        return .constant(.null, t.nullable)
    }

    var types: [DataType] {
        (0..<max(maxIndex, declared.count)).map { type(of: $0 + 1) ?? .string }
    }
}

extension Binder {
    /// The parameter number of `$n`, `-$n`, `+$n` or `($n)`.
    func parameterIndex(_ e: Expr) -> Int? {
        switch e {
        case .parameter(let i, _): return i
        case .unary(.minus, let x, _), .unary(.plus, let x, _): return parameterIndex(x)
        case .tuple(let xs, _) where xs.count == 1: return parameterIndex(xs[0])
        default: return nil
        }
    }

    /// Binds `e`; while preparing, a parameter `e` takes type `hint` unless it has one.
    func bindHinted(_ e: Expr, _ hint: DataType?, _ scope: Scope, _ agg: AggregateCollector?) throws -> BoundExpr {
        if let inference, let hint, let i = parameterIndex(e) { try inference.note(i, hint) }
        return try bindExpr(e, scope, agg: agg)
    }

    /// While preparing: the type of the first expression of `exprs` that is not a parameter
    /// (nil otherwise, and always nil outside preparation).
    func inferredType(_ exprs: [Expr], _ scope: Scope, _ agg: AggregateCollector?) throws -> DataType? {
        guard inference != nil else { return nil }
        for e in exprs where parameterIndex(e) == nil {
            let t = try bindExpr(e, scope, agg: agg).type
            if t.base != .nothing { return t }
        }
        return nil
    }

    /// Binds both operands of a binary operator; while preparing, a parameter operand takes the
    /// other operand's type (integer days/seconds next to a date/time in arithmetic).
    func bindPair(_ l: Expr, _ r: Expr, _ scope: Scope, _ agg: AggregateCollector?,
                  arithmetic: Bool = false) throws -> (BoundExpr, BoundExpr) {
        guard inference != nil else { return (try bindExpr(l, scope, agg: agg), try bindExpr(r, scope, agg: agg)) }
        func hint(_ t: DataType) -> DataType { arithmetic && t.isTemporal ? .int64 : t }
        if parameterIndex(l) != nil && parameterIndex(r) == nil {
            let b = try bindExpr(r, scope, agg: agg)
            return (try bindHinted(l, hint(b.type), scope, agg), b)
        }
        let a = try bindExpr(l, scope, agg: agg)
        return (a, try bindHinted(r, hint(a.type), scope, agg))
    }

    /// Function arguments while preparing: parameters of coalesce-like functions take the other
    /// arguments' type; otherwise the argument types of the resolved overload.
    func bindArgumentsInferring(_ lname: String, _ args: [Expr], _ scope: Scope, _ agg: AggregateCollector?) throws -> [BoundExpr] {
        guard let inference else { return try args.map { try bindExpr($0, scope, agg: agg) } }
        if ["coalesce", "ifnull", "nullif", "greatest", "least"].contains(lname) {
            let hint = try inferredType(args, scope, agg)
            return try args.map { try bindHinted($0, hint, scope, agg) }
        }
        var bound = try args.map { try bindExpr($0, scope, agg: agg) }
        let resolved = try? FunctionRegistry.resolve(lname, bound.map(\.type))
        guard let r = resolved else { return bound }
        var changed = false
        for (k, e) in args.enumerated() where k < r.argumentTypes.count {
            if let i = parameterIndex(e), inference.type(of: i) == nil, r.argumentTypes[k].base != .nothing {
                try inference.note(i, r.argumentTypes[k])
                changed = true
            }
        }
        if changed { bound = try args.map { try bindExpr($0, scope, agg: agg) } }
        return bound
    }
}

/// A result handed out a few rows at a time: SQL cursors and protocol portals. Rows are
/// pulled from the statement's stream as they are asked for, so a cursor over a large table
/// never holds more than a window of it.
public final class ResultCursor: @unchecked Sendable {
    public let columnNames: [String]
    public let columnTypes: [DataType]
    /// WITH HOLD: survives the end of the transaction.
    public let holdable: Bool
    public let stream: StatementStream
    /// The block being handed out and the first row of it not handed out yet.
    private var pending: Block?
    private var rowIndex = 0

    public convenience init(_ result: StatementResult, holdable: Bool = false) {
        self.init(stream: StatementStream(result: result), holdable: holdable)
    }

    public init(stream: StatementStream, holdable: Bool = false) {
        self.stream = stream
        columnNames = stream.columnNames
        columnTypes = stream.columnTypes
        self.holdable = holdable
    }

    public var isExhausted: Bool { pending == nil && stream.isExhausted }

    /// The next `maxRows` rows (fewer at the end), as slices of the result's blocks.
    public func next(maxRows: Int) throws -> [Block] {
        try take(maxRows) { try stream.next() }
    }

    /// `next(maxRows:)` with the session's statement lock held (FETCH).
    func nextLocked(maxRows: Int) throws -> [Block] {
        try take(maxRows) { try stream.nextLocked() }
    }

    private func take(_ maxRows: Int, _ pull: () throws -> Block?) throws -> [Block] {
        var out: [Block] = []
        var left = maxRows
        while left > 0 {
            if pending == nil {
                guard let b = try pull() else { break }
                pending = b
                rowIndex = 0
            }
            let b = pending!
            let n = min(left, b.count - rowIndex)
            out.append(rowIndex == 0 && n == b.count ? b : b.slice(rowIndex..<(rowIndex + n)))
            left -= n
            rowIndex += n
            if rowIndex == b.count { pending = nil }
        }
        return out
    }
}

extension Session {
    /// Parses and binds exactly one statement (an empty string is the empty statement) without
    /// running it. `declaredTypes[n - 1]` is the type of `$n` when not nil; other parameter
    /// types are inferred.
    public func prepare(_ sql: String, declaredTypes: [DataType?] = []) throws -> PreparedStatement {
        lock.lock()
        defer { lock.unlock() }
        let stmts = try Session.attributing(sql) { try Parser.parse(sql) }
        guard stmts.count <= 1 else {
            throw AurumError(.syntaxError, "cannot insert multiple commands into a prepared statement")
        }
        guard let s = stmts.first else {
            return PreparedStatement(sql: sql, statement: nil, parameterTypes: declaredTypes.map { $0 ?? .string }, columns: [])
        }
        return try Session.attributing(s.text) { try prepareStatement(s.statement, text: s.text, declaredTypes: declaredTypes) }
    }

    /// Runs a prepared statement with `parameters` (converted to its parameter types); the
    /// result columns have the prepared column types.
    public func execute(_ prepared: PreparedStatement, parameters: [Value]) throws -> StatementResult {
        try stream(prepared, parameters: parameters).collect()
    }

    /// Stores a named prepared statement (protocol Parse with a name, SQL PREPARE).
    public func addPreparedStatement(_ p: PreparedStatement, name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard preparedStatements[name] == nil else {
            throw AurumError(.duplicatePreparedStatement, "prepared statement \"\(name)\" already exists")
        }
        preparedStatements[name] = p
    }

    public func preparedStatement(named name: String) -> PreparedStatement? {
        lock.lock()
        defer { lock.unlock() }
        return preparedStatements[name]
    }

    /// Removes a named prepared statement; no error when there is none (protocol Close).
    public func removePreparedStatement(named name: String) {
        lock.lock()
        defer { lock.unlock() }
        preparedStatements.removeValue(forKey: name)
    }

    /// The result columns of the SQL cursor `name` (DECLARE), nil when there is none. A cursor
    /// is a portal in PostgreSQL: protocol Describe of a portal falls back to cursors.
    public func cursorColumns(named name: String) -> [(name: String, type: DataType)]? {
        lock.lock()
        defer { lock.unlock() }
        guard let c = cursors[name.lowercased()] else { return nil }
        return Array(zip(c.columnNames, c.columnTypes))
    }

    /// The parameters of `p`, checked and cast to its parameter types.
    func preparedValues(_ p: PreparedStatement, _ parameters: [Value]) throws -> [Value] {
        guard parameters.count == p.parameterTypes.count else {
            throw AurumError(.protocolViolation,
                             "bind message supplies \(parameters.count) parameters, but prepared statement requires \(p.parameterTypes.count)")
        }
        return try zip(parameters, p.parameterTypes).map { v, t in v.isNull ? Value.null : try v.cast(to: t) }
    }

    func runPrepared(_ p: PreparedStatement, _ stmt: Statement, parameters: [Value]) throws -> StatementResult {
        let values = try preparedValues(p, parameters)
        var r = try executeStatement(stmt, text: p.sql, parameters: values)
        // Keep the described column types (RowDescription was sent before the rows).
        if p.returnsRows {
            let casts = Session.describedCasts(r.columnTypes, p.columns.map(\.type))
            r.blocks = try r.blocks.map { try Session.conform($0, casts) }
            for (i, t) in casts { r.columnTypes[i] = t }
        }
        return r
    }

    /// The result columns whose type differs from the one a prepared statement described
    /// (a parameter's type changes the result's, e.g. `SELECT $1 + 1`): index and described type
    /// (nullable when the result column is). Empty when the column counts differ.
    static func describedCasts(_ types: [DataType], _ described: [DataType]) -> [(Int, DataType)] {
        guard types.count == described.count else { return [] }
        return described.enumerated().compactMap { i, t in
            t.base != .nothing && t.plain != types[i].plain ? (i, types[i].isNullable ? t.nullable : t) : nil
        }
    }

    /// `b` with the columns of `casts` cast to their described types.
    static func conform(_ b: Block, _ casts: [(Int, DataType)]) throws -> Block {
        if casts.isEmpty { return b }
        var cols = b.columns
        for (i, t) in casts { cols[i] = try Cast.column(cols[i], to: t) }
        return Block(columns: cols, count: b.count)
    }

    /// Binds `stmt` with parameter inference (the lock is held).
    func prepareStatement(_ stmt: Statement, text: String, declaredTypes: [DataType?]) throws -> PreparedStatement {
        let inference = ParameterInference(declared: declaredTypes)
        let binder = Binder(session: self)
        binder.inference = inference
        _ = makeContext()
        defer { current.withLock { $0 = nil } }
        var columns: [(name: String, type: DataType)] = []
        var sources: [PGColumnSource?] = []
        switch stmt {
        case .query(let q), .declareCursor(_, let q, _, _):
            let (plan, names) = try binder.bindQuery(q)
            if case .query = stmt {
                columns = Array(zip(names, plan.types.map { $0.base == .nothing ? DataType.string.nullable : $0 }))
                sources = PGCatalog.sourceColumns(plan, count: names.count, catalog: catalog)
            }
        case .explain(let inner, _):
            if case .query(let q) = inner { _ = try binder.bindQuery(q) }
            columns = [("QUERY PLAN", .string)]
        case .insert(let ins):
            if case .query(let q) = ins.source {
                let entry = try table(ins.table)
                let def = entry.definition
                let targets = try ins.columns.map { cols in
                    try cols.map { c -> Int in
                        guard let i = def.columnIndex(c) else {
                            throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(entry.name)\" does not exist")
                        }
                        return i
                    }
                } ?? Array(0..<def.columns.count)
                if case .values(let rows) = q.body {
                    for r in rows {
                        for (k, e) in r.enumerated() {
                            _ = try binder.bindHinted(e, k < targets.count ? def.columns[targets[k]].type : nil, Scope(), nil)
                        }
                    }
                } else {
                    _ = try binder.bindQuery(q)
                }
            }
        case .show(let kind):
            switch kind {
            case .databases, .tables: columns = [("name", .string)]
            case .createTable: columns = [("statement", .string)]
            case .setting(let name): columns = [(name, .string)]
            case .all: columns = [("name", .string), ("setting", .string), ("description", .string)]
            }
        case .describe:
            columns = ["name", "type", "default_type", "default_expression", "comment"].map { ($0, DataType.string) }
        case .fetch(let name, _, let move):
            guard let c = cursors[name.lowercased()] else { throw Self.noCursor(name) }
            if !move { columns = Array(zip(c.columnNames, c.columnTypes)) }
        case .execute(let name, let args):
            guard let p = preparedStatements[name] else { throw Self.noPrepared(name) }
            for (k, a) in args.enumerated() {
                _ = try binder.bindHinted(a, k < p.parameterTypes.count ? p.parameterTypes[k] : nil, Scope(), nil)
            }
            columns = p.columns
        default:
            break
        }
        return PreparedStatement(sql: text, statement: stmt, parameterTypes: inference.types, columns: columns, sourceColumns: sources)
    }

    static func noCursor(_ name: String) -> AurumError {
        AurumError(.invalidCursorName, "cursor \"\(name)\" does not exist")
    }

    static func noPrepared(_ name: String) -> AurumError {
        AurumError(.invalidSQLStatementName, "prepared statement \"\(name)\" does not exist")
    }

    /// Cursors, DISCARD, PREPARE/EXECUTE/DEALLOCATE (called from executeStatement).
    func executeSessionStatement(_ stmt: Statement, parameters: [Value]) throws -> StatementResult {
        switch stmt {
        case .declareCursor(let name, let q, let hold, _):
            let key = name.lowercased()
            guard cursors[key] == nil else {
                throw AurumError(.duplicateCursor, "cursor \"\(name)\" already exists")
            }
            let stream = try openStream(.query(q), text: "DECLARE \(name)", parameters: parameters)
            cursors[key] = ResultCursor(stream: stream, holdable: hold)
            return .empty(tag: "DECLARE CURSOR")
        case .fetch(let name, let count, let move):
            guard let c = cursors[name.lowercased()] else { throw Self.noCursor(name) }
            c.stream.restartTimeout()
            let blocks = try c.nextLocked(maxRows: count ?? Int.max)
            let n = blocks.reduce(0) { $0 + $1.count }
            if move { return .empty(tag: "MOVE \(n)", rowsAffected: n) }
            var types = c.columnTypes
            for b in blocks { for (i, col) in b.columns.enumerated() where col.validity != nil && i < types.count { types[i].isNullable = true } }
            return StatementResult(columnNames: c.columnNames, columnTypes: types, blocks: blocks, commandTag: "FETCH \(n)")
        case .closeCursor(let name):
            if let name {
                guard cursors.removeValue(forKey: name.lowercased()) != nil else { throw Self.noCursor(name) }
            } else {
                cursors.removeAll()
            }
            return .empty(tag: "CLOSE CURSOR")
        case .discard(let what):
            if what == "ALL" {
                cursors.removeAll()
                preparedStatements.removeAll()
                settings.removeAll()
            }
            return .empty(tag: "DISCARD \(what)")
        case .deallocate(let name):
            guard let name else {
                preparedStatements.removeAll()
                return .empty(tag: "DEALLOCATE ALL")
            }
            guard preparedStatements.removeValue(forKey: name) != nil else { throw Self.noPrepared(name) }
            return .empty(tag: "DEALLOCATE")
        case .prepare(let name, let typeNames, let body, let text):
            guard preparedStatements[name] == nil else {
                throw AurumError(.duplicatePreparedStatement, "prepared statement \"\(name)\" already exists")
            }
            let binder = Binder(session: self)
            let declared = try typeNames.map { try binder.resolveType($0) }
            let p = try prepareStatement(body, text: text, declaredTypes: declared)
            _ = makeContext()
            preparedStatements[name] = p
            return .empty(tag: "PREPARE")
        case .execute(let name, let args):
            guard let p = preparedStatements[name], let inner = p.statement else { throw Self.noPrepared(name) }
            guard args.count == p.parameterTypes.count else {
                throw AurumError(.syntaxError, "wrong number of parameters for prepared statement \"\(name)\"",
                                 detail: "Expected \(p.parameterTypes.count) parameters but got \(args.count).")
            }
            let binder = Binder(session: self, parameters: parameters)
            let values = try args.map { try Evaluator.constantValue(try binder.bindExpr($0, Scope())) }
            return try runPrepared(p, inner, parameters: values)
        default:
            throw AurumError(.internalError, "not a session statement")
        }
    }

    /// COMMIT / ROLLBACK: cursors declared WITHOUT HOLD end with the transaction.
    func closeTransactionCursors() {
        cursors = cursors.filter { $0.value.holdable }
    }
}
