-- The succeeded load's log row, the last write of the load transaction. etl.watermark derives
-- from these rows (greatest high_water_mark), so the watermark moves with the data, atomically.
-- Timestamps arrive as ISO-8601 text ('2026-12-01T09:12:44Z'), or '' / 'null' for none.
INSERT INTO etl.load_log (
    run_id, started_at, finished_at, status, window_since, window_until, full_refresh,
    high_water_mark, rows_read, rows_valid, rows_quarantined, rows_duplicates,
    rows_time_corrected, error
) VALUES (
    '${run_id}',
    /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    /*redshift: GETDATE() *//*postgres: CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp) */,
    'succeeded',
    CAST(REPLACE(REPLACE(NULLIF(NULLIF('${window_since}', ''), 'null'), 'T', ' '), 'Z', '')
        AS timestamp),
    CAST(REPLACE(REPLACE(NULLIF(NULLIF('${window_until}', ''), 'null'), 'T', ' '), 'Z', '')
        AS timestamp),
    ${full_refresh},
    CAST(REPLACE(REPLACE(NULLIF(NULLIF('${high_water_mark}', ''), 'null'), 'T', ' '), 'Z', '')
        AS timestamp),
    ${counts_read},
    ${counts_valid},
    ${counts_quarantined},
    ${counts_duplicates},
    ${counts_time_corrected},
    NULL
);
