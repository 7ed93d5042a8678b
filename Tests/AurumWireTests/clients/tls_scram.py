#!/usr/bin/env python3
"""psycopg 3 (libpq) against Aurum over TLS with SCRAM-SHA-256.

Usage: tls_scram.py --port N --user U --password P
Connects with sslmode=require, checks the connection is encrypted and a query works, then
checks that a wrong password is refused with "password authentication failed".
Exits non-zero with a message on any mismatch.
"""
import argparse
import sys

try:
    import psycopg
except ImportError:
    print("tls_scram.py: psycopg (3) is not installed: pip install 'psycopg[binary]'", file=sys.stderr)
    sys.exit(2)


def fail(msg):
    print("tls_scram.py: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    a = ap.parse_args()
    dsn = dict(host="127.0.0.1", port=a.port, dbname="default", user=a.user, sslmode="require", connect_timeout=10)
    with psycopg.connect(password=a.password, **dsn) as conn:
        if not conn.pgconn.ssl_in_use:
            fail("the connection is not encrypted")
        with conn.cursor() as cur:
            cur.execute("SELECT 40 + 2")
            row = cur.fetchone()
            if row != (42,):
                fail("SELECT 40 + 2 returned %r" % (row,))
    try:
        psycopg.connect(password=a.password + "x", **dsn).close()
        fail("a wrong password was accepted")
    except psycopg.OperationalError as e:
        if 'password authentication failed for user "%s"' % a.user not in str(e):
            fail("unexpected error for a wrong password: %s" % e)
    print("ok")


if __name__ == "__main__":
    main()
