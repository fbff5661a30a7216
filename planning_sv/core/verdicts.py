"""An officer's verdict on one rule result: agree with the engine, or override it with a reason.

The engine's status and the officer's are both kept; the officer's (when given) is the one
that counts for the recommendation, the committee report and the heads of terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planning_sv.core.assessment import AssessmentRecord, RuleResultOut
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.rules.model import STATUSES

DECISIONS = ("agree", "override")
# Plain words for the engine's statuses, on every officer page and in the committee table.
STATUS_LABELS = {
    "pass": "Met",
    "partial": "Partly met",
    "fail": "Not met",
    "not_applicable": "Not applicable",
    "needs_evidence": "Needs evidence",
}
# The choices in a sentence, for messages: "met, partly met, not met, not applicable or ..."
STATUS_CHOICES = (
    ", ".join(STATUS_LABELS[s].lower() for s in STATUSES[:-1])
    + f" or {STATUS_LABELS[STATUSES[-1]].lower()}"
)
MAX_TEXT = 5000


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    engine_status: str
    officer_status: str
    reason: str | None = None
    comment: str | None = None

    @property
    def overridden(self) -> bool:
        return self.officer_status != self.engine_status


def make_verdict(
    rule_id: str,
    engine_status: str,
    decision: str,
    override_status: str | None = None,
    reason: str | None = None,
    comment: str | None = None,
    *,
    field: str = "verdict",
) -> Verdict:
    """Validate one verdict as entered; InputInvalid names each bad field (`{field}.reason`).

    An override must change the status and must say why: a silent override could not be
    defended at committee or audited later.
    """
    reason = (reason or "").strip() or None
    comment = (comment or "").strip() or None
    problems: list[Problem] = []
    if decision not in DECISIONS:
        problems.append(
            Problem(
                f"{field}.decision",
                f"Choose whether you agree with the result for {rule_id} or override it",
            )
        )
    elif decision == "override":
        if override_status not in STATUSES:
            problems.append(
                Problem(f"{field}.status", f"Choose whether the rule is {STATUS_CHOICES}")
            )
        elif override_status == engine_status:
            label = STATUS_LABELS.get(engine_status, engine_status).lower()
            problems.append(
                Problem(
                    f"{field}.status",
                    f"The engine already says {label}: choose a different result to override, "
                    "or choose agree",
                )
            )
        if reason is None:
            problems.append(
                Problem(
                    f"{field}.reason", f"Enter your reason for overriding the result for {rule_id}"
                )
            )
    for name, text in (("reason", reason), ("comment", comment)):
        if text is not None and len(text) > MAX_TEXT:
            problems.append(
                Problem(f"{field}.{name}", f"The {name} must be {MAX_TEXT:,} characters or fewer")
            )
    if problems:
        raise InputInvalid(problems)
    officer_status = override_status if decision == "override" else engine_status
    assert officer_status is not None  # checked above; narrows the type
    return Verdict(rule_id, engine_status, officer_status, reason, comment)


def final_status(rule: RuleResultOut, verdicts: Mapping[str, Verdict]) -> str:
    """The status that counts: the officer's verdict if recorded, else the engine's."""
    verdict = verdicts.get(rule.id)
    return verdict.officer_status if verdict is not None else rule.status


@dataclass(frozen=True)
class CarriedVerdict:
    """A verdict from the previous version, re-expressed against this version's engine result.

    It pre-fills the officer's form and is shown as "carried forward from version N"; it is
    not a verdict on this version until the officer saves it (see docs/OFFICER.md).
    """

    rule_id: str
    from_version: int
    previous: Verdict  # as recorded on the previous version
    engine_status: str  # the engine's result on this version
    decision: str  # agree | override: what the form is pre-filled with
    status: str | None  # the status to override to (override only)
    reason: str | None
    comment: str | None

    @property
    def engine_changed(self) -> bool:
        """The engine's result differs from the previous version's: worth a second look."""
        return self.previous.engine_status != self.engine_status


def carry_forward(previous: Verdict, engine_status: str, from_version: int) -> CarriedVerdict:
    """The previous version's verdict as a pre-filled verdict on the new version.

    An agreement stays an agreement (the officer accepted the engine's reading, and the new
    result is the engine's reading of the changed statement). An override keeps its status
    and reason; if the engine now gives that status itself, it becomes an agreement, since
    an override must change the status (make_verdict refuses one that does not).
    """
    if previous.overridden and previous.officer_status != engine_status:
        return CarriedVerdict(
            previous.rule_id,
            from_version,
            previous,
            engine_status,
            "override",
            previous.officer_status,
            previous.reason,
            previous.comment,
        )
    return CarriedVerdict(
        previous.rule_id,
        from_version,
        previous,
        engine_status,
        "agree",
        None,
        None if previous.overridden else previous.reason,
        previous.comment,
    )


# --- the review page's summary and flags (from the typed record) -------------------------


@dataclass(frozen=True)
class UnverifiedFigure:
    """A rule parameter the rule pack marks `confidence: unverified`, as used in a result.

    The officer must acknowledge each before recommending: the figure was not read in the
    policy document, so the result that rests on it may be wrong.
    """

    name: str
    description: str
    value: float | int | str | bool
    unit: str
    rule_ids: tuple[str, ...]
    document: str | None


def unverified_figures(record: AssessmentRecord) -> list[UnverifiedFigure]:
    """Every unverified parameter the record's rule results used, once each, in rule order."""
    found: dict[str, UnverifiedFigure] = {}
    for rule in record.rules:
        for parameter in rule.parameters:
            if parameter.confidence != "unverified":
                continue
            known = found.get(parameter.name)
            rule_ids = (known.rule_ids if known else ()) + (rule.id,)
            document = parameter.reference.get("document")
            found[parameter.name] = UnverifiedFigure(
                name=parameter.name,
                description=parameter.description,
                value=parameter.value,
                unit=parameter.unit,
                rule_ids=tuple(dict.fromkeys(rule_ids)),
                document=str(document) if document else None,
            )
    designation = _designation_to_confirm(record)
    if designation is not None:
        found[designation.name] = designation
    return list(found.values())


SITE_DESIGNATION = "site_designation"


def _designation_to_confirm(record: AssessmentRecord) -> UnverifiedFigure | None:
    """The site's designation, which the applicant chose and the officer must confirm before
    recommending, when a rule's result depended on it."""
    chosen = record.designation.chosen if record.designation else None
    if record.designation is None or chosen is None:
        return None
    rule_ids = tuple(
        rule.id for rule in record.rules if any(k.startswith("designation.") for k in rule.inputs)
    )
    if not rule_ids:
        return None
    name = record.designation.chosen_name or chosen
    description = f"The site's designation, chosen by the applicant: {name}"
    found = record.designation.found
    if found is not None and found != chosen:
        description += (
            f". The council's designation boundaries place the site in: "
            f"{record.designation.found_name or found}; check which applies"
        )
    elif found is not None:
        description += " (the council's designation boundaries agree)"
    return UnverifiedFigure(
        name=SITE_DESIGNATION,
        description=description,
        value=name,
        unit="",
        rule_ids=rule_ids,
        document=None,
    )


@dataclass(frozen=True)
class ReviewSummary:
    """What the top of the review page says: the engine's counts, progress, shortfalls."""

    engine_counts: dict[str, int]  # status -> rules, every status present (0 if none)
    final_counts: dict[str, int]  # the status that counts (the verdict, else the engine's)
    reviewed: tuple[str, ...]  # rule ids with a verdict on this version
    unreviewed: tuple[str, ...]
    overridden: tuple[str, ...]
    shortfalls: tuple[tuple[str, str, float, str], ...]  # (rule id, title, shortfall, unit)

    @property
    def total(self) -> int:
        return len(self.reviewed) + len(self.unreviewed)


def review_summary(record: AssessmentRecord, verdicts: Mapping[str, Verdict]) -> ReviewSummary:
    engine = {status: 0 for status in STATUSES}
    final = {status: 0 for status in STATUSES}
    reviewed, unreviewed, overridden, shortfalls = [], [], [], []
    for rule in record.rules:
        engine[rule.status] += 1
        verdict = verdicts.get(rule.id)
        final[verdict.officer_status if verdict else rule.status] += 1
        (reviewed if verdict else unreviewed).append(rule.id)
        if verdict is not None and verdict.overridden:
            overridden.append(rule.id)
        if rule.shortfall:
            shortfalls.append((rule.id, rule.title, rule.shortfall, rule.unit))
    return ReviewSummary(
        engine, final, tuple(reviewed), tuple(unreviewed), tuple(overridden), tuple(shortfalls)
    )
