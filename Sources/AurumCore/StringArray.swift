/// A vector of byte strings: one contiguous byte buffer plus `count + 1` offsets.
///
/// ```
/// offsets: [0, 3, 3, 8]          string i = bytes[offsets[i] ..< offsets[i+1]]
/// bytes:   "foo" "" "hello"
/// ```
/// Kernels work on the raw bytes; a Swift `String` is made only at API edges.
public struct StringArray: Sendable, Equatable {
    public var offsets: [UInt32]
    public var bytes: [UInt8]

    public init() {
        offsets = [0]
        bytes = []
    }
    public init(offsets: [UInt32], bytes: [UInt8]) {
        precondition(!offsets.isEmpty, "StringArray needs at least one offset")
        self.offsets = offsets
        self.bytes = bytes
    }
    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for s in strings { append(s) }
    }

    @inlinable public var count: Int { offsets.count - 1 }

    public mutating func reserve(count: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(offsets.count + count)
        bytes.reserveCapacity(bytes.count + byteCount)
    }

    @inlinable public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }
    @inlinable public mutating func append(bytes b: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: b)
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }
    @inlinable public mutating func append<C: Collection>(contentsOf b: C) where C.Element == UInt8 {
        bytes.append(contentsOf: b)
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }
    @inlinable public mutating func appendEmpty() {
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }
    /// Appends element `i` of `other`.
    @inlinable public mutating func append(from other: StringArray, at i: Int) {
        let a = Int(other.offsets[i]), b = Int(other.offsets[i + 1])
        bytes.append(contentsOf: other.bytes[a..<b])
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }

    @inlinable public func length(at i: Int) -> Int { Int(offsets[i + 1] &- offsets[i]) }

    public func string(at i: Int) -> String {
        let a = Int(offsets[i]), b = Int(offsets[i + 1])
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[a..<b]), as: UTF8.self) }
    }
    public func byteSlice(at i: Int) -> ArraySlice<UInt8> {
        bytes[Int(offsets[i])..<Int(offsets[i + 1])]
    }

    /// Byte-wise comparison of element i with element j of `other` (C collation).
    @inlinable public func compare(_ i: Int, _ other: StringArray, _ j: Int) -> Int {
        let a0 = Int(offsets[i]), a1 = Int(offsets[i + 1])
        let b0 = Int(other.offsets[j]), b1 = Int(other.offsets[j + 1])
        return bytes.withUnsafeBufferPointer { pa in
            other.bytes.withUnsafeBufferPointer { pb in
                StringArray.compareBytes(pa.baseAddress.map { $0 + a0 }, a1 - a0, pb.baseAddress.map { $0 + b0 }, b1 - b0)
            }
        }
    }

    @inlinable public static func compareBytes(_ a: UnsafePointer<UInt8>?, _ la: Int, _ b: UnsafePointer<UInt8>?, _ lb: Int) -> Int {
        let n = min(la, lb)
        if n > 0, let a, let b {
            let r = memcmpBytes(a, b, n)
            if r != 0 { return r }
        }
        return la < lb ? -1 : (la > lb ? 1 : 0)
    }

    @inlinable static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var i = 0
        while i < n {
            let x = a[i], y = b[i]
            if x != y { return x < y ? -1 : 1 }
            i &+= 1
        }
        return 0
    }

    /// Gathers the elements at `indices` into a new array.
    public func gather(_ indices: UnsafeBufferPointer<Int32>) -> StringArray {
        var out = StringArray()
        var total = 0
        for i in indices { total += length(at: Int(i)) }
        out.reserve(count: indices.count, bytes: total)
        bytes.withUnsafeBufferPointer { src in
            offsets.withUnsafeBufferPointer { offs in
                for i in indices {
                    let a = Int(offs[Int(i)]), b = Int(offs[Int(i) + 1])
                    out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: src[a..<b]))
                    out.offsets.append(UInt32(truncatingIfNeeded: out.bytes.count))
                }
            }
        }
        return out
    }

    public func slice(_ range: Range<Int>) -> StringArray {
        let a = Int(offsets[range.lowerBound]), b = Int(offsets[range.upperBound])
        var offs = [UInt32]()
        offs.reserveCapacity(range.count + 1)
        let base = offsets[range.lowerBound]
        for i in range.lowerBound...range.upperBound { offs.append(offsets[i] &- base) }
        return StringArray(offsets: offs, bytes: Array(bytes[a..<b]))
    }

    public mutating func append(contentsOf other: StringArray) {
        let base = UInt32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: other.bytes)
        let needed = offsets.count + other.count
        if offsets.capacity < needed { offsets.reserveCapacity(Swift.max(needed, offsets.capacity * 2)) }  // keep growth geometric
        for i in 1..<other.offsets.count { offsets.append(other.offsets[i] &+ base) }
    }
}
