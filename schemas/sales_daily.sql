-- sales_daily: Gold-layer daily sales fact table.
--
-- One row per day, region, channel and product for 2023-01-01 .. 2024-12-31 (731 days),
-- 200 * {scale} rows per day: 146,200 rows at scale 1. Every value is a pure function of
-- the row number, so the table is identical on every run and machine. `aurum demo`
-- replaces {scale}; `aurum demo --print-sql` shows the script it runs.

DROP TABLE IF EXISTS sales_daily;

CREATE TABLE sales_daily
(
    date     Date,
    region   LowCardinality(String),
    product  String,
    channel  LowCardinality(String),
    units    UInt32,
    revenue  Decimal(18, 2),
    cost     Decimal(18, 2)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, region, product);

INSERT INTO sales_daily
SELECT
    date,
    region,
    product,
    channel,
    units,
    CAST(units * price_cents AS Decimal(18, 2)) / 100 AS revenue,
    -- cost: 55-74 % of the list price by product, plus 0-8 points of logistics by region
    CAST(units * intDiv(price_cents * (55 + p % 20 + (k % 5) * 2), 100) AS Decimal(18, 2)) / 100 AS cost
FROM
(
    SELECT
        d,
        p,
        k,
        toDate('2023-01-01') + d AS date,
        multiIf(k % 5 = 0, 'North', k % 5 = 1, 'South', k % 5 = 2, 'East', k % 5 = 3, 'West', 'Central') AS region,
        multiIf(intDiv(k, 5) % 3 = 0, 'Online', intDiv(k, 5) % 3 = 1, 'Retail', 'Partner') AS channel,
        concat(
            multiIf(p % 8 = 0, 'Espresso Machine', p % 8 = 1, 'Coffee Grinder', p % 8 = 2, 'Milk Frother',
                    p % 8 = 3, 'Kettle', p % 8 = 4, 'French Press', p % 8 = 5, 'Pour-Over Set',
                    p % 8 = 6, 'Cold Brew Maker', 'Coffee Beans 1kg'),
            ' ',
            multiIf(intDiv(p, 8) = 0, 'Mini', intDiv(p, 8) = 1, 'Classic', intDiv(p, 8) = 2, 'Plus',
                    intDiv(p, 8) = 3, 'Pro', 'Signature')) AS product,
        -- price in cents: a list price per product between $9.99 and $489.99,
        -- 15 % off through the Partner channel
        intDiv((999 + (p * 1237) % 48000) * if(intDiv(k, 5) % 3 = 2, 85, 100), 100) AS price_cents,
        -- units: pseudo-random 1..20, more on weekends, more in November and December,
        -- more in some regions, the Online channel growing over the two years
        toUInt32(1 + (n * 2654435761 + d * 40503) % 20
                 + if(d % 7 IN (5, 6), 4, 0)
                 + multiIf(k % 5 = 0, 3, k % 5 = 2, 2, k % 5 = 3, 1, k % 5 = 4, 4, 0)
                 + multiIf(toMonth(toDate('2023-01-01') + d) = 12, 8, toMonth(toDate('2023-01-01') + d) = 11, 5, 0)
                 + if(intDiv(k, 5) % 3 = 0, intDiv(d, 120), 0)) AS units
    FROM
    (
        SELECT
            toInt64(number) AS n,
            intDiv(toInt64(number), 200 * {scale}) AS d,
            toInt64(number) % (200 * {scale}) AS k,
            -- 14 distinct products per day out of 40, rotating with the day
            (intDiv(toInt64(number) % (200 * {scale}), 15) * 3 + intDiv(toInt64(number), 200 * {scale})) % 40 AS p
        FROM numbers(731 * 200 * {scale})
    )
);
