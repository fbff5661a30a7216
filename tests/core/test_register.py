"""A council's planning register (core/register.py): reference shapes, register links, the
checks a plan.yaml entry gets, and the two shipped councils' entries."""

from __future__ import annotations

import pytest

from planning_sv.core.plans import load_plans
from planning_sv.core.register import PlanningRegister, reference_notice, register_problems

ISLINGTON = PlanningRegister(
    reference_pattern=r"P\d{4}/\d{4,5}/[A-Z0-9]{2,8}",
    reference_example="P2025/1234/FUL",
    url_template="https://register.example.gov.uk/search?ref={reference}",
    name="the test register",
)


@pytest.mark.parametrize(
    ("reference", "fits"),
    [
        ("P2025/1234/FUL", True),
        ("  p2017/3454/ful ", True),  # as typed: spaces around and lower case are fine
        ("P2025/12345/S73", True),
        ("P/1", False),
        ("2025/1234/FUL", False),
        ("P2025/1234/FUL/extra", False),  # the whole reference must fit
        ("", False),
        (None, False),
    ],
)
def test_references_fit_the_councils_shape(reference: str | None, fits: bool) -> None:
    assert ISLINGTON.matches(reference) is fits


def test_the_register_link_is_built_only_from_a_fitting_reference_and_encoded() -> None:
    # "/" is percent-encoded (%2F), so the reference stays one query value.
    assert ISLINGTON.url(" P2025/1234/FUL") == (
        "https://register.example.gov.uk/search?ref=P2025%2F1234%2FFUL"
    )
    assert ISLINGTON.url('P/1"><script>') is None
    assert ISLINGTON.url(None) is None


def test_the_notice_names_the_example_and_says_nothing_when_it_fits() -> None:
    assert reference_notice(ISLINGTON, "P2025/1234/FUL", "Islington") is None
    assert reference_notice(ISLINGTON, "", "Islington") is None
    assert reference_notice(None, "anything", "Islington") is None
    assert reference_notice(ISLINGTON, "ABC-1", "Islington") == (
        "'ABC-1' does not have the shape of Islington's application references (like "
        "P2025/1234/FUL). Check it against the council's letter or register: the statement "
        "cannot link to the application until it matches."
    )


def test_plan_entries_are_checked() -> None:
    good = {
        "reference_pattern": r"\d{2}/\d{5}/[A-Z]+",
        "reference_example": "25/81234/FUL",
        "url_template": "https://pa.example.gov.uk/app?ref={reference}",
    }
    assert register_problems(good, "x") == []
    bad = {
        "reference_pattern": r"(\d{2}",
        "reference_example": "25/81234/FUL",
        "url_template": "http://pa.example.gov.uk/app?ref={ref}",
    }
    found = {(p.path, p.message.split(":")[0]) for p in register_problems(bad, "x")}
    assert found == {
        ("x.reference_pattern", "not a regular expression"),
        ("x.url_template", "must be an https"),
        ("x.url_template", "must contain {reference} once and no other braces"),
    }
    mismatch = dict(good, reference_example="FUL/25")
    assert [(p.path, p.message) for p in register_problems(mismatch, "x")] == [
        ("x.reference_example", "'FUL/25' does not match reference_pattern")
    ]


def test_the_shipped_councils_set_their_register() -> None:
    plans = load_plans()
    islington = plans["islington"].planning_register
    salford = plans["salford"].planning_register
    assert islington is not None and salford is not None
    assert islington.matches("P2017/3454/FUL")  # from an Islington committee report
    assert not islington.matches("25/81234/FUL")
    assert salford.matches("25/81234/FUL")
    assert not salford.matches("P2017/3454/FUL")
    assert (islington.url("P2017/3454/FUL") or "").endswith("=P2017%2F3454%2FFUL")
    assert (salford.url("25/81234/FUL") or "").startswith("https://")
