-- The read-only analyst role (admin/010_roles.sql) reads the star schema and its views; the
-- bootstrap, run as their owner, grants it again after every release's tables and views.
GRANT USAGE ON SCHEMA analysis TO /*redshift: ROLE */ liberta_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA analysis TO /*redshift: ROLE */ liberta_analyst;
