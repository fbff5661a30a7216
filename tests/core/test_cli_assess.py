"""`planning-sv assess` and `planning-sv plans check|test`: exit codes and messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from planning_sv import config
from planning_sv.cli import assess as assess_module
from planning_sv.cli import cli
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.plans import read_plans
from tests.assessment_records import complete_social_value

FIXTURE_ROOT = Path(__file__).parent / "rules" / "fixtures" / "local_plans"
EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples


class Placer:
    def place_statement(self, statement: Any, plan: Any) -> StatementPlacement:
        ward = WardShare("E05000001", "Testward", 1.0)
        here = Placement(
            method="ward", vintage="2025", wards=(ward,), local=True, local_reason="in Testshire"
        )
        return StatementPlacement(
            site=here, commitments={c.id: here for c in statement.commitments}
        )


class Valuation:
    def __init__(self) -> None:
        self.commitment_values = {"c1": 10.0}

    def as_dict(self) -> dict[str, Any]:
        # A complete assessment@1 `social_value` (the text report reads it as the model).
        partial = {"total_gbp": 10.0, "local_gbp": 10.0, "by_ward": [], "by_theme": {}}
        return complete_social_value(partial).model_dump(mode="json")


class Valuer:
    def value_statement(
        self, statement: Any, placement: Any, plan: Any, *, on: Any = None
    ) -> Valuation:
        return Valuation()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    plans, problems = read_plans(FIXTURE_ROOT)
    assert problems == []
    monkeypatch.setattr(assess_module, "load_plans", lambda: plans)
    monkeypatch.setattr(assess_module, "services", lambda: (Placer(), Valuer()))
    return CliRunner()


def statement(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "planning-sv/statement@1",
        "council": "testshire",
        "application_reference": "T/1",
        "site": {"postcode": "TE1 1ST"},
        "development": {"dwellings": 10, "build_cost_gbp": 5_200_000},
        "commitments": [
            {
                "id": "c1",
                "measure": "work_placement",
                "quantity": 5,
                "unit": "placements",
                "phase": "construction",
                "where": {"borough": True},
            },
        ],
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "statement.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_assess_json(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", write(tmp_path, statement()), "--on", "2026-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "planning-sv/assessment@1"
    assert data["assessed_on"] == "2026-01-01"
    rules = {r["id"]: r for r in data["rules"]}
    assert rules["TST-PLACEMENTS"]["status"] == "pass"
    assert rules["TST-PLACEMENTS"]["required"] == 5
    assert data["social_value"]["total_gbp"] == 10.0
    assert data["commitments"][0]["value_gbp"] == 10.0


def test_assess_text_and_failing_verdicts_still_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    data = statement(commitments=[])
    result = runner.invoke(
        cli, ["assess", write(tmp_path, data), "--format", "text", "--on", "2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    assert "Social value assessment — Testshire District Council" in result.stdout
    assert "TST-PLACEMENTS — Construction work placements [FAIL]" in result.stdout


def test_on_date_changes_rules(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", write(tmp_path, statement()), "--on", "2019-06-01"])
    ids = {r["id"] for r in json.loads(result.stdout)["rules"]}
    assert "TST-OLD-RULE" in ids
    bad = runner.invoke(cli, ["assess", write(tmp_path, statement()), "--on", "next week"])
    assert bad.exit_code == 2
    assert "'next week' is not a date like 2026-01-31" in bad.stderr


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"council": ', "error: $: not valid JSON"),
        ([1, 2], "error: $: a statement must be a JSON object"),
        (
            statement(council="nowhere"),
            "error: $.council: unknown council 'nowhere' (known: testshire)",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "hugs",
                        "quantity": 1,
                        "unit": "x",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].measure: unknown measure 'hugs'",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": 1,
                        "unit": "hours",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].unit: unit 'hours' is not accepted for measure 'work_placement'",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": -1,
                        "unit": "placements",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].quantity: must be 0 or more",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": "lots",
                        "unit": "placements",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].quantity: must be a number, not text ('lots')",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": "25",
                        "unit": "placements",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].quantity: must be a number, not text ('25')",
        ),
        (
            statement(
                commitments=[
                    {
                        "id": "c1",
                        "measure": "work_placement",
                        "quantity": True,
                        "unit": "placements",
                        "where": {"borough": True},
                    }
                ]
            ),
            "error: $.commitments[0].quantity: must be a number, not true/false",
        ),
        (
            statement(development={"dwellings": "120", "build_cost_gbp": 1}),
            "error: $.development.dwellings: must be a number, not text ('120')",
        ),
        (
            statement(development={"dwellings": 10}),
            "error: $.development.build_cost_gbp: Field required",
        ),
        (
            statement(development={"dwellings": 150, "build_cost_gbp": 1}),
            "error: $.development.construction_months: needed by rule TST-LONG-BUILD",
        ),
    ],
)
def test_bad_input_exits_2_with_json_path(
    runner: CliRunner, tmp_path: Path, data: Any, expected: str
) -> None:
    result = runner.invoke(cli, ["assess", write(tmp_path, data), "--on", "2026-01-01"])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_unreadable_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: $: cannot read ")
    assert "No such file or directory" in result.stderr


def test_pack_fault_at_evaluation_exits_1(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "lp"
    shutil.copytree(FIXTURE_ROOT, root)
    rules_path = root / "testshire" / "rules.yaml"
    rules = yaml.safe_load(rules_path.read_text())
    rules["rules"][0]["requires"] = "build_cost_gbp / dwellings"
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))
    plans, _ = read_plans(root)
    monkeypatch.setattr(assess_module, "load_plans", lambda: plans)
    data = statement(
        development={"dwellings": 0, "build_cost_gbp": 1, "floorspace_sqm": {"office": 5000}}
    )
    result = runner.invoke(cli, ["assess", write(tmp_path, data), "--on", "2026-01-01"])
    assert result.exit_code == 1
    assert "TST-PLACEMENTS.requires: division by zero" in result.stderr


def test_plans_check_ok_and_faulty(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["plans", "check", "--root", str(FIXTURE_ROOT)])
    assert ok.exit_code == 0
    assert ok.stdout.startswith("OK testshire: Testshire District Council, pack 2026.1.0, 6 rules")
    root = tmp_path / "lp"
    shutil.copytree(FIXTURE_ROOT, root)
    (root / "testshire" / "plan.yaml").write_text("council: testshire\n")
    bad = runner.invoke(cli, ["plans", "check", "--root", str(root)])
    assert bad.exit_code == 1
    assert "error: testshire/plan.yaml $.name: Field required" in bad.stderr
    assert "problems found" in bad.stderr


def test_plans_test_passes_and_reports_failures(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["plans", "test", "testshire", "--root", str(FIXTURE_ROOT)])
    assert ok.exit_code == 0
    assert ok.stdout.strip().endswith("3 passed, 0 failed")
    root = tmp_path / "lp"
    shutil.copytree(FIXTURE_ROOT, root)
    (root / "testshire" / "tests" / "wrong.yaml").write_text(
        yaml.safe_dump(
            {
                "scenarios": [
                    {
                        "name": "wrong expectation",
                        "on": "2026-01-01",
                        "development": {"dwellings": 10, "build_cost_gbp": 5_200_000},
                        "expect": {"TST-PLACEMENTS": {"status": "pass", "required": 7}},
                    }
                ]
            }
        )
    )
    bad = runner.invoke(cli, ["plans", "test", "--root", str(root)])
    assert bad.exit_code == 1
    assert "FAIL testshire/tests/wrong.yaml: wrong expectation" in bad.stdout
    assert "TST-PLACEMENTS.status: expected 'pass', got 'fail'" in bad.stdout
    assert "TST-PLACEMENTS.required: expected 7, got 5" in bad.stdout
    assert bad.stdout.strip().endswith("3 passed, 1 failed")
    unknown = runner.invoke(cli, ["plans", "test", "nowhere", "--root", str(root)])
    assert unknown.exit_code == 1
    assert "no valid pack for council 'nowhere' (valid: testshire)" in unknown.stderr
    empty = runner.invoke(cli, ["plans", "test", "--root", str(tmp_path / "empty")])
    assert empty.exit_code == 1
    assert "error: " in empty.stderr and "0 passed, 0 failed" not in empty.stdout


def test_schema_assessment() -> None:
    result = CliRunner().invoke(cli, ["schema", "assessment"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$id"] == "planning-sv/assessment@1"


def test_assess_refuses_a_site_in_another_council(tmp_path: Path, instance_dir: Path) -> None:
    # The real placer: M5 4AD is a Salford postcode (Code-Point Open), so an Islington
    # statement with its site there is bad input (exit 2), not an assessment.
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    data["site"] = {"postcode": "M5 4AD"}
    result = CliRunner().invoke(cli, ["assess", write(tmp_path, data), "--on", "2026-01-01"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "error: $.site.postcode: This postcode is in Salford, not Islington"
    )
