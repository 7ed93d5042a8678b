import AurumCore

/// Per-group aggregate state, updated a block at a time.
///
/// `update` gets argument columns (already filtered for -If/FILTER) and, for each row, the
/// dense group index. `merge` folds another state of the same kind into this one
/// (`mapping[g]` = this state's group for the other state's group g). Not thread-safe:
/// each worker owns its states; merging happens on one thread.
class AggregateState {
    func resize(_ groups: Int) {}
    func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {}
    func merge(_ other: AggregateState, _ mapping: [Int32]) throws {}
    func finalize(_ groups: Int) throws -> Column { fatalError("abstract") }
    var memoryBytes: Int { 0 }
}

/// A bound aggregate call.
struct BoundAggregate: Sendable {
    var name: String
    var arguments: [BoundExpr]
    /// Condition from the -If combinator or FILTER (WHERE ...).
    var condition: BoundExpr?
    var distinct: Bool
    var returnType: DataType
    var makeState: @Sendable () -> AggregateState

    var key: String {
        "\(name.lowercased())(\(distinct ? "DISTINCT " : "")\(arguments.map(\.description).joined(separator: ",")))" + (condition.map { " IF \($0)" } ?? "")
    }
}

// MARK: - count

final class CountState: AggregateState {
    var counts: [Int64] = []
    let star: Bool
    init(star: Bool) { self.star = star }
    override func resize(_ g: Int) { if counts.count < g { counts.append(contentsOf: repeatElement(0, count: g - counts.count)) } }
    override func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {
        counts.withUnsafeMutableBufferPointer { c in
            if star || args.isEmpty || args[0].validity == nil {
                for g in groups { c[Int(g)] &+= 1 }
            } else {
                let v = args[0].validity!
                for i in 0..<groups.count { c[Int(groups[i])] &+= Int64(v[i]) }
            }
        }
    }
    override func merge(_ other: AggregateState, _ mapping: [Int32]) throws {
        let o = other as! CountState
        for (g, n) in o.counts.enumerated() { counts[Int(mapping[g])] += n }
    }
    override func finalize(_ groups: Int) throws -> Column { resize(groups); return Column(type: .int64, data: .int64(Array(counts.prefix(groups)))) }
    override var memoryBytes: Int { counts.count * 8 }
}

// MARK: - sum / avg (integers in Int128, floats in Double, decimals in Int128 raw)

enum SumKind: Sendable { case int, uint, float, decimal(scale: Int) }

final class SumState: AggregateState {
    let kind: SumKind
    let avg: Bool
    let resultType: DataType
    var wide: [Int128] = []
    /// Sums of inputs of at most 32 bits accumulate in Int64 (a cheaper add than Int128) and
    /// are folded into `wide` before 2^30 rows could overflow them.
    var narrow: [Int64] = []
    private var narrowRows = 0
    var dbl: [Double] = []
    var counts: [Int64] = []
    init(kind: SumKind, avg: Bool, resultType: DataType) { self.kind = kind; self.avg = avg; self.resultType = resultType }

    override func resize(_ g: Int) {
        if counts.count < g {
            let k = g - counts.count
            counts.append(contentsOf: repeatElement(0, count: k))
            if case .float = kind { dbl.append(contentsOf: repeatElement(0, count: k)) } else {
                wide.append(contentsOf: repeatElement(0, count: k))
                narrow.append(contentsOf: repeatElement(0, count: k))
            }
        }
    }

    private func flushNarrow() {
        guard narrowRows > 0 else { return }
        for g in 0..<narrow.count where narrow[g] != 0 { wide[g] &+= Int128(narrow[g]); narrow[g] = 0 }
        narrowRows = 0
    }

    /// Adds every valid row's value to its group's accumulator in `acc` (`narrow` or `wide`).
    @inline(__always)
    private static func accumulate<T: BinaryInteger, A: FixedWidthInteger>(_ a: [T], _ v: [UInt8]?, _ groups: UnsafeBufferPointer<Int32>,
                                                                           into acc: inout [A], counts: inout [Int64]) {
        acc.withUnsafeMutableBufferPointer { w in
            counts.withUnsafeMutableBufferPointer { c in
                a.withUnsafeBufferPointer { p in
                    if let v {
                        for i in 0..<groups.count where v[i] != 0 { let g = Int(groups[i]); w[g] &+= A(truncatingIfNeeded: p[i]); c[g] &+= 1 }
                    } else {
                        for i in 0..<groups.count { let g = Int(groups[i]); w[g] &+= A(truncatingIfNeeded: p[i]); c[g] &+= 1 }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func addNarrow<T: FixedWidthInteger>(_ a: [T], _ v: [UInt8]?, _ groups: UnsafeBufferPointer<Int32>) {
        if narrowRows > (1 << 30) - groups.count { flushNarrow() }
        narrowRows += groups.count
        Self.accumulate(a, v, groups, into: &narrow, counts: &counts)
    }

    @inline(__always)
    private func addInts<T: FixedWidthInteger>(_ a: [T], _ v: [UInt8]?, _ groups: UnsafeBufferPointer<Int32>) {
        Self.accumulate(a, v, groups, into: &wide, counts: &counts)
    }

    override func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {
        let col = args[0]
        let v = col.validity
        switch col.data {
        case .int8(let a): addNarrow(a, v, groups)
        case .int16(let a): addNarrow(a, v, groups)
        case .int32(let a): addNarrow(a, v, groups)
        case .int64(let a): addInts(a, v, groups)
        case .int128(let a): addInts(a, v, groups)
        case .uint8(let a): addNarrow(a, v, groups)
        case .uint16(let a): addNarrow(a, v, groups)
        case .uint32(let a): addNarrow(a, v, groups)
        case .uint64(let a): addInts(a, v, groups)
        case .float32, .float64:
            let d = col.doubleValues
            dbl.withUnsafeMutableBufferPointer { w in
                counts.withUnsafeMutableBufferPointer { c in
                    for i in 0..<groups.count where v == nil || v![i] != 0 { let g = Int(groups[i]); w[g] += d[i]; c[g] &+= 1 }
                }
            }
        default: throw AurumError.internalError("sum over \(col.type)")
        }
    }

    override func merge(_ other: AggregateState, _ mapping: [Int32]) throws {
        let o = other as! SumState
        flushNarrow()
        o.flushNarrow()
        for g in 0..<o.counts.count {
            let t = Int(mapping[g])
            counts[t] += o.counts[g]
            if case .float = kind { dbl[t] += o.dbl[g] } else { wide[t] &+= o.wide[g] }
        }
    }

    override func finalize(_ groups: Int) throws -> Column {
        resize(groups)
        flushNarrow()
        var valid = [UInt8](repeating: 1, count: groups)
        var anyNull = false
        for g in 0..<groups where counts[g] == 0 { valid[g] = 0; anyNull = true }
        let validity = anyNull ? valid : nil
        var t = resultType
        if anyNull { t.isNullable = true }
        if avg {
            switch kind {
            case .float: return Column(type: t, data: .float64((0..<groups).map { counts[$0] == 0 ? 0 : dbl[$0] / Double(counts[$0]) }), validity: validity)
            case .int, .uint: return Column(type: t, data: .float64((0..<groups).map { counts[$0] == 0 ? 0 : SumState.double(wide[$0]) / Double(counts[$0]) }), validity: validity)
            case .decimal(let s):
                let rs = resultType.decimalScale
                let raw: [Int128] = (0..<groups).map { g in
                    counts[g] == 0 ? 0 : DecimalMath.divRound(wide[g] * DecimalMath.pow10[rs - s], Int128(counts[g]))
                }
                return Column(type: t, data: Cast.makeDecimal(raw, resultType), validity: validity)
            }
        }
        switch kind {
        case .float: return Column(type: t, data: .float64(Array(dbl.prefix(groups))), validity: validity)
        case .int where resultType.isDecimal, .uint where resultType.isDecimal:
            // 64-bit integer sums (see AggregateRegistry "sum"): Decimal(38, 0) of the Int128 total.
            let maxv = DecimalMath.maxRaw(precision: 38)
            for g in 0..<groups where wide[g] > maxv || wide[g] < -maxv {
                throw AurumError(.numericValueOutOfRange, "sum is out of range for Decimal(38, 0)")
            }
            return Column(type: t, data: Cast.makeDecimal(Array(wide.prefix(groups)), resultType), validity: validity)
        case .int:
            var out = [Int64](repeating: 0, count: groups)
            for g in 0..<groups {
                guard let x = SumState.int64(exactly: wide[g]) else {
                    throw AurumError(.numericValueOutOfRange, "sum is out of range for Int64", hint: "cast the argument to Decimal(38, 0) or Float64 before summing")
                }
                out[g] = x
            }
            return Column(type: t, data: .int64(out), validity: validity)
        case .uint:
            var out = [UInt64](repeating: 0, count: groups)
            for g in 0..<groups {
                guard let x = SumState.uint64(exactly: wide[g]) else {
                    throw AurumError(.numericValueOutOfRange, "sum is out of range for UInt64", hint: "cast the argument to Decimal(38, 0) or Float64 before summing")
                }
                out[g] = x
            }
            return Column(type: t, data: .uint64(out), validity: validity)
        case .decimal:
            let maxv = DecimalMath.maxRaw(precision: 38)
            for g in 0..<groups where wide[g] > maxv || wide[g] < -maxv {
                throw AurumError(.numericValueOutOfRange, "decimal sum is out of range for Decimal(38)")
            }
            return Column(type: t, data: Cast.makeDecimal(Array(wide.prefix(groups)), resultType), validity: validity)
        }
    }
    override var memoryBytes: Int { counts.count * 32 }

    // Concrete Int128 conversions: the generic stdlib ones (`Double(_: some BinaryInteger)`,
    // `Int64(exactly:)`) are not specialised for Int128 and cost ~100 ns each.
    @inline(__always) static func int64(exactly x: Int128) -> Int64? {
        let lo = Int64(bitPattern: x._low)
        return x._high == lo >> 63 ? lo : nil
    }
    @inline(__always) static func uint64(exactly x: Int128) -> UInt64? { x._high == 0 ? x._low : nil }
    @inline(__always) static func double(_ x: Int128) -> Double {
        if let v = int64(exactly: x) { return Double(v) }
        return Double(x)
    }
}

// MARK: - min / max over any type (typed for fixed width, bytes for strings)

final class MinMaxState<T: Comparable>: AggregateState {
    let isMax: Bool
    let type: DataType
    var vals: [T] = []
    var has: [UInt8] = []
    let extract: (ColumnData) -> [T]
    let build: ([T]) -> ColumnData
    init(isMax: Bool, type: DataType, extract: @escaping (ColumnData) -> [T], build: @escaping ([T]) -> ColumnData) {
        self.isMax = isMax; self.type = type; self.extract = extract; self.build = build
    }
    override func resize(_ g: Int) {
        if has.count < g {
            let k = g - has.count
            has.append(contentsOf: repeatElement(0, count: k))
            if let z = vals.first { vals.append(contentsOf: repeatElement(z, count: k)) }
            else { vals.reserveCapacity(g) }
        }
    }
    override func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {
        let a = extract(args[0].data)
        let v = args[0].validity
        if vals.count < has.count, let f = a.first { vals.append(contentsOf: repeatElement(f, count: has.count - vals.count)) }
        if a.isEmpty { return }
        for i in 0..<groups.count {
            if let v, v[i] == 0 { continue }
            let g = Int(groups[i])
            let x = a[i]
            if has[g] == 0 { has[g] = 1; vals[g] = x }
            else if isMax ? (x > vals[g]) : (x < vals[g]) { vals[g] = x }
        }
    }
    override func merge(_ other: AggregateState, _ mapping: [Int32]) throws {
        let o = other as! MinMaxState<T>
        if vals.count < has.count, let f = o.vals.first { vals.append(contentsOf: repeatElement(f, count: has.count - vals.count)) }
        for g in 0..<o.has.count where o.has[g] != 0 {
            let t = Int(mapping[g])
            let x = o.vals[g]
            if has[t] == 0 { has[t] = 1; vals[t] = x }
            else if isMax ? (x > vals[t]) : (x < vals[t]) { vals[t] = x }
        }
    }
    override func finalize(_ groups: Int) throws -> Column {
        resize(groups)
        if vals.isEmpty {
            return Column(type: type.nullable, data: .zeros(type.physical, count: groups), validity: groups == 0 ? nil : [UInt8](repeating: 0, count: groups))
        }
        let anyNull = has.prefix(groups).contains(0)
        var t = type
        if anyNull { t.isNullable = true }
        return Column(type: t, data: build(Array(vals.prefix(groups))), validity: anyNull ? Array(has.prefix(groups)) : nil)
    }
    override var memoryBytes: Int { has.count * (MemoryLayout<T>.stride + 1) }
}

/// Generic slow-path state keeping one `Value` (or a list) per group; used by the less
/// common aggregates (any, anyLast, argMin/argMax, quantile, groupArray, uniq, ...).
final class ValueListState: AggregateState {
    var lists: [[Value]] = []
    var extra: [[Value]] = []
    let keepPairs: Bool
    let finalizeFn: ([[Value]], [[Value]], Int) throws -> Column
    let distinct: Bool
    var seen: [Set<Value>] = []
    init(keepPairs: Bool = false, distinct: Bool = false, finalize: @escaping ([[Value]], [[Value]], Int) throws -> Column) {
        self.keepPairs = keepPairs; self.distinct = distinct; self.finalizeFn = finalize
    }
    override func resize(_ g: Int) {
        while lists.count < g { lists.append([]); extra.append([]); if distinct { seen.append([]) } }
    }
    override func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {
        for i in 0..<groups.count {
            let v = args[0].value(at: i)
            if v.isNull { continue }
            let g = Int(groups[i])
            if distinct {
                if seen[g].insert(v).inserted { lists[g].append(v) }
                continue
            }
            lists[g].append(v)
            if keepPairs { extra[g].append(args[1].value(at: i)) }
        }
    }
    override func merge(_ other: AggregateState, _ mapping: [Int32]) throws {
        let o = other as! ValueListState
        for g in 0..<o.lists.count {
            let t = Int(mapping[g])
            if distinct {
                for v in o.lists[g] where seen[t].insert(v).inserted { lists[t].append(v) }
            } else {
                lists[t].append(contentsOf: o.lists[g])
                if keepPairs { extra[t].append(contentsOf: o.extra[g]) }
            }
        }
    }
    override func finalize(_ groups: Int) throws -> Column {
        resize(groups)
        return try finalizeFn(Array(lists.prefix(groups)), Array(extra.prefix(groups)), groups)
    }
    override var memoryBytes: Int { lists.reduce(0) { $0 + $1.count * 48 } + 64 * lists.count }
}

/// Builds a result column from per-group optional values.
func columnFromValues(_ vals: [Value], _ t: DataType) -> Column {
    var b = ColumnBuilder(type: t.nullable, capacity: vals.count)
    for v in vals { b.append(v) }
    var c = b.finish()
    c.type = c.validity != nil ? t.nullable : t
    return c
}

// MARK: - count(DISTINCT x), uniq, uniqExact

/// Exact distinct counts: every distinct (group, value) pair is a key of a `GroupTable`
/// (the same hash table GROUP BY uses, so strings are interned and dictionary codes used),
/// and a group's count grows when one of its pairs is new. NULLs are not counted. The pairs
/// are also kept as columns so another worker's state can be merged in.
final class DistinctCountState: AggregateState {
    let valueType: DataType
    let resultType: DataType
    let table: GroupTable
    var counts: [Int64] = []
    var pairGroups: [Int32] = []
    var pairValues: Column

    init(valueType: DataType, resultType: DataType) {
        self.valueType = valueType.nonNullable
        self.resultType = resultType
        table = GroupTable(keyTypes: [.int32, valueType.nonNullable])
        pairValues = Column.empty(valueType.nonNullable)
    }

    override func resize(_ g: Int) { if counts.count < g { counts.append(contentsOf: repeatElement(0, count: g - counts.count)) } }

    private func add(_ groups: [Int32], _ values: Column) {
        guard !groups.isEmpty else { return }
        var newRows: [Int32] = []
        _ = table.insert([Column(type: .int32, data: .int32(groups)), values], groups.count, newRows: &newRows)
        guard !newRows.isEmpty else { return }
        for r in newRows { counts[Int(groups[Int(r)])] += 1 }
        pairGroups.append(contentsOf: newRows.map { groups[Int($0)] })
        pairValues.append(contentsOf: values.gather(newRows))
    }

    override func update(_ args: [Column], _ groups: UnsafeBufferPointer<Int32>) throws {
        let n = groups.count
        var col = args[0]
        if col.count == 1 && n != 1 { col = col.gather([Int32](repeating: 0, count: n)) }
        var gids = Array(groups)
        if let v = col.validity {
            var sel: [Int32] = []
            sel.reserveCapacity(n)
            for i in 0..<n where v[i] != 0 { sel.append(Int32(i)) }
            col = col.gather(sel)
            gids = sel.map { gids[Int($0)] }
        }
        col.type = valueType
        col.validity = nil
        add(gids, col)
    }

    override func merge(_ other: AggregateState, _ mapping: [Int32]) throws {
        let o = other as! DistinctCountState
        add(o.pairGroups.map { mapping[Int($0)] }, o.pairValues)
    }

    override func finalize(_ groups: Int) throws -> Column {
        resize(groups)
        let c = Array(counts.prefix(groups))
        if resultType.base == .uint64 { return Column(type: resultType, data: .uint64(c.map { UInt64($0) })) }
        return Column(type: resultType, data: .int64(c))
    }

    private var pairBytes: Int {
        if case .string(let s) = pairValues.data { return s.bytes.count + s.offsets.count * 4 }
        return pairValues.count * (valueType.byteWidth ?? 16)
    }

    override var memoryBytes: Int {
        table.memoryBytes + counts.count * 8 + pairGroups.count * 4 + pairBytes
    }
}
