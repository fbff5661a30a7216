"""Records that should never exist cannot be created, whichever way they arrive.

One check (core.statement.validate_commitments / validate_site) behind the commitment form,
the CSV upload, the JSON upload and the API: the same faults refused with the same words,
nothing saved on a refusal, the 500-commitment cap counted over existing + new, and a site
wholly in another council refused (a partly-outside site accepted, its share shown).
"""

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

from planning_sv.core.geo.coords import bng_to_lonlat
from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_token

# Worked by hand from local_plans/measures.yaml: `starts` at most 100,000, label
# "apprenticeship starts"; `fte_years` at most 100,000, label "FTE-years".
TOO_MANY_STARTS = "must be at most 100,000 apprenticeship starts; check the figure"
TOO_MANY_FTE = "must be at most 100,000 FTE-years; check the figure"
SALFORD_WARD = (
    "ward E05013028 is in Salford, not Islington; give one of Islington's wards (2025 boundaries)"
)
UNKNOWN_POSTCODE = (
    "unknown postcode 'N1 9ZZ' (not in codepoint_open_2025-10_islington_salford_plus_1km.csv)"
)
# The same problems as the applicant pages word them (web/messages.py): the API keeps the
# machine-readable paths and messages above.
PAGE_UNKNOWN_POSTCODE = "was not found: check it and enter a full postcode, like N19 5RQ"
PAGE_TOO_MANY_STARTS = "must be 100,000 apprenticeship starts or fewer: check the figure"
PAGE_TOO_MANY_FTE = "must be 100,000 FTE-years or fewer: check the figure"
PAGE_SALFORD_WARD = (
    "E05013028 is a ward in Salford, not Islington: enter the code of one of Islington's wards"
)


def bng_box_geojson(*boxes: tuple[float, float, float, float]) -> dict[str, Any]:
    """GeoJSON (lon/lat) of rectangles given in British National Grid metres."""
    polygons = []
    for xmin, ymin, xmax, ymax in boxes:
        ring = [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax), (xmin, ymin)]
        lon, lat = bng_to_lonlat([p[0] for p in ring], [p[1] for p in ring])
        polygons.append([[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]])
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


# A 100 m square in Salford (Boothstown & Ellenbrook / Higher Irlam & Peel Green).
SALFORD_SQUARE = bng_box_geojson((372425, 397691, 372525, 397791))
# Two equal 100 m squares: one round Arsenal's label point (Islington), one round NW5 1TL
# (Camden). Half the site is outside Islington, by construction.
HALF_OUTSIDE = bng_box_geojson((531270, 185808, 531370, 185908), (528671, 185475, 528771, 185575))


def _draft(app: Flask, statement_id: int) -> dict[str, Any]:
    with app.extensions["planning_sv.db"].session() as s:
        return s.get(Statement, statement_id).draft


def _start(client: FlaskClient) -> int:
    response = client.post("/statements/new", data={"council": "islington"})
    assert response.status_code == 302, response.text[:400]
    return int(response.location.split("/")[2])


def _upload(client: FlaskClient, url: str, body: str, name: str) -> Any:
    return client.post(
        url,
        data={"file": (io.BytesIO(body.encode()), name)},
        content_type="multipart/form-data",
    )


def _upload_problems(page: str) -> list[str]:
    found = re.findall(r'<li><a href="#file">(.*?)</a></li>', page, flags=re.S)
    lines = [html.unescape(" ".join(item.split())) for item in found]
    return [line for line in lines if not line.startswith("The ")]  # not the file's own error


def _field_errors(page: str) -> list[str]:
    """The GOV.UK error messages under the fields, without the hidden 'Error:' prefix."""
    found = re.findall(r'<p id="[\w-]+-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return [
        html.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split())).removeprefix("Error: ")
        for item in found
    ]


@pytest.fixture
def applicant(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as("applicant")


def _api(app: Flask, user: User) -> Callable[..., Any]:
    client = app.test_client()
    with app.extensions["planning_sv.db"].session() as s:
        token = create_token(s, s.get(User, user.id))[1]

    def call(method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        return getattr(client, method)("/api/v1" + path, headers=headers, **kwargs)

    return call


# --- the commitment form ------------------------------------------------------------------


def test_a_refused_form_saves_nothing_and_retrying_does_not_duplicate(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    bad = {"measure": "apprenticeship", "quantity": "2", "unit": "starts", "where": "postcode"}
    for _attempt in range(2):
        response = applicant.post(
            f"/statements/{sid}/commitments/new", data={**bad, "where_postcode": "N1 9ZZ"}
        )
        assert response.status_code == 400
        assert _field_errors(response.text) == [f"Postcode N1 9ZZ {PAGE_UNKNOWN_POSTCODE}"]
        assert _draft(app, sid)["commitments"] == []
    too_many = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "200000",
            "unit": "starts",
            "where": "borough",
        },
    )
    assert too_many.status_code == 400
    assert _field_errors(too_many.text) == [f"Quantity {PAGE_TOO_MANY_STARTS}"]
    assert _draft(app, sid)["commitments"] == []
    fixed = applicant.post(
        f"/statements/{sid}/commitments/new", data={**bad, "where_postcode": "N19 3AA"}
    )
    assert fixed.status_code == 302
    assert [(c["id"], c["where"]) for c in _draft(app, sid)["commitments"]] == [
        ("c1", {"postcode": "N19 3AA"})
    ]


def test_an_edit_that_fails_keeps_the_saved_commitment(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    good = {"measure": "apprenticeship", "quantity": "2", "unit": "starts", "where": "borough"}
    assert applicant.post(f"/statements/{sid}/commitments/new", data=good).status_code == 302
    refused = applicant.post(
        f"/statements/{sid}/commitments/c1/edit",
        data={**good, "where": "ward", "where_ward": "E05013028"},
    )
    assert refused.status_code == 400
    assert _field_errors(refused.text) == [f"Ward code {PAGE_SALFORD_WARD}"]
    assert _draft(app, sid)["commitments"][0]["where"] == {"borough": True}


def test_a_place_outside_the_borough_is_allowed_and_shown_not_local(
    applicant: FlaskClient, app: Flask, islington_example: dict[str, Any]
) -> None:
    sid = _start(applicant)
    _upload(applicant, f"/statements/{sid}/upload", json.dumps(islington_example), "s.json")
    added = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "postcode",
            "where_postcode": "M5 4AD",  # Salford
        },
    )
    assert added.status_code == 302
    new_id = _draft(app, sid)["commitments"][-1]["id"]
    page = applicant.get(f"/statements/{sid}/commitments").text
    cell = page.split(f'data-testid="local-{new_id}">')[1].split("</td>")[0]
    assert cell.startswith("Not local") and "outside the borough" in cell


# --- the CSV upload -----------------------------------------------------------------------


def test_csv_with_three_bad_rows_adds_none_and_names_all_three(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    text = (
        "measure,quantity,unit,postcode,ward\n"
        "volunteering,10,hours,,\n"
        "apprenticeship,2,starts,N1 9ZZ,\n"
        "apprenticeship,2,starts,,E05013028\n"
        "local_employment,1e30,fte_years,,\n"
    )
    response = _upload(applicant, f"/statements/{sid}/commitments/upload", text, "c.csv")
    assert response.status_code == 400
    assert "The CSV file has 3 problems: nothing was changed" in response.text
    assert _upload_problems(response.text) == [
        f"Row 3: postcode N1 9ZZ {PAGE_UNKNOWN_POSTCODE}",
        f"Row 4: ward {PAGE_SALFORD_WARD}",
        f"Row 5: quantity {PAGE_TOO_MANY_FTE}",
    ]
    assert _draft(app, sid)["commitments"] == []  # not even the good first row


def test_csv_reads_spreadsheet_numbers(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    text = (
        'measure,quantity,unit\nvolunteering,"1,000",hours\nlocal_supply_chain_spend,"£2,000",gbp\n'
    )
    response = _upload(applicant, f"/statements/{sid}/commitments/upload", text, "c.csv")
    assert response.status_code == 302
    assert [c["quantity"] for c in _draft(app, sid)["commitments"]] == [1000, 2000]


def test_repeated_uploads_cannot_pass_500(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    rows = "measure,quantity,unit\n" + "volunteering,1,hours\n" * 300
    url = f"/statements/{sid}/commitments/upload"
    assert _upload(applicant, url, rows, "a.csv").status_code == 302
    second = _upload(applicant, url, rows, "b.csv")
    assert second.status_code == 400
    assert _upload_problems(second.text) == [
        "A statement can have at most 500 commitments; this would make 600. Remove some first"
    ]
    assert len(_draft(app, sid)["commitments"]) == 300
    rest = "measure,quantity,unit\n" + "volunteering,1,hours\n" * 200
    assert _upload(applicant, url, rest, "c.csv").status_code == 302
    assert len(_draft(app, sid)["commitments"]) == 500
    one_more = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={"measure": "volunteering", "quantity": "1", "unit": "hours", "where": "borough"},
    )
    assert one_more.status_code == 400
    assert "A statement can have at most 500 commitments; this would make 501" in html.unescape(
        one_more.text
    )
    assert len(_draft(app, sid)["commitments"]) == 500


# --- the JSON upload and the API say the same -----------------------------------------------


def test_json_upload_and_api_give_the_same_wording(
    applicant: FlaskClient,
    app: Flask,
    make_user: Callable[..., User],
    islington_example: dict[str, Any],
) -> None:
    islington_example["commitments"][0].update(quantity=1e30)  # local_employment, fte_years
    islington_example["commitments"][1]["where"] = {"ward": "E05013028"}
    expected = [
        ("$.commitments[0].quantity", TOO_MANY_FTE),
        ("$.commitments[1].where.ward", SALFORD_WARD),
    ]
    sid = _start(applicant)
    page = _upload(applicant, f"/statements/{sid}/upload", json.dumps(islington_example), "s.json")
    assert page.status_code == 400
    # The page words them for people; the API keeps the paths and messages.
    assert _upload_problems(page.text) == [
        f"Commitment c1: quantity {PAGE_TOO_MANY_FTE}",
        f"Commitment c2: ward code {PAGE_SALFORD_WARD}",
    ]
    assert "commitments" not in _draft(app, sid) or _draft(app, sid)["commitments"] == []

    api = _api(app, make_user("applicant"))
    created = api("post", "/statements", json=islington_example)
    assert created.status_code == 422
    assert [(e["path"], e["message"]) for e in created.get_json()["errors"]] == expected


def test_api_refuses_a_site_in_another_council_on_create_and_update(
    app: Flask, make_user: Callable[..., User], islington_example: dict[str, Any]
) -> None:
    api = _api(app, make_user("applicant"))
    created = api("post", "/statements", json=islington_example)
    assert created.status_code == 201
    statement_id = created.get_json()["id"]
    moved = dict(islington_example, site={"postcode": "E8 1AB"})
    for response in (
        api("post", "/statements", json=moved),
        api("put", f"/statements/{statement_id}", json=moved),
    ):
        assert response.status_code == 422
        assert response.get_json()["errors"] == [
            {"path": "$.site.postcode", "message": "This postcode is in Hackney, not Islington"}
        ]


# --- the site -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("M5 4AD", "This postcode is in Salford, not Islington"),
        ("E8 1AB", "This postcode is in Hackney, not Islington"),
    ],
)
def test_site_postcode_in_another_council_is_refused(
    applicant: FlaskClient, app: Flask, postcode: str, message: str
) -> None:
    sid = _start(applicant)
    response = applicant.post(
        f"/statements/{sid}/site",
        data={"method": "postcode", "postcode": postcode, "designation": "none"},
    )
    assert response.status_code == 400
    assert _field_errors(response.text) == [message.replace("This postcode", "Postcode")]
    assert "site" not in _draft(app, sid)


def test_salford_polygon_is_refused_for_islington(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant)
    response = applicant.post(
        f"/statements/{sid}/site",
        data={
            "method": "geojson",
            "designation": "none",
            "geojson": (io.BytesIO(json.dumps(SALFORD_SQUARE).encode()), "site.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _field_errors(response.text) == ["The site is in Salford, not Islington"]
    assert "site" not in _draft(app, sid)


def test_partly_outside_polygon_shows_its_share_to_applicant_and_officer(
    applicant: FlaskClient,
    app: Flask,
    login_as: Callable[..., FlaskClient],
    islington_example: dict[str, Any],
) -> None:
    sid = _start(applicant)
    saved = applicant.post(
        f"/statements/{sid}/site",
        data={
            "method": "geojson",
            "designation": "none",
            "geojson": (io.BytesIO(json.dumps(HALF_OUTSIDE).encode()), "site.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    site_page = " ".join(applicant.get(saved.location).text.split())
    assert "50.0% of the site is outside the council's area." in site_page

    islington_example["site"] = {"geometry": HALF_OUTSIDE, "designation": "none"}
    uploaded = _upload(
        applicant, f"/statements/{sid}/upload", json.dumps(islington_example), "s.json"
    )
    assert uploaded.status_code == 302
    check = " ".join(applicant.get(f"/statements/{sid}/check").text.split())
    assert "50% of the site is outside the council's area." in check
    declared = {"declaration": "y"}
    assert applicant.post(f"/statements/{sid}/submit", data=declared).status_code == 302

    officer = login_as("officer", "islington")
    review = " ".join(officer.get(f"/officer/statements/{sid}").text.split())
    assert "50.0% of the site is outside the council's area" in review


def test_submission_rechecks_a_draft_saved_before_the_check(
    applicant: FlaskClient, app: Flask, islington_example: dict[str, Any]
) -> None:
    sid = _start(applicant)
    # A draft written straight to the store (as one saved before this check existed).
    with app.extensions["planning_sv.db"].session() as s:
        row = s.get(Statement, sid)
        row.draft = dict(islington_example, site={"postcode": "M5 4AD"})
        s.commit()
    response = applicant.post(f"/statements/{sid}/submit", data={"declaration": "y"})
    assert response.status_code == 302 and response.location.endswith("/check")
    with app.extensions["planning_sv.db"].session() as s:
        assert s.get(Statement, sid).versions == []
    check = html.unescape(" ".join(applicant.get(f"/statements/{sid}/check").text.split()))
    assert "Site postcode is in Salford, not Islington" in check
