/// The one error type Aurum throws across module boundaries.
///
/// `code` is what clients and tests should branch on; `message` is for humans.
/// `position` is a 1-based character offset into `sql` (PostgreSQL convention) when the
/// error can be tied to a place in the statement (syntax and binder errors).
public struct AurumError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Which layer raised the error (DataFusion-style); internal errors are bugs.
    public enum Kind: String, Sendable {
        case syntax, bind, plan, execution, io, resources, notImplemented, internalError, data
    }

    public var code: SQLState
    public var kind: Kind
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character offset into the statement text, if known.
    public var position: Int?
    /// The statement text this error refers to, if known.
    public var sql: String?
    /// Where the error happened, as PostgreSQL's CONTEXT (e.g. `COPY t, line 3, column b: "x"`).
    public var context: String?

    public init(
        _ code: SQLState, _ message: String, kind: Kind? = nil,
        detail: String? = nil, hint: String? = nil, position: Int? = nil, sql: String? = nil
    ) {
        self.code = code
        self.message = message
        self.kind = kind ?? AurumError.defaultKind(for: code)
        self.detail = detail
        self.hint = hint
        self.position = position
        self.sql = sql
    }

    static func defaultKind(for code: SQLState) -> Kind {
        switch code.code.prefix(2) {
        case "42": return code == .syntaxError ? .syntax : .bind
        case "22", "23": return .data
        case "53": return .resources
        case "0A": return .notImplemented
        case "58": return .io
        case "XX": return .internalError
        default: return .execution
        }
    }

    public var description: String {
        var s = "ERROR \(code): \(message)"
        if let position { s += " (at position \(position))" }
        if let detail { s += "\nDETAIL: \(detail)" }
        if let hint { s += "\nHINT: \(hint)" }
        if let context { s += "\nCONTEXT: \(context)" }
        return s
    }

    // Convenience constructors for the common cases.
    public static func syntax(_ message: String, position: Int? = nil) -> AurumError {
        AurumError(.syntaxError, message, kind: .syntax, position: position)
    }
    public static func notSupported(_ message: String) -> AurumError {
        AurumError(.featureNotSupported, message, kind: .notImplemented)
    }
    /// An internal error is a bug in Aurum: say so.
    public static func internalError(_ message: String) -> AurumError {
        AurumError(.internalError, "internal error: \(message) (this is a bug in Aurum; please report it)", kind: .internalError)
    }
    public static func io(_ message: String) -> AurumError {
        AurumError(.ioError, message, kind: .io)
    }
    public static func corrupted(_ message: String) -> AurumError {
        AurumError(.dataCorrupted, message, kind: .io)
    }
}
