"""Browser-test fixtures: the app served by waitress on a free port, and a Chromium page.

Playwright drives Debian's chromium (/usr/bin/chromium). Under CI=true a missing browser or
Playwright fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

CHROMIUM = os.environ.get("PLANNING_SV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true: browser tests cannot run: {reason}")
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    app: Flask


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app (CSRF on, secure cookies) under waitress in a thread, on a temp SQLite DB."""
    from waitress.server import create_server

    from planning_sv.store.migrate import upgrade
    from planning_sv.web import create_app

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    # As in production: CSRF on, secure cookies (Chromium keeps them on http://127.0.0.1).
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "e2e-secret"})
    port = _free_port()
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
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.close()
        app.extensions["planning_sv.db"].dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"chromium not found at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    # No network in tests: anything not served by the local app (e.g. map tiles) is aborted.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "http://localhost"))
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(8_000)
    try:
        yield page
    finally:
        context.close()
