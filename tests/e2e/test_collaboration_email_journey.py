"""Browser test of issue 15's whole walk, with the emails (issue 15 "done when").

An applicant, a member of an organisation, submits → the council's officers are emailed →
a senior officer assigns the case and the assigned officer is emailed (and opens the link)
→ the officer asks for the procurement strategy on that rule → the applicant side is
emailed, the applicant replies in the thread and attaches the document → only the assigned
officer is emailed → the officer accepts the evidence and the rule's verdict follows → a
colleague in the same organisation sees the statement and the thread; another organisation
gets 404.

The app is served for real (waitress) with MAIL_URL pointing at a local aiosmtpd server
(tests/mail_server.py); every assertion on an email reads what that server received. Mail
is sent after the action commits but inside the request, so it has arrived by the time the
page loads; `_received` still waits (bounded) rather than assume it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-e2e"
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "islington_mixed_use.json"
REFERENCE = "EXAMPLE/2026/0001/FUL"  # the fixture's application_reference
PROCUREMENT = "ISL-S106-LOCAL-PROCUREMENT"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REQUEST = "Please send your local procurement strategy."
REPLY = "Our strategy is attached."
ASSIGN_NOTE = "Procurement is the open point on this one."


# --- helpers -------------------------------------------------------------------------------


def _received(server: MailServer, count: int, timeout: float = 5.0) -> list[EmailMessage]:
    """The messages received so far, once there are `count` (bounded wait, then as they are)."""
    deadline = time.monotonic() + timeout
    while len(server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(server.messages)


def _subject(message: EmailMessage) -> str:
    """The Subject as read (a long one arrives folded over two lines)."""
    return " ".join(str(message["Subject"]).split())


def _link(message: EmailMessage) -> str:
    """The statement link every workflow email carries (store/mail.py compose)."""
    found = re.search(r"^Open the statement: (\S+)$", body(message), re.MULTILINE)
    assert found is not None, body(message)
    return found.group(1)


def _check_envelopes(server: MailServer) -> None:
    """Each message went to exactly the one address in its To header."""
    assert [rcpts for _, rcpts in server.envelopes] == [[str(m["To"])] for m in server.messages]


def _page(browser: Any) -> Any:
    """A fresh browser context (its own cookies: one person), localhost only."""
    context = browser.new_context()
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "http://localhost"))
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _fill_sign_in(page: Any, email: str) -> None:
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    _fill_sign_in(page, email)


def _seed(app: Any) -> dict[str, int]:
    from planning_sv.store import collaboration
    from planning_sv.store import statements as repo
    from planning_sv.store.users import create_user

    with app.extensions["planning_sv.db"].session() as session:
        applicant = create_user(session, "dev@firm.example", PASSWORD, "applicant", None)
        colleague = create_user(session, "ana@firm.example", PASSWORD, "applicant", None)
        rival = create_user(session, "eve@rival.example", PASSWORD, "applicant", None)
        olu = create_user(
            session, "olu@islington.example", PASSWORD, "officer", "islington", name="Olu Okafor"
        )
        create_user(
            session, "ade@islington.example", PASSWORD, "officer", "islington", name="Ade Bello"
        )
        create_user(
            session,
            "sam@islington.example",
            PASSWORD,
            "senior_officer",
            "islington",
            name="Sam Senior",
        )
        # Another council's officer: never written to about an Islington statement.
        create_user(session, "kim@salford.example", PASSWORD, "officer", "salford")
        firm = collaboration.create_organisation(session, applicant, "Firm Ltd")
        _, token = collaboration.invite(session, applicant, firm.id, colleague.email)
        collaboration.accept_invite(session, colleague, token)
        collaboration.create_organisation(session, rival, "Rival plc")
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        statement = repo.create_statement(session, applicant, "islington", data)
        session.commit()
        return {"statement_id": statement.id, "olu_id": olu.id}


@pytest.fixture
def mail_live_server(tmp_path: Path, smtp_server: MailServer) -> Iterator[Any]:  # noqa: F811
    """tests/e2e/conftest.py's live server, with MAIL_URL at the local SMTP server and
    PUBLIC_BASE_URL at the served address (so the links in the emails open here)."""
    from waitress.server import create_server

    from planning_sv.store.migrate import upgrade
    from planning_sv.web import create_app
    from tests.e2e.conftest import LiveServer, _free_port

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e-secret",
            "MAIL_URL": smtp_server.url,
            "PUBLIC_BASE_URL": base,
        }
    )
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield LiveServer(url=base, app=app)
    finally:
        server.close()
        app.extensions["planning_sv.db"].dispose()


def _target_date(app: Any, statement_id: int) -> tuple[dt.date, dt.date]:
    """(day of the first submission, stored target date) of the statement."""
    from planning_sv.store.models import Statement

    with app.extensions["planning_sv.db"].session() as session:
        statement = session.get(Statement, statement_id)
        assert statement is not None and statement.target_date is not None
        submitted = statement.versions[0].submitted_at
        return submitted.date(), statement.target_date


# --- the walk ------------------------------------------------------------------------------


def test_collaboration_email_journey(
    mail_live_server: Any,
    browser: Any,
    smtp_server: MailServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from planning_sv.core.figures import format_date

    app = mail_live_server.app
    seed = _seed(app)
    base = mail_live_server.url
    sid = seed["statement_id"]
    officer_link = f"{base}/officer/statements/{sid}"
    applicant_link = f"{base}/statements/{sid}"

    # --- 1. the applicant (a member of Firm Ltd) submits: the council's officers are emailed --
    smtp_server.clear()
    applicant = _page(browser)
    _sign_in(applicant, base, "dev@firm.example")
    applicant.goto(f"{base}/statements/{sid}/check")
    applicant.get_by_label(re.compile("I confirm that the information in this statement")).check()
    applicant.get_by_role("button", name="Accept and submit statement").click()
    applicant.wait_for_url(re.compile(rf"/statements/{sid}/versions/1/submitted$"))

    # Not assigned yet, so every officer and senior officer of Islington (sorted by address),
    # never the applicant side and never Salford's officer.
    got = _received(smtp_server, 3)
    assert [str(m["To"]) for m in got] == [
        "ade@islington.example",
        "olu@islington.example",
        "sam@islington.example",
    ]
    for message in got:
        assert _subject(message) == f"Social value statement submitted: {REFERENCE}"
        assert f"submitted version 1 of the social value statement for {REFERENCE}" in body(message)
        assert _link(message) == officer_link
    _check_envelopes(smtp_server)

    # --- 2. the senior officer opens the link and assigns the case to Olu ----------------------
    smtp_server.clear()
    senior = _page(browser)
    _sign_in(senior, base, "sam@islington.example")
    senior.goto(_link(got[2]))  # Sam's own copy
    expect(senior).to_have_url(officer_link)
    expect(senior.locator("h1")).to_contain_text(REFERENCE)
    case_line = senior.get_by_test_id("case-summary-line")
    expect(case_line).to_contain_text("Officer: not assigned")
    case_line.get_by_role("link", name="Case: officer and target date").click()
    senior.wait_for_url(re.compile(rf"/officer/statements/{sid}/case$"))
    expect(senior.get_by_test_id("case-holder")).to_have_text("Not assigned")
    form = senior.get_by_test_id("assign-form")
    form.locator("#officer").select_option(str(seed["olu_id"]))
    form.locator("#reason").fill(ASSIGN_NOTE)
    form.get_by_role("button", name="Save officer").click()
    senior.wait_for_load_state()
    expect(senior.locator(".govuk-notification-banner")).to_contain_text(
        "Case assigned to Olu Okafor"
    )
    expect(senior.get_by_test_id("case-holder")).to_have_text("Olu Okafor")

    # Only the assigned officer is emailed: who assigned it, the target date (first
    # submission + Islington's 91 days, DMPO 2015 art. 34(2)(b)), the note and the link.
    submitted_on, target = _target_date(app, sid)
    assert target == submitted_on + dt.timedelta(days=91)
    got = _received(smtp_server, 1)
    assert [str(m["To"]) for m in got] == ["olu@islington.example"]
    assigned = got[0]
    assert _subject(assigned) == f"Assigned to you: {REFERENCE}"
    text = body(assigned)
    assert f"Sam Senior assigned the social value statement for {REFERENCE} to you." in text
    assert f"The target date for a decision is {format_date(target)}." in text
    assert ASSIGN_NOTE in text
    assert _link(assigned) == officer_link
    _check_envelopes(smtp_server)

    # Olu opens the link from the email while signed out: sign in, then straight to the review.
    officer = _page(browser)
    officer.goto(_link(assigned))
    expect(officer).to_have_url(re.compile(r"/sign-in\?next="))
    _fill_sign_in(officer, "olu@islington.example")
    expect(officer).to_have_url(officer_link)
    expect(officer.get_by_test_id("case-summary-line")).to_contain_text("Officer: Olu Okafor")
    expect(officer.get_by_test_id("case-summary-line")).to_contain_text(format_date(target))
    officer.goto(f"{base}/officer/statements/{sid}/case")
    expect(officer.get_by_test_id("case-holder")).to_have_text("Olu Okafor")
    expect(officer.get_by_test_id("case-target")).to_contain_text(format_date(target))
    history = officer.get_by_test_id("case-history").locator('tr[data-action="assign"]')
    expect(history).to_contain_text("Officer nobody → Olu Okafor")
    expect(history).to_contain_text(ASSIGN_NOTE)

    # --- 3. the officer asks for the procurement strategy on that rule -----------------------
    smtp_server.clear()
    officer.goto(officer_link)
    summary = officer.get_by_test_id("evidence-summary").locator(f'[data-rule-id="{PROCUREMENT}"]')
    expect(summary).to_contain_text("No evidence supplied yet")
    officer.get_by_test_id("conversation-link").click()
    officer.wait_for_url(re.compile(rf"/statements/{sid}/conversation$"))
    form = officer.get_by_test_id("message-form")
    form.locator("#rule").select_option(PROCUREMENT)
    form.locator("#message").fill(REQUEST)
    form.get_by_test_id("send-message").click()
    officer.wait_for_load_state()
    expect(officer.get_by_test_id("thread")).to_contain_text(REQUEST)

    # The applicant side is emailed: both current members of Firm Ltd, nobody else.
    got = _received(smtp_server, 2)
    assert [str(m["To"]) for m in got] == ["ana@firm.example", "dev@firm.example"]
    for message in got:
        assert _subject(message) == (
            f"Changes requested to your social value statement: {REFERENCE}"
        )
        assert f"asks for changes to your social value statement for {REFERENCE}." in body(message)
        assert f"Their message:\n\n{REQUEST}\n" in body(message)
        assert _link(message) == applicant_link
    _check_envelopes(smtp_server)
    request_to_ana, request_to_dev = got

    # --- 4. the applicant opens the link, replies in the thread and attaches the document ----
    smtp_server.clear()
    applicant.goto(_link(request_to_dev))
    expect(applicant).to_have_url(applicant_link)
    applicant.get_by_test_id("conversation-link").click()
    thread = applicant.get_by_test_id("thread")
    expect(thread).to_contain_text(REQUEST)
    expect(thread).to_contain_text("about Local procurement (Code of Local Procurement)")
    strategy = tmp_path / "procurement-strategy.pdf"
    strategy.write_bytes(PDF)
    reply = applicant.get_by_test_id("message-form")
    reply.locator("#rule").select_option(PROCUREMENT)
    reply.locator("#message").fill(REPLY)
    reply.locator("#reply-document").set_input_files(str(strategy))
    reply.get_by_test_id("send-message").click()
    applicant.wait_for_load_state()
    expect(applicant.locator(".govuk-notification-banner")).to_contain_text(
        "Reply sent with your document."
    )
    rule = applicant.locator(f'[data-testid="evidence-rule"][data-rule-id="{PROCUREMENT}"]')
    expect(rule.get_by_test_id("evidence-state")).to_have_text(
        "Evidence supplied – awaiting the officer"
    )

    # The case is Olu's now, so the reply goes to Olu alone (not Ade, not Sam, not Ana).
    got = _received(smtp_server, 1)
    assert [str(m["To"]) for m in got] == ["olu@islington.example"]
    assert _subject(got[0]) == f"Reply from the applicant: {REFERENCE}"
    assert f"replied about the social value statement for {REFERENCE}." in body(got[0])
    assert f"Their message:\n\n{REPLY}\n" in body(got[0])
    assert _link(got[0]) == officer_link
    _check_envelopes(smtp_server)

    # --- 5. the officer opens the link, accepts the evidence; the rule's verdict follows -----
    officer.goto(_link(got[0]))
    expect(officer).to_have_url(officer_link)
    officer.get_by_test_id("conversation-link").click()
    officer.wait_for_url(re.compile(rf"/statements/{sid}/conversation$"))
    expect(officer.get_by_test_id("thread")).to_contain_text(REPLY)
    item = officer.locator(
        f'[data-testid="evidence-rule"][data-rule-id="{PROCUREMENT}"]'
    ).get_by_test_id("evidence-item")
    expect(item).to_contain_text("procurement-strategy.pdf")
    document = item.get_by_role("link", name="procurement-strategy.pdf")
    evidence_path = document.get_attribute("href")
    assert evidence_path is not None and evidence_path.startswith(f"/statements/{sid}/evidence/")
    with officer.expect_download() as download:
        document.click()
    assert Path(download.value.path()).read_bytes() == PDF
    item.get_by_label("Accepted").check()
    item.locator("textarea[name=reason]").fill("Commits to the Code of Local Procurement")
    item.get_by_role("button", name=re.compile("Record the decision")).click()
    officer.wait_for_load_state()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text(
        f"Your verdict on {PROCUREMENT} is now 'Met'."
    )
    officer.goto(officer_link)
    section = officer.locator(f'section[data-rule-id="{PROCUREMENT}"]')
    expect(
        section.get_by_test_id("officer-status").locator("[data-rule-status]")
    ).to_have_attribute("data-rule-status", "pass")
    expect(section).to_contain_text("Evidence accepted (procurement-strategy.pdf")

    # --- 6. a colleague in Firm Ltd opens her email's link: the statement and the thread ----
    colleague = _page(browser)
    _sign_in(colleague, base, "ana@firm.example")
    colleague.goto(_link(request_to_ana))
    expect(colleague).to_have_url(applicant_link)
    expect(colleague.get_by_test_id("evidence-summary")).to_contain_text("Evidence accepted")
    colleague.get_by_test_id("conversation-link").click()
    expect(colleague.get_by_test_id("thread")).to_contain_text(REQUEST)
    expect(colleague.get_by_test_id("thread")).to_contain_text(REPLY)
    with colleague.expect_download() as download:
        colleague.locator(f'a[href="{evidence_path}"]').first.click()
    assert Path(download.value.path()).read_bytes() == PDF

    # --- 7. another organisation cannot: 404 on the statement, thread, document and link ----
    rival = _page(browser)
    _sign_in(rival, base, "eve@rival.example")
    for url in (
        applicant_link,
        f"{applicant_link}/conversation",
        f"{base}{evidence_path}",
        _link(request_to_dev),
    ):
        response = rival.goto(url)
        assert response is not None and response.status == 404, url
