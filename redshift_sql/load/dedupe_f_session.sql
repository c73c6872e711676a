-- One row per session_key, applying the f_session merge rules within the run: start_ts min
-- (date_key, user_key and device_key follow the earliest start), end_ts max, length_s max,
-- session_num min. One pass of window functions, no self-join.
INSERT INTO staging.f_session_merge (
    session_key, session_id, user_key, device_key, date_key, start_ts, end_ts, length_s,
    session_num
)
SELECT
    session_key, session_id, user_key, device_key, date_key, start_ts, end_ts, length_s,
    session_num
FROM (
    SELECT
        session_key,
        session_id,
        user_key,
        device_key,
        date_key,
        MIN(start_ts) OVER (PARTITION BY session_key) AS start_ts,
        MAX(end_ts) OVER (PARTITION BY session_key) AS end_ts,
        MAX(length_s) OVER (PARTITION BY session_key) AS length_s,
        MIN(session_num) OVER (PARTITION BY session_key) AS session_num,
        ROW_NUMBER() OVER (
            PARTITION BY session_key ORDER BY start_ts, date_key, user_key, device_key
        ) AS rn
    FROM staging.f_session
) AS w
WHERE rn = 1;
