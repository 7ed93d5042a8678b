import AurumCore

/// One node of a Parquet file's schema tree (the footer's depth-first `SchemaElement` list,
/// rebuilt as a tree). The root is the message; its children are the top-level fields.
///
/// `maxDefinitionLevel` counts the OPTIONAL and REPEATED nodes from the root down to and
/// including this one; `maxRepetitionLevel` counts the REPEATED ones. A leaf (primitive)
/// node has `physicalType` and `leafIndex`, the position of its column chunk in every row
/// group (leaves are numbered depth-first).
public struct ParquetSchemaNode: Sendable {
    public var name: String
    /// `.required` for the root.
    public var repetition: ParquetRepetition
    /// nil for groups.
    public var physicalType: ParquetPhysicalType?
    public var children: [ParquetSchemaNode]
    public var maxDefinitionLevel: Int
    public var maxRepetitionLevel: Int
    /// Names from the first top-level field down to this node (empty for the root).
    public var path: [String]
    public var leafIndex: Int?
    var element: ParquetSchemaElement

    public var isLeaf: Bool { physicalType != nil }
}

/// What the reader knows about one leaf column (a column chunk in each row group).
struct ParquetLeafInfo: Sendable {
    var path: [String]
    var element: ParquetSchemaElement
    var physical: ParquetPhysicalType
    var maxDefinitionLevel: Int
    var maxRepetitionLevel: Int
}

enum ParquetSchemaBuilder {
    /// Builds the tree from the flattened element list; throws 22P04 when the child counts do
    /// not add up or a leaf lacks a physical type.
    static func build(_ elements: [ParquetSchemaElement]) throws -> (ParquetSchemaNode, [ParquetLeafInfo]) {
        guard let rootElement = elements.first else { throw ThriftCompactReader.corrupt("empty schema") }
        var leaves: [ParquetLeafInfo] = []
        var next = 1
        func node(_ e: ParquetSchemaElement, parentDef: Int, parentRep: Int, parentPath: [String], depth: Int) throws -> ParquetSchemaNode {
            guard depth < 100 else { throw ThriftCompactReader.corrupt("schema nested too deeply") }
            let rep = e.repetition ?? .required
            let def = parentDef + (rep == .required ? 0 : 1)
            let repLevel = parentRep + (rep == .repeated ? 1 : 0)
            let path = parentPath + [e.name]
            if let n = e.numChildren, n > 0 || e.type == nil {
                var children: [ParquetSchemaNode] = []
                for _ in 0..<n {
                    guard next < elements.count else { throw ThriftCompactReader.corrupt("schema children past the end of the element list") }
                    let c = elements[next]
                    next += 1
                    children.append(try node(c, parentDef: def, parentRep: repLevel, parentPath: path, depth: depth + 1))
                }
                return ParquetSchemaNode(name: e.name, repetition: rep, physicalType: nil, children: children,
                                         maxDefinitionLevel: def, maxRepetitionLevel: repLevel, path: path,
                                         leafIndex: nil, element: e)
            }
            guard let t = e.type else { throw ThriftCompactReader.corrupt("leaf \(e.name) has no physical type") }
            if t == .fixedLenByteArray {
                guard let len = e.typeLength, len > 0, len <= 1 << 20 else {
                    throw ThriftCompactReader.corrupt("FIXED_LEN_BYTE_ARRAY column \(e.name) has a bad type_length")
                }
            }
            leaves.append(ParquetLeafInfo(path: path, element: e, physical: t, maxDefinitionLevel: def, maxRepetitionLevel: repLevel))
            return ParquetSchemaNode(name: e.name, repetition: rep, physicalType: t, children: [],
                                     maxDefinitionLevel: def, maxRepetitionLevel: repLevel, path: path,
                                     leafIndex: leaves.count - 1, element: e)
        }
        var top: [ParquetSchemaNode] = []
        let n = rootElement.numChildren ?? 0
        for _ in 0..<n {
            guard next < elements.count else { throw ThriftCompactReader.corrupt("schema children past the end of the element list") }
            let c = elements[next]
            next += 1
            top.append(try node(c, parentDef: 0, parentRep: 0, parentPath: [], depth: 1))
        }
        guard next == elements.count else { throw ThriftCompactReader.corrupt("schema has \(elements.count - next) elements outside the tree") }
        var root = rootElement
        root.repetition = .required
        return (ParquetSchemaNode(name: rootElement.name, repetition: .required, physicalType: nil, children: top,
                                  maxDefinitionLevel: 0, maxRepetitionLevel: 0, path: [], leafIndex: nil, element: root), leaves)
    }
}

/// How a leaf's physical values become an Aurum column (chosen once per column).
enum ParquetConversion: Sendable, Equatable {
    case bool
    /// INT32 copied as is (Int32, Date).
    case int32
    /// INT32 narrowed with a range check.
    case int32To8, int32To16, int32ToU8, int32ToU16, int32ToU32
    /// INT32 widened (TIME millis, decimals).
    case int32To64, int32To128
    case int64, int64ToU64, int64To128
    case int96
    case float, double
    case byteArrayString
    case byteArrayDecimal64, byteArrayDecimal128
    case fixedString(Int)
    case fixedDecimal64(Int), fixedDecimal128(Int)
    case fixedUUID
    case fixedFloat16
}

enum ParquetTypeMapping {
    /// The Aurum type and conversion of a leaf; throws 0A000 for what Aurum cannot hold.
    static func map(_ e: ParquetSchemaElement, physical: ParquetPhysicalType) throws -> (DataType, ParquetConversion) {
        func unsupported(_ what: String) -> AurumError {
            AurumError(.featureNotSupported, "column \(e.name): \(what) is not supported")
        }
        // Normalise the legacy converted type into the logical type.
        var logical = e.logicalType
        if logical == nil, let c = e.convertedType {
            switch c {
            case .utf8: logical = .string
            case .enumeration: logical = .enumeration
            case .json: logical = .json
            case .bson: logical = .bson
            case .decimal: logical = .decimal(precision: e.precision ?? 0, scale: e.scale ?? 0)
            case .date: logical = .date
            case .timeMillis: logical = .time(utc: true, unit: .millis)
            case .timeMicros: logical = .time(utc: true, unit: .micros)
            case .timestampMillis: logical = .timestamp(utc: true, unit: .millis)
            case .timestampMicros: logical = .timestamp(utc: true, unit: .micros)
            case .uint8: logical = .integer(bitWidth: 8, signed: false)
            case .uint16: logical = .integer(bitWidth: 16, signed: false)
            case .uint32: logical = .integer(bitWidth: 32, signed: false)
            case .uint64: logical = .integer(bitWidth: 64, signed: false)
            case .int8: logical = .integer(bitWidth: 8, signed: true)
            case .int16: logical = .integer(bitWidth: 16, signed: true)
            case .int32: logical = .integer(bitWidth: 32, signed: true)
            case .int64: logical = .integer(bitWidth: 64, signed: true)
            case .interval: throw unsupported("the INTERVAL type")
            case .map, .mapKeyValue, .list: logical = nil
            }
        }
        if case .decimal(let p, let s) = logical {
            guard p >= 1 else { throw AurumError(.badCopyFileFormat, "column \(e.name): DECIMAL without a precision") }
            guard p <= 38 else {
                throw AurumError(.featureNotSupported, "column \(e.name): DECIMAL(\(p), \(s)) has more than 38 digits, which Aurum's Decimal cannot hold",
                                 hint: "cast it to a string or double in the exporting system")
            }
            guard s >= 0 && s <= p else { throw AurumError(.badCopyFileFormat, "column \(e.name): DECIMAL(\(p), \(s)) has a bad scale") }
            let t = DataType.decimal(p, s)
            let wide = p > 18
            switch physical {
            case .int32: return (t, wide ? .int32To128 : .int32To64)
            case .int64: return (t, wide ? .int64To128 : .int64)
            case .byteArray: return (t, wide ? .byteArrayDecimal128 : .byteArrayDecimal64)
            case .fixedLenByteArray:
                let w = e.typeLength ?? 0
                return (t, wide ? .fixedDecimal128(w) : .fixedDecimal64(w))
            default: throw unsupported("DECIMAL on \(physical)")
            }
        }
        switch physical {
        case .boolean: return (.bool, .bool)
        case .int32:
            switch logical {
            case .date: return (.date, .int32)
            case .integer(let w, let signed):
                switch (w, signed) {
                case (8, true): return (.int8, .int32To8)
                case (16, true): return (.int16, .int32To16)
                case (8, false): return (.uint8, .int32ToU8)
                case (16, false): return (.uint16, .int32ToU16)
                case (32, false): return (.uint32, .int32ToU32)
                default: return (.int32, .int32)
                }
            case .time(_, .millis): return (.int64, .int32To64)
            default: return (.int32, .int32)
            }
        case .int64:
            switch logical {
            case .integer(_, false): return (.uint64, .int64ToU64)
            case .timestamp(_, let unit): return (.dateTime64(unit.digits), .int64)
            case .time: return (.int64, .int64)
            default: return (.int64, .int64)
            }
        case .int96: return (.dateTime64(9), .int96)
        case .float: return (.float32, .float)
        case .double: return (.float64, .double)
        case .byteArray: return (.string, .byteArrayString)
        case .fixedLenByteArray:
            let w = e.typeLength ?? 0
            if logical == .uuid && w == 16 { return (.uuid, .fixedUUID) }
            if logical == .float16 && w == 2 { return (.float32, .fixedFloat16) }
            return (.string, .fixedString(w))
        }
    }
}
