"""`check_plans` / `load_plans`: each kind of fault in a pack is reported with its place."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from planning_sv.core.plans import PlansInvalid, check_plans, load_plans, read_plans

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "local_plans"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    root = tmp_path / "local_plans"
    shutil.copytree(FIXTURE_ROOT, root)
    return root


def edit(root: Path, name: str, change: Callable[[Any], None], council: str = "testshire") -> None:
    path = root / council / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def messages(root: Path) -> list[str]:
    return [str(p) for p in check_plans(root)]


def only(root: Path) -> str:
    found = messages(root)
    assert len(found) == 1, found
    return found[0]


def test_fixture_pack_is_valid(pack: Path) -> None:
    assert messages(pack) == []
    plans = load_plans(pack)
    assert list(plans) == ["testshire"]
    plan = plans["testshire"]
    assert plan.pack_version == "2026.1.0"
    assert plan.lad_code == "E07999999"
    assert plan.local_definition == {"kind": "borough"}
    assert len(plan.rules) == 6 and len(plan.parameters) == 3


def test_missing_required_plan_field(pack: Path) -> None:
    edit(pack, "plan.yaml", lambda d: d.pop("pack_version"))
    assert only(pack) == "testshire/plan.yaml $.pack_version: Field required"


def test_wrong_type_and_bad_lad_code(pack: Path) -> None:
    edit(pack, "plan.yaml", lambda d: d.update(lad_code="Islington", local="borough"))
    found = messages(pack)
    assert any(m.startswith("testshire/plan.yaml $.lad_code:") for m in found)
    assert any(m.startswith("testshire/plan.yaml $.local:") for m in found)


def test_council_must_match_folder_and_local_kind_known(pack: Path) -> None:
    edit(pack, "plan.yaml", lambda d: d.update(council="other", local={"kind": "nearby"}))
    found = messages(pack)
    assert (
        "testshire/plan.yaml $.council: 'other' does not match the folder name 'testshire'" in found
    )
    assert any("$.local.kind: must be one of borough, wards" in m for m in found)


def test_citation_needs_all_fields(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][1]["citation"].pop("paragraph"))
    assert only(pack) == (
        "testshire/rules.yaml $.rules[1].citation.paragraph: citation needs a non-empty paragraph"
    )
    edit(pack, "rules.yaml", lambda d: d["rules"][1]["citation"].update(paragraph="1", url="ftp:x"))
    assert "not a web address" in only(pack)


def test_effective_dates_ordered(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][0].update(effective_to="2010-01-01"))
    assert only(pack) == "testshire/rules.yaml $.rules[0].effective_to: is before effective_from"


def test_duplicate_rule_id_in_pack_and_across_packs(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][1].update(id="TST-PLACEMENTS"))
    assert "duplicate rule id 'TST-PLACEMENTS'" in only(pack)


def test_rule_id_unique_across_packs(pack: Path) -> None:
    shutil.copytree(pack / "testshire", pack / "otherton")
    edit(pack, "plan.yaml", lambda d: d.update(council="otherton"), council="otherton")
    found = messages(pack)
    assert "testshire/rules.yaml: rule id 'TST-PLACEMENTS' is also used by otherton" in found


def test_parameter_values_ordered_and_unique(pack: Path) -> None:
    def shuffle(d: Any) -> None:
        values = d["parameters"]["placements_per_million"]["values"]
        values.reverse()
        d["parameters"]["contribution_per_sqm"]["values"].append(
            {"from": "2016-12-01", "value": 11}
        )

    edit(pack, "parameters.yaml", shuffle)
    found = messages(pack)
    assert (
        "testshire/parameters.yaml $.parameters.placements_per_million.values: "
        "values must be in date order, oldest first"
    ) in found
    assert (
        "testshire/parameters.yaml $.parameters.contribution_per_sqm.values: "
        "two values start on the same date"
    ) in found


def test_parameter_confidence_and_reference(pack: Path) -> None:
    def break_it(d: Any) -> None:
        d["parameters"]["contribution_per_sqm"]["confidence"] = "probably"
        d["parameters"]["cost_per_apprentice_millions"]["reference"].pop("url")

    edit(pack, "parameters.yaml", break_it)
    found = messages(pack)
    assert any("contribution_per_sqm.confidence" in m for m in found)
    assert any("cost_per_apprentice_millions.reference.url" in m for m in found)


def test_expression_faults(pack: Path) -> None:
    def break_it(d: Any) -> None:
        d["rules"][0]["requires"] = "floor(build_cost / 1000000)"
        d["rules"][1]["applies_when"] = "__import__('os')"
        d["rules"][3]["requires"] = "param.no_such_rate * floorspace_total"
        d["rules"][0]["grading"]["partial"] = "proposed >= half(required)"

    edit(pack, "rules.yaml", break_it)
    found = messages(pack)
    assert any(
        m.startswith(
            "testshire/rules.yaml $.rules[0].requires: TST-PLACEMENTS requires: "
            "unknown name 'build_cost'"
        )
        and "build_cost_gbp" in m
        for m in found
    )
    assert any(
        "$.rules[1].applies_when" in m and "unknown function '__import__'" in m for m in found
    )
    assert any(
        "$.rules[3].requires" in m and "unknown name 'param.no_such_rate'" in m for m in found
    )
    assert any("$.rules[0].grading.partial" in m and "unknown function 'half'" in m for m in found)


def test_parameter_must_cover_rule_start(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][0].update(effective_from="2010-01-01"))
    assert "parameter 'placements_per_million' has no value on the rule's effective_from" in only(
        pack
    )


def test_counted_measures_and_units_exist(pack: Path) -> None:
    def break_it(d: Any) -> None:
        d["rules"][0]["counts"]["measures"] = ["work_placment"]
        d["rules"][1]["counts"]["units"] = ["starts", "years"]

    edit(pack, "rules.yaml", break_it)
    found = messages(pack)
    assert any("$.rules[0].counts.measures[0]: unknown measure 'work_placment'" in m for m in found)
    assert any(
        "$.rules[1].counts.units[1]: no counted measure has unit 'years'" in m for m in found
    )


def test_ambiguous_units_must_be_named(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][0]["counts"].pop("units"))
    assert "measure 'work_placement' accepts several units" in only(pack)


def test_unknown_keys_and_bad_yaml(pack: Path) -> None:
    edit(pack, "rules.yaml", lambda d: d["rules"][0].update(requirez="1"))
    assert "$.rules[0].requirez: Extra inputs are not permitted" in only(pack)
    (pack / "testshire" / "rules.yaml").write_text("rules: [\n")
    assert "not valid YAML at line" in only(pack)


def test_load_plans_refuses_faulty_packs_and_caches(pack: Path) -> None:
    first = load_plans(pack)
    assert load_plans(pack)["testshire"] is first["testshire"]
    edit(pack, "plan.yaml", lambda d: d.pop("name"))
    load_plans.cache_clear()  # type: ignore[attr-defined]
    with pytest.raises(PlansInvalid) as caught:
        load_plans(pack)
    assert [p.path for p in caught.value.problems] == ["testshire/plan.yaml $.name"]
    # read_plans still hands back the problems without raising.
    plans, problems = read_plans(pack)
    assert plans == {} and len(problems) == 1
