#!/usr/bin/env python3
"""psqlODBC (Debian odbc-postgresql, the driver Tableau and Power BI use through ODBC) with
unixODBC and pyodbc against Aurum. Writes odbcinst.ini and odbc.ini into a temporary directory
(ODBCSYSINI / ODBCINI point there) and connects through the DSN, in several driver modes:
plain, UseDeclareFetch=1 (every SELECT becomes BEGIN; DECLARE ... CURSOR WITH HOLD; FETCH n),
UseServerSidePrepare=0 and 1. In each: SQLTables, SQLColumns, SQLPrimaryKeys, SQLStatistics,
SQLGetTypeInfo, parameterised queries with ? of several types, result values and types, the
result columns' description, non-ASCII text.
Usage: odbc_pyodbc.py --port N. Exits non-zero with a message on any mismatch."""
import argparse
import configparser
import datetime as dt
import decimal
import glob
import os
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
port = ap.parse_args().port

try:
    import pyodbc
except ImportError:
    sys.exit("pyodbc is not installed: apt-get install unixodbc unixodbc-dev; pip install pyodbc (see .ci/run)")

drivers = sorted(glob.glob("/usr/lib/*/odbc/psqlodbcw.so") + glob.glob("/usr/lib/odbc/psqlodbcw.so"))
if not drivers:
    sys.exit("psqlODBC is not installed (psqlodbcw.so not found): apt-get install odbc-postgresql (see .ci/run)")

# the data source is the example shipped in clients/odbc/odbc.ini with the test server's port
example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "clients", "odbc", "odbc.ini")
dsn = configparser.ConfigParser(inline_comment_prefixes=None, comment_prefixes=(";", "#"), interpolation=None)
dsn.optionxform = str
if not dsn.read(example) or "aurum" not in dsn:
    sys.exit(f"cannot read the [aurum] data source from {example}")
dsn["aurum"]["Port"] = str(port)
dsn["aurum"]["Servername"] = "127.0.0.1"
config = tempfile.mkdtemp(prefix="aurum-odbc-")
with open(os.path.join(config, "odbcinst.ini"), "w") as f:
    f.write(f"[PostgreSQL Unicode]\nDescription=psqlODBC (Unicode)\nDriver={drivers[0]}\n")
with open(os.path.join(config, "odbc.ini"), "w") as f:
    dsn.write(f, space_around_delimiters=False)
os.environ["ODBCSYSINI"] = config
os.environ["ODBCINI"] = os.path.join(config, "odbc.ini")


def check(what, got, want):
    if got != want:
        sys.exit(f"MISMATCH {what}: got {got!r}, want {want!r}")


def connect(extra=""):
    try:
        return pyodbc.connect("DSN=aurum;" + extra, autocommit=True)
    except pyodbc.Error as e:
        sys.exit(f"connect ({extra or 'defaults'}) failed: {e}")


# set up a table through the driver itself
conn = connect()
conn.setdecoding(pyodbc.SQL_WCHAR, encoding="utf-8")
cur = conn.cursor()
cur.execute("DROP TABLE IF EXISTS sales")
cur.execute("""CREATE TABLE sales (id Int32, qty Nullable(Int64), price Float64, amount Decimal(12, 2),
    region String, day Date, at DateTime, paid Bool) ENGINE = MergeTree ORDER BY id""")
rows = [
    (1, 10, 1.5, decimal.Decimal("15.00"), "north", dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), True),
    (2, None, 2.25, decimal.Decimal("-3.10"), "südost ☃", dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 23, 59, 59), False),
    (3, 7, -0.5, decimal.Decimal("0.05"), "west", dt.date(1999, 12, 31), dt.datetime(1970, 1, 1, 0, 0, 0), True),
]
cur.execute("INSERT INTO sales VALUES (1, 10, 1.5, 15.00, 'north', '2024-01-02', '2024-01-02 03:04:05', true), "
            "(2, NULL, 2.25, -3.10, 'südost ☃', '2024-02-29', '2024-02-29 23:59:59', false), "
            "(3, 7, -0.5, 0.05, 'west', '1999-12-31', '1970-01-01 00:00:00', true)")
conn.close()

modes = [
    ("clients/odbc/odbc.ini as is (UseDeclareFetch=1;Fetch=10000)", ""),
    ("UseDeclareFetch=0", "UseDeclareFetch=0"),
    ("UseDeclareFetch=0;Parse=1 (result columns described from pg_attribute)", "UseDeclareFetch=0;Parse=1"),
    ("UseDeclareFetch=1;Fetch=2", "UseDeclareFetch=1;Fetch=2"),
    ("UseDeclareFetch=0;UseServerSidePrepare=0", "UseDeclareFetch=0;UseServerSidePrepare=0"),
    ("UseDeclareFetch=0;UseServerSidePrepare=1", "UseDeclareFetch=0;UseServerSidePrepare=1"),
    ("UseDeclareFetch=1;UseServerSidePrepare=0", "UseServerSidePrepare=0"),
    ("UseDeclareFetch=1;Fetch=1;UseServerSidePrepare=1", "UseDeclareFetch=1;Fetch=1;UseServerSidePrepare=1"),
]

for label, extra in modes:
    conn = connect(extra)
    cur = conn.cursor()

    # SQLTables
    tables = [(t.table_schem, t.table_name, t.table_type) for t in cur.tables(tableType="TABLE")]
    check(f"[{label}] SQLTables", ("default", "sales", "TABLE") in tables, True)
    check(f"[{label}] SQLTables has no catalog tables", [t for t in tables if t[0] in ("pg_catalog", "information_schema")], [])
    one = [(t.table_schem, t.table_name) for t in cur.tables(table="sales", schema="default")]
    check(f"[{label}] SQLTables(sales)", one, [("default", "sales")])

    # SQLColumns
    cols = [(c.column_name, c.type_name, c.data_type, c.nullable, c.ordinal_position) for c in cur.columns(table="sales")]
    check(f"[{label}] SQLColumns", cols, [
        ("id", "int4", pyodbc.SQL_INTEGER, 0, 1),
        ("qty", "int8", pyodbc.SQL_BIGINT, 1, 2),
        ("price", "float8", pyodbc.SQL_FLOAT, 0, 3),
        ("amount", "numeric", pyodbc.SQL_NUMERIC, 0, 4),
        ("region", "text", pyodbc.SQL_WLONGVARCHAR, 0, 5),
        ("day", "date", pyodbc.SQL_TYPE_DATE, 0, 6),
        ("at", "timestamp", pyodbc.SQL_TYPE_TIMESTAMP, 0, 7),
        ("paid", "bool", pyodbc.SQL_BIT, 0, 8),
    ])
    amount = [c for c in cur.columns(table="sales", column="amount")]
    check(f"[{label}] SQLColumns(amount) precision/scale", (amount[0].column_size, amount[0].decimal_digits), (12, 2))

    # SQLPrimaryKeys / SQLStatistics: Aurum has no constraints or indexes, so both are empty
    check(f"[{label}] SQLPrimaryKeys", list(cur.primaryKeys("sales")), [])
    stats = [s for s in cur.statistics("sales") if s.type != pyodbc.SQL_TABLE_STAT]
    check(f"[{label}] SQLStatistics (indexes)", stats, [])

    # SQLForeignKeys: the driver's query expands pg_constraint.conkey with generate_series in a
    # select list; Aurum has no foreign keys, so both directions are empty
    check(f"[{label}] SQLForeignKeys(fk table)", list(cur.foreignKeys(foreignTable="sales")), [])
    check(f"[{label}] SQLForeignKeys(pk table)", list(cur.foreignKeys(table="sales")), [])

    # SQLGetTypeInfo answers from the driver's own table
    check(f"[{label}] SQLGetTypeInfo(INTEGER)", [t.type_name for t in cur.getTypeInfo(pyodbc.SQL_INTEGER)], ["int4"])

    # whole table, values and Python types
    got = cur.execute("SELECT id, qty, price, amount, region, day, at, paid FROM sales ORDER BY id").fetchall()
    check(f"[{label}] SELECT *", [tuple(r) for r in got], rows)
    desc = [(d[0], d[1]) for d in cur.description]
    check(f"[{label}] description", desc, [
        ("id", int), ("qty", int), ("price", float), ("amount", decimal.Decimal), ("region", str),
        ("day", dt.date), ("at", dt.datetime), ("paid", bool)])

    if "Parse=1" in extra:
        # the driver looked the result columns up in pg_attribute: NOT NULL is known
        check(f"[{label}] description nullable", [d[6] for d in cur.description],
              [False, True, False, False, False, False, False, False])

    # ? parameters of several types
    q = ("SELECT id FROM sales WHERE id >= ? AND price > ? AND amount < ? AND region <> ? "
         "AND day <= ? AND at < ? AND paid = ? ORDER BY id")
    got = cur.execute(q, 1, -1.0, decimal.Decimal("100.5"), "nowhere", dt.date(2025, 1, 1),
                      dt.datetime(2030, 1, 1, 0, 0, 0), True).fetchall()
    check(f"[{label}] parameterised filter", [r[0] for r in got], [1, 3])
    got = cur.execute("SELECT region, amount FROM sales WHERE region = ?", "südost ☃").fetchall()
    check(f"[{label}] non-ASCII parameter", [tuple(r) for r in got], [("südost ☃", decimal.Decimal("-3.10"))])
    got = cur.execute("SELECT ? + 1, CAST(? AS DOUBLE PRECISION) * 2, ?", 41, 1.25, "héllo").fetchone()
    check(f"[{label}] parameters in the select list", tuple(got), (42, 2.5, "héllo"))
    got = cur.execute("SELECT count(*) FROM sales WHERE qty IS NULL OR qty > ?", 8).fetchone()
    check(f"[{label}] count", got[0], 2)

    # more rows than one FETCH (Fetch=2 / Fetch=1 in the declare/fetch modes)
    got = cur.execute("SELECT number FROM numbers(25)").fetchall()
    check(f"[{label}] 25 rows", [r[0] for r in got], list(range(25)))

    # a server error is an ODBC error with the SQLSTATE, and the connection stays usable
    try:
        cur.execute("SELECT * FROM no_such_table").fetchall()
        sys.exit(f"[{label}] no error for a missing table")
    except pyodbc.Error as e:
        check(f"[{label}] error SQLSTATE", "42P01" in str(e), True)
    check(f"[{label}] after the error", cur.execute("SELECT 1").fetchone()[0], 1)
    conn.close()
    print(f"ok: {label}")

print("all checks passed")
