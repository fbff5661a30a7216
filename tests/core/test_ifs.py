"""Infrastructure Funding Statement, section 106 report, against a hand-worked year.

Reported year 2026 = 1 April 2026 to 31 March 2027. The fixture puts events on 31 March
2026, 1 April 2026, 31 March 2027 and 1 April 2027 so each boundary is exercised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from planning_sv.core import contributions as dc
from planning_sv.core.ifs import (
    IFS_COLUMNS,
    NonMonetaryOutput,
    ReportingYear,
    compute_ifs,
    ifs_rows,
)

ORG = "local-authority:ISL"
D = dt.date


def _agreement(ref: str, start: dt.date, kind: str = "section-106") -> dc.Agreement:
    return dc.Agreement(ref, kind, ORG, start_date=start)


def _contribution(
    ref: str, agreement: str, purpose: str, amount: str | None = None, units: int | None = None
) -> dc.Contribution:
    return dc.Contribution(
        ref,
        agreement,
        purpose,
        ORG,
        amount=None if amount is None else Decimal(amount),
        units=units,
    )


def _transaction(
    ref: str,
    contribution: str,
    status: str,
    on: dt.date,
    amount: str | None = None,
    units: int | None = None,
) -> dc.Transaction:
    return dc.Transaction(
        ref,
        contribution,
        status,
        ORG,
        amount=None if amount is None else Decimal(amount),
        units=units,
        start_date=on,
    )


def _year() -> dc.ContributionsData:
    agreements = (
        _agreement("A1", D(2026, 4, 1)),  # first day: in the year
        _agreement("A2", D(2027, 3, 31)),  # last day: in the year
        _agreement("A3", D(2026, 3, 31)),  # the day before: the previous year
        _agreement("A4", D(2026, 6, 1), "deed-of-variation"),  # varies, not new
        _agreement("A5", D(2027, 4, 1)),  # the day after: the next year
    )
    contributions = (
        _contribution("C1", "A1", "education", "100000", units=30),
        _contribution("C2", "A1", "affordable-housing", units=12),
        _contribution("C3", "A1", "monitoring-fees", "2000"),
        _contribution("C4", "A1", "economic-development", units=20),
        _contribution("C5", "A2", "open-space", "50000"),
        _contribution("C6", "A3", "highways", "80000"),
        _contribution("C7", "A4", "transport", "5000"),
        _contribution("C8", "A5", "health", "7000"),
    )
    transactions = (
        _transaction("T1", "C6", "received", D(2026, 3, 31), "80000"),
        _transaction("T2", "C6", "allocated", D(2026, 2, 1), "30000"),
        _transaction("T3", "C6", "allocated", D(2026, 9, 1), "20000"),
        _transaction("T4", "C6", "spent", D(2026, 10, 1), "25000"),
        _transaction("T5", "C6", "spent", D(2027, 4, 1), "10000"),
        _transaction("T6", "C1", "received", D(2026, 4, 1), "100000"),
        _transaction("T7", "C1", "transferred", D(2027, 3, 31), "40000"),
        _transaction("T8", "C3", "received", D(2026, 5, 1), "2000"),
        _transaction("T9", "C3", "spent", D(2026, 5, 2), "2000"),
        _transaction("T10", "C5", "secured", D(2027, 3, 31), "50000"),
        _transaction("T11", "C4", "received", D(2026, 12, 1), units=5),
        _transaction("T12", "C7", "received", D(2027, 4, 1), "5000"),
    )
    social = (
        dc.SocialValueDetail(
            "C4", "local_employment", "fte_years", 12.0, "E05000367", "Bunhill", 0.6
        ),
        dc.SocialValueDetail(
            "C4", "local_employment", "fte_years", 8.0, "E05000368", "Caledonian", 0.4
        ),
        # secured under an agreement of the previous year: not in this year's (d)
        dc.SocialValueDetail("C6", "apprenticeship", "starts", 3.0, "E05000367", "Bunhill", 1.0),
    )
    return dc.ContributionsData(agreements, contributions, transactions, social)


def test_reporting_year_boundaries() -> None:
    year = ReportingYear(2026)
    assert (year.start, year.end) == (D(2026, 4, 1), D(2027, 3, 31))
    assert D(2026, 3, 31) not in year
    assert D(2026, 4, 1) in year
    assert D(2027, 3, 31) in year
    assert D(2027, 4, 1) not in year
    assert ReportingYear.containing(D(2027, 3, 31)) == year
    assert ReportingYear.containing(D(2027, 4, 1)) == ReportingYear(2027)
    assert year.label == "1 April 2026 to 31 March 2027"


def test_section_106_report_for_the_hand_worked_year() -> None:
    report = compute_ifs(_year(), 2026, organisation=ORG)
    # (a) A1 and A2 only: C1 100,000 + C3 2,000 + C5 50,000 (A4 is a variation, A3/A5 other years)
    assert report.agreements_entered == 2
    assert report.secured_in_agreements == Decimal("152000.00")
    # (b) T6 100,000 (1 April 2026) + T8 2,000; T1 (31 March 2026) and T12 (1 April 2027) are out
    assert report.received == Decimal("102000.00")
    # (c) C6: 80,000 received before the year, 50,000 allocated by its end -> 30,000
    assert report.received_before_unallocated == Decimal("30000.00")
    # (d) from A1/A2 contributions only
    assert report.affordable_housing_units == 12
    assert report.school_places == 30
    assert report.social_value_outputs == (
        NonMonetaryOutput("local_employment", "fte_years", "E05000367", "Bunhill", 12.0),
        NonMonetaryOutput("local_employment", "fte_years", "E05000368", "Caledonian", 8.0),
    )
    # (e) C6: 20,000 allocated in the year; the 25,000 spent is covered by the 30,000 earlier
    assert report.allocated_not_spent == Decimal("20000.00")
    assert report.allocated_not_spent_by_purpose == (("highways", Decimal("20000.00")),)
    # (f) T4 25,000 + T9 2,000 + T7 40,000 transferred on 31 March 2027; T5 is next year
    assert report.spent == Decimal("67000.00")
    assert report.transferred == Decimal("40000.00")
    assert report.spent_by_purpose == (
        ("education", Decimal("40000.00")),
        ("highways", Decimal("25000.00")),
        ("monitoring-fees", Decimal("2000.00")),
    )
    # (h)(iii) T9
    assert report.spent_on_monitoring == Decimal("2000.00")
    # (i) C6 80,000 - 25,000 + C1 100,000 - 40,000 + C3 0; T12 after the year end
    assert report.retained == Decimal("115000.00")


def test_money_returned_is_neither_unallocated_nor_retained() -> None:
    data = dc.ContributionsData(
        agreements=(_agreement("A", D(2025, 5, 1)),),
        contributions=(_contribution("C", "A", "transport", "1000"),),
        transactions=(
            _transaction("R", "C", "received", D(2025, 5, 1), "1000"),
            _transaction("B", "C", "returned", D(2026, 6, 1), "400"),
        ),
    )
    report = compute_ifs(data, 2026)
    assert report.received_before_unallocated == Decimal("600.00")
    assert report.retained == Decimal("600.00")
    assert report.received == Decimal("0.00")
    assert report.secured_in_agreements == Decimal("0.00")  # entered in 2025


def test_ifs_csv_rows() -> None:
    rows = ifs_rows(compute_ifs(_year(), 2026, organisation=ORG))
    text = dc.csv_text(IFS_COLUMNS, rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == (
        "paragraph,figure,contribution-purpose,measure,unit,ward,ward-name,amount,units"
    )
    by_paragraph = {(r["paragraph"], r["contribution-purpose"], r["ward"]): r for r in parsed}
    assert by_paragraph[("3(a)", "", "")]["amount"] == "152000.00"
    assert by_paragraph[("3(b)", "", "")]["amount"] == "102000.00"
    assert by_paragraph[("3(c)", "", "")]["amount"] == "30000.00"
    assert by_paragraph[("3(d)(i)", "affordable-housing", "")]["units"] == "12"
    assert by_paragraph[("3(d)(ii)", "education", "")]["units"] == "30"
    assert by_paragraph[("3(d)", "", "E05000367")]["units"] == "12"
    assert by_paragraph[("3(d)", "", "E05000368")]["measure"] == "local_employment"
    assert by_paragraph[("3(e)", "", "")]["amount"] == "20000.00"
    assert by_paragraph[("3(f)", "", "")]["amount"] == "67000.00"
    assert by_paragraph[("3(g)", "highways", "")]["amount"] == "20000.00"
    assert by_paragraph[("3(h)(i)", "education", "")]["amount"] == "40000.00"
    assert by_paragraph[("3(h)(iii)", "monitoring-fees", "")]["amount"] == "2000.00"
    assert by_paragraph[("3(i)", "", "")]["amount"] == "115000.00"
    assert len(parsed) == 15
