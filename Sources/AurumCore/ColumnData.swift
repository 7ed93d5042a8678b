/// The typed contiguous storage behind a column vector, one case per `PhysicalType`.
///
/// Dispatch on this enum once per block, then run a generic kernel over the array
/// (`withUnsafeBufferPointer`). Never switch per row.
public enum ColumnData: Sendable, Equatable {
    case int8([Int8])
    case int16([Int16])
    case int32([Int32])
    case int64([Int64])
    case int128([Int128])
    case uint8([UInt8])
    case uint16([UInt16])
    case uint32([UInt32])
    case uint64([UInt64])
    case uint128([UInt128])
    case float32([Float])
    case float64([Double])
    case string(StringArray)

    public var count: Int {
        switch self {
        case .int8(let a): return a.count
        case .int16(let a): return a.count
        case .int32(let a): return a.count
        case .int64(let a): return a.count
        case .int128(let a): return a.count
        case .uint8(let a): return a.count
        case .uint16(let a): return a.count
        case .uint32(let a): return a.count
        case .uint64(let a): return a.count
        case .uint128(let a): return a.count
        case .float32(let a): return a.count
        case .float64(let a): return a.count
        case .string(let a): return a.count
        }
    }

    public var physical: PhysicalType {
        switch self {
        case .int8: return .int8
        case .int16: return .int16
        case .int32: return .int32
        case .int64: return .int64
        case .int128: return .int128
        case .uint8: return .uint8
        case .uint16: return .uint16
        case .uint32: return .uint32
        case .uint64: return .uint64
        case .uint128: return .uint128
        case .float32: return .float32
        case .float64: return .float64
        case .string: return .string
        }
    }

    /// An empty vector of the given physical type, with room for `capacity` values.
    public static func empty(_ p: PhysicalType, capacity: Int = 0) -> ColumnData {
        func mk<T>(_: T.Type) -> [T] { var a = [T](); a.reserveCapacity(capacity); return a }
        switch p {
        case .int8: return .int8(mk(Int8.self))
        case .int16: return .int16(mk(Int16.self))
        case .int32: return .int32(mk(Int32.self))
        case .int64: return .int64(mk(Int64.self))
        case .int128: return .int128(mk(Int128.self))
        case .uint8: return .uint8(mk(UInt8.self))
        case .uint16: return .uint16(mk(UInt16.self))
        case .uint32: return .uint32(mk(UInt32.self))
        case .uint64: return .uint64(mk(UInt64.self))
        case .uint128: return .uint128(mk(UInt128.self))
        case .float32: return .float32(mk(Float.self))
        case .float64: return .float64(mk(Double.self))
        case .string:
            var s = StringArray()
            s.offsets.reserveCapacity(capacity + 1)
            return .string(s)
        }
    }

    /// `count` zero values (empty strings) of the given physical type.
    public static func zeros(_ p: PhysicalType, count: Int) -> ColumnData {
        switch p {
        case .int8: return .int8(Array(repeating: 0, count: count))
        case .int16: return .int16(Array(repeating: 0, count: count))
        case .int32: return .int32(Array(repeating: 0, count: count))
        case .int64: return .int64(Array(repeating: 0, count: count))
        case .int128: return .int128(Array(repeating: 0, count: count))
        case .uint8: return .uint8(Array(repeating: 0, count: count))
        case .uint16: return .uint16(Array(repeating: 0, count: count))
        case .uint32: return .uint32(Array(repeating: 0, count: count))
        case .uint64: return .uint64(Array(repeating: 0, count: count))
        case .uint128: return .uint128(Array(repeating: 0, count: count))
        case .float32: return .float32(Array(repeating: 0, count: count))
        case .float64: return .float64(Array(repeating: 0, count: count))
        case .string: return .string(StringArray(offsets: Array(repeating: 0, count: count + 1), bytes: []))
        }
    }

    public func gather(_ idx: UnsafeBufferPointer<Int32>) -> ColumnData {
        @inline(__always) func g<T>(_ a: [T]) -> [T] {
            a.withUnsafeBufferPointer { p in
                [T](unsafeUninitializedCapacity: idx.count) { out, n in
                    for k in 0..<idx.count { (out.baseAddress! + k).initialize(to: p[Int(idx[k])]) }
                    n = idx.count
                }
            }
        }
        switch self {
        case .int8(let a): return .int8(g(a))
        case .int16(let a): return .int16(g(a))
        case .int32(let a): return .int32(g(a))
        case .int64(let a): return .int64(g(a))
        case .int128(let a): return .int128(g(a))
        case .uint8(let a): return .uint8(g(a))
        case .uint16(let a): return .uint16(g(a))
        case .uint32(let a): return .uint32(g(a))
        case .uint64(let a): return .uint64(g(a))
        case .uint128(let a): return .uint128(g(a))
        case .float32(let a): return .float32(g(a))
        case .float64(let a): return .float64(g(a))
        case .string(let s): return .string(s.gather(idx))
        }
    }

    public func slice(_ r: Range<Int>) -> ColumnData {
        switch self {
        case .int8(let a): return .int8(Array(a[r]))
        case .int16(let a): return .int16(Array(a[r]))
        case .int32(let a): return .int32(Array(a[r]))
        case .int64(let a): return .int64(Array(a[r]))
        case .int128(let a): return .int128(Array(a[r]))
        case .uint8(let a): return .uint8(Array(a[r]))
        case .uint16(let a): return .uint16(Array(a[r]))
        case .uint32(let a): return .uint32(Array(a[r]))
        case .uint64(let a): return .uint64(Array(a[r]))
        case .uint128(let a): return .uint128(Array(a[r]))
        case .float32(let a): return .float32(Array(a[r]))
        case .float64(let a): return .float64(Array(a[r]))
        case .string(let s): return .string(s.slice(r))
        }
    }

    /// Appends `other` (same physical type) to self.
    public mutating func append(contentsOf other: ColumnData) {
        // Switch on `self` alone and clear it before appending, so the payload array is
        // uniquely referenced and grows in place (a `switch (self, other)` tuple would hold
        // a second reference and copy the whole array on every append).
        func mismatch() -> Never {
            preconditionFailure("ColumnData.append: physical types differ (\(physical) vs \(other.physical))")
        }
        switch self {
        case .int8(var a): guard case .int8(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .int8(a)
        case .int16(var a): guard case .int16(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .int16(a)
        case .int32(var a): guard case .int32(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .int32(a)
        case .int64(var a): guard case .int64(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .int64(a)
        case .int128(var a): guard case .int128(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .int128(a)
        case .uint8(var a): guard case .uint8(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .uint8(a)
        case .uint16(var a): guard case .uint16(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .uint16(a)
        case .uint32(var a): guard case .uint32(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .uint32(a)
        case .uint64(var a): guard case .uint64(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .uint64(a)
        case .uint128(var a): guard case .uint128(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .uint128(a)
        case .float32(var a): guard case .float32(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .float32(a)
        case .float64(var a): guard case .float64(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .float64(a)
        case .string(var a): guard case .string(let b) = other else { mismatch() }; self = .int8([]); a.append(contentsOf: b); self = .string(a)
        }
    }
}
