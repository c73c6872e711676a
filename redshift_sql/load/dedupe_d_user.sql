-- One row per user_key, applying the d_user merge rules within the run: earliest wins (game_id,
-- first_build, origin by first_seen_ts), latest wins (country_code, platform by last_seen_ts),
-- install_date follows min(install_ts), min/max/or for the rest.
INSERT INTO staging.d_user_merge (
    user_key, user_id, game_id, install_ts, install_date, first_build, origin, country_code,
    platform, first_seen_ts, last_seen_ts, is_paying, first_payment_ts
)
SELECT
    e.user_key, e.user_id, e.game_id, i.install_ts, i.install_date, e.first_build, e.origin,
    l.country_code, l.platform, a.first_seen_ts, a.last_seen_ts, a.is_paying, a.first_payment_ts
FROM (
    SELECT
        user_key, user_id, game_id, first_build, origin,
        ROW_NUMBER() OVER (
            PARTITION BY user_key ORDER BY first_seen_ts, game_id, first_build, origin
        ) AS rn
    FROM staging.d_user
) AS e
JOIN (
    SELECT
        user_key, country_code, platform,
        ROW_NUMBER() OVER (
            PARTITION BY user_key ORDER BY last_seen_ts DESC, country_code, platform
        ) AS rn
    FROM staging.d_user
) AS l ON l.user_key = e.user_key AND l.rn = 1
JOIN (
    SELECT
        user_key, install_ts, install_date,
        ROW_NUMBER() OVER (PARTITION BY user_key ORDER BY install_ts, install_date) AS rn
    FROM staging.d_user
) AS i ON i.user_key = e.user_key AND i.rn = 1
JOIN (
    SELECT
        user_key,
        MIN(first_seen_ts) AS first_seen_ts,
        MAX(last_seen_ts) AS last_seen_ts,
        MAX(CASE WHEN is_paying THEN 1 ELSE 0 END) = 1 AS is_paying,
        MIN(first_payment_ts) AS first_payment_ts
    FROM staging.d_user
    GROUP BY user_key
) AS a ON a.user_key = e.user_key
WHERE e.rn = 1;
