import AurumCore
import Glibc

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
    ///
    /// A LowCardinality(String) column is dictionary-encoded (codes in `<stem>.bin`, sorted
    /// distinct values in `<stem>.dict`) unless it has more than `DictionaryEncoder.maxValues`
    /// distinct values or their bytes exceed `DictionaryEncoder.maxBytes`; then it is stored
    /// like a plain String column.
    func writeColumn(name: String, type: DataType, codec: [CodecStep], column: Column) throws {
        precondition(column.count == rows, "PartWriter: column \(name) has \(column.count) rows, part has \(rows)")
        let pc = PartColumn(name: name, type: type)
        let stem = pc.stem
        let validity: [UInt8]? = (type.isNullable && column.validity?.contains(0) == true) ? column.validity : nil
        var dict: DictionaryEncoder.Result? = nil
        if type.isLowCardinality, type.physical == .string, case .string(let s) = column.data {
            dict = DictionaryEncoder.encode(s, validity: validity)
        }
        let data = dict?.codes ?? column.data
        let width = data.physical.width

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

        // Per-granule min/max: flags, then min values, then max values (one LZ4 block). For a
        // dictionary-encoded column they are the same strings, found through the codes.
        let mm = dict.map { GranuleMinMax.compute(dictionary: $0.values, codes: $0.codes, validity: validity,
                                                  granularity: granularity, rows: rows) }
            ?? GranuleMinMax.compute(data, validity: validity, granularity: granularity, rows: rows)
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: mm.flags)
        ValuesCodec.append(mm.min, rows: 0..<granules, to: &payload)
        ValuesCodec.append(mm.max, rows: 0..<granules, to: &payload)
        var mmOut: [UInt8] = []
        try payload.withUnsafeBytes { try encoder.encode($0, rows: granules, width: 0, steps: [.lz4], into: &mmOut) }
        record(PartFiles.minMax(stem), try io.writeFile(path(PartFiles.minMax(stem)), mmOut))

        if let d = dict {
            payload.removeAll(keepingCapacity: true)
            PartDictionary.appendPayload(values: d.values, width: d.codes.physical.width, to: &payload)
            bytesUncompressed += payload.count
            var dictOut: [UInt8] = []
            try payload.withUnsafeBytes { try encoder.encode($0, rows: d.values.count, width: 0, steps: [.lz4], into: &dictOut) }
            record(PartFiles.dict(stem), try io.writeFile(path(PartFiles.dict(stem)), dictOut))
        }
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

/// Builds the per-part dictionary of a LowCardinality(String) column: the distinct non-NULL
/// values in ascending unsigned-byte order and one code per row (NULL rows get code 0).
///
/// Distinct values are found with an open-addressing hash table over the raw bytes (linear
/// probing, at most half full; a slot holds 32 bits of the hash next to the value's index, so
/// a probe rarely touches anything else). Each new value is copied into a compact arena, so
/// comparisons stay in cache however the rows are spread. Cost: one hash and usually one
/// short comparison per row, then a sort of the distinct values and one remapping pass.
enum DictionaryEncoder {
    /// More distinct values than this: the column is stored plain.
    static let maxValues = 65_536
    /// Distinct values whose bytes total more than this: the column is stored plain (keeps the
    /// single `.dict` block, and the dictionary readers cache, small).
    static let maxBytes = 64 << 20

    struct Result {
        /// Sorted distinct values; `[""]` when there are none (every row NULL, or no rows).
        var values: StringArray
        /// `.uint8` (≤ 256 values) or `.uint16`.
        var codes: ColumnData
    }

    /// The distinct values found so far: bytes back to back in `arena`, value d at
    /// `arena[offsets[d] ..< offsets[d + 1]]`.
    private final class Distinct {
        var arena: UnsafeMutableRawPointer
        var arenaCapacity: Int
        var offsets: UnsafeMutablePointer<UInt32>
        var capacity: Int
        var count = 0
        init() {
            arenaCapacity = 4096
            arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 16)
            capacity = 256
            offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity + 1)
            offsets[0] = 0
        }
        deinit {
            arena.deallocate()
            offsets.deallocate()
        }
        var bytes: Int { Int(offsets[count]) }
        @inline(__always) func start(_ d: Int) -> UnsafeRawPointer { UnsafeRawPointer(arena + Int(offsets[d])) }
        @inline(__always) func length(_ d: Int) -> Int { Int(offsets[d + 1] &- offsets[d]) }

        func append(_ p: UnsafeRawPointer, _ n: Int) {
            let used = bytes
            if used + n > arenaCapacity {
                let cap = Swift.max(arenaCapacity * 2, used + n)
                let a = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
                a.copyMemory(from: arena, byteCount: used)
                arena.deallocate()
                arena = a
                arenaCapacity = cap
            }
            if count == capacity {
                let o = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity * 2 + 1)
                o.update(from: offsets, count: count + 1)
                offsets.deallocate()
                offsets = o
                capacity *= 2
            }
            if n > 0 { (arena + used).copyMemory(from: p, byteCount: n) }
            count += 1
            offsets[count] = UInt32(used + n)
        }
    }

    /// Pass 1: assigns each valid row the index of its value in first-appearance order
    /// (`prov`); nil as soon as the limits are exceeded.
    private static func collect(bytes base: UnsafeRawPointer, offsets off: UnsafePointer<UInt32>, validity: UnsafePointer<UInt8>?,
                                rows n: Int, into prov: UnsafeMutablePointer<UInt16>, maxValues: Int, maxBytes: Int) -> Distinct? {
        let dict = Distinct()
        // Slot: 0 = empty, else (high 32 bits of the hash) << 32 | (value index + 1).
        var bits = 10
        var mask = (1 << bits) - 1
        var slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << bits)
        slots.initialize(repeating: 0, count: 1 << bits)
        defer { slots.deallocate() }
        // Local copies of the arena pointers (refreshed after each append), so the hot loop
        // does not go through the class's properties.
        var arena = UnsafeRawPointer(dict.arena)
        var voff = UnsafePointer(dict.offsets)
        var i = 0
        while i < n {
            defer { i += 1 }
            if let v = validity, v[i] == 0 {
                prov[i] = 0
                continue
            }
            let a = Int(off[i]), len = Int(off[i + 1] &- off[i])
            let p = base + a
            let h = ByteHash.hash(p, len)
            let tag = h & 0xFFFF_FFFF_0000_0000
            var slot = Int(truncatingIfNeeded: h) & mask
            var found = -1
            while true {
                let e = slots[slot]
                if e == 0 { break }
                if e & 0xFFFF_FFFF_0000_0000 == tag {
                    let d = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) - 1
                    let start = Int(voff[d])
                    if Int(voff[d + 1]) - start == len && ByteHash.equal(arena + start, p, len) {
                        found = d
                        break
                    }
                }
                slot = (slot + 1) & mask
            }
            if found >= 0 {
                prov[i] = UInt16(truncatingIfNeeded: found)
                continue
            }
            // A new distinct value.
            guard dict.count < maxValues, dict.bytes + len <= maxBytes else { return nil }
            let d = dict.count
            dict.append(p, len)
            arena = UnsafeRawPointer(dict.arena)
            voff = UnsafePointer(dict.offsets)
            slots[slot] = tag | UInt64(d + 1)
            prov[i] = UInt16(truncatingIfNeeded: d)
            if 2 * dict.count > 1 << bits {
                // Grow and rehash (the values' hashes are recomputed from the arena).
                slots.deallocate()
                bits += 1
                mask = (1 << bits) - 1
                slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << bits)
                slots.initialize(repeating: 0, count: 1 << bits)
                for d in 0..<dict.count {
                    let h = ByteHash.hash(dict.start(d), dict.length(d))
                    var j = Int(truncatingIfNeeded: h) & mask
                    while slots[j] != 0 { j = (j + 1) & mask }
                    slots[j] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(d + 1)
                }
            }
        }
        return dict
    }

    /// The dictionary and codes of `s` (rows where `validity` is 0 are NULL), or nil when the
    /// column has more than `maxValues` distinct values or their bytes exceed `maxBytes`.
    static func encode(_ s: StringArray, validity: [UInt8]?, maxValues: Int = maxValues, maxBytes: Int = maxBytes) -> Result? {
        precondition(maxValues >= 1 && maxValues <= 65_536, "dictionary codes are built as UInt16")
        let n = s.count
        if let v = validity { precondition(v.count == n, "validity has \(v.count) rows, column \(n)") }
        var dict: Distinct? = nil
        // Provisional codes: index of the value in first-appearance order.
        let provisional = [UInt16](unsafeUninitializedCapacity: n) { prov, k in
            s.bytes.withUnsafeBytes { bb in
                s.offsets.withUnsafeBufferPointer { off in
                    // An empty byte buffer (all values "") still needs an address to hash at.
                    let base = bb.baseAddress ?? UnsafeRawPointer(off.baseAddress!)
                    if let validity {
                        validity.withUnsafeBufferPointer { v in
                            dict = collect(bytes: base, offsets: off.baseAddress!, validity: v.baseAddress, rows: n, into: prov.baseAddress!,
                                           maxValues: maxValues, maxBytes: maxBytes)
                        }
                    } else {
                        dict = collect(bytes: base, offsets: off.baseAddress!, validity: nil, rows: n, into: prov.baseAddress!,
                                       maxValues: maxValues, maxBytes: maxBytes)
                    }
                }
            }
            // Initialised whether or not `collect` finished (the array is dropped if it did not).
            if dict == nil { prov.initialize(repeating: 0) }
            k = n
        }
        guard let dict else { return nil }
        let count = dict.count
        if count == 0 {
            return Result(values: StringArray(offsets: [0, 0], bytes: []), codes: .uint8([UInt8](repeating: 0, count: n)))
        }

        // Sort the distinct values (unsigned byte order) and map first-appearance index → rank.
        var order = [Int32](unsafeUninitializedCapacity: count) { b, k in
            for d in 0..<count { b[d] = Int32(d) }
            k = count
        }
        order.sort { x, y in
            let a = Int(x), b = Int(y)
            let la = dict.length(a), lb = dict.length(b)
            let m = Swift.min(la, lb)
            if m > 0 {
                let r = memcmp(dict.start(a), dict.start(b), m)
                if r != 0 { return r < 0 }
            }
            return la < lb
        }
        var values = StringArray()
        values.reserve(count: count, bytes: dict.bytes)
        var rank = [UInt16](repeating: 0, count: count)
        for (r, d) in order.enumerated() {
            rank[Int(d)] = UInt16(r)
            let len = dict.length(Int(d))
            if len == 0 { values.appendEmpty() } else {
                values.append(bytes: UnsafeBufferPointer(start: dict.start(Int(d)).assumingMemoryBound(to: UInt8.self), count: len))
            }
        }
        func remap<T: FixedWidthInteger>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: n) { out, k in
                provisional.withUnsafeBufferPointer { prov in
                    rank.withUnsafeBufferPointer { rk in
                        if let v = validity {
                            for i in 0..<n { out[i] = v[i] == 0 ? 0 : T(truncatingIfNeeded: rk[Int(prov[i])]) }
                        } else {
                            for i in 0..<n { out[i] = T(truncatingIfNeeded: rk[Int(prov[i])]) }
                        }
                    }
                }
                k = n
            }
        }
        let codes: ColumnData = count <= 256 ? .uint8(remap(UInt8.self)) : .uint16(remap(UInt16.self))
        return Result(values: values, codes: codes)
    }
}

extension GranuleMinMax {
    /// `compute` for a dictionary-encoded string column: the same flags and strings, found as
    /// the smallest and largest code of each granule (code order is string order).
    static func compute(dictionary values: StringArray, codes: ColumnData, validity: [UInt8]?, granularity: Int, rows: Int)
        -> (min: ColumnData, max: ColumnData, flags: [UInt8]) {
        let g = (rows + granularity - 1) / granularity
        var flags = [UInt8](repeating: 0, count: g)
        var mins = StringArray(), maxs = StringArray()
        func scan<T: FixedWidthInteger & UnsignedInteger>(_ a: [T]) {
            a.withUnsafeBufferPointer { p in
                for k in 0..<g {
                    let lo = k * granularity, hi = Swift.min(rows, lo + granularity)
                    var mn = T.max, mx = T.min, any = false, f: UInt8 = 0
                    for i in lo..<hi {
                        if let v = validity, v[i] == 0 { f |= GranuleMinMax.hasNull; continue }
                        any = true
                        mn = Swift.min(mn, p[i])
                        mx = Swift.max(mx, p[i])
                    }
                    if any {
                        mins.append(from: values, at: Int(mn))
                        maxs.append(from: values, at: Int(mx))
                    } else {
                        f |= GranuleMinMax.allNull
                        mins.appendEmpty()
                        maxs.appendEmpty()
                    }
                    flags[k] = f
                }
            }
        }
        switch codes {
        case .uint8(let a): scan(a)
        case .uint16(let a): scan(a)
        case .uint32(let a): scan(a)
        default: preconditionFailure("dictionary codes must be UInt8, UInt16 or UInt32")
        }
        return (.string(mins), .string(maxs), flags)
    }
}
