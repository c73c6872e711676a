-- One row, one column: where the next incremental window starts, i.e. the high-water mark of
-- the succeeded loads (etl.watermark) minus the lookback in hours, as the ISO-8601 UTC text
-- the Spark job parses ('2026-11-01T06:00:00Z', whole seconds). window_start is NULL before
-- the first load (the state machine then runs a full refresh). Step Functions has no date
-- arithmetic, so the warehouse does it.
-- Placeholder lookback_hours (a whole number): on Redshift the state machine writes the
-- stage's value into the SQL at synth time; on Postgres it is a bound parameter.
SELECT
    REPLACE(
        TO_CHAR(
            /*redshift: DATEADD(hour, -${lookback_hours}, high_water_mark) */
            /*postgres: high_water_mark - ${lookback_hours} * INTERVAL '1 hour' */,
            'YYYY-MM-DD HH24:MI:SS'
        ),
        ' ',
        'T'
    ) || 'Z' AS window_start
FROM etl.watermark;
