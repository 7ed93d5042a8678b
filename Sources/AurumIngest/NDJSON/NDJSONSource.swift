import AurumCore
import AurumEngine

/// Options of `NDJSONSource`.
public struct NDJSONOptions: Sendable, Equatable {
    /// Bytes per parallel chunk (lines are never split).
    public var chunkSize = 8 << 20
    /// Worker threads for parsing; nil means one per core.
    public var parallelism: Int? = nil
    public init() {}
}

/// Reads JSON Lines / NDJSON files (JSONEachRow; plain, `.gz` or `.zst`): one JSON object per
/// line, blank lines skipped. Keys are matched to `columns` by name, exactly first, then
/// ASCII case-insensitively; unknown keys are ignored; a missing key (or `null`) is NULL
/// for a nullable column, and a missing key is the type's zero (0, '', 1970-01-01, false)
/// for a NOT NULL one (an explicit `null` there is rejected). Numbers go into numeric columns
/// exactly from their text (decimals never pass through a double), strings are parsed for
/// every type (dates, timestamps, UUIDs, decimals, integers written as strings by BigQuery),
/// `true`/`false` into Bool, and objects/arrays into String columns as their JSON text.
///
/// Parallel like `CSVSource`: chunks of whole lines are scanned and decoded on one worker per
/// core and returned in input order. Bad lines (invalid JSON, a value of the wrong type or
/// out of range) go to `errors` as `file:line`.
public final class NDJSONSource: BlockSource {
    public let columns: [SourceColumn]
    private let driver: TextSourceDriver<NDJSONFormat>

    public init(paths: [String], options: NDJSONOptions = NDJSONOptions(), columns: [SourceColumn], errors: ErrorBudget) throws {
        guard !columns.isEmpty else { throw AurumError(.invalidParameterValue, "NDJSON source needs at least one column") }
        self.columns = columns
        driver = try TextSourceDriver(paths: paths, format: NDJSONFormat(columns: columns, scanner: NDJSONScanner(columns: columns)),
                                      errors: errors, chunkSize: options.chunkSize, parallelism: options.parallelism)
    }

    public func next() throws -> Block? { try driver.next() }
    public var bytesRead: Int64 { driver.bytesRead }
    public var bytesTotal: Int64? { driver.bytesTotal }
}

struct NDJSONFormat: TextFormat {
    let columns: [SourceColumn]
    let scanner: NDJSONScanner

    struct FileContext: Sendable {}

    func beginFile(_ reader: TextFileReader, index: Int) throws -> (lines: Int, context: FileContext) { (0, FileContext()) }
    func initialScanState() -> Void { () }

    func scan(_ p: UnsafeBufferPointer<UInt8>, from: Int, state: inout Void) -> Int? {
        var i = p.count
        while i > from {
            if p[i - 1] == 10 { return i }
            i -= 1
        }
        return nil
    }

    func parse(_ chunk: [UInt8], context: FileContext) -> ChunkOutput {
        chunk.withUnsafeBufferPointer { p in
            let (table, lineErrors, lineFeeds) = scanner.scan(p)
            var output = ChunkOutput(lineFeeds: lineFeeds)
            for e in lineErrors {
                output.rejects.append(PendingReject(relativeLine: e.line, column: nil, value: nil, reason: e.reason,
                                                    code: .badCopyFileFormat, raw: CSVFormat.rawText(p, e.start, e.end)))
            }
            output.block = TextBlocks.decode(table: table, bytes: p, escape: .json, columns: columns,
                                             fieldOfColumn: columns.indices.map { $0 }, rejects: &output.rejects)
            output.rejects.sort { $0.relativeLine < $1.relativeLine }
            return output
        }
    }
}
