-- Locked (exclusively) by every load for the whole transaction: two loads never interleave.
CREATE TABLE IF NOT EXISTS etl.run_lock (
    lock_name varchar(32) NOT NULL
)
/*redshift: DISTSTYLE ALL */;

-- One row per load attempt: succeeded (written inside the load transaction) or failed (written
-- after the rollback, in its own transaction; failed_step names the pipeline step,
-- liberta_core.steps). run_id follows liberta_core.run_id (1-80 characters).
CREATE TABLE IF NOT EXISTS etl.load_log (
    run_id varchar(80) NOT NULL,
    started_at timestamp NOT NULL,
    finished_at timestamp,
    status varchar(16) NOT NULL,
    window_since timestamp,
    window_until timestamp,
    full_refresh boolean,
    high_water_mark timestamp,
    rows_read bigint,
    rows_valid bigint,
    rows_quarantined bigint,
    rows_duplicates bigint,
    rows_time_corrected bigint,
    error varchar(65535),
    failed_step varchar(32),
    PRIMARY KEY (run_id, started_at)
)
/*redshift: DISTSTYLE ALL SORTKEY (started_at) */;

-- Rows staged / inserted / updated per table and load (updated = an existing row that gained
-- information under the merge rules; reloading a run reports 0 inserted and 0 updated).
CREATE TABLE IF NOT EXISTS etl.load_table_stats (
    run_id varchar(80) NOT NULL,
    started_at timestamp NOT NULL,
    table_name varchar(32) NOT NULL,
    rows_staged bigint NOT NULL,
    rows_inserted bigint NOT NULL,
    rows_updated bigint NOT NULL,
    PRIMARY KEY (run_id, started_at, table_name)
)
/*redshift: DISTSTYLE ALL SORTKEY (started_at) */;

-- Quarantined records per reason and load (from the manifest's quarantine.by_reason).
CREATE TABLE IF NOT EXISTS etl.quarantine_summary (
    run_id varchar(80) NOT NULL,
    started_at timestamp NOT NULL,
    reason varchar(256) NOT NULL,
    records bigint NOT NULL,
    PRIMARY KEY (run_id, started_at, reason)
)
/*redshift: DISTSTYLE ALL SORTKEY (started_at) */;

-- Local databases of an earlier release: run ids of up to 80 characters, the failed step.
/*postgres:
ALTER TABLE etl.load_log ALTER COLUMN run_id TYPE varchar(80);
ALTER TABLE etl.load_table_stats ALTER COLUMN run_id TYPE varchar(80);
ALTER TABLE etl.quarantine_summary ALTER COLUMN run_id TYPE varchar(80);
ALTER TABLE etl.load_log ADD COLUMN IF NOT EXISTS failed_step varchar(32);
*/
