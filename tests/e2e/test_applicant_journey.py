"""An applicant registers, enters an Islington statement through the forms, sees a failing
rule in the self-check, fixes it and submits: in a real Chromium against the real server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WORKSPACE_RULE = "ISL-B4-AFFORDABLE-WORKSPACE"


def axe_violations(page, base: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious or critical WCAG violations axe-core finds on the current page."""
    # A click that navigates returns once the new page is committed, before it has a
    # <head> to add the script to; wait for it to load (a race seen on a busy machine).
    page.wait_for_load_state("load")
    page.add_script_tag(url=base + "/static/vendor/axe-core/axe.min.js")
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']})"
    )
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        nodes = [
            node
            for node in violation["nodes"]
            # GOV.UK Frontend's conditional-reveal radios set aria-expanded on the radio
            # inputs by design (alphagov/govuk-frontend#979); axe reports it. Nothing else
            # is excused.
            if not (
                violation["id"] == "aria-allowed-attr"
                and "govuk-radios__input" in node["html"]
                and "aria-expanded" in node["html"]
            )
        ]
        if nodes:
            found.append(f"{violation['id']}: {violation['help']} ({nodes[0]['html'][:200]})")
    return found


def test_applicant_enters_fixes_and_submits_a_statement(live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(base + "/")
    page.get_by_role("button", name="Start now").click()

    # Register (the form's validation is exercised on the way).
    page.fill("#email", "dev@builder.example")
    page.fill("#password", "short")
    page.fill("#confirm", "short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    violations = axe_violations(page, base)
    assert violations == [], violations
    assert "at least 12 characters" in page.locator(".govuk-error-summary").inner_text()
    page.fill("#password", "a-long-enough-password")
    page.fill("#confirm", "a-long-enough-password")
    page.get_by_role("button", name="Create account").click()
    # Registration does not sign in (it answers alike for taken addresses): sign in next.
    page.wait_for_url(re.compile(r".*/sign-in$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Now sign in")
    page.fill("#email", "dev@builder.example")
    page.fill("#password", "a-long-enough-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/statements$"))

    # Start a statement for Islington.
    page.get_by_role("button", name="Start a new statement").click()
    page.get_by_label("London Borough of Islington").check()
    page.fill("#application_reference", "P2026/0042/FUL")
    page.get_by_role("button", name="Continue").click()

    # Development facts.
    page.wait_for_url(re.compile(r".*/development$"))
    page.fill("#dwellings", "120")
    page.fill("#build_cost_gbp", "45,000,000")  # typed as people write it
    page.fill("#construction_months", "30")
    page.fill("#floorspace_office", "8000")
    page.fill("#floorspace_residential", "9500")
    page.get_by_role("button", name="Save and continue").click()

    # Site by postcode; the page confirms the ward it landed in.
    page.wait_for_url(re.compile(r".*/site$"))
    page.get_by_label("Postcode", exact=True).first.check()
    page.fill("#postcode", "n193aa")
    # The area decides Policy B4's threshold: in the CAZ it is 1,000 m² of offices.
    page.get_by_label("Central Activities Zone (CAZ)").check()
    page.get_by_role("button", name="Save and continue").click()
    placed = page.get_by_test_id("site-placed")
    expect(placed).to_be_visible()
    expect(page.locator("#site-map.app-map--active")).to_be_visible()  # the map enhancement ran
    page.wait_for_timeout(400)  # Leaflet's fade-in, or axe measures half-transparent text
    violations = axe_violations(page, base)
    assert violations == [], violations
    assert re.search(r"ward \(E05\d{6}\)", placed.inner_text())
    page.get_by_role("link", name="Continue to commitments").click()

    # One commitment: too little affordable workspace for 8,000 m² of offices.
    page.get_by_role("button", name="Add a commitment").click()
    violations = axe_violations(page, base)
    assert violations == [], violations
    # The unit list follows the measure chosen (static/js/unit-filter.js).
    page.select_option("#measure", "apprenticeship")
    units = page.locator("#unit option").evaluate_all("options => options.map(o => o.value)")
    assert units == ["", "starts", "weeks"]
    page.select_option("#measure", "affordable_workspace")
    units = page.locator("#unit option").evaluate_all("options => options.map(o => o.value)")
    assert units == ["", "sqm", "sqm_years"]
    page.fill("#quantity", "500")
    page.select_option("#unit", "sqm")
    page.get_by_label("Anywhere in the council's area").check()
    page.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_test_id("commitments")).to_be_visible()
    page.get_by_role("button", name="Continue to check your answers").click()

    # The self-check shows the workspace rule failing, with its shortfall and citation.
    row = page.locator(f"tr[data-rule-id='{WORKSPACE_RULE}']")
    assert row.locator("[data-rule-status]").get_attribute("data-rule-status") in (
        "fail",
        "partial",
    )
    assert "300" in row.locator("[data-shortfall]").inner_text()
    # 10% of 8,000 m² of offices is 800 m²; 500 offered, no partial grade: fail, 300 short.
    assert row.locator("[data-rule-status]").get_attribute("data-rule-status") == "fail"
    assert float(row.locator("[data-shortfall]").get_attribute("data-shortfall")) == 300
    violations = axe_violations(page, base)
    assert violations == [], violations
    row.get_by_text("How this was worked out").click()
    worked = row.locator(".govuk-details__text").inner_text()
    assert "10% of the 8,000 m² of office floorspace = 800 m²." in worked
    assert "It is 300 m² short." in worked
    assert "B4 Affordable workspace" in worked and "Islington Local Plan" in worked

    # Fix it: change the commitment to 800 m².
    page.goto(page.url.replace("/check", "/commitments"))
    page.get_by_role("link", name=re.compile("Change.*commitment c1")).click()
    page.fill("#quantity", "800")
    page.get_by_role("button", name="Save commitment").click()
    page.get_by_role("button", name="Continue to check your answers").click()
    row = page.locator(f"tr[data-rule-id='{WORKSPACE_RULE}']")
    expect(row.locator("[data-rule-status]")).to_have_attribute("data-rule-status", "pass")

    # Submit: the declaration first (refused without it), then the confirmation page.
    page.get_by_role("button", name="Accept and submit statement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Confirm that the information in this statement is correct"
    )
    page.get_by_label(re.compile("I confirm that the information in this statement")).check()
    page.get_by_role("button", name="Accept and submit statement").click()
    expect(page.get_by_test_id("confirmation")).to_contain_text("Statement submitted")
    expect(page.locator("main")).to_contain_text("What happens next")
    violations = axe_violations(page, base)
    assert violations == [], violations
    page.get_by_role("link", name="Go to your statement").click()
    expect(page.locator("main .govuk-tag").first).to_have_text("Submitted")
    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_test_id("self-check")).to_be_visible()
    violations = axe_violations(page, base)
    assert violations == [], violations

    # Sign out with the header's button (a POST with the CSRF token): signed out for real.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    page.goto(base + "/statements")
    page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    assert script_errors == []
