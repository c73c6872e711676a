-- One row per valid, de-duplicated event (contract: F_EVENT).
CREATE TABLE IF NOT EXISTS analysis.f_event (
    event_key bigint NOT NULL /*redshift: ENCODE az64 */,
    user_key bigint NOT NULL /*redshift: ENCODE az64 */,
    session_key bigint NOT NULL /*redshift: ENCODE az64 */,
    date_key int NOT NULL /*redshift: ENCODE raw */,
    device_key bigint NOT NULL /*redshift: ENCODE az64 */,
    event_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    arrival_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    is_time_corrected boolean NOT NULL /*redshift: ENCODE raw */,
    category varchar(16) NOT NULL /*redshift: ENCODE zstd */,
    event_id varchar(256) /*redshift: ENCODE zstd */,
    session_num int /*redshift: ENCODE az64 */,
    length_s bigint /*redshift: ENCODE az64 */,
    value double precision /*redshift: ENCODE raw */,
    attempt_num int /*redshift: ENCODE az64 */,
    score bigint /*redshift: ENCODE az64 */,
    game_id int /*redshift: ENCODE az64 */,
    country_code varchar(2) /*redshift: ENCODE zstd */,
    PRIMARY KEY (event_key)
    -- Foreign keys: declared for Redshift (its planner uses them; it never enforces them) and
    -- left out locally, where Postgres would check them row by row (see redshift_sql/README.md).
    -- The load's quality gate and post-load checks enforce them in both dialects.
    /*redshift: , FOREIGN KEY (user_key) REFERENCES analysis.d_user (user_key) */
    /*redshift: , FOREIGN KEY (session_key) REFERENCES analysis.f_session (session_key) */
    /*redshift: , FOREIGN KEY (date_key) REFERENCES analysis.d_date (date_key) */
    /*redshift: , FOREIGN KEY (device_key) REFERENCES analysis.d_device (device_key) */
)
/*redshift: DISTSTYLE KEY DISTKEY (user_key) SORTKEY (date_key) */;
