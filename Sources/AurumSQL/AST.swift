import AurumCore

// The abstract syntax tree produced by `Parser`. Value types only; `indirect` only on
// recursive cases. Every expression carries the 1-based character offset of its first token
// (`pos`) so binder errors can point into the statement (PostgreSQL's error position).

/// A possibly qualified name: `t`, `db.t`, `pg_catalog.pg_class`. Parts keep their spelling;
/// `quoted` records whether each part was written with double quotes (or backticks), which
/// makes the binder match it case-sensitively.
public struct QualifiedName: Sendable, Equatable, CustomStringConvertible {
    public var parts: [String]
    public var quoted: [Bool]
    public var pos: Int
    public init(_ parts: [String], quoted: [Bool]? = nil, pos: Int = 0) {
        self.parts = parts
        self.quoted = quoted ?? Array(repeating: false, count: parts.count)
        self.pos = pos
    }
    public var last: String { parts.last ?? "" }
    public var description: String { parts.joined(separator: ".") }
}

/// A type as written: `Nullable(Decimal(18, 2))`, `varchar(20)`, `double precision`,
/// `timestamp with time zone`, `LowCardinality(String)`, `int[]` (array: not yet supported).
public struct TypeName: Sendable, Equatable {
    /// Base name with multi-word PostgreSQL names joined by one space, lowercased for
    /// PostgreSQL keyword types (e.g. "double precision", "character varying") and kept as
    /// written otherwise (e.g. "DateTime64").
    public var name: String
    /// Numeric arguments (precision, scale, length).
    public var arguments: [Int]
    public var nullable: Bool
    public var lowCardinality: Bool
    public var isArray: Bool
    public var pos: Int
    /// The time zone argument of ClickHouse's `DateTime('UTC')` / `DateTime64(3, 'UTC')`.
    public var timeZone: String?
    public init(name: String, arguments: [Int] = [], nullable: Bool = false, lowCardinality: Bool = false, isArray: Bool = false, pos: Int = 0,
                timeZone: String? = nil) {
        self.name = name; self.arguments = arguments; self.nullable = nullable
        self.lowCardinality = lowCardinality; self.isArray = isArray; self.pos = pos; self.timeZone = timeZone
    }
}

public enum Literal: Sendable, Equatable {
    case null
    case bool(Bool)
    /// Integer literal text as written (may exceed Int64; the binder decides the type).
    case integer(String)
    /// Decimal/float literal text as written, e.g. "1.50", "1e3".
    case number(String)
    case string(String)
    /// `DATE '2024-01-01'`, `TIMESTAMP '...'`, `INTERVAL '1 day'` and similar typed literals.
    case typed(TypeName, String)
}

/// `INTERVAL 1 DAY`, `INTERVAL '3' MONTH`, `INTERVAL '2 hours'`.
public enum IntervalUnit: String, Sendable, Equatable {
    case nanosecond, microsecond, millisecond, second, minute, hour, day, week, month, quarter, year
}

public enum BinaryOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case concat = "||"
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "AND", or = "OR"
    case like = "LIKE", notLike = "NOT LIKE", ilike = "ILIKE", notIlike = "NOT ILIKE"
    /// `IS DISTINCT FROM` / `IS NOT DISTINCT FROM`
    case isDistinctFrom = "IS DISTINCT FROM", isNotDistinctFrom = "IS NOT DISTINCT FROM"
}

public enum UnaryOperator: String, Sendable, Equatable {
    case not = "NOT", minus = "-", plus = "+"
}

public struct OrderItem: Sendable, Equatable {
    public var expr: Expr
    public var ascending: Bool
    /// nil = default (NULLS LAST for ASC, NULLS FIRST for DESC, as PostgreSQL).
    public var nullsFirst: Bool?
    public init(expr: Expr, ascending: Bool = true, nullsFirst: Bool? = nil) {
        self.expr = expr; self.ascending = ascending; self.nullsFirst = nullsFirst
    }
}

/// One end of a window frame: `UNBOUNDED PRECEDING`, `n PRECEDING`, `CURRENT ROW`,
/// `n FOLLOWING`, `UNBOUNDED FOLLOWING`.
public enum FrameBound: Sendable, Equatable {
    case unboundedPreceding
    case preceding(Expr)
    case currentRow
    case following(Expr)
    case unboundedFollowing
}

/// `ROWS | RANGE | GROUPS {start | BETWEEN start AND end}` (a single bound means `end` = CURRENT ROW).
public struct WindowFrame: Sendable, Equatable {
    public enum Unit: String, Sendable, Equatable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }
    public var unit: Unit
    public var start: FrameBound
    public var end: FrameBound
    /// `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS` (`.noOthers` when not written).
    public enum Exclusion: String, Sendable, Equatable {
        case noOthers = "NO OTHERS", currentRow = "CURRENT ROW", group = "GROUP", ties = "TIES"
    }
    public var exclusion: Exclusion
    /// Whether the frame excludes rows (`EXCLUDE` other than `NO OTHERS`).
    public var exclude: Bool { exclusion != .noOthers }
    public var pos: Int
    public init(unit: Unit, start: FrameBound, end: FrameBound = .currentRow, exclusion: Exclusion = .noOthers, pos: Int = 0) {
        self.unit = unit; self.start = start; self.end = end; self.exclusion = exclusion; self.pos = pos
    }
}

/// A window specification: `OVER (...)` or `OVER name`; `base` names a window of the
/// query's `WINDOW` clause that this one refines (`OVER (w ORDER BY x)`, `OVER w`).
public struct WindowSpec: Sendable, Equatable {
    public var base: String?
    public var partitionBy: [Expr]
    public var orderBy: [OrderItem]
    public var frame: WindowFrame?
    public var pos: Int
    public init(base: String? = nil, partitionBy: [Expr] = [], orderBy: [OrderItem] = [], frame: WindowFrame? = nil, pos: Int = 0) {
        self.base = base; self.partitionBy = partitionBy; self.orderBy = orderBy; self.frame = frame; self.pos = pos
    }
}

/// `WINDOW name AS (spec)` of a SELECT.
public struct NamedWindow: Sendable, Equatable {
    public var name: String
    public var spec: WindowSpec
    public init(name: String, spec: WindowSpec) { self.name = name; self.spec = spec }
}

/// A function call: `f(args)`, `count(*)`, `count(DISTINCT x)`, `quantile(0.9)(x)`
/// (ClickHouse parametric: `parameters` = [0.9]), `string_agg(x, ',' ORDER BY y)`,
/// `f(...) FILTER (WHERE ...)`, `f(...) OVER (...)`.
public struct FunctionCall: Sendable, Equatable {
    public var name: QualifiedName
    public var arguments: [Expr]
    public var parameters: [Expr]
    public var distinct: Bool
    /// `count(*)`: true and `arguments` empty.
    public var star: Bool
    public var orderBy: [OrderItem]
    public var filter: Expr?
    public var over: WindowSpec?
    public init(name: QualifiedName, arguments: [Expr] = [], parameters: [Expr] = [], distinct: Bool = false,
                star: Bool = false, orderBy: [OrderItem] = [], filter: Expr? = nil, over: WindowSpec? = nil) {
        self.name = name; self.arguments = arguments; self.parameters = parameters; self.distinct = distinct
        self.star = star; self.orderBy = orderBy; self.filter = filter; self.over = over
    }
}

public struct WhenClause: Sendable, Equatable {
    public var condition: Expr
    public var result: Expr
    public init(condition: Expr, result: Expr) { self.condition = condition; self.result = result }
}

/// Scalar expressions.
public indirect enum Expr: Sendable, Equatable {
    case literal(Literal, pos: Int)
    /// A column reference, possibly qualified (`t.c`, `db.t.c`).
    case column(QualifiedName)
    /// `*` or `t.*` inside a select list or function argument list.
    case star(qualifier: QualifiedName?, pos: Int)
    /// `$1` (1-based).
    case parameter(Int, pos: Int)
    case unary(UnaryOperator, Expr, pos: Int)
    case binary(BinaryOperator, Expr, Expr, pos: Int)
    case function(FunctionCall, pos: Int)
    /// `CAST(x AS T)`, `x::T`, `TRY_CAST` is not supported.
    case cast(Expr, TypeName, pos: Int)
    /// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`
    case caseWhen(operand: Expr?, whens: [WhenClause], elseResult: Expr?, pos: Int)
    /// `x [NOT] BETWEEN a AND b`
    case between(Expr, low: Expr, high: Expr, negated: Bool, pos: Int)
    /// `x [NOT] IN (a, b, c)`
    case inList(Expr, [Expr], negated: Bool, pos: Int)
    /// `x [NOT] IN (SELECT ...)`
    case inSubquery(Expr, Query, negated: Bool, pos: Int)
    /// `x IS [NOT] NULL`
    case isNull(Expr, negated: Bool, pos: Int)
    /// `x IS [NOT] TRUE|FALSE`
    case isBool(Expr, value: Bool, negated: Bool, pos: Int)
    /// `(SELECT ...)` used as a value.
    case subquery(Query, pos: Int)
    /// `[NOT] EXISTS (SELECT ...)`
    case exists(Query, negated: Bool, pos: Int)
    /// `INTERVAL n UNIT` (value may be any expression; `INTERVAL '2 hours'` gives value '2' and unit hour).
    case interval(Expr, IntervalUnit, pos: Int)
    /// `EXTRACT(field FROM x)`; field lowercased (year, month, day, hour, minute, second, quarter,
    /// week, dow, doy, epoch, ...).
    case extract(field: String, Expr, pos: Int)
    /// `x op ANY|ALL (array expr or subquery)` — op is a comparison.
    case quantified(BinaryOperator, Expr, all: Bool, Expr, pos: Int)
    /// `ARRAY[a, b]` or `[a, b]`.
    case array([Expr], pos: Int)
    /// `arr[i]` subscript.
    case `subscript`(Expr, Expr, pos: Int)
    /// `(a, b)` tuple (row constructor), e.g. in `ORDER BY (a, b)` or `(a, b) IN (...)`.
    case tuple([Expr], pos: Int)

    /// 1-based offset of the expression's first token.
    public var pos: Int {
        switch self {
        case .literal(_, let p), .star(_, let p), .parameter(_, let p), .unary(_, _, let p),
             .binary(_, _, _, let p), .function(_, let p), .cast(_, _, let p), .caseWhen(_, _, _, let p),
             .between(_, _, _, _, let p), .inList(_, _, _, let p), .inSubquery(_, _, _, let p),
             .isNull(_, _, let p), .isBool(_, _, _, let p), .subquery(_, let p), .exists(_, _, let p),
             .interval(_, _, let p), .extract(_, _, let p), .quantified(_, _, _, _, let p),
             .array(_, let p), .`subscript`(_, _, let p), .tuple(_, let p):
            return p
        case .column(let n): return n.pos
        }
    }
}

public struct SelectItem: Sendable, Equatable {
    public var expr: Expr
    public var alias: String?
    public init(expr: Expr, alias: String? = nil) { self.expr = expr; self.alias = alias }
}

public enum JoinKind: String, Sendable, Equatable {
    case inner, left, right, full, cross
}

/// The FROM clause tree.
public indirect enum TableRef: Sendable, Equatable {
    /// `[db.]table [FINAL] [[AS] alias]`
    case table(QualifiedName, alias: String?, final: Bool)
    /// `(SELECT ...) [AS] alias [(col, ...)]`
    case subquery(Query, alias: String?, columnAliases: [String])
    /// Table function: `numbers(10)`, `generate_series(1, 5)`, `file('x.csv', CSV)`, `unnest(...)`.
    case function(FunctionCall, alias: String?, columnAliases: [String])
    /// `a [kind] JOIN b ON cond | USING (cols)`; `,` in FROM is a cross join.
    case join(TableRef, JoinKind, TableRef, on: Expr?, using: [String])
}

/// One `SELECT` block (no set operations, no ORDER BY/LIMIT: those live on `Query`).
public struct Select: Sendable, Equatable {
    public var distinct: Bool
    /// `DISTINCT ON (...)` (PostgreSQL); empty when not used.
    public var distinctOn: [Expr]
    public var items: [SelectItem]
    public var from: TableRef?
    public var whereClause: Expr?
    public var groupBy: [Expr]
    public var withTotals: Bool
    public var having: Expr?
    /// `WINDOW name AS (...), ...`
    public var windows: [NamedWindow] = []
    public var pos: Int
    public init(distinct: Bool = false, distinctOn: [Expr] = [], items: [SelectItem], from: TableRef? = nil,
                whereClause: Expr? = nil, groupBy: [Expr] = [], withTotals: Bool = false, having: Expr? = nil, pos: Int = 0) {
        self.distinct = distinct; self.distinctOn = distinctOn; self.items = items; self.from = from
        self.whereClause = whereClause; self.groupBy = groupBy; self.withTotals = withTotals
        self.having = having; self.pos = pos
    }
}

public enum SetOperator: String, Sendable, Equatable {
    case unionAll = "UNION ALL", unionDistinct = "UNION", intersect = "INTERSECT", except = "EXCEPT"
}

/// The body of a query: a SELECT, a parenthesised query, `VALUES (...), (...)`, or a set operation.
public indirect enum QueryBody: Sendable, Equatable {
    case select(Select)
    case values([[Expr]])
    case setOperation(SetOperator, QueryBody, QueryBody)
    case nested(Query)
}

public struct CommonTableExpression: Sendable, Equatable {
    public var name: String
    public var columnAliases: [String]
    public var query: Query
    /// Declared in a `WITH RECURSIVE` list (may reference itself after UNION [ALL]).
    public var recursive: Bool = false
    public init(name: String, columnAliases: [String] = [], query: Query) {
        self.name = name; self.columnAliases = columnAliases; self.query = query
    }
}

/// `LIMIT n BY cols` (ClickHouse).
public struct LimitBy: Sendable, Equatable {
    public var limit: Expr
    public var offset: Expr?
    public var by: [Expr]
    public init(limit: Expr, offset: Expr? = nil, by: [Expr]) { self.limit = limit; self.offset = offset; self.by = by }
}

/// A full query: `WITH ... body ORDER BY ... LIMIT n BY ... LIMIT n OFFSET m`
/// (`FETCH FIRST n ROWS ONLY` maps to `limit`).
/// ClickHouse's `WITH <expr> AS name`: a named expression usable like a select-list alias
/// anywhere in the query (a column of the same name takes precedence).
public struct ScalarWith: Sendable, Equatable {
    public var name: String
    public var expr: Expr
    public init(name: String, expr: Expr) { self.name = name; self.expr = expr }
}

public struct Query: Sendable, Equatable {
    public var with: [CommonTableExpression]
    /// `WITH <expr> AS name` items (may be mixed with CTEs in one WITH list).
    public var scalarWith: [ScalarWith] = []
    public var body: QueryBody
    public var orderBy: [OrderItem]
    public var limitBy: LimitBy?
    public var limit: Expr?
    public var offset: Expr?
    public init(with: [CommonTableExpression] = [], body: QueryBody, orderBy: [OrderItem] = [],
                limitBy: LimitBy? = nil, limit: Expr? = nil, offset: Expr? = nil) {
        self.with = with; self.body = body; self.orderBy = orderBy; self.limitBy = limitBy
        self.limit = limit; self.offset = offset
    }
}

// MARK: DDL

/// `CODEC(Delta, ZSTD(3))` stage: name as written plus integer arguments.
public struct CodecStage: Sendable, Equatable {
    public var name: String
    public var arguments: [Int]
    public init(name: String, arguments: [Int] = []) { self.name = name; self.arguments = arguments }
}

public struct ColumnDefinition: Sendable, Equatable {
    public var name: String
    public var type: TypeName
    /// Explicit `NULL` (true) / `NOT NULL` (false) / none (nil).
    public var nullConstraint: Bool?
    public var defaultValue: Expr?
    public var codec: [CodecStage]
    /// `PRIMARY KEY` written on the column (PostgreSQL style).
    public var primaryKey: Bool
    public var comment: String?
    public var pos: Int
    public init(name: String, type: TypeName, nullConstraint: Bool? = nil, defaultValue: Expr? = nil,
                codec: [CodecStage] = [], primaryKey: Bool = false, comment: String? = nil, pos: Int = 0) {
        self.name = name; self.type = type; self.nullConstraint = nullConstraint; self.defaultValue = defaultValue
        self.codec = codec; self.primaryKey = primaryKey; self.comment = comment; self.pos = pos
    }
}

/// `ENGINE = Name(args)`; args are expressions (e.g. ReplacingMergeTree(version)).
public struct EngineClause: Sendable, Equatable {
    public var name: String
    public var arguments: [Expr]
    public init(name: String, arguments: [Expr] = []) { self.name = name; self.arguments = arguments }
}

public struct CreateTable: Sendable, Equatable {
    public var name: QualifiedName
    public var ifNotExists: Bool
    public var columns: [ColumnDefinition]
    public var engine: EngineClause?
    public var partitionBy: Expr?
    /// `ORDER BY expr | (expr, ...)`; `ORDER BY tuple()` gives an empty list.
    public var orderBy: [Expr]?
    /// `PRIMARY KEY (...)` clause or table constraint.
    public var primaryKey: [Expr]?
    /// `SETTINGS k = v, ...` (values as literals).
    public var settings: [(String, Literal)]
    /// `AS SELECT ...`
    public var asQuery: Query?
    /// Optional `UUID '...'` clause (ClickHouse); Aurum's catalog files carry it.
    public var uuid: String?
    public var comment: String?
    /// `CREATE TEMPORARY TABLE` (session-scoped in PostgreSQL and ClickHouse).
    public var temporary: Bool
    public init(name: QualifiedName, ifNotExists: Bool = false, columns: [ColumnDefinition] = [], engine: EngineClause? = nil,
                partitionBy: Expr? = nil, orderBy: [Expr]? = nil, primaryKey: [Expr]? = nil,
                settings: [(String, Literal)] = [], asQuery: Query? = nil, uuid: String? = nil, comment: String? = nil,
                temporary: Bool = false) {
        self.name = name; self.ifNotExists = ifNotExists; self.columns = columns; self.engine = engine
        self.partitionBy = partitionBy; self.orderBy = orderBy; self.primaryKey = primaryKey
        self.settings = settings; self.asQuery = asQuery; self.uuid = uuid; self.comment = comment
        self.temporary = temporary
    }
    public static func == (a: CreateTable, b: CreateTable) -> Bool {
        a.name == b.name && a.ifNotExists == b.ifNotExists && a.columns == b.columns && a.engine == b.engine
            && a.partitionBy == b.partitionBy && a.orderBy == b.orderBy && a.primaryKey == b.primaryKey
            && a.settings.map { $0.0 } == b.settings.map { $0.0 } && a.settings.map { $0.1 } == b.settings.map { $0.1 }
            && a.asQuery == b.asQuery && a.uuid == b.uuid && a.comment == b.comment && a.temporary == b.temporary
    }
}

public enum AlterAction: Sendable, Equatable {
    case addColumn(ColumnDefinition, ifNotExists: Bool, after: String?)
    case dropColumn(String, ifExists: Bool)
    case renameColumn(from: String, to: String)
    /// `ALTER TABLE a RENAME TO b` (PostgreSQL)
    case renameTable(to: QualifiedName)
}

public enum InsertSource: Sendable, Equatable {
    /// `VALUES (...), (...)` or a query.
    case query(Query)
    /// `FROM INFILE 'path' [COMPRESSION 'x'] [FORMAT Name]` (no format: from the file name)
    case infile(path: String, format: String?)
    /// `DEFAULT VALUES`
    case defaultValues
}

public struct Insert: Sendable, Equatable {
    public var table: QualifiedName
    public var columns: [String]?
    public var source: InsertSource
    /// `FROM INFILE ... COMPRESSION 'gzip'`, as written (nil: detect from the file name).
    public var compression: String?
    public init(table: QualifiedName, columns: [String]? = nil, source: InsertSource, compression: String? = nil) {
        self.table = table; self.columns = columns; self.source = source; self.compression = compression
    }
}

/// `SHOW ...` forms.
public enum ShowKind: Sendable, Equatable {
    case databases
    /// `SHOW TABLES [FROM db] [LIKE 'pattern']`
    case tables(from: String?, like: String?)
    case createTable(QualifiedName)
    /// `SHOW name` / `SHOW ALL` (PostgreSQL settings).
    case setting(String)
    case all
}

/// `COPY` data format.
public enum CopyFormat: String, Sendable, Equatable {
    case text, csv, binary
}

/// `HEADER` option of COPY: absent/false, true, or `MATCH` (COPY FROM checks the names).
public enum CopyHeader: Sendable, Equatable {
    case none, present, match
}

/// The options of a COPY statement, as written (defaults are applied by the engine).
public struct CopyOptions: Sendable, Equatable {
    public var format: CopyFormat = .text
    public var header: CopyHeader = .none
    public var delimiter: String?
    public var null: String?
    public var quote: String?
    public var escape: String?
    /// `FORCE_NOT_NULL (cols)`: a null-string match in these columns is read as a value.
    public var forceNotNull: [String] = []
    /// `FORCE_NULL (cols)`: a quoted null string in these columns is read as NULL.
    public var forceNull: [String] = []
    /// `FORCE_QUOTE (cols)` / `FORCE_QUOTE *` (nil list: every column).
    public var forceQuote: [String]? = []
    public var encoding: String?
    public init() {}
}

/// `COPY t [(cols)] FROM STDIN [WITH ...]`, `COPY t [(cols)] | (query) TO STDOUT [WITH ...]`.
public struct CopyStatement: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case table(QualifiedName, columns: [String]?)
        case query(Query)
    }
    public var source: Source
    /// true: `FROM STDIN`; false: `TO STDOUT`.
    public var isFrom: Bool
    public var options: CopyOptions
    public init(source: Source, isFrom: Bool, options: CopyOptions) {
        self.source = source; self.isFrom = isFrom; self.options = options
    }
}

/// Top-level statements.
public indirect enum Statement: Sendable, Equatable {
    case query(Query)
    /// `EXPLAIN [ANALYZE] stmt`
    case explain(Statement, analyze: Bool)
    case createDatabase(name: String, ifNotExists: Bool)
    case dropDatabase(name: String, ifExists: Bool)
    case createTable(CreateTable)
    /// `CREATE VIEW [IF NOT EXISTS] name AS query` (parsed; engine may reject)
    case createView(name: QualifiedName, query: Query, orReplace: Bool)
    case dropTable(names: [QualifiedName], ifExists: Bool, isView: Bool)
    case truncate(QualifiedName)
    /// `RENAME TABLE a TO b, c TO d`
    case renameTable([(QualifiedName, QualifiedName)])
    case exchangeTables(QualifiedName, QualifiedName)
    case alterTable(QualifiedName, [AlterAction])
    case insert(Insert)
    /// `DELETE FROM t [WHERE ...]` / `ALTER TABLE t DELETE WHERE` (parsed; engine may reject)
    case delete(table: QualifiedName, whereClause: Expr?)
    /// `OPTIMIZE TABLE t [FINAL]`
    case optimize(QualifiedName, final: Bool)
    case show(ShowKind)
    /// `DESCRIBE [TABLE] t` / `DESC t`
    case describe(QualifiedName)
    /// `USE db`
    case use(String)
    /// `SET name = value | TO value`, `SET SESSION ...`, `SET TIME ZONE ...`; value text unquoted.
    case set(name: String, value: String)
    /// `SET LOCAL name = value`, `SET TRANSACTION ...`: until the end of the transaction block.
    case setLocal(name: String, value: String)
    case reset(name: String?)
    /// BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT
    case begin, commit, rollback
    /// `SAVEPOINT name`, `RELEASE [SAVEPOINT] name`, `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name`
    /// (the name folded to lower case unless it was quoted).
    case savepoint(String), releaseSavepoint(String), rollbackToSavepoint(String)
    /// `DECLARE name [BINARY] [INSENSITIVE] [[NO] SCROLL] CURSOR [{WITH|WITHOUT} HOLD] FOR query`
    case declareCursor(name: String, query: Query, hold: Bool, scroll: Bool)
    /// `FETCH [NEXT | FORWARD [n | ALL] | n | ALL] [FROM | IN] name` (`move`: MOVE, no rows returned);
    /// `count` nil means ALL.
    case fetch(name: String, count: Int?, move: Bool)
    /// `CLOSE name` / `CLOSE ALL` (name nil).
    case closeCursor(name: String?)
    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP[ORARY]` (the word, upper case).
    case discard(String)
    /// `DEALLOCATE [PREPARE] name` / `DEALLOCATE [PREPARE] ALL` (name nil).
    case deallocate(name: String?)
    /// `PREPARE name [(type, ...)] AS statement`
    case prepare(name: String, types: [TypeName], body: Statement, text: String)
    /// `EXECUTE name [(arg, ...)]`
    case execute(name: String, arguments: [Expr])
    /// `COPY ... FROM STDIN` / `COPY ... TO STDOUT`
    case copy(CopyStatement)

    public static func == (a: Statement, b: Statement) -> Bool {
        switch (a, b) {
        case (.renameTable(let x), .renameTable(let y)):
            return x.map { $0.0 } == y.map { $0.0 } && x.map { $0.1 } == y.map { $0.1 }
        case (.query(let x), .query(let y)): return x == y
        case (.explain(let x, let ax), .explain(let y, let ay)): return x == y && ax == ay
        case (.createDatabase(let x, let i), .createDatabase(let y, let j)): return x == y && i == j
        case (.dropDatabase(let x, let i), .dropDatabase(let y, let j)): return x == y && i == j
        case (.createTable(let x), .createTable(let y)): return x == y
        case (.createView(let n1, let q1, let o1), .createView(let n2, let q2, let o2)): return n1 == n2 && q1 == q2 && o1 == o2
        case (.dropTable(let n1, let i1, let v1), .dropTable(let n2, let i2, let v2)): return n1 == n2 && i1 == i2 && v1 == v2
        case (.truncate(let x), .truncate(let y)): return x == y
        case (.exchangeTables(let a1, let b1), .exchangeTables(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.alterTable(let n1, let a1), .alterTable(let n2, let a2)): return n1 == n2 && a1 == a2
        case (.insert(let x), .insert(let y)): return x == y
        case (.delete(let t1, let w1), .delete(let t2, let w2)): return t1 == t2 && w1 == w2
        case (.optimize(let t1, let f1), .optimize(let t2, let f2)): return t1 == t2 && f1 == f2
        case (.show(let x), .show(let y)): return x == y
        case (.describe(let x), .describe(let y)): return x == y
        case (.use(let x), .use(let y)): return x == y
        case (.set(let n1, let v1), .set(let n2, let v2)): return n1 == n2 && v1 == v2
        case (.setLocal(let n1, let v1), .setLocal(let n2, let v2)): return n1 == n2 && v1 == v2
        case (.reset(let x), .reset(let y)): return x == y
        case (.begin, .begin), (.commit, .commit), (.rollback, .rollback): return true
        case (.savepoint(let x), .savepoint(let y)), (.releaseSavepoint(let x), .releaseSavepoint(let y)),
             (.rollbackToSavepoint(let x), .rollbackToSavepoint(let y)): return x == y
        case (.declareCursor(let n1, let q1, let h1, let s1), .declareCursor(let n2, let q2, let h2, let s2)):
            return n1 == n2 && q1 == q2 && h1 == h2 && s1 == s2
        case (.fetch(let n1, let c1, let m1), .fetch(let n2, let c2, let m2)): return n1 == n2 && c1 == c2 && m1 == m2
        case (.closeCursor(let x), .closeCursor(let y)), (.deallocate(let x), .deallocate(let y)): return x == y
        case (.discard(let x), .discard(let y)): return x == y
        case (.prepare(let n1, let t1, let b1, let x1), .prepare(let n2, let t2, let b2, let x2)):
            return n1 == n2 && t1 == t2 && b1 == b2 && x1 == x2
        case (.execute(let n1, let a1), .execute(let n2, let a2)): return n1 == n2 && a1 == a2
        case (.copy(let x), .copy(let y)): return x == y
        default: return false
        }
    }
}
