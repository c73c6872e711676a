-- The run window: THE rule for both orchestrators (the state machine through the Data API, and
-- `liberta run` on Postgres run this same statement; docs/pipeline.md has the table of cases).
--
-- Parameters, all text (the Data API binds only strings, so "absent" is the word 'none'):
--   since, until    the requested bounds, ISO-8601 ('2026-11-01', '2026-11-01T06:00:00Z'), or 'none'
--   full_refresh    'true' | 'false'
--   started_at      when the run started (the default until), ISO-8601
--   lookback_hours  how far before the high-water mark an incremental run starts (whole hours)
--
-- One row: problem (NULL when the request is usable, else why not), full_refresh, and the
-- window as the ISO-8601 UTC text the Spark job parses (window_since is NULL for a full
-- refresh, which reads every partition).
--   full_refresh requested           -> a full refresh (since/until may not be given with it)
--   since given                      -> [since, until or started_at)
--   no since, a high-water mark      -> [high-water mark - lookback, until or started_at)
--   no since, nothing loaded yet     -> a full refresh (the first run reads everything)
-- An empty window (since >= until) is a problem, not a run.
SELECT
    problem,
    full_refresh,
    CASE WHEN problem IS NULL AND NOT full_refresh THEN
        REPLACE(TO_CHAR(since_ts, 'YYYY-MM-DD HH24:MI:SS'), ' ', 'T') || 'Z'
    END AS window_since,
    CASE WHEN problem IS NULL THEN
        REPLACE(TO_CHAR(until_ts, 'YYYY-MM-DD HH24:MI:SS'), ' ', 'T') || 'Z'
    END AS window_until
FROM (
    SELECT
        full_refresh,
        since_ts,
        until_ts,
        CASE
            WHEN requested_full_refresh AND (since_given OR until_given)
                THEN 'a full refresh reads every partition: give it no since or until'
            WHEN full_refresh AND until_given
                THEN 'nothing is loaded yet, so this run is a full refresh, which takes no '
                    || 'until: give since and until, or neither'
            WHEN NOT full_refresh AND since_ts >= until_ts
                THEN 'empty window: since '
                    || REPLACE(TO_CHAR(since_ts, 'YYYY-MM-DD HH24:MI:SS'), ' ', 'T')
                    || 'Z is not before until '
                    || REPLACE(TO_CHAR(until_ts, 'YYYY-MM-DD HH24:MI:SS'), ' ', 'T') || 'Z'
        END AS problem
    FROM (
        SELECT
            r.requested_full_refresh,
            r.since_ts IS NOT NULL AS since_given,
            r.until_ts IS NOT NULL AS until_given,
            r.requested_full_refresh OR (r.since_ts IS NULL AND w.start_ts IS NULL)
                AS full_refresh,
            COALESCE(r.since_ts, w.start_ts) AS since_ts,
            COALESCE(r.until_ts, r.started_ts) AS until_ts
        FROM (
            SELECT
                CAST('${full_refresh}' AS boolean) AS requested_full_refresh,
                CAST(CAST(NULLIF(REPLACE(REPLACE(UPPER('${since}'), 'T', ' '), 'Z', '+00'), 'NONE')
                    AS timestamptz) AT TIME ZONE 'UTC' AS timestamp) AS since_ts,
                CAST(CAST(NULLIF(REPLACE(REPLACE(UPPER('${until}'), 'T', ' '), 'Z', '+00'), 'NONE')
                    AS timestamptz) AT TIME ZONE 'UTC' AS timestamp) AS until_ts,
                CAST(CAST(REPLACE(REPLACE(UPPER('${started_at}'), 'T', ' '), 'Z', '+00')
                    AS timestamptz) AT TIME ZONE 'UTC' AS timestamp) AS started_ts
        ) AS r
        CROSS JOIN (
            SELECT
                /*redshift: DATEADD(hour, -CAST('${lookback_hours}' AS integer), high_water_mark) */
                /*postgres: high_water_mark - CAST('${lookback_hours}' AS integer) * INTERVAL '1 hour' */
                    AS start_ts
            FROM etl.watermark
        ) AS w
    ) AS chosen
) AS checked;
