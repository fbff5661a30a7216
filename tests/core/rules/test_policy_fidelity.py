"""Policy as councils apply it: regimes by validation date, dated citations, designations,
named definitions (statutory major development) and copied regimes refused."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.coords import polygon_area_ha
from planning_sv.core.placement import Placement
from planning_sv.core.plans import check_plans, load_plans
from planning_sv.core.rules.engine import evaluate
from planning_sv.core.statement import parse_statement

FIXTURES = Path(__file__).parents[2] / "fixtures"
TESTSHIRE = Path(__file__).parent / "fixtures" / "local_plans"


@pytest.fixture(scope="module")
def plans() -> dict[str, Any]:
    return load_plans(LOCAL_PLANS_DIR)


def _statement(council: str, development: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "council": council,
        "site": {"point": [-0.117, 51.553], **extra.pop("site", {})},
        "development": {"build_cost_gbp": 6_000_000, **development},
        "commitments": [],
        **extra,
    }


def _results(plan: Any, data: dict[str, Any], on: dt.date) -> dict[str, Any]:
    statement = parse_statement(data, councils={plan.code: plan})
    placements = {
        c.id: Placement(method="test", vintage="2025", wards=(), local=True)
        for c in statement.commitments
    }
    return {r.id: r for r in evaluate(plan, statement, placements, on)}


# --- dated citations and parameter values --------------------------------------------------


def test_one_rule_cites_the_spd_in_force_on_the_date_with_the_values_reference(plans) -> None:
    plan = plans["islington"]
    data = _statement("islington", {"dwellings": 20, "floorspace_sqm": {"residential": 1800}})
    before = _results(plan, data, dt.date(2025, 4, 29))["ISL-S106-CONSTRUCTION-PLACEMENTS"]
    after = _results(plan, data, dt.date(2025, 4, 30))["ISL-S106-CONSTRUCTION-PLACEMENTS"]
    assert "adopted 8 December 2016" in before.citation["document"]
    assert "adopted April 2025" in after.citation["document"]
    used_before = {p["name"]: p for p in before.parameters}
    used_after = {p["name"]: p for p in after.parameters}
    rate_2016 = used_before["construction_placements_per_million"]
    rate_2025 = used_after["construction_placements_per_million"]
    assert (rate_2016["from"], rate_2016["value"]) == ("2016-12-08", 1)
    assert (rate_2025["from"], rate_2025["value"]) == ("2025-04-30", 1)
    assert "adopted 8 December 2016" in rate_2016["reference"]["document"]
    assert "adopted April 2025" in rate_2025["reference"]["document"]
    assert before.required == after.required == 6


def test_islington_has_no_copied_2016_rules_or_parameters(plans) -> None:
    plan = plans["islington"]
    assert not [r.id for r in plan.rules if "2016" in r.id]
    assert not [name for name in plan.parameters if name.startswith("spd2016")]


def _copy_rule_with_new_dates(root: Path) -> None:
    path = root / "testshire" / "rules.yaml"
    data = yaml.safe_load(path.read_text())
    original = data["rules"][0]
    original["effective_to"] = dt.date(2020, 12, 31)
    copy_ = copy.deepcopy(original)
    copy_["id"] = "TST-PLACEMENTS-2021"
    copy_["effective_from"] = dt.date(2021, 1, 1)
    copy_["effective_to"] = None
    copy_["citation"] = dict(original["citation"], document="Testshire SPD 2021")
    data["rules"].append(copy_)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_plans_check_refuses_two_rules_that_differ_only_in_dates(tmp_path: Path) -> None:
    root = tmp_path / "local_plans"
    shutil.copytree(TESTSHIRE, root)
    assert check_plans(root) == []
    _copy_rule_with_new_dates(root)
    problems = [str(p) for p in check_plans(root)]
    assert len(problems) == 1
    assert "TST-PLACEMENTS-2021" in problems[0]
    assert "same logic as TST-PLACEMENTS" in problems[0]


def test_a_dated_citation_list_must_start_on_effective_from(tmp_path: Path) -> None:
    root = tmp_path / "local_plans"
    shutil.copytree(TESTSHIRE, root)
    path = root / "testshire" / "rules.yaml"
    data = yaml.safe_load(path.read_text())
    cited = data["rules"][0]["citation"]
    data["rules"][0]["citation"] = [
        {"from": dt.date(2017, 1, 1), **cited},
        {"from": dt.date(2021, 1, 1), **dict(cited, document="SPD 2021")},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    problems = [str(p) for p in check_plans(root)]
    assert problems == [
        "testshire/rules.yaml $.rules[0].citation[0].from: the first citation must start on "
        "the rule's effective_from 2016-12-01"
    ]


# --- the regime: validation date -----------------------------------------------------------


@pytest.fixture(scope="module")
def assessor() -> Any:
    from planning_sv.store.assessments import Assessor

    return Assessor()


def _example() -> dict[str, Any]:
    return json.loads((FIXTURES / "islington_mixed_use.json").read_text())


def test_without_a_validation_date_the_assessment_date_applies(assessor) -> None:
    record = assessor.assess(_example(), on=dt.date(2026, 11, 29))
    assert record["regime"] == {"applied_on": "2026-11-29", "basis": "assessment_date"}
    assert record["assessed_on"] == "2026-11-29"


def test_the_validation_date_chooses_the_rules_and_citations(assessor) -> None:
    data = _example()
    data["validation_date"] = "2025-04-29"
    record = assessor.assess(data, on=dt.date(2026, 11, 29))
    assert record["regime"] == {
        "applied_on": "2025-04-29",
        "basis": "validation_date",
        "validation_date": "2025-04-29",
    }
    placements = next(r for r in record["rules"] if r["id"] == "ISL-S106-CONSTRUCTION-PLACEMENTS")
    assert "adopted 8 December 2016" in placements["citation"]["document"]
    data["validation_date"] = "2025-04-30"
    record = assessor.assess(data, on=dt.date(2026, 11, 29))
    placements = next(r for r in record["rules"] if r["id"] == "ISL-S106-CONSTRUCTION-PLACEMENTS")
    assert "adopted April 2025" in placements["citation"]["document"]


# --- site area and statutory major development ---------------------------------------------


def test_site_area_is_measured_from_the_polygon_on_the_ground() -> None:
    # 0.002 degrees of longitude at 51.553 N is 138.6 m; 0.001 of latitude is 111.3 m:
    # 15,426 sqm = 1.54 ha (British National Grid's scale factor changes it by < 0.1%).
    polygon = _example()["site"]["geometry"]
    assert polygon_area_ha(polygon) == pytest.approx(1.543, abs=0.005)
    assert polygon_area_ha({"type": "Point", "coordinates": [-0.1, 51.5]}) is None


def test_the_example_record_carries_the_measured_site_area(assessor) -> None:
    record = assessor.assess(_example(), on=dt.date(2026, 11, 29))
    assert record["site_area_ha"] == pytest.approx(1.543, abs=0.005)


def test_a_small_scheme_without_site_area_is_asked_for_it(plans) -> None:
    data = _statement("salford", {"dwellings": 9, "floorspace_sqm": {"residential": 800}})
    with pytest.raises(InputInvalid) as caught:
        _results(plans["salford"], data, dt.date(2026, 1, 1))
    paths = [p.path for p in caught.value.problems]
    assert paths == ["$.development.site_area_ha"]
    assert "SAL-F2-SOCIAL-VALUE-STRATEGY" in caught.value.problems[0].message


def test_major_development_explains_the_facts_it_read(plans) -> None:
    data = _statement("salford", {"dwellings": 12, "floorspace_sqm": {"residential": 900}})
    result = _results(plans["salford"], data, dt.date(2026, 1, 1))["SAL-F2-LOCAL-JOBS"]
    assert result.inputs["major_development"] is True
    assert result.inputs["dwellings"] == 12
    assert "major_min_dwellings" in {p["name"] for p in result.parameters}


# --- designations (Islington B4) -----------------------------------------------------------


def test_an_unknown_designation_names_the_choices(plans) -> None:
    data = _statement("islington", {"dwellings": 20}, site={"designation": "docklands"})
    with pytest.raises(InputInvalid) as caught:
        parse_statement(data, councils=plans)
    [problem] = caught.value.problems
    assert problem.path == "$.site.designation"
    assert "caz (Central Activities Zone (CAZ))" in problem.message
    assert "lsis (Locally Significant Industrial Site (LSIS))" in problem.message


def test_a_council_without_designations_refuses_one(plans) -> None:
    data = _statement("salford", {"dwellings": 20}, site={"designation": "caz"})
    with pytest.raises(InputInvalid) as caught:
        parse_statement(data, councils=plans)
    assert [str(p) for p in caught.value.problems] == [
        "$.site.designation: Salford City Council defines no site designations"
    ]


def test_office_over_the_lowest_threshold_asks_for_the_designation(plans) -> None:
    data = _statement("islington", {"floorspace_sqm": {"office": 1000}})
    with pytest.raises(InputInvalid) as caught:
        _results(plans["islington"], data, dt.date(2026, 1, 1))
    [problem] = caught.value.problems
    assert problem.path == "$.site.designation"
    assert "ISL-B4-AFFORDABLE-WORKSPACE" in problem.message


def test_each_designation_applies_its_own_b4_part(plans) -> None:
    plan = plans["islington"]
    development = {"floorspace_sqm": {"office": 2500}}
    statuses = {}
    for code in ("caz", "lsis", "town_centre", "none"):
        data = _statement("islington", development, site={"designation": code})
        results = _results(plan, data, dt.date(2026, 1, 1))
        statuses[code] = sorted(
            rid for rid, r in results.items() if rid.startswith("ISL-B4") and r.required
        )
    assert statuses == {
        "caz": ["ISL-B4-AFFORDABLE-WORKSPACE"],
        "lsis": [],  # 2,500 sqm is below the LSIS threshold of 3,000
        "town_centre": ["ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS"],
        "none": [],
    }


# --- a wider "local": the Greater Manchester districts --------------------------------------


def _salford_with_supplier_at(point: list[float]) -> dict[str, Any]:
    return {
        "council": "salford",
        "site": {"point": [-2.287, 53.471]},
        "development": {"dwellings": 12, "build_cost_gbp": 3_000_000},
        "commitments": [
            {
                "id": "s1",
                "measure": "local_supply_chain_spend",
                "quantity": 50_000,
                "unit": "gbp",
                "where": {"point": point},
            }
        ],
    }


def test_a_supplier_placed_in_bolton_counts_as_greater_manchester(assessor) -> None:
    record = assessor.assess(_salford_with_supplier_at([-2.4282, 53.5769]), on=dt.date(2026, 1, 1))
    rule = next(r for r in record["rules"] if r["id"] == "SAL-F2-LOCAL-SUPPLY-CHAIN")
    assert rule["status"] == "pass" and rule["proposed"] == 1
    assert rule["counted"][0]["note"] == "local: in Bolton, one of the Greater Manchester districts"


def test_a_supplier_placed_in_cheshire_east_does_not_count(assessor) -> None:
    # Crewe, Cheshire East (E06000049): outside the ten districts.
    record = assessor.assess(_salford_with_supplier_at([-2.4410, 53.0979]), on=dt.date(2026, 1, 1))
    rule = next(r for r in record["rules"] if r["id"] == "SAL-F2-LOCAL-SUPPLY-CHAIN")
    assert rule["status"] == "partial" and rule["proposed"] == 0
    assert "not in the Greater Manchester districts" in rule["excluded"][0]["reason"]


# --- a designation found from the council's own boundaries ----------------------------------


def test_a_loaded_designation_boundary_is_found_for_the_officer_to_confirm(
    assessor, plans, tmp_path: Path
) -> None:
    import dataclasses

    from planning_sv.core.pipeline import assess_statement

    # A CAZ boundary that covers the example's Holloway Road site, and an LSIS that does not.
    caz = tmp_path / "caz.geojson"
    caz.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "test CAZ"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [-0.12, 51.55],
                                    [-0.11, 51.55],
                                    [-0.11, 51.56],
                                    [-0.12, 51.56],
                                    [-0.12, 51.55],
                                ]
                            ],
                        },
                    }
                ],
            }
        )
    )
    lsis = tmp_path / "lsis.geojson"
    lsis.write_text(caz.read_text().replace("51.55]", "51.50]").replace("51.56]", "51.51]"))
    plan = plans["islington"]
    loaded = dataclasses.replace(
        plan,
        designations=tuple(
            dataclasses.replace(d, boundaries=str({"caz": caz, "lsis": lsis}.get(d.code)))
            if d.code in ("caz", "lsis")
            else d
            for d in plan.designations
        ),
    )
    statement = parse_statement(_example(), councils=plans)
    placer, _valuer = assessor.services()
    record = assess_statement(
        statement, on=dt.date(2026, 11, 29), plans={"islington": loaded}, placer=placer
    ).to_dict()
    assert record["designation"] == {
        "chosen": "town_centre",
        "found": "caz",
        "chosen_name": "Town centre",
        "found_name": "Central Activities Zone (CAZ)",
    }
    # Without boundary files nothing is derived, and the applicant's choice is recorded.
    plain = assess_statement(
        statement, on=dt.date(2026, 11, 29), plans={"islington": plan}, placer=placer
    ).to_dict()
    assert plain["designation"] == {
        "chosen": "town_centre",
        "found": None,
        "chosen_name": "Town centre",
        "found_name": None,
    }
