import AurumCore

/// One builtin PostgreSQL type as Aurum reports it (pg_type rows, RowDescription OIDs).
public struct PGBuiltinType: Sendable, Equatable {
    /// pg_type.oid
    public var oid: UInt32
    /// pg_type.typname
    public var name: String
    /// pg_type.typlen: fixed size in bytes, -1 variable length, -2 C string.
    public var size: Int16
}

/// Where a result column comes from: RowDescription's table OID and column attribute number.
public struct PGColumnSource: Sendable, Equatable {
    public var tableOID: UInt32
    public var attnum: Int16
    public init(tableOID: UInt32, attnum: Int16) { self.tableOID = tableOID; self.attnum = attnum }
}

/// The PostgreSQL type table shared by the engine (pg_catalog.pg_type, format_type, pg_attribute)
/// and the wire layer (PGTypes in AurumWire maps onto it). One source for OIDs, names and sizes.
public enum PGTypeCatalog {
    public static let builtins: [PGBuiltinType] = [
        .init(oid: 16, name: "bool", size: 1),
        .init(oid: 17, name: "bytea", size: -1),
        .init(oid: 18, name: "char", size: 1),
        .init(oid: 19, name: "name", size: 64),
        .init(oid: 20, name: "int8", size: 8),
        .init(oid: 21, name: "int2", size: 2),
        .init(oid: 22, name: "int2vector", size: -1),
        .init(oid: 23, name: "int4", size: 4),
        .init(oid: 24, name: "regproc", size: 4),
        .init(oid: 25, name: "text", size: -1),
        .init(oid: 26, name: "oid", size: 4),
        .init(oid: 28, name: "xid", size: 4),
        .init(oid: 29, name: "cid", size: 4),
        .init(oid: 30, name: "oidvector", size: -1),
        .init(oid: 114, name: "json", size: -1),
        .init(oid: 142, name: "xml", size: -1),
        .init(oid: 700, name: "float4", size: 4),
        .init(oid: 701, name: "float8", size: 8),
        .init(oid: 705, name: "unknown", size: -2),
        .init(oid: 1042, name: "bpchar", size: -1),
        .init(oid: 1043, name: "varchar", size: -1),
        .init(oid: 1082, name: "date", size: 4),
        .init(oid: 1083, name: "time", size: 8),
        .init(oid: 1114, name: "timestamp", size: 8),
        .init(oid: 1184, name: "timestamptz", size: 8),
        .init(oid: 1186, name: "interval", size: 16),
        .init(oid: 1700, name: "numeric", size: -1),
        .init(oid: 2205, name: "regclass", size: 4),
        .init(oid: 2206, name: "regtype", size: 4),
        .init(oid: 2950, name: "uuid", size: 16),
        .init(oid: 3802, name: "jsonb", size: -1),
        // array types (typelem/typarray: see `arrayTypes`)
        .init(oid: 1000, name: "_bool", size: -1),
        .init(oid: 1001, name: "_bytea", size: -1),
        .init(oid: 1002, name: "_char", size: -1),
        .init(oid: 1003, name: "_name", size: -1),
        .init(oid: 1005, name: "_int2", size: -1),
        .init(oid: 1007, name: "_int4", size: -1),
        .init(oid: 1009, name: "_text", size: -1),
        .init(oid: 1014, name: "_bpchar", size: -1),
        .init(oid: 1015, name: "_varchar", size: -1),
        .init(oid: 1016, name: "_int8", size: -1),
        .init(oid: 1021, name: "_float4", size: -1),
        .init(oid: 1022, name: "_float8", size: -1),
        .init(oid: 1028, name: "_oid", size: -1),
        .init(oid: 1115, name: "_timestamp", size: -1),
        .init(oid: 1182, name: "_date", size: -1),
        .init(oid: 1183, name: "_time", size: -1),
        .init(oid: 1185, name: "_timestamptz", size: -1),
        .init(oid: 1187, name: "_interval", size: -1),
        .init(oid: 1231, name: "_numeric", size: -1),
        .init(oid: 2951, name: "_uuid", size: -1),
        .init(oid: 199, name: "_json", size: -1),
        .init(oid: 3807, name: "_jsonb", size: -1),
    ]

    /// (element OID, array OID) pairs of the array types in `builtins`.
    public static let arrayTypes: [(element: UInt32, array: UInt32)] = [
        (16, 1000), (17, 1001), (18, 1002), (19, 1003), (21, 1005), (23, 1007), (25, 1009),
        (1042, 1014), (1043, 1015), (20, 1016), (700, 1021), (701, 1022), (26, 1028),
        (1114, 1115), (1082, 1182), (1083, 1183), (1184, 1185), (1186, 1187), (1700, 1231),
        (2950, 2951), (114, 199), (3802, 3807),
    ]

    private static let byOID: [UInt32: PGBuiltinType] = Dictionary(builtins.map { ($0.oid, $0) }, uniquingKeysWith: { a, _ in a })
    private static let byName: [String: PGBuiltinType] = Dictionary(builtins.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    private static let arrayOfElement: [UInt32: UInt32] = Dictionary(arrayTypes.map { ($0.element, $0.array) }, uniquingKeysWith: { a, _ in a })
    private static let elementOfArray: [UInt32: UInt32] = Dictionary(arrayTypes.map { ($0.array, $0.element) }, uniquingKeysWith: { a, _ in a })

    public static func builtin(oid: UInt32) -> PGBuiltinType? { byOID[oid] }
    public static func builtin(named name: String) -> PGBuiltinType? { byName[name] }
    /// pg_type.typarray of `oid`, 0 when there is none.
    public static func arrayOID(ofElement oid: UInt32) -> UInt32 { arrayOfElement[oid] ?? 0 }
    /// pg_type.typelem of array type `oid`, 0 when `oid` is not an array.
    public static func elementOID(ofArray oid: UInt32) -> UInt32 { elementOfArray[oid] ?? 0 }

    /// The type OID an Aurum type is sent as (nullability and LowCardinality do not matter).
    public static func oid(for type: DataType) -> UInt32 {
        switch type.base {
        case .bool: return 16
        case .int8, .int16, .uint8: return 21
        case .int32, .uint16: return 23
        case .int64, .uint32: return 20
        case .uint64, .decimal: return 1700
        case .float32: return 700
        case .float64: return 701
        case .string, .nothing: return 25
        case .date: return 1082
        case .dateTime, .dateTime64: return 1114
        case .uuid: return 2950
        }
    }

    /// atttypmod: numeric(p, s) is ((p << 16) | s) + 4; DateTime64(p) is timestamp(p), typmod p
    /// (at most 6, the microseconds the wire carries), so clients know the fractional digits
    /// (PostgreSQL's text output drops trailing zeros); everything else -1.
    public static func modifier(for type: DataType) -> Int32 {
        switch type.base {
        case .decimal(let p, let s): return Int32(((p << 16) | s) + 4)
        case .dateTime64(let p): return Int32(min(p, 6))
        default: return -1
        }
    }

    /// pg_type.typcategory: B boolean, N numeric, S string, D date/time, T timespan,
    /// A array, X unknown, U user/other, Z internal.
    public static func category(oid: UInt32) -> Character {
        switch oid {
        case 16: return "B"
        case 21, 23, 20, 700, 701, 1700, 26, 24, 2205, 2206: return "N"
        case 25, 1043, 1042, 19: return "S"
        case 1082, 1083, 1114, 1184: return "D"
        case 1186: return "T"
        case 705: return "X"
        case 18: return "Z"
        case 22, 30: return "A"
        default: return elementOfArray[oid] != nil ? "A" : "U"
        }
    }

    /// format_type(oid, typmod): the SQL spelling PostgreSQL prints.
    public static func formatType(oid: UInt32, modifier: Int32) -> String? {
        let named: [UInt32: String] = [16: "boolean", 20: "bigint", 21: "smallint", 23: "integer", 700: "real", 701: "double precision",
                                       1043: "character varying", 1042: "character", 1114: "timestamp without time zone",
                                       1184: "timestamp with time zone", 1083: "time without time zone", 18: "\"char\""]
        if oid == 1700 {
            if modifier >= 4 { let m = modifier - 4; return "numeric(\(m >> 16),\(m & 0xffff))" }
            return "numeric"
        }
        if oid == 1114 || oid == 1184 || oid == 1083, modifier >= 0, let n = named[oid], let sp = n.firstIndex(of: " ") {
            return n[..<sp] + "(\(modifier))" + n[sp...]  // timestamp(3) without time zone
        }
        if let n = named[oid] { return n }
        if let e = elementOfArray[oid] { return formatType(oid: e, modifier: modifier).map { $0 + "[]" } }
        return byOID[oid]?.name
    }
}
