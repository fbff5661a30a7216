"""Browser test of people working on a case together (issue 15, collaboration parts).

An applicant, a member of an organisation, submits; the officer asks for the local
procurement strategy on that rule in the conversation; the applicant replies in the thread
and attaches the document (the officer is emailed); the officer accepts the evidence and
the rule's verdict follows; a colleague in the same organisation sees the statement and the
thread; someone of another organisation gets 404.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

PASSWORD = "correct-horse-battery-e2e"
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "islington_mixed_use.json"
PROCUREMENT = "ISL-S106-LOCAL-PROCUREMENT"


def _subject(message: object) -> str:
    """The Subject as read (a long one arrives folded over two lines)."""
    return " ".join(str(message["Subject"]).split())  # type: ignore[index]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.e2e


def _seed(app: Any) -> dict[str, Any]:
    from planning_sv.store import collaboration
    from planning_sv.store import statements as repo
    from planning_sv.store.users import create_user

    with app.extensions["planning_sv.db"].session() as session:
        applicant = create_user(session, "dev@firm.example", PASSWORD, "applicant", None)
        colleague = create_user(session, "ana@firm.example", PASSWORD, "applicant", None)
        rival = create_user(session, "eve@rival.example", PASSWORD, "applicant", None)
        create_user(session, "olu@islington.example", PASSWORD, "officer", "islington")
        firm = collaboration.create_organisation(session, applicant, "Firm Ltd")
        _, token = collaboration.invite(session, applicant, firm.id, colleague.email)
        collaboration.accept_invite(session, colleague, token)
        collaboration.create_organisation(session, rival, "Rival plc")
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        statement = repo.create_statement(session, applicant, "islington", data)
        session.commit()
        return {"statement_id": statement.id, "organisation_id": firm.id}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _page(browser: Any) -> Any:
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


@pytest.fixture
def mail_live_server(tmp_path: Path, smtp_server: MailServer) -> Any:  # noqa: F811
    """The live server of tests/e2e/conftest.py, with mail sent to the local SMTP server."""
    import socket
    import threading
    import time

    from waitress.server import create_server

    from planning_sv.store.migrate import upgrade
    from planning_sv.web import create_app
    from tests.e2e.conftest import LiveServer, _free_port

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    port = _free_port()
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e-secret",
            "MAIL_URL": smtp_server.url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.close()
        app.extensions["planning_sv.db"].dispose()


def test_collaboration_journey(
    mail_live_server: Any,
    browser: Any,
    smtp_server: MailServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    seed = _seed(mail_live_server.app)
    base = mail_live_server.url
    sid = seed["statement_id"]

    # --- the applicant (a member of Firm Ltd) submits ---------------------------------------
    applicant = _page(browser)
    _sign_in(applicant, base, "dev@firm.example")
    applicant.goto(f"{base}/statements/{sid}/check")
    applicant.get_by_label(re.compile("I confirm that the information in this statement")).check()
    applicant.get_by_role("button", name="Accept and submit statement").click()
    applicant.wait_for_url(re.compile(rf"/statements/{sid}/versions/1/submitted$"))
    applicant.goto(f"{base}/organisation")
    expect(applicant.get_by_test_id("organisation-statements")).to_contain_text(
        "EXAMPLE/2026/0001/FUL"
    )

    # --- the officer asks for the procurement strategy on that rule ---------------------------
    smtp_server.clear()
    officer = _page(browser)
    _sign_in(officer, base, "olu@islington.example")
    officer.goto(f"{base}/officer/statements/{sid}")
    summary = officer.get_by_test_id("evidence-summary").locator(f'[data-rule-id="{PROCUREMENT}"]')
    expect(summary).to_contain_text("No evidence supplied yet")
    officer.get_by_test_id("conversation-link").click()
    officer.wait_for_url(re.compile(rf"/statements/{sid}/conversation$"))
    form = officer.get_by_test_id("message-form")
    form.locator("#rule").select_option(PROCUREMENT)
    form.locator("#message").fill("Please send your local procurement strategy.")
    form.get_by_test_id("send-message").click()
    officer.wait_for_load_state()
    expect(officer.get_by_test_id("thread")).to_contain_text(
        "Please send your local procurement strategy."
    )

    # The applicant side is emailed the request: both members of the organisation.
    for member in ("dev@firm.example", "ana@firm.example"):
        got = smtp_server.to(member)
        assert len(got) == 1, member
        assert _subject(got[0]) == (
            "Changes requested to your social value statement: EXAMPLE/2026/0001/FUL"
        )
        assert "Please send your local procurement strategy." in body(got[0])
    assert smtp_server.to("eve@rival.example") == []

    # --- the applicant replies in the thread and attaches the document ------------------------
    smtp_server.clear()
    applicant.goto(f"{base}/statements/{sid}")
    applicant.get_by_test_id("conversation-link").click()
    thread = applicant.get_by_test_id("thread")
    expect(thread).to_contain_text("Please send your local procurement strategy.")
    expect(thread).to_contain_text("about Local procurement (Code of Local Procurement)")
    strategy = tmp_path / "procurement-strategy.pdf"
    strategy.write_bytes(PDF)
    reply = applicant.get_by_test_id("message-form")
    reply.locator("#rule").select_option(PROCUREMENT)
    reply.locator("#message").fill("Our strategy is attached.")
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
    # The officer is emailed about the reply.
    got = smtp_server.to("olu@islington.example")
    assert [_subject(m) for m in got] == ["Reply from the applicant: EXAMPLE/2026/0001/FUL"]
    assert "Our strategy is attached." in body(got[0])

    # --- the officer accepts the evidence and the rule's verdict follows ----------------------
    officer.reload()
    item = officer.locator(
        f'[data-testid="evidence-rule"][data-rule-id="{PROCUREMENT}"]'
    ).get_by_test_id("evidence-item")
    expect(item).to_contain_text("procurement-strategy.pdf")
    with officer.expect_download() as download:
        item.get_by_role("link", name="procurement-strategy.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF
    item.get_by_label("Accepted").check()
    item.locator("textarea[name=reason]").fill("Commits to the Code of Local Procurement")
    item.get_by_role("button", name=re.compile("Record the decision")).click()
    officer.wait_for_load_state()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text(
        f"Your verdict on {PROCUREMENT} is now 'Met'."
    )
    officer.goto(f"{base}/officer/statements/{sid}")
    section = officer.locator(f'section[data-rule-id="{PROCUREMENT}"]')
    expect(
        section.get_by_test_id("officer-status").locator("[data-rule-status]")
    ).to_have_attribute("data-rule-status", "pass")
    expect(section).to_contain_text("Evidence accepted (procurement-strategy.pdf")

    # --- a colleague in the same organisation sees the statement and the thread ---------------
    colleague = _page(browser)
    _sign_in(colleague, base, "ana@firm.example")
    colleague.goto(f"{base}/statements/{sid}")
    expect(colleague.get_by_test_id("evidence-summary")).to_contain_text("Evidence accepted")
    colleague.get_by_test_id("conversation-link").click()
    expect(colleague.get_by_test_id("thread")).to_contain_text("Our strategy is attached.")
    expect(colleague.get_by_test_id("thread")).to_contain_text(
        "Please send your local procurement strategy."
    )

    # --- another organisation cannot ---------------------------------------------------------
    rival = _page(browser)
    _sign_in(rival, base, "eve@rival.example")
    for path in (f"/statements/{sid}", f"/statements/{sid}/conversation"):
        response = rival.goto(f"{base}{path}")
        assert response is not None and response.status == 404, path

    # --- the new pages pass the same accessibility checks as every other page ----------------
    from tests.e2e.test_accessibility import _check

    problems = []
    for page, path in (
        (colleague, f"/statements/{sid}/conversation"),
        (colleague, "/organisation"),
        (officer, f"/statements/{sid}/conversation"),
        (rival, "/organisation"),
        (applicant, "/organisation"),  # a manager's view: make manager, remove, invite
    ):
        problems += _check(page, base, path, 375)
    assert problems == []
