import AurumCore
import AurumSQL
import Testing

@Suite struct ParserStatementTests {
    func insert(_ sql: String) throws -> Insert {
        guard case .insert(let i) = try parseOne(sql) else { throw TestFailure("not INSERT: \(sql)") }
        return i
    }

    @Test func insertValues() throws {
        let i = try insert("INSERT INTO db.t (a, b) VALUES (1, 'x'), (-2, NULL)")
        #expect(i.table.parts == ["db", "t"])
        #expect(i.columns == ["a", "b"])
        guard case .query(let q) = i.source, case .values(let rows) = q.body else { Issue.record("values"); return }
        #expect(rows.map { $0.map(render) } == [["1", "'x'"], ["(- 2)", "NULL"]])
        let noCommas = try insert("INSERT INTO TABLE t VALUES (1) (2)")
        guard case .query(let q2) = noCommas.source, case .values(let rows2) = q2.body else { Issue.record("values"); return }
        #expect(rows2.count == 2 && noCommas.columns == nil)
    }

    @Test func insertSelectAndWith() throws {
        let a = try insert("INSERT INTO t SELECT * FROM s")
        guard case .query(let q) = a.source, case .select = q.body else { Issue.record("select"); return }
        let b = try insert("INSERT INTO t (x) WITH c AS (SELECT 1) SELECT * FROM c")
        guard case .query(let q2) = b.source else { Issue.record("with"); return }
        #expect(q2.with.count == 1 && b.columns == ["x"])
        let c = try insert("INSERT INTO t (SELECT 1)")
        #expect(c.columns == nil)
    }

    @Test func insertFromInfileAndDefaultValues() throws {
        let a = try insert("INSERT INTO t FROM INFILE '/data/a.csv.gz' COMPRESSION 'gzip' FORMAT CSVWithNames")
        #expect(a.source == .infile(path: "/data/a.csv.gz", format: "CSVWithNames"))
        #expect(a.compression == "gzip")
        let b = try insert("INSERT INTO t (a, b) FROM INFILE 'x.tsv' FORMAT TSV")
        #expect(b.source == .infile(path: "x.tsv", format: "TSV") && b.compression == nil && b.columns == ["a", "b"])
        // FORMAT may be left out (the file name tells)
        let c = try insert("INSERT INTO t FROM INFILE 'x/*.parquet'")
        #expect(c.source == .infile(path: "x/*.parquet", format: nil) && c.compression == nil)
        #expect(try insert("INSERT INTO t FROM INFILE 'a.csv.zst' COMPRESSION 'zstd'").source == .infile(path: "a.csv.zst", format: nil))
        #expect(try insert("INSERT INTO t DEFAULT VALUES").source == .defaultValues)
    }

    @Test func delete() throws {
        guard case .delete(let t, let w) = try parseOne("DELETE FROM t WHERE a IN (1, 2)") else { Issue.record("delete"); return }
        #expect(t.parts == ["t"] && w.map(render) == "(IN a 1 2)")
        #expect(try parseOne("DELETE FROM t") == .delete(table: QualifiedName(["t"], pos: 13), whereClause: nil))
    }

    @Test func show() throws {
        #expect(try parseOne("SHOW DATABASES") == .show(.databases))
        #expect(try parseOne("SHOW TABLES") == .show(.tables(from: nil, like: nil)))
        #expect(try parseOne("SHOW TABLES FROM db LIKE 'a%'") == .show(.tables(from: "db", like: "a%")))
        #expect(try parseOne("show tables in db") == .show(.tables(from: "db", like: nil)))
        #expect(try parseOne("SHOW CREATE TABLE db.t") == .show(.createTable(QualifiedName(["db", "t"], pos: 19))))
        #expect(try parseOne("SHOW transaction_isolation") == .show(.setting("transaction_isolation")))
        #expect(try parseOne("SHOW TRANSACTION ISOLATION LEVEL") == .show(.setting("transaction_isolation")))
        #expect(try parseOne("SHOW Server_Version") == .show(.setting("server_version")))
        #expect(try parseOne("SHOW TIME ZONE") == .show(.setting("timezone")))
        #expect(try parseOne("SHOW ALL") == .show(.all))
    }

    @Test func describeAndUse() throws {
        #expect(try parseOne("DESCRIBE TABLE db.t") == .describe(QualifiedName(["db", "t"], pos: 16)))
        #expect(try parseOne("DESC t") == .describe(QualifiedName(["t"], pos: 6)))
        #expect(try parseOne("describe t") == .describe(QualifiedName(["t"], pos: 10)))
        #expect(try parseOne("USE analytics") == .use("analytics"))
    }

    @Test(arguments: [
        ("SET extra_float_digits = 3", "extra_float_digits", "3"),
        ("SET SESSION application_name TO 'psql'", "application_name", "psql"),
        (#"SET search_path TO public, "$user""#, "search_path", "public, $user"),
        ("SET TIME ZONE 'UTC'", "timezone", "UTC"),
        ("SET DateStyle = ISO, MDY", "datestyle", "ISO, MDY"),
        ("SET x = -1.5", "x", "-1.5"),
        ("SET max_threads = 4", "max_threads", "4"),
        ("SET app.user_id = 'u1'", "app.user_id", "u1"),
        ("SET NAMES 'UTF8'", "client_encoding", "UTF8"),
        ("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "default_transaction_isolation", "serializable"),
        ("SET standard_conforming_strings = on", "standard_conforming_strings", "on"),
    ] as [(String, String, String)])
    func set(sql: String, name: String, value: String) throws {
        #expect(try parseOne(sql) == .set(name: name, value: value))
    }

    /// SET LOCAL and SET TRANSACTION last until the end of the transaction block.
    @Test func setLocal() throws {
        #expect(try parseOne("SET LOCAL statement_timeout = '5s'") == .setLocal(name: "statement_timeout", value: "5s"))
        #expect(try parseOne("SET TRANSACTION ISOLATION LEVEL READ COMMITTED") == .setLocal(name: "transaction_isolation", value: "read committed"))
    }

    @Test func resetAndSetDefault() throws {
        #expect(try parseOne("RESET ALL") == .reset(name: nil))
        #expect(try parseOne("RESET search_path") == .reset(name: "search_path"))
        #expect(try parseOne("SET search_path TO DEFAULT") == .reset(name: "search_path"))
        #expect(try parseOne("SET TIME ZONE LOCAL") == .reset(name: "timezone"))
    }

    @Test(arguments: [
        ("BEGIN", Statement.begin), ("BEGIN WORK", .begin), ("begin transaction", .begin),
        ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", .begin), ("START TRANSACTION", .begin),
        ("START TRANSACTION READ WRITE", .begin), ("COMMIT", .commit), ("COMMIT WORK", .commit), ("END", .commit),
        ("END TRANSACTION", .commit), ("ROLLBACK", .rollback), ("ABORT", .rollback), ("ROLLBACK TRANSACTION", .rollback),
    ] as [(String, Statement)])
    func transactions(sql: String, expected: Statement) throws {
        #expect(try parseOne(sql) == expected)
    }

    @Test func explain() throws {
        guard case .explain(let inner, false) = try parseOne("EXPLAIN SELECT 1"), case .query = inner else { Issue.record("explain"); return }
        guard case .explain(_, true) = try parseOne("EXPLAIN ANALYZE SELECT 1") else { Issue.record("analyze"); return }
        guard case .explain(_, true) = try parseOne("EXPLAIN (ANALYZE, FORMAT TEXT) SELECT 1") else { Issue.record("options"); return }
        guard case .explain(_, false) = try parseOne("EXPLAIN (ANALYZE false) SELECT 1") else { Issue.record("analyze off"); return }
        guard case .explain(.insert, false) = try parseOne("EXPLAIN INSERT INTO t SELECT 1") else { Issue.record("explain insert"); return }
    }

    @Test func unsupportedStatementsSay0A000() {
        for sql in ["UPDATE t SET a = 1", "LISTEN ch", "GRANT SELECT ON t TO u", "LOCK TABLE t", "SELECT 1 FROM a NATURAL JOIN b",
                    "SELECT 1 FORMAT JSON", "SELECT 1 SETTINGS max_threads = 1"] {
            #expect(parseError(sql)?.code == .featureNotSupported, "\(sql)")
        }
    }

    @Test func savepointStatements() throws {
        #expect(try parseOne("SAVEPOINT _EXEC_SVP_0x55") == .savepoint("_exec_svp_0x55"))
        #expect(try parseOne("SAVEPOINT \"Mixed\"") == .savepoint("Mixed"))
        #expect(try parseOne("RELEASE SAVEPOINT s1") == .releaseSavepoint("s1"))
        #expect(try parseOne("release s1") == .releaseSavepoint("s1"))
        #expect(try parseOne("ROLLBACK TO SAVEPOINT s1") == .rollbackToSavepoint("s1"))
        #expect(try parseOne("ROLLBACK WORK TO s1") == .rollbackToSavepoint("s1"))
        #expect(try parseOne("ROLLBACK") == .rollback)
        #expect(parseError("SAVEPOINT") != nil)
        #expect(parseError("ROLLBACK TO") != nil)
    }

    @Test func parenthesisedJoinStartingWithASubquery() throws {
        guard case .query(let q) = try parseOne("SELECT 1 FROM ((SELECT 1 AS a) ref INNER JOIN t ON t.x = ref.a) LEFT JOIN u ON true"),
              case .select(let s) = q.body, case .join(.join(.subquery(_, "ref", _), .inner, .table, _, _), .left, _, _, _)? = s.from else {
            Issue.record("not a join of a subquery"); return
        }
        // still a parenthesised query when it is one, and its own error when it is broken
        guard case .query = try parseOne("SELECT * FROM ((SELECT 1) UNION (SELECT 2)) q") else { Issue.record("union"); return }
        #expect(parseError("SELECT 1 FROM ((SELECT 1 AS a) ref")?.code == .syntaxError)
    }

    @Test func withRecursiveMarksItsCTEs() throws {
        guard case .query(let q) = try parseOne("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r") else {
            Issue.record("not a query"); return
        }
        #expect(q.with.map(\.recursive) == [true])
        #expect(q.with.first?.columnAliases == ["n"])
        guard case .query(let plain) = try parseOne("WITH c AS (SELECT 1) SELECT * FROM c") else { Issue.record("not a query"); return }
        #expect(plain.with.map(\.recursive) == [false])
    }

    @Test func clickHouseScalarWithMixesWithCTEs() throws {
        guard case .query(let q) = try parseOne("WITH 1 + 2 AS x, c AS (SELECT 1), (SELECT 5) AS y SELECT x FROM c") else {
            Issue.record("not a query"); return
        }
        #expect(q.with.map(\.name) == ["c"])
        #expect(q.scalarWith.map(\.name) == ["x", "y"])
        #expect(parseError("WITH 1 + 2 SELECT 1") != nil)
    }
}
