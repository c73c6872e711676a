-- Redshift only: COPY the run's Parquet for d_user, listed in its COPY manifest (columns by position).
-- Locally the loader streams the same files with COPY ... FROM STDIN instead.
/*redshift:
COPY staging.d_user
FROM '${run_uri}/copy/d_user.manifest'
IAM_ROLE '${iam_role}'
FORMAT AS PARQUET
MANIFEST;
*/
