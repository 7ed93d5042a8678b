import AurumCore
import AurumEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One Parquet file opened for reading: the footer is parsed once in `init`; row groups are
/// then decoded on demand, each column chunk read with one `pread` of its byte range.
///
/// ```
/// "PAR1" | column chunks (pages) ... | FileMetaData (thrift compact) | u32 LE footer length | "PAR1"
/// ```
/// Thread safety: immutable after `init`; `readRowGroup` and `readLeaf` may run concurrently
/// from several threads (pread does not move a shared file position). The descriptor closes
/// when the object is released. Errors: 58030 when the file cannot be read, 22P04 (naming the
/// file, row group, column and page) for malformed content, 0A000 for valid Parquet that Aurum
/// does not support (nested columns, DECIMAL over 38 digits, BROTLI/LZO pages, ...).
public final class ParquetFile: Sendable {
    public let path: String
    /// The file name used in messages (the last path component).
    public let displayName: String
    public let fileSize: Int64
    private let fd: Int32
    let meta: ParquetFileMeta
    let leaves: [ParquetLeafInfo]
    /// The schema tree (root = the message; its children are the top-level fields).
    public let schemaTree: ParquetSchemaNode
    /// Top-level fields as Aurum columns, in file order. A nested field (group, LIST, MAP) or
    /// one of a type Aurum cannot hold is listed (as a nullable String) but reading it throws
    /// 0A000 naming the column.
    public let columns: [SourceColumn]
    private let plans: [ColumnPlan]

    struct ColumnPlan: Sendable {
        var leafIndex: Int?
        var conversion: ParquetConversion?
        var unsupported: AurumError?
    }

    public var numRows: Int64 { meta.numRows }
    /// The row count of every row group.
    public var rowGroups: [Int64] { meta.rowGroups.map(\.numRows) }
    public var createdBy: String? { meta.createdBy }

    public init(path: String) throws {
        self.path = path
        self.displayName = (path as NSString).lastPathComponent
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = String(cString: strerror(errno))
            throw AurumError(.ioError, "could not open Parquet file \"\(path)\": \(err)", kind: .io)
        }
        var ok = false
        defer { if !ok { close(fd) } }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AurumError(.ioError, "could not stat \"\(path)\": \(String(cString: strerror(errno)))", kind: .io) }
        let size = Int64(st.st_size)
        let name = (path as NSString).lastPathComponent
        func bad(_ m: String) -> AurumError { AurumError(.badCopyFileFormat, "\(name): \(m)") }
        guard size >= 12 else { throw bad("not a Parquet file (\(size) bytes, too short)") }
        let head = try Self.pread(fd, path: path, offset: 0, count: 4)
        guard head == Array("PAR1".utf8) else { throw bad("not a Parquet file (no PAR1 magic at the start)") }
        let tail = try Self.pread(fd, path: path, offset: size - 8, count: 8)
        guard Array(tail[4..<8]) == Array("PAR1".utf8) else {
            if Array(tail[4..<8]) == Array("PARE".utf8) {
                throw AurumError(.featureNotSupported, "\(name): encrypted Parquet files are not supported")
            }
            throw bad("no PAR1 magic at the end (truncated or not a Parquet file)")
        }
        let footerLength = Int64(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
        guard footerLength > 0, footerLength <= size - 12 else { throw bad("footer length \(footerLength) does not fit the file (\(size) bytes)") }
        let footer = try Self.pread(fd, path: path, offset: size - 8 - footerLength, count: Int(footerLength))
        let meta: ParquetFileMeta
        let tree: ParquetSchemaNode
        let leaves: [ParquetLeafInfo]
        do {
            meta = try footer.withUnsafeBytes { buf in
                var r = ThriftCompactReader(buf)
                return try r.readFileMetaData()
            }
            (tree, leaves) = try ParquetSchemaBuilder.build(meta.schema)
        } catch var e as AurumError {
            e.message = "\(name): \(e.message)"
            throw e
        }
        let dataEnd = size - 8 - footerLength
        var total: Int64 = 0
        for (g, group) in meta.rowGroups.enumerated() {
            guard group.columns.count == leaves.count else {
                throw bad("row group \(g) has \(group.columns.count) column chunks, the schema \(leaves.count) leaf columns")
            }
            total += group.numRows
            for (i, c) in group.columns.enumerated() {
                let leaf = leaves[i]
                guard c.filePath == nil else {
                    throw AurumError(.featureNotSupported, "\(name): column \(leaf.path.joined(separator: ".")) is stored in another file (\(c.filePath!))")
                }
                guard c.type == leaf.physical else { throw bad("row group \(g), column \(leaf.path.joined(separator: ".")): chunk type differs from the schema") }
                let (start, length) = Self.chunkRange(c)
                guard start >= 4, length >= 0, start <= dataEnd, length <= dataEnd - start else {
                    throw bad("row group \(g), column \(leaf.path.joined(separator: ".")): chunk at byte \(start) (\(length) bytes) lies outside the file's data")
                }
                if leaf.maxRepetitionLevel == 0 && c.numValues != group.numRows {
                    throw bad("row group \(g), column \(leaf.path.joined(separator: ".")): \(c.numValues) values for \(group.numRows) rows")
                }
            }
        }
        guard total == meta.numRows else { throw bad("row groups hold \(total) rows, the footer says \(meta.numRows)") }

        var columns: [SourceColumn] = []
        var plans: [ColumnPlan] = []
        for field in tree.children {
            let displayPath = field.name
            if let leafIndex = field.leafIndex, field.repetition != .repeated {
                do {
                    let (type, conversion) = try ParquetTypeMapping.map(field.element, physical: leaves[leafIndex].physical)
                    columns.append(SourceColumn(name: field.name, type: field.repetition == .optional ? type.nullable : type))
                    plans.append(ColumnPlan(leafIndex: leafIndex, conversion: conversion))
                } catch var e as AurumError {
                    e.message = "\(name): \(e.message)"
                    columns.append(SourceColumn(name: field.name, type: DataType.string.nullable))
                    plans.append(ColumnPlan(unsupported: e))
                }
            } else {
                let what = field.isLeaf ? "a repeated field" : "a nested field (group, LIST or MAP)"
                columns.append(SourceColumn(name: field.name, type: DataType.string.nullable))
                plans.append(ColumnPlan(unsupported: AurumError(
                    .featureNotSupported, "\(name): column \(displayPath) is \(what), which is not supported yet",
                    hint: "select the other columns, or flatten the column in the exporting system")))
            }
        }
        self.fd = fd
        self.fileSize = size
        self.meta = meta
        self.leaves = leaves
        self.schemaTree = tree
        self.columns = columns
        self.plans = plans
        ok = true
    }

    deinit { close(fd) }

    /// The byte range of a column chunk: from its dictionary page (when it has one) to the
    /// end of its last page.
    static func chunkRange(_ c: ParquetColumnMeta) -> (Int64, Int64) {
        var start = c.dataPageOffset
        if let d = c.dictionaryPageOffset, d > 0, d < start { start = d }
        return (start, c.totalCompressedSize)
    }

    static func pread(_ fd: Int32, path: String, offset: Int64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < count {
                let r = Glibc.pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if r < 0 {
                    if errno == EINTR { continue }
                    throw AurumError(.ioError, "could not read \"\(path)\": \(String(cString: strerror(errno)))", kind: .io)
                }
                if r == 0 { throw AurumError(.badCopyFileFormat, "\((path as NSString).lastPathComponent): file ends at byte \(offset + Int64(done)) (truncated while reading?)") }
                done += r
            }
        }
        return out
    }

    /// The index of the top-level column named `name` (exact match first, then
    /// case-insensitive when that is unambiguous).
    public func columnIndex(named name: String) -> Int? {
        if let i = columns.firstIndex(where: { $0.name == name }) { return i }
        let lower = name.lowercased()
        let matches = columns.indices.filter { columns[$0].name.lowercased() == lower }
        return matches.count == 1 ? matches[0] : nil
    }

    /// Compressed bytes of the selected columns' chunks in one row group (for progress).
    public func compressedBytes(rowGroup: Int, columns selected: [Int]) -> Int64 {
        guard rowGroup >= 0 && rowGroup < meta.rowGroups.count else { return 0 }
        var total: Int64 = 0
        for c in selected where c >= 0 && c < plans.count {
            if let leaf = plans[c].leafIndex { total += meta.rowGroups[rowGroup].columns[leaf].totalCompressedSize }
        }
        return total
    }

    /// Decodes the selected top-level columns (indices into `columns`, in the order given)
    /// of row group `index` into one Block with `rowGroups[index]` rows.
    public func readRowGroup(_ index: Int, columns selected: [Int]) throws -> Block {
        guard index >= 0 && index < meta.rowGroups.count else {
            throw AurumError(.invalidParameterValue, "\(displayName): row group \(index) does not exist (the file has \(meta.rowGroups.count))")
        }
        let rows = Int(meta.rowGroups[index].numRows)
        var out: [Column] = []
        out.reserveCapacity(selected.count)
        for c in selected {
            guard c >= 0 && c < plans.count else {
                throw AurumError(.invalidParameterValue, "\(displayName): column \(c) does not exist (the file has \(plans.count))")
            }
            let plan = plans[c]
            if let e = plan.unsupported { throw e }
            guard let leafIndex = plan.leafIndex, let conversion = plan.conversion else { throw AurumError.internalError("Parquet column plan without a leaf") }
            let leaf = leaves[leafIndex]
            let decoded = try withLocation(rowGroup: index, column: columns[c].name) {
                try decodeChunk(rowGroup: index, leafIndex: leafIndex, conversion: conversion)
            }
            var data = decoded.values
            var validity: [UInt8]? = nil
            if leaf.maxDefinitionLevel > 0 && decoded.values.count != rows {
                // Flat optional column: the definition levels are 1 (present) or 0 (NULL).
                data = ParquetConvert.scatter(decoded.values, validity: decoded.definitionLevels)
                validity = decoded.definitionLevels
            }
            guard data.count == rows else {
                throw AurumError(.badCopyFileFormat, "\(displayName): row group \(index), column \(columns[c].name): \(data.count) values for \(rows) rows")
            }
            out.append(Column(type: columns[c].type, data: data, validity: validity))
        }
        return Block(columns: out, count: rows)
    }

    func withLocation<R>(rowGroup: Int, column: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch var e as AurumError {
            e.message = "\(displayName): row group \(rowGroup), column \(column): \(e.message)"
            throw e
        }
    }

    struct DecodedChunk {
        var values: ColumnData
        var definitionLevels: [UInt8]
        var repetitionLevels: [UInt8]
    }

    /// Reads and decodes one column chunk: dense non-NULL values converted to Aurum's
    /// representation, plus the raw levels.
    func decodeChunk(rowGroup: Int, leafIndex: Int, conversion: ParquetConversion) throws -> DecodedChunk {
        let leaf = leaves[leafIndex]
        let c = meta.rowGroups[rowGroup].columns[leafIndex]
        let (start, length) = Self.chunkRange(c)
        let bytes = try Self.pread(fd, path: path, offset: start, count: Int(length))
        let codec = try ParquetChunkDecoder.codec(c.codec)
        guard c.numValues <= Int64(Int32.max) * 64 else { throw pageError("column chunk claims \(c.numValues) values") }
        var def: [UInt8] = []
        var rep: [UInt8] = []
        let n = Int(c.numValues)
        let values: ColumnData = try bytes.withUnsafeBytes { buf in
            var decoder = ParquetChunkDecoder(chunk: buf, fileOffset: start, codec: codec,
                                              maxDefinitionLevel: leaf.maxDefinitionLevel,
                                              maxRepetitionLevel: leaf.maxRepetitionLevel, expectedValues: n)
            decoder.maxPageSize = Int(max(c.totalUncompressedSize, 16 << 20))
            switch leaf.physical {
            case .boolean:
                var s = BoolSink(capacity: n)
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                return .uint8(s.values)
            case .int32:
                var s = FixedValueSink<Int32>(capacity: n, typeName: "INT32")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                switch conversion {
                case .int32To8: return .int8(try ParquetConvert.narrow(s.values, to: Int8.self, typeName: "INT(8)"))
                case .int32To16: return .int16(try ParquetConvert.narrow(s.values, to: Int16.self, typeName: "INT(16)"))
                case .int32ToU8: return .uint8(try ParquetConvert.narrow(s.values, to: UInt8.self, typeName: "UINT(8)"))
                case .int32ToU16: return .uint16(try ParquetConvert.narrow(s.values, to: UInt16.self, typeName: "UINT(16)"))
                case .int32ToU32: return .uint32(s.values.map { UInt32(bitPattern: $0) })
                case .int32To64: return .int64(s.values.map { Int64($0) })
                case .int32To128: return .int128(s.values.map { Int128($0) })
                default: return .int32(s.values)
                }
            case .int64:
                var s = FixedValueSink<Int64>(capacity: n, typeName: "INT64")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                switch conversion {
                case .int64ToU64: return .uint64(s.values.map { UInt64(bitPattern: $0) })
                case .int64To128: return .int128(s.values.map { Int128($0) })
                default: return .int64(s.values)
                }
            case .int96:
                var s = FixedLenSink(width: 12, capacity: n, typeName: "INT96")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                return .int64(try ParquetConvert.int96(s.values))
            case .float:
                var s = FixedValueSink<Float>(capacity: n, typeName: "FLOAT")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                return .float32(s.values)
            case .double:
                var s = FixedValueSink<Double>(capacity: n, typeName: "DOUBLE")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                return .float64(s.values)
            case .byteArray:
                var s = ByteArraySink(capacity: n)
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                switch conversion {
                case .byteArrayDecimal64: return try ParquetConvert.decimalsVariable(s.values, wide: false)
                case .byteArrayDecimal128: return try ParquetConvert.decimalsVariable(s.values, wide: true)
                default: return .string(s.values)
                }
            case .fixedLenByteArray:
                let width = leaf.element.typeLength ?? 0
                var s = FixedLenSink(width: width, capacity: n, typeName: "FIXED_LEN_BYTE_ARRAY")
                try decoder.decode(into: &s, definitionLevels: &def, repetitionLevels: &rep)
                switch conversion {
                case .fixedDecimal64: return try ParquetConvert.decimalsFixed(s.values, width: width, wide: false, column: leaf.path.joined(separator: "."))
                case .fixedDecimal128: return try ParquetConvert.decimalsFixed(s.values, width: width, wide: true, column: leaf.path.joined(separator: "."))
                case .fixedUUID: return .uint128(ParquetConvert.uuids(s.values))
                case .fixedFloat16: return .float32(ParquetConvert.float16s(s.values))
                default: return .string(try ParquetConvert.fixedStrings(s.values, width: width))
                }
            }
        }
        if leaf.maxDefinitionLevel > 0 {
            var present = 0
            let m = UInt8(truncatingIfNeeded: leaf.maxDefinitionLevel)
            for d in def where d == m { present += 1 }
            guard present == values.count else {
                throw pageError("\(values.count) values decoded for \(present) non-NULL entries")
            }
        } else if values.count != n {
            throw pageError("\(values.count) values decoded, the chunk metadata says \(n)")
        }
        return DecodedChunk(values: values, definitionLevels: def, repetitionLevels: rep)
    }
}
