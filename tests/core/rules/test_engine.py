"""The rule engine against the Testshire fixture pack."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from planning_sv.core.errors import InputInvalid
from planning_sv.core.rules.engine import RuleEvaluationError, evaluate
from planning_sv.core.rules.expressions import compile_expression

ON = dt.date(2026, 1, 1)


def results(plan, statement, placements=None, on=ON):
    return {r.id: r for r in evaluate(plan, statement, placements or {}, on)}


def test_pass_at_exact_requirement_with_explanation(testshire, make_statement, placed) -> None:
    statement = make_statement(
        [
            {
                "measure": "work_placement",
                "quantity": 45,
                "unit": "placements",
                "phase": "construction",
            }
        ],
        dwellings=120,
        build_cost_gbp=45_000_000,
        construction_months=30,
    )
    result = results(testshire, statement, {"c1": placed()})["TST-PLACEMENTS"]
    assert (result.status, result.required, result.proposed, result.shortfall) == (
        "pass",
        45,
        45,
        0,
    )
    assert "floor(45000000 / 1000000) * 1 = 45 placements" in result.explanation
    assert "param placements_per_million = 1 placements per £1m (from 2016-12-01, verified)" in (
        result.explanation
    )
    assert "c1: 45 placements" in result.explanation
    assert result.inputs == {"build_cost_gbp": 45_000_000, "dwellings": 120, "floorspace_total": 0}
    assert result.parameters[0]["name"] == "placements_per_million"
    assert result.citation["paragraph"] == "3.4"
    assert [c.id for c in result.counted] == ["c1"]


def test_partial_and_fail_around_half(testshire, make_statement, placed) -> None:
    def status(quantity: float) -> str:
        statement = make_statement(
            [{"measure": "work_placement", "quantity": quantity, "unit": "placements"}],
            dwellings=10,
            build_cost_gbp=10_000_000,
        )
        return results(testshire, statement, {"c1": placed()})["TST-PLACEMENTS"].status

    assert status(10) == "pass"
    assert status(9) == "partial"
    assert status(5) == "partial"  # exactly 50% is partial
    assert status(4.99) == "fail"


def test_applies_when_threshold_boundary(testshire, make_statement) -> None:
    at = results(testshire, make_statement(dwellings=10))["TST-PLACEMENTS"]
    below = results(testshire, make_statement(dwellings=9))["TST-PLACEMENTS"]
    assert at.status == "fail" and at.required == 5
    assert below.status == "not_applicable"
    assert below.required is None and below.shortfall is None
    assert "Does not apply" in below.explanation and "9 >= 10" in below.explanation
    by_floorspace = make_statement(dwellings=0, floorspace_sqm={"office": 1000})
    assert results(testshire, by_floorspace)["TST-PLACEMENTS"].status == "fail"


def test_local_only_excludes_non_local_and_unplaced(testshire, make_statement, placed) -> None:
    statement = make_statement(
        [
            {"measure": "work_placement", "quantity": 3, "unit": "placements"},
            {"measure": "work_placement", "quantity": 4, "unit": "placements"},
            {"measure": "work_placement", "quantity": 5, "unit": "placements"},
        ],
        dwellings=10,
    )
    result = results(
        testshire, statement, {"c1": placed(), "c2": placed(False, "outside Testshire")}
    )["TST-PLACEMENTS"]
    assert result.proposed == 3
    assert [c.id for c in result.counted] == ["c1"]
    reasons = {e.id: e.reason for e in result.excluded}
    assert reasons == {"c2": "not local: outside Testshire", "c3": "not local: location not placed"}
    assert "c2 (not local: outside Testshire)" in result.explanation


def test_phase_and_unit_filtering(testshire, make_statement, placed) -> None:
    statement = make_statement(
        [
            {"measure": "work_placement", "quantity": 2, "unit": "placements", "phase": "end_use"},
            {"measure": "work_placement", "quantity": 20, "unit": "weeks", "phase": "construction"},
            {"measure": "work_placement", "quantity": 1, "unit": "placements"},
        ],
        dwellings=10,
    )
    placements = {cid: placed() for cid in ("c1", "c2", "c3")}
    result = results(testshire, statement, placements)["TST-PLACEMENTS"]
    assert result.proposed == 1
    reasons = {e.id: e.reason for e in result.excluded}
    assert reasons["c1"] == "wrong phase: end_use (counts construction)"
    assert reasons["c2"] == "other unit: weeks (counts placements)"
    assert "phase not stated, taken as construction" in result.counted[0].note


def test_unit_conversion(testshire, make_statement) -> None:
    statement = make_statement(
        [
            {"measure": "apprenticeship", "quantity": 1, "unit": "starts"},
            {"measure": "apprenticeship", "quantity": 104, "unit": "weeks"},
        ],
        build_cost_gbp=9_000_000,
    )
    result = results(testshire, statement)["TST-APPRENTICESHIPS"]
    assert result.required == 3
    assert result.proposed == 3
    assert result.status == "pass"
    assert result.counted[1].counted == 2
    # The catalogue's value in force on the assessment date (ON is after 1 August 2025).
    assert result.counted[1].note == (
        "104 weeks converted to 2 starts by the measures catalogue: "
        "1 start = 52 weeks (from 2025-08-01, convention)"
    )
    earlier = results(testshire, statement, on=dt.date(2025, 7, 31))["TST-APPRENTICESHIPS"]
    assert earlier.counted[1].note.endswith("1 start = 52 weeks (from 2000-01-01, unverified)")


def test_needs_evidence(testshire, make_statement) -> None:
    none = results(testshire, make_statement(dwellings=10))["TST-ESP"]
    assert none.status == "fail"
    some = make_statement([{"measure": "training", "quantity": 10, "unit": "weeks"}], dwellings=10)
    result = results(testshire, some)["TST-ESP"]
    assert result.status == "needs_evidence"
    assert result.evidence == "Employment and Skills Plan"
    assert "Needs evidence: Employment and Skills Plan" in result.explanation


def test_evidence_with_quantity_grades_quantity_first(testshire, make_statement) -> None:
    esp = testshire.rule("TST-ESP")
    rule = replace(
        esp, requires=compile_expression("4"), unit="weeks", counts=replace(esp.counts, each=None)
    )
    plan = replace(testshire, rules=(rule,))
    short = make_statement([{"measure": "training", "quantity": 2, "unit": "weeks"}], dwellings=10)
    enough = make_statement([{"measure": "training", "quantity": 4, "unit": "weeks"}], dwellings=10)
    assert results(plan, short)["TST-ESP"].status == "fail"
    assert results(plan, enough)["TST-ESP"].status == "needs_evidence"


def test_money_rule_and_required_zero(testshire, make_statement) -> None:
    statement = make_statement(
        [{"measure": "employment_training_contribution", "quantity": 50_000, "unit": "gbp"}],
        floorspace_sqm={"office": 8000, "retail": 400, "residential": 9500},
    )
    result = results(testshire, statement)["TST-CONTRIBUTION"]
    assert result.required == 84_000 and result.shortfall == 34_000
    assert "£50,000 of £84,000: fail" in result.explanation
    residential = results(testshire, make_statement(floorspace_sqm={"residential": 100}))
    assert residential["TST-CONTRIBUTION"].status == "not_applicable"


def test_rules_not_in_force_are_not_run(testshire, make_statement) -> None:
    statement = make_statement(dwellings=10)
    assert "TST-OLD-RULE" not in results(testshire, statement)
    assert "TST-OLD-RULE" in results(testshire, statement, on=dt.date(2019, 1, 1))
    assert "TST-PLACEMENTS" not in results(testshire, statement, on=dt.date(2015, 1, 1))


def test_missing_development_fact_is_input_problem(testshire, make_statement) -> None:
    with pytest.raises(InputInvalid) as caught:
        evaluate(testshire, make_statement(dwellings=150), {}, ON)
    [problem] = caught.value.problems
    assert problem.path == "$.development.construction_months"
    assert "TST-LONG-BUILD" in problem.message
    # Not needed when the rule does not apply.
    assert "TST-LONG-BUILD" in results(testshire, make_statement(dwellings=50))


def test_runtime_pack_fault_names_rule_and_field(testshire, make_statement) -> None:
    rule = replace(testshire.rule("TST-PLACEMENTS"), requires=compile_expression("10 / dwellings"))
    plan = replace(testshire, rules=(rule,))
    with pytest.raises(RuleEvaluationError) as caught:
        evaluate(plan, make_statement(dwellings=0, floorspace_sqm={"office": 2000}), {}, ON)
    assert str(caught.value).startswith("TST-PLACEMENTS.requires: division by zero")


def test_negative_requirement_is_nothing(testshire, make_statement) -> None:
    rule = replace(
        testshire.rule("TST-PLACEMENTS"), requires=compile_expression("net_floorspace.office / 100")
    )
    plan = replace(testshire, rules=(rule,))
    statement = make_statement(
        dwellings=10, floorspace_sqm={"office": 100}, existing_floorspace_sqm={"office": 600}
    )
    result = results(plan, statement)["TST-PLACEMENTS"]
    assert result.required == 0 and result.status == "pass"
    assert "negative, so nothing" in result.explanation


def test_to_dict_is_plain_data(testshire, make_statement, placed) -> None:
    import json

    statement = make_statement(
        [{"measure": "work_placement", "quantity": 1, "unit": "placements"}], dwellings=10
    )
    data = results(testshire, statement, {"c1": placed()})["TST-PLACEMENTS"].to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["counted"][0]["id"] == "c1"
    assert set(data) >= {
        "id",
        "title",
        "citation",
        "status",
        "required",
        "proposed",
        "shortfall",
        "unit",
        "explanation",
        "inputs",
        "parameters",
        "excluded",
    }


def test_lapsed_parameter_is_pack_fault(testshire, make_statement) -> None:
    from planning_sv.core.rules.parameters import ParameterValue

    rate = testshire.parameters["placements_per_million"]
    lapsed = replace(rate, values=(*rate.values, ParameterValue(dt.date(2027, 1, 1), None)))
    plan = replace(testshire, parameters={**testshire.parameters, rate.name: lapsed})
    with pytest.raises(RuleEvaluationError) as caught:
        evaluate(plan, make_statement(dwellings=10), {}, dt.date(2027, 6, 1))
    assert "TST-PLACEMENTS.requires: parameter 'placements_per_million' has no value" in str(
        caught.value
    )


def test_small_rates_are_shown_not_rounded_away() -> None:
    from planning_sv.core.figures import format_number

    assert format_number(0.001) == "0.001"
    assert format_number(45_000_000.0) == "45,000,000"
    assert format_number(2.5, "fte_years") == "2.5 fte years"
    assert format_number(1200, "gbp") == "£1,200"


def test_one_of_a_plural_unit_reads_singular() -> None:
    from planning_sv.core.figures import format_number, plural

    assert format_number(1, "commitments") == "1 commitment"
    assert format_number(1.0, "fte_years") == "1 fte year"
    assert format_number(2, "commitments") == "2 commitments"
    assert format_number(1, "sqm") == "1 sqm"
    assert format_number(None, "placements") == "—"
    assert plural(1, "council") == "1 council" and plural(3, "council") == "3 councils"
