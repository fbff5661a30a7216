"""The "Delivered" columns of the public borough and ward tables show verified delivery
(store/monitoring.py verified_delivery_by_ward, the same reports as the "Promised, due and
delivered" section), and "not yet reported" only where nothing is verified.

Hand-worked on tests/web/monitoring_fixture.py: obligation 1 (local jobs, FTE-years,
commitment c1) has report A 3 in Bunhill accepted, report B 5 in Bunhill REJECTED, report C
4 in Caledonian partly accepted as 2.5, report D 1 in Bunhill pending. Verified: Bunhill 3
(not 3 + 5 + 1 = 9), Caledonian 2.5, borough total 5.5.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from planning_sv.store import monitoring as mon
from planning_sv.store.models import Statement, User
from planning_sv.web.delivery import NOT_IN_GBP
from tests.web.monitoring_fixture import BUNHILL, CALEDONIAN, monitored_scheme

HOLLOWAY = "E05013706"  # no delivery reported there


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    return monitored_scheme(app, make_user, make_statement)


def _cells(html: str) -> dict[str, str]:
    """data-delivered key -> the cell's text (tags dropped)."""
    found = re.findall(r'<td[^>]*data-delivered="([^"]+)"[^>]*>(.*?)</td>', html, re.S)
    return {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in found}


def _values(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-delivered="([^"]+)" data-value="([^"]+)"', html))


def test_one_source_counts_only_verified_reports(app: Flask, scheme: dict[str, Any]) -> None:
    with app.extensions["planning_sv.db"].session() as session:
        rows = mon.verified_delivery_by_ward(session, "islington", public_only=True)
        assert [(r.ward_code, r.measure, r.unit, r.quantity) for r in rows] == [
            (BUNHILL, "local_employment", "fte_years", 3.0),
            (CALEDONIAN, "local_employment", "fte_years", 2.5),
        ]
        sid = scheme["statement"].id
        assert mon.verified_delivery_by_commitment(session, "islington", BUNHILL, [sid]) == {
            (sid, "c1"): 3.0
        }
        assert mon.verified_delivery_by_commitment(session, "islington", HOLLOWAY, [sid]) == {}
        # Another approval year than the scheme's: nothing of it counts.
        year = scheme_year(session, sid)
        assert mon.verified_delivery_by_ward(session, "islington", scheme_year=year + 1) == []
        assert len(mon.verified_delivery_by_ward(session, "islington", scheme_year=year)) == 2


def scheme_year(session: Any, statement_id: int) -> int:
    from planning_sv.store.models import PublicSchemeRow

    row = session.get(PublicSchemeRow, statement_id)
    assert row is not None
    return int(row.year)


def test_borough_table_shows_verified_delivered_where_any(
    app: Flask, scheme: dict[str, Any]
) -> None:
    client = app.test_client()
    jobs = client.get("/councils/islington/wards?figure=jobs_fte_years")
    assert jobs.status_code == 200
    table = jobs.text.split('id="ward-figures"', 1)[1].split("</table>", 1)[0]
    assert _values(table) == {BUNHILL: "3.0", CALEDONIAN: "2.5", "total": "5.5"}
    cells = _cells(table)
    assert (cells[BUNHILL], cells[CALEDONIAN], cells["total"]) == ("3", "2.5", "5.5")
    assert cells[HOLLOWAY] == "Not yet reported"
    # The same figures as the delivery section on the same page (borough 5.5).
    assert 'data-measure="local_employment"' in jobs.text
    assert re.search(r'data-measure="local_employment".*?data-delivered="5.5"', jobs.text, re.S)
    # Another quantity figure: nothing verified in it anywhere.
    starts = client.get("/councils/islington/wards?figure=apprenticeships").text
    starts_cells = _cells(starts.split('id="ward-figures"', 1)[1].split("</table>", 1)[0])
    assert set(starts_cells.values()) == {"Not yet reported"}
    # £ figures: delivery is verified in units, never valued in £ — said, not invented.
    money = client.get("/councils/islington/wards").text
    money_cells = _cells(money.split('id="ward-figures"', 1)[1].split("</table>", 1)[0])
    assert (money_cells[BUNHILL], money_cells["total"]) == (NOT_IN_GBP, NOT_IN_GBP)
    assert money_cells[HOLLOWAY] == "Not yet reported"
    # Filtered to another theme than jobs: the verified jobs do not count.
    community = client.get("/councils/islington/wards?figure=jobs_fte_years&theme=community")
    community_cells = _cells(community.text.split('id="ward-figures"', 1)[1].split("</table>")[0])
    assert set(community_cells.values()) == {"Not yet reported"}


def _placements(app: Flask, scheme: dict[str, Any]) -> None:
    """Commitment c3 of the Islington example (20 work placements, borough-wide, so its line
    reaches every ward) secured too, with an accepted report of 4 in Bunhill and a rejected
    one of 6 in Bunhill."""
    import datetime as dt

    with app.extensions["planning_sv.db"].session() as session:
        jobs = session.get(mon.Obligation, scheme["jobs"])
        assert jobs is not None
        placements = mon.Obligation(
            agreement_id=jobs.agreement_id,
            statement_id=jobs.statement_id,
            council="islington",
            number=3,
            commitment_id="c3",
            measure="work_placement",
            measure_label="Work placements",
            unit="placements",
            unit_label="placements",
            purpose="economic-development",
            is_money=False,
            quantity=20.0,
            wards=[{"code": BUNHILL, "name": "Bunhill", "share": 1.0}],
            status="part_delivered",
            trigger_kind="commencement",
            due_amount=26,
            due_unit="weeks",
            due_on=dt.date(2026, 10, 1),
            counted=4.0,
            created_at=jobs.created_at,
        )
        session.add(placements)
        session.flush()
        for quantity, verification in ((4.0, "accepted"), (6.0, "rejected")):
            session.add(
                mon.DeliveryReport(
                    obligation_id=placements.id,
                    statement_id=jobs.statement_id,
                    council="islington",
                    period_start=dt.date(2026, 4, 1),
                    period_end=dt.date(2026, 9, 30),
                    quantity=quantity,
                    wards=[{"code": BUNHILL, "name": "Bunhill", "share": 1.0}],
                    source="web",
                    submitted_by_id=scheme["owner"].id,
                    submitted_at=dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC),
                    verification=verification,
                    verified_by_id=scheme["officer"].id,
                    verified_at=dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC),
                )
            )
        session.commit()


def test_ward_page_lines_show_verified_delivered_in_the_ward(
    app: Flask, scheme: dict[str, Any]
) -> None:
    _placements(app, scheme)
    client = app.test_client()
    sid = scheme["statement"].id
    bunhill = client.get(f"/councils/islington/wards/{BUNHILL}")
    assert bunhill.status_code == 200
    cells = _cells(bunhill.text.split('id="commitments"', 1)[1].split("</table>", 1)[0])
    # c3: accepted 4 in Bunhill counts, the rejected 6 never does; c4 has no obligation.
    assert cells == {
        f"{sid}:c3": "4 placements of at least 2 weeks",
        f"{sid}:c4": "Not yet reported",
    }
    # Caledonian: c3's line is there, but nothing of it was delivered in Caledonian.
    caledonian = client.get(f"/councils/islington/wards/{CALEDONIAN}")
    cells = _cells(caledonian.text.split('id="commitments"', 1)[1].split("</table>", 1)[0])
    assert cells[f"{sid}:c3"] == "Not yet reported"
    with app.extensions["planning_sv.db"].session() as session:
        assert mon.verified_delivery_by_commitment(session, "islington", BUNHILL, [sid]) == {
            (sid, "c1"): 3.0,
            (sid, "c3"): 4.0,
        }
