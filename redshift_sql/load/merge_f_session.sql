-- Idempotent, order-independent upsert of sessions: start_ts min (date_key, user_key and
-- device_key follow it), end_ts max, length_s max, session_num min.
MERGE INTO analysis.f_session
USING staging.f_session_merge AS s
ON f_session.session_key = s.session_key
WHEN MATCHED THEN UPDATE SET
    user_key = CASE WHEN s.start_ts < f_session.start_ts
        THEN s.user_key ELSE f_session.user_key END,
    device_key = CASE WHEN s.start_ts < f_session.start_ts
        THEN s.device_key ELSE f_session.device_key END,
    date_key = CASE WHEN s.start_ts < f_session.start_ts
        THEN s.date_key ELSE f_session.date_key END,
    start_ts = LEAST(f_session.start_ts, s.start_ts),
    end_ts = GREATEST(f_session.end_ts, s.end_ts),
    length_s = GREATEST(f_session.length_s, s.length_s),
    session_num = LEAST(f_session.session_num, s.session_num)
WHEN NOT MATCHED THEN INSERT (
    session_key, session_id, user_key, device_key, date_key, start_ts, end_ts, length_s,
    session_num
) VALUES (
    s.session_key, s.session_id, s.user_key, s.device_key, s.date_key, s.start_ts, s.end_ts,
    s.length_s, s.session_num
);
