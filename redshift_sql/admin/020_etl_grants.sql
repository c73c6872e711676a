-- What liberta_etl needs beyond owning what it creates: to create its schemas (and, on
-- Redshift, to write procedures). Nothing else: no superuser, no other schemas, no roles.
/*redshift:
GRANT CREATE ON DATABASE ${database} TO ROLE liberta_etl;
GRANT USAGE ON LANGUAGE plpgsql TO ROLE liberta_etl;
*/
/*postgres:
DO $$
DECLARE
    item record;
BEGIN
    EXECUTE format('GRANT CREATE ON DATABASE %I TO liberta_etl', current_database());
    -- Local databases bootstrapped by an earlier release belong to the superuser: hand
    -- Liberta's schemas and objects to liberta_etl, which owns them from now on.
    FOR item IN
        SELECT format('ALTER SCHEMA %I OWNER TO liberta_etl', nspname) AS statement
        FROM pg_namespace
        WHERE nspname IN ('analysis', 'staging', 'etl') AND pg_get_userbyid(nspowner) <> 'liberta_etl'
        UNION ALL
        SELECT format(
            'ALTER %s %I.%I OWNER TO liberta_etl',
            CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, n.nspname, c.relname
        )
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('analysis', 'staging', 'etl') AND c.relkind IN ('r', 'v', 'p')
            AND pg_get_userbyid(c.relowner) <> 'liberta_etl'
        UNION ALL
        SELECT format(
            'ALTER PROCEDURE %I.%I(%s) OWNER TO liberta_etl',
            n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
        )
        FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('analysis', 'staging', 'etl') AND pg_get_userbyid(p.proowner) <> 'liberta_etl'
    LOOP
        EXECUTE item.statement;
    END LOOP;
END
$$;
*/
