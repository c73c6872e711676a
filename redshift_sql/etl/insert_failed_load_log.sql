-- A failed run's log row, written in its own transaction after the load rolled back (or after
-- any other step failed: failed_step names it).
INSERT INTO etl.load_log (run_id, started_at, finished_at, status, full_refresh, error, failed_step)
VALUES (
    '${run_id}',
    CAST(REPLACE(REPLACE(NULLIF(NULLIF('${started_at}', ''), 'null'), 'T', ' '), 'Z', '')
        AS timestamp),
    /*redshift: GETDATE() *//*postgres: CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp) */,
    'failed',
    CAST(NULLIF(NULLIF('${full_refresh}', ''), 'null') AS boolean),
    -- Long enough for any real message, short enough for a log row (also on Redshift).
    LEFT('${error}', 8000),
    NULLIF('${failed_step}', '')
);
