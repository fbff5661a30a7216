"""`planning-sv db upgrade`, `users create`, `tokens create/revoke`, `demo seed`, `serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from planning_sv.cli import cli
from planning_sv.store.db import Database
from planning_sv.store.models import Statement, StatementVersion, User
from planning_sv.store.users import user_for_token


def _run(*args: str, url: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)


GOOD_PASSWORD = "long-password-1"


def _create_user(
    url: str, email: str, password: str = GOOD_PASSWORD, council: str | None = "islington"
) -> Result:
    """`planning-sv users create` for an officer (no --council when council is None)."""
    args = ["users", "create", "--email", email, "--password", password, "--role", "officer"]
    if council is not None:
        args += ["--council", council]
    return _run(*args, url=url)


def test_users_and_tokens(db_url: str) -> None:
    created = _create_user(db_url, "o@isl.example")
    assert created.exit_code == 0 and "created officer o@isl.example (islington)" in created.output
    bad = _create_user(db_url, "x@y.example", password="short", council=None)
    assert bad.exit_code == 2
    assert "error: password:" in bad.output and "error: council:" in bad.output
    duplicate = _create_user(db_url, "o@isl.example")
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    unknown_council = _create_user(db_url, "z@y.example", council="atlantis")
    assert unknown_council.exit_code == 2 and "unknown council 'atlantis'" in unknown_council.output

    token_run = _run("tokens", "create", "--email", "o@isl.example", url=db_url)
    assert token_run.exit_code == 0
    token = token_run.output.strip().splitlines()[-1]
    database = Database(db_url)
    with database.session() as s:
        assert user_for_token(s, token).email == "o@isl.example"
    revoked = _run("tokens", "revoke", "--email", "o@isl.example", url=db_url)
    assert "revoked 1 token(s)" in revoked.output
    with database.session() as s:
        assert user_for_token(s, token) is None
    database.dispose()
    missing = _run("tokens", "create", "--email", "nobody@x.example", url=db_url)
    assert missing.exit_code == 2 and "no account" in missing.output


def test_demo_seed_is_idempotent_and_covers_states(db_url: str) -> None:
    first = _run("demo", "seed", url=db_url)
    assert first.exit_code == 0, first.output
    for email in (
        "applicant@demo.example",
        "officer.islington@demo.example",
        "senior.salford@demo.example",
        "admin@demo.example",
    ):
        assert email in first.output
    assert "password: demo-password-1" in first.output
    assert "(22 statement(s) created)" in first.output  # 10 states (2 approved) x 2
    second = _run("demo", "seed", url=db_url)
    assert second.exit_code == 0 and "(0 statement(s) created)" in second.output
    database = Database(db_url)
    with database.session() as s:
        statuses = {(c, st) for c, st in s.execute(select(Statement.council, Statement.status))}
        for council in ("islington", "salford"):
            for status in ("draft", "submitted", "changes_requested", "approved"):
                assert (council, status) in statuses
        # Every workflow state, in both councils, so each page has something to show.
        every_state = {
            "draft",
            "submitted",
            "under_review",
            "changes_requested",
            "resubmitted",
            "recommended",
            "signed_off",
            "approved",
            "refused",
            "withdrawn",
        }
        assert statuses == {(c, st) for c in ("islington", "salford") for st in every_state}
        assert s.scalar(select(func.count()).select_from(Statement)) == 22
        assert s.scalar(select(func.count()).select_from(User)) == 7
        assert s.scalar(select(func.count()).select_from(StatementVersion)) >= 8
    database.dispose()


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = _run("db", "upgrade", url=url)
    assert result.exit_code == 0 and "database is up to date" in result.output
    assert (tmp_path / "new.db").exists()
    database = Database(url)
    with database.session() as s:  # the tables are there, and empty
        assert s.scalar(select(func.count()).select_from(User)) == 0
        assert s.scalar(select(func.count()).select_from(Statement)) == 0
    database.dispose()


def test_serve_runs_waitress(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    _run("db", "upgrade", url=url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "serve-test",
        "PLANNING_SV_INSTANCE_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "planning_sv", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                    server = response.headers.get("Server", "")
                break
            except OSError:
                time.sleep(0.2)
        assert "Social value in planning" in body
        assert "waitress" in server.lower() or "planning-sv" in server
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_refuses_a_misconfigured_base_map(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PLANNING_SV_INSTANCE_DIR": str(tmp_path),
        "MAP_TILES": "http://tiles.example/{z}/{x}/{y}.png",
        "MAP_TILES_ATTRIBUTION": "Example",
    }
    result = subprocess.run(
        [sys.executable, "-m", "planning_sv", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: MAP_TILES must be an https:// URL template"
