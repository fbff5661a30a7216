"""Browser test of the whole officer journey (issue 6, item 7).

Officer signs in, opens a submitted statement from the queue, overrides one rule with a
reason and requests changes from the decision page; the applicant resubmits and sees the
message, labelled, without the override reason; the officer confirms the carried-forward
verdict, acknowledges the unverified figures, agrees with the engine on the remaining rules
from the review summary and recommends; the senior officer signs off; the heads of terms
download and contain the obligations.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from planning_sv.store.models import Statement, User

PASSWORD = "correct-horse-battery-e2e"
# The project's copy of the shared example (tests/fixtures), kept current with the rule
# packs (the Islington B4 rules need the site's designation, which the copy gives).
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "islington_mixed_use.json"


def load_example(_council: str) -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


pytestmark = pytest.mark.e2e


def _seed(app: Any) -> dict[str, Any]:
    from planning_sv.store import statements as repo
    from planning_sv.store.users import create_user

    with app.extensions["planning_sv.db"].session() as session:
        owner = create_user(session, "dev@example.com", PASSWORD, "applicant", None)
        officer = create_user(
            session, "officer@islington.example", PASSWORD, "officer", "islington"
        )
        senior = create_user(
            session, "senior@islington.example", PASSWORD, "senior_officer", "islington"
        )
        statement = repo.create_statement(session, owner, "islington", load_example("islington"))
        repo.submit(session, statement, owner)
        assessment = statement.latest_version.assessment.data  # type: ignore[union-attr]
        return {
            "statement_id": statement.id,
            "reference": statement.application_reference,
            "rule": assessment["rules"][0],
            "rule_count": len(assessment["rules"]),
            "obligations": [c for c in assessment["commitments"] if c["quantity"]],
            "users": {u.role: u.email for u in (owner, officer, senior)},
        }


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_officer_journey(live_server: Any, browser: Any) -> None:
    seed = _seed(live_server.app)
    base = live_server.url
    sid = seed["statement_id"]
    rule = seed["rule"]
    override_to = "pass" if rule["status"] != "pass" else "fail"

    # --- officer: queue → review → override one rule → request changes ------------------
    officer_ctx = browser.new_context(accept_downloads=True)
    officer = officer_ctx.new_page()
    officer.set_default_timeout(15_000)
    _sign_in(officer, base, seed["users"]["officer"])
    assert officer.url.endswith("/officer/")  # officers land on their queue
    row = officer.locator(f'tr[data-statement-id="{sid}"]')
    assert "Submitted" in row.inner_text()
    row.get_by_role("link").click()
    officer.wait_for_url(re.compile(rf"/officer/statements/{sid}$"))
    section = officer.locator(f'section[data-rule-id="{rule["id"]}"]')
    section.locator(f"#override-{rule['id']}").check()
    section.locator(f'select[name="status-{rule["id"]}"]').select_option(override_to)
    section.locator(f'textarea[name="reason-{rule["id"]}"]').fill(
        "Shortfall covered by a fee in lieu"
    )
    officer.get_by_test_id("save-verdicts").click()
    officer.wait_for_load_state()
    assert "Saved 1 verdict" in officer.content()
    section = officer.locator(f'section[data-rule-id="{rule["id"]}"]')
    assert (
        section.get_by_test_id("engine-status")
        .locator("[data-rule-status]")
        .get_attribute("data-rule-status")
        == rule["status"]
    )
    assert (
        section.get_by_test_id("officer-status")
        .locator("[data-rule-status]")
        .get_attribute("data-rule-status")
        == override_to
    )
    assert "Shortfall covered by a fee in lieu" in section.inner_text()

    # Decisions are one click from the top of the review page (issue 12).
    officer.get_by_test_id("make-decision").click()
    officer.wait_for_url(re.compile(rf"/officer/statements/{sid}/decision$"))
    request_form = officer.locator('form[data-action="request_changes"]')
    assert "Message to the applicant" in request_form.inner_text()
    request_form.locator("textarea").fill("Please add 5 more local apprenticeships")
    request_form.get_by_role("button", name="Request changes").click()
    officer.wait_for_load_state()
    assert "Changes requested" in officer.get_by_test_id("status").inner_text()

    # --- applicant: sees the request and resubmits ---------------------------------------
    applicant_ctx = browser.new_context()
    applicant = applicant_ctx.new_page()
    applicant.set_default_timeout(15_000)
    _sign_in(applicant, base, seed["users"]["applicant"])
    applicant.goto(f"{base}/statements/{sid}")
    assert "Please add 5 more local apprenticeships" in applicant.content()
    message = applicant.get_by_test_id("history-message").first.inner_text()
    assert "Message from the planning officer" in message
    assert "Shortfall covered by a fee in lieu" not in applicant.content()  # internal
    applicant.goto(f"{base}/statements/{sid}/check")
    # The declaration first (issue 12's applicant pages), then resubmit.
    applicant.get_by_label(re.compile("I confirm that the information in this statement")).check()
    applicant.locator("main form").get_by_role("button", name=re.compile("submit")).last.click()
    applicant.wait_for_load_state()
    assert applicant.get_by_test_id("confirmation").count() == 1, applicant.content()[:3000]
    applicant_ctx.close()

    # --- officer: recommends version 2 ---------------------------------------------------
    officer.goto(f"{base}/officer/?status=resubmitted")
    officer.locator(f'tr[data-statement-id="{sid}"]').get_by_role("link").click()
    officer.wait_for_url(re.compile(rf"/officer/statements/{sid}$"))
    assert '<strong aria-current="page">2</strong>' in officer.content()
    # Version 2 starts without verdicts but carries the one recorded on version 1 forward:
    # shown and pre-filled, counted once the officer saves it.
    section = officer.locator(f'section[data-rule-id="{rule["id"]}"]')
    earlier = section.get_by_test_id("previous-verdict")
    assert "Carried forward from version 1" in earlier.inner_text()
    assert "Shortfall covered by a fee in lieu" in earlier.inner_text()
    assert section.locator(f"#override-{rule['id']}").is_checked()
    officer.get_by_test_id("save-verdicts").click()
    officer.wait_for_load_state()
    assert "Saved 1 verdict" in officer.content()
    # The unverified figures are acknowledged before recommending (issue 12).
    boxes = officer.locator('input[name="acknowledge"]:not([disabled])')
    for index in range(boxes.count()):
        boxes.nth(index).check()
    officer.get_by_test_id("acknowledge").click()
    officer.wait_for_load_state()
    assert "Acknowledged" in officer.content()
    # The other rules: the engine's result becomes the officer's, from the summary.
    remaining = seed["rule_count"] - 1
    agree = officer.get_by_test_id("agree-remaining")
    assert f"remaining {remaining} rules" in agree.inner_text()
    agree.click()
    officer.wait_for_load_state()
    assert f"You agreed with the engine on {remaining} rules" in officer.content()
    assert (
        f"{seed['rule_count']} of {seed['rule_count']} rules reviewed"
        in officer.get_by_test_id("review-progress").inner_text()
    )
    officer.get_by_test_id("make-decision").click()
    recommend = officer.locator('form[data-action="recommend"]')
    assert recommend.get_by_test_id("accept-engine").count() == 0  # nothing left unjudged
    recommend.get_by_role("button").click()
    officer.wait_for_load_state()
    assert "Recommended" in officer.get_by_test_id("status").inner_text()
    # The recommender is not offered a sign-off (it is not an officer's anyway).
    officer.goto(f"{base}/officer/statements/{sid}/decision")
    assert officer.locator('form[data-action="sign_off"]').count() == 0

    # --- senior officer: signs off ---------------------------------------------------------
    senior_ctx = browser.new_context()
    senior = senior_ctx.new_page()
    senior.set_default_timeout(15_000)
    _sign_in(senior, base, seed["users"]["senior_officer"])
    senior.goto(f"{base}/officer/statements/{sid}")
    senior.get_by_test_id("make-decision").click()
    senior.locator('form[data-action="sign_off"]').get_by_role("button").click()
    senior.wait_for_load_state()
    assert "Signed off" in senior.get_by_test_id("status").inner_text()
    senior_ctx.close()

    # --- heads of terms: HTML and the DOCX download ----------------------------------------
    officer.goto(f"{base}/officer/statements/{sid}/heads-of-terms")
    assert len(seed["obligations"]) == 6  # the Islington example's c1..c6
    # One obligation per commitment, besides the monitoring fee (its own section).
    assert officer.locator(".app-obligation[data-commitment-id]").count() == len(
        seed["obligations"]
    )
    with officer.expect_download() as info:
        officer.get_by_role("link", name="Download as a Word document (DOCX)").click()
    download = info.value
    assert download.suggested_filename.endswith("-v2.docx")
    document = Document(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Section 106 obligations" in text
    # One head per commitment, then the council's monitoring fee (a head of its own, with a
    # trigger and no monitoring of itself).
    assert text.count("Trigger and timing:") == len(seed["obligations"]) + 1
    assert text.count("Monitoring and reporting:") == len(seed["obligations"])
    assert "Monitoring fee" in text

    # The audit page shows the whole journey, in order.
    officer.goto(f"{base}/officer/statements/{sid}/audit")
    actions = officer.locator("tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == [
        "create",
        "submit",
        "start_review",
        "verdict",
        "request_changes",
        "resubmit",
        "start_review",
        "verdict",
        "acknowledge_unverified",
        *["verdict"] * (seed["rule_count"] - 1),
        "recommend",
        "sign_off",
    ]
    officer_ctx.close()

    with live_server.app.extensions["planning_sv.db"].session() as session:
        statement = session.get(Statement, sid)
        assert statement is not None and statement.status == "signed_off"
        assert len(statement.versions) == 2
        assert session.query(User).count() == 3
