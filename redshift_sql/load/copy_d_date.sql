-- Redshift only: COPY the run's Parquet for d_date, listed in its COPY manifest (columns by position).
-- Locally the loader streams the same files with COPY ... FROM STDIN instead.
/*redshift:
COPY staging.d_date
FROM '${run_uri}/copy/d_date.manifest'
IAM_ROLE '${iam_role}'
FORMAT AS PARQUET
MANIFEST;
*/
