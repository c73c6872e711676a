-- Quarantined records per reason for this load, from the load summary's quarantine_by_reason
-- (a JSON object {"reason": count} as text).
/*redshift:
INSERT INTO etl.quarantine_summary (run_id, started_at, reason, records)
SELECT q.run_id, SYSDATE, CAST(reason AS varchar(256)), CAST(records AS bigint)
FROM (SELECT run_id, JSON_PARSE(quarantine_by_reason) AS doc FROM staging.run_summary) AS q,
    UNPIVOT q.doc AS records AT reason;
*/
/*postgres:
INSERT INTO etl.quarantine_summary (run_id, started_at, reason, records)
SELECT s.run_id, CAST(now() AT TIME ZONE 'UTC' AS timestamp), r.key, CAST(r.value AS bigint)
FROM staging.run_summary AS s, jsonb_each_text(CAST(s.quarantine_by_reason AS jsonb)) AS r;
*/
