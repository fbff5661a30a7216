"""Statements: drafts, immutable submitted versions, their assessments and audit events.

Every status change goes through `apply_transition`, which asks `core.workflow.transition`
whether it is legal and writes the AuditEvent in the same transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from planning_sv.core.assessment import (
    AssessmentRecord,
    SiteOut,
    WardShareOut,
    value_set_label,
)
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.statement import SCHEMA_ID, unknown_council
from planning_sv.core.workflow import APPLICANT_EDITABLE, Role, Status, transition
from planning_sv.store import benchmarks, figures, mail
from planning_sv.store.assessments import Assessor, assessor_of
from planning_sv.store.keyset import Cursor, Keyset
from planning_sv.store.models import (
    Assessment,
    AuditEvent,
    Statement,
    StatementSiteWard,
    StatementVersion,
    User,
    utcnow,
)


class NotEditable(Exception):
    """The statement is not in a state in which the applicant may change it (HTTP 409)."""


def new_draft(council: str) -> dict[str, Any]:
    return {"schema": SCHEMA_ID, "council": council, "commitments": []}


def create_statement(
    session: Session,
    owner: User,
    council: str,
    data: Mapping[str, Any] | None = None,
    *,
    assessor: Assessor | None = None,
) -> Statement:
    """A new draft for `council` owned by `owner`, optionally from whole statement@1 data."""
    assessor = assessor or assessor_of(session)
    if council not in assessor.plans:
        raise InputInvalid([unknown_council(council, assessor.plans)])
    draft = copy.deepcopy(dict(data)) if data is not None else new_draft(council)
    statement = Statement(
        council=council,
        owner_id=owner.id,
        status=Status.DRAFT.value,
        draft=draft,
        application_reference=draft.get("application_reference"),
    )
    # A member's statement belongs to their organisation (store/collaboration.py): their
    # colleagues share it and it stays with the firm when they leave.
    from planning_sv.store.collaboration import organisation_id_of

    statement.organisation_id = organisation_id_of(session, owner)
    session.add(statement)
    session.flush()
    record_event(session, statement, owner, "create", None, Status.DRAFT.value)
    refresh_draft_assessment(session, statement, assessor=assessor)
    return statement


def has_been_submitted(statement: Statement) -> bool:
    """Whether the applicant has submitted it at least once (it has a frozen version).

    Before that (a draft, or one withdrawn before submission) it is the applicant's private
    working paper: web/authz.py `can_view` shows it to its owner only.
    """
    return statement.status != Status.DRAFT.value and bool(statement.versions)


def submitted_condition() -> Any:
    """SQL twin of `has_been_submitted`. `submitted_at` is set with the first version (in
    `submit`'s transaction) and never cleared, so "has a version" is a column test that the
    queue's indexes cover, not a subquery per row."""
    return (Statement.status != Status.DRAFT.value) & Statement.submitted_at.is_not(None)


def _own(user: User) -> Any:
    """SQL twin of web/authz.py `is_applicant_side`: the statements of the organisation the
    user belongs to now, and their own statements that belong to no organisation."""
    own = (Statement.owner_id == user.id) & Statement.organisation_id.is_(None)
    if user.role != Role.APPLICANT.value:
        return own
    from planning_sv.store.collaboration import OrganisationMember

    organisation = Statement.organisation_id.in_(
        select(OrganisationMember.organisation_id).where(OrganisationMember.user_id == user.id)
    )
    return own | organisation


def visible_filter(user: User) -> Any:
    """SQL condition for the statements `user` may see (web/authz.py `can_view`, in SQL):
    their own (or their organisation's), and once submitted, their council's if they are an
    officer."""
    if not user.is_active:
        return false()
    own = _own(user)
    if user.role in (Role.OFFICER.value, Role.SENIOR_OFFICER.value) and user.council:
        return own | ((Statement.council == user.council) & submitted_condition())
    return own  # admins manage accounts, not statements (they own none)


# Lists of statements (the API, the applicant's page): last updated first, id breaking ties.
NEWEST_FIRST = Keyset("statements:updated:desc", (Statement.updated_at, Statement.id), True)


@dataclass(frozen=True)
class StatementList:
    rows: list[Statement]
    total: int
    following: Cursor | None  # the next page's cursor (keyset.NEWEST_FIRST), None at the end


def list_visible(
    session: Session,
    user: User,
    *,
    page: int = 1,
    per_page: int = 20,
    statuses: list[str] | None = None,
) -> tuple[list[Statement], int]:
    """One page (by number) of the statements `user` may see, newest first, and the total."""
    found = visible_page(session, user, page=page, per_page=per_page, statuses=statuses)
    return found.rows, found.total


def visible_parts(user: User) -> list[Any]:
    """`visible_filter(user)` as disjoint conditions, each answered by one index (an OR of
    the two made both databases read every candidate row, then sort): the council's
    submitted statements (council, updated_at, id) and the user's own (owner_id, ...)."""
    if not user.is_active:
        return []
    own = (Statement.owner_id == user.id) & Statement.organisation_id.is_(None)
    if user.role in (Role.OFFICER.value, Role.SENIOR_OFFICER.value) and user.council:
        council = (Statement.council == user.council) & submitted_condition()
        return [council, own & ~council]
    if user.role == Role.APPLICANT.value:
        # A member's organisation's statements: disjoint from `own` (organisation_id NULL).
        from planning_sv.store.collaboration import OrganisationMember

        organisation = Statement.organisation_id.in_(
            select(OrganisationMember.organisation_id).where(OrganisationMember.user_id == user.id)
        )
        return [own, organisation]
    return [own]


def visible_page(
    session: Session,
    user: User,
    *,
    page: int = 1,
    per_page: int = 20,
    statuses: list[str] | None = None,
    after: Cursor | None = None,
) -> StatementList:
    """One page of the statements `user` may see, newest first, and the total count.

    With `after` (a cursor from a previous page) the page starts after that row: an index
    range scan, whatever the depth. `page` (offset) is kept for the applicant's short list
    and for API clients written before cursors. At most four queries, whatever `per_page`
    is: a count and a page for each part of `visible_parts`, merged here.
    """
    parts = visible_parts(user)
    if statuses:
        parts = [part & Statement.status.in_(statuses) for part in parts]
    total = sum(
        session.scalar(select(func.count()).select_from(Statement).where(part)) or 0
        for part in parts
    )
    if page > 1 and after is None:
        # Offset paging (deprecated for the API, which caps the offset): the sort keys of
        # each part's first skip + per_page + 1 rows, read from its index alone, merged;
        # then the page's rows by id. (One OR query over both parts read and sorted every
        # candidate row: 0.6 s at 100,000 statements.)
        skip = (page - 1) * per_page
        keys: list[Any] = []
        for part in parts:
            keys += session.execute(
                select(Statement.updated_at, Statement.id)
                .where(part)
                .order_by(*NEWEST_FIRST.order_by(None))
                .limit(skip + per_page + 1)
            ).all()
        keys.sort(key=NEWEST_FIRST.key_of, reverse=True)
        ids = [key.id for key in keys[skip : skip + per_page + 1]]
        rows = (
            session.scalars(
                select(Statement)
                .where(Statement.id.in_(ids))
                .order_by(*NEWEST_FIRST.order_by(None))
            ).all()
            if ids
            else []
        )
        found, following, _ = NEWEST_FIRST.page(rows, per_page, None)
        return StatementList(found, total, following)
    # Keyset: the first per_page + 1 rows of each part after the cursor, merged; the page is
    # the first per_page + 1 of the merge (each part's rows beyond its own first
    # per_page + 1 come after those, so none is missed).
    candidates: list[Statement] = []
    for part in parts:
        query = select(Statement).where(part).order_by(*NEWEST_FIRST.order_by(None))
        if after is not None:
            query = query.where(NEWEST_FIRST.condition(after))
        candidates += session.scalars(query.limit(per_page + 1)).all()
    candidates.sort(key=NEWEST_FIRST.key_of, reverse=True)
    found, following, _ = NEWEST_FIRST.page(candidates[: per_page + 1], per_page, after)
    return StatementList(found, total, following)


def save_draft(
    session: Session,
    statement: Statement,
    data: Mapping[str, Any],
    actor: User,
    *,
    assessor: Assessor | None = None,
) -> dict[str, Any] | None:
    """Replace the working draft; returns the new self-check assessment (None if incomplete).

    The council cannot change once a statement exists: its rules decide everything else.
    """
    if Status(statement.status) not in APPLICANT_EDITABLE:
        raise NotEditable(
            f"a statement that is {statement.status.replace('_', ' ')} cannot be changed"
        )
    data = copy.deepcopy(dict(data))
    if data.get("council", statement.council) != statement.council:
        raise InputInvalid(
            [
                Problem(
                    "$.council",
                    f"this statement is for {statement.council}; start a new one for another council",
                )
            ]
        )
    data["council"] = statement.council
    data.setdefault("schema", SCHEMA_ID)
    statement.draft = data
    statement.application_reference = data.get("application_reference")
    statement.updated_at = utcnow()
    session.flush()
    return refresh_draft_assessment(session, statement, assessor=assessor)


def self_check(
    draft: Mapping[str, Any],
    *,
    assessor: Assessor | None = None,
    session: Session | None = None,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Assess a draft: (assessment@1, []) when complete and valid, else (None, problems).

    With `session`, valued with the council's chosen value set, as a submission would be.
    """
    if assessor is None:
        if session is None:
            raise TypeError("self_check needs an assessor or a session")
        assessor = assessor_of(session)
    try:
        return assessor.assess(dict(draft), session=session), []
    except InputInvalid as exc:
        return None, exc.problems


def refresh_draft_assessment(
    session: Session, statement: Statement, *, assessor: Assessor | None = None
) -> dict[str, Any] | None:
    """Recompute and store the draft's self-check (replacing the previous draft assessment)."""
    for old in session.scalars(
        select(Assessment).where(
            Assessment.statement_id == statement.id, Assessment.version_id.is_(None)
        )
    ):
        session.delete(old)
    data, _problems = self_check(statement.draft, assessor=assessor, session=session)
    if data is not None:
        session.add(_assessment_row(statement, None, data))
    session.flush()
    return data


def _assessment_row(
    statement: Statement, version_id: int | None, data: dict[str, Any]
) -> Assessment:
    """The stored row of an assessment@1 record (version None: the draft's self-check)."""
    return Assessment(
        statement_id=statement.id,
        version_id=version_id,
        data=data,
        pack_version=data["pack_version"],
        value_set=value_set_label(data),
    )


def draft_assessment(session: Session, statement: Statement) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(
            Assessment.statement_id == statement.id, Assessment.version_id.is_(None)
        )
    )


def latest_assessment(session: Session, statement: Statement) -> Assessment | None:
    """The assessment of the latest submitted version, else of the draft."""
    version = statement.latest_version
    if version is not None and version.assessment is not None:
        return version.assessment
    return draft_assessment(session, statement)


def record_event(
    session: Session,
    statement: Statement | None,
    actor: User | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event (never updated or deleted)."""
    event = AuditEvent(
        statement_id=statement.id if statement is not None else None,
        actor_id=actor.id if actor is not None else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=dict(details or {}),
    )
    session.add(event)
    session.flush()
    return event


def apply_transition(
    session: Session,
    statement: Statement,
    action: str,
    actor: User,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Change the statement's status by a workflow action and record who, when and why.

    Raises `core.workflow.IllegalTransition` (forbidden=True for the wrong role).
    """
    step = transition(statement.status, action, actor.role, reason)
    statement.status = step.target.value
    statement.updated_at = utcnow()
    event = record_event(
        session,
        statement,
        actor,
        step.action,
        step.source.value,
        step.target.value,
        step.reason,
        details,
    )
    if Status.APPROVED in (step.source, step.target):
        # The public figures change with the decision, in its transaction (store/figures.py).
        figures.refresh_statement(session, statement)
        benchmarks.refresh(session, statement)
    # Emails about it are queued here and sent only once this transaction commits.
    mail.notify_transition(session, statement, event, actor)
    return event


def submit(
    session: Session, statement: Statement, actor: User, *, assessor: Assessor | None = None
) -> StatementVersion:
    """Freeze the draft as version N+1 with its assessment (submit, or resubmit after changes).

    Raises InputInvalid when the draft is incomplete or invalid, IllegalTransition when the
    state does not allow it; nothing is written in either case.
    """
    assessor = assessor or assessor_of(session)
    # Raises InputInvalid before anything changes; valued with the council's chosen set.
    data = assessor.assess(statement.draft, session=session)
    # `assess` has already placed (and so checked) every location: parse without placing again.
    canonical = assessor.parse(statement.draft, locations=False).to_json_dict()
    action = "resubmit" if statement.status == Status.CHANGES_REQUESTED.value else "submit"
    number = len(statement.versions) + 1
    transition(statement.status, action, actor.role)  # refuse before changing anything
    now = utcnow()
    # The queue's denormalised columns, in this transaction and the transition's one UPDATE.
    statement.latest_version_number = number
    statement.submitted_at = now
    statement.site_wards = site_ward_rows(statement, data)
    # Case management (store/cases.py): target date and search terms, before the
    # transition's email, in the same transaction.
    from planning_sv.store import cases

    cases.on_submit(session, statement, canonical, now, assessor.plans.get(statement.council))
    apply_transition(session, statement, action, actor, details={"version": number})
    version = StatementVersion(
        statement_id=statement.id,
        number=number,
        data=canonical,
        submitted_at=now,
        submitted_by_id=actor.id,
    )
    session.add(version)
    session.flush()
    session.add(_assessment_row(statement, version.id, data))
    session.flush()
    session.refresh(statement, ["versions"])
    return version


def distinct_wards(wards: Iterable[WardShareOut]) -> list[WardShareOut]:
    """Each ward of a typed site placement once, in order (the queue's site wards)."""
    seen: dict[str, WardShareOut] = {}
    for ward in wards:
        if ward.code and ward.code not in seen:
            seen[ward.code] = ward
    return list(seen.values())


def site_ward_rows(
    statement: Statement, record: AssessmentRecord | Mapping[str, Any]
) -> list[StatementSiteWard]:
    """The queue's rows for the wards of an assessment's site (each ward once, in order).

    Reads the record's typed site (only that part is validated when `record` is the JSON
    the assessor just made)."""
    site = (
        record.site
        if isinstance(record, AssessmentRecord)
        else SiteOut.model_validate(record["site"])
    )
    return [
        StatementSiteWard(
            ward_code=ward.code,
            council=statement.council,
            ward_name=(ward.name or ward.code)[:200],
            position=position,
            # The ward filter's sort key beside the ward (store/queue.py): set just before.
            submitted_at=statement.submitted_at,
        )
        for position, ward in enumerate(distinct_wards(site.wards))
    ]


def events_for(session: Session, statement: Statement) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.statement_id == statement.id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def officer_requests(
    session: Session, statement: Statement, events: Sequence[AuditEvent] | None = None
) -> list[AuditEvent]:
    """Change requests (and returns) with their reasons, newest first, for the applicant.

    `events`: the statement's `events_for` when the caller has read them already."""
    events = events_for(session, statement) if events is None else events
    return [e for e in reversed(events) if e.action == "request_changes"]


# --- differences between versions ---------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added | removed | changed
    old: Any
    new: Any


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value):
            _flatten(value[key], f"{path}.{key}", out)
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(v, Mapping) and "id" in v for v in value)
    ):
        # Commitments are matched by id, so reordering is not reported as a change.
        for item in value:
            _flatten({k: v for k, v in item.items() if k != "id"}, f"{path}[id={item['id']}]", out)
    else:
        out[path] = value


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What changed between two statement versions, field by field."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old, "$", before)
    _flatten(new, "$", after)
    changes = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            changes.append(Change(path, "removed", before[path], None))
        elif path not in before:
            changes.append(Change(path, "added", None, after[path]))
        elif before[path] != after[path]:
            changes.append(Change(path, "changed", before[path], after[path]))
    return changes
