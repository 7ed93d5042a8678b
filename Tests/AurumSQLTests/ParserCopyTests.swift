import AurumCore
import AurumSQL
import Testing

@Suite struct ParserCopyTests {
    func copy(_ sql: String) throws -> CopyStatement {
        guard case .copy(let c) = try parseOne(sql) else { throw TestFailure("not COPY: \(sql)") }
        return c
    }

    @Test func fromStdinPlain() throws {
        let c = try copy("COPY t FROM STDIN")
        #expect(c.isFrom)
        guard case .table(let n, let cols) = c.source else { Issue.record("source"); return }
        #expect(n.parts == ["t"] && cols == nil)
        #expect(c.options == CopyOptions())
        let d = try copy("copy db.t (a, \"B\") from stdin;")
        guard case .table(let n2, let cols2) = d.source else { Issue.record("source"); return }
        #expect(n2.parts == ["db", "t"] && cols2 == ["a", "B"])
    }

    @Test func newOptionSyntax() throws {
        let c = try copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'NA', QUOTE '''', ESCAPE '\\', FORCE_NOT_NULL (a, b), FORCE_NULL (c), ENCODING 'UTF8')")
        #expect(c.options.format == .csv)
        #expect(c.options.header == .present)
        #expect(c.options.delimiter == ";")
        #expect(c.options.null == "NA")
        #expect(c.options.quote == "'")
        #expect(c.options.escape == "\\")
        #expect(c.options.forceNotNull == ["a", "b"])
        #expect(c.options.forceNull == ["c"])
        #expect(c.options.encoding == "UTF8")
        #expect(try copy("COPY t FROM STDIN (FORMAT 'text', HEADER false)").options.header == .none)
        #expect(try copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER MATCH)").options.header == .match)
        #expect(try copy("COPY t FROM STDIN WITH (HEADER on, FORMAT csv)").options.header == .present)
        #expect(try copy("COPY t TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)").options.forceQuote == nil)
        #expect(try copy("COPY t TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (a))").options.forceQuote == ["a"])
        #expect(try copy("COPY t FROM STDIN WITH (DELIMITER E'\\t')").options.delimiter == "\t")
    }

    @Test func oldOptionSyntax() throws {
        let c = try copy("COPY t FROM STDIN WITH CSV HEADER DELIMITER ',' NULL ''")
        #expect(c.options.format == .csv && c.options.header == .present)
        #expect(c.options.delimiter == "," && c.options.null == "")
        let d = try copy("COPY t FROM STDIN WITH DELIMITER AS '|' NULL AS 'x'")
        #expect(d.options.format == .text && d.options.delimiter == "|" && d.options.null == "x")
        let e = try copy("COPY t FROM STDIN CSV QUOTE AS '\"' ESCAPE AS '\\' FORCE NOT NULL a, b")
        #expect(e.options.quote == "\"" && e.options.escape == "\\" && e.options.forceNotNull == ["a", "b"])
        let f = try copy("COPY t TO STDOUT CSV FORCE QUOTE *")
        #expect(f.options.forceQuote == nil && !f.isFrom)
    }

    @Test func toStdout() throws {
        let c = try copy("COPY t (a) TO STDOUT")
        #expect(!c.isFrom)
        let q = try copy("COPY (SELECT a FROM t WHERE a > 1) TO STDOUT WITH (FORMAT csv, HEADER)")
        guard case .query = q.source else { Issue.record("query source"); return }
        #expect(q.options.format == .csv && q.options.header == .present)
    }

    @Test func refusals() {
        #expect(parseError("COPY t FROM '/tmp/x.csv'")?.code == .featureNotSupported)
        #expect(parseError("COPY t FROM '/tmp/x.csv'")?.hint?.contains("INFILE") == true)
        #expect(parseError("COPY t TO '/tmp/x.csv'")?.code == .featureNotSupported)
        #expect(parseError("COPY t FROM PROGRAM 'cat x'")?.code == .featureNotSupported)
        #expect(parseError("COPY t TO STDOUT WITH (FORMAT binary)")?.code == .featureNotSupported)
        #expect(parseError("COPY t FROM STDIN BINARY")?.code == .featureNotSupported)
        #expect(parseError("COPY t FROM STDIN WITH (FORMAT xml)")?.code == .invalidParameterValue)
        #expect(parseError("COPY t FROM STDIN WITH (FORMAT csv, FORMAT text)")?.code == .syntaxError)
        #expect(parseError("COPY t FROM STDIN WITH (FROBNICATE 1)")?.code == .syntaxError)
        #expect(parseError("COPY (SELECT 1) FROM STDIN")?.code == .syntaxError)
        #expect(parseError("COPY t FROM STDOUT")?.code == .syntaxError)
        #expect(parseError("COPY t")?.code == .syntaxError)
    }

    @Test func setForms() throws {
        #expect(try parseOne("SET LOCAL statement_timeout = '1s'") == .setLocal(name: "statement_timeout", value: "1s"))
        #expect(try parseOne("SET SESSION statement_timeout TO 5") == .set(name: "statement_timeout", value: "5"))
        #expect(try parseOne("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") == .setLocal(name: "transaction_isolation", value: "repeatable read"))
        // several modes: the isolation level is the one kept
        #expect(try parseOne("SET TRANSACTION READ ONLY, ISOLATION LEVEL SERIALIZABLE") == .setLocal(name: "transaction_isolation", value: "serializable"))
        #expect(try parseOne("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
                == .set(name: "default_transaction_isolation", value: "read uncommitted"))
        #expect(try parseOne("SET TIME ZONE 'UTC'") == .set(name: "timezone", value: "UTC"))
        #expect(try parseOne("SET TIME ZONE LOCAL") == .reset(name: "timezone"))
        #expect(try parseOne("SET NAMES 'UTF8'") == .set(name: "client_encoding", value: "UTF8"))
        #expect(try parseOne("SET DateStyle = DEFAULT") == .reset(name: "datestyle"))
        #expect(try parseOne("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY") == .begin)
        #expect(try parseOne("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE") == .begin)
        #expect(parseError("SET TRANSACTION ISOLATION LEVEL READ SOMETIMES")?.code == .syntaxError)
    }
}
