"""The officer's review: per-rule verdicts, optimistic locking and the officer's transitions.

Verdicts are kept per submitted version next to the engine's result (both are shown side by
side). `ReviewState.version` is the optimistic-locking counter: every save names the
version the officer's page was built from, and a save against an older version is refused
with what changed since, so two officers never silently overwrite each other.

Audit events are append-only: the listeners at the bottom refuse any UPDATE or DELETE of
an `AuditEvent` through the ORM, including bulk statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.verdicts import Verdict, make_verdict
from planning_sv.core.workflow import STAFF, IllegalTransition, Status

# Module, not names: models.py imports this module at its end, and statements.py imports
# models, so statements may still be initialising when this line runs.
from planning_sv.store import statements as repo
from planning_sv.store.models import (
    AuditEvent,
    Base,
    ImmutableRecord,
    Statement,
    StatementVersion,
    User,
    utcnow,
)

REVIEWABLE = frozenset({Status.SUBMITTED, Status.RESUBMITTED, Status.UNDER_REVIEW})
# Opening these states implicitly starts the review: the officer's first save or decision
# moves a submitted statement to under review (recorded as its own audit event).
AWAITING_REVIEW = frozenset({Status.SUBMITTED, Status.RESUBMITTED})
OFFICER_ACTIONS = frozenset(
    {"start_review", "request_changes", "recommend", "sign_off", "return", "approve", "refuse"}
)


class ReviewState(Base):
    """One row per submitted version under review; `version` counts saves (optimistic lock)."""

    __tablename__ = "review_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), unique=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # SQLAlchemy adds "WHERE version = <read value>" to every UPDATE and raises
    # StaleDataError when another transaction got there first.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    updated_by: Mapped[User | None] = relationship()


class RuleVerdict(Base):
    """The officer's verdict on one rule of one version, beside the engine's status."""

    __tablename__ = "rule_verdicts"
    __table_args__ = (UniqueConstraint("statement_version_id", "rule_id", name="uq_rule_verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[str] = mapped_column(String(128))
    engine_status: Mapped[str] = mapped_column(String(32))
    officer_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    officer: Mapped[User] = relationship()

    def as_core(self) -> Verdict:
        return Verdict(
            self.rule_id, self.engine_status, self.officer_status, self.reason, self.comment
        )


@dataclass(frozen=True)
class VerdictInput:
    """One rule's verdict as entered on the review page."""

    rule_id: str
    decision: str  # agree | override
    status: str | None = None  # the status to override to
    reason: str | None = None
    comment: str | None = None


@dataclass
class ReviewConflict(Exception):
    """The review changed since the officer's page was built; nothing was saved."""

    expected: int
    current: int
    changes: list[AuditEvent] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"another officer saved this review (version {self.current}) after you opened it "
            f"(version {self.expected}); nothing of yours was saved"
        )


# --- reading ------------------------------------------------------------------------------


def review_state(session: Session, version: StatementVersion) -> ReviewState:
    """The version's review state, created at version 1 on first use."""
    state = session.scalar(
        select(ReviewState).where(ReviewState.statement_version_id == version.id)
    )
    if state is not None:
        return state
    state = ReviewState(statement_version_id=version.id)
    try:
        with session.begin_nested():
            session.add(state)
    except IntegrityError:  # another request created it first: use theirs
        state = session.scalars(
            select(ReviewState).where(ReviewState.statement_version_id == version.id)
        ).one()
    return state


def current_review_version(session: Session, version: StatementVersion) -> int:
    """The review's lock version without creating the row (pages that only read)."""
    found = session.scalar(
        select(ReviewState.version).where(ReviewState.statement_version_id == version.id)
    )
    return int(found) if found is not None else 1


def verdicts_for(session: Session, version: StatementVersion) -> dict[str, RuleVerdict]:
    rows = session.scalars(
        select(RuleVerdict).where(RuleVerdict.statement_version_id == version.id)
    )
    return {row.rule_id: row for row in rows}


def core_verdicts(rows: Mapping[str, RuleVerdict]) -> dict[str, Verdict]:
    return {rule_id: row.as_core() for rule_id, row in rows.items()}


def changes_since(
    session: Session, statement: Statement, version: StatementVersion, since: int
) -> list[AuditEvent]:
    """Verdict events saved on `version` after review version `since` (for conflicts)."""
    return [
        e
        for e in repo.events_for(session, statement)
        if e.action == "verdict"
        and e.details.get("version") == version.number
        and int(e.details.get("review_version", 0)) > since
    ]


# --- writing ------------------------------------------------------------------------------


def _check_current(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    state: ReviewState,
    expected: int | None,
) -> None:
    if expected is not None and expected != state.version:
        raise ReviewConflict(
            expected, state.version, changes_since(session, statement, version, expected)
        )


def _start_review_if_waiting(session: Session, statement: Statement, actor: User) -> None:
    if Status(statement.status) in AWAITING_REVIEW:
        repo.apply_transition(session, statement, "start_review", actor)


def validate_verdicts(
    entries: Iterable[VerdictInput], engine_statuses: Mapping[str, str]
) -> list[Verdict]:
    """Check every entry at once, so the officer sees all problems together."""
    problems = []
    verdicts = []
    for entry in entries:
        try:
            verdicts.append(
                make_verdict(
                    entry.rule_id,
                    engine_statuses[entry.rule_id],
                    entry.decision,
                    entry.status,
                    entry.reason,
                    entry.comment,
                    field=f"rules[{entry.rule_id}]",
                )
            )
        except InputInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputInvalid(problems)
    return verdicts


def save_verdicts(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    assessment: Mapping[str, Any],
    entries: Iterable[VerdictInput],
    actor: User,
    *,
    expected_version: int | None,
) -> list[str]:
    """Record the officer's verdicts on `version`; returns the ids of rules that changed.

    Raises InputInvalid (naming `rules[ID].reason` etc.), IllegalTransition when the
    statement is not open to review, or ReviewConflict when someone saved first.
    """
    if actor.role not in {r.value for r in STAFF} or actor.council != statement.council:
        raise IllegalTransition(
            "only officers of the statement's council record verdicts", forbidden=True
        )
    if Status(statement.status) not in REVIEWABLE:
        raise IllegalTransition(
            f"verdicts cannot be recorded on a statement that is "
            f"{statement.status.replace('_', ' ')}"
        )
    if statement.latest_version is None or statement.latest_version.id != version.id:
        raise IllegalTransition("only the latest submitted version can be reviewed")
    engine = {str(r["id"]): str(r["status"]) for r in assessment.get("rules") or []}
    entries = list(entries)
    unknown = [e.rule_id for e in entries if e.rule_id not in engine]
    if unknown:
        raise InputInvalid(
            [Problem(f"rules[{rule_id}]", "no such rule in this assessment") for rule_id in unknown]
        )
    verdicts = validate_verdicts(entries, engine)
    state = review_state(session, version)
    _check_current(session, statement, version, state, expected_version)

    existing = verdicts_for(session, version)
    changed = [
        v
        for v in verdicts
        if (old := existing.get(v.rule_id)) is None
        or (old.officer_status, old.reason, old.comment) != (v.officer_status, v.reason, v.comment)
    ]
    if not changed:
        return []
    _start_review_if_waiting(session, statement, actor)
    # Bump the lock first: a concurrent save fails here, before any verdict row is written.
    state.updated_at = utcnow()
    state.updated_by_id = actor.id
    session.flush()
    for verdict in changed:
        old = existing.get(verdict.rule_id)
        previous = old.officer_status if old is not None else None
        if old is None:
            old = RuleVerdict(statement_version_id=version.id, rule_id=verdict.rule_id)
            session.add(old)
        old.engine_status = verdict.engine_status
        old.officer_status = verdict.officer_status
        old.reason = verdict.reason
        old.comment = verdict.comment
        old.officer_id = actor.id
        old.time = utcnow()
        repo.record_event(
            session,
            statement,
            actor,
            "verdict",
            None,
            None,
            verdict.reason,
            {
                "version": version.number,
                "review_version": state.version,
                "rule_id": verdict.rule_id,
                "engine_status": verdict.engine_status,
                "officer_status": verdict.officer_status,
                "previous_status": previous,
                "overridden": verdict.overridden,
                "comment": verdict.comment,
            },
        )
    session.flush()
    return [v.rule_id for v in changed]


def officer_action(
    session: Session,
    statement: Statement,
    action: str,
    actor: User,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
) -> AuditEvent:
    """Apply a staff workflow action on the latest version, with the review's verdicts.

    Refuses (ReviewConflict) when the verdicts changed since the officer's page was built,
    so nobody recommends on a review they have not seen. A senior officer may not sign off
    a recommendation they made themselves (four eyes).
    """
    if action not in OFFICER_ACTIONS:
        raise IllegalTransition(f"unknown action '{action}'")
    version = statement.latest_version
    if version is None:
        raise IllegalTransition("the statement has no submitted version")
    state = review_state(session, version)
    _check_current(session, statement, version, state, expected_version)
    if action in ("request_changes", "recommend"):
        _start_review_if_waiting(session, statement, actor)
    if action == "sign_off":
        recommended_by = next(
            (
                e.actor_id
                for e in reversed(repo.events_for(session, statement))
                if e.action == "recommend"
            ),
            None,
        )
        if recommended_by == actor.id:
            raise IllegalTransition(
                "you recommended this statement; another senior officer must sign it off"
            )
    verdicts = verdicts_for(session, version)
    details: dict[str, Any] = {"version": version.number, "review_version": state.version}
    if action in ("recommend", "sign_off", "request_changes"):
        details["verdicts"] = {k: v.officer_status for k, v in sorted(verdicts.items())}
    return repo.apply_transition(session, statement, action, actor, reason, details)


# --- append-only audit --------------------------------------------------------------------
# AuditEvent rows are never changed or deleted through the ORM (models.py guards
# StatementVersion the same way); bulk statements skip per-object events, so they are
# refused separately.


class AuditImmutable(ImmutableRecord):
    """Raised on any attempt to change or delete an audit event."""


def _has_net_changes(target: AuditEvent) -> bool:
    return any(attr.history.has_changes() for attr in inspect(target).attrs)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    # Called for every dirty instance, even when a value was re-assigned unchanged (no SQL
    # UPDATE follows); only a real change is refused.
    if _has_net_changes(target):
        raise AuditImmutable(f"audit event {target.id} is append-only and cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditImmutable(f"audit event {target.id} is append-only and cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(orm_execute_state: Any) -> None:
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_mapper
    if mapper is not None and mapper.class_ in (AuditEvent, StatementVersion):
        raise AuditImmutable(
            f"{mapper.class_.__name__} rows are append-only: bulk update or delete refused"
        )
