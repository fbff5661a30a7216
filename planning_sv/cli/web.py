"""`planning-sv db upgrade | users create | tokens create/revoke | demo seed | serve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from planning_sv.cli.common import fail
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import Role
from planning_sv.store.demo import DEMO_PASSWORD

EXAMPLES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "docs" / "examples"


def _database(url: str | None):  # type: ignore[no-untyped-def]
    from planning_sv.store.db import Database

    return Database(url)


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
@click.option("--password", required=True, help="at least 10 characters")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.APPLICANT.value,
    show_default=True,
)
@click.option("--council", default=None, help="council code (staff only), e.g. islington")
@click.option("--url", envvar="DATABASE_URL", help="database URL")
def users_create(
    email: str, password: str, role: str, council: str | None, url: str | None
) -> None:
    """Create an account (staff need --council)."""
    from planning_sv.core.plans import load_plans
    from planning_sv.store.users import create_user

    database = _database(url)
    try:
        with database.session() as session:
            user = create_user(session, email, password, role, council, councils=set(load_plans()))
            click.echo(
                f"created {user.role} {user.email}" + (f" ({user.council})" if user.council else "")
            )
    except InputInvalid as exc:
        fail(exc.problems)
    finally:
        database.dispose()


@click.group("tokens")
def tokens_group() -> None:
    """Manage API tokens (stored hashed; shown once)."""


@tokens_group.command("create")
@click.option("--email", required=True)
@click.option("--label", default=None)
@click.option("--url", envvar="DATABASE_URL", help="database URL")
def tokens_create(email: str, label: str | None, url: str | None) -> None:
    """Create an API token for EMAIL; the token is the last line printed."""
    from planning_sv.store.users import create_token, get_user_by_email

    database = _database(url)
    try:
        with database.session() as session:
            user = get_user_by_email(session, email)
            if user is None:
                fail([Problem("--email", f"no account with email {email}")])
            token, plain = create_token(session, user, label)
            click.echo(
                f"token {token.id} for {user.email} (send as 'Authorization: Bearer <token>'):"
            )
            click.echo(plain)
    finally:
        database.dispose()


@tokens_group.command("revoke")
@click.option("--email", required=True)
@click.option(
    "--id", "token_id", type=int, default=None, help="revoke only this token (default: all)"
)
@click.option("--url", envvar="DATABASE_URL", help="database URL")
def tokens_revoke(email: str, token_id: int | None, url: str | None) -> None:
    """Revoke a user's API tokens (all, or one by --id)."""
    from planning_sv.store.users import get_user_by_email, revoke_tokens

    database = _database(url)
    try:
        with database.session() as session:
            user = get_user_by_email(session, email)
            if user is None:
                fail([Problem("--email", f"no account with email {email}")])
            count = revoke_tokens(session, user, token_id)
            click.echo(f"revoked {count} token(s) for {user.email}")
    finally:
        database.dispose()


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("seed")
@click.option("--url", envvar="DATABASE_URL", help="database URL")
def demo_seed(url: str | None) -> None:
    """Create demo accounts for each role in both councils and statements in various states.

    Safe to run again: existing demo accounts and statements are left as they are.
    """
    from planning_sv.store.demo import seed

    database = _database(url)
    try:
        with database.session() as session:
            accounts, created = seed(session, _examples())
    except InputInvalid as exc:
        fail(exc.problems, heading="the demo data could not be created")
    finally:
        database.dispose()
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
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress (a production WSGI server)."""
    import waitress

    from planning_sv.web import create_app

    app = create_app()
    # Load rule packs, boundaries and postcodes now, so the first request is not slow.
    try:
        app.extensions["planning_sv.assessor"].services()
    except Exception as exc:  # the app still serves pages; assessments will report it
        click.echo(f"warning: assessment services not loaded: {exc}", err=True)
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="planning-sv")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `planning-sv` group."""
    for command in (db_group, users_group, tokens_group, demo_group, serve):
        cli.add_command(command)
