-- One row per session_key, applying the f_session merge rules within the run: start_ts min
-- (date_key, user_key, device_key follow the earliest start), end_ts max, length_s max,
-- session_num min.
INSERT INTO staging.f_session_merge (
    session_key, session_id, user_key, device_key, date_key, start_ts, end_ts, length_s,
    session_num
)
SELECT
    f.session_key, f.session_id, f.user_key, f.device_key, f.date_key,
    a.start_ts, a.end_ts, a.length_s, a.session_num
FROM (
    SELECT
        session_key, session_id, user_key, device_key, date_key,
        ROW_NUMBER() OVER (
            PARTITION BY session_key ORDER BY start_ts, date_key, user_key, device_key
        ) AS rn
    FROM staging.f_session
) AS f
JOIN (
    SELECT
        session_key,
        MIN(start_ts) AS start_ts,
        MAX(end_ts) AS end_ts,
        MAX(length_s) AS length_s,
        MIN(session_num) AS session_num
    FROM staging.f_session
    GROUP BY session_key
) AS a ON a.session_key = f.session_key
WHERE f.rn = 1;
