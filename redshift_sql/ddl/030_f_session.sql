-- One row per session (contract: F_SESSION). Facts: distributed on user_key, sorted on date_key.
-- Created before f_event/f_revenue because their session_key references it.
CREATE TABLE IF NOT EXISTS analysis.f_session (
    session_key bigint NOT NULL /*redshift: ENCODE az64 */,
    session_id varchar(64) NOT NULL /*redshift: ENCODE zstd */,
    user_key bigint NOT NULL /*redshift: ENCODE az64 */,
    device_key bigint NOT NULL /*redshift: ENCODE az64 */,
    date_key int NOT NULL /*redshift: ENCODE raw */,
    start_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    end_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    length_s bigint /*redshift: ENCODE az64 */,
    session_num int /*redshift: ENCODE az64 */,
    PRIMARY KEY (session_key)
    -- Foreign keys: declared for Redshift (its planner uses them; it never enforces them) and
    -- left out locally, where Postgres would check them row by row (see redshift_sql/README.md).
    -- The load's quality gate and post-load checks enforce them in both dialects.
    /*redshift: , FOREIGN KEY (user_key) REFERENCES analysis.d_user (user_key) */
    /*redshift: , FOREIGN KEY (device_key) REFERENCES analysis.d_device (device_key) */
    /*redshift: , FOREIGN KEY (date_key) REFERENCES analysis.d_date (date_key) */
)
/*redshift: DISTSTYLE KEY DISTKEY (user_key) SORTKEY (date_key) */;
