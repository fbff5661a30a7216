"""Issue 12, the officer's review in the core: the summary of a record, its unverified
figures, the four-eyes rule and ward corrections applied to a record (values by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from planning_sv.core.assessment import parse_assessment
from planning_sv.core.errors import InputInvalid
from planning_sv.core.verdicts import (
    STATUS_CHOICES,
    Verdict,
    make_verdict,
    review_summary,
    unverified_figures,
)
from planning_sv.core.ward_corrections import WardCorrection, apply_ward_corrections
from planning_sv.core.workflow import IllegalTransition, four_eyes_refusal, transition

A, B, C = "E05000001", "E05000002", "E05000003"
NAMES = {A: "Alpha", B: "Beta", C: "Gamma"}


def _parameter(name: str, confidence: str, value: float = 1.0) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "from": "2025-04-30",
        "unit": "placements per £1m",
        "description": f"{name} described",
        "confidence": confidence,
        "reference": {"document": "SPD 2016"},
    }


def _rule(
    rule_id: str, status: str, shortfall: float | None, parameters: list[Any]
) -> dict[str, Any]:
    return {
        "id": rule_id,
        "title": f"Rule {rule_id}",
        "citation": {"document": "Plan"},
        "status": status,
        "required": None,
        "proposed": None,
        "shortfall": shortfall,
        "unit": "placements",
        "explanation": "",
        "inputs": {},
        "parameters": parameters,
        "counted": [],
        "excluded": [],
    }


def _commitment(
    cid: str, method: str, wards: list[tuple[str, float]], gbp: float
) -> dict[str, Any]:
    return {
        "id": cid,
        "measure": "volunteering",
        "quantity": 10.0,
        "unit": "hours",
        "wards": [{"code": c, "name": NAMES[c], "share": s} for c, s in wards],
        "method": method,
        "vintage": "2025",
        "local": True,
        "local_reason": "inside the borough",
        "value_gbp": gbp,
        "point": [-0.1, 51.5],
    }


def _valued(
    cid: str, method: str, wards: list[tuple[str, float, float]], gbp: float
) -> dict[str, Any]:
    return {
        "id": cid,
        "measure": "volunteering",
        "label": "Volunteering",
        "theme": "social",
        "quantity": 10.0,
        "unit": "hours",
        "counted_quantity": 10.0,
        "valued_quantity": 10.0,
        "valued_unit": "hours",
        "gbp_per_unit": None,
        "price_year": 2024,
        "gbp": gbp,
        "conversion": None,
        "local": True,
        "local_economic": False,
        "capped": False,
        "explanation": None,
        "row": None,
        "wards": [{"code": c, "name": NAMES[c], "share": s, "gbp": g} for c, s, g in wards],
        "borough_wide": method == "borough",
    }


def _record() -> Any:
    """c1: £600 placed by a point in Alpha; c2: £1,000 borough-wide, 60/40 Alpha/Beta."""
    return parse_assessment(
        {
            "schema": "planning-sv/assessment@1",
            "council": "testshire",
            "council_name": "Testshire",
            "pack_version": "1",
            "assessed_on": "2026-01-01",
            "generated_at": "2026-01-01T09:00:00+00:00",
            "site": {
                "method": "polygon",
                "vintage": "2025",
                "wards": [{"code": A, "name": "Alpha", "share": 1.0}],
                "inside_council": True,
                "outside_share": 0.0,
            },
            "rules": [
                _rule("R1", "pass", None, [_parameter("p_verified", "verified")]),
                _rule("R2", "fail", 25.0, [_parameter("p_one", "unverified", 1.0)]),
                _rule(
                    "R3",
                    "needs_evidence",
                    None,
                    [_parameter("p_one", "unverified", 1.0), _parameter("p_two", "unverified", 26)],
                ),
                _rule("R4", "fail", 0.0, []),
            ],
            "commitments": [
                _commitment("c1", "point", [(A, 1.0)], 600.0),
                _commitment("c2", "borough", [], 1000.0),
            ],
            "social_value": {
                "value_set": {
                    "name": "open",
                    "version": 1,
                    "licence": "OGL",
                    "owner": "tests",
                    "council": None,
                    "target_price_year": None,
                },
                "currency": "GBP",
                "price_years": [2024],
                "total_gbp": 1600.0,
                "local_gbp": 0.0,
                "by_ward": [
                    {"code": A, "name": "Alpha", "gbp": 1200.0, "borough_wide_gbp": 600.0},
                    {"code": B, "name": "Beta", "gbp": 400.0, "borough_wide_gbp": 400.0},
                ],
                "by_ward_basis": "by hand",
                "unplaced_gbp": 0.0,
                "by_theme": {"social": 1600.0},
                "build_cost_gbp": 1_000_000.0,
                "per_million_build_cost": 1600.0,
                "commitments": [
                    _valued("c1", "point", [(A, 1.0, 600.0)], 600.0),
                    _valued("c2", "borough", [(A, 0.6, 600.0), (B, 0.4, 400.0)], 1000.0),
                ],
                "unvalued": [],
                "notes": [],
            },
            "summary": {
                "total": 4,
                "pass": 1,
                "partial": 0,
                "fail": 2,
                "not_applicable": 0,
                "needs_evidence": 1,
            },
        }
    )


def test_review_summary_counts_progress_and_shortfalls() -> None:
    verdicts = {
        "R2": Verdict("R2", "fail", "partial", "Fee agreed"),
        "R1": Verdict("R1", "pass", "pass"),
    }
    summary = review_summary(_record(), verdicts)
    assert summary.engine_counts == {
        "pass": 1,
        "partial": 0,
        "fail": 2,
        "not_applicable": 0,
        "needs_evidence": 1,
    }
    assert summary.final_counts == {
        "pass": 1,
        "partial": 1,
        "fail": 1,
        "not_applicable": 0,
        "needs_evidence": 1,
    }
    assert summary.reviewed == ("R1", "R2")
    assert summary.unreviewed == ("R3", "R4")
    assert summary.overridden == ("R2",)
    assert summary.shortfalls == (("R2", "Rule R2", 25.0, "placements"),)  # R4's 0 is none
    assert summary.total == 4


def test_unverified_figures_are_listed_once_with_every_rule_using_them() -> None:
    figures = unverified_figures(_record())
    assert [(f.name, f.value, f.rule_ids, f.document) for f in figures] == [
        ("p_one", 1.0, ("R2", "R3"), "SPD 2016"),
        ("p_two", 26, ("R3",), "SPD 2016"),
    ]


def test_override_messages_are_plain_sentences() -> None:
    assert STATUS_CHOICES == "met, partly met, not met, not applicable or needs evidence"
    with pytest.raises(InputInvalid) as caught:
        make_verdict("R2", "fail", "override", None, None, field="rules[R2]")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (
            "rules[R2].status",
            "Choose whether the rule is met, partly met, not met, not applicable or needs evidence",
        ),
        ("rules[R2].reason", "Enter your reason for overriding the result for R2"),
    ]
    with pytest.raises(InputInvalid) as caught:
        make_verdict("R2", "fail", "override", "fail", "why", field="rules[R2]")
    assert caught.value.problems[0].message == (
        "The engine already says not met: choose a different result to override, or choose agree"
    )


def test_four_eyes_is_one_rule() -> None:
    assert four_eyes_refusal("sign_off", 7, 7) == (
        "You recommended this statement, so another senior officer must sign it off"
    )
    assert four_eyes_refusal("sign_off", 8, 7) is None
    assert four_eyes_refusal("sign_off", 7, None) is None
    assert four_eyes_refusal("return", 7, 7) is None  # the recommender may still return it
    with pytest.raises(IllegalTransition) as caught:
        transition("submitted", "approve", "officer")
    assert str(caught.value) == "You cannot record approval while the statement is submitted"
    with pytest.raises(IllegalTransition) as caught:
        transition("under_review", "request_changes", "officer", " ")
    assert caught.value.missing_reason


def test_a_point_commitment_moves_wholly_to_the_corrected_ward() -> None:
    record = _record()
    fixed = apply_ward_corrections(record, [WardCorrection("c1", B, "Beta", "on the site")])
    c1 = fixed.commitments[0]
    assert [(w.code, w.name, w.share) for w in c1.wards] == [(B, "Beta", 1.0)]
    assert c1.method == "officer"  # its point (in Alpha) is no longer drawn as where it is
    valued = fixed.valued("c1")
    assert valued is not None
    assert [(w.code, w.gbp) for w in valued.wards] == [(B, 600.0)]
    assert fixed.social_value is not None
    # Alpha 1,200 - 600 = 600 (only c2's share left); Beta 400 + 600 = 1,000.
    assert [(w.code, w.gbp, w.borough_wide_gbp) for w in fixed.social_value.by_ward] == [
        (B, 1000.0, 400.0),
        (A, 600.0, 600.0),
    ]
    assert fixed.social_value.total_gbp == 1600.0
    # The stored record itself is untouched.
    assert [w.code for w in record.commitments[0].wards] == [A]
    assert record.social_value is not None and record.social_value.by_ward[0].gbp == 1200.0


def test_a_borough_wide_commitment_corrected_to_one_ward_is_no_longer_shared() -> None:
    fixed = apply_ward_corrections(
        _record(),
        [
            WardCorrection("c2", B, "Beta", "first"),
            WardCorrection("c2", C, "Gamma", "the latest correction counts"),
            WardCorrection("c9", A, "Alpha", "another version's commitment: ignored"),
        ],
    )
    c2 = fixed.commitments[1]
    assert [(w.code, w.share) for w in c2.wards] == [(C, 1.0)]
    valued = fixed.valued("c2")
    assert valued is not None and not valued.borough_wide
    assert fixed.social_value is not None
    # Alpha 1,200 - 600 = 600 (c1), Beta 400 - 400 = 0 (dropped), Gamma 0 + 1,000.
    assert [(w.code, w.gbp, w.borough_wide_gbp) for w in fixed.social_value.by_ward] == [
        (C, 1000.0, 0.0),
        (A, 600.0, 0.0),
    ]


def test_no_corrections_is_the_same_record() -> None:
    record = _record()
    assert apply_ward_corrections(record, []) is record
