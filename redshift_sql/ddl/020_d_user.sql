-- One row per player (contract: liberta_core/tables.py D_USER). Distributed like the facts so that
-- joins on user_key stay node-local.
CREATE TABLE IF NOT EXISTS analysis.d_user (
    user_key bigint NOT NULL /*redshift: ENCODE raw */,
    user_id varchar(128) NOT NULL /*redshift: ENCODE zstd */,
    game_id int /*redshift: ENCODE az64 */,
    install_ts timestamp /*redshift: ENCODE az64 */,
    install_date date /*redshift: ENCODE az64 */,
    first_build varchar(64) /*redshift: ENCODE zstd */,
    origin varchar(64) /*redshift: ENCODE zstd */,
    country_code varchar(2) /*redshift: ENCODE zstd */,
    platform varchar(32) /*redshift: ENCODE zstd */,
    first_seen_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    last_seen_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    is_paying boolean NOT NULL /*redshift: ENCODE raw */,
    first_payment_ts timestamp /*redshift: ENCODE az64 */,
    PRIMARY KEY (user_key)
)
/*redshift: DISTSTYLE KEY DISTKEY (user_key) SORTKEY (user_key) */;
