import AurumCore
import AurumEngine
import Foundation

/// The table functions that read exports in place, for the engine (`ExternalSources`):
///
/// - `file('path', [format, ['structure']])` — a file, directory or glob; format `CSV`
///   (no header), `CSVWithNames`, `TSV`/`TabSeparated`, `TSVWithNames`, `JSONEachRow`/`NDJSON`,
///   `Parquet`, `Delta` or `auto` (default: by file name; csv files then have a header);
///   `structure` (`'id Int64, name String'`) fixes the columns of text formats instead of
///   inferring them from a sample.
/// - `deltaLake('path'[, version])` — a Delta table (the latest version or the one given).
///
/// `SELECT ... FROM file(...)` queries an export without loading it; `INSERT INTO t SELECT *
/// FROM file(...)` loads it through SQL (also over the wire, into a running server).
public struct IngestTableFunctions: ExternalSourceProvider {
    public init() {}

    /// Makes the engine answer these table functions (called by the embedded API and the CLI).
    public static func install() { ExternalSources.install(IngestTableFunctions()) }

    public var functions: Set<String> { ["file", "deltalake", "delta_scan"] }

    struct Call {
        var input: InputSpec
        var structure: [SourceColumn]?
    }

    func call(_ function: String, _ args: [Value]) throws -> Call {
        func text(_ i: Int, _ what: String) throws -> String {
            guard i < args.count, let s = args[i].asString else {
                throw AurumError(.invalidParameterValue, "\(function)(): argument \(i + 1) (\(what)) must be a string constant")
            }
            return s
        }
        let path = try text(0, "path")
        if function == "deltalake" || function == "delta_scan" {
            guard args.count <= 2 else { throw AurumError(.undefinedFunction, "\(function)(path[, version]) takes at most two arguments") }
            let version = args.count > 1 ? args[1].asInt64 : nil
            if args.count > 1 && version == nil { throw AurumError(.invalidParameterValue, "\(function)(): the version must be an integer") }
            return Call(input: try InputSpec.resolve([path], format: "delta", deltaVersion: version), structure: nil)
        }
        guard args.count <= 3 else { throw AurumError(.undefinedFunction, "file(path[, format[, structure]]) takes at most three arguments") }
        let (format, csv) = try Self.format(args.count > 1 ? try text(1, "format") : "auto", in: "file()")
        let structure = args.count > 2 ? try Self.parseStructure(try text(2, "structure")) : nil
        return Call(input: try InputSpec.resolve([path], format: format, csv: csv), structure: structure)
    }

    /// A ClickHouse format name (`file()`'s argument, `FROM INFILE ... FORMAT x`) → the reader's
    /// format and its CSV options (nil: the format's defaults).
    static func format(_ name: String, in what: String) throws -> (format: String, csv: CSVOptions?) {
        var csv: CSVOptions?
        let format: String
        switch name.lowercased() {
        case "auto": format = "auto"
        case "csv": format = "csv"; csv = .rfc4180
        case "csvwithnames": format = "csv"; csv = .rfc4180; csv?.header = true
        case "tsv", "tabseparated": format = "tsv"; csv = .tsv
        case "tsvwithnames", "tabseparatedwithnames": format = "tsv"; csv = .tsv; csv?.header = true
        case "jsoneachrow", "ndjson", "jsonl": format = "ndjson"
        case "parquet": format = "parquet"
        case "delta", "deltalake": format = "delta"
        default:
            throw AurumError(.invalidParameterValue, "\(what): unknown format \(name)",
                             hint: "use CSV, CSVWithNames, TSV, TSVWithNames, JSONEachRow, Parquet, Delta or auto")
        }
        return (format, csv)
    }

    public func openInfile(path: String, format: String?, compression: String?, table: String, targets: [SourceColumn],
                           listed: Bool) throws -> (source: BlockSource, targets: [String]) {
        let (name, csv) = try Self.format(format ?? "auto", in: "FROM INFILE")
        let input = try InputSpec.resolve([path], format: name, csv: csv)
        if let compression { try Self.check(compression: compression, of: input) }
        return try input.open(into: targets, table: table, skipUnmatched: listed, errors: ErrorBudget())
    }

    /// `FROM INFILE ... COMPRESSION 'c'`: files are decompressed by what their names and first
    /// bytes show; a stated codec must agree with that (gzip, zstd, none; `auto`: anything).
    static func check(compression: String, of input: InputSpec) throws {
        let stated: CompressionCodec
        switch compression.lowercased() {
        case "auto", "": return
        case "gzip", "gz": stated = .gzip
        case "zstd", "zst": stated = .zstd
        case "none": stated = .none
        default:
            throw AurumError(.featureNotSupported, "COMPRESSION '\(compression)' is not supported", hint: "use gzip, zstd, none or auto")
        }
        guard input.parsesIntoTargetTypes else {
            if stated == .none { return }
            throw AurumError(.featureNotSupported, "COMPRESSION '\(compression)' applies to CSV, TSV and JSONEachRow files; \(input.format) compresses inside the file")
        }
        for path in input.paths {
            let head = (FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 4) }).map { [UInt8]($0) } ?? []
            let found = CompressionCodec.detect(path: path, prefix: head)
            guard found == stated else {
                throw AurumError(.badCopyFileFormat, "\(path) is \(found == .none ? "not compressed" : "\(found.rawValue)-compressed"), not \(compression)")
            }
        }
    }

    public func describe(function: String, arguments: [Value]) throws -> [SourceColumn] {
        let c = try call(function, arguments)
        if let s = c.structure {
            guard c.input.parsesIntoTargetTypes else {
                throw AurumError(.featureNotSupported, "file(): a structure applies to CSV, TSV and JSONEachRow; Parquet and Delta carry their own types")
            }
            return s
        }
        return try c.input.describe()
    }

    public func open(function: String, arguments: [Value], described all: [SourceColumn], columns selected: [Int]) throws -> BlockSource {
        let c = try call(function, arguments)
        for i in selected where i >= all.count {
            throw AurumError(.internalError, "\(function)(): column \(i) requested, the source has \(all.count)")
        }
        if c.input.parsesIntoTargetTypes {
            // text formats parse whole records; keep the selected columns
            return ProjectedSource(try c.input.open(columns: all, errors: ErrorBudget()), selected)
        }
        return try c.input.open(columns: selected.map { all[$0] }, errors: ErrorBudget())
    }

    /// `'id Int64, name Nullable(String), amount Decimal(18, 2)'` → columns.
    static func parseStructure(_ text: String) throws -> [SourceColumn] {
        var items: [String] = [], depth = 0, current = ""
        for ch in text {
            if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 { items.append(current); current = "" } else { current.append(ch) }
        }
        items.append(current)
        return try items.map { item in
            let t = item.trimmingCharacters(in: .whitespaces)
            guard let space = t.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw AurumError(.syntaxError, "file(): structure item \"\(t)\" needs a name and a type")
            }
            let name = String(t[..<space]).trimmingCharacters(in: CharacterSet(charactersIn: "\"`"))
            return SourceColumn(name: name, type: try parseType(String(t[space...]).trimmingCharacters(in: .whitespaces)))
        }
    }

    static func parseType(_ text: String) throws -> DataType {
        if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            let base = String(text[..<open]).trimmingCharacters(in: .whitespaces)
            let inner = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            switch base.lowercased() {
            case "nullable": return try parseType(inner).nullable
            case "lowcardinality":
                var t = try parseType(inner)
                t.isLowCardinality = t.base == .string
                return t
            default:
                let args = try inner.split(separator: ",").map { a -> Int in
                    guard let n = Int(a.trimmingCharacters(in: .whitespaces)) else {
                        throw AurumError(.syntaxError, "file(): bad type arguments in \(text)")
                    }
                    return n
                }
                return try DataType.named(base, arguments: args)
            }
        }
        return try DataType.named(text)
    }
}

/// Keeps some columns of a source's blocks, in the given order.
final class ProjectedSource: BlockSource {
    let source: BlockSource
    let selected: [Int]
    let columns: [SourceColumn]
    init(_ source: BlockSource, _ selected: [Int]) {
        self.source = source
        self.selected = selected
        columns = selected.map { source.columns[$0] }
    }
    func next() throws -> Block? {
        guard let b = try source.next() else { return nil }
        return Block(columns: selected.map { b.columns[$0] }, count: b.count)
    }
    var bytesRead: Int64 { source.bytesRead }
    var bytesTotal: Int64? { source.bytesTotal }
}
