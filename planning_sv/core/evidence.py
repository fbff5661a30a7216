"""Evidence documents on a statement and what the officer's judgement of them does to a rule.

Pure: no Flask, no database. A rule with an `evidence:` requirement (local_plans/*/rules.yaml)
that the engine cannot settle from quantities is `needs_evidence`; the applicant attaches
documents, the officer marks each one accepted or insufficient with a reason, and this module
says (a) what the rule shows while that happens (`evidence_state`) and (b) which verdict the
officer's judgement records (`verdict_from_evidence`). The store writes that verdict through
the ordinary, audited verdict path (store/review.py save_verdicts), so it is the officer's
verdict, with the officer's reason, like any other.

States, each with its words for both audiences:

    no documents                     -> NONE         "No evidence supplied yet"
    any document not yet judged      -> AWAITING     "Evidence supplied – awaiting the officer"
    all judged, at least one accepted-> ACCEPTED     "Evidence accepted"
    all judged, every one insufficient -> INSUFFICIENT "Evidence insufficient – more needed"

Verdicts (engine status -> officer verdict), only once every document is judged:

    needs_evidence + ACCEPTED      -> pass, reason "Evidence accepted (file): <officer's reason>"
    needs_evidence + INSUFFICIENT  -> needs_evidence (agrees with the engine), with the reason
    fail / partial + either        -> no verdict follows: the shortfall is in the quantities,
                                      which a document cannot make up (the officer judges the
                                      rule on the review form as before)
    anything + NONE or AWAITING    -> no verdict follows yet
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from planning_sv.core.errors import InputInvalid, Problem


class Decision(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    INSUFFICIENT = "insufficient"


class EvidenceState(StrEnum):
    NONE = "none"
    AWAITING = "awaiting"
    ACCEPTED = "accepted"
    INSUFFICIENT = "insufficient"


STATE_LABELS = {
    EvidenceState.NONE: "No evidence supplied yet",
    EvidenceState.AWAITING: "Evidence supplied – awaiting the officer",
    EvidenceState.ACCEPTED: "Evidence accepted",
    EvidenceState.INSUFFICIENT: "Evidence insufficient – more needed",
}
DECISION_LABELS = {
    Decision.PENDING: "Awaiting the officer",
    Decision.ACCEPTED: "Accepted",
    Decision.INSUFFICIENT: "Insufficient",
}
# The officer's choices on the page (pending is never chosen, only the starting point).
CHOICES = (Decision.ACCEPTED, Decision.INSUFFICIENT)
MAX_REASON = 2000


@dataclass(frozen=True)
class Judged:
    """One document's standing: its name for the verdict's reason, its decision and why."""

    filename: str
    decision: Decision
    reason: str | None = None


@dataclass(frozen=True)
class FollowingVerdict:
    """The verdict the officer's judgement of the evidence records on the rule."""

    officer_status: str
    reason: str

    def decision(self, engine_status: str) -> str:
        """'agree' or 'override', as the review form (core.verdicts.make_verdict) takes it."""
        return "agree" if self.officer_status == engine_status else "override"


def evidence_state(documents: Sequence[Judged]) -> EvidenceState:
    """What a rule (or commitment) shows about its evidence."""
    if not documents:
        return EvidenceState.NONE
    if any(d.decision == Decision.PENDING for d in documents):
        return EvidenceState.AWAITING
    if any(d.decision == Decision.ACCEPTED for d in documents):
        return EvidenceState.ACCEPTED
    return EvidenceState.INSUFFICIENT


def verdict_from_evidence(
    engine_status: str, documents: Sequence[Judged]
) -> FollowingVerdict | None:
    """The officer's verdict that follows from their judgement of every document, or None
    (nothing to record: no evidence, some still awaiting, or a rule evidence cannot settle)."""
    if engine_status != "needs_evidence":
        return None
    state = evidence_state(documents)
    if state == EvidenceState.ACCEPTED:
        accepted = [d for d in documents if d.decision == Decision.ACCEPTED]
        return FollowingVerdict("pass", _reason("Evidence accepted", accepted))
    if state == EvidenceState.INSUFFICIENT:
        return FollowingVerdict("needs_evidence", _reason("Evidence insufficient", documents))
    return None


def _reason(opening: str, documents: Sequence[Judged]) -> str:
    parts = [f"{d.filename}: {d.reason}" if d.reason else d.filename for d in documents]
    return f"{opening} ({'; '.join(parts)})"[:MAX_REASON]


def check_decision(decision: str, reason: str | None) -> tuple[Decision, str]:
    """Validate the officer's judgement of one document as entered; InputInvalid names the
    field (`decision`, `reason`). A reason is always needed: it becomes the verdict's."""
    problems = []
    text = (reason or "").strip()
    chosen = next((c for c in CHOICES if c.value == decision), None)
    if chosen is None:
        problems.append(
            Problem("decision", "Choose whether the evidence is accepted or insufficient")
        )
    if not text:
        problems.append(
            Problem(
                "reason", "Enter the reason for accepting the evidence or finding it insufficient"
            )
        )
    elif len(text) > MAX_REASON:
        problems.append(Problem("reason", f"The reason must be {MAX_REASON:,} characters or fewer"))
    if problems:
        raise InputInvalid(problems)
    assert chosen is not None
    return chosen, text
