-- Calendar (contract: D_DATE). Small: a copy on every node.
CREATE TABLE IF NOT EXISTS analysis.d_date (
    date_key int NOT NULL /*redshift: ENCODE raw */,
    calendar_date date NOT NULL /*redshift: ENCODE az64 */,
    year smallint NOT NULL /*redshift: ENCODE az64 */,
    quarter smallint NOT NULL /*redshift: ENCODE az64 */,
    month smallint NOT NULL /*redshift: ENCODE az64 */,
    day_of_month smallint NOT NULL /*redshift: ENCODE az64 */,
    day_of_week smallint NOT NULL /*redshift: ENCODE az64 */,
    iso_week smallint NOT NULL /*redshift: ENCODE az64 */,
    is_weekend boolean NOT NULL /*redshift: ENCODE raw */,
    month_name varchar(9) NOT NULL /*redshift: ENCODE zstd */,
    day_name varchar(9) NOT NULL /*redshift: ENCODE zstd */,
    PRIMARY KEY (date_key)
)
/*redshift: DISTSTYLE ALL SORTKEY (date_key) */;
