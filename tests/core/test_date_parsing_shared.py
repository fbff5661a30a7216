"""Typed dates are read in one place (core/figures.py `day_fields`): the contributions
importer keeps its own messages and midnight-suffix handling on top of it."""

from __future__ import annotations

import datetime as dt

import pytest

from planning_sv.core import contributions as dc
from planning_sv.core.figures import day_fields, parse_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31", (2026, 3, 31)),
        ("2026-3-31", (2026, 3, 31)),
        ("31/3/2026", (2026, 3, 31)),
        ("31 3 2026", (2026, 3, 31)),
        ("31 March 2026", (2026, 3, 31)),
        ("31 mar 2026", (2026, 3, 31)),
        # The shape only: the calendar is the caller's check.
        ("31/2/2026", (2026, 2, 31)),
        ("1/13/2026", (2026, 13, 1)),
        ("31/3/26", None),
        ("31 Marchember 2026", None),
        ("²/3/2026", None),
        ("next week", None),
        ("", None),
    ],
)
def test_day_fields_reads_the_shape(text: str, expected: tuple[int, int, int] | None) -> None:
    assert day_fields(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-3-31", dt.date(2026, 3, 31)),
        (" 31 March 2026 ", dt.date(2026, 3, 31)),
        ("31/2/2026", None),
        ("99999999999999999999/3/2026", None),  # overflows the date type: not a date
    ],
)
def test_parse_day_checks_the_calendar(text: str, expected: dt.date | None) -> None:
    assert parse_day(text) == expected


def test_contributions_dates_use_the_shared_reading() -> None:
    assert dc.parse_date("31 March 2027") == dt.date(2027, 3, 31)
    assert dc.parse_date("2027-3-31 00:00:00") == dt.date(2027, 3, 31)
    assert dc.parse_date("31.03.2027T00:00") == dt.date(2027, 3, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/03/27", "'31/03/27' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        ("soon", "'soon' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        ("31/02/2027", "'31/02/2027' is not a date on the calendar"),
        ("2027-13-01", "'2027-13-01' is not a date on the calendar"),
        (
            "99999999999999999999/3/2027",
            "'99999999999999999999/3/2027' is not a date on the calendar",
        ),
    ],
)
def test_contributions_dates_keep_their_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        dc.parse_date(text)
    assert str(caught.value) == message
