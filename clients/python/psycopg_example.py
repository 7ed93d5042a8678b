#!/usr/bin/env python3
"""Query Aurum from Python with psycopg 3 (pip install "psycopg[binary]").

Runs against the demo data (`bash demo.sh`, or `aurum serve --demo`):

    python3 clients/python/psycopg_example.py --port 5433

Shows a parameterised query (server-side parameters over the extended protocol),
a binary-format fetch, a server-side cursor for a large result, and COPY in and
out of a scratch table.
"""
import argparse
import datetime as dt
import io
import sys

import psycopg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--user", default="aurum")
    ap.add_argument("--dbname", default="default")
    args = ap.parse_args()

    conninfo = f"host={args.host} port={args.port} user={args.user} dbname={args.dbname}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        print(conn.execute("SELECT version()").fetchone()[0])

        # Parameters are sent separately from the SQL text and typed by the server
        # ($1 is described as a date because it is compared with a Date column).
        rows = conn.execute(
            """SELECT region, sum(revenue) AS revenue
               FROM sales_daily
               WHERE date >= %s AND date < %s
               GROUP BY region ORDER BY revenue DESC""",
            (dt.date(2024, 1, 1), dt.date(2024, 2, 1)),
        ).fetchall()
        for region, revenue in rows:
            print(f"{region:10} {revenue:>14}")

        # Binary results: values arrive as typed binary fields (numeric -> Decimal).
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT count(*), sum(units), max(date) FROM sales_daily")
            count, units, last = cur.fetchone()
            print(f"{count} rows, {units} units, last day {last}")

        # A named (server-side) cursor fetches a large result in batches of itersize rows.
        with conn.transaction():
            with conn.cursor(name="all_days") as cur:
                cur.itersize = 5000
                cur.execute("SELECT date, region, product, units FROM sales_daily ORDER BY date")
                n = sum(1 for _ in cur)
                print(f"streamed {n} rows through a server-side cursor")

        # COPY: bulk in (committed atomically at the end) and out.
        conn.execute("DROP TABLE IF EXISTS example_targets")
        conn.execute("CREATE TABLE example_targets (region String, month Date, target Decimal(18, 2)) "
                     "ENGINE = MergeTree ORDER BY (region, month)")
        with conn.cursor() as cur:
            with cur.copy("COPY example_targets (region, month, target) FROM STDIN") as copy:
                for region in ("North", "South", "East", "West"):
                    copy.write_row((region, dt.date(2024, 1, 1), "125000.00"))
            out = io.BytesIO()
            with cur.copy("COPY (SELECT * FROM example_targets ORDER BY region) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for chunk in copy:
                    out.write(chunk)
        print(out.getvalue().decode().strip())
        conn.execute("DROP TABLE example_targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
