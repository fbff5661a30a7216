"""Issue 12, public pages: what councillors and residents read.

Hand-worked from the Islington example (tests/fixtures/islington_mixed_use.json), approved:
  c1 local employment 25 FTE-years at N19 3AA (Hillrise)    £935,750 (25 × £37,430)
  c2 apprenticeships 8 starts, ward Holloway                  £79,872 (8 × 52 weeks × £192)
  c3 work placements 20, whole borough                        not valued
  c4 local spend £2,000,000, whole borough                    £2,000,000
  c5 affordable workspace 800 sqm at a point in Holloway      not valued
  c6 volunteering 200 hours, ward Tollington                  £3,728 (200 × £18.64)
  site: Holloway Road, in Holloway (E05013706).
Ward populations (ONS mid-2020 best fit, as in test_public_figures.py): Holloway 12,419,
Caledonian 13,075, Islington 248,115.

The valuer splits a borough-wide £ into whole pounds that add up to the total (largest
remainder), so a ward's share is within £1 of the exact fraction.
Holloway: sited 1; located c2 + c5 = 2 commitments, £79,872; shared c3 + c4 = 2 commitments
from 1 scheme, £2,000,000 × 12,419 / 248,115 = £100,106.81 (to within £1); placements
20 × 12,419 / 248,115 = 1.001 ("about 1 placement").
Caledonian: sited 0, located 0; shared £2,000,000 × 13,075 / 248,115 = £105,394.68
(to within £1); placements 20 × 13,075 / 248,115 = 1.054 ("about 1 placement of at least
2 weeks", never "1.05 placements").
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.core.figures import format_gbp, format_quantity, format_share, singular_label
from planning_sv.store.models import Statement, User
from planning_sv.web import maps

APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")
HOLLOWAY, CALEDONIAN, HILLRISE = "E05013706", "E05013700", "E05013705"
BOROUGH = 248_115


@pytest.fixture
def approved(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    islington_example: dict[str, Any],
    salford_example: dict[str, Any],
) -> dict[str, int]:
    owner = make_user("applicant")
    ids = {}
    for council, example in (("islington", islington_example), ("salford", salford_example)):
        officer = make_user("officer", council)
        senior = make_user("senior_officer", council)
        staff = {"start_review": officer, "recommend": officer, "sign_off": senior}
        staff["approve"] = officer
        ids[council] = make_statement(owner, council, example, APPROVE, staff).id
    return ids


def _text(page: str) -> str:
    """The words a reader sees in <main>: no tags, attributes, scripts or data islands."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    main = re.sub(r"<style.*?</style>", " ", main, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _value(page: str, attribute: str, key: str) -> float:
    found = re.search(rf'{attribute}="{re.escape(key)}" data-value="([^"]*)"', page)
    assert found, (attribute, key)
    return float(found.group(1))


def _public_urls(approved: dict[str, int]) -> list[str]:
    return [
        "/councils",
        "/councils/find-your-ward",
        "/councils/find-your-ward?postcode=NW1+1AA",
        "/councils/islington/wards",
        "/councils/salford/wards?figure=apprenticeships",
        f"/councils/islington/wards/{HOLLOWAY}",
        f"/councils/islington/wards/{CALEDONIAN}",
        "/councils/salford/wards/E05013030",
        "/councils/islington/schemes",
        f"/councils/islington/schemes/{approved['islington']}",
        f"/councils/salford/schemes/{approved['salford']}",
        "/methodology",
        "/accessibility",
        "/privacy",
    ]


# JSON paths, rule expressions, data file names: written for programmers, not residents.
FORBIDDEN = [
    (re.compile(r"\$\.[a-z_]"), "a JSON path"),
    (re.compile(r"\bparam\.[a-z_]+|\bquantity\s*[<>=]=?|\b1 if \w+|[a-z_]+\.[a-z_]+ >= "), "rule"),
    (re.compile(r"\b[\w-]+\.(?:csv|geojson|ya?ml|json|gpkg|shp)\b", re.I), "a data file name"),
    (re.compile(r"codepoint_open|wards_20\d\d_bgc|_E0\d{7}"), "a data file name"),
    (re.compile(r"unverified", re.I), "the word 'unverified'"),
]


def test_no_public_page_shows_programmers_text(client: FlaskClient, approved: Any) -> None:
    for url in _public_urls(approved):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        text = _text(response.text)
        for pattern, what in FORBIDDEN:
            found = pattern.search(text)
            assert found is None, f"{url}: {what}: {found.group(0) if found else ''}"
        # Anywhere in the page, attributes and data included.
        assert "unverified" not in response.text.lower(), url
        # Money as £ in front, one grammar for delivery.
        assert not re.search(r"\d £ [a-z]", text), url  # "2,000,000 £ spent"
        assert "Delivery has not yet reported" not in text, url


def test_ward_keeps_what_is_located_apart_from_the_borough_wide_share(
    client: FlaskClient, approved: Any
) -> None:
    page = client.get(f"/councils/islington/wards/{HOLLOWAY}").text
    text = _text(page)
    holloway_shared = _value(page, "data-shared", "gbp")
    assert "1 approved scheme is sited in Holloway." in text
    assert "2 commitments are located in the ward, worth £79,872 of social value." in text
    assert (
        "Holloway also gets a share of 2 borough-wide commitments from 1 scheme, worth "
        f"{format_gbp(holloway_shared)}." in text
    )
    assert "in proportion to each ward's population" in text  # the basis of sharing
    assert _value(page, "data-located", "gbp") == pytest.approx(79_872)
    assert holloway_shared == pytest.approx(2_000_000 * 12_419 / BOROUGH, abs=1)
    assert _value(page, "data-figure", "gbp") == pytest.approx(79_872 + holloway_shared)
    # Quantities with their units; money as £; shares of counts rounded and marked.
    assert "£2,000,000 spent" in text and "2,000,000 £" not in text
    assert "about 1 placement of at least 2 weeks" in text
    assert "8 apprenticeship starts" in text

    page = client.get(f"/councils/islington/wards/{CALEDONIAN}").text
    text = _text(page)
    assert "No approved scheme is sited in Caledonian." in text
    assert "No commitment is located in the ward." in text
    caledonian_shared = _value(page, "data-shared", "gbp")
    assert caledonian_shared == pytest.approx(2_000_000 * 13_075 / BOROUGH, abs=1)
    assert f"from 1 scheme, worth {format_gbp(caledonian_shared)}." in text
    assert _value(page, "data-located", "gbp") == 0
    assert "about 1 placement of at least 2 weeks" in text
    assert "1.05" not in text and "1.08" not in text


def test_borough_table_and_map_popups_never_mix_sited_and_shared(
    client: FlaskClient, approved: Any
) -> None:
    page = client.get("/councils/islington/wards").text
    sited = dict(re.findall(r'data-schemes-sited="(E05\d+)">(\d+)<', page))
    shared = dict(re.findall(r'data-schemes-shared="(E05\d+)">(\d+)<', page))
    placed = dict(re.findall(r'data-schemes-placed="(E05\d+)">(\d+)<', page))
    assert len(sited) == 17
    # Holloway: the site; Hillrise and Tollington: a commitment placed there (c1, c6);
    # the other 14 wards: the borough-wide share only.
    assert (sited[HOLLOWAY], placed[HOLLOWAY], shared[HOLLOWAY]) == ("1", "0", "0")
    assert (sited[HILLRISE], placed[HILLRISE], shared[HILLRISE]) == ("0", "1", "0")
    assert (sited[CALEDONIAN], placed[CALEDONIAN], shared[CALEDONIAN]) == ("0", "0", "1")
    assert sum(int(v) for v in sited.values()) == 1
    assert _value(page, "data-located-gbp", HILLRISE) == pytest.approx(935_750)
    assert _value(page, "data-shared-gbp", HILLRISE) == pytest.approx(
        2_000_000 * 16_358 / BOROUGH, abs=1
    )
    features = {f["id"]: f["properties"] for f in maps.map_data(page)["wards"]["features"]}
    rows = dict(features[CALEDONIAN]["popup"]["rows"])
    assert "Approved schemes" not in rows
    assert rows["Schemes sited in the ward"] == "0"
    assert rows["Social value located in the ward"] == "£0"
    caledonian = _value(page, "data-shared-gbp", CALEDONIAN)
    assert caledonian == pytest.approx(2_000_000 * 13_075 / BOROUGH, abs=1)
    assert rows["Share of borough-wide commitments"] == format_gbp(caledonian)
    # Every ward shape is named for a screen reader and says where Enter goes.
    for code, props in features.items():
        assert props["label"].startswith(f"{props['name']} ward: £"), code
        assert props["label"].endswith("Opens the ward page"), code
        assert props["keyboard"] is True, code  # a link in the tab order, Enter opens it
        assert props["popup"]["link"][1].endswith(f"/wards/{code}")


def test_scheme_list_and_page_reachable_from_the_ward_page(
    client: FlaskClient, approved: Any
) -> None:
    ward = client.get(f"/councils/islington/wards/{HOLLOWAY}").text
    sid = approved["islington"]
    link = f"/councils/islington/schemes/{sid}"
    assert f'href="{link}"' in ward and 'href="/councils/islington/schemes"' in ward
    listing = _text(client.get("/councils/islington/schemes").text)
    assert "1 approved planning application has made social value commitments." in listing
    assert "EXAMPLE/2026/0001/FUL Holloway Road (example site) Holloway" in listing
    assert "£3,019,350" in listing  # 935,750 + 79,872 + 2,000,000 + 3,728
    page = client.get(link).text
    text = _text(page)
    assert "Local people employed (FTE-years) 25 FTE-years Hillrise £935,750" in text
    assert (
        "Spend with local businesses £2,000,000 spent the whole borough, divided between "
        "its 17 wards by population £2,000,000" in text
    )
    assert "Affordable workspace 800 sqm (GIA) Holloway Not valued" in text
    # The table beside the map has the map's figures, ward by ward.
    table = {
        code: float(value)
        for code, value in re.findall(
            r'data-ward="(E05\d+)" data-figure="gbp" data-value="([^"]*)"', page
        )
    }
    on_map = {
        f["id"]: f["properties"]["value"] or 0.0 for f in maps.map_data(page)["wards"]["features"]
    }
    assert table.keys() == on_map.keys() and len(table) == 17
    for code, value in table.items():
        assert value == pytest.approx(on_map[code]), code
    assert table[HOLLOWAY] == pytest.approx(79_872 + 2_000_000 * 12_419 / BOROUGH, abs=1)
    assert sum(table.values()) == pytest.approx(3_019_350)
    # Salford's scheme is not an Islington scheme.
    assert client.get(f"/councils/islington/schemes/{approved['salford']}").status_code == 404
    assert client.get("/councils/islington/schemes/999999").status_code == 404


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("", "Enter a postcode"),
        ("hello", "Enter a full postcode, like N19 5RQ"),
        ("N19 9ZZ", "We cannot find the postcode N19 9ZZ: check it and enter it again"),
        ("nw11aa", "The postcode NW1 1AA is not in London Borough of Islington or Salford"),
    ],
)
def test_find_your_ward_names_the_field_when_it_cannot_help(
    client: FlaskClient, postcode: str, message: str
) -> None:
    response = client.get("/councils/find-your-ward", query_string={"postcode": postcode})
    assert response.status_code == 400
    page = response.text
    assert message in html_lib.unescape(page)
    assert 'href="#postcode"' in page  # the error summary links to the field
    assert 'id="postcode-error"' in page and "govuk-input--error" in page
    assert "<title>Error: Find your ward" in page


def test_find_your_ward_takes_a_resident_to_their_ward(client: FlaskClient) -> None:
    # N19 3AA is in Hillrise (see test_public_figures.py), in any case or spacing.
    for postcode in ("N19 3AA", "n193aa", " N19  3AA "):
        response = client.get("/councils/find-your-ward", query_string={"postcode": postcode})
        assert response.status_code == 303
        assert response.location.endswith(f"/councils/islington/wards/{HILLRISE}")
    assert client.get("/councils/find-your-ward").status_code == 200


def test_methodology_accessibility_and_privacy_are_linked_from_every_footer(
    client: FlaskClient, approved: Any
) -> None:
    for url in ("/councils", "/councils/islington/wards", "/sign-in"):
        page = client.get(url).text
        assert page.count("<footer") == 1, url  # one footer, not one inside another
        footer = page.split("<footer", 1)[1]
        for href in ('href="/methodology"', 'href="/accessibility"', 'href="/privacy"'):
            assert href in footer, (url, href)
        # The phase banner is inside the header landmark.
        header = page.split("<header", 1)[1].split("</header>", 1)[0]
        assert "govuk-phase-banner" in header, url
    text = _text(client.get("/methodology").text)
    assert "Open Government Licence v3.0" in text
    assert "Office for National Statistics" in text and "Code-Point Open" in text
    assert "£192 per apprenticeship week (2024 prices)" in text


def test_unit_wording_by_hand() -> None:
    assert singular_label("placements of at least 2 weeks") == "placement of at least 2 weeks"
    assert singular_label("people employed (first year)") == "person employed (first year)"
    assert format_quantity(2_000_000, "gbp", "£ spent") == "£2,000,000 spent"
    assert format_quantity(1, "starts", "apprenticeship starts") == "1 apprenticeship start"
    assert format_share(1.08, "placements", "placements of at least 2 weeks") == (
        "about 1 placement of at least 2 weeks"
    )
    assert format_share(2.0, "starts", "apprenticeship starts") == "2 apprenticeship starts"
    assert (
        format_share(0.3, "starts", "apprenticeship starts") == "less than 1 apprenticeship start"
    )
    assert format_share(0.05, "document", "plan document") == (
        "applies to the whole borough (not divided)"
    )
    assert format_share(0.37, "fte_years", "FTE-years") == "about 0.4 FTE-years"
    assert format_share(105_394.68, "gbp", "£ spent") == "£105,395 spent"


def test_a_borough_wide_plan_document_is_not_divided_between_wards(
    client: FlaskClient,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    islington_example: dict[str, Any],
) -> None:
    """Found: "0.05 plan document" on a ward page. One employment and skills plan for the
    whole borough applies to every ward whole."""
    data = dict(islington_example)
    data["commitments"] = [
        *islington_example["commitments"],
        {
            "id": "c7",
            "measure": "employment_skills_plan",
            "quantity": 1,
            "unit": "document",
            "where": {"borough": True},
        },
    ]
    officer = make_user("officer", "islington")
    staff = {
        "start_review": officer,
        "recommend": officer,
        "sign_off": make_user("senior_officer", "islington"),
        "approve": officer,
    }
    make_statement(make_user("applicant"), "islington", data, APPROVE, staff)
    text = _text(client.get(f"/councils/islington/wards/{CALEDONIAN}").text)
    assert "(whole borough, not divided) 1 plan document Whole applies to the whole borough" in text
    assert "0.05" not in text
    assert "3 borough-wide commitments" in text  # placements, local spend and the plan
