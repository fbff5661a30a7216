"""Public figures on the pages and downloads, worked out by hand from a small Islington fixture.

Ward populations (ONS mid-2020 best fit, ../shared/data/derived/ward2025_imd2019_population_
summary_islington_salford.csv): Hillrise E05013705 16,358; Holloway E05013706 12,419;
Tollington E05013712 16,448; Islington's 17 wards 248,115 (summed with awk over the file).

Approved (public):
  PUB/1  approved 15 June 2023 (events written by hand; see `_approve_on`); site in Holloway.
         c1 local employment 10 FTE-years at N19 3AA (Hillrise)   £374,300 (10 × £37,430)
         c2 apprenticeship 104 weeks, ward Holloway = 2 starts     £19,968 (104 × £192)
  PUB/2  approved today through the real workflow; site N19 3AA (Hillrise).
         c1 volunteering 100 hours, ward Tollington                 £1,864 (100 × £18.64)
         c2 affordable workspace 500 sqm at a point in Holloway     not valued (open set)
  PUB/3  approved 9 September 2024 (by hand); site in Holloway.
         c1 work placements 20, whole borough                       not valued: every ward
                                                                     gets a share, £0
Not public: SUB/4 submitted (9,999 apprenticeship starts in Holloway), WDN/5 withdrawn
(£5,000,000 local spend in Holloway), DRF/6 a draft (volunteering in Tollington).

By ward (schemes = sited + placed + borough share only):
  Hillrise   PUB/1 placed (c1), PUB/2 sited, PUB/3 share → 3 schemes, 1 sited, 1 shared;
             commitments 2 (PUB/1 c1, PUB/3 c1); £374,300; 10 FTE-years.
  Holloway   PUB/1 sited+placed (c2), PUB/2 placed (c2), PUB/3 sited → 3, 2 sited, 0 shared;
             commitments 3; £19,968; 2 apprenticeship starts; 500 sqm workspace.
  Tollington PUB/2 placed (c1), PUB/3 share → 2 schemes, 0 sited, 1 shared; 2 commitments;
             £1,864.
  the other 14 wards: PUB/3's share only → 1 scheme, 0 sited, 1 shared, 1 commitment, £0.
  Borough: 3 schemes; £374,300 + £19,968 + £1,864 = £396,132.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.store import figures
from planning_sv.store import statements as repo
from planning_sv.store.models import (
    AuditEvent,
    CouncilFiguresRow,
    PublicLineRow,
    PublicSchemeRow,
    PublicSchemeWardRow,
    Statement,
    User,
    WardFiguresRow,
)
from planning_sv.store.users import create_user

HILLRISE, HOLLOWAY, TOLLINGTON = "E05013705", "E05013706", "E05013712"
HIGHBURY = "E05013703"  # one of the 14 wards PUB/3 reaches by its borough share only
POP = {HILLRISE: 16_358, HOLLOWAY: 12_419, TOLLINGTON: 16_448}
BOROUGH_POP = 248_115
PASSWORD = "a-long-password-1"
FORWARD = ("start_review", "recommend", "sign_off")


def _statement(base: dict[str, Any], reference: str, site: Any, items: list[Any]) -> Any:
    data = copy.deepcopy(base)
    data["application_reference"] = reference
    data["site"] = site
    data["commitments"] = items
    return data


def _approve_on(session: Any, statement: Statement, officer: User, day: dt.date) -> None:
    """Record an approval dated `day` (the workflow would stamp today): status and audit
    event by hand, then the same refresh the workflow runs in its transaction.

    The events before it (submit … sign off) were written today, after `day`, so any
    choice of event other than the approval gives a different date."""
    statement.status = "approved"
    at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
    session.add(
        AuditEvent(
            statement_id=statement.id,
            actor_id=officer.id,
            action="approve",
            from_status="signed_off",
            to_status="approved",
            at=at,
        )
    )
    session.add(  # a later note on the decision: not the approval
        AuditEvent(
            statement_id=statement.id,
            actor_id=officer.id,
            action="note",
            at=at + dt.timedelta(days=40),
        )
    )
    session.flush()
    figures.refresh_statement(session, statement)


def build_fixture(app: Flask, example: dict[str, Any]) -> dict[str, int]:
    holloway_site = example["site"]
    hillrise_site = {"address": "Hillrise site", "postcode": "N19 3AA", "designation": "none"}
    with app.extensions["planning_sv.db"].session() as session:
        owner = create_user(session, "owner@fig.example", PASSWORD, "applicant", None)
        officer = create_user(session, "officer@fig.example", PASSWORD, "officer", "islington")
        senior = create_user(session, "senior@fig.example", PASSWORD, "senior_officer", "islington")
        actors = {"start_review": officer, "recommend": officer, "sign_off": senior}

        def submitted(data: dict[str, Any]) -> Statement:
            statement = repo.create_statement(session, owner, "islington", data)
            repo.submit(session, statement, owner)
            return statement

        def signed_off(data: dict[str, Any]) -> Statement:
            statement = submitted(data)
            for action in FORWARD:
                repo.apply_transition(session, statement, action, actors[action])
            return statement

        pub1 = signed_off(
            _statement(
                example,
                "PUB/1",
                holloway_site,
                [
                    {
                        "id": "c1",
                        "measure": "local_employment",
                        "quantity": 10,
                        "unit": "fte_years",
                        "where": {"postcode": "N19 3AA"},
                    },
                    {
                        "id": "c2",
                        "measure": "apprenticeship",
                        "quantity": 104,
                        "unit": "weeks",
                        "where": {"ward": HOLLOWAY},
                    },
                ],
            )
        )
        _approve_on(session, pub1, officer, dt.date(2023, 6, 15))
        pub2 = signed_off(
            _statement(
                example,
                "PUB/2",
                hillrise_site,
                [
                    {
                        "id": "c1",
                        "measure": "volunteering",
                        "quantity": 100,
                        "unit": "hours",
                        "where": {"ward": TOLLINGTON},
                    },
                    {
                        "id": "c2",
                        "measure": "affordable_workspace",
                        "quantity": 500,
                        "unit": "sqm",
                        "description": "Workspace on Holloway Road",
                        "where": {"point": [-0.1170, 51.5530]},
                    },
                ],
            )
        )
        repo.apply_transition(session, pub2, "approve", officer)  # the real hook, today
        pub3 = signed_off(
            _statement(
                example,
                "PUB/3",
                holloway_site,
                [
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": 20,
                        "unit": "placements",
                        "where": {"borough": True},
                    }
                ],
            )
        )
        _approve_on(session, pub3, officer, dt.date(2024, 9, 9))
        submitted(
            _statement(
                example,
                "SUB/4",
                holloway_site,
                [
                    {
                        "id": "c1",
                        "measure": "apprenticeship",
                        "quantity": 9999,
                        "unit": "starts",
                        "where": {"ward": HOLLOWAY},
                    }
                ],
            )
        )
        withdrawn = submitted(
            _statement(
                example,
                "WDN/5",
                holloway_site,
                [
                    {
                        "id": "c1",
                        "measure": "local_supply_chain_spend",
                        "quantity": 5_000_000,
                        "unit": "gbp",
                        "where": {"ward": HOLLOWAY},
                    }
                ],
            )
        )
        repo.apply_transition(session, withdrawn, "withdraw", owner, "no longer going ahead")
        repo.create_statement(
            session,
            owner,
            "islington",
            _statement(
                example,
                "DRF/6",
                holloway_site,
                [
                    {
                        "id": "c1",
                        "measure": "volunteering",
                        "quantity": 70,
                        "unit": "hours",
                        "where": {"ward": TOLLINGTON},
                    }
                ],
            ),
        )
        return {"PUB/1": pub1.id, "PUB/2": pub2.id, "PUB/3": pub3.id}


@pytest.fixture
def fixture_ids(app: Flask, islington_example: dict[str, Any]) -> dict[str, int]:
    return build_fixture(app, islington_example)


def _cells(html: str, attribute: str) -> dict[str, str]:
    return dict(re.findall(rf'{attribute}="(E05\d+)">([^<]*)<', html))


def _values(html: str, figure: str) -> dict[str, float]:
    cells = re.findall(rf'data-ward="(E05\d+)" data-figure="{figure}" data-value="([^"]*)"', html)
    return {code: float(value) if value else 0.0 for code, value in cells}


def _csv(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(response.text)))


def test_borough_page_scheme_counts_by_hand(client: FlaskClient, fixture_ids: Any) -> None:
    html = client.get("/councils/islington/wards").text
    sited = _cells(html, "data-schemes-sited")
    shared = _cells(html, "data-schemes-shared")
    placed = _cells(html, "data-schemes-placed")
    # Issue 12: no column mixes the three; every scheme reaching a ward is one of them.
    schemes = {c: str(int(sited[c]) + int(placed[c]) + int(shared[c])) for c in sited}
    assert len(schemes) == 17
    assert (schemes[HILLRISE], sited[HILLRISE], shared[HILLRISE]) == ("3", "1", "1")
    assert (schemes[HOLLOWAY], sited[HOLLOWAY], shared[HOLLOWAY]) == ("3", "2", "0")
    assert (schemes[TOLLINGTON], sited[TOLLINGTON], shared[TOLLINGTON]) == ("2", "0", "1")
    others = set(schemes) - {HILLRISE, HOLLOWAY, TOLLINGTON}
    assert len(others) == 14
    assert {(schemes[c], sited[c], shared[c]) for c in others} == {("1", "0", "1")}
    assert "3 approved schemes have promised" in html


def test_borough_figures_and_per_resident_by_hand(client: FlaskClient, fixture_ids: Any) -> None:
    gbp = _values(client.get("/councils/islington/wards").text, "gbp")
    assert gbp[HILLRISE] == pytest.approx(374_300)
    assert gbp[HOLLOWAY] == pytest.approx(19_968)
    assert gbp[TOLLINGTON] == pytest.approx(1_864)
    assert gbp[HIGHBURY] == 0
    assert sum(gbp.values()) == pytest.approx(396_132)
    html = client.get("/councils/islington/wards?figure=gbp_per_resident").text
    per = _values(html, "gbp_per_resident")
    # £ over the ward's own population, to the penny and beyond (rel 1e-9).
    assert per[HILLRISE] == pytest.approx(374_300 / 16_358, rel=1e-9)  # £22.88…
    assert per[HOLLOWAY] == pytest.approx(19_968 / 12_419, rel=1e-9)  # £1.60…
    assert per[TOLLINGTON] == pytest.approx(1_864 / 16_448, rel=1e-9)  # £0.11…
    total = re.search(r'data-total="gbp_per_resident" data-value="([^"]+)"', html)
    assert total and float(total.group(1)) == pytest.approx(396_132 / 248_115, rel=1e-9)
    starts = _values(
        client.get("/councils/islington/wards?figure=apprenticeships").text, "apprenticeships"
    )
    assert starts[HOLLOWAY] == pytest.approx(2)  # 104 weeks at 52 weeks a start
    assert sum(starts.values()) == pytest.approx(2)  # SUB/4's 9,999 starts are not public
    jobs = _values(
        client.get("/councils/islington/wards?figure=jobs_fte_years").text, "jobs_fte_years"
    )
    assert jobs == {**dict.fromkeys(jobs, 0.0), HILLRISE: 10.0}
    sqm = _values(
        client.get("/councils/islington/wards?figure=workspace_sqm").text, "workspace_sqm"
    )
    assert sqm[HOLLOWAY] == pytest.approx(500) and sum(sqm.values()) == pytest.approx(500)


def test_wards_csv_counts_commitments_and_schemes(client: FlaskClient, fixture_ids: Any) -> None:
    rows = {r["ward_code"]: r for r in _csv(client, "/councils/islington/wards.csv")}
    assert len(rows) == 17
    assert [rows[c]["commitments"] for c in (HILLRISE, HOLLOWAY, TOLLINGTON, HIGHBURY)] == [
        "2",
        "3",
        "2",
        "1",
    ]
    assert [rows[c]["schemes"] for c in (HILLRISE, HOLLOWAY, TOLLINGTON, HIGHBURY)] == [
        "3",
        "3",
        "2",
        "1",
    ]
    assert rows[HILLRISE]["schemes_sited"] == "1" and rows[TOLLINGTON]["schemes_shared"] == "1"
    assert float(rows[HOLLOWAY]["gbp_promised"]) == 19_968
    assert rows[HOLLOWAY]["population_mid2020"] == "12419"
    assert float(rows[HILLRISE]["gbp_per_resident_promised"]) == round(374_300 / 16_358, 2)
    assert sum(float(r["gbp_promised"]) for r in rows.values()) == pytest.approx(396_132)


def test_ward_page_lists_schemes_with_their_approval_dates(
    client: FlaskClient, fixture_ids: Any
) -> None:
    html = client.get(f"/councils/islington/wards/{HOLLOWAY}").text
    schemes = html.split('id="schemes"')[1].split("</table>")[0]
    rows = [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", schemes, re.S)
    ]
    today = dt.date.today()
    assert rows == [
        "Application Site Approved Promised in this ward",
        "PUB/1 Holloway Road (example site) Site in this ward 15 June 2023 £19,968",
        f"PUB/2 Hillrise site {today.day} {today:%B %Y} £0",
        "PUB/3 Holloway Road (example site) Site in this ward 9 September 2024 £0",
    ]
    # Issue 12: located (PUB/1 c2, PUB/2 c2) apart from the borough-wide share (PUB/3 c1).
    assert "2 approved schemes are sited in Holloway." in html
    assert "2 commitments are located in the ward, worth £19,968 of social value." in html
    assert "a share of 1 borough-wide commitment from 1 scheme (not valued in pounds)" in html
    counts = re.search(
        r'data-schemes="(\d+)" data-sited="(\d+)" data-placed="(\d+)" data-shared="(\d+)"', html
    )
    assert counts and counts.groups() == ("3", "2", "1", "0")
    for hidden in ("SUB/4", "WDN/5", "DRF/6"):
        assert hidden not in html
    # Tollington: PUB/3 only by its share of whole-borough work placements.
    html = client.get(f"/councils/islington/wards/{TOLLINGTON}").text
    assert "PUB/3" in html and "a share of borough-wide commitments only" in html


def test_year_filter_uses_the_approval_date(client: FlaskClient, fixture_ids: Any) -> None:
    # 2023: PUB/1 alone (approved 15 June 2023; its other events are later).
    html = client.get("/councils/islington/wards?year=2023").text
    assert sum(_values(html, "gbp").values()) == pytest.approx(374_300 + 19_968)
    assert "1 approved scheme has promised" in html
    html = client.get("/councils/islington/wards?year=2024").text
    assert sum(_values(html, "gbp").values()) == 0  # PUB/3: work placements, not valued
    assert _cells(html, "data-schemes-shared")[HIGHBURY] == "1"
    this_year = dt.date.today().year
    html = client.get(f"/councils/islington/wards?year={this_year}").text
    assert sum(_values(html, "gbp").values()) == pytest.approx(1_864)  # PUB/2
    options = re.findall(r'<option value="(\d{4})"', html)
    assert options == sorted({"2023", "2024", str(this_year)})
    rows = _csv(client, f"/councils/islington/wards/{HOLLOWAY}.csv?year=2023")
    assert [(r["application_reference"], r["commitment_id"]) for r in rows] == [("PUB/1", "c2")]


def test_ward_downloads_stream_the_lines(client: FlaskClient, fixture_ids: Any) -> None:
    rows = _csv(client, f"/councils/islington/wards/{HOLLOWAY}.csv")
    assert [(r["application_reference"], r["commitment_id"], r["gbp_in_ward"]) for r in rows] == [
        ("PUB/1", "c2", "19968.0"),
        ("PUB/2", "c2", ""),  # not valued: empty, not £0
        ("PUB/3", "c1", ""),  # work placements: not valued either
    ]
    assert rows[1]["quantity_in_ward"] == "500.0" and rows[1]["share_in_ward"] == "1.0"
    response = client.get(f"/councils/islington/wards/{HOLLOWAY}.geojson")
    assert response.is_streamed
    data = response.get_json()
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["ward", "commitment", "commitment", "commitment", "site", "site"]
    assert data["features"][0]["properties"]["schemes"] == 3
    points = [f["geometry"] for f in data["features"] if f["properties"]["kind"] == "commitment"]
    assert points[1] == {"type": "Point", "coordinates": [-0.117, 51.553]}  # PUB/2 c2


def test_rebuild_gives_the_same_figures_as_the_incremental_updates(
    db_app: Flask, islington_example: dict[str, Any]
) -> None:
    build_fixture(db_app, islington_example)
    database = db_app.extensions["planning_sv.db"]

    def snapshot() -> dict[str, Any]:
        with database.session() as session:
            cells = {
                (r.status_key, r.filter_key, r.year, r.ward_code): (
                    r.schemes,
                    r.schemes_sited,
                    r.schemes_shared,
                    r.commitments,
                    round(r.gbp, 6),
                    round(r.jobs_fte_years, 9),
                    round(r.apprenticeships, 9),
                    round(r.workspace_sqm, 9),
                )
                for r in session.scalars(select(WardFiguresRow))
            }
            council = {
                (r.status_key, r.filter_key, r.year): r.schemes
                for r in session.scalars(select(CouncilFiguresRow))
            }
            schemes = {
                (r.statement_id, r.approved_on, r.reference)
                for r in session.scalars(select(PublicSchemeRow))
            }
            parts = session.execute(select(PublicSchemeWardRow.ward_code)).all()
            lines = session.execute(select(PublicLineRow.commitment_id)).all()
            return {
                "cells": cells,
                "council": council,
                "schemes": schemes,
                "parts": len(parts),
                "lines": len(lines),
            }

    incremental = snapshot()
    # 3 approved schemes; PUB/3 reaches all 17 wards, PUB/1 two, PUB/2 three (sited Hillrise).
    assert len(incremental["schemes"]) == 3
    assert incremental["parts"] == 17 + 2 + 3
    assert incremental["council"][("", "", 2023)] == 1
    assert incremental["council"][("", "", 2024)] == 1
    with database.session() as session:
        assert figures.rebuild(session, "islington") == 3
    assert snapshot() == incremental


def test_cli_rebuild_restores_emptied_figures(
    app: Flask, client: FlaskClient, fixture_ids: Any
) -> None:
    from planning_sv.cli import cli

    database = app.extensions["planning_sv.db"]
    with database.session() as session:
        for model in (PublicLineRow, PublicSchemeWardRow, PublicSchemeRow, WardFiguresRow):
            for row in session.scalars(select(model)):
                session.delete(row)
    assert sum(_values(client.get("/councils/islington/wards").text, "gbp").values()) == 0
    result = CliRunner().invoke(
        cli, ["figures", "rebuild", "--council", "islington", "--url", app.config["DATABASE_URL"]]
    )
    assert result.exit_code == 0, result.output
    assert "3 approved schemes" in result.output
    gbp = _values(client.get("/councils/islington/wards").text, "gbp")
    assert sum(gbp.values()) == pytest.approx(396_132)
    bad = CliRunner().invoke(cli, ["figures", "rebuild", "--council", "nowhere"])
    assert bad.exit_code == 2 and "--council: unknown council 'nowhere'" in bad.output


def test_ward_page_lists_schemes_a_page_at_a_time(
    client: FlaskClient, fixture_ids: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import public

    monkeypatch.setattr(public, "SCHEMES_PER_PAGE", 2)
    first = client.get(f"/councils/islington/wards/{HOLLOWAY}").text
    second = client.get(f"/councils/islington/wards/{HOLLOWAY}?page=2").text
    assert "Schemes 1 to 2 of 3" in first and "Page 1 of 2" in first
    assert "PUB/1" in first and "PUB/2" in first and "PUB/3" not in first
    assert "Schemes 3 to 3 of 3" in second and "PUB/3" in second and "PUB/1" not in second
    # The ward's figures are the whole ward's on every page: 3 schemes, 3 commitments.
    for html in (first, second):
        assert "2 approved schemes are sited in Holloway." in html
        assert "2 commitments are located in the ward, worth £19,968" in html
    assert f"/councils/islington/wards/{HOLLOWAY}?page=2" in first
    assert client.get(f"/councils/islington/wards/{HOLLOWAY}?page=3").status_code == 404
    bad = client.get(f"/councils/islington/wards/{HOLLOWAY}?page=two")
    assert bad.status_code == 400 and "Invalid query parameter &#39;page&#39;" in bad.text
    # Filters apply before paging: volunteering is PUB/2's only, and not in Holloway.
    html = client.get(f"/councils/islington/wards/{TOLLINGTON}?measure=volunteering").text
    assert "PUB/2" in html and "PUB/3" not in html and "Page 1 of" not in html
