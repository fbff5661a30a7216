"""Shared fixtures: databases on SQLite and PostgreSQL, the app, users of each role, clients.

Database lanes: `db_url` is parametrised over SQLite and, when TEST_POSTGRES_URL is set,
PostgreSQL (a fresh database per test). With CI=true a missing TEST_POSTGRES_URL fails.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv import config
from planning_sv.store.assessments import Assessor
from planning_sv.store.db import Database
from planning_sv.store.migrate import upgrade
from planning_sv.store.models import Statement, User

PASSWORD = "correct-horse-battery"
EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples
IN_CI = os.environ.get("CI", "").lower() == "true"


# --- the assessor -------------------------------------------------------------------------

_SHARED: list[Assessor] = []


def shared_assessor() -> Assessor:
    """One assessor for the whole test run, so the boundaries and postcodes load once.

    The apps and databases the fixtures build carry it (`ASSESSOR`, `Database(assessor=)`);
    production apps build their own. It places with the open data and a fixed instance
    folder of its own, whatever folder a test points PLANNING_SV_INSTANCE_DIR at; the
    value sets come from each test's database.
    """
    if not _SHARED:
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="planning-sv-test-instance-"))
        atexit.register(shutil.rmtree, folder, True)
        _SHARED.append(Assessor(instance_dir=folder))
    return _SHARED[0]


# --- databases ----------------------------------------------------------------------------


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _sqlite_url(tmp_path)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        if IN_CI:
            pytest.fail("CI=true but TEST_POSTGRES_URL is not set: the PostgreSQL lane must run")
        pytest.skip("TEST_POSTGRES_URL not set (scripts/test.sh starts a PostgreSQL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"psv_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: each test runs once per lane."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A Database (engine + sessions) on each lane."""
    db = Database(db_url, assessor=shared_assessor())
    yield db
    db.dispose()


# --- the app ------------------------------------------------------------------------------


def make_app(url: str, **overrides: Any) -> Flask:
    from planning_sv.web import create_app

    upgrade(url)
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,  # test_csrf.py turns it on and checks it
        "RATELIMIT_ENABLED": False,  # test_auth.py checks the sign-in limit
        "SESSION_COOKIE_SECURE": False,  # the test client talks plain http
        "REMEMBER_COOKIE_SECURE": False,
        "ASSESSOR": shared_assessor(),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary instance folder (imported value sets, secret key), never the project's."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("PLANNING_SV_INSTANCE_DIR", str(folder))
    return folder


@pytest.fixture
def app(sqlite_url: str, instance_dir: Path) -> Iterator[Flask]:
    """The app on a temporary SQLite database, CSRF and rate limits off."""
    application = make_app(sqlite_url)
    yield application
    application.extensions["planning_sv.db"].dispose()


@pytest.fixture
def app_with(sqlite_url: str, instance_dir: Path) -> Iterator[Callable[..., Flask]]:
    """app_with(**settings) -> another app on the `app` fixture's database, with those
    settings changed (e.g. CSRF or the rate limit turned back on)."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        built.append(make_app(sqlite_url, **overrides))
        return built[-1]

    yield build
    for application in built:
        application.extensions["planning_sv.db"].dispose()


@pytest.fixture
def db_app(db_url: str) -> Iterator[Flask]:
    """The app on each database lane (SQLite, and PostgreSQL when available)."""
    application = make_app(db_url)
    yield application
    application.extensions["planning_sv.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- users and statements -----------------------------------------------------------------


UserFactory = Callable[..., User]


def _make_user_factory(application: Flask) -> UserFactory:
    from planning_sv.store.users import create_user

    counter = {"n": 0}

    def make(role: str = "applicant", council: str | None = None, email: str | None = None) -> User:
        counter["n"] += 1
        if role in ("officer", "senior_officer") and council is None:
            council = "islington"
        address = email or f"{role}{counter['n']}.{council or 'none'}@test.example"
        with application.extensions["planning_sv.db"].session() as session:
            user = create_user(session, address, PASSWORD, role, council)
        return user

    return make


@pytest.fixture
def make_user(app: Flask) -> UserFactory:
    """make_user(role='applicant', council=None, email=None) -> User (password: PASSWORD)."""
    return _make_user_factory(app)


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.text[:500]
    return client


@pytest.fixture
def password() -> str:
    """The password every `make_user` account has."""
    return PASSWORD


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[[FlaskClient, User], FlaskClient]:
    """sign_in(client, user) -> the client, signed in through the real sign-in form."""
    return sign_in


@pytest.fixture
def login_as(app: Flask, make_user: UserFactory) -> Callable[..., FlaskClient]:
    """login_as(role, council=None) or login_as(user=existing) -> a signed-in test client."""

    def login(
        role: str = "applicant", council: str | None = None, user: User | None = None
    ) -> FlaskClient:
        return sign_in(app.test_client(), user or make_user(role, council))

    return login


def load_example(council: str) -> dict[str, Any]:
    """The shared example statement for a council (islington or salford)."""
    path = next(p for p in sorted(EXAMPLES.glob("*.json")) if p.name.startswith(council))
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def islington_example() -> dict[str, Any]:
    return copy.deepcopy(load_example("islington"))


@pytest.fixture
def salford_example() -> dict[str, Any]:
    return copy.deepcopy(load_example("salford"))


@pytest.fixture
def make_statement(app: Flask) -> Callable[..., Statement]:
    """make_statement(owner, council='islington', data=None, actions=()) -> Statement.

    `actions` are workflow actions applied in order after creation, e.g.
    ("submit", "start_review", "request_changes"); staff actions need `staff=` users.
    """
    from planning_sv.store import statements as repo

    def make(
        owner: User,
        council: str = "islington",
        data: dict[str, Any] | None = None,
        actions: tuple[str, ...] = (),
        staff: dict[str, User] | None = None,
    ) -> Statement:
        payload = copy.deepcopy(data) if data is not None else load_example(council)
        with app.extensions["planning_sv.db"].session() as session:
            owner_row = session.get(User, owner.id)
            statement = repo.create_statement(session, owner_row, council, payload)
            for action in actions:
                if action in ("submit", "resubmit"):
                    repo.submit(session, statement, owner_row)
                else:
                    actor = session.get(User, (staff or {})[action].id)
                    reason = (
                        "needs more placements"
                        if action in ("request_changes", "refuse", "return", "withdraw")
                        else None
                    )
                    repo.apply_transition(session, statement, action, actor, reason)
        return statement

    return make
