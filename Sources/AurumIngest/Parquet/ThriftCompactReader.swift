import AurumCore

/// A bounds-checked reader of Thrift's compact protocol, the encoding of Parquet's footer
/// (`FileMetaData`) and page headers.
///
/// ```
/// field header  1 byte: high nibble = field-id delta (1...15, or 0: a zigzag i16 id follows),
///               low nibble = type (0 stop, 1 true, 2 false, 3 i8, 4 i16, 5 i32, 6 i64,
///               7 double, 8 binary, 9 list, 10 set, 11 map, 12 struct)
/// i16/i32/i64   zigzag ULEB128 varint          binary  varint length + bytes
/// list/set      1 byte: size << 4 | element type (size 15: a varint size follows)
/// map           varint size, then (size > 0) 1 byte: key type << 4 | value type
/// ```
/// Every read checks the remaining length and throws 22P04 ("corrupt Parquet metadata")
/// instead of reading past the buffer; nesting is limited so a hostile footer cannot exhaust
/// the stack. The buffer must outlive the reader (it is not retained).
struct ThriftCompactReader: VarintReader {
    enum FieldType: UInt8 {
        case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6
        case double = 7, binary = 8, list = 9, set = 10, map = 11, structure = 12
    }

    let buffer: UnsafeRawBufferPointer
    private(set) var position: Int
    private var depth = 0
    /// The last field id read in each open struct (compact ids are deltas).
    private var lastFieldID: [Int16] = [0]
    /// The value of the last boolean field header read (booleans live in the header).
    private(set) var lastBool = false

    init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    static func corrupt(_ what: String) -> AurumError {
        AurumError(.badCopyFileFormat, "corrupt Parquet metadata: \(what)")
    }

    mutating func readByte() throws -> UInt8 {
        guard position < buffer.count else { throw Self.corrupt("unexpected end of data") }
        let b = buffer[position]
        position += 1
        return b
    }

    func malformed(_ what: String) -> AurumError { Self.corrupt(what) }

    mutating func readI64() throws -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func readI32() throws -> Int32 {
        let v = try readI64()
        guard let r = Int32(exactly: v) else { throw Self.corrupt("i32 out of range (\(v))") }
        return r
    }

    /// An i32 that must be a non-negative count or size.
    mutating func readCount(_ what: String) throws -> Int {
        let v = try readI32()
        guard v >= 0 else { throw Self.corrupt("negative \(what) (\(v))") }
        return Int(v)
    }

    mutating func readBinary() throws -> UnsafeRawBufferPointer {
        let n = try readVarint()
        guard n <= UInt64(buffer.count - position) else { throw Self.corrupt("string length \(n) past the end") }
        let start = position
        position += Int(n)
        return UnsafeRawBufferPointer(rebasing: buffer[start..<position])
    }

    mutating func readString() throws -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    mutating func readDouble() throws -> Double {
        guard buffer.count - position >= 8 else { throw Self.corrupt("unexpected end of data") }
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return Double(bitPattern: UInt64(littleEndian: v))
    }

    /// Enters a struct; pair with `endStruct`.
    mutating func beginStruct() throws {
        depth += 1
        guard depth <= 64 else { throw Self.corrupt("structures nested too deeply") }
        lastFieldID.append(0)
    }

    mutating func endStruct() {
        depth -= 1
        lastFieldID.removeLast()
    }

    /// The next field of the current struct, or nil at its stop byte.
    mutating func nextField() throws -> (id: Int16, type: FieldType)? {
        let b = try readByte()
        if b == 0 { return nil }
        guard let type = FieldType(rawValue: b & 0x0F) else { throw Self.corrupt("unknown field type \(b & 0x0F)") }
        let delta = Int16(b >> 4)
        let id: Int16
        if delta == 0 {
            let v = try readI64()
            guard let i = Int16(exactly: v) else { throw Self.corrupt("field id out of range") }
            id = i
        } else {
            id = lastFieldID[lastFieldID.count - 1] &+ delta
        }
        lastFieldID[lastFieldID.count - 1] = id
        if type == .boolTrue { lastBool = true } else if type == .boolFalse { lastBool = false }
        return (id, type)
    }

    /// A list or set header: element type and count (checked against the bytes left, as
    /// every element takes at least one byte, except booleans in headers which do not occur).
    mutating func readListHeader() throws -> (type: FieldType, count: Int) {
        let b = try readByte()
        guard let type = FieldType(rawValue: b & 0x0F) else { throw Self.corrupt("unknown list element type \(b & 0x0F)") }
        var count = UInt64(b >> 4)
        if count == 15 { count = try readVarint() }
        guard count <= UInt64(buffer.count - position) else { throw Self.corrupt("list of \(count) elements past the end") }
        return (type, Int(count))
    }

    /// Reads an i32 field value whatever integer type it was written as (lenient for enums).
    mutating func readInt(_ type: FieldType) throws -> Int64 {
        switch type {
        case .byte: return Int64(Int8(bitPattern: try readByte()))
        case .i16, .i32, .i64: return try readI64()
        default: throw Self.corrupt("expected an integer, found type \(type)")
        }
    }

    mutating func readBool(_ type: FieldType) throws -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        case .byte: return try readByte() == 1
        default: throw Self.corrupt("expected a boolean, found type \(type)")
        }
    }

    /// Skips a value of `type` (unknown fields, statistics).
    mutating func skip(_ type: FieldType) throws {
        switch type {
        case .stop: throw Self.corrupt("unexpected stop")
        case .boolTrue, .boolFalse: return
        case .byte: _ = try readByte()
        case .i16, .i32, .i64: _ = try readVarint()
        case .double:
            guard buffer.count - position >= 8 else { throw Self.corrupt("unexpected end of data") }
            position += 8
        case .binary: _ = try readBinary()
        case .list, .set:
            let (elem, count) = try readListHeader()
            for _ in 0..<count {
                if elem == .boolTrue || elem == .boolFalse { _ = try readByte() } else { try skip(elem) }
            }
        case .map:
            let count = try readVarint()
            guard count <= UInt64(buffer.count - position) else { throw Self.corrupt("map of \(count) entries past the end") }
            if count == 0 { return }
            let kv = try readByte()
            guard let k = FieldType(rawValue: kv >> 4), let v = FieldType(rawValue: kv & 0x0F) else {
                throw Self.corrupt("unknown map types")
            }
            for _ in 0..<count {
                if k == .boolTrue || k == .boolFalse { _ = try readByte() } else { try skip(k) }
                if v == .boolTrue || v == .boolFalse { _ = try readByte() } else { try skip(v) }
            }
        case .structure:
            try beginStruct()
            while let f = try nextField() { try skip(f.type) }
            endStruct()
        }
    }
}
