import AurumCore
import AurumStorage

/// A table scan: which schema columns to read, an optional filter over the scan's output
/// columns (used both to filter rows and to skip granules by min/max), and FINAL.
struct ScanNode: @unchecked Sendable {
    var table: TableEntry
    var snapshot: TableSnapshot
    /// Schema column indices, in output order.
    var columns: [Int]
    var filter: BoundExpr?
    var final: Bool
}

/// An arithmetic series of `count` values from `start` by `step` (UInt64 for numbers(),
/// Int64 for generate_series).
struct SeriesNode: Sendable {
    var start: Int64
    var count: Int64
    var step: Int64
    var unsigned: Bool

    /// Rows per generated block.
    static let blockRows = 65_536

    /// Values `offset ..< offset + n` of the series.
    func block(offset: Int64, count n: Int) -> Block {
        let first = start &+ offset &* step
        if unsigned {
            let a = (0..<n).map { UInt64(bitPattern: first &+ Int64($0) &* step) }
            return Block(columns: [Column(type: .uint64, data: .uint64(a))], count: n)
        }
        let a = (0..<n).map { first &+ Int64($0) &* step }
        return Block(columns: [Column(type: .int64, data: .int64(a))], count: n)
    }
}

struct SortKey: Sendable {
    var expr: BoundExpr
    var ascending: Bool
    var nullsFirst: Bool
}

/// The logical/physical plan (one tree; the optimizer rewrites it in place).
indirect enum Plan: @unchecked Sendable {
    case scan(ScanNode)
    /// Constant rows (VALUES, virtual tables, the one-row input of FROM-less SELECT).
    case rows(Block)
    /// numbers(N) / generate_series: produced block by block, never materialised whole
    /// unless an operator needs all of it.
    case series(SeriesNode)
    case filter(Plan, BoundExpr)
    case project(Plan, [BoundExpr])
    /// Output: group keys then aggregates. `totals`: append a row aggregated over all groups.
    case aggregate(Plan, groups: [BoundExpr], aggregates: [BoundAggregate], totals: Bool)
    case sort(Plan, [SortKey], limit: Int?)
    case limit(Plan, limit: Int?, offset: Int)
    case limitBy(Plan, keys: [BoundExpr], limit: Int, offset: Int)
    case distinct(Plan)
    /// Output: left columns then right columns. Equi-keys, plus an optional residual filter.
    case join(Plan, Plan, JoinType, leftKeys: [BoundExpr], rightKeys: [BoundExpr], residual: BoundExpr?)
    case union([Plan])
    /// Window functions: output is the input's columns then one column per window function.
    case window(Plan, [BoundWindow])
    /// Set-returning functions of a select list: output is the input's columns (rows repeated)
    /// then one column per function (SetReturning.swift).
    case projectSet(Plan, [BoundSRF])
    /// An external source read by a table function (`file(...)`, `deltaLake(...)`).
    case external(ExternalScanNode)

    var types: [DataType] {
        switch self {
        case .scan(let s): return s.columns.map { s.table.definition.columns[$0].type }
        case .rows(let b): return b.columns.map(\.type)
        case .series(let s): return [s.unsigned ? .uint64 : .int64]
        case .filter(let p, _), .sort(let p, _, _), .limit(let p, _, _), .limitBy(let p, _, _, _), .distinct(let p): return p.types
        case .project(_, let es): return es.map(\.type)
        case .aggregate(_, let g, let a, _): return g.map(\.type) + a.map(\.returnType)
        case .join(let l, let r, let k, _, _, _):
            let lt = l.types.map { k == .right || k == .full ? $0.nullable : $0 }
            let rt = r.types.map { k == .left || k == .full ? $0.nullable : $0 }
            return lt + rt
        case .union(let ps): return ps.first?.types ?? []
        case .window(let p, let ws): return p.types + ws.map(\.returnType)
        case .projectSet(let p, let fs): return p.types + fs.map(\.type)
        case .external(let x): return x.types
        }
    }
}

enum JoinType: Sendable { case inner, left, right, full, cross }
