-- Redshift only: COPY the run's Parquet for d_device, listed in its COPY manifest (columns by position).
-- Locally the loader streams the same files with COPY ... FROM STDIN instead.
/*redshift:
COPY staging.d_device
FROM '${run_uri}/copy/d_device.manifest'
IAM_ROLE '${iam_role}'
FORMAT AS PARQUET
MANIFEST;
*/
