import AurumCore

/// The fields of one chunk's rows as byte ranges into the chunk, row-major, `width` per row:
/// what a tokenizer (CSV, NDJSON) produces and `TextColumnDecoder` turns into typed columns
/// one column at a time. No value is copied or converted while tokenizing.
///
/// ```
/// row r, field f  ->  k = r * width + f
/// fields[k].start ..< fields[k].end   the field's bytes (inside the quotes if quoted)
/// fields[k].flags                     FieldFlags bits
/// ```
struct FieldTable: Sendable {
    var width: Int
    var rowCount = 0
    /// One entry per field (one array, so a tokenizer pays one append per field).
    var fields: [TextField] = []
    /// Byte offset in the chunk where each row's record starts (for line numbers and raw text).
    var rowOffsets: [Int32] = []
    /// Byte offset in the chunk just past each row's record (its line break included).
    var rowEnds: [Int32] = []
    /// Line feeds before each row's record in the chunk (its line number minus the chunk's first).
    var rowLines: [Int32] = []
    /// Fields each row really had (filled only by tokenizers that do not require a fixed count).
    var fieldCounts: [Int] = []

    init(width: Int, expectedRows: Int) {
        self.width = width
        fields.reserveCapacity(expectedRows * width)
        rowOffsets.reserveCapacity(expectedRows)
        rowLines.reserveCapacity(expectedRows)
        rowEnds.reserveCapacity(expectedRows)
    }

    @inline(__always) mutating func append(_ start: Int, _ end: Int, _ flag: UInt8) {
        fields.append(TextField(start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: end), flags: flag))
    }

    /// Drops the fields appended after `fieldCount` (a record that turned out bad).
    mutating func truncate(toFields fieldCount: Int) {
        let extra = fields.count - fieldCount
        if extra > 0 { fields.removeLast(extra) }
    }
}

/// A field's byte range in its chunk and its `FieldFlags`.
struct TextField: Sendable {
    var start: Int32
    var end: Int32
    var flags: UInt8
}

/// Bits of `TextField.flags`.
enum FieldFlags {
    /// SQL NULL (a CSV null marker, JSON `null`).
    static let null: UInt8 = 1
    /// The bytes contain escapes (doubled quotes, backslashes, JSON `\u`) to undo before use.
    static let escaped: UInt8 = 2
    /// The value was quoted (CSV `"..."`, a JSON string).
    static let quoted: UInt8 = 4
    /// The source has no value for this column (NDJSON key absent).
    static let missing: UInt8 = 8
    /// A JSON object or array: the bytes are its JSON text.
    static let nested: UInt8 = 16
}

/// How escaped field bytes are turned back into the value's bytes.
enum EscapeStyle: Sendable {
    /// RFC 4180: a doubled quote stands for one quote.
    case doubledQuote(UInt8)
    /// A backslash makes the next byte literal (Spark, Snowflake); with `sequences`, `\n`,
    /// `\r`, `\t`, `\0`, `\b`, `\f` are control characters (Snowflake's unenclosed fields).
    case backslash(sequences: Bool)
    /// JSON string escapes, `\uXXXX` with surrogate pairs.
    case json

    /// Appends the unescaped bytes of `p[0..<n]` to `out`; false when an escape is malformed.
    func unescape(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) -> Bool {
        var i = 0
        switch self {
        case .doubledQuote(let q):
            while i < n {
                let c = p[i]
                out.append(c)
                i += (c == q && i + 1 < n && p[i + 1] == q) ? 2 : 1
            }
            return true
        case .backslash(let sequences):
            while i < n {
                let c = p[i]
                if c == 92, i + 1 < n {
                    let e = p[i + 1]
                    if sequences {
                        switch e {
                        case 110: out.append(10)
                        case 114: out.append(13)
                        case 116: out.append(9)
                        case 48: out.append(0)
                        case 98: out.append(8)
                        case 102: out.append(12)
                        default: out.append(e)
                        }
                    } else {
                        out.append(e)
                    }
                    i += 2
                } else {
                    out.append(c)
                    i += 1
                }
            }
            return true
        case .json:
            while i < n {
                let c = p[i]
                if c != 92 { out.append(c); i += 1; continue }
                guard i + 1 < n else { return false }
                let e = p[i + 1]
                i += 2
                switch e {
                case 34, 92, 47: out.append(e)
                case 98: out.append(8)
                case 102: out.append(12)
                case 110: out.append(10)
                case 114: out.append(13)
                case 116: out.append(9)
                case 117:
                    guard let u = EscapeStyle.hex4(p, n, i) else { return false }
                    i += 4
                    var scalar = u
                    if u >= 0xD800 && u <= 0xDBFF {
                        // A high surrogate must be followed by \uDC00-\uDFFF.
                        guard i + 6 <= n, p[i] == 92, p[i + 1] == 117, let low = EscapeStyle.hex4(p, n, i + 2),
                              low >= 0xDC00, low <= 0xDFFF else { return false }
                        i += 6
                        scalar = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    } else if u >= 0xDC00 && u <= 0xDFFF {
                        return false
                    }
                    EscapeStyle.appendUTF8(scalar, to: &out)
                default: return false
                }
            }
            return true
        }
    }

    static func hex4(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> UInt32? {
        guard i + 4 <= n else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    static func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (s >> 6))); out.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (s >> 12))); out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (s >> 18))); out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }
}
