-- Rows staged / to insert / to update per table, computed before the merges. "Updated" counts
-- existing rows that gain information under the merge rules, so reloading a run reports 0/0.
INSERT INTO etl.load_table_stats (
    run_id, started_at, table_name, rows_staged, rows_inserted, rows_updated
)
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'd_user',
    (SELECT COUNT(*) FROM staging.d_user),
    COALESCE(SUM(CASE WHEN a.user_key IS NULL THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN a.user_key IS NOT NULL AND (
        s.first_seen_ts < a.first_seen_ts
        OR s.last_seen_ts > a.last_seen_ts
        OR s.install_ts < a.install_ts
        OR (a.install_ts IS NULL AND s.install_ts IS NOT NULL)
        OR (s.is_paying AND NOT a.is_paying)
        OR s.first_payment_ts < a.first_payment_ts
        OR (a.first_payment_ts IS NULL AND s.first_payment_ts IS NOT NULL)
    ) THEN 1 ELSE 0 END), 0)
FROM staging.d_user_merge AS s
LEFT JOIN analysis.d_user AS a ON a.user_key = s.user_key
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'd_date', (SELECT COUNT(*) FROM staging.d_date), COUNT(DISTINCT s.date_key), 0
FROM staging.d_date AS s
LEFT JOIN analysis.d_date AS a ON a.date_key = s.date_key
WHERE a.date_key IS NULL
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'd_device', (SELECT COUNT(*) FROM staging.d_device), COUNT(DISTINCT s.device_key), 0
FROM staging.d_device AS s
LEFT JOIN analysis.d_device AS a ON a.device_key = s.device_key
WHERE a.device_key IS NULL
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'd_item', (SELECT COUNT(*) FROM staging.d_item), COUNT(DISTINCT s.item_key), 0
FROM staging.d_item AS s
LEFT JOIN analysis.d_item AS a ON a.item_key = s.item_key
WHERE a.item_key IS NULL
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'f_session',
    (SELECT COUNT(*) FROM staging.f_session),
    COALESCE(SUM(CASE WHEN a.session_key IS NULL THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN a.session_key IS NOT NULL AND (
        s.start_ts < a.start_ts
        OR s.end_ts > a.end_ts
        OR s.length_s > a.length_s
        OR (a.length_s IS NULL AND s.length_s IS NOT NULL)
        OR s.session_num < a.session_num
        OR (a.session_num IS NULL AND s.session_num IS NOT NULL)
    ) THEN 1 ELSE 0 END), 0)
FROM staging.f_session_merge AS s
LEFT JOIN analysis.f_session AS a ON a.session_key = s.session_key
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'f_event', (SELECT COUNT(*) FROM staging.f_event), COUNT(DISTINCT s.event_key), 0
FROM staging.f_event AS s
LEFT JOIN analysis.f_event AS a ON a.event_key = s.event_key
WHERE a.event_key IS NULL
UNION ALL
SELECT
    '${run_id}', /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */,
    'f_revenue', (SELECT COUNT(*) FROM staging.f_revenue), COUNT(DISTINCT s.event_key), 0
FROM staging.f_revenue AS s
LEFT JOIN analysis.f_revenue AS a ON a.event_key = s.event_key
WHERE a.event_key IS NULL;
