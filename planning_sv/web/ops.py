"""Health and readiness for load balancers and monitoring: `/healthz` and `/readyz`.

Both are public JSON with no personal data and nothing secret (no URLs, no exception
text that could carry a connection string): a name, ok or not, and a short reason.

- `/healthz`: the process is up and serving (no database, no data): restart it if not.
- `/readyz`: it can do its job: database reachable and migrated to head, ward boundaries
  present, council rule packs load and validate. 503 naming the failing checks otherwise,
  so a proxy takes the worker out of rotation (docs/OPERATIONS.md).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from planning_sv import __version__
from planning_sv.web.authz import PUBLIC, allow

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


class NotReady(Exception):
    """A readiness check failed; the message is safe to show to anyone."""


@functools.cache
def _head_revisions() -> tuple[str, ...]:
    """The migrations' head revision(s), read once per process (the code does not change)."""
    from alembic.script import ScriptDirectory

    from planning_sv.store.migrate import alembic_config

    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def check_database() -> str:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    engine = current_app.extensions["planning_sv.db"].engine
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        raise NotReady("database unreachable") from exc
    heads = _head_revisions()
    if set(current) != set(heads):
        at = ", ".join(current) or "none (empty database)"
        raise NotReady(
            f"database not migrated: at revision {at}, code expects {', '.join(heads)}; "
            "run `planning-sv db upgrade`"
        )
    return f"at revision {', '.join(heads)}"


def check_open_data() -> str:
    """The required open data files are present (checked once when the app was built)."""
    if current_app.config.get("DATA_MISSING"):
        raise NotReady("required open data missing; run `planning-sv data status`")
    return "required datasets present"


def check_boundaries() -> str:
    from planning_sv.web import services

    try:
        vintages = services().geo.vintages()
    except Exception as exc:  # a missing data folder raises; the reason goes to the log
        log.warning("readiness: boundaries: %s", exc)
        raise NotReady("ward boundary data not found (PLANNING_SV_DATA_DIR)") from exc
    if not vintages:
        raise NotReady("no ward boundary vintage found")
    return f"vintages {', '.join(sorted(vintages))}"


def check_rule_packs() -> str:
    from planning_sv.web import assessor

    try:
        plans = assessor().plans
    except Exception as exc:  # an invalid pack raises when loaded; details in the log
        log.warning("readiness: rule packs: %s", exc)
        raise NotReady("council rule packs failed to load or validate") from exc
    if not plans:
        raise NotReady("no council rule pack found")
    return f"{len(plans)} councils"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "open_data": check_open_data,
    "boundaries": check_boundaries,
    "rule_packs": check_rule_packs,
}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@allow(PUBLIC)
def healthz() -> ResponseReturnValue:
    """The process is up. Touches nothing else, so it stays cheap under load."""
    return _no_store(jsonify(status="ok", version=__version__))


@bp.get("/readyz")
@allow(PUBLIC)
def readyz() -> ResponseReturnValue:
    """Every readiness check; 200 when all pass, else 503 naming the failing ones."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = {"ok": True, "detail": check()}
        except NotReady as exc:
            checks[name] = {"ok": False, "detail": str(exc)}
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {
        "status": "not ready" if failing else "ready",
        "failing": failing,
        "checks": checks,
        "version": __version__,
    }
    response = _no_store(jsonify(body))
    response.status_code = 503 if failing else 200
    return response
