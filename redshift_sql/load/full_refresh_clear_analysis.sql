-- A full-refresh run replaces the analysis tables' contents, in the same transaction (facts
-- first: they reference the dimensions). A no-op for incremental runs.
DELETE FROM analysis.f_revenue WHERE ${full_refresh};
DELETE FROM analysis.f_event WHERE ${full_refresh};
DELETE FROM analysis.f_session WHERE ${full_refresh};
DELETE FROM analysis.d_item WHERE ${full_refresh};
DELETE FROM analysis.d_device WHERE ${full_refresh};
DELETE FROM analysis.d_date WHERE ${full_refresh};
DELETE FROM analysis.d_user WHERE ${full_refresh};
