"""`planning-sv/statement@1`: the applicant's social value statement.

The pydantic models here are the contract: the JSON Schema published by
`planning-sv schema statement` and by the API is generated from them. Structural checks
(types, signs, required fields) live in the models; checks that need the council's plan or
the measures catalogue (unknown council, measure or unit, quantity ceilings, places) live in
`validate_commitments` and `validate_site`, which `parse_statement` and every other way of
adding a commitment (form, CSV upload) call.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planning_sv.core.errors import InputInvalid, Problem, json_path
from planning_sv.core.figures import format_number
from planning_sv.core.limits import geometry_coordinate_problem, json_value_problems, load_json

SCHEMA_ID = "planning-sv/statement@1"
MAX_COMMITMENTS = 500  # per statement, however the commitments arrive

# Research and development and sui generis uses akin to office are kept apart from office
# because policies count them with it (a workspace policy) while valuation and others may not.
USE_CLASS_LABELS = {
    "office": "Office",
    "research_development": "Research and development",
    "sui_generis_office": "Sui generis use akin to office",
    "industrial": "Industrial",
    "retail": "Retail",
    "hotel": "Hotel",
    "residential": "Residential",
    "community": "Community",
    "other": "Other",
}
USE_CLASSES = tuple(USE_CLASS_LABELS)
UseClass = Literal[
    "office",
    "research_development",
    "sui_generis_office",
    "industrial",
    "retail",
    "hotel",
    "residential",
    "community",
    "other",
]
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
# No development figure comes near a thousand million million (pounds, m², hectares).
# Bounding every input figure is also what keeps an assessment's arithmetic finite: a
# statement cannot make a rule or a valuation overflow to Infinity.
MAX_FIGURE = 1e15


def _within_max_figure(value: float) -> float:
    if value > MAX_FIGURE:
        raise ValueError(f"must be at most {format_number(MAX_FIGURE)}; check the figure")
    return value


NonNegative = Annotated[
    float, Field(ge=0, allow_inf_nan=False), JsonNumber, AfterValidator(_within_max_figure)
]
# NaN/Infinity would pass a plain float and then break JSON storage (PostgreSQL refuses
# them, SQLite's encoder raises), so coordinates must be finite like every other number.
Coordinates = Annotated[
    list[Annotated[float, Field(allow_inf_nan=False), JsonNumber]],
    Field(min_length=2, max_length=2),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GeoJSONGeometry(_Model):
    """A GeoJSON geometry in EPSG:4326 (lon, lat). Coordinates are checked by the geo module."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Point", "Polygon", "MultiPolygon"]
    coordinates: list[Any]

    @field_validator("coordinates", mode="before")
    @classmethod
    def _shaped(cls, value: Any, info: ValidationInfo) -> Any:
        # The shape is checked before anything recurses into it: a member nested 900 deep
        # would otherwise exhaust the serialiser's depth or shapely's recursion.
        problem = geometry_coordinate_problem(info.data.get("type"), value)
        if problem:
            raise ValueError(problem)
        return value


class Where(_Model):
    """Where a commitment lands: exactly one of the location kinds."""

    postcode: ShortText | None = Field(default=None, description="UK postcode, e.g. 'N7 8QP'")
    ward: ShortText | None = Field(default=None, description="ward GSS code, e.g. 'E05013705'")
    point: Coordinates | None = Field(default=None, description="[lon, lat] in EPSG:4326")
    easting_northing: Coordinates | None = Field(
        default=None, description="[easting, northing] in EPSG:27700"
    )
    geometry: GeoJSONGeometry | None = None
    # Strict: JSON true/false only (the published schema says boolean; 1 or "yes" is refused).
    borough: StrictBool | None = Field(
        default=None, description="true: anywhere in the council's area"
    )
    # Added after statements were first stored (absent in those, so they read as before).
    site: StrictBool | None = Field(
        default=None,
        description="true: on the development site itself; placed in the site's ward(s) "
        "exactly as the site is, never by a point that may fall over a ward line",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Where:
        given = [name for name in self.kinds() if getattr(self, name) not in (None, False)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of postcode, ward, point, easting_northing, geometry, "
                f"borough: true or site: true (got {', '.join(given) or 'none'})"
            )
        return self

    @staticmethod
    def kinds() -> tuple[str, ...]:
        return ("postcode", "ward", "point", "easting_northing", "geometry", "borough", "site")

    @functools.cached_property
    def kind(self) -> str:
        # Cached: placing a statement asks each commitment's kind several times. (Where is
        # never updated in place; model_copy(update=...) of a Where would need to drop it.)
        return next(name for name in self.kinds() if getattr(self, name) not in (None, False))


class Site(_Model):
    address: ShortText | None = None
    postcode: ShortText | None = None
    point: Coordinates | None = None
    geometry: GeoJSONGeometry | None = None
    designation: Identifier | None = Field(
        default=None,
        description="the planning designation the site lies in, one of the council's "
        "`designations` (e.g. 'caz' for a Central Activities Zone); rules whose "
        "requirement depends on location read it, and the officer confirms it",
    )

    @model_validator(mode="after")
    def _located(self) -> Site:
        if self.postcode is None and self.point is None and self.geometry is None:
            raise ValueError("give the site's postcode, point or geometry")
        return self


class Development(_Model):
    dwellings: Annotated[int, Field(ge=0, le=1_000_000), JsonNumber] = 0
    floorspace_sqm: dict[UseClass, NonNegative] = Field(default_factory=dict)
    existing_floorspace_sqm: dict[UseClass, NonNegative] = Field(
        default_factory=dict,
        description="floorspace on the site before development (for net gains)",
    )
    build_cost_gbp: NonNegative
    construction_months: Annotated[int, Field(ge=0, le=600), JsonNumber] | None = None
    site_area_ha: NonNegative | None = Field(
        default=None, description="site area in hectares; taken from the site polygon if omitted"
    )
    dwellings_not_known: StrictBool = Field(
        default=False,
        description="true for an outline scheme whose number of dwellings is not yet known "
        "(the statutory major-development test then looks at the site area)",
    )


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


def _date_text(value: Any) -> Any:
    """A date in JSON is text (YYYY-MM-DD): a number would be read as seconds since 1970."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("give the date as text, YYYY-MM-DD")
    return value


def _not_future(value: dt.date) -> dt.date:
    # A validation date is a fact about the past: a future one would pick rules not yet in
    # force. Checked here, so the form, the JSON upload, the API and the ODP import agree.
    if value > dt.date.today():
        raise ValueError("must be today or in the past")
    return value


class Statement(_Model):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"$id": SCHEMA_ID, "title": "planning_sv social value statement"},
    )
    schema_: Literal["planning-sv/statement@1"] = Field(default=SCHEMA_ID, alias="schema")
    council: Identifier
    application_reference: ShortText | None = None
    validation_date: (
        Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(_not_future)] | None
    ) = Field(
        default=None,
        description="the date the council validated the planning application: the rules and "
        "figures in force on it apply; without it, those in force on the submission date",
    )
    # Added for the Open Digital Planning import (core/odp.py); absent in older statements.
    application_type: (
        Annotated[
            str,
            StringConstraints(
                strip_whitespace=True,
                max_length=100,
                pattern=r"^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+){0,5}$",
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="the planning application's type as an Open Digital Planning code, "
        "e.g. 'pp.full.major' (full planning permission, major development)",
    )
    site: Site
    development: Development
    commitments: list[Commitment] = Field(default_factory=list, max_length=MAX_COMMITMENTS)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _designation_problems(site: Any, plan: Any) -> list[Problem]:
    """A site designation must be one the council's plan defines."""
    designation = site.get("designation") if isinstance(site, dict) else None
    if not isinstance(designation, str) or not designation.strip():
        return []
    known = {d.code: d.name for d in getattr(plan, "designations", ())}
    if designation.strip() in known:
        return []
    if not known:
        return [Problem("$.site.designation", f"{plan.name} defines no site designations")]
    choices = "; ".join(f"{code} ({name})" for code, name in known.items())
    return [Problem("$.site.designation", f"choose one of {plan.name}'s designations: {choices}")]


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
    geo: LocationChecker | None = None,
) -> Statement:
    """Validate raw JSON data into a Statement, or raise InputInvalid naming every bad field.

    `councils` (code -> plan) and `measures` (code -> measure with `.units`) enable the checks
    that need reference data; callers in the app always pass both. With `geo` as well, every
    location is placed for the council: unknown postcodes, other councils' wards and a site
    wholly outside the council's area are faults too.
    """
    if isinstance(data, (str, bytes)):
        data = load_json(data)  # InputInvalid for malformed, NaN, huge or deep JSON
    if not isinstance(data, dict):
        raise InputInvalid([Problem("$", "a statement must be a JSON object")])
    # Data built in Python (not parsed here) meets the same limits before pydantic recurses.
    too_much = json_value_problems(data)
    if too_much:
        raise InputInvalid(too_much)
    # Structural and reference faults are reported together, so one run names every problem.
    problems: list[Problem] = []
    council, plan = data.get("council"), None
    if councils is not None and isinstance(council, str):
        plan = councils.get(council.strip())
        if plan is None:
            problems.append(unknown_council(council, councils))
    located = plan if geo is not None else None
    raw_commitments = data.get("commitments")
    models: list[Commitment | None] = []
    if isinstance(raw_commitments, list):
        # Commitments are checked by validate_commitments alone (the model's faults included),
        # so a commitment reads the same here as in the form, the CSV upload and the API.
        problems += validate_commitments(
            raw_commitments, measures=measures, council=located, geo=geo, models=models
        )
    if located is not None and geo is not None:
        problems += validate_site(data.get("site"), located, geo)
    if plan is not None:
        problems += _designation_problems(data.get("site"), plan)
    payload = data
    if (
        isinstance(raw_commitments, list)
        and len(models) == len(raw_commitments)
        and all(model is not None for model in models)
    ):
        # Each commitment was validated once above; the statement takes those models as
        # they are (pydantic does not revalidate instances), not the dicts a second time.
        payload = {**data, "commitments": models}
    try:
        statement = Statement.model_validate(payload)
    except ValidationError as exc:
        structural = [
            p
            for p in _problems_from_validation(exc)
            if not isinstance(raw_commitments, list)
            or not (p.path == "$.commitments" or p.path.startswith("$.commitments["))
        ]
        reported = {p.path for p in structural}
        raise InputInvalid(structural + [p for p in problems if p.path not in reported]) from None
    if problems:
        raise InputInvalid(problems)
    return statement


def unknown_council(council: str, councils: Iterable[str]) -> Problem:
    return Problem(
        "$.council", f"unknown council '{council}' (known: {', '.join(sorted(councils))})"
    )


# --- business validation: one path for every way a commitment arrives --------------------

PHASES: tuple[str, ...] = get_args(Phase)
_ID_PATTERN = re.compile(r"[\w.\-]{1,64}")
ID_MESSAGE = "use 1 to 64 letters, digits, '.', '-' or '_'"
PHASE_MESSAGE = "use construction, end_use or operation"
# Order in which a commitment's own problems are listed (then anything the model adds).
_FIELD_ORDER = ("id", "measure", "quantity", "unit", "phase", "where", "stacks_on")


class LocationPlan(Protocol):
    """What placing needs from a council's plan (core.plans.CouncilPlan has these)."""

    lad_code: str
    boundary_vintage: str
    local_definition: dict[str, Any]


class LocationChecker(Protocol):
    """Places locations in a council's wards (core.geo.service.GeoService)."""

    def place(
        self,
        where: Where,
        *,
        lad_code: str,
        vintage: str,
        local_definition: dict[str, Any] | None = None,
        path: str = "$.where",
    ) -> Any: ...

    def place_site(self, site: Site, plan: Any, *, path: str = "$.site") -> Any: ...


FieldPath = Callable[[int, str], str]


def json_field_path(index: int, field_name: str) -> str:
    """`$.commitments[2].quantity`: where a problem of commitment `index` is reported."""
    base = f"$.commitments[{index}]"
    return f"{base}.{field_name}" if field_name else base


def _field_of(loc: Iterable[Any]) -> str:
    """A pydantic location inside one commitment as a dotted field: 'where.point[1]'."""
    out = ""
    for part in loc:
        if str(part).startswith("function-"):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def quantity_problem(value: Any, measure: Any, unit: str | None) -> str | None:
    """Why `value` is not a usable quantity (None when it is): a number, finite, 0 or more,
    and at most the unit's ceiling in measures.yaml when the measure and unit are known."""
    if value is None:
        return "give the quantity as a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            _json_number(value)
        except ValueError as exc:
            return str(exc)  # "must be a number, not text ('lots')", as the model says
        return "must be a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if value < 0:
        return "must be 0 or more"
    if measure is not None and unit in measure.units:
        limit = measure.quantity_limit(unit)
        if value > limit:
            return f"must be at most {format_number(limit)} {measure.units[unit]}; check the figure"
    return None


def _own_problems(
    item: Mapping[str, Any],
    measures: Mapping[str, Any] | None,
    taken: set[str],
    known_ids: set[str],
) -> dict[str, str]:
    """field -> message for the checks the model cannot make (or words better)."""
    out: dict[str, str] = {}
    cid = _text(item.get("id"))
    if cid is None or not _ID_PATTERN.fullmatch(cid):
        out["id"] = ID_MESSAGE
    elif cid in taken:
        out["id"] = f"duplicate commitment id '{cid}'"
    code, unit = _text(item.get("measure")), _text(item.get("unit"))
    measure = None
    if not code:
        out["measure"] = "give the measure"
    elif measures is not None:
        measure = measures.get(code)
        if measure is None:
            out["measure"] = f"unknown measure '{code}'"
    if not unit:
        out["unit"] = "give the unit"
    elif measure is not None and unit not in measure.units:
        accepted = ", ".join(measure.units)
        out["unit"] = f"unit '{unit}' is not accepted for measure '{code}' (accepted: {accepted})"
    problem = quantity_problem(item.get("quantity"), measure, unit)
    if problem:
        out["quantity"] = problem
    phase = item.get("phase")
    if phase is not None and _text(phase) not in PHASES:
        out["phase"] = PHASE_MESSAGE
    stacks_on = item.get("stacks_on")
    if stacks_on is not None and _text(stacks_on) not in known_ids:
        out["stacks_on"] = f"no commitment with id '{stacks_on}'"
    return out


def _location_problems(
    where: Where, council: LocationPlan, geo: LocationChecker, path: Callable[[str], str]
) -> list[Problem]:
    """Whether `where` can be placed for `council`: a known postcode, one of the council's
    ward codes, a valid point. Places outside the borough are allowed (they count as not
    local); only places that cannot be placed at all are problems."""
    if where.kind == "site":
        return []  # placed with the site, which validate_site checks
    anchor = "\x00where"  # placed under a private path, then renamed to the caller's field
    try:
        geo.place(
            where,
            lad_code=council.lad_code,
            vintage=council.boundary_vintage,
            local_definition=council.local_definition,
            path=anchor,
        )
    except InputInvalid as exc:
        return [
            Problem(path("where" + p.path.removeprefix(anchor)), p.message) for p in exc.problems
        ]
    except LookupError as exc:  # boundaries or postcodes the service could not find
        return [Problem(path("where"), f"cannot place this location: {exc}")]
    return []


def validate_commitments(
    commitments: Sequence[Any],
    *,
    existing: Sequence[Mapping[str, Any]] = (),
    measures: Mapping[str, Any] | None = None,
    council: LocationPlan | None = None,
    geo: LocationChecker | None = None,
    path: FieldPath = json_field_path,
    list_path: str = "$.commitments",
    models: list[Commitment | None] | None = None,
) -> list[Problem]:
    """Every problem with adding `commitments` (raw statement@1 dicts) to `existing` ones.

    The one check behind the commitment form, the CSV upload, the JSON upload, the API and
    `parse_statement`, so all of them accept the same commitments and word faults alike:
    structure (the Commitment model), ids (format, unique across existing and new), measure
    and unit (measures catalogue), quantity (a finite number from 0 to the unit's ceiling),
    phase, `stacks_on`, at most MAX_COMMITMENTS in all, and, when `council` and `geo` are
    given, that each location can be placed for that council. `path(index, field)` names
    where a problem is reported (a JSON path by default; a CSV row and column for uploads).
    `models`, when given, receives each checked commitment's model (None where it failed),
    so `parse_statement` need not validate the commitments a second time.
    """
    problems: list[Problem] = []
    total = len(existing) + len(commitments)
    if total > MAX_COMMITMENTS:
        already = f" ({len(existing)} already, {len(commitments)} more)" if existing else ""
        problems.append(
            Problem(
                list_path,
                f"a statement can have at most {MAX_COMMITMENTS} commitments; "
                f"this would make {total}{already}",
            )
        )
    existing_ids = {str(c.get("id")) for c in existing if isinstance(c, Mapping)}
    new_ids = {text for c in commitments if isinstance(c, Mapping) and (text := _text(c.get("id")))}
    known_ids = existing_ids | new_ids
    taken = set(existing_ids)
    # Past the cap only the cap is news; checking 50,000 more rows would only slow the answer.
    for index, item in enumerate(commitments[: max(MAX_COMMITMENTS - len(existing), 0) or 1]):
        at = functools.partial(path, index)
        if not isinstance(item, Mapping):
            problems.append(Problem(at(""), "each commitment must be an object"))
            if models is not None:
                models.append(None)
            continue
        own = _own_problems(item, measures, taken, known_ids)
        cid = _text(item.get("id"))
        if cid:
            taken.add(cid)
        model: Commitment | None = None
        structural: list[tuple[str, str]] = []
        try:
            model = Commitment.model_validate(dict(item))
        except ValidationError as exc:
            for error in exc.errors():
                field_name = _field_of(error["loc"])
                root = field_name.split(".")[0].split("[")[0]
                if root not in own:
                    structural.append((field_name, error["msg"].removeprefix("Value error, ")))
        if models is not None:
            models.append(model)
        ordered = sorted(own.items(), key=lambda kv: _FIELD_ORDER.index(kv[0]))
        problems.extend(Problem(at(name), message) for name, message in ordered)
        problems.extend(Problem(at(name), message) for name, message in structural)
        if geo is None or council is None:
            continue
        if any(name == "where" or name.startswith("where.") for name, _ in structural):
            continue
        where = model.where if model is not None else _where_or_none(item.get("where"))
        if where is not None:
            problems.extend(_location_problems(where, council, geo, at))
    return problems


def _where_or_none(raw: Any) -> Where | None:
    try:
        return Where.model_validate(raw)
    except ValidationError:
        return None


def validate_site(
    site: Any, council: LocationPlan, geo: LocationChecker, *, path: str = "$.site"
) -> list[Problem]:
    """Whether the site can be placed and lies at least partly in `council`'s area.

    A site wholly outside is refused, naming the council it is in; a polygon partly outside
    is accepted (its placement records the share outside)."""
    try:
        model = site if isinstance(site, Site) else Site.model_validate(site)
    except ValidationError:
        return []  # structure is reported by the model, with its own paths
    try:
        geo.place_site(model, council, path=path)
    except InputInvalid as exc:
        return exc.problems
    except LookupError as exc:
        return [Problem(path, f"cannot place the site: {exc}")]
    return []
