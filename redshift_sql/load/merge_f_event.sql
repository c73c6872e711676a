-- Events: insert when the event_key is new (the key hashes every contract field, so a known key
-- is the same event).
-- Postgres: inserting in key order keeps the primary-key index writes sequential (hash keys in
-- hash order made the insert ~2x slower); the same sort also removes exact duplicates.
INSERT INTO analysis.f_event (
    event_key, user_key, session_key, date_key, device_key, event_ts, arrival_ts,
    is_time_corrected, category, event_id, session_num, length_s, value, attempt_num, score,
    game_id, country_code
)
SELECT DISTINCT
    s.event_key, s.user_key, s.session_key, s.date_key, s.device_key, s.event_ts, s.arrival_ts,
    s.is_time_corrected, s.category, s.event_id, s.session_num, s.length_s, s.value,
    s.attempt_num, s.score, s.game_id, s.country_code
FROM staging.f_event AS s
LEFT JOIN analysis.f_event AS a ON a.event_key = s.event_key
WHERE a.event_key IS NULL
/*postgres: ORDER BY s.event_key */;
