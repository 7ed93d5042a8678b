import AurumCore
import Foundation

/// The small metadata files of a part and their text formats (see docs/format.md).
enum PartFiles {
    static let columns = "columns.txt"
    static let count = "count.txt"
    static let meta = "meta.json"
    static let checksums = "checksums.txt"
    static let primaryIndex = "primary.idx"

    static func bin(_ stem: String) -> String { stem + ".bin" }
    static func nullBin(_ stem: String) -> String { stem + ".null.bin" }
    static func marks(_ stem: String) -> String { stem + ".mrk" }
    static func minMax(_ stem: String) -> String { stem + ".mm" }
    /// Dictionary of a dictionary-encoded LowCardinality(String) column (see `PartDictionary`).
    static func dict(_ stem: String) -> String { stem + ".dict" }

    /// Column name → file stem: `[A-Za-z0-9_]` kept, every other byte as `%XX` (as ClickHouse's
    /// escapeForFileName), so any name is a safe, collision-free file name.
    static func stem(forColumn name: String) -> String {
        escape(name, keep: { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F })
    }

    /// Partition ID → the first component of a part name: "" becomes `all`; `[A-Za-z0-9-]` kept,
    /// every other byte `%XX` (so `_` never appears and names split unambiguously); capped at
    /// 120 bytes (the block numbers keep names unique; the real ID is in meta.json).
    static func partitionComponent(_ id: String) -> String {
        if id.isEmpty { return "all" }
        var s = escape(id, keep: { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D })
        if s == "all" { s = "%61ll" }
        if s.utf8.count > 120 { s = String(decoding: Array(s.utf8.prefix(120)), as: UTF8.self) }
        return s
    }

    static func escape(_ s: String, keep: (UInt8) -> Bool) -> String {
        if s.isEmpty { return "%" }
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in s.utf8 {
            if keep(b) { out.append(b) } else { out.append(0x25); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `<partition>_<minBlock>_<maxBlock>_<level>[_<mutation>]`
    static func partName(partition: String, minBlock: Int, maxBlock: Int, level: Int, mutation: Int) -> String {
        var n = "\(partitionComponent(partition))_\(minBlock)_\(maxBlock)_\(level)"
        if mutation > 0 { n += "_\(mutation)" }
        return n
    }
}

/// Contents of `meta.json`.
struct PartInfo: Codable, Sendable, Equatable {
    var formatVersion: Int = 1
    var partition: String
    var minBlock: Int
    var maxBlock: Int
    var level: Int
    var mutation: Int
    var rows: Int
    var granularity: Int
    var granules: Int
    /// Names of the sort-key columns, in key order (the primary index stores them in this order).
    var sortKey: [String]
    var bytesUncompressed: Int
    var metadata: [String: String]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", partition, minBlock = "min_block", maxBlock = "max_block", level, mutation
        case rows, granularity, granules, sortKey = "sort_key", bytesUncompressed = "bytes_uncompressed", metadata
    }

    func encoded() -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding a struct of strings and ints cannot fail.
        var b = [UInt8]((try? e.encode(self)) ?? Data())
        b.append(0x0A)
        return b
    }
    static func decode(_ bytes: [UInt8]) throws -> PartInfo {
        try JSONDecoder().decode(PartInfo.self, from: Data(bytes))
    }
}

/// One line of `columns.txt`.
struct PartColumn: Sendable, Equatable {
    var name: String
    var type: DataType
    var stem: String { PartFiles.stem(forColumn: name) }
}

enum ColumnsFile {
    /// ```
    /// columns format version: 1
    /// 2 columns:
    /// `id` Int64
    /// `name` Nullable(String)
    /// ```
    /// Names are back-quoted with `\\`, `` \` ``, `\n`, `\t` escapes.
    static func encode(_ cols: [PartColumn]) -> [UInt8] {
        var s = "columns format version: 1\n\(cols.count) columns:\n"
        for c in cols {
            var n = ""
            for ch in c.name {
                switch ch {
                case "\\": n += "\\\\"
                case "`": n += "\\`"
                case "\n": n += "\\n"
                case "\t": n += "\\t"
                default: n.append(ch)
                }
            }
            s += "`\(n)` \(c.type.description)\n"
        }
        return Array(s.utf8)
    }

    static func decode(_ bytes: [UInt8]) throws -> [PartColumn] {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 2, lines[0] == "columns format version: 1",
              lines[1].hasSuffix(" columns:"), let n = Int(lines[1].dropLast(" columns:".count)), lines.count == n + 2
        else { throw AurumError.corrupted("malformed columns.txt") }
        var out: [PartColumn] = []
        for line in lines[2...] {
            var chars = Substring(line)
            guard chars.first == "`" else { throw AurumError.corrupted("malformed columns.txt line \"\(line)\"") }
            chars.removeFirst()
            var name = ""
            var closed = false
            while let c = chars.first {
                chars.removeFirst()
                if c == "`" { closed = true; break }
                if c == "\\", let e = chars.first {
                    chars.removeFirst()
                    switch e {
                    case "n": name.append("\n")
                    case "t": name.append("\t")
                    default: name.append(e)
                    }
                } else { name.append(c) }
            }
            guard closed, chars.first == " " else { throw AurumError.corrupted("malformed columns.txt line \"\(line)\"") }
            let type = try DataType.parseDescription(String(chars.dropFirst()))
            out.append(PartColumn(name: name, type: type))
        }
        return out
    }
}

/// `checksums.txt`: size and XXH64 of every other file in the part, plus its own hash.
///
/// ```
/// checksums format version: 1
/// 3 files:
/// columns.txt\t58\t3f2a...
/// ...
/// self\t<XXH64 of all bytes above this line>
/// ```
struct ChecksumsFile: Sendable {
    struct Entry: Sendable, Equatable { var size: Int; var hash: UInt64 }
    var files: [String: Entry]

    func encode() -> [UInt8] {
        var s = "checksums format version: 1\n\(files.count) files:\n"
        for k in files.keys.sorted() {
            let e = files[k]!
            s += "\(k)\t\(e.size)\t\(e.hash.hex16)\n"
        }
        var b = Array(s.utf8)
        b.append(contentsOf: Array("self\t\(XXHash64.hash(b).hex16)\n".utf8))
        return b
    }

    static func decode(_ bytes: [UInt8]) throws -> ChecksumsFile {
        // The self line is the last line; everything before it is hashed.
        guard let lastNL = bytes.dropLast().lastIndex(of: 0x0A) else { throw AurumError.corrupted("malformed checksums.txt") }
        let body = Array(bytes[...lastNL])
        let selfLine = String(decoding: bytes[(lastNL + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard selfLine.hasPrefix("self\t"), let h = UInt64(selfLine.dropFirst(5), radix: 16) else {
            throw AurumError.corrupted("malformed checksums.txt (no self checksum)")
        }
        guard XXHash64.hash(body) == h else { throw AurumError.corrupted("checksums.txt does not match its own checksum") }
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2, lines[0] == "checksums format version: 1",
              let n = Int(lines[1].split(separator: " ").first ?? ""), lines.count == n + 2
        else { throw AurumError.corrupted("malformed checksums.txt") }
        var files: [String: Entry] = [:]
        for l in lines[2...] {
            let f = l.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, let size = Int(f[1]), let hash = UInt64(f[2], radix: 16) else {
                throw AurumError.corrupted("malformed checksums.txt line \"\(l)\"")
            }
            files[String(f[0])] = Entry(size: size, hash: hash)
        }
        return ChecksumsFile(files: files)
    }
}

/// The marks file `<column>.mrk`: where each granule starts.
///
/// ```
/// 0   4   magic "AMK1"
/// 4   4   granule count G (UInt32 LE)
/// 8   1   flags: bit 0 = the column has a null-map stream (<column>.null.bin)
/// 9   7   reserved (0)
/// 16  G × 24 bytes, per granule:
///         0  8  offset of the compressed block holding the granule in <column>.bin
///         8  8  offset of the matching block in <column>.null.bin (0 without null stream)
///         16 4  first row of the granule inside the decompressed block
///         20 4  rows in the granule
/// ```
struct Marks: Sendable {
    var valueOffset: [Int]
    var nullOffset: [Int]
    var rowInBlock: [Int]
    var rows: [Int]
    var hasNulls: Bool
    /// Derived on load: end (exclusive) of the block holding granule g, per stream.
    var valueEnd: [Int] = []
    var nullEnd: [Int] = []

    static let magic: [UInt8] = Array("AMK1".utf8)
    static let entrySize = 24

    func encode() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 16 + rows.count * Marks.entrySize)
        b.withUnsafeMutableBytes { p in
            for i in 0..<4 { p[i] = Marks.magic[i] }
            p.storeBytes(of: UInt32(rows.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            p[8] = hasNulls ? 1 : 0
            for g in 0..<rows.count {
                let o = 16 + g * Marks.entrySize
                p.storeBytes(of: UInt64(valueOffset[g]).littleEndian, toByteOffset: o, as: UInt64.self)
                p.storeBytes(of: UInt64(nullOffset[g]).littleEndian, toByteOffset: o + 8, as: UInt64.self)
                p.storeBytes(of: UInt32(rowInBlock[g]).littleEndian, toByteOffset: o + 16, as: UInt32.self)
                p.storeBytes(of: UInt32(rows[g]).littleEndian, toByteOffset: o + 20, as: UInt32.self)
            }
        }
        return b
    }

    /// Parses and checks the marks against the stream sizes; computes block ends.
    static func decode(_ b: [UInt8], valueFileSize: Int, nullFileSize: Int?) -> Marks? {
        guard b.count >= 16, Array(b[0..<4]) == magic else { return nil }
        return b.withUnsafeBytes { p -> Marks? in
            let g = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            guard b.count == 16 + g * entrySize else { return nil }
            let hasNulls = p[8] & 1 != 0
            guard hasNulls == (nullFileSize != nil) else { return nil }
            var m = Marks(valueOffset: [], nullOffset: [], rowInBlock: [], rows: [], hasNulls: hasNulls)
            m.valueOffset.reserveCapacity(g); m.nullOffset.reserveCapacity(g); m.rowInBlock.reserveCapacity(g); m.rows.reserveCapacity(g)
            for i in 0..<g {
                let o = 16 + i * entrySize
                m.valueOffset.append(Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
                m.nullOffset.append(Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self))))
                m.rowInBlock.append(Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o + 16, as: UInt32.self))))
                m.rows.append(Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o + 20, as: UInt32.self))))
            }
            guard let ve = blockEnds(m.valueOffset, fileSize: valueFileSize) else { return nil }
            m.valueEnd = ve
            if let ns = nullFileSize {
                guard let ne = blockEnds(m.nullOffset, fileSize: ns) else { return nil }
                m.nullEnd = ne
            }
            return m
        }
    }

    private static func blockEnds(_ offs: [Int], fileSize: Int) -> [Int]? {
        var ends = [Int](repeating: fileSize, count: offs.count)
        var next = fileSize
        var i = offs.count - 1
        while i >= 0 {
            if i + 1 < offs.count, offs[i + 1] != offs[i] { next = offs[i + 1] }
            guard offs[i] >= 0, offs[i] < next else { return nil }
            ends[i] = next
            i -= 1
        }
        return ends
    }
}

/// The dictionary file `<column>.dict` of a dictionary-encoded LowCardinality(String) column:
/// one LZ4 compressed block (`rows` = K) whose payload is
///
/// ```
/// 0   4   K       value count (UInt32 LE), ≥ 1
/// 4   1   width   byte width of the codes in <column>.bin: 1 (K ≤ 256), 2 (K ≤ 65,536) or 4
/// 5   ... values  K strings in the values-payload layout (K × UInt32 lengths, then the bytes),
///                 strictly ascending in unsigned byte order (memcmp), so code order is string order
/// ```
/// `<column>.bin` then holds one code per row (UInt8/UInt16/UInt32 LE, blocks and marks exactly
/// like a fixed-width column); a NULL row has code 0. A column whose rows are all NULL has the
/// dictionary `[""]`.
enum PartDictionary {
    /// Appends the payload for `values` (sorted, distinct) with codes of `width` bytes.
    static func appendPayload(values: StringArray, width: Int, to out: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(values.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(UInt8(width))
        ValuesCodec.append(.string(values), rows: 0..<values.count, to: &out)
    }

    /// The code type for `width` bytes, nil for any other width.
    static func codeType(width: Int) -> PhysicalType? {
        switch width {
        case 1: return .uint8
        case 2: return .uint16
        case 4: return .uint32
        default: return nil
        }
    }

    /// Parses and validates a payload: width, count within the width, no trailing bytes, values
    /// strictly ascending.
    static func decodePayload(_ b: UnsafeRawBufferPointer) throws(ValuesCodec.DecodeError) -> (values: StringArray, codeType: PhysicalType) {
        guard b.count >= 5 else { throw .malformed("dictionary payload is \(b.count) bytes") }
        let k = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        let width = Int(b[4])
        guard let type = codeType(width: width) else { throw .malformed("bad code width \(width)") }
        guard k >= 1, width == 4 || k <= 1 << (8 * width) else {
            throw .malformed("\(k) values do not fit codes of \(width) byte\(width == 1 ? "" : "s")")
        }
        var off = 5
        guard case .string(let values) = try ValuesCodec.decode(.string, count: k, from: b, offset: &off) else {
            throw .malformed("dictionary values")
        }
        guard off == b.count else { throw .malformed("\(b.count - off) trailing bytes after the dictionary values") }
        for i in 1..<k where values.compare(i - 1, values, i) >= 0 {
            throw .malformed("dictionary values \(i - 1) and \(i) are not in ascending order")
        }
        return (values, type)
    }
}
