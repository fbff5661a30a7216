"""Benchmarks on the applicant's self-check: this offer beside approved schemes.

Hand-worked: five approved Islington schemes with a £10m build cost offer 1 to 5
apprenticeship starts (0.1 to 0.5 per £1m: quartiles 0.2 and 0.4, median 0.3). The example
statement offers 8 starts at £45m: 0.18 per £1m.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store import benchmarks
from planning_sv.store.models import Statement


def _approved_schemes(
    app: Flask, make_user: Any, make_statement: Any, example: Any, n: int
) -> None:
    owner = make_user("applicant")
    for starts in range(1, n + 1):
        data = copy.deepcopy(example)
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
        made = make_statement(owner, "islington", data, actions=("submit",))
        with app.extensions["planning_sv.db"].session() as session:
            statement = session.get(Statement, made.id)
            statement.status = "approved"
            benchmarks.refresh(session, statement)


def _row(html: str, measure: str, metric: str) -> str:
    match = re.search(
        rf'<tr class="govuk-table__row" data-measure="{measure}" data-metric="{metric}">(.*?)</tr>',
        html,
        re.S,
    )
    assert match, (measure, metric)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_self_check_shows_quartiles_from_five_approved_schemes(
    app: Flask,
    login_as: Callable[..., FlaskClient],
    make_user: Any,
    make_statement: Any,
    islington_example: dict[str, Any],
) -> None:
    _approved_schemes(app, make_user, make_statement, islington_example, 5)
    applicant = make_user("applicant")
    mine = make_statement(applicant, "islington", copy.deepcopy(islington_example))
    page = login_as(user=applicant).get(f"/statements/{mine.id}/check").get_data(as_text=True)
    assert "How this offer compares with approved schemes" in page
    # 8 starts / £45m = 0.18 per £1m; approved: 0.2, 0.3, 0.4 from 5 schemes.
    assert _row(page, "apprenticeship", "per_million").endswith("0.18 0.2 0.3 0.4 5")
    # Nobody else offered local employment: not shown.
    assert "fewer than 5 approved schemes offered this" in _row(
        page, "local_employment", "per_million"
    )


def test_four_approved_schemes_show_no_figures(
    app: Flask,
    login_as: Callable[..., FlaskClient],
    make_user: Any,
    make_statement: Any,
    islington_example: dict[str, Any],
) -> None:
    _approved_schemes(app, make_user, make_statement, islington_example, 4)
    applicant = make_user("applicant")
    mine = make_statement(applicant, "islington", copy.deepcopy(islington_example))
    page = login_as(user=applicant).get(f"/statements/{mine.id}/check").get_data(as_text=True)
    row = _row(page, "apprenticeship", "per_million")
    assert row.startswith("Apprenticeship")
    assert "0.18 Not shown: fewer than 5 approved schemes offered this" in row
