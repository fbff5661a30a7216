"""The planning officer's journey: queue → review → verdicts → decision → heads of terms.

Routes are thin: they parse the form, call `store.review` (verdicts, transitions, locking)
and the pure builders in `core.heads_of_terms` / `core.reproduce`, and render.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.heads_of_terms import HeadsOfTerms, build_heads_of_terms
from planning_sv.core.heads_of_terms_docx import render_docx
from planning_sv.core.limits import MAX_ID, parse_whole_number
from planning_sv.core.reproduce import compare
from planning_sv.core.rules.model import STATUSES
from planning_sv.core.verdicts import STATUS_LABELS
from planning_sv.core.workflow import IllegalTransition, Status, available_actions
from planning_sv.store import review as review_repo
from planning_sv.store import statements as repo
from planning_sv.store import value_sets
from planning_sv.store.keyset import Cursor, CursorCodec, CursorInvalid
from planning_sv.store.models import Statement, StatementVersion, User
from planning_sv.store.queue import council_queue, queue_keyset
from planning_sv.web import assessor, attachment, csp_nonce, db_session
from planning_sv.web.authz import STAFF_ROLES, allow, current_actor, statement_or_404
from planning_sv.web.params import form_int

bp = Blueprint("officer", __name__, url_prefix="/officer")

PER_PAGE = 20
QUEUE_STATUSES = tuple(s.value for s in Status if s is not Status.DRAFT)
SORTS = {
    "submitted": "Date submitted",
    "updated": "Last updated",
    "reference": "Application reference",
    "status": "Status",
}
WARD_CODE = re.compile(r"^[EWSN]\d{8}$")
ACTION_FIELDS = {"request_changes": "message", "return": "comment", "refuse": "reason"}


# --- helpers ------------------------------------------------------------------------------


def _officer() -> User:
    user = current_actor()
    assert user is not None  # @allow guarantees a signed-in staff member
    return user


def _reviewable(statement_id: int) -> Statement:
    """A statement of the officer's council that has been submitted (drafts are private)."""
    statement = statement_or_404(statement_id)
    if statement.latest_version is None:
        abort(404)
    return statement


def _version(statement: Statement, number: int | None) -> StatementVersion:
    version = statement.latest_version if number is None else statement.version(number)
    if version is None:
        abort(404)
    return version


def _version_arg() -> int | None:
    raw = request.args.get("version", "")
    if raw == "":
        return None
    try:
        return parse_whole_number(raw, minimum=1, maximum=MAX_ID)  # core/limits.py
    except ValueError:
        abort(404)


def _assessment(version: StatementVersion) -> dict[str, Any]:
    if version.assessment is None:
        abort(404)
    return version.assessment.data


def _int_field(name: str) -> int | None:
    return form_int(name)  # None when blank or not a whole number in range


def _heads_of_terms(statement: Statement, version: StatementVersion) -> HeadsOfTerms:
    session = db_session()
    plan = assessor().plans.get(statement.council)
    rule_measures = (
        {rule.id: rule.counts.measures for rule in plan.rules} if plan is not None else None
    )
    return build_heads_of_terms(
        _assessment(version),
        version.data,
        review_repo.core_verdicts(review_repo.verdicts_for(session, version)),
        measures=assessor().measures,
        rule_measures=rule_measures,
        version=version.number,
        accepted_engine=review_repo.accepted_at_recommendation(session, statement, version),
    )


def _site_map(statement: Statement, assessment: dict[str, Any], data: dict[str, Any]) -> Any:
    """The folium map of the site, its wards shaded by £ and commitment points; or a reason.

    Returns (parts, None) or (None, message): a missing boundary file must not stop the
    officer reviewing the rules, so the page says why there is no map instead.
    """
    try:
        from planning_sv.web import maps, services

        plan = assessor().plans[statement.council]
        site = assessment.get("site") or {}
        vintage = site.get("vintage") or plan.boundary_vintage
        wards = services().display_wards(vintage, plan.lad_code)
        social = assessment.get("social_value") or {}
        values = {
            str(w["code"]): float(w.get("gbp") or 0)
            for w in social.get("by_ward") or []
            if isinstance(w, dict)
        }
        site_wards = site.get("wards") or []
        highlight = site_wards[0]["code"] if site_wards else None
        m = maps.ward_map(
            wards,
            values=values or None,
            value_label="Social value",
            format_value=format_gbp,
            highlight=highlight,
            tiles=maps.tiles_from_config(current_app.config),
            leaflet_prefix=url_for("static", filename="vendor/leaflet/"),
            height=420,
            aria_label="Map of the site, the wards and the commitments",
        )
        if site.get("point"):
            lon, lat = site["point"][:2]
            address = str((data.get("site") or {}).get("address") or "")
            site_point = maps.MapPoint(lat=lat, lon=lon, title="Site", rows=[("Address", address)])
            maps.point_layer(m, [site_point], name="Site", colour="#d4351c")
        commitment_points = [
            maps.MapPoint(
                lat=c["where"]["point"][1],
                lon=c["where"]["point"][0],
                title=f"{c.get('id')}: {c.get('measure')}",
                rows=[("Quantity", f"{format_number(c.get('quantity'))} {c.get('unit')}")],
            )
            for c in data.get("commitments") or []
            if isinstance(c.get("where"), dict) and c["where"].get("point")
        ]
        if commitment_points:
            maps.point_layer(m, commitment_points, name="Commitments", colour="#1d70b8")
        return maps.render_parts(m, nonce=csp_nonce()), None
    except Exception as exc:
        current_app.logger.warning("review map unavailable: %s", exc)
        return None, "The map is not available: the ward boundaries could not be loaded."


def _actions(statement: Statement, officer: User) -> list[Any]:
    """The decisions to offer: from a submitted statement, the under-review ones too,
    because deciding starts the review implicitly (store.review.officer_action)."""
    found = list(available_actions(statement.status, officer.role))
    if Status(statement.status) in review_repo.AWAITING_REVIEW:
        found += available_actions(Status.UNDER_REVIEW, officer.role)
    return [a for a in found if a.name in review_repo.OFFICER_ACTIONS]


def _review_context(
    statement: Statement, version: StatementVersion, **extra: Any
) -> dict[str, Any]:
    session = db_session()
    officer = _officer()
    assessment = _assessment(version)
    latest = statement.latest_version
    is_latest = latest is not None and latest.id == version.id
    verdicts = review_repo.verdicts_for(session, version)
    previous = statement.version(version.number - 1)
    # After a resubmission the previous version's verdicts are carried forward: shown beside
    # each rule and pre-filled in the form, but a verdict on this version only once saved.
    previous_verdicts = review_repo.verdicts_for(session, previous) if previous else {}
    carried = review_repo.carried_forward(session, statement, version)
    rule_ids = [str(r["id"]) for r in assessment.get("rules") or []]
    site = assessment.get("site") or {}
    social = assessment.get("social_value") or {}
    total, local = social.get("total_gbp"), social.get("local_gbp")
    if "map_parts" not in extra:
        extra["map_parts"], extra["map_error"] = _site_map(statement, assessment, version.data)
    return {
        "statement": statement,
        "version": version,
        "versions": list(statement.versions),
        "is_latest": is_latest,
        "assessment": assessment,
        "data": version.data,
        "site": site,
        "social": social,
        "local_share": (local / total) if total and local is not None else None,
        "verdicts": verdicts,
        "previous_verdicts": previous_verdicts,
        "carried": carried,
        "without_verdict": [r for r in rule_ids if r not in verdicts],
        "review_version": review_repo.current_review_version(session, version),
        "editable": is_latest and Status(statement.status) in review_repo.REVIEWABLE,
        "actions": _actions(statement, officer) if is_latest else [],
        "changes": repo.diff(previous.data, version.data) if previous else [],
        "previous": previous,
        "requests": repo.officer_requests(session, statement),
        "measures": assessor().measures,
        "statuses": STATUSES,
        "status_labels": STATUS_LABELS,
        "action_fields": ACTION_FIELDS,
        "errors": {},
        "error_list": [],
        "entered": {},
        "conflict": None,
        "accept_engine": False,
        **extra,
    }


def _conflict_now(
    statement: Statement, version: StatementVersion, expected: int
) -> review_repo.ReviewConflict:
    """After losing a race: roll back, then read who changed what since `expected`.

    The losing transaction may be unusable (PostgreSQL aborts it on a unique violation), so
    the conflict's details are read afresh rather than inside it.
    """
    session = db_session()
    session.rollback()
    return review_repo.conflict_after(session, statement, version, expected)


# --- queue --------------------------------------------------------------------------------


def _queue_filters() -> tuple[dict[str, Any], list[Problem]]:
    args = request.args
    problems: list[Problem] = []
    status = args.get("status", "")
    if status and status not in QUEUE_STATUSES:
        problems.append(Problem("status", "choose a status from the list"))
        status = ""
    ward = args.get("ward", "").strip().upper()
    if ward and not WARD_CODE.match(ward):
        problems.append(Problem("ward", "choose a ward from the list"))
        ward = ""
    dates: dict[str, dt.date | None] = {}
    for name, label in (("from", "from"), ("to", "to")):
        raw = args.get(name, "").strip()
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            problems.append(
                Problem(name, f"enter the 'submitted {label}' date as YYYY-MM-DD, like 2026-03-31")
            )
            dates[name] = None
    sort = args.get("sort", "submitted")
    if sort not in SORTS:
        problems.append(Problem("sort", "choose how to sort from the list"))
        sort = "submitted"
    direction = "asc" if args.get("order") == "asc" else "desc"
    return {
        "status": status,
        "ward": ward,
        "applicant": args.get("applicant", "").strip()[:200],
        "from": dates["from"],
        "to": dates["to"],
        "sort": sort,
        "order": direction,
    }, problems


def _queue_cursor(filters: dict[str, Any], problems: list[Problem]) -> Cursor | None:
    """The page's keyset cursor (store/keyset.py); a bad one is a problem and page one."""
    raw = request.args.get("cursor", "")
    if not raw:
        return None
    keyset = queue_keyset(filters["sort"], filters["order"])
    try:
        return CursorCodec(current_app.secret_key or "").loads(keyset, raw)
    except CursorInvalid as exc:
        problems.append(Problem("cursor", str(exc)))
        return None


@bp.get("/")
@allow(*STAFF_ROLES)
def queue() -> ResponseReturnValue:
    """Statements of the officer's council awaiting or under review, filtered and paged."""
    officer = _officer()
    filters, problems = _queue_filters()
    cursor = _queue_cursor(filters, problems)
    found = council_queue(db_session(), officer.council or "", filters, PER_PAGE, cursor)
    codec = CursorCodec(current_app.secret_key or "")
    # Filters stay in the Next/Previous links; only the cursor changes.
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}

    def link(to: Cursor | None) -> str | None:
        if to is None:
            return None
        return url_for(".queue", **args, cursor=codec.dumps(found.keyset, to))

    return render_template(
        "officer/queue.html",
        rows=found.rows,
        total=found.total,
        counts=found.counts,
        statuses=QUEUE_STATUSES,
        filters=filters,
        problems=problems,
        ward_options=found.ward_options,
        sorts=SORTS,
        next_url=link(found.following),
        previous_url=link(found.preceding),
        council_name=assessor().councils().get(officer.council or "", officer.council),
    ), 400 if problems else 200


# --- review -------------------------------------------------------------------------------


@bp.get("/statements/<int:statement_id>")
@allow(*STAFF_ROLES)
def review(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    return render_template("officer/review.html", **_review_context(statement, version))


def _verdict_inputs(rule_ids: list[str]) -> tuple[list[review_repo.VerdictInput], dict[str, Any]]:
    """The verdict fields as posted: only rules where the officer chose agree or override."""
    entries = []
    entered: dict[str, Any] = {}
    for rule_id in rule_ids:
        decision = request.form.get(f"decision-{rule_id}", "")
        fields = {
            "decision": decision,
            "status": request.form.get(f"status-{rule_id}") or None,
            "reason": request.form.get(f"reason-{rule_id}", ""),
            "comment": request.form.get(f"comment-{rule_id}", ""),
        }
        entered[rule_id] = fields
        if decision:
            entries.append(review_repo.VerdictInput(rule_id=rule_id, **fields))
    return entries, entered


@bp.post("/statements/<int:statement_id>/verdicts")
@allow(*STAFF_ROLES)
def save_verdicts(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _int_field("version"))
    assessment = _assessment(version)
    rule_ids = [str(r["id"]) for r in assessment.get("rules") or []]
    entries, entered = _verdict_inputs(rule_ids)
    expected = _int_field("review_version")
    session = db_session()

    def again(status: int, **extra: Any) -> ResponseReturnValue:
        session.rollback()
        context = _review_context(statement, version, entered=entered, **extra)
        return render_template("officer/review.html", **context), status

    if expected is None:
        problem = Problem("review_version", "the form is incomplete: reload the page")
        return again(400, errors={"form": problem.message}, error_list=[problem])
    if not entries:
        problem = Problem("verdicts", "record a verdict (agree or override) for at least one rule")
        return again(400, errors={"verdicts": problem.message}, error_list=[problem])
    try:
        changed = review_repo.save_verdicts(
            session, statement, version, assessment, entries, _officer(), expected_version=expected
        )
        session.commit()
    except InputInvalid as exc:
        return again(400, errors={p.path: p.message for p in exc.problems}, error_list=exc.problems)
    except review_repo.ReviewConflict as exc:
        return again(409, conflict=_conflict_now(statement, version, exc.expected))
    except (StaleDataError, DBAPIError) as exc:
        # Someone wrote the same rows between our check and our commit: same answer.
        if not review_repo.is_concurrency_error(exc):
            raise
        return again(409, conflict=_conflict_now(statement, version, expected))
    flash(
        f"Saved {len(changed)} verdict{'s' if len(changed) != 1 else ''}."
        if changed
        else "No verdicts changed.",
        "success",
    )
    return redirect(url_for(".review", statement_id=statement.id, _anchor="rules"))


@bp.post("/statements/<int:statement_id>/actions")
@allow(*STAFF_ROLES)
def act(statement_id: int) -> ResponseReturnValue:
    """A workflow decision (request changes, recommend, sign off, return, approve, refuse)."""
    statement = _reviewable(statement_id)
    version = statement.latest_version
    assert version is not None  # _reviewable guarantees one
    action = request.form.get("action", "")
    reason_field = ACTION_FIELDS.get(action, "note")
    reason = request.form.get(reason_field, "") or request.form.get("reason", "")
    expected = _int_field("review_version")
    # The explicit "the engine's results stand for the rules I have not judged" checkbox.
    accept_engine = action == "recommend" and request.form.get("accept_engine") == "yes"
    session = db_session()

    def again(status: int, **extra: Any) -> ResponseReturnValue:
        session.rollback()
        context = _review_context(statement, version, accept_engine=accept_engine, **extra)
        return render_template("officer/review.html", **context), status

    if action not in review_repo.OFFICER_ACTIONS:
        problem = Problem("action", "choose what to do with this statement")
        return again(400, errors={"action": problem.message}, error_list=[problem])
    if expected is None:
        problem = Problem("action", "the form is incomplete: reload the page")
        return again(400, errors={"action": problem.message}, error_list=[problem])
    if len(reason) > 5000:
        problem = Problem(reason_field, "must be at most 5000 characters")
        return again(400, errors={reason_field: problem.message}, error_list=[problem])
    try:
        event = review_repo.officer_action(
            session,
            statement,
            action,
            _officer(),
            reason,
            expected_version=expected,
            accept_engine=accept_engine,
        )
        session.commit()
    except review_repo.ReviewConflict as exc:
        return again(409, conflict=_conflict_now(statement, version, exc.expected))
    except (StaleDataError, DBAPIError) as exc:
        # Another officer's decision committed between our check and our write.
        if not review_repo.is_concurrency_error(exc):
            raise
        return again(409, conflict=_conflict_now(statement, version, expected))
    except InputInvalid as exc:
        return again(400, errors={p.path: p.message for p in exc.problems}, error_list=exc.problems)
    except IllegalTransition as exc:
        if exc.forbidden:
            raise
        if "needs a reason" in str(exc):
            problem = Problem(reason_field, str(exc))
            return again(400, errors={reason_field: problem.message}, error_list=[problem])
        problem = Problem("action", str(exc))
        return again(409, errors={"action": problem.message}, error_list=[problem])
    flash(
        f"{action.replace('_', ' ').capitalize()}: the statement is now "
        f"{(event.to_status or '').replace('_', ' ')}.",
        "success",
    )
    return redirect(url_for(".review", statement_id=statement.id))


# --- heads of terms -----------------------------------------------------------------------


@bp.get("/statements/<int:statement_id>/heads-of-terms")
@allow(*STAFF_ROLES)
def heads_of_terms(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    return render_template(
        "officer/heads_of_terms.html",
        statement=statement,
        version=version,
        hot=_heads_of_terms(statement, version),
        final=statement.status in (Status.SIGNED_OFF.value, Status.APPROVED.value),
        status_labels=STATUS_LABELS,
    )


@bp.get("/statements/<int:statement_id>/heads-of-terms.docx")
@allow(*STAFF_ROLES)
def heads_of_terms_docx(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    data = render_docx(_heads_of_terms(statement, version))
    reference = statement.application_reference or f"statement-{statement.id}"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": attachment(f"heads-of-terms-{reference}-v{version.number}.docx")
        },
    )


# --- audit and reproduce ------------------------------------------------------------------


@bp.get("/statements/<int:statement_id>/audit")
@allow(*STAFF_ROLES)
def audit(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    session = db_session()
    events = repo.events_for(session, statement)
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return render_template(
        "officer/audit.html",
        statement=statement,
        events=events,
        actors=actors,
        versions=list(statement.versions),
    )


@bp.get("/statements/<int:statement_id>/reproduce")
@allow(*STAFF_ROLES)
def reproduce(statement_id: int) -> ResponseReturnValue:
    """Re-run the stored version's statement on its assessment date and compare."""
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    stored = _assessment(version)
    on = dt.date.fromisoformat(str(stored.get("assessed_on")))
    error = None
    result = None
    try:
        # With the value set the stored record used (kept by version), so only changes in
        # the rules or reference data show as differences.
        used = value_sets.used_by(db_session(), stored)
        fresh = assessor().assess(version.data, on=on, value_set=used)
        result = compare(stored, fresh)
    except InputInvalid as exc:
        # The rules or reference data changed so much the old statement no longer assesses.
        error = str(exc)
    return render_template(
        "officer/reproduce.html",
        statement=statement,
        version=version,
        stored=stored,
        result=result,
        error=error,
    )
