-- Round trip through psql's \copy: export a query to CSV, load it into a new table,
-- compare. Run from the repository root against the demo data:
--   psql -h 127.0.0.1 -p 5433 -U aurum -v ON_ERROR_STOP=1 -f clients/psql/copy.sql default
\set ON_ERROR_STOP 1
\copy (SELECT date, region, product, units, revenue FROM sales_daily WHERE date < '2023-02-01') TO '/tmp/aurum_psql_example.csv' WITH (FORMAT csv, HEADER)
DROP TABLE IF EXISTS sales_january;
CREATE TABLE sales_january (date Date, region String, product String, units UInt32, revenue Decimal(18, 2))
    ENGINE = MergeTree ORDER BY (date, region, product);
\copy sales_january FROM '/tmp/aurum_psql_example.csv' WITH (FORMAT csv, HEADER)
SELECT count(*) AS copied_rows, sum(revenue) AS copied_revenue FROM sales_january;
SELECT count(*) AS source_rows, sum(revenue) AS source_revenue FROM sales_daily WHERE date < '2023-02-01';
DROP TABLE sales_january;
