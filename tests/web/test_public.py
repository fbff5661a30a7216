"""Public ward pages: figures from approved statements only, the same in map, table and
downloads; filters; 404/400 paths; no applicant personal data."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.core.geo.service import GeoService
from planning_sv.store.models import Statement, User
from planning_sv.store.public_queries import FIGURES
from planning_sv.web import maps

HOSTILE = "<script>alert('pwned')</script>"
LAD = {"islington": "E09000019", "salford": "E08000006"}
LANE_PASSWORD = "a-long-password-1"
APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")


def _ward_codes(council: str) -> list[str]:
    return sorted(GeoService.from_data_dir().ward_names("2025", LAD[council]))


def _map_features(html: str) -> dict[str, dict[str, Any]]:
    """Ward code -> properties of the GeoJSON in the page's map data island."""
    return {f["id"]: f["properties"] for f in maps.map_data(html)["wards"]["features"]}


def _table_values(html: str, figure: str) -> dict[str, float]:
    cells = re.findall(rf'data-ward="(E05\d+)" data-figure="{figure}" data-value="([^"]*)"', html)
    return {code: float(value) if value else 0.0 for code, value in cells}


@pytest.fixture
def public_data(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    islington_example: dict[str, Any],
    salford_example: dict[str, Any],
) -> dict[str, Any]:
    """Demo-like data: both councils' examples approved, plus statements not yet approved."""
    owner = make_user("applicant", email="private.applicant@secret.example")
    staff = {}
    for council in ("islington", "salford"):
        officer = make_user("officer", council)
        senior = make_user("senior_officer", council)
        staff[council] = {
            "start_review": officer,
            "recommend": officer,
            "sign_off": senior,
            "approve": officer,
        }
    isl = copy.deepcopy(islington_example)
    isl["site"]["address"] = f"1 Holloway Road {HOSTILE}"
    for item in isl["commitments"]:
        if item["id"] == "c5":
            item["description"] = f"Workspace {HOSTILE}"
    approved_isl = make_statement(owner, "islington", isl, APPROVE, staff["islington"])
    approved_sal = make_statement(owner, "salford", salford_example, APPROVE, staff["salford"])
    # Not public: a submitted (not approved) statement with a huge commitment.
    pending = copy.deepcopy(islington_example)
    pending["application_reference"] = "PENDING/1"
    pending["commitments"][1]["quantity"] = 9999
    make_statement(owner, "islington", pending, ("submit",), staff["islington"])
    with app.extensions["planning_sv.db"].session() as session:
        assessments = {
            council: session.get(Statement, statement.id).latest_version.assessment.data
            for council, statement in (("islington", approved_isl), ("salford", approved_sal))
        }
    return {"owner": owner, "assessments": assessments}


@pytest.mark.parametrize("council", ["islington", "salford"])
def test_borough_and_every_ward_page_render_with_map_table_and_attribution(
    client: FlaskClient, public_data: dict[str, Any], council: str
) -> None:
    codes = _ward_codes(council)
    borough = client.get(f"/councils/{council}/wards")
    assert borough.status_code == 200
    page = borough.text
    assert "folium-map" in page and "Contains National Statistics and OS data" in page
    assert set(_map_features(page)) == set(codes)
    assert set(_table_values(page, "gbp")) == set(codes)
    for code in codes:
        response = client.get(f"/councils/{council}/wards/{code}")
        assert response.status_code == 200, code
        html = response.text
        assert "folium-map" in html and 'id="ward-totals"' in html
        assert "Contains National Statistics and OS data" in html
        assert code in html
        # No remote scripts or stylesheets on any page.
        urls = re.findall(r"<(?:script|link)[^>]*\s(?:src|href)=\"([^\"]+)\"", html)
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]


@pytest.mark.parametrize("figure", list(FIGURES))
def test_table_figures_equal_map_figures(
    client: FlaskClient, public_data: dict[str, Any], figure: str
) -> None:
    html = client.get(f"/councils/islington/wards?figure={figure}").text
    table = _table_values(html, figure)
    on_map = {code: props["value"] or 0.0 for code, props in _map_features(html).items()}
    assert table.keys() == on_map.keys()
    assert len(table) == 17  # Islington's 2025 wards, never an empty comparison
    # The approved Islington example offers every figure somewhere in the borough.
    assert any(table.values()), figure
    for code in table:
        assert table[code] == pytest.approx(on_map[code]), code


def test_figures_match_the_stored_assessments_of_approved_statements_only(
    client: FlaskClient, public_data: dict[str, Any]
) -> None:
    html = client.get("/councils/islington/wards").text
    table = _table_values(html, "gbp")
    social = public_data["assessments"]["islington"]["social_value"]
    expected = {w["code"]: w["gbp"] for w in social["by_ward"]}
    # By hand (see test_valuation_engine): 935,750 + 79,872 + 2,000,000 + 3,728.
    assert social["total_gbp"] == pytest.approx(3_019_350)
    assert sum(table.values()) == pytest.approx(3_019_350)
    assert len(table) == 17 and all(value > 0 for value in table.values())
    for code, value in table.items():
        assert value == pytest.approx(expected.get(code, 0.0)), code
    assert sum(table.values()) == pytest.approx(social["total_gbp"])
    # Apprenticeships: the example's 8 starts are all in Holloway (E05013706); the
    # submitted (not approved) statement's 9,999 are not counted.
    apprenticeships = _table_values(
        client.get("/councils/islington/wards?figure=apprenticeships").text, "apprenticeships"
    )
    assert apprenticeships["E05013706"] == pytest.approx(8)
    assert sum(apprenticeships.values()) == pytest.approx(8)
    assert "PENDING/1" not in client.get("/councils/islington/wards/E05013706").text


def test_ward_page_lists_schemes_commitments_and_compares_with_the_borough(
    client: FlaskClient, public_data: dict[str, Any]
) -> None:
    html = client.get("/councils/islington/wards/E05013706").text  # Holloway: the site
    assert "Holloway" in html
    assert "EXAMPLE/2026/0001/FUL" in html
    assert "Site in this ward" in html
    assert "Apprenticeships" in html
    # "Apprenticeships" is also a figure label on every ward page: check the commitment row.
    rows = [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(
            r"<tr class=\"govuk-table__row\">(.*?)</tr>",
            html.split('id="commitments"')[1].split("<tbody")[1].split("</table>")[0],
            re.S,
        )
    ]
    assert len(rows) == 4  # apprenticeships, placements, local spend, workspace
    # Issue 12: located in the ward (apprenticeships, workspace) apart from the share of
    # borough-wide ones (placements, local spend).
    assert "1 approved scheme is sited in Holloway." in html
    assert "2 commitments are located in the ward, worth £79,872 of social value." in html
    assert "Holloway also gets a share of 2 borough-wide commitments from 1 scheme" in html
    assert (
        "EXAMPLE/2026/0001/FUL Apprenticeships 8 apprenticeship starts 100% "
        "8 apprenticeship starts £79,872" in rows[0]
    )
    assert "Not yet reported" in html  # delivered column, clearly labelled
    social = public_data["assessments"]["islington"]["social_value"]
    holloway = next(w["gbp"] for w in social["by_ward"] if w["code"] == "E05013706")
    cell = re.search(r'data-figure="gbp" data-value="([^"]*)"', html)
    assert cell and float(cell.group(1)) == pytest.approx(holloway)
    average = re.search(r'data-average="gbp">([^<]+)<', html)
    assert average and average.group(1) == f"£{social['total_gbp'] / 17:,.0f}"
    assert average.group(1) == "£177,609"  # £3,019,350 over Islington's 17 wards
    # The site and the point commitment are drawn on the map.
    assert "Site: EXAMPLE/2026/0001/FUL" in html
    layers = {layer["name"]: layer["points"] for layer in maps.map_data(html)["points"]}
    assert [p["tooltip"] for p in layers["Scheme sites"]] == ["Site: EXAMPLE/2026/0001/FUL"]
    assert len(layers["Commitments"]) == 1  # c5, the workspace placed by a point


def test_user_text_is_escaped_everywhere(client: FlaskClient, public_data: dict[str, Any]) -> None:
    html = client.get("/councils/islington/wards/E05013706").text
    assert HOSTILE not in html
    assert "alert(&#39;pwned&#39;)" in html  # the description, escaped, in the table
    # In the map script the point's popup is script-safe JSON, shown with textContent.
    popups = [p["popup"] for layer in maps.map_data(html)["points"] for p in layer["points"]]
    assert ["Description", f"Workspace {HOSTILE}"] in [r for p in popups for r in p["rows"]]
    data = client.get("/councils/islington/wards/E05013706.geojson").get_json()
    descriptions = [f["properties"].get("description") for f in data["features"]]
    assert f"Workspace {HOSTILE}" in descriptions  # data downloads keep the text as typed


def test_filters_are_shared_by_page_and_downloads(
    client: FlaskClient, public_data: dict[str, Any]
) -> None:
    social = public_data["assessments"]["islington"]["social_value"]
    apprentice_gbp = next(
        c["gbp"] for c in social["commitments"] if c["measure"] == "apprenticeship"
    )
    assert apprentice_gbp == pytest.approx(79_872)  # 8 starts × 52 weeks × £192
    query = "measure=apprenticeship"
    html = client.get(f"/councils/islington/wards?{query}").text
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(apprentice_gbp)
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/councils/islington/wards.csv?{query}").text))
    )
    assert sum(float(r["gbp_promised"]) for r in rows) == pytest.approx(apprentice_gbp)
    geo = client.get(f"/councils/islington/wards.geojson?{query}").get_json()
    assert geo["metadata"]["filters"] == {"measure": "apprenticeship"}
    assert sum(f["properties"]["gbp_promised"] for f in geo["features"]) == pytest.approx(
        apprentice_gbp
    )
    # Download links on the page carry the filters.
    assert "/councils/islington/wards.csv?measure=apprenticeship" in html

    theme = "skills"
    skills = sum(c["gbp"] for c in social["commitments"] if c["theme"] == theme and c["gbp"])
    html = client.get(f"/councils/islington/wards?theme={theme}").text
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(skills)
    # Skills: apprenticeships 79,872; work placements (c3) have no open value.
    assert skills == pytest.approx(79_872)

    this_year = dt.date.today().year
    html = client.get(f"/councils/islington/wards?year={this_year}").text
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(social["total_gbp"])
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(3_019_350)
    html = client.get(f"/councils/islington/wards?year={this_year - 5}").text
    assert sum(_table_values(html, "gbp").values()) == 0
    assert "No approved schemes match these filters" in html

    # Nothing is delivered yet: the delivered filter finds nothing, promised finds all.
    html = client.get("/councils/islington/wards?status=delivered").text
    assert sum(_table_values(html, "gbp").values()) == 0
    html = client.get("/councils/islington/wards?status=not_reported").text
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(social["total_gbp"])
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(3_019_350)
    # Empty values mean "any" (a GOV.UK filter form submits every select).
    html = client.get("/councils/islington/wards?measure=&theme=&status=&year=").text
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(social["total_gbp"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("measure=nonsense", "measure"),
        ("theme=%3Cscript%3E", "theme"),
        ("status=finished", "status"),
        ("year=twenty", "year"),
        ("year=1066", "year"),
        ("figure=happiness", "figure"),
    ],
)
def test_bad_filter_is_400_naming_the_parameter(
    client: FlaskClient, public_data: dict[str, Any], query: str, parameter: str
) -> None:
    for url in (
        f"/councils/islington/wards?{query}",
        f"/councils/islington/wards.csv?{query}",
        f"/councils/islington/wards/E05013706?{query}",
        f"/councils/islington/wards/E05013706.geojson?{query}",
    ):
        if parameter == "figure" and ("E05013706" in url or ".csv" in url):
            continue  # only the borough page is shaded by a figure
        response = client.get(url)
        assert response.status_code == 400, url
        assert f"Invalid query parameter &#39;{parameter}&#39;" in response.text
        assert "<script>" not in response.text.split("<main")[1].split("</main>")[0]


@pytest.mark.parametrize(
    "url",
    [
        "/councils/nowhere/wards",
        "/councils/nowhere/wards.csv",
        "/councils/islington/wards/E05000000",
        "/councils/islington/wards/E05013030",  # a Salford ward under Islington
        "/councils/islington/wards/not-a-code.geojson",
        "/councils/islington/wards.xlsx",
    ],
)
def test_unknown_council_or_ward_is_404(
    client: FlaskClient, public_data: dict[str, Any], url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize("council", ["islington", "salford"])
def test_downloads_parse_and_carry_the_same_figures_as_the_page(
    client: FlaskClient, public_data: dict[str, Any], council: str
) -> None:
    codes = _ward_codes(council)
    html = client.get(f"/councils/{council}/wards").text
    page = _table_values(html, "gbp")
    response = client.get(f"/councils/{council}/wards.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["ward_code"] for r in rows) == codes
    # Hand totals of the approved examples (see test_valuation_engine).
    hand_total = {"islington": 3_019_350, "salford": 6_626_328}[council]
    assert sum(page.values()) == pytest.approx(hand_total)
    assert sum(float(r["gbp_promised"]) for r in rows) == pytest.approx(hand_total, abs=0.5)
    for row in rows:
        assert float(row["gbp_promised"]) == pytest.approx(page[row["ward_code"]], abs=0.01)
        assert row["delivery"] == "not yet reported"
    geo = client.get(f"/councils/{council}/wards.geojson")
    assert geo.mimetype == "application/geo+json"
    data = json.loads(geo.data)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == len(codes)
    for feature in data["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["gbp_promised"] == pytest.approx(page[feature["id"]], abs=0.01)
    assert "Crown copyright" in data["metadata"]["attribution"]

    code = codes[0]
    assert page[code] > 0  # every ward gets a population share of borough-wide offers
    ward_html = client.get(f"/councils/{council}/wards/{code}").text
    ward_csv = list(
        csv.DictReader(io.StringIO(client.get(f"/councils/{council}/wards/{code}.csv").text))
    )
    in_ward = sum(float(r["gbp_in_ward"] or 0) for r in ward_csv)
    assert in_ward == pytest.approx(page[code], abs=0.05)
    assert f'data-value="{page[code]}"' in ward_html or page[code] == 0
    ward_geo = client.get(f"/councils/{council}/wards/{code}.geojson").get_json()
    assert ward_geo["features"][0]["id"] == code
    assert ward_geo["features"][0]["properties"]["gbp_promised"] == pytest.approx(
        page[code], abs=0.01
    )


def test_no_applicant_personal_data_in_any_public_output(
    app: Flask, client: FlaskClient, public_data: dict[str, Any]
) -> None:
    owner: User = public_data["owner"]
    with app.extensions["planning_sv.db"].session() as session:
        emails = [u.email for u in session.query(User).all()]
    urls = ["/councils"]
    for council in ("islington", "salford"):
        code = _ward_codes(council)[0]
        urls += [
            f"/councils/{council}/wards",
            f"/councils/{council}/wards.csv",
            f"/councils/{council}/wards.geojson",
            "/councils/islington/wards/E05013706",
            "/councils/islington/wards/E05013706.csv",
            "/councils/islington/wards/E05013706.geojson",
            f"/councils/{council}/wards/{code}",
        ]
    for url in urls:
        body = client.get(url).text
        assert owner.email not in body, url
        assert "secret.example" not in body, url
        for email in emails:
            assert email not in body, (url, email)


def test_pages_are_public_and_leave_other_councils_data_out(
    client: FlaskClient, public_data: dict[str, Any]
) -> None:
    response = client.get("/councils/salford/wards")  # anonymous: no redirect to sign in
    assert response.status_code == 200
    html = response.text
    assert "Holloway" not in html  # Islington's scheme and wards stay on Islington's pages
    social = public_data["assessments"]["salford"]["social_value"]
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(social["total_gbp"])
    # By hand: 1,497,200 + 119,808 + 5,000,000 + 9,320 (see test_valuation_engine).
    assert sum(_table_values(html, "gbp").values()) == pytest.approx(6_626_328)


def test_council_figures_query_on_each_database(
    db_app: Flask, islington_example: dict[str, Any]
) -> None:
    """The aggregation's SQL (approval dates, JSON columns) on SQLite and PostgreSQL."""
    from planning_sv.core.measures import load_measures
    from planning_sv.store import statements as repo
    from planning_sv.store.public_queries import PublicFilters, council_figures, ward_schemes
    from planning_sv.store.users import create_user

    database = db_app.extensions["planning_sv.db"]
    with database.session() as session:
        owner = create_user(session, "owner@lane.example", LANE_PASSWORD, "applicant", None)
        officer = create_user(
            session, "officer@lane.example", LANE_PASSWORD, "officer", "islington"
        )
        senior = create_user(
            session, "senior@lane.example", LANE_PASSWORD, "senior_officer", "islington"
        )
        statement = repo.create_statement(session, owner, "islington", islington_example)
        repo.submit(session, statement, owner)
        for action, actor in (
            ("start_review", officer),
            ("recommend", officer),
            ("sign_off", senior),
            ("approve", officer),
        ):
            repo.apply_transition(session, statement, action, actor)
        expected = statement.latest_version.assessment.data["social_value"]
    geo = GeoService.from_data_dir()
    lad = LAD["islington"]
    arguments: dict[str, Any] = {
        "council": "islington",
        "council_name": "Islington",
        "lad_code": lad,
        "vintage": "2025",
        "ward_names": geo.ward_names("2025", lad),
        "population": geo.ward_population(lad),
        "measures": load_measures(),
    }
    with database.session() as session:
        figures = council_figures(session, **arguments)
        elsewhere = council_figures(session, **arguments, filters=PublicFilters(year=2001))
        holloway, listed = ward_schemes(
            session, "islington", "E05013706", PublicFilters(), arguments["measures"]
        )
    assert figures.schemes == 1 and len(figures.wards) == 17
    assert figures.totals["gbp"] == pytest.approx(expected["total_gbp"])
    assert figures.years == [dt.date.today().year]
    assert [s.approved_on for s in holloway] == [dt.date.today()] and listed == 1
    assert elsewhere.schemes == 0 and elsewhere.totals["gbp"] == 0


def test_filters_parse_and_name_the_bad_parameter() -> None:
    from planning_sv.core.measures import load_measures
    from planning_sv.store.public_queries import BadFilter, PublicFilters, parse_filters

    measures = load_measures()
    parsed = parse_filters(
        {"measure": "apprenticeship", "theme": "skills", "status": "not_reported", "year": "2026"},
        measures,
    )
    assert parsed == PublicFilters("apprenticeship", "skills", "not_reported", 2026)
    assert parsed.as_query() == {
        "measure": "apprenticeship",
        "theme": "skills",
        "status": "not_reported",
        "year": "2026",
    }
    assert parse_filters({"measure": " ", "year": ""}, measures) == PublicFilters()
    for args, parameter in (
        ({"measure": "gold"}, "measure"),
        ({"theme": "jobs2"}, "theme"),
        ({"status": "done"}, "status"),
        ({"year": "-1"}, "year"),
        ({"year": "99999"}, "year"),
    ):
        with pytest.raises(BadFilter) as caught:
            parse_filters(args, measures)
        assert caught.value.parameter == parameter


def test_quantities_convert_to_the_figure_unit_and_csv_cells_are_neutralised() -> None:
    from planning_sv.core.measures import ConversionError, load_measures
    from planning_sv.web.public import csv_lines

    measures = load_measures()
    # 104 apprenticeship weeks are 2 starts (1 start = 52 weeks, as the catalogue declares).
    assert measures["apprenticeship"].convert(104, "weeks", "starts").value == 2
    assert measures["apprenticeship"].convert(3, "starts", "starts").value == 3
    # 200 sqm-years of workspace are 10 sqm at the catalogue's 20 years per sqm.
    assert measures["affordable_workspace"].convert(200, "sqm_years", "sqm").value == 10
    # People employed cannot be turned into FTE-years: not counted rather than guessed.
    with pytest.raises(ConversionError):
        measures["local_employment"].convert(5, "people", "fte_years")
    text = "".join(csv_lines(["a", "b"], [{"a": '=HYPERLINK("http://x")', "b": "@SUM(1)"}]))
    # Spreadsheets would run these as formulas; a leading apostrophe keeps them text.
    assert list(csv.reader(io.StringIO(text)))[1] == ['\'=HYPERLINK("http://x")', "'@SUM(1)"]
