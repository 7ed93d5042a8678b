import AurumCore
import AurumStorage
import Foundation

/// RFC 4180 CSV and TSV reading for `INSERT ... FROM INFILE` (the parallel loaders of
/// AurumIngest come later); records and fields are split by `DelimitedTokenizer`, as for
/// COPY. Fields are parsed into the target column types; `\N` and an unquoted empty field
/// are NULL for nullable columns (an empty field is the default otherwise).
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
        let n = bytes.count
        var fields: [(String, Bool)] = []   // text, quoted (`\N` unquoted: NULL)
        var tok = DelimitedTokenizer(csv: !tsv, delimiter: tsv ? 0x09 : 0x2C)
        func flushBlock() {
            let cols = builders.enumerated().map { k, b -> Column in var c = b.finish(); c.type = c.validity != nil ? types[k].nullable : types[k]; return c }
            if let first = cols.first, first.count > 0 { blocks.append(Block(columns: cols, count: first.count)) }
            builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
        }
        /// One record (lines end with LF or CRLF; CSV quoted fields may hold newlines).
        func record(_ p: UnsafeBufferPointer<UInt8>, _ whole: Range<Int>) throws {
            var r = whole
            if r.count > 0 && p[r.upperBound - 1] == 0x0D { r = r.lowerBound..<(r.upperBound - 1) }
            let rowLine = line
            line += 1
            guard tok.split(p, r) else { throw AurumError(.badCopyFileFormat, "\(path):\(rowLine): unterminated quoted field") }
            fields.removeAll(keepingCapacity: true)
            for k in 0..<tok.fieldCount {
                let raw = tok.fieldRaw[k]
                let nullMarker = raw.count == 2 && p[raw.lowerBound] == 0x5C && p[raw.lowerBound + 1] == UInt8(ascii: "N")
                fields.append((nullMarker ? "\\N" : String(decoding: tok.field(k), as: UTF8.self), tok.fieldQuoted[k]))
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
                return
            }
            rowIndex += 1
            if fields.count == 1 && fields[0].0.isEmpty && !fields[0].1 && types.count != 1 { return }  // blank line
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
        try bytes.withUnsafeBufferPointer { p in
            var start = 0, position = 0
            while let r = tok.nextRecord(p, start: &start, position: &position) { try record(p, r) }
            if start < n {
                if tok.inQuote { throw AurumError(.badCopyFileFormat, "\(path):\(line): unterminated quoted field") }
                try record(p, start..<n)
            }
        }
        flushBlock()
        return (blocks, order)
    }
}
