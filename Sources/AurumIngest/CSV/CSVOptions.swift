import AurumCore

/// How a delimited text file (CSV, TSV, warehouse unloads) is written. Start from a preset
/// (`.rfc4180`, `.tsv`, `.snowflake`, `.spark`, `.bigquery`) and change what differs.
///
/// Values are parsed as ISO text whatever the preset: dates `YYYY-MM-DD`; timestamps
/// `YYYY-MM-DD HH:MM[:SS[.fffffffff]]` with a space or `T`, and an optional `Z`, `UTC`,
/// `±HH`, `±HH:MM` or `±HHMM` offset, converted to UTC. See docs/ingest-text.md.
public struct CSVOptions: Sendable, Equatable {
    /// How a quote (or delimiter, line feed) inside a value is written.
    public enum Escape: Sendable, Equatable {
        /// No escapes: a quote ends a quoted field, a backslash is an ordinary byte.
        case none
        /// RFC 4180: inside quotes, a doubled quote (`""`) stands for one quote.
        case doubledQuote
        /// A backslash makes the next byte literal, inside quotes (`\"`, `\\`: Spark) and in
        /// unquoted fields (`\,`, `\` + line feed: Snowflake's ESCAPE_UNENCLOSED_FIELD).
        case backslash
    }

    /// The field separator (one byte; `,` by default).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// The quote byte, or nil when fields are never quoted (Snowflake's default unload).
    public var quote: UInt8? = UInt8(ascii: "\"")
    public var escape: Escape = .doubledQuote
    /// With `.backslash`, also read `\n`, `\r`, `\t`, `\0`, `\b`, `\f` as control characters.
    public var backslashSequences = false
    /// The first record (after `skipRows`) holds column names, matched to the target
    /// columns by name (ASCII case-insensitive).
    public var header = false
    /// An empty unquoted field is NULL (otherwise the empty string).
    public var emptyIsNull = true
    /// Unquoted field texts that mean NULL, compared byte for byte before unescaping
    /// (e.g. `\N`). A quoted field is never a null marker.
    public var nullMarkers: [String] = []
    /// A quoted empty field (`""`) is the empty string; when false it is NULL too.
    public var emptyQuotedIsEmptyString = true
    /// Physical lines to skip at the start of every file, before the header.
    public var skipRows = 0
    /// Remove spaces and tabs around fields (and around quoted fields' quotes).
    public var trimSpaces = false
    /// Bytes per parallel chunk (records are never split; a longer record makes a longer chunk).
    public var chunkSize = 8 << 20
    /// Worker threads for parsing; nil means one per core.
    public var parallelism: Int? = nil

    public init() {}

    /// RFC 4180: `,`, `"` quotes with `""` inside, no header, empty unquoted field = NULL,
    /// `""` = empty string.
    public static var rfc4180: CSVOptions { CSVOptions() }

    /// Tab-separated, PostgreSQL TEXT / ClickHouse TSV style: no quoting, backslash escapes
    /// (`\t`, `\n`, `\\`), `\N` = NULL, an empty field = empty string, no header.
    public static var tsv: CSVOptions {
        var o = CSVOptions()
        o.delimiter = UInt8(ascii: "\t")
        o.quote = nil
        o.escape = .backslash
        o.backslashSequences = true
        o.emptyIsNull = false
        o.nullMarkers = ["\\N"]
        return o
    }

    /// Snowflake `COPY INTO @stage` defaults: `,`, no quoting
    /// (FIELD_OPTIONALLY_ENCLOSED_BY = NONE), backslash escapes in fields
    /// (ESCAPE_UNENCLOSED_FIELD = '\\'), `\N` = NULL and an empty field = NULL
    /// (EMPTY_FIELD_AS_NULL), no header. With quoting enabled in the unload, set
    /// `quote = UInt8(ascii: "\"")` (quotes doubled inside are read by the escape rules too).
    public static var snowflake: CSVOptions {
        var o = CSVOptions()
        o.quote = nil
        o.escape = .backslash
        o.backslashSequences = true
        o.nullMarkers = ["\\N"]
        return o
    }

    /// Spark `df.write.csv` defaults: `,`, `"` quotes with `\"` inside (escape = `\`),
    /// an empty unquoted field = NULL (nullValue ""), `""` = empty string, no header.
    public static var spark: CSVOptions {
        var o = CSVOptions()
        o.escape = .backslash
        return o
    }

    /// BigQuery `EXPORT DATA` / `bq extract` CSV: RFC 4180 quoting, an empty field = NULL,
    /// no header (`EXPORT DATA`'s default; set `header = true` for `bq extract` files).
    public static var bigquery: CSVOptions { CSVOptions() }

    /// Checks the options make sense together (22023 otherwise).
    func validate() throws {
        func bad(_ m: String) -> AurumError { AurumError(.invalidParameterValue, "CSV options: \(m)") }
        if delimiter == 10 || delimiter == 13 { throw bad("the delimiter cannot be a line break") }
        if let q = quote {
            if q == delimiter { throw bad("the quote and the delimiter must differ") }
            if q == 10 || q == 13 { throw bad("the quote cannot be a line break") }
            if escape == .backslash && q == 92 { throw bad("the quote cannot be the backslash escape") }
        }
        if escape == .backslash && delimiter == 92 { throw bad("the delimiter cannot be the backslash escape") }
        if skipRows < 0 { throw bad("skipRows must be >= 0") }
        for m in nullMarkers where m.utf8.contains(10) { throw bad("a null marker cannot contain a line feed") }
    }
}
