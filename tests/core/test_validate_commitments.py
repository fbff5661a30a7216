"""validate_commitments: the one check behind the form, CSV upload, JSON upload and API.

Each rule once, with the message worked out by hand from local_plans/measures.yaml.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from planning_sv import config
from planning_sv.core.errors import InputInvalid
from planning_sv.core.figures import parse_number
from planning_sv.core.geo.service import GeoService
from planning_sv.core.measures import load_measures
from planning_sv.core.plans import load_plans
from planning_sv.core.statement import (
    MAX_COMMITMENTS,
    parse_statement,
    validate_commitments,
    validate_site,
)

MEASURES = load_measures()


def item(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a",
        "measure": "apprenticeship",
        "quantity": 8,
        "unit": "starts",
        "where": {"borough": True},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def problems(items: list[Any], **kwargs: Any) -> list[str]:
    return [str(p) for p in validate_commitments(items, measures=MEASURES, **kwargs)]


@pytest.fixture(scope="module")
def geo() -> GeoService:
    return GeoService(config.data_dir(), Path(tempfile.mkdtemp()))


@pytest.fixture(scope="module")
def islington() -> Any:
    return load_plans()["islington"]


def test_a_good_commitment_has_no_problems() -> None:
    assert problems([item()]) == []


def test_unknown_measure_and_wrong_unit() -> None:
    assert problems([item(measure="jobs"), item(id="b", unit="sqm")]) == [
        "$.commitments[0].measure: unknown measure 'jobs'",
        # apprenticeship's units in measures.yaml are starts and weeks.
        "$.commitments[1].unit: unit 'sqm' is not accepted for measure 'apprenticeship' "
        "(accepted: starts, weeks)",
    ]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (-1, "must be 0 or more"),
        ("lots", "must be a number, not text ('lots')"),
        (True, "must be a number, not true/false"),
        (float("nan"), "must be a finite number"),
        (None, "give the quantity as a number"),
        # measures.yaml: starts at most 100,000; the label of `starts` is "apprenticeship starts".
        (100_001, "must be at most 100,000 apprenticeship starts; check the figure"),
        (1e30, "must be at most 100,000 apprenticeship starts; check the figure"),
    ],
)
def test_quantity_rules(quantity: Any, message: str) -> None:
    assert problems([item(quantity=quantity)]) == [f"$.commitments[0].quantity: {message}"]


def test_quantity_ceiling_is_per_unit() -> None:
    assert problems([item(quantity=100_000)]) == []  # the ceiling itself is allowed
    # £: at most 1,000,000,000 (measures.yaml), label "£ spent".
    spend = item(measure="local_supply_chain_spend", unit="gbp", quantity=1_000_000_001)
    assert problems([spend]) == [
        "$.commitments[0].quantity: must be at most 1,000,000,000 £ spent; check the figure"
    ]
    # FTE-years: at most 100,000.
    jobs = item(measure="local_employment", unit="fte_years", quantity=100_000.5)
    assert problems([jobs]) == [
        "$.commitments[0].quantity: must be at most 100,000 FTE-years; check the figure"
    ]


def test_ids_phase_and_stacks_on() -> None:
    assert problems(
        [
            item(id="has space"),
            item(id="c1"),
            item(id="b", phase="later"),
            item(id="d", stacks_on="ghost"),
        ],
        existing=[{"id": "c1"}],
    ) == [
        "$.commitments[0].id: use 1 to 64 letters, digits, '.', '-' or '_'",
        "$.commitments[1].id: duplicate commitment id 'c1'",
        "$.commitments[2].phase: use construction, end_use or operation",
        "$.commitments[3].stacks_on: no commitment with id 'ghost'",
    ]
    # stacks_on may name an existing commitment.
    assert problems([item(id="d", stacks_on="c1")], existing=[{"id": "c1"}]) == []


def test_structure_is_checked_with_the_model() -> None:
    assert problems([item(where={"postcode": "N7 8QP", "ward": "E05013706"}), 7]) == [
        "$.commitments[0].where: give exactly one of postcode, ward, point, easting_northing, "
        "geometry, borough: true or site: true (got postcode, ward)",
        "$.commitments[1]: each commitment must be an object",
    ]


def test_the_cap_counts_existing_and_new() -> None:
    existing = [{"id": f"e{n}"} for n in range(499)]
    assert problems([item()], existing=existing) == []  # 499 + 1 = 500
    assert problems([item(), item(id="b")], existing=existing) == [
        f"$.commitments: a statement can have at most {MAX_COMMITMENTS} commitments; this "
        "would make 501 (499 already, 2 more)"
    ]


def test_paths_are_the_callers() -> None:
    rows = {0: 7}
    got = validate_commitments(
        [item(quantity=-1)],
        measures=MEASURES,
        path=lambda i, field: f"row {rows[i]}, column {field}",
    )
    assert [str(p) for p in got] == ["row 7, column quantity: must be 0 or more"]


def test_locations_are_checked_for_the_council(geo: GeoService, islington: Any) -> None:
    got = problems(
        [
            item(id="a", where={"postcode": "N1 9ZZ"}),
            item(id="b", where={"ward": "E05013028"}),  # Ordsall, Salford
            item(id="c", where={"postcode": "M5 4AD"}),  # Salford: allowed, not local
            item(id="d", where={"ward": "E05013706"}),  # Islington
        ],
        council=islington,
        geo=geo,
    )
    assert got == [
        "$.commitments[0].where.postcode: unknown postcode 'N1 9ZZ' (not in "
        "codepoint_open_2025-10_islington_salford_plus_1km.csv)",
        "$.commitments[1].where.ward: ward E05013028 is in Salford, not Islington; give one "
        "of Islington's wards (2025 boundaries)",
    ]


def test_site_must_be_in_the_council(geo: GeoService, islington: Any) -> None:
    assert validate_site({"postcode": "N19 3AA"}, islington, geo) == []
    assert [str(p) for p in validate_site({"postcode": "E8 1AB"}, islington, geo)] == [
        "$.site.postcode: This postcode is in Hackney, not Islington"
    ]


def test_parse_statement_with_geo_checks_site_and_places(geo: GeoService) -> None:
    data = {
        "council": "islington",
        "site": {"postcode": "M5 4AD"},
        "development": {"build_cost_gbp": 1_000_000},
        "commitments": [item(where={"postcode": "N1 9ZZ"})],
    }
    with pytest.raises(InputInvalid) as caught:
        parse_statement(data, councils=load_plans(), measures=MEASURES, geo=geo)
    assert [str(p) for p in caught.value.problems] == [
        "$.commitments[0].where.postcode: unknown postcode 'N1 9ZZ' (not in "
        "codepoint_open_2025-10_islington_salford_plus_1km.csv)",
        "$.site.postcode: This postcode is in Salford, not Islington",
    ]
    # Without geo (structure and references only) the same data parses.
    assert parse_statement(data, councils=load_plans(), measures=MEASURES).site.postcode


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,000", 1000.0), ("£2,000", 2000.0), (" 12 ", 12.0), ("£1,234.50", 1234.5), ("1e3", 1000.0)],
)
def test_one_number_parser_reads_spreadsheet_numbers(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["lots", "nan", "inf", "", "1,0x"])
def test_number_parser_refuses_text_and_non_finite(text: str) -> None:
    assert parse_number(text) is None
