-- One row per valid, de-duplicated business event (contract: F_REVENUE).
CREATE TABLE IF NOT EXISTS analysis.f_revenue (
    event_key bigint NOT NULL /*redshift: ENCODE az64 */,
    user_key bigint NOT NULL /*redshift: ENCODE az64 */,
    session_key bigint NOT NULL /*redshift: ENCODE az64 */,
    date_key int NOT NULL /*redshift: ENCODE raw */,
    device_key bigint NOT NULL /*redshift: ENCODE az64 */,
    item_key bigint NOT NULL /*redshift: ENCODE az64 */,
    event_ts timestamp NOT NULL /*redshift: ENCODE az64 */,
    currency varchar(3) NOT NULL /*redshift: ENCODE zstd */,
    amount_minor bigint NOT NULL /*redshift: ENCODE az64 */,
    amount_usd decimal(18, 6) NOT NULL /*redshift: ENCODE az64 */,
    transaction_num int /*redshift: ENCODE az64 */,
    is_first_purchase boolean /*redshift: ENCODE raw */,
    country_code varchar(2) /*redshift: ENCODE zstd */,
    PRIMARY KEY (event_key),
    FOREIGN KEY (user_key) REFERENCES analysis.d_user (user_key),
    FOREIGN KEY (session_key) REFERENCES analysis.f_session (session_key),
    FOREIGN KEY (date_key) REFERENCES analysis.d_date (date_key),
    FOREIGN KEY (device_key) REFERENCES analysis.d_device (device_key),
    FOREIGN KEY (item_key) REFERENCES analysis.d_item (item_key)
)
/*redshift: DISTSTYLE KEY DISTKEY (user_key) SORTKEY (date_key) */;
