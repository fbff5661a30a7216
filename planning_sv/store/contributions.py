"""Developer contributions data from the database: what the exports and the IFS read.

`council_data(session, council)` turns the monitoring tables (store/monitoring.py: signed
agreements, obligations, money transactions, verified delivery reports) and the records a
council imported from its previous system (`contribution_imports`) into the national
standard's records (core/contributions.py). `import_records` stores an importer's result,
all or nothing, with one audit row.

How our records map onto the standard (docs/MONITORING.md, "National data"):

- a signed agreement version -> `developer-agreement` (type `section-106` or
  `deed-of-variation`; start-date = signed; end-date = the day before the next version was
  signed, so a superseded version stays published, never deleted);
- an obligation -> `developer-agreement-contribution` (purpose as recorded: social value
  `economic-development` or `other`, the fee `monitoring-fees`; money -> `amount`, anything
  else -> `units`, rounded down to whole units; the exact quantity is in the social value file);
- a money transaction -> `developer-agreement-transaction` with its status;
- a verified delivery report (accepted or partly accepted, non-money obligation) ->
  a `received` transaction with `units` (the delivered quantity counted, rounded down), dated
  the day it was verified. Pending and rejected reports are never exported.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from planning_sv.core import contributions as dc
from planning_sv.core.assessment import AssessmentRecord, WardShareOut
from planning_sv.core.errors import InputInvalid
from planning_sv.core.monitoring import Verification
from planning_sv.store.models import Assessment, AuditEvent, Base, Statement, User, utcnow

KINDS = ("agreement", "contribution", "transaction")
COUNTED = (Verification.ACCEPTED.value, Verification.PARTLY_ACCEPTED.value)


class ImportedRecord(Base):
    """One agreement, contribution or transaction loaded from a council's earlier system.

    `record` holds the standard row (core/contributions.*_row); the reference is unique per
    council and kind, so loading the same file twice is refused, not duplicated."""

    __tablename__ = "contribution_imports"
    __table_args__ = (
        UniqueConstraint("council", "kind", "reference", name="uq_contribution_import"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(String(200), default=None)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


# --- imported records ---------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _amount(value: Any) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def _units(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _to_json(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in asdict(record).items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def _from_json(kind: str, data: Mapping[str, Any]) -> Any:
    values = dict(data)
    for key in ("entry_date", "start_date", "end_date"):
        values[key] = _date(values.get(key))
    if kind == "agreement":
        return dc.Agreement(**values)
    values["amount"] = _amount(values.get("amount"))
    values["units"] = _units(values.get("units"))
    return dc.Contribution(**values) if kind == "contribution" else dc.Transaction(**values)


def imported_references(session: Session, council: str) -> dict[str, set[str]]:
    """The council's imported references by kind ('agreement', 'contribution', ...)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    rows = session.execute(
        select(ImportedRecord.kind, ImportedRecord.reference).where(
            ImportedRecord.council == council
        )
    )
    for kind, reference in rows:
        found[kind].add(reference)
    return found


def import_records(
    session: Session, council: str, data: dc.ContributionsData, actor: User | None
) -> dict[str, int]:
    """Add the importer's records (already checked by core.contributions.read_contributions)
    and one audit row, in the caller's transaction: commit stores all of them or none."""
    now = utcnow()
    actor_id = actor.id if actor is not None else None
    for kind, records, parent in (
        ("agreement", data.agreements, None),
        ("contribution", data.contributions, "developer_agreement"),
        ("transaction", data.transactions, "developer_agreement_contribution"),
    ):
        for record in records:
            session.add(
                ImportedRecord(
                    council=council,
                    kind=kind,
                    reference=record.reference,
                    parent=getattr(record, parent) if parent else None,
                    record=_to_json(record),
                    imported_at=now,
                    imported_by_id=actor_id,
                )
            )
    counts = {
        "agreements": len(data.agreements),
        "contributions": len(data.contributions),
        "transactions": len(data.transactions),
    }
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action="contributions_imported",
            details={"council": council, **counts},
        )
    )
    session.flush()
    return counts


def _imported(session: Session, council: str) -> dc.ContributionsData:
    grouped: dict[str, list[Any]] = defaultdict(list)
    rows = session.scalars(
        select(ImportedRecord).where(ImportedRecord.council == council).order_by(ImportedRecord.id)
    )
    for row in rows:
        grouped[row.kind].append(_from_json(row.kind, row.record))
    return dc.ContributionsData(
        tuple(grouped["agreement"]), tuple(grouped["contribution"]), tuple(grouped["transaction"])
    )


# --- monitored records --------------------------------------------------------------------


def _pounds(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _whole(value: float) -> int:
    # Whole units, rounded down: 2.5 FTE-years delivered is 2 whole units in the standard's
    # integer column, never 3; the exact figure is in the social value file.
    return math.floor(value + 1e-9)


def _valued_record(assessment: Assessment | None) -> AssessmentRecord | None:
    """The stored assessment's typed record, for each commitment's valued row (£ by ward,
    price year); None when there is none or it no longer reads as assessment@1."""
    if assessment is None:
        return None
    try:
        return assessment.record
    except InputInvalid:  # an unreadable old record: export without £ rather than fail
        return None


def _value_set_code(record: AssessmentRecord | None) -> str:
    """'name@version' of the value set behind a record's £ figures ('' when not valued)."""
    if record is None or record.social_value is None:
        return ""
    used = record.social_value.value_set
    return f"{used.name}@{used.version}"


def council_data(session: Session, council: str, organisation: str) -> dc.ContributionsData:
    """Everything the council publishes as developer contributions data: the records it
    imported, then its monitored agreements."""
    from planning_sv.store import monitoring as mon
    from planning_sv.store.statements import latest_assessment

    agreements: list[dc.Agreement] = []
    contributions: list[dc.Contribution] = []
    transactions: list[dc.Transaction] = []
    details: list[dc.SocialValueDetail] = []

    rows = mon.council_agreements(session, council)
    statements = {
        s.id: s
        for s in session.scalars(
            select(Statement).where(Statement.id.in_({a.statement_id for a in rows}))
        )
    }
    by_statement: dict[int, list[Any]] = defaultdict(list)
    for agreement in rows:
        by_statement[agreement.statement_id].append(agreement)
    agreement_ref: dict[int, str] = {}
    taken: set[str] = set()
    for statement_id, versions in by_statement.items():
        versions.sort(key=lambda a: a.version)
        statement = statements.get(statement_id)
        application = (statement.application_reference if statement else None) or ""
        for index, agreement in enumerate(versions):
            reference = agreement.reference
            if reference in taken:
                reference = f"{reference}-v{agreement.version}"
            taken.add(reference)
            agreement_ref[agreement.id] = reference
            following = versions[index + 1] if index + 1 < len(versions) else None
            end = following.signed_on - dt.timedelta(days=1) if following else None
            agreements.append(
                dc.Agreement(
                    reference=reference,
                    developer_agreement_type=agreement.kind,
                    organisation=organisation,
                    name=(
                        f"Deed of variation {agreement.version - 1} of {application}"
                        if agreement.version > 1
                        else f"Section 106 agreement for {application}"
                    ).strip(),
                    planning_application=application,
                    document_url=agreement.document_url or "",
                    notes=agreement.notes or "",
                    entry_date=agreement.recorded_at.date() if agreement.recorded_at else None,
                    start_date=agreement.signed_on,
                    end_date=end
                    if end is None or end >= agreement.signed_on
                    else agreement.signed_on,
                )
            )

    signed = {a.id: a.signed_on for a in rows}
    obligations = [
        o for o in mon.council_obligations(session, council) if o.agreement_id in agreement_ref
    ]
    contribution_ref: dict[int, str] = {}
    values: dict[int, AssessmentRecord | None] = {}
    for obligation in obligations:
        parent = agreement_ref[obligation.agreement_id]
        reference = f"{parent}-{obligation.number}"
        if reference in taken:
            reference = f"{parent}-{obligation.number}-{obligation.id}"
        taken.add(reference)
        contribution_ref[obligation.id] = reference
        end = None
        if obligation.varied_by_id is not None and obligation.varied_by_id in signed:
            end = signed[obligation.varied_by_id] - dt.timedelta(days=1)
        notes = obligation.description or ""
        if obligation.waived_reason:
            notes = f"{notes} Waived: {obligation.waived_reason}".strip()
        contributions.append(
            dc.Contribution(
                reference=reference,
                developer_agreement=parent,
                contribution_purpose=obligation.purpose,
                organisation=organisation,
                name=obligation.measure_label,
                amount=_pounds(obligation.quantity) if obligation.is_money else None,
                units=None if obligation.is_money else _whole(obligation.quantity),
                notes=notes,
                entry_date=obligation.created_at.date() if obligation.created_at else None,
                start_date=signed.get(obligation.agreement_id),
                end_date=end,
            )
        )
        if obligation.statement_id not in values:
            statement = statements.get(obligation.statement_id)
            values[obligation.statement_id] = _valued_record(
                latest_assessment(session, statement) if statement else None
            )

    for money in mon.council_transactions(session, council):
        parent = contribution_ref.get(money.obligation_id)
        if parent is None:
            continue
        transactions.append(
            dc.Transaction(
                reference=f"{parent}-t{money.id}",
                developer_agreement_contribution=parent,
                contribution_funding_status=money.kind,
                organisation=organisation,
                amount=_pounds(money.amount),
                notes=money.note or "",
                entry_date=money.recorded_at.date() if money.recorded_at else None,
                start_date=money.on_date,
            )
        )

    delivered: dict[tuple[int, str], float] = defaultdict(float)
    reports = session.scalars(
        select(mon.DeliveryReport)
        .where(mon.DeliveryReport.council == council, mon.DeliveryReport.verification.in_(COUNTED))
        .order_by(mon.DeliveryReport.verified_at, mon.DeliveryReport.id)
    )
    obligation_by_id = {o.id: o for o in obligations}
    verified_count: dict[int, int] = defaultdict(int)
    for report in reports:
        obligation = obligation_by_id.get(report.obligation_id)
        parent = contribution_ref.get(report.obligation_id)
        if obligation is None or parent is None or obligation.is_money or report.counted <= 0:
            continue
        verified_count[obligation.id] += 1
        for ward in mon.ward_shares(report.wards):
            delivered[(obligation.id, ward.code)] += report.counted * ward.share
        when = report.verified_at.date() if report.verified_at else report.period_end
        transactions.append(
            dc.Transaction(
                reference=f"{parent}-r{report.id}",
                developer_agreement_contribution=parent,
                contribution_funding_status="received",
                organisation=organisation,
                name=f"Delivery {report.period_start.isoformat()} to {report.period_end.isoformat()}",
                units=_whole(report.counted),
                notes=f"Verified: {report.verification.replace('_', ' ')}",
                entry_date=report.submitted_at.date() if report.submitted_at else None,
                start_date=when,
            )
        )

    for obligation in obligations:
        if obligation.is_money and obligation.purpose == dc.MONITORING_FEES:
            continue
        valued = values.get(obligation.statement_id)
        commitment = valued.valued(obligation.commitment_id or "") if valued else None
        scale = 1.0
        if commitment is not None and commitment.quantity:
            scale = obligation.quantity / commitment.quantity  # an amended quantity
        gbp_by_ward = {w.code: w.gbp for w in commitment.wards} if commitment else {}
        # Not placed in any ward: one row for the whole of it, without a ward.
        wards = mon.ward_shares(obligation.wards) or [WardShareOut(code="", name="", share=1.0)]
        reports_text = f"{verified_count.get(obligation.id, 0)} verified report(s)"
        for ward in wards:
            code, share = ward.code, ward.share
            gbp = gbp_by_ward.get(code)
            details.append(
                dc.SocialValueDetail(
                    contribution=contribution_ref[obligation.id],
                    measure=obligation.measure,
                    unit=obligation.unit,
                    quantity=round(obligation.quantity * share, 6),
                    ward=code,
                    ward_name=ward.name,
                    ward_share=round(share, 6),
                    value_gbp=None if gbp is None else _pounds(gbp * scale),
                    value_set=_value_set_code(valued) if commitment else "",
                    price_year=commitment.price_year if commitment else None,
                    policy=obligation.policy or "",
                    trigger=obligation.when_text,
                    due_date=obligation.due_on,
                    status=obligation.status,
                    delivered_quantity=round(delivered.get((obligation.id, code), 0.0), 6),
                    verification=reports_text,
                )
            )

    imported = _imported(session, council)
    return dc.ContributionsData(
        agreements=imported.agreements + tuple(agreements),
        contributions=imported.contributions + tuple(contributions),
        transactions=imported.transactions + tuple(transactions),
        social_value=tuple(details),
    )


def load_files(
    session: Session,
    council: str,
    organisation: str,
    files: Mapping[str, bytes],
    actor: User | None,
) -> dict[str, int]:
    """Check and store a council's existing S106 records from the standard CSV files
    (name -> bytes), all or nothing: InputInvalid lists every fault and nothing is added.

    New rows may name agreements and contributions the council already holds; a reference
    already held is refused rather than loaded twice."""
    texts = dc.decode_files(files)
    held = council_data(session, council, organisation)
    agreements = {a.reference for a in held.agreements}
    contributions = {c.reference for c in held.contributions}
    data = dc.read_contributions(
        texts,
        organisation=organisation,
        known_agreements=agreements,
        known_contributions=contributions,
        existing=agreements | contributions | {t.reference for t in held.transactions},
    )
    return import_records(session, council, data, actor)
