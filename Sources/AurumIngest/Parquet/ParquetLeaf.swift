import AurumCore

/// One leaf column of one row group, undecoded into rows: what a reader of nested data (the
/// Delta Lake checkpoint reader: `add.stats`, `add.partitionValues` map, ...) needs to
/// reassemble structs, lists and maps itself.
///
/// Contract (Dremel encoding, as Parquet stores it):
/// - `definitionLevels` and `repetitionLevels` have one entry per level slot (`count`), or
///   are empty when the leaf's max level is 0 (then every slot is at the max level, and
///   there is one slot per row when also not repeated);
/// - a slot whose definition level equals `maxDefinitionLevel` holds a value; the `values`
///   column holds exactly those values, in slot order, with no validity (non-nullable type);
/// - a lower definition level tells which ancestor was NULL/empty (level d = the first d
///   optional-or-repeated nodes on the path are present); repetition level 0 starts a new
///   row, level r > 0 continues the list at the r-th repeated node on the path.
public struct ParquetLeaf: Sendable {
    public var path: [String]
    public var maxDefinitionLevel: Int
    public var maxRepetitionLevel: Int
    public var count: Int
    public var definitionLevels: [UInt8]
    public var repetitionLevels: [UInt8]
    public var values: Column
}

extension ParquetFile {
    /// Decodes the leaf at `path` (names from the top-level field down, as in `schemaTree`)
    /// of row group `rowGroup`. Throws 42703 for an unknown path, 0A000 when the leaf's type
    /// cannot be mapped, 22P04 for malformed data.
    public func readLeaf(rowGroup: Int, path: [String]) throws -> ParquetLeaf {
        guard rowGroup >= 0 && rowGroup < meta.rowGroups.count else {
            throw AurumError(.invalidParameterValue, "\(displayName): row group \(rowGroup) does not exist (the file has \(meta.rowGroups.count))")
        }
        guard let leafIndex = leaves.firstIndex(where: { $0.path == path }) else {
            throw AurumError(.undefinedColumn, "\(displayName): no leaf column \(path.joined(separator: "."))")
        }
        let leaf = leaves[leafIndex]
        let dotted = path.joined(separator: ".")
        let (type, conversion): (DataType, ParquetConversion)
        do {
            (type, conversion) = try ParquetTypeMapping.map(leaf.element, physical: leaf.physical)
        } catch var e as AurumError {
            e.message = "\(displayName): \(e.message) (leaf \(dotted))"
            throw e
        }
        let chunk = try withLocation(rowGroup: rowGroup, column: dotted) {
            try decodeChunk(rowGroup: rowGroup, leafIndex: leafIndex, conversion: conversion)
        }
        return ParquetLeaf(path: path, maxDefinitionLevel: leaf.maxDefinitionLevel,
                           maxRepetitionLevel: leaf.maxRepetitionLevel,
                           count: Int(meta.rowGroups[rowGroup].columns[leafIndex].numValues),
                           definitionLevels: chunk.definitionLevels, repetitionLevels: chunk.repetitionLevels,
                           values: Column(type: type, data: chunk.values))
    }
}
