"""Authorisation in one place.

Every view declares who may use it with `@allow(...)`; a `before_request` hook enforces the
declaration for every endpoint and refuses any endpoint that has none (fail closed). Which
statements a user may see is decided here too (`can_view`, `statement_or_404`), and what an
administrator may do to whom (`can_manage_user`, `can_assign_role`, `managed_councils`).

    @bp.get("/statements/<int:statement_id>")
    @allow(APPLICANT, *STAFF_ROLES)
    def show(statement_id: int): ...

Who:  PUBLIC (anyone, signed in or not), SIGNED_IN (any account), or role names
('applicant', 'officer', 'senior_officer', 'admin').
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, has_app_context, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import and_, false, or_, true

from planning_sv.core.workflow import (
    APPLICANT_EDITABLE,
    CLOSED,
    Action,
    Role,
    Status,
    available_actions,
    four_eyes_refusal,
)
from planning_sv.store.models import Statement, User
from planning_sv.store.statements import has_been_submitted

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


def is_private_draft(statement: Statement) -> bool:
    """True until the applicant first submits: a draft (or one withdrawn before submission)
    is the applicant's working paper, seen by its owner only, on every route."""
    return not has_been_submitted(statement)


def organisation_of(user: User | None, statement: Statement | None = None) -> int | None:
    """The applicant organisation `user` belongs to now (store/collaboration.py), or None.

    Read once per request (cached on `g`), from the statement's session when there is one."""
    if user is None or user.role != APPLICANT or getattr(user, "id", None) is None:
        return None
    cache: dict[int, int | None] | None = None
    if has_app_context():
        cache = g.setdefault("organisation_of", {})
        if user.id in cache:
            return cache[user.id]
    from sqlalchemy.orm import object_session

    from planning_sv.store.collaboration import organisation_id_of

    session = object_session(statement) if statement is not None else None
    if session is None:
        from planning_sv.web import db_session

        session = db_session()
    found = organisation_id_of(session, user)
    if cache is not None:
        cache[user.id] = found
    return found


def is_applicant_side(user: User | None, statement: Statement) -> bool:
    """Whether `user` works on `statement` as its applicant: a current member of the
    organisation it belongs to, or, for a statement of no organisation, its owner. A member
    who leaves loses access at once; the statement stays with the organisation."""
    if user is None or not user.is_active:
        return False
    if statement.organisation_id is not None:
        return organisation_of(user, statement) == statement.organisation_id
    return statement.owner_id == user.id


def can_view(user: User | None, statement: Statement) -> bool:
    """A statement is visible to its applicant side (`is_applicant_side`: its organisation's
    members, or its owner), and, once submitted, to officers of its council.

    The SQL twin of this rule is `store.statements.visible_filter` (lists, the API's
    `?status=` filter); tests/web/test_route_matrix.py checks both agree route by route.
    """
    if user is None or not user.is_active:
        return False
    if is_applicant_side(user, statement):
        return True
    return (
        user.role in STAFF_ROLES
        and user.council is not None
        and user.council == statement.council
        and not is_private_draft(statement)
    )


def can_edit(user: User | None, statement: Statement) -> bool:
    """Only the applicant side edits, and only while the draft is open to them."""
    return is_applicant_side(user, statement) and Status(statement.status) in APPLICANT_EDITABLE


def can_read_working_draft(user: User | None, statement: Statement) -> bool:
    """The working draft (unsubmitted edits, also while changes are requested) is the
    applicant side's; officers read the frozen submitted versions instead."""
    return is_applicant_side(user, statement)


def can_contribute(user: User | None, statement: Statement) -> bool:
    """Replies in the conversation and evidence documents: the applicant side, at any stage
    before the decision (answering without resubmitting; web/collaboration.py)."""
    return (
        is_applicant_side(user, statement)
        and user is not None
        and user.role == APPLICANT
        and Status(statement.status) not in CLOSED
    )


def can_message_as_officer(user: User | None, statement: Statement) -> bool:
    """Requests in the conversation and judging evidence: the council's staff, on a
    submitted statement they may see."""
    return (
        user is not None
        and user.role in STAFF_ROLES
        and user.council == statement.council
        and can_view(user, statement)
    )


def can_report_delivery(user: User | None, statement: Statement) -> bool:
    """Delivery reports and their evidence are the developer's: the statement's applicant
    side (web/monitoring.py; the same boundary as editing the statement)."""
    return (
        user is not None
        and user.is_active
        and user.role == APPLICANT
        and is_applicant_side(user, statement)
    )


def can_manage_monitoring(user: User | None, statement: Statement) -> bool:
    """Agreements, trigger events, verification and money are for the council's staff, on a
    statement they may see (web/monitoring.py)."""
    return (
        user is not None
        and user.role in STAFF_ROLES
        and can_view(user, statement)
        and user.council == statement.council
    )


def can_manage_case(user: User | None, statement: Statement) -> bool:
    """Case management (web/cases.py): the council's staff, on a submitted statement of
    their council: take it, move its target date with a reason."""
    return (
        user is not None
        and user.role in STAFF_ROLES
        and user.council == statement.council
        and can_view(user, statement)
    )


def can_assign(user: User | None, statement: Statement, officer_id: int | None) -> bool:
    """Who may give a case to whom: a senior officer assigns, reassigns or unassigns any
    case of their council; an officer may take an unassigned case, or hand back their own."""
    if not can_manage_case(user, statement) or user is None:
        return False
    if user.role == SENIOR_OFFICER:
        return True
    held_by = statement.assigned_officer_id
    taking = held_by is None and officer_id == user.id
    handing_back = held_by == user.id and officer_id is None
    return taking or handing_back


def can_see_team(user: User | None) -> bool:
    """The team view (who holds what) is for senior officers of a council."""
    return (
        user is not None and user.is_active and user.role == SENIOR_OFFICER and bool(user.council)
    )


# Decisions an officer may take on a statement they can see. The buttons come from here and
# the store refuses the same things on submit (store/review.py officer_action), both through
# core.workflow (the state machine and the four-eyes rule).
OFFICER_DECISIONS = (
    "start_review",
    "request_changes",
    "recommend",
    "sign_off",
    "return",
    "approve",
    "refuse",
)
# Deciding on a submitted statement starts the review implicitly (store/review.py), so the
# under-review decisions are offered from these states too.
_STARTS_REVIEW = frozenset({Status.SUBMITTED, Status.RESUBMITTED})
_IMPLICIT_FROM_WAITING = frozenset({"request_changes", "recommend"})


def officer_decisions(
    user: User | None, statement: Statement, *, recommended_by: int | None
) -> list[Action]:
    """The workflow decisions to show `user` on `statement`'s latest version: those the
    state machine allows their role from the current status, less what the four-eyes rule
    forbids them (the senior officer who recommended never sees Sign off)."""
    if user is None or not can_view(user, statement) or user.role not in STAFF_ROLES:
        return []
    found = list(available_actions(statement.status, user.role))
    if Status(statement.status) in _STARTS_REVIEW:
        found += [
            a
            for a in available_actions(Status.UNDER_REVIEW, user.role)
            if a.name in _IMPLICIT_FROM_WAITING
        ]
    return [
        a
        for a in found
        if a.name in OFFICER_DECISIONS
        and four_eyes_refusal(a.name, user.id, recommended_by) is None
    ]


def statement_or_404(statement_id: int) -> Statement:
    """Load a statement the current actor may see; 404 (not 403) so ids are not probed.

    Every view with a `statement_id` URL argument loads it through here; the route matrix
    test checks that other applicants, other councils' officers and (for drafts) the
    council's own officers get 404.
    """
    from planning_sv.web import db_session

    statement = db_session().get(Statement, statement_id)
    if statement is None or not can_view(current_actor(), statement):
        abort(404)
    return statement


# --- administrators -----------------------------------------------------------------------
#
# An installation admin (role admin, council NULL) manages every account and council. A
# council admin (role admin with a council) manages its council's staff and value sets, and
# may take an applicant (who belongs to no council) on as its council's staff; it can never
# create, promote to, edit or demote an installation admin, nor touch another council.


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == ADMIN


def is_installation_admin(user: User | None) -> bool:
    return is_admin(user) and user is not None and user.council is None


def managed_councils(
    actor: User | None, councils: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Council code -> name for the councils `actor` administers (default: every council
    the service knows)."""
    if not is_admin(actor):
        return {}
    if councils is None:
        from planning_sv.web import assessor

        councils = assessor().councils()
    if is_installation_admin(actor):
        return dict(councils)
    assert actor is not None and actor.council is not None
    return {code: name for code, name in councils.items() if code == actor.council}


def contributions_councils(
    actor: User | None, councils: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Council code -> name for the councils whose developer contributions exports and
    Infrastructure Funding Statement `actor` may read (web/contributions.py): the council's
    own officers and senior officers, and the admins who manage it. The same council
    boundary as its statements: another council's staff get 404."""
    if is_admin(actor):
        return managed_councils(actor, councils)
    if actor is None or not actor.is_active or actor.role not in STAFF_ROLES:
        return {}
    if councils is None:
        from planning_sv.web import assessor

        councils = assessor().councils()
    return {code: name for code, name in councils.items() if code == actor.council}


def can_import_contributions(actor: User | None, council: str) -> bool:
    """Loading a council's earlier S106 records is an administrator's task for a council
    they manage (web/contributions.py import)."""
    return is_admin(actor) and council in managed_councils(actor)


def can_manage_user(actor: User | None, target: User) -> bool:
    """Whether `actor` may see and change `target`'s account (role, council)."""
    if not is_admin(actor):
        return False
    assert actor is not None
    if is_installation_admin(actor):
        return True
    if target.council is None:
        # Council-less accounts are applicants and installation admins: only the former.
        return target.role == APPLICANT
    return target.council == actor.council


def can_assign_role(actor: User | None, role: str, council: str | None) -> bool:
    """Whether `actor` may give an account this role and council (validity of the pair,
    e.g. an officer needs a council, is checked by store.users.check_role)."""
    if not is_admin(actor) or role not in ALL_ROLES:
        return False
    assert actor is not None
    if is_installation_admin(actor):
        return True
    if role == APPLICANT:
        return not council
    return council == actor.council  # never None: that would be an installation admin


def can_set_active(actor: User | None, target: User) -> bool:
    """Whether `actor` may disable or re-enable `target`. Never oneself; a council admin only
    its own council's staff (an applicant's account serves every council)."""
    if not can_manage_user(actor, target) or actor is None or actor.id == target.id:
        return False
    return is_installation_admin(actor) or target.council == actor.council


def manageable_users_filter(actor: User) -> Any:
    """SQL twin of `can_manage_user`, for the admin's list of accounts."""
    if is_installation_admin(actor):
        return true()
    if not is_admin(actor):
        return false()
    return or_(
        User.council == actor.council,
        and_(User.council.is_(None), User.role == APPLICANT),
    )


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
    app.jinja_env.globals["can_contribute"] = can_contribute
    app.jinja_env.globals["can_manage_user"] = can_manage_user


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The account a session (or remember-me cookie) names, while its token is current.

    Sessions carry "<id>:<session token>" (User.get_id). Sign-out and a password change
    replace the account's token, so a cookie copied before stops working (ASVS 3.3.1).
    """
    from planning_sv.web import db_session

    number, _, token = (user_id or "").partition(":")
    if not number.isdigit() or not token:
        return None
    user = db_session().get(User, int(number))
    if user is None or not user.is_active:
        return None
    current = user.session_token.encode()
    return user if hmac.compare_digest(current, token.encode()) else None
