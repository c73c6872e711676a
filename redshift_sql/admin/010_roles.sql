-- Run by the warehouse administrator before any bootstrap (Redshift: the setup state machine,
-- with the admin secret; locally: the server's superuser, as part of `liberta db start` and
-- every bootstrap). Idempotent. The two roles Liberta's identities act as:
--   liberta_etl      owns Liberta's schemas, bootstraps them and runs the load; the pipeline's
--                    IAM role maps to it (RedshiftDbRoles tag), locally the runner sets it
--   liberta_analyst  reads the analysis schema, nothing else (BI tools; grants/ gives it reads)
CREATE SCHEMA IF NOT EXISTS liberta_admin;
CREATE OR REPLACE PROCEDURE liberta_admin.ensure_role(wanted varchar(64))
AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM /*redshift: svv_roles WHERE role_name = wanted *//*postgres: pg_roles WHERE rolname = wanted */
    ) THEN
        EXECUTE 'CREATE ROLE ' || quote_ident(wanted);
    END IF;
END;
$$ LANGUAGE plpgsql;
CALL liberta_admin.ensure_role('liberta_etl');
CALL liberta_admin.ensure_role('liberta_analyst');
