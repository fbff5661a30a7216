"""The planning officer's journey: queue → review → verdicts → decision → heads of terms.

Routes are thin: they parse the form, call `store.review` (verdicts, transitions, locking)
and the pure builders in `core.heads_of_terms` / `core.reproduce`, and render.
"""

from __future__ import annotations

import datetime as dt
import json
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
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from planning_sv.core.assessment import AssessmentRecord, parse_assessment
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import (
    format_date,
    format_gbp,
    format_in_unit,
    format_number,
    parse_day,
)
from planning_sv.core.heads_of_terms import HeadsOfTerms, build_heads_of_terms
from planning_sv.core.heads_of_terms_docx import render_docx
from planning_sv.core.limits import MAX_ID, parse_whole_number
from planning_sv.core.reproduce import compare
from planning_sv.core.rules.model import STATUSES
from planning_sv.core.verdicts import (
    STATUS_LABELS,
    review_summary,
    unverified_figures,
)
from planning_sv.core.workflow import ACTIONS, IllegalTransition, Status, four_eyes_refusal
from planning_sv.store import benchmarks as benchmarks_store
from planning_sv.store import review as review_repo
from planning_sv.store import statements as repo
from planning_sv.store import value_sets
from planning_sv.store.keyset import Cursor, CursorCodec, CursorInvalid
from planning_sv.store.models import Assessment, Statement, StatementVersion, User
from planning_sv.store.queue import council_queue, queue_keyset
from planning_sv.web import assessor, attachment, csp_nonce, db_session
from planning_sv.web.authz import (
    STAFF_ROLES,
    allow,
    current_actor,
    officer_decisions,
    statement_or_404,
)
from planning_sv.web.params import form_int

bp = Blueprint("officer", __name__, url_prefix="/officer")

PER_PAGE = 20
QUEUE_STATUSES = tuple(s.value for s in Status if s is not Status.DRAFT)
SORTS = {
    "submitted": "Date submitted",
    "updated": "Last updated",
    "reference": "Application reference",
    "status": "Status",
    "target": "Target date",  # case management (web/cases.py)
}
WARD_CODE = re.compile(r"^[EWSN]\d{8}$")
ACTION_FIELDS = {"request_changes": "message", "return": "comment", "refuse": "reason"}
# What each decision's text box is, and who reads it (store.review.ACTION_AUDIENCE).
ACTION_TEXT = {
    "request_changes": "What the applicant needs to change",
    "refuse": "Reason for refusal",
    "return": "What the officer needs to look at again",
    "recommend": "Note on the recommendation (optional)",
    "sign_off": "Note on the sign-off (optional)",
    "approve": "Note on the approval (optional)",
}
MISSING_TEXT = {
    "request_changes": "Enter what the applicant needs to change",
    "refuse": "Enter the reason for refusal",
    "return": "Enter what the officer needs to look at again",
}
DATE_FIELDS = {"from": "Submitted from", "to": "Submitted to"}
STATUS_WORDS = {s.value: s.value.replace("_", " ") for s in Status}


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


def _assessment(version: StatementVersion) -> AssessmentRecord:
    """The stored record as assessed (no ward corrections), typed: for verdict checks and
    reproduce, which compare against the engine's own result."""
    if version.assessment is None:
        abort(404)
    return version.assessment.record


def _record(version: StatementVersion, corrections: list[Any] | None = None) -> AssessmentRecord:
    """The version's typed record with the officers' ward corrections applied."""
    from planning_sv.web import services

    records = services().records
    if "assessment" not in version.__dict__ and records.has_version(version.id):
        # A record kept for this version: its row is read without the stored JSON (decoding
        # it cost more than the rest of the row), given to the relationship as loaded.
        row = db_session().scalar(
            select(Assessment)
            .where(Assessment.version_id == version.id)
            .options(defer(Assessment.data))
        )
        set_committed_value(version, "assessment", row)
    assessment = version.assessment
    if assessment is not None:
        # Parsed once per worker, not per request: the row is never updated, so its id and
        # creation time name its data (web/render_cache.RecordCache).
        key = (assessment.id, assessment.created_at)
        record = records.get(key, lambda: assessment.data, version_id=version.id)
        assessment.use_record(record)
    record = review_repo.corrected_record(db_session(), version, corrections)
    if record is None:
        abort(404)
    return record


def _int_field(name: str) -> int | None:
    return form_int(name)  # None when blank or not a whole number in range


def _heads_of_terms(statement: Statement, version: StatementVersion) -> HeadsOfTerms:
    session = db_session()
    plan = assessor().plans.get(statement.council)
    rule_measures = (
        {rule.id: rule.counts.measures for rule in plan.rules} if plan is not None else None
    )
    # The corrected record: a ward an officer corrected is the ward the obligation names.
    return build_heads_of_terms(
        _record(version),
        version.data,
        review_repo.core_verdicts(review_repo.verdicts_for(session, version)),
        measures=assessor().measures,
        rule_measures=rule_measures,
        version=version.number,
        accepted_engine=review_repo.accepted_at_recommendation(session, statement, version),
        plan=plan,  # the rules' own unit definitions (26-week placements), the council's name
        sign_off=review_repo.sign_off_of(session, statement, version),
    )


def _site_map(statement: Statement, record: AssessmentRecord, data: dict[str, Any]) -> Any:
    """The folium map of the site, its wards shaded by £ and commitment points; or a reason.

    Returns (parts, None) or (None, message): a missing boundary file must not stop the
    officer reviewing the rules, so the page says why there is no map instead.
    """
    try:
        from planning_sv.web import maps, services

        plan = assessor().plans[statement.council]
        site = record.site
        vintage = site.vintage or plan.boundary_vintage
        wards = services().display_wards(vintage, plan.lad_code)
        social = record.social_value
        values = {w.code: float(w.gbp or 0) for w in social.by_ward} if social else {}
        highlight = site.wards[0].code if site.wards else None
        options = maps.page_map_options()
        tiles, leaflet_prefix = options["tiles"], options["leaflet_prefix"]
        site_point = None
        if site.point:
            lon, lat = site.point[:2]
            address = str((data.get("site") or {}).get("address") or "")
            site_point = maps.MapPoint(lat=lat, lon=lon, title="Site", rows=(("Address", address),))
        commitment_points = tuple(
            maps.MapPoint(
                lat=c.point[1],
                lon=c.point[0],
                title=f"{c.id}: {c.measure}",
                rows=(("Quantity", format_number(c.quantity, c.unit)),),
            )
            for c in record.commitments
            if c.point and c.method != "officer"  # a corrected ward: the point is wrong
        )

        def build() -> Any:
            m = maps.ward_map(
                wards,
                values=values or None,
                value_label="Social value",
                format_value=format_gbp,
                highlight=highlight,
                tiles=tiles,
                leaflet_prefix=leaflet_prefix,
                height=420,
                aria_label="Map of the site, the wards and the commitments",
            )
            if site_point is not None:
                maps.point_layer(m, [site_point], name="Site", colour="#d4351c")
            if commitment_points:
                maps.point_layer(m, list(commitment_points), name="Commitments", colour="#1d70b8")
            return m

        # Rendered once per distinct map: the key is every input drawn (the wards frame is
        # checked by identity in the cache), so a correction or a new version is a new key.
        key = (
            "review",
            vintage,
            plan.lad_code,
            tuple(values.items()),
            highlight,
            tiles,
            leaflet_prefix,
            site_point,
            commitment_points,
        )
        return services().map_parts.get(key, wards, build, nonce=csp_nonce()), None
    except Exception as exc:
        current_app.logger.warning("review map unavailable: %s", exc)
        return None, "The map is not available: the ward boundaries could not be loaded."


def _ward_choices(statement: Statement, record: AssessmentRecord) -> dict[str, str]:
    """Code -> name of the council's wards, for correcting a commitment's ward."""
    try:
        from planning_sv.web import services

        plan = assessor().plans[statement.council]
        vintage = record.site.vintage or plan.boundary_vintage
        names = services().geo.ward_names(vintage, plan.lad_code)
        return dict(sorted(names.items(), key=lambda item: item[1]))
    except Exception as exc:  # boundaries missing: no correction form, the page still works
        current_app.logger.warning("ward list unavailable: %s", exc)
        return {}


def _decision_context(
    statement: Statement, version: StatementVersion, events: list[Any] | None = None
) -> dict[str, Any]:
    """What both the review page and the decision page need to offer decisions.

    `events`: the statement's audit events when the caller has read them already."""
    session = db_session()
    officer = _officer()
    latest = statement.latest_version
    is_latest = latest is not None and latest.id == version.id
    recommender = review_repo.recommended_by(session, statement, events)
    actions = officer_decisions(officer, statement, recommended_by=recommender) if is_latest else []
    # Said rather than silently left out: why a senior officer sees no Sign off.
    four_eyes = (
        four_eyes_refusal("sign_off", officer.id, recommender)
        if is_latest and statement.status == Status.RECOMMENDED.value
        else None
    )
    return {
        "actions": actions,
        "four_eyes": four_eyes,
        "recommended_by_id": recommender,
        "action_fields": ACTION_FIELDS,
        "action_text": ACTION_TEXT,
        "action_audience": review_repo.ACTION_AUDIENCE,
        "audience_labels": review_repo.AUDIENCE_LABELS,
    }


def _review_context(
    statement: Statement, version: StatementVersion, **extra: Any
) -> dict[str, Any]:
    session = db_session()
    corrections = review_repo.ward_corrections_for(session, version)
    record = _record(version, corrections)
    assert version.assessment is not None  # _record answers 404 without one
    # Names the record as assessed: its row is never updated (web/render_cache.py).
    record_key = (version.assessment.id, version.assessment.created_at)
    latest = statement.latest_version
    is_latest = latest is not None and latest.id == version.id
    verdicts = review_repo.verdicts_for(session, version)
    previous = statement.version(version.number - 1)
    # After a resubmission the previous version's verdicts are carried forward: shown beside
    # each rule and pre-filled in the form, but a verdict on this version only once saved.
    previous_verdicts = review_repo.verdicts_for(session, previous) if previous else {}
    carried = review_repo.carried_forward(session, statement, version, previous_verdicts)
    events = repo.events_for(session, statement)  # read once: change requests, recommender
    social = record.social_value
    total = social.total_gbp if social else None
    local = social.local_gbp if social else None
    editable = is_latest and Status(statement.status) in review_repo.REVIEWABLE
    if "map_parts" not in extra:
        extra["map_parts"], extra["map_error"] = _site_map(statement, record, version.data)
    acknowledged = review_repo.acknowledged(session, version)
    context = {
        "statement": statement,
        "version": version,
        "versions": list(statement.versions),
        "is_latest": is_latest,
        "record": record,
        "data": version.data,
        "site": record.site,
        "social": social,
        "local_share": (local / total) if total and local is not None else None,
        "verdicts": verdicts,
        "summary": review_summary(record, review_repo.core_verdicts(verdicts)),
        "unverified": unverified_figures(record),
        "acknowledged": acknowledged,
        "corrections": {c.commitment_id: c for c in corrections},
        "ward_choices": _ward_choices(statement, record) if editable else {},
        "notes": review_repo.notes_for(session, statement),
        "previous_verdicts": previous_verdicts,
        "carried": carried,
        "without_verdict": [r.id for r in record.rules if r.id not in verdicts],
        "review_version": review_repo.current_review_version(session, version),
        "editable": editable,
        "changes": repo.diff(previous.data, version.data) if previous else [],
        "previous": previous,
        "requests": repo.officer_requests(session, statement, events),
        "measures": assessor().measures,
        "benchmarks": benchmarks_store.benchmark_rows(
            session,
            statement.council,
            version.data,
            record.applied_on,
            assessor().measures,
        ),
        "statuses": STATUSES,
        "status_labels": STATUS_LABELS,
        "errors": {},
        "error_list": [],
        "entered": {},
        "conflict": None,
        "accept_engine": False,
        **_decision_context(statement, version, events),
        **extra,
    }
    # The heavy parts of officer/review.html, rendered when the page asks for them (the
    # decision page never does).
    context["review_parts"] = lambda: _review_parts(context, corrections, record_key)
    return context


# What officer/_review_parts.html draws: its context is these names only (no current user,
# no request), and `_review_parts_key` names every one of them.
PARTS_TEMPLATE = "officer/_review_parts.html"
PARTS_CONTEXT = (
    "statement",
    "version",
    "record",
    "social",
    "local_share",
    "verdicts",
    "unverified",
    "acknowledged",
    "corrections",
    "ward_choices",
    "previous_verdicts",
    "previous",
    "carried",
    "review_version",
    "editable",
    "measures",
    "benchmarks",
    "statuses",
    "status_labels",
    "audience_labels",
    "errors",
    "entered",
)


def _review_parts(
    context: dict[str, Any], corrections: list[Any], record_key: tuple[Any, ...]
) -> dict[str, Any]:
    """The rule index, commitments, social value and rules of the review page (Markup by
    part name), rendered once per distinct input and kept per app (web/render_cache.py).

    A page shown again after a refused form (errors, what the officer typed) is rendered
    for that request alone. Forms in the parts carry the request's own CSRF token."""
    from planning_sv.web import services

    template = current_app.jinja_env.get_template(PARTS_TEMPLATE)
    drawn = {name: context[name] for name in PARTS_CONTEXT}
    # Flask's template globals of the request, hidden: the parts cannot draw anything of
    # the request or the viewer (there is no `current_user` either: no context processors).
    drawn.update(request=None, session=None, g=None)
    if "ward_entered" in context:
        drawn["ward_entered"] = context["ward_entered"]

    def render(token: Any) -> str:
        return template.render(drawn, csrf_token=token)

    return services().fragments.parts(
        _review_parts_key(context, corrections, record_key, template),
        render,
        current_app.jinja_env.globals["csrf_token"],  # type: ignore[arg-type]
    )


def _review_parts_key(
    context: dict[str, Any], corrections: list[Any], record_key: tuple[Any, ...], template: Any
) -> tuple[Any, ...] | None:
    """Everything `_review_parts` draws, so any change (a verdict, an acknowledgement, a
    ward correction, a renamed officer, a new version, the statement's status) is a new key.
    None when the page shows a refused form again (not kept)."""
    if context["errors"] or context["entered"] or "ward_entered" in context:
        return None
    version = context["version"]
    previous = context["previous"]
    record = context["record"]
    measures = context["measures"]

    def who(user: User | None) -> tuple[str | None, str | None] | None:
        return (user.name, user.email) if user is not None else None

    def verdict_rows(rows: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            (
                r.rule_id,
                r.engine_status,
                r.officer_status,
                r.reason,
                r.comment,
                r.time,
                who(r.officer),
            )
            for _rule_id, r in sorted(rows.items())
        )

    return (
        template,  # the template object itself: a reloaded template is a new key
        request.script_root,  # the links' prefix
        context["statement"].id,
        version.number,
        previous.number if previous is not None else None,
        # The record: its stored row (never updated), with the corrections applied.
        record_key,
        tuple(
            (
                c.id,
                c.commitment_id,
                c.ward_code,
                c.ward_name,
                c.reason,
                c.at,
                json.dumps(c.from_wards, sort_keys=True),
                who(c.officer),
            )
            for c in corrections
        ),
        verdict_rows(context["verdicts"]),
        verdict_rows(context["previous_verdicts"]),
        tuple(sorted(context["carried"].items())),
        tuple((n, a.at, who(a.officer)) for n, a in sorted(context["acknowledged"].items())),
        context["editable"],
        context["review_version"],
        tuple(context["ward_choices"].items()),
        tuple(context["benchmarks"]),
        tuple(
            (c.measure, measures[c.measure].label)
            for c in record.commitments
            if c.measure in measures
        ),
    )


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
    """The queue's filters; each bad one is a problem naming its field, never ignored."""
    args = request.args
    problems: list[Problem] = []
    status = args.get("status", "")
    if status and status not in QUEUE_STATUSES:
        problems.append(Problem("status", "Choose a status from the list"))
        status = ""
    ward = args.get("ward", "").strip().upper()
    if ward and not WARD_CODE.match(ward):
        problems.append(Problem("ward", "Choose a ward of the site from the list"))
        ward = ""
    dates: dict[str, dt.date | None] = {}
    raw_dates: dict[str, str] = {}
    for name, label in DATE_FIELDS.items():
        raw = args.get(name, "").strip()[:40]
        raw_dates[name] = raw
        dates[name] = parse_day(raw) if raw else None
        if raw and dates[name] is None:
            problems.append(Problem(name, f"{label} must be a real date, for example 31 3 2026"))
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        problems.append(
            Problem(
                "to",
                f"Submitted to must be the same as or after {format_date(dates['from'])}",
            )
        )
    sort = args.get("sort", "submitted")
    if sort not in SORTS:
        problems.append(Problem("sort", "Choose how to sort from the list"))
        sort = "submitted"
    direction = "asc" if args.get("order") == "asc" else "desc"
    if sort == "target" and not args.get("order"):
        direction = "asc"  # soonest due first, unless asked otherwise
    # Case management: who holds it ("me", "none" or an officer's id from the team view).
    assigned_raw = args.get("assigned", "").strip()[:20]
    assigned: int | str | None = None
    if assigned_raw == "me":
        assigned = _officer().id
    elif assigned_raw == "none":
        assigned = "none"
    elif assigned_raw:
        try:
            assigned = parse_whole_number(assigned_raw, minimum=1, maximum=MAX_ID)
        except ValueError:
            problems.append(Problem("assigned", "Choose who holds the case from the list"))
    overdue_raw = args.get("overdue", "")
    if overdue_raw not in ("", "1"):
        problems.append(Problem("overdue", "Tick overdue or leave it empty"))
    return {
        "status": status,
        "ward": ward,
        "applicant": args.get("applicant", "").strip()[:200],
        "q": args.get("q", "").strip()[:200],
        "assigned": assigned,
        "assigned_raw": assigned_raw,
        "overdue": overdue_raw == "1",
        "from": dates["from"],
        "to": dates["to"],
        "raw_dates": raw_dates,
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
    from planning_sv.web import cases

    today = cases.today()
    found = council_queue(
        db_session(), officer.council or "", filters, PER_PAGE, cursor, today=today
    )
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
        today=today,
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


@bp.get("/statements/<int:statement_id>/decision")
@allow(*STAFF_ROLES)
def decision(statement_id: int) -> ResponseReturnValue:
    """The decisions on their own page: reachable from the top of the review page."""
    statement = _reviewable(statement_id)
    version = _version(statement, None)
    context = _review_context(statement, version, map_parts=None, map_error=None)
    return render_template("officer/decision.html", **context)


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


def _review_write(
    statement: Statement,
    version: StatementVersion,
    write: Any,
    *,
    template: str = "officer/review.html",
    **keep: Any,
) -> ResponseReturnValue | None:
    """Run one review write (verdicts, acknowledgement, ward correction) and commit it.

    Returns None on success, else the page again with the problem: 400 naming the field,
    409 with what changed when another officer saved first. `keep` is put back into the
    page so nothing the officer typed is lost.
    """
    session = db_session()
    expected = _int_field("review_version")

    def again(status: int, **extra: Any) -> ResponseReturnValue:
        session.rollback()
        context = _review_context(statement, version, **keep, **extra)
        return render_template(template, **context), status

    if expected is None:
        problem = Problem("review_version", "The form is incomplete: reload the page")
        return again(400, errors={"form": problem.message}, error_list=[problem])
    try:
        write(session, expected)
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
    except IllegalTransition as exc:
        if exc.forbidden:
            raise
        problem = Problem("form", str(exc))
        return again(409, errors={"form": problem.message}, error_list=[problem])
    return None


@bp.post("/statements/<int:statement_id>/verdicts")
@allow(*STAFF_ROLES)
def save_verdicts(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _int_field("version"))
    record = _record(version)
    entries, entered = _verdict_inputs([r.id for r in record.rules])
    changed: list[str] = []

    def write(session: Any, expected: int) -> None:
        if not entries:
            raise InputInvalid(
                [Problem("verdicts", "Choose agree or override for at least one rule")]
            )
        changed.extend(
            review_repo.save_verdicts(
                session,
                statement,
                version,
                _assessment(version),
                entries,
                _officer(),
                expected_version=expected,
            )
        )

    failed = _review_write(statement, version, write, entered=entered)
    if failed is not None:
        return failed
    count = len(changed)
    flash(
        f"Saved {count} verdict{'s' if count != 1 else ''}." if changed else "No verdicts changed.",
        "success",
    )
    return redirect(url_for(".review", statement_id=statement.id, _anchor="rules"))


@bp.post("/statements/<int:statement_id>/agree-remaining")
@allow(*STAFF_ROLES)
def agree_remaining(statement_id: int) -> ResponseReturnValue:
    """Record the engine's result as the officer's verdict on every rule not yet reviewed."""
    statement = _reviewable(statement_id)
    version = _version(statement, None)
    changed: list[str] = []

    def write(session: Any, expected: int) -> None:
        changed.extend(
            review_repo.agree_remaining(
                session, statement, version, _officer(), expected_version=expected
            )
        )

    failed = _review_write(statement, version, write)
    if failed is not None:
        return failed
    count = len(changed)
    flash(
        f"You agreed with the engine on {count} rule{'s' if count != 1 else ''}: "
        f"{', '.join(changed)}.",
        "success",
    )
    return redirect(url_for(".review", statement_id=statement.id))


@bp.post("/statements/<int:statement_id>/acknowledgements")
@allow(*STAFF_ROLES)
def acknowledge(statement_id: int) -> ResponseReturnValue:
    """The officer acknowledges unverified rule parameters (needed before recommending)."""
    statement = _reviewable(statement_id)
    version = _version(statement, None)
    names = request.form.getlist("acknowledge")
    new: list[str] = []

    def write(session: Any, expected: int) -> None:
        new.extend(
            review_repo.acknowledge_figures(
                session, statement, version, names, _officer(), expected_version=expected
            )
        )

    failed = _review_write(statement, version, write)
    if failed is not None:
        return failed
    count = len(new)
    flash(
        f"Acknowledged {count} unverified figure{'s' if count != 1 else ''}."
        if new
        else "Those figures were already acknowledged.",
        "success",
    )
    return redirect(url_for(".review", statement_id=statement.id, _anchor="unverified"))


@bp.post("/statements/<int:statement_id>/commitments/<commitment_id>/ward")
@allow(*STAFF_ROLES)
def correct_ward(statement_id: int, commitment_id: str) -> ResponseReturnValue:
    """Correct the ward a commitment was placed in, with a reason (audited)."""
    statement = _reviewable(statement_id)
    version = _version(statement, None)
    record = _record(version)
    if commitment_id not in {c.id for c in record.commitments}:
        abort(404)
    ward = request.form.get("ward", "")
    reason = request.form.get("reason", "")

    def write(session: Any, expected: int) -> None:
        review_repo.correct_ward(
            session,
            statement,
            version,
            commitment_id,
            ward,
            reason,
            _officer(),
            wards=_ward_choices(statement, record),
            expected_version=expected,
        )

    failed = _review_write(
        statement,
        version,
        write,
        ward_entered={"commitment": commitment_id, "ward": ward, "reason": reason},
    )
    if failed is not None:
        return failed
    flash(f"Corrected the ward of {commitment_id}.", "success")
    return redirect(url_for(".review", statement_id=statement.id, _anchor=f"c-{commitment_id}"))


@bp.post("/statements/<int:statement_id>/notes")
@allow(*STAFF_ROLES)
def add_note(statement_id: int) -> ResponseReturnValue:
    """An internal note on the review: for council staff, never shown to the applicant."""
    statement = _reviewable(statement_id)
    version = _version(statement, None)
    session = db_session()
    body = request.form.get("note", "")
    try:
        review_repo.add_note(session, statement, version, body, _officer())
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        context = _review_context(
            statement,
            version,
            note_entered=body,
            errors={p.path: p.message for p in exc.problems},
            error_list=exc.problems,
        )
        return render_template("officer/review.html", **context), 400
    flash("Internal note added.", "success")
    return redirect(url_for(".review", statement_id=statement.id, _anchor="notes"))


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
        context = _review_context(
            statement,
            version,
            accept_engine=accept_engine,
            map_parts=None,
            map_error=None,
            text_entered={action: reason},
            **extra,
        )
        return render_template("officer/decision.html", **context), status

    if action not in review_repo.OFFICER_ACTIONS:
        problem = Problem("action", "Choose what to do with this statement")
        return again(400, errors={"action": problem.message}, error_list=[problem])
    if expected is None:
        problem = Problem("action", "The form is incomplete: reload the page")
        return again(400, errors={"action": problem.message}, error_list=[problem])
    if len(reason) > 5000:
        problem = Problem(reason_field, "The text must be 5,000 characters or fewer")
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
        if exc.missing_reason:
            problem = Problem(reason_field, MISSING_TEXT.get(action, "Enter a reason"))
            return again(400, errors={reason_field: problem.message}, error_list=[problem])
        problem = Problem("action", str(exc))
        return again(409, errors={"action": problem.message}, error_list=[problem])
    done = ACTIONS[action].label if action in ACTIONS else action
    status = STATUS_WORDS.get(event.to_status or "", (event.to_status or "").replace("_", " "))
    flash(f"{done}: the statement is now {status}.", "success")
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
        status_labels=STATUS_LABELS,
        format_in_unit=format_in_unit,
    )


@bp.get("/statements/<int:statement_id>/heads-of-terms.docx")
@allow(*STAFF_ROLES)
def heads_of_terms_docx(statement_id: int) -> ResponseReturnValue:
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    hot = _heads_of_terms(statement, version)
    from planning_sv.web.monitoring import monitoring_fee_for

    # The monitoring fee, worded as on the page (officer/heads_of_terms.html).
    data = render_docx(hot, fee=monitoring_fee_for(hot))
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
    notes = {n.event_id: n for n in review_repo.notes_for(session, statement) if n.event_id}
    return render_template(
        "officer/audit.html",
        statement=statement,
        events=events,
        actors=actors,
        notes=notes,
        versions=list(statement.versions),
        status_labels=STATUS_LABELS,
        audience_labels=review_repo.AUDIENCE_LABELS,
    )


@bp.get("/statements/<int:statement_id>/reproduce")
@allow(*STAFF_ROLES)
def reproduce(statement_id: int) -> ResponseReturnValue:
    """Re-run the stored version's statement on its assessment date and compare."""
    statement = _reviewable(statement_id)
    version = _version(statement, _version_arg())
    stored = _assessment(version)
    on = stored.assessed_on
    error = None
    result = None
    try:
        # With the value set the stored record used (kept by version), so only changes in
        # the rules or reference data show as differences.
        used = value_sets.used_by(db_session(), stored)
        fresh = parse_assessment(assessor().assess(version.data, on=on, value_set=used))
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
