"""Public ward pages in a real Chromium: the Leaflet map initialises from the vendored files,
no console errors, no request leaves the site, no serious/critical axe violations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from planning_sv import config

pytestmark = pytest.mark.e2e

AXE = config.STATIC_DIR / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = config.PROJECT_ROOT / "test-artifacts"
EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples


def _seed_demo(app: Any) -> None:
    """The demo data (`planning-sv demo seed`) into the live server's database."""
    from planning_sv.store.demo import seed

    examples = {}
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        examples[data["council"]] = data
    with app.extensions["planning_sv.db"].session() as session:
        _accounts, created = seed(session, examples)
    assert created > 0


def _check_page(page: Any, base: str, path: str, screenshot: str) -> None:
    errors: list[str] = []
    remote: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda request: remote.append(request.url) if not request.url.startswith(base) else None,
    )
    response = page.goto(base + path)
    assert response is not None and response.status == 200
    # Leaflet initialised: a container with drawn ward paths.
    page.wait_for_selector(".leaflet-container path.leaflet-interactive", state="attached")
    assert page.locator(".leaflet-container").count() == 1
    assert page.locator(".leaflet-container path").count() >= 17
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "Crown copyright and database right 2025" in attribution
    assert page.locator(".app-map__attribution").is_visible()
    # A popup opens with the ward's name as text (built with textContent).
    page.locator(".leaflet-container path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content .app-map-popup")
    # Let Leaflet's fade-in finish, or axe measures the contrast of half-transparent text.
    # (A function, not a string: the page's CSP forbids eval.)
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    assert page.locator(".leaflet-popup-content strong").inner_text().strip()

    # By URL: the page's CSP (rightly) refuses inline scripts without its nonce.
    assert AXE.exists()
    page.add_script_tag(url=base + "/static/vendor/axe-core/axe.min.js")
    results = page.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    assert serious == [], serious
    assert errors == [], errors
    assert remote == [], remote


def test_borough_and_ward_pages_in_a_browser(live_server, page) -> None:  # type: ignore[no-untyped-def]
    _seed_demo(live_server.app)
    base = live_server.url
    _check_page(page, base, "/councils/islington/wards", "public-islington-wards.png")
    # Switching the figure re-shades the map and keeps the table beside it.
    _check_page(
        page, base, "/councils/salford/wards?figure=apprenticeships", "public-salford-wards.png"
    )
    assert "Apprenticeships by ward" in page.locator("#ward-figures caption").inner_text()
    _check_page(page, base, "/councils/islington/wards/E05013706", "public-islington-holloway.png")
    # The ward page shows the site of the approved demo schemes as a marker.
    assert page.locator(".leaflet-container path.leaflet-interactive").count() > 17


def test_bad_filter_page_is_a_400_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(live_server.url + "/councils/islington/wards?year=soon")
    assert response is not None and response.status == 400
    assert "Invalid query parameter 'year'" in page.locator("main").inner_text()
