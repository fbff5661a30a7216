"""Authorisation in one place.

Every view declares who may use it with `@allow(...)`; a `before_request` hook enforces the
declaration for every endpoint and refuses any endpoint that has none (fail closed). Which
statements a user may see is decided here too (`can_view`, `statement_or_404`).

    @bp.get("/statements/<int:statement_id>")
    @allow(APPLICANT, *STAFF_ROLES)
    def show(statement_id: int): ...

Who:  PUBLIC (anyone, signed in or not), SIGNED_IN (any account), or role names
('applicant', 'officer', 'senior_officer', 'admin').
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from planning_sv.core.workflow import APPLICANT_EDITABLE, Role, Status
from planning_sv.store.models import Statement, User

PUBLIC = "public"
SIGNED_IN = "signed_in"
APPLICANT = Role.APPLICANT.value
OFFICER = Role.OFFICER.value
SENIOR_OFFICER = Role.SENIOR_OFFICER.value
ADMIN = Role.ADMIN.value
STAFF_ROLES = (OFFICER, SENIOR_OFFICER)
ALL_ROLES = frozenset(r.value for r in Role)

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def allow(*who: str | Role | Iterable[str]) -> Callable[[F], F]:
    """Declare who may call the decorated view (checked centrally before every request)."""
    names: set[str] = set()
    for item in who:
        if isinstance(item, str):
            names.add(str(item.value) if isinstance(item, Role) else item)
        else:
            names.update(str(x) for x in item)
    unknown = names - ALL_ROLES - {PUBLIC, SIGNED_IN}
    if unknown or not names:
        raise ValueError(f"@allow: unknown or missing audience {sorted(unknown)}")

    def decorate(view: F) -> F:
        view.allowed = frozenset(names)  # type: ignore[attr-defined]
        return view

    return decorate


def allowed_for(view: Callable[..., Any]) -> frozenset[str] | None:
    """The audiences a view declared, or None when it declared none."""
    return getattr(view, "allowed", None)


def role_allowed(allowed: frozenset[str], user: User | None) -> bool:
    if PUBLIC in allowed:
        return True
    if user is None:
        return False
    return SIGNED_IN in allowed or user.role in allowed


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def current_actor() -> User | None:
    """The signed-in user (pages: session cookie; API: bearer token), or None."""
    if is_api_request():
        return g.get("api_user")
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def _api_user() -> User | None:
    from planning_sv.store.users import user_for_token
    from planning_sv.web import db_session

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    session = db_session()
    user = user_for_token(session, token.strip())
    if user is not None:
        session.commit()  # records last_used_at
    return user


def _enforce() -> Any:
    """Before every request: check the endpoint's declaration against the actor."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    view = current_app.view_functions.get(endpoint)
    if endpoint == "static":
        return None  # Flask's own static files are public
    allowed = allowed_for(view) if view is not None else None
    if allowed is None:
        # A route without a declaration is refused, never silently public.
        current_app.logger.error("endpoint %s has no @allow declaration", endpoint)
        abort(403)
    if is_api_request():
        g.api_user = _api_user()
        user = g.api_user
        if not role_allowed(allowed, user):
            abort(401 if user is None else 403)
        return None
    user = current_actor()
    if role_allowed(allowed, user):
        return None
    if user is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    abort(403)


# --- statements ---------------------------------------------------------------------------


def can_view(user: User | None, statement: Statement) -> bool:
    """A statement is visible to its owner and to officers of its council only."""
    if user is None:
        return False
    if statement.owner_id == user.id:
        return True
    return user.role in STAFF_ROLES and user.council == statement.council


def can_edit(user: User | None, statement: Statement) -> bool:
    """Only the owner edits, and only while the draft is open to them."""
    return (
        user is not None
        and statement.owner_id == user.id
        and Status(statement.status) in APPLICANT_EDITABLE
    )


def statement_or_404(statement_id: int) -> Statement:
    """Load a statement the current actor may see; 404 (not 403) so ids are not probed.

    Every view with a `statement_id` URL argument loads it through here; the route matrix
    test checks that other applicants and other councils' officers get 404.
    """
    from planning_sv.web import db_session

    statement = db_session().get(Statement, statement_id)
    if statement is None or not can_view(current_actor(), statement):
        abort(404)
    return statement


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_enforce)
    app.jinja_env.globals["can_view"] = can_view
    app.jinja_env.globals["can_edit"] = can_edit


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    from planning_sv.web import db_session

    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return user if user is not None and user.is_active else None
