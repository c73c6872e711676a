"""Liberta's warehouse SQL, shipped as package data (`ddl/`, `views/`, `load/`, `etl/`, ...).

Rendered for Redshift or Postgres by `liberta_core.sql`; see README.md in this directory.
"""
