"""The applicant journey through the forms (server-rendered, no JavaScript)."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.store.models import AuditEvent, Statement, User

DEVELOPMENT = {
    "dwellings": "120",
    "build_cost_gbp": "45000000",
    "construction_months": "30",
    "floorspace_office": "8000",
    "floorspace_residential": "9500",
}


def _draft(app: Flask, statement_id: int) -> dict[str, Any]:
    with app.extensions["planning_sv.db"].session() as s:
        return s.get(Statement, statement_id).draft


def _summary(page: str) -> list[str]:
    """The upload page's problem lines, unescaped, in order."""
    found = re.findall(r'<li><a href="#file">(.*?)</a></li>', page, flags=re.S)
    lines = [html.unescape(" ".join(item.split())) for item in found]
    return [line for line in lines if not line.startswith("The ")]  # not the file's own error


def _start(client: FlaskClient, council: str = "islington") -> int:
    response = client.post(
        "/statements/new", data={"council": council, "application_reference": "P/1"}
    )
    assert response.status_code == 302, response.text[:400]
    return int(response.location.split("/")[2])


@pytest.fixture
def applicant(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as("applicant")


def test_full_journey_with_forms(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    assert applicant.post(f"/statements/{sid}/development", data=DEVELOPMENT).status_code == 302
    site = applicant.post(
        f"/statements/{sid}/site",
        data={"method": "postcode", "postcode": "n19 3aa", "designation": "caz"},
    )
    assert site.status_code == 302 and "saved=1" in site.location
    assert _draft(app, sid)["site"]["postcode"] == "N19 3AA"  # stored as written on letters
    confirmed = applicant.get(site.location).text
    assert 'data-testid="site-placed"' in confirmed and "E05" in confirmed
    # N19 3AA is in Islington's Hillrise ward.
    assert "The site is in Hillrise ward (E05013705)" in " ".join(confirmed.split())

    added = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "affordable_workspace",
            "quantity": "500",
            "unit": "sqm",
            "where": "borough",
        },
    )
    assert added.status_code == 302
    check = applicant.get(f"/statements/{sid}/check").text
    assert 'data-rule-id="ISL-B4-AFFORDABLE-WORKSPACE"' in check
    row = check.split('data-rule-id="ISL-B4-AFFORDABLE-WORKSPACE"')[1].split("</tr>")[0]
    assert 'data-rule-status="fail"' in row or 'data-rule-status="partial"' in row
    # 500 of the 800 m² B4 asks for (10% of 8,000 m² of offices); B4 has no partial grade.
    assert 'data-rule-status="fail"' in row
    assert 'data-shortfall="300.0"' in row

    edited = applicant.post(
        f"/statements/{sid}/commitments/c1/edit",
        data={
            "measure": "affordable_workspace",
            "quantity": "800",
            "unit": "sqm",
            "where": "borough",
        },
    )
    assert edited.status_code == 302
    row = (
        applicant.get(f"/statements/{sid}/check")
        .text.split('data-rule-id="ISL-B4-AFFORDABLE-WORKSPACE"')[1]
        .split("</tr>")[0]
    )
    assert 'data-rule-status="pass"' in row

    submitted = applicant.post(f"/statements/{sid}/submit", data={"declaration": "y"})
    assert submitted.status_code == 302
    assert submitted.location.endswith(f"/statements/{sid}/versions/1/submitted")
    assert "Statement submitted" in applicant.get(submitted.location).text
    overview = applicant.get(f"/statements/{sid}").text
    assert "Version 1</a>" in overview
    # Submitted statements are read-only for the applicant.
    assert applicant.post(f"/statements/{sid}/development", data=DEVELOPMENT).status_code == 409
    assert applicant.post(f"/statements/{sid}/submit", data={"declaration": "y"}).status_code == 409


def test_development_errors_name_fields_and_keep_saved_data(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    applicant.post(f"/statements/{sid}/development", data=DEVELOPMENT)
    bad = applicant.post(
        f"/statements/{sid}/development",
        data={**DEVELOPMENT, "build_cost_gbp": "lots", "floorspace_office": "-5"},
    )
    assert bad.status_code == 400
    assert 'href="#build_cost_gbp"' in bad.text and 'href="#floorspace_office"' in bad.text
    assert "Office floorspace must be 0 or more" in bad.text
    assert _draft(app, sid)["development"]["build_cost_gbp"] == 45000000  # nothing lost


def test_unknown_postcode_is_a_field_error_and_nothing_is_saved(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    response = applicant.post(
        f"/statements/{sid}/site", data={"method": "postcode", "postcode": "ZZ99 9ZZ"}
    )
    assert response.status_code == 400
    assert 'href="#postcode"' in response.text and "ZZ99 9ZZ" in response.text
    assert 'value="ZZ99 9ZZ"' in response.text  # still in the form to correct
    assert "site" not in _draft(app, sid)


def test_site_by_point_needs_coordinates(applicant: FlaskClient) -> None:
    sid = _start(applicant)
    response = applicant.post(
        f"/statements/{sid}/site", data={"method": "point", "longitude": "500"}
    )
    assert response.status_code == 400
    assert "Longitude must be between -180 and 180" in response.text
    assert "Enter the latitude" in response.text


def test_geojson_upload(
    applicant: FlaskClient, app: Flask, islington_example: dict[str, Any]
) -> None:
    sid = _start(applicant)
    feature = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": islington_example["site"]["geometry"]}
        ],
    }
    ok = applicant.post(
        f"/statements/{sid}/site",
        data={
            "method": "geojson",
            "designation": "none",
            "geojson": (io.BytesIO(json.dumps(feature).encode()), "site.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert _draft(app, sid)["site"]["geometry"]["type"] == "Polygon"
    for content, message in [
        (b"{oops", "not valid GeoJSON"),
        (b'{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}', "Polygon"),
        (b"\xff\xfe\x00", "not valid GeoJSON"),
    ]:
        bad = applicant.post(
            f"/statements/{sid}/site",
            data={
                "method": "geojson",
                "designation": "none",
                "geojson": (io.BytesIO(content), "bad.geojson"),
            },
            content_type="multipart/form-data",
        )
        assert bad.status_code == 400 and message in bad.text and 'href="#geojson"' in bad.text
    assert _draft(app, sid)["site"]["geometry"]["type"] == "Polygon"  # kept
    # Saving again without choosing a file keeps the boundary already uploaded.
    again = applicant.post(
        f"/statements/{sid}/site",
        data={"method": "geojson", "address": "1 New Road", "designation": "none"},
    )
    assert again.status_code == 302
    assert _draft(app, sid)["site"]["address"] == "1 New Road"
    assert _draft(app, sid)["site"]["geometry"]["type"] == "Polygon"


def test_commitment_validation(applicant: FlaskClient) -> None:
    sid = _start(applicant)
    negative = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={"measure": "apprenticeship", "quantity": "-2", "unit": "starts", "where": "borough"},
    )
    assert negative.status_code == 400 and "Quantity must be 0 or more" in negative.text
    wrong_unit = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={"measure": "apprenticeship", "quantity": "2", "unit": "gbp", "where": "borough"},
    )
    assert wrong_unit.status_code == 400 and 'href="#unit"' in wrong_unit.text
    no_ward = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={"measure": "apprenticeship", "quantity": "2", "unit": "starts", "where": "ward"},
    )
    assert no_ward.status_code == 400 and "Enter the ward code" in no_ward.text


def test_commitment_remove_and_unknown_id(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    for quantity in ("2", "3"):
        applicant.post(
            f"/statements/{sid}/commitments/new",
            data={
                "measure": "apprenticeship",
                "quantity": quantity,
                "unit": "starts",
                "where": "borough",
            },
        )
    assert [c["id"] for c in _draft(app, sid)["commitments"]] == ["c1", "c2"]
    assert applicant.post(f"/statements/{sid}/commitments/c1/remove").status_code == 302
    assert [c["id"] for c in _draft(app, sid)["commitments"]] == ["c2"]
    assert applicant.get(f"/statements/{sid}/commitments/c9/edit").status_code == 404


def test_csv_upload(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    good = (
        "measure,quantity,unit,postcode,ward,description\n"
        "apprenticeship,8,starts,,E05013706,Site apprentices\n"
        "local_supply_chain_spend,2000000,gbp,,,\n"
    )
    response = applicant.post(
        f"/statements/{sid}/commitments/upload",
        data={"file": (io.BytesIO(good.encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    items = _draft(app, sid)["commitments"]
    assert items[0]["where"] == {"ward": "E05013706"} and items[1]["where"] == {"borough": True}
    assert [(c["id"], c["measure"], c["quantity"], c["unit"]) for c in items] == [
        ("c1", "apprenticeship", 8, "starts"),
        ("c2", "local_supply_chain_spend", 2_000_000, "gbp"),
    ]
    assert items[0]["description"] == "Site apprentices"

    bad = (
        "measure,quantity,unit\n"
        "apprenticeship,-1,starts\n"
        "apprenticeship,many,starts\n"
        "magic,1,starts\n"
        "apprenticeship,1,parsecs\n"
    )
    response = applicant.post(
        f"/statements/{sid}/commitments/upload",
        data={"file": (io.BytesIO(bad.encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    # Every row's fault in one pass, numbered as in the file.
    assert _summary(response.text) == [
        "Row 2: quantity must be 0 or more",
        "Row 3: quantity must be a number, like 1,200",
        "Row 4: measure must be one of the kinds of commitment listed (not ‘magic’)",
        "Row 5: unit must be one that fits apprenticeships: apprenticeship starts (starts) or "
        "apprenticeship weeks (weeks)",
    ]
    # A rejected upload adds nothing: the two commitments saved before are all there is.
    assert [c["id"] for c in _draft(app, sid)["commitments"]] == ["c1", "c2"]
    missing = applicant.post(
        f"/statements/{sid}/commitments/upload",
        data={"file": (io.BytesIO(b"what,ever\n1,2\n"), "c.csv")},
        content_type="multipart/form-data",
    )
    assert (
        "The first row must name the columns measure, quantity and unit: it does not have "
        "measure, quantity, unit" in html.unescape(missing.text)
    )


def test_json_upload(applicant: FlaskClient, app: Flask, islington_example: dict[str, Any]) -> None:
    sid = _start(applicant)
    ok = applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(json.dumps(islington_example).encode()), "s.json")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302 and ok.location.endswith("/check")
    assert len(_draft(app, sid)["commitments"]) == 6
    islington_example["commitments"][0]["quantity"] = -1
    bad = applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(json.dumps(islington_example).encode()), "s.json")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "Commitment c1: quantity must be 0 or more" in bad.text
    assert "$.commitments" not in bad.text
    assert _draft(app, sid)["commitments"][0]["quantity"] == 25  # unchanged
    salford = dict(islington_example, council="salford")
    salford["commitments"] = []
    wrong = applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(json.dumps(salford).encode()), "s.json")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400
    assert (
        "The file is for Salford City Council, but this statement is for London Borough of "
        "Islington" in wrong.text
    )


def test_oversized_upload_is_413_not_500(applicant: FlaskClient) -> None:
    sid = _start(applicant)
    response = applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "big.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "too large" in response.text


def test_incomplete_statement_check_lists_what_is_missing(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    page = applicant.get(f"/statements/{sid}/check").text
    assert "Your statement is not complete yet" in page and "$.site" not in page
    assert "Enter where the site is" in page and "Enter the development facts" in page
    assert "Accept and submit statement" not in page
    declared = {"declaration": "y"}
    assert applicant.post(f"/statements/{sid}/submit", data=declared).status_code == 302
    refused = applicant.post(f"/statements/{sid}/submit", data=declared)
    assert refused.location.endswith(f"/statements/{sid}/check")
    with app.extensions["planning_sv.db"].session() as s:
        statement = s.get(Statement, sid)
        assert statement.status == "draft" and statement.latest_version is None  # type: ignore[union-attr]


def test_changes_requested_revise_and_resubmit_with_diff(
    login_as, make_user: Callable[..., User], make_statement, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    statement = make_statement(
        owner,
        actions=("submit", "start_review", "request_changes"),
        staff={"start_review": officer, "request_changes": officer},
    )
    client = login_as(user=owner)
    overview = client.get(f"/statements/{statement.id}").text
    assert "The planning officer has asked for changes" in overview
    assert "needs more placements" in overview
    client.post(
        f"/statements/{statement.id}/commitments/c3/edit",
        data={
            "measure": "work_placement",
            "quantity": "45",
            "unit": "placements",
            "where": "borough",
        },
    )
    check = client.get(f"/statements/{statement.id}/check").text
    assert "Accept and resubmit statement" in check and "version 2" in check
    done = client.post(f"/statements/{statement.id}/submit", data={"declaration": "y"})
    assert done.status_code == 302
    assert "Statement resubmitted" in client.get(done.location).text
    with app.extensions["planning_sv.db"].session() as s:
        resubmitted = s.get(Statement, statement.id)
        assert resubmitted.status == "resubmitted"  # type: ignore[union-attr]
        assert resubmitted.latest_version.number == 2  # type: ignore[union-attr]
    version = client.get(f"/statements/{statement.id}/versions/2").text
    assert "What changed since version 1" in version
    assert "$.commitments" not in version
    assert (
        "Changed: commitment c3 from 20 placements of at least 2 weeks, anywhere in the "
        "borough, to 45 placements of at least 2 weeks, anywhere in the borough"
    ) in version
    assert client.get(f"/statements/{statement.id}/versions/3").status_code == 404


def test_list_shows_only_own_statements(login_as, make_user, make_statement) -> None:  # type: ignore[no-untyped-def]
    owner, other = make_user("applicant"), make_user("applicant")
    mine = make_statement(owner)
    theirs = make_statement(other, council="salford")
    page = login_as(user=owner).get("/statements").text
    assert f'/statements/{mine.id}"' in page and f'/statements/{theirs.id}"' not in page


def test_withdraw_needs_a_reason_and_is_audited(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    refused = applicant.post(f"/statements/{sid}/withdraw", data={"reason": "  "})
    assert refused.status_code == 400 and 'href="#reason"' in refused.text
    assert (
        applicant.post(f"/statements/{sid}/withdraw", data={"reason": "scheme dropped"}).status_code
        == 302
    )
    overview = applicant.get(f"/statements/{sid}").text
    assert "Withdrawn" in overview and "scheme dropped" in overview
    with app.extensions["planning_sv.db"].session() as s:
        assert s.get(Statement, sid).status == "withdrawn"  # type: ignore[union-attr]
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.statement_id == sid, AuditEvent.action == "withdraw"
            )
        ).all()
        assert [e.reason for e in events] == ["scheme dropped"]  # audited, with its reason
    assert (
        applicant.post(f"/statements/{sid}/withdraw", data={"reason": "again"}).status_code == 409
    )


def test_editing_keeps_a_location_the_form_cannot_show(
    applicant: FlaskClient, app: Flask, islington_example: dict[str, Any]
) -> None:
    sid = _start(applicant)
    area = {"geometry": islington_example["site"]["geometry"]}
    islington_example["commitments"][0]["where"] = area
    applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(json.dumps(islington_example).encode()), "s.json")},
        content_type="multipart/form-data",
    )
    form = applicant.get(f"/statements/{sid}/commitments/c1/edit").text
    assert "Keep the location as uploaded" in form
    saved = applicant.post(
        f"/statements/{sid}/commitments/c1/edit",
        data={
            "measure": "local_employment",
            "quantity": "30",
            "unit": "fte_years",
            "where": "keep",
        },
    )
    assert saved.status_code == 302
    item = _draft(app, sid)["commitments"][0]
    assert item["quantity"] == 30 and item["where"] == area


@pytest.mark.parametrize("hostile", ["NaN", "Infinity", "-inf", "1e999999", "12abc", "<b>1</b>"])
def test_hostile_numbers_are_field_errors(applicant: FlaskClient, hostile: str) -> None:
    sid = _start(applicant)
    development = applicant.post(
        f"/statements/{sid}/development", data={**DEVELOPMENT, "build_cost_gbp": hostile}
    )
    commitment = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": hostile,
            "unit": "starts",
            "where": "borough",
        },
    )
    site = applicant.post(
        f"/statements/{sid}/site",
        data={"method": "point", "longitude": hostile, "latitude": "51.5"},
    )
    for response, field in (
        (development, "build_cost_gbp"),
        (commitment, "quantity"),
        (site, "longitude"),
    ):
        assert response.status_code == 400, (hostile, field, response.status_code)
        assert f'href="#{field}"' in response.text
        assert "<b>1</b>" not in response.text
