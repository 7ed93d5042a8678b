#!/usr/bin/env python3
"""Dashboard load test over the PostgreSQL wire protocol.

N client connections (threads, psycopg 3, server-side parameters) run a mix of
dashboard queries against the SSB `lineorder_flat` table for a fixed time, each
with randomly chosen filter values. Prints queries/s, p50/p90/p99 latency per
query kind and overall, and the error count; exits 1 if any query failed.

    python3 loadtest.py --dsn 'host=127.0.0.1 port=5433 user=aurum dbname=default' \
        --connections 64 --seconds 60 --label aurum --json /tmp/aurum-load.json

The same script runs against PostgreSQL 15 (same data, same queries) so the two
can be compared in one run; see Benchmarks/README.md.
"""
import argparse
import datetime as dt
import json
import random
import statistics
import sys
import threading
import time

REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
MODES = ["AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"]


def month_range(rng):
    year = rng.randint(1992, 1998)
    month = rng.randint(1, 12)
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def year_range(rng):
    year = rng.randint(1992, 1998)
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def category(rng):
    return f"MFGR#{rng.randint(1, 5)}{rng.randint(1, 5)}"


# name -> (sql, function producing the parameters)
QUERIES = {
    "kpi_month": (
        "SELECT count(*) AS orders, sum(lo_revenue) AS revenue, avg(lo_discount) AS discount "
        "FROM lineorder_flat WHERE lo_orderdate >= %s AND lo_orderdate < %s",
        lambda r: month_range(r),
    ),
    "monthly_revenue_region": (
        "SELECT date_trunc('month', lo_orderdate) AS month, sum(lo_revenue) AS revenue "
        "FROM lineorder_flat WHERE c_region = %s AND lo_orderdate >= %s AND lo_orderdate < %s "
        "GROUP BY date_trunc('month', lo_orderdate) ORDER BY month",
        lambda r: (r.choice(REGIONS), *year_range(r)),
    ),
    "top_brands": (
        "SELECT p_brand, sum(lo_revenue) AS revenue FROM lineorder_flat "
        "WHERE p_category = %s GROUP BY p_brand ORDER BY revenue DESC, p_brand LIMIT 10",
        lambda r: (category(r),),
    ),
    "shipmode_by_nation": (
        "SELECT c_nation, count(*) AS n, sum(lo_quantity) AS quantity FROM lineorder_flat "
        "WHERE lo_shipmode = %s AND lo_orderdate >= %s AND lo_orderdate < %s "
        "GROUP BY c_nation ORDER BY n DESC, c_nation",
        lambda r: (r.choice(MODES), *year_range(r)),
    ),
    "weekly_buckets": (
        "SELECT floor(extract(epoch from lo_orderdate) / 604800) * 604800 AS bucket, "
        "sum(lo_revenue) AS revenue FROM lineorder_flat "
        "WHERE lo_orderdate >= %s AND lo_orderdate < %s GROUP BY 1 ORDER BY 1",
        lambda r: month_range(r),
    ),
}


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def worker(dsn, deadline, seed, out, errors, lock):
    import psycopg

    rng = random.Random(seed)
    names = list(QUERIES)
    local = {n: [] for n in names}
    local_errors = []
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except Exception as e:  # noqa: BLE001 - report every failure
        with lock:
            errors.append(f"connect: {e}")
        return
    with conn:
        while time.perf_counter() < deadline:
            name = rng.choice(names)
            sql, params = QUERIES[name]
            t0 = time.perf_counter()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, params(rng))
                    cur.fetchall()
            except Exception as e:  # noqa: BLE001
                local_errors.append(f"{name}: {e.__class__.__name__}: {e}")
                continue
            local[name].append(time.perf_counter() - t0)
    with lock:
        for n, v in local.items():
            out[n].extend(v)
        errors.extend(local_errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--label", default="target")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    out = {n: [] for n in QUERIES}
    errors = []
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + args.seconds
    threads = [threading.Thread(target=worker, args=(args.dsn, deadline, args.seed * 1000 + i, out, errors, lock))
               for i in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start

    every = [x for v in out.values() for x in v]
    report = {
        "label": args.label, "connections": args.connections, "seconds": round(elapsed, 1),
        "queries": len(every), "qps": round(len(every) / elapsed, 1), "errors": len(errors),
        "p50_ms": round(percentile(every, 50) * 1000, 1), "p90_ms": round(percentile(every, 90) * 1000, 1),
        "p99_ms": round(percentile(every, 99) * 1000, 1),
        "per_query": {n: {"count": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                          "p99_ms": round(percentile(v, 99) * 1000, 1),
                          "mean_ms": round(statistics.fmean(v) * 1000, 1) if v else None}
                      for n, v in out.items()},
    }
    print(f"{args.label}: {report['queries']} queries in {report['seconds']} s over {args.connections} connections: "
          f"{report['qps']} q/s, p50 {report['p50_ms']} ms, p90 {report['p90_ms']} ms, p99 {report['p99_ms']} ms, "
          f"errors {report['errors']}")
    for n, v in report["per_query"].items():
        print(f"  {n:24} {v['count']:6} queries  p50 {v['p50_ms']:8} ms  p99 {v['p99_ms']:8} ms")
    for e in errors[:10]:
        print("  error:", e, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    return 1 if errors or not every else 0


if __name__ == "__main__":
    sys.exit(main())
