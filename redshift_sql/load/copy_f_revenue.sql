-- Redshift only: COPY the run's Parquet for f_revenue, listed in its COPY manifest (columns by position).
-- Locally the loader streams the same files with COPY ... FROM STDIN instead.
/*redshift:
COPY staging.f_revenue
FROM '${run_uri}/copy/f_revenue.manifest'
IAM_ROLE '${iam_role}'
FORMAT AS PARQUET
MANIFEST;
*/
