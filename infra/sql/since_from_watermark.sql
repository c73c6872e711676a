-- The start of an incremental window: the warehouse high-water mark (from
-- redshift_sql/etl/select_watermark.sql, inlined as ${watermark_query}) minus the stage's
-- lookback, as the ISO-8601 UTC text the Spark job parses. NULL before the first load, which
-- the state machine turns into a full refresh. Step Functions has no date arithmetic, so
-- Redshift does it.
SELECT REPLACE(
    TO_CHAR(DATEADD(hour, -${lookback_hours}, w.high_water_mark), 'YYYY-MM-DD HH24:MI:SS'),
    ' ', 'T'
) || 'Z' AS since
FROM (${watermark_query}) AS w
