"""One unit vocabulary: the measures catalogue's dated conversions (`Measure.convert`), the
rule overrides that name where a policy counts differently, and the same factor for rules,
valuation and public figures when no override exists."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from planning_sv.core.errors import InputInvalid
from planning_sv.core.measures import ConversionError, Measure, load_measures
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.plans import check_plans
from planning_sv.core.public_figures import figure_amounts
from planning_sv.core.rules.engine import evaluate
from planning_sv.core.rules.expressions import compile_expression
from planning_sv.core.rules.model import ConvertOverride, Counts
from planning_sv.core.valuation import Valuer, ValueRow, ValueSet

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "local_plans"
ON = dt.date(2026, 1, 1)

# A made-up measure: 1 a = 2 b from 2020, 3 b from 2024; 1 b = 10 c; d unlinked.
DATED = """
measures:
  - code: x
    label: X
    theme: jobs
    units: {a: A, b: B, c: C, d: D}
    conversions:
      a:
        to: b
        values:
          - {from: 2020-01-01, factor: 2, confidence: verified,
             source: {title: First source, url: "https://example.org/one"}, note: two b an a}
          - {from: 2024-01-01, factor: 3, confidence: unverified,
             source: {title: Second source}, note: three b an a}
      b:
        to: c
        values:
          - {from: 2000-01-01, factor: 10, confidence: convention, source: {title: Ten}}
"""


def dated_measure(tmp_path: Path) -> Measure:
    path = tmp_path / "measures.yaml"
    path.write_text(DATED, encoding="utf-8")
    return load_measures(path)["x"]


# --- the conversion API -----------------------------------------------------------------


def test_the_value_in_force_on_the_date_is_used(tmp_path: Path) -> None:
    x = dated_measure(tmp_path)
    before = x.convert(5, "a", "b", on=dt.date(2023, 12, 31))
    assert (before.value, before.factor) == (10, 2)
    assert before.basis_text == (
        "1 a = 2 b (two b an a; source: First source <https://example.org/one>; "
        "from 2020-01-01, verified)"
    )
    after = x.convert(5, "a", "b", on=dt.date(2024, 1, 1))
    assert (after.value, after.factor) == (15, 3)
    assert after.summary == "1 a = 3 b (from 2024-01-01, unverified)"
    with pytest.raises(ConversionError) as caught:
        x.convert(5, "a", "b", on=dt.date(2019, 12, 31))
    assert str(caught.value) == (
        "the conversion a -> b of 'x' has no value on 2019-12-31 (its first value is from "
        "2020-01-01)"
    )


def test_inverse_and_chain(tmp_path: Path) -> None:
    x = dated_measure(tmp_path)
    on = dt.date(2024, 6, 1)
    back = x.convert(15, "b", "a", on=on)  # declared a -> b, read backwards: 15 / 3
    assert back.value == 5 and back.factor == pytest.approx(1 / 3)
    assert [(s.unit, s.to, s.inverse) for s in back.steps] == [("b", "a", True)]
    assert back.basis_text.startswith("1 a = 3 b (three b an a; source: Second source;")
    chained = x.convert(2, "a", "c", on=on)  # 2 a = 6 b = 60 c
    assert (chained.value, chained.factor) == (60, 30)
    assert [(s.unit, s.to) for s in chained.steps] == [("a", "b"), ("b", "c")]
    assert x.convert(60, "c", "a", on=on).value == pytest.approx(2)
    same = x.convert(7, "a", "a", on=on)
    assert (same.value, same.factor, same.steps) == (7, 1.0, ())


def test_unknown_unit_and_unlinked_units_are_clear_errors(tmp_path: Path) -> None:
    x = dated_measure(tmp_path)
    with pytest.raises(ConversionError) as unknown:
        x.convert(1, "a", "z", on=ON)
    assert str(unknown.value) == "measure 'x' has no unit 'z' (its units: a, b, c, d)"
    with pytest.raises(ConversionError) as unlinked:
        x.convert(1, "a", "d", on=ON)
    assert str(unlinked.value) == (
        "the measures catalogue has no conversion between a and d for 'x'"
    )
    assert x.can_convert("c", "a") and not x.can_convert("a", "d")


def test_catalogue_faults_are_reported_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "measures.yaml"
    path.write_text(
        "measures:\n"
        "  - code: x\n    label: X\n    theme: jobs\n    units: {a: A, b: B, c: C}\n"
        "    conversions:\n"
        "      a: {to: b, factor: 2}\n"  # the old, undated form
        "      b:\n        to: c\n        values:\n"
        "          - {from: 2024-01-01, factor: 0, confidence: sure, source: {url: 'ftp://x'}}\n"
        "      c:\n        to: b\n        values: []\n",
        encoding="utf-8",
    )
    with pytest.raises(InputInvalid) as caught:
        load_measures(path)
    found = [(p.path.split(": ", 1)[1], p.message) for p in caught.value.problems]
    assert found == [
        (
            "$.measures[0].conversions.a",
            "unknown key(s) factor: a conversion has `to` and dated `values` "
            "([{from, factor, source: {title, url}, confidence, note}])",
        ),
        ("$.measures[0].conversions.b.values[0].factor", "must be a positive number"),
        (
            "$.measures[0].conversions.b.values[0].confidence",
            "must be one of verified, unverified, convention",
        ),
        ("$.measures[0].conversions.b.values[0].source.title", "give the source's title"),
        ("$.measures[0].conversions.b.values[0].source.url", "not a web address: 'ftp://x'"),
        ("$.measures[0].conversions.c.values", "give at least one dated value"),
    ]


def test_two_directions_of_one_link_and_unordered_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "measures.yaml"
    value = "{from: %s, factor: 2, confidence: convention, source: {title: T}}"
    path.write_text(
        "measures:\n"
        "  - code: x\n    label: X\n    theme: jobs\n    units: {a: A, b: B}\n"
        "    conversions:\n"
        f"      a: {{to: b, values: [{value % '2024-01-01'}, {value % '2020-01-01'}]}}\n"
        "  - code: y\n    label: Y\n    theme: jobs\n    units: {a: A, b: B}\n"
        "    conversions:\n"
        f"      a: {{to: b, values: [{value % '2020-01-01'}]}}\n"
        f"      b: {{to: a, values: [{value % '2020-01-01'}]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputInvalid) as caught:
        load_measures(path)
    found = [(p.path.split(": ", 1)[1], p.message) for p in caught.value.problems]
    assert found == [
        (
            "$.measures[0].conversions.a.values",
            "values must be in date order, oldest first, one per date",
        ),
        ("$.measures[1].conversions.b", "b and a are already linked the other way"),
    ]


def test_shipped_catalogue_is_dated_and_sourced() -> None:
    apprenticeship = load_measures()["apprenticeship"]
    july = apprenticeship.convert(104, "weeks", "starts", on=dt.date(2025, 7, 31))
    august = apprenticeship.convert(104, "weeks", "starts", on=dt.date(2025, 8, 1))
    assert july.value == august.value == 2
    assert july.steps[0].value.confidence == "unverified"
    assert august.steps[0].value.source.url == (
        "https://www.legislation.gov.uk/uksi/2025/599/contents/made"
    )
    for measure in load_measures().values():
        for conversion in measure.conversions.values():
            for value in conversion.values:
                assert value.source.title and value.note, (measure.code, conversion.unit)


# --- rules: catalogue by default, named overrides ---------------------------------------


def _local(ids: list[str]) -> dict[str, Placement]:
    ward = (WardShare("E05000001", "Testward", 1.0),)
    return {
        cid: Placement(method="ward", vintage="2025", wards=ward, local=True, local_reason="in")
        for cid in ids
    }


def test_override_is_named_in_the_explanation(testshire, make_statement) -> None:
    base = testshire.rule("TST-PLACEMENTS")
    counts = replace(
        base.counts,
        units=("placements", "weeks"),
        overrides={
            "weeks": ConvertOverride(
                per=compile_expression("26"),
                rounding="floor",
                reason="Testshire counts whole placements of 26 weeks",
            )
        },
    )
    plan = replace(testshire, rules=(replace(base, counts=counts),))
    statement = make_statement(
        [{"measure": "work_placement", "quantity": 52, "unit": "weeks", "phase": "construction"}],
        dwellings=10,
        build_cost_gbp=2_000_000,
    )
    [result] = evaluate(plan, statement, _local(["c1"]), ON)
    assert (result.proposed, result.required, result.status) == (2, 2, "pass")
    note = (
        "52 weeks counted as 2 placements of 26 weeks each, rounded down, by this rule's "
        "override: Testshire counts whole placements of 26 weeks; the measures catalogue would "
        "count 26 placements: 1 placement = 2 weeks (from 2000-01-01, convention)"
    )
    assert result.counted[0].note == note
    assert f"(c1: 2 placements, {note})" in result.explanation


def test_islington_override_and_pack_loads_it(make_statement) -> None:
    from planning_sv.core.plans import load_plans

    plan = load_plans()["islington"]
    rule = plan.rule("ISL-S106-CONSTRUCTION-PLACEMENTS")
    assert rule is not None and rule.counts.overrides["weeks"].rounding == "floor"
    assert rule.counts.overrides["weeks"].per.text == "param.placement_min_weeks"
    statement = make_statement(
        [{"measure": "work_placement", "quantity": 52, "unit": "weeks", "phase": "construction"}],
        dwellings=10,
        build_cost_gbp=4_000_000,
    )
    found = {r.id: r for r in evaluate(plan, statement, _local(["c1"]), ON)}
    result = found["ISL-S106-CONSTRUCTION-PLACEMENTS"]
    # 52 // 26 = 2 of floor(4) * 1 = 4 placements: partial at half.
    assert (result.proposed, result.required, result.status) == (2, 4, "partial")
    assert "52 weeks counted as 2 placements of 26 weeks each, rounded down" in result.explanation
    assert "the measures catalogue would count 26 placements" in result.explanation
    assert "placement_min_weeks" in [p["name"] for p in result.parameters]


def pack_copy(tmp_path: Path) -> Path:
    root = tmp_path / "local_plans"
    shutil.copytree(FIXTURE_ROOT, root)
    return root


def edit_rules(root: Path, change: Any) -> None:
    path = root / "testshire" / "rules.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["rules"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def messages(root: Path) -> list[str]:
    return [str(p) for p in check_plans(root)]


def test_plans_check_refuses_old_convert_and_unconvertible_units(tmp_path: Path) -> None:
    root = pack_copy(tmp_path)

    def change(rules: list[dict[str, Any]]) -> None:
        rules[0]["counts"]["convert"] = {"weeks": "floor(quantity / 26)"}
        rules[5]["counts"]["units"] = ["fte_years", "people"]  # TST-LONG-BUILD, in FTE-years

    edit_rules(root, change)
    found = messages(root)
    assert len(found) == 2, found
    assert found[0].startswith(
        "testshire/rules.yaml $.rules[0].counts.convert: `convert` expressions are replaced by "
        "the measures catalogue"
    )
    assert found[1] == (
        "testshire/rules.yaml $.rules[5].counts.units: TST-LONG-BUILD counts local_employment "
        "in people, but the measures catalogue has no conversion from people to fte_years: add "
        "one to measures.yaml, name a convert_override, or leave the unit out of `units`"
    )


def test_plans_check_overrides(tmp_path: Path) -> None:
    root = pack_copy(tmp_path)

    def change(rules: list[dict[str, Any]]) -> None:
        rules[0]["counts"]["convert_override"] = {
            "weeks": {"per": "param.placement_weeks", "rounding": "floor", "reason": "26 weeks"}
        }
        rules[4]["counts"]["convert_override"] = {
            "placements": {"per": "2", "reason": "already the unit"}
        }

    edit_rules(root, change)
    found = messages(root)
    assert len(found) == 3, found
    assert found[0] == (
        "testshire/rules.yaml $.rules[0].counts.convert_override.weeks: "
        "'weeks' is not one of the counted units (units)"
    )
    assert found[1].startswith(
        "testshire/rules.yaml $.rules[0].counts.convert_override.weeks.per: TST-PLACEMENTS "
        "counts.convert_override.weeks.per: unknown name 'param.placement_weeks'"
    )
    assert found[2] == (
        "testshire/rules.yaml $.rules[4].counts.convert_override.placements: "
        "'placements' is already the rule's unit: nothing to convert"
    )


def test_plans_check_each_commitment_goes_with_the_commitments_unit(tmp_path: Path) -> None:
    root = pack_copy(tmp_path)

    def change(rules: list[dict[str, Any]]) -> None:
        rules[2]["counts"].pop("each")  # TST-ESP, in commitments
        rules[3]["counts"]["each"] = "commitment"  # TST-CONTRIBUTION, in gbp

    edit_rules(root, change)
    assert messages(root) == [
        "testshire/rules.yaml $.rules[2].counts.each: a rule in 'commitments' must count them "
        "with `each: commitment` (quantities would otherwise be added up as if each were a "
        "commitment)",
        "testshire/rules.yaml $.rules[3].counts.each: `each: commitment` counts commitments: "
        "the rule's unit must be 'commitments', not 'gbp'",
    ]


def test_plans_check_catalogue_value_must_cover_the_rule_start(tmp_path: Path) -> None:
    root = pack_copy(tmp_path)
    catalogue = yaml.safe_load(
        (Path(__file__).parents[3] / "local_plans" / "measures.yaml").read_text()
    )
    for measure in catalogue["measures"]:
        if measure["code"] == "apprenticeship":
            measure["conversions"]["starts"]["values"][0]["from"] = dt.date(2017, 1, 1)
    (root / "measures.yaml").write_text(yaml.safe_dump(catalogue, sort_keys=False))
    assert messages(root) == [
        "testshire/rules.yaml $.rules[1].counts.units: TST-APPRENTICESHIPS: the conversion "
        "starts -> weeks of 'apprenticeship' has no value on 2016-12-01 (its first value is "
        "from 2017-01-01)"
    ]


def test_each_commitment_counts_one_per_commitment(testshire, make_statement) -> None:
    esp = testshire.rule("TST-ESP")
    counts = Counts(measures=("training", "qualitative_commitment"), each="commitment")
    plan = replace(testshire, rules=(replace(esp, counts=counts),))
    statement = make_statement(
        [
            {"measure": "training", "quantity": 40, "unit": "weeks"},
            {"measure": "training", "quantity": 0, "unit": "hours"},
            {"measure": "qualitative_commitment", "quantity": 0, "unit": "text"},
        ],
        dwellings=10,
    )
    [result] = evaluate(plan, statement, {}, ON)
    assert [(c.id, c.counted) for c in result.counted] == [("c1", 1), ("c2", 0), ("c3", 1)]
    assert result.proposed == 2 and result.status == "needs_evidence"
    assert result.counted[1].note == "quantity 0: nothing committed"


# --- one concept, one place -------------------------------------------------------------


def _value_set(measure: str, unit: str) -> ValueSet:
    row = ValueRow(
        measure=measure,
        unit=unit,
        gbp_per_unit=1.0,
        price_year=2024,
        value_type="economic",
        source="tests",
        url="",
        licence="test licence",
        method="",
        confidence="unverified",
    )
    return ValueSet(name="unit test", version=1, licence="test", owner="tests", rows=(row,))


CATALOGUE_PAIRS = [
    (code, unit, conversion.to)
    for code, measure in load_measures().items()
    for unit, conversion in measure.conversions.items()
]


@pytest.mark.parametrize(("code", "unit", "to"), CATALOGUE_PAIRS)
@pytest.mark.parametrize("backwards", [False, True])
def test_rules_and_valuation_use_the_catalogue_factor(
    testshire, make_statement, code: str, unit: str, to: str, backwards: bool
) -> None:
    """Without an override, a rule counting in one unit and a value set priced in it see the
    same amount as the catalogue gives, for every declared conversion, either way."""
    if backwards:
        unit, to = to, unit
    measures = load_measures()
    quantity = 260.0
    expected = measures[code].convert(quantity, unit, to, on=ON).value
    # The rule: counts the measure in `to`, the commitment is given in `unit`.
    base = testshire.rule("TST-CONTRIBUTION")
    rule = replace(base, unit=to, counts=Counts(measures=(code,), units=(unit, to)))
    statement = make_statement(
        [{"measure": code, "quantity": quantity, "unit": unit}], floorspace_sqm={"office": 10}
    )
    [result] = evaluate(replace(testshire, rules=(rule,)), statement, {}, ON)
    assert result.counted[0].counted == pytest.approx(expected)
    # Valuation: a value set with a row only in `to`, at £1 a unit.
    valued = Valuer(measures=measures).value_statement(
        statement,
        StatementPlacement(site=_local(["site"])["site"], commitments=_local(["c1"])),
        None,
        value_set=_value_set(code, to),
        on=ON,
    )
    [line] = valued.commitments
    assert line.valued_unit == to
    assert line.valued_quantity == pytest.approx(expected)
    assert line.gbp == pytest.approx(expected)


@pytest.mark.parametrize(
    ("code", "unit", "figure", "to", "expected"),
    [
        ("apprenticeship", "weeks", "apprenticeships", "starts", 5.0),  # 260 / 52
        ("affordable_workspace", "sqm_years", "workspace_sqm", "sqm", 13.0),  # 260 / 20
    ],
)
def test_public_figures_use_the_same_factor_as_rules(
    testshire, make_statement, code: str, unit: str, figure: str, to: str, expected: float
) -> None:
    measures = load_measures()
    amounts = figure_amounts(measures[code], code, 260.0, unit, ON)
    assert amounts == {figure: pytest.approx(expected)}
    base = testshire.rule("TST-CONTRIBUTION")
    rule = replace(base, unit=to, counts=Counts(measures=(code,), units=(unit, to)))
    statement = make_statement(
        [{"measure": code, "quantity": 260, "unit": unit}], floorspace_sqm={"office": 10}
    )
    [result] = evaluate(replace(testshire, rules=(rule,)), statement, {}, ON)
    assert result.counted[0].counted == pytest.approx(expected)
