import AurumCore

// The parts of parquet.thrift (apache/parquet-format) the reader uses, decoded from the
// compact protocol by hand. Field ids are the spec's; unknown fields (statistics, bloom
// filters, encryption, ...) are skipped so newer writers stay readable.

/// Parquet's physical types (`Type` in parquet.thrift).
public enum ParquetPhysicalType: Int, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// `FieldRepetitionType`.
public enum ParquetRepetition: Int, Sendable {
    case required = 0, optional = 1, repeated = 2
}

/// `ConvertedType` (the legacy annotation, still written beside `LogicalType`).
enum ParquetConvertedType: Int, Sendable {
    case utf8 = 0, map = 1, mapKeyValue = 2, list = 3, enumeration = 4, decimal = 5, date = 6
    case timeMillis = 7, timeMicros = 8, timestampMillis = 9, timestampMicros = 10
    case uint8 = 11, uint16 = 12, uint32 = 13, uint64 = 14, int8 = 15, int16 = 16, int32 = 17, int64 = 18
    case json = 19, bson = 20, interval = 21
}

/// The time unit of TIME and TIMESTAMP annotations.
public enum ParquetTimeUnit: Sendable, Equatable {
    case millis, micros, nanos
    /// Decimal digits of a second: 3, 6, 9.
    var digits: Int {
        switch self {
        case .millis: return 3
        case .micros: return 6
        case .nanos: return 9
        }
    }
}

/// The `LogicalType` union (only the members the reader maps; others are `.other`).
enum ParquetLogicalType: Sendable, Equatable {
    case string, map, list, enumeration, json, bson, uuid, date, unknown, float16
    case decimal(precision: Int, scale: Int)
    case time(utc: Bool, unit: ParquetTimeUnit)
    case timestamp(utc: Bool, unit: ParquetTimeUnit)
    case integer(bitWidth: Int, signed: Bool)
    case other(Int16)
}

/// `SchemaElement`: one node of the flattened (depth-first) schema.
struct ParquetSchemaElement: Sendable {
    var type: ParquetPhysicalType?
    var typeLength: Int?
    var repetition: ParquetRepetition?
    var name = ""
    var numChildren: Int?
    var convertedType: ParquetConvertedType?
    var scale: Int?
    var precision: Int?
    var logicalType: ParquetLogicalType?
}

/// `ColumnMetaData` (plus the chunk's `file_path`).
struct ParquetColumnMeta: Sendable {
    var type: ParquetPhysicalType = .boolean
    var encodings: [Int] = []
    var path: [String] = []
    var codec = 0
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var filePath: String?
}

struct ParquetRowGroupMeta: Sendable {
    var columns: [ParquetColumnMeta] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
}

struct ParquetFileMeta: Sendable {
    var version = 0
    var schema: [ParquetSchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [ParquetRowGroupMeta] = []
    var createdBy: String?
}

enum ParquetPageType: Int {
    case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

/// `PageHeader` with the members of its data/dictionary sub-headers flattened.
struct ParquetPageHeader {
    var type: Int = -1
    var uncompressedSize = 0
    var compressedSize = 0
    var numValues = 0
    var encoding = 0
    var defLevelEncoding = 3
    var repLevelEncoding = 3
    // v2 only
    var numNulls = 0
    var numRows = 0
    var defLevelsByteLength = 0
    var repLevelsByteLength = 0
    var isCompressed = true
    var sawSubHeader = false
}

extension ThriftCompactReader {
    mutating func readFileMetaData() throws -> ParquetFileMeta {
        var m = ParquetFileMeta()
        var seen = Set<Int16>()
        try beginStruct()
        while let f = try nextField() {
            seen.insert(f.id)
            switch (f.id, f.type) {
            case (1, _): m.version = Int(try readInt(f.type))
            case (2, .list):
                let (t, n) = try readListHeader()
                guard t == .structure else { throw Self.corrupt("schema is not a list of structs") }
                m.schema.reserveCapacity(n)
                for _ in 0..<n { m.schema.append(try readSchemaElement()) }
            case (3, _): m.numRows = try readInt(f.type)
            case (4, .list):
                let (t, n) = try readListHeader()
                guard t == .structure else { throw Self.corrupt("row_groups is not a list of structs") }
                m.rowGroups.reserveCapacity(n)
                for _ in 0..<n { m.rowGroups.append(try readRowGroup()) }
            case (6, .binary): m.createdBy = try readString()
            default: try skip(f.type)
            }
        }
        endStruct()
        guard seen.contains(2), seen.contains(3), seen.contains(4) else {
            throw Self.corrupt("FileMetaData lacks schema, num_rows or row_groups")
        }
        guard m.numRows >= 0 else { throw Self.corrupt("negative num_rows") }
        return m
    }

    mutating func readSchemaElement() throws -> ParquetSchemaElement {
        var e = ParquetSchemaElement()
        try beginStruct()
        while let f = try nextField() {
            switch (f.id, f.type) {
            case (1, _):
                let v = try readInt(f.type)
                guard let t = ParquetPhysicalType(rawValue: Int(v)) else { throw Self.corrupt("unknown physical type \(v)") }
                e.type = t
            case (2, _): e.typeLength = Int(try readInt(f.type))
            case (3, _):
                let v = try readInt(f.type)
                guard let r = ParquetRepetition(rawValue: Int(v)) else { throw Self.corrupt("unknown repetition \(v)") }
                e.repetition = r
            case (4, .binary): e.name = try readString()
            case (5, _):
                let v = try readInt(f.type)
                guard v >= 0 && v < 1_000_000 else { throw Self.corrupt("bad num_children \(v)") }
                e.numChildren = Int(v)
            case (6, _): e.convertedType = ParquetConvertedType(rawValue: Int(try readInt(f.type)))
            case (7, _): e.scale = Int(try readInt(f.type))
            case (8, _): e.precision = Int(try readInt(f.type))
            case (10, .structure): e.logicalType = try readLogicalType()
            default: try skip(f.type)
            }
        }
        endStruct()
        return e
    }

    mutating func readTimeUnit() throws -> ParquetTimeUnit {
        var unit = ParquetTimeUnit.micros
        try beginStruct()
        while let f = try nextField() {
            switch f.id {
            case 1: unit = .millis
            case 2: unit = .micros
            case 3: unit = .nanos
            default: break
            }
            try skip(f.type)
        }
        endStruct()
        return unit
    }

    mutating func readLogicalType() throws -> ParquetLogicalType {
        var result = ParquetLogicalType.other(0)
        try beginStruct()
        while let f = try nextField() {
            guard f.type == .structure else { try skip(f.type); continue }
            switch f.id {
            case 1: result = .string; try skip(f.type)
            case 2: result = .map; try skip(f.type)
            case 3: result = .list; try skip(f.type)
            case 4: result = .enumeration; try skip(f.type)
            case 5:
                var scale = 0, precision = 0
                try beginStruct()
                while let g = try nextField() {
                    switch g.id {
                    case 1: scale = Int(try readInt(g.type))
                    case 2: precision = Int(try readInt(g.type))
                    default: try skip(g.type)
                    }
                }
                endStruct()
                result = .decimal(precision: precision, scale: scale)
            case 6: result = .date; try skip(f.type)
            case 7, 8:
                var utc = false
                var unit = ParquetTimeUnit.micros
                try beginStruct()
                while let g = try nextField() {
                    switch (g.id, g.type) {
                    case (1, _): utc = try readBool(g.type)
                    case (2, .structure): unit = try readTimeUnit()
                    default: try skip(g.type)
                    }
                }
                endStruct()
                result = f.id == 7 ? .time(utc: utc, unit: unit) : .timestamp(utc: utc, unit: unit)
            case 10:
                var width = 0
                var signed = true
                try beginStruct()
                while let g = try nextField() {
                    switch g.id {
                    case 1: width = Int(try readInt(g.type))
                    case 2: signed = try readBool(g.type)
                    default: try skip(g.type)
                    }
                }
                endStruct()
                result = .integer(bitWidth: width, signed: signed)
            case 11: result = .unknown; try skip(f.type)
            case 12: result = .json; try skip(f.type)
            case 13: result = .bson; try skip(f.type)
            case 14: result = .uuid; try skip(f.type)
            case 15: result = .float16; try skip(f.type)
            default: result = .other(f.id); try skip(f.type)
            }
        }
        endStruct()
        return result
    }

    mutating func readRowGroup() throws -> ParquetRowGroupMeta {
        var g = ParquetRowGroupMeta()
        try beginStruct()
        while let f = try nextField() {
            switch (f.id, f.type) {
            case (1, .list):
                let (t, n) = try readListHeader()
                guard t == .structure else { throw Self.corrupt("columns is not a list of structs") }
                g.columns.reserveCapacity(n)
                for _ in 0..<n { g.columns.append(try readColumnChunk()) }
            case (2, _): g.totalByteSize = try readInt(f.type)
            case (3, _): g.numRows = try readInt(f.type)
            default: try skip(f.type)
            }
        }
        endStruct()
        guard g.numRows >= 0 else { throw Self.corrupt("negative row count in a row group") }
        return g
    }

    mutating func readColumnChunk() throws -> ParquetColumnMeta {
        var meta: ParquetColumnMeta?
        var filePath: String?
        try beginStruct()
        while let f = try nextField() {
            switch (f.id, f.type) {
            case (1, .binary): filePath = try readString()
            case (3, .structure): meta = try readColumnMeta()
            default: try skip(f.type)
            }
        }
        endStruct()
        guard var m = meta else {
            throw AurumError(.featureNotSupported, "Parquet column chunk without inline metadata (encrypted files are not supported)")
        }
        m.filePath = filePath
        return m
    }

    mutating func readColumnMeta() throws -> ParquetColumnMeta {
        var m = ParquetColumnMeta()
        try beginStruct()
        while let f = try nextField() {
            switch (f.id, f.type) {
            case (1, _):
                let v = try readInt(f.type)
                guard let t = ParquetPhysicalType(rawValue: Int(v)) else { throw Self.corrupt("unknown physical type \(v)") }
                m.type = t
            case (2, .list):
                let (_, n) = try readListHeader()
                for _ in 0..<n { m.encodings.append(Int(try readI64())) }
            case (3, .list):
                let (t, n) = try readListHeader()
                guard t == .binary else { throw Self.corrupt("path_in_schema is not a list of strings") }
                for _ in 0..<n { m.path.append(try readString()) }
            case (4, _): m.codec = Int(try readInt(f.type))
            case (5, _): m.numValues = try readInt(f.type)
            case (6, _): m.totalUncompressedSize = try readInt(f.type)
            case (7, _): m.totalCompressedSize = try readInt(f.type)
            case (9, _): m.dataPageOffset = try readInt(f.type)
            case (11, _): m.dictionaryPageOffset = try readInt(f.type)
            default: try skip(f.type)
            }
        }
        endStruct()
        guard m.numValues >= 0, m.totalCompressedSize >= 0, m.dataPageOffset >= 0 else {
            throw Self.corrupt("negative size or offset in column metadata")
        }
        return m
    }

    mutating func readPageHeader() throws -> ParquetPageHeader {
        var h = ParquetPageHeader()
        try beginStruct()
        while let f = try nextField() {
            switch (f.id, f.type) {
            case (1, _): h.type = Int(try readInt(f.type))
            case (2, _): h.uncompressedSize = try readCount("uncompressed page size")
            case (3, _): h.compressedSize = try readCount("compressed page size")
            case (5, .structure):   // DataPageHeader
                h.sawSubHeader = true
                try beginStruct()
                while let g = try nextField() {
                    switch g.id {
                    case 1: h.numValues = try readCount("num_values")
                    case 2: h.encoding = Int(try readInt(g.type))
                    case 3: h.defLevelEncoding = Int(try readInt(g.type))
                    case 4: h.repLevelEncoding = Int(try readInt(g.type))
                    default: try skip(g.type)
                    }
                }
                endStruct()
            case (7, .structure):   // DictionaryPageHeader
                h.sawSubHeader = true
                try beginStruct()
                while let g = try nextField() {
                    switch g.id {
                    case 1: h.numValues = try readCount("num_values")
                    case 2: h.encoding = Int(try readInt(g.type))
                    default: try skip(g.type)
                    }
                }
                endStruct()
            case (8, .structure):   // DataPageHeaderV2
                h.sawSubHeader = true
                try beginStruct()
                while let g = try nextField() {
                    switch g.id {
                    case 1: h.numValues = try readCount("num_values")
                    case 2: h.numNulls = try readCount("num_nulls")
                    case 3: h.numRows = try readCount("num_rows")
                    case 4: h.encoding = Int(try readInt(g.type))
                    case 5: h.defLevelsByteLength = try readCount("definition_levels_byte_length")
                    case 6: h.repLevelsByteLength = try readCount("repetition_levels_byte_length")
                    case 7: h.isCompressed = try readBool(g.type)
                    default: try skip(g.type)
                    }
                }
                endStruct()
            default: try skip(f.type)
            }
        }
        endStruct()
        return h
    }
}
