"""`planning-sv/assessment@1`: the record of one assessment of a statement.

It carries everything needed to reproduce and audit the result: the rule-pack version and
the date the rules were taken at, where the site and each commitment landed (with boundary
vintage and method), each rule's result with its citation and explanation, and the social
value totals when a valuer ran. The pydantic models below are the published JSON Schema;
`Assessment.to_dict()` produces data that validates against them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, Strict, ValidationError

from planning_sv.core.errors import InputInvalid, Problem, json_path
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.rules.engine import RuleResult
from planning_sv.core.rules.model import STATUSES
from planning_sv.core.statement import Commitment

SCHEMA_ID = "planning-sv/assessment@1"

Status = Literal["pass", "partial", "fail", "not_applicable", "needs_evidence"]


# --- published schema -------------------------------------------------------------------
# Strict: unknown keys are refused and values keep their JSON types (no "1" for 1.0), so
# the record the pages and downloads read is exactly the record the valuer wrote.

JsonScalar = str | int | float | bool | None
# Dates arrive as ISO strings from stored JSON; strict mode would want date objects.
IsoDate = Annotated[dt.date, Strict(False)]
# Written back as the assessor writes it (isoformat: "+00:00", not pydantic's "Z"), so a
# record read as the model and served again is the stored text.
IsoDateTime = Annotated[
    dt.datetime,
    Strict(False),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WardShareOut(_Model):
    code: str = Field(description="ward GSS code, E05…")
    name: str
    share: float = Field(ge=0, le=1)


class SiteOut(_Model):
    method: str
    vintage: str
    wards: list[WardShareOut]
    inside_council: bool
    outside_share: float
    point: list[float] | None = Field(default=None, description="[lon, lat]")
    warnings: list[str] = Field(default_factory=list)


class CountedOut(_Model):
    id: str
    measure: str
    quantity: float
    unit: str
    counted: float = Field(description="quantity after any unit conversion the rule declares")
    note: str = ""


class ExcludedOut(_Model):
    id: str
    measure: str
    reason: str


class ParameterOut(_Model):
    name: str
    value: float | int | str | bool
    from_: str = Field(alias="from")
    unit: str
    description: str
    confidence: str
    reference: dict[str, JsonScalar]


class RuleResultOut(_Model):
    id: str
    title: str
    citation: dict[str, JsonScalar]
    status: Status
    required: float | None
    proposed: float | None
    shortfall: float | None
    unit: str
    explanation: str
    inputs: dict[str, JsonScalar]
    parameters: list[ParameterOut]
    counted: list[CountedOut]
    excluded: list[ExcludedOut]
    evidence: str | None = None


class CommitmentOut(_Model):
    id: str
    measure: str
    quantity: float
    unit: str
    phase: str | None = None
    description: str | None = None
    wards: list[WardShareOut]
    method: str | None
    vintage: str | None
    local: bool
    local_reason: str
    inside_council: bool | None = None
    value_gbp: float | None = None
    warnings: list[str] = Field(default_factory=list)
    # Added after the first records were stored: absent (None) in those.
    point: list[float] | None = Field(
        default=None, description="[lon, lat] where the commitment was placed, for maps"
    )
    district: str | None = Field(
        default=None, description="LAD code of a place outside the council, when a rule needed it"
    )


class ValueSetOut(_Model):
    """The value set the valuer used (`ValueSet.summary()`)."""

    name: str
    version: int
    licence: str
    owner: str
    council: str | None
    target_price_year: int | None


class ValueRowOut(_Model):
    """The value-set row a commitment was valued with (`ValueRow.as_dict()`)."""

    measure: str
    unit: str
    gbp_per_unit: float
    price_year: int
    value_type: str
    source: str
    url: str
    licence: str
    method: str
    confidence: str
    note: str = ""
    uprate_index: str | None = None


class WardValueOut(_Model):
    """A commitment's £ in one ward: the valuer's own split (shares normalised in-council)."""

    code: str
    name: str
    share: float = Field(ge=0, le=1)
    gbp: float | None


class CommitmentValueOut(_Model):
    """One commitment's value and how it was reached (`CommitmentValue.as_dict()`)."""

    id: str
    measure: str
    label: str
    theme: str
    quantity: float
    unit: str
    counted_quantity: float | None
    valued_quantity: float | None
    valued_unit: str | None
    gbp_per_unit: float | None
    price_year: int | None
    gbp: float | None = Field(description="None: not valued")
    conversion: str | None
    local: bool
    local_economic: bool = Field(description="counted in local_gbp")
    capped: bool
    explanation: str | None
    row: ValueRowOut | None
    wards: list[WardValueOut]
    borough_wide: bool


class WardTotalOut(_Model):
    code: str
    name: str
    gbp: float | None
    borough_wide_gbp: float | None


class UnvaluedOut(_Model):
    id: str
    measure: str
    label: str
    quantity: float
    unit: str
    reason: str | None


class SocialValueOut(_Model):
    """The valuer's result (`SocialValue.as_dict()`): totals, ward and theme splits, and
    every commitment's value with the value-set row behind it."""

    value_set: ValueSetOut
    currency: Literal["GBP"]
    price_years: list[int]
    total_gbp: float
    local_gbp: float = Field(description="local economic value, part of total_gbp")
    by_ward: list[WardTotalOut]
    by_ward_basis: str
    unplaced_gbp: float
    by_theme: dict[str, float]
    build_cost_gbp: float
    per_million_build_cost: float | None
    commitments: list[CommitmentValueOut]
    unvalued: list[UnvaluedOut]
    notes: list[str]


class SummaryOut(_Model):
    total: int
    pass_: int = Field(alias="pass")
    partial: int
    fail: int
    not_applicable: int
    needs_evidence: int


class DesignationOut(_Model):
    chosen: str | None = None
    found: str | None = None
    chosen_name: str | None = None
    found_name: str | None = None


class RegimeOut(_Model):
    applied_on: IsoDate = Field(description="the date whose rules and parameters applied")
    basis: Literal["validation_date", "assessment_date"] = Field(
        description="validation_date: the application's validation date; assessment_date: "
        "none was given, so the date of assessment (submission)"
    )
    validation_date: IsoDate | None = None


class AssessmentOut(_Model):
    """`planning-sv/assessment@1`: the typed record every page, download and figure reads."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"$id": SCHEMA_ID, "title": "planning_sv assessment"},
    )
    schema_: Literal["planning-sv/assessment@1"] = Field(alias="schema")
    council: str
    council_name: str
    application_reference: str | None = None
    pack_version: str
    assessed_on: IsoDate = Field(description="the date whose rules and parameters were applied")
    generated_at: IsoDateTime
    site: SiteOut
    rules: list[RuleResultOut]
    commitments: list[CommitmentOut]
    social_value: SocialValueOut | None = None
    summary: SummaryOut
    # Added after records were first stored (absent in those).
    regime: RegimeOut | None = Field(
        default=None, description="which date chose the rules applied, and on what basis"
    )
    site_area_ha: float | None = Field(
        default=None, description="the site area used by the rules: given, or from the polygon"
    )
    designation: DesignationOut | None = Field(
        default=None,
        description="the site's designation as the applicant chose it and as found in the "
        "council's designation boundaries (for the officer to confirm)",
    )

    def valued(self, commitment_id: str) -> CommitmentValueOut | None:
        """The valuer's entry for a commitment (None: no valuer ran, or not listed)."""
        if self.social_value is None:
            return None
        return next((c for c in self.social_value.commitments if c.id == commitment_id), None)

    @property
    def applied_on(self) -> dt.date:
        """The date whose rules and figures applied: the regime's (the validation date when
        given), else the assessment date (records stored before `regime` existed)."""
        return applied_on(self.regime, self.assessed_on)

    @property
    def value_set_label(self) -> str | None:
        """'name vVERSION' of the value set the valuer used, or None (no valuer ran)."""
        if self.social_value is None or not self.social_value.value_set.name:
            return None
        used = self.social_value.value_set
        return _value_set_label(used.name, used.version)


def applied_on(regime: RegimeOut | None, assessed_on: dt.date) -> dt.date:
    """The date whose rules and figures applied to a record (its regime's, else the
    assessment date): for readers holding only those parts (`store/impact.impact_cases`)."""
    return regime.applied_on if regime is not None else assessed_on


# The name the code uses for the record; `AssessmentOut` stays the published schema's title
# (the API's OpenAPI components are named after it).
AssessmentRecord = AssessmentOut


def parse_assessment(data: Any) -> AssessmentRecord:
    """The typed record of stored or emitted assessment@1 data.

    Raises InputInvalid with one Problem per fault (JSON path and message).
    """
    try:
        return AssessmentOut.model_validate(data)
    except ValidationError as exc:
        raise InputInvalid(
            [Problem(json_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        ) from None


def assessment_json_schema() -> dict[str, Any]:
    schema = AssessmentOut.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# --- the record -------------------------------------------------------------------------


def _wards(wards: Iterable[WardShare]) -> list[dict[str, Any]]:
    return [{"code": w.code, "name": w.name, "share": w.share} for w in wards]


def site_dict(placement: Placement) -> dict[str, Any]:
    """Where the site landed, as recorded under `site` in assessment@1."""
    return {
        "method": placement.method,
        "vintage": placement.vintage,
        "wards": _wards(placement.wards),
        "inside_council": placement.inside_council,
        "outside_share": placement.outside_share,
        "point": list(placement.point) if placement.point else None,
        "warnings": list(placement.warnings),
    }


def _value_set_label(name: str, version: Any) -> str:
    return f"{name} v{version}"


def value_set_label(assessment: Mapping[str, Any]) -> str | None:
    """'name vVERSION' of the value set in the assessor's emitted dict, or None.

    For the writer only (`store/statements._assessment_row` fills the row's `value_set`
    column from the dict it stores, without parsing it again); readers of a stored record
    use `AssessmentRecord.value_set_label`.
    """
    social = assessment.get("social_value") or {}
    value_set = social.get("value_set") if isinstance(social, Mapping) else None
    if isinstance(value_set, Mapping) and value_set.get("name"):
        return _value_set_label(value_set["name"], value_set.get("version", "?"))
    return None


def commitment_dict(
    commitment: Commitment, placement: Placement | None, value_gbp: float | None
) -> dict[str, Any]:
    """One commitment as recorded: what was promised, where it landed, its £ value."""
    return {
        "id": commitment.id,
        "measure": commitment.measure,
        "quantity": commitment.quantity,
        "unit": commitment.unit,
        "phase": commitment.phase,
        "description": commitment.description,
        "wards": _wards(placement.wards) if placement else [],
        "method": placement.method if placement else None,
        "vintage": placement.vintage if placement else None,
        "local": placement.local if placement else False,
        "local_reason": placement.local_reason if placement else "not placed",
        "inside_council": placement.inside_council if placement else None,
        "value_gbp": value_gbp,
        "warnings": list(placement.warnings) if placement else [],
        "point": list(placement.point) if placement and placement.point else None,
        **({"district": placement.district} if placement and placement.district else {}),
    }


REGIME_BASES = ("validation_date", "assessment_date")


@dataclass(frozen=True)
class Regime:
    """Which date chose the rules and figures applied, and why (shown to the officer)."""

    applied_on: dt.date
    basis: str  # one of REGIME_BASES
    validation_date: dt.date | None = None

    @classmethod
    def of(cls, statement: Any, assessed_on: dt.date) -> Regime:
        validated = getattr(statement, "validation_date", None)
        if validated is not None:
            return cls(applied_on=validated, basis="validation_date", validation_date=validated)
        return cls(applied_on=assessed_on, basis="assessment_date")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"applied_on": self.applied_on.isoformat(), "basis": self.basis}
        if self.validation_date is not None:
            data["validation_date"] = self.validation_date.isoformat()
        return data


@dataclass(frozen=True)
class Assessment:
    council: str
    council_name: str
    application_reference: str | None
    pack_version: str
    assessed_on: dt.date
    generated_at: dt.datetime
    site: Placement
    rules: list[RuleResult]
    commitments: list[dict[str, Any]]
    social_value: dict[str, Any] | None = None
    placement: StatementPlacement | None = field(default=None, compare=False, repr=False)
    regime: Regime | None = None
    site_area_ha: float | None = None  # given, or measured from the site polygon
    designation: dict[str, Any] | None = None  # {"chosen": code, "found": code}

    def summary(self) -> dict[str, int]:
        counts = Counter(result.status for result in self.rules)
        return {"total": len(self.rules), **{status: counts.get(status, 0) for status in STATUSES}}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "council": self.council,
            "council_name": self.council_name,
            "application_reference": self.application_reference,
            "pack_version": self.pack_version,
            "assessed_on": self.assessed_on.isoformat(),
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "site": site_dict(self.site),
            "rules": [result.to_dict() for result in self.rules],
            "commitments": [dict(item) for item in self.commitments],
            "summary": self.summary(),
        }
        if self.social_value is not None:
            data["social_value"] = self.social_value
        if self.regime is not None:
            data["regime"] = self.regime.to_dict()
        if self.site_area_ha is not None:
            data["site_area_ha"] = self.site_area_ha
        if self.designation is not None:
            data["designation"] = dict(self.designation)
        return data
