"""S106 heads of terms and the committee-report section, built from a stored assessment.

Inputs are the typed assessment@1 record (`AssessmentRecord`, as `Assessment.record` reads
a stored row), the statement@1 data of the same version and the officer's verdicts, so the
same output feeds the HTML page, the DOCX download and tests. Each commitment the applicant
offered becomes an obligation with what, how much, where, when it is triggered, how it is
monitored and which policy it secures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planning_sv.core.assessment import AssessmentRecord, CommitmentOut, RuleResultOut
from planning_sv.core.figures import (
    MISSING,
    article,
    format_date,
    format_gbp,
    format_in_unit,
    format_number,
    noun_for,
    plural,
)
from planning_sv.core.measures import ConversionError
from planning_sv.core.rules.expressions import ExpressionError
from planning_sv.core.rules.model import COMMITMENTS_UNIT, STATUSES
from planning_sv.core.rules.parameters import parameters_on
from planning_sv.core.verdicts import STATUS_LABELS, Verdict, final_status

if TYPE_CHECKING:
    from planning_sv.core.plans import CouncilPlan

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


# How each (measure, unit) is drafted as an obligation: the verb phrase with `{n}` (the
# figure) and `{noun}` (singular or plural by the figure), the two noun forms, the subject of
# its delivery plan and the heading. Money phrases take `{money}` (£38,000) instead. One
# table, so every obligation reads as a planning lawyer would write it ("The Owner shall
# provide not less than 20 work placements ...") rather than as units glued to numbers.
@dataclass(frozen=True)
class Drafting:
    phrase: str
    one: str = ""
    many: str = ""
    subject: str = ""  # "work placement" -> "a work placement delivery plan"
    heading: str = ""


_FTE = ("full-time equivalent year (FTE-year)", "full-time equivalent years (FTE-years)")


def _jobs(group: str, one: str, many: str, heading: str) -> dict[tuple[str, str], Drafting]:
    return {
        (group, "people"): Drafting(
            "employ not less than {n} {noun}", one, many, heading.lower(), heading
        ),
        (group, "fte_years"): Drafting(
            "provide not less than {n} {noun} of employment for " + many,
            *_FTE,
            heading.lower(),
            heading,
        ),
    }


DRAFTING: dict[tuple[str, str], Drafting] = {
    ("local_employment", "fte_years"): Drafting(
        "provide not less than {n} {noun} of employment for local people",
        *_FTE,
        "local employment",
        "Local employment",
    ),
    ("local_employment", "people"): Drafting(
        "employ not less than {n} local {noun}",
        "person",
        "people",
        "local employment",
        "Local employment",
    ),
    ("apprenticeship", "starts"): Drafting(
        "provide not less than {n} {noun}",
        "apprenticeship",
        "apprenticeships",
        "apprenticeship",
        "Apprenticeships",
    ),
    ("apprenticeship", "weeks"): Drafting(
        "provide not less than {n} {noun} of apprenticeships",
        "week",
        "weeks",
        "apprenticeship",
        "Apprenticeships",
    ),
    ("work_placement", "placements"): Drafting(
        "provide not less than {n} {noun}",
        "work placement",
        "work placements",
        "work placement",
        "Work placements",
    ),
    ("work_placement", "weeks"): Drafting(
        "provide not less than {n} {noun} of work placements",
        "week",
        "weeks",
        "work placement",
        "Work placements",
    ),
    ("training", "weeks"): Drafting(
        "provide not less than {n} {noun} of training for local people",
        "week",
        "weeks",
        "training",
        "Training",
    ),
    ("training", "hours"): Drafting(
        "provide not less than {n} {noun} of training for local people",
        "hour",
        "hours",
        "training",
        "Training",
    ),
    ("local_supply_chain_spend", "gbp"): Drafting(
        "spend not less than {money} with local businesses",
        subject="local procurement",
        heading="Local procurement",
    ),
    ("local_sme_spend", "gbp"): Drafting(
        "spend not less than {money} with local small and medium-sized enterprises and "
        "voluntary, community and social enterprises",
        subject="local procurement",
        heading="Local procurement from small businesses and social enterprises",
    ),
    ("affordable_workspace", "sqm"): Drafting(
        "provide not less than {n} {noun} (gross internal area) of affordable workspace",
        "m²",
        "m²",
        "affordable workspace",
        "Affordable workspace",
    ),
    ("affordable_workspace", "sqm_years"): Drafting(
        "provide affordable workspace amounting to not less than {n} {noun}",
        "m²-year",
        "m²-years",
        "affordable workspace",
        "Affordable workspace",
    ),
    ("employment_training_contribution", "gbp"): Drafting(
        "pay to the Council a financial contribution of {money} towards employment and training",
        heading="Employment and training contribution",
    ),
    ("volunteering", "hours"): Drafting(
        "provide not less than {n} {noun} of staff volunteering",
        "hour",
        "hours",
        "volunteering",
        "Staff volunteering",
    ),
    ("expert_volunteering", "hours"): Drafting(
        "provide not less than {n} {noun} of expert (pro bono) support from its staff",
        "hour",
        "hours",
        "expert volunteering",
        "Expert (pro bono) support",
    ),
    ("community_use", "hours"): Drafting(
        "make space within the development available for community use for not less than "
        "{n} {noun}",
        "hour",
        "hours",
        "community use",
        "Community use of space",
    ),
    ("community_investment", "gbp"): Drafting(
        "invest not less than {money} in community projects",
        subject="community investment",
        heading="Community investment",
    ),
    ("in_kind_contribution", "gbp"): Drafting(
        "provide in-kind contributions to community organisations to a value of not less "
        "than {money}",
        subject="in-kind contribution",
        heading="In-kind contributions",
    ),
    ("school_engagement", "visits"): Drafting(
        "deliver not less than {n} school and college engagement {noun} (careers talks or "
        "site visits)",
        "activity",
        "activities",
        "school engagement",
        "School and college engagement",
    ),
    ("school_engagement", "attendee_hours"): Drafting(
        "deliver not less than {n} {noun} of school and college engagement",
        "attendee-hour",
        "attendee-hours",
        "school engagement",
        "School and college engagement",
    ),
    ("carbon_saved", "tco2e"): Drafting(
        "save not less than {n} {noun} of carbon dioxide equivalent (CO2e) emissions",
        "tonne",
        "tonnes",
        "carbon reduction",
        "Carbon savings",
    ),
    ("waste_diverted", "tonnes"): Drafting(
        "divert not less than {n} {noun} of construction waste from landfill",
        "tonne",
        "tonnes",
        "waste management",
        "Construction waste",
    ),
    ("local_workforce_share", "percent"): Drafting(
        "ensure that not less than {n}% of the workforce live locally",
        subject="local workforce",
        heading="Local workforce",
    ),
    ("qualitative_commitment", "text"): Drafting(
        "deliver the commitment described below",
        subject="delivery",
        heading="Commitment",
    ),
    ("employment_skills_plan", "document"): Drafting(
        "submit {noun} to the Council for its written approval and implement it as approved",
        "employment and skills plan",
        "employment and skills plans",
        heading="Employment and skills plan",
    ),
    ("social_value_strategy", "document"): Drafting(
        "submit {noun} to the Council for its written approval and implement it as approved",
        "social value strategy",
        "social value strategies",
        heading="Social value strategy",
    ),
    **_jobs(
        "employment_long_term_unemployed",
        "long-term unemployed person",
        "long-term unemployed people",
        "Employment of long-term unemployed people",
    ),
    **_jobs(
        "employment_neet",
        "young person not in education, employment or training",
        "young people not in education, employment or training",
        "Employment of young people not in education, employment or training",
    ),
    **_jobs("employment_care_leaver", "care leaver", "care leavers", "Employment of care leavers"),
    **_jobs("employment_ex_offender", "ex-offender", "ex-offenders", "Employment of ex-offenders"),
    **_jobs(
        "employment_disability",
        "disabled person",
        "disabled people",
        "Employment of disabled people",
    ),
}

# The minimum length each unit of a count stands for, where the unit is defined by one: a
# work placement lasts at least N weeks, affordable workspace is let for at least N years.
# N is what the council's rule counts (its `convert_override` of the duration unit), else
# the measures catalogue's conversion (`Measure.convert`): the one unit vocabulary.
# (measure, unit) -> (duration unit in the catalogue, clause with {n} and {noun}, nouns).
DURATIONS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("work_placement", "placements"): (
        "weeks",
        ", each lasting at least {n} {noun}",
        "week",
        "weeks",
    ),
    ("affordable_workspace", "sqm"): (
        "sqm_years",
        ", for a term of at least {n} {noun}",
        "year",
        "years",
    ),
}


def draft_obligation(
    measure: str,
    unit: str,
    quantity: float,
    *,
    label: str | None = None,
    unit_label: str | None = None,
    duration: float | None = None,
    description: str | None = None,
) -> str:
    """'The Owner shall provide not less than 20 work placements, each lasting at least 26
    weeks.' A (measure, unit) without a drafting reads from the catalogue's labels."""
    drafting = DRAFTING.get((measure, unit))
    number = format_number(quantity)
    if drafting is None:
        words = (unit_label or unit.replace("_", " ")).strip()
        what = f"{format_in_unit(quantity, 'gbp')}" if unit == "gbp" else f"{number} {words}"
        subject = (label or measure.replace("_", " ")).strip()
        phrase = f"deliver not less than {what} ({subject[:1].lower() + subject[1:]})"
    elif unit == "document":
        noun = drafting.one if quantity == 1 else f"{number} {drafting.many}"
        phrase = drafting.phrase.format(noun=article(noun) if quantity == 1 else noun)
    else:
        phrase = drafting.phrase.format(
            n=number,
            money=format_gbp(quantity),
            noun=noun_for(quantity, drafting.one, drafting.many),
        )
    extra = DURATIONS.get((measure, unit))
    if extra is not None and duration is not None:
        _, clause, one, many = extra
        phrase += clause.format(n=format_number(duration), noun=noun_for(duration, one, many))
    text = f"The Owner shall {phrase}."
    if (measure, unit) == ("qualitative_commitment", "text") and description:
        text = f"The Owner shall deliver the following commitment: {description.strip()}"
        if not text.endswith((".", "!", "?")):
            text += "."
    return text


@dataclass(frozen=True)
class Obligation:
    number: int
    commitment_id: str
    measure: str
    measure_label: str
    quantity: float  # as the council's rule counts it (else as offered)
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
    text: str = ""  # the obligation as drafted: "The Owner shall ..."
    quantity_text: str = ""  # "20 placements, each of at least 26 weeks", "£2,000,000"
    heading: str = ""
    offered: str | None = None  # the quantity as offered, when the rule counts it otherwise


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

    @property
    def assessed_on_text(self) -> str:
        """'1 June 2026': dates in running text are written out (GOV.UK style)."""
        return format_date(self.assessed_on) if self.assessed_on else MISSING


@dataclass(frozen=True)
class SignOff:
    """A senior officer's sign-off of the version (the workflow's `sign_off` event)."""

    name: str
    role: str  # "Senior planning officer"
    on: dt.date

    @property
    def date_text(self) -> str:
        return format_date(self.on)


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
    sign_off: SignOff | None = None  # None: a draft, not yet signed off

    @property
    def title(self) -> str:
        return f"Heads of terms: {self.application_reference or '(no application reference)'}"


def citation_text(citation: Mapping[str, Any]) -> str:
    parts = [str(citation[k]) for k in ("document", "policy", "paragraph") if citation.get(k)]
    return ", ".join(parts)


# A pack's `paragraph` often carries the research state ("not confirmed: 2025 SPD not read;
# placeholder formula") or the council's paraphrase: officers see that on the review page;
# a legal document cites the policy only.
_NOT_A_REFERENCE = re.compile(
    r"confirm|verif|not read|placeholder|described|believed|compared|unknown|[:;'\"]",
    re.IGNORECASE,
)
MAX_PARAGRAPH_REFERENCE = 30  # "E11 B", "B4 part 1": a reference, not a passage


def legal_citation(citation: Mapping[str, Any]) -> str:
    """The policy as a legal document cites it: 'Document: Policy (paragraph)'.

    The paragraph is kept only when it is a plain reference ("E11 B"); research notes and
    quoted passages never reach the heads of terms.
    """
    document = str(citation.get("document") or "").strip()
    policy = str(citation.get("policy") or "").strip()
    paragraph = str(citation.get("paragraph") or "").strip()
    text = ": ".join(part for part in (document, policy) if part)
    if (
        paragraph
        and len(paragraph) <= MAX_PARAGRAPH_REFERENCE
        and not _NOT_A_REFERENCE.search(paragraph)
    ):
        text += f" ({paragraph})"
    return text


def _date_text(value: Any) -> str | None:
    return format_date(str(value)) if value else None


def delivery_plan(measure: str, unit: str) -> str:
    """'an apprenticeship delivery plan': the plan the owner submits before delivering."""
    drafting = DRAFTING.get((measure, unit))
    subject = drafting.subject if drafting is not None and drafting.subject else None
    if subject is None:
        subject = measure.replace("_", " ")
    noun = f"{subject} plan" if subject == "local procurement" else f"{subject} delivery plan"
    return article(noun)


def trigger_text(
    measure: str, unit: str, phase: str | None, start: Any = None, end: Any = None
) -> str:
    """When the obligation bites, from its phase and dates (what S106 drafters call triggers)."""
    plan = delivery_plan(measure, unit)
    if measure in CONTRIBUTION_MEASURES:
        text = "Pay to the council prior to commencement of development"
    elif unit in DOCUMENT_UNITS:
        text = "Prior to commencement, submit for the council's written approval"
    elif phase == "construction":
        text = f"Prior to commencement, submit {plan} for approval; deliver during construction"
    elif phase in ("end_use", "operation"):
        text = "On occupation: deliver from first occupation" + (
            " and throughout operation" if phase == "operation" else ""
        )
    else:
        text = (
            f"Prior to commencement, submit {plan} stating the phase and timing for approval; "
            "deliver as approved"
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


def _ward_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def where_text(commitment: CommitmentOut) -> tuple[str, tuple[str, ...]]:
    """Where the obligation is delivered, in words: 'On the site (Holloway ward)',
    'Anywhere in the council's area', 'Holloway ward', 'Holloway (60%) and Finsbury Park
    (40%) wards'."""
    wards = commitment.wards
    names = tuple(w.name or w.code for w in wards)
    method = commitment.method
    if method == "borough":
        # Borough-wide commitments are spread over every ward by population for the £
        # figures; listing each ward's share would read as a delivery requirement.
        return "Anywhere in the council's area", names
    if not wards:
        return "Location not placed", names
    if len(wards) == 1:
        placed = f"{names[0]} ward"
    else:
        placed = (
            _ward_list([f"{w.name or w.code} ({w.share * 100:.0f}%)" for w in wards]) + " wards"
        )
    if method == "site":
        return f"On the site ({placed})", names
    return placed, names


def rule_measures_from_results(rules: list[RuleResultOut]) -> dict[str, set[str]]:
    """Measures each rule counts, as far as the results show (counted or excluded entries).

    The engine lists a commitment as counted or excluded only when its measure is in the
    rule's `counts`, so this is a subset of `counts.measures` that callers without the plan
    can rely on; callers with the plan pass the full `counts.measures` instead.
    """
    found: dict[str, set[str]] = {}
    for rule in rules:
        measures = {c.measure for c in rule.counted}
        measures |= {c.measure for c in rule.excluded}
        found[rule.id] = measures
    return found


def _url(citation: Mapping[str, Any]) -> str | None:
    url = citation.get("url")  # a citation is open-ended JSON scalars by schema
    return str(url) if url else None


def _rule_row(
    rule: RuleResultOut, verdicts: Mapping[str, Verdict], accepted_engine: Collection[str]
) -> RuleRow:
    verdict = verdicts.get(rule.id)
    return RuleRow(
        id=rule.id,
        title=rule.title,
        citation=legal_citation(rule.citation),  # the policy only: the table is in the document
        url=_url(rule.citation),
        required=rule.required,
        proposed=rule.proposed,
        shortfall=rule.shortfall,
        unit=rule.unit,
        explanation=rule.explanation,
        engine_status=rule.status,
        officer_status=verdict.officer_status if verdict is not None else None,
        overridden=verdict is not None and verdict.overridden,
        reason=verdict.reason if verdict else None,
        comment=verdict.comment if verdict else None,
        accepted_engine=verdict is None and rule.id in accepted_engine,
    )


def committee_section(
    assessment: AssessmentRecord,
    verdicts: Mapping[str, Verdict] | None = None,
    accepted_engine: Collection[str] = (),
) -> CommitteeSection:
    """The committee table: `accepted_engine` lists rules the officer let the engine's result
    stand for at recommendation (without a verdict); they still read "Not reviewed"."""
    verdicts = verdicts or {}
    rows = tuple(_rule_row(rule, verdicts, accepted_engine) for rule in assessment.rules)
    counts = Counter(row.status for row in rows)
    social = assessment.social_value
    total = social.total_gbp if social is not None else None
    local = social.local_gbp if social is not None else None
    themes = (
        tuple(sorted(social.by_theme.items(), key=lambda t: -t[1])) if social is not None else ()
    )
    wards = (
        tuple((w.code, w.name, float(w.gbp or 0)) for w in social.by_ward)
        if social is not None
        else ()
    )
    return CommitteeSection(
        rules=rows,
        summary={status: counts.get(status, 0) for status in STATUSES},
        unmet=tuple(r for r in rows if r.status in ("fail", "partial")),
        total_gbp=total,
        local_gbp=local,
        # Local share: the fraction of the £ value that lands locally (council's definition).
        local_share=(local / total) if total and local is not None else None,
        per_million_build_cost=social.per_million_build_cost if social is not None else None,
        by_theme=themes,
        by_ward=wards,
        pack_version=assessment.pack_version,
        value_set=assessment.value_set_label,
        assessed_on=assessment.assessed_on.isoformat(),
        not_reviewed=tuple(r for r in rows if not r.reviewed),
    )


def _per_values(plan: CouncilPlan | None, on: str) -> dict[tuple[str, str], float]:
    """(rule id, unit) -> the rule's own size of one of its units in `unit` (its
    `convert_override.<unit>.per`, e.g. 26 placement weeks a placement) on `on`."""
    if plan is None:
        return {}
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        return {}
    env, _ = parameters_on(plan.parameters, day)
    found: dict[tuple[str, str], float] = {}
    for rule in plan.rules:
        for unit, override in rule.counts.overrides.items():
            try:
                value = override.per.evaluate(env)
            except ExpressionError:
                continue  # the engine reports a pack fault; the document just omits it
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                found[(rule.id, unit)] = float(value)
    return found


def _duration(
    code: str,
    unit: str,
    rule_ids: list[str],
    per_values: Mapping[tuple[str, str], float],
    measure: Any,
    on: str,
) -> float | None:
    """The minimum length one `unit` of `code` stands for: the counting rule's override,
    else the measures catalogue's conversion (the one the rules and valuation use)."""
    spec = DURATIONS.get((code, unit))
    if spec is None:
        return None
    duration_unit = spec[0]
    for rule_id in rule_ids:
        if (rule_id, duration_unit) in per_values:
            return per_values[(rule_id, duration_unit)]
    if measure is None or not hasattr(measure, "convert"):
        return None
    try:
        day = dt.date.fromisoformat(on) if on else None
        return float(measure.convert(1.0, unit, duration_unit, on=day).value)
    except (ConversionError, ValueError):
        return None


def build_heads_of_terms(
    assessment: AssessmentRecord,
    statement: Mapping[str, Any],
    verdicts: Mapping[str, Verdict] | None = None,
    *,
    measures: Mapping[str, Any] | None = None,
    rule_measures: Mapping[str, Collection[str]] | None = None,
    version: int | None = None,
    accepted_engine: Collection[str] = (),
    plan: CouncilPlan | None = None,
    sign_off: SignOff | None = None,
) -> HeadsOfTerms:
    """Heads of terms for one assessed statement version.

    `measures` (code -> Measure with label, theme, units) gives readable names; without it
    codes are shown. `rule_measures` (rule id -> `counts.measures` from the plan) decides
    which policies an obligation secures; without it they are read off the rule results (or
    `plan`). A rule finally graded not applicable secures nothing, so it is not cited.
    `plan` gives the rules' own unit definitions (a placement of 26 weeks) and the council's
    name. `accepted_engine`: rules the officer let the engine's result stand for when
    recommending. `sign_off`: the senior officer's sign-off, else the document is a draft.
    """
    verdicts = verdicts or {}
    if measures is None and plan is not None:
        measures = plan.measures
    measures = measures or {}
    rules = assessment.rules
    if rule_measures is None and plan is not None:
        rule_measures = {rule.id: rule.counts.measures for rule in plan.rules}
    counts_by_rule = {
        k: set(v) for k, v in (rule_measures or rule_measures_from_results(rules)).items()
    }
    assessed_on = assessment.assessed_on.isoformat()
    per_values = _per_values(plan, assessed_on)
    statement_commitments = {
        str(c.get("id")): c for c in statement.get("commitments") or [] if isinstance(c, Mapping)
    }
    obligations: list[Obligation] = []
    for commitment in assessment.commitments:
        if not commitment.quantity:
            continue  # nothing offered, nothing to secure
        code, unit = commitment.measure, commitment.unit
        commitment_id = commitment.id
        measure = measures.get(code)
        source = statement_commitments.get(commitment_id, {})
        phase = commitment.phase or source.get("phase")
        policies = []
        securing: list[str] = []
        counted_as: tuple[float, str] | None = None
        for rule in rules:
            status = final_status(rule, verdicts)
            if code in counts_by_rule.get(rule.id, set()) and status != "not_applicable":
                citation = rule.citation
                securing.append(rule.id)
                if any(p.citation == legal_citation(citation) for p in policies):
                    # Two rules of one policy (a strategy rule and its jobs part):
                    # the document cites the policy once.
                    pass
                else:
                    policies.append(
                        PolicyRef(
                            rule_id=rule.id,
                            title=rule.title,
                            citation=legal_citation(citation),
                            url=_url(citation),
                            status=status,
                        )
                    )
                if counted_as is None and rule.unit != COMMITMENTS_UNIT:
                    # The quantity the council's rule counts, in its unit (26-week
                    # placements from placement weeks), not merely what was typed in.
                    for entry in rule.counted:
                        if entry.id == commitment_id and entry.counted:
                            counted_as = (entry.counted, rule.unit)
        quantity, drafted_unit = counted_as or (commitment.quantity, unit)
        if (code, drafted_unit) not in DRAFTING and (code, unit) in DRAFTING:
            quantity, drafted_unit = commitment.quantity, unit
        unit_labels = getattr(measure, "units", None) or {}
        duration = _duration(code, drafted_unit, securing, per_values, measure, assessed_on)
        description = commitment.description or source.get("description")
        drafting = DRAFTING.get((code, drafted_unit))
        where, wards = where_text(commitment)
        offered = None
        if drafted_unit != unit or quantity != commitment.quantity:
            offered = format_in_unit(commitment.quantity, unit)
        obligations.append(
            Obligation(
                number=len(obligations) + 1,
                commitment_id=commitment_id,
                measure=code,
                measure_label=getattr(measure, "label", None) or code.replace("_", " "),
                quantity=quantity,
                unit=drafted_unit,
                unit_label=unit_labels.get(drafted_unit, drafted_unit.replace("_", " ")),
                description=description,
                where=where,
                wards=wards,
                local=commitment.local,
                trigger=trigger_text(
                    code, drafted_unit, phase, source.get("start_date"), source.get("end_date")
                ),
                monitoring=monitoring_text(code, drafted_unit, getattr(measure, "theme", None)),
                policies=tuple(policies),
                value_gbp=commitment.value_gbp,
                text=draft_obligation(
                    code,
                    drafted_unit,
                    quantity,
                    label=getattr(measure, "label", None),
                    unit_label=unit_labels.get(drafted_unit),
                    duration=duration,
                    description=description,
                ),
                quantity_text=_quantity_text(quantity, drafted_unit, code, duration),
                heading=(drafting.heading if drafting is not None and drafting.heading else None)
                or getattr(measure, "label", None)
                or code.replace("_", " ").capitalize(),
                offered=offered,
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
        unmet = len(committee.unmet)
        notes.append(
            f"{plural(unmet, 'requirement')} {'is' if unmet == 1 else 'are'} not fully met; "
            "see the committee report section."
        )
    if committee.not_reviewed:
        left = len(committee.not_reviewed)
        notes.append(
            f"{plural(left, 'rule')} {'has' if left == 1 else 'have'} no officer verdict "
            "(shown as not reviewed); the engine's result is counted for "
            f"{'it' if left == 1 else 'them'}."
        )
    site = statement.get("site") or {}
    council_name = (
        (plan.name if plan is not None else None) or assessment.council_name or assessment.council
    )
    return HeadsOfTerms(
        council=assessment.council,
        council_name=council_name,
        application_reference=assessment.application_reference
        or statement.get("application_reference"),
        site_address=site.get("address") or site.get("postcode"),
        version=version,
        obligations=tuple(obligations),
        committee=committee,
        notes=tuple(notes),
        sign_off=sign_off,
    )


def _quantity_text(quantity: float, unit: str, code: str, duration: float | None) -> str:
    """'20 placements, each of at least 26 weeks', '800 m², for at least 20 years', '£50,000'."""
    drafting = DRAFTING.get((code, unit))
    if drafting is not None and drafting.one and unit not in ("gbp", "percent", "document"):
        text = f"{format_number(quantity)} {noun_for(quantity, drafting.one, drafting.many)}"
    else:
        text = format_in_unit(quantity, unit)
    spec = DURATIONS.get((code, unit))
    if spec is not None and duration is not None:
        _, clause, one, many = spec
        text += clause.format(n=format_number(duration), noun=noun_for(duration, one, many))
    return text
