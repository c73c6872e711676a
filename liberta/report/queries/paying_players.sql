-- Players with at least one valid business event, ever.
SELECT COUNT(*) FROM analysis.d_user WHERE is_paying
