-- web_events: Gold-layer clickstream of a web shop.
--
-- 200,000 * {scale} events over March 2024, in sessions of eight events; session ids are
-- UUIDs, users come back for several sessions, durations are NULL for events that have
-- none (session starts and purchases). Deterministic: identical on every run.

DROP TABLE IF EXISTS web_events;

CREATE TABLE web_events
(
    event_time   DateTime,
    user_id      UInt64,
    session_id   UUID,
    event_type   LowCardinality(String),
    url          String,
    country      LowCardinality(String),
    duration_ms  Nullable(UInt32)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (event_type, event_time);

INSERT INTO web_events
SELECT
    event_time,
    user_id,
    session_id,
    event_type,
    url,
    country,
    if(event_type IN ('session_start', 'purchase'), NULL, toUInt32(200 + h % 45000)) AS duration_ms
FROM
(
    SELECT
        -- 2024-03-01 00:00 UTC is 1709251200; sessions spread evenly over 31 days
        toDateTime(1709251200 + intDiv(session * 2678400, 25000 * {scale}) + k * (15 + h % 90)) AS event_time,
        toUInt64(1 + (session * 7919) % (9000 * {scale})) AS user_id,
        toUUID(concat(toString(10000000 + (session * 2654435761) % 89999999), '-0000-4000-8000-',
                      toString(100000000000 + session))) AS session_id,
        multiIf(k = 0, 'session_start',
                k = 7 AND intDiv(sh, 20) % 100 < 8 + sh % 20, 'purchase',
                k = 6 AND intDiv(sh, 20) % 100 < 30 + sh % 20, 'add_to_cart',
                k % 2 = 1, 'click',
                'page_view') AS event_type,
        multiIf(k = 0, '/',
                k = 7 AND intDiv(sh, 20) % 100 < 8 + sh % 20, '/checkout/complete',
                k = 6 AND intDiv(sh, 20) % 100 < 30 + sh % 20, '/cart',
                h % 4 = 0, concat('/products/', toString(1000 + h % 40)),
                h % 4 = 1, concat('/category/', multiIf(h % 3 = 0, 'espresso', h % 3 = 1, 'grinders', 'accessories')),
                h % 4 = 2, '/search',
                concat('/blog/', toString(h % 25))) AS url,
        -- the session's hash picks its country and, per country, how likely it ends in a purchase
        multiIf(sh % 20 < 6, 'US', sh % 20 < 9, 'DE', sh % 20 < 11, 'GB', sh % 20 < 13, 'FR',
                sh % 20 < 15, 'IN', sh % 20 < 17, 'BR', sh % 20 < 18, 'JP', 'CA') AS country,
        h
    FROM
    (
        SELECT
            intDiv(toInt64(number), 8) AS session,
            toInt64(number) % 8 AS k,
            (toInt64(number) * 2654435761 + 12345) % 1000003 AS h,
            (intDiv(toInt64(number), 8) * 2246822519 + 374761393) % 1000003 AS sh
        FROM numbers(200000 * {scale})
    )
);
