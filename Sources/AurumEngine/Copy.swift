import AurumCore
import AurumSQL
import AurumStorage
import Foundation
import Synchronization

/// How a COPY statement run by `Session.execute(_:copy:)` exchanges data with its client.
/// The wire server implements it over CopyInResponse/CopyData/CopyDone/CopyFail and
/// CopyOutResponse/CopyData/CopyDone.
public protocol CopyIO: AnyObject, Sendable {
    /// COPY FROM STDIN starts (send CopyInResponse with `columnCount` text columns).
    func beginCopyIn(columnCount: Int) throws
    /// The next chunk of data (any boundaries), or nil at the end of the data (CopyDone).
    /// Throws when the client aborts (CopyFail: 57014), on a protocol error, or when
    /// `wake()` was called for a cancel.
    func readCopyData() throws -> [UInt8]?
    /// COPY TO STDOUT starts (send CopyOutResponse with `columnCount` text columns).
    func beginCopyOut(columnCount: Int) throws
    /// One row of output (a whole line, with its newline).
    func writeCopyRow(_ row: [UInt8]) throws
    /// Appends PostgreSQL's text representation of row `row` of `column` to `out`; returns
    /// false (appending nothing) when the value is NULL.
    func appendText(_ column: Column, row: Int, to out: inout [UInt8]) -> Bool
    /// Unblocks a waiting `readCopyData` (the statement was cancelled or timed out); it then
    /// throws.
    func wake()
}

/// The resolved options of one COPY: defaults applied, characters checked.
struct CopySettings {
    var csv: Bool
    var header: CopyHeader
    var delimiter: UInt8
    var null: [UInt8]
    var quote: UInt8
    var escape: UInt8
    var forceNotNull: [Bool]
    var forceNull: [Bool]
    /// COPY TO: columns quoted even when they need not be.
    var forceQuote: [Bool]

    init(_ o: CopyOptions, columns: [String], isFrom: Bool) throws {
        csv = o.format == .csv
        header = o.header
        func single(_ s: String?, _ what: String, _ def: UInt8) throws -> UInt8 {
            guard let s else { return def }
            let b = Array(s.utf8)
            guard b.count == 1, b[0] < 0x80 else {
                throw AurumError(.featureNotSupported, "COPY \(what) must be a single one-byte character")
            }
            return b[0]
        }
        delimiter = try single(o.delimiter, "delimiter", csv ? UInt8(ascii: ",") : 0x09)
        null = Array((o.null ?? (csv ? "" : "\\N")).utf8)
        if !csv && (o.quote != nil || o.escape != nil) {
            throw AurumError(.featureNotSupported, "COPY \(o.quote != nil ? "quote" : "escape") available only in CSV mode")
        }
        quote = try single(o.quote, "quote", UInt8(ascii: "\""))
        escape = try single(o.escape, "escape", quote)
        if [0x0A, 0x0D].contains(delimiter) || (!csv && delimiter == UInt8(ascii: "\\")) {
            throw AurumError(.invalidParameterValue, "COPY delimiter cannot be newline, carriage return or backslash")
        }
        if csv && delimiter == quote { throw AurumError(.invalidParameterValue, "COPY delimiter and quote must be different") }
        if null.contains(0x0A) || null.contains(0x0D) {
            throw AurumError(.invalidParameterValue, "COPY null representation cannot use newline or carriage return")
        }
        if null.contains(delimiter) {
            throw AurumError(.invalidParameterValue, "COPY delimiter must not appear in the NULL specification")
        }
        if header == .match && !isFrom {
            throw AurumError(.featureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
        }
        if !csv && (!o.forceNotNull.isEmpty || !o.forceNull.isEmpty || o.forceQuote != []) {
            throw AurumError(.featureNotSupported, "COPY force options are available only in CSV mode")
        }
        if isFrom && o.forceQuote != [] { throw AurumError(.featureNotSupported, "COPY force quote only available using COPY TO") }
        if !isFrom && (!o.forceNotNull.isEmpty || !o.forceNull.isEmpty) {
            throw AurumError(.featureNotSupported, "COPY force not null and force null only available using COPY FROM")
        }
        func flags(_ list: [String]?, _ what: String) throws -> [Bool] {
            guard let list else { return columns.map { _ in true } }
            var f = columns.map { _ in false }
            for n in list {
                guard let i = columns.firstIndex(of: n) ?? columns.firstIndex(where: { $0.lowercased() == n.lowercased() }) else {
                    throw AurumError(.invalidColumnReference, "\(what) column \"\(n)\" not referenced by COPY")
                }
                f[i] = true
            }
            return f
        }
        forceNotNull = try flags(o.forceNotNull, "FORCE_NOT_NULL")
        forceNull = try flags(o.forceNull, "FORCE_NULL")
        forceQuote = try flags(o.forceQuote, "FORCE_QUOTE")
        if let e = o.encoding {
            let n = e.uppercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
            guard n == "UTF8" || n == "UNICODE" else {
                throw AurumError(.featureNotSupported, "COPY ENCODING \(e) is not supported: only UTF8 is")
            }
        }
    }
}

/// A running `COPY t FROM STDIN`: takes the data in chunks of any size (rows may span
/// chunks), converts each row into the target columns, writes full batches to storage as
/// they fill, and makes everything visible atomically at `finish()`. After an error or
/// `abort()` nothing is visible and the written parts are removed.
///
/// Not thread-safe: feed it from one thread.
public final class CopyIn {
    let session: Session
    let entry: TableEntry
    let targets: [Int]
    let names: [String]
    let types: [DataType]
    let s: CopySettings
    let ctx: QueryContext?
    /// Rows per storage batch.
    var flushRows = 1 << 18

    private var builders: [ColumnBuilder]
    private var pending: [UInt8] = []
    private var scanPos = 0
    private var tok: DelimitedTokenizer
    private var line = 0
    private var endSeen = false
    private var finished = false
    private var prepared: [MergeTreeTable.PreparedInsert] = []
    private var rows = 0

    init(session: Session, statement c: CopyStatement, ctx: QueryContext?) throws {
        guard case .table(let name, let cols) = c.source, c.isFrom else {
            throw AurumError.internalError("CopyIn needs COPY table FROM STDIN")
        }
        self.session = session
        self.ctx = ctx
        let entry = try session.table(name)
        self.entry = entry
        let def = entry.definition
        let targets = try entry.targetColumns(cols)
        self.targets = targets
        names = targets.map { def.columns[$0].name }
        types = targets.map { def.columns[$0].type }
        s = try CopySettings(c.options, columns: names, isFrom: true)
        tok = DelimitedTokenizer(csv: s.csv, delimiter: s.delimiter, quote: s.quote, escape: s.escape)
        builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
    }

    /// The number of columns each row has.
    public var columnCount: Int { targets.count }

    /// Takes the next chunk of data.
    public func feed(_ bytes: [UInt8]) throws {
        guard !finished else { throw AurumError(.objectNotInPrerequisiteState, "COPY already finished") }
        if endSeen { return }
        do {
            try ctx?.checkCancelled()
            pending.append(contentsOf: bytes)
            try scan(final: false)
        } catch {
            abort()
            throw error
        }
    }

    /// The end of the data: converts the last row, publishes every part, returns the number
    /// of rows copied.
    public func finish() throws -> Int {
        guard !finished else { throw AurumError(.objectNotInPrerequisiteState, "COPY already finished") }
        do {
            try ctx?.checkCancelled()
            try scan(final: true)
            try flush()
            finished = true
            try entry.storage.publish(prepared)
            prepared = []
            return rows
        } catch {
            abort()
            throw error
        }
    }

    /// Drops everything copied so far.
    public func abort() {
        finished = true
        entry.storage.discard(prepared)
        prepared = []
        pending = []
    }

    // MARK: records

    private func scan(final: Bool) throws {
        var start = 0
        var i = scanPos
        let n = pending.count
        try pending.withUnsafeBufferPointer { p in
            while !endSeen, let r = tok.nextRecord(p, start: &start, position: &i) {
                try record(p, r)
            }
            if final && !endSeen && start < n {
                if tok.inQuote {
                    line += 1
                    throw context(AurumError(.badCopyFileFormat, "unterminated CSV quoted field"), p, start..<n, column: nil)
                }
                try record(p, start..<n)
                start = n
                i = n
            }
        }
        if endSeen {
            pending = []
            scanPos = 0
            return
        }
        pending.removeFirst(start)
        scanPos = i - start
    }

    /// One complete record (without its newline).
    private func record(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) throws {
        var r = r
        if r.count > 0 && p[r.upperBound - 1] == 0x0D { r = r.lowerBound..<(r.upperBound - 1) }
        line += 1
        if r.count == 2 && p[r.lowerBound] == UInt8(ascii: "\\") && p[r.lowerBound + 1] == UInt8(ascii: ".") {
            endSeen = true
            return
        }
        guard tok.split(p, r) else {
            throw context(AurumError(.badCopyFileFormat, "unterminated CSV quoted field"), p, r, column: nil)
        }
        if line == 1 && s.header != .none {
            if s.header == .match {
                guard tok.fieldCount == names.count else {
                    throw context(AurumError(.badCopyFileFormat, "wrong number of fields in header line: got \(tok.fieldCount), expected \(names.count)"), p, r, column: nil)
                }
                for k in names.indices {
                    let got = String(decoding: field(k), as: UTF8.self)
                    if isNull(k, p) || got != names[k] {
                        throw context(AurumError(.badCopyFileFormat, "column name mismatch in header line field \(k + 1): got \"\(got)\", expected \"\(names[k])\""), p, r, column: nil)
                    }
                }
            }
            return
        }
        if tok.fieldCount < names.count {
            throw context(AurumError(.badCopyFileFormat, "missing data for column \"\(names[tok.fieldCount])\""), p, r, column: nil)
        }
        if tok.fieldCount > names.count {
            throw context(AurumError(.badCopyFileFormat, "extra data after last expected column"), p, r, column: nil)
        }
        for k in names.indices {
            if isNull(k, p) {
                if !types[k].isNullable {
                    throw context(AurumError(.notNullViolation, "null value in column \"\(names[k])\" of relation \"\(entry.name)\" violates not-null constraint",
                                             hint: "declare the column Nullable(...) or send a value"), p, r, column: k)
                }
                builders[k].append(.null)
                continue
            }
            let bytes = field(k)
            let t = types[k]
            // Fast paths that give what Value.cast gives: plain in-range integers and text
            // for String columns. Everything else (and every error) goes through the cast.
            if t.isInteger, let v = Self.plainInteger(bytes) {
                let (lo, hi) = Value.intRange(t)
                if v >= lo && v <= hi {
                    builders[k].append(t.isUnsignedInteger ? .uint(UInt64(v)) : .int(Int64(v)))
                    continue
                }
            }
            let value: Value
            if let text = String(validating: bytes, as: UTF8.self) {
                if t.base == .string {
                    builders[k].append(.string(text))
                    continue
                }
                value = .string(text)
            } else {
                throw context(AurumError(.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\""), p, r, column: k)
            }
            do {
                builders[k].append(try value.cast(to: types[k]))
            } catch let e as AurumError {
                throw context(e, p, r, column: k)
            }
        }
        rows += 1
        if builders.first.map({ $0.count >= flushRows }) ?? false { try flush() }
    }

    /// An optional sign and 1 to 19 ASCII digits, nothing else.
    static func plainInteger(_ b: ArraySlice<UInt8>) -> Int128? {
        var i = b.startIndex
        var negative = false
        if i < b.endIndex && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < b.endIndex, b.endIndex - i <= 19 else { return nil }
        var v: UInt64 = 0
        while i < b.endIndex {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v &* 10 &+ UInt64(d)
            i += 1
        }
        return negative ? -Int128(v) : Int128(v)
    }

    private func field(_ k: Int) -> ArraySlice<UInt8> { tok.field(k) }

    private func isNull(_ k: Int, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = tok.fieldRaw[k]
        let matches = raw.count == s.null.count && zip(p[raw], s.null).allSatisfy { $0 == $1 }
        if !s.csv { return matches }
        let k2 = k < s.forceNull.count ? k : -1
        if tok.fieldQuoted[k] {
            // A quoted field is a value, unless FORCE_NULL names the column and its content
            // is the null string.
            return k2 >= 0 && s.forceNull[k2] && field(k).elementsEqual(s.null)
        }
        if matches && k2 >= 0 && s.forceNotNull[k2] { return false }
        return matches
    }

    /// Adds PostgreSQL's COPY context to an error: `COPY t, line N, column c: "value"` (or the
    /// whole line when no column is known).
    private func context(_ error: AurumError, _ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, column: Int?) -> AurumError {
        var e = error
        func clip(_ s: String) -> String { s.count > 100 ? String(s.prefix(100)) + "..." : s }
        if let k = column, k < tok.fieldCount {
            let text = isNull(k, p) ? nil : String(decoding: field(k), as: UTF8.self)
            e.context = "COPY \(entry.name), line \(line), column \(names[k]): " + (text.map { "\"\(clip($0))\"" } ?? "null input")
        } else {
            e.context = "COPY \(entry.name), line \(line): \"\(clip(String(decoding: p[r], as: UTF8.self)))\""
        }
        return e
    }

    private func flush() throws {
        guard let count = builders.first?.count, count > 0 else { return }
        let cols = builders.enumerated().map { k, b -> Column in
            var c = b.finish()
            c.type = c.validity != nil ? types[k].nullable : types[k]
            return c
        }
        builders = types.map { ColumnBuilder(type: $0.nullable, capacity: 1024) }
        let (batches, _) = try InsertExecutor(session: session, parameters: []).storageBatches(
            [Block(columns: cols, count: count)], for: entry, columns: targets)
        try ctx?.checkCancelled()
        if !batches.isEmpty { prepared.append(try entry.storage.prepareInsert(batches)) }
    }
}

extension TableEntry {
    /// The indices of the named columns of a load (COPY, bulk insert), in the order named;
    /// every column when nil. 42703 for an unknown name, 42701 for a repeated one.
    func targetColumns(_ names: [String]?) throws -> [Int] {
        guard let names else { return Array(definition.columns.indices) }
        var targets: [Int] = []
        for c in names {
            guard let i = definition.columnIndex(c) else {
                throw AurumError(.undefinedColumn, "column \"\(c)\" of relation \"\(name)\" does not exist")
            }
            if targets.contains(i) { throw AurumError(.duplicateColumn, "column \"\(c)\" specified more than once") }
            targets.append(i)
        }
        return targets
    }
}

/// Formats rows for COPY TO in text or CSV format.
struct CopyOutFormatter {
    let s: CopySettings
    let io: CopyIO
    var line: [UInt8] = []
    var value: [UInt8] = []

    init(settings: CopySettings, io: CopyIO) {
        self.s = settings
        self.io = io
    }

    mutating func header(_ names: [String]) throws {
        line.removeAll(keepingCapacity: true)
        for (k, n) in names.enumerated() {
            if k > 0 { line.append(s.delimiter) }
            value.removeAll(keepingCapacity: true)
            value.append(contentsOf: n.utf8)
            if s.csv { appendCSV(quoteAlways: false) } else { appendText() }
        }
        line.append(0x0A)
        try io.writeCopyRow(line)
    }

    mutating func row(_ columns: ArraySlice<Column>, _ row: Int) throws {
        line.removeAll(keepingCapacity: true)
        for (k, c) in columns.enumerated() {
            if k > 0 { line.append(s.delimiter) }
            value.removeAll(keepingCapacity: true)
            guard io.appendText(c, row: row, to: &value) else {
                line.append(contentsOf: s.null)
                continue
            }
            if s.csv { appendCSV(quoteAlways: k < s.forceQuote.count && s.forceQuote[k]) } else { appendText() }
        }
        line.append(0x0A)
        try io.writeCopyRow(line)
    }

    private mutating func appendText() {
        let d = s.delimiter
        value.withUnsafeBufferPointer { CopyText.appendEscaped($0, delimiter: d, to: &line) }
    }

    private mutating func appendCSV(quoteAlways: Bool) {
        var quote = quoteAlways || value.elementsEqual(s.null) || (value.count == 2 && value[0] == 0x5C && value[1] == UInt8(ascii: "."))
        if !quote {
            for b in value where b == s.delimiter || b == s.quote || b == 0x0A || b == 0x0D { quote = true; break }
        }
        guard quote else { line.append(contentsOf: value); return }
        line.append(s.quote)
        for b in value {
            if b == s.quote || b == s.escape { line.append(s.escape) }
            line.append(b)
        }
        line.append(s.quote)
    }
}

/// COPY's text format (tab-separated fields, `\N` for NULL, backslash escapes, one row per
/// line) for Blocks: what a client sends to `COPY t (cols) FROM STDIN` to load them.
///
/// Values are written in Aurum's own text forms (those of `toString`), which COPY FROM parses
/// back to the same value of the same column type: integers and decimals exact, floats with
/// round-trip digits, Date `YYYY-MM-DD`, DateTime64(p) with all p fractional digits, UUIDs,
/// Bool `true`/`false`, strings as their bytes (tabs, newlines, backslashes escaped).
/// Dispatches on each column's type once per block; no `Value` per row except for floats,
/// decimals and UUIDs, whose formatting goes through their `Value` text.
public enum CopyText {
    /// Appends the rows of `block` to `out`, each ending in a newline.
    public static func append(_ block: Block, to out: inout [UInt8]) {
        let n = block.count
        guard n > 0, !block.columns.isEmpty else { return }
        let texts = block.columns.map { textColumn($0, $0.count) }
        let validity = block.columns.map(\.validity)
        let constant = block.columns.map { $0.count == 1 && n > 1 }
        out.reserveCapacity(out.count + texts.reduce(0) { $0 + $1.bytes.count } + n * (texts.count + 1))
        for r in 0..<n {
            for k in texts.indices {
                if k > 0 { out.append(0x09) }
                let i = constant[k] ? 0 : r
                if let v = validity[k], v[i] == 0 {
                    out.append(0x5C)
                    out.append(UInt8(ascii: "N"))
                    continue
                }
                let lo = Int(texts[k].offsets[i]), hi = Int(texts[k].offsets[i + 1])
                texts[k].bytes.withUnsafeBufferPointer { appendEscaped(UnsafeBufferPointer(rebasing: $0[lo..<hi]), delimiter: 0x09, to: &out) }
            }
            out.append(0x0A)
        }
    }

    /// Appends one field's bytes with COPY text escapes: backslash, the delimiter and the
    /// control characters that would end or split a row.
    @inline(__always)
    static func appendEscaped(_ value: UnsafeBufferPointer<UInt8>, delimiter d: UInt8, to line: inout [UInt8]) {
        if !value.contains(where: { $0 == 0x5C || $0 == d || $0 < 0x0E }) {
            line.append(contentsOf: value)
            return
        }
        for b in value {
            switch b {
            case 0x5C: line.append(0x5C); line.append(0x5C)
            case 0x0A: line.append(0x5C); line.append(UInt8(ascii: "n"))
            case 0x0D: line.append(0x5C); line.append(UInt8(ascii: "r"))
            case 0x09: line.append(0x5C); line.append(UInt8(ascii: "t"))
            case 0x08: line.append(0x5C); line.append(UInt8(ascii: "b"))
            case 0x0C: line.append(0x5C); line.append(UInt8(ascii: "f"))
            case 0x0B: line.append(0x5C); line.append(UInt8(ascii: "v"))
            default:
                if b == d { line.append(0x5C) }
                line.append(b)
            }
        }
    }
}

extension Session {
    /// Starts `COPY t [(cols)] FROM STDIN [WITH ...]` (the embedded way to load rows: feed the
    /// data, then `finish()`). Does not hold the session's statement lock.
    public func beginCopyIn(_ sql: String) throws -> CopyIn {
        let stmts = try Parser.parse(sql)
        guard stmts.count == 1, case .copy(let c) = stmts[0].statement, c.isFrom else {
            throw AurumError(.syntaxError, "beginCopyIn needs one COPY ... FROM STDIN statement")
        }
        return try CopyIn(session: self, statement: c, ctx: nil)
    }

    /// Runs a COPY statement over `io` (called from `executeStatement`).
    func runCopy(_ c: CopyStatement, io: CopyIO?) throws -> StatementResult {
        guard let io else {
            throw AurumError(.featureNotSupported, "COPY \(c.isFrom ? "FROM STDIN" : "TO STDOUT") needs a client that exchanges COPY data",
                             hint: c.isFrom ? "embedded: use Session.beginCopyIn(sql), feed(_:), finish()" : "embedded: run the SELECT instead")
        }
        let ctx = currentContext
        if c.isFrom {
            let copy = try CopyIn(session: self, statement: c, ctx: ctx)
            try io.beginCopyIn(columnCount: copy.columnCount)
            do {
                while let chunk = try io.readCopyData() {
                    try copy.feed(chunk)
                }
            } catch {
                copy.abort()
                if let ctx, ctx.cancelled.load(ordering: .relaxed) { try ctx.checkCancelled() }
                throw error
            }
            let n = try copy.finish()
            return .empty(tag: "COPY \(n)", rowsAffected: n)
        }
        let query: Query
        switch c.source {
        case .query(let q):
            query = q
        case .table(let name, let cols):
            let (db, t) = resolveName(name)
            func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            let list: String
            if let cols {
                list = cols.map(quote).joined(separator: ", ")
            } else {
                let entry = try table(name)
                list = entry.definition.columns.map { quote($0.name) }.joined(separator: ", ")
            }
            let from = name.parts.count >= 2 ? quote(db) + "." + quote(t) : quote(t)
            guard let s = try Parser.parse("SELECT \(list) FROM \(from)").first, case .query(let q) = s.statement else {
                throw AurumError.internalError("COPY TO: could not build the query")
            }
            query = q
        }
        let (plan, names) = try Binder(session: self, parameters: []).bindQuery(query)
        let settings = try CopySettings(c.options, columns: names, isFrom: false)
        let blocks = try run(plan)
        var f = CopyOutFormatter(settings: settings, io: io)
        try io.beginCopyOut(columnCount: names.count)
        if settings.header != .none { try f.header(names) }
        var n = 0
        for b in blocks where b.count > 0 {
            let cols = b.columns.prefix(names.count)
            for r in 0..<b.count {
                try f.row(cols, r)
                n += 1
                if n & 4095 == 0 { try ctx?.checkCancelled() }
            }
        }
        return .empty(tag: "COPY \(n)", rowsAffected: n)
    }
}
