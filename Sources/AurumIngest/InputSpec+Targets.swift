import AurumCore
import AurumEngine
import Foundation

extension InputSpec {
    /// Opens a reader that loads into `targets` (a table's columns, or the columns an INSERT
    /// lists), matching by name:
    /// - CSV/TSV/NDJSON parse straight into the targets' types; a header or the JSON keys pick
    ///   the columns, headerless fields are the targets in order. Targets the (first) header
    ///   does not name are not read, so the insert gives them their DEFAULT;
    /// - Parquet and Delta columns keep their own types (the insert casts them) and go to the
    ///   target of the same name, exactly or else ignoring case. A source column without a
    ///   target is an error naming it — or, with `skipUnmatched`, is not read.
    /// Returns the reader and, for each of its columns, the target it loads into.
    public func open(into targets: [SourceColumn], table: String, skipUnmatched: Bool = false,
                     errors: ErrorBudget) throws -> (source: BlockSource, targets: [String]) {
        if parsesIntoTargetTypes {
            var targets = targets
            if format != "ndjson", let path = paths.first, let header = try CSVSource.headerNames(path: path, options: csv), !header.isEmpty {
                // columns the header does not name are left to the insert (their DEFAULT);
                // names that are no target stay, for the reader's error naming them
                let named = Set(header.map { $0.lowercased() })
                targets = targets.filter { named.contains($0.name.lowercased()) }
            }
            let source = try open(columns: targets, errors: errors)
            return (source, source.columns.map(\.name))
        }
        let names = targets.map(\.name)
        var read: [SourceColumn] = []
        var into: [String] = []
        for c in try describe() {
            guard let t = Loader.matchColumn(c.name, in: names) else {
                if skipUnmatched { continue }
                throw AurumError(.undefinedColumn, "the input has a column \"\(c.name)\" that table \(table) does not have",
                                 hint: "table columns: \(names.joined(separator: ", "))")
            }
            read.append(c)
            into.append(t)
        }
        guard !read.isEmpty else {
            throw AurumError(.undefinedColumn, "the input has none of the columns \(names.joined(separator: ", "))")
        }
        return (try open(columns: read, errors: errors), into)
    }
}
