import AurumCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses SQL text into statements. Contract (implemented by Parser+*.swift):
/// - `Parser.parse(_ sql: String) throws -> [ParsedStatement]` splits on top-level `;`
///   (ignoring empty statements) and returns each statement with its source text.
/// - Errors are `AurumError` with SQLSTATE 42601 and a 1-based `position`.
public struct ParsedStatement: Sendable {
    public var statement: Statement
    /// The exact text of this statement (without the trailing `;`).
    public var text: String
    public init(statement: Statement, text: String) { self.statement = statement; self.text = text }
}

/// The SQL front door: a hand-written recursive-descent parser over `Lexer` tokens.
///
/// All entry points are pure functions of their input and safe to call from any thread.
/// Errors are `AurumError`: SQLSTATE 42601 (`syntax error at or near "X"` /
/// `syntax error at end of input`) with `position` = the 1-based character offset of the
/// offending token in the whole input; 0A000 for recognised but unsupported syntax; 54001 when
/// nesting exceeds `Parser.maxDepth`. Expression and name positions (`pos`) are offsets into the
/// whole input string too.
public enum Parser {
    /// Maximum nesting (parentheses, subqueries, unary operators, nested types) before the parser
    /// gives up with 54001 instead of risking the thread's stack.
    public static let maxDepth = 1000

    /// Parses every statement in `sql`. Statements are separated by `;` outside strings,
    /// comments and parentheses; empty statements are skipped. `text` of each result is the
    /// statement's source with surrounding whitespace trimmed.
    public static func parse(_ sql: String) throws -> [ParsedStatement] {
        let lexer = Lexer(sql)
        let tokens = try lexer.tokenize()
        let stackLimit = StackGuard.limit()
        var result: [ParsedStatement] = []
        var segmentStart = 0        // token index of the statement's first token
        var textStart = 0           // scalar offset just after the previous `;`
        var depth = 0
        var i = 0
        func finish(upTo end: Int, endToken: Token) throws {
            if end > segmentStart {
                var p = SQLParser(tokens: tokens, source: lexer.source, start: segmentStart, limit: end, endToken: endToken,
                                  stackLimit: stackLimit)
                let statement = try p.parseStatementToEnd()
                let text = SQLParser.trimmedText(lexer.source, from: textStart, to: endToken.start)
                result.append(ParsedStatement(statement: statement, text: text))
            }
        }
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .symbol {
                switch t.text {
                case "(", "[": depth += 1
                case ")", "]": depth = max(0, depth - 1)
                case ";" where depth == 0:
                    try finish(upTo: i, endToken: Token(kind: .end, text: ";", start: t.start, end: t.end))
                    segmentStart = i + 1
                    textStart = t.end
                default: break
                }
            }
            i += 1
        }
        try finish(upTo: tokens.count, endToken: Token(kind: .end, text: "", start: lexer.source.count, end: lexer.source.count))
        return result
    }

    /// Parses a single scalar expression (DEFAULT and PARTITION BY texts stored in metadata).
    public static func parseExpression(_ sql: String) throws -> Expr {
        var p = try SQLParser(whole: sql)
        let e = try p.parseExpr()
        try p.expectEnd()
        return e
    }

    /// Parses a type name such as `Nullable(Decimal(18, 2))` or `timestamp with time zone`.
    public static func parseType(_ sql: String) throws -> TypeName {
        var p = try SQLParser(whole: sql)
        let t = try p.parseType()
        try p.expectEnd()
        return t
    }
}

/// The parser's cursor over one statement's tokens. Grammar methods live in the
/// `Parser+*.swift` extensions, one concern per file.
struct SQLParser {
    let tokens: [Token]
    let source: [Unicode.Scalar]
    var index: Int
    let limit: Int
    let endToken: Token
    var depth = 0
    /// `enter()` fails once the stack pointer goes below this address (see `StackGuard`).
    let stackLimit: UInt

    init(tokens: [Token], source: [Unicode.Scalar], start: Int, limit: Int, endToken: Token, stackLimit: UInt) {
        self.tokens = tokens; self.source = source; self.index = start; self.limit = limit; self.endToken = endToken
        self.stackLimit = stackLimit
    }

    /// A parser over the whole of `sql` (no statement splitting).
    init(whole sql: String) throws {
        let lexer = Lexer(sql)
        let tokens = try lexer.tokenize()
        self.init(tokens: tokens, source: lexer.source, start: 0, limit: tokens.count,
                  endToken: Token(kind: .end, text: "", start: lexer.source.count, end: lexer.source.count),
                  stackLimit: StackGuard.limit())
    }

    static func trimmedText(_ source: [Unicode.Scalar], from: Int, to: Int) -> String {
        var a = from, b = to
        while a < b && source[a].properties.isWhitespace { a += 1 }
        while b > a && source[b - 1].properties.isWhitespace { b -= 1 }
        return String(String.UnicodeScalarView(source[a..<b]))
    }

    // MARK: Token access

    var peek: Token { index < limit ? tokens[index] : endToken }

    func peek(_ k: Int) -> Token {
        let j = index + k
        return j < limit ? tokens[j] : endToken
    }

    var atEnd: Bool { index >= limit }

    @discardableResult
    mutating func advance() -> Token {
        let t = peek
        if index < limit { index += 1 }
        return t
    }

    func isKeyword(_ k: String) -> Bool { peek.isKeyword(k) }
    func isKeyword(_ k: String, at offset: Int) -> Bool { peek(offset).isKeyword(k) }
    func isSymbol(_ s: String) -> Bool { peek.isSymbol(s) }

    mutating func acceptKeyword(_ k: String) -> Bool {
        if peek.isKeyword(k) { index += 1; return true }
        return false
    }

    /// Accepts a sequence of keywords only if all of them are next.
    mutating func acceptKeywords(_ ks: String...) -> Bool {
        for (n, k) in ks.enumerated() where !peek(n).isKeyword(k) { return false }
        index += ks.count
        return true
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if peek.isSymbol(s) { index += 1; return true }
        return false
    }

    @discardableResult
    mutating func expectKeyword(_ k: String) throws -> Token {
        guard peek.isKeyword(k) else { throw unexpected() }
        return advance()
    }

    @discardableResult
    mutating func expectSymbol(_ s: String) throws -> Token {
        guard peek.isSymbol(s) else { throw unexpected() }
        return advance()
    }

    func expectEnd() throws {
        if !atEnd { throw unexpected() }
    }

    // MARK: Errors

    /// `syntax error at or near "X"` for the current token (or `at end of input`).
    func unexpected() -> AurumError { syntaxError(at: peek) }

    func syntaxError(at t: Token) -> AurumError {
        if t.kind == .end && t.text.isEmpty {
            return AurumError.syntax("syntax error at end of input", position: t.position)
        }
        return AurumError.syntax("syntax error at or near \"\(rawText(t))\"", position: t.position)
    }

    func rawText(_ t: Token) -> String {
        if t.kind == .end { return t.text }
        let a = max(0, min(t.start, source.count)), b = max(a, min(t.end, source.count))
        return String(String.UnicodeScalarView(source[a..<b]))
    }

    func notSupported(_ what: String, at t: Token) -> AurumError {
        AurumError(.featureNotSupported, "\(what) is not supported", position: t.position)
    }

    /// Guards recursion: call at every point where the grammar nests, paired with `leave()`.
    mutating func enter() throws {
        depth += 1
        if depth > Parser.maxDepth || StackGuard.currentAddress() < stackLimit {
            throw AurumError(SQLState("54001"), "statement too complex: expressions or subqueries are nested too deeply",
                             kind: .resources, hint: "The limit is \(Parser.maxDepth) levels of nesting, less on threads with small stacks.",
                             position: peek.position)
        }
    }

    mutating func leave() { depth -= 1 }

    // MARK: Names

    /// An identifier (unquoted word that is not reserved in this position, or a quoted one).
    mutating func parseIdentifier(allowReserved: Bool = false) throws -> (String, Bool, Token) {
        let t = peek
        switch t.kind {
        case .word where allowReserved || !Keywords.reserved.contains(t.upper):
            index += 1
            return (t.text, false, t)
        case .quotedIdentifier:
            index += 1
            return (t.text, true, t)
        default:
            throw unexpected()
        }
    }

    mutating func parseName() throws -> String { try parseIdentifier().0 }

    /// `a`, `a.b`, `a.b.c`. After a dot any word is accepted (`t.order`), and so is a reserved
    /// word before a dot (`default.t`: ClickHouse's default database is named `default`).
    mutating func parseQualifiedName(allowReservedFirst: Bool = false) throws -> QualifiedName {
        let dotted = peek(1).isSymbol(".") && (peek(2).kind == .word || peek(2).kind == .quotedIdentifier)
        let (first, q, t) = try parseIdentifier(allowReserved: allowReservedFirst || dotted)
        var parts = [first], quoted = [q]
        while isSymbol("."), peek(1).kind == .word || peek(1).kind == .quotedIdentifier {
            index += 1
            let (p, pq, _) = try parseIdentifier(allowReserved: true)
            parts.append(p); quoted.append(pq)
        }
        return QualifiedName(parts, quoted: quoted, pos: t.position)
    }

    /// `(a, b, c)` list of plain identifiers.
    mutating func parseParenthesizedNames() throws -> [String] {
        try expectSymbol("(")
        var names: [String] = []
        repeat { names.append(try parseName()) } while acceptSymbol(",")
        try expectSymbol(")")
        return names
    }

    /// A string literal token's value.
    mutating func parseStringLiteral() throws -> String {
        guard peek.kind == .string else { throw unexpected() }
        return advance().text
    }
}

/// Protects the recursive descent from overflowing the thread's stack, as PostgreSQL's
/// `check_stack_depth` does: the parser compares the stack pointer with a limit computed once per
/// parse from the current thread's stack bounds minus a safety margin. `Parser.maxDepth` bounds
/// nesting logically; this bounds it physically (frames are much larger in debug builds, and
/// threads other than the main one may have small stacks).
enum StackGuard {
    /// Stack kept free below the limit: room for the deepest step between two checks, for
    /// throwing the error, and for whatever the caller does next.
    static let margin: UInt = 256 * 1024
    /// Budget used when the thread's stack bounds cannot be determined.
    static let fallbackBudget: UInt = 512 * 1024

    /// An address in the current stack frame (an approximation of the stack pointer).
    @inline(never)
    static func currentAddress() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    /// The lowest address the parser may use on this thread (stacks grow downwards).
    static func limit() -> UInt {
        let here = currentAddress()
        if let low = cachedStackLowAddress(), low < here, here - low > margin {
            return low + margin
        }
        return here > fallbackBudget ? here - fallbackBudget : 0
    }

    /// A thread's stack bounds never change, and finding them can be slow (glibc reads
    /// /proc/self/maps for the main thread), so each thread looks them up once and keeps them in
    /// a thread-specific slot. Value 1 records "unknown".
    private static let cacheKey: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()

    private static func cachedStackLowAddress() -> UInt? {
        guard let key = cacheKey else { return stackLowAddress() }
        if let cached = pthread_getspecific(key) {
            let value = UInt(bitPattern: cached)
            return value == 1 ? nil : value
        }
        let low = stackLowAddress()
        _ = pthread_setspecific(key, UnsafeRawPointer(bitPattern: low ?? 1))
        return low
    }

    #if os(Linux)
    private nonisolated(unsafe) static let pthreadGetAttr: UnsafeMutableRawPointer? = dlsym(nil, "pthread_getattr_np")
    #endif

    private static func stackLowAddress() -> UInt? {
        #if os(Linux)
        // pthread_getattr_np is a GNU extension the Glibc module does not export; look it up.
        typealias GetAttr = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
        guard let symbol = pthreadGetAttr else { return nil }
        let getattr = unsafeBitCast(symbol, to: GetAttr.self)
        var attr = pthread_attr_t()
        guard getattr(pthread_self(), &attr) == 0 else { return nil }
        defer { pthread_attr_destroy(&attr) }
        var base: UnsafeMutableRawPointer?
        var size = 0
        guard pthread_attr_getstack(&attr, &base, &size) == 0, let base else { return nil }
        return UInt(bitPattern: base)
        #elseif canImport(Darwin)
        let top = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
        let size = UInt(pthread_get_stacksize_np(pthread_self()))
        return top > size ? top - size : nil
        #else
        return nil
        #endif
    }
}

/// Keyword sets that decide where a word can be an identifier.
enum Keywords {
    /// Words that can never be a column name, function name or bare identifier.
    static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT",
        "EXCEPT", "AND", "OR", "NOT", "AS", "ON", "JOIN", "WHEN", "THEN", "ELSE", "END", "CASE", "IN", "IS",
        "LIKE", "ILIKE", "BETWEEN", "BY", "WITH", "DISTINCT", "ALL", "INTO", "USING", "ASC", "DESC", "NULL",
        "TRUE", "FALSE", "FETCH", "PREWHERE", "WINDOW", "EXISTS",
        "CAST", "CREATE", "DROP", "ALTER", "INSERT", "DELETE", "UPDATE", "TABLE", "UNIQUE", "DEFAULT",
        "PRIMARY", "FOREIGN", "REFERENCES", "CHECK", "CONSTRAINT", "COLLATE",
    ]

    /// Words that end an expression and so cannot be a bare (AS-less) alias.
    static let notAlias: Set<String> = reserved.union([
        "LEFT", "RIGHT", "FULL", "INNER", "OUTER", "CROSS", "NATURAL", "SEMI", "ANTI", "ASOF", "GLOBAL",
        "PASTE", "ARRAY", "FINAL", "SAMPLE", "SETTINGS", "FORMAT", "NULLS", "FILTER", "OVER", "ENGINE",
        "PARTITION", "COMMENT", "CODEC", "TTL", "RETURNING", "LATERAL", "ROWS", "ROW", "ONLY",
        "INFILE", "COMPRESSION", "VALUES", "ISNULL", "NOTNULL",
    ])

    /// Keywords usable without parentheses as zero-argument functions.
    static let niladicFunctions: Set<String> = [
        "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "SESSION_USER",
        "CURRENT_SCHEMA", "CURRENT_CATALOG", "CURRENT_ROLE", "LOCALTIME", "LOCALTIMESTAMP",
    ]
}
