"""Case management, the pure part (core/cases.py): target dates, overdue, search terms; and
the plan.yaml `case_target` key (core/plans.py)."""

from __future__ import annotations

import datetime as dt

from planning_sv.core import cases
from planning_sv.core.plans import load_plans


def test_target_date_runs_from_the_validation_date() -> None:
    # Validated Monday 2 March 2026; 91 days (13 weeks) later is Monday 1 June 2026.
    start = cases.target_start(dt.date(2026, 3, 2), dt.datetime(2026, 4, 10, 9, 0, tzinfo=dt.UTC))
    assert start == dt.date(2026, 3, 2)
    assert cases.target_date(start, cases.CaseTarget(days=91, citation="x")) == dt.date(2026, 6, 1)


def test_target_date_falls_back_to_the_first_submission_date() -> None:
    start = cases.target_start(None, dt.datetime(2026, 4, 10, 23, 59, tzinfo=dt.UTC))
    assert start == dt.date(2026, 4, 10)
    # The default period: 56 days (8 weeks) -> 5 June 2026 (April has 30 days: 20 + 31 + 5).
    assert cases.target_date(start, cases.CaseTarget()) == dt.date(2026, 6, 5)
    assert cases.CaseTarget().days == cases.DEFAULT_TARGET_DAYS == 56


def test_overdue_from_the_day_after_the_target_date_and_only_while_open() -> None:
    target = dt.date(2026, 6, 1)
    assert not cases.is_overdue(target, "under_review", dt.date(2026, 6, 1))  # on the day
    assert cases.is_overdue(target, "under_review", dt.date(2026, 6, 2))  # the day after
    assert not cases.is_overdue(target, "approved", dt.date(2026, 7, 1))  # decided
    assert not cases.is_overdue(target, "withdrawn", dt.date(2026, 7, 1))
    assert not cases.is_overdue(None, "submitted", dt.date(2026, 7, 1))
    assert cases.days_left(target, dt.date(2026, 5, 29)) == 3
    assert cases.days_left(target, dt.date(2026, 6, 4)) == -3


def test_terms_cover_reference_address_postcode_and_organisation() -> None:
    terms = cases.statement_terms(
        "P2025/1234/FUL",
        "Land at Holloway Road, London",
        "N7 9SL",
        ["Holloway Developments Ltd", "Ada Example", "ada@firm.example"],
    )
    for expected in (
        "p2025",
        "1234",
        "ful",
        "p20251234ful",  # the reference run together
        "holloway",
        "road",
        "n79sl",  # the postcode without its space
        "developments",
        "ada",
        "firm",
    ):
        assert expected in terms
    assert len(terms) == len(set(terms))  # no duplicates (holloway appears twice)


def test_query_terms_keep_a_postcode_whole_and_drop_punctuation() -> None:
    assert cases.query_terms("N7 9SL") == ["n79sl"]
    assert cases.query_terms("  P2025/1234 ") == ["p2025", "1234"]
    assert cases.query_terms("Holloway  n7 9sl") == ["n79sl", "holloway"]
    assert cases.query_terms("café") == ["cafe"]  # accents folded as stored
    assert cases.query_terms("!!!") == []
    assert len(cases.query_terms("a b c d e f g h")) == cases.MAX_QUERY_TERMS


def test_prefix_bounds_cover_exactly_the_terms_starting_with_the_prefix() -> None:
    low, high = cases.prefix_bounds("hol")
    inside = ["hol", "holloway", "holz", "hol9"]
    outside = ["ho", "hom", "hola"[:2], "hp", "h"]
    assert all(low <= t < high for t in inside)
    assert not any(low <= t < high for t in outside)


def test_each_model_council_sets_its_target_period_with_a_citation() -> None:
    plans = load_plans()
    for council in ("islington", "salford"):
        target = plans[council].case_target
        assert target.days == 91  # 13 weeks: major development, DMPO 2015 art. 34(2)(b)
        assert "article 34(2)(b)" in target.citation
