import AurumCore
import AurumEngine

/// Reads CSV/TSV files (plain, `.gz` or `.zst`) into Blocks of `columns`, in file order.
///
/// Files are cut into chunks of whole records (`CSVOptions.chunkSize`, ~8 MB) by a sequential,
/// quote-aware boundary scan; chunks are tokenized and decoded in parallel (one worker per
/// core) and come back in input order, one Block per chunk. Fields are parsed straight from
/// the bytes into typed buffers. With `header`, every file's header row maps fields to
/// `columns` by name (case-insensitive); an unknown name is error 42703, and target columns
/// missing from the header are NULL (they must be nullable). Without a header the fields are
/// `columns` in order.
///
/// Bad records (unterminated quote, wrong field count, a value that does not parse or is out
/// of range, NULL in a NOT NULL column) go to `errors` as `file:line` with the column and
/// value; line numbers are physical lines (1-based, header included) where the record
/// starts. Used by one thread at a time, like every `BlockSource`.
public final class CSVSource: BlockSource {
    public let columns: [SourceColumn]
    public let options: CSVOptions
    private let driver: TextSourceDriver<CSVFormat>

    public init(paths: [String], options: CSVOptions, columns: [SourceColumn], errors: ErrorBudget) throws {
        try options.validate()
        guard !columns.isEmpty else { throw AurumError(.invalidParameterValue, "CSV source needs at least one column") }
        self.columns = columns
        self.options = options
        let format = CSVFormat(dialect: CSVDialect(options), options: options, columns: columns, paths: paths)
        driver = try TextSourceDriver(paths: paths, format: format, errors: errors,
                                      chunkSize: options.chunkSize, parallelism: options.parallelism)
    }

    public func next() throws -> Block? { try driver.next() }
    public var bytesRead: Int64 { driver.bytesRead }
    public var bytesTotal: Int64? { driver.bytesTotal }
}

/// The CSV side of `TextSourceDriver`: header handling and chunk parsing.
struct CSVFormat: TextFormat {
    let dialect: CSVDialect
    let options: CSVOptions
    let columns: [SourceColumn]
    let paths: [String]

    struct FileContext: Sendable {
        var fieldCount: Int
        /// For each target column, the field that holds it (nil: not in this file).
        var fieldOfColumn: [Int?]
    }

    func initialScanState() -> CSVDialect.ScanState { CSVDialect.ScanState() }

    func scan(_ p: UnsafeBufferPointer<UInt8>, from: Int, state: inout CSVDialect.ScanState) -> Int? {
        dialect.scan(p, from: from, state: &state)
    }

    func beginFile(_ reader: TextFileReader, index: Int) throws -> (lines: Int, context: FileContext) {
        let (lines, names) = try Self.readPreamble(reader, dialect: dialect, options: options, path: paths[index])
        guard let names else {
            return (lines, FileContext(fieldCount: columns.count, fieldOfColumn: columns.indices.map { $0 }))
        }
        return (lines, try Self.map(header: names, to: columns, path: paths[index]))
    }

    /// Consumes the skipped rows and the header (when `options.header`) from the front of
    /// the reader's buffer: the line feeds consumed and the header's names.
    static func readPreamble(_ reader: TextFileReader, dialect: CSVDialect, options: CSVOptions,
                             path: String) throws -> (lines: Int, names: [String]?) {
        var lines = 0
        // Skip physical lines.
        var skipped = 0
        var pos = 0
        while skipped < options.skipRows {
            if let nl = reader.buffer[pos...].firstIndex(of: 10) {
                pos = nl + 1
                skipped += 1
            } else if !(try reader.readMore()) {
                pos = reader.buffer.count
                break
            }
        }
        lines += skipped
        reader.buffer.removeFirst(pos)
        guard options.header else { return (lines, nil) }
        // The header is the first non-blank record: find its end with the boundary scan.
        var end: Int? = nil
        while end == nil {
            end = reader.buffer.withUnsafeBufferPointer { p -> Int? in
                var from = 0
                while from < p.count {
                    var st = CSVDialect.ScanState()
                    guard let b = dialect.scan(p, from: from, state: &st, firstOnly: true) else { return nil }
                    if p[from..<b].contains(where: { $0 != 10 && $0 != 13 }) { return b }
                    from = b
                }
                return nil
            }
            if end == nil, !(try reader.readMore()) { break }
        }
        let headerEnd = end ?? reader.buffer.count
        if headerEnd == 0 || !reader.buffer[0..<headerEnd].contains(where: { $0 != 10 && $0 != 13 }) {
            // An empty file (BigQuery writes empty shards): no header, no rows.
            return (lines, nil)
        }
        let names: [String] = reader.buffer.withUnsafeBufferPointer { p in
            let (table, _, _, _) = dialect.tokenize(UnsafeBufferPointer(rebasing: p[0..<headerEnd]), width: 0, exact: false, maxRecords: 1)
            guard table.rowCount == 1 else { return [] }
            let count = table.fieldCounts[0]
            var names: [String] = []
            var scratch: [UInt8] = []
            for f in 0..<min(count, table.fields.count) {
                let s = Int(table.fields[f].start), e = Int(table.fields[f].end)
                scratch.removeAll(keepingCapacity: true)
                if table.fields[f].flags & FieldFlags.escaped != 0, let base = p.baseAddress {
                    _ = dialect.escape.unescape(base + s, e - s, into: &scratch)
                } else {
                    scratch.append(contentsOf: p[s..<e])
                }
                names.append(String(decoding: scratch, as: UTF8.self).trimmingCharacters(in: .whitespaces))
            }
            return names
        }
        guard !names.isEmpty else {
            throw AurumError(.badCopyFileFormat, "\(path):\(lines + 1): malformed header row")
        }
        lines += reader.buffer[0..<headerEnd].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        reader.buffer.removeFirst(headerEnd)
        return (lines, names)
    }

    /// Header names to target columns: case-insensitive; an unknown or repeated name is an
    /// error (42703 / 42701), and so is a missing NOT NULL column.
    static func map(header names: [String], to columns: [SourceColumn], path: String) throws -> FileContext {
        var fieldOf = [Int?](repeating: nil, count: columns.count)
        let lowered = columns.map { $0.name.lowercased() }
        for (f, name) in names.enumerated() {
            let exact = columns.firstIndex { $0.name == name }
            guard let c = exact ?? lowered.firstIndex(of: name.lowercased()) else {
                throw AurumError(.undefinedColumn, "\(path): column \"\(name)\" of the header (field \(f + 1)) is not a column of the target",
                                 hint: "target columns: \(columns.map(\.name).joined(separator: ", "))")
            }
            if fieldOf[c] != nil {
                throw AurumError(.duplicateColumn, "\(path): the header names column \"\(columns[c].name)\" twice")
            }
            fieldOf[c] = f
        }
        for (c, col) in columns.enumerated() where fieldOf[c] == nil && !col.type.isNullable {
            throw AurumError(.undefinedColumn, "\(path): the header has no column \"\(col.name)\", which is NOT NULL (\(col.type))")
        }
        return FileContext(fieldCount: names.count, fieldOfColumn: fieldOf)
    }

    func parse(_ chunk: [UInt8], context: FileContext) -> ChunkOutput {
        chunk.withUnsafeBufferPointer { p in
            let (table, recordErrors, lineFeeds, _) = dialect.tokenize(p, width: context.fieldCount, exact: true)
            var output = ChunkOutput(lineFeeds: lineFeeds)
            for e in recordErrors {
                output.rejects.append(PendingReject(relativeLine: e.line, column: nil, value: nil, reason: e.reason, code: e.code,
                                                    raw: Self.rawText(p, e.start, e.end)))
            }
            output.block = TextBlocks.decode(table: table, bytes: p, escape: dialect.escape, columns: columns,
                                             fieldOfColumn: context.fieldOfColumn, rejects: &output.rejects)
            if recordErrors.count > 0 { output.rejects.sort { $0.relativeLine < $1.relativeLine } }
            return output
        }
    }

    static func rawText(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let e = min(end, start + 1000)
        return String(decoding: UnsafeBufferPointer(rebasing: p[start..<max(start, e)]), as: UTF8.self)
    }
}

/// Column-at-a-time decoding of a tokenized chunk into a Block, shared by CSV and NDJSON:
/// rows with a bad value become rejects (one per row, its first bad column) and are dropped.
enum TextBlocks {
    static func decode(table: FieldTable, bytes: UnsafeBufferPointer<UInt8>, escape: EscapeStyle, columns: [SourceColumn],
                       fieldOfColumn: [Int?], rejects: inout [PendingReject]) -> Block? {
        guard table.rowCount > 0 else { return nil }
        let decoder = TextColumnDecoder(table: table, bytes: bytes, escape: escape)
        var bad: [BadValue] = []
        var result: [Column] = []
        result.reserveCapacity(columns.count)
        for (c, col) in columns.enumerated() {
            result.append(decoder.decode(col, index: c, field: fieldOfColumn[c], bad: &bad))
        }
        var block = Block(columns: result, count: table.rowCount)
        guard !bad.isEmpty else { return block }
        bad.sort { ($0.row, $0.column) < ($1.row, $1.column) }
        var dropped = [Bool](repeating: false, count: table.rowCount)
        for b in bad where !dropped[b.row] {
            dropped[b.row] = true
            let start = Int(table.rowOffsets[b.row])
            var end = Int(table.rowEnds[b.row])
            while end > start && (bytes[end - 1] == 10 || bytes[end - 1] == 13) { end -= 1 }
            rejects.append(PendingReject(relativeLine: Int(table.rowLines[b.row]), column: columns[b.column].name, value: b.value,
                                         reason: b.reason, code: b.code, raw: CSVFormat.rawText(bytes, start, end)))
        }
        var keep: [Int32] = []
        keep.reserveCapacity(table.rowCount)
        for r in 0..<table.rowCount where !dropped[r] { keep.append(Int32(r)) }
        block = block.gather(keep)
        rejects.sort { $0.relativeLine < $1.relativeLine }
        return block.count > 0 ? block : nil
    }
}
