import AurumCore
import AurumSQL
import Testing

@Suite struct ParserTypeTests {
    @Test(arguments: [
        ("Int32", "Int32"), ("Decimal(18, 2)", "Decimal(18,2)"), ("DateTime64(3)", "DateTime64(3)"),
        ("DateTime64(3, 'UTC')", "DateTime64(3,'UTC')"), ("DateTime('Europe/Berlin')", "DateTime('Europe/Berlin')"),
        ("FixedString(16)", "FixedString(16)"), ("Nullable(Int64)", "Nullable(Int64)"),
        ("LowCardinality(String)", "LowCardinality(String)"),
        ("LowCardinality(Nullable(String))", "LowCardinality(Nullable(String))"),
        ("DOUBLE PRECISION", "double precision"), ("character varying(20)", "character varying(20)"),
        ("CHAR VARYING", "character varying"), ("varchar(20)", "varchar(20)"),
        ("timestamp", "timestamp"), ("timestamp(3)", "timestamp(3)"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("timestamp(6) without time zone", "timestamp without time zone(6)"),
        ("time with time zone", "time with time zone"),
        ("int[]", "int[]"), ("text[3]", "text[]"), ("Array(Int32)", "Int32[]"),
        ("pg_catalog.int8", "int8"), (#""char""#, "char"), ("numeric", "numeric"),
    ] as [(String, String)])
    func typeNames(sql: String, expected: String) throws {
        #expect(render(try Parser.parseType(sql)) == expected)
    }

    @Test func singleWordNamesKeepTheirSpelling() throws {
        // DataType.named distinguishes ClickHouse Int8 from PostgreSQL INT8 by spelling.
        #expect(try Parser.parseType("Int8").name == "Int8")
        #expect(try Parser.parseType("INT8").name == "INT8")
        #expect(try Parser.parseType("BigInt").name == "BigInt")
    }

    @Test func typePositionIsTheFirstToken() throws {
        #expect(try Parser.parseType("  Nullable(String)").pos == 3)
    }

    @Test(arguments: ["", "Decimal(", "Decimal(a)", "Array(Array(Int8))", "int[][]", "Nullable()", "DEFAULT", "Int32 Int32", "Enum8('a' = 1)"])
    func badTypes(sql: String) {
        #expect(throws: AurumError.self) { try Parser.parseType(sql) }
    }
}
