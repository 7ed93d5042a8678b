#!/usr/bin/env python3
"""psycopg 3 against Aurum: server-side parameters of every supported type in text and binary,
prepared (named) statements, executemany, pipeline mode, errors then recovery, and a server-side
named cursor (DECLARE/FETCH). Usage: psycopg_extended.py --port N. Exits non-zero on a mismatch."""
import argparse
import datetime as dt
import decimal
import sys
import uuid

try:
    import psycopg
    from psycopg import errors
except ImportError:
    sys.exit("psycopg 3 is not installed: pip install psycopg (see .ci/run)")

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
port = ap.parse_args().port


def check(what, got, want):
    if got != want:
        sys.exit(f"MISMATCH {what}: got {got!r}, want {want!r}")


conninfo = f"host=127.0.0.1 port={port} user=aurum dbname=default"
conn = psycopg.connect(conninfo, autocommit=True)
conn.execute("DROP TABLE IF EXISTS ty")
conn.execute("DROP TABLE IF EXISTS big")
conn.execute("""CREATE TABLE ty (id Int32, b Nullable(Bool), i2 Nullable(Int16), i4 Nullable(Int32), i8 Nullable(Int64),
    f4 Nullable(Float32), f8 Nullable(Float64), n Nullable(Decimal(12, 3)), t Nullable(String), d Nullable(Date),
    ts Nullable(DateTime64(6)), u Nullable(UUID)) ENGINE = MergeTree ORDER BY id""")

rows = [
    (1, True, 12, 123456, 9_000_000_000, 1.5, 2.25, decimal.Decimal("123.456"), "héllo",
     dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 12, 34, 56, 789000), uuid.UUID("12345678-1234-5678-9abc-def012345678")),
    (2, False, -3, -7, -1, -0.5, 1e300, decimal.Decimal("-0.001"), "", dt.date(1999, 12, 31),
     dt.datetime(1970, 1, 1, 0, 0, 0), uuid.UUID("00000000-0000-0000-0000-000000000001")),
    (3, None, None, None, None, None, None, None, None, None, None, None),
]
insert = "INSERT INTO ty VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# executemany (extended protocol, one Bind/Execute per row)
with conn.cursor() as cur:
    cur.executemany(insert, rows)

expected = {r[0]: r for r in rows}

for binary in (False, True):
    with conn.cursor(binary=binary) as cur:
        for key in (1, 2, 3):
            cur.execute("SELECT * FROM ty WHERE id = %s", (key,))
            got = cur.fetchone()
            check(f"row {key} binary={binary}", got, expected[key])
        # parameters of each type compared with the columns (text and binary parameters)
        # %b: parameters sent in binary, %t: in text
        r = expected[1]
        q = """SELECT id FROM ty WHERE b = %s AND i2 = %s AND i4 = %s AND i8 = %s AND f4 = %s AND f8 = %s
            AND n = %s AND t = %s AND d = %s AND ts = %s AND u = %s"""
        cur.execute(q.replace("%s", "%b" if binary else "%t"), r[1:], binary=binary)
        check(f"filter by every type binary={binary}", cur.fetchall(), [(1,)])
        # timestamptz parameter (converted to UTC), bytea parameter into a String
        cur.execute("SELECT id FROM ty WHERE ts = " + ("%b" if binary else "%t"),
                    (dt.datetime(2024, 2, 29, 14, 34, 56, 789000, tzinfo=dt.timezone(dt.timedelta(hours=2))),), binary=binary)
        check(f"timestamptz parameter binary={binary}", cur.fetchall(), [(1,)])
        cur.execute("SELECT length(" + ("%b" if binary else "%t") + "::String)", (b"abc",), binary=binary)
        check(f"bytea parameter binary={binary}", cur.fetchone(), (3,))
        cur.execute("SELECT %s::varchar", ("plain text",), binary=binary)
        check(f"varchar round trip binary={binary}", cur.fetchone(), ("plain text",))

# prepare=True: a named server-side statement, reused
with conn.cursor() as cur:
    for i in range(3):
        cur.execute("SELECT i4 * %s FROM ty WHERE id = 1", (i,), prepare=True)
        check(f"prepared execution {i}", cur.fetchone(), (123456 * i,))
# the statement is prepared on the server (psycopg names them _pg3_n)
check("prepared cache", len(conn._prepared._names) >= 1, True)

# errors then recovery (autocommit)
try:
    conn.execute("SELECT * FROM missing_table WHERE id = %s", (1,))
    sys.exit("MISMATCH: expected an error for a missing table")
except errors.UndefinedTable:
    pass
try:
    conn.execute("SELECT 1 / %s", (0,))
    sys.exit("MISMATCH: expected division by zero")
except errors.DivisionByZero:
    pass
check("after errors", conn.execute("SELECT %s + 1", (41,)).fetchone(), (42,))

# pipeline mode: several statements, then an error in the pipeline, then recovery
with conn.pipeline():
    c1 = conn.execute("SELECT %s::Int32", (1,))
    c2 = conn.execute("SELECT count(*) FROM ty WHERE i8 > %s", (0,))
    c3 = conn.execute("SELECT t FROM ty WHERE id = %s", (1,))
check("pipeline 1", c1.fetchone(), (1,))
check("pipeline 2", c2.fetchone(), (1,))
check("pipeline 3", c3.fetchone(), ("héllo",))
try:
    with conn.pipeline():
        conn.execute("SELECT %s::Int32", (1,))
        conn.execute("SELECT * FROM nope")
        conn.execute("SELECT 2")
    sys.exit("MISMATCH: expected an error in the pipeline")
except errors.UndefinedTable:
    pass
check("after pipeline error", conn.execute("SELECT 3").fetchone(), (3,))
conn.close()

# transactions (not autocommit): an error aborts the block until rollback
conn = psycopg.connect(conninfo)
try:
    conn.execute("SELECT * FROM nope")
except errors.UndefinedTable:
    pass
try:
    conn.execute("SELECT 1")
    sys.exit("MISMATCH: expected 25P02 in a failed transaction")
except errors.InFailedSqlTransaction:
    pass
conn.rollback()
check("after rollback", conn.execute("SELECT 5").fetchone(), (5,))
conn.commit()

# server-side named cursor: DECLARE ... CURSOR, FETCH FORWARD itersize, CLOSE
conn.execute("CREATE TABLE big (n Int64) ENGINE = MergeTree ORDER BY n")
conn.execute("INSERT INTO big SELECT number FROM numbers(2500)")
conn.commit()
with conn.cursor(name="walker") as cur:
    cur.itersize = 100
    cur.execute("SELECT n FROM big WHERE n >= %s ORDER BY n", (500,))
    total = 0
    count = 0
    for (n,) in cur:
        total += n
        count += 1
    check("named cursor rows", count, 2000)
    check("named cursor sum", total, sum(range(500, 2500)))
conn.commit()
with conn.cursor(name="fetcher", binary=True) as cur:
    cur.execute("SELECT n, toString(n) FROM big ORDER BY n")
    check("fetchmany", cur.fetchmany(3), [(0, "0"), (1, "1"), (2, "2")])
    check("fetchone", cur.fetchone(), (3, "3"))
conn.commit()
conn.close()
print("psycopg: all checks passed")
