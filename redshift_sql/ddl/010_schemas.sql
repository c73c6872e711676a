-- The three schemas: analysis (star schema + views for analysts), staging (COPY targets of one
-- load, cleared at its start), etl (watermark, load log, run lock).
CREATE SCHEMA IF NOT EXISTS analysis;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS etl;
