import AurumCore

/// Walks the pages of one column chunk (already read into memory): dictionary page first,
/// then data pages v1/v2 (index pages are skipped), decompressing each and handing the values
/// to a `ParquetValueSink` and the levels to the caller's arrays.
///
/// Page layout:
/// ```
/// v1 (DATA_PAGE):    header | compressed( [rep: u32 len + RLE] [def: u32 len + RLE] values )
/// v2 (DATA_PAGE_V2): header | rep RLE (rep_len) | def RLE (def_len) | values (compressed if is_compressed)
/// ```
/// Levels are only present when the column's max level is > 0. Errors are 22P04/0A000
/// without location; the caller prefixes file, row group and column, this adds the page offset.
struct ParquetChunkDecoder {
    let chunk: UnsafeRawBufferPointer
    /// File offset of `chunk[0]`, for messages.
    let fileOffset: Int64
    let codec: CompressionCodec
    let maxDefinitionLevel: Int
    let maxRepetitionLevel: Int
    let expectedValues: Int
    /// The largest decompressed page accepted (a corrupt header must not make the reader
    /// allocate gigabytes): the chunk's total uncompressed size, at least 16 MiB.
    var maxPageSize = 16 << 20

    static func codec(_ raw: Int) throws -> CompressionCodec {
        switch raw {
        case 0: return .none
        case 1: return .snappy
        case 2: return .gzip
        case 6: return .zstd
        case 7: return .lz4Raw
        case 3: throw AurumError(.featureNotSupported, "the LZO page codec is not supported", hint: "write the file with SNAPPY, GZIP, ZSTD or LZ4_RAW")
        case 4: throw AurumError(.featureNotSupported, "the BROTLI page codec is not supported", hint: "write the file with SNAPPY, GZIP, ZSTD or LZ4_RAW")
        case 5: throw AurumError(.featureNotSupported, "the legacy (Hadoop-framed) LZ4 page codec is not supported", hint: "write the file with LZ4_RAW, SNAPPY, GZIP or ZSTD")
        default: throw AurumError(.featureNotSupported, "unknown page codec \(raw)")
        }
    }

    static func levelWidth(_ maxLevel: Int) -> Int {
        var w = 0
        while (1 << w) <= maxLevel { w += 1 }
        return w
    }

    /// Decodes every page. `definitionLevels`/`repetitionLevels` receive one level per value
    /// slot when the column has such levels (they are left empty otherwise).
    func decode<S: ParquetValueSink>(into sink: inout S, definitionLevels: inout [UInt8],
                                     repetitionLevels: inout [UInt8]) throws {
        var pos = 0
        var seen = 0
        var sawDictionary = false
        let scratch = PageScratch()
        let defWidth = Self.levelWidth(maxDefinitionLevel)
        let repWidth = Self.levelWidth(maxRepetitionLevel)
        if maxDefinitionLevel > 0 { definitionLevels.reserveCapacity(expectedValues) }
        if maxRepetitionLevel > 0 { repetitionLevels.reserveCapacity(expectedValues) }
        while seen < expectedValues {
            let pageStart = pos
            do {
                guard pos < chunk.count else {
                    throw pageError("column chunk ends after \(seen) of \(expectedValues) values")
                }
                var r = ThriftCompactReader(chunk, position: pos)
                let h = try r.readPageHeader()
                pos = r.position
                guard h.compressedSize <= chunk.count - pos else {
                    throw pageError("page of \(h.compressedSize) bytes extends past the column chunk")
                }
                let body = UnsafeRawBufferPointer(rebasing: chunk[pos..<(pos + h.compressedSize)])
                pos += h.compressedSize
                guard let type = ParquetPageType(rawValue: h.type) else { continue }  // unknown page types are skippable
                switch type {
                case .indexPage:
                    continue
                case .dictionaryPage:
                    guard h.sawSubHeader else { throw pageError("dictionary page without its header") }
                    guard !sawDictionary, seen == 0 else { throw pageError("a second dictionary page, or one after data pages") }
                    guard h.encoding == ParquetEncoding.plain || h.encoding == ParquetEncoding.plainDictionary else {
                        throw unsupportedEncoding(h.encoding, "dictionary page")
                    }
                    sawDictionary = true
                    let data = try decompress(body, size: h.uncompressedSize, scratch: scratch)
                    try sink.setDictionary(data, count: h.numValues)
                case .dataPage:
                    guard h.sawSubHeader else { throw pageError("data page without its header") }
                    let n = h.numValues
                    guard n <= expectedValues - seen else {
                        throw pageError("pages hold more values than the column chunk's \(expectedValues)")
                    }
                    let data = try decompress(body, size: h.uncompressedSize, scratch: scratch)
                    var c = ByteCursor(data)
                    if maxRepetitionLevel > 0 {
                        guard h.repLevelEncoding == ParquetEncoding.rle else { throw unsupportedEncoding(h.repLevelEncoding, "repetition levels") }
                        let len = Int(try c.readUInt32())
                        try appendLevels(try c.take(len), width: repWidth, max: maxRepetitionLevel, count: n, into: &repetitionLevels)
                    }
                    var nonNull = n
                    if maxDefinitionLevel > 0 {
                        guard h.defLevelEncoding == ParquetEncoding.rle else { throw unsupportedEncoding(h.defLevelEncoding, "definition levels") }
                        let len = Int(try c.readUInt32())
                        nonNull = try appendLevels(try c.take(len), width: defWidth, max: maxDefinitionLevel, count: n, into: &definitionLevels)
                    }
                    try sink.decode(c.rest(), encoding: h.encoding, count: nonNull)
                    seen += n
                case .dataPageV2:
                    guard h.sawSubHeader else { throw pageError("data page without its header") }
                    let n = h.numValues
                    guard n <= expectedValues - seen else {
                        throw pageError("pages hold more values than the column chunk's \(expectedValues)")
                    }
                    let levelBytes = h.repLevelsByteLength + h.defLevelsByteLength
                    guard levelBytes <= body.count, levelBytes <= h.uncompressedSize else {
                        throw pageError("level lengths (\(levelBytes) bytes) exceed the page")
                    }
                    if maxRepetitionLevel > 0 {
                        let rep = UnsafeRawBufferPointer(rebasing: body[0..<h.repLevelsByteLength])
                        try appendLevels(rep, width: repWidth, max: maxRepetitionLevel, count: n, into: &repetitionLevels)
                    }
                    var nonNull = n
                    if maxDefinitionLevel > 0 {
                        let def = UnsafeRawBufferPointer(rebasing: body[h.repLevelsByteLength..<levelBytes])
                        nonNull = try appendLevels(def, width: defWidth, max: maxDefinitionLevel, count: n, into: &definitionLevels)
                        guard n - nonNull == h.numNulls || maxRepetitionLevel > 0 else {
                            throw pageError("page header says \(h.numNulls) nulls, the definition levels \(n - nonNull)")
                        }
                    }
                    let values = UnsafeRawBufferPointer(rebasing: body[levelBytes...])
                    let data = h.isCompressed
                        ? try decompress(values, size: h.uncompressedSize - levelBytes, scratch: scratch)
                        : values
                    try sink.decode(data, encoding: h.encoding, count: nonNull)
                    seen += n
                }
            } catch var e as AurumError {
                e.message = "page at byte \(fileOffset + Int64(pageStart)): \(e.message)"
                throw e
            }
        }
    }

    /// Decodes `count` levels (RLE hybrid) onto `levels`; returns how many equal `max`.
    @discardableResult
    func appendLevels(_ data: UnsafeRawBufferPointer, width: Int, max: Int, count: Int, into levels: inout [UInt8]) throws -> Int {
        let start = levels.count
        try appendSlots(&levels, count, zero: 0) { try RLEHybrid.decode(data, bitWidth: width, count: count, into: $0) }
        var full = 0
        var over = false
        let m = UInt8(truncatingIfNeeded: max)
        levels.withUnsafeBufferPointer { l in
            for i in start..<(start + count) {
                let v = l[i]
                full &+= v == m ? 1 : 0
                over = over || v > m
            }
        }
        guard !over else { throw pageError("a level exceeds the column's maximum \(max)") }
        return full
    }

    func decompress(_ body: UnsafeRawBufferPointer, size: Int, scratch: PageScratch) throws -> UnsafeRawBufferPointer {
        guard size >= 0 else { throw pageError("negative page size") }
        if codec == .none {
            guard body.count == size else { throw pageError("uncompressed page of \(body.count) bytes, header says \(size)") }
            return body
        }
        guard size <= maxPageSize else {
            throw pageError("page claims \(size) bytes decompressed, more than the column chunk's \(maxPageSize)")
        }
        let out = scratch.buffer(size)
        try Decompression.block(codec, body, into: out)
        return UnsafeRawBufferPointer(out)
    }
}

/// The decompression buffer of one chunk decoder, reused from page to page; what
/// `buffer(_:)` returns stays valid until the next call or the scratch's release.
final class PageScratch {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    func buffer(_ size: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count < size {
            storage.deallocate()
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(size, 64), alignment: 16)
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[0..<size])
    }

    deinit { storage.deallocate() }
}
