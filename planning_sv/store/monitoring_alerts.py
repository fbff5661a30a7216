"""Monitoring alerts: which emails the obligations' state calls for, and the monitor run.

`run_monitor` is what `planning-sv monitor run` (cron, hourly) does: bring every status up
to date (store/monitoring.refresh_statuses), then send the alerts of core/monitoring
(`obligation_alerts`, `report_alert`) through planning_sv/mail.py, whose dedupe keys make a
second run send nothing again. Email bodies are plain text assembled by concatenation: user
text (references, descriptions) is data, never a template.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.monitoring import (
    STATUS_LABELS,
    Alert,
    ObligationStatus,
    Verification,
    obligation_alerts,
    report_alert,
)
from planning_sv.core.workflow import Role
from planning_sv.mail import Mailer, Message, send_and_log
from planning_sv.store.models import Statement, User
from planning_sv.store.monitoring import (
    DeliveryReport,
    Obligation,
    StatusChange,
    agreements_of,
    refresh_statuses,
    settings_for,
)


@dataclass(frozen=True)
class Outgoing:
    message: Message
    council: str
    statement_id: int


@dataclass(frozen=True)
class MonitorRun:
    changes: list[StatusChange]
    outgoing: int  # alerts due (each once, by dedupe key)
    sent: int  # sent by this run


def _key(base: str, to: str) -> str:
    """One dedupe key per alert and recipient; the address as a short hash keeps the key
    within the mail log's 200 characters whatever the address."""
    return base + ":" + hashlib.sha256(to.strip().lower().encode()).hexdigest()[:16]


def _scheme_name(statement: Statement) -> str:
    return statement.application_reference or f"statement {statement.id}"


def _amount(obligation: Obligation) -> str:
    if obligation.is_money:
        return format_gbp(obligation.quantity)
    return f"{format_number(obligation.quantity)} {obligation.unit_label}"


def officers_for(session: Session, statement: Statement) -> list[str]:
    """Who hears about the scheme: the officer who recorded its agreement, else every
    active officer of the council."""
    agreements = agreements_of(session, statement.id)
    recorder = agreements[0].recorded_by if agreements else None
    if recorder is not None and recorder.is_active and recorder.council == statement.council:
        return [recorder.email]
    return list(
        session.scalars(
            select(User.email)
            .where(
                User.council == statement.council,
                User.role.in_((Role.OFFICER.value, Role.SENIOR_OFFICER.value)),
                User.disabled_at.is_(None),
            )
            .order_by(User.id)
        )
    )


def _obligation_message(
    alert: Alert, obligation: Obligation, statement: Statement, to: str
) -> Message:
    name = _scheme_name(statement)
    what = obligation.measure_label + ": " + _amount(obligation)
    due = obligation.due_on.isoformat() if obligation.due_on else "not set"
    status = STATUS_LABELS[ObligationStatus(obligation.status)]
    if alert.kind == "due-soon":
        subject = "Obligation due " + due + ": " + name
        lead = "An obligation of the planning agreement for " + name + " is due soon."
    else:
        subject = "Obligation overdue: " + name
        lead = "An obligation of the planning agreement for " + name + " is overdue."
    body = "\n".join(
        [
            lead,
            "",
            "Obligation " + str(obligation.number) + " (#" + str(obligation.id) + "): " + what,
            "When: " + obligation.when_text,
            "Due: " + due,
            "Verified so far: " + format_number(obligation.counted),
            "Status: " + status,
            "",
            "Report delivery, with evidence, on the scheme's obligations page.",
        ]
    )
    key = _key(alert.dedupe_key, to)
    return Message(
        to=to, subject=subject, body=body, kind="monitoring-" + alert.kind, dedupe_key=key
    )


def report_messages(session: Session, report: DeliveryReport) -> list[Outgoing]:
    """The officer's "report received" emails for one report."""
    statement = session.get(Statement, report.statement_id)
    if statement is None:
        return []
    obligation = report.obligation
    alert = report_alert(report.id)
    name = _scheme_name(statement)
    body = "\n".join(
        [
            "The developer of " + name + " reported delivery; please verify it.",
            "",
            "Obligation "
            + str(obligation.number)
            + " (#"
            + str(obligation.id)
            + "): "
            + obligation.measure_label,
            "Quantity reported: " + format_number(report.quantity) + " " + obligation.unit_label,
            "Period: " + report.period_start.isoformat() + " to " + report.period_end.isoformat(),
            "Evidence files: " + str(len(report.documents)),
        ]
    )
    return [
        Outgoing(
            Message(
                to=to,
                subject="Delivery report to verify: " + name,
                body=body,
                kind="monitoring-report-received",
                dedupe_key=_key(alert.dedupe_key, to),
            ),
            statement.council,
            statement.id,
        )
        for to in officers_for(session, statement)
    ]


def due_alerts(session: Session, today: dt.date, *, council: str | None = None) -> list[Outgoing]:
    """Every alert the current statuses and pending reports call for (sent or not)."""
    out: list[Outgoing] = []
    query = select(Obligation).where(
        Obligation.varied_by_id.is_(None), Obligation.waived_reason.is_(None)
    )
    if council is not None:
        query = query.where(Obligation.council == council)
    statements: dict[int, Statement] = {}
    for obligation in session.scalars(query.order_by(Obligation.id)):
        statement = statements.get(obligation.statement_id) or session.get(
            Statement, obligation.statement_id
        )
        if statement is None:
            continue
        statements[statement.id] = statement
        rule = settings_for(obligation.council).rule
        for alert in obligation_alerts(
            obligation.id, ObligationStatus(obligation.status), obligation.due_on, today, rule
        ):
            recipients = (
                [statement.owner.email]
                if alert.audience == "developer"
                else officers_for(session, statement)
            )
            for to in recipients:
                out.append(
                    Outgoing(
                        _obligation_message(alert, obligation, statement, to),
                        statement.council,
                        statement.id,
                    )
                )
    reports = select(DeliveryReport).where(DeliveryReport.verification == Verification.PENDING)
    if council is not None:
        reports = reports.where(DeliveryReport.council == council)
    for report in session.scalars(reports.order_by(DeliveryReport.id)):
        out.extend(report_messages(session, report))
    return out


def send_all(session: Session, mailer: Mailer | None, outgoing: list[Outgoing]) -> int:
    sent = 0
    for item in outgoing:
        if send_and_log(
            session, mailer, item.message, council=item.council, statement_id=item.statement_id
        ):
            sent += 1
    return sent


def run_monitor(
    session: Session, mailer: Mailer | None, today: dt.date, *, council: str | None = None
) -> MonitorRun:
    """Update statuses (committed first: a mail failure never loses them), then send each
    alert once. Safe to repeat: the second run on the same day finds nothing to change and
    every alert already sent."""
    changes = refresh_statuses(session, today, council=council)
    session.commit()
    outgoing = due_alerts(session, today, council=council)
    sent = send_all(session, mailer, outgoing)
    session.commit()
    return MonitorRun(changes=changes, outgoing=len(outgoing), sent=sent)
