import re
from datetime import UTC, date, datetime
from xml.etree import ElementTree

from liberta.report.html import Cohort, DailyKpi, ReportData, RunSummary, render_report
from liberta.report.svg import bar_chart, line_chart, nice_ceiling


def kpi(day: int, dau: int, revenue: float) -> DailyKpi:
    return DailyKpi(
        day=date(2026, 10, day),
        dau=dau,
        sessions=dau * 2,
        playtime_s=dau * 600,
        revenue_usd=revenue,
        new_payers=1,
        conversion=1 / dau,
        arpdau=revenue / dau,
        installs=dau // 2,
    )


def test_line_chart_is_valid_svg_and_scales_points_to_the_axis() -> None:
    svg = line_chart([(date(2026, 10, 1), 50), (date(2026, 10, 2), 100)], title="DAU")
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in points)
    # Maximum 100 -> axis top of 100: the second point sits on the top of the plot area.
    assert y2 == 28.0 and x2 > x1
    assert y1 == 28.0 + (240 - 28 - 36) / 2


def test_bar_chart_has_one_bar_per_day_with_its_value_as_tooltip() -> None:
    svg = bar_chart([(date(2026, 10, d), d * 1.5) for d in range(1, 4)], title="Revenue")
    ElementTree.fromstring(svg)
    assert svg.count("<rect") == 3
    assert "2026-10-03: 4.50" in svg


def test_empty_series_says_so() -> None:
    assert "no data" in line_chart([], title="DAU")


def test_nice_ceiling_rounds_up_to_readable_values() -> None:
    assert [nice_ceiling(v) for v in (0, 7, 132, 2600, 0.4)] == [1.0, 10, 200, 5000, 0.5]


def test_report_is_self_contained_and_shows_each_section() -> None:
    html = render_report(
        ReportData(
            generated_at=datetime(2026, 12, 1, tzinfo=UTC),
            source="postgresql://postgres@127.0.0.1:54329/liberta",
            daily=[kpi(1, 60, 5.99), kpi(2, 80, 0.0)],
            cohorts=[Cohort(cohort_date=date(2026, 10, 1), installs=30, d1=0.4, d7=None, d30=None)],
            runs=[
                RunSummary(
                    run_id="r1",
                    status="succeeded",
                    finished_at=datetime(2026, 12, 1, 9, 0),
                    records_read=100,
                    valid=90,
                    quarantined=7,
                    duplicates=3,
                    reasons={"invalid_json": 5, "unknown_currency": 2},
                )
            ],
            paying_players=4,
        )
    )
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "<link" not in html
    assert html.count("<svg") == 3
    assert "40.0 %" in html  # D1 retention of the cohort
    assert "invalid_json: 5, unknown_currency: 2" in html
    assert "$5.99" in html
