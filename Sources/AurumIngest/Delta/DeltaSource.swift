import AurumCore
import AurumEngine
import Foundation

/// Reads a Delta table snapshot: its live Parquet files in log order (each file's row groups
/// decoded in parallel), with the partition columns filled from the add actions' values, the
/// column mapping applied (physical names in the files, logical names out), and columns
/// missing from older files (schema evolution) read as NULL. A data file that is gone is an
/// error naming it (58030), never a silent gap.
public final class DeltaSource: BlockSource {
    public let snapshot: DeltaSnapshot
    public let columns: [SourceColumn]
    /// Indices into `snapshot.fields` of the columns read, in output order.
    private let selected: [Int]
    private var fileIndex = 0
    private var current: (source: ParquetSource?, file: DeltaSnapshot.DataFile, plan: [FilePlan])?
    private var doneBytes: Int64 = 0
    public let bytesTotal: Int64?

    /// Where an output column comes from in one file.
    enum FilePlan {
        case parquet(Int)             // index among the ParquetSource's columns
        case partition(Value)         // the file's partition value
        case missing                  // not in this (older) file: NULL
    }

    /// `columns`: names (case-insensitive) to read, nil for all, in that order.
    public init(_ snapshot: DeltaSnapshot, columns names: [String]? = nil) throws {
        self.snapshot = snapshot
        if let names {
            selected = try names.map { n in
                guard let i = snapshot.fields.firstIndex(where: { $0.name == n }) ?? snapshot.fields.firstIndex(where: { $0.name.lowercased() == n.lowercased() }) else {
                    throw AurumError(.undefinedColumn, "Delta table \(snapshot.tablePath) has no column \"\(n)\"",
                                     hint: "its columns: \(snapshot.fields.map(\.name).joined(separator: ", "))")
                }
                return i
            }
        } else {
            selected = Array(snapshot.fields.indices)
        }
        columns = selected.map { i in
            let f = snapshot.fields[i]
            // partition columns and columns added later may be NULL in some files
            return SourceColumn(name: f.name, type: f.type.nullable)
        }
        bytesTotal = snapshot.files.reduce(0) { $0 + $1.size }
    }

    public var bytesRead: Int64 { doneBytes + (current?.source?.bytesRead ?? 0) }

    public func next() throws -> Block? {
        while true {
            if current == nil {
                guard fileIndex < snapshot.files.count else { return nil }
                current = try open(snapshot.files[fileIndex])
                fileIndex += 1
            }
            guard let (source, file, plan) = current else { continue }
            if let source, let b = try source.next() {
                return try assemble(b, plan: plan, count: b.count)
            }
            if source == nil, let records = file.records, records > 0 {
                // every selected column is a partition column: rows come from the stats
                current = nil
                doneBytes += file.size
                return try assemble(Block(columns: [], count: Int(records)), plan: plan, count: Int(records))
            }
            doneBytes += file.size
            current = nil
        }
    }

    private func open(_ file: DeltaSnapshot.DataFile) throws -> (ParquetSource?, DeltaSnapshot.DataFile, [FilePlan]) {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw AurumError(.ioError, "Delta table \(snapshot.tablePath): data file \(file.path) is missing (the log at version \(snapshot.version) still references it)",
                             hint: "the files were vacuumed or copied incompletely; load a newer version or repair the table")
        }
        let parquet = try ParquetFile(path: file.path)
        var physical: [String] = []
        var plan: [FilePlan] = []
        for i in selected {
            let f = snapshot.fields[i]
            if snapshot.partitionColumns.contains(f.name) {
                let raw = file.partitionValues[f.name] ?? nil
                let v: Value
                if let raw, !(raw.isEmpty && f.type.base != .string) {
                    do { v = try Value.string(raw).cast(to: f.type.nullable) } catch var e as AurumError {
                        e.message = "Delta table \(snapshot.tablePath): partition value \"\(raw)\" of column \(f.name) in \(file.path): " + e.message
                        throw e
                    }
                } else {
                    v = .null
                }
                plan.append(.partition(v))
            } else if parquet.columnIndex(named: f.physicalName) != nil {
                plan.append(.parquet(physical.count))
                physical.append(f.physicalName)
            } else {
                plan.append(.missing)
            }
        }
        if physical.isEmpty {
            // nothing to read from the file itself; its row count is in the footer
            let n = parquet.numRows
            return (nil, DeltaSnapshot.DataFile(path: file.path, partitionValues: file.partitionValues, size: file.size, records: n), plan)
        }
        return (try ParquetSource(files: [parquet], columns: physical), file, plan)
    }

    private func assemble(_ b: Block, plan: [FilePlan], count: Int) throws -> Block {
        var cols: [Column] = []
        for (k, p) in plan.enumerated() {
            let t = columns[k].type
            switch p {
            case .parquet(let i):
                var c = b.columns[i]
                if c.type.plain != t.plain { c = try Cast.column(c, to: t) }   // e.g. Parquet timestamp(ms) → DateTime64(6)
                cols.append(c)
            case .partition(let v): cols.append(Column.constant(v, type: t, count: count))
            case .missing: cols.append(Column.constant(.null, type: t, count: count))
            }
        }
        return Block(columns: cols, count: count)
    }
}
