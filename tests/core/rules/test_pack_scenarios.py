"""Every scenario of every shipped rule pack, each as its own test item.

A failing scenario then names its council, file and case in the test report, and one
failure does not hide the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.plans import load_plans
from planning_sv.core.rules.scenarios import run_scenario


def _shipped_scenarios() -> list[Any]:
    cases = []
    for path in sorted(LOCAL_PLANS_DIR.glob("*/tests/*.yaml")):
        council = path.parent.parent.name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, scenario in enumerate(data["scenarios"]):
            label = f"{council}/{path.name}[{index}] {scenario.get('name', '')}"
            cases.append(pytest.param(council, path, scenario, id=label))
    return cases


SCENARIOS = _shipped_scenarios()


def test_the_packs_ship_scenarios_for_every_council() -> None:
    councils = {case.values[0] for case in SCENARIOS}
    assert {"islington", "salford"} <= councils
    assert len(SCENARIOS) >= 90  # the scenarios shipped when this was written


@pytest.mark.parametrize(("council", "path", "scenario"), SCENARIOS)
def test_scenario(council: str, path: Path, scenario: dict[str, Any]) -> None:
    plan = load_plans(LOCAL_PLANS_DIR)[council]
    outcome = run_scenario(plan, scenario, file=path.name)
    assert outcome.failures == []
