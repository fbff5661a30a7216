import pytest
from tests.e2e.test_officer_journey import _seed, _sign_in
pytestmark = pytest.mark.e2e

def test_shot(live_server, browser):
    seed = _seed(live_server.app)
    base = live_server.url
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    page = ctx.new_page()
    _sign_in(page, base, seed["users"]["officer"])
    for path in ("", "/decision", "/audit", "/reproduce"):
        page.goto(f"{base}/officer/statements/{seed['statement_id']}{path}")
        print(path, page.evaluate("document.documentElement.scrollWidth"))
    page.goto(f"{base}/officer/?from=bad")
    print("queue", page.evaluate("document.documentElement.scrollWidth"))
