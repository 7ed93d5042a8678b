#!/usr/bin/env python3
"""SQLAlchemy 2 inspector (psycopg2, simple protocol) against an Aurum server, as Superset does.

Usage: sqlalchemy_inspect.py --port N   (exits non-zero with a message on any mismatch)
"""
import argparse
import sys

try:
    import sqlalchemy as sa
    import psycopg2  # noqa: F401
except ImportError as e:
    sys.exit(f"missing Python package: {e.name} (pip install sqlalchemy psycopg2-binary)")


def check(what, got, want):
    if got != want:
        sys.exit(f"MISMATCH {what}: got {got!r}, want {want!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    port = ap.parse_args().port
    engine = sa.create_engine(f"postgresql+psycopg2://aurum@127.0.0.1:{port}/default")
    with engine.connect() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sales"))
        c.execute(sa.text("CREATE TABLE sales (id Int32, region String COMMENT 'sales region', "
                          "amount Nullable(Decimal(18, 2)), ts DateTime DEFAULT now()) "
                          "ENGINE = MergeTree ORDER BY id COMMENT 'all sales'"))
        c.execute(sa.text("INSERT INTO sales (id, region, amount, ts) VALUES "
                          "(1, 'north', 10.50, '2024-01-15 10:00:00'), (2, 'south', 20.25, '2024-02-01 11:30:00'), "
                          "(3, 'north', NULL, '2024-02-03 09:00:00')"))
    insp = sa.inspect(engine)
    check("default schema", insp.default_schema_name, "default")
    schemas = insp.get_schema_names()
    if "default" not in schemas:
        sys.exit(f"MISMATCH schema names: 'default' missing from {schemas!r}")
    check("table names", insp.get_table_names(), ["sales"])
    check("table names in schema", insp.get_table_names(schema="default"), ["sales"])
    check("view names", insp.get_view_names(), [])
    cols = insp.get_columns("sales")
    check("column names", [c["name"] for c in cols], ["id", "region", "amount", "ts"])
    check("column types", [str(c["type"]) for c in cols], ["INTEGER", "TEXT", "NUMERIC(18, 2)", "TIMESTAMP"])
    check("nullable", [c["nullable"] for c in cols], [False, False, True, False])
    check("comment", cols[1].get("comment"), "sales region")
    if cols[3]["default"] is None or "now" not in cols[3]["default"]:
        sys.exit(f"MISMATCH default of ts: {cols[3]['default']!r}")
    check("pk", insp.get_pk_constraint("sales")["constrained_columns"], [])
    check("foreign keys", insp.get_foreign_keys("sales"), [])
    check("indexes", insp.get_indexes("sales"), [])
    check("table comment", insp.get_table_comment("sales")["text"], "all sales")
    check("has_table", insp.has_table("sales"), True)
    check("has_table missing", insp.has_table("nope"), False)
    with engine.connect() as c:
        # the shape of a Superset chart query
        rows = c.execute(sa.text(
            "SELECT region AS region, sum(amount) AS \"SUM(amount)\", count(*) AS count "
            "FROM (SELECT * FROM sales) AS virtual_table GROUP BY region "
            "ORDER BY \"SUM(amount)\" DESC NULLS LAST LIMIT 10000")).fetchall()
        check("superset query", [tuple(r) for r in rows], [("south", sa.sql.sqltypes.Numeric().python_type("20.25"), 1),
                                                            ("north", sa.sql.sqltypes.Numeric().python_type("10.50"), 2)])
        rows = c.execute(sa.text(
            "SELECT date_trunc('month', ts) AS __timestamp, count(*) AS count FROM sales "
            "GROUP BY date_trunc('month', ts) ORDER BY __timestamp LIMIT 10000")).fetchall()
        check("superset time series", [(str(r[0]), r[1]) for r in rows], [("2024-01-01 00:00:00", 1), ("2024-02-01 00:00:00", 2)])
    print("ok")


if __name__ == "__main__":
    main()
