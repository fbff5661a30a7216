"""Fixtures for the rule engine tests: the made-up Testshire pack and statement builders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planning_sv.core.placement import Placement, WardShare
from planning_sv.core.plans import CouncilPlan, read_plans
from planning_sv.core.statement import Statement, parse_statement

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "local_plans"


@pytest.fixture(scope="session")
def testshire() -> CouncilPlan:
    plans, problems = read_plans(FIXTURE_ROOT)
    assert problems == []
    return plans["testshire"]


@pytest.fixture
def make_statement() -> Callable[..., Statement]:
    def build(commitments: list[dict[str, Any]] | None = None, **development: Any) -> Statement:
        development.setdefault("build_cost_gbp", 5_200_000)
        items = []
        for index, item in enumerate(commitments or []):
            item = dict(item)
            item.setdefault("id", f"c{index + 1}")
            item.setdefault("where", {"borough": True})
            items.append(item)
        return parse_statement(
            {
                "council": "testshire",
                "site": {"postcode": "TE1 1ST"},
                "development": development,
                "commitments": items,
            }
        )

    return build


def _placed(local: bool = True, reason: str = "") -> Placement:
    return Placement(
        method="ward",
        vintage="2025",
        wards=(WardShare("E05000001", "Testward", 1.0),),
        local=local,
        local_reason=reason or ("in Testshire" if local else "outside Testshire"),
    )


@pytest.fixture
def placed() -> Callable[..., Placement]:
    """Build a Placement that is local (or not) with a reason."""
    return _placed
