"""Template injection: every free-text field, filled through the app's own flows with
template and markup payloads, comes back as the same text on every page, map, download and
document that shows it, and is never evaluated.

The map used to go through branca, which compiles each element's rendered output as a Jinja
template: an address of `X{{7*7}}X` came out as `X49X` on the officer's review map, and an
address of `X{{X` made the public ward page answer 500 (planning_sv/web/maps.py explains).

One run per payload and database lane. Each field gets its own tag, so a check names the
field that leaked: `ADDR X{{7*7}}X`, `REF X{{7*7}}X`, …
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from planning_sv import config
from planning_sv.store.users import create_user
from planning_sv.web import maps

PASSWORD = "template-injection-pw-1"
HOLLOWAY = "E05013706"  # the example site's ward, where c5 (a point) is placed too

PAYLOADS = [
    "X{{7*7}}X",
    "X{% raw %}X",
    "X{{X",
    "X{#X",
    "X${alert(1)}X",
    "X</script><script>alert(1)</script>X",
    "X<img src=x onerror=alert(1)>X",
]
# What the payload would turn into if anything evaluated it, or raw markup if unescaped.
EVALUATED = ("X49X",)
RAW_MARKUP = ("<script>alert(1)", "<img src=x")

TAGS = (
    "REF",  # application reference (start form, then the uploaded statement)
    "ADDR",  # site address
    "DESC",  # commitment descriptions
    "APPLICANT",  # user names
    "OFFICER",
    "MESSAGE",  # officer's request for changes
    "COMMENT",  # officer's verdict comment
    "NOTE",  # officer's recommend note
    "SIGNOFF",  # senior officer's sign-off note
    "VSNAME",  # value-set name, licence, and a row's source and note
    "VSLICENCE",
    "VSSOURCE",
    "VSNOTE",
)


OPEN_VALUES = Path(__file__).resolve().parents[2] / "local_plans/value_sets/open/values.csv"


@pytest.fixture
def lane_app(instance_dir: Path, db_app: Flask) -> Flask:
    """The app on each database lane. The set the admin imports here is stored in the
    lane's database, which is where assessments read the council's choice from."""
    return db_app


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text[:500]
    return client


def _values_csv(text: dict[str, str]) -> bytes:
    """The shipped open values, with the first row's source and note set to user text."""
    source = OPEN_VALUES.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(source)))
    rows[0]["source"], rows[0]["note"] = text["VSSOURCE"], text["VSNOTE"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _statement(text: dict[str, str]) -> bytes:
    path = config.PROJECT_ROOT / "tests/fixtures/islington_mixed_use.json"
    data = copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))
    data["application_reference"] = text["REF"]
    data["site"]["address"] = text["ADDR"]
    for commitment in data["commitments"]:
        if commitment["id"] in ("c2", "c5"):  # a ward and a point commitment in Holloway
            commitment["description"] = text["DESC"]
    return json.dumps(data).encode("utf-8")


def _review_version(client: FlaskClient, sid: int) -> str:
    # Decisions have their own page (issue 12); its forms carry the review's version.
    found = re.search(
        r'name="review_version" value="(\d+)"',
        client.get(f"/officer/statements/{sid}/decision").text,
    ) or re.search(
        r'name="review_version" value="(\d+)"', client.get(f"/officer/statements/{sid}").text
    )
    assert found is not None
    return found.group(1)


def _acknowledge_unverified(client: FlaskClient, sid: int) -> None:
    """Acknowledge the unverified figures the review page lists (needed to recommend)."""
    html = client.get(f"/officer/statements/{sid}").text
    names = re.findall(r'name="acknowledge" type="checkbox" value="([^"]+)"(?! checked)', html)
    if names:
        response = client.post(
            f"/officer/statements/{sid}/acknowledgements",
            data={"review_version": _review_version(client, sid), "acknowledge": names},
        )
        assert response.status_code == 302, response.text[:3000]


def _act(client: FlaskClient, sid: int, action: str, **fields: str) -> None:
    response = client.post(
        f"/officer/statements/{sid}/actions",
        data={"action": action, "review_version": _review_version(client, sid), **fields},
    )
    assert response.status_code == 302, (action, response.text[:3000])


def _assert_html_shows(html: str, values: list[str], where: str) -> None:
    """Each value shown as text (HTML-escaped), nothing evaluated, no raw markup."""
    for value in values:
        assert str(escape(value)) in html, f"{where}: {value!r} not shown literally"
    for bad in EVALUATED + RAW_MARKUP:
        assert bad not in html, f"{where}: {bad!r} in the page"


def _assert_map_drawn(html: str, where: str) -> dict[str, Any]:
    """The map element, its script and its data island are all on the page."""
    assert 'class="folium-map app-map"' in html, where
    assert "L.map(" in html and "JSON.parse(document.getElementById(" in html, where
    return maps.map_data(html)


def _strings(value: Any) -> list[str]:
    """Every string inside decoded JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_free_text_field_is_shown_as_data(lane_app: Flask, payload: str) -> None:
    text = {tag: f"{tag} {payload}" for tag in TAGS}
    app = lane_app
    with app.extensions["planning_sv.db"].session() as session:
        create_user(session, "owner@inj.example", PASSWORD, "applicant", name=text["APPLICANT"])
        create_user(
            session, "o@inj.example", PASSWORD, "officer", "islington", name=text["OFFICER"]
        )
        create_user(session, "s1@inj.example", PASSWORD, "senior_officer", "islington")
        create_user(session, "admin@inj.example", PASSWORD, "admin")
    applicant = _client(app, "owner@inj.example")
    officer = _client(app, "o@inj.example")
    senior = _client(app, "s1@inj.example")
    admin = _client(app, "admin@inj.example")

    # --- admin: a council value set named and sourced with user text, put in use -------------
    imported = admin.post(
        "/admin/value-sets/import",
        data={
            "council": "islington",
            "name": text["VSNAME"],
            "licence": text["VSLICENCE"],
            "use_it": "yes",
            "file": (io.BytesIO(_values_csv(text)), "values.csv"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302, imported.text[:3000]
    page = admin.get("/admin/value-sets/islington")
    assert page.status_code == 200
    _assert_html_shows(
        page.text, [text[t] for t in ("VSNAME", "VSLICENCE", "VSSOURCE")], "value set"
    )

    # --- applicant: start with a reference, upload the statement, submit ---------------------
    started = applicant.post(
        "/statements/new", data={"council": "islington", "application_reference": text["REF"]}
    )
    assert started.status_code == 302, started.text[:3000]
    found = re.search(r"/statements/(\d+)/", started.location)
    assert found is not None
    sid = int(found.group(1))
    uploaded = applicant.post(
        f"/statements/{sid}/upload",
        data={"file": (io.BytesIO(_statement(text)), "statement.json")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302, uploaded.text[:3000]
    for page_name, want in (("site", ["ADDR"]), ("commitments", ["DESC"])):
        page = applicant.get(f"/statements/{sid}/{page_name}")
        assert page.status_code == 200
        _assert_html_shows(page.text, [text[t] for t in want], f"{page_name} page")
    check = applicant.get(f"/statements/{sid}/check")
    assert check.status_code == 200
    _assert_html_shows(check.text, [text["REF"], text["ADDR"]], "check page")
    assert applicant.post(f"/statements/{sid}/submit", data={"declaration": "y"}).status_code == 302

    # --- officer: ask for changes; the applicant sees the message and submits again ----------
    _act(officer, sid, "request_changes", message=text["MESSAGE"])
    overview = applicant.get(f"/statements/{sid}")
    assert overview.status_code == 200
    _assert_html_shows(overview.text, [text["REF"], text["MESSAGE"]], "applicant overview")
    assert applicant.post(f"/statements/{sid}/submit", data={"declaration": "y"}).status_code == 302

    # --- officer review: a verdict comment, recommend with a note; senior signs off ----------
    review = officer.get(f"/officer/statements/{sid}")
    assert review.status_code == 200
    rule = re.search(r'name="decision-([^"]+)"', review.text)
    assert rule is not None
    saved = officer.post(
        f"/officer/statements/{sid}/verdicts",
        data={
            "version": "2",
            "review_version": _review_version(officer, sid),
            f"decision-{rule.group(1)}": "agree",
            f"comment-{rule.group(1)}": text["COMMENT"],
        },
    )
    assert saved.status_code == 302, saved.text[:3000]
    _acknowledge_unverified(officer, sid)
    _act(officer, sid, "recommend", note=text["NOTE"], accept_engine="yes")
    _act(senior, sid, "sign_off", note=text["SIGNOFF"])

    review = officer.get(f"/officer/statements/{sid}")
    assert review.status_code == 200
    _assert_html_shows(
        review.text,
        [text[t] for t in ("REF", "ADDR", "DESC", "APPLICANT", "OFFICER", "MESSAGE", "COMMENT")]
        + [text["VSNAME"]],
        "officer review",
    )
    data = _assert_map_drawn(review.text, "officer review")
    (site,) = [layer for layer in data["points"] if layer["name"] == "Site"]
    assert site["points"][0]["popup"]["rows"] == [["Address", text["ADDR"]]]

    audit = officer.get(f"/officer/statements/{sid}/audit")
    assert audit.status_code == 200
    _assert_html_shows(
        audit.text,
        [text[t] for t in ("REF", "APPLICANT", "OFFICER", "MESSAGE", "COMMENT", "NOTE")]
        + [text[t] for t in ("SIGNOFF", "VSNAME")],
        "audit",
    )
    queue = officer.get("/officer/")
    assert queue.status_code == 200
    _assert_html_shows(queue.text, [text["REF"], text["APPLICANT"]], "officer queue")

    hot = officer.get(f"/officer/statements/{sid}/heads-of-terms")
    assert hot.status_code == 200
    _assert_html_shows(
        hot.text, [text[t] for t in ("REF", "ADDR", "DESC", "COMMENT", "VSNAME")], "heads of terms"
    )
    document = officer.get(f"/officer/statements/{sid}/heads-of-terms.docx")
    assert document.status_code == 200
    words = _docx_text(document.data)
    for tag in ("REF", "ADDR", "DESC", "COMMENT", "VSNAME"):
        assert text[tag] in words, f"docx: {tag}"  # the very text typed, not escaped or run
    assert "X49X" not in words

    # --- approved: the public pages, map and downloads ---------------------------------------
    _act(officer, sid, "approve")

    borough = applicant.get("/councils/islington/wards")
    assert borough.status_code == 200
    _assert_html_shows(borough.text, [], "borough map")
    borough_data = _assert_map_drawn(borough.text, "borough map")
    assert len(borough_data["wards"]["features"]) == 17

    ward = applicant.get(f"/councils/islington/wards/{HOLLOWAY}")
    assert ward.status_code == 200
    _assert_html_shows(ward.text, [text["REF"], text["ADDR"], text["DESC"]], "ward page")
    ward_data = _assert_map_drawn(ward.text, "ward page")
    on_map = _strings(ward_data["points"])
    assert f"Site: {text['REF']}" in on_map and text["ADDR"] in on_map
    assert text["DESC"] in on_map

    lines = applicant.get(f"/councils/islington/wards/{HOLLOWAY}.csv")
    assert lines.status_code == 200
    records = list(csv.DictReader(io.StringIO(lines.text)))
    assert {r["application_reference"] for r in records} == {text["REF"]}
    assert text["DESC"] in {r["description"] for r in records}
    assert "X49X" not in lines.text

    geojson = applicant.get(f"/councils/islington/wards/{HOLLOWAY}.geojson")
    assert geojson.status_code == 200
    strings = _strings(geojson.get_json())
    assert text["REF"] in strings and text["DESC"] in strings
    assert "X49X" not in geojson.text
    for fmt in ("csv", "geojson"):
        whole = applicant.get(f"/councils/islington/wards.{fmt}")
        assert whole.status_code == 200 and "X49X" not in whole.text

    version = applicant.get(f"/statements/{sid}/versions/2")
    assert version.status_code == 200
    _assert_html_shows(version.text, [text["REF"], text["ADDR"], text["DESC"]], "version page")


FORMULAS = {"c2": "+1+1", "c3": "-1+1", "c4": "@SUM(A1:A9)", "c5": "=2*3"}
FORMULA_REFERENCE = '=HYPERLINK("http://evil.example","click")'


def test_csv_downloads_neutralise_spreadsheet_formulas(
    app: Flask,
    make_user: Any,
    make_statement: Any,
    islington_example: dict[str, Any],
) -> None:
    """User text starting with = + - @ would run as a formula in a spreadsheet; the CSV
    keeps it as text (a leading apostrophe), the GeoJSON keeps it exactly as typed."""
    officer, senior = make_user("officer", "islington"), make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    data = copy.deepcopy(islington_example)
    data["application_reference"] = FORMULA_REFERENCE
    for commitment in data["commitments"]:
        commitment["description"] = FORMULAS.get(commitment["id"], "plain")
    make_statement(
        make_user(), "islington", data, ("submit", *staff), staff
    )  # submit, then the staff actions in order
    client = app.test_client()

    lines = client.get(f"/councils/islington/wards/{HOLLOWAY}.csv")
    assert lines.status_code == 200
    records = list(csv.DictReader(io.StringIO(lines.text)))
    # Holloway's lines: c2 (its ward), c3 and c4 (borough-wide shares), c5 (a point in it).
    assert sorted(r["commitment_id"] for r in records) == ["c2", "c3", "c4", "c5"]
    for record in records:
        assert record["description"] == "'" + FORMULAS[record["commitment_id"]]
        assert record["application_reference"] == "'" + FORMULA_REFERENCE

    features = client.get(f"/councils/islington/wards/{HOLLOWAY}.geojson").get_json()["features"]
    described = {
        f["properties"]["commitment_id"]: f["properties"]["description"]
        for f in features
        if f["properties"].get("kind") == "commitment"
    }
    assert described == FORMULAS  # data, not a spreadsheet: exactly as typed


def test_docx_survives_control_characters_in_user_text(
    app: Flask,
    make_user: Any,
    make_statement: Any,
    islington_example: dict[str, Any],
) -> None:
    """XML cannot hold most control characters; python-docx refused the whole document (a
    500) when an address carried one. Each is shown as U+FFFD, the rest of the text kept."""
    data = copy.deepcopy(islington_example)
    data["application_reference"] = "REF\x0bONE"
    data["site"]["address"] = "1 Holloway\x01Road"
    statement = make_statement(make_user(), "islington", data, ("submit",))
    officer = make_user("officer", "islington")
    client = app.test_client()
    assert (
        client.post("/sign-in", data={"email": officer.email, "password": "correct-horse-battery"})
    ).status_code == 302
    response = client.get(f"/officer/statements/{statement.id}/heads-of-terms.docx")
    assert response.status_code == 200
    words = _docx_text(response.data)
    assert "Heads of terms: REF\ufffdONE" in words
    assert "Site: 1 Holloway\ufffdRoad" in words


def test_docx_filename_keeps_to_ascii_whatever_the_reference(
    app: Flask,
    make_user: Any,
    make_statement: Any,
    islington_example: dict[str, Any],
) -> None:
    """The reference names the download; a header cannot carry 漢 or a quote, so the filename
    keeps ASCII letters, digits, dots and dashes and replaces every other run with one dash."""
    data = copy.deepcopy(islington_example)
    data["application_reference"] = 'P/2026/漢字"; x=.docx'
    statement = make_statement(make_user(), "islington", data, ("submit",))
    officer = make_user("officer", "islington")
    client = app.test_client()
    assert (
        client.post("/sign-in", data={"email": officer.email, "password": "correct-horse-battery"})
    ).status_code == 302
    response = client.get(f"/officer/statements/{statement.id}/heads-of-terms.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="heads-of-terms-P-2026-x-.docx-v1.docx"'
    )
