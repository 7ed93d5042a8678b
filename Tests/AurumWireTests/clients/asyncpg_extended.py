#!/usr/bin/env python3
"""asyncpg against Aurum: named prepared statements, parameter types from ParameterDescription
(`WHERE d >= $1` takes a datetime.date), binary codecs for every supported type, fetch with
row-limited Execute through conn.cursor(prefetch=...). Usage: asyncpg_extended.py --port N."""
import argparse
import asyncio
import datetime as dt
import decimal
import sys
import uuid

try:
    import asyncpg
except ImportError:
    sys.exit("asyncpg is not installed: pip install asyncpg (see .ci/run)")

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
port = ap.parse_args().port


def check(what, got, want):
    if got != want:
        sys.exit(f"MISMATCH {what}: got {got!r}, want {want!r}")


async def main():
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="aurum", database="default")
    await conn.execute("DROP TABLE IF EXISTS ev")
    await conn.execute("""CREATE TABLE ev (id Int32, flag Nullable(Bool), small Nullable(Int16), big Nullable(Int64),
        r4 Nullable(Float32), r8 Nullable(Float64), amount Nullable(Decimal(12, 2)), name Nullable(String), day Date,
        at Nullable(DateTime64(6)), u Nullable(UUID)) ENGINE = MergeTree ORDER BY id""")

    # INSERT parameters take the target columns' types (ParameterDescription), so asyncpg
    # encodes Python values with the matching binary codecs
    ins = await conn.prepare("INSERT INTO ev VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
    check("insert parameter types", [t.name for t in ins.get_parameters()],
          ["int4", "bool", "int2", "int8", "float4", "float8", "numeric", "text", "date", "timestamp", "uuid"])
    N = 60  # each INSERT writes a part: keep the test quick
    rows = []
    base = dt.date(2024, 1, 1)
    for i in range(1, N + 1):
        rows.append((i, i % 2 == 0, i - 100, i * 10_000_000_000, i / 4, i / 8, decimal.Decimal(i) / 4,
                     f"name{i}", base + dt.timedelta(days=i % 30), dt.datetime(2024, 1, 1, 0, 0, i % 60, i * 1000),
                     uuid.UUID(int=i)))
    rows.append((1000, None, None, None, None, None, None, None, base, None, None))
    # executemany: Bind/Execute per row (each INSERT writes a part, so only a few rows)
    await conn.executemany("INSERT INTO ev VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", rows[:8])
    # the rest in one statement with many parameters
    rest = rows[8:]
    values = ", ".join("(" + ", ".join(f"${k * 11 + j + 1}" for j in range(11)) + ")" for k in range(len(rest)))
    await conn.execute("INSERT INTO ev VALUES " + values, *[v for r in rest for v in r])
    check("count", await conn.fetchval("SELECT count(*) FROM ev"), N + 1)

    # binary results of every type round-trip
    got = await conn.fetch("SELECT * FROM ev WHERE id = $1 OR id = $2 ORDER BY id", 7, 1000)
    want7 = rows[6]
    check("row 7", tuple(got[0].values()), want7)
    check("null row", tuple(got[1].values()), rows[-1])

    # parameter type inference: `day >= $1` is a date, `amount > $2` numeric, `name LIKE $3` text
    stmt = await conn.prepare("SELECT id, name FROM ev WHERE day >= $1 AND amount > $2 AND name LIKE $3 ORDER BY id")
    check("inferred parameter types", [t.name for t in stmt.get_parameters()], ["date", "numeric", "text"])
    check("result attributes", [(a.name, a.type.name) for a in stmt.get_attributes()], [("id", "int4"), ("name", "text")])
    res = await stmt.fetch(dt.date(2024, 1, 29), decimal.Decimal("10"), "name%")
    check("filtered ids", [r["id"] for r in res], [i for i in range(1, N + 1) if i % 30 >= 28 and i / 4 > 10])
    # the same named statement again with other arguments
    res = await stmt.fetch(dt.date(2024, 1, 30), decimal.Decimal("0"), "name1%")
    check("second execution", [r["id"] for r in res], [i for i in range(1, N + 1) if i % 30 >= 29 and str(i).startswith("1")])

    # more inference: BETWEEN, IN lists, arithmetic, CAST, LIMIT
    check("between", await conn.fetchval("SELECT count(*) FROM ev WHERE big BETWEEN $1 AND $2", 10_000_000_000, 50_000_000_000), 5)
    check("in list", await conn.fetchval("SELECT count(*) FROM ev WHERE small IN ($1, $2, $3)", -99, -50, -41), 3)
    check("arithmetic", await conn.fetchval("SELECT id + $1 FROM ev WHERE id = 3", 4), 7)
    check("cast", await conn.fetchval("SELECT CAST($1 AS Date)", dt.date(2020, 2, 2)), dt.date(2020, 2, 2))
    check("limit", len(await conn.fetch("SELECT id FROM ev ORDER BY id LIMIT $1", 5)), 5)
    check("uuid param", await conn.fetchval("SELECT id FROM ev WHERE u = $1", uuid.UUID(int=42)), 42)
    check("timestamp param", await conn.fetchval("SELECT count(*) FROM ev WHERE at >= $1", dt.datetime(2024, 1, 1, 0, 0, 59)), 1)
    check("bool param", await conn.fetchval("SELECT count(*) FROM ev WHERE flag = $1", True), N // 2)
    check("float param", await conn.fetchval("SELECT count(*) FROM ev WHERE r8 < $1", 1.0), 7)

    # cursor with prefetch: row-limited Execute (PortalSuspended) inside a transaction
    async with conn.transaction():
        seen = []
        async for r in conn.cursor("SELECT id FROM ev WHERE id <= $1 ORDER BY id", 50, prefetch=15):
            seen.append(r["id"])
        check("cursor prefetch", seen, list(range(1, 51)))
        cur = await conn.cursor("SELECT id, name FROM ev ORDER BY id")
        first = await cur.fetch(3)
        check("cursor fetch", [r["id"] for r in first], [1, 2, 3])
        check("cursor fetchrow", (await cur.fetchrow())["name"], "name4")

    # errors: a bad statement, then the connection is still usable
    try:
        await conn.fetch("SELECT * FROM nope WHERE id = $1", 1)
        sys.exit("MISMATCH: expected UndefinedTableError")
    except asyncpg.exceptions.UndefinedTableError:
        pass
    try:
        await conn.fetchval("SELECT 10 / $1", 0)
        sys.exit("MISMATCH: expected DivisionByZeroError")
    except asyncpg.exceptions.DivisionByZeroError:
        pass
    check("after errors", await conn.fetchval("SELECT $1::Int32 * 2", 21), 42)
    await conn.close()
    print("asyncpg: all checks passed")


asyncio.run(main())
