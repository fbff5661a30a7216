"""S106 heads of terms and the committee-report section, built from a stored assessment.

Inputs are plain data (an assessment@1 dict, the statement@1 dict of the same version and
the officer's verdicts), so the same output feeds the HTML page, the DOCX download and
tests. Each commitment the applicant offered becomes an obligation with what, how much,
where, when it is triggered, how it is monitored and which policy it secures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from planning_sv.core.assessment import value_set_label
from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.rules.model import STATUSES
from planning_sv.core.verdicts import STATUS_LABELS, Verdict, final_status

# Financial contributions are paid, not delivered: the trigger is payment before works start.
CONTRIBUTION_MEASURES = frozenset({"employment_training_contribution"})
DOCUMENT_UNITS = frozenset({"document"})

_MONITORING_BY_THEME = {
    "jobs": (
        "Quarterly monitoring return to the council's employment and skills team: number of "
        "people, hours and start dates, and each person's ward of residence (no names), "
        "confirmed by the employer; a final report within 3 months of completion."
    ),
    "skills": (
        "Quarterly monitoring return to the council's employment and skills team: starts, "
        "completions and duration per person and their ward of residence (no names), "
        "confirmed by the provider; a final report within 3 months of completion."
    ),
    "growth": (
        "Six-monthly report: suppliers or occupiers, their addresses and the sums or areas "
        "concerned, showing the local share, with invoices or lease terms as evidence."
    ),
    "community": (
        "Annual report of what was delivered (hours, sessions or sums) with logs or receipts "
        "as evidence, until the obligation is discharged."
    ),
    "environment": (
        "Annual report with the calculation method, the figures and the evidence behind "
        "them, until the obligation is discharged."
    ),
}
_MONITORING_DEFAULT = (
    "Annual report of delivery against the obligation with evidence, until it is discharged."
)
_MONITORING_CONTRIBUTION = (
    "Evidence of payment to the council; the council reports the use of the contribution in "
    "its annual infrastructure funding statement."
)
_MONITORING_DOCUMENT = (
    "Submit the document for the council's written approval; report delivery against it "
    "annually until the development is complete."
)


@dataclass(frozen=True)
class PolicyRef:
    rule_id: str
    title: str
    citation: str
    url: str | None
    status: str  # the status that counts (officer's verdict, else the engine's)


@dataclass(frozen=True)
class Obligation:
    number: int
    commitment_id: str
    measure: str
    measure_label: str
    quantity: float
    unit: str
    unit_label: str
    description: str | None
    where: str
    wards: tuple[str, ...]
    local: bool
    trigger: str
    monitoring: str
    policies: tuple[PolicyRef, ...]
    value_gbp: float | None

    @property
    def quantity_text(self) -> str:
        # Money reads "£2,000,000 spent", not "2,000,000 £ spent".
        if self.unit == "gbp" or self.unit_label.startswith("£"):
            rest = self.unit_label.removeprefix("£").strip()
            if rest == "gbp":
                rest = ""
            return f"{format_gbp(self.quantity)} {rest}".strip()
        return f"{format_number(self.quantity)} {self.unit_label}"

    @property
    def text(self) -> str:
        """The obligation as a head of term: what the owner shall deliver."""
        base = f"The owner shall deliver {self.quantity_text} ({self.measure_label})"
        return f"{base}: {self.description}" if self.description else f"{base}."


@dataclass(frozen=True)
class RuleRow:
    id: str
    title: str
    citation: str
    url: str | None
    required: float | None
    proposed: float | None
    shortfall: float | None
    unit: str
    explanation: str
    engine_status: str
    officer_status: str | None  # None: no officer verdict on this rule (not reviewed)
    overridden: bool
    reason: str | None
    comment: str | None
    # No verdict, but the officer confirmed at recommendation that the engine's result stands.
    accepted_engine: bool = False

    @property
    def reviewed(self) -> bool:
        return self.officer_status is not None

    @property
    def status(self) -> str:
        """The status that counts: the officer's verdict if recorded, else the engine's."""
        return self.officer_status if self.officer_status is not None else self.engine_status

    @property
    def engine_label(self) -> str:
        return STATUS_LABELS.get(self.engine_status, self.engine_status)

    @property
    def officer_label(self) -> str:
        """The Officer column: the officer's verdict, never the engine's result in disguise."""
        if self.officer_status is None:
            if self.accepted_engine:
                return "Not reviewed (engine result accepted at recommendation)"
            return "Not reviewed"
        return STATUS_LABELS.get(self.officer_status, self.officer_status)


@dataclass(frozen=True)
class CommitteeSection:
    rules: tuple[RuleRow, ...]
    summary: dict[str, int]  # status that counts -> count, every status present
    unmet: tuple[RuleRow, ...]  # rules finally graded fail or partial
    total_gbp: float | None
    local_gbp: float | None
    local_share: float | None
    per_million_build_cost: float | None
    by_theme: tuple[tuple[str, float], ...]
    by_ward: tuple[tuple[str, str, float], ...]  # (code, name, £)
    pack_version: str
    value_set: str | None
    assessed_on: str
    not_reviewed: tuple[RuleRow, ...] = ()  # rules without an officer verdict


@dataclass(frozen=True)
class HeadsOfTerms:
    council: str
    council_name: str
    application_reference: str | None
    site_address: str | None
    version: int | None
    obligations: tuple[Obligation, ...]
    committee: CommitteeSection
    notes: tuple[str, ...] = field(default_factory=tuple)


def citation_text(citation: Mapping[str, Any]) -> str:
    parts = [str(citation[k]) for k in ("document", "policy", "paragraph") if citation.get(k)]
    return ", ".join(parts)


def _date_text(value: Any) -> str | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def trigger_text(
    measure: str, unit: str, phase: str | None, start: Any = None, end: Any = None
) -> str:
    """When the obligation bites, from its phase and dates (what S106 drafters call triggers)."""
    label = measure.replace("_", " ")
    if measure in CONTRIBUTION_MEASURES:
        text = "Pay to the council prior to commencement of development"
    elif unit in DOCUMENT_UNITS:
        text = "Prior to commencement, submit for the council's written approval"
    elif phase == "construction":
        text = (
            f"Prior to commencement, submit a {label} delivery plan for approval; deliver "
            "during construction"
        )
    elif phase in ("end_use", "operation"):
        text = "On occupation: deliver from first occupation" + (
            " and throughout operation" if phase == "operation" else ""
        )
    else:
        text = (
            f"Prior to commencement, submit a {label} delivery plan stating the phase and "
            "timing for approval; deliver as approved"
        )
    start_text, end_text = _date_text(start), _date_text(end)
    if start_text and end_text:
        text += f" (from {start_text} to {end_text})"
    elif start_text:
        text += f" (from {start_text})"
    elif end_text:
        text += f" (by {end_text})"
    return text + "."


def monitoring_text(measure: str, unit: str, theme: str | None) -> str:
    if measure in CONTRIBUTION_MEASURES:
        return _MONITORING_CONTRIBUTION
    if unit in DOCUMENT_UNITS:
        return _MONITORING_DOCUMENT
    return _MONITORING_BY_THEME.get(theme or "", _MONITORING_DEFAULT)


def where_text(commitment: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    wards = commitment.get("wards") or []
    names = tuple(str(w.get("name") or w.get("code")) for w in wards)
    if commitment.get("method") == "borough":
        # Borough-wide commitments are spread over every ward by population for the £
        # figures; listing each ward's share would read as a delivery requirement.
        return "Anywhere in the borough", names
    if len(wards) == 1:
        return names[0], names
    if wards:
        shares = ", ".join(
            f"{w.get('name') or w.get('code')} ({float(w.get('share', 0)) * 100:.0f}%)"
            for w in wards
        )
        return shares, names
    return "Location not placed", names


def rule_measures_from_results(rules: list[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Measures each rule counts, as far as the results show (counted or excluded entries).

    The engine lists a commitment as counted or excluded only when its measure is in the
    rule's `counts`, so this is a subset of `counts.measures` that callers without the plan
    can rely on; callers with the plan pass the full `counts.measures` instead.
    """
    found: dict[str, set[str]] = {}
    for rule in rules:
        measures = {str(c["measure"]) for c in rule.get("counted") or []}
        measures |= {str(c["measure"]) for c in rule.get("excluded") or []}
        found[str(rule["id"])] = measures
    return found


def _rule_row(
    rule: Mapping[str, Any], verdicts: Mapping[str, Verdict], accepted_engine: Collection[str]
) -> RuleRow:
    verdict = verdicts.get(rule["id"])
    citation = rule.get("citation") or {}
    return RuleRow(
        id=str(rule["id"]),
        title=str(rule.get("title", rule["id"])),
        citation=citation_text(citation),
        url=citation.get("url"),
        required=rule.get("required"),
        proposed=rule.get("proposed"),
        shortfall=rule.get("shortfall"),
        unit=str(rule.get("unit", "")),
        explanation=str(rule.get("explanation", "")),
        engine_status=str(rule["status"]),
        officer_status=verdict.officer_status if verdict is not None else None,
        overridden=verdict is not None and verdict.overridden,
        reason=verdict.reason if verdict else None,
        comment=verdict.comment if verdict else None,
        accepted_engine=verdict is None and str(rule["id"]) in accepted_engine,
    )


def committee_section(
    assessment: Mapping[str, Any],
    verdicts: Mapping[str, Verdict] | None = None,
    accepted_engine: Collection[str] = (),
) -> CommitteeSection:
    """The committee table: `accepted_engine` lists rules the officer let the engine's result
    stand for at recommendation (without a verdict); they still read "Not reviewed"."""
    verdicts = verdicts or {}
    rows = tuple(
        _rule_row(rule, verdicts, accepted_engine) for rule in assessment.get("rules") or []
    )
    counts = Counter(row.status for row in rows)
    social = assessment.get("social_value") or {}
    total, local = social.get("total_gbp"), social.get("local_gbp")
    by_theme = social.get("by_theme") or {}
    if isinstance(by_theme, Mapping):
        themes = tuple(
            sorted(((str(k), float(v)) for k, v in by_theme.items()), key=lambda t: -t[1])
        )
    else:
        themes = tuple((str(t.get("theme")), float(t.get("gbp") or 0)) for t in by_theme)
    by_ward = social.get("by_ward") or []
    wards = tuple(
        (str(w.get("code")), str(w.get("name")), float(w.get("gbp") or 0))
        for w in (by_ward if isinstance(by_ward, list) else [])
    )
    return CommitteeSection(
        rules=rows,
        summary={status: counts.get(status, 0) for status in STATUSES},
        unmet=tuple(r for r in rows if r.status in ("fail", "partial")),
        total_gbp=total,
        local_gbp=local,
        # Local share: the fraction of the £ value that lands locally (council's definition).
        local_share=(local / total) if total and local is not None else None,
        per_million_build_cost=social.get("per_million_build_cost"),
        by_theme=themes,
        by_ward=wards,
        pack_version=str(assessment.get("pack_version", "")),
        value_set=value_set_label(assessment),
        assessed_on=str(assessment.get("assessed_on", "")),
        not_reviewed=tuple(r for r in rows if not r.reviewed),
    )


def build_heads_of_terms(
    assessment: Mapping[str, Any],
    statement: Mapping[str, Any],
    verdicts: Mapping[str, Verdict] | None = None,
    *,
    measures: Mapping[str, Any] | None = None,
    rule_measures: Mapping[str, Collection[str]] | None = None,
    version: int | None = None,
    accepted_engine: Collection[str] = (),
) -> HeadsOfTerms:
    """Heads of terms for one assessed statement version.

    `measures` (code -> Measure with label, theme, units) gives readable names; without it
    codes are shown. `rule_measures` (rule id -> `counts.measures` from the plan) decides
    which policies an obligation secures; without it they are read off the rule results.
    A rule finally graded not applicable secures nothing, so it is not cited.
    `accepted_engine`: rules the officer let the engine's result stand for when recommending.
    """
    verdicts = verdicts or {}
    measures = measures or {}
    rules = list(assessment.get("rules") or [])
    counts_by_rule = {
        k: set(v) for k, v in (rule_measures or rule_measures_from_results(rules)).items()
    }
    statement_commitments = {
        str(c.get("id")): c for c in statement.get("commitments") or [] if isinstance(c, Mapping)
    }
    obligations: list[Obligation] = []
    for commitment in assessment.get("commitments") or []:
        if not commitment.get("quantity"):
            continue  # nothing offered, nothing to secure
        code, unit = str(commitment["measure"]), str(commitment["unit"])
        measure = measures.get(code)
        source = statement_commitments.get(str(commitment["id"]), {})
        phase = commitment.get("phase") or source.get("phase")
        policies = []
        for rule in rules:
            status = final_status(rule, verdicts)
            if code in counts_by_rule.get(str(rule["id"]), set()) and status != "not_applicable":
                citation = rule.get("citation") or {}
                policies.append(
                    PolicyRef(
                        rule_id=str(rule["id"]),
                        title=str(rule.get("title", rule["id"])),
                        citation=citation_text(citation),
                        url=citation.get("url"),
                        status=status,
                    )
                )
        where, wards = where_text(commitment)
        obligations.append(
            Obligation(
                number=len(obligations) + 1,
                commitment_id=str(commitment["id"]),
                measure=code,
                measure_label=getattr(measure, "label", None) or code.replace("_", " "),
                quantity=float(commitment["quantity"]),
                unit=unit,
                unit_label=(getattr(measure, "units", None) or {}).get(
                    unit, unit.replace("_", " ")
                ),
                description=commitment.get("description") or source.get("description"),
                where=where,
                wards=wards,
                local=bool(commitment.get("local")),
                trigger=trigger_text(
                    code, unit, phase, source.get("start_date"), source.get("end_date")
                ),
                monitoring=monitoring_text(code, unit, getattr(measure, "theme", None)),
                policies=tuple(policies),
                value_gbp=commitment.get("value_gbp"),
            )
        )
    notes = []
    if any(not o.policies for o in obligations):
        notes.append(
            "Obligations citing no policy were offered beyond the plan's requirements; they "
            "are secured as offered."
        )
    committee = committee_section(assessment, verdicts, accepted_engine)
    if committee.unmet:
        notes.append(
            f"{len(committee.unmet)} requirement(s) are not fully met; see the committee "
            "report section."
        )
    if committee.not_reviewed:
        notes.append(
            f"{len(committee.not_reviewed)} rule(s) have no officer verdict (shown as not "
            "reviewed); the engine's result is counted for them."
        )
    site = statement.get("site") or {}
    return HeadsOfTerms(
        council=str(assessment.get("council", statement.get("council", ""))),
        council_name=str(assessment.get("council_name", assessment.get("council", ""))),
        application_reference=assessment.get("application_reference")
        or statement.get("application_reference"),
        site_address=site.get("address") or site.get("postcode"),
        version=version,
        obligations=tuple(obligations),
        committee=committee,
        notes=tuple(notes),
    )
