import AurumCore

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
