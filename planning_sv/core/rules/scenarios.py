"""Scenario tests for rule packs (`local_plans/<council>/tests/*.yaml`).

Council staff write worked examples from their policy ("10 homes at £5.2m need 5
placements") and `planning-sv plans test` checks the engine agrees. Scenarios skip the geo
step: each commitment says whether it is local (default true).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planning_sv.core.errors import InputInvalid
from planning_sv.core.figures import same_figure
from planning_sv.core.placement import Placement
from planning_sv.core.plans import CouncilPlan
from planning_sv.core.rules.engine import RuleResult, evaluate
from planning_sv.core.rules.expressions import ExpressionError
from planning_sv.core.statement import parse_statement

COMPARED = ("status", "required", "proposed", "shortfall")
# `cites`: words the citation of the policy document applied must contain (the regime).
CHECKABLE = (*COMPARED, "cites")
_SCENARIO_KEYS = {
    "name",
    "on",
    "validated",
    "site",
    "development",
    "commitments",
    "expect",
    "notes",
}


@dataclass
class ScenarioOutcome:
    council: str
    file: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def run_scenario(plan: CouncilPlan, scenario: Any, *, file: str = "") -> ScenarioOutcome:
    """Run one scenario mapping against `plan` and compare with its `expect`."""
    name = str(scenario.get("name", "(unnamed)")) if isinstance(scenario, dict) else "(unnamed)"
    outcome = ScenarioOutcome(plan.code, file, name)
    if not isinstance(scenario, dict):
        outcome.failures.append("a scenario must be a mapping")
        return outcome
    if True in scenario and "on" not in scenario:
        # YAML 1.1 reads a bare `on:` key as the boolean true.
        scenario = {("on" if key is True else key): value for key, value in scenario.items()}
    unknown = {str(key) for key in scenario} - _SCENARIO_KEYS
    if unknown:
        outcome.failures.append(f"unknown keys: {', '.join(sorted(unknown))}")
    on = scenario.get("on")
    if isinstance(on, str):
        with contextlib.suppress(ValueError):
            on = dt.date.fromisoformat(on)
    if not isinstance(on, dt.date):
        outcome.failures.append("`on` must be a date, e.g. 2026-01-01")
        return outcome
    expect = scenario.get("expect")
    if not isinstance(expect, dict) or not expect:
        outcome.failures.append("`expect` must map rule ids to expected results")
        return outcome

    commitments = []
    local: dict[str, bool] = {}
    # `district: <LAD code>`: the commitment lies outside the council, in that district.
    districts: dict[str, str] = {}
    for index, raw in enumerate(scenario.get("commitments") or []):
        if not isinstance(raw, dict):
            outcome.failures.append(f"commitments[{index}] must be a mapping")
            return outcome
        item = dict(raw)
        item.setdefault("id", f"c{index + 1}")
        item.setdefault("where", {"borough": True})
        district = item.pop("district", None)
        if district is not None:
            districts[str(item["id"])] = str(district)
        local[str(item["id"])] = bool(item.pop("local", district is None))
        commitments.append(item)
    data: dict[str, Any] = {
        "council": plan.code,
        # The engine reads only the site's designation; any valid location satisfies the rest.
        "site": {"point": [0.0, 0.0], **(scenario.get("site") or {})},
        "development": scenario.get("development") or {},
        "commitments": commitments,
    }
    if scenario.get("validated") is not None:
        data["validation_date"] = scenario["validated"]
    try:
        statement = parse_statement(data, councils={plan.code: plan})
        placements = {
            cid: Placement(
                method="scenario",
                vintage=plan.boundary_vintage,
                wards=(),
                local=is_local,
                local_reason="local" if is_local else "given as not local in the scenario",
                inside_council=cid not in districts,
                district=districts.get(cid),
            )
            for cid, is_local in local.items()
        }
        # The regime is chosen by the validation date when the scenario gives one.
        on = statement.validation_date or on
        results = {r.id: r for r in evaluate(plan, statement, placements, on)}
    except InputInvalid as exc:
        outcome.failures.extend(f"statement {p}" for p in exc.problems)
        return outcome
    except ExpressionError as exc:
        outcome.failures.append(str(exc))
        return outcome

    for rule_id, wanted in expect.items():
        outcome.failures.extend(_compare(plan, str(rule_id), wanted, results.get(str(rule_id)), on))
    return outcome


def _compare(
    plan: CouncilPlan, rule_id: str, wanted: Any, result: RuleResult | None, on: dt.date
) -> list[str]:
    if result is None:
        if plan.rule(rule_id) is None:
            return [f"{rule_id}: no such rule in {plan.code}"]
        return [f"{rule_id}: not in force on {on.isoformat()}"]
    if isinstance(wanted, str):
        wanted = {"status": wanted}
    if not isinstance(wanted, dict):
        return [f"{rule_id}: expectation must be a mapping like {{status: pass}}"]
    failures = []
    for key, expected in wanted.items():
        if key not in CHECKABLE:
            failures.append(f"{rule_id}: cannot check '{key}' (checkable: {', '.join(CHECKABLE)})")
            continue
        if key == "cites":
            document = str(result.citation.get("document", ""))
            if str(expected) not in document:
                failures.append(f"{rule_id}.cites: expected {expected!r} in {document!r}")
            continue
        actual = getattr(result, key)
        if not same_figure(expected, actual):
            failures.append(
                f"{rule_id}.{key}: expected {_show(expected)}, got {_show(actual)}"
                f" — {result.explanation}"
            )
    return failures


def scenario_files(plan: CouncilPlan) -> list[Path]:
    if plan.folder is None or not (plan.folder / "tests").is_dir():
        return []
    folder = plan.folder / "tests"
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def run_scenarios(plans: Iterable[CouncilPlan]) -> list[ScenarioOutcome]:
    """Run every scenario file of every plan, in order."""
    outcomes: list[ScenarioOutcome] = []
    for plan in plans:
        for path in scenario_files(plan):
            label = f"{plan.code}/tests/{path.name}"
            try:
                with open(path, encoding="utf-8") as handle:
                    data = yaml.safe_load(handle)
            except (OSError, yaml.YAMLError) as exc:
                outcomes.append(ScenarioOutcome(plan.code, label, "(file)", [f"unreadable: {exc}"]))
                continue
            scenarios = data.get("scenarios") if isinstance(data, dict) else None
            if not isinstance(scenarios, list):
                outcomes.append(
                    ScenarioOutcome(plan.code, label, "(file)", ["needs a `scenarios:` list"])
                )
                continue
            outcomes.extend(run_scenario(plan, item, file=label) for item in scenarios)
    return outcomes
