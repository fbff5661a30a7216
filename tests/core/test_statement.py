"""statement@1 validation: every problem named by its JSON path, in one pass."""

from __future__ import annotations

import json

import pytest

from planning_sv import config
from planning_sv.core.errors import InputInvalid
from planning_sv.core.measures import load_measures
from planning_sv.core.plans import load_plans
from planning_sv.core.statement import parse_statement, statement_json_schema

EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples


def _problems(data: object) -> list[str]:
    with pytest.raises(InputInvalid) as caught:
        parse_statement(data, councils=load_plans(), measures=load_measures())
    return [str(p) for p in caught.value.problems]


def test_structural_and_reference_problems_are_reported_together() -> None:
    problems = _problems(
        {
            "council": "nowhere",
            "site": {"postcode": "N7 8QP"},
            "development": {"build_cost_gbp": -5},
            "commitments": [
                {
                    "id": "a",
                    "measure": "jobs",
                    "quantity": -1,
                    "unit": "x",
                    "where": {"borough": True},
                },
                {
                    "id": "a",
                    "measure": "apprenticeship",
                    "quantity": 2,
                    "unit": "sqm",
                    "where": {"borough": True},
                },
            ],
        }
    )
    assert problems == [
        "$.development.build_cost_gbp: Input should be greater than or equal to 0",
        "$.council: unknown council 'nowhere' (known: islington, salford)",
        # Commitments are worded by validate_commitments, as in the form and CSV upload.
        "$.commitments[0].measure: unknown measure 'jobs'",
        "$.commitments[0].quantity: must be 0 or more",
        "$.commitments[1].id: duplicate commitment id 'a'",
        "$.commitments[1].unit: unit 'sqm' is not accepted for measure 'apprenticeship' "
        "(accepted: starts, weeks)",
    ]


def test_a_where_must_name_exactly_one_location() -> None:
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    data["commitments"][0]["where"] = {"postcode": "N19 3AA", "ward": "E05013706"}
    assert _problems(data) == [
        "$.commitments[0].where: give exactly one of postcode, ward, point, easting_northing, "
        "geometry, borough: true or site: true (got postcode, ward)"
    ]


def test_malformed_json_and_non_objects() -> None:
    assert _problems("{bad")[0].startswith("$: not valid JSON")
    assert _problems([1, 2]) == ["$: a statement must be a JSON object"]


def test_the_examples_parse_and_the_schema_names_the_contract() -> None:
    # Not an empty loop: both councils' examples are there.
    names = {path.name for path in EXAMPLES.glob("*.json")}
    assert {"islington_mixed_use.json", "salford_residential.json"} <= names
    councils = set()
    for path in sorted(EXAMPLES.glob("*.json")):
        statement = parse_statement(
            path.read_text(), councils=load_plans(), measures=load_measures()
        )
        assert statement.commitments, path.name
        councils.add(statement.council)
    assert {"islington", "salford"} <= councils
    schema = statement_json_schema()
    assert schema["$id"] == "planning-sv/statement@1"
    assert {"council", "site", "development"} <= set(schema["required"])


def test_development_figures_are_bounded_so_assessment_arithmetic_stays_finite() -> None:
    # 1e308 of build cost would make a 0.5% rule overflow to Infinity; no real figure comes
    # near 10^15, so such input is refused where it is given, naming the field.
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    data["development"]["build_cost_gbp"] = 1e308
    data["development"]["floorspace_sqm"]["office"] = 1_000_000_000_000_001
    problems = _problems(data)
    assert problems == [
        "$.development.floorspace_sqm.office: must be at most 1,000,000,000,000,000; "
        "check the figure",
        "$.development.build_cost_gbp: must be at most 1,000,000,000,000,000; check the figure",
    ]
    data["development"]["build_cost_gbp"] = 1e15  # the bound itself is accepted
    data["development"]["floorspace_sqm"]["office"] = 8000
    parse_statement(data, councils=load_plans(), measures=load_measures())


def test_a_future_validation_date_is_refused_on_every_route() -> None:
    # The core refuses it, so the JSON upload, the API and the ODP import agree with the form.
    import datetime as dt

    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    data["validation_date"] = tomorrow.isoformat()
    assert _problems(data) == ["$.validation_date: must be today or in the past"]
    data["validation_date"] = dt.date.today().isoformat()
    parsed = parse_statement(data, councils=load_plans(), measures=load_measures())
    assert parsed.validation_date == dt.date.today()
