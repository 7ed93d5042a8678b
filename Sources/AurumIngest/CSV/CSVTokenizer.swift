import AurumCore

/// The byte-level rules of one `CSVOptions`, shared by the sequential boundary scan and the
/// parallel chunk tokenizer so both agree on where records end.
///
/// A quote opens a quoted field only at the start of a field (after optional spaces when
/// trimming); elsewhere it is an ordinary byte. Inside quotes, line feeds and delimiters are
/// data; the field ends at a quote that is not doubled (`.doubledQuote`) or escaped
/// (`.backslash`). A record ends at a line feed outside quotes that is not escaped; a CR
/// before it is dropped (CRLF files). Blank lines are skipped.
struct CSVDialect: Sendable {
    let delimiter: UInt8
    let quote: UInt8
    let hasQuote: Bool
    let doubled: Bool
    let backslash: Bool
    let trim: Bool
    let emptyIsNull: Bool
    let emptyQuotedIsNull: Bool
    let nullMarkers: [[UInt8]]
    let escape: EscapeStyle
    /// 1 for the bytes that can end or change a field: delimiter, line feed, quote, backslash.
    let special: [UInt8]

    init(_ o: CSVOptions) {
        var special = [UInt8](repeating: 0, count: 256)
        special[Int(o.delimiter)] = 1
        special[10] = 1
        if let q = o.quote { special[Int(q)] = 1 }
        if o.escape == .backslash { special[92] = 1 }
        self.special = special
        delimiter = o.delimiter
        quote = o.quote ?? 0
        hasQuote = o.quote != nil
        doubled = o.escape == .doubledQuote
        backslash = o.escape == .backslash
        trim = o.trimSpaces
        emptyIsNull = o.emptyIsNull
        emptyQuotedIsNull = !o.emptyQuotedIsEmptyString
        nullMarkers = o.nullMarkers.map { Array($0.utf8) }.filter { !$0.isEmpty }
        switch o.escape {
        case .backslash: escape = .backslash(sequences: o.backslashSequences)
        case .doubledQuote: escape = .doubledQuote(o.quote ?? 34)
        case .none: escape = .doubledQuote(0)  // never marked escaped
        }
    }

    // MARK: boundary scan (sequential)

    struct ScanState {
        /// 0 field start, 1 unquoted field, 2 inside quotes, 3 just after a quote inside quotes.
        var state: UInt8 = 0
        var escaped = false
        var escapeReturn: UInt8 = 1
    }

    /// Offset just past the last record-ending line feed in `p[from...]`, updating `s`.
    func scan(_ p: UnsafeBufferPointer<UInt8>, from: Int, state s: inout ScanState, firstOnly: Bool = false) -> Int? {
        var last: Int? = nil
        var state = s.state
        var escaped = s.escaped
        var escapeReturn = s.escapeReturn
        let n = p.count
        var i = from
        let delim = delimiter, q = quote, hasQuote = hasQuote, bs = backslash, doubled = doubled, trim = trim
        return special.withUnsafeBufferPointer { special in
        while i < n {
            if !escaped && (state == 1 || state == 2) {
                // Inside a field only the special bytes can change the state: skip the rest.
                while i < n && special[Int(p[i])] == 0 { i &+= 1 }
                if i >= n { break }
            }
            let c = p[i]
            if escaped {
                escaped = false
                state = escapeReturn
                i &+= 1
                continue
            }
            switch state {
            case 2:
                if c == q { state = doubled ? 3 : 1 } else if bs && c == 92 { escaped = true; escapeReturn = 2 }
            case 3:
                if c == q { state = 2 } else if c == 10 { state = 0; last = i &+ 1 } else if c == delim { state = 0 } else { state = 1 }
            default:
                if c == 10 { state = 0; last = i &+ 1 }
                else if c == delim { state = 0 }
                else if hasQuote && c == q && state == 0 { state = 2 }
                else if bs && c == 92 { escaped = true; escapeReturn = 1 }
                else if state == 0 && trim && (c == 32 || c == 9) {}
                else { state = 1 }
            }
            i &+= 1
            if firstOnly && last != nil { break }
        }
        s.state = state
        s.escaped = escaped
        s.escapeReturn = escapeReturn
        return last
        }
    }

    // MARK: tokenizer (per chunk, parallel)

    /// A record the tokenizer could not split into fields.
    struct RecordError {
        var line: Int
        var start: Int
        var end: Int
        var reason: String
        var code: SQLState
    }

    /// Splits `b` (whole records) into fields. Records whose field count is not `width` (when
    /// `exact`) or that are malformed are reported and left out of the table. Without
    /// `exact` (headers, sampling one record) every field is kept and `fieldCounts` says how
    /// many each record had; the table is then not rectangular.
    func tokenize(_ b: UnsafeBufferPointer<UInt8>, width: Int, exact: Bool,
                  maxRecords: Int = .max) -> (FieldTable, [RecordError], lineFeeds: Int, consumed: Int) {
        let n = b.count
        var table = FieldTable(width: width, expectedRows: exact ? max(16, n / max(1, width * 8)) : 1)
        var errors: [RecordError] = []
        var lf = 0
        var p = 0
        var records = 0
        let delim = delimiter, q = quote, hasQuote = hasQuote, bs = backslash, doubled = doubled, trim = trim
        let markerLengths = Set(nullMarkers.map(\.count))
        while p < n && records < maxRecords {
            let c0 = b[p]
            if c0 == 10 { lf &+= 1; p &+= 1; continue }
            if c0 == 13 && (p + 1 == n || b[p + 1] == 10) { p &+= 1; continue }
            let recordStart = p, recordLine = lf
            let fieldsBefore = table.fields.count
            var k = 0
            var error: (String, SQLState)? = nil
            while true {
                if trim { while p < n && (b[p] == 32 || b[p] == 9) { p &+= 1 } }
                var s = p, e = p
                var flag: UInt8 = 0
                if hasQuote && p < n && b[p] == q {
                    p &+= 1
                    s = p
                    flag = FieldFlags.quoted
                    var closed = false
                    while p < n {
                        let c = b[p]
                        if c == q {
                            if doubled && p + 1 < n && b[p + 1] == q { flag |= FieldFlags.escaped; p &+= 2; continue }
                            closed = true
                            break
                        }
                        if bs && c == 92 {
                            flag |= FieldFlags.escaped
                            if p + 1 < n && b[p + 1] == 10 { lf &+= 1 }
                            p &+= 2
                            continue
                        }
                        if c == 10 { lf &+= 1 }
                        p &+= 1
                    }
                    if !closed {
                        p = n
                        error = ("unterminated quoted field (the file ends inside quotes)", .badCopyFileFormat)
                        break
                    }
                    e = p
                    p &+= 1
                    if trim { while p < n && (b[p] == 32 || b[p] == 9) { p &+= 1 } }
                    if p < n && b[p] != delim && b[p] != 10 && !(b[p] == 13 && (p + 1 == n || b[p + 1] == 10)) {
                        if error == nil { error = ("unexpected character after the closing quote of field \(k + 1)", .badCopyFileFormat) }
                        while p < n && b[p] != delim && b[p] != 10 {
                            if bs && b[p] == 92 { if p + 1 < n && b[p + 1] == 10 { lf &+= 1 }; p &+= 2 } else { p &+= 1 }
                        }
                        if p > n { p = n }
                    }
                    if e == s && emptyQuotedIsNull { flag |= FieldFlags.null }
                } else {
                    while p < n {
                        let c = b[p]
                        if c == delim || c == 10 { break }
                        if bs && c == 92 {
                            flag |= FieldFlags.escaped
                            if p + 1 < n && b[p + 1] == 10 { lf &+= 1 }
                            p &+= 2
                            continue
                        }
                        p &+= 1
                    }
                    if p > n { p = n }
                    e = p
                    if e > s && b[e - 1] == 13 && (p == n || b[p] == 10) { e &-= 1 }
                    if trim { while e > s && (b[e - 1] == 32 || b[e - 1] == 9) { e &-= 1 } }
                    if e == s {
                        if emptyIsNull { flag |= FieldFlags.null }
                    } else if !markerLengths.isEmpty && markerLengths.contains(e - s) {
                        for m in nullMarkers where m.count == e - s {
                            var same = true
                            for j in 0..<m.count where b[s + j] != m[j] { same = false; break }
                            if same { flag |= FieldFlags.null; break }
                        }
                    }
                }
                if k < width || !exact { table.append(s, e, flag) }
                k &+= 1
                if p < n && b[p] == delim { p &+= 1; continue }
                if p < n && b[p] == 13 { p &+= 1 }
                if p < n && b[p] == 10 { lf &+= 1; p &+= 1 }
                break
            }
            records &+= 1
            if error == nil && exact && k != width {
                error = ("expected \(width) fields, found \(k)", .badCopyFileFormat)
            }
            if let error {
                table.truncate(toFields: fieldsBefore)
                var end = p
                while end > recordStart && (b[end - 1] == 10 || b[end - 1] == 13) { end -= 1 }
                errors.append(RecordError(line: recordLine, start: recordStart, end: end, reason: error.0, code: error.1))
            } else {
                table.rowCount &+= 1
                table.rowOffsets.append(Int32(truncatingIfNeeded: recordStart))
                table.rowEnds.append(Int32(truncatingIfNeeded: p))
                table.rowLines.append(Int32(truncatingIfNeeded: recordLine))
                if !exact { table.fieldCounts.append(k) }
            }
        }
        return (table, errors, lf, p)
    }
}
