"""Infrastructure Funding Statement: the section 106 report, computed from contributions data.

The Community Infrastructure Levy Regulations 2010, regulation 121A and Schedule 2
paragraph 3 (inserted by SI 2019/1103), require every authority that receives planning
obligation money to publish, by 31 December, figures for the previous reported year
(1 April - 31 March). `compute_ifs(data, year)` works them out from the national
developer-contributions records (core/contributions.py), the same rows the council publishes,
so the statement and the data can never disagree. Year 2026 is 1 April 2026 - 31 March 2027.

How each figure is computed (docs/MONITORING.md, "Infrastructure Funding Statement"):

- (a) money to be provided under planning obligations entered into in the year: the
  contribution amounts of agreements whose start-date (signed and sealed) is in the year.
  A deed of variation changes obligations already entered into, so it is not counted again.
- (b) money received in the year: `received` transactions dated in the year.
- (c) money received before the year and not allocated by its end: per contribution, the
  sums received before the year less everything committed by the year end (allocated, or
  spent / transferred where no allocation was recorded, and returned), earliest money first.
- (d) non-monetary contributions under obligations entered into in the year: affordable
  housing units (`affordable-housing`), school places (`education`), and social value
  outputs by measure, unit and ward (the social value file).
- (e) money allocated in the year and not spent by its end: per contribution, allocations in
  the year less the spending (and transfers) not already covered by earlier allocations.
- (f) money spent in the year, transfers to other bodies to spend included.
- (g) / (h)(i) the (e) and (f) sums by contribution purpose (the standard records no
  infrastructure project, so the purpose is the item).
- (h)(iii) money spent in the year on monitoring: spending on `monitoring-fees` contributions.
- (i) money retained at the end of the year: per contribution, received less spent,
  transferred and returned, up to the year end.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from planning_sv.core.contributions import (
    MONITORING_FEES,
    Contribution,
    ContributionsData,
    Transaction,
    format_amount,
)
from planning_sv.core.figures import format_gbp, format_number

ZERO = Decimal("0.00")
NOT_COUNTED_TYPES = frozenset({"deed-of-variation", "community-infrastructure-levy"})


@dataclass(frozen=True)
class ReportingYear:
    """A reported year: `year` 2026 runs from 1 April 2026 to 31 March 2027 inclusive."""

    year: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year + 1, 3, 31)

    @property
    def label(self) -> str:
        return f"1 April {self.year} to 31 March {self.year + 1}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @classmethod
    def containing(cls, day: dt.date) -> ReportingYear:
        """The reported year a date falls in (31 March 2027 is in 2026, 1 April in 2027)."""
        return cls(day.year if day.month >= 4 else day.year - 1)


@dataclass(frozen=True)
class NonMonetaryOutput:
    """A social value output secured in the year: a measure's quantity in one ward."""

    measure: str
    unit: str
    ward: str  # GSS code; blank for the borough-wide share
    ward_name: str
    quantity: float


@dataclass(frozen=True)
class IfsReport:
    year: ReportingYear
    organisation: str
    agreements_entered: int
    secured_in_agreements: Decimal  # (a)
    received: Decimal  # (b)
    received_before_unallocated: Decimal  # (c)
    affordable_housing_units: int  # (d)(i)
    school_places: int  # (d)(ii)
    social_value_outputs: tuple[NonMonetaryOutput, ...]  # (d) other non-monetary
    allocated_not_spent: Decimal  # (e)
    spent: Decimal  # (f), transfers included
    transferred: Decimal  # the part of (f) passed to other bodies
    allocated_not_spent_by_purpose: tuple[tuple[str, Decimal], ...]  # (g)
    spent_by_purpose: tuple[tuple[str, Decimal], ...]  # (h)(i)
    spent_on_monitoring: Decimal  # (h)(iii)
    retained: Decimal  # (i)


def _money(transactions: Iterable[Transaction], status: str, test: object) -> Decimal:
    """Σ amount of `status` transactions whose start-date passes `test` (a date predicate)."""
    total = ZERO
    for t in transactions:
        if (
            t.contribution_funding_status == status
            and t.amount is not None
            and t.start_date is not None
            and test(t.start_date)  # type: ignore[operator]
        ):
            total += t.amount
    return total


def compute_ifs(data: ContributionsData, year: int, *, organisation: str = "") -> IfsReport:
    """The section 106 report's figures for reported year `year` (see the module text)."""
    period = ReportingYear(year)
    in_year = period.__contains__

    def before(day: dt.date) -> bool:
        return day < period.start

    def to_end(day: dt.date) -> bool:
        return day <= period.end

    entered = {
        a.reference
        for a in data.agreements
        if a.start_date in period and a.developer_agreement_type not in NOT_COUNTED_TYPES
    }
    new_contributions = [c for c in data.contributions if c.developer_agreement in entered]
    secured = sum((c.amount or ZERO for c in new_contributions), ZERO)
    housing = sum(
        c.units or 0 for c in new_contributions if c.contribution_purpose == "affordable-housing"
    )
    school = sum(c.units or 0 for c in new_contributions if c.contribution_purpose == "education")

    new_refs = {c.reference for c in new_contributions}
    outputs: dict[tuple[str, str, str], list] = {}
    for s in data.social_value:
        if s.contribution in new_refs:
            key = (s.measure, s.unit, s.ward)
            entry = outputs.setdefault(key, [s.ward_name, 0.0])
            entry[1] += s.quantity
    social = tuple(
        NonMonetaryOutput(measure, unit, ward, name, round(quantity, 6))
        for (measure, unit, ward), (name, quantity) in sorted(outputs.items())
    )

    by_contribution: dict[str, list[Transaction]] = defaultdict(list)
    for t in data.transactions:
        by_contribution[t.developer_agreement_contribution].append(t)
    purposes: dict[str, Contribution] = {c.reference: c for c in data.contributions}

    received = unallocated = allocated_open = spent = transferred = monitoring = retained = ZERO
    open_by_purpose: dict[str, Decimal] = defaultdict(lambda: ZERO)
    spent_by_purpose: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for reference, rows in by_contribution.items():
        contribution = purposes.get(reference)
        purpose = contribution.contribution_purpose if contribution else "other"

        received += _money(rows, "received", in_year)

        # Committed by the year end: allocated, or spent/transferred where no allocation was
        # recorded first, plus money returned to the developer. Earliest receipts go first.
        outgoing_to_end = _money(rows, "spent", to_end) + _money(rows, "transferred", to_end)
        committed = max(_money(rows, "allocated", to_end), outgoing_to_end)
        committed += _money(rows, "returned", to_end)
        unallocated += max(ZERO, _money(rows, "received", before) - committed)

        # Spending goes first against allocations made before the year.
        allocated_in = _money(rows, "allocated", in_year)
        left_after_earlier = max(ZERO, outgoing_to_end - _money(rows, "allocated", before))
        still_open = max(ZERO, allocated_in - left_after_earlier)
        allocated_open += still_open
        if still_open:
            open_by_purpose[purpose] += still_open

        spent_here = _money(rows, "spent", in_year)
        transferred_here = _money(rows, "transferred", in_year)
        spent += spent_here + transferred_here
        transferred += transferred_here
        if spent_here + transferred_here:
            spent_by_purpose[purpose] += spent_here + transferred_here
        if purpose == MONITORING_FEES:
            monitoring += spent_here

        held = _money(rows, "received", to_end) - outgoing_to_end - _money(rows, "returned", to_end)
        retained += max(ZERO, held)

    return IfsReport(
        year=period,
        organisation=organisation,
        agreements_entered=len(entered),
        secured_in_agreements=secured,
        received=received,
        received_before_unallocated=unallocated,
        affordable_housing_units=housing,
        school_places=school,
        social_value_outputs=social,
        allocated_not_spent=allocated_open,
        spent=spent,
        transferred=transferred,
        allocated_not_spent_by_purpose=tuple(sorted(open_by_purpose.items())),
        spent_by_purpose=tuple(sorted(spent_by_purpose.items())),
        spent_on_monitoring=monitoring,
        retained=retained,
    )


IFS_COLUMNS = (
    "paragraph",
    "figure",
    "contribution-purpose",
    "measure",
    "unit",
    "ward",
    "ward-name",
    "amount",
    "units",
)


def ifs_rows(report: IfsReport) -> list[dict[str, str]]:
    """The report as CSV rows: one per figure, then one per breakdown line."""

    def row(paragraph: str, figure: str, **cells: str) -> dict[str, str]:
        return {"paragraph": paragraph, "figure": figure, **cells}

    rows = [
        row(
            "3(a)",
            "money to be provided under planning obligations entered into in the year",
            amount=format_amount(report.secured_in_agreements),
        ),
        row("3(b)", "money received in the year", amount=format_amount(report.received)),
        row(
            "3(c)",
            "money received before the year and not allocated",
            amount=format_amount(report.received_before_unallocated),
        ),
        row(
            "3(d)(i)",
            "affordable housing units to be provided under obligations entered into in the year",
            **{"contribution-purpose": "affordable-housing"},
            units=str(report.affordable_housing_units),
        ),
        row(
            "3(d)(ii)",
            "school places to be provided under obligations entered into in the year",
            **{"contribution-purpose": "education"},
            units=str(report.school_places),
        ),
    ]
    for output in report.social_value_outputs:
        rows.append(
            row(
                "3(d)",
                "social value output to be provided under obligations entered into in the year",
                measure=output.measure,
                unit=output.unit,
                ward=output.ward,
                **{"ward-name": output.ward_name},
                units=f"{output.quantity:.6f}".rstrip("0").rstrip("."),
            )
        )
    rows.append(
        row(
            "3(e)",
            "money allocated in the year and not spent",
            amount=format_amount(report.allocated_not_spent),
        )
    )
    rows.append(
        row(
            "3(f)",
            "money spent in the year (including transfers to other bodies)",
            amount=format_amount(report.spent),
        )
    )
    for purpose, amount in report.allocated_not_spent_by_purpose:
        rows.append(
            row(
                "3(g)",
                "allocated and not spent, by item",
                **{"contribution-purpose": purpose},
                amount=format_amount(amount),
            )
        )
    for purpose, amount in report.spent_by_purpose:
        rows.append(
            row(
                "3(h)(i)",
                "spent, by item",
                **{"contribution-purpose": purpose},
                amount=format_amount(amount),
            )
        )
    rows.append(
        row(
            "3(h)(iii)",
            "money spent on monitoring (including reporting under regulation 121A)",
            **{"contribution-purpose": MONITORING_FEES},
            amount=format_amount(report.spent_on_monitoring),
        )
    )
    rows.append(
        row("3(i)", "money retained at the end of the year", amount=format_amount(report.retained))
    )
    return [{column: r.get(column, "") for column in IFS_COLUMNS} for r in rows]


def ifs_text(report: IfsReport, council_name: str) -> str:
    """The section 106 report as readable text (the command line's --format text)."""
    lines = [
        f"Infrastructure Funding Statement: section 106 report, {council_name}",
        f"Reported year {report.year.label} ({report.organisation or 'no organisation code'})",
        "CIL Regulations 2010, regulation 121A and Schedule 2, paragraph 3",
        "",
    ]
    for row in ifs_rows(report):
        value = ""
        if row["amount"]:
            value = format_gbp(float(row["amount"]))
        elif row["units"]:
            value = format_number(float(row["units"]), row["unit"] or None)
        detail = ", ".join(
            part
            for part in (
                row["contribution-purpose"],
                row["measure"],
                f"{row['ward-name']} ({row['ward']})" if row["ward"] else "",
            )
            if part
        )
        label = f"{row['figure']}" + (f" [{detail}]" if detail else "")
        lines.append(f"{row['paragraph']:<10} {label}: {value or '0'}")
    return "\n".join(lines) + "\n"
