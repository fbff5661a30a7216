"""The officer sees which regime applied and confirms the site's designation.

The example's site is a town centre (the applicant's choice); Islington's B4 town-centre
part depends on it, so the officer must acknowledge it before recommending, and the audit
records who did.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.store.models import AuditEvent
from tests.web.test_officer import _act, _review_version, acknowledge_all


def _text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</dd>', html, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_the_review_page_says_which_date_chose_the_rules(
    login_as: Callable[..., FlaskClient],
    make_user: Any,
    make_statement: Any,
    islington_example: Any,
) -> None:
    owner = make_user("applicant")
    plain = make_statement(
        owner, "islington", copy.deepcopy(islington_example), actions=("submit",)
    )
    validated = copy.deepcopy(islington_example)
    validated["validation_date"] = "2025-04-29"
    dated = make_statement(owner, "islington", validated, actions=("submit",))
    officer = login_as("officer", "islington")
    first = officer.get(f"/officer/statements/{plain.id}").get_data(as_text=True)
    assert "(the date it was assessed: the statement gives no validation date)" in _text(
        first, "regime"
    )
    second = officer.get(f"/officer/statements/{dated.id}").get_data(as_text=True)
    assert _text(second, "regime").startswith(
        "Rule pack 2026.11.2, rules in force on 29 April 2025 (the date the application was validated)"
    )
    # The 2016 SPD is the document the placements rule cites for that date.
    assert "adopted 8 December 2016" in second
    assert _text(second, "designation") == "Town centre (chosen by the applicant)"
    # Benchmarks: nothing approved yet, so every row says why no figure is shown.
    assert "How this offer compares with approved schemes" in second
    assert "Not shown: fewer than 5 approved schemes offered this" in second


def test_recommending_needs_the_designation_confirmed_and_it_is_audited(
    app: Flask,
    login_as: Callable[..., FlaskClient],
    make_user: Any,
    make_statement: Any,
    islington_example: Any,
) -> None:
    owner = make_user("applicant")
    statement = make_statement(
        owner, "islington", copy.deepcopy(islington_example), actions=("submit",)
    )
    officer_user = make_user("officer", "islington")
    officer = login_as(user=officer_user)
    assert _act(officer, statement, "start_review").status_code == 302
    page = html.unescape(officer.get(f"/officer/statements/{statement.id}").get_data(as_text=True))
    assert 'value="site_designation"' in page
    assert "The site's designation, chosen by the applicant: Town centre" in page
    refused = _act(officer, statement, "recommend", accept_engine="yes", note="Recommend")
    assert refused.status_code == 400
    assert "the site's designation" in html.unescape(refused.get_data(as_text=True))
    acknowledge_all(officer, statement)
    with app.extensions["planning_sv.db"].session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.statement_id == statement.id)
        ).all()
        acknowledged = [e for e in events if "site_designation" in str(e.details or "")]
        assert acknowledged, [e.action for e in events]
    version = _review_version(officer, statement)
    assert version
