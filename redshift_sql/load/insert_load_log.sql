-- The succeeded load's log row, the last write of the load transaction. etl.watermark derives
-- from these rows (greatest high_water_mark), so the watermark moves with the data, atomically.
-- Every value comes from the run's load summary (staging.run_summary).
INSERT INTO etl.load_log (
    run_id, started_at, finished_at, status, window_since, window_until, full_refresh,
    high_water_mark, rows_read, rows_valid, rows_quarantined, rows_duplicates,
    rows_time_corrected, error
)
SELECT
    run_id,
    /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    /*redshift: GETDATE() *//*postgres: CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp) */,
    'succeeded',
    CAST(REPLACE(REPLACE(NULLIF(window_since, ''), 'T', ' '), 'Z', '') AS timestamp),
    CAST(REPLACE(REPLACE(NULLIF(window_until, ''), 'T', ' '), 'Z', '') AS timestamp),
    full_refresh,
    CAST(REPLACE(REPLACE(NULLIF(high_water_mark, ''), 'T', ' '), 'Z', '') AS timestamp),
    counts_read,
    counts_valid,
    counts_quarantined,
    counts_duplicates,
    counts_time_corrected,
    NULL
FROM staging.run_summary;
