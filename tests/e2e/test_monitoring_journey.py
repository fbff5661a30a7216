"""Browser test of monitoring (issue 13): the officer records the signed agreement and
commencement; the developer reports delivery with an evidence file; the officer verifies it;
the public ward page shows the verified delivered figure (and never the evidence)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct-horse-battery-e2e"
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "islington_mixed_use.json"
HOLLOWAY = "E05013706"
PDF = b"%PDF-1.4\n% apprenticeship start letters\n%%EOF\n"

pytestmark = pytest.mark.e2e


def _seed(app: Any) -> dict[str, Any]:
    """An approved Islington scheme (the example: 8 apprenticeship starts in Holloway)."""
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
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        statement = repo.create_statement(session, owner, "islington", data)
        repo.submit(session, statement, owner)
        for action, actor in (
            ("start_review", officer),
            ("recommend", officer),
            ("sign_off", senior),
            ("approve", officer),
        ):
            repo.apply_transition(session, statement, action, actor)
        return {"sid": statement.id, "owner": owner.email, "officer": officer.email}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_monitoring_journey(live_server: Any, browser: Any, tmp_path: Path) -> None:
    from planning_sv.store import monitoring as repo

    seed = _seed(live_server.app)
    base, sid = live_server.url, seed["sid"]
    # Commencement 30 days ago: 30 of the 728 days (104 weeks) to the due date have passed,
    # under a quarter, so nobody is at risk yet whatever today is.
    commenced = dt.date.today() - dt.timedelta(days=30)

    # --- officer: the signed agreement, then commencement ------------------------------
    officer = browser.new_context().new_page()
    officer.set_default_timeout(10_000)
    _sign_in(officer, base, seed["officer"])
    officer.goto(f"{base}/monitoring/statements/{sid}/agreement")
    officer.locator("#reference").fill("P2026/0001/S106")
    officer.locator("#signed_on").fill("2026-01-15")
    officer.get_by_test_id("record-agreement").click()
    officer.wait_for_load_state()
    assert officer.url.endswith(f"/monitoring/statements/{sid}")
    assert "Agreement recorded" in officer.content()
    officer.get_by_text("Record a trigger event").click()
    officer.locator("#kind").select_option("commencement")
    officer.locator("#occurred_on").fill(commenced.isoformat())
    officer.get_by_role("button", name="Record event").click()
    officer.wait_for_load_state()
    assert "Trigger event recorded" in officer.content()
    with live_server.app.extensions["planning_sv.db"].session() as session:
        apprenticeships = next(
            o for o in repo.obligations_of(session, sid) if o.measure == "apprenticeship"
        )
    assert apprenticeships.status == "on_track"

    # --- developer: a delivery report with evidence -------------------------------------
    developer = browser.new_context().new_page()
    developer.set_default_timeout(10_000)
    _sign_in(developer, base, seed["owner"])
    developer.goto(f"{base}/monitoring/statements/{sid}")
    developer.get_by_test_id("report-delivery").click()
    developer.locator("#obligation").select_option(str(apprenticeships.id))
    developer.locator("#period_start").fill(commenced.isoformat())
    developer.locator("#period_end").fill(dt.date.today().isoformat())
    developer.locator("#quantity").fill("3")
    evidence = tmp_path / "start-letters.pdf"
    evidence.write_bytes(PDF)
    developer.locator("#evidence").set_input_files(str(evidence))
    developer.get_by_test_id("send-report").click()
    developer.wait_for_load_state()
    assert "sent to the council for verification" in developer.content()
    report_row = developer.locator("[data-report]").first
    assert report_row.get_attribute("data-verification") == "pending"
    assert "start-letters.pdf" in report_row.inner_text()

    # --- officer: verifies -------------------------------------------------------------
    officer.goto(f"{base}/monitoring/statements/{sid}")
    row = officer.locator("[data-report]").first
    report_id = row.get_attribute("data-report")
    row.locator(f"#accept-{report_id}").check()
    row.get_by_role("button", name=f"Verify report {report_id}").click()
    officer.wait_for_load_state()
    assert "Report verified" in officer.content()
    progress = officer.locator(f'[data-obligation="{apprenticeships.id}"] [data-testid=progress]')
    assert progress.inner_text().startswith("3 / 8")
    # The evidence downloads for the officer (through the permission-checked route).
    link = officer.get_by_role("link", name="start-letters.pdf")
    got = officer.request.get(base + link.get_attribute("href"))
    assert (got.status, got.body()) == (200, PDF)

    # --- the export files (h13-exports' contributions download) carry the agreement ------
    exported = officer.request.get(f"{base}/admin/contributions/islington/developer-agreement.csv")
    assert exported.status == 200 and "P2026/0001/S106" in exported.text()
    transactions = officer.request.get(
        f"{base}/admin/contributions/islington/developer-agreement-transaction.csv"
    )
    assert transactions.status == 200
    # The verified report, as a transaction on the apprenticeships contribution: 3 units.
    delivered = [line.split(",") for line in transactions.text().splitlines()[1:]]
    assert [(row[3], row[5], row[6]) for row in delivered] == [
        ("received", "3", "Verified: accepted")
    ]

    # --- the public ward page: delivered (verified) 3 of 8 promised --------------------
    public = browser.new_context().new_page()
    public.goto(f"{base}/councils/islington/wards/{HOLLOWAY}")
    cells = public.locator('#delivery-figures tr[data-measure="apprenticeship"]')
    assert float(cells.locator("[data-promised]").get_attribute("data-promised")) == 8.0
    assert float(cells.locator("[data-delivered]").get_attribute("data-delivered")) == 3.0
    assert "/documents/" not in public.content()
    # Anonymous visitors cannot fetch the evidence.
    blocked = public.request.get(base + link.get_attribute("href"), max_redirects=0)
    assert blocked.status == 302 and "/sign-in" in blocked.headers["location"]
