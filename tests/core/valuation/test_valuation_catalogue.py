"""The measures catalogue's valuation attributes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from valuation_helpers import load_example

from planning_sv.core.errors import InputInvalid
from planning_sv.core.measures import load_measures

DISADVANTAGED = (
    "employment_long_term_unemployed",
    "employment_neet",
    "employment_care_leaver",
    "employment_ex_offender",
    "employment_disability",
)


def test_catalogue_covers_the_examples_and_common_measures() -> None:
    measures = load_measures()
    for name in ("islington_mixed_use.json", "salford_residential.json"):
        for c in load_example(name).commitments:
            assert c.measure in measures and c.unit in measures[c.measure].units
    for code in (
        "local_employment",
        "apprenticeship",
        "work_placement",
        "training",
        "local_supply_chain_spend",
        "local_sme_spend",
        "affordable_workspace",
        "employment_training_contribution",
        "volunteering",
        "community_use",
        "carbon_saved",
        *DISADVANTAGED,
    ):
        assert code in measures


def test_valuation_attributes() -> None:
    m = load_measures()
    assert m["local_employment"].local_economic and m["local_supply_chain_spend"].local_economic
    assert not m["volunteering"].local_economic
    assert m["local_workforce_share"].valuation == "record_only"
    assert m["qualitative_commitment"].valuation == "record_only"
    assert m["apprenticeship"].conversions["starts"].to == "weeks"
    assert [v.factor for v in m["apprenticeship"].conversions["starts"].values] == [52, 52]
    assert [v.factor for v in m["work_placement"].conversions["placements"].values] == [2]
    for code in DISADVANTAGED:
        rule = m[code].stacking
        assert rule is not None and rule.kind == "additional"
        assert rule.group == "disadvantaged_employment"
        assert rule.stacks_on == ("local_employment",) and rule.first_year_only
    assert m["local_sme_spend"].stacking.kind == "subset"
    refs = m["local_employment"].external_refs
    assert [(r.framework, r.code) for r in refs] == [("National TOMs", "NT1")]
    # Cross-references only: the catalogue carries no £ figures at all.
    text = (Path(__file__).resolve().parents[3] / "local_plans" / "measures.yaml").read_text()
    assert "gbp_per_unit" not in text
    assert m["local_employment"].as_dict()["external_refs"][0]["code"] == "NT1"


def test_measures_appended_without_attributes_get_defaults(tmp_path: Path) -> None:
    path = tmp_path / "measures.yaml"
    path.write_text(
        "measures:\n"
        "  - {code: end_use_jobs, label: End-use jobs, theme: jobs, units: {fte_years: FTE-years}}\n",
        encoding="utf-8",
    )
    m = load_measures(path)["end_use_jobs"]
    assert m.valued and not m.local_economic and m.stacking is None and m.conversions == {}
    assert m.units == {"fte_years": "FTE-years"}


def test_bad_valuation_attributes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "measures.yaml"
    path.write_text(
        "measures:\n"
        "  - code: x\n    label: X\n    theme: jobs\n    units: {a: A}\n"
        "    valuation: sometimes\n"
        "    conversions: {a: {to: b, factor: 2}}\n"
        "    stacking: {kind: additional, stacks_on: [ghost]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputInvalid) as info:
        load_measures(path)
    paths = [p.path.split(": ", 1)[1] for p in info.value.problems]
    assert paths == [
        "$.measures[0].valuation",
        "$.measures[0].conversions.a",
        "$.measures[0].stacking.stacks_on",
    ]


def test_every_measure_a_rule_pack_counts_has_valuation_attributes() -> None:
    """Rule-pack authors may append measures; each needs explicit valuation attributes."""
    root = Path(__file__).resolve().parents[3] / "local_plans"
    catalogue = {
        row["code"]: row for row in yaml.safe_load((root / "measures.yaml").read_text())["measures"]
    }
    counted: set[str] = set()
    for rules_file in root.glob("*/rules.yaml"):
        for rule in yaml.safe_load(rules_file.read_text()).get("rules") or []:
            counted.update((rule.get("counts") or {}).get("measures") or [])
    assert counted, "no rule packs found"
    for code in sorted(counted):
        assert code in catalogue, code
        assert "valuation" in catalogue[code], f"{code} has no valuation attribute"
        assert "local_economic" in catalogue[code], f"{code} has no local_economic attribute"
