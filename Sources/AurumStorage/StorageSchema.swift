import AurumCore
import Logging

/// One column of a MergeTree table as storage sees it.
///
/// `codec` empty means the default chain (`CodecStep.defaultCompression`).
/// `defaultValue` fills the column for parts written before it existed (ADD COLUMN);
/// it must already be of `type` (see `Value.cast`). `.null` on a non-nullable type means
/// the type's zero value.
public struct StorageColumn: Sendable, Equatable {
    public var name: String
    public var type: DataType
    public var codec: [CodecStep]
    public var defaultValue: Value

    /// `defaultValue` nil means NULL for Nullable types and zero (empty string) otherwise.
    public init(name: String, type: DataType, codec: [CodecStep] = [], defaultValue: Value? = nil) {
        self.name = name
        self.type = type
        self.codec = codec
        self.defaultValue = defaultValue ?? (type.isNullable ? .null : StorageColumn.zeroValue(type))
    }

    /// The type's zero value (0, "", 1970-01-01, ...).
    public static func zeroValue(_ type: DataType) -> Value {
        if type.base == .nothing { return .null }
        return Value.decode(ColumnData.zeros(type.physical, count: 1), at: 0, type: type.nonNullable)
    }
}

/// How a merge (and `FINAL`) combines rows with equal sort keys.
public enum MergeMode: Sendable, Equatable {
    /// MergeTree: rows are kept as they are.
    case plain
    /// ReplacingMergeTree: per sort key keep the row with the greatest `versionColumn`
    /// (ties and nil: the last inserted row).
    case replacing(versionColumn: Int?)
    /// SummingMergeTree: per sort key, add up `columns` (empty = every numeric non-key
    /// column); other columns take the first row's value. Integer sums wrap (as ClickHouse's).
    case summing(columns: [Int])
}

/// The storage schema of a table: columns, sort key, granularity and merge semantics.
public struct StorageSchema: Sendable, Equatable {
    public var columns: [StorageColumn]
    /// Column indices; rows of a part are ordered lexicographically ascending by these
    /// (NULLs last, NaN after all numbers). May be empty.
    public var sortKey: [Int]
    /// Rows per granule (the unit of marks, min/max and the sparse index).
    public var indexGranularity: Int
    public var mergeMode: MergeMode

    public init(columns: [StorageColumn], sortKey: [Int] = [], indexGranularity: Int = 8192, mergeMode: MergeMode = .plain) {
        self.columns = columns
        self.sortKey = sortKey
        self.indexGranularity = indexGranularity
        self.mergeMode = mergeMode
    }

    public var types: [DataType] { columns.map(\.type) }

    /// Index of the column named `name` (exact match), or nil.
    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// Columns that `.summing` adds up (resolved: empty list = all numeric non-key columns).
    var summedColumns: [Int] {
        guard case .summing(let cols) = mergeMode else { return [] }
        let key = Set(sortKey)
        if cols.isEmpty {
            return columns.indices.filter { !key.contains($0) && columns[$0].type.isNumeric }
        }
        return cols.filter { !key.contains($0) }
    }

    /// Resolved codec chains per column.
    func resolvedCodecs() throws -> [[CodecStep]] {
        try columns.map { try CodecStep.resolve($0.codec, for: $0.type, column: $0.name) }
    }

    /// Checks the schema is usable by storage. Throws 22023/42701.
    func validate() throws {
        var seen = Set<String>()
        for c in columns {
            guard seen.insert(c.name).inserted else {
                throw AurumError(.duplicateColumn, "column \"\(c.name)\" specified more than once")
            }
        }
        guard indexGranularity >= 1, indexGranularity <= 1 << 24 else {
            throw AurumError(.invalidParameterValue, "index_granularity must be between 1 and 16777216, got \(indexGranularity)")
        }
        for k in sortKey where !columns.indices.contains(k) {
            throw AurumError.internalError("sort key column index \(k) out of range")
        }
        switch mergeMode {
        case .plain: break
        case .replacing(let v):
            if let v {
                guard columns.indices.contains(v) else { throw AurumError.internalError("version column index \(v) out of range") }
                let t = columns[v].type
                guard t.isInteger || t.isTemporal || t.isDecimal || t.isFloat else {
                    throw AurumError(.datatypeMismatch, "version column \"\(columns[v].name)\" must be numeric, Date or DateTime, not \(t)")
                }
            }
        case .summing(let cols):
            for c in cols {
                guard columns.indices.contains(c) else { throw AurumError.internalError("summing column index \(c) out of range") }
                guard columns[c].type.isNumeric else {
                    throw AurumError(.datatypeMismatch, "column \"\(columns[c].name)\" of type \(columns[c].type) cannot be summed")
                }
            }
        }
        _ = try resolvedCodecs()
    }
}

/// Rows for one partition, columns in schema order.
public struct PartitionedBlock: Sendable {
    /// "" when the table is unpartitioned. Any string is allowed; storage escapes it for
    /// directory names and keeps the original in the part's metadata.
    public var partitionID: String
    public var block: Block
    public init(partitionID: String = "", block: Block) {
        self.partitionID = partitionID
        self.block = block
    }
}

/// Knobs for a `MergeTreeTable`.
public struct StorageOptions: Sendable {
    /// The background merger merges a partition while it has more parts than this.
    public var maxPartsPerPartition: Int
    /// Run a background merge thread.
    public var backgroundMerges: Bool
    /// fsync files, part directories and the manifest (turn off only for tests/benchmarks).
    public var fsync: Bool
    /// Injects I/O failures or crashes at the Nth write/fsync/rename (tests).
    public var faultInjector: FaultInjector?
    /// At startup, move listed parts that fail verification to `detached/broken_<name>`
    /// instead of refusing to open the table.
    public var detachBrokenParts: Bool
    /// Target uncompressed size of a compressed block (whole granules are never split).
    public var minCompressBlockSize: Int
    /// At most this many parts are merged in one step.
    public var maxPartsToMergeAtOnce: Int

    public init(maxPartsPerPartition: Int = 12, backgroundMerges: Bool = true, fsync: Bool = true,
                faultInjector: FaultInjector? = nil, detachBrokenParts: Bool = false,
                minCompressBlockSize: Int = 64 * 1024, maxPartsToMergeAtOnce: Int = 10) {
        self.maxPartsPerPartition = maxPartsPerPartition
        self.backgroundMerges = backgroundMerges
        self.fsync = fsync
        self.faultInjector = faultInjector
        self.detachBrokenParts = detachBrokenParts
        self.minCompressBlockSize = minCompressBlockSize
        self.maxPartsToMergeAtOnce = maxPartsToMergeAtOnce
    }
}

/// Logger metadata keys used by storage (declared once, see STYLE.md §4).
enum StorageLogKey {
    static let table = "aurum_table"
    static let part = "aurum_part"
}
