-- Quarantined records per reason for this load, from the manifest's quarantine.by_reason
-- (a JSON object {"reason": count}, passed as text).
/*redshift:
INSERT INTO etl.quarantine_summary (run_id, started_at, reason, records)
SELECT '${run_id}', SYSDATE, CAST(reason AS varchar(256)), CAST(records AS bigint)
FROM (SELECT JSON_PARSE('${quarantine_by_reason}') AS doc) AS q, UNPIVOT q.doc AS records AT reason;
*/
/*postgres:
INSERT INTO etl.quarantine_summary (run_id, started_at, reason, records)
SELECT '${run_id}', CAST(now() AT TIME ZONE 'UTC' AS timestamp), r.key, CAST(r.value AS bigint)
FROM jsonb_each_text(CAST('${quarantine_by_reason}' AS jsonb)) AS r;
*/
