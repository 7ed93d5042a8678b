import AurumCore
import AurumEngine

/// A byte-level scanner for JSON Lines: each non-blank line is one JSON object whose
/// top-level keys are matched to target columns; values are recorded as byte ranges in a
/// `FieldTable` (one row per object, one field per target column), never materialised.
///
/// - strings: the bytes inside the quotes, `escaped` when they contain a backslash;
/// - numbers, `true`, `false`: their text;
/// - `null`: the null flag; a key that does not appear: the missing flag;
/// - objects and arrays: their JSON text (balanced brackets, strings respected), `nested`.
struct NDJSONScanner: Sendable {
    let names: [[UInt8]]
    let lowered: [[UInt8]]

    init(columns: [SourceColumn]) {
        names = columns.map { Array($0.name.utf8) }
        lowered = columns.map { Array($0.name.lowercased().utf8) }
    }

    struct LineError: Error {
        var reason: String
        var offset: Int
    }

    /// Splits `b` into lines and scans each; bad lines are reported with their line index.
    func scan(_ b: UnsafeBufferPointer<UInt8>) -> (FieldTable, [(line: Int, start: Int, end: Int, reason: String)], lineFeeds: Int) {
        let width = names.count
        let n = b.count
        var table = FieldTable(width: width, expectedRows: max(16, n / 64))
        var errors: [(line: Int, start: Int, end: Int, reason: String)] = []
        var line = 0
        var p = 0
        var scratch: [UInt8] = []
        var hint = 0
        while p < n {
            var e = p
            while e < n && b[e] != 10 { e &+= 1 }
            let lineStart = p
            let lineEnd = e
            p = e < n ? e + 1 : n
            defer { if lineEnd < n { line &+= 1 } }
            // Blank lines (only whitespace) are skipped.
            var i = lineStart
            skipSpace(b, &i, lineEnd)
            if i == lineEnd { continue }
            let fieldsBefore = table.fields.count
            for _ in 0..<width { table.append(0, 0, FieldFlags.missing) }
            do {
                try object(b, &i, lineEnd) { ks, ke, kEscaped, vs, ve, flag in
                    if let c = match(b, ks, ke, kEscaped, &scratch, &hint) {
                        let k = fieldsBefore + c
                        table.fields[k] = TextField(start: Int32(truncatingIfNeeded: vs), end: Int32(truncatingIfNeeded: ve), flags: flag)
                    }
                }
                table.rowCount &+= 1
                table.rowOffsets.append(Int32(truncatingIfNeeded: lineStart))
                table.rowEnds.append(Int32(truncatingIfNeeded: lineEnd))
                table.rowLines.append(Int32(truncatingIfNeeded: line))
            } catch let error as LineError {
                table.truncate(toFields: fieldsBefore)
                var end = lineEnd
                if end > lineStart && b[end - 1] == 13 { end -= 1 }
                errors.append((line, lineStart, end, "invalid JSON at byte \(error.offset - lineStart + 1) of the line: \(error.reason)"))
            } catch {}
        }
        return (table, errors, line)
    }

    @inline(__always) func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) {
        while i < end {
            let c = b[i]
            if c == 32 || c == 9 || c == 13 { i &+= 1 } else { break }
        }
    }

    /// Scans the object at `i` (to the end of the line), calling `member` with each key's and
    /// value's byte range (key inside quotes, whether it has escapes; value as described above).
    @inline(__always)
    func object(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int,
                _ member: (Int, Int, Bool, Int, Int, UInt8) -> Void) throws {
        guard b[i] == 123 else { throw LineError(reason: "a line must hold one JSON object", offset: i) }
        i &+= 1
        skipSpace(b, &i, end)
        if i < end && b[i] == 125 {
            i &+= 1
        } else {
            while true {
                skipSpace(b, &i, end)
                guard i < end, b[i] == 34 else { throw LineError(reason: "expected a key in quotes", offset: i) }
                let (ks, ke, kEscaped) = try string(b, &i, end)
                skipSpace(b, &i, end)
                guard i < end, b[i] == 58 else { throw LineError(reason: "expected ':' after a key", offset: i) }
                i &+= 1
                skipSpace(b, &i, end)
                guard i < end else { throw LineError(reason: "missing value", offset: i) }
                let vs: Int, ve: Int
                var flag: UInt8 = 0
                switch b[i] {
                case 34:
                    let (s, e, esc) = try string(b, &i, end)
                    vs = s; ve = e
                    flag = FieldFlags.quoted | (esc ? FieldFlags.escaped : 0)
                case 123, 91:
                    vs = i
                    try nested(b, &i, end)
                    ve = i
                    flag = FieldFlags.nested
                case 116:
                    guard literal(b, i, end, "true") else { throw LineError(reason: "invalid literal", offset: i) }
                    vs = i; i &+= 4; ve = i
                case 102:
                    guard literal(b, i, end, "false") else { throw LineError(reason: "invalid literal", offset: i) }
                    vs = i; i &+= 5; ve = i
                case 110:
                    guard literal(b, i, end, "null") else { throw LineError(reason: "invalid literal", offset: i) }
                    vs = i; i &+= 4; ve = i
                    flag = FieldFlags.null
                case 45, 48...57:
                    vs = i
                    while i < end {
                        let c = b[i]
                        if (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 { i &+= 1 } else { break }
                    }
                    ve = i
                default:
                    throw LineError(reason: "unexpected character '\(Character(Unicode.Scalar(b[i])))'", offset: i)
                }
                member(ks, ke, kEscaped, vs, ve, flag)
                skipSpace(b, &i, end)
                guard i < end else { throw LineError(reason: "the object is not closed", offset: i) }
                if b[i] == 44 { i &+= 1; continue }
                if b[i] == 125 { i &+= 1; break }
                throw LineError(reason: "expected ',' or '}'", offset: i)
            }
        }
        skipSpace(b, &i, end)
        if i != end { throw LineError(reason: "characters after the object", offset: i) }
    }

    @inline(__always)
    private func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= end else { return false }
        let w = word.utf8Start
        for k in 0..<n where b[i + k] != w[k] { return false }
        if i + n < end {
            let c = b[i + n]
            if (c >= 97 && c <= 122) || (c >= 48 && c <= 57) { return false }
        }
        return true
    }

    /// A string starting at the quote at `i`: returns the range inside the quotes.
    @inline(__always)
    private func string(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) throws -> (Int, Int, Bool) {
        let start = i &+ 1
        var k = start
        var escaped = false
        while k < end {
            let c = b[k]
            if c == 34 {
                i = k &+ 1
                return (start, k, escaped)
            }
            if c == 92 { escaped = true; k &+= 2; continue }
            k &+= 1
        }
        throw LineError(reason: "unterminated string", offset: start - 1)
    }

    /// Skips a balanced object or array starting at `i`.
    private func nested(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) throws {
        var depth = 0
        let start = i
        while i < end {
            let c = b[i]
            if c == 34 {
                _ = try string(b, &i, end)
                continue
            }
            if c == 123 || c == 91 { depth &+= 1 }
            else if c == 125 || c == 93 {
                depth &-= 1
                if depth == 0 { i &+= 1; return }
            }
            i &+= 1
        }
        throw LineError(reason: "unterminated object or array", offset: start)
    }

    /// The target column of a key: exact match first (trying the column after the previous
    /// match first, as keys usually come in the same order), then ASCII case-insensitive.
    @inline(__always)
    private func match(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ escaped: Bool,
                       _ scratch: inout [UInt8], _ hint: inout Int) -> Int? {
        if escaped {
            scratch.removeAll(keepingCapacity: true)
            guard let base = b.baseAddress, EscapeStyle.json.unescape(base + s, e - s, into: &scratch) else { return nil }
            let key = scratch
            return key.withUnsafeBufferPointer { k in matchBytes(k, 0, k.count, &hint) }
        }
        return matchBytes(b, s, e, &hint)
    }

    @inline(__always)
    private func matchBytes(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ hint: inout Int) -> Int? {
        let count = names.count
        let len = e - s
        @inline(__always) func equal(_ name: [UInt8]) -> Bool {
            guard name.count == len else { return false }
            for j in 0..<len where b[s + j] != name[j] { return false }
            return true
        }
        if hint < count && equal(names[hint]) { let c = hint; hint = c + 1; return c }
        for c in 0..<count where equal(names[c]) { hint = c + 1; return c }
        for c in 0..<count where lowered[c].count == len {
            var same = true
            for j in 0..<len {
                var x = b[s + j]
                if x >= 65 && x <= 90 { x |= 0x20 }
                if x != lowered[c][j] { same = false; break }
            }
            if same { hint = c + 1; return c }
        }
        return nil
    }
}
