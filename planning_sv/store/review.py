"""The officer's review: per-rule verdicts, optimistic locking and the officer's decisions.

Verdicts are kept per submitted version next to the engine's result (both are shown side by
side). `ReviewState.version` is the optimistic-locking counter: every verdict save and every
decision names the version the officer's page was built from and moves the counter on with
one `UPDATE review_states SET version = v + 1 WHERE ... AND version = v` (`_claim`). Of
several officers writing at once exactly one matches the row; the others get ReviewConflict
(409 with what changed), never a database error.

Decisions are explicit: Recommend needs a verdict on every rule of the version, or the
officer's confirmation that the engine's results stand for the rules they have not judged,
which the recommend audit event lists. Verdicts on the previous version are carried forward
as pre-filled, visible suggestions (`carried_forward`), counted only once saved.

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
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.exc import StaleDataError

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.verdicts import CarriedVerdict, Verdict, carry_forward, make_verdict
from planning_sv.core.workflow import STAFF, IllegalTransition, Status, transition

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
    """One row per submitted version under review; `version` counts saves and decisions.

    Written only by `_claim` (a compare-and-set UPDATE), never through the ORM's unit of work.
    """

    __tablename__ = "review_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), unique=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

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
    """The review changed since the officer's page was built; nothing was saved.

    Raised inside the failed transaction, whose reads may no longer be possible (PostgreSQL
    refuses them after a unique violation): callers roll back and call `conflict_after`
    for the current version and the changes to show.
    """

    expected: int
    current: int
    changes: list[AuditEvent] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"another officer saved this review (version {self.current}) after you opened it "
            f"(version {self.expected}); nothing of yours was saved"
        )


# --- reading ------------------------------------------------------------------------------


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


def engine_statuses(version: StatementVersion) -> dict[str, str]:
    """Rule id -> the engine's status, in the order of the version's assessment."""
    rules = (version.assessment.data.get("rules") if version.assessment else None) or []
    return {str(r["id"]): str(r["status"]) for r in rules}


def carried_forward(
    session: Session, statement: Statement, version: StatementVersion
) -> dict[str, CarriedVerdict]:
    """The previous version's verdicts on rules this version still has, as pre-fills."""
    previous = statement.version(version.number - 1)
    if previous is None:
        return {}
    engine = engine_statuses(version)
    return {
        rule_id: carry_forward(row.as_core(), engine[rule_id], previous.number)
        for rule_id, row in verdicts_for(session, previous).items()
        if rule_id in engine
    }


def accepted_at_recommendation(
    session: Session, statement: Statement, version: StatementVersion
) -> dict[str, str]:
    """Rules whose engine result the officer accepted unjudged when recommending `version`.

    From the latest recommend event of that version, unless a senior officer returned the
    statement after it (the recommendation no longer stands). Rule id -> engine status.
    """
    for found in reversed(repo.events_for(session, statement)):
        if found.details.get("version") != version.number:
            continue
        if found.action == "return":
            return {}
        if found.action == "recommend":
            return dict(found.details.get("accepted_engine_results") or {})
    return {}


def changes_since(
    session: Session, statement: Statement, version: StatementVersion, since: int
) -> list[AuditEvent]:
    """Verdicts and decisions on `version` after review version `since` (for conflicts)."""
    return [
        e
        for e in repo.events_for(session, statement)
        if e.details.get("version") == version.number
        and int(e.details.get("review_version", 0)) > since
    ]


# --- writing ------------------------------------------------------------------------------


def conflict_after(
    session: Session, statement: Statement, version: StatementVersion, expected: int
) -> ReviewConflict:
    """The conflict as it stands now (call after rolling back the losing transaction)."""
    return ReviewConflict(
        expected,
        current_review_version(session, version),
        changes_since(session, statement, version, expected),
    )


# What a losing concurrent writer may get from the database instead of a clean "0 rows":
# SQLite's busy/locked errors, PostgreSQL's serialization failure, deadlock and lock timeout.
_PG_CONCURRENCY_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_CONCURRENCY_TEXT = ("database is locked", "database table is locked", "database is busy")


def is_concurrency_error(exc: BaseException) -> bool:
    """True for database errors that mean "another transaction got there first"."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _PG_CONCURRENCY_STATES:
        return True
    text = str(exc.orig).lower()
    return any(marker in text for marker in _SQLITE_CONCURRENCY_TEXT)


def _check_current(
    session: Session, statement: Statement, version: StatementVersion, expected: int | None
) -> int:
    """The review's version if it is still `expected` (None: whatever it is), else conflict.

    A read only: it gives a stale page its answer early; `_claim` makes the write safe.
    """
    current = current_review_version(session, version)
    if expected is not None and expected != current:
        raise ReviewConflict(
            expected, current, changes_since(session, statement, version, expected)
        )
    return current


def _claim(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    actor: User,
    expected: int | None,
) -> int:
    """Move the review's lock from `expected` to the next version, or raise ReviewConflict.

    The check and the write are one statement, `UPDATE ... WHERE version = :expected`, so
    of concurrent writers that read the same version exactly one matches the row: PostgreSQL
    re-checks the condition after the winner commits (0 rows), SQLite lets one writer in at
    a time. A review without a row yet is inserted at expected + 1 and the unique
    statement_version_id lets only one insert in. Returns the new version.
    """
    expected = _check_current(session, statement, version, expected)
    # Write pending changes first, so an error caught below can only come from the lock.
    session.flush()
    table = ReviewState.__table__
    values = {"version": expected + 1, "updated_at": utcnow(), "updated_by_id": actor.id}
    exists = session.scalar(
        select(ReviewState.id).where(ReviewState.statement_version_id == version.id)
    )
    try:
        if exists is None:
            session.execute(table.insert().values(statement_version_id=version.id, **values))
            won = True
        else:
            result = session.execute(
                table.update()
                .where(table.c.statement_version_id == version.id, table.c.version == expected)
                .values(**values)
            )
            won = result.rowcount == 1
    except IntegrityError:  # another officer created the review row first
        won = False
    except DBAPIError as exc:
        if not is_concurrency_error(exc):
            raise
        won = False
    if not won:
        raise ReviewConflict(expected, expected + 1)
    return expected + 1


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
    existing = verdicts_for(session, version)
    changed = [
        v
        for v in verdicts
        if (old := existing.get(v.rule_id)) is None
        or (old.officer_status, old.reason, old.comment) != (v.officer_status, v.reason, v.comment)
    ]
    if not changed:
        # Nothing to write, but a stale page is still told what changed since.
        _check_current(session, statement, version, expected_version)
        return []
    # Take the lock first: a concurrent save fails here, before any verdict row is written.
    review_version = _claim(session, statement, version, actor, expected_version)
    _start_review_if_waiting(session, statement, actor)
    carried = carried_forward(session, statement, version)
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
        details: dict[str, Any] = {
            "version": version.number,
            "review_version": review_version,
            "rule_id": verdict.rule_id,
            "engine_status": verdict.engine_status,
            "officer_status": verdict.officer_status,
            "previous_status": previous,
            "overridden": verdict.overridden,
            "comment": verdict.comment,
        }
        pre = carried.get(verdict.rule_id)
        if pre is not None and (pre.decision, pre.status, pre.reason, pre.comment) == (
            "override" if verdict.overridden else "agree",
            verdict.officer_status if verdict.overridden else None,
            verdict.reason,
            verdict.comment,
        ):
            # Saved as pre-filled: the officer confirmed the previous version's verdict.
            details["carried_forward_from"] = pre.from_version
        repo.record_event(session, statement, actor, "verdict", None, None, verdict.reason, details)
    session.flush()
    return [v.rule_id for v in changed]


def unjudged_rules(session: Session, version: StatementVersion) -> list[str]:
    """Rules of `version` with no officer verdict on that version, in assessment order."""
    verdicts = verdicts_for(session, version)
    return [rule_id for rule_id in engine_statuses(version) if rule_id not in verdicts]


def _recommend_refusal(unjudged: list[str], carried: Mapping[str, CarriedVerdict]) -> str:
    count = len(unjudged)
    text = (
        f"Recommend needs your verdict on every rule: {count} rule"
        f"{' has' if count == 1 else 's have'} none on this version ({', '.join(unjudged)})."
    )
    pending = [rule_id for rule_id in unjudged if rule_id in carried]
    if pending:
        text += (
            f" {len(pending)} of them {'has a verdict' if len(pending) == 1 else 'have verdicts'}"
            f" carried forward from version {carried[pending[0]].from_version}: save the"
            " verdicts to confirm them."
        )
    return (
        text + " Or tick 'Accept the engine's results for the rules I have not judged'"
        " to let the engine's result stand for them."
    )


def officer_action(
    session: Session,
    statement: Statement,
    action: str,
    actor: User,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
    accept_engine: bool = False,
) -> AuditEvent:
    """Apply a staff workflow action on the latest version, with the review's verdicts.

    Refuses (ReviewConflict) when the review changed since the officer's page was built, so
    nobody decides on a review they have not seen; every decision moves the review's lock
    on, so of two officers deciding at once exactly one succeeds. Recommend needs a verdict
    on every rule of the version, or `accept_engine` (the engine's result stands for the
    rules nobody judged, listed in the event's `accepted_engine_results`); otherwise
    InputInvalid naming `accept_engine`. A senior officer may not sign off a recommendation
    they made themselves (four eyes).
    """
    if action not in OFFICER_ACTIONS:
        raise IllegalTransition(f"unknown action '{action}'")
    version = statement.latest_version
    if version is None:
        raise IllegalTransition("the statement has no submitted version")
    # A stale page is a conflict before anything else: the state and verdicts it shows are
    # out of date, so "not possible while recommended" would not explain what happened.
    _check_current(session, statement, version, expected_version)
    # Refuse an illegal action before anything is written or locked. From a submitted
    # statement these two start the review implicitly, so they are checked from there.
    implicit_start = action in ("request_changes", "recommend") and (
        Status(statement.status) in AWAITING_REVIEW
    )
    transition(
        Status.UNDER_REVIEW if implicit_start else statement.status, action, actor.role, reason
    )
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
    engine = engine_statuses(version)
    unjudged = [rule_id for rule_id in engine if rule_id not in verdicts]
    if action == "recommend" and unjudged and not accept_engine:
        # Checked against the verdicts of the review version the officer saw: _claim below
        # refuses the decision if anyone saved a verdict since.
        message = _recommend_refusal(unjudged, carried_forward(session, statement, version))
        raise InputInvalid([Problem("accept_engine", message)])
    review_version = _claim(session, statement, version, actor, expected_version)
    if implicit_start:
        _start_review_if_waiting(session, statement, actor)
    details: dict[str, Any] = {"version": version.number, "review_version": review_version}
    if action in ("recommend", "sign_off", "request_changes"):
        details["verdicts"] = {k: v.officer_status for k, v in sorted(verdicts.items())}
    if action == "recommend" and unjudged:
        details["accepted_engine_results"] = {rule_id: engine[rule_id] for rule_id in unjudged}
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
