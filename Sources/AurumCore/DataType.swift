/// The physical representation a column vector uses for a logical type.
///
/// Kernels switch on this once per block and then run a specialised loop.
public enum PhysicalType: UInt8, Sendable, Hashable {
    case int8, int16, int32, int64, int128
    case uint8, uint16, uint32, uint64, uint128
    case float32, float64
    /// Offsets + bytes (see `StringArray`).
    case string
}

/// An Aurum logical type.
///
/// Representation (see docs/format.md):
/// - Bool: UInt8 0/1
/// - Date: Int32 days since 1970-01-01 (covers years 1900–2299 and beyond)
/// - DateTime: Int64 seconds since the epoch, UTC
/// - DateTime64(p): Int64 ticks of 10^-p seconds since the epoch, UTC
/// - Decimal(P,S): Int64 when P <= 18, Int128 when P <= 38; the value is `raw / 10^S`
/// - UUID: UInt128 (big-endian text order: the first hex digit is the top nibble)
/// - String and LowCardinality(String): byte strings (UTF-8)
public struct DataType: Hashable, Sendable, CustomStringConvertible {
    public enum Base: Hashable, Sendable {
        case bool
        case int8, int16, int32, int64
        case uint8, uint16, uint32, uint64
        case float32, float64
        case decimal(precision: Int, scale: Int)
        case string
        case date
        case dateTime
        case dateTime64(precision: Int)
        case uuid
        /// The type of an untyped NULL literal; coerces to anything.
        case nothing
    }

    public var base: Base
    public var isNullable: Bool
    public var isLowCardinality: Bool

    public init(_ base: Base, nullable: Bool = false, lowCardinality: Bool = false) {
        self.base = base
        self.isNullable = nullable
        self.isLowCardinality = lowCardinality
    }

    public static let bool = DataType(.bool)
    public static let int8 = DataType(.int8)
    public static let int16 = DataType(.int16)
    public static let int32 = DataType(.int32)
    public static let int64 = DataType(.int64)
    public static let uint8 = DataType(.uint8)
    public static let uint16 = DataType(.uint16)
    public static let uint32 = DataType(.uint32)
    public static let uint64 = DataType(.uint64)
    public static let float32 = DataType(.float32)
    public static let float64 = DataType(.float64)
    public static let string = DataType(.string)
    public static let date = DataType(.date)
    public static let dateTime = DataType(.dateTime)
    public static let uuid = DataType(.uuid)
    public static let nothing = DataType(.nothing, nullable: true)
    public static func decimal(_ p: Int, _ s: Int) -> DataType { DataType(.decimal(precision: p, scale: s)) }
    public static func dateTime64(_ p: Int) -> DataType { DataType(.dateTime64(precision: p)) }

    public var nullable: DataType { var t = self; t.isNullable = true; return t }
    public var nonNullable: DataType { var t = self; t.isNullable = false; return t }
    /// The same type without Nullable/LowCardinality wrappers.
    public var plain: DataType { DataType(base) }

    public var physical: PhysicalType {
        switch base {
        case .bool, .uint8: return .uint8
        case .int8: return .int8
        case .int16: return .int16
        case .int32, .date: return .int32
        case .int64, .dateTime, .dateTime64: return .int64
        case .uint16: return .uint16
        case .uint32: return .uint32
        case .uint64: return .uint64
        case .float32: return .float32
        case .float64: return .float64
        case .decimal(let p, _): return p <= 18 ? .int64 : .int128
        case .string: return .string
        case .uuid: return .uint128
        case .nothing: return .uint8
        }
    }

    public var isInteger: Bool {
        switch base {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
        default: return false
        }
    }
    public var isSignedInteger: Bool {
        switch base {
        case .int8, .int16, .int32, .int64: return true
        default: return false
        }
    }
    public var isUnsignedInteger: Bool { isInteger && !isSignedInteger }
    public var isFloat: Bool { base == .float32 || base == .float64 }
    public var isDecimal: Bool { if case .decimal = base { return true }; return false }
    public var isNumeric: Bool { isInteger || isFloat || isDecimal }
    public var isString: Bool { base == .string }
    public var isTemporal: Bool {
        switch base {
        case .date, .dateTime, .dateTime64: return true
        default: return false
        }
    }
    /// Byte width of one value for fixed-width types; nil for strings.
    public var byteWidth: Int? {
        switch physical {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        case .int128, .uint128: return 16
        case .string: return nil
        }
    }
    public var decimalScale: Int { if case .decimal(_, let s) = base { return s }; return 0 }
    public var decimalPrecision: Int { if case .decimal(let p, _) = base { return p }; return 0 }

    /// ClickHouse-style spelling, e.g. `Nullable(Decimal(18, 2))`, `LowCardinality(String)`.
    public var description: String {
        var s: String
        switch base {
        case .bool: s = "Bool"
        case .int8: s = "Int8"
        case .int16: s = "Int16"
        case .int32: s = "Int32"
        case .int64: s = "Int64"
        case .uint8: s = "UInt8"
        case .uint16: s = "UInt16"
        case .uint32: s = "UInt32"
        case .uint64: s = "UInt64"
        case .float32: s = "Float32"
        case .float64: s = "Float64"
        case .decimal(let p, let sc): s = "Decimal(\(p), \(sc))"
        case .string: s = "String"
        case .date: s = "Date"
        case .dateTime: s = "DateTime"
        case .dateTime64(let p): s = "DateTime64(\(p))"
        case .uuid: s = "UUID"
        case .nothing: s = "Nothing"
        }
        if isNullable && base != .nothing { s = "Nullable(\(s))" }
        if isLowCardinality { s = "LowCardinality(\(s))" }
        return s
    }
}

extension DataType {
    /// Resolves a type name as written in SQL (ClickHouse names, case-sensitive match first,
    /// then PostgreSQL aliases case-insensitively) with its numeric arguments.
    ///
    /// `Nullable(...)` and `LowCardinality(...)` wrappers are handled by the parser, which calls
    /// this for the inner name. Throws 42704 for an unknown name, 22023 for bad arguments.
    public static func named(_ name: String, arguments: [Int] = []) throws -> DataType {
        let lower = name.lowercased()
        func noArgs(_ t: DataType) throws -> DataType {
            // PostgreSQL allows varchar(n), char(n), timestamp(p), time... ignore lengths for strings.
            return t
        }
        switch lower {
        case "bool", "boolean": return .bool
        case "int8" where name == "Int8": return .int8
        case "tinyint": return .int8
        case "int16", "smallint", "int2": return .int16
        case "int32", "int", "integer", "int4", "mediumint", "serial": return .int32
        case "int64", "bigint", "int8", "bigserial": return .int64
        case "uint8": return .uint8
        case "uint16": return .uint16
        case "uint32": return .uint32
        case "uint64": return .uint64
        case "float32", "real", "float4", "float": return lower == "float" && !arguments.isEmpty && arguments[0] > 24 ? .float64 : .float32
        case "float64", "double", "double precision", "float8": return .float64
        case "string", "text", "varchar", "char", "character", "character varying", "bpchar", "name",
             "fixedstring", "json", "bytea", "citext":
            return try noArgs(.string)
        case "date", "date32": return .date
        case "datetime": return .dateTime
        case "datetime64":
            let p = arguments.first ?? 3
            guard (0...9).contains(p) else {
                throw AurumError(.invalidParameterValue, "DateTime64 precision must be between 0 and 9, got \(p)")
            }
            return .dateTime64(p)
        case "timestamp", "timestamp without time zone", "timestamptz", "timestamp with time zone":
            let p = arguments.first ?? 6
            guard (0...9).contains(p) else {
                throw AurumError(.invalidParameterValue, "timestamp precision must be between 0 and 9, got \(p)")
            }
            return .dateTime64(p)
        case "uuid": return .uuid
        case "decimal", "numeric", "dec":
            let p = arguments.count >= 1 ? arguments[0] : (lower == "numeric" ? 38 : 10)
            let s = arguments.count >= 2 ? arguments[1] : (arguments.isEmpty && lower == "numeric" ? 9 : 0)
            guard (1...38).contains(p) else {
                throw AurumError(.invalidParameterValue, "decimal precision must be between 1 and 38, got \(p)")
            }
            guard (0...p).contains(s) else {
                throw AurumError(.invalidParameterValue, "decimal scale must be between 0 and the precision \(p), got \(s)")
            }
            return .decimal(p, s)
        case "decimal32": return .decimal(9, arguments.first ?? 0)
        case "decimal64": return .decimal(18, arguments.first ?? 0)
        case "decimal128": return .decimal(38, arguments.first ?? 0)
        default:
            throw AurumError(.undefinedObject, "type \"\(name)\" does not exist",
                             hint: "known types: Bool, Int8..Int64, UInt8..UInt64, Float32, Float64, Decimal(P,S), String, Date, DateTime, DateTime64(p), UUID, Nullable(T), LowCardinality(String)")
        }
    }
}
