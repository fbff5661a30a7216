"""Dated parameters: the value in force on a date, lapses, and provenance."""

from __future__ import annotations

import datetime as dt

from planning_sv.core.rules.parameters import Parameter, ParameterValue, parameters_on


def _parameter() -> Parameter:
    return Parameter(
        name="rate",
        description="placements per £1m",
        unit="per £1m",
        reference={"document": "SPD", "policy": "3", "paragraph": "3.4", "url": "https://x"},
        confidence="verified",
        values=(
            ParameterValue(dt.date(2016, 12, 1), 1),
            ParameterValue(dt.date(2026, 6, 1), 2),
            ParameterValue(dt.date(2030, 1, 1), None),
        ),
    )


def test_value_on_picks_latest_start_not_after_date() -> None:
    rate = _parameter()
    assert rate.value_on(dt.date(2016, 11, 30)) is None
    assert rate.value_on(dt.date(2016, 12, 1)).value == 1  # type: ignore[union-attr]
    assert rate.value_on(dt.date(2026, 5, 31)).value == 1  # type: ignore[union-attr]
    assert rate.value_on(dt.date(2026, 6, 1)).value == 2  # type: ignore[union-attr]
    # A null value lapses the parameter.
    assert rate.value_on(dt.date(2031, 1, 1)) is None


def test_parameters_on_gives_env_names_and_provenance() -> None:
    env, used = parameters_on({"rate": _parameter()}, dt.date(2026, 7, 1))
    assert env == {"param.rate": 2}
    record = used["rate"].as_dict()
    assert record["value"] == 2
    assert record["from"] == "2026-06-01"
    assert record["confidence"] == "verified"
    assert record["reference"]["paragraph"] == "3.4"
    env, used = parameters_on({"rate": _parameter()}, dt.date(2031, 1, 1))
    assert env == {} and used == {}


def test_fixture_pack_parameter_changes_requirement_by_date(testshire, make_statement) -> None:
    from planning_sv.core.rules.engine import evaluate

    statement = make_statement(dwellings=10, build_cost_gbp=5_200_000)
    before = {r.id: r for r in evaluate(testshire, statement, {}, dt.date(2026, 1, 1))}
    after = {r.id: r for r in evaluate(testshire, statement, {}, dt.date(2026, 6, 1))}
    assert before["TST-PLACEMENTS"].required == 5
    assert after["TST-PLACEMENTS"].required == 10
    assert after["TST-PLACEMENTS"].parameters[0]["from"] == "2026-06-01"
