"""The monitoring fee in the heads-of-terms DOCX, worded exactly as on the HTML page
(core.monitoring.fee_head is the one wording), opened with python-docx."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import unescape
from types import SimpleNamespace
from typing import Any

from docx import Document
from flask import Flask

from planning_sv.core.monitoring import FeeSchedule, fee_head
from planning_sv.store.models import User
from tests.conftest import sign_in

Make = Callable[..., Any]
PLACEHOLDER = "The fee figure is a placeholder in the council's settings, to be confirmed."


def _page_fee(html: str) -> list[str]:
    """The fee section's values on the HTML page, in order (plain text)."""
    section = html.split('data-testid="monitoring-fee"')[1].split("</section>")[0]
    values = re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', section, re.S)
    return [unescape(re.sub(r"<br>", " ", re.sub(r"<(?!br>)[^>]+>", "", v))) for v in values]


def _docx_fee(data: bytes) -> tuple[list[str], list[str]]:
    """(headings, the fee head's labelled lines) of the downloaded document."""
    document = Document(io.BytesIO(data))
    paragraphs = document.paragraphs
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    start = next(i for i, p in enumerate(paragraphs) if p.text.endswith(". Monitoring fee"))
    lines = []
    for paragraph in paragraphs[start + 1 :]:
        if paragraph.style.name.startswith("Heading") or ":" not in paragraph.text:
            break  # the next head, or the notes after the heads
        lines.append(paragraph.text)
    return headings, lines


def test_the_docx_carries_the_fee_as_on_the_page(
    app: Flask, make_user: Make, make_statement: Make
) -> None:
    owner: User = make_user("applicant")
    officer: User = make_user("officer", "islington")
    statement = make_statement(owner, "islington", actions=("submit",))
    client = sign_in(app.test_client(), officer)
    page = client.get(f"/officer/statements/{statement.id}/heads-of-terms")
    assert page.status_code == 200
    download = client.get(f"/officer/statements/{statement.id}/heads-of-terms.docx")
    assert download.status_code == 200
    headings, lines = _docx_fee(download.data)
    # The Islington example's six heads, then the fee as head 7: 6 x £460 = £2,760.
    sixth = next(i for i, h in enumerate(headings) if h.startswith("6. "))
    assert headings[sixth + 1] == "7. Monitoring fee"  # right after the heads it is charged on
    obligation = (
        "The owner shall pay the council a monitoring fee of £2,760 "
        "(£460 per obligation, 6 obligations)."
    )
    trigger = "Within 4 weeks of the agreement being signed."
    citation = (
        "Islington Planning Obligations SPD (April 2025), "
        "Monitoring fees (CIL Regulations 2010, reg 122(2A))"
    )
    assert lines == [
        f"Obligation: {obligation}",
        f"Trigger and timing: {trigger}",
        f"Policy secured: {citation}",
    ]
    # The same words as the page's fee section; the figure's placeholder status is a warning
    # for the officer above the document (issue 12: no caveat inside the legal text).
    assert _page_fee(page.text) == [obligation, trigger, citation]
    assert PLACEHOLDER in page.text.replace("&#39;", "'")
    assert PLACEHOLDER not in "\n".join(lines)


def test_fee_head_per_trigger_counts_distinct_suggested_triggers() -> None:
    """Per trigger: a contribution and a document are due on commencement, an occupation
    head on first occupation, a job head on commencement: 2 distinct triggers x £460."""
    schedule = FeeSchedule(
        basis="per-trigger",
        amount_gbp=460.0,
        citation="Salford Planning Obligations SPD",
        url=None,
        status="confirmed",
        due_weeks=2,
    )
    heads = [
        SimpleNamespace(measure="employment_training_contribution", unit="gbp", trigger=""),
        SimpleNamespace(measure="local_employment", unit="fte_years", trigger="On occupation"),
        SimpleNamespace(measure="apprenticeship", unit="starts", trigger="During construction"),
    ]
    head = fee_head(schedule, heads)
    assert head is not None
    assert (head.number, head.amount, head.placeholder_note) == (4, 920.0, None)
    assert head.text == (
        "The owner shall pay the council a monitoring fee of £920 (£460 per trigger, 2 triggers)."
    )
    assert head.trigger == "Within 2 weeks of the agreement being signed."
    assert fee_head(schedule, []) is None
    assert fee_head(None, heads) is None
