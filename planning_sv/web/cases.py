"""Officer case management pages (issue 15): a statement's case page (who holds it, its
target date, assignment and target-date changes with their history) and the senior
officers' team view. The queue's search, "held by", overdue filter and target-date sort
are in web/officer.py (store/queue.py). Rules: store/cases.py; who may do what:
web/authz.py (`can_manage_case`, `can_assign`, `can_see_team`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from planning_sv.core import cases as core
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import MAX_ID, parse_whole_number
from planning_sv.store import cases as repo
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import (
    SENIOR_OFFICER,
    STAFF_ROLES,
    allow,
    can_assign,
    can_manage_case,
    can_see_team,
    current_actor,
    statement_or_404,
)

bp = Blueprint("cases", __name__, url_prefix="/officer")

CASE_ACTIONS = ("assign", "unassign", "target_date")


def today() -> dt.date:
    """Today in UTC: what is overdue (a test may replace this)."""
    return dt.datetime.now(dt.UTC).date()


def _actor() -> User:
    user = current_actor()
    assert user is not None  # @allow guarantees a signed-in member of staff
    return user


def _case(statement_id: int) -> Statement:
    """A submitted statement of the officer's council (drafts are private: 404)."""
    statement = statement_or_404(statement_id)
    if statement.latest_version is None or not can_manage_case(current_actor(), statement):
        abort(404)
    return statement


def _basis(statement: Statement) -> dict[str, Any]:
    """How the target date was set: from what date, plus which period (and its source)."""
    plan = assessor().plans.get(statement.council)
    target = repo.plan_target(plan)
    latest = statement.latest_version
    data = latest.data if latest is not None else {}
    validation = repo.validation_date_of(data)
    first = statement.versions[0].submitted_at if statement.versions else None
    return {
        "validation_date": validation,
        "first_submitted": first,
        "days": target.days,
        "citation": target.citation,
        "computed": core.target_date(core.target_start(validation, first), target)
        if (validation or first)
        else None,
    }


def _case_page(
    statement: Statement,
    *,
    problems: list[Problem] | None = None,
    typed: dict[str, str] | None = None,
) -> ResponseReturnValue:
    session = db_session()
    actor = _actor()
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.statement_id == statement.id, AuditEvent.action.in_(CASE_ACTIONS))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    officers = repo.council_officers(session, statement.council)
    people = {o.id: o for o in officers}
    for event in events:
        for key in ("from", "to"):
            person_id = event.details.get(key)
            if isinstance(person_id, int) and person_id not in people:
                found = session.get(User, person_id)
                if found is not None:
                    people[person_id] = found
        if event.actor_id and event.actor_id not in people:
            found = session.get(User, event.actor_id)
            if found is not None:
                people[event.actor_id] = found
    now = today()
    problems = problems or []
    return render_template(
        "officer/case.html",
        statement=statement,
        holder=people.get(statement.assigned_officer_id or 0),
        officers=officers,
        people=people,
        events=events,
        basis=_basis(statement),
        today=now,
        overdue=core.is_overdue(statement.target_date, statement.status, now),
        days_left=core.days_left(statement.target_date, now) if statement.target_date else None,
        is_open=core.is_open(statement.status),
        senior=actor.role == SENIOR_OFFICER,
        can_take=can_assign(actor, statement, actor.id),
        can_hand_back=can_assign(actor, statement, None)
        and statement.assigned_officer_id == actor.id,
        errors={p.path: p.message for p in problems},
        error_list=problems,
        typed=typed or {},
    ), (400 if problems else 200)


@bp.app_context_processor
def _case_helpers() -> dict[str, Any]:
    """`case_info(statement)` for the small case summary other officer pages include
    (templates/officer/_case_summary.html)."""

    def case_info(statement: Statement) -> dict[str, Any]:
        now = today()
        target = statement.target_date
        return {
            "holder": statement.assigned_officer,
            "target": target,
            "overdue": core.is_overdue(target, statement.status, now),
            "days_left": core.days_left(target, now) if target else None,
            "open": core.is_open(statement.status),
        }

    return {"case_info": case_info}


@bp.get("/statements/<int:statement_id>/case")
@allow(*STAFF_ROLES)
def case(statement_id: int) -> ResponseReturnValue:
    return _case_page(_case(statement_id))


@bp.post("/statements/<int:statement_id>/case/assign")
@allow(*STAFF_ROLES)
def assign(statement_id: int) -> ResponseReturnValue:
    statement = _case(statement_id)
    actor = _actor()
    session = db_session()
    raw = request.form.get("officer", "").strip()
    reason = request.form.get("reason", "").strip()
    typed = {"officer": raw[:20], "reason": reason[: core.MAX_REASON]}
    officer: User | None = None
    if raw == "me":
        officer = actor
    elif raw:
        try:
            officer_id = parse_whole_number(raw, minimum=1, maximum=MAX_ID)
        except ValueError:
            officer_id = None
        officer = session.get(User, officer_id) if officer_id else None
        if officer is None:
            problem = Problem("officer", "Choose an officer of this council from the list")
            return _case_page(statement, problems=[problem], typed=typed)
    if len(reason) > core.MAX_REASON:
        problem = Problem("reason", f"The note must be {core.MAX_REASON:,} characters or fewer")
        return _case_page(statement, problems=[problem], typed=typed)
    wanted = officer.id if officer is not None else None
    if wanted == statement.assigned_officer_id:
        return redirect(url_for(".case", statement_id=statement.id))  # nothing to change
    if not can_assign(actor, statement, wanted):
        abort(403)
    try:
        changed = repo.assign(session, statement, officer, actor, reason=reason or None)
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        return _case_page(statement, problems=exc.problems, typed=typed)
    if changed:
        who = "nobody" if officer is None else (officer.name or officer.email)
        flash(f"Case assigned to {who}" if officer is not None else "Case unassigned", "success")
    return redirect(url_for(".case", statement_id=statement.id))


@bp.post("/statements/<int:statement_id>/case/target")
@allow(*STAFF_ROLES)
def set_target(statement_id: int) -> ResponseReturnValue:
    from planning_sv.core.figures import parse_day

    statement = _case(statement_id)
    session = db_session()
    raw = request.form.get("target_date", "").strip()[:40]
    reason = request.form.get("target_reason", "").strip()
    typed = {"target_date": raw, "target_reason": reason[: core.MAX_REASON]}
    problems: list[Problem] = []
    new_date = parse_day(raw) if raw else None
    if not raw:
        problems.append(Problem("target_date", "Enter the new target date"))
    elif new_date is None:
        problems.append(
            Problem("target_date", "The target date must be a real date, for example 31 3 2027")
        )
    elif statement.submitted_at is not None and not (
        dt.date(2000, 1, 1) <= new_date <= today() + dt.timedelta(days=core.MAX_TARGET_DAYS)
    ):
        problems.append(
            Problem(
                "target_date",
                f"The target date must be within {core.MAX_TARGET_DAYS} days from today",
            )
        )
    if not reason:
        problems.append(Problem("target_reason", "Enter why the target date is changing"))
    if problems:
        return _case_page(statement, problems=problems, typed=typed)
    assert new_date is not None
    try:
        repo.set_target(session, statement, new_date, reason, _actor())
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        # The store names its field "reason"; on this page it is the target form's.
        found = [
            Problem("target_reason" if p.path == "reason" else p.path, p.message)
            for p in exc.problems
        ]
        return _case_page(statement, problems=found, typed=typed)
    flash("Target date changed", "success")
    return redirect(url_for(".case", statement_id=statement.id))


@bp.get("/team")
@allow(SENIOR_OFFICER)
def team() -> ResponseReturnValue:
    actor = _actor()
    if not can_see_team(actor):
        abort(403)
    view = repo.team(db_session(), actor.council or "", today())
    return render_template(
        "officer/team.html",
        view=view,
        council_name=assessor().councils().get(actor.council or "", actor.council),
    )
