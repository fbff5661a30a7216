"""`planning-sv db upgrade | users create/set-role/disable/enable | tokens create/revoke |
demo seed | serve`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from planning_sv import config
from planning_sv.cli.common import fail
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planning_sv.store.models import User

EXAMPLES_DIR = config.examples_dir()


# Every command that touches the database takes the same option.
url_option = click.option("--url", envvar="DATABASE_URL", help="database URL")


@contextmanager
def _session(url: str | None) -> Iterator[Session]:
    """A session on DATABASE_URL (or --url), committed on success; the engine is disposed.

    The command's own assessor rides on the session (store/db.py), for what assesses.
    """
    from planning_sv.store.assessments import Assessor
    from planning_sv.store.db import Database

    database = Database(url, assessor=Assessor())
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


def _user_or_fail(session: Session, email: str) -> User:
    from planning_sv.store.users import get_user_by_email

    user = get_user_by_email(session, email)
    if user is None:
        fail([Problem("--email", f"no account with email {email}")])
    return user


@click.group("db")
def db_group() -> None:
    """Create or migrate the database named by DATABASE_URL."""


@db_group.command("upgrade")
@click.option(
    "--url", envvar="DATABASE_URL", help="database URL (default: SQLite in the instance folder)"
)
def db_upgrade(url: str | None) -> None:
    """Create the database or migrate it to the latest schema."""
    from planning_sv.store.db import default_database_url
    from planning_sv.store.migrate import upgrade

    target = url or default_database_url()
    upgrade(target)
    click.echo(f"database is up to date: {_redact(target)}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="at least 12 characters, not a common password")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.APPLICANT.value,
    show_default=True,
)
@click.option(
    "--council", default=None, help="council code (staff only): the folder name of its rule pack"
)
@url_option
def users_create(
    email: str, password: str, role: str, council: str | None, url: str | None
) -> None:
    """Create an account (staff need --council)."""
    from planning_sv.core.plans import load_plans
    from planning_sv.store.users import audit_account_created, create_user

    try:
        with _session(url) as session:
            user = create_user(session, email, password, role, council, councils=set(load_plans()))
            audit_account_created(session, user)  # the role granted, in the same commit
            click.echo(
                f"created {user.role} {user.email}" + (f" ({user.council})" if user.council else "")
            )
    except InputInvalid as exc:
        fail(exc.problems)


@users_group.command("set-role")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--council",
    default=None,
    help="council code for staff and council admins; none for applicants and installation admins",
)
@url_option
def users_set_role(email: str, role: str, council: str | None, url: str | None) -> None:
    """Change an account's role and council (audited, actor: the command line)."""
    from planning_sv.core.plans import load_plans
    from planning_sv.store.users import set_role

    try:
        with _session(url) as session:
            user = _user_or_fail(session, email)
            event = set_role(session, user, role, council, councils=set(load_plans()), via="cli")
            where = f" ({user.council})" if user.council else ""
            change = "is now" if event is not None else "was already"
            click.echo(f"{user.email} {change} {user.role}{where}")
    except InputInvalid as exc:
        fail([Problem(f"--{p.path}", p.message) for p in exc.problems])


@users_group.command("disable")
@click.option("--email", required=True)
@url_option
def users_disable(email: str, url: str | None) -> None:
    """Stop an account signing in or using its API tokens (audited)."""
    _set_active(email, False, url)


@users_group.command("enable")
@click.option("--email", required=True)
@url_option
def users_enable(email: str, url: str | None) -> None:
    """Let a disabled account sign in again (audited)."""
    _set_active(email, True, url)


def _set_active(email: str, active: bool, url: str | None) -> None:
    from planning_sv.store.users import set_active

    with _session(url) as session:
        user = _user_or_fail(session, email)
        event = set_active(session, user, active, via="cli")
        state = "enabled" if active else "disabled"
        click.echo(f"{user.email} {'is now' if event is not None else 'was already'} {state}")


@click.group("tokens")
def tokens_group() -> None:
    """Manage API tokens (stored hashed; shown once)."""


@tokens_group.command("create")
@click.option("--email", required=True)
@click.option("--label", default=None)
@url_option
def tokens_create(email: str, label: str | None, url: str | None) -> None:
    """Create an API token for EMAIL; the token is the last line printed."""
    from planning_sv.store.users import create_token

    with _session(url) as session:
        user = _user_or_fail(session, email)
        token, plain = create_token(session, user, label)
        click.echo(f"token {token.id} for {user.email} (send as 'Authorization: Bearer <token>'):")
        click.echo(plain)


@tokens_group.command("revoke")
@click.option("--email", required=True)
@click.option(
    "--id", "token_id", type=int, default=None, help="revoke only this token (default: all)"
)
@url_option
def tokens_revoke(email: str, token_id: int | None, url: str | None) -> None:
    """Revoke a user's API tokens (all, or one by --id)."""
    from planning_sv.store.users import revoke_tokens

    with _session(url) as session:
        user = _user_or_fail(session, email)
        count = revoke_tokens(session, user, token_id)
        click.echo(f"revoked {count} token(s) for {user.email}")


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("seed")
@url_option
def demo_seed(url: str | None) -> None:
    """Create demo accounts for each role in both councils and statements in various states.

    Safe to run again: existing demo accounts and statements are left as they are.
    """
    from planning_sv.store.demo import DEMO_PASSWORD, seed

    try:
        with _session(url) as session:
            accounts, created = seed(session, _examples())
    except InputInvalid as exc:
        fail(exc.problems, heading="the demo data could not be created")
    click.echo(f"demo data ready ({created} statement(s) created). Sign in with:")
    for role, council, email in accounts:
        where = f" ({council})" if council else ""
        click.echo(f"  {role + where:<30} {email:<36} password: {DEMO_PASSWORD}")


def _examples() -> dict[str, dict[str, Any]]:
    """Example statements by council from the shared docs (a built-in fallback otherwise)."""
    from planning_sv.store.demo import FALLBACK_EXAMPLES

    examples: dict[str, dict[str, Any]] = {}
    if EXAMPLES_DIR.is_dir():
        for path in sorted(EXAMPLES_DIR.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if isinstance(data, dict) and isinstance(data.get("council"), str):
                examples.setdefault(data["council"], data)
    for council, data in FALLBACK_EXAMPLES.items():
        examples.setdefault(council, data)
    return examples


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="worker processes; above 1, gunicorn serves planning_sv.web.wsgi:app (use PostgreSQL)",
)
def serve(host: str, port: int, threads: int, workers: int) -> None:
    """Serve the app with waitress (a production WSGI server)."""
    import waitress

    from planning_sv import datasets
    from planning_sv.web import create_app

    try:
        datasets.require()  # one message naming the missing datasets and the command to run
    except datasets.DataMissing as exc:
        fail([str(exc)], exit_code=1)
    try:
        app = create_app()
    except ValueError as exc:  # a configuration mistake, e.g. MAP_TILES without https
        fail([str(exc)], exit_code=1)
    if workers > 1:
        _exec_gunicorn(host, port, threads, workers)
    # Load rule packs, boundaries and postcodes now, so the first request is not slow.
    try:
        app.extensions["planning_sv"].assessor.services()
    except Exception as exc:  # the app still serves pages; assessments will report it
        click.echo(f"warning: assessment services not loaded: {exc}", err=True)
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="planning-sv")


def _exec_gunicorn(host: str, port: int, threads: int, workers: int) -> None:
    """Replace this process with gunicorn serving planning_sv.web.wsgi:app (the production
    lane, docs/WEB.md): the configuration was checked above by building the app once."""
    import os
    import shutil
    import sys
    from pathlib import Path

    beside = Path(sys.executable).with_name("gunicorn")
    gunicorn = str(beside) if beside.exists() else shutil.which("gunicorn")
    if gunicorn is None:
        fail(["--workers: gunicorn is not installed (pip install -r requirements.txt)"])
    click.echo(f"serving on http://{host}:{port}/ with {workers} gunicorn workers")
    args = [gunicorn, "--workers", str(workers), "--threads", str(threads)]
    args += ["--bind", f"{host}:{port}", "planning_sv.web.wsgi:app"]
    sys.stdout.flush()
    os.execv(gunicorn, args)  # noqa: S606 - a fixed program and arguments, no shell


def register(cli: click.Group) -> None:
    """Add this module's commands to the `planning-sv` group."""
    for command in (db_group, users_group, tokens_group, demo_group, serve):
        cli.add_command(command)
