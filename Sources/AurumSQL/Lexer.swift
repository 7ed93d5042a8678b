import AurumCore

/// Splits SQL text into `Token`s with their offsets.
///
/// Dialect decisions:
/// - `'...'` strings follow PostgreSQL's standard-conforming rules: `''` is a quote and a
///   backslash is an ordinary character (so Windows paths and `LIKE 'a\_b'` mean what a PostgreSQL
///   client meant). `E'...'` strings process C-style backslash escapes.
/// - `$$...$$` and `$tag$...$tag$` are dollar-quoted strings; `$1` is a parameter.
/// - `"..."` and `` `...` `` are quoted identifiers (doubling the quote escapes it).
/// - `-- ...` and (nestable) `/* ... */` are comments; `;` is returned as a symbol token so the
///   caller can split statements.
/// - `0x1F` is an integer literal (converted to decimal text).
///
/// Errors are `AurumError` with SQLSTATE 42601 and the 1-based position of the bad token.
/// The lexer is a value with no shared state; it is safe to use from any thread.
public struct Lexer: Sendable {
    /// The input as Unicode scalars (offsets in tokens index this array).
    public let source: [Unicode.Scalar]

    public init(_ sql: String) {
        self.source = Array(sql.unicodeScalars)
    }

    /// Tokenizes the whole input (no `.end` token is appended).
    public static func tokenize(_ sql: String) throws -> [Token] {
        try Lexer(sql).tokenize()
    }

    /// Tokenizes `source`.
    public func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(source.count / 4 + 4)
        let s = source
        let n = s.count
        var i = 0
        while i < n {
            let c = s[i]
            let v = c.value
            // Whitespace.
            if v == 0x20 || v == 0x0A || v == 0x09 || v == 0x0D || v == 0x0C || v == 0x0B
                || (v > 0x7F && c.properties.isWhitespace) {
                i += 1
                continue
            }
            // Comments.
            if c == "-" && i + 1 < n && s[i + 1] == "-" {
                i += 2
                while i < n && s[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && i + 1 < n && s[i + 1] == "*" {
                let start = i
                var depth = 1
                i += 2
                while i < n && depth > 0 {
                    if s[i] == "*" && i + 1 < n && s[i + 1] == "/" {
                        depth -= 1; i += 2
                    } else if s[i] == "/" && i + 1 < n && s[i + 1] == "*" {
                        depth += 1; i += 2
                    } else {
                        i += 1
                    }
                }
                if depth > 0 {
                    throw lexError("unterminated /* comment", start)
                }
                continue
            }
            let start = i
            // E'...' escape strings.
            if (c == "E" || c == "e") && i + 1 < n && s[i + 1] == "'" {
                let (text, next) = try scanEscapeString(from: i + 1, tokenStart: start)
                tokens.append(Token(kind: .string, text: text, start: start, end: next))
                i = next
                continue
            }
            if Lexer.isIdentifierStart(c) {
                i += 1
                while i < n && Lexer.isIdentifierPart(s[i]) { i += 1 }
                let text = String(String.UnicodeScalarView(s[start..<i]))
                tokens.append(Token(kind: .word, text: text, upper: text.uppercased(), start: start, end: i))
                continue
            }
            if Lexer.isDigit(c) || (c == "." && i + 1 < n && Lexer.isDigit(s[i + 1]) && !Lexer.endsOperand(tokens.last)) {
                let tok = try scanNumber(from: i)
                tokens.append(tok)
                i = tok.end
                continue
            }
            switch c {
            case "'":
                let (text, next) = try scanQuoted(from: i, quote: "'", what: "unterminated quoted string")
                tokens.append(Token(kind: .string, text: text, start: start, end: next))
                i = next
            case "\"", "`":
                let (text, next) = try scanQuoted(from: i, quote: c, what: "unterminated quoted identifier")
                if text.isEmpty {
                    throw lexError("zero-length delimited identifier", start, end: next)
                }
                tokens.append(Token(kind: .quotedIdentifier, text: text, start: start, end: next))
                i = next
            case "$":
                if i + 1 < n && Lexer.isDigit(s[i + 1]) {
                    i += 1
                    while i < n && Lexer.isDigit(s[i]) { i += 1 }
                    let digits = String(String.UnicodeScalarView(s[(start + 1)..<i]))
                    tokens.append(Token(kind: .parameter, text: digits, start: start, end: i))
                } else {
                    let (text, next) = try scanDollarQuoted(from: i)
                    tokens.append(Token(kind: .string, text: text, start: start, end: next))
                    i = next
                }
            default:
                let sym = scanSymbol(at: i)
                guard let sym else { throw lexError("syntax error", start, end: start + 1) }
                i += sym.count
                tokens.append(Token(kind: .symbol, text: sym, start: start, end: i))
            }
        }
        return tokens
    }

    // MARK: Character classes

    @inline(__always)
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    @inline(__always)
    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 {
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || v == 0x5F
        }
        return c.properties.isAlphabetic
    }

    @inline(__always)
    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == "$"
    }

    /// Whether the previous token ends an operand, in which case `.5` after it is not a number
    /// (`t.5` is a member access, not `t` followed by `0.5`).
    static func endsOperand(_ t: Token?) -> Bool {
        guard let t else { return false }
        switch t.kind {
        case .word, .quotedIdentifier: return true
        case .symbol: return t.text == ")" || t.text == "]"
        default: return false
        }
    }

    // MARK: Scanners

    func scanNumber(from begin: Int) throws -> Token {
        let s = source, n = s.count
        var i = begin
        // Hexadecimal 0x...
        if s[i] == "0" && i + 2 < n && (s[i + 1] == "x" || s[i + 1] == "X") && s[i + 2].properties.isASCIIHexDigit {
            i += 2
            var value: UInt64 = 0
            var overflow = false
            while i < n && s[i].properties.isASCIIHexDigit {
                let d = UInt64(hexValue(s[i]))
                let (m, o1) = value.multipliedReportingOverflow(by: 16)
                let (a, o2) = m.addingReportingOverflow(d)
                overflow = overflow || o1 || o2
                value = a
                i += 1
            }
            if overflow { throw lexError("hexadecimal literal out of range", begin, end: i) }
            return Token(kind: .integer, text: String(value), start: begin, end: i)
        }
        var isInteger = true
        while i < n && Lexer.isDigit(s[i]) { i += 1 }
        if i < n && s[i] == "." && !(i + 1 < n && s[i + 1] == ".") {
            isInteger = false
            i += 1
            while i < n && Lexer.isDigit(s[i]) { i += 1 }
        }
        if i < n && (s[i] == "e" || s[i] == "E") {
            var j = i + 1
            if j < n && (s[j] == "+" || s[j] == "-") { j += 1 }
            if j < n && Lexer.isDigit(s[j]) {
                isInteger = false
                i = j
                while i < n && Lexer.isDigit(s[i]) { i += 1 }
            }
        }
        let text = String(String.UnicodeScalarView(s[begin..<i]))
        return Token(kind: isInteger ? .integer : .number, text: text, start: begin, end: i)
    }

    func hexValue(_ c: Unicode.Scalar) -> UInt32 {
        let v = c.value
        if v >= 0x30 && v <= 0x39 { return v - 0x30 }
        if v >= 0x61 && v <= 0x66 { return v - 0x61 + 10 }
        if v >= 0x41 && v <= 0x46 { return v - 0x41 + 10 }
        return 0
    }

    /// Scans `quote ... quote` where a doubled quote stands for one. Returns text and next index.
    func scanQuoted(from begin: Int, quote: Unicode.Scalar, what: String) throws -> (String, Int) {
        let s = source, n = s.count
        var i = begin + 1
        var out = String.UnicodeScalarView()
        var runStart = i
        while i < n {
            if s[i] == quote {
                out.append(contentsOf: s[runStart..<i])
                if i + 1 < n && s[i + 1] == quote {
                    out.append(quote)
                    i += 2
                    runStart = i
                    continue
                }
                return (String(out), i + 1)
            }
            i += 1
        }
        throw lexError(what, begin, end: n)
    }

    /// Scans `'...'` after an `E` prefix, processing backslash escapes.
    func scanEscapeString(from begin: Int, tokenStart: Int) throws -> (String, Int) {
        let s = source, n = s.count
        var i = begin + 1
        var out = String.UnicodeScalarView()
        while i < n {
            let c = s[i]
            if c == "'" {
                if i + 1 < n && s[i + 1] == "'" { out.append("'"); i += 2; continue }
                return (String(out), i + 1)
            }
            if c == "\\" && i + 1 < n {
                let e = s[i + 1]
                i += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "0"..."7":
                    var v = e.value - 0x30
                    var k = 0
                    while k < 2 && i < n && s[i].value >= 0x30 && s[i].value <= 0x37 {
                        v = v * 8 + (s[i].value - 0x30); i += 1; k += 1
                    }
                    out.append(Unicode.Scalar(v) ?? "?")
                case "x", "u", "U":
                    let maxDigits = e == "x" ? 2 : (e == "u" ? 4 : 8)
                    var v: UInt32 = 0
                    var k = 0
                    while k < maxDigits && i < n && s[i].properties.isASCIIHexDigit {
                        v = v * 16 + hexValue(s[i]); i += 1; k += 1
                    }
                    guard k > 0, let scalar = Unicode.Scalar(v) else {
                        throw lexError("invalid escape sequence in string literal", tokenStart, end: i)
                    }
                    out.append(scalar)
                default: out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        throw lexError("unterminated quoted string", tokenStart, end: n)
    }

    /// Scans `$tag$ ... $tag$` (tag may be empty).
    func scanDollarQuoted(from begin: Int) throws -> (String, Int) {
        let s = source, n = s.count
        var i = begin + 1
        while i < n && s[i] != "$" {
            guard Lexer.isIdentifierPart(s[i]) else { throw lexError("syntax error", begin, end: begin + 1) }
            i += 1
        }
        guard i < n else { throw lexError("syntax error", begin, end: begin + 1) }
        let tag = Array(s[begin...i])
        let bodyStart = i + 1
        var j = bodyStart
        while j + tag.count <= n {
            if s[j] == "$" && Array(s[j..<(j + tag.count)]) == tag {
                return (String(String.UnicodeScalarView(s[bodyStart..<j])), j + tag.count)
            }
            j += 1
        }
        throw lexError("unterminated dollar-quoted string", begin, end: n)
    }

    func scanSymbol(at i: Int) -> String? {
        let s = source, n = s.count
        let c = s[i]
        let next: Unicode.Scalar? = i + 1 < n ? s[i + 1] : nil
        switch c {
        case ":": return next == ":" ? "::" : nil
        case "|": return next == "|" ? "||" : nil
        case "<":
            if next == "=" { return "<=" }
            if next == ">" { return "<>" }
            return "<"
        case ">": return next == "=" ? ">=" : ">"
        case "=": return next == "=" ? "==" : "="
        case "!":
            if next == "=" { return "!=" }
            if next == "~" { return i + 2 < n && s[i + 2] == "*" ? "!~*" : "!~" }
            return nil
        case "~": return next == "*" ? "~*" : "~"
        case "&": return next == "&" ? nil : "&"
        case "+", "-", "*", "/", "%", "(", ")", ",", ".", ";", "[", "]": return String(c)
        default: return nil
        }
    }

    /// `message at or near "<text>"` with the 1-based position of `start`.
    func lexError(_ message: String, _ start: Int, end: Int? = nil) -> AurumError {
        let stop = min(end ?? min(start + 20, source.count), source.count)
        let near = String(String.UnicodeScalarView(source[start..<max(start, stop)]))
        return AurumError.syntax("\(message) at or near \"\(near)\"", position: start + 1)
    }
}
