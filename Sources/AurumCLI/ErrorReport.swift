import Aurum

/// Formats errors for a terminal the way psql does:
///
/// ```
/// ERROR 42601: syntax error at or near "FORM"
/// LINE 1: SELECT * FORM t
///                  ^
/// HINT: ...
/// ```
///
/// The first line is always `ERROR <SQLSTATE>: <message>`, so scripts can match the code.
public enum ErrorReport {
    /// Text for `error` (ends with a newline). `sql` is the input the error refers to when the
    /// error does not carry its own statement text.
    public static func render(_ error: any Error, sql: String? = nil) -> String {
        guard let e = error as? AurumError else {
            return "ERROR: \(error)\n"
        }
        var out = "ERROR \(e.code.code): \(e.message)\n"
        if let position = e.position, let text = e.sql ?? sql, let context = caretContext(text, position: position) {
            out += context
        }
        if let detail = e.detail { out += "DETAIL: \(detail)\n" }
        if let hint = e.hint { out += "HINT: \(hint)\n" }
        return out
    }

    /// Widest window of the offending line that is shown around the caret.
    static let window = 72

    /// `LINE n: <text>` and a caret under the 1-based Unicode-scalar `position` of `sql`
    /// (the convention of AurumError and of PostgreSQL). Long lines are cut to a window
    /// around the position with `...` marks. Nil when the position is out of range.
    static func caretContext(_ sql: String, position: Int) -> String? {
        let scalars = Array(sql.unicodeScalars)
        // A position just past the end (an unexpected end of input) points after the last character.
        guard position >= 1, position <= scalars.count + 1 else { return nil }
        let index = position - 1
        var lineStart = index
        while lineStart > 0 && scalars[lineStart - 1] != "\n" { lineStart -= 1 }
        var lineEnd = index
        while lineEnd < scalars.count && scalars[lineEnd] != "\n" { lineEnd += 1 }
        let lineNumber = scalars[0..<lineStart].reduce(1) { $0 + ($1 == "\n" ? 1 : 0) }

        var from = lineStart, to = lineEnd
        var prefix = "", suffix = ""
        if to - from > window {
            from = max(lineStart, index - window / 2)
            to = min(lineEnd, from + window)
            from = max(lineStart, to - window)
            if from > lineStart { prefix = "..." }
            if to < lineEnd { suffix = "..." }
        }
        var text = ""
        for s in scalars[from..<to] { text.unicodeScalars.append(s == "\t" ? " " : s) }
        let label = "LINE \(lineNumber): "
        let caretColumn = label.count + prefix.count + (index - from)
        return label + prefix + text + suffix + "\n" + String(repeating: " ", count: caretColumn) + "^\n"
    }
}
