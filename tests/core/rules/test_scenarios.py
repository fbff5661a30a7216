"""Scenario runner: expectations compared field by field, faults reported not raised."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.plans import check_plans, read_plans
from planning_sv.core.rules.scenarios import run_scenario, run_scenarios

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "local_plans"


def test_fixture_scenarios_pass(testshire) -> None:
    outcomes = run_scenarios([testshire])
    assert len(outcomes) == 3
    assert all(o.passed for o in outcomes), [o.failures for o in outcomes]
    assert outcomes[0].file == "testshire/tests/placements.yaml"


def test_mismatch_reports_expected_and_actual(testshire) -> None:
    outcome = run_scenario(
        testshire,
        {
            "name": "wrong",
            "on": dt.date(2026, 1, 1),
            "development": {"dwellings": 10, "build_cost_gbp": 5_200_000},
            "commitments": [{"measure": "work_placement", "quantity": 3, "unit": "placements"}],
            "expect": {"TST-PLACEMENTS": {"status": "pass", "required": 6, "proposed": 3}},
        },
    )
    assert not outcome.passed
    assert outcome.failures[0].startswith("TST-PLACEMENTS.status: expected 'pass', got 'partial'")
    assert outcome.failures[1].startswith("TST-PLACEMENTS.required: expected 6, got 5")
    assert len(outcome.failures) == 2  # proposed matched


def test_bad_scenarios_fail_with_reasons(testshire) -> None:
    base = {"name": "x", "on": "2026-01-01", "development": {"build_cost_gbp": 1}}
    cases = [
        ({**base, "expect": {"TST-NOPE": "pass"}}, "TST-NOPE: no such rule in testshire"),
        ({**base, "expect": {"TST-OLD-RULE": "pass"}}, "TST-OLD-RULE: not in force on 2026-01-01"),
        ({**base, "on": "soon", "expect": {"TST-ESP": "fail"}}, "`on` must be a date"),
        ({**base, "expect": {}}, "`expect` must map rule ids"),
        (
            {**base, "development": {}, "expect": {"TST-ESP": "fail"}},
            "statement $.development.build_cost_gbp: Field required",
        ),
        ({**base, "expect": {"TST-ESP": {"colour": "red"}}}, "cannot check 'colour'"),
    ]
    for scenario, message in cases:
        outcome = run_scenario(testshire, scenario)
        assert any(message in failure for failure in outcome.failures), (message, outcome)


def test_unreadable_scenario_file_is_a_failure(tmp_path: Path) -> None:
    root = tmp_path / "lp"
    shutil.copytree(FIXTURE_ROOT, root)
    (root / "testshire" / "tests" / "broken.yaml").write_text("scenarios: nope\n")
    plans, _ = read_plans(root)
    outcomes = run_scenarios(plans.values())
    broken = [o for o in outcomes if o.file.endswith("broken.yaml")]
    assert broken and broken[0].failures == ["needs a `scenarios:` list"]


def test_shipped_packs_check_and_their_scenarios_pass() -> None:
    # The one test over the real packs: they must load and their own scenarios must hold.
    assert [str(p) for p in check_plans(LOCAL_PLANS_DIR)] == []
    plans, _ = read_plans(LOCAL_PLANS_DIR)
    assert {"islington", "salford"} <= set(plans)
    outcomes = run_scenarios(plans.values())
    failed = [o for o in outcomes if not o.passed]
    assert failed == []
    # Not vacuous: every scenario file shipped in the packs ran, each with at least one case.
    shipped = {
        f"{path.parent.parent.name}/tests/{path.name}"
        for path in LOCAL_PLANS_DIR.glob("*/tests/*.yaml")
    }
    assert {"islington/tests/examples.yaml", "salford/tests/examples.yaml"} <= shipped
    assert {o.file for o in outcomes} == shipped
    assert len(outcomes) >= 44  # the scenarios shipped when this was written
