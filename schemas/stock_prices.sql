-- stock_prices: Gold-layer market data, in the shape of a streaming feed of one-minute bars.
--
-- Ten fictional symbols, 390 one-minute bars per trading day (09:30-16:00 UTC), Monday to
-- Friday from 2024-01-01, 50 * {scale} trading days: 195,000 rows at scale 1. Prices follow
-- two deterministic triangle waves plus hashed noise around a per-symbol base price, so the
-- table is identical on every run. Each bar's open is the previous bar's close.

DROP TABLE IF EXISTS stock_prices;

CREATE TABLE stock_prices
(
    symbol  LowCardinality(String),
    ts      DateTime64(3),
    open    Decimal(18, 4),
    high    Decimal(18, 4),
    low     Decimal(18, 4),
    close   Decimal(18, 4),
    volume  UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (symbol, ts);

INSERT INTO stock_prices
SELECT
    symbol,
    ts,
    CAST(open_bp AS Decimal(18, 4)) / 10000 AS open,
    CAST(greatest(open_bp, close_bp) + wick_bp AS Decimal(18, 4)) / 10000 AS high,
    CAST(least(open_bp, close_bp) - wick_bp AS Decimal(18, 4)) / 10000 AS low,
    CAST(close_bp AS Decimal(18, 4)) / 10000 AS close,
    -- volume: hashed lots of 100, heavier for some symbols and days, three times higher in the
    -- first and last half hour
    toUInt64(100 * (1 + (t * 2654435761 + s * 97) % 50) * (1 + (s * 7) % 5) * (2 + (bd * 31 + s) % 5)
             * if(m < 30 OR m >= 360, 3, 1)) AS volume
FROM
(
    SELECT
        s,
        t,
        m,
        bd,
        multiIf(s = 0, 'AURM', s = 1, 'BRXL', s = 2, 'CLDY', s = 3, 'DYNA', s = 4, 'EVOX',
                s = 5, 'FLUX', s = 6, 'GRNE', s = 7, 'HELX', s = 8, 'IONQ', 'JETT') AS symbol,
        -- trading day bd is week intDiv(bd, 5), weekday bd % 5; 2024-01-01 00:00 UTC is 1704067200
        toDateTime(1704067200 + (intDiv(bd, 5) * 7 + bd % 5) * 86400 + 34200 + m * 60) AS ts,
        -- price in basis points (1/10000 of a currency unit) at bar t and t + 1
        base_bp + intDiv(base_bp * abs((t + s * 977) % 7800 - 3900), 39000)
                + intDiv(base_bp * abs((t * 7 + s * 131) % 390 - 195), 19500)
                + (t * 40503 + s * 7) % 2001 - 1000 AS open_bp,
        base_bp + intDiv(base_bp * abs((t + 1 + s * 977) % 7800 - 3900), 39000)
                + intDiv(base_bp * abs(((t + 1) * 7 + s * 131) % 390 - 195), 19500)
                + ((t + 1) * 40503 + s * 7) % 2001 - 1000 AS close_bp,
        intDiv(base_bp * ((t * 2654435761 + s) % 40), 100000) AS wick_bp
    FROM
    (
        SELECT
            toInt64(number) % 10 AS s,
            intDiv(toInt64(number), 10) AS t,
            intDiv(intDiv(toInt64(number), 10), 390) AS bd,
            intDiv(toInt64(number), 10) % 390 AS m,
            (20 + (toInt64(number) % 10) * 37) * 10000 AS base_bp
        FROM numbers(10 * 390 * 50 * {scale})
    )
);
