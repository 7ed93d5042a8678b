#!/bin/bash
# Bulk-load benchmark (docs/benchmark.md "Bulk loads"): SSB lineorder_flat from CSV and Parquet,
# DuckDB CTAS against aurum load, INSERT FROM INFILE / file(), and aurum load through a running
# server, each under /usr/bin/time. Needs a release build (swift build -c release --product aurum),
# python3 with duckdb, psql and bc. WORK (default /tmp/aurum-loadbench) is wiped first.
set -u
B=${AURUM:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/aurum}
D=${1:?usage: run_load_bench.sh SSB_DIR (with lineorder_flat.csv and .parquet from ../shared/bench/gen_ssb.py)}
W=${WORK:-/tmp/aurum-loadbench}
T() { /usr/bin/time -f "%e s wall, %U user, %S sys, %M KB peak" "$@"; }
rm -rf $W && mkdir -p $W
echo "== duckdb csv"; T python3 -c "
import duckdb,time; c=duckdb.connect('$W/d1.db'); c.execute('SET threads=2'); t=time.time()
c.execute(\"CREATE TABLE lo AS SELECT * FROM read_csv('$D/lineorder_flat.csv')\"); c.execute('CHECKPOINT'); print('duckdb csv', round(time.time()-t,2), c.execute('select count(*), sum(lo_revenue) from lo').fetchall())"
echo "== duckdb parquet"; T python3 -c "
import duckdb,time; c=duckdb.connect('$W/d2.db'); c.execute('SET threads=2'); t=time.time()
c.execute(\"CREATE TABLE lo AS SELECT * FROM read_parquet('$D/lineorder_flat.parquet')\"); c.execute('CHECKPOINT'); print('duckdb parquet', round(time.time()-t,2), c.execute('select count(*), sum(lo_revenue) from lo').fetchall())"
echo "== aurum load csv"; T $B load --data $W/a --table lo --create $D/lineorder_flat.csv
echo "== aurum load parquet"; T $B load --data $W/a --table lop --create $D/lineorder_flat.parquet
$B query --data $W/a "TRUNCATE TABLE lo" >/dev/null
echo "== INSERT FROM INFILE csv"; T $B query --data $W/a "INSERT INTO lo FROM INFILE '$D/lineorder_flat.csv' FORMAT CSVWithNames"
echo "== INSERT SELECT file() parquet"; $B query --data $W/a "TRUNCATE TABLE lop" >/dev/null; T $B query --data $W/a "INSERT INTO lop SELECT * FROM file('$D/lineorder_flat.parquet')"
$B query --data $W/a "SELECT count(*), sum(lo_revenue) FROM lo; SELECT count(*), sum(lo_revenue) FROM lop"
# through a running server
$B serve --data $W/s --port 54477 --no-http > $W/serve.log 2>&1 &
SP=$!; sleep 3
cpu() { awk '{print ($14+$15)/100}' /proc/$SP/stat; }
c0=$(cpu); echo "== through server csv"; T $B load --data $W/s --table lo --create $D/lineorder_flat.csv; c1=$(cpu); echo "server cpu s: $(echo "$c1 - $c0" | bc)"
c0=$(cpu); echo "== through server parquet"; T $B load --data $W/s --table lop --create $D/lineorder_flat.parquet; c1=$(cpu); echo "server cpu s: $(echo "$c1 - $c0" | bc)"
echo "server peak: $(grep VmHWM /proc/$SP/status)"
psql -h 127.0.0.1 -p 54477 -U aurum -d default -Atc "SELECT count(*), sum(lo_revenue) FROM lo" -c "SELECT count(*), sum(lo_revenue) FROM lop"
kill $SP; wait $SP
