import AurumCore
import AurumStorage
import Foundation

/// RFC 4180 CSV and TSV reading for `INSERT ... FROM INFILE` (the parallel loaders of
/// AurumIngest come later). Fields are parsed into the target column types; `\N` and an
/// unquoted empty field are NULL for nullable columns (an empty field is the default otherwise).
/// With a `...WithNames` format and `names` given, the header's names are matched to `names`
/// (ClickHouse's `input_format_with_names_use_header = 1`): the result's columns are in the file's
/// order, and `order` gives, for each of them, its index in `names`/`types`.
enum CSVReader {
    static func read(path: String, format: String, types: [DataType], names: [String] = []) throws -> (blocks: [Block], order: [Int]) {
        var order = Array(types.indices)
        var types = types
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AurumError(.ioError, "could not open file \"\(path)\" for reading: \(String(cString: strerror(errno)))")
        }
        let f = format.lowercased()
        let tsv = f.hasPrefix("tsv") || f.hasPrefix("tabseparated")
        let header = f.hasSuffix("withnames") || f.hasSuffix("withnamesandtypes")
        guard ["csv", "csvwithnames", "tsv", "tsvwithnames", "tabseparated", "tabseparatedwithnames"].contains(f) else {
            throw AurumError(.featureNotSupported, "format \(format) is not supported by FROM INFILE", hint: "use CSV, CSVWithNames, TSV or TSVWithNames")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
        var blocks: [Block] = []
        var line = 1
        var rowIndex = 0
        var i = 0
        let n = bytes.count
        var fields: [(String, Bool)] = []   // text, quoted
        func flushBlock() {
            let cols = builders.enumerated().map { k, b -> Column in var c = b.finish(); c.type = c.validity != nil ? types[k].nullable : types[k]; return c }
            if let first = cols.first, first.count > 0 { blocks.append(Block(columns: cols, count: first.count)) }
            builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
        }
        while i < n {
            fields.removeAll(keepingCapacity: true)
            let rowLine = line
            // parse one record
            while true {
                var field = [UInt8]()
                var quoted = false
                if !tsv && i < n && bytes[i] == 0x22 {
                    quoted = true
                    i += 1
                    while true {
                        guard i < n else { throw AurumError(.badCopyFileFormat, "\(path):\(rowLine): unterminated quoted field") }
                        let c = bytes[i]
                        if c == 0x22 {
                            if i + 1 < n && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                            i += 1
                            break
                        }
                        if c == 0x0A { line += 1 }
                        field.append(c); i += 1
                    }
                    if i < n && bytes[i] != 0x2C && bytes[i] != 0x0A && bytes[i] != 0x0D {
                        throw AurumError(.badCopyFileFormat, "\(path):\(rowLine): unexpected character after closing quote")
                    }
                } else {
                    let sep: UInt8 = tsv ? 0x09 : 0x2C
                    while i < n && bytes[i] != sep && bytes[i] != 0x0A && !(bytes[i] == 0x0D && i + 1 < n && bytes[i + 1] == 0x0A) {
                        if tsv && bytes[i] == 0x5C && i + 1 < n {
                            let e = bytes[i + 1]
                            switch e {
                            case 0x74: field.append(0x09)
                            case 0x6E: field.append(0x0A)
                            case 0x5C: field.append(0x5C)
                            case 0x4E: field.append(contentsOf: [0x5C, 0x4E])
                            default: field.append(e)
                            }
                            i += 2; continue
                        }
                        field.append(bytes[i]); i += 1
                    }
                }
                fields.append((String(decoding: field, as: UTF8.self), quoted))
                if i < n && (bytes[i] == (tsv ? 0x09 : 0x2C)) { i += 1; continue }
                if i < n && bytes[i] == 0x0D { i += 1 }
                if i < n && bytes[i] == 0x0A { i += 1; line += 1 }
                break
            }
            if rowIndex == 0 && header {
                rowIndex += 1
                if !names.isEmpty {
                    order = try fields.map { f in
                        let name = f.0.trimmingCharacters(in: .whitespaces)
                        guard let k = names.firstIndex(of: name) ?? names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                            throw AurumError(.undefinedColumn, "\(path):\(rowLine): header names column \"\(name)\", which the table does not have")
                        }
                        return k
                    }
                    if Set(order).count != order.count {
                        throw AurumError(.duplicateColumn, "\(path):\(rowLine): the header names a column more than once")
                    }
                    let all = types
                    types = order.map { all[$0] }
                    builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
                }
                continue
            }
            rowIndex += 1
            if fields.count == 1 && fields[0].0.isEmpty && !fields[0].1 && types.count != 1 { continue }  // blank line
            guard fields.count == types.count else {
                throw AurumError(.badCopyFileFormat, "\(path):\(rowLine): expected \(types.count) fields, got \(fields.count)")
            }
            for (k, (text, quoted)) in fields.enumerated() {
                let t = types[k]
                if (!quoted && text == "\\N") || (!quoted && text.isEmpty && t.isNullable) { builders[k].append(.null); continue }
                if !quoted && text.isEmpty && !t.isString {
                    builders[k].append(t.isNullable ? .null : StorageColumn.zeroValue(t)); continue
                }
                do { builders[k].append(try Value.string(text).cast(to: t)) } catch var e as AurumError {
                    e.message = "\(path):\(rowLine): column \(k + 1): \(e.message)"
                    throw e
                }
            }
            if builders[0].count >= 65536 { flushBlock() }
        }
        flushBlock()
        return (blocks, order)
    }
}
