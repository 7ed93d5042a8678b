-- Dashboard-style queries over the Gold demo tables, run by `aurum demo`.
-- Each query starts at a `-- name: <title>` line; the title is printed above its result.

-- name: Revenue and margin by month and region, Q4 2024
SELECT
    toStartOfMonth(date) AS month,
    region,
    sum(units) AS total_units,
    sum(revenue) AS total_revenue,
    round(toFloat64(100 * (sum(revenue) - sum(cost)) / sum(revenue)), 1) AS margin_pct
FROM sales_daily
WHERE date >= '2024-10-01'
GROUP BY month, region
ORDER BY month, total_revenue DESC;

-- name: Top 10 products of 2024 by revenue, with the Online share
SELECT
    product,
    sum(revenue) AS total_revenue,
    round(toFloat64(100 * sumIf(revenue, channel = 'Online') / sum(revenue)), 1) AS online_pct,
    count(DISTINCT region) AS regions
FROM sales_daily
WHERE toYear(date) = 2024
GROUP BY product
ORDER BY total_revenue DESC
LIMIT 10;

-- name: Price range, last close and volume per symbol (all trading days)
SELECT
    symbol,
    argMin(open, ts) AS first_open,
    max(high) AS period_high,
    min(low) AS period_low,
    argMax(close, ts) AS last_close,
    round(toFloat64(100 * (argMax(close, ts) - argMin(open, ts)) / argMin(open, ts)), 2) AS change_pct,
    sum(volume) AS total_volume
FROM stock_prices
GROUP BY symbol
ORDER BY symbol;

-- name: Daily OHLC for AURM, first trading week of 2024
SELECT
    toDate(ts) AS day,
    argMin(open, ts) AS day_open,
    max(high) AS day_high,
    min(low) AS day_low,
    argMax(close, ts) AS day_close,
    sum(volume) AS day_volume
FROM stock_prices
WHERE symbol = 'AURM' AND ts < '2024-01-06'
GROUP BY day
ORDER BY day;

-- name: Traffic and conversion by country
SELECT
    country,
    count(*) AS events,
    uniqExact(session_id) AS sessions,
    uniqExact(user_id) AS users,
    round(avg(duration_ms)) AS avg_duration_ms,
    round(100 * countIf(event_type = 'purchase') / uniqExact(session_id), 1) AS conversion_pct
FROM web_events
GROUP BY country
ORDER BY events DESC;

-- name: Events by type (duration is NULL for session starts and purchases)
SELECT
    event_type,
    count(*) AS events,
    count(duration_ms) AS with_duration,
    median(duration_ms) AS median_duration_ms
FROM web_events
GROUP BY event_type
ORDER BY events DESC;
