"""Demo monitoring history for `planning-sv demo seed` (issue 13), idempotent.

For each council's two approved demo schemes: a signed S106 agreement with the monitoring
fee, trigger events, delivery reports (verified, partly accepted, rejected and pending, with
an evidence file), money received, a deed of variation and a waiver, so that every obligation
status appears. Dates are set relative to the day of seeding, so the statuses are the same
whenever the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from planning_sv.core.documents import check_document
from planning_sv.core.monitoring import (
    MONITORING_FEE_MEASURE,
    PAYMENT_MEASURES,
    PURPOSE_MONITORING_FEES,
    PURPOSE_OTHER,
    PURPOSE_SOCIAL_VALUE,
    DuePeriod,
    Trigger,
    TriggerKind,
)
from planning_sv.store import monitoring as repo
from planning_sv.store.assessments import assessor_of
from planning_sv.store.documents import documents_root, save_document
from planning_sv.store.models import Statement, User

EVIDENCE = b"%PDF-1.4\n% planning_sv demo evidence: timesheets and payroll extract\n%%EOF\n"
ECONOMIC_THEMES = frozenset({"jobs", "skills", "growth"})

# Scheme 1 (commencement 300 days ago): head i gets PERIODS_1[i] weeks and STORY_1[i].
#   26 weeks: due 118 days ago; 40 weeks: due 20 days ago; 52 weeks: due in 64 days;
#   104 weeks: due in 428 days (41% of the time gone).
PERIODS_1 = (26, 40, 40, 26, 104, 52)
STORY_1 = ("delivered", "partly", "rejected", "nothing", "nothing", "on_track")


def _heads(
    session: Session, statement: Statement, trigger: Trigger, weeks: tuple[int, ...]
) -> list[repo.SecuredHead]:
    version = statement.latest_version
    assert version is not None and version.assessment is not None
    measures = assessor_of(session).measures
    record = version.assessment.record
    wards = repo.heads_wards(record)
    heads = []
    for item in record.commitments:
        if not item.quantity:
            continue
        code, unit = item.measure, item.unit
        measure = measures.get(code)
        n = len(heads)
        heads.append(
            repo.SecuredHead(
                number=n + 1,
                commitment_id=item.id,
                measure=code,
                measure_label=getattr(measure, "label", None) or code.replace("_", " "),
                unit=unit,
                unit_label=(getattr(measure, "units", None) or {}).get(unit, unit),
                quantity=item.quantity,
                offered_quantity=item.quantity,
                wards=wards.get(item.id, []),
                purpose=PURPOSE_SOCIAL_VALUE
                if getattr(measure, "theme", None) in ECONOMIC_THEMES
                else PURPOSE_OTHER,
                trigger=trigger,
                period=DuePeriod(weeks[n % len(weeks)], "weeks"),
            )
        )
    return heads


def _fee(
    statement: Statement, heads: list[repo.SecuredHead], signed: dt.date
) -> list[repo.SecuredHead]:
    schedule = repo.settings_for(statement.council).fees
    if schedule is None:
        return []
    amount, _ = schedule.fee_for(h.trigger.key for h in heads)
    return [
        repo.SecuredHead(
            number=len(heads) + 1,
            measure=MONITORING_FEE_MEASURE,
            measure_label="Monitoring fee",
            unit="gbp",
            unit_label="£ paid",
            quantity=amount,
            description=f"{schedule.basis.replace('-', ' ')} fee; {schedule.citation}",
            policy=schedule.citation,
            purpose=PURPOSE_MONITORING_FEES,
            trigger=Trigger(TriggerKind.FIXED_DATE, on=signed),
            period=DuePeriod(schedule.due_weeks, "weeks"),
        )
    ]


def _report(
    session: Session,
    statement: Statement,
    owner: User,
    obligation: repo.Obligation,
    quantity: float,
    start: dt.date,
    end: dt.date,
    evidence: Any = None,
) -> repo.DeliveryReport:
    new = repo.NewReport(obligation, start, end, quantity, None, list(obligation.wards), None)
    documents = [evidence] if evidence is not None else []
    return repo.add_reports(session, statement, owner, [new], source="web", documents=documents)[0]


def seed_monitoring(
    session: Session,
    statements: list[Statement],
    owner: User,
    officer: User,
    today: dt.date | None = None,
    root: Path | None = None,
) -> int:
    """Monitoring history for `statements` (a council's approved demo schemes, first and
    second); returns how many agreements were recorded (0 when already there)."""
    today = today or dt.date.today()
    root = root or documents_root()
    recorded = 0
    for index, statement in enumerate(statements[:2]):
        if repo.agreements_of(session, statement.id):
            continue
        recorded += 1
        if index == 0:
            _first_scheme(session, statement, owner, officer, today, root)
        else:
            _second_scheme(session, statement, officer, today)
    repo.refresh_statuses(session, today)
    return recorded


def _first_scheme(
    session: Session, statement: Statement, owner: User, officer: User, today: dt.date, root: Path
) -> None:
    signed, commenced = today - dt.timedelta(days=320), today - dt.timedelta(days=300)
    heads = _heads(session, statement, Trigger(TriggerKind.COMMENCEMENT), PERIODS_1)
    heads += _fee(statement, heads, signed)
    reference = f"{statement.application_reference}/S106"
    repo.record_agreement(
        session,
        statement,
        officer,
        reference=reference,
        signed_on=signed,
        document_url=None,
        heads=heads,
        notes="Demo agreement",
    )
    repo.record_trigger(
        session, statement, officer, kind="commencement", occurred_on=commenced, today=today
    )
    checked = check_document(EVIDENCE, "evidence.pdf")
    evidence = save_document(
        session,
        root,
        checked,
        EVIDENCE,
        council=statement.council,
        statement_id=statement.id,
        purpose="delivery_evidence",
        uploaded_by=owner,
    )
    obligations = repo.obligations_of(session, statement.id)
    period = (commenced, today - dt.timedelta(days=30))
    for position, obligation in enumerate(
        o for o in obligations if o.measure not in PAYMENT_MEASURES
    ):
        story = STORY_1[position % len(STORY_1)]
        q = obligation.quantity
        if story == "delivered":
            report = _report(session, statement, owner, obligation, q, *period, evidence)
            repo.verify_report(
                session, report, officer, decision="accepted", accepted_quantity=None, reason=None
            )
        elif story == "partly":
            report = _report(session, statement, owner, obligation, q, *period, evidence)
            repo.verify_report(
                session,
                report,
                officer,
                decision="partly_accepted",
                accepted_quantity=round(q / 2, 2),
                reason="Half of the people reported live outside the borough.",
            )
        elif story == "rejected":
            report = _report(session, statement, owner, obligation, q / 4, *period)
            repo.verify_report(
                session,
                report,
                officer,
                decision="rejected",
                accepted_quantity=None,
                reason="No evidence was attached: resubmit with timesheets.",
            )
        elif story == "on_track":
            report = _report(
                session, statement, owner, obligation, round(q * 0.7, 2), *period, evidence
            )
            repo.verify_report(
                session, report, officer, decision="accepted", accepted_quantity=None, reason=None
            )
            _report(
                session,
                statement,
                owner,
                obligation,
                round(q * 0.1, 2),
                today - dt.timedelta(days=29),
                today - dt.timedelta(days=1),
            )
    for obligation in obligations:
        if obligation.measure == MONITORING_FEE_MEASURE:
            paid = signed + dt.timedelta(days=14)
            for kind in ("secured", "received"):
                repo.record_transaction(
                    session,
                    obligation,
                    officer,
                    kind=kind,
                    amount=obligation.quantity,
                    on_date=paid,
                    today=today,
                )


def _second_scheme(session: Session, statement: Statement, officer: User, today: dt.date) -> None:
    """First occupation not yet reached (not yet due), one obligation reduced by a deed of
    variation (varied) and one waived."""
    signed = today - dt.timedelta(days=90)
    heads = _heads(session, statement, Trigger(TriggerKind.FIRST_OCCUPATION), (52,))
    heads += _fee(statement, heads, today + dt.timedelta(days=60))
    repo.record_agreement(
        session,
        statement,
        officer,
        reference=f"{statement.application_reference}/S106",
        signed_on=signed,
        document_url=None,
        heads=heads,
        notes="Demo agreement",
    )
    live = [o for o in repo.obligations_of(session, statement.id, live_only=True) if not o.is_money]
    first, last = live[0], live[-1]
    repo.record_variation(
        session,
        statement,
        officer,
        reference=f"{statement.application_reference}/DOV1",
        signed_on=today - dt.timedelta(days=20),
        document_url=None,
        changes=[
            repo.Variation(first.id, round(first.quantity * 0.8, 2), "Phase 2 reduced in size.")
        ],
    )
    repo.waive(session, last, officer, "Delivered instead through the council's own programme.")
