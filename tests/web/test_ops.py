"""Health, readiness and the request log: /healthz, /readyz, request ids in logs and pages."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store.migrate import upgrade
from planning_sv.store.models import User
from planning_sv.web import create_app
from planning_sv.web.authz import PUBLIC, allow
from planning_sv.web.logging import make_handler
from planning_sv.web.ops import _head_revisions
from tests.conftest import shared_assessor


def test_healthz_is_public_json(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "0.1.0"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_when_ready(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert sorted(body["checks"]) == ["boundaries", "database", "open_data", "rule_packs"]
    assert all(check["ok"] for check in body["checks"].values())
    # The database is at the code's head revision, which the detail names.
    head = _head_revisions()
    assert body["checks"]["database"]["detail"] == f"at revision {', '.join(head)}"


def _unmigrated_app(url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "ASSESSOR": shared_assessor(),
        }
    )


def test_readyz_503_names_an_unmigrated_database(tmp_path: Path, instance_dir: Path) -> None:
    app = _unmigrated_app(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "not ready"
        assert body["failing"] == ["database"]
        detail = body["checks"]["database"]["detail"]
        assert detail.startswith("database not migrated: at revision none (empty database)")
        assert "planning-sv db upgrade" in detail
        # The other checks still ran and passed.
        assert body["checks"]["rule_packs"]["ok"] is True
        assert body["checks"]["boundaries"]["ok"] is True
        # The process itself is up.
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        app.extensions["planning_sv.db"].dispose()


def test_readyz_503_on_an_older_revision(tmp_path: Path, instance_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    app = _unmigrated_app(url)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["failing"] == ["database"]
        assert body["checks"]["database"]["detail"].startswith(
            "database not migrated: at revision 0001,"
        )
    finally:
        app.extensions["planning_sv.db"].dispose()


# --- the request log ----------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """The JSON lines the `planning_sv` loggers write during the test (the real handler)."""
    stream = io.StringIO()
    handler = make_handler(stream, "json")
    logger = logging.getLogger("planning_sv")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _with_failing_routes(app: Flask) -> Flask:
    """Test-only routes that raise, registered before the app's first request."""

    @allow(PUBLIC)
    def boom() -> str:
        raise RuntimeError("deliberate failure for the test")

    app.add_url_rule("/test-only/boom", "test_boom", boom)
    app.add_url_rule("/api/v1/test-only/boom", "test_api_boom", boom)
    return app


def test_a_failing_request_has_one_id_in_log_page_and_header(
    app: Flask, log_lines: Callable[[], list[dict]]
) -> None:
    client = _with_failing_routes(app).test_client()
    response = client.get("/test-only/boom?token=s3cret-value")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)  # generated: none was sent
    # The page shows it, for the user to quote.
    assert f"quote reference <code>{request_id}</code>" in response.text

    lines = log_lines()
    access = [line for line in lines if line["logger"] == "planning_sv.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == request_id
    assert access[0]["method"] == "GET"
    assert access[0]["path"] == "/test-only/boom"  # without the query string
    assert access[0]["status"] == 500
    assert access[0]["user_id"] is None
    assert access[0]["duration_ms"] >= 0
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["logger"] == "planning_sv.web"
    assert errors[0]["request_id"] == request_id
    assert "RuntimeError: deliberate failure for the test" in errors[0]["exc_info"]
    # Every line written while serving the request carries its id; no secret leaked.
    assert {line["request_id"] for line in lines} == {request_id}
    assert "s3cret-value" not in json.dumps(lines)


def test_api_500_gives_the_request_id_in_the_problem(
    app: Flask, log_lines: Callable[[], list[dict]]
) -> None:
    client = _with_failing_routes(app).test_client()
    response = client.get("/api/v1/test-only/boom", headers={"X-Request-Id": "lb-42.a_b"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    # A safe incoming id is kept, so the proxy's logs and ours join up.
    assert response.headers["X-Request-Id"] == "lb-42.a_b"
    assert response.get_json()["request_id"] == "lb-42.a_b"
    assert {line["request_id"] for line in log_lines()} == {"lb-42.a_b"}


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", "new\\nline", ""])
def test_an_unsafe_incoming_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": incoming})
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])


def test_access_log_names_the_signed_in_user(
    login_as: Callable[..., FlaskClient],
    make_user: Callable[..., User],
    log_lines: Callable[[], list[dict]],
) -> None:
    user = make_user("applicant")
    client = login_as(user=user)
    before = len(log_lines())
    response = client.get("/statements")
    assert response.status_code == 200
    access = [line for line in log_lines()[before:] if line["logger"] == "planning_sv.access"]
    assert [(a["method"], a["path"], a["status"], a["user_id"]) for a in access] == [
        ("GET", "/statements", 200, user.id)
    ]
    assert access[0]["request_id"] == response.headers["X-Request-Id"]
    # The sign-in form's password never reaches the log.
    assert "correct-horse-battery" not in json.dumps(log_lines())


def test_without_open_data_healthz_is_up_and_readyz_names_the_data(
    app_with: Callable[..., Flask], tmp_path: Path
) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    app = app_with(ASSESSOR=None, DATA_DIR=empty)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["open_data", "boundaries"]
    assert body["checks"]["open_data"]["detail"] == (
        "required open data missing; run `planning-sv data status`"
    )
    assert body["checks"]["boundaries"]["detail"] == "no ward boundary vintage found"
    assert str(empty) not in response.text  # the folder is for the operator's log only
    # Every other page still gets the plain 503 (tests/web/test_data_missing.py).
    assert client.get("/sign-in").status_code == 503


@pytest.mark.parametrize("fmt, formatter", [("json", "JsonFormatter"), ("text", "Formatter")])
def test_production_app_logs_in_the_chosen_format_once(
    app_with: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, fmt: str, formatter: str
) -> None:
    logger = logging.getLogger("planning_sv")
    saved, saved_level = list(logger.handlers), logger.level
    # Start from no handler of ours: an earlier in-process production app may have added one.
    for handler in saved:
        logger.removeHandler(handler)
    monkeypatch.setenv("LOG_FORMAT", fmt)
    try:
        app_with(TESTING=False)
        app_with(TESTING=False)  # a second app in the same process adds no second handler
        assert [type(h.formatter).__name__ for h in logger.handlers] == [formatter]
        assert logger.level == logging.INFO
    finally:
        for handler in logger.handlers[:]:
            logger.removeHandler(handler)
        for handler in saved:
            logger.addHandler(handler)
        logger.setLevel(saved_level)
