-- COPY targets: same columns, order, types, encodings and distribution as the analysis tables
-- (LIKE), so COPY maps Parquet columns by position exactly as into the analysis table.
CREATE TABLE IF NOT EXISTS staging.d_user (LIKE analysis.d_user);
CREATE TABLE IF NOT EXISTS staging.d_date (LIKE analysis.d_date);
CREATE TABLE IF NOT EXISTS staging.d_device (LIKE analysis.d_device);
CREATE TABLE IF NOT EXISTS staging.d_item (LIKE analysis.d_item);
CREATE TABLE IF NOT EXISTS staging.f_session (LIKE analysis.f_session);
CREATE TABLE IF NOT EXISTS staging.f_event (LIKE analysis.f_event);
CREATE TABLE IF NOT EXISTS staging.f_revenue (LIKE analysis.f_revenue);
-- One row per key after applying the merge rules within the run: MERGE needs a table source
-- (Redshift) whose keys are unique (both dialects).
CREATE TABLE IF NOT EXISTS staging.d_user_merge (LIKE analysis.d_user);
CREATE TABLE IF NOT EXISTS staging.f_session_merge (LIKE analysis.f_session);
-- The row counts the run manifest promises, for the quality gate.
CREATE TABLE IF NOT EXISTS staging.expected_rows (
    table_name varchar(32) NOT NULL,
    expected_rows bigint NOT NULL
);
