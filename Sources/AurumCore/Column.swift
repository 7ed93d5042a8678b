/// A typed column vector: logical type, physical data and an optional validity mask.
///
/// `validity` is nil when the vector has no NULLs (the common case costs nothing);
/// otherwise it holds one byte per row, 1 = valid, 0 = NULL. Values under a NULL are
/// unspecified but always initialised (zero), so kernels may compute on them blindly.
public struct Column: Sendable, Equatable {
    public var type: DataType
    public var data: ColumnData
    public var validity: [UInt8]?
    /// Optional side-car for string columns read from dictionary-encoded storage
    /// (LowCardinality): the same rows as dictionary codes. `data` is always materialised
    /// too; kernels that know the dictionary (grouping, scan predicates) may use the codes
    /// instead. Operations that build new data drop it; `gather`/`slice` keep it in step.
    /// Ignored by `==`.
    public var dictionary: DictionaryCodes?

    public init(type: DataType, data: ColumnData, validity: [UInt8]? = nil, dictionary: DictionaryCodes? = nil) {
        assert(validity == nil || validity!.count == data.count)
        assert(dictionary == nil || dictionary!.codes.count == data.count)
        self.type = type
        self.data = data
        self.validity = validity
        self.dictionary = dictionary
    }

    public static func == (a: Column, b: Column) -> Bool {
        a.type == b.type && a.data == b.data && a.validity == b.validity
    }

    @inlinable public var count: Int { data.count }
    @inlinable public var hasNulls: Bool { validity != nil }

    @inlinable public func isNull(_ i: Int) -> Bool {
        if let v = validity { return v[i] == 0 }
        return false
    }

    public var nullCount: Int {
        guard let v = validity else { return 0 }
        var n = 0
        for b in v where b == 0 { n += 1 }
        return n
    }

    /// An empty column of `type`.
    public static func empty(_ type: DataType, capacity: Int = 0) -> Column {
        Column(type: type, data: .empty(type.physical, capacity: capacity))
    }

    /// `count` copies of `value` (which must fit `type`).
    public static func constant(_ value: Value, type: DataType, count: Int) -> Column {
        var b = ColumnBuilder(type: type, capacity: count)
        for _ in 0..<count { b.append(value) }
        return b.finish()
    }

    public func gather(_ idx: [Int32]) -> Column {
        idx.withUnsafeBufferPointer { gather($0) }
    }
    public func gather(_ idx: UnsafeBufferPointer<Int32>) -> Column {
        var v: [UInt8]? = nil
        if let val = validity {
            var out = [UInt8](repeating: 0, count: idx.count)
            var any = false
            for k in 0..<idx.count { let b = val[Int(idx[k])]; out[k] = b; if b == 0 { any = true } }
            v = any ? out : nil
        }
        return Column(type: type, data: data.gather(idx), validity: v, dictionary: dictionary?.gather(idx))
    }

    public func slice(_ r: Range<Int>) -> Column {
        var v: [UInt8]? = nil
        if let val = validity {
            let s = Array(val[r])
            v = s.contains(0) ? s : nil
        }
        return Column(type: type, data: data.slice(r), validity: v, dictionary: dictionary?.slice(r))
    }

    public mutating func append(contentsOf other: Column) {
        dictionary = nil
        if validity != nil || other.validity != nil {
            var v = validity ?? [UInt8](repeating: 1, count: count)
            v.append(contentsOf: other.validity ?? [UInt8](repeating: 1, count: other.count))
            validity = v
        }
        data.append(contentsOf: other.data)
    }

    /// The value at row `i` as a `Value` (slow path: API results, constants, tests).
    public func value(at i: Int) -> Value {
        if isNull(i) { return .null }
        return Value.decode(data, at: i, type: type)
    }

    /// Returns self with the validity dropped when it is all-valid.
    public func normalized() -> Column {
        guard let v = validity, !v.contains(0) else { return self }
        var c = self
        c.validity = nil
        return c
    }
}

/// Builds a column one `Value` at a time (slow path: INSERT VALUES, constants, tests).
public struct ColumnBuilder: Sendable {
    public let type: DataType
    public private(set) var data: ColumnData
    private var validity: [UInt8]
    private var sawNull = false

    public init(type: DataType, capacity: Int = 0) {
        self.type = type
        self.data = .empty(type.physical, capacity: capacity)
        self.validity = []
        validity.reserveCapacity(capacity)
    }

    public var count: Int { validity.count }

    /// Appends `v`, which must already be of this column's type (see `Value.cast`).
    /// A NULL appends a zero value and clears the validity bit.
    public mutating func append(_ v: Value) {
        if v.isNull {
            sawNull = true
            validity.append(0)
            appendZero()
            return
        }
        validity.append(1)
        switch data {
        case .int8(var a): data = .int8([]); a.append(Int8(truncatingIfNeeded: v.asInt64 ?? 0)); data = .int8(a)
        case .int16(var a): data = .int8([]); a.append(Int16(truncatingIfNeeded: v.asInt64 ?? 0)); data = .int16(a)
        case .int32(var a): data = .int8([]); a.append(Int32(truncatingIfNeeded: v.asInt64 ?? 0)); data = .int32(a)
        case .int64(var a): data = .int8([]); a.append(v.rawInt64); data = .int64(a)
        case .int128(var a): data = .int8([]); a.append(v.rawInt128); data = .int128(a)
        case .uint8(var a): data = .int8([]); a.append(UInt8(truncatingIfNeeded: v.rawInt64)); data = .uint8(a)
        case .uint16(var a): data = .int8([]); a.append(UInt16(truncatingIfNeeded: v.rawInt64)); data = .uint16(a)
        case .uint32(var a): data = .int8([]); a.append(UInt32(truncatingIfNeeded: v.rawInt64)); data = .uint32(a)
        case .uint64(var a): data = .int8([]); a.append(v.rawUInt64); data = .uint64(a)
        case .uint128(var a):
            data = .int8([])
            if case .uuid(let u) = v { a.append(u) } else { a.append(UInt128(truncatingIfNeeded: v.rawInt128)) }
            data = .uint128(a)
        case .float32(var a): data = .int8([]); a.append(Float(v.asDouble ?? 0)); data = .float32(a)
        case .float64(var a): data = .int8([]); a.append(v.asDouble ?? 0); data = .float64(a)
        case .string(var s):
            data = .int8([])
            if case .string(let str) = v { s.append(str) } else { s.append(v.description) }
            data = .string(s)
        }
    }

    private mutating func appendZero() {
        switch data {
        case .int8(var a): data = .int8([]); a.append(0); data = .int8(a)
        case .int16(var a): data = .int8([]); a.append(0); data = .int16(a)
        case .int32(var a): data = .int8([]); a.append(0); data = .int32(a)
        case .int64(var a): data = .int8([]); a.append(0); data = .int64(a)
        case .int128(var a): data = .int8([]); a.append(0); data = .int128(a)
        case .uint8(var a): data = .int8([]); a.append(0); data = .uint8(a)
        case .uint16(var a): data = .int8([]); a.append(0); data = .uint16(a)
        case .uint32(var a): data = .int8([]); a.append(0); data = .uint32(a)
        case .uint64(var a): data = .int8([]); a.append(0); data = .uint64(a)
        case .uint128(var a): data = .int8([]); a.append(0); data = .uint128(a)
        case .float32(var a): data = .int8([]); a.append(0); data = .float32(a)
        case .float64(var a): data = .int8([]); a.append(0); data = .float64(a)
        case .string(var s): data = .int8([]); s.appendEmpty(); data = .string(s)
        }
    }

    public func finish() -> Column {
        Column(type: type, data: data, validity: sawNull ? validity : nil)
    }
}

/// A batch of rows: columns of equal length.
public struct Block: Sendable, Equatable {
    public var columns: [Column]
    public var count: Int

    public init(columns: [Column], count: Int? = nil) {
        self.columns = columns
        self.count = count ?? columns.first?.count ?? 0
        assert(columns.allSatisfy { $0.count == self.count }, "Block columns differ in length")
    }
    public static func empty(_ types: [DataType]) -> Block {
        Block(columns: types.map { Column.empty($0) }, count: 0)
    }

    public func gather(_ idx: [Int32]) -> Block {
        Block(columns: columns.map { $0.gather(idx) }, count: idx.count)
    }
    public func slice(_ r: Range<Int>) -> Block {
        Block(columns: columns.map { $0.slice(r) }, count: r.count)
    }
    public mutating func append(contentsOf other: Block) {
        precondition(other.columns.count == columns.count, "Block.append: column counts differ")
        for i in columns.indices { columns[i].append(contentsOf: other.columns[i]) }
        count += other.count
    }
    /// Concatenates blocks (all with the same column types).
    public static func concat(_ blocks: [Block], types: [DataType]) -> Block {
        guard var first = blocks.first else { return .empty(types) }
        for b in blocks.dropFirst() { first.append(contentsOf: b) }
        return first
    }
}
