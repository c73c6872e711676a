-- One row per user_key, applying the d_user merge rules within the run: earliest wins (game_id,
-- first_build, origin by first_seen_ts), latest wins (country_code, platform by last_seen_ts),
-- install_date follows min(install_ts), min/max/or for the rest. One pass of window functions
-- (self-joins of ranked rows made Postgres pick nested loops: minutes at 10k players).
INSERT INTO staging.d_user_merge (
    user_key, user_id, game_id, install_ts, install_date, first_build, origin, country_code,
    platform, first_seen_ts, last_seen_ts, is_paying, first_payment_ts
)
SELECT
    user_key, user_id, game_id, install_ts, install_date, first_build, origin, country_code,
    platform, first_seen_ts, last_seen_ts, is_paying, first_payment_ts
FROM (
    SELECT
        user_key,
        user_id,
        FIRST_VALUE(game_id) OVER (
            PARTITION BY user_key ORDER BY first_seen_ts, game_id, first_build, origin
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS game_id,
        MIN(install_ts) OVER (PARTITION BY user_key) AS install_ts,
        FIRST_VALUE(install_date) OVER (
            PARTITION BY user_key ORDER BY install_ts, install_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS install_date,
        FIRST_VALUE(first_build) OVER (
            PARTITION BY user_key ORDER BY first_seen_ts, game_id, first_build, origin
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS first_build,
        FIRST_VALUE(origin) OVER (
            PARTITION BY user_key ORDER BY first_seen_ts, game_id, first_build, origin
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS origin,
        FIRST_VALUE(country_code) OVER (
            PARTITION BY user_key ORDER BY last_seen_ts DESC, country_code, platform
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS country_code,
        FIRST_VALUE(platform) OVER (
            PARTITION BY user_key ORDER BY last_seen_ts DESC, country_code, platform
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS platform,
        MIN(first_seen_ts) OVER (PARTITION BY user_key) AS first_seen_ts,
        MAX(last_seen_ts) OVER (PARTITION BY user_key) AS last_seen_ts,
        MAX(CASE WHEN is_paying THEN 1 ELSE 0 END) OVER (PARTITION BY user_key) = 1
            AS is_paying,
        MIN(first_payment_ts) OVER (PARTITION BY user_key) AS first_payment_ts,
        ROW_NUMBER() OVER (PARTITION BY user_key ORDER BY first_seen_ts, user_id) AS rn
    FROM staging.d_user
) AS w
WHERE rn = 1;
