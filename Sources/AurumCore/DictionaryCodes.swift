import Synchronization

/// Rows of a string column as codes into a dictionary of distinct values.
///
/// `values` holds the distinct non-NULL strings of one stored part column in ascending byte
/// order, so code order is string order. `codes` is `.uint8`, `.uint16` or `.uint32` with
/// one code per row; a row that is NULL (see the owning column's validity) has code 0 and
/// the code means nothing. `id` identifies the dictionary (not the codes): two
/// `DictionaryCodes` with equal ids have equal `values`, so per-dictionary work (a
/// predicate evaluated on every value, a value-to-group-key map) can be cached by id.
public struct DictionaryCodes: Sendable {
    public let id: Int
    public let values: StringArray
    public var codes: ColumnData

    public init(id: Int, values: StringArray, codes: ColumnData) {
        precondition(codes.physical == .uint8 || codes.physical == .uint16 || codes.physical == .uint32,
                     "dictionary codes must be UInt8, UInt16 or UInt32")
        self.id = id
        self.values = values
        self.codes = codes
    }

    public var count: Int { codes.count }

    /// A fresh process-wide dictionary id.
    public static func nextID() -> Int { counter.wrappingAdd(1, ordering: .relaxed).oldValue }
    private static let counter = Atomic<Int>(1)

    public func gather(_ idx: UnsafeBufferPointer<Int32>) -> DictionaryCodes {
        DictionaryCodes(id: id, values: values, codes: codes.gather(idx))
    }
    public func slice(_ r: Range<Int>) -> DictionaryCodes {
        DictionaryCodes(id: id, values: values, codes: codes.slice(r))
    }

    /// Calls `body` with the code of every row widened to UInt32.
    @inlinable public func withCodes<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        switch codes {
        case .uint32(let a): return try a.withUnsafeBufferPointer(body)
        case .uint16(let a): return try a.map { UInt32($0) }.withUnsafeBufferPointer(body)
        case .uint8(let a): return try a.map { UInt32($0) }.withUnsafeBufferPointer(body)
        default: preconditionFailure("dictionary codes must be unsigned integers")
        }
    }

    /// The rows as a plain string array. NULL rows (validity 0) get the empty string when
    /// `validity` is given, otherwise the value of their code.
    public func materialize(validity: [UInt8]? = nil) -> StringArray {
        // Short values are copied as two unaligned 8-byte words (the output and a padded
        // copy of the dictionary bytes have 16 bytes of slack), longer ones with memcpy.
        let slack = 16
        var padded = values.bytes
        padded.append(contentsOf: repeatElement(0, count: slack))
        switch codes {
        case .uint8(let a): return a.withUnsafeBufferPointer { materialize($0, padded, slack, validity) }
        case .uint16(let a): return a.withUnsafeBufferPointer { materialize($0, padded, slack, validity) }
        case .uint32(let a): return a.withUnsafeBufferPointer { materialize($0, padded, slack, validity) }
        default: preconditionFailure("dictionary codes must be unsigned integers")
        }
    }

    private func materialize<C: FixedWidthInteger>(_ codes: UnsafeBufferPointer<C>, _ padded: [UInt8], _ slack: Int,
                                                   _ validity: [UInt8]?) -> StringArray {
        values.offsets.withUnsafeBufferPointer { vo in
            padded.withUnsafeBufferPointer { vb in
                do {
                    let n = codes.count
                    var total = 0
                    if let v = validity {
                        for i in 0..<n where v[i] != 0 { let c = Int(codes[i]); total += Int(vo[c + 1] &- vo[c]) }
                    } else {
                        for i in 0..<n { let c = Int(codes[i]); total += Int(vo[c + 1] &- vo[c]) }
                    }
                    var offsets = [UInt32](repeating: 0, count: n + 1)
                    var bytes = [UInt8](unsafeUninitializedCapacity: total + slack) { out, written in
                        let dst = UnsafeMutableRawPointer(out.baseAddress!)
                        let src = UnsafeRawPointer(vb.baseAddress!)
                        var pos = 0
                        offsets.withUnsafeMutableBufferPointer { o in
                            for i in 0..<n {
                                if validity == nil || validity![i] != 0 {
                                    let c = Int(codes[i])
                                    let a = Int(vo[c]), l = Int(vo[c + 1]) - a
                                    if l <= slack {
                                        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: a, as: UInt64.self), toByteOffset: pos, as: UInt64.self)
                                        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: a + 8, as: UInt64.self), toByteOffset: pos + 8, as: UInt64.self)
                                    } else {
                                        (dst + pos).copyMemory(from: src + a, byteCount: l)
                                    }
                                    pos += l
                                }
                                o[i + 1] = UInt32(truncatingIfNeeded: pos)
                            }
                        }
                        // Only `pos` bytes are meaningful; zero the slack so every byte is initialised.
                        (dst + pos).initializeMemory(as: UInt8.self, repeating: 0, count: total + slack - pos)
                        written = total + slack
                    }
                    bytes.removeLast(slack)
                    return StringArray(offsets: offsets, bytes: bytes)
                }
            }
        }
    }
}
