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
    PRIMARY KEY (event_key)
    -- Foreign keys: declared for Redshift (its planner uses them; it never enforces them) and
    -- left out locally, where Postgres would check them row by row (see redshift_sql/README.md).
    -- The load's quality gate and post-load checks enforce them in both dialects.
    /*redshift: , FOREIGN KEY (user_key) REFERENCES analysis.d_user (user_key) */
    /*redshift: , FOREIGN KEY (session_key) REFERENCES analysis.f_session (session_key) */
    /*redshift: , FOREIGN KEY (date_key) REFERENCES analysis.d_date (date_key) */
    /*redshift: , FOREIGN KEY (device_key) REFERENCES analysis.d_device (device_key) */
    /*redshift: , FOREIGN KEY (item_key) REFERENCES analysis.d_item (item_key) */
)
/*redshift: DISTSTYLE KEY DISTKEY (user_key) SORTKEY (date_key) */;

/*postgres:
-- Local databases bootstrapped before the foreign keys became Redshift-only still have them:
-- drop them (once; later bootstraps find none and lock nothing).
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT conrelid::regclass AS table_name, conname
        FROM pg_constraint
        WHERE contype = 'f' AND connamespace = 'analysis'::regnamespace
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.table_name, fk.conname);
    END LOOP;
END;
$$;
*/
