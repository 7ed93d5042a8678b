#!/usr/bin/env python3
"""psycopg 3 against an Aurum server: COPY FROM STDIN (write_row / write), COPY TO STDOUT
(rows / read), CopyFail, a bad row's error with its context, SET/SHOW and ParameterStatus.
Usage: copy_psycopg.py --port N. Exits non-zero with a message on any mismatch."""
import argparse
import sys

try:
    import psycopg
    from psycopg import errors
except ImportError:
    sys.exit("psycopg 3 is not installed: pip install 'psycopg[binary]'")


def check(what, got, expected):
    if got != expected:
        sys.exit(f"MISMATCH {what}: got {got!r}, expected {expected!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    port = ap.parse_args().port
    conn = psycopg.connect(host="127.0.0.1", port=port, user="aurum", dbname="default", autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE pc (a Int32, b Nullable(String)) ENGINE = MergeTree ORDER BY a")

    with cur.copy("COPY pc (a, b) FROM STDIN") as copy:
        copy.write_row((1, "one"))
        copy.write_row((2, None))
        copy.write_row((3, "tab\there, \"quoted\"\nnewline"))
        copy.write("4\tfour\n")
    check("rowcount after COPY", cur.rowcount, 4)
    cur.execute("SELECT a, b FROM pc ORDER BY a")
    check("rows after COPY", cur.fetchall(),
          [(1, "one"), (2, None), (3, "tab\there, \"quoted\"\nnewline"), (4, "four")])

    with cur.copy("COPY (SELECT a, b FROM pc ORDER BY a) TO STDOUT") as copy:
        rows = list(copy.rows())
    check("COPY TO rows", rows, [("1", "one"), ("2", None), ("3", "tab\there, \"quoted\"\nnewline"), ("4", "four")])

    with cur.copy("COPY pc TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    lines = sorted(data.decode().split("\n")[1:-1])
    check("COPY TO csv header", data.decode().split("\n")[0], "a,b")
    check("COPY TO csv line count", len(data.decode().splitlines()), 6)

    # an exception inside the block sends CopyFail: nothing is committed
    try:
        with cur.copy("COPY pc FROM STDIN") as copy:
            copy.write_row((10, "x"))
            raise RuntimeError("changed my mind")
    except errors.QueryCanceled as e:
        check("CopyFail sqlstate", e.sqlstate, "57014")
    except RuntimeError:
        pass
    cur.execute("SELECT count(*) FROM pc")
    check("count after CopyFail", cur.fetchone()[0], 4)

    # a bad row: 22P02 with the line and column in the context
    try:
        with cur.copy("COPY pc FROM STDIN") as copy:
            copy.write("5\tfive\nsix\tsix\n")
        sys.exit("MISMATCH: a bad row did not fail the COPY")
    except errors.InvalidTextRepresentation as e:
        check("bad row context", e.diag.context, 'COPY pc, line 2, column a: "six"')
    cur.execute("SELECT count(*) FROM pc")
    check("count after a failed COPY", cur.fetchone()[0], 4)

    # settings and ParameterStatus
    cur.execute("SET application_name = 'psycopg-copy'")
    check("application_name ParameterStatus", conn.info.parameter_status("application_name"), "psycopg-copy")
    cur.execute("SET TIME ZONE 'Europe/Paris'")
    check("TimeZone ParameterStatus", conn.info.parameter_status("TimeZone"), "Europe/Paris")
    cur.execute("RESET ALL")
    check("application_name after RESET", conn.info.parameter_status("application_name"), "")
    cur.execute("show standard_conforming_strings")
    check("standard_conforming_strings", cur.fetchone()[0], "on")
    cur.execute("show transaction isolation level")
    check("transaction isolation level", cur.fetchone()[0], "read committed")
    try:
        cur.execute("SET statement_timeout = 'soon'")
        sys.exit("MISMATCH: a bad statement_timeout was accepted")
    except errors.InvalidParameterValue:
        pass
    try:
        cur.execute("SHOW nonexistent_setting")
        sys.exit("MISMATCH: SHOW of an unknown setting succeeded")
    except errors.UndefinedObject:
        pass
    conn.close()
    print("ok")


if __name__ == "__main__":
    main()
