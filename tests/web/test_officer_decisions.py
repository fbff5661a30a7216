"""Explicit officer decisions: Recommend needs a verdict on every rule or the officer's
confirmation that the engine's results stand (audited with the rule ids), verdicts carried
forward to a resubmitted version are shown and pre-filled but count only once saved, and
the committee table says "Not reviewed" where no officer verdict exists."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from planning_sv.store import statements as repo
from planning_sv.store.models import AuditEvent, Statement, User

Make = Callable[..., Any]

# The Islington example's rules in force and the engine's result on each (its town-centre
# site's workspace meets B4, whose CAZ and LSIS variants do not apply there; placements and
# the training contribution fall short; procurement and the skills plan lack evidence), in
# assessment order.
ENGINE = {
    "ISL-B4-AFFORDABLE-WORKSPACE": "not_applicable",
    "ISL-B4-AFFORDABLE-WORKSPACE-LSIS": "not_applicable",
    "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS": "pass",
    "ISL-S106-CONSTRUCTION-PLACEMENTS": "fail",
    "ISL-S106-EMPLOYMENT-TRAINING-CONTRIBUTION": "fail",
    "ISL-S106-LOCAL-PROCUREMENT": "needs_evidence",
    "ISL-LP21-E11-SKILLS-EMPLOYMENT": "needs_evidence",
}
B4_CAZ, B4_LSIS, WORKSPACE, PLACEMENTS, CONTRIBUTION, PROCUREMENT, SKILLS = ENGINE


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "officer": make_user("officer", "islington"),
        "senior": make_user("senior_officer", "islington"),
    }


@pytest.fixture
def submitted(make_statement: Make, people: dict[str, User], app: Flask) -> Statement:
    statement = make_statement(people["owner"], "islington", actions=("submit",))
    with app.extensions["planning_sv.db"].session() as session:
        data = session.get(Statement, statement.id).latest_version.assessment.data  # type: ignore[union-attr]
        # The expectations below are worked out for these results: fail loudly if they move.
        assert {r["id"]: r["status"] for r in data["rules"]} == ENGINE
    return statement


@pytest.fixture
def officer(app: Flask, sign_in: Make, people: dict[str, User]) -> FlaskClient:
    return sign_in(app.test_client(), people["officer"])


def _review_version(client: FlaskClient, statement: Statement) -> str:
    # Decisions have their own page (issue 12); the review page's forms carry the same.
    html = client.get(f"/officer/statements/{statement.id}/decision").text
    found = re.search(r'name="review_version" value="(\d+)"', html)
    if found is None:
        html = client.get(f"/officer/statements/{statement.id}").text
        found = re.search(r'name="review_version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def _acknowledge_all(client: FlaskClient, statement: Statement) -> None:
    """Acknowledge the unverified figures the review page lists (needed to recommend)."""
    html = client.get(f"/officer/statements/{statement.id}").text
    names = re.findall(r'name="acknowledge" type="checkbox" value="([^"]+)"(?! checked)', html)
    if names:
        response = client.post(
            f"/officer/statements/{statement.id}/acknowledgements",
            data={"review_version": _review_version(client, statement), "acknowledge": names},
        )
        assert response.status_code == 302


def _act(client: FlaskClient, statement: Statement, action: str, **fields: str) -> TestResponse:
    return client.post(
        f"/officer/statements/{statement.id}/actions",
        data={"action": action, "review_version": _review_version(client, statement), **fields},
    )


def _save(
    client: FlaskClient, statement: Statement, version: int, fields: dict[str, str]
) -> TestResponse:
    return client.post(
        f"/officer/statements/{statement.id}/verdicts",
        data={
            "version": str(version),
            "review_version": _review_version(client, statement),
            **fields,
        },
    )


def _events(app: Flask, statement: Statement) -> list[AuditEvent]:
    with app.extensions["planning_sv.db"].session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.statement_id == statement.id)
                .order_by(AuditEvent.id)
            )
        )


def _status(app: Flask, statement: Statement) -> str:
    with app.extensions["planning_sv.db"].session() as session:
        return session.get(Statement, statement.id).status  # type: ignore[union-attr]


def _section(html: str, rule_id: str) -> str:
    found = re.search(rf'<section[^>]*data-rule-id="{rule_id}".*?</section>', html, re.S)
    assert found is not None, rule_id
    return found.group(0)


def _officer_column(html: str) -> dict[str, str]:
    """The committee table's Officer cell per rule, as text."""
    rows = re.findall(
        r'<tr class="govuk-table__row" data-rule-id="([^"]+)">.*?'
        r'data-testid="officer-verdict">(.*?)</td>',
        html,
        re.S,
    )
    return {rule_id: re.sub(r"<[^>]+>", "", cell).strip() for rule_id, cell in rows}


# --- recommend needs verdicts or the confirmation -----------------------------------------


def test_recommend_without_verdicts_is_refused_naming_the_rules(
    app: Flask, officer: FlaskClient, submitted: Statement
) -> None:
    refused = _act(officer, submitted, "recommend", note="Looks fine")
    assert refused.status_code == 400
    assert (
        "Recommend needs your verdict on every rule: 7 rules have none on this version "
        "(ISL-B4-AFFORDABLE-WORKSPACE, ISL-B4-AFFORDABLE-WORKSPACE-LSIS, "
        "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS, ISL-S106-CONSTRUCTION-PLACEMENTS, "
        "ISL-S106-EMPLOYMENT-TRAINING-CONTRIBUTION, ISL-S106-LOCAL-PROCUREMENT, "
        "ISL-LP21-E11-SKILLS-EMPLOYMENT)."
    ) in refused.text
    assert 'href="#accept_engine"' in refused.text  # the summary links to the checkbox
    assert 'id="accept_engine"' in refused.text
    # Nothing happened: not even the implicit start of the review.
    assert _status(app, submitted) == "submitted"
    assert [e.action for e in _events(app, submitted)] == ["create", "submit"]

    # With two verdicts saved, the five rules left are the ones named.
    saved = _save(
        officer,
        submitted,
        1,
        {f"decision-{WORKSPACE}": "agree", f"decision-{PLACEMENTS}": "agree"},
    )
    assert saved.status_code == 302
    again = _act(officer, submitted, "recommend")
    assert again.status_code == 400
    assert (
        "5 rules have none on this version (ISL-B4-AFFORDABLE-WORKSPACE, "
        "ISL-B4-AFFORDABLE-WORKSPACE-LSIS, ISL-S106-EMPLOYMENT-TRAINING-CONTRIBUTION, "
        "ISL-S106-LOCAL-PROCUREMENT, ISL-LP21-E11-SKILLS-EMPLOYMENT)."
    ) in again.text
    assert _status(app, submitted) == "under_review"  # from the verdict save, not recommend


def test_recommend_with_the_confirmation_is_audited_with_the_rule_ids(
    app: Flask, officer: FlaskClient, submitted: Statement
) -> None:
    saved = _save(
        officer,
        submitted,
        1,
        {
            f"decision-{WORKSPACE}": "agree",
            f"decision-{PLACEMENTS}": "override",
            f"status-{PLACEMENTS}": "partial",
            f"reason-{PLACEMENTS}": "Fee in lieu agreed for the rest",
        },
    )
    assert saved.status_code == 302
    page = officer.get(f"/officer/statements/{submitted.id}/decision").text
    assert "5 of 7 rules have no verdict from you on version 1" in page

    _acknowledge_all(officer, submitted)
    done = _act(officer, submitted, "recommend", accept_engine="yes", note="Compliant")
    assert done.status_code == 302
    assert _status(app, submitted) == "recommended"
    (recommend,) = [e for e in _events(app, submitted) if e.action == "recommend"]
    assert recommend.details["accepted_engine_results"] == {
        B4_CAZ: "not_applicable",
        B4_LSIS: "not_applicable",
        CONTRIBUTION: "fail",
        PROCUREMENT: "needs_evidence",
        SKILLS: "needs_evidence",
    }
    assert recommend.details["verdicts"] == {PLACEMENTS: "partial", WORKSPACE: "pass"}
    assert recommend.details["version"] == 1
    assert recommend.reason == "Compliant"

    audit = officer.get(f"/officer/statements/{submitted.id}/audit").text
    assert (
        "results accepted without a verdict: ISL-B4-AFFORDABLE-WORKSPACE (not applicable), "
        "ISL-B4-AFFORDABLE-WORKSPACE-LSIS (not applicable), "
        "ISL-S106-EMPLOYMENT-TRAINING-CONTRIBUTION (fail), "
        "ISL-S106-LOCAL-PROCUREMENT (needs evidence), ISL-LP21-E11-SKILLS-EMPLOYMENT "
        "(needs evidence)"
    ) in audit

    # The committee table: verdicts where given, never the engine's result as the officer's.
    html = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    accepted = "Not reviewed (engine result accepted at recommendation)"
    assert _officer_column(html) == {
        B4_CAZ: accepted,
        B4_LSIS: accepted,
        WORKSPACE: "Met",
        PLACEMENTS: "Partly met (overridden)",
        CONTRIBUTION: accepted,
        PROCUREMENT: accepted,
        SKILLS: accepted,
    }


def test_recommend_with_a_verdict_on_every_rule_needs_no_confirmation(
    app: Flask, officer: FlaskClient, submitted: Statement
) -> None:
    assert (
        _save(officer, submitted, 1, {f"decision-{r}": "agree" for r in ENGINE}).status_code == 302
    )
    page = officer.get(f"/officer/statements/{submitted.id}").text
    assert 'data-testid="accept-engine"' not in page  # nothing left to accept
    _acknowledge_all(officer, submitted)
    assert _act(officer, submitted, "recommend").status_code == 302
    (recommend,) = [e for e in _events(app, submitted) if e.action == "recommend"]
    assert "accepted_engine_results" not in recommend.details
    assert recommend.details["verdicts"] == ENGINE


def test_a_senior_officer_returning_the_recommendation_drops_the_acceptance(
    app: Flask, sign_in: Make, people: dict[str, User], officer: FlaskClient, submitted: Statement
) -> None:
    _acknowledge_all(officer, submitted)
    assert _act(officer, submitted, "recommend", accept_engine="yes").status_code == 302
    senior = sign_in(app.test_client(), people["senior"])
    assert _act(senior, submitted, "return", comment="Judge each rule").status_code == 302
    html = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert set(_officer_column(html).values()) == {"Not reviewed"}


# --- the committee table ------------------------------------------------------------------


def test_committee_table_says_not_reviewed_where_there_is_no_verdict(
    officer: FlaskClient, submitted: Statement
) -> None:
    saved = _save(
        officer,
        submitted,
        1,
        {
            f"decision-{PLACEMENTS}": "override",
            f"status-{PLACEMENTS}": "pass",
            f"reason-{PLACEMENTS}": "Placements secured off site",
        },
    )
    assert saved.status_code == 302
    html = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert _officer_column(html) == {
        B4_CAZ: "Not reviewed",
        B4_LSIS: "Not reviewed",
        WORKSPACE: "Not reviewed",
        PLACEMENTS: "Met (overridden)",
        CONTRIBUTION: "Not reviewed",
        PROCUREMENT: "Not reviewed",
        SKILLS: "Not reviewed",
    }
    assert "6 of 7 rules not reviewed by an officer" in html

    document = Document(
        io.BytesIO(officer.get(f"/officer/statements/{submitted.id}/heads-of-terms.docx").data)
    )
    officer_cells = {
        row.cells[0].text.split("\n")[0]: row.cells[6].text for row in document.tables[0].rows[1:]
    }
    assert officer_cells == {
        B4_CAZ: "Not reviewed",
        B4_LSIS: "Not reviewed",
        WORKSPACE: "Not reviewed",
        PLACEMENTS: "Met (overridden)",
        CONTRIBUTION: "Not reviewed",
        PROCUREMENT: "Not reviewed",
        SKILLS: "Not reviewed",
    }


# --- carried forward to a resubmitted version ---------------------------------------------


def test_verdicts_are_carried_forward_to_version_2_and_count_once_saved(
    app: Flask, officer: FlaskClient, people: dict[str, User], submitted: Statement
) -> None:
    saved = _save(
        officer,
        submitted,
        1,
        {
            f"decision-{WORKSPACE}": "agree",
            f"comment-{WORKSPACE}": "Lease checked",
            f"decision-{PLACEMENTS}": "override",
            f"status-{PLACEMENTS}": "partial",
            f"reason-{PLACEMENTS}": "Fee in lieu agreed",
        },
    )
    assert saved.status_code == 302
    assert _act(officer, submitted, "request_changes", message="More jobs").status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        repo.submit(
            session,
            session.get(Statement, submitted.id),  # type: ignore[arg-type]
            session.get(User, people["owner"].id),  # type: ignore[arg-type]
        )

    html = officer.get(f"/officer/statements/{submitted.id}").text
    assert '<strong aria-current="page">2</strong>' in html
    placements = _section(html, PLACEMENTS)
    assert "Carried forward from version 1" in placements
    assert "Fee in lieu agreed" in placements
    assert "Pre-filled below: it is not your verdict on version 2" in placements
    assert "No verdict yet" in placements  # the Officer column: not counted yet
    assert re.search(rf'id="override-{PLACEMENTS}"[^>]*checked', placements)
    assert '<option value="partial" selected>' in placements
    assert ">Fee in lieu agreed</textarea>" in placements
    workspace = _section(html, WORKSPACE)
    assert "Carried forward from version 1" in workspace
    assert re.search(rf'id="agree-{WORKSPACE}"[^>]*checked', workspace)
    assert ">Lease checked</textarea>" in workspace
    contribution = _section(html, CONTRIBUTION)
    assert "Carried forward" not in contribution
    assert "checked" not in contribution  # nothing to pre-fill
    assert "0 of 7 rules reviewed" in html
    decision_page = officer.get(f"/officer/statements/{submitted.id}/decision").text
    assert "7 of 7 rules have no verdict from you on version 2" in decision_page

    # Not counted until saved: Recommend says so.
    refused = _act(officer, submitted, "recommend")
    assert refused.status_code == 400
    assert (
        "2 of them have verdicts carried forward from version 1: save the verdicts to confirm them."
    ) in refused.text
    html = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert set(_officer_column(html).values()) == {"Not reviewed"}

    # Saving the form as pre-filled confirms them, and the audit says where they came from.
    confirmed = _save(
        officer,
        submitted,
        2,
        {
            f"decision-{WORKSPACE}": "agree",
            f"comment-{WORKSPACE}": "Lease checked",
            f"decision-{PLACEMENTS}": "override",
            f"status-{PLACEMENTS}": "partial",
            f"reason-{PLACEMENTS}": "Fee in lieu agreed",
        },
    )
    assert confirmed.status_code == 302
    verdicts = {
        e.details["rule_id"]: e.details
        for e in _events(app, submitted)
        if e.action == "verdict" and e.details["version"] == 2
    }
    assert {r: d["carried_forward_from"] for r, d in verdicts.items()} == {
        WORKSPACE: 1,
        PLACEMENTS: 1,
    }
    html = officer.get(f"/officer/statements/{submitted.id}").text
    assert "Pre-filled below" not in html
    assert "2 of 7 rules reviewed" in html
    html = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert _officer_column(html) == {
        B4_CAZ: "Not reviewed",
        B4_LSIS: "Not reviewed",
        WORKSPACE: "Met",
        PLACEMENTS: "Partly met (overridden)",
        CONTRIBUTION: "Not reviewed",
        PROCUREMENT: "Not reviewed",
        SKILLS: "Not reviewed",
    }


def test_a_changed_carried_verdict_is_not_marked_as_carried(
    app: Flask, officer: FlaskClient, people: dict[str, User], submitted: Statement
) -> None:
    fields = {f"decision-{WORKSPACE}": "agree", f"comment-{WORKSPACE}": "Lease checked"}
    assert _save(officer, submitted, 1, fields).status_code == 302
    assert _act(officer, submitted, "request_changes", message="More jobs").status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        repo.submit(
            session,
            session.get(Statement, submitted.id),  # type: ignore[arg-type]
            session.get(User, people["owner"].id),  # type: ignore[arg-type]
        )
    changed = {f"decision-{WORKSPACE}": "agree", f"comment-{WORKSPACE}": "Lease re-checked"}
    assert _save(officer, submitted, 2, changed).status_code == 302
    (event,) = [
        e for e in _events(app, submitted) if e.action == "verdict" and e.details["version"] == 2
    ]
    assert "carried_forward_from" not in event.details
    assert event.details["comment"] == "Lease re-checked"
