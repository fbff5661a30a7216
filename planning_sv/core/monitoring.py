"""Monitoring secured obligations to delivery: pure rules, no Flask, no database.

After sign-off an officer records the signed agreement; each head of terms it secures becomes
an obligation with a trigger (commencement, first occupation, a percentage of occupation,
practical completion, a phase or a fixed date) and a due period after it ("within 26 weeks
of commencement"). Officers record the trigger events; due dates follow (`due_date`).
Developers report delivery; only verified delivery counts (`counted_quantity`). Each
obligation's status follows from its due date, the verified progress and the council's rule
(`StatusRule`, from `local_plans/<council>/monitoring.yaml`): `obligation_status`. The
alerts that status implies carry dedupe keys, so a cron run every hour sends each once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import parse_day
from planning_sv.core.heads_of_terms import CONTRIBUTION_MEASURES


class AgreementType(StrEnum):
    SECTION_106 = "section-106"
    DEED_OF_VARIATION = "deed-of-variation"


class TriggerKind(StrEnum):
    COMMENCEMENT = "commencement"
    FIRST_OCCUPATION = "first-occupation"
    OCCUPATION_PERCENT = "occupation-percent"
    PRACTICAL_COMPLETION = "practical-completion"
    PHASE = "phase"
    FIXED_DATE = "fixed-date"


TRIGGER_LABELS = {
    TriggerKind.COMMENCEMENT: "commencement",
    TriggerKind.FIRST_OCCUPATION: "first occupation",
    TriggerKind.OCCUPATION_PERCENT: "occupation of a percentage of units",
    TriggerKind.PRACTICAL_COMPLETION: "practical completion",
    TriggerKind.PHASE: "completion of a phase",
    TriggerKind.FIXED_DATE: "a fixed date",
}

DUE_UNITS = ("days", "weeks", "months")


class ObligationStatus(StrEnum):
    NOT_YET_DUE = "not_yet_due"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    DELIVERED = "delivered"
    PART_DELIVERED = "part_delivered"
    BREACHED = "breached"
    VARIED = "varied"
    WAIVED = "waived"


STATUS_LABELS = {
    ObligationStatus.NOT_YET_DUE: "Not yet due",
    ObligationStatus.ON_TRACK: "On track",
    ObligationStatus.AT_RISK: "At risk",
    ObligationStatus.OVERDUE: "Overdue",
    ObligationStatus.DELIVERED: "Delivered",
    ObligationStatus.PART_DELIVERED: "Part delivered",
    ObligationStatus.BREACHED: "Breached",
    ObligationStatus.VARIED: "Varied",
    ObligationStatus.WAIVED: "Waived",
}
# Statuses after which nothing is expected of the developer any more.
CLOSED_STATUSES = frozenset(
    {ObligationStatus.DELIVERED, ObligationStatus.VARIED, ObligationStatus.WAIVED}
)
LATE_STATUSES = frozenset(
    {ObligationStatus.OVERDUE, ObligationStatus.PART_DELIVERED, ObligationStatus.BREACHED}
)


class Verification(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"


VERIFICATION_LABELS = {
    Verification.PENDING: "Awaiting verification",
    Verification.ACCEPTED: "Accepted",
    Verification.PARTLY_ACCEPTED: "Partly accepted",
    Verification.REJECTED: "Rejected",
}


class TransactionKind(StrEnum):
    """planning.data.gov.uk `contribution-funding-status` values, in life-cycle order."""

    SECURED = "secured"
    RECEIVED = "received"
    ALLOCATED = "allocated"
    TRANSFERRED = "transferred"
    SPENT = "spent"
    RETURNED = "returned"


# planning.data.gov.uk contribution-purpose for what we secure.
PURPOSE_SOCIAL_VALUE = "economic-development"
PURPOSE_OTHER = "other"
PURPOSE_MONITORING_FEES = "monitoring-fees"
MONITORING_FEE_MEASURE = "monitoring_fee"
MONEY_UNITS = frozenset({"gbp"})
# Payments to the council (tracked by transactions); other £ measures, such as local supply
# chain spend, are delivered by the developer and reported like any other quantity.
PAYMENT_MEASURES = CONTRIBUTION_MEASURES | {MONITORING_FEE_MEASURE}

MAX_QUANTITY = 1e12
MAX_DUE_AMOUNT = 1200  # 100 years in months; longer is a typing mistake


# --- due dates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """When an obligation's clock starts. `percent` for occupation-percent, `phase` for
    phase, `on` for fixed-date."""

    kind: TriggerKind
    percent: float | None = None
    phase: str | None = None
    on: dt.date | None = None

    @property
    def key(self) -> str:
        """The trigger event this waits for: 'commencement', 'occupation-percent:50', …"""
        if self.kind is TriggerKind.OCCUPATION_PERCENT:
            return f"{self.kind.value}:{_percent_text(self.percent)}"
        if self.kind is TriggerKind.PHASE:
            return f"{self.kind.value}:{(self.phase or '').strip().lower()}"
        return self.kind.value

    @property
    def text(self) -> str:
        if self.kind is TriggerKind.OCCUPATION_PERCENT:
            return f"occupation of {_percent_text(self.percent)}% of units"
        if self.kind is TriggerKind.PHASE:
            return f"completion of phase {self.phase}"
        if self.kind is TriggerKind.FIXED_DATE and self.on is not None:
            return f"{self.on.day} {self.on:%B %Y}"
        return TRIGGER_LABELS[self.kind]


def _percent_text(value: float | None) -> str:
    number = float(value or 0)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def event_key(kind: str, percent: float | None = None, phase: str | None = None) -> str:
    """The key of a recorded trigger event, matching `Trigger.key`."""
    return Trigger(TriggerKind(kind), percent=percent, phase=phase).key


@dataclass(frozen=True)
class DuePeriod:
    """How long after the trigger delivery is due: 0 means on the trigger itself."""

    amount: int
    unit: str  # DUE_UNITS

    @property
    def text(self) -> str:
        if self.amount == 0:
            return "on"
        unit = self.unit if self.amount != 1 else self.unit.rstrip("s")
        return f"within {self.amount} {unit} of"


def add_period(start: dt.date, period: DuePeriod) -> dt.date:
    """`start` plus the period; months keep the day, or the month's last day if shorter
    (31 January + 1 month = 28 or 29 February)."""
    if period.unit == "days":
        return start + dt.timedelta(days=period.amount)
    if period.unit == "weeks":
        return start + dt.timedelta(weeks=period.amount)
    if period.unit != "months":
        raise ValueError(f"unknown period unit {period.unit!r}")
    month_index = start.month - 1 + period.amount
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def trigger_date(trigger: Trigger, events: Mapping[str, dt.date]) -> dt.date | None:
    """When the trigger happened (fixed date: the date itself), or None if it has not yet."""
    if trigger.kind is TriggerKind.FIXED_DATE:
        return trigger.on
    return events.get(trigger.key)


def due_date(trigger: Trigger, period: DuePeriod, events: Mapping[str, dt.date]) -> dt.date | None:
    """The last day for delivery, or None until the trigger event is recorded."""
    start = trigger_date(trigger, events)
    return None if start is None else add_period(start, period)


def spend_by(received_on: dt.date | None, spend_within_months: int | None) -> dt.date | None:
    """A contribution's spend-by deadline: months after its (first) receipt."""
    if received_on is None or not spend_within_months:
        return None
    return add_period(received_on, DuePeriod(spend_within_months, "months"))


# --- status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRule:
    """A council's monitoring rule (local_plans/<council>/monitoring.yaml `status_rule`).

    At risk: once at least `min_elapsed` of the time between trigger and due date has passed,
    verified progress (share of the required quantity) is behind the share of time elapsed
    by more than `tolerance`. Breached: still not delivered `breach_after_days` after the due
    date. Developers are reminded `remind_days_before` days before a due date.
    """

    tolerance: float = 0.2
    min_elapsed: float = 0.25
    breach_after_days: int = 90
    remind_days_before: int = 28


@dataclass(frozen=True)
class Progress:
    required: float  # the secured quantity (money: £)
    counted: float  # verified delivery (money: £ received net of returns)
    start: dt.date | None  # when the trigger happened
    due: dt.date | None
    varied: bool = False  # superseded or removed by a deed of variation
    waived: bool = False


def elapsed_share(start: dt.date, due: dt.date, today: dt.date) -> float:
    """Share of the time from trigger to due date that has passed, 0..1."""
    span = (due - start).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (today - start).days / span))


def is_at_risk(progress: Progress, today: dt.date, rule: StatusRule) -> bool:
    if progress.start is None or progress.due is None or progress.required <= 0:
        return False
    elapsed = elapsed_share(progress.start, progress.due, today)
    done = progress.counted / progress.required
    return elapsed >= rule.min_elapsed and done < elapsed - rule.tolerance


def obligation_status(progress: Progress, today: dt.date, rule: StatusRule) -> ObligationStatus:
    """The status an obligation has on `today`.

    The due date itself is still in time: overdue starts the day after it.
    """
    if progress.waived:
        return ObligationStatus.WAIVED
    if progress.varied:
        return ObligationStatus.VARIED
    if progress.required > 0 and progress.counted >= progress.required - 1e-9:
        return ObligationStatus.DELIVERED
    if progress.due is None or (progress.start is not None and today < progress.start):
        return ObligationStatus.NOT_YET_DUE
    if today <= progress.due:
        if is_at_risk(progress, today, rule):
            return ObligationStatus.AT_RISK
        return ObligationStatus.ON_TRACK
    if (today - progress.due).days > rule.breach_after_days:
        return ObligationStatus.BREACHED
    if progress.counted > 0:
        return ObligationStatus.PART_DELIVERED
    return ObligationStatus.OVERDUE


def counted_quantity(verification: str, quantity: float, accepted: float | None) -> float:
    """What a delivery report adds to the obligation: nothing until verified; a partly
    accepted report counts the accepted quantity only."""
    if verification == Verification.ACCEPTED:
        return quantity
    if verification == Verification.PARTLY_ACCEPTED:
        return float(accepted or 0.0)
    return 0.0


def money_counted(transactions: Iterable[tuple[str, float]]) -> float:
    """£ that counts as paid: received less returned (secured/allocated/spent are not
    payments by the developer)."""
    total = 0.0
    for kind, amount in transactions:
        if kind == TransactionKind.RECEIVED:
            total += amount
        elif kind == TransactionKind.RETURNED:
            total -= amount
    return total


# --- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One email the monitor should send (once: `dedupe_key`)."""

    audience: str  # "developer" or "officer"
    kind: str  # "due-soon", "overdue", "report-received"
    dedupe_key: str


def obligation_alerts(
    obligation_id: int,
    status: ObligationStatus,
    due: dt.date | None,
    today: dt.date,
    rule: StatusRule,
) -> list[Alert]:
    """The alerts an obligation's state calls for today. Keys include the due date, so a
    deed of variation that moves it earns a fresh reminder; repeating a run sends nothing."""
    if due is None or status in CLOSED_STATUSES:
        return []
    alerts = []
    if status in (ObligationStatus.ON_TRACK, ObligationStatus.AT_RISK):
        if (due - today).days <= rule.remind_days_before:
            alerts.append(Alert("developer", "due-soon", f"due-soon:{obligation_id}:{due}"))
    elif status in LATE_STATUSES:
        alerts.append(Alert("developer", "overdue", f"overdue:developer:{obligation_id}:{due}"))
        alerts.append(Alert("officer", "overdue", f"overdue:officer:{obligation_id}:{due}"))
    return alerts


def report_alert(report_id: int) -> Alert:
    return Alert("officer", "report-received", f"report-received:{report_id}")


# --- council settings: status rule and monitoring fees --------------------------------------


@dataclass(frozen=True)
class FeeSchedule:
    """A council's monitoring fee (CIL Regulations 2010 reg 122(2A)), as data."""

    basis: str  # "per-obligation" or "per-trigger"
    amount_gbp: float
    citation: str
    url: str | None
    status: str  # "placeholder" until the figure is confirmed from the council's document
    due_weeks: int = 4  # payable within this many weeks of the agreement being signed

    def fee_for(self, triggers: Iterable[str]) -> tuple[float, int]:
        """(£ fee, how many obligations or distinct triggers it was charged on)."""
        keys = list(triggers)
        count = len(set(keys)) if self.basis == "per-trigger" else len(keys)
        return round(self.amount_gbp * count, 2), count


@dataclass(frozen=True)
class MonitoringSettings:
    council: str
    rule: StatusRule
    fees: FeeSchedule | None


def load_monitoring_settings(council: str, root: Path) -> MonitoringSettings:
    """`<root>/<council>/monitoring.yaml`, or the defaults (no fee) when there is none."""
    path = root / council / "monitoring.yaml"
    if not path.exists():
        return MonitoringSettings(council, StatusRule(), None)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rule_data = data.get("status_rule") or {}
    rule = StatusRule(
        tolerance=float(rule_data.get("at_risk_tolerance", 0.2)),
        min_elapsed=float(rule_data.get("at_risk_min_elapsed", 0.25)),
        breach_after_days=int(rule_data.get("breach_after_days", 90)),
        remind_days_before=int(rule_data.get("remind_days_before", 28)),
    )
    fee_data = data.get("monitoring_fee")
    fees = None
    if fee_data:
        citation = fee_data.get("citation") or {}
        if fee_data.get("basis") not in ("per-obligation", "per-trigger"):
            raise ValueError(f"{path}: monitoring_fee.basis must be per-obligation or per-trigger")
        fees = FeeSchedule(
            basis=str(fee_data["basis"]),
            amount_gbp=float(fee_data["amount_gbp"]),
            citation=", ".join(
                str(citation[k]) for k in ("document", "policy", "paragraph") if citation.get(k)
            ),
            url=citation.get("url"),
            status=str(fee_data.get("status", "confirmed")),
            due_weeks=int(fee_data.get("due_weeks", 4)),
        )
    return MonitoringSettings(council, rule, fees)


@dataclass(frozen=True)
class FeeHead:
    """The monitoring fee as one more head of terms: the one wording for the officer's
    heads-of-terms page, its DOCX download and the agreement form."""

    number: int
    amount: float
    text: str
    trigger: str
    citation: str
    url: str | None
    placeholder: bool

    @property
    def placeholder_note(self) -> str | None:
        return FEE_PLACEHOLDER_NOTE if self.placeholder else None


def suggested_trigger(obligation: Any) -> tuple[str, int, str]:
    """(trigger kind, due amount, unit) suggested from a head of terms' own trigger text."""
    from planning_sv.core.heads_of_terms import DOCUMENT_UNITS

    if obligation.measure in CONTRIBUTION_MEASURES or obligation.unit in DOCUMENT_UNITS:
        return TriggerKind.COMMENCEMENT.value, 0, "weeks"
    if obligation.trigger.startswith("On occupation"):
        return TriggerKind.FIRST_OCCUPATION.value, 52, "weeks"
    return TriggerKind.COMMENCEMENT.value, 104, "weeks"


def fee_head(schedule: FeeSchedule | None, obligations: Sequence[Any]) -> FeeHead | None:
    """The council's fee on these heads of terms (charged per obligation or per distinct
    suggested trigger), numbered after them; None without a schedule or heads."""
    from planning_sv.core.figures import format_gbp

    if schedule is None or not obligations:
        return None
    amount, count = schedule.fee_for(suggested_trigger(o)[0] for o in obligations)
    basis = "obligation" if schedule.basis == "per-obligation" else "trigger"
    return FeeHead(
        number=len(obligations) + 1,
        amount=amount,
        text=(
            f"The owner shall pay the council a monitoring fee of {format_gbp(amount)} "
            f"({format_gbp(schedule.amount_gbp)} per {basis}, {count} {basis}s)."
        ),
        trigger=f"Within {schedule.due_weeks} weeks of the agreement being signed.",
        citation=schedule.citation,
        url=schedule.url,
        placeholder=schedule.status == "placeholder",
    )


FEE_PLACEHOLDER_NOTE = "The fee figure is a placeholder in the council's settings, to be confirmed."


# --- uprating a payment by its index ---------------------------------------------------------

INDEX_DATA = "local_plans/value_sets/indices.yaml"


@dataclass(frozen=True)
class Uprating:
    """A payment's uprated sum: amount x index at `at` / index at the agreement date, or
    why it cannot be computed (`amount` None and `reason` says so; never a guessed figure).
    Annual indices: a date takes the value of its calendar year."""

    base: float
    index: str  # as the agreement names it
    agreed_on: dt.date
    at: dt.date | None  # the payment (or due) date; None: not yet known
    amount: float | None = None
    title: str | None = None  # the index's title and source, when it is in the data
    url: str | None = None
    from_value: float | None = None
    to_value: float | None = None
    reason: str | None = None

    @property
    def text(self) -> str:
        """The working, as the obligation page shows it."""
        from planning_sv.core.figures import format_gbp_exact, format_number

        if self.amount is None:
            return f"Uprated sum not computed: {self.reason}"
        assert self.at is not None and self.from_value is not None and self.to_value is not None
        return (
            f"{format_gbp_exact(self.base)} × {format_number(self.to_value)} "
            f"({self.at.year}) ÷ {format_number(self.from_value)} ({self.agreed_on.year}) = "
            f"{format_gbp_exact(self.amount)}, by {self.title}"
        )


def find_index(name: str, indices: Mapping[str, Any]) -> Any | None:
    """The index an agreement names: by its key in the index data or its title (any case)."""
    wanted = " ".join(name.split()).casefold()
    for key, index in indices.items():
        if wanted in (key.casefold(), " ".join(str(index.title).split()).casefold()):
            return index
    return None


def uprate(
    amount: float,
    index_name: str,
    agreed_on: dt.date,
    at: dt.date | None,
    indices: Mapping[str, Any],
) -> Uprating:
    """`amount` x index(at) / index(agreed_on) with the index data (PriceIndex values by
    year; core/valuation/valuesets.py), rounded to the penny; or the reason it cannot be."""
    base = Uprating(base=amount, index=index_name, agreed_on=agreed_on, at=at)
    index = find_index(index_name, indices)
    if index is None:
        known = ", ".join(sorted(indices)) or "none"
        return _replace(
            base,
            reason=f"the index '{index_name}' is not in the service's index data "
            f"({INDEX_DATA}; it holds: {known})",
        )
    named = _replace(base, title=str(index.title), url=str(index.url or "") or None)
    if at is None:
        return _replace(named, reason="the payment date is not known yet (no due date)")
    years = sorted(index.values)
    held = f"{years[0]}–{years[-1]}" if years else "no years"
    missing = [y for y in dict.fromkeys((agreed_on.year, at.year)) if y not in index.values]
    if missing:
        return _replace(
            named,
            reason=f"{index.title} has no value for {' or '.join(map(str, missing))} "
            f"(the data holds {held})",
        )
    from_value = float(index.values[agreed_on.year])
    to_value = float(index.values[at.year])
    return _replace(
        named,
        amount=round(amount * to_value / from_value, 2),
        from_value=from_value,
        to_value=to_value,
    )


def _replace(uprating: Uprating, **changes: Any) -> Uprating:
    from dataclasses import replace

    return replace(uprating, **changes)


# --- input checks (one place for the forms, the CSV upload and the API) --------------------


@dataclass(frozen=True)
class ReportInput:
    """A delivery report as submitted, before placement (`where` is a statement@1 Where)."""

    obligation: str  # the obligation's reference
    period_start: dt.date
    period_end: dt.date
    quantity: float
    where: dict[str, Any] | None
    note: str | None


def parse_date(value: Any, path: str, problems: list[Problem]) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        problems.append(Problem(path, "enter a date (YYYY-MM-DD)"))
        return None
    day = parse_day(text)  # the one reader of typed dates (core/figures.py)
    if day is None:
        problems.append(Problem(path, f"{text[:40]!r} is not a date (YYYY-MM-DD, or DD/MM/YYYY)"))
    return day


def parse_quantity(
    value: Any, path: str, problems: list[Problem], *, allow_zero: bool = True
) -> float | None:
    from planning_sv.core.figures import parse_number

    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        number = parse_number(str(value or ""))
    if number is None or number != number or number in (float("inf"), float("-inf")):
        problems.append(Problem(path, "enter a number"))
        return None
    if number < 0:
        problems.append(Problem(path, "must not be negative"))
        return None
    if number == 0 and not allow_zero:
        problems.append(Problem(path, "must be more than 0"))
        return None
    if number > MAX_QUANTITY:
        problems.append(Problem(path, "is too large"))
        return None
    return number


def check_report(
    data: Mapping[str, Any], path: str = "$"
) -> tuple[ReportInput | None, list[Problem]]:
    """A report's own fields (quantity, dates, note), every fault at once."""
    problems: list[Problem] = []
    obligation = str(data.get("obligation") or "").strip()
    if not obligation:
        problems.append(Problem(f"{path}.obligation", "say which obligation this reports on"))
    start = parse_date(data.get("period_start"), f"{path}.period_start", problems)
    end = parse_date(data.get("period_end"), f"{path}.period_end", problems)
    if start and end and end < start:
        problems.append(Problem(f"{path}.period_end", "must be on or after the period start"))
    quantity = parse_quantity(data.get("quantity"), f"{path}.quantity", problems, allow_zero=False)
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(Problem(f"{path}.note", "must be text"))
    elif note and len(note) > 2000:
        problems.append(Problem(f"{path}.note", "must be at most 2,000 characters"))
    where = data.get("where")
    if where is not None and not isinstance(where, Mapping):
        problems.append(Problem(f"{path}.where", 'must be an object such as {"ward": "E05…"}'))
        where = None
    if problems or start is None or end is None or quantity is None:
        return None, problems
    return (
        ReportInput(
            obligation=obligation,
            period_start=start,
            period_end=end,
            quantity=quantity,
            where=dict(where) if where else None,
            note=(note or "").strip() or None,
        ),
        [],
    )


def require(problems: list[Problem]) -> None:
    if problems:
        raise InputInvalid(problems)


# --- delivery reports as CSV (all or nothing, every fault at once) --------------------------

REPORT_CSV_COLUMNS = (
    "obligation",
    "period_start",
    "period_end",
    "quantity",
    "ward",
    "postcode",
    "note",
)
REPORT_CSV_REQUIRED = ("obligation", "period_start", "period_end", "quantity")
MAX_CSV_REPORTS = 500


def parse_reports_csv(text: str) -> list[tuple[str, dict[str, Any]]]:
    """CSV rows as (path prefix "row N", report fields); header problems raise at once.

    `ward` or `postcode` (at most one) say where the delivery landed; neither: where the
    obligation was committed. Problems later found under "row N.field" read as
    "row N, column field" (`csv_cell`).
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    problems = []
    missing = [c for c in REPORT_CSV_REQUIRED if c not in header]
    if missing:
        problems.append(Problem("row 1", f"missing column(s): {', '.join(missing)}"))
    unknown = [h for h in header if h and h not in REPORT_CSV_COLUMNS]
    if unknown:
        problems.append(
            Problem(
                "row 1",
                f"unknown column(s): {', '.join(unknown)} (known: {', '.join(REPORT_CSV_COLUMNS)})",
            )
        )
    if problems:
        raise InputInvalid(problems)
    rows: list[tuple[str, dict[str, Any]]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
        }
        ward, postcode = values.get("ward", ""), values.get("postcode", "")
        where: dict[str, Any] | None = None
        if ward and postcode:
            problems.append(Problem(f"row {number}.ward", "give a ward or a postcode, not both"))
        elif ward:
            where = {"ward": ward}
        elif postcode:
            where = {"postcode": postcode}
        rows.append(
            (
                f"row {number}",
                {
                    "obligation": values.get("obligation", ""),
                    "period_start": values.get("period_start", ""),
                    "period_end": values.get("period_end", ""),
                    "quantity": values.get("quantity", ""),
                    "where": where,
                    "note": values.get("note") or None,
                },
            )
        )
    if not rows:
        problems.append(Problem("row 2", "the file has no reports"))
    elif len(rows) > MAX_CSV_REPORTS:
        problems.append(Problem("row 1", f"at most {MAX_CSV_REPORTS} reports per file"))
    if problems:
        raise InputInvalid([Problem(csv_cell(p.path), p.message) for p in problems])
    return rows


def csv_cell(path: str) -> str:
    """'row 3.quantity' -> 'row 3, column quantity'; 'row 3.where.ward' -> '…, column ward'."""
    row, _, field_name = path.partition(".")
    if not field_name:
        return row
    column = field_name.split(".")[-1]
    if field_name.startswith("where"):
        column = (
            "ward" if "ward" in field_name else "postcode" if "postcode" in field_name else "ward"
        )
    return f"{row}, column {column}"
