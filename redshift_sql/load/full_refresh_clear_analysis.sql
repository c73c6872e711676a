-- A full-refresh run replaces the analysis tables' contents, in the same transaction (facts
-- first: they reference the dimensions). A no-op for incremental runs.
DELETE FROM analysis.f_revenue WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.f_event WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.f_session WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.d_item WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.d_device WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.d_date WHERE (SELECT full_refresh FROM staging.run_summary);
DELETE FROM analysis.d_user WHERE (SELECT full_refresh FROM staging.run_summary);
