"""`planning-sv plans impact`: a draft pack tried on the demo database.

Hand-worked: the demo seeds ten submitted Islington statements (every stage but the draft),
each with 8,000 sqm of office in the Nag's Head town centre, so Policy B4's town-centre
part asks 800 sqm of each. A draft raising that threshold from 2,500 to 9,000 sqm takes all
ten out of B4; one more statement with 9,500 sqm of office stays in (required 950 both
ways), and the unsubmitted draft is not looked at. Salford is untouched.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planning_sv.cli import cli
from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.store import statements as repo
from planning_sv.store.db import Database
from planning_sv.store.models import Statement, User
from tests.conftest import shared_assessor

TC_RULE = "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS"
DEMO_SUBMITTED = [
    "DEMO/ISLINGTON/SUBMITTED",
    "DEMO/ISLINGTON/UNDER-REVIEW",
    "DEMO/ISLINGTON/CHANGES",
    "DEMO/ISLINGTON/RESUBMITTED",
    "DEMO/ISLINGTON/RECOMMENDED",
    "DEMO/ISLINGTON/SIGNED-OFF",
    "DEMO/ISLINGTON/APPROVED-1",
    "DEMO/ISLINGTON/APPROVED-2",
    "DEMO/ISLINGTON/REFUSED",
    "DEMO/ISLINGTON/WITHDRAWN",
]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("impact")
    url = f"sqlite:///{folder / 'demo.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--url", url]).exit_code == 0
    seeded = runner.invoke(cli, ["demo", "seed", "--url", url])
    assert seeded.exit_code == 0, seeded.output
    # One more Islington statement, submitted, with 9,500 sqm of office: above both
    # thresholds, so the draft leaves it as it is.
    database = Database(url, assessor=shared_assessor())
    with database.session() as session:
        owner = session.query(User).filter_by(email="applicant@demo.example").one()
        example = (
            session.query(Statement)
            .filter_by(application_reference="DEMO/ISLINGTON/SUBMITTED")
            .one()
        )
        data = copy.deepcopy(example.latest_version.data)
        data["application_reference"] = "BIG/OFFICE"
        data["development"]["floorspace_sqm"]["office"] = 9500
        big = repo.create_statement(session, owner, "islington", data, assessor=shared_assessor())
        repo.submit(session, big, owner, assessor=shared_assessor())
    database.dispose()
    return url


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    folder = tmp_path / "draft"
    shutil.copytree(LOCAL_PLANS_DIR / "islington", folder)
    path = folder / "parameters.yaml"
    text = path.read_text()
    old = "      - {from: 2023-09-28, value: 2500}\n"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "      - {from: 2023-09-28, value: 9000}\n"))
    return folder


def _impact(url: str, draft: Path, *extra: str) -> Any:
    result = CliRunner().invoke(
        cli,
        ["plans", "impact", "--council", "islington", "--draft", str(draft), "--url", url, *extra],
    )
    assert result.exit_code == 0, result.output
    return result


def test_raising_the_town_centre_threshold_lists_exactly_the_demo_statements(
    demo_url: str, draft: Path
) -> None:
    report = json.loads(_impact(demo_url, draft, "--format", "json").output)
    assert report["statements"] == 11  # ten demo statements and BIG/OFFICE; not the draft
    changed = [s["application_reference"] for s in report["statements_changed"]]
    assert changed == DEMO_SUBMITTED
    assert {c["rule_id"] for c in report["changes"]} == {TC_RULE}
    assert all(
        (c["status_before"], c["required_before"], c["status_after"], c["required_after"])
        == ("pass", 800, "not_applicable", None)
        for c in report["changes"]
    )
    totals = {r["rule_id"]: r for r in report["rules"]}
    assert totals[TC_RULE]["required_before"] == 10 * 800 + 950
    assert totals[TC_RULE]["required_after"] == 950
    assert totals[TC_RULE]["statements_changed"] == 10
    assert totals["ISL-S106-CONSTRUCTION-PLACEMENTS"]["statements_changed"] == 0
    [ward] = report["wards"]
    assert (ward["ward_name"], ward["statements"], ward["statements_changed"]) == (
        "Holloway",
        11,
        10,
    )
    assert ward["required_change"] == {TC_RULE: -8000}


def test_the_csv_has_one_row_per_changed_rule(demo_url: str, draft: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_impact(demo_url, draft, "--format", "csv").output)))
    assert [r["application_reference"] for r in rows] == DEMO_SUBMITTED
    assert rows[0]["required_before"] == "800" and rows[0]["required_change"] == "-800"


def test_the_text_report_says_how_many_change(demo_url: str, draft: Path) -> None:
    text = _impact(demo_url, draft).output
    assert "11 statements re-assessed; 10 statements change." in text
    assert f"{TC_RULE}: required 8,950 -> 950; 10 statements changed" in text


def test_an_unchanged_draft_changes_nothing(demo_url: str, tmp_path: Path) -> None:
    same = tmp_path / "same"
    shutil.copytree(LOCAL_PLANS_DIR / "islington", same)
    report = json.loads(_impact(demo_url, same, "--format", "json").output)
    assert report["statements"] == 11 and report["statements_changed"] == []


def test_a_faulty_draft_is_refused_naming_the_fault(demo_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(LOCAL_PLANS_DIR / "islington", broken)
    rules = broken / "rules.yaml"
    rules.write_text(rules.read_text().replace('requires: "1"', 'requires: "1 +"', 1))
    result = CliRunner().invoke(
        cli,
        ["plans", "impact", "--council", "islington", "--draft", str(broken), "--url", demo_url],
    )
    assert result.exit_code == 1
    assert "error: draft islington/rules.yaml $.rules[" in result.output
    assert "the draft pack has faults" in result.output
