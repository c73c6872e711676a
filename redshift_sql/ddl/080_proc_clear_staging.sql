-- Empties every staging table at the start of a load. DELETE, not TRUNCATE: TRUNCATE commits
-- implicitly on Redshift, and the whole load must stay one transaction. A procedure keeps the
-- Redshift load batch under the Data API limit of 40 statements.
CREATE OR REPLACE PROCEDURE etl.clear_staging()
AS $$
BEGIN
    DELETE FROM staging.expected_run;
    DELETE FROM staging.run_summary;
    DELETE FROM staging.d_user_merge;
    DELETE FROM staging.f_session_merge;
    DELETE FROM staging.f_revenue;
    DELETE FROM staging.f_event;
    DELETE FROM staging.f_session;
    DELETE FROM staging.d_item;
    DELETE FROM staging.d_device;
    DELETE FROM staging.d_date;
    DELETE FROM staging.d_user;
END;
$$ LANGUAGE plpgsql;
