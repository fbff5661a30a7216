"""Public pages: promised, due and verified-delivered side by side, by year, with a chart.

Hand-worked from tests/web/monitoring_fixture.py: 10 FTE-years promised (60% Bunhill, 40%
Caledonian), due 1 October 2026; verified delivery 3 in Bunhill (period to 31 October 2026)
and 2.5 in Caledonian (period to 31 January 2027); a rejected 5 and a pending 1 never count;
the monitoring fee is not social value and is not shown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

from planning_sv.core.delivery import (
    DeliveredFacts,
    MeasureOverTime,
    ObligationFacts,
    YearFigures,
    over_time,
    summarise,
)
from planning_sv.store.models import Statement, User
from planning_sv.web.charts import delivery_chart, nice_ceiling
from tests.web.monitoring_fixture import BUNHILL, CALEDONIAN, monitored_scheme


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    return monitored_scheme(app, make_user, make_statement)


def _figures(html: str, table: str = "delivery-figures") -> dict[str, tuple[str, str, str]]:
    """measure -> (promised, due, delivered) from the delivery table's data attributes."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'data-measure="([^"]+)".*?data-promised="([^"]+)".*?data-due="([^"]+)".*?'
        r'data-delivered="([^"]+)"',
        body,
        re.S,
    )
    return {m: (p, d, v) for m, p, d, v in rows}


def test_ward_pages_show_promised_due_and_verified_delivered(
    app: Flask, scheme: dict[str, Any]
) -> None:
    client = app.test_client()
    bunhill = client.get(f"/councils/islington/wards/{BUNHILL}")
    assert bunhill.status_code == 200
    assert _figures(bunhill.text) == {"local_employment": ("6.0", "6.0", "3.0")}
    caledonian = client.get(f"/councils/islington/wards/{CALEDONIAN}")
    assert _figures(caledonian.text) == {"local_employment": ("4.0", "4.0", "2.5")}
    # A ward the scheme does not reach shows none of it.
    other = client.get("/councils/islington/wards/E05013697")
    assert _figures(other.text) == {}


def test_borough_page_filters_by_year_and_draws_the_chart(
    app: Flask, scheme: dict[str, Any]
) -> None:
    client = app.test_client()
    page = client.get("/councils/islington/wards")
    assert page.status_code == 200
    assert _figures(page.text) == {"local_employment": ("10.0", "10.0", "5.5")}
    # The map's ward popups carry the same figures (verified delivery only).
    assert "promised 6, due 6, delivered (verified) 3" in page.text
    assert "promised 4, due 4, delivered (verified) 2.5" in page.text
    by_ward = re.findall(
        r'data-ward="(E\d+)" data-measure="local_employment">.*?data-delivered="([^"]+)"',
        page.text.split('id="delivery-by-ward"', 1)[1],
        re.S,
    )
    assert by_ward == [(BUNHILL, "3.0"), (CALEDONIAN, "2.5")]
    # The chart is inline SVG (no script, no CDN) with the same figures in a table.
    svg = page.text.split('<svg xmlns="http://www.w3.org/2000/svg" class="app-chart"', 1)[1]
    svg = svg.split("</svg>", 1)[0]
    assert 'role="img"' in svg
    assert 'data-year="2026" data-kind="due" data-value="10"' in svg
    assert 'data-year="2026" data-kind="delivered" data-value="3"' in svg
    assert 'data-year="2027" data-kind="delivered" data-value="2.5"' in svg
    chart_table = page.text.split('data-chart="local_employment"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<th scope=\"row\"[^>]*>(\d{4})</th>", chart_table) == ["2026", "2027"]

    in_2026 = client.get("/councils/islington/wards?delivery_year=2026")
    assert _figures(in_2026.text) == {"local_employment": ("10.0", "10.0", "3.0")}
    in_2027 = client.get("/councils/islington/wards?delivery_year=2027")
    assert _figures(in_2027.text) == {"local_employment": ("0.0", "0.0", "2.5")}
    bad = client.get("/councils/islington/wards?delivery_year=twenty")
    assert bad.status_code == 400
    assert "delivery_year" in bad.text


def test_scheme_page_lists_its_obligations_with_status(app: Flask, scheme: dict[str, Any]) -> None:
    page = app.test_client().get(f"/councils/islington/schemes/{scheme['statement'].id}")
    assert page.status_code == 200
    table = page.text.split('id="delivery-obligations"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr class="govuk-table__row" data-status="([a-z_]+)">(.*?)</tr>', table, re.S
    )
    assert [status for status, _ in rows] == ["part_delivered"]  # the fee is not shown
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0][1])).strip()
    assert cells == (
        "Local people employed (FTE-years) 10 FTE-years within 26 weeks of commencement "
        "1 October 2026 Part delivered 5.5"
    )
    assert _figures(page.text) == {"local_employment": ("10.0", "10.0", "5.5")}


# --- the pure sums and the chart ----------------------------------------------------------

D = dt.date
JUNE_2026 = D(2026, 6, 1)


def _obligation(
    quantity: float, *, live: bool = True, due: dt.date | None = JUNE_2026
) -> ObligationFacts:
    return ObligationFacts(
        "apprenticeship",
        "Apprenticeships",
        "starts",
        "apprenticeship starts",
        quantity,
        (("W1", 0.75), ("W2", 0.25)),
        D(2025, 12, 1),
        due,
        live,
    )


def test_summarise_counts_live_obligations_due_dates_and_verified_delivery() -> None:
    obligations = [
        _obligation(8),
        _obligation(4, live=False),  # varied away: never promised or due
        _obligation(2, due=D(2027, 1, 1)),  # not yet due on 30 November 2026
    ]
    delivered = [
        DeliveredFacts("apprenticeship", "starts", 3, (("W1", 1.0),), D(2026, 7, 1)),
        DeliveredFacts("other", "x", 9, (("W1", 1.0),), D(2026, 7, 1)),  # no such obligation
    ]
    today = D(2026, 11, 30)
    (borough,) = summarise(obligations, delivered, today=today)
    assert (borough.promised, borough.due, borough.delivered) == (10.0, 8.0, 3.0)
    (w1,) = summarise(obligations, delivered, today=today, ward="W1")
    assert (w1.promised, w1.due, w1.delivered) == (7.5, 6.0, 3.0)
    (w2,) = summarise(obligations, delivered, today=today, ward="W2")
    assert (w2.promised, w2.due, w2.delivered) == (2.5, 2.0, 0.0)
    (in_2026,) = summarise(obligations, delivered, today=today, year=2026)
    assert (in_2026.promised, in_2026.due, in_2026.delivered) == (0.0, 8.0, 3.0)
    (series,) = over_time(obligations, delivered, today=today)
    assert series.years == (YearFigures(2026, 8.0, 3.0),)


def test_chart_scale_and_escaping() -> None:
    assert [nice_ceiling(v) for v in (0, 0.7, 3, 10, 11, 240, 26000)] == [
        1.0,
        1.0,
        5,
        10,
        20,
        250,
        50000,
    ]
    svg = delivery_chart(
        MeasureOverTime(
            "m", "<script>alert(1)</script>", "u", "units & more", (YearFigures(2026, 4.0, 1.0),)
        ),
        "chart-1",
    )
    assert isinstance(svg, Markup)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "units &amp; more" in svg
    # Bars are drawn to scale: the due bar (4 of 5) is 4 times the delivered one (1 of 5).
    found = re.findall(
        r'height="([\d.]+)" fill="#[0-9a-f]+" data-year="2026" data-kind="(\w+)"', svg
    )
    heights = {kind: float(height) for height, kind in found}
    assert heights["due"] == pytest.approx(4 * heights["delivered"])
