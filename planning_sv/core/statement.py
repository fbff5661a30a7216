"""`planning-sv/statement@1`: the applicant's social value statement.

The pydantic models here are the contract: the JSON Schema published by
`planning-sv schema statement` and by the API is generated from them. Structural checks
(types, signs, required fields) live in the models; checks that need the council's plan or
the measures catalogue (unknown council, measure or unit) live in `parse_statement`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from planning_sv.core.errors import InputInvalid, Problem, json_path

SCHEMA_ID = "planning-sv/statement@1"

USE_CLASSES = ("office", "industrial", "retail", "hotel", "residential", "community", "other")
UseClass = Literal["office", "industrial", "retail", "hotel", "residential", "community", "other"]
Phase = Literal["construction", "end_use", "operation"]

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.\-]+$"),
]


def _json_number(value: Any) -> Any:
    # pydantic's lax mode would read "25" as 25 and true as 1; a statement is JSON, so a
    # quantity sent as text or true/false is the sender's mistake and is reported as such.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, (str, bytes)):
        raise ValueError(f"must be a number, not text ({str(value)[:20]!r})")
    return value


JsonNumber = BeforeValidator(_json_number)
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False), JsonNumber]
Coordinates = Annotated[list[Annotated[float, JsonNumber]], Field(min_length=2, max_length=2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GeoJSONGeometry(_Model):
    """A GeoJSON geometry in EPSG:4326 (lon, lat). Coordinates are checked by the geo module."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Point", "Polygon", "MultiPolygon"]
    coordinates: list[Any]


class Where(_Model):
    """Where a commitment lands: exactly one of the location kinds."""

    postcode: ShortText | None = Field(default=None, description="UK postcode, e.g. 'N7 8QP'")
    ward: ShortText | None = Field(default=None, description="ward GSS code, e.g. 'E05013705'")
    point: Coordinates | None = Field(default=None, description="[lon, lat] in EPSG:4326")
    easting_northing: Coordinates | None = Field(
        default=None, description="[easting, northing] in EPSG:27700"
    )
    geometry: GeoJSONGeometry | None = None
    borough: bool | None = Field(default=None, description="true: anywhere in the council's area")

    @model_validator(mode="after")
    def _exactly_one(self) -> Where:
        given = [name for name in self.kinds() if getattr(self, name) not in (None, False)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of postcode, ward, point, easting_northing, geometry or "
                f"borough: true (got {', '.join(given) or 'none'})"
            )
        return self

    @staticmethod
    def kinds() -> tuple[str, ...]:
        return ("postcode", "ward", "point", "easting_northing", "geometry", "borough")

    @property
    def kind(self) -> str:
        return next(name for name in self.kinds() if getattr(self, name) not in (None, False))


class Site(_Model):
    address: ShortText | None = None
    postcode: ShortText | None = None
    point: Coordinates | None = None
    geometry: GeoJSONGeometry | None = None

    @model_validator(mode="after")
    def _located(self) -> Site:
        if self.postcode is None and self.point is None and self.geometry is None:
            raise ValueError("give the site's postcode, point or geometry")
        return self


class Development(_Model):
    dwellings: Annotated[int, Field(ge=0), JsonNumber] = 0
    floorspace_sqm: dict[UseClass, NonNegative] = Field(default_factory=dict)
    existing_floorspace_sqm: dict[UseClass, NonNegative] = Field(
        default_factory=dict,
        description="floorspace on the site before development (for net gains)",
    )
    build_cost_gbp: NonNegative
    construction_months: Annotated[int, Field(ge=0, le=600), JsonNumber] | None = None
    site_area_ha: NonNegative | None = None


class Commitment(_Model):
    id: Identifier
    measure: Identifier
    quantity: NonNegative
    unit: Identifier
    where: Where
    phase: Phase | None = None
    description: LongText | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    stacks_on: Identifier | None = Field(
        default=None,
        description="id of another commitment counting the same people (e.g. a disadvantaged-"
        "group measure on top of local employment); valuation applies the stacking rules",
    )

    @model_validator(mode="after")
    def _dates_ordered(self) -> Commitment:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class Statement(_Model):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"$id": SCHEMA_ID, "title": "planning_sv social value statement"},
    )
    schema_: Literal["planning-sv/statement@1"] = Field(default=SCHEMA_ID, alias="schema")
    council: Identifier
    application_reference: ShortText | None = None
    site: Site
    development: Development
    commitments: list[Commitment] = Field(default_factory=list, max_length=500)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def statement_json_schema() -> dict[str, Any]:
    schema = Statement.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _problems_from_validation(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if not str(part).startswith("function-")]
        message = item["msg"].removeprefix("Value error, ")
        problems.append(Problem(json_path(loc), message))
    return problems


def parse_statement(
    data: Any,
    *,
    councils: Mapping[str, Any] | None = None,
    measures: Mapping[str, Any] | None = None,
) -> Statement:
    """Validate raw JSON data into a Statement, or raise InputInvalid naming every bad field.

    `councils` (code -> plan) and `measures` (code -> measure with `.units`) enable the checks
    that need reference data; callers in the app always pass both.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InputInvalid(
                [Problem("$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
            ) from None
    if not isinstance(data, dict):
        raise InputInvalid([Problem("$", "a statement must be a JSON object")])
    # Structural and reference faults are reported together, so one run names every problem.
    problems = _reference_problems(data, councils, measures)
    try:
        statement = Statement.model_validate(data)
    except ValidationError as exc:
        structural = _problems_from_validation(exc)
        reported = {p.path for p in structural}
        raise InputInvalid(structural + [p for p in problems if p.path not in reported]) from None
    if problems:
        raise InputInvalid(problems)
    return statement


def unknown_council(council: str, councils: Iterable[str]) -> Problem:
    return Problem(
        "$.council", f"unknown council '{council}' (known: {', '.join(sorted(councils))})"
    )


def _reference_problems(
    data: dict[str, Any],
    councils: Mapping[str, Any] | None,
    measures: Mapping[str, Any] | None,
) -> list[Problem]:
    """Faults that need reference data or the whole list: unknown council, measure or unit,
    duplicate ids, dangling `stacks_on`. Read from the raw JSON so they can be reported even
    when other fields fail structural validation."""
    problems: list[Problem] = []
    council = data.get("council")
    if councils is not None and isinstance(council, str) and council.strip() not in councils:
        problems.append(unknown_council(council, councils))
    raw_commitments = data.get("commitments")
    if not isinstance(raw_commitments, list):
        return problems
    commitments = [c if isinstance(c, dict) else {} for c in raw_commitments]
    ids = {c.get("id") for c in commitments}
    seen: set[Any] = set()
    for index, commitment in enumerate(commitments):
        base = f"$.commitments[{index}]"
        cid, stacks_on = commitment.get("id"), commitment.get("stacks_on")
        if isinstance(cid, str) and cid in seen:
            problems.append(Problem(f"{base}.id", f"duplicate commitment id '{cid}'"))
        seen.add(cid)
        if isinstance(stacks_on, str) and stacks_on not in ids:
            problems.append(Problem(f"{base}.stacks_on", f"no commitment with id '{stacks_on}'"))
        code, unit = commitment.get("measure"), commitment.get("unit")
        if measures is None or not isinstance(code, str):
            continue
        measure = measures.get(code.strip())
        if measure is None:
            problems.append(Problem(f"{base}.measure", f"unknown measure '{code}'"))
        elif isinstance(unit, str) and unit.strip() not in measure.units:
            accepted = ", ".join(measure.units)
            problems.append(
                Problem(
                    f"{base}.unit",
                    f"unit '{unit}' is not accepted for measure '{code}' (accepted: {accepted})",
                )
            )
    return problems
