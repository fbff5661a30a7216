"""The heads of terms page and its DOCX say the same words as core.heads_of_terms, and carry
the draft mark until a senior officer signs off, then the sign-off block."""

from __future__ import annotations

import html as html_lib
import io
import re
from collections.abc import Callable
from typing import Any

from docx import Document
from flask import Flask
from sqlalchemy import select

from planning_sv.core.heads_of_terms import build_heads_of_terms
from planning_sv.core.monitoring import fee_head
from planning_sv.store import review as review_repo
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.monitoring import settings_for
from tests.core.test_heads_of_terms_wording import FORBIDDEN

Make = Callable[..., Any]


def _decide(app: Flask, statement: Statement, user: User, action: str) -> None:
    """A workflow decision through the store (the decision pages are tested elsewhere)."""
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        actor = session.get(User, user.id)
        assert row is not None and row.latest_version is not None and actor is not None
        if action == "recommend":
            # Unverified figures must be acknowledged before recommending (review page).
            pending = review_repo.unacknowledged(session, row.latest_version)
            if pending:
                review_repo.acknowledge_figures(
                    session, row, row.latest_version, pending, actor, expected_version=None
                )
        review_repo.officer_action(session, row, action, actor, accept_engine=True)


def _texts(page: str, key: str) -> list[str]:
    """The values of one summary-list row of every obligation, unescaped."""
    pattern = (
        r'<dt class="govuk-summary-list__key">' + re.escape(key) + r"</dt>"
        r'<dd class="govuk-summary-list__value">(.*?)</dd>'
    )
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(pattern, page)]


def test_page_and_docx_use_the_core_wording_then_the_sign_off(
    app: Flask, sign_in: Make, make_user: Make, make_statement: Make
) -> None:
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(User, senior.id)
        assert row is not None
        row.name = "Sam Senior"
    statement = make_statement(owner, "islington", actions=("submit",))
    officer_client = sign_in(app.test_client(), officer)

    with app.extensions["planning_sv.db"].session() as session:
        version = session.get(Statement, statement.id).latest_version  # type: ignore[union-attr]
        plan = app.config["ASSESSOR"].plans["islington"]
        expected = build_heads_of_terms(
            version.assessment.record, version.data, plan=plan, version=version.number
        )
    url = f"/officer/statements/{statement.id}/heads-of-terms"
    draft = officer_client.get(url).text
    # The heads, then the council's monitoring fee, worded by the same core function.
    fee = fee_head(settings_for("islington").fees, expected.obligations)
    assert fee is not None
    assert _texts(draft, "Obligation") == [o.text for o in expected.obligations] + [fee.text]
    assert _texts(draft, "Quantity") == [o.quantity_text for o in expected.obligations]
    assert _texts(draft, "Where") == [o.where for o in expected.obligations]
    assert "DRAFT – not signed off" in draft
    assert 'data-testid="draft-mark"' in draft
    # The work placements read as the council's rule counts them, not the catalogue's 2 weeks.
    assert any("each lasting at least 26 weeks" in o.text for o in expected.obligations)
    # The document's words (tags stripped): no JSON path, expression, file name or caveat.
    start = draft.index('data-testid="heads-of-terms"')
    words = html_lib.unescape(re.sub(r"<[^>]+>", " ", draft[start : draft.index("</main>")]))
    for pattern in FORBIDDEN:
        assert not pattern.search(words), pattern.pattern

    _decide(app, statement, officer, "recommend")
    _decide(app, statement, senior, "sign_off")
    with app.extensions["planning_sv.db"].session() as session:
        signed_at = session.scalar(
            select(AuditEvent.at).where(
                AuditEvent.statement_id == statement.id, AuditEvent.action == "sign_off"
            )
        )
    assert signed_at is not None
    today = signed_at.date()  # the day of the sign-off event, as recorded
    signed = officer_client.get(url).text
    assert "DRAFT" not in signed
    assert _texts(signed, "Signed off by") == ["Sam Senior"]
    assert _texts(signed, "Role") == ["Senior planning officer"]
    assert _texts(signed, "Date") == [f"{today.day} {today:%B %Y}"]

    download = officer_client.get(f"{url}.docx")
    document = Document(io.BytesIO(download.data))
    assert document.core_properties.author == "London Borough of Islington"
    assert document.core_properties.title == "Heads of terms: EXAMPLE/2026/0001/FUL"
    assert document.core_properties.created.year >= 2026  # not python-docx's 2013 template
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header == ["London Borough of Islington · Application EXAMPLE/2026/0001/FUL"]
    block = document.tables[-1]
    assert [c.text for c in block.rows[1].cells] == [
        "Sam Senior",
        "Senior planning officer",
        f"{today.day} {today:%B %Y}",
    ]
    paragraphs = [p.text for p in document.paragraphs]
    for obligation in expected.obligations:
        assert f"Obligation: {obligation.text}" in paragraphs
