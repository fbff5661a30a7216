"""Approved schemes' offers and their distributions, kept with each decision.

Hand-worked: six Islington schemes with a £10m build cost offer 1 to 6 apprenticeship
starts (0.1 to 0.6 per £1m). With the first five approved the distribution is 0.1 to 0.5:
quartiles 0.2 and 0.4, median 0.3. The sixth approved through the real workflow hook
makes it 0.1 to 0.6 (quartiles 0.225 and 0.475, median 0.35).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from planning_sv.store import benchmarks
from planning_sv.store import statements as repo
from planning_sv.store.db import Database
from planning_sv.store.models import Statement
from planning_sv.store.users import create_user

PASSWORD = "benchmark-password-1"


def _data(example: dict[str, Any], starts: int) -> dict[str, Any]:
    data = copy.deepcopy(example)
    data["application_reference"] = f"BM/{starts}"
    data["development"]["build_cost_gbp"] = 10_000_000
    data["commitments"] = [
        {
            "id": "c1",
            "measure": "apprenticeship",
            "quantity": starts,
            "unit": "starts",
            "where": {"borough": True},
        }
    ]
    return data


def _approve_directly(session: Any, statement: Statement) -> None:
    statement.status = "approved"
    benchmarks.refresh(session, statement)


def test_distributions_follow_approvals(database: Database, islington_example: Any) -> None:
    with database.session() as session:
        owner = create_user(session, "owner@bm.example", PASSWORD, "applicant", None)
        officer = create_user(session, "officer@bm.example", PASSWORD, "officer", "islington")
        made = []
        for starts in range(1, 7):
            statement = repo.create_statement(
                session, owner, "islington", _data(islington_example, starts)
            )
            repo.submit(session, statement, owner)
            made.append(statement)
        for statement in made[:4]:
            _approve_directly(session, statement)
        assert benchmarks.distributions(session, "islington") == {}  # four: too few
        _approve_directly(session, made[4])
        found = benchmarks.distributions(session, "islington")[("apprenticeship", "per_million")]
        assert found.schemes == 5
        assert (found.lower_quartile, found.median, found.upper_quartile) == pytest.approx(
            (0.2, 0.3, 0.4)
        )
        # The sixth through the workflow's own decision hook (signed off, then approved).
        sixth = made[5]
        sixth.status = "signed_off"
        repo.apply_transition(session, sixth, "approve", officer)
        found = benchmarks.distributions(session, "islington")[("apprenticeship", "per_million")]
        assert found.schemes == 6
        assert (found.lower_quartile, found.median, found.upper_quartile) == pytest.approx(
            (0.225, 0.35, 0.475)
        )
        # A rebuild from the records gives the same figures.
        assert benchmarks.rebuild(session, "islington") == 6
        rebuilt = benchmarks.distributions(session, "islington")[("apprenticeship", "per_million")]
        assert rebuilt == found
        # Per home: the example's 120 homes.
        per_home = benchmarks.distributions(session, "islington")[("apprenticeship", "per_home")]
        assert per_home.median == pytest.approx(3.5 / 120)
