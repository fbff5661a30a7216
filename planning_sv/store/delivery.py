"""What the public pages read about delivery: approved schemes' obligations and verified
delivery, as facts for core/delivery.py. Only approved statements are public; only verified
delivery counts (accepted or partly accepted reports; money received less returned)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from planning_sv.core.assessment import WardShareOut
from planning_sv.core.delivery import DeliveredFacts, ObligationFacts, WardShares
from planning_sv.core.monitoring import (
    STATUS_LABELS,
    ObligationStatus,
    TransactionKind,
    Verification,
)
from planning_sv.core.public_figures import PUBLIC_STATUS
from planning_sv.store import monitoring as mon
from planning_sv.store.models import Statement

COUNTED = (Verification.ACCEPTED.value, Verification.PARTLY_ACCEPTED.value)
NOT_PUBLIC_PURPOSES = frozenset({"monitoring-fees"})  # the council's fee is not social value


def _wards(wards: Iterable[WardShareOut]) -> WardShares:
    return tuple((w.code, w.share) for w in wards if w.code)


def _public_obligations(
    session: Session, council: str, statement_id: int | None
) -> list[tuple[mon.Obligation, mon.Agreement]]:
    query = (
        select(mon.Obligation, mon.Agreement)
        .join(mon.Agreement, mon.Agreement.id == mon.Obligation.agreement_id)
        .join(Statement, Statement.id == mon.Obligation.statement_id)
        .where(mon.Obligation.council == council, Statement.status == PUBLIC_STATUS)
        .order_by(mon.Obligation.statement_id, mon.Obligation.number, mon.Obligation.id)
    )
    if statement_id is not None:
        query = query.where(mon.Obligation.statement_id == statement_id)
    return [(o, a) for o, a in session.execute(query) if o.purpose not in NOT_PUBLIC_PURPOSES]


def delivery_facts(
    session: Session, council: str, *, statement_id: int | None = None
) -> tuple[list[ObligationFacts], list[DeliveredFacts]]:
    """Approved schemes' obligations and their verified delivery (one scheme, or all)."""
    pairs = _public_obligations(session, council, statement_id)
    # Where each was committed, as the assessment placed it (the obligation's own copy).
    placed = {o.id: mon.ward_shares(o.wards) for o, _a in pairs}
    obligations = [
        ObligationFacts(
            measure=o.measure,
            label=o.measure_label,
            unit=o.unit,
            unit_label=o.unit_label,
            quantity=float(o.quantity),
            wards=_wards(placed[o.id]),
            signed_on=a.signed_on,
            due_on=o.due_on,
            live=o.live,
            ward_names=tuple((w.code, w.name or w.code) for w in placed[o.id] if w.code),
        )
        for o, a in pairs
    ]
    by_id = {o.id: o for o, _a in pairs}
    delivered: list[DeliveredFacts] = []
    if by_id:
        # The same verified reports as the ward tables' "Delivered" cells (one definition).
        verified = mon.verified_reports(
            session, council, statement_id=statement_id, public_only=True
        )
        for report, o in verified:
            if o.id in by_id:  # not the council's fee
                delivered.append(
                    DeliveredFacts(
                        o.measure,
                        o.unit,
                        float(report.counted),
                        _wards(mon.delivered_wards(report, o)),
                        report.period_end,
                    )
                )
        money = session.scalars(
            select(mon.MoneyTransaction).where(
                mon.MoneyTransaction.obligation_id.in_([i for i, o in by_id.items() if o.is_money]),
                mon.MoneyTransaction.kind.in_(
                    (TransactionKind.RECEIVED.value, TransactionKind.RETURNED.value)
                ),
            )
        )
        for t in money:
            o = by_id[t.obligation_id]
            sign = 1.0 if t.kind == TransactionKind.RECEIVED.value else -1.0
            delivered.append(
                DeliveredFacts(
                    o.measure, o.unit, sign * float(t.amount), _wards(placed[o.id]), t.on_date
                )
            )
    return obligations, delivered


@dataclass(frozen=True)
class PublicObligation:
    """One obligation of an approved scheme as the public scheme page lists it."""

    label: str
    quantity: float
    unit: str
    unit_label: str
    when: str
    due_on: dt.date | None
    status: str
    status_label: str
    delivered: float  # verified


def scheme_obligations(session: Session, council: str, statement_id: int) -> list[PublicObligation]:
    """An approved scheme's obligations (those in force and those varied or waived, so the
    record is complete), each with its status and verified delivery."""
    out = []
    for o, _a in _public_obligations(session, council, statement_id):
        status = o.status
        try:
            label = STATUS_LABELS[ObligationStatus(status)]
        except ValueError:
            label = status.replace("_", " ").capitalize()
        out.append(
            PublicObligation(
                label=o.measure_label,
                quantity=float(o.quantity),
                unit=o.unit,
                unit_label=o.unit_label,
                when=o.when_text,
                due_on=o.due_on,
                status=status,
                status_label=label,
                delivered=float(o.counted or 0.0),
            )
        )
    return out
