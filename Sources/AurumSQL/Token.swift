/// One lexical token of SQL text, as produced by `Lexer`.
///
/// Offsets count Unicode scalars (PostgreSQL counts characters the same way), so `position`
/// can go straight into `AurumError.position`. Tokens are plain values and `Sendable`.
public struct Token: Sendable, Equatable {
    /// What kind of token this is.
    public enum Kind: Sendable, Equatable {
        /// An unquoted word: a keyword or an identifier (the parser decides from context).
        case word
        /// `"double quoted"` or `` `backtick` `` identifier; `text` is the unescaped name.
        case quotedIdentifier
        /// A string literal (`'...'`, `E'...'`, `$$...$$`); `text` is the unescaped value.
        case string
        /// An integer literal; `text` is the decimal digits (hex literals are converted).
        case integer
        /// A literal with a fraction or exponent; `text` is as written.
        case number
        /// A `$n` parameter; `text` is the digits.
        case parameter
        /// An operator or punctuation: `+ - * / % || = == <> != < <= > >= :: ( ) , . ; [ ]`.
        case symbol
        /// End of the statement (the terminating `;` or the end of the input).
        case end
    }

    public var kind: Kind
    /// Identifier spelling, unescaped string value, number text or operator.
    public var text: String
    /// Uppercased `text` for `.word` tokens (keyword matching); empty otherwise.
    public var upper: String
    /// 0-based offset (in Unicode scalars) of the first character of the token.
    public var start: Int
    /// 0-based offset one past the last character of the token.
    public var end: Int

    public init(kind: Kind, text: String, upper: String = "", start: Int, end: Int) {
        self.kind = kind; self.text = text; self.upper = upper; self.start = start; self.end = end
    }

    /// 1-based character offset of the token (PostgreSQL's error position convention).
    public var position: Int { start + 1 }

    /// True if this is an unquoted word equal (case-insensitively) to `keyword` (given uppercase).
    @inline(__always)
    public func isKeyword(_ keyword: String) -> Bool { kind == .word && upper == keyword }

    /// True if this is the operator or punctuation `symbol`.
    @inline(__always)
    public func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
}
