import AurumCore
import Glibc
import Synchronization

/// Per-granule min/max of one column of one part.
///
/// `min` and `max` have the column's non-nullable type and `granuleCount` rows each; they
/// cover non-NULL, non-NaN values only. Where `allNull[g]` is true (every value NULL or NaN)
/// the granule's min/max are zero and meaningless.
public struct GranuleStats: Sendable, Equatable {
    public var min: Column
    public var max: Column
    public var hasNull: [Bool]
    public var allNull: [Bool]
    /// Floats only: the granule holds a NaN (NaN is greater than every number in Aurum's order).
    public var hasNaN: [Bool]

    /// Aliases used by the engine's pruning code.
    public var mins: Column { min }
    public var maxs: Column { max }
    public var granuleCount: Int { hasNull.count }
    public func allNull(_ g: Int) -> Bool { allNull[g] }
    public func hasNull(_ g: Int) -> Bool { hasNull[g] }
}

/// The decoded `<stem>.dict` of one part column (see `PartDictionary`).
struct StoredDictionary: Sendable {
    /// Process-wide id (`DictionaryCodes.nextID()`), one per loaded dictionary.
    let id: Int
    /// Distinct values, ascending in unsigned byte order.
    let values: StringArray
    /// `.uint8`, `.uint16` or `.uint32`: the codes in `<stem>.bin`.
    let codeType: PhysicalType
    /// Length of the longest value.
    let maxLength: Int
}

/// The on-disk state of one part directory, shared by every `DataPart` view of it
/// (a schema change rebinds parts without touching their files).
///
/// Immutable after `open`, except for lazily loaded caches (marks, min/max, primary index)
/// behind a mutex. When the table no longer lists the part it marks the core *obsolete*; the
/// directory is deleted when the last reference (snapshot, reader) goes away.
final class PartCore: Sendable {
    let tableDirectory: String
    let name: String
    let path: String
    let info: PartInfo
    let columns: [PartColumn]
    let columnIndex: [String: Int]
    let checksums: ChecksumsFile
    let bytesOnDisk: Int
    let io: FileIO
    let obsolete = Atomic<Bool>(false)
    /// Set with `obsolete` by DROP TABLE: the last part to go removes the table directory.
    let tableDropped = Atomic<Bool>(false)
    /// Per part column: stored dictionary-encoded (`<stem>.dict` is listed in checksums.txt).
    let dictionaryEncoded: [Bool]

    private struct Caches {
        var marks: [Int: Marks] = [:]
        var stats: [Int: GranuleStats?] = [:]
        var primary: [Column]?? = nil
        var dictionaries: [Int: StoredDictionary] = [:]
    }
    private let caches = Mutex(Caches())

    private init(tableDirectory: String, name: String, info: PartInfo, columns: [PartColumn],
                 checksums: ChecksumsFile, io: FileIO) {
        self.tableDirectory = tableDirectory
        self.name = name
        self.path = tableDirectory + "/" + name
        self.info = info
        self.columns = columns
        var ci: [String: Int] = [:]
        for (i, c) in columns.enumerated() { ci[c.name] = i }
        self.columnIndex = ci
        self.checksums = checksums
        self.bytesOnDisk = checksums.files.values.reduce(0) { $0 + $1.size }
        self.io = io
        self.dictionaryEncoded = columns.map { checksums.files[PartFiles.dict($0.stem)] != nil }
    }

    deinit {
        if obsolete.load(ordering: .acquiring) {
            io.removeTree(path)
            // the last part of a dropped table takes the (then empty) table directory with it
            if tableDropped.load(ordering: .acquiring) { rmdir(tableDirectory) }
        }
    }

    func corrupted(_ what: String, column: String? = nil) -> AurumError {
        var m = "data corruption in table directory \"\(tableDirectory)\", part \"\(name)\""
        if let column { m += ", column \"\(column)\"" }
        return AurumError(.dataCorrupted, m + ": " + what, kind: .io,
                          hint: "restore the part from a replica or backup, or detach it (see docs/format.md)")
    }

    /// Opens and verifies a part: checksums.txt (self-hash), the sizes of all files (stat),
    /// and the hashes of the small metadata files. Column data is verified per block on read.
    static func open(tableDirectory: String, name: String, io: FileIO) throws -> PartCore {
        let path = tableDirectory + "/" + name
        func bad(_ what: String) -> AurumError {
            AurumError(.dataCorrupted, "data corruption in table directory \"\(tableDirectory)\", part \"\(name)\": \(what)", kind: .io)
        }
        guard FileIO.isDirectory(path) else { throw bad("the part directory is missing") }
        let sums: ChecksumsFile
        do { sums = try ChecksumsFile.decode(try FileIO.readFile(path + "/" + PartFiles.checksums)) }
        catch let e as AurumError { throw bad("\(PartFiles.checksums): \(e.message)") }
        for (f, e) in sums.files {
            guard let size = FileIO.fileSize(path + "/" + f) else { throw bad("file \(f) is missing") }
            guard size == e.size else { throw bad("file \(f) has \(size) bytes, checksums.txt says \(e.size)") }
        }
        func verified(_ f: String) throws -> [UInt8] {
            guard let e = sums.files[f] else { throw bad("\(f) is not listed in checksums.txt") }
            let b = try FileIO.readFile(path + "/" + f)
            guard b.count == e.size, XXHash64.hash(b) == e.hash else { throw bad("checksum mismatch in \(f)") }
            return b
        }
        let cols: [PartColumn]
        let info: PartInfo
        do {
            cols = try ColumnsFile.decode(try verified(PartFiles.columns))
            info = try PartInfo.decode(try verified(PartFiles.meta))
        } catch let e as AurumError { throw e.code == .dataCorrupted && e.message.hasPrefix("data corruption") ? e : bad(e.message) }
        catch { throw bad("malformed \(PartFiles.meta): \(error)") }
        let count = String(Substring(String(decoding: try verified(PartFiles.count), as: UTF8.self)).trimmingSpaces)
        guard Int(count) == info.rows, info.rows > 0, info.granularity > 0,
              info.granules == (info.rows + info.granularity - 1) / info.granularity else {
            throw bad("count.txt (\(count)) and meta.json (rows \(info.rows), granules \(info.granules)) disagree")
        }
        for c in cols {
            for f in [PartFiles.bin(c.stem), PartFiles.marks(c.stem), PartFiles.minMax(c.stem)] where sums.files[f] == nil {
                throw bad("column \"\(c.name)\": \(f) is not listed in checksums.txt")
            }
            if sums.files[PartFiles.dict(c.stem)] != nil && c.type.physical != .string {
                throw bad("column \"\(c.name)\": \(PartFiles.dict(c.stem)) is listed but the column is \(c.type)")
            }
        }
        return PartCore(tableDirectory: tableDirectory, name: name, info: info, columns: cols, checksums: sums, io: io)
    }

    /// Opens a part just written by this process (files known good; skips re-hashing).
    static func openWritten(tableDirectory: String, name: String, io: FileIO) throws -> PartCore {
        try open(tableDirectory: tableDirectory, name: name, io: io)
    }

    // MARK: lazy metadata

    private func readVerified(_ f: String, column: String?) throws -> [UInt8] {
        guard let e = checksums.files[f] else { throw corrupted("\(f) is not listed in checksums.txt", column: column) }
        let b: [UInt8]
        do { b = try FileIO.readFile(path + "/" + f) } catch let err as AurumError {
            if FileIO.exists(path + "/" + f) { throw err }
            throw corrupted("\(f) is missing", column: column)
        }
        guard b.count == e.size else { throw corrupted("\(f) has \(b.count) bytes, expected \(e.size) (truncated?)", column: column) }
        guard XXHash64.hash(b) == e.hash else { throw corrupted("checksum mismatch in \(f)", column: column) }
        return b
    }

    func marks(_ c: Int) throws -> Marks {
        if let m = caches.withLock({ $0.marks[c] }) { return m }
        let col = columns[c]
        let bytes = try readVerified(PartFiles.marks(col.stem), column: col.name)
        let valueSize = checksums.files[PartFiles.bin(col.stem)]!.size
        let nullSize = checksums.files[PartFiles.nullBin(col.stem)]?.size
        guard let m = Marks.decode(bytes, valueFileSize: valueSize, nullFileSize: nullSize), m.rows.count == info.granules else {
            throw corrupted("malformed marks file \(PartFiles.marks(col.stem))", column: col.name)
        }
        for g in 0..<info.granules {
            let expect = Swift.min(info.rows, (g + 1) * info.granularity) - g * info.granularity
            guard m.rows[g] == expect else { throw corrupted("marks: granule \(g) has \(m.rows[g]) rows, expected \(expect)", column: col.name) }
        }
        caches.withLock { $0.marks[c] = m }
        return m
    }

    func stats(_ c: Int) -> GranuleStats? {
        if let s = caches.withLock({ $0.stats[c] }) { return s }
        let s = try? loadStats(c)
        caches.withLock { $0.stats[c] = .some(s) }
        return s
    }

    private func loadStats(_ c: Int) throws -> GranuleStats {
        let col = columns[c]
        let bytes = try readVerified(PartFiles.minMax(col.stem), column: col.name)
        let payload = try decodeSingleBlock(bytes, file: PartFiles.minMax(col.stem), column: col.name)
        let g = info.granules
        return try payload.withUnsafeBytes { b throws -> GranuleStats in
            guard b.count >= g else { throw corrupted("short min/max file", column: col.name) }
            var off = g
            let p = col.type.physical
            do {
                let mn = try ValuesCodec.decode(p, count: g, from: b, offset: &off)
                let mx = try ValuesCodec.decode(p, count: g, from: b, offset: &off)
                let flags = Array(b[0..<g])
                let t = col.type.nonNullable
                return GranuleStats(min: Column(type: t, data: mn), max: Column(type: t, data: mx),
                                    hasNull: flags.map { $0 & GranuleMinMax.hasNull != 0 },
                                    allNull: flags.map { $0 & GranuleMinMax.allNull != 0 },
                                    hasNaN: flags.map { $0 & GranuleMinMax.hasNaN != 0 })
            } catch { throw corrupted("malformed min/max file", column: col.name) }
        }
    }

    /// The primary index columns in `info.sortKey` order (G+1 rows each), or nil without a key.
    func primaryIndex() throws -> [Column]? {
        if let p = caches.withLock({ $0.primary }) { return p }
        var result: [Column]? = nil
        if !info.sortKey.isEmpty {
            let bytes = try readVerified(PartFiles.primaryIndex, column: nil)
            let payload = try decodeSingleBlock(bytes, file: PartFiles.primaryIndex, column: nil)
            let n = info.granules + 1
            var cols: [Column] = []
            try payload.withUnsafeBytes { b in
                var off = 0
                for k in info.sortKey {
                    guard let ci = columnIndex[k] else { throw corrupted("sort-key column \"\(k)\" is not in columns.txt") }
                    guard off + n <= b.count else { throw corrupted("short primary index") }
                    let validity = Array(b[off..<(off + n)])
                    off += n
                    do {
                        let d = try ValuesCodec.decode(columns[ci].type.physical, count: n, from: b, offset: &off)
                        cols.append(Column(type: columns[ci].type, data: d, validity: validity.contains(0) ? validity : nil))
                    } catch { throw corrupted("malformed primary index") }
                }
            }
            result = cols
        }
        caches.withLock { $0.primary = .some(result) }
        return result
    }

    /// The dictionary of dictionary-encoded part column `c` (loaded once, verified against
    /// checksums.txt and its block checksum, then cached with a process-wide id).
    func dictionary(_ c: Int) throws -> StoredDictionary {
        if let d = caches.withLock({ $0.dictionaries[c] }) { return d }
        let col = columns[c]
        let file = PartFiles.dict(col.stem)
        let bytes = try readVerified(file, column: col.name)
        let payload = try decodeSingleBlock(bytes, file: file, column: col.name)
        let parsed: (values: StringArray, codeType: PhysicalType)
        switch payload.withUnsafeBytes({ b in Result { () throws(ValuesCodec.DecodeError) in try PartDictionary.decodePayload(b) } }) {
        case .success(let p): parsed = p
        case .failure(.malformed(let why)): throw corrupted("malformed dictionary file \(file): \(why)", column: col.name)
        }
        var maxLength = 0
        for i in 0..<parsed.values.count { maxLength = Swift.max(maxLength, parsed.values.length(at: i)) }
        let d = StoredDictionary(id: DictionaryCodes.nextID(), values: parsed.values, codeType: parsed.codeType, maxLength: maxLength)
        // Another reader may have loaded it meanwhile: keep one id per dictionary.
        return caches.withLock { st in
            if let other = st.dictionaries[c] { return other }
            st.dictionaries[c] = d
            return d
        }
    }

    private func decodeSingleBlock(_ bytes: [UInt8], file: String, column: String?) throws -> [UInt8] {
        try bytes.withUnsafeBytes { b in
            do {
                let h = try CompressedBlock.parse(b.baseAddress!, available: b.count)
                guard h.totalSize == b.count else { throw corrupted("\(file): trailing bytes", column: column) }
                var z: ZstdDecompressor? = nil
                return try [UInt8](unsafeUninitializedCapacity: h.uncompressedSize) { dst, n in
                    try CompressedBlock.decode(h, at: b.baseAddress!, into: UnsafeMutableRawPointer(dst.baseAddress!), zstd: &z)
                    n = h.uncompressedSize
                }
            } catch let f as CompressedBlock.Failure {
                throw corrupted("\(file): \(f)", column: column)
            }
        }
    }

    // MARK: column reads

    /// One compressed block touched by a read, with the rows wanted from it.
    private struct Span { var offset: Int; var end: Int; var rows: Range<Int>; var outRow: Int }

    private func spans(_ m: Marks, granules: Range<Int>, nulls: Bool) -> [Span] {
        var out: [Span] = []
        var outRow = 0
        for g in granules {
            let off = nulls ? m.nullOffset[g] : m.valueOffset[g]
            let end = nulls ? m.nullEnd[g] : m.valueEnd[g]
            let r = m.rowInBlock[g]..<(m.rowInBlock[g] + m.rows[g])
            if var last = out.last, last.offset == off, last.rows.upperBound == r.lowerBound {
                last.rows = last.rows.lowerBound..<r.upperBound
                out[out.count - 1] = last
            } else {
                out.append(Span(offset: off, end: end, rows: r, outRow: outRow))
            }
            outRow += m.rows[g]
        }
        return out
    }

    /// Reads the compressed bytes [spans.first.offset, spans.last.end) of `file` and calls
    /// `body` for each span with its verified header and the block's address.
    private func withBlocks(_ file: String, column: String, spans: [Span],
                            _ body: (Span, CompressedBlock.Header, UnsafeRawPointer) throws -> Void) throws {
        guard let first = spans.first, let last = spans.last else { return }
        let start = first.offset, end = last.end
        let fpath = path + "/" + file
        let fd = Glibc.open(fpath, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { throw corrupted("\(file) is missing", column: column) }
            throw FileIO.error("open", fpath, errno: e)
        }
        defer { close(fd) }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(end - start, 1), alignment: 16)
        defer { buf.deallocate() }
        let got = try FileIO.preadFully(fd, buf, end - start, start, path: fpath)
        for s in spans {
            let rel = s.offset - start
            let avail = Swift.min(got, s.end - start) - rel
            let h: CompressedBlock.Header
            do throws(CompressedBlock.Failure) {
                guard avail > 0 else { throw CompressedBlock.Failure.truncated(needed: CompressedBlock.fixedHeaderSize, available: Swift.max(avail, 0)) }
                h = try CompressedBlock.parse(buf + rel, available: avail)
            } catch {
                switch error {
                case .truncated: throw corrupted("\(file): block at offset \(s.offset) is truncated (file shorter than expected)", column: column)
                case .checksum(let e, let a): throw corrupted("\(file): checksum mismatch in block at offset \(s.offset) (stored \(e.hex16), computed \(a.hex16))", column: column)
                default: throw corrupted("\(file): block at offset \(s.offset): \(error)", column: column)
                }
            }
            guard s.rows.upperBound <= h.rows, h.totalSize == s.end - s.offset else {
                throw corrupted("\(file): block at offset \(s.offset) does not match the marks", column: column)
            }
            try body(s, h, UnsafeRawPointer(buf + rel))
        }
    }

    /// Reads rows of granules `granules` of part column `c` as `type` (the table's type).
    ///
    /// A dictionary-encoded column comes back materialised (`.string`) with the codes as the
    /// `dictionary` side-car — except when `type` is not nullable but the part has NULLs in
    /// the range: their code 0 does not stand for the empty string stored under a NULL, so
    /// the side-car is left out.
    func readColumn(_ c: Int, as type: DataType, granules: Range<Int>) throws -> Column {
        let col = columns[c]
        let m = try marks(c)
        let totalRows = granules.reduce(0) { $0 + m.rows[$1] }
        let scratch = ReadScratch()
        if dictionaryEncoded[c] {
            let (dict, codes) = try readCodes(c, m, granules: granules, totalRows: totalRows, scratch: scratch)
            // The null map is read even for a non-nullable `type`, so NULL rows read as "" as
            // in the plain layout.
            let nulls = m.hasNulls ? try readNullMap(c, m, granules: granules, totalRows: totalRows, scratch: scratch) : nil
            let dc = DictionaryCodes(id: dict.id, values: dict.values, codes: codes)
            let bound = dict.maxLength.multipliedReportingOverflow(by: totalRows)
            if bound.overflow || bound.partialValue > Int(UInt32.max) {
                // Rare enough to pay an extra pass: the materialised bytes must fit UInt32 offsets.
                var total = 0
                dc.withCodes { for (i, code) in $0.enumerated() where nulls == nil || nulls![i] != 0 { total += dict.values.length(at: Int(code)) } }
                guard total <= Int(UInt32.max) else {
                    throw AurumError(SQLState("54000"), "reading \(totalRows) rows of column \"\(col.name)\" of part \"\(name)\" would produce more than 4 GiB of strings")
                }
            }
            let data = ColumnData.string(dc.materialize(validity: nulls))
            if type.isNullable { return Column(type: type, data: data, validity: nulls, dictionary: dc) }
            return Column(type: type, data: data, dictionary: nulls == nil ? dc : nil)
        }
        let data: ColumnData
        if col.type.physical == .string {
            data = .string(try readStrings(c, m, granules: granules, totalRows: totalRows, scratch: scratch))
        } else {
            data = try readFixed(c, col.type.physical, m, granules: granules, totalRows: totalRows, scratch: scratch)
        }
        var validity: [UInt8]? = nil
        if m.hasNulls && type.isNullable {
            validity = try readNullMap(c, m, granules: granules, totalRows: totalRows, scratch: scratch)
        }
        return Column(type: type, data: data, validity: validity)
    }

    /// Codes and validity of a dictionary-encoded part column (validity as `readColumn`: only
    /// for a nullable `type` with NULLs in the range). nil when `type` is not nullable but the
    /// range has NULLs (see `readColumn`).
    func readDictionaryCodes(_ c: Int, as type: DataType, granules: Range<Int>) throws -> (codes: DictionaryCodes, validity: [UInt8]?)? {
        precondition(dictionaryEncoded[c], "part column \(c) is not dictionary-encoded")
        let m = try marks(c)
        let totalRows = granules.reduce(0) { $0 + m.rows[$1] }
        let scratch = ReadScratch()
        let nulls = m.hasNulls ? try readNullMap(c, m, granules: granules, totalRows: totalRows, scratch: scratch) : nil
        if nulls != nil && !type.isNullable { return nil }
        let (dict, codes) = try readCodes(c, m, granules: granules, totalRows: totalRows, scratch: scratch)
        return (DictionaryCodes(id: dict.id, values: dict.values, codes: codes), nulls)
    }

    /// Scratch memory and a zstd context for one column read (reused across its blocks).
    private final class ReadScratch {
        var zstd: ZstdDecompressor? = nil
        private var buffer: UnsafeMutableRawPointer? = nil
        private var capacity = 0
        deinit { buffer?.deallocate() }
        /// At least `n` bytes; the previous contents are lost when it grows.
        func bytes(_ n: Int) -> UnsafeMutableRawPointer {
            if capacity < n || buffer == nil {
                buffer?.deallocate()
                capacity = Swift.max(n, 64)
                buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            }
            return buffer!
        }
    }

    private func decode(_ h: CompressedBlock.Header, _ blk: UnsafeRawPointer, into dst: UnsafeMutableRawPointer,
                        file: String, column: String, offset: Int, scratch: ReadScratch) throws {
        do { try CompressedBlock.decode(h, at: blk, into: dst, zstd: &scratch.zstd) }
        catch { throw corrupted("\(file): block at offset \(offset): \(error)", column: column) }
    }

    /// Fixed-width values of `<stem>.bin` as physical type `p` (the column's, or the code type).
    private func readFixed(_ c: Int, _ p: PhysicalType, _ m: Marks, granules: Range<Int>, totalRows: Int,
                           scratch: ReadScratch) throws -> ColumnData {
        let col = columns[c]
        let file = PartFiles.bin(col.stem)
        let w = p.width
        return try ColumnData.fromRaw(p, count: totalRows) { out in
            try withBlocks(file, column: col.name, spans: spans(m, granules: granules, nulls: false)) { s, h, blk in
                guard h.uncompressedSize == h.rows * w else {
                    throw corrupted("\(file): block at offset \(s.offset): size \(h.uncompressedSize) is not \(h.rows) × \(w)", column: col.name)
                }
                let dst = out.baseAddress! + s.outRow * w
                if s.rows.count == h.rows {
                    // Whole block: straight into the column.
                    try decode(h, blk, into: dst, file: file, column: col.name, offset: s.offset, scratch: scratch)
                } else {
                    let tmp = scratch.bytes(h.uncompressedSize)
                    try decode(h, blk, into: tmp, file: file, column: col.name, offset: s.offset, scratch: scratch)
                    dst.copyMemory(from: tmp + s.rows.lowerBound * w, byteCount: s.rows.count * w)
                }
            }
        }
    }

    /// Plain string values of `<stem>.bin` (lengths, then bytes, per block).
    private func readStrings(_ c: Int, _ m: Marks, granules: Range<Int>, totalRows: Int, scratch: ReadScratch) throws -> StringArray {
        let col = columns[c]
        let file = PartFiles.bin(col.stem)
        var sa = StringArray()
        sa.offsets.reserveCapacity(totalRows + 1)
        try withBlocks(file, column: col.name, spans: spans(m, granules: granules, nulls: false)) { s, h, blk in
            let dst = scratch.bytes(h.uncompressedSize)
            try decode(h, blk, into: dst, file: file, column: col.name, offset: s.offset, scratch: scratch)
            let n = h.rows
            guard n * 4 <= h.uncompressedSize else { throw corrupted("\(file): block at offset \(s.offset): bad string lengths", column: col.name) }
            let bytesBase = n * 4
            var pos = bytesBase
            for i in 0..<s.rows.lowerBound {
                pos += Int(UInt32(littleEndian: dst.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            let startPos = pos
            var total = sa.bytes.count
            for i in s.rows {
                let l = Int(UInt32(littleEndian: dst.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                pos += l
                total += l
                sa.offsets.append(UInt32(truncatingIfNeeded: total))
            }
            guard pos <= h.uncompressedSize, total <= Int(UInt32.max) else {
                throw corrupted("\(file): block at offset \(s.offset): string bytes past end of block", column: col.name)
            }
            sa.bytes.append(contentsOf: UnsafeRawBufferPointer(start: dst + startPos, count: pos - startPos))
        }
        return sa
    }

    /// The null map of the range; nil when no row in it is NULL. Only if `m.hasNulls`.
    private func readNullMap(_ c: Int, _ m: Marks, granules: Range<Int>, totalRows: Int, scratch: ReadScratch) throws -> [UInt8]? {
        let col = columns[c]
        let nfile = PartFiles.nullBin(col.stem)
        var v = [UInt8](repeating: 1, count: totalRows)
        var any = false
        try v.withUnsafeMutableBytes { out in
            try withBlocks(nfile, column: col.name, spans: spans(m, granules: granules, nulls: true)) { s, h, blk in
                guard h.uncompressedSize == h.rows else { throw corrupted("\(nfile): block at offset \(s.offset): bad size", column: col.name) }
                let tmp = scratch.bytes(h.uncompressedSize)
                try decode(h, blk, into: tmp, file: nfile, column: col.name, offset: s.offset, scratch: scratch)
                let src = tmp.assumingMemoryBound(to: UInt8.self)
                let dst = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for i in 0..<s.rows.count {
                    let b: UInt8 = src[s.rows.lowerBound + i] == 0 ? 0 : 1
                    dst[s.outRow + i] = b
                    if b == 0 { any = true }
                }
            }
        }
        return any ? v : nil
    }

    /// The codes of a dictionary-encoded column for the range, each checked against the
    /// dictionary (an out-of-range code is corruption, reported before anything decodes it).
    private func readCodes(_ c: Int, _ m: Marks, granules: Range<Int>, totalRows: Int,
                           scratch: ReadScratch) throws -> (StoredDictionary, ColumnData) {
        let dict = try dictionary(c)
        let codes = try readFixed(c, dict.codeType, m, granules: granules, totalRows: totalRows, scratch: scratch)
        func maxCode<T: FixedWidthInteger & UnsignedInteger>(_ a: [T]) -> Int {
            a.withUnsafeBufferPointer { p in
                var mx: T = 0
                for x in p { mx = Swift.max(mx, x) }
                return Int(mx)
            }
        }
        let mx: Int
        switch codes {
        case .uint8(let a): mx = maxCode(a)
        case .uint16(let a): mx = maxCode(a)
        case .uint32(let a): mx = maxCode(a)
        default: preconditionFailure("dictionary codes must be UInt8, UInt16 or UInt32")
        }
        let col = columns[c]
        guard totalRows == 0 || mx < dict.values.count else {
            throw corrupted("\(PartFiles.bin(col.stem)): dictionary code \(mx) is out of range (\(PartFiles.dict(col.stem)) has \(dict.values.count) values)",
                            column: col.name)
        }
        return (dict, codes)
    }
}

/// An immutable part of a MergeTree table, seen through the table schema of the snapshot
/// it belongs to.
///
/// Thread-safe: any number of threads may call `read`, `readDictionary`, `granuleStats` and
/// `primaryIndex` concurrently. The part's files are never modified; if the table drops the
/// part (merge, truncate, alter) the files stay until the last `DataPart` referring to them is
/// released.
public final class DataPart: Sendable {
    public let name: String
    public let partitionID: String
    public let level: Int
    public let rowCount: Int
    public let bytesOnDisk: Int
    public let bytesUncompressed: Int
    public let metadata: [String: String]
    public let minBlock: Int
    public let maxBlock: Int
    /// Rows per granule in this part (the last granule may be shorter).
    public let indexGranularity: Int
    /// The table schema this view binds columns against.
    public let schema: StorageSchema
    let core: PartCore
    /// Schema column → part column (nil: missing, filled with the default).
    let columnMap: [Int?]

    init(core: PartCore, schema: StorageSchema) throws {
        self.core = core
        self.schema = schema
        name = core.name
        partitionID = core.info.partition
        level = core.info.level
        rowCount = core.info.rows
        bytesOnDisk = core.bytesOnDisk
        bytesUncompressed = core.info.bytesUncompressed
        metadata = core.info.metadata
        minBlock = core.info.minBlock
        maxBlock = core.info.maxBlock
        indexGranularity = core.info.granularity
        var map: [Int?] = []
        for sc in schema.columns {
            if let i = core.columnIndex[sc.name] {
                guard core.columns[i].type.physical == sc.type.physical else {
                    throw core.corrupted("column has type \(core.columns[i].type) in the part but \(sc.type) in the table", column: sc.name)
                }
                map.append(i)
            } else {
                map.append(nil)
            }
        }
        columnMap = map
    }

    /// Directory of the part.
    public var path: String { core.path }
    public var granuleCount: Int { core.info.granules }
    public func granuleRowRange(_ g: Int) -> Range<Int> {
        (g * indexGranularity)..<Swift.min(rowCount, (g + 1) * indexGranularity)
    }
    /// Whether the part stores schema column `column` (false: reads return its default).
    public func hasColumn(_ column: Int) -> Bool { columnMap[column] != nil }

    /// Per-granule min and max (non-null values) of schema column `column`; nil if the part
    /// lacks the column or its min/max file is unreadable (callers then cannot skip granules).
    public func granuleStats(column: Int) -> GranuleStats? {
        guard let c = columnMap[column] else { return nil }
        guard var s = core.stats(c) else { return nil }
        let t = schema.columns[column].type.nonNullable
        s.min.type = t
        s.max.type = t
        return s
    }

    /// The sparse primary index: the sort-key columns (schema.sortKey order, schema types)
    /// at the first row of every granule plus the part's last row (granuleCount + 1 rows).
    /// nil when the table has no sort key or the index cannot be read.
    public func primaryIndex() -> Block? {
        guard !schema.sortKey.isEmpty, let cols = try? core.primaryIndex() else { return nil }
        let names = schema.sortKey.map { schema.columns[$0].name }
        guard names == core.info.sortKey else { return nil }
        var out: [Column] = []
        for (i, k) in schema.sortKey.enumerated() {
            var c = cols[i]
            c.type = schema.columns[k].type
            if !c.type.isNullable { c.validity = nil }
            out.append(c)
        }
        return Block(columns: out, count: granuleCount + 1)
    }

    /// Reads schema columns `columns` for `granules` into a Block (rows in part order).
    /// Columns the part lacks are filled with their `defaultValue`. Throws XX001 naming the
    /// table directory, part and column on checksum or size mismatch, or truncation.
    public func read(columns: [Int], granules: Range<Int>) throws -> Block {
        precondition(granules.lowerBound >= 0 && granules.upperBound <= granuleCount, "granule range \(granules) out of 0..<\(granuleCount)")
        let rows = granules.isEmpty ? 0 : granuleRowRange(granules.upperBound - 1).upperBound - granuleRowRange(granules.lowerBound).lowerBound
        var out: [Column] = []
        out.reserveCapacity(columns.count)
        for c in columns {
            let sc = schema.columns[c]
            if let pc = columnMap[c] {
                out.append(try core.readColumn(pc, as: sc.type, granules: granules))
            } else {
                out.append(DataPart.constantColumn(sc.defaultValue, type: sc.type, count: rows))
            }
        }
        return Block(columns: out, count: rows)
    }

    /// Codes and validity of schema column `column` for `granules` when the part stores it
    /// dictionary-encoded; nil when the part stores it plain or lacks it (callers then use `read`).
    ///
    /// The strings are not materialised: `codes.values` is the part's dictionary (ascending
    /// unsigned byte order, so code order is string order; cached per part column, so
    /// `codes.id` repeats across calls), `codes.codes` one code per row (0 for NULL rows).
    /// Validity follows `read`: present only when the schema type is nullable and the range
    /// has NULLs. Also nil in the corner case of a non-nullable schema type over a part that
    /// stores NULLs (whose codes would not decode to the empty string `read` returns).
    /// Throws XX001 naming the column on damaged files or a code outside the dictionary.
    public func readDictionary(column: Int, granules: Range<Int>) throws -> (codes: DictionaryCodes, validity: [UInt8]?)? {
        precondition(granules.lowerBound >= 0 && granules.upperBound <= granuleCount, "granule range \(granules) out of 0..<\(granuleCount)")
        guard let pc = columnMap[column], core.dictionaryEncoded[pc] else { return nil }
        return try core.readDictionaryCodes(pc, as: schema.columns[column].type, granules: granules)
    }

    /// Reads every row of schema columns `columns`.
    public func readAll(columns: [Int]) throws -> Block {
        try read(columns: columns, granules: 0..<granuleCount)
    }

    static func constantColumn(_ v: Value, type: DataType, count: Int) -> Column {
        if v.isNull {
            let d = ColumnData.zeros(type.physical, count: count)
            return Column(type: type, data: d, validity: type.isNullable && count > 0 ? [UInt8](repeating: 0, count: count) : nil)
        }
        var b = ColumnBuilder(type: type, capacity: 1)
        b.append(v)
        let one = b.finish()
        return Column(type: type, data: one.data.repeated(0, count: count))
    }
}
