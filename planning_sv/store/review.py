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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
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

from planning_sv.core.assessment import AssessmentRecord
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.heads_of_terms import SignOff
from planning_sv.core.verdicts import (
    SITE_DESIGNATION,
    CarriedVerdict,
    Verdict,
    carry_forward,
    make_verdict,
    unverified_figures,
)
from planning_sv.core.ward_corrections import WardCorrection, apply_ward_corrections
from planning_sv.core.workflow import (
    STAFF,
    IllegalTransition,
    Status,
    four_eyes_refusal,
    transition,
)

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


# Who reads what an officer writes. Internal notes (verdict reasons, recommend, sign-off,
# return and approval notes, and notes added on the review page) are for council staff
# only; messages to the applicant (a request for changes, the reason for a refusal) are
# shown in the applicant's history, labelled. Issue 15's conversation thread adds to this.
INTERNAL = "internal"
APPLICANT = "applicant"
AUDIENCES = (INTERNAL, APPLICANT)
ACTION_AUDIENCE = {
    "request_changes": APPLICANT,
    "refuse": APPLICANT,
    "recommend": INTERNAL,
    "sign_off": INTERNAL,
    "return": INTERNAL,
    "approve": INTERNAL,
    "start_review": INTERNAL,
}
AUDIENCE_LABELS = {
    INTERNAL: "Internal note – not shown to the applicant",
    APPLICANT: "Message to the applicant",
}
MAX_NOTE = 5000


class ReviewNote(Base):
    """Text an officer wrote, with who may read it; append-only like the audit trail.

    `event_id` links a note written with a decision (request changes, refuse, recommend...)
    to that decision's audit event; a note added on its own has its own "note" event.
    """

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    statement_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), default=None
    )
    audience: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # note, or the decision it came with
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_events.id", ondelete="CASCADE"), default=None, index=True
    )

    author: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return AUDIENCE_LABELS.get(self.audience, AUDIENCE_LABELS[INTERNAL])


class ParameterAcknowledgement(Base):
    """An officer acknowledged an unverified rule parameter used in a version's results."""

    __tablename__ = "parameter_acknowledgements"
    __table_args__ = (
        UniqueConstraint("statement_version_id", "parameter", name="uq_parameter_acknowledgement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), index=True
    )
    parameter: Mapped[str] = mapped_column(String(128))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    officer: Mapped[User] = relationship()


class WardCorrectionRow(Base):
    """An officer's correction of the ward a commitment of a version was placed in.

    Every correction is kept (the latest per commitment counts); `from_wards` is what the
    record said before, so the audit trail reads "from X to Y because ...".
    """

    __tablename__ = "ward_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), index=True
    )
    commitment_id: Mapped[str] = mapped_column(String(128))
    from_wards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ward_code: Mapped[str] = mapped_column(String(16))
    ward_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    officer: Mapped[User] = relationship()

    def as_core(self) -> WardCorrection:
        return WardCorrection(self.commitment_id, self.ward_code, self.ward_name, self.reason)


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
    if version.assessment is None:
        return {}
    return {rule.id: rule.status for rule in version.assessment.record.rules}


def carried_forward(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    previous_rows: Mapping[str, RuleVerdict] | None = None,
) -> dict[str, CarriedVerdict]:
    """The previous version's verdicts on rules this version still has, as pre-fills.

    `previous_rows`: the previous version's `verdicts_for` when the caller has them."""
    previous = statement.version(version.number - 1)
    if previous is None:
        return {}
    engine = engine_statuses(version)
    rows = verdicts_for(session, previous) if previous_rows is None else previous_rows
    return {
        rule_id: carry_forward(row.as_core(), engine[rule_id], previous.number)
        for rule_id, row in rows.items()
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


def _check_reviewable(
    statement: Statement, version: StatementVersion, actor: User, what: str
) -> None:
    """Refuse review work by anyone but the council's staff, or on a closed or old version."""
    if actor.role not in {r.value for r in STAFF} or actor.council != statement.council:
        raise IllegalTransition(
            f"Only officers of the statement's council can {what}", forbidden=True
        )
    if Status(statement.status) not in REVIEWABLE:
        raise IllegalTransition(
            f"You cannot {what} while the statement is {statement.status.replace('_', ' ')}"
        )
    if statement.latest_version is None or statement.latest_version.id != version.id:
        raise IllegalTransition("Only the latest submitted version can be reviewed")


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
    assessment: AssessmentRecord,
    entries: Iterable[VerdictInput],
    actor: User,
    *,
    expected_version: int | None,
    bulk: str | None = None,
) -> list[str]:
    """Record the officer's verdicts on `version`; returns the ids of rules that changed.

    `bulk` names the page action that recorded them all at once ("agree_remaining"); each
    verdict's audit event says so.

    Raises InputInvalid (naming `rules[ID].reason` etc.), IllegalTransition when the
    statement is not open to review, or ReviewConflict when someone saved first.
    """
    _check_reviewable(statement, version, actor, "record verdicts")
    engine = {rule.id: rule.status for rule in assessment.rules}
    entries = list(entries)
    unknown = [e.rule_id for e in entries if e.rule_id not in engine]
    if unknown:
        raise InputInvalid(
            [
                Problem(f"rules[{rule_id}]", f"There is no rule {rule_id} in this assessment")
                for rule_id in unknown
            ]
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
        if bulk:
            details["bulk"] = bulk
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
        text + " Or use 'Agree with the engine on the remaining rules', or tick 'Accept the"
        " engine's results for the rules I have not judged'."
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
    # Four eyes: the same rule (core.workflow) hides the button (web/authz.py).
    refusal = four_eyes_refusal(action, actor.id, recommended_by(session, statement))
    if refusal is not None:
        raise IllegalTransition(refusal)
    verdicts = verdicts_for(session, version)
    engine = engine_statuses(version)
    unjudged = [rule_id for rule_id in engine if rule_id not in verdicts]
    if action == "recommend":
        # Checked against the review version the officer saw: _claim below refuses the
        # decision if anyone saved a verdict or an acknowledgement since.
        problems = []
        if unjudged and not accept_engine:
            message = _recommend_refusal(unjudged, carried_forward(session, statement, version))
            problems.append(Problem("accept_engine", message))
        pending = unacknowledged(session, version)
        if pending:
            problems.append(Problem("acknowledge", _acknowledge_refusal(pending)))
        if problems:
            raise InputInvalid(problems)
    review_version = _claim(session, statement, version, actor, expected_version)
    if implicit_start:
        _start_review_if_waiting(session, statement, actor)
    details: dict[str, Any] = {"version": version.number, "review_version": review_version}
    if action in ("recommend", "sign_off", "request_changes"):
        details["verdicts"] = {k: v.officer_status for k, v in sorted(verdicts.items())}
    if action == "recommend" and unjudged:
        details["accepted_engine_results"] = {rule_id: engine[rule_id] for rule_id in unjudged}
    if action == "recommend":
        details["acknowledged_unverified"] = sorted(acknowledged(session, version))
    decided = repo.apply_transition(session, statement, action, actor, reason, details)
    if decided.reason:
        # The text goes to its audience only: a request for changes or a refusal is a
        # message to the applicant, any other decision's note is internal.
        session.add(
            ReviewNote(
                statement_id=statement.id,
                statement_version_id=version.id,
                audience=ACTION_AUDIENCE.get(action, INTERNAL),
                kind=action,
                body=decided.reason,
                author_id=actor.id,
                event_id=decided.id,
            )
        )
        session.flush()
    return decided


# --- four eyes, acknowledgements, notes, ward corrections ----------------------------------


def recommended_by(
    session: Session, statement: Statement, events: Sequence[AuditEvent] | None = None
) -> int | None:
    """Who made the recommendation that stands (None: none, or a senior officer returned it).

    `events`: the statement's `events_for` when the caller has read them already."""
    events = repo.events_for(session, statement) if events is None else events
    for found in reversed(events):
        if found.action == "return":
            return None
        if found.action == "recommend":
            return found.actor_id
    return None


def sign_off_of(
    session: Session, statement: Statement, version: StatementVersion
) -> SignOff | None:
    """The senior officer's sign-off of `version` that stands, for the heads of terms: the
    latest `sign_off` event of that version, unless a `return` followed it. None: a draft."""
    found: AuditEvent | None = None
    for event_ in repo.events_for(session, statement):
        if event_.details.get("version") != version.number:
            continue
        if event_.action == "sign_off":
            found = event_
        elif event_.action == "return":
            found = None
    if found is None:
        return None
    actor = found.actor
    name = (actor.name or actor.email) if actor is not None else "(account removed)"
    return SignOff(name=name, role="Senior planning officer", on=found.at.date())


def record_of(version: StatementVersion) -> AssessmentRecord | None:
    return version.assessment.record if version.assessment is not None else None


def acknowledged(
    session: Session, version: StatementVersion
) -> dict[str, ParameterAcknowledgement]:
    rows = session.scalars(
        select(ParameterAcknowledgement).where(
            ParameterAcknowledgement.statement_version_id == version.id
        )
    )
    return {row.parameter: row for row in rows}


def unacknowledged(session: Session, version: StatementVersion) -> list[str]:
    """Unverified parameters of the version's results nobody has acknowledged yet."""
    record = record_of(version)
    if record is None:
        return []
    done = acknowledged(session, version)
    return [f.name for f in unverified_figures(record) if f.name not in done]


def _acknowledge_refusal(pending: list[str]) -> str:
    count = len(pending)
    # The site's designation is a fact the applicant chose, named in words, not a parameter.
    named = ["the site's designation" if name == SITE_DESIGNATION else name for name in pending]
    return (
        f"Before you recommend, acknowledge the {count} unverified figure"
        f"{'' if count == 1 else 's'} the results rely on ({', '.join(named)}): "
        "check them against the policy, then tick and save them under "
        "'Figures and facts to check'"
    )


def acknowledge_figures(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    names: Iterable[str],
    actor: User,
    *,
    expected_version: int | None,
) -> list[str]:
    """Record that `actor` acknowledged these unverified parameters; returns the new ones.

    One audit event lists them with the values the results used. InputInvalid names
    `acknowledge` when nothing or an unknown parameter is chosen.
    """
    _check_reviewable(statement, version, actor, "acknowledge figures")
    record = record_of(version)
    figures = {f.name: f for f in unverified_figures(record)} if record else {}
    chosen = list(dict.fromkeys(n for n in names if n))
    unknown = [n for n in chosen if n not in figures]
    if unknown:
        raise InputInvalid(
            [Problem("acknowledge", f"{', '.join(unknown)} is not an unverified figure here")]
        )
    done = acknowledged(session, version)
    new = [n for n in chosen if n not in done]
    if not chosen:
        raise InputInvalid([Problem("acknowledge", "Tick the unverified figures you have checked")])
    if not new:
        _check_current(session, statement, version, expected_version)
        return []
    review_version = _claim(session, statement, version, actor, expected_version)
    _start_review_if_waiting(session, statement, actor)
    for name in new:
        session.add(
            ParameterAcknowledgement(
                statement_version_id=version.id, parameter=name, officer_id=actor.id
            )
        )
    repo.record_event(
        session,
        statement,
        actor,
        "acknowledge_unverified",
        None,
        None,
        None,
        {
            "version": version.number,
            "review_version": review_version,
            "parameters": {
                n: {
                    "value": figures[n].value,
                    "unit": figures[n].unit,
                    "rules": list(figures[n].rule_ids),
                }
                for n in new
            },
        },
    )
    session.flush()
    return new


def agree_remaining(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    actor: User,
    *,
    expected_version: int | None,
) -> list[str]:
    """Record the engine's result as the officer's verdict on every rule of `version` that
    has no verdict yet (carried-forward suggestions included: they are not verdicts until
    saved). Each is an ordinary audited verdict marked `bulk: agree_remaining`."""
    _check_reviewable(statement, version, actor, "record verdicts")
    remaining = unjudged_rules(session, version)
    if not remaining:
        raise InputInvalid([Problem("agree_remaining", "Every rule already has your verdict")])
    assert version.assessment is not None  # unjudged rules come from it
    return save_verdicts(
        session,
        statement,
        version,
        version.assessment.record,
        [VerdictInput(rule_id=rule_id, decision="agree") for rule_id in remaining],
        actor,
        expected_version=expected_version,
        bulk="agree_remaining",
    )


def add_note(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    body: str,
    actor: User,
) -> ReviewNote:
    """An internal note on the review (staff only; never shown to the applicant).

    Notes do not move the review's lock: they change no verdict or decision, and two
    officers writing notes at once should both be kept.
    """
    if actor.role not in {r.value for r in STAFF} or actor.council != statement.council:
        raise IllegalTransition(
            "Only officers of the statement's council can add notes", forbidden=True
        )
    text = (body or "").strip()
    if not text:
        raise InputInvalid([Problem("note", "Enter the internal note")])
    if len(text) > MAX_NOTE:
        raise InputInvalid([Problem("note", f"The note must be {MAX_NOTE:,} characters or fewer")])
    event = repo.record_event(
        session, statement, actor, "note", None, None, None, {"version": version.number}
    )
    note = ReviewNote(
        statement_id=statement.id,
        statement_version_id=version.id,
        audience=INTERNAL,
        kind="note",
        body=text,
        author_id=actor.id,
        event_id=event.id,
    )
    session.add(note)
    session.flush()
    return note


def notes_for(session: Session, statement: Statement) -> list[ReviewNote]:
    """Every note of the statement, oldest first (staff pages)."""
    return list(
        session.scalars(
            select(ReviewNote)
            .where(ReviewNote.statement_id == statement.id)
            .order_by(ReviewNote.created_at, ReviewNote.id)
        )
    )


def ward_corrections_for(session: Session, version: StatementVersion) -> list[WardCorrectionRow]:
    return list(
        session.scalars(
            select(WardCorrectionRow)
            .where(WardCorrectionRow.statement_version_id == version.id)
            .order_by(WardCorrectionRow.at, WardCorrectionRow.id)
        )
    )


def corrected_record(
    session: Session | None,
    version: StatementVersion,
    corrections: list[WardCorrectionRow] | None = None,
) -> AssessmentRecord | None:
    """The version's typed record with the officers' ward corrections applied: what the
    review page, the heads of terms and (on approval) the public figures read.

    `corrections`: the version's rows (`ward_corrections_for`) when the caller has them
    already (the review page shows them too), so they are not read twice."""
    record = record_of(version)
    if record is None:
        return None
    if corrections is None:
        session = session or Session.object_session(version)
        if session is None:
            return record
        corrections = ward_corrections_for(session, version)
    return apply_ward_corrections(record, [r.as_core() for r in corrections])


def correct_ward(
    session: Session,
    statement: Statement,
    version: StatementVersion,
    commitment_id: str,
    ward_code: str,
    reason: str,
    actor: User,
    *,
    wards: Mapping[str, str],
    expected_version: int | None,
) -> WardCorrectionRow:
    """Correct the ward a commitment of `version` lies in, with a reason (audited).

    `wards`: code -> name of the council's wards the officer may choose from. InputInvalid
    names `ward` or `reason`.
    """
    _check_reviewable(statement, version, actor, "correct wards")
    current = corrected_record(session, version)
    commitment = (
        next((c for c in current.commitments if c.id == commitment_id), None) if current else None
    )
    problems = []
    if commitment is None:
        raise InputInvalid([Problem("commitment", f"There is no commitment {commitment_id}")])
    ward_code = (ward_code or "").strip().upper()
    text = (reason or "").strip()
    if ward_code not in wards:
        problems.append(Problem("ward", "Choose the ward from the list"))
    elif [w.code for w in commitment.wards] == [ward_code]:
        problems.append(
            Problem(
                "ward",
                f"{commitment_id} is already wholly in {wards[ward_code]}: choose another ward",
            )
        )
    if not text:
        problems.append(Problem("reason", "Enter the reason for correcting the ward"))
    elif len(text) > MAX_NOTE:
        problems.append(Problem("reason", f"The reason must be {MAX_NOTE:,} characters or fewer"))
    if problems:
        raise InputInvalid(problems)
    review_version = _claim(session, statement, version, actor, expected_version)
    _start_review_if_waiting(session, statement, actor)
    before = [{"code": w.code, "name": w.name, "share": w.share} for w in commitment.wards]
    row = WardCorrectionRow(
        statement_version_id=version.id,
        commitment_id=commitment_id,
        from_wards=before,
        ward_code=ward_code,
        ward_name=wards[ward_code],
        reason=text,
        officer_id=actor.id,
    )
    session.add(row)
    repo.record_event(
        session,
        statement,
        actor,
        "ward_correction",
        None,
        None,
        text,
        {
            "version": version.number,
            "review_version": review_version,
            "commitment_id": commitment_id,
            "from_wards": before,
            "to_ward": {"code": ward_code, "name": wards[ward_code]},
        },
    )
    session.flush()
    return row


# --- what the applicant sees ----------------------------------------------------------------

# Events the applicant's history lists, in plain words; anything else (verdicts, notes,
# acknowledgements, ward corrections, events other features add) is staff-only.
_APPLICANT_TITLES = {
    "create": "You started the statement",
    "submit": "You submitted version {version}",
    "resubmit": "You resubmitted the statement as version {version}",
    "start_review": "A planning officer started reviewing your statement",
    "request_changes": "The planning officer asked for changes",
    "recommend": "The planning officer sent a recommendation to a senior officer",
    "return": "The senior officer returned the statement to the planning officer",
    "sign_off": "A senior officer signed off the recommendation",
    "approve": "The council approved the statement",
    "refuse": "The council refused the statement",
    "withdraw": "You withdrew the statement",
}
APPLICANT_MESSAGE_LABEL = "Message from the planning officer"


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    title: str
    message: str | None = None  # only text meant for the applicant
    label: str | None = None  # what the message is ("Message from the planning officer")


def applicant_history(session: Session, statement: Statement) -> list[HistoryEntry]:
    """The statement's history as its applicant may read it, newest first.

    Only events in plain words; only text written for the applicant (messages stored with
    audience "applicant", and the applicant's own withdrawal reason), each labelled. An
    override reason, a verdict comment or an internal note never appears.
    """
    messages = {
        note.event_id: note.body
        for note in session.scalars(
            select(ReviewNote).where(
                ReviewNote.statement_id == statement.id, ReviewNote.audience == APPLICANT
            )
        )
        if note.event_id is not None
    }
    entries = []
    for found in repo.events_for(session, statement):
        title = _APPLICANT_TITLES.get(found.action)
        if title is None:
            continue
        version = found.details.get("version", "") if isinstance(found.details, Mapping) else ""
        message, label = messages.get(found.id), APPLICANT_MESSAGE_LABEL
        if found.action == "withdraw" and found.reason:
            message, label = found.reason, "Your reason"
        entries.append(
            HistoryEntry(
                at=found.at,
                title=title.format(version=version),
                message=message,
                label=label if message else None,
            )
        )
    return list(reversed(entries))


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
