"""Monitoring tables and repository: agreements, obligations, trigger events, delivery
reports with evidence, verification, money transactions and obligation statuses.

The rules (due dates, statuses, alerts, input checks) are pure, in `core/monitoring.py`;
this module stores what officers and developers record and keeps each obligation's stored
status (and its due date and verified progress, so lists and exports read columns) current:
`refresh_statuses` runs after every change and from `planning-sv monitor run`. Every change
appends an AuditEvent to the statement's audit trail. Nothing here deletes: a deed of
variation adds an agreement version and new obligations, and marks the old ones varied.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from planning_sv import config
from planning_sv.core.assessment import AssessmentRecord, WardShareOut
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.monitoring import (
    PAYMENT_MEASURES,
    AgreementType,
    DuePeriod,
    MonitoringSettings,
    ObligationStatus,
    Progress,
    TransactionKind,
    Trigger,
    TriggerKind,
    Uprating,
    Verification,
    counted_quantity,
    due_date,
    event_key,
    load_monitoring_settings,
    money_counted,
    obligation_status,
    trigger_date,
    uprate,
)
from planning_sv.core.workflow import Status
from planning_sv.store import figures
from planning_sv.store.contributions import ImportedRecord  # noqa: F401  (table in 0009)
from planning_sv.store.documents import Document
from planning_sv.store.models import Base, Statement, User, utcnow
from planning_sv.store.statements import record_event

# A statement's agreement may be recorded once it is signed off (and after approval).
AGREEMENT_STATUSES = frozenset({Status.SIGNED_OFF.value, Status.APPROVED.value})


# --- tables -------------------------------------------------------------------------------


class Agreement(Base):
    """One signed deed: the S106 agreement (version 1) or a deed of variation (2, 3, …)."""

    __tablename__ = "monitoring_agreements"
    __table_args__ = (UniqueConstraint("statement_id", "version", name="uq_monitoring_agreement"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # core.monitoring.AgreementType
    signed_on: Mapped[dt.date] = mapped_column(Date)
    document_url: Mapped[str | None] = mapped_column(Text, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recorded_by: Mapped[User | None] = relationship()


class Obligation(Base):
    """A secured head of terms (or the monitoring fee) being monitored to delivery."""

    __tablename__ = "monitoring_obligations"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_agreements.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the head of terms' number (fee: last)
    commitment_id: Mapped[str | None] = mapped_column(String(100), default=None)
    measure: Mapped[str] = mapped_column(String(100))
    measure_label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(64))
    unit_label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # planning.data.gov.uk contribution-purpose: economic-development, other, monitoring-fees
    purpose: Mapped[str] = mapped_column(String(32))
    is_money: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[float] = mapped_column(Float)  # secured (money: £)
    offered_quantity: Mapped[float | None] = mapped_column(Float, default=None)
    change_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Where it was committed, as the assessment placed it: [{code, name, share}]
    wards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy: Mapped[str | None] = mapped_column(Text, default=None)  # citation(s) it secures
    trigger_kind: Mapped[str] = mapped_column(String(32))
    trigger_percent: Mapped[float | None] = mapped_column(Float, default=None)
    trigger_phase: Mapped[str | None] = mapped_column(String(64), default=None)
    trigger_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    due_amount: Mapped[int] = mapped_column(Integer, default=0)
    due_unit: Mapped[str] = mapped_column(String(8), default="weeks")
    uprating_index: Mapped[str | None] = mapped_column(String(100), default=None)
    spend_within_months: Mapped[int | None] = mapped_column(Integer, default=None)
    # Kept current by refresh_statuses (derived, stored so lists and exports read columns).
    status: Mapped[str] = mapped_column(String(32), default=ObligationStatus.NOT_YET_DUE.value)
    due_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    counted: Mapped[float] = mapped_column(Float, default=0.0)
    # Varied: a later deed replaced it (superseded_by_id) or removed it (varied_by_id only).
    varied_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_agreements.id"), default=None
    )
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_obligations.id"), default=None
    )
    waived_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    agreement: Mapped[Agreement] = relationship(foreign_keys=[agreement_id])

    @property
    def trigger(self) -> Trigger:
        return Trigger(
            TriggerKind(self.trigger_kind),
            percent=self.trigger_percent,
            phase=self.trigger_phase,
            on=self.trigger_on,
        )

    @property
    def period(self) -> DuePeriod:
        return DuePeriod(self.due_amount, self.due_unit)

    @property
    def live(self) -> bool:
        """Still in force: not varied away, not waived."""
        return self.varied_by_id is None and self.waived_reason is None

    @property
    def when_text(self) -> str:
        return f"{self.period.text} {self.trigger.text}"


class TriggerEvent(Base):
    """An event an officer recorded (commencement on 3 March 2027): due dates follow."""

    __tablename__ = "monitoring_trigger_events"
    __table_args__ = (UniqueConstraint("statement_id", "key", name="uq_monitoring_trigger_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(100))  # core.monitoring.Trigger.key
    kind: Mapped[str] = mapped_column(String(32))
    percent: Mapped[float | None] = mapped_column(Float, default=None)
    phase: Mapped[str | None] = mapped_column(String(64), default=None)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeliveryReport(Base):
    """What the developer says was delivered on one obligation in one period."""

    __tablename__ = "monitoring_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_obligations.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    # The location as given (statement@1 Where) and its wards as placed: [{code, name, share}]
    where: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    wards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(8), default="web")  # web, csv, api
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    verification: Mapped[str] = mapped_column(String(16), default=Verification.PENDING.value)
    accepted_quantity: Mapped[float | None] = mapped_column(Float, default=None)
    verification_reason: Mapped[str | None] = mapped_column(Text, default=None)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    obligation: Mapped[Obligation] = relationship()
    documents: Mapped[list[Document]] = relationship(
        secondary="monitoring_report_documents", order_by="Document.id"
    )

    @property
    def counted(self) -> float:
        return counted_quantity(self.verification, self.quantity, self.accepted_quantity)


class ReportDocument(Base):
    """Evidence files of a report (rows of `documents`)."""

    __tablename__ = "monitoring_report_documents"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_reports.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )


class MoneyTransaction(Base):
    """A money event on a contribution (planning.data.gov.uk contribution-funding-status)."""

    __tablename__ = "monitoring_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_obligations.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # core.monitoring.TransactionKind
    amount: Mapped[float] = mapped_column(Float)
    on_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    obligation: Mapped[Obligation] = relationship()


# --- settings -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def settings_for(council: str) -> MonitoringSettings:
    """The council's status rule and fee schedule (local_plans/<council>/monitoring.yaml)."""
    return load_monitoring_settings(council, config.LOCAL_PLANS_DIR)


# --- agreements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SecuredHead:
    """One head of terms as the agreement secures it (the officer's form, the demo seed)."""

    measure: str
    measure_label: str
    unit: str
    unit_label: str
    quantity: float
    trigger: Trigger
    period: DuePeriod
    number: int = 0
    commitment_id: str | None = None
    description: str | None = None
    offered_quantity: float | None = None
    change_reason: str | None = None
    wards: list[dict[str, Any]] = field(default_factory=list)
    policy: str | None = None
    purpose: str = "economic-development"
    uprating_index: str | None = None
    spend_within_months: int | None = None

    @property
    def is_money(self) -> bool:
        return self.measure in PAYMENT_MEASURES


def agreements_of(session: Session, statement_id: int) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .where(Agreement.statement_id == statement_id)
            .order_by(Agreement.version)
        )
    )


def obligations_of(
    session: Session, statement_id: int, *, live_only: bool = False
) -> list[Obligation]:
    query = select(Obligation).where(Obligation.statement_id == statement_id)
    rows = list(session.scalars(query.order_by(Obligation.number, Obligation.id)))
    return [o for o in rows if o.live] if live_only else rows


def _check_deed(
    reference: str, signed_on: dt.date | None, document_url: str | None
) -> list[Problem]:
    problems = []
    if not reference.strip():
        problems.append(Problem("reference", "enter the agreement's reference"))
    elif len(reference) > 200:
        problems.append(Problem("reference", "must be at most 200 characters"))
    if signed_on is None:
        problems.append(Problem("signed_on", "enter the date the agreement was signed"))
    if document_url and not document_url.startswith(("https://", "http://")):
        problems.append(Problem("document_url", "must be a web address starting https://"))
    return problems


def record_agreement(
    session: Session,
    statement: Statement,
    actor: User,
    *,
    reference: str,
    signed_on: dt.date | None,
    document_url: str | None,
    heads: Sequence[SecuredHead],
    notes: str | None = None,
    today: dt.date | None = None,
) -> Agreement:
    """Record the signed S106 agreement (version 1) and its obligations."""
    problems = _check_deed(reference, signed_on, document_url)
    if statement.status not in AGREEMENT_STATUSES:
        problems.append(Problem("statement", "an agreement can be recorded only after sign-off"))
    if agreements_of(session, statement.id):
        problems.append(
            Problem("kind", "an agreement is already recorded: record a deed of variation")
        )
    if not heads:
        problems.append(Problem("heads", "secure at least one head of terms"))
    for head in heads:
        amended = head.offered_quantity is not None and head.quantity != head.offered_quantity
        if amended and not (head.change_reason or "").strip():
            problems.append(
                Problem(
                    f"heads[{head.number}].reason",
                    f"head {head.number}: give the reason for the amended quantity",
                )
            )
    if problems:
        raise InputInvalid(problems)
    assert signed_on is not None
    agreement = Agreement(
        statement_id=statement.id,
        council=statement.council,
        version=1,
        reference=reference.strip(),
        kind=AgreementType.SECTION_106.value,
        signed_on=signed_on,
        document_url=document_url or None,
        notes=notes or None,
        recorded_by_id=actor.id,
    )
    session.add(agreement)
    session.flush()
    for head in heads:
        _add_obligation(session, agreement, statement, head)
    record_event(
        session,
        statement,
        actor,
        "monitoring.agreement",
        None,
        None,
        details={
            "agreement": agreement.id,
            "reference": agreement.reference,
            "signed_on": signed_on.isoformat(),
            "heads": [
                {"number": h.number, "measure": h.measure, "quantity": h.quantity}
                | ({"reason": h.change_reason} if h.change_reason else {})
                for h in heads
            ],
        },
    )
    refresh_statuses(
        session, today or dt.date.today(), statement_id=statement.id, actor=actor, changed=True
    )
    return agreement


def _add_obligation(
    session: Session, agreement: Agreement, statement: Statement, head: SecuredHead
) -> Obligation:
    trigger = head.trigger
    row = Obligation(
        agreement_id=agreement.id,
        statement_id=statement.id,
        council=statement.council,
        number=head.number,
        commitment_id=head.commitment_id,
        measure=head.measure,
        measure_label=head.measure_label,
        unit=head.unit,
        unit_label=head.unit_label,
        description=head.description,
        purpose=head.purpose,
        is_money=head.is_money,
        quantity=head.quantity,
        offered_quantity=head.offered_quantity,
        change_reason=(head.change_reason or "").strip() or None,
        wards=list(head.wards),
        policy=head.policy,
        trigger_kind=trigger.kind.value,
        trigger_percent=trigger.percent,
        trigger_phase=trigger.phase,
        trigger_on=trigger.on,
        due_amount=head.period.amount,
        due_unit=head.period.unit,
        uprating_index=head.uprating_index,
        spend_within_months=head.spend_within_months,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Variation:
    """One obligation's change in a deed of variation: a new quantity (0: removed)."""

    obligation_id: int
    quantity: float
    reason: str


def record_variation(
    session: Session,
    statement: Statement,
    actor: User,
    *,
    reference: str,
    signed_on: dt.date | None,
    document_url: str | None,
    changes: Sequence[Variation],
    notes: str | None = None,
    today: dt.date | None = None,
) -> Agreement:
    """A deed of variation: a new agreement version. Each changed obligation is marked varied
    (kept, with its reports) and, unless removed, replaced by a new one with the new quantity."""
    problems = _check_deed(reference, signed_on, document_url)
    existing = agreements_of(session, statement.id)
    if not existing:
        problems.append(Problem("kind", "record the section 106 agreement first"))
    live = {o.id: o for o in obligations_of(session, statement.id, live_only=True)}
    if not changes:
        problems.append(Problem("changes", "change at least one obligation's quantity"))
    for change in changes:
        if change.obligation_id not in live:
            problems.append(
                Problem(f"changes[{change.obligation_id}]", "no such obligation in force")
            )
        if not change.reason.strip():
            problems.append(
                Problem(f"changes[{change.obligation_id}].reason", "give the reason for the change")
            )
    if problems:
        raise InputInvalid(problems)
    assert signed_on is not None
    agreement = Agreement(
        statement_id=statement.id,
        council=statement.council,
        version=max(a.version for a in existing) + 1,
        reference=reference.strip(),
        kind=AgreementType.DEED_OF_VARIATION.value,
        signed_on=signed_on,
        document_url=document_url or None,
        notes=notes or None,
        recorded_by_id=actor.id,
    )
    session.add(agreement)
    session.flush()
    for change in changes:
        old = live[change.obligation_id]
        old.varied_by_id = agreement.id
        if change.quantity > 0:
            new = _add_obligation(
                session,
                agreement,
                statement,
                SecuredHead(
                    number=old.number,
                    commitment_id=old.commitment_id,
                    measure=old.measure,
                    measure_label=old.measure_label,
                    unit=old.unit,
                    unit_label=old.unit_label,
                    description=old.description,
                    quantity=change.quantity,
                    offered_quantity=old.offered_quantity,
                    change_reason=change.reason,
                    wards=list(old.wards),
                    policy=old.policy,
                    purpose=old.purpose,
                    trigger=old.trigger,
                    period=old.period,
                    uprating_index=old.uprating_index,
                    spend_within_months=old.spend_within_months,
                ),
            )
            old.superseded_by_id = new.id
    record_event(
        session,
        statement,
        actor,
        "monitoring.variation",
        None,
        None,
        details={
            "agreement": agreement.id,
            "reference": agreement.reference,
            "version": agreement.version,
            "changes": [
                {"obligation": c.obligation_id, "quantity": c.quantity, "reason": c.reason}
                for c in changes
            ],
        },
    )
    refresh_statuses(
        session, today or dt.date.today(), statement_id=statement.id, actor=actor, changed=True
    )
    return agreement


def waive(
    session: Session,
    obligation: Obligation,
    actor: User,
    reason: str,
    today: dt.date | None = None,
) -> None:
    if not reason.strip():
        raise InputInvalid([Problem("reason", "give the reason for waiving the obligation")])
    if not obligation.live:
        raise InputInvalid([Problem("obligation", "this obligation is no longer in force")])
    obligation.waived_reason = reason.strip()
    statement = session.get(Statement, obligation.statement_id)
    record_event(
        session,
        statement,
        actor,
        "monitoring.waive",
        None,
        None,
        reason=reason,
        details={"obligation": obligation.id},
    )
    refresh_statuses(
        session,
        today or dt.date.today(),
        statement_id=obligation.statement_id,
        actor=actor,
        changed=True,
    )


# --- trigger events -----------------------------------------------------------------------


def trigger_events(session: Session, statement_id: int) -> list[TriggerEvent]:
    return list(
        session.scalars(
            select(TriggerEvent)
            .where(TriggerEvent.statement_id == statement_id)
            .order_by(TriggerEvent.occurred_on, TriggerEvent.id)
        )
    )


def record_trigger(
    session: Session,
    statement: Statement,
    actor: User,
    *,
    kind: str,
    occurred_on: dt.date | None,
    percent: float | None = None,
    phase: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> TriggerEvent:
    problems = []
    if kind not in {k.value for k in TriggerKind} or kind == TriggerKind.FIXED_DATE:
        problems.append(Problem("kind", "choose the event that happened"))
    if occurred_on is None:
        problems.append(Problem("occurred_on", "enter the date it happened"))
    elif occurred_on > (today or dt.date.today()):
        problems.append(Problem("occurred_on", "must not be in the future"))
    if kind == TriggerKind.OCCUPATION_PERCENT and (percent is None or not 0 < percent <= 100):
        problems.append(Problem("percent", "enter the percentage occupied (1 to 100)"))
    if kind == TriggerKind.PHASE and not (phase or "").strip():
        problems.append(Problem("phase", "enter which phase was completed"))
    if not agreements_of(session, statement.id):
        problems.append(Problem("kind", "record the agreement first"))
    if problems:
        raise InputInvalid(problems)
    assert occurred_on is not None
    key = event_key(kind, percent, phase)
    taken = session.scalar(
        select(TriggerEvent).where(
            TriggerEvent.statement_id == statement.id, TriggerEvent.key == key
        )
    )
    if taken is not None:
        raise InputInvalid(
            [Problem("kind", f"{key} is already recorded (on {taken.occurred_on.isoformat()})")]
        )
    event = TriggerEvent(
        statement_id=statement.id,
        council=statement.council,
        key=key,
        kind=kind,
        percent=percent if kind == TriggerKind.OCCUPATION_PERCENT else None,
        phase=(phase or "").strip() or None if kind == TriggerKind.PHASE else None,
        occurred_on=occurred_on,
        note=note or None,
        recorded_by_id=actor.id,
    )
    session.add(event)
    session.flush()
    record_event(
        session,
        statement,
        actor,
        "monitoring.trigger",
        None,
        None,
        details={"key": key, "occurred_on": occurred_on.isoformat()},
    )
    refresh_statuses(
        session, today or dt.date.today(), statement_id=statement.id, actor=actor, changed=True
    )
    return event


# --- delivery reports ---------------------------------------------------------------------


def reports_of(session: Session, statement_id: int) -> list[DeliveryReport]:
    return list(
        session.scalars(
            select(DeliveryReport)
            .where(DeliveryReport.statement_id == statement_id)
            .order_by(DeliveryReport.submitted_at.desc(), DeliveryReport.id.desc())
        )
    )


def reportable_obligation(
    session: Session, statement_id: int, reference: str, path: str
) -> tuple[Obligation | None, list[Problem]]:
    """The obligation a report names (by id, as shown on the pages), if reports may be made
    on it: in force, of this statement, and not a money contribution (those are paid)."""
    text = str(reference).strip().lstrip("#")
    obligation = session.get(Obligation, int(text)) if text.isdigit() and len(text) < 10 else None
    if obligation is None or obligation.statement_id != statement_id:
        return None, [Problem(path, f"there is no obligation {reference!s:.20} on this scheme")]
    if obligation.varied_by_id is not None:
        return None, [
            Problem(
                path,
                f"obligation {obligation.id} was varied away by a deed of variation; "
                "report against the obligation that replaced it",
            )
        ]
    if obligation.waived_reason is not None:
        return None, [Problem(path, f"obligation {obligation.id} was waived")]
    if obligation.is_money:
        return None, [
            Problem(
                path,
                f"obligation {obligation.id} is a payment: the council records payments received",
            )
        ]
    return obligation, []


@dataclass(frozen=True)
class NewReport:
    """A checked, placed report ready to store."""

    obligation: Obligation
    period_start: dt.date
    period_end: dt.date
    quantity: float
    where: dict[str, Any] | None
    wards: list[dict[str, Any]]
    note: str | None


def add_reports(
    session: Session,
    statement: Statement,
    actor: User,
    reports: Sequence[NewReport],
    *,
    source: str,
    documents: Sequence[Document] = (),
) -> list[DeliveryReport]:
    """Store checked reports (all or nothing is the caller's: one transaction), with the
    evidence `documents` attached to each."""
    rows = []
    for new in reports:
        row = DeliveryReport(
            obligation_id=new.obligation.id,
            statement_id=statement.id,
            council=statement.council,
            period_start=new.period_start,
            period_end=new.period_end,
            quantity=new.quantity,
            where=new.where,
            wards=new.wards,
            note=new.note,
            source=source,
            submitted_by_id=actor.id,
        )
        row.documents = list(documents)
        session.add(row)
        session.flush()
        rows.append(row)
        record_event(
            session,
            statement,
            actor,
            "monitoring.report",
            None,
            None,
            details={
                "report": row.id,
                "obligation": new.obligation.id,
                "quantity": new.quantity,
                "source": source,
                "documents": [d.id for d in documents],
            },
        )
    return rows


def verify_report(
    session: Session,
    report: DeliveryReport,
    actor: User,
    *,
    decision: str,
    accepted_quantity: float | None,
    reason: str | None,
    today: dt.date | None = None,
) -> None:
    """Accept, partly accept or reject a pending report, with a reason (kept with it)."""
    problems = []
    if report.verification != Verification.PENDING:
        problems.append(Problem("decision", "this report has already been verified"))
    if decision not in (Verification.ACCEPTED, Verification.PARTLY_ACCEPTED, Verification.REJECTED):
        problems.append(Problem("decision", "choose accept, partly accept or reject"))
    if (
        decision in (Verification.PARTLY_ACCEPTED, Verification.REJECTED)
        and not (reason or "").strip()
    ):
        problems.append(Problem("reason", "give the reason"))
    if decision == Verification.PARTLY_ACCEPTED and (
        accepted_quantity is None or not 0 < accepted_quantity < report.quantity
    ):
        problems.append(
            Problem(
                "accepted_quantity",
                "enter the quantity accepted: more than 0 and less than the quantity reported",
            )
        )
    if problems:
        raise InputInvalid(problems)
    report.verification = decision
    report.accepted_quantity = (
        accepted_quantity if decision == Verification.PARTLY_ACCEPTED else None
    )
    report.verification_reason = (reason or "").strip() or None
    report.verified_by_id = actor.id
    report.verified_at = utcnow()
    statement = session.get(Statement, report.statement_id)
    record_event(
        session,
        statement,
        actor,
        "monitoring.verify",
        None,
        decision,
        reason=reason,
        details={
            "report": report.id,
            "obligation": report.obligation_id,
            "counted": report.counted,
        },
    )
    refresh_statuses(
        session,
        today or dt.date.today(),
        statement_id=report.statement_id,
        actor=actor,
        changed=True,
    )


# --- money --------------------------------------------------------------------------------


def transactions_of(session: Session, obligation_id: int) -> list[MoneyTransaction]:
    """Transactions per contribution, in date order (exports: developer-agreement-transaction)."""
    return list(
        session.scalars(
            select(MoneyTransaction)
            .where(MoneyTransaction.obligation_id == obligation_id)
            .order_by(MoneyTransaction.on_date, MoneyTransaction.id)
        )
    )


def record_transaction(
    session: Session,
    obligation: Obligation,
    actor: User,
    *,
    kind: str,
    amount: float | None,
    on_date: dt.date | None,
    note: str | None = None,
    today: dt.date | None = None,
) -> MoneyTransaction:
    problems = []
    if kind not in {k.value for k in TransactionKind}:
        problems.append(Problem("kind", "choose what happened to the money"))
    if amount is None and kind == TransactionKind.SECURED.value and obligation.is_money:
        # The sum now due: the obligation's amount, uprated by its index to this date.
        worked = uprating(session, obligation, at=on_date)
        if worked is None:
            amount = obligation.quantity
        elif worked.amount is None:
            problems.append(Problem("amount", f"enter the amount due: {worked.text}"))
        else:
            amount, note = worked.amount, note or worked.text
    if (amount is None or amount <= 0) and not any(p.path == "amount" for p in problems):
        problems.append(Problem("amount", "enter an amount in pounds, more than 0"))
    if on_date is None:
        problems.append(Problem("on_date", "enter the date"))
    if not obligation.is_money:
        problems.append(Problem("kind", "money is recorded only on payment obligations"))
    if problems:
        raise InputInvalid(problems)
    assert amount is not None and on_date is not None
    row = MoneyTransaction(
        obligation_id=obligation.id,
        statement_id=obligation.statement_id,
        council=obligation.council,
        kind=kind,
        amount=round(amount, 2),
        on_date=on_date,
        note=note or None,
        recorded_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    statement = session.get(Statement, obligation.statement_id)
    record_event(
        session,
        statement,
        actor,
        "monitoring.transaction",
        None,
        kind,
        details={"obligation": obligation.id, "amount": row.amount, "on": on_date.isoformat()},
    )
    refresh_statuses(
        session,
        today or dt.date.today(),
        statement_id=obligation.statement_id,
        actor=actor,
        changed=True,
    )
    return row


def uprating(
    session: Session, obligation: Obligation, *, at: dt.date | None = None
) -> Uprating | None:
    """A payment's uprated sum by the index its agreement names (None: no index): the
    amount x index at `at` (default: the first payment received, else the due date) / index
    at the date the obligation's agreement was signed, from local_plans/value_sets/indices.yaml;
    or the reason it cannot be computed."""
    from planning_sv.core.valuation.valuesets import load_indices

    if not obligation.is_money or not obligation.uprating_index:
        return None
    agreement = session.get(Agreement, obligation.agreement_id)
    assert agreement is not None
    if at is None:
        received = session.scalar(
            select(func.min(MoneyTransaction.on_date)).where(
                MoneyTransaction.obligation_id == obligation.id,
                MoneyTransaction.kind == TransactionKind.RECEIVED.value,
            )
        )
        at = received or obligation.due_on
    return uprate(
        obligation.quantity, obligation.uprating_index, agreement.signed_on, at, load_indices()
    )


# --- statuses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    obligation_id: int
    statement_id: int
    council: str
    before: str
    after: str
    due_on: dt.date | None


def _counted_by_obligation(session: Session, ids: Sequence[int]) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    if not ids:
        return totals
    for report in session.scalars(
        select(DeliveryReport).where(DeliveryReport.obligation_id.in_(ids))
    ):
        totals[report.obligation_id] += report.counted
    money: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for tx in session.scalars(
        select(MoneyTransaction).where(MoneyTransaction.obligation_id.in_(ids))
    ):
        money[tx.obligation_id].append((tx.kind, tx.amount))
    for oid, txs in money.items():
        totals[oid] = money_counted(txs)
    return totals


def refresh_statuses(
    session: Session,
    today: dt.date,
    *,
    statement_id: int | None = None,
    council: str | None = None,
    actor: User | None = None,
    changed: bool = False,
) -> list[StatusChange]:
    """Recompute due dates, verified progress and statuses; audit each change of status.

    Running it again on the same day changes nothing (idempotent): only differences are
    written. `changed`: the caller changed monitoring records of `statement_id`; with it, or
    when a status changes, the council's public figures version is raised in this
    transaction (the public pages show delivery and are cached per version).
    """
    query = select(Obligation)
    if statement_id is not None:
        query = query.where(Obligation.statement_id == statement_id)
    if council is not None:
        query = query.where(Obligation.council == council)
    obligations = list(session.scalars(query.order_by(Obligation.id)))
    counted = _counted_by_obligation(session, [o.id for o in obligations])
    events: dict[int, dict[str, dt.date]] = {}
    for event in session.scalars(
        select(TriggerEvent).where(
            TriggerEvent.statement_id.in_({o.statement_id for o in obligations})
        )
    ):
        events.setdefault(event.statement_id, {})[event.key] = event.occurred_on
    changes = []
    for obligation in obligations:
        these = events.get(obligation.statement_id, {})
        due = due_date(obligation.trigger, obligation.period, these)
        progress = Progress(
            required=obligation.quantity,
            counted=counted.get(obligation.id, 0.0),
            start=trigger_date(obligation.trigger, these),
            due=due,
            varied=obligation.varied_by_id is not None,
            waived=obligation.waived_reason is not None,
        )
        status = obligation_status(progress, today, settings_for(obligation.council).rule)
        obligation.due_on = due
        obligation.counted = progress.counted
        if status.value != obligation.status:
            changes.append(
                StatusChange(
                    obligation.id,
                    obligation.statement_id,
                    obligation.council,
                    obligation.status,
                    status.value,
                    due,
                )
            )
            statement = session.get(Statement, obligation.statement_id)
            record_event(
                session,
                statement,
                actor,
                "monitoring.status",
                obligation.status,
                status.value,
                details={
                    "obligation": obligation.id,
                    "on": today.isoformat(),
                    "due": due.isoformat() if due else None,
                },
            )
            obligation.status = status.value
    councils = {c.council for c in changes}
    if changed:
        councils |= {o.council for o in obligations}
        if statement_id is not None and not obligations:
            owner = session.get(Statement, statement_id)
            councils |= {owner.council} if owner is not None else set()
    for code in sorted(councils):
        figures.bump(session, code)
    session.flush()
    return changes


# --- queries for pages and exports --------------------------------------------------------


def council_obligations(session: Session, council: str) -> list[Obligation]:
    """Every obligation of a council (varied ones included), by statement then number."""
    return list(
        session.scalars(
            select(Obligation)
            .where(Obligation.council == council)
            .order_by(Obligation.statement_id, Obligation.number, Obligation.id)
        )
    )


def council_agreements(session: Session, council: str) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .where(Agreement.council == council)
            .order_by(Agreement.statement_id, Agreement.version)
        )
    )


def council_transactions(session: Session, council: str) -> list[MoneyTransaction]:
    return list(
        session.scalars(
            select(MoneyTransaction)
            .where(MoneyTransaction.council == council)
            .order_by(MoneyTransaction.on_date, MoneyTransaction.id)
        )
    )


@dataclass(frozen=True)
class WardDelivery:
    ward_code: str
    ward_name: str
    measure: str
    unit: str
    quantity: float  # verified delivery placed in this ward (report quantity x ward share)


def verified_reports(
    session: Session,
    council: str,
    *,
    statement_id: int | None = None,
    statement_ids: Collection[int] | None = None,
    public_only: bool = False,
    scheme_year: int | None = None,
) -> list[tuple[DeliveryReport, Obligation]]:
    """The one definition of verified delivery: reports accepted or partly accepted (pending
    and rejected never count) with something counted, with their obligations, oldest first.
    `public_only`: approved statements only (the public pages); `scheme_year`: schemes the
    public pages list under that approval year (their `year` filter)."""
    from planning_sv.store.models import PublicSchemeRow

    query = (
        select(DeliveryReport, Obligation)
        .join(Obligation, Obligation.id == DeliveryReport.obligation_id)
        .where(
            DeliveryReport.council == council,
            DeliveryReport.verification.in_(
                (Verification.ACCEPTED.value, Verification.PARTLY_ACCEPTED.value)
            ),
        )
        .order_by(DeliveryReport.id)
    )
    if statement_id is not None:
        query = query.where(DeliveryReport.statement_id == statement_id)
    if statement_ids is not None:
        # A page or a download batch of lines: its statements' reports, not the council's.
        query = query.where(DeliveryReport.statement_id.in_(sorted(statement_ids)))
    if public_only:
        query = query.join(Statement, Statement.id == DeliveryReport.statement_id).where(
            Statement.status == Status.APPROVED.value
        )
    if scheme_year is not None:
        query = query.where(
            DeliveryReport.statement_id.in_(
                select(PublicSchemeRow.statement_id).where(
                    PublicSchemeRow.council == council, PublicSchemeRow.year == scheme_year
                )
            )
        )
    return [(r, o) for r, o in session.execute(query).all() if r.counted > 0]


# An obligation's and a delivery report's `wards` JSON: [{code, name, share}], copied from
# the assessment's placement (`heads_wards`) or placed as commitments are (`place_delivery`).
_WARD_SHARES: TypeAdapter[list[WardShareOut]] = TypeAdapter(list[WardShareOut])


def ward_shares(raw: Any) -> list[WardShareOut]:
    """Stored `wards` JSON (an obligation's or a report's) as the assessment@1 ward model."""
    return _WARD_SHARES.validate_python(raw or [])


def delivered_wards(report: DeliveryReport, obligation: Obligation) -> list[WardShareOut]:
    """Where a verified report's delivery counts: its own wards, else where the obligation
    was committed (a report without a place)."""
    return ward_shares(report.wards or obligation.wards)


def verified_delivery_by_ward(
    session: Session,
    council: str,
    *,
    year: int | None = None,
    statement_id: int | None = None,
    public_only: bool = False,
    scheme_year: int | None = None,
) -> list[WardDelivery]:
    """Verified delivery per ward and measure (`verified_reports`: only accepted or partly
    accepted reports count; counted quantity x the ward's share; `year`: the year the
    reported period ended). Sorted by ward, then measure. The public ward and borough
    tables' "Delivered" cells read this; the delivery section sums the same reports."""
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    names: dict[str, str] = {}
    pairs = verified_reports(
        session,
        council,
        statement_id=statement_id,
        public_only=public_only,
        scheme_year=scheme_year,
    )
    for report, obligation in pairs:
        if year is not None and report.period_end.year != year:
            continue
        for ward in delivered_wards(report, obligation):
            names[ward.code] = ward.name or ward.code
            sums[(ward.code, obligation.measure, obligation.unit)] += report.counted * ward.share
    return [
        WardDelivery(code, names[code], measure, unit, round(quantity, 6))
        for (code, measure, unit), quantity in sorted(sums.items())
    ]


def verified_delivery_by_commitment(
    session: Session, council: str, ward_code: str, statement_ids: Iterable[int]
) -> dict[tuple[int, str], float]:
    """(statement id, commitment id) -> verified delivery placed in `ward_code`, for the
    public ward page's commitment lines; the same reports and shares as
    `verified_delivery_by_ward`."""
    wanted = set(statement_ids)
    out: dict[tuple[int, str], float] = defaultdict(float)
    if not wanted:
        return {}
    for report, obligation in verified_reports(
        session, council, statement_ids=wanted, public_only=True
    ):
        if not obligation.commitment_id:
            continue
        for ward in delivered_wards(report, obligation):
            if ward.code == ward_code:
                key = (report.statement_id, obligation.commitment_id)
                out[key] += report.counted * ward.share
    return {key: round(value, 6) for key, value in out.items()}


def overview(session: Session, council: str) -> list[tuple[Statement, list[Obligation]]]:
    """The council's monitored schemes with their obligations (the officer's list)."""
    grouped: dict[int, list[Obligation]] = defaultdict(list)
    for obligation in council_obligations(session, council):
        grouped[obligation.statement_id].append(obligation)
    statements = {
        s.id: s for s in session.scalars(select(Statement).where(Statement.id.in_(list(grouped))))
    }
    return [(statements[sid], rows) for sid, rows in grouped.items() if sid in statements]


def awaiting_agreement(session: Session, council: str, limit: int = 200) -> list[Statement]:
    """The council's signed-off or approved statements with no agreement recorded yet."""
    recorded = select(Agreement.statement_id).where(Agreement.council == council)
    return list(
        session.scalars(
            select(Statement)
            .where(
                Statement.council == council,
                Statement.status.in_(sorted(AGREEMENT_STATUSES)),
                Statement.id.not_in(recorded),
            )
            .order_by(Statement.updated_at.desc(), Statement.id.desc())
            .limit(limit)
        )
    )


def status_counts(obligations: Iterable[Obligation]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for obligation in obligations:
        counts[obligation.status] += 1
    return dict(counts)


def heads_wards(assessment: AssessmentRecord) -> dict[str, list[dict[str, Any]]]:
    """Commitment id -> its wards as the assessment placed them [{code, name, share}]: the
    JSON an obligation keeps in `Obligation.wards` (its own copy, fixed when secured)."""
    return {c.id: [w.model_dump() for w in c.wards] for c in assessment.commitments}


# --- placing and checking reports (the form, CSV upload and API share this) ---------------


def place_delivery(
    session: Session,
    council: str,
    where: Mapping[str, Any] | None,
    default_wards: list[dict[str, Any]],
    path: str,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The wards a delivery lands in, placed exactly as commitments are (core.geo through
    the assessor); no location: where the obligation was committed."""
    from pydantic import ValidationError

    from planning_sv.core.statement import Where
    from planning_sv.store.assessments import assessor_of

    if not where:
        return list(default_wards), []
    try:
        parsed = Where.model_validate(dict(where))
    except ValidationError as exc:
        return [], [Problem(path, str(exc.errors()[0].get("msg", "invalid location")))]
    assessor = assessor_of(session)
    plan = assessor.plans[council]
    try:
        placement = assessor.placer().place(
            parsed,
            lad_code=plan.lad_code,
            vintage=plan.boundary_vintage,
            local_definition=plan.local_definition,
            path=path,
        )
    except InputInvalid as exc:
        return [], exc.problems
    except LookupError as exc:
        return [], [Problem(path, f"cannot place this location: {exc}")]
    if not placement.inside_council or not placement.wards:
        name = assessor.councils().get(council, council)
        return [], [Problem(path, f"this location is outside {name}")]
    return [{"code": w.code, "name": w.name, "share": w.share} for w in placement.wards], []


def check_reports(
    session: Session,
    statement: Statement,
    items: Sequence[tuple[str, Mapping[str, Any]]],
    path_of: Any = None,
) -> list[NewReport]:
    """Check and place every report (`items`: (path prefix, fields)); all or nothing: raise
    InputInvalid with every problem of every item, or return them all ready to store."""
    from planning_sv.core.monitoring import check_report
    from planning_sv.core.statement import quantity_problem
    from planning_sv.store.assessments import assessor_of

    measures = assessor_of(session).measures
    problems: list[Problem] = []
    ready: list[NewReport] = []
    for prefix, data in items:
        checked, found = check_report(data, prefix)
        obligation, wrong = reportable_obligation(
            session, statement.id, str(data.get("obligation") or ""), f"{prefix}.obligation"
        )
        if data.get("obligation"):
            found += wrong
        wards: list[dict[str, Any]] = []
        if obligation is not None and checked is not None:
            # The same ceiling per unit as commitments (measures.yaml), one check for both.
            ceiling = quantity_problem(
                checked.quantity, measures.get(obligation.measure), obligation.unit
            )
            if ceiling:
                found.append(Problem(f"{prefix}.quantity", ceiling))
            wards, bad_place = place_delivery(
                session, statement.council, checked.where, obligation.wards, f"{prefix}.where"
            )
            found += bad_place
        problems += found
        if not found and checked is not None and obligation is not None:
            ready.append(
                NewReport(
                    obligation=obligation,
                    period_start=checked.period_start,
                    period_end=checked.period_end,
                    quantity=checked.quantity,
                    where=checked.where,
                    wards=wards,
                    note=checked.note,
                )
            )
    if problems:
        if path_of is not None:
            problems = [Problem(path_of(p.path), p.message) for p in problems]
        raise InputInvalid(problems)
    return ready
