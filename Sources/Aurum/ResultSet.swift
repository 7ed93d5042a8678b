import AurumEngine

/// A column of a result: its name and Aurum type.
public struct ResultColumn: Sendable, Equatable {
    public var name: String
    public var type: DataType
}

/// The materialised result of one statement.
///
/// Rows are kept column-wise in blocks; `Row` values are decoded on access.
public struct ResultSet: Sendable, RandomAccessCollection {
    public let columns: [ResultColumn]
    /// Command tag as PostgreSQL reports it: `SELECT 3`, `INSERT 0 5`, `CREATE TABLE`, ...
    public let commandTag: String
    /// Rows written by INSERT (0 for other statements).
    public let rowsAffected: Int
    let blocks: [Block]
    let blockStarts: [Int]
    public let count: Int

    init(_ r: StatementResult) {
        columns = zip(r.columnNames, r.columnTypes).map { ResultColumn(name: $0, type: $1) }
        commandTag = r.commandTag
        rowsAffected = r.rowsAffected
        blocks = r.blocks.filter { $0.count > 0 }
        var starts: [Int] = []
        var n = 0
        for b in blocks { starts.append(n); n += b.count }
        blockStarts = starts
        count = n
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Row {
        precondition(position >= 0 && position < count, "row index \(position) out of range 0..<\(count)")
        // binary search the block
        var lo = 0, hi = blockStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if blockStarts[mid] <= position { lo = mid } else { hi = mid - 1 }
        }
        return Row(resultSet: self, block: lo, row: position - blockStarts[lo])
    }

    /// Index of the column named `name` (exact match first, then case-insensitive).
    public func columnIndex(_ name: String) -> Int? {
        if let i = columns.firstIndex(where: { $0.name == name }) { return i }
        let l = name.lowercased()
        return columns.firstIndex(where: { $0.name.lowercased() == l })
    }

    /// All values, row-major (convenient for tests and small results).
    public var rows: [[Value]] { map { $0.values } }
}

/// One row of a `ResultSet`, with typed accessors by column index or name.
public struct Row: Sendable {
    let resultSet: ResultSet
    let block: Int
    let row: Int

    public var count: Int { resultSet.columns.count }

    public subscript(_ column: Int) -> Value {
        resultSet.blocks[block].columns[column].value(at: row)
    }
    public subscript(_ name: String) -> Value {
        guard let i = resultSet.columnIndex(name) else { return .null }
        return self[i]
    }
    public var values: [Value] { (0..<count).map { self[$0] } }

    public func isNull(_ column: Int) -> Bool { self[column].isNull }
    public func int(_ column: Int) -> Int64? { self[column].asInt64 }
    public func int(_ name: String) -> Int64? { self[name].asInt64 }
    public func double(_ column: Int) -> Double? { self[column].asDouble }
    public func double(_ name: String) -> Double? { self[name].asDouble }
    public func bool(_ column: Int) -> Bool? { self[column].asBool }
    public func bool(_ name: String) -> Bool? { self[name].asBool }
    /// Text of the value (`nil` for NULL); works for every type.
    public func string(_ column: Int) -> String? { let v = self[column]; return v.isNull ? nil : v.description }
    public func string(_ name: String) -> String? { let v = self[name]; return v.isNull ? nil : v.description }
    /// Exact decimal text (e.g. "12.50") for decimals, text form for others.
    public func decimalString(_ column: Int) -> String? { string(column) }
}
