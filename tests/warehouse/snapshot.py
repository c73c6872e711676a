"""Every analysis table and view, and the watermark, as sorted rows: compare before/after."""

from __future__ import annotations

import psycopg

from liberta_core.tables import TABLES

VIEWS = (
    "v_dau", "v_sessions", "v_playtime", "v_revenue", "v_new_payers", "v_paying_players",
    "v_conversion", "v_arpdau", "v_installs", "v_retention", "v_daily_kpis",
)  # fmt: skip


def rows(conn: psycopg.Connection, relation: str) -> list[tuple]:
    return sorted(conn.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    state = {f"analysis.{t.name}": rows(conn, f"analysis.{t.name}") for t in TABLES}
    state.update({f"analysis.{v}": rows(conn, f"analysis.{v}") for v in VIEWS})
    state["etl.watermark.high_water_mark"] = rows(
        conn, "(SELECT high_water_mark FROM etl.watermark) AS w"
    )
    return state
