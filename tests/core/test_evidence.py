"""core/evidence.py: what a rule shows about its evidence, and the verdict that follows the
officer's judgement, at each state (hand-worked from the table in the module's docstring)."""

from __future__ import annotations

import pytest

from planning_sv.core.errors import InputInvalid
from planning_sv.core.evidence import (
    STATE_LABELS,
    Decision,
    EvidenceState,
    FollowingVerdict,
    Judged,
    check_decision,
    evidence_state,
    verdict_from_evidence,
)

PENDING = Judged("strategy.pdf", Decision.PENDING)
ACCEPTED = Judged("strategy.pdf", Decision.ACCEPTED, "Names the Code of Local Procurement")
INSUFFICIENT = Judged("draft.docx", Decision.INSUFFICIENT, "Only a cover page")
INSUFFICIENT_2 = Judged("plan.pdf", Decision.INSUFFICIENT, "Not for this site")


@pytest.mark.parametrize(
    ("documents", "state", "label"),
    [
        ([], EvidenceState.NONE, "No evidence supplied yet"),
        ([PENDING], EvidenceState.AWAITING, "Evidence supplied – awaiting the officer"),
        ([ACCEPTED, PENDING], EvidenceState.AWAITING, "Evidence supplied – awaiting the officer"),
        ([ACCEPTED], EvidenceState.ACCEPTED, "Evidence accepted"),
        ([INSUFFICIENT, ACCEPTED], EvidenceState.ACCEPTED, "Evidence accepted"),
        ([INSUFFICIENT], EvidenceState.INSUFFICIENT, "Evidence insufficient – more needed"),
        (
            [INSUFFICIENT, INSUFFICIENT_2],
            EvidenceState.INSUFFICIENT,
            "Evidence insufficient – more needed",
        ),
    ],
)
def test_state_at_each_stage(documents: list[Judged], state: EvidenceState, label: str) -> None:
    assert evidence_state(documents) == state
    assert STATE_LABELS[state] == label


def test_accepted_evidence_on_a_needs_evidence_rule_becomes_a_pass() -> None:
    following = verdict_from_evidence("needs_evidence", [INSUFFICIENT, ACCEPTED])
    assert following == FollowingVerdict(
        "pass", "Evidence accepted (strategy.pdf: Names the Code of Local Procurement)"
    )
    assert following.decision("needs_evidence") == "override"


def test_insufficient_evidence_leaves_the_rule_needing_evidence() -> None:
    following = verdict_from_evidence("needs_evidence", [INSUFFICIENT, INSUFFICIENT_2])
    assert following == FollowingVerdict(
        "needs_evidence",
        "Evidence insufficient (draft.docx: Only a cover page; plan.pdf: Not for this site)",
    )
    # The officer agrees with the engine: the requirement stands.
    assert following.decision("needs_evidence") == "agree"


@pytest.mark.parametrize("documents", [[], [PENDING], [ACCEPTED, PENDING]])
def test_no_verdict_while_nothing_or_something_awaits(documents: list[Judged]) -> None:
    assert verdict_from_evidence("needs_evidence", documents) is None


@pytest.mark.parametrize("engine", ["fail", "partial", "pass", "not_applicable"])
def test_a_document_cannot_make_up_a_quantity(engine: str) -> None:
    # A rule that fails on quantities stays as the officer judges it on the review form.
    assert verdict_from_evidence(engine, [ACCEPTED]) is None
    assert verdict_from_evidence(engine, [INSUFFICIENT]) is None


def test_reason_is_bounded() -> None:
    long = Judged("a.pdf", Decision.ACCEPTED, "x" * 3000)
    following = verdict_from_evidence("needs_evidence", [long])
    assert following is not None
    assert len(following.reason) == 2000
    assert following.reason.startswith("Evidence accepted (a.pdf: xxx")


def test_check_decision_names_each_field() -> None:
    assert check_decision("accepted", "  Fine  ") == (Decision.ACCEPTED, "Fine")
    assert check_decision("insufficient", "No") == (Decision.INSUFFICIENT, "No")
    with pytest.raises(InputInvalid) as caught:
        check_decision("pending", "")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("decision", "Choose whether the evidence is accepted or insufficient"),
        ("reason", "Enter the reason for accepting the evidence or finding it insufficient"),
    ]
    with pytest.raises(InputInvalid) as caught:
        check_decision("accepted", "y" * 2001)
    assert [p.path for p in caught.value.problems] == ["reason"]
    assert caught.value.problems[0].message == "The reason must be 2,000 characters or fewer"
