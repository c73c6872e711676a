-- Idempotent, order-independent upsert of players: min/max/or, earliest wins (game_id,
-- first_build, origin follow first_seen_ts), latest wins (country_code, platform follow
-- last_seen_ts), install_date follows min(install_ts). On equal timestamps the existing row wins.
MERGE INTO analysis.d_user
USING staging.d_user_merge AS s
ON d_user.user_key = s.user_key
WHEN MATCHED THEN UPDATE SET
    game_id = CASE WHEN s.first_seen_ts < d_user.first_seen_ts
        THEN s.game_id ELSE d_user.game_id END,
    install_ts = LEAST(d_user.install_ts, s.install_ts),
    install_date = CASE WHEN s.install_ts < d_user.install_ts OR d_user.install_ts IS NULL
        THEN s.install_date ELSE d_user.install_date END,
    first_build = CASE WHEN s.first_seen_ts < d_user.first_seen_ts
        THEN s.first_build ELSE d_user.first_build END,
    origin = CASE WHEN s.first_seen_ts < d_user.first_seen_ts
        THEN s.origin ELSE d_user.origin END,
    country_code = CASE WHEN s.last_seen_ts > d_user.last_seen_ts
        THEN s.country_code ELSE d_user.country_code END,
    platform = CASE WHEN s.last_seen_ts > d_user.last_seen_ts
        THEN s.platform ELSE d_user.platform END,
    first_seen_ts = LEAST(d_user.first_seen_ts, s.first_seen_ts),
    last_seen_ts = GREATEST(d_user.last_seen_ts, s.last_seen_ts),
    is_paying = (d_user.is_paying OR s.is_paying),
    first_payment_ts = LEAST(d_user.first_payment_ts, s.first_payment_ts)
WHEN NOT MATCHED THEN INSERT (
    user_key, user_id, game_id, install_ts, install_date, first_build, origin, country_code,
    platform, first_seen_ts, last_seen_ts, is_paying, first_payment_ts
) VALUES (
    s.user_key, s.user_id, s.game_id, s.install_ts, s.install_date, s.first_build, s.origin,
    s.country_code, s.platform, s.first_seen_ts, s.last_seen_ts, s.is_paying, s.first_payment_ts
);
