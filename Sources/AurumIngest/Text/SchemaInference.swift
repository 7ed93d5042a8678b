import AurumCore
import AurumEngine

/// Picks a column type from sample values (see docs/ingest-text.md, "Schema inference"):
/// the narrowest of Bool, Int64, Decimal(38, 0) (integers beyond Int64), Float64, Date,
/// DateTime64(6) that every non-null value fits, else String; Nullable when a NULL was seen;
/// String (nullable) when no value was seen at all.
struct TypeVote {
    var bool = true
    var int = true
    var bigInt = true
    var float = true
    var date = true
    var timestamp = true
    var sawValue = false
    var sawNull = false

    enum Kind { case bool, int, bigInt, float, date, timestamp, string }

    mutating func add(_ kind: Kind) {
        sawValue = true
        switch kind {
        case .bool: int = false; bigInt = false; float = false; date = false; timestamp = false
        case .int: bool = false; date = false; timestamp = false
        case .bigInt: bool = false; int = false; date = false; timestamp = false
        case .float: bool = false; int = false; bigInt = false; date = false; timestamp = false
        case .date: bool = false; int = false; bigInt = false; float = false
        case .timestamp: bool = false; int = false; bigInt = false; float = false; date = false
        case .string: bool = false; int = false; bigInt = false; float = false; date = false; timestamp = false
        }
    }

    /// The kind of a text value (CSV field, JSON number or string).
    static func classify(_ p: UnsafePointer<UInt8>, _ n: Int, numbers: Bool = true, words: Bool = true) -> Kind {
        if n == 0 { return .string }
        if words {
            let lower0 = p[0] | 0x20
            if (n == 4 || n == 5) && (lower0 == 116 || lower0 == 102) {
                let (_, s) = TextValueParsers.bool(p, n)
                if s == .ok { return .bool }
            }
        }
        if numbers {
            let (_, si) = TextValueParsers.int64(p, n)
            if si == .ok { return .int }
            if si == .outOfRange {
                var digits = 0
                for k in 0..<n where TextValueParsers.isDigit(p[k]) { digits += 1 }
                return digits <= 38 ? .bigInt : .float
            }
            let c = p[0]
            if TextValueParsers.isDigit(c) || c == 45 || c == 43 || c == 46 {
                let (_, sd) = TextValueParsers.double(p, n)
                if sd == .ok { return .float }
            }
        }
        if n >= 10 && p[4] == 45 {
            if n == 10 { if TextValueParsers.date(p, n).1 == .ok { return .date } }
            else if TextValueParsers.timestamp(p, n, precision: 6).1 == .ok { return .timestamp }
        }
        return .string
    }

    var type: DataType {
        var t: DataType
        if !sawValue { t = .string }
        else if bool { t = .bool }
        else if int { t = .int64 }
        else if bigInt { t = .decimal(38, 0) }
        else if float { t = .float64 }
        else if date { t = .date }
        else if timestamp { t = .dateTime64(6) }
        else { t = .string }
        return sawNull || !sawValue ? t.nullable : t
    }
}

extension CSVSource {
    /// The names in the header of `path` (nil when `options` has no header; empty for an
    /// empty file).
    public static func headerNames(path: String, options: CSVOptions) throws -> [String]? {
        guard options.header else { return nil }
        return try openPreamble(path, options: options).2 ?? []
    }

    /// Opens `path` and reads past its BOM, skipped rows and header.
    private static func openPreamble(_ path: String, options: CSVOptions) throws -> (TextFileReader, CSVDialect, [String]?) {
        try options.validate()
        let dialect = CSVDialect(options)
        let reader = try TextFileReader(path: path)
        try reader.fill(atLeast: 3)
        if reader.buffer.count >= 3, reader.buffer[0] == 0xEF, reader.buffer[1] == 0xBB, reader.buffer[2] == 0xBF { reader.buffer.removeFirst(3) }
        let (_, header) = try CSVFormat.readPreamble(reader, dialect: dialect, options: options, path: path)
        return (reader, dialect, header)
    }

    /// Infers columns from the first `sampleRows` records of the first file: names from the
    /// header (or `c1`...`cN`), types by `TypeVote`'s rules. Quoted values are classified by
    /// their content too. Records with a different field count than the first are ignored.
    public static func inferSchema(paths: [String], options: CSVOptions, sampleRows: Int = 10_000) throws -> [SourceColumn] {
        guard let path = paths.first else { throw AurumError(.invalidParameterValue, "no input files to infer a schema from") }
        let (reader, dialect, header) = try openPreamble(path, options: options)
        // Read until the sample's records are in the buffer (or 64 MB, or the end).
        var state = CSVDialect.ScanState()
        var scanned = 0
        var lastBoundary = 0
        var records = 0
        while records < sampleRows && reader.buffer.count < 64 << 20 {
            if !(try reader.readMore()) { lastBoundary = reader.buffer.count; break }
            let (found, lf) = reader.buffer.withUnsafeBufferPointer { p -> (Int?, Int) in
                let f = dialect.scan(p, from: scanned, state: &state)
                var lf = 0
                for k in scanned..<p.count where p[k] == 10 { lf += 1 }
                return (f, lf)
            }
            scanned = reader.buffer.count
            if let found { lastBoundary = found }
            records += lf
        }
        if lastBoundary == 0 { lastBoundary = reader.buffer.count }
        return reader.buffer.withUnsafeBufferPointer { all -> [SourceColumn] in
            let p = UnsafeBufferPointer(rebasing: all[0..<lastBoundary])
            var width = header?.count ?? 0
            if header == nil {
                let (first, _, _, _) = dialect.tokenize(p, width: 0, exact: false, maxRecords: 1)
                width = first.fieldCounts.first ?? 0
            }
            guard width > 0 else { return (header ?? []).map { SourceColumn(name: $0, type: .string.nullable) } }
            let (table, _, _, _) = dialect.tokenize(p, width: width, exact: true, maxRecords: sampleRows)
            var votes = [TypeVote](repeating: TypeVote(), count: width)
            var scratch: [UInt8] = []
            for r in 0..<table.rowCount {
                for f in 0..<width {
                    let k = r * width + f
                    let flag = table.fields[k].flags
                    if flag & FieldFlags.null != 0 { votes[f].sawNull = true; continue }
                    let s = Int(table.fields[k].start), e = Int(table.fields[k].end)
                    if flag & FieldFlags.escaped != 0, let base = p.baseAddress {
                        scratch.removeAll(keepingCapacity: true)
                        _ = dialect.escape.unescape(base + s, e - s, into: &scratch)
                        let kind = scratch.withUnsafeBufferPointer { sp in sp.baseAddress.map { TypeVote.classify($0, sp.count) } ?? .string }
                        votes[f].add(kind)
                    } else if let base = p.baseAddress {
                        votes[f].add(TypeVote.classify(base + s, e - s))
                    }
                }
            }
            return (0..<width).map { f in
                let name = header.map { f < $0.count ? $0[f] : "c\(f + 1)" } ?? "c\(f + 1)"
                return SourceColumn(name: name, type: votes[f].type)
            }
        }
    }
}

extension NDJSONSource {
    /// Infers columns from the first `sampleRows` objects of the first file: every top-level
    /// key, in order of first appearance; JSON numbers vote Int64 / Decimal(38, 0) / Float64,
    /// `true`/`false` Bool, strings Date or DateTime64(6) when they look like one and String
    /// otherwise, objects and arrays String; a key absent from some objects or `null` makes
    /// the column nullable; mixed kinds give String.
    public static func inferSchema(paths: [String], sampleRows: Int = 10_000) throws -> [SourceColumn] {
        guard let path = paths.first else { throw AurumError(.invalidParameterValue, "no input files to infer a schema from") }
        let reader = try TextFileReader(path: path)
        var lines = 0
        var scanned = 0
        while lines < sampleRows && reader.buffer.count < 64 << 20 {
            if !(try reader.readMore()) { break }
            for k in scanned..<reader.buffer.count where reader.buffer[k] == 10 { lines += 1 }
            scanned = reader.buffer.count
        }
        if reader.buffer.count >= 3, reader.buffer[0] == 0xEF, reader.buffer[1] == 0xBB, reader.buffer[2] == 0xBF { reader.buffer.removeFirst(3) }
        let scanner = NDJSONScanner(columns: [])
        var names: [String] = []
        var index: [String: Int] = [:]
        var votes: [TypeVote] = []
        var objects = 0
        reader.buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var p = 0
            let n = b.count
            var scratch: [UInt8] = []
            while p < n && objects < sampleRows {
                var e = p
                while e < n && b[e] != 10 { e += 1 }
                var i = p
                let end = e
                p = e + 1
                scanner.skipSpace(b, &i, end)
                if i == end { continue }
                var seen = [Bool](repeating: false, count: votes.count)
                let ok: Bool
                do {
                    try scanner.object(b, &i, end) { ks, ke, kEscaped, vs, ve, flag in
                        scratch.removeAll(keepingCapacity: true)
                        if kEscaped { _ = EscapeStyle.json.unescape(base + ks, ke - ks, into: &scratch) } else { scratch.append(contentsOf: UnsafeBufferPointer(start: base + ks, count: ke - ks)) }
                        let key = String(decoding: scratch, as: UTF8.self)
                        let c: Int
                        if let existing = index[key] {
                            c = existing
                        } else {
                            c = votes.count
                            index[key] = c
                            names.append(key)
                            var v = TypeVote()
                            if objects > 0 { v.sawNull = true }  // absent from earlier objects
                            votes.append(v)
                            seen.append(false)
                        }
                        seen[c] = true
                        if flag & FieldFlags.null != 0 { votes[c].sawNull = true }
                        else if flag & FieldFlags.nested != 0 { votes[c].add(.string) }
                        else if flag & FieldFlags.quoted != 0 {
                            votes[c].add(flag & FieldFlags.escaped != 0 ? .string
                                         : TypeVote.classify(base + vs, ve - vs, numbers: false, words: false))
                        } else {
                            votes[c].add(TypeVote.classify(base + vs, ve - vs))
                        }
                    }
                    ok = true
                } catch { ok = false }
                if ok {
                    for c in seen.indices where !seen[c] { votes[c].sawNull = true }
                    objects += 1
                }
            }
        }
        return names.indices.map { SourceColumn(name: names[$0], type: votes[$0].type) }
    }
}
