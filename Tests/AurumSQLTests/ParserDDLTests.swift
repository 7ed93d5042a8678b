import AurumCore
import AurumSQL
import Testing

@Suite struct ParserDDLTests {
    func createTable(_ sql: String) throws -> CreateTable {
        guard case .createTable(let c) = try parseOne(sql) else { throw TestFailure("not CREATE TABLE: \(sql)") }
        return c
    }

    @Test func databases() throws {
        #expect(try parseOne("CREATE DATABASE analytics") == .createDatabase(name: "analytics", ifNotExists: false))
        #expect(try parseOne("create schema if not exists s ENGINE = Atomic") == .createDatabase(name: "s", ifNotExists: true))
        #expect(try parseOne("CREATE DATABASE d ENGINE = Replicated('a', 'b')") == .createDatabase(name: "d", ifNotExists: false))
        #expect(try parseOne("DROP DATABASE d") == .dropDatabase(name: "d", ifExists: false))
        #expect(try parseOne("DROP SCHEMA IF EXISTS d CASCADE") == .dropDatabase(name: "d", ifExists: true))
    }

    @Test func clickHouseCreateTable() throws {
        let sql = """
            CREATE TABLE IF NOT EXISTS db.events UUID '123e4567-e89b-12d3-a456-426614174000' (
                id UInt64 CODEC(Delta, ZSTD(3)),
                ts DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'event time',
                user_id Nullable(Int64),
                kind LowCardinality(String) NOT NULL,
                price Decimal(18, 2) DEFAULT 0,
                tags Array(String),
                CONSTRAINT c CHECK price >= 0
            ) ENGINE = ReplacingMergeTree(ts)
            PARTITION BY toYYYYMM(ts)
            PRIMARY KEY (id)
            ORDER BY (id, ts)
            SETTINGS index_granularity = 8192, storage_policy = 'fast', flag = true
            COMMENT 'all events'
            """
        let c = try createTable(sql)
        #expect(c.name.parts == ["db", "events"])
        #expect(c.ifNotExists)
        #expect(c.uuid == "123e4567-e89b-12d3-a456-426614174000")
        #expect(c.columns.map(\.name) == ["id", "ts", "user_id", "kind", "price", "tags"])
        #expect(c.columns.map { render($0.type) } == ["UInt64", "DateTime64(3,'UTC')", "Nullable(Int64)", "LowCardinality(String)", "Decimal(18,2)", "String[]"])
        #expect(c.columns[0].codec == [CodecStage(name: "Delta"), CodecStage(name: "ZSTD", arguments: [3])])
        #expect(c.columns[1].defaultValue.map(render) == "now64(3)")
        #expect(c.columns[1].comment == "event time")
        #expect(c.columns[3].nullConstraint == false)
        #expect(c.columns[4].defaultValue.map(render) == "0")
        #expect(c.engine == EngineClause(name: "ReplacingMergeTree", arguments: [.column(QualifiedName(["ts"], pos: offset(ofLast: "ReplacingMergeTree(", in: sql) + 19))]))
        #expect(c.partitionBy.map(render) == "toYYYYMM(ts)")
        #expect(c.primaryKey?.map(render) == ["id"])
        #expect(c.orderBy?.map(render) == ["id", "ts"])
        #expect(c.settings.map(\.0) == ["index_granularity", "storage_policy", "flag"])
        #expect(c.settings.map(\.1) == [.integer("8192"), .string("fast"), .bool(true)])
        #expect(c.comment == "all events")
        #expect(c.temporary == false)
    }

    @Test func engineAndOrderByVariants() throws {
        let a = try createTable("CREATE TABLE t (a Int32) ENGINE = MergeTree() ORDER BY tuple()")
        #expect(a.engine == EngineClause(name: "MergeTree"))
        #expect(a.orderBy == [])
        let b = try createTable("CREATE TABLE t (a Int32) ENGINE MergeTree ORDER BY a")
        #expect(b.engine?.name == "MergeTree" && b.orderBy?.map(render) == ["a"])
        let c = try createTable("CREATE TABLE t (a Int32, b String) ENGINE = SummingMergeTree((a, b)) ORDER BY (a)")
        #expect(c.engine?.arguments.map(render) == ["(TUPLE a b)"])
        #expect(c.orderBy?.map(render) == ["a"])
        let d = try createTable("CREATE TABLE t (a Int32) ORDER BY tuple(a, lower(b))")
        #expect(d.orderBy?.map(render) == ["a", "lower(b)"])
        let e = try createTable("CREATE TABLE t (a Int32) ENGINE = Memory")
        #expect(e.engine == EngineClause(name: "Memory") && e.orderBy == nil)
    }

    @Test func postgresCreateTable() throws {
        let sql = """
            CREATE TEMPORARY TABLE "Orders" (
              id bigint PRIMARY KEY,
              name character varying(20) NOT NULL,
              amount double precision NULL,
              created timestamp with time zone DEFAULT now(),
              flags int[],
              PRIMARY KEY (id, name)
            )
            """
        let c = try createTable(sql)
        #expect(c.temporary)
        #expect(c.name == QualifiedName(["Orders"], quoted: [true], pos: 24))
        #expect(c.columns[0].primaryKey)
        #expect(c.columns.map { render($0.type) } == ["bigint", "character varying(20)", "double precision", "timestamp with time zone", "int[]"])
        #expect(c.columns.map(\.nullConstraint) == [nil, false, true, nil, nil])
        #expect(c.columns[3].defaultValue.map(render) == "now()")
        #expect(c.columns[1].pos == offset(ofLast: "name character", in: sql))
        #expect(c.primaryKey?.map(render) == ["id", "name"])
    }

    @Test func columnNamesThatAreKeywordsElsewhere() throws {
        let c = try createTable("CREATE TABLE t (date Date, value Float64, name String, type String, key UInt8, comment String, year UInt16, user String, format String)")
        #expect(c.columns.map(\.name) == ["date", "value", "name", "type", "key", "comment", "year", "user", "format"])
    }

    @Test func createTableAsSelect() throws {
        let a = try createTable("CREATE TABLE t AS SELECT 1 AS x")
        #expect(a.columns.isEmpty && a.asQuery != nil)
        let b = try createTable("CREATE TABLE t ENGINE = MergeTree ORDER BY x AS SELECT number AS x FROM numbers(10)")
        #expect(b.engine?.name == "MergeTree" && b.orderBy?.map(render) == ["x"])
        guard case .select(let s)? = b.asQuery?.body else { Issue.record("AS SELECT"); return }
        #expect(s.items[0].alias == "x")
        let c = try createTable("CREATE TABLE t (x Int32) ENGINE = MergeTree ORDER BY x AS WITH q AS (SELECT 1) SELECT * FROM q")
        #expect(c.asQuery?.with.count == 1)
        #expect(parseError("CREATE TABLE t")?.code == .syntaxError)
        #expect(parseError("CREATE TABLE t AS other")?.code == .featureNotSupported)
    }

    @Test func dropTruncateRenameExchangeOptimize() throws {
        #expect(try parseOne("DROP TABLE IF EXISTS a, db.b") == .dropTable(names: [QualifiedName(["a"], pos: 22), QualifiedName(["db", "b"], pos: 25)], ifExists: true, isView: false))
        #expect(try parseOne("DROP TABLE t SYNC") == .dropTable(names: [QualifiedName(["t"], pos: 12)], ifExists: false, isView: false))
        #expect(try parseOne("DROP VIEW v") == .dropTable(names: [QualifiedName(["v"], pos: 11)], ifExists: false, isView: true))
        #expect(try parseOne("TRUNCATE TABLE t") == .truncate(QualifiedName(["t"], pos: 16)))
        #expect(try parseOne("TRUNCATE t") == .truncate(QualifiedName(["t"], pos: 10)))
        #expect(try parseOne("RENAME TABLE a TO b, db.c TO db.d") == .renameTable([
            (QualifiedName(["a"], pos: 14), QualifiedName(["b"], pos: 19)),
            (QualifiedName(["db", "c"], pos: 22), QualifiedName(["db", "d"], pos: 30)),
        ]))
        #expect(try parseOne("EXCHANGE TABLES a AND b") == .exchangeTables(QualifiedName(["a"], pos: 17), QualifiedName(["b"], pos: 23)))
        #expect(try parseOne("OPTIMIZE TABLE t FINAL") == .optimize(QualifiedName(["t"], pos: 16), final: true))
        #expect(try parseOne("OPTIMIZE TABLE t") == .optimize(QualifiedName(["t"], pos: 16), final: false))
    }

    @Test func alterTable() throws {
        guard case .alterTable(let name, let actions) = try parseOne(
            "ALTER TABLE db.t ADD COLUMN IF NOT EXISTS c Nullable(String) DEFAULT 'x' AFTER b, DROP COLUMN IF EXISTS d, RENAME COLUMN e TO f, ADD g Int8, DROP h"
        ) else { Issue.record("ALTER"); return }
        #expect(name.parts == ["db", "t"])
        #expect(actions.count == 5)
        guard case .addColumn(let col, true, "b") = actions[0] else { Issue.record("add"); return }
        #expect(col.name == "c" && col.type.nullable && col.defaultValue.map(render) == "'x'")
        #expect(actions[1] == .dropColumn("d", ifExists: true))
        #expect(actions[2] == .renameColumn(from: "e", to: "f"))
        guard case .addColumn(let g, false, nil) = actions[3] else { Issue.record("add g"); return }
        #expect(g.name == "g" && g.type.name == "Int8")
        #expect(actions[4] == .dropColumn("h", ifExists: false))
        #expect(try parseOne("ALTER TABLE a RENAME TO b") == .alterTable(QualifiedName(["a"], pos: 13), [.renameTable(to: QualifiedName(["b"], pos: 25))]))
        guard case .delete(let t, let w) = try parseOne("ALTER TABLE t DELETE WHERE x = 1") else { Issue.record("delete"); return }
        #expect(t.parts == ["t"] && w.map(render) == "(= x 1)")
        #expect(parseError("ALTER TABLE t MODIFY COLUMN a String")?.code == .featureNotSupported)
    }

    @Test func views() throws {
        guard case .createView(let name, let q, let orReplace) = try parseOne("CREATE OR REPLACE VIEW v AS SELECT a FROM t") else {
            Issue.record("view"); return
        }
        #expect(name.parts == ["v"] && orReplace)
        guard case .select = q.body else { Issue.record("view body"); return }
        guard case .createView(_, _, false) = try parseOne("CREATE VIEW v AS (SELECT 1) UNION ALL (SELECT 2)") else {
            Issue.record("plain view"); return
        }
        #expect(parseError("CREATE MATERIALIZED VIEW v AS SELECT 1")?.code == .featureNotSupported)
    }
}
