/// Splits delimited text into records and fields: PostgreSQL's COPY text format (backslash
/// escapes) and CSV (RFC 4180 quotes, optional escape character). Used by COPY FROM STDIN
/// (fed in chunks) and by INSERT ... FROM INFILE (a whole file).
///
/// `nextRecord` finds complete records (lines, or CSV records whose quoted fields may hold
/// newlines) and can resume where the data ran out; `split` cuts one record into fields,
/// decoding escapes and quotes into `fieldBytes` and keeping each field's raw range (for the
/// null-string match) and whether it was quoted.
struct DelimitedTokenizer {
    let csv: Bool
    let delimiter: UInt8
    let quote: UInt8
    let escape: UInt8
    /// Inside a CSV quoted field at the end of the scanned data.
    private(set) var inQuote = false

    private(set) var fieldBytes: [UInt8] = []
    private(set) var fieldEnds: [Int] = []
    private(set) var fieldRaw: [Range<Int>] = []
    private(set) var fieldQuoted: [Bool] = []

    init(csv: Bool, delimiter: UInt8, quote: UInt8 = UInt8(ascii: "\""), escape: UInt8? = nil) {
        self.csv = csv
        self.delimiter = delimiter
        self.quote = quote
        self.escape = escape ?? quote
    }

    var fieldCount: Int { fieldEnds.count }

    /// Field `k` of the last split record, decoded.
    func field(_ k: Int) -> ArraySlice<UInt8> {
        fieldBytes[(k == 0 ? 0 : fieldEnds[k - 1])..<fieldEnds[k]]
    }

    /// The next complete record in `p` at or after `position` (the range excludes the
    /// newline; it begins at `start`, which then moves past it), or nil when more data is
    /// needed; scanning resumes at `position`.
    mutating func nextRecord(_ p: UnsafeBufferPointer<UInt8>, start: inout Int, position: inout Int) -> Range<Int>? {
        var i = position
        let n = p.count
        let backslash = UInt8(ascii: "\\"), newline: UInt8 = 0x0A
        defer { position = i }
        while i < n {
            let c = p[i]
            if !csv {
                if c == backslash {
                    if i + 1 >= n { return nil }
                    i += 2
                    continue
                }
                i += 1
                if c == newline {
                    let r = start..<(i - 1)
                    start = i
                    return r
                }
            } else if inQuote {
                if c == escape && escape != quote {
                    if i + 1 >= n { return nil }
                    if p[i + 1] == quote || p[i + 1] == escape { i += 2; continue }
                }
                if c == quote { inQuote = false }
                i += 1
            } else {
                i += 1
                if c == quote {
                    inQuote = true
                } else if c == newline {
                    let r = start..<(i - 1)
                    start = i
                    return r
                }
            }
        }
        return nil
    }

    /// Splits record `r` of `p` into fields. Returns false for an unterminated CSV quote.
    mutating func split(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        fieldBytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        fieldRaw.removeAll(keepingCapacity: true)
        fieldQuoted.removeAll(keepingCapacity: true)
        var i = r.lowerBound
        let end = r.upperBound
        var fieldStart = i
        func endField(quoted: Bool) {
            fieldEnds.append(fieldBytes.count)
            fieldRaw.append(fieldStart..<i)
            fieldQuoted.append(quoted)
        }
        if csv {
            var quoted = false, inQ = false
            while true {
                if i >= end {
                    if inQ { return false }
                    endField(quoted: quoted)
                    return true
                }
                let c = p[i]
                if inQ {
                    if c == escape && i + 1 < end && (p[i + 1] == quote || p[i + 1] == escape) && (escape != quote || p[i + 1] == quote) {
                        fieldBytes.append(p[i + 1]); i += 2; continue
                    }
                    if c == quote { inQ = false; i += 1; continue }
                    fieldBytes.append(c); i += 1
                } else if c == delimiter {
                    endField(quoted: quoted)
                    quoted = false
                    i += 1
                    fieldStart = i
                } else if c == quote {
                    inQ = true; quoted = true; i += 1
                } else {
                    fieldBytes.append(c); i += 1
                }
            }
        }
        while true {
            if i >= end {
                endField(quoted: false)
                return true
            }
            let c = p[i]
            if c == delimiter {
                endField(quoted: false)
                i += 1
                fieldStart = i
                continue
            }
            if c != UInt8(ascii: "\\") || i + 1 >= end {
                fieldBytes.append(c); i += 1
                continue
            }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): fieldBytes.append(0x08)
            case UInt8(ascii: "f"): fieldBytes.append(0x0C)
            case UInt8(ascii: "n"): fieldBytes.append(0x0A)
            case UInt8(ascii: "r"): fieldBytes.append(0x0D)
            case UInt8(ascii: "t"): fieldBytes.append(0x09)
            case UInt8(ascii: "v"): fieldBytes.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = Int(e - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, i < end, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(p[i]) {
                    v = v * 8 + Int(p[i] - UInt8(ascii: "0")); i += 1; digits += 1
                }
                fieldBytes.append(UInt8(truncatingIfNeeded: v))
            case UInt8(ascii: "x") where i < end && Self.hex(p[i]) != nil:
                var v = Self.hex(p[i])!
                i += 1
                if i < end, let h = Self.hex(p[i]) { v = v * 16 + h; i += 1 }
                fieldBytes.append(UInt8(v))
            default:
                fieldBytes.append(e)
            }
        }
    }

    private static func hex(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
