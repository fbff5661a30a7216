"""What applicants read (issue 12): GOV.UK wording, numbers as people type them, the
declaration and confirmation, Change links, the self-check in plain English, the version
diff in sentences, unit choices per measure, and no programmer's text on any page."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.core.errors import Problem
from planning_sv.core.figures import parse_number
from planning_sv.core.measures import load_measures
from planning_sv.core.rules.expressions import compile_expression
from planning_sv.store.models import Statement
from planning_sv.web.messages import (
    Context,
    change_sentences,
    commitment_words,
    explain_rule,
    problem_text,
    scrub,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = {
    "islington": FIXTURES / "islington_mixed_use.json",
    "salford": FIXTURES / "salford_residential.json",
}
MEASURES = load_measures()
CTX = Context(MEASURES, {"E09000019": "London Borough of Islington", "E08000006": "Salford"})
DECLARED = {"declaration": "y"}

# What must never reach an applicant: JSON paths, rule expressions and names, data file
# names, pydantic's and WTForms' own wording, research caveats, councils named by GSS code.
FORBIDDEN = [
    (re.compile(r"\$\.|\$\["), "a JSON path"),
    (
        re.compile(r">=|<=|\bparam\.|\bnet_floorspace\b|floorspace\.\w|build_cost_millions"),
        "a rule expression",
    ),
    (re.compile(r"\bif quantity\b|`"), "a rule expression"),
    (re.compile(r"\b[\w.+-]+\.(?:csv|geojson|ya?ml|gpkg|parquet)\b", re.I), "a data file name"),
    (re.compile(r"codepoint|boundary vintage", re.I), "a data file name"),
    (
        re.compile(r"Input should|Extra inputs|Field required|Value error|Not a valid"),
        "library wording",
    ),
    (re.compile(r"unverified", re.I), "the word unverified"),
    (re.compile(r"\bE0[6-9]\d{6}\b"), "a council named by its GSS code"),
]


def visible_text(page: str) -> str:
    """What a reader sees: the page without scripts, styles and tags, unescaped."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def assert_plain(page: str, where: str) -> None:
    text = visible_text(page)
    for pattern, what in FORBIDDEN:
        found = pattern.search(text)
        assert found is None, (
            f"{where} shows {what}: …{text[max(found.start() - 80, 0) : found.end() + 80]}…"
        )
    assert "unverified" not in page.lower(), f"{where} carries the word unverified in its HTML"


def _start(client: FlaskClient, council: str) -> int:
    response = client.post("/statements/new", data={"council": council})
    assert response.status_code == 302
    return int(response.location.split("/")[2])


def _upload(client: FlaskClient, url: str, content: str | bytes, name: str):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _example(council: str) -> dict[str, Any]:
    return json.loads(EXAMPLES[council].read_text())


def _draft(app: Flask, sid: int) -> dict[str, Any]:
    with app.extensions["planning_sv.db"].session() as s:
        return s.get(Statement, sid).draft  # type: ignore[union-attr]


@pytest.fixture
def applicant(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as("applicant")


# --- every applicant page, hostile inputs included, on both example statements -------------

OTHER_COUNCIL_POSTCODE = {"islington": "M5 3AW", "salford": "N19 3AA"}  # each in the other
OTHER_COUNCIL_WARD = {"islington": "E05013028", "salford": "E05013706"}


@pytest.mark.parametrize("council", ["islington", "salford"])
def test_no_applicant_page_shows_programmers_text(applicant: FlaskClient, council: str) -> None:
    example = _example(council)
    sid = _start(applicant, council)
    assert (
        _upload(applicant, f"/statements/{sid}/upload", json.dumps(example), "s.json").status_code
        == 302
    )
    base = f"/statements/{sid}"
    pages: list[tuple[str, Any]] = []

    def visit(label: str, response: Any, status: int | tuple[int, ...]) -> None:
        allowed = status if isinstance(status, tuple) else (status,)
        assert response.status_code in allowed, (label, response.status_code)
        pages.append((label, response))

    for path in (
        "",
        "/development",
        "/site",
        "/commitments",
        "/commitments/new",
        "/commitments/c1/edit",
        "/commitments/upload",
        "/upload",
        "/check",
    ):
        visit(f"GET {path or '/'}", applicant.get(base + path), 200)
    visit("GET list", applicant.get("/statements"), 200)

    # Development: text, negatives, decimals for whole numbers, absurd sizes.
    visit(
        "development",
        applicant.post(
            f"{base}/development",
            data={
                "dwellings": "1.5",
                "build_cost_gbp": "lots",
                "construction_months": "7000",
                "floorspace_office": "-5",
                "floorspace_retail": "1e999",
                "floorspace_hotel": "٣",
            },
        ),
        400,
    )
    # Site: an unknown postcode, one in the other council, swapped and foreign points.
    site = {"designation": "none"} if council == "islington" else {}
    for data in (
        {"method": "postcode", "postcode": "ZZ99 9ZZ"},
        {"method": "postcode", "postcode": "N1 9ZZ"},
        {"method": "postcode", "postcode": OTHER_COUNCIL_POSTCODE[council]},
        {"method": "point", "longitude": "51.55", "latitude": "-0.11"},
        {"method": "point", "longitude": "2.35", "latitude": "48.85"},
        {"method": "nowhere"},
    ):
        visit(f"site {data}", applicant.post(f"{base}/site", data={**site, **data}), 400)
    visit(
        "site geojson",
        applicant.post(
            f"{base}/site",
            data={
                **site,
                "method": "geojson",
                "geojson": (
                    io.BytesIO(b'{"type": "Polygon", "coordinates": [[[0, 0]]]}'),
                    "x.geojson",
                ),
            },
            content_type="multipart/form-data",
        ),
        400,
    )
    # Commitments: unknown measure, wrong unit, over the ceiling, places that do not exist.
    for data in (
        {"measure": "magic", "quantity": "1", "unit": "starts", "where": "borough"},
        {"measure": "apprenticeship", "quantity": "2", "unit": "gbp", "where": "borough"},
        {"measure": "apprenticeship", "quantity": "1e30", "unit": "starts", "where": "borough"},
        {"measure": "apprenticeship", "quantity": "200,000", "unit": "starts", "where": "borough"},
        {"measure": "apprenticeship", "quantity": "-2", "unit": "starts", "where": "borough"},
        {
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "ward",
            "where_ward": OTHER_COUNCIL_WARD[council],
        },
        {
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "ward",
            "where_ward": "E05999999",
        },
        {
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "postcode",
            "where_postcode": "N1 9ZZ",
        },
        {
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "point",
            "where_longitude": "500",
            "where_latitude": "x",
        },
        {
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "mars",
            "phase": "later",
        },
    ):
        visit(f"commitment {data}", applicant.post(f"{base}/commitments/new", data=data), 400)
    # A CSV with a fault of every kind, and JSON statements with structural faults.
    csv_text = (
        "id,measure,quantity,unit,postcode,ward,on_site,colour\n"
        "c1,apprenticeship,-1,starts,,,,\n"
        "x,magic,lots,starts,N1 9ZZ,,maybe,\n"
        "x,apprenticeship,2,parsecs,,E05999999,,\n"
    )
    visit("csv", _upload(applicant, f"{base}/commitments/upload", csv_text, "c.csv"), 400)
    visit(
        "csv header",
        _upload(applicant, f"{base}/commitments/upload", "what,ever\n1,2\n", "c.csv"),
        400,
    )
    broken = json.loads(json.dumps(example))
    broken["development"]["dwellings"] = -1
    broken["development"]["colour"] = "red"
    broken["commitments"][0]["quantity"] = "lots"
    broken["commitments"][1]["where"] = {"ward": "E05999999", "borough": True}
    broken["commitments"][2]["where"] = {"postcode": "N1 9ZZ"}
    broken["site"] = {"point": [51.5, -0.1]}
    visit("json", _upload(applicant, f"{base}/upload", json.dumps(broken), "s.json"), 400)
    visit("json syntax", _upload(applicant, f"{base}/upload", "{oops", "s.json"), 400)
    missing = {k: v for k, v in example.items() if k not in ("site", "development")}
    visit("json missing", _upload(applicant, f"{base}/upload", json.dumps(missing), "s.json"), 400)
    # An incomplete draft's check page lists what is missing, worded for people.
    other = _start(applicant, council)
    visit("check incomplete", applicant.get(f"/statements/{other}/check"), 200)
    visit("submit undeclared", applicant.post(f"{base}/submit"), 400)

    # Submit, change a commitment and resubmit: confirmation, versions and the diff.
    submitted = applicant.post(f"{base}/submit", data=DECLARED)
    assert submitted.status_code == 302
    visit("confirmation", applicant.get(submitted.location), 200)
    visit("version 1", applicant.get(f"{base}/versions/1"), 200)
    visit("overview after", applicant.get(base), 200)
    visit("check after", applicant.get(f"{base}/check"), 200)

    assert len(pages) > 30
    for label, response in pages:
        assert_plain(response.text, f"{council}: {label}")
    # Every refused form says what to do, at the field, in the error summary.
    for label, response in pages:
        if response.status_code == 400 and "undeclared" not in label:
            assert "govuk-error-summary" in response.text, label


# --- numbers as people type them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("45,000,000", 45e6),
        ("£45,000,000", 45e6),
        ("45 000 000", 45e6),
        ("1,200", 1200.0),
        (" £ 1,200.50 ", 1200.5),
        ("-£5", -5.0),
        ("8000", 8000.0),
    ],
)
def test_parse_number_reads_commas_spaces_and_pounds(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1_000", "٣", "12abc", "nan", "1e999", "1,0x", "", "9" * 101])
def test_parse_number_refuses_what_is_not_a_figure(text: str) -> None:
    assert parse_number(text) is None


def test_every_numeric_field_takes_commas_spaces_and_pounds(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant, "islington")
    saved = applicant.post(
        f"/statements/{sid}/development",
        data={
            "dwellings": "1,200",
            "build_cost_gbp": "£45,000,000",
            "construction_months": " 30 ",
            "floorspace_office": "8,000",
            "floorspace_retail": "1 200",
            "floorspace_residential": "£9,500",
        },
    )
    assert saved.status_code == 302
    development = _draft(app, sid)["development"]
    assert development["dwellings"] == 1200
    assert development["build_cost_gbp"] == 45_000_000
    assert development["construction_months"] == 30
    assert development["floorspace_sqm"] == {"office": 8000, "retail": 1200, "residential": 9500}
    # The form shows them back grouped, never as 45000000.00.
    form = applicant.get(f"/statements/{sid}/development").text
    assert 'value="45,000,000"' in form and 'value="8,000"' in form
    site = applicant.post(
        f"/statements/{sid}/site",
        data={
            "method": "point",
            "longitude": " -0.1170 ",
            "latitude": "51.5530",
            "designation": "caz",
        },
    )
    assert site.status_code == 302
    assert _draft(app, sid)["site"]["point"] == [-0.117, 51.553]
    for quantity, stored in (("1,200", 1200), ("£2,000,000", 2_000_000), ("2 500", 2500)):
        added = applicant.post(
            f"/statements/{sid}/commitments/new",
            data={
                "measure": "local_supply_chain_spend",
                "quantity": quantity,
                "unit": "gbp",
                "where": "borough",
            },
        )
        assert added.status_code == 302, quantity
        assert _draft(app, sid)["commitments"][-1]["quantity"] == stored


def test_number_errors_name_the_field_and_link_to_it(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant, "islington")
    refused = applicant.post(
        f"/statements/{sid}/development",
        data={
            "dwellings": "1.5",
            "build_cost_gbp": "lots",
            "construction_months": "two",
            "floorspace_office": "-5",
        },
    )
    assert refused.status_code == 400
    page = html.unescape(refused.text)
    for field, message in (
        ("dwellings", "Number of homes must be a whole number, like 120"),
        ("build_cost_gbp", "Build cost must be a number, like 45,000,000"),
        ("construction_months", "Construction period must be a whole number, like 30"),
        ("floorspace_office", "Office floorspace must be 0 or more"),
    ):
        assert f'<a href="#{field}">{message}</a>' in page, message
    assert "development" not in _draft(app, sid)  # nothing saved
    quantity = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "some",
            "unit": "starts",
            "where": "borough",
        },
    )
    assert '<a href="#quantity">Quantity must be a number, like 1,200</a>' in html.unescape(
        quantity.text
    )


# --- problems worded for people: the translation table --------------------------------------


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (
            Problem(
                "$.commitments[2].where.ward",
                "ward E05013028 is in Salford, not Islington; give one of Islington's wards (2025 boundaries)",
            ),
            "Commitment c3: ward code E05013028 is a ward in Salford, not Islington: enter the code of one of Islington's wards",
        ),
        (
            Problem(
                "$.commitments[0].where.postcode",
                "unknown postcode 'N19ZZ' (not in codepoint_open_2025-10_islington_salford_plus_1km.csv)",
            ),
            "Commitment c1: postcode N1 9ZZ was not found: check it and enter a full postcode, like N19 5RQ",
        ),
        (
            Problem("$.development.dwellings", "Input should be greater than or equal to 0"),
            "Number of homes must be 0 or more",
        ),
        (
            Problem("$.development.colour", "Extra inputs are not permitted"),
            "‘colour’ is not part of a statement: remove it",
        ),
        (
            Problem(
                "$.commitments[1].unit",
                "unit 'gbp' is not accepted for measure 'apprenticeship' (accepted: starts, weeks)",
            ),
            "Commitment c2: unit must be one that fits apprenticeships: apprenticeship starts (starts) or apprenticeship weeks (weeks)",
        ),
        (
            Problem(
                "$.commitments[1].quantity",
                "must be at most 100,000 apprenticeship starts; check the figure",
            ),
            "Commitment c2: quantity must be 100,000 apprenticeship starts or fewer: check the figure",
        ),
        (
            Problem(
                "$.development.build_cost_gbp",
                "must be at most 1,000,000,000,000,000; check the figure",
            ),
            "Build cost must be 1,000,000,000,000,000 or less: check the figure",
        ),
        (
            Problem("$.validation_date", "must be today or in the past"),
            "Validation date must be today or in the past",
        ),
        (
            Problem("$.site.postcode", "This postcode is in E08000006, not E09000019"),
            "Site postcode is in Salford, not London Borough of Islington",
        ),
        (
            Problem("$.development.construction_months", "needed by rule ISL-X"),
            "Enter the construction period: the council's rules need it",
        ),
        (
            Problem("row 4, column quantity", "must be a number, not text ('lots')"),
            "Row 4: quantity must be a number, like 1,200",
        ),
        (
            Problem("$", "not valid JSON: Expecting value at line 3 column 7"),
            "The file is not valid JSON: check line 3, column 7",
        ),
        (Problem("$.site", "Field required"), "Enter where the site is"),
    ],
)
def test_problems_are_worded_for_applicants(problem: Problem, expected: str) -> None:
    commitments = [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}]
    assert problem_text(problem, CTX, commitments=commitments) == expected


def test_scrub_is_the_last_guard() -> None:
    text = "at $.commitments[2].where (not in codepoint_open_x.csv): `1 if quantity > 0 else 0` unverified, E09000019"
    assert scrub(text, CTX) == "at: , London Borough of Islington" or "$." not in scrub(text, CTX)
    cleaned = scrub(text, CTX)
    for bad in ("$.", "codepoint", ".csv", "`", "if quantity", "unverified", "E09000019"):
        assert bad not in cleaned


# --- declaration, confirmation, Change links --------------------------------------------------


def test_declaration_then_confirmation_with_what_happens_next(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant, "islington")
    assert (
        _upload(
            applicant, f"/statements/{sid}/upload", EXAMPLES["islington"].read_text(), "s.json"
        ).status_code
        == 302
    )
    check = html.unescape(applicant.get(f"/statements/{sid}/check").text)
    assert "I confirm that the information in this statement is correct" in check
    assert 'name="declaration"' in check and "Accept and submit statement" in check
    refused = applicant.post(f"/statements/{sid}/submit")
    assert refused.status_code == 400
    assert (
        '<a href="#declaration">Confirm that the information in this statement is correct, '
        "to submit it</a>"
    ) in html.unescape(refused.text)
    with app.extensions["planning_sv.db"].session() as s:
        assert s.get(Statement, sid).versions == []  # type: ignore[union-attr]
    done = applicant.post(f"/statements/{sid}/submit", data=DECLARED)
    assert done.status_code == 302 and done.location.endswith(
        f"/statements/{sid}/versions/1/submitted"
    )
    page = visible_text(applicant.get(done.location).text)
    assert "Statement submitted" in page
    assert "Your reference EXAMPLE/2026/0001/FUL, version 1" in page
    assert (
        "We have sent version 1 of your social value statement to London Borough of Islington"
        in page
    )
    assert "What happens next" in page and "they will ask for changes" in page
    assert applicant.get(f"/statements/{sid}/versions/2/submitted").status_code == 404


def test_check_your_answers_rows_and_change_links(applicant: FlaskClient) -> None:
    sid = _start(applicant, "islington")
    _upload(applicant, f"/statements/{sid}/upload", EXAMPLES["islington"].read_text(), "s.json")
    page = applicant.get(f"/statements/{sid}/check").text
    text = visible_text(page)
    assert "Construction period 30 months" in text
    assert "Build cost £45,000,000" in text
    assert "Floorspace Office: 8,000 m² Retail: 400 m² Residential: 9,500 m²" in text
    assert (
        "Commitment c1 25 FTE-years of local employment in the construction phase, at N19 3AA"
        in text
    )
    assert "Commitment c4 £2,000,000 of local supply chain spend, anywhere in the borough" in text
    for cid in ("c1", "c2", "c3", "c4", "c5", "c6"):
        link = (
            f'<a class="govuk-link" href="/statements/{sid}/commitments/{cid}/edit">Change'
            f'<span class="govuk-visually-hidden"> commitment {cid}</span></a>'
        )
        assert link in page, cid
    assert (
        f'href="/statements/{sid}/development">Change<span class="govuk-visually-hidden"> construction period'
        in page
    )


def test_postcodes_are_stored_and_shown_as_written_on_letters(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant, "islington")
    applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "starts",
            "where": "postcode",
            "where_postcode": "n193aa",
        },
    )
    assert _draft(app, sid)["commitments"][0]["where"] == {"postcode": "N19 3AA"}
    assert "At N19 3AA" in visible_text(applicant.get(f"/statements/{sid}/commitments").text)


# --- the self-check in plain English ----------------------------------------------------------


def _rule(**values: Any) -> SimpleNamespace:
    base = {
        "status": "pass",
        "required": None,
        "proposed": 0.0,
        "shortfall": None,
        "unit": "sqm",
        "inputs": {},
        "parameters": [],
        "counted": [],
        "excluded": [],
        "evidence": None,
    }
    return SimpleNamespace(**{**base, **values})


def _param(name: str, value: float, unit: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, value=value, unit=unit)


def test_self_check_sentence_for_a_share_of_floorspace() -> None:
    # 10% of 8,000 m² = 800 m²; 500 m² offered, so 300 m² short.
    rule = _rule(
        status="fail",
        required=800.0,
        proposed=500.0,
        shortfall=300.0,
        inputs={"floorspace.office": 8000.0, "net_floorspace.office": 8000.0},
        parameters=[
            _param("share", 0.1, "fraction of proposed office floorspace"),
            _param("threshold", 1000, "sqm"),
        ],
        counted=[SimpleNamespace(id="c5", quantity=500.0, unit="sqm", counted=500.0)],
    )
    pack_rule = SimpleNamespace(
        applies_when=compile_expression("net_floorspace.office >= param.threshold"),
        requires=compile_expression("floorspace.office * param.share"),
    )
    text = explain_rule(rule, pack_rule)
    assert (
        text.applies
        == "It applies because the net additional office floorspace is 8,000 m², at least 1,000 m²."
    )
    assert text.required == "10% of the 8,000 m² of office floorspace = 800 m²."
    assert text.proposed == "Your commitments add up to 500 m²: commitment c5 gives 500 m²."
    assert text.result == "Your statement does not meet this rule yet. It is 300 m² short."


def test_self_check_sentence_per_million_of_build_cost() -> None:
    # floor(45.6) = 45 complete millions × 1 placement = 45 placements.
    rule = _rule(
        status="fail",
        required=45.0,
        proposed=20.0,
        shortfall=25.0,
        unit="placements",
        inputs={"build_cost_millions": 45.6, "dwellings": 120},
        parameters=[
            _param("per_million", 1, "placements per £1m build cost"),
            _param("homes", 10, "dwellings"),
        ],
        counted=[SimpleNamespace(id="c3", quantity=40.0, unit="weeks", counted=20.0)],
        excluded=[SimpleNamespace(id="c9", reason="not local: outside the borough")],
    )
    pack_rule = SimpleNamespace(
        applies_when=compile_expression("dwellings >= param.homes"),
        requires=compile_expression("floor(build_cost_millions) * param.per_million"),
    )
    text = explain_rule(rule, pack_rule)
    assert text.applies == "It applies because the development has 120 homes, at least 10 homes."
    assert text.required == (
        "1 placement for each complete £1 million of the £45,600,000 build cost = 45 placements."
    )
    assert text.proposed == (
        "Your commitments add up to 20 placements: commitment c3 counts as 20 placements. "
        "Not counted: c9, because it is not delivered in the council's local area."
    )


def test_self_check_without_the_pack_rule_still_reads_plainly() -> None:
    rule = _rule(
        status="not_applicable",
        inputs={"dwellings": 5},
        parameters=[_param("homes", 10, "dwellings")],
    )
    text = explain_rule(rule, None)
    assert (
        text.applies == "It does not apply to your development, going by its facts: homes 5 homes."
    )
    assert text.required is None and text.result == "This rule does not apply to your development."


@pytest.mark.parametrize("council", ["islington", "salford"])
def test_self_check_on_the_pages_shows_sentences_and_policy_links(
    applicant: FlaskClient, council: str
) -> None:
    sid = _start(applicant, council)
    _upload(applicant, f"/statements/{sid}/upload", EXAMPLES[council].read_text(), "s.json")
    page = applicant.get(f"/statements/{sid}/check").text
    text = visible_text(page)
    assert "How this was worked out" in text and "Policy:" in text
    assert re.search(r'Policy: <a class="govuk-link" href="https://[^"]+"', page)
    if council == "islington":
        # The example: 8,000 m² of offices (10% = 800 m²) and a £45,000,000 build cost
        # (45 complete millions × 1 placement).
        assert "10% of the 8,000 m² of office floorspace = 800 m²." in text
        assert (
            "1 placement for each complete £1 million of the £45,000,000 build cost = 45 placements."
            in text
        )
    else:
        assert "It applies because this is a major development." in text


# --- the version diff in sentences ----------------------------------------------------------


def test_diff_sentences() -> None:
    old = {
        "council": "islington",
        "development": {
            "dwellings": 120,
            "build_cost_gbp": 45_000_000,
            "floorspace_sqm": {"office": 8000},
        },
        "site": {"postcode": "N19 3AA"},
        "commitments": [
            {
                "id": "c1",
                "measure": "apprenticeship",
                "quantity": 8,
                "unit": "starts",
                "where": {"borough": True},
            },
            {
                "id": "c3",
                "measure": "work_placement",
                "quantity": 20,
                "unit": "placements",
                "where": {"borough": True},
            },
        ],
    }
    new = json.loads(json.dumps(old))
    new["development"]["build_cost_gbp"] = 50_000_000
    new["development"]["construction_months"] = 30
    new["development"]["floorspace_sqm"]["office"] = 9000
    new["site"] = {"postcode": "n195rq"}
    new["commitments"] = [
        {
            "id": "c1",
            "measure": "apprenticeship",
            "quantity": 1,
            "unit": "starts",
            "where": {"borough": True},
        },
        {
            "id": "c7",
            "measure": "local_employment",
            "quantity": 40,
            "unit": "fte_years",
            "phase": "end_use",
            "where": {"borough": True},
        },
    ]
    assert change_sentences(old, new, MEASURES) == [
        "Changed: build cost from £45,000,000 to £50,000,000",
        "Added: construction period of 30 months",
        "Changed: office floorspace from 8,000 m² to 9,000 m²",
        "Changed: site location from postcode N19 3AA to postcode N19 5RQ",
        "Changed: commitment c1 from 8 apprenticeship starts, anywhere in the borough, to "
        "1 apprenticeship start, anywhere in the borough",
        "Added: 40 FTE-years of local employment in the end-use phase, anywhere in the borough",
        "Removed: 20 placements of at least 2 weeks, anywhere in the borough",
    ]


def test_commitment_words() -> None:
    item = {
        "measure": "affordable_workspace",
        "quantity": 800,
        "unit": "sqm",
        "where": {"ward": "E05013706"},
    }
    assert commitment_words(item, MEASURES, {"E05013706": "Holloway"}) == (
        "800 m² (GIA) of affordable workspace, in Holloway ward (E05013706)"
    )
    assert commitment_words({**item, "where": {"site": True}}, MEASURES).endswith(", on the site")


# --- unit choices per measure ------------------------------------------------------------------


def _options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', page, flags=re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_unit_choices_fit_the_measure(applicant: FlaskClient, app: Flask) -> None:
    sid = _start(applicant, "islington")
    blank = applicant.get(f"/statements/{sid}/commitments/new").text
    # Before a measure is chosen every unit is offered, and the script has each measure's own.
    assert {"starts", "gbp", "sqm"} <= set(_options(blank, "unit"))
    island = re.search(
        r'<script type="application/json" id="units-by-measure"[^>]*>(.*?)</script>', blank, re.S
    )
    assert island is not None
    units = json.loads(island.group(1))
    assert units["apprenticeship"] == [
        ["starts", "apprenticeship starts"],
        ["weeks", "apprenticeship weeks"],
    ]
    assert units["local_supply_chain_spend"] == [["gbp", "£ spent"]]
    assert "js/unit-filter.js" in blank
    # The server refuses a unit that does not fit, names the ones that do, and offers only them.
    refused = applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "gbp",
            "where": "borough",
        },
    )
    assert refused.status_code == 400
    assert _options(refused.text, "unit") == ["", "starts", "weeks"]
    assert (
        '<a href="#unit">Unit must be one that fits apprenticeships: apprenticeship starts '
        "or apprenticeship weeks</a>"
    ) in html.unescape(refused.text)
    assert _draft(app, sid).get("commitments", []) == []  # nothing saved
    applicant.post(
        f"/statements/{sid}/commitments/new",
        data={
            "measure": "apprenticeship",
            "quantity": "2",
            "unit": "weeks",
            "where": "borough",
        },
    )
    edit = applicant.get(f"/statements/{sid}/commitments/c1/edit").text
    assert _options(edit, "unit") == ["", "starts", "weeks"]
