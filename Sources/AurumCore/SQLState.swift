/// A five-character SQLSTATE code (PostgreSQL's error codes), grouped by class.
///
/// The type is an open struct so new codes never break callers. Tests assert codes, not wording.
public struct SQLState: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let code: String
    public init(_ code: String) { self.code = code }
    public init(stringLiteral value: String) { self.code = value }
    public var description: String { code }

    // Class 0A — feature not supported
    public static let featureNotSupported: SQLState = "0A000"
    // Class 08 — connection exception
    public static let protocolViolation: SQLState = "08P01"
    // Class 22 — data exception
    public static let dataException: SQLState = "22000"
    public static let stringDataRightTruncation: SQLState = "22001"
    public static let numericValueOutOfRange: SQLState = "22003"
    public static let invalidDatetimeFormat: SQLState = "22007"
    public static let datetimeFieldOverflow: SQLState = "22008"
    public static let divisionByZero: SQLState = "22012"
    public static let invalidPrecedingOrFollowingSize: SQLState = "22013"
    public static let invalidArgumentForNtile: SQLState = "22014"
    public static let invalidArgumentForNthValue: SQLState = "22016"
    public static let invalidParameterValue: SQLState = "22023"
    public static let invalidTextRepresentation: SQLState = "22P02"
    public static let invalidBinaryRepresentation: SQLState = "22P03"
    public static let characterNotInRepertoire: SQLState = "22021"
    public static let notNullViolation: SQLState = "23502"
    public static let badCopyFileFormat: SQLState = "22P04"
    public static let invalidRegularExpression: SQLState = "2201B"
    public static let nullValueNotAllowed: SQLState = "22004"
    // Class 25 — invalid transaction state
    public static let inFailedTransaction: SQLState = "25P02"
    public static let activeSQLTransaction: SQLState = "25001"
    public static let noActiveSQLTransaction: SQLState = "25P01"
    // Class 26 — invalid SQL statement name (no such prepared statement)
    public static let invalidSQLStatementName: SQLState = "26000"
    // Class 3B — savepoint exception (no such savepoint)
    public static let invalidSavepointSpecification: SQLState = "3B001"
    // Class 34 — invalid cursor name (no such cursor or portal)
    public static let invalidCursorName: SQLState = "34000"
    // Class 28 — invalid authorization
    public static let invalidPassword: SQLState = "28P01"
    // Class 3D — invalid catalog name
    public static let invalidCatalogName: SQLState = "3D000"
    // Class 3F — invalid schema name
    public static let invalidSchemaName: SQLState = "3F000"
    // Class 42 — syntax error or access rule violation
    public static let syntaxError: SQLState = "42601"
    public static let undefinedTable: SQLState = "42P01"
    public static let undefinedColumn: SQLState = "42703"
    public static let undefinedFunction: SQLState = "42883"
    public static let undefinedObject: SQLState = "42704"
    public static let duplicateTable: SQLState = "42P07"
    public static let duplicateColumn: SQLState = "42701"
    public static let duplicateDatabase: SQLState = "42P04"
    public static let duplicateSchema: SQLState = "42P06"
    public static let ambiguousColumn: SQLState = "42702"
    public static let datatypeMismatch: SQLState = "42804"
    public static let groupingError: SQLState = "42803"
    public static let windowingError: SQLState = "42P20"
    public static let undefinedParameter: SQLState = "42P02"
    public static let duplicateCursor: SQLState = "42P03"
    public static let duplicatePreparedStatement: SQLState = "42P05"
    public static let inconsistentParameterTypes: SQLState = "42P08"
    public static let invalidColumnReference: SQLState = "42P10"
    public static let wrongObjectType: SQLState = "42809"
    public static let cannotCoerce: SQLState = "42846"
    public static let cardinalityViolation: SQLState = "21000"
    // Class 53 — insufficient resources
    public static let programLimitExceeded: SQLState = "54000"
    public static let diskFull: SQLState = "53100"
    public static let outOfMemory: SQLState = "53200"
    // Class 55 — object not in prerequisite state
    public static let objectNotInPrerequisiteState: SQLState = "55000"
    // Class 57 — operator intervention
    public static let queryCanceled: SQLState = "57014"
    // Class 58 — system error
    public static let ioError: SQLState = "58030"
    // Class XX — internal error
    public static let internalError: SQLState = "XX000"
    public static let dataCorrupted: SQLState = "XX001"
}
