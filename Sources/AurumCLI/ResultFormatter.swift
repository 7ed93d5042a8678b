import Aurum
import ArgumentParser

/// Output formats of `aurum query`.
public enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// A box-drawn table with right-aligned numbers and a `(n rows)` footer
    /// (the default when stdout is a terminal).
    case table
    /// RFC 4180 CSV with a header line; NULL is an empty field, the empty string is `""`.
    case csv
    /// Tab-separated values with a header line; NULL is `\N`; `\`, tab, newline and CR escaped
    /// (the default when stdout is not a terminal).
    case tsv
    /// One JSON array of objects per result; numbers unquoted, NULL as `null`.
    case json
}

/// The shape a formatter needs from a result. `ResultSet` conforms; tests may use their own.
public protocol TabularResult {
    var columnNames: [String] { get }
    var columnTypes: [DataType] { get }
    var rowCount: Int { get }
    func value(row: Int, column: Int) -> Value
}

extension ResultSet: TabularResult {
    public var columnNames: [String] { columns.map(\.name) }
    public var columnTypes: [DataType] { columns.map(\.type) }
    public var rowCount: Int { count }
    public func value(row: Int, column: Int) -> Value { self[row][column] }
}

/// Renders results as text. Pure functions of their input, so they are tested directly.
public enum ResultFormatter {
    /// Renders `result` in `format`; the text ends with a newline.
    public static func render(_ result: some TabularResult, as format: OutputFormat) -> String {
        var out = ""
        write(result, as: format, to: &out)
        return out
    }

    /// Appends `result` rendered in `format` to `out`.
    public static func write(_ result: some TabularResult, as format: OutputFormat, to out: inout String) {
        switch format {
        case .table: writeTable(result, to: &out)
        case .csv: writeCSV(result, to: &out)
        case .tsv: writeTSV(result, to: &out)
        case .json: writeJSON(result, to: &out)
        }
    }

    // MARK: - Value classification

    /// Whether values of `type` are numbers (right-aligned in tables, unquoted in JSON).
    static func isNumeric(_ type: DataType) -> Bool {
        switch type.base {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64,
             .float32, .float64, .decimal:
            return true
        default:
            return false
        }
    }

    // MARK: - table

    /// Values wider than this are cut with an ellipsis so one long string cannot wreck the layout.
    static let maxCellWidth = 80

    static func tableCell(_ v: Value) -> String {
        if v.isNull { return "NULL" }
        var s = ""
        for ch in v.description.unicodeScalars {
            switch ch {
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default: s.unicodeScalars.append(ch)
            }
        }
        if s.count > maxCellWidth { s = String(s.prefix(maxCellWidth - 1)) + "…" }
        return s
    }

    static func writeTable(_ r: some TabularResult, to out: inout String) {
        let names = r.columnNames.map { tableCell(.string($0)) }
        let numeric = r.columnTypes.map(isNumeric)
        let n = r.rowCount
        var cells: [[String]] = []
        cells.reserveCapacity(n)
        var widths = names.map(\.count)
        for i in 0..<n {
            var row: [String] = []
            row.reserveCapacity(names.count)
            for c in 0..<names.count {
                let text = tableCell(r.value(row: i, column: c))
                widths[c] = max(widths[c], text.count)
                row.append(text)
            }
            cells.append(row)
        }
        func rule(_ left: String, _ mid: String, _ right: String) {
            out += left
            for (c, w) in widths.enumerated() {
                if c > 0 { out += mid }
                out += String(repeating: "─", count: w + 2)
            }
            out += right + "\n"
        }
        func line(_ values: [String], header: Bool) {
            out += "│"
            for (c, v) in values.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - v.count)
                out += " "
                out += (numeric[c] && !header) ? pad + v : v + pad
                out += " │"
            }
            out += "\n"
        }
        if !names.isEmpty {
            rule("┌", "┬", "┐")
            line(names, header: true)
            rule("├", "┼", "┤")
            for row in cells { line(row, header: false) }
            rule("└", "┴", "┘")
        }
        out += n == 1 ? "(1 row)\n" : "(\(n) rows)\n"
    }

    // MARK: - CSV (RFC 4180; records end with LF, as PostgreSQL and ClickHouse write them)

    static func csvField(_ s: String) -> String {
        let needsQuotes = s.isEmpty || s.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }

    static func writeCSV(_ r: some TabularResult, to out: inout String) {
        let columns = r.columnNames.count
        out += r.columnNames.map(csvField).joined(separator: ",") + "\n"
        for i in 0..<r.rowCount {
            for c in 0..<columns {
                if c > 0 { out += "," }
                let v = r.value(row: i, column: c)
                // NULL is an empty unquoted field; the empty string is `""` (PostgreSQL COPY CSV).
                if !v.isNull { out += csvField(v.description) }
            }
            out += "\n"
        }
    }

    // MARK: - TSV (ClickHouse TabSeparated / PostgreSQL COPY text escaping)

    static func tsvField(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func writeTSV(_ r: some TabularResult, to out: inout String) {
        let columns = r.columnNames.count
        out += r.columnNames.map(tsvField).joined(separator: "\t") + "\n"
        for i in 0..<r.rowCount {
            for c in 0..<columns {
                if c > 0 { out += "\t" }
                let v = r.value(row: i, column: c)
                out += v.isNull ? "\\N" : tsvField(v.description)
            }
            out += "\n"
        }
    }

    // MARK: - JSON

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if ch.value < 0x20 || ch.value == 0x2028 || ch.value == 0x2029 {
                    let hex = String(ch.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }

    static func jsonValue(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .uint, .int128, .decimal: return v.description
        case .float(let d):
            // JSON has no NaN or infinities; ClickHouse writes null for them too.
            return d.isFinite ? v.description : "null"
        default: return jsonString(v.description)
        }
    }

    static func writeJSON(_ r: some TabularResult, to out: inout String) {
        let keys = r.columnNames.map(jsonString)
        let n = r.rowCount
        if n == 0 {
            out += "[]\n"
            return
        }
        out += "[\n"
        for i in 0..<n {
            out += "{"
            for c in 0..<keys.count {
                if c > 0 { out += "," }
                out += keys[c] + ":" + jsonValue(r.value(row: i, column: c))
            }
            out += i + 1 < n ? "},\n" : "}\n"
        }
        out += "]\n"
    }
}

extension String {
    /// `replacing(_:with:)` without Foundation.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
