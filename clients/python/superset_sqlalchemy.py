#!/usr/bin/env python3
"""What Apache Superset does with a database: SQLAlchemy 2 + psycopg2
(pip install sqlalchemy psycopg2-binary).

Superset's "SQLALCHEMY URI" for Aurum is

    postgresql+psycopg2://aurum@127.0.0.1:5433/default

(add the password after the user as `aurum:secret@` when the server requires one).
This script introspects the demo tables the way Superset's dataset editor does and
runs a chart query in the shape Superset generates:

    python3 clients/python/superset_sqlalchemy.py --port 5433
"""
import argparse
import sys

import sqlalchemy as sa


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--user", default="aurum")
    ap.add_argument("--dbname", default="default")
    args = ap.parse_args()

    engine = sa.create_engine(f"postgresql+psycopg2://{args.user}@{args.host}:{args.port}/{args.dbname}")
    insp = sa.inspect(engine)
    schema = insp.default_schema_name
    print("schemas:", insp.get_schema_names())
    print("tables in", schema, ":", insp.get_table_names(schema=schema))
    for col in insp.get_columns("sales_daily", schema=schema):
        print(f"  {col['name']:10} {col['type']!s:16} nullable={col['nullable']}")
    print("primary key:", insp.get_pk_constraint("sales_daily", schema=schema))

    chart = sa.text("""
        SELECT region AS region, sum(revenue) AS "SUM(revenue)"
        FROM (SELECT * FROM sales_daily WHERE date >= '2024-01-01') AS virtual_table
        GROUP BY region
        ORDER BY "SUM(revenue)" DESC
        LIMIT 10000""")
    with engine.connect() as conn:
        for region, revenue in conn.execute(chart):
            print(f"{region:10} {revenue:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
