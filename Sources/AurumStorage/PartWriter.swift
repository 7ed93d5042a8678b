import AurumCore

/// Writes one part directory (normally a `tmp_*` directory that the caller renames into
/// place). Columns are written one at a time, each in one pass: values are cut into
/// compressed blocks of whole granules (at least `minBlockSize` uncompressed bytes, at most
/// ~1 MiB unless a single granule is bigger), with marks, a null-map stream when the
/// column has NULLs, and per-granule min/max.
///
/// Not thread-safe; one writer per part. Every file is fsynced (when enabled) as it is
/// closed; `finish` writes the metadata files, `checksums.txt` last, and fsyncs the directory.
final class PartWriter {
    let directory: String
    let rows: Int
    let granularity: Int
    let granules: Int
    private let io: FileIO
    private let minBlockSize: Int
    private let maxBlockSize = 1 << 20
    private let encoder = BlockEncoder()
    private var files: [String: ChecksumsFile.Entry] = [:]
    private(set) var columns: [PartColumn] = []
    private(set) var bytesUncompressed = 0
    private var payload: [UInt8] = []
    private var out: [UInt8] = []
    private var nullOut: [UInt8] = []

    init(directory: String, rows: Int, granularity: Int, io: FileIO, minBlockSize: Int) {
        self.directory = directory
        self.rows = rows
        self.granularity = granularity
        self.granules = (rows + granularity - 1) / granularity
        self.io = io
        self.minBlockSize = minBlockSize
    }

    private func path(_ f: String) -> String { directory + "/" + f }

    private func record(_ name: String, _ r: (size: Int, hash: UInt64)) {
        files[name] = ChecksumsFile.Entry(size: r.size, hash: r.hash)
    }

    /// Writes `column` (exactly `rows` rows) under `name` with the resolved codec chain `codec`.
    func writeColumn(name: String, type: DataType, codec: [CodecStep], column: Column) throws {
        precondition(column.count == rows, "PartWriter: column \(name) has \(column.count) rows, part has \(rows)")
        let pc = PartColumn(name: name, type: type)
        let stem = pc.stem
        let data = column.data
        let width = data.physical.width
        let validity: [UInt8]? = (type.isNullable && column.validity?.contains(0) == true) ? column.validity : nil

        let bin = try FileWriter(path: path(PartFiles.bin(stem)), io: io)
        let nullW = try validity.map { _ in try FileWriter(path: path(PartFiles.nullBin(stem)), io: io) }
        var marks = Marks(valueOffset: [], nullOffset: [], rowInBlock: [], rows: [], hasNulls: validity != nil)
        marks.valueOffset.reserveCapacity(granules)

        var g = 0
        while g < granules {
            let startG = g
            var bytes = 0
            repeat {
                let r = granuleRows(g)
                bytes += ValuesCodec.size(data, rows: r)
                g += 1
                if g < granules {
                    let next = ValuesCodec.size(data, rows: granuleRows(g))
                    if bytes >= minBlockSize || bytes + next > maxBlockSize { break }
                }
            } while g < granules
            let blockRows = (startG * granularity)..<min(rows, g * granularity)
            payload.removeAll(keepingCapacity: true)
            ValuesCodec.append(data, rows: blockRows, to: &payload)
            bytesUncompressed += payload.count
            let valueOffset = bin.size + out.count
            try payload.withUnsafeBytes {
                try encoder.encode($0, rows: blockRows.count, width: width, steps: codec, into: &out)
            }
            var nullOffset = 0
            if let v = validity, let nw = nullW {
                nullOffset = nw.size + nullOut.count
                try v.withUnsafeBytes {
                    try encoder.encode(UnsafeRawBufferPointer(rebasing: $0[blockRows]), rows: blockRows.count, width: 1,
                                       steps: [.lz4], into: &nullOut)
                }
                bytesUncompressed += blockRows.count
                if nullOut.count >= 1 << 20 { try nw.append(buffer: &nullOut) }
            }
            for k in startG..<g {
                marks.valueOffset.append(valueOffset)
                marks.nullOffset.append(nullOffset)
                marks.rowInBlock.append((k - startG) * granularity)
                marks.rows.append(granuleRows(k).count)
            }
            if out.count >= 1 << 20 { try bin.append(buffer: &out) }
        }
        try bin.append(buffer: &out)
        record(PartFiles.bin(stem), try bin.finish())
        if let nw = nullW {
            try nw.append(buffer: &nullOut)
            record(PartFiles.nullBin(stem), try nw.finish())
        }
        record(PartFiles.marks(stem), try io.writeFile(path(PartFiles.marks(stem)), marks.encode()))

        // Per-granule min/max: flags, then min values, then max values (one LZ4 block).
        let mm = GranuleMinMax.compute(data, validity: validity, granularity: granularity, rows: rows)
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: mm.flags)
        ValuesCodec.append(mm.min, rows: 0..<granules, to: &payload)
        ValuesCodec.append(mm.max, rows: 0..<granules, to: &payload)
        var mmOut: [UInt8] = []
        try payload.withUnsafeBytes { try encoder.encode($0, rows: granules, width: 0, steps: [.lz4], into: &mmOut) }
        record(PartFiles.minMax(stem), try io.writeFile(path(PartFiles.minMax(stem)), mmOut))
        columns.append(pc)
    }

    func granuleRows(_ g: Int) -> Range<Int> { (g * granularity)..<min(rows, (g + 1) * granularity) }

    /// Writes `primary.idx` from the full sort-key columns (in key order): their values at
    /// each granule start plus the last row. Payload per key column: validity bytes
    /// (1 = valid) for G+1 rows, then the values payload for G+1 rows.
    func writePrimaryIndex(keys: [Column]) throws {
        guard !keys.isEmpty, rows > 0 else { return }
        var idx = [Int32]()
        idx.reserveCapacity(granules + 1)
        for g in 0..<granules { idx.append(Int32(g * granularity)) }
        idx.append(Int32(rows - 1))
        payload.removeAll(keepingCapacity: true)
        for k in keys {
            let s = k.gather(idx)
            if let v = s.validity { payload.append(contentsOf: v) } else { payload.append(contentsOf: repeatElement(1, count: idx.count)) }
            ValuesCodec.append(s.data, rows: 0..<idx.count, to: &payload)
        }
        var o: [UInt8] = []
        try payload.withUnsafeBytes { try encoder.encode($0, rows: idx.count, width: 0, steps: [.lz4], into: &o) }
        record(PartFiles.primaryIndex, try io.writeFile(path(PartFiles.primaryIndex), o))
    }

    /// Adopts an existing file (hard-linked by ALTER) into the checksums.
    func adopt(file: String, entry: ChecksumsFile.Entry) { files[file] = entry }
    func adopt(column: PartColumn) { columns.append(column) }

    /// Writes columns.txt, count.txt, meta.json and checksums.txt, then fsyncs the directory.
    func finish(info: PartInfo) throws {
        var info = info
        info.rows = rows
        info.granularity = granularity
        info.granules = granules
        if info.bytesUncompressed == 0 { info.bytesUncompressed = bytesUncompressed }
        record(PartFiles.columns, try io.writeFile(path(PartFiles.columns), ColumnsFile.encode(columns)))
        record(PartFiles.count, try io.writeFile(path(PartFiles.count), Array("\(rows)\n".utf8)))
        record(PartFiles.meta, try io.writeFile(path(PartFiles.meta), info.encoded()))
        _ = try io.writeFile(path(PartFiles.checksums), ChecksumsFile(files: files).encode())
        try io.fsyncDirectory(directory)
    }
}
