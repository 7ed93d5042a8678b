#!/usr/bin/env python3
"""psycopg2 server-side (named) cursors against Aurum: DECLARE ... CURSOR / FETCH FORWARD n /
CLOSE inside the transaction psycopg2 opens, itersize batches, scrollable=False, withhold=True
surviving COMMIT, and client-side parameter interpolation. Exits non-zero on any mismatch."""
import argparse
import sys

import psycopg2


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    conn = psycopg2.connect(host="127.0.0.1", port=args.port, user="aurum", dbname="default")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE nc (k Int64, s String) ENGINE = MergeTree ORDER BY k")
    cur.execute("INSERT INTO nc SELECT number, concat('v', toString(number)) FROM numbers(25000)")
    conn.autocommit = False

    # itersize: FETCH FORWARD 2000 until exhausted, inside psycopg2's BEGIN
    with conn.cursor(name="big") as named:
        named.itersize = 2000
        named.execute("SELECT k, s FROM nc WHERE k >= %s ORDER BY k", (100,))
        n, first, last = 0, None, None
        for row in named:
            if first is None:
                first = row
            last = row
            n += 1
    check(n == 24900, f"rows {n}")
    check(first == (100, "v100") and last == (24999, "v24999"), f"{first} {last}")
    conn.commit()

    # fetchmany / fetchone on a named cursor
    named = conn.cursor(name="few")
    named.execute("SELECT k FROM nc ORDER BY k")
    check(named.fetchone() == (0,), "fetchone")
    check([r[0] for r in named.fetchmany(3)] == [1, 2, 3], "fetchmany")
    named.close()
    conn.rollback()

    # WITH HOLD survives COMMIT
    held = conn.cursor(name="held", withhold=True)
    held.execute("SELECT count(*) FROM nc")
    conn.commit()
    check(held.fetchone() == (25000,), "withhold after commit")
    held.close()
    conn.commit()

    # an error in a named cursor's query, then the connection recovers after rollback
    bad = conn.cursor(name="bad")
    try:
        bad.execute("SELECT nope FROM nc")
        bad.fetchone()
        check(False, "expected an error")
    except psycopg2.Error as e:
        check(e.pgcode == "42703", f"pgcode {e.pgcode}")
    conn.rollback()
    cur = conn.cursor()
    cur.execute("SELECT 1")
    check(cur.fetchone() == (1,), "after rollback")
    conn.close()
    print("all checks passed")


if __name__ == "__main__":
    main()
