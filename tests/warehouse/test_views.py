"""Each analysis view returns the figures computed by hand for the two-run fixture
(see dataset.py for the story behind each number)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liberta.warehouse.loader import load_run

from .dataset import RUN_A, RUN_B, run_a, run_b
from .rundir import write_run

DAYS = [date(2026, 2, 28)] + [date(2026, 3, d) for d in range(1, 9)]
KEYS = [int(d.strftime("%Y%m%d")) for d in DAYS]


def by_day(values: dict[int, object], default: object = 0) -> list[tuple]:
    return [(k, d, values.get(k, default)) for k, d in zip(KEYS, DAYS, strict=True)]


@pytest.fixture
def loaded(conn, tmp_path):
    load_run(conn, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    load_run(conn, write_run(tmp_path, "run-b", run_b(), **RUN_B))
    return conn


def select(conn, sql):
    return conn.execute(sql).fetchall()


def test_dau_sessions_playtime(loaded):
    assert select(loaded, "SELECT * FROM analysis.v_dau ORDER BY 1") == by_day(
        {20260301: 2, 20260302: 2, 20260308: 2}
    )
    assert select(loaded, "SELECT * FROM analysis.v_sessions ORDER BY 1") == by_day(
        {20260301: 2, 20260302: 2, 20260308: 2}
    )
    assert select(loaded, "SELECT * FROM analysis.v_playtime ORDER BY 1") == by_day(
        {20260301: 420, 20260302: 3000, 20260308: 1800}
    )


def test_revenue_payers_new_payers(loaded):
    revenue = select(loaded, "SELECT date_key, revenue_usd FROM analysis.v_revenue ORDER BY 1")
    expected = {20260301: Decimal("0.99"), 20260302: Decimal("5.4"), 20260308: Decimal("10.8")}
    assert revenue == [(k, expected.get(k, Decimal(0))) for k in KEYS]
    assert select(loaded, "SELECT * FROM analysis.v_new_payers ORDER BY 1") == by_day(
        {20260301: 1, 20260302: 1, 20260308: 1}
    )
    paying = select(loaded, "SELECT date_key, paying_players FROM analysis.v_paying_players")
    assert sorted(paying) == list(zip(KEYS, [0, 1, 2, 2, 2, 2, 2, 2, 3], strict=True))


def test_conversion_arpdau_installs(loaded):
    conversion = dict(select(loaded, "SELECT date_key, conversion FROM analysis.v_conversion"))
    assert conversion == {k: (0.5 if k in (20260301, 20260302, 20260308) else None) for k in KEYS}
    arpdau = dict(select(loaded, "SELECT date_key, arpdau FROM analysis.v_arpdau"))
    expected = {20260301: 0.495, 20260302: 2.7, 20260308: 5.4}
    assert set(arpdau) == set(KEYS)
    for key in KEYS:
        assert arpdau[key] == (pytest.approx(expected[key]) if key in expected else None)
    assert select(loaded, "SELECT * FROM analysis.v_installs ORDER BY 1") == by_day(
        {20260228: 1, 20260301: 1, 20260302: 1}
    )


def test_retention_by_install_cohort(loaded):
    rows = select(
        loaded,
        "SELECT cohort_date, cohort_size, d1_retained, d7_retained, d30_retained,"
        " d1_retention, d7_retention, d30_retention FROM analysis.v_retention ORDER BY 1",
    )
    assert rows == [
        # u2: installed 02-28 (earliest install seen), active 03-01 (D1) and 03-08 (D8)
        (date(2026, 2, 28), 1, 1, 0, 0, 1.0, 0.0, None),
        # u1: active 03-02 (D1) and 03-08 (D7)
        (date(2026, 3, 1), 1, 1, 1, 0, 1.0, 1.0, None),
        # u3: never back; D7 not observable yet (last event day 03-08)
        (date(2026, 3, 2), 1, 0, 0, 0, 0.0, None, None),
    ]


def test_daily_kpis_agree_with_every_figure(loaded):
    rows = select(
        loaded,
        "SELECT date_key, dau, sessions, playtime_s, revenue_usd, new_payers, paying_players,"
        " conversion, arpdau, installs, d1_retention, d7_retention FROM analysis.v_daily_kpis"
        " ORDER BY 1",
    )
    assert len(rows) == 9
    assert rows[0] == (20260228, 0, 0, 0, Decimal("0"), 0, 0, None, None, 1, 1.0, 0.0)
    assert rows[1] == (20260301, 2, 2, 420, Decimal("0.99"), 1, 1, 0.5, 0.495, 1, 1.0, 1.0)
    assert rows[2][:8] == (20260302, 2, 2, 3000, Decimal("5.4"), 1, 2, 0.5)
    assert rows[2][8] == pytest.approx(2.7)
    assert rows[2][9:] == (1, 0.0, None)
    assert rows[3] == (20260303, 0, 0, 0, Decimal("0"), 0, 2, None, None, 0, None, None)
    assert rows[8][:9] == (20260308, 2, 2, 1800, Decimal("10.8"), 1, 3, 0.5, 5.4)
