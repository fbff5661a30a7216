"""What applicants read: domain problems, rule results and version changes in plain words.

The core and the API keep machine-readable paths (`$.commitments[2].where.ward`) and terse
messages; this module is the one place that turns them into GOV.UK-style sentences for the
applicant pages: each names the field it is about and says what to do, never shows a JSON
path, a rule expression, a data file name or a research caveat. `scrub` is the last guard
for any wording not matched below.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planning_sv.core.assessment import AssessmentRecord
from planning_sv.core.errors import Problem
from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.geo.postcodes import normalise_postcode

# --- field names ----------------------------------------------------------------------------

DEVELOPMENT_LABELS = {
    "dwellings": "Number of homes",
    "dwellings_not_known": "Whether the number of homes is known",
    "build_cost_gbp": "Build cost",
    "construction_months": "Construction period",
    "site_area_ha": "Site area",
    "floorspace_sqm": "Floorspace",
    "existing_floorspace_sqm": "Existing floorspace",
}
SITE_LABELS = {
    "address": "Site address",
    "postcode": "Site postcode",
    "point": "Site longitude and latitude",
    "geometry": "Red-line boundary",
    "designation": "Site designation",
}
COMMITMENT_LABELS = {
    "id": "Reference",
    "measure": "What you will provide",
    "quantity": "Quantity",
    "unit": "Unit",
    "phase": "Phase",
    "where": "Where it will be delivered",
    "where.postcode": "Postcode",
    "where.ward": "Ward code",
    "where.point": "Longitude and latitude",
    "where.easting_northing": "Grid reference",
    "where.geometry": "Area",
    "where.site": "On the site",
    "where.borough": "Anywhere in the borough",
    "description": "Description",
    "start_date": "Start date",
    "end_date": "End date",
    "stacks_on": "The commitment it adds to",
}
CSV_COLUMN_LABELS = {
    "id": "Id",
    "measure": "Measure",
    "quantity": "Quantity",
    "unit": "Unit",
    "phase": "Phase",
    "postcode": "Postcode",
    "ward": "Ward",
    "longitude": "Longitude",
    "latitude": "Latitude",
    "on_site": "On the site",
    "description": "Description",
}
TOP_LABELS = {
    "council": "Council",
    "application_reference": "Planning application reference",
    "validation_date": "Validation date",
    "schema": "Schema",
    "site": "Site",
    "development": "Development facts",
    "commitments": "Commitments",
}
USE_WORDS = {"other": "other"}  # use class -> words; most are their own name

_INDEX = re.compile(r"^\$\.commitments\[(\d+)\](.*)$")
_CSV_CELL = re.compile(r"^row (\d+), columns? (.+)$")
_CSV_ROW = re.compile(r"^row (\d+)$")


@dataclass(frozen=True)
class Where:
    """Where a problem is, in words: an optional list item ('Commitment c3', 'Row 4') and
    the field ('Quantity')."""

    item: str | None
    field: str


def _key_words(key: str) -> str:
    return key.replace("_", " ")


def describe_path(path: str, commitments: Sequence[Mapping[str, Any]] = ()) -> Where:
    """A problem path (JSON path, CSV cell, form field) as words.

    `commitments` (the statement's) names a commitment by its reference rather than its
    position."""
    match = _INDEX.match(path)
    if match:
        index, rest = int(match.group(1)), match.group(2).lstrip(".")
        cid = None
        if 0 <= index < len(commitments) and isinstance(commitments[index], Mapping):
            raw = commitments[index].get("id")
            cid = str(raw) if isinstance(raw, (str, int)) and str(raw).strip() else None
        item = f"Commitment {cid}" if cid else f"Commitment {index + 1}"
        field = re.sub(r"\[\d+\]$", "", rest)
        label = COMMITMENT_LABELS.get(field) or COMMITMENT_LABELS.get(field.split(".")[0])
        if label is None:
            label = f"‘{_key_words(field.split('.')[-1])}’" if field else "This commitment"
        return Where(item, label)
    match = _CSV_CELL.match(path)
    if match:
        columns = match.group(2)
        label = CSV_COLUMN_LABELS.get(columns, "Location" if "," in columns else columns)
        return Where(f"Row {match.group(1)}", label)
    match = _CSV_ROW.match(path)
    if match:
        row = match.group(1)
        return Where(f"Row {row}" + (" (the column names)" if row == "1" else ""), "This row")
    if path in ("$", "file", ""):
        return Where(None, "The file")
    if not path.startswith("$."):
        return Where(None, _key_words(path).capitalize())
    parts = [p for p in re.split(r"[.\[\]]+", path[2:]) if p]
    head = parts[0]
    if head == "development" and len(parts) >= 2:
        if parts[1] in ("floorspace_sqm", "existing_floorspace_sqm") and len(parts) >= 3:
            use = USE_WORDS.get(parts[2], _key_words(parts[2]))
            prefix = "Existing " if parts[1].startswith("existing") else ""
            return Where(None, f"{prefix}{use} floorspace".capitalize())
        return Where(None, DEVELOPMENT_LABELS.get(parts[1], f"‘{_key_words(parts[-1])}’"))
    if head == "site" and len(parts) >= 2:
        return Where(None, SITE_LABELS.get(parts[1], f"‘{_key_words(parts[-1])}’"))
    if head in TOP_LABELS and len(parts) == 1:
        return Where(None, TOP_LABELS[head])
    return Where(None, f"‘{_key_words(parts[-1])}’")


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What rewording needs to know: the measures catalogue (unit words), council names by
    GSS local authority code, and the council of the statement."""

    measures: Mapping[str, Any]
    councils_by_lad: Mapping[str, str]
    council_name: str = "the council"


Rewriter = Callable[[re.Match[str], str, Context], str]


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():  # 'GSS', 'CSV': keep acronyms
        return text
    return text[:1].lower() + text[1:]


def _number_text(raw: str) -> str:
    try:
        return format_number(float(raw))
    except ValueError:
        return raw


def _unit_choice(measure: Any, code: str) -> str:
    return f"{measure.units[code]} ({code})"


def _or_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _wrong_unit(m: re.Match[str], field: str, ctx: Context) -> str:
    measure = ctx.measures.get(m.group("measure"))
    if measure is None:
        return f"{field} must be one that fits what you will provide"
    choices = _or_list([_unit_choice(measure, code) for code in measure.units])
    return f"{field} must be one that fits {_lower_first(measure.label)}: {choices}"


def _unknown_postcode(m: re.Match[str], field: str, ctx: Context) -> str:
    code = normalise_postcode(m.group("postcode"))
    return f"{field} {code} was not found: check it and enter a full postcode, like N19 5RQ"


def _other_ward(m: re.Match[str], field: str, ctx: Context) -> str:
    return (
        f"{field} {m.group('code')} is a ward in {m.group('other')}, not "
        f"{m.group('own')}: enter the code of one of {m.group('own')}'s wards"
    )


def _exactly_one(m: re.Match[str], field: str, ctx: Context) -> str:
    if m.group("got") == "none":
        return "Select where it will be delivered"
    return (
        "Where it will be delivered must be one place only: a postcode, a ward, a point, "
        "an area, on the site or anywhere in the borough"
    )


def _plain(template: str) -> Rewriter:
    def rewrite(m: re.Match[str], field: str, ctx: Context) -> str:
        values = {k: (v or "") for k, v in m.groupdict().items()}
        if "n" in values:
            values["n"] = _number_text(values["n"])
        return template.format(field=field, lfield=_lower_first(field), **values)

    return rewrite


# (pattern, rewrite): the first match wins. Patterns match the core's and pydantic's
# wording; anything else is capitalised and scrubbed.
REWORDINGS: tuple[tuple[re.Pattern[str], Rewriter], ...] = tuple(
    (re.compile(pattern, re.S), rewrite)
    for pattern, rewrite in (
        # numbers
        (r"^must be 0 or more$", _plain("{field} must be 0 or more")),
        (r"^must be today or in the past$", _plain("{field} must be today or in the past")),
        # also the core's "must be a number, not true/false" and "…, not text"
        (r"^must be a (?:finite )?number", _plain("{field} must be a number, like 1,200")),
        (
            r"^must be at most (?P<limit>[\d,.]+) (?P<unit>.+?); check the figure$",
            _plain("{field} must be {limit} {unit} or fewer: check the figure"),
        ),
        (
            r"^must be at most (?P<limit>[\d,.]+); check the figure$",
            _plain("{field} must be {limit} or less: check the figure"),
        ),
        (r"^give the quantity as a number$", _plain("Enter the {lfield} as a number, like 1,200")),
        (
            r"^Input should be greater than or equal to (?P<n>\S+)",
            _plain("{field} must be {n} or more"),
        ),
        (r"^Input should be greater than (?P<n>\S+)", _plain("{field} must be more than {n}")),
        (
            r"^Input should be less than or equal to (?P<n>\S+)",
            _plain("{field} must be {n} or less"),
        ),
        (r"^Input should be less than (?P<n>\S+)", _plain("{field} must be less than {n}")),
        (r"^Input should be a valid integer", _plain("{field} must be a whole number, like 12")),
        (
            r"^Input should be a (?:finite|valid) number",
            _plain("{field} must be a number, like 1,200"),
        ),
        (r"^Input should be a valid string", _plain("{field} must be text")),
        (r"^Input should be a valid boolean", _plain("{field} must be true or false")),
        (r"^Input should be a valid date", _plain("{field} must be a date, like 2026-04-30")),
        (r"^Input should be a valid (?:list|array)", _plain("{field} must be a list")),
        (
            r"^Input should be (?:a valid dictionary|an object)",
            _plain("{field} must be a group of named values"),
        ),
        (r"^Input should be (?P<options>'.*)$", _plain("{field} must be {options}")),
        (
            r"^Extra inputs are not permitted",
            _plain("{field} is not part of a statement: remove it"),
        ),
        (r"^Field required", _plain("{field} is missing: add it")),
        (
            r"^String should have at most (?P<n>\d+) characters?",
            _plain("{field} must be {n} characters or fewer"),
        ),
        (r"^String should have at least 1 character", _plain("Enter the {lfield}")),
        (
            r"^String should have at least (?P<n>\d+) characters?",
            _plain("{field} must be at least {n} characters"),
        ),
        (
            r"^String should match pattern",
            _plain("{field} must use only letters, digits, full stops, hyphens or underscores"),
        ),
        (
            r"^List should have at most (?P<n>\d+) items?",
            _plain("{field} can have at most {n} entries"),
        ),
        # commitments
        (r"^give the measure$", _plain("Select what you will provide")),
        (r"^give the unit$", _plain("Select the unit")),
        (
            r"^unknown measure '(?P<measure>.*)'$",
            _plain("{field} must be one of the kinds of commitment listed (not ‘{measure}’)"),
        ),
        (
            r"^unit '(?P<unit>.*)' is not accepted for measure '(?P<measure>.*)' \(accepted: .*\)$",
            _wrong_unit,
        ),
        (
            r"^use 1 to 64 letters",
            _plain("{field} must be 1 to 64 letters, digits, full stops, hyphens or underscores"),
        ),
        (
            r"^duplicate commitment id '(?P<id>.*)'$",
            _plain(
                "{field} ‘{id}’ is used by another commitment: give each commitment its own reference"
            ),
        ),
        (
            r"^use construction, end_use or operation$",
            _plain("{field} must be construction, end use or operation"),
        ),
        (
            r"^no commitment with id '(?P<id>.*)'$",
            _plain(
                "{field} must be the reference of another commitment in this statement (there is no ‘{id}’)"
            ),
        ),
        (
            r"^a statement can have at most (?P<max>\d+) commitments; this would make (?P<total>\d+)",
            _plain(
                "A statement can have at most {max} commitments; this would make {total}. Remove some first"
            ),
        ),
        (
            r"^end_date is before start_date$",
            _plain("End date must be the same as or after the start date"),
        ),
        (r"^give exactly one of .*\(got (?P<got>.*)\)$", _exactly_one),
        (r"^each commitment must be an object$", _plain("{field} must be a group of named values")),
        # places
        (
            r"^give the site's postcode, point or geometry$",
            _plain("Enter the site's postcode, a point or a red-line boundary"),
        ),
        (
            r"^This postcode is (?P<rest>.*)$",
            _plain("{field} is {rest}"),
        ),
        (
            r"^This (?P<what>point|site) is (?P<rest>.*)$",
            _plain("The {what} is {rest}"),
        ),
        (
            r"^'(?P<postcode>.*)' is not a UK postcode$",
            _plain("{field} must be a full UK postcode, like N19 5RQ"),
        ),
        (r"^unknown postcode '(?P<postcode>[^']*)'", _unknown_postcode),
        (
            r"^'(?P<code>.*)' is not a ward GSS code",
            _plain("{field} must be a ward code like E05013706"),
        ),
        (
            r"^ward (?P<code>\S+) is in (?P<other>.+?), not (?P<own>.+?); give one of",
            _other_ward,
        ),
        (
            r"^unknown ward code (?P<code>\S+)",
            _plain(
                "{field} {code} is not a ward we know: enter the code of one of the council's wards, like E05013706"
            ),
        ),
        (
            r"looks like \[latitude, longitude\]",
            _plain(
                "{field} look the wrong way round: enter the longitude first, then the latitude"
            ),
        ),
        (
            r"looks like British National Grid",
            _plain("{field} must be a longitude and a latitude, not grid metres"),
        ),
        (r"is outside Great Britain", _plain("{field} must be a place in Great Britain")),
        (
            r"looks like \[northing, easting\]",
            _plain("{field} look the wrong way round: give the easting first"),
        ),
        (
            r"looks like lon/lat",
            _plain("{field} looks like a longitude and latitude: give them as a point instead"),
        ),
        (r"^give two numbers", _plain("{field} must be two numbers")),
        (r"^coordinates must be finite numbers$", _plain("{field} must be numbers")),
        (
            r"^cannot place (?:this location|the site)",
            _plain("{field} could not be found on the map: check it and try again"),
        ),
        (
            r"^(?:not a valid GeoJSON|invalid geometry)",
            _plain("{field} is not a valid shape: check the file"),
        ),
        (r"^the polygon has no area$", _plain("{field} has no area: check the file")),
        (
            r"^the geometry has no coordinates$",
            _plain("{field} has no coordinates: check the file"),
        ),
        # rules needing facts
        (r"^needed by rule", _plain("Enter the {lfield}: the council's rules need it")),
        # files
        (r"^not valid JSON: not UTF-8 text", _plain("The file must be UTF-8 text")),
        (
            r"^not valid JSON: .* at line (?P<line>\d+) column (?P<column>\d+)",
            _plain("The file is not valid JSON: check line {line}, column {column}"),
        ),
        (r"^nested more than", _plain("The file is nested too deeply to be a statement")),
        (
            r"^a statement must be a JSON object$",
            _plain("The file must hold one statement: a JSON object"),
        ),
        (
            r"^unknown council '(?P<council>.*)'",
            _plain("The file is for a council this service does not cover (‘{council}’)"),
        ),
        (
            r"^missing column\(s\): (?P<columns>[^(]*?)(?: \(columns: .*\))?$",
            _plain(
                "The first row must name the columns measure, quantity and unit: it does not have {columns}"
            ),
        ),
        (
            r"^unknown column\(s\): (?P<columns>.*)$",
            _plain(
                "The first row has columns this service does not use: {columns}. Remove them or correct their names"
            ),
        ),
        (
            r"^the file has no commitments below the header$",
            _plain("The file has no commitments below the first row"),
        ),
        (r"^the CSV is empty", _plain("The file is empty")),
        (r"^write yes or no", _plain("{field} must be yes or no, or left empty")),
        (
            r"^give both longitude and latitude as numbers$",
            _plain("Enter both the longitude and the latitude as numbers"),
        ),
    )
)

_JSON_PATH = re.compile(r"\$(?:\.[A-Za-z_][\w-]*|\[[^\]\s]*\])+|\$(?=[\s:,;)]|$)")
_FILE_NAME = re.compile(
    r"\(?\s*(?:not )?in\s+[\w.+-]+\.(?:csv|geojson|json|ya?ml|gpkg|parquet|zip|shp|txt)\)?"
    r"|[\w.+-]+\.(?:csv|geojson|json|ya?ml|gpkg|parquet|zip|shp)\b",
    re.I,
)
_BACKTICKS = re.compile(r"`[^`]*`")
_CAVEAT = re.compile(r"\bun-?verified\b", re.I)
_LAD_CODE = re.compile(r"\b[EWSN](?:0[6-9]|1[0-2])\d{6}\b")


def scrub(text: str, ctx: Context | None = None) -> str:
    """The last guard on any text shown to an applicant: no JSON paths, data file names,
    rule expressions, research caveats, or councils named only by their GSS code."""
    text = _JSON_PATH.sub("", text)
    text = _FILE_NAME.sub("", text)
    text = _BACKTICKS.sub("", text)
    text = _CAVEAT.sub("", text)
    names = ctx.councils_by_lad if ctx else {}
    text = _LAD_CODE.sub(lambda m: names.get(m.group(0), "another council"), text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip(" :;,")


def reword(message: str, field: str, ctx: Context) -> str:
    """One problem's message as a sentence that names `field` and says what to do."""
    message = message.strip().removeprefix("Value error, ")
    for pattern, rewrite in REWORDINGS:
        match = pattern.search(message)
        if match:
            return scrub(rewrite(match, field, ctx), ctx)
    text = scrub(message, ctx)
    if not text:
        return f"Check the {_lower_first(field)}"
    if text[:1].islower():
        # A predicate ("must be …", "is in <council>, not <other council>") reads after the field.
        return (
            f"{field} {text}" if text.startswith(("must ", "is ", "are ")) else (f"{field}: {text}")
        )
    return text


# Sentences about the whole file or statement, never prefixed with a row or commitment.
WHOLE_FILE = ("The file", "The first row", "A statement")

# A whole section not given yet: what the applicant should do.
MISSING_SECTIONS = {
    "$.site": "Enter where the site is",
    "$.development": "Enter the development facts",
    "$.development.build_cost_gbp": "Enter the build cost",
    "$.council": "Select the council",
}


def problem_text(
    problem: Problem,
    ctx: Context,
    *,
    commitments: Sequence[Mapping[str, Any]] = (),
    field: str | None = None,
) -> str:
    """A problem as a page shows it. `field` is the label of the form field it sits under
    (the list item is then implied by the page); otherwise the path is described, e.g.
    'Commitment c3: quantity must be 0 or more'."""
    if field is not None:
        return reword(problem.message, field, ctx)
    if problem.message.startswith("Field required") and problem.path in MISSING_SECTIONS:
        return MISSING_SECTIONS[problem.path]
    where = describe_path(problem.path, commitments)
    sentence = reword(problem.message, where.field, ctx)
    if where.item and not sentence.startswith(WHOLE_FILE):
        return f"{where.item}: {_lower_first(sentence)}"
    return sentence


# --- figures and places in words ------------------------------------------------------------

PHASE_WORDS = {
    "construction": "the construction phase",
    "end_use": "the end-use phase",
    "operation": "the operation phase",
}


def unit_words(unit_label: str, value: float | None) -> str:
    """A unit's label for a quantity: 'sqm (GIA)' reads 'm² (GIA)', and one of a plural
    unit is singular ('1 apprenticeship start', '1 placement of at least 2 weeks')."""
    words = re.sub(r"\bsqm\b", "m²", unit_label).split(" ")
    if value == 1:
        for i, word in enumerate(words):
            if word == "people":
                words[i] = "person"
                break
            if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
                words[i] = word[:-1]
                break
    return " ".join(words)


def quantity_words(value: Any, unit: str, measure: Any | None) -> str:
    """'800 m² (GIA)', '£2,000,000', '25 FTE-years', '20% of workforce'."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "no quantity given"
    if unit == "gbp":
        return format_gbp(value)
    if unit == "percent":
        return f"{format_number(value)}%"
    label = measure.units.get(unit, unit) if measure is not None else unit
    if unit == "sqm" and label.startswith("sqm"):
        label = "m²" + label[3:]
    return f"{format_number(value)} {unit_words(label, value)}".replace(" m² ", " m² ")


def place_words(
    where: Mapping[str, Any] | None, ward_names: Mapping[str, str] | None = None
) -> str:
    """Where a commitment is delivered, e.g. 'at N19 5RQ', 'anywhere in the borough'."""
    where = where or {}
    if where.get("postcode"):
        return f"at {normalise_postcode(str(where['postcode']))}"
    if where.get("ward"):
        code = str(where["ward"])
        name = (ward_names or {}).get(code)
        return f"in {name} ward ({code})" if name else f"in ward {code}"
    if where.get("site"):
        return "on the site"
    if isinstance(where.get("point"), (list, tuple)) and len(where["point"]) == 2:
        lon, lat = where["point"]
        return f"at longitude {format_number(lon)}, latitude {format_number(lat)}"
    if where.get("geometry"):
        return "in an area uploaded as a map shape"
    if isinstance(where.get("easting_northing"), (list, tuple)):
        e, n = where["easting_northing"]
        return f"at grid reference {format_number(e)}, {format_number(n)}"
    return "anywhere in the borough"


def commitment_words(
    item: Mapping[str, Any],
    measures: Mapping[str, Any],
    ward_names: Mapping[str, str] | None = None,
) -> str:
    """'40 FTE-years of local employment in the end-use phase, anywhere in the borough'."""
    code = str(item.get("measure") or "")
    measure = measures.get(code)
    unit = str(item.get("unit") or "")
    quantity = item.get("quantity")
    subject = _key_words(code) or "an unnamed commitment"
    if unit in ("text", "document") and measure is not None:
        what = _lower_first(measure.label)
    elif unit == "percent" and measure is not None:
        what = f"{format_number(quantity)}% ({_lower_first(measure.label)})"
    else:
        amount = quantity_words(quantity, unit, measure)
        words_in_unit = measure is not None and any(
            len(word) > 3 and word.rstrip("s") in amount for word in subject.split(" ")
        )
        what = amount if words_in_unit else f"{amount} of {subject}"
    phase = PHASE_WORDS.get(str(item.get("phase") or ""))
    where = item.get("where") if isinstance(item.get("where"), Mapping) else {}
    return f"{what}{f' in {phase}' if phase else ''}, {place_words(where, ward_names)}"


# --- rule results in plain English ----------------------------------------------------------

# Development facts as the rule sentences name them, with their unit.
FACTS: dict[str, tuple[str, str | None]] = {
    "dwellings": ("homes", "homes"),
    "build_cost_gbp": ("build cost", "gbp"),
    "build_cost_millions": ("build cost", "millions"),
    "construction_months": ("construction period", "months"),
    "site_area_ha": ("site area", "hectares"),
    "floorspace_total": ("floorspace in total", "sqm"),
    "floorspace_non_residential": ("non-residential floorspace", "sqm"),
    "existing_floorspace_total": ("existing floorspace in total", "sqm"),
    "net_floorspace_total": ("net additional floorspace", "sqm"),
}


def _fact_words(name: str) -> tuple[str, str | None]:
    if name in FACTS:
        return FACTS[name]
    prefix, _, use = name.partition(".")
    kind = {
        "floorspace": "",
        "existing_floorspace": "existing ",
        "net_floorspace": "net additional ",
    }.get(prefix)
    if kind is not None and use:
        return f"{kind}{_key_words(use)} floorspace", "sqm"
    return _key_words(name), None


def _amount(value: Any, unit: str | None) -> str:
    if unit == "gbp":
        return format_gbp(value)
    if unit == "millions":
        return format_gbp(float(value) * 1_000_000)
    if unit == "sqm":
        return f"{format_number(value)} m²"
    if unit is None:
        return format_number(value)
    return format_number(value, unit if value != 1 else unit.rstrip("s"))


def _param_amount(param: Mapping[str, Any]) -> str:
    """A parameter's value with its unit: '1,000 m²', '10 homes', '£1,000 per £1m …'."""
    value, unit = param.get("value"), str(param.get("unit") or "")
    if unit.startswith("fraction"):
        return f"{format_number(float(value) * 100)}%"
    if unit == "sqm":
        return f"{format_number(value)} m²"
    if unit == "dwellings":
        return format_number(value, "homes" if value != 1 else "home")
    if unit.startswith("£"):
        return f"{format_gbp(value)}{unit[1:]}"
    return f"{format_number(value)} {unit_words(unit, value)}".strip()


_COMPARE_WORDS = {
    ast.GtE: ("at least", "less than"),
    ast.Gt: ("more than", "not more than"),
    ast.LtE: ("at most", "more than"),
    ast.Lt: ("less than", "at least"),
    ast.Eq: ("exactly", "not"),
}


_FLOORSPACE_KINDS = {
    "floorspace": "",
    "existing_floorspace": "existing ",
    "net_floorspace": "net additional ",
}


def _sum_terms(node: ast.AST, name_of: Callable[[ast.AST], str | None]) -> list[str]:
    """The names added up by `a + b + c`, or [] for any other shape."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sum_terms(node.left, name_of), _sum_terms(node.right, name_of)
        return left + right if left and right else []
    name = name_of(node)
    return [name] if name else []


def _common_noun(name: str) -> str:
    """'Town centre' reads 'town centre' mid-sentence; 'Central Activities Zone (CAZ)' is a
    proper name and keeps its capitals."""
    rest = name.split(" ")[1:]
    if any(word[:1].isupper() for word in rest):
        return name
    return name[:1].lower() + name[1:]


class _Unreadable(Exception):
    """An expression shape the sentences below do not cover: the generic wording is used."""


class _Reader:
    """Reads a rule's expression tree with the values the assessment record holds (its
    `inputs` and `parameters`), to say in words what the rule worked out. The expression
    itself is never shown."""

    def __init__(
        self,
        inputs: Mapping[str, Any],
        params: Mapping[str, Mapping[str, Any]],
        plan: Any | None = None,
    ):
        self.inputs = inputs
        self.params = params
        # The plan's named tests ("major_development") and site designations ("caz").
        self.definitions = {d.name: d for d in getattr(plan, "definitions", ()) or ()}
        self.designations = {d.code: d.name for d in getattr(plan, "designations", ()) or ()}

    def words(self, name: str) -> tuple[str, str | None]:
        """A fact or a plan's named figure in words, with its unit."""
        definition = self.definitions.get(name)
        if definition is None:
            return _fact_words(name)
        unit = "sqm" if "floorspace" in name else None
        tree = definition.expression.tree.body
        terms = _sum_terms(tree, self.name_of)
        if terms and all(t.split(".")[0] in _FLOORSPACE_KINDS for t in terms):
            # A sum of floorspace by use: name only the uses this development has.
            given = [t for t in terms if self.inputs.get(t)] or terms[:1]
            kind = _FLOORSPACE_KINDS[given[0].split(".")[0]]
            uses = " and ".join(_key_words(t.split(".", 1)[1]) for t in given)
            return f"{kind}{uses} floorspace", "sqm"
        text = str(definition.description or _key_words(name))
        return _lower_first(re.split(r" \(|[,.;:] ", text, maxsplit=1)[0]), unit

    def designation_of(self, node: ast.AST) -> str | None:
        name = self.name_of(node)
        if name and name.startswith("designation."):
            return name.removeprefix("designation.")
        return None

    def designation_names(self, codes: Iterable[str]) -> str:
        return _or_list([_common_noun(self.designations.get(c, _key_words(c))) for c in codes])

    def name_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return f"{node.value.id}.{node.attr}"
        return None

    def param(self, node: ast.AST) -> Mapping[str, Any] | None:
        name = self.name_of(node)
        if name and name.startswith("param."):
            return self.params.get(name.removeprefix("param."))
        return None

    def fact(self, node: ast.AST) -> tuple[str, Any, str | None]:
        name = self.name_of(node)
        if name is None or name not in self.inputs:
            raise _Unreadable
        words, unit = self.words(name)
        return words, self.inputs[name], unit

    def condition(self, node: ast.AST, holds: bool) -> list[str]:
        """Clauses saying why a condition came out as it did."""
        return [clause for clause, _met in self._clauses(node, holds)]

    def _clauses(self, node: ast.AST, holds: bool) -> list[tuple[str, bool]]:
        codes = (
            [self.designation_of(v) for v in node.values] if isinstance(node, ast.BoolOp) else []
        )
        if codes and all(codes) and isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            met_codes = [c for c in codes if c and self.inputs.get(f"designation.{c}")]
            if met_codes:
                return [(f"the site is in the {self.designation_names(met_codes)}", True)]
            return [
                (f"the site is not in the {self.designation_names(c for c in codes if c)}", False)
            ]
        if isinstance(node, ast.BoolOp):
            found = [c for v in node.values for c in self._clauses(v, holds)]
            if holds and isinstance(node.op, ast.Or):
                # Any one met condition is why it applies: name those only.
                return [c for c in found if c[1]] or found
            if not holds and isinstance(node.op, ast.And):
                return [c for c in found if not c[1]] or found
            return found
        code = self.designation_of(node)
        if code is not None:
            met = bool(self.inputs.get(f"designation.{code}"))
            where = "in" if met else "not in"
            return [(f"the site is {where} the {self.designation_names([code])}", met)]
        name = self.name_of(node)
        if name is not None and isinstance(self.inputs.get(name), bool):
            # A named test the plan defines (e.g. "major_development"), recorded as its result.
            met = bool(self.inputs[name])
            definition = self.definitions.get(name)
            if definition is not None:
                try:
                    inner = definition.expression.tree.body
                    if self.designation_of(inner) or (
                        isinstance(inner, ast.BoolOp)
                        and all(self.designation_of(v) for v in inner.values)
                    ):
                        return self._clauses(inner, met)
                except AttributeError:
                    pass
            article = "an" if name[:1] in "aeiou" else "a"
            words = _key_words(name)
            return [
                (f"this is {article} {words}" if met else f"this is not {article} {words}", met)
            ]
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            words, value, unit = self.fact(node.left)
            param = self.param(node.comparators[0])
            if param is None:
                raise _Unreadable
            op = type(node.ops[0])
            if op not in _COMPARE_WORDS:
                raise _Unreadable
            met = _evaluate_compare(op, value, param.get("value"))
            relation = _COMPARE_WORDS[op][0 if met else 1]
            if unit == "homes":
                clause = f"the development has {format_number(value, 'homes')}, {relation} {_param_amount(param)}"
            else:
                clause = f"the {words} is {_amount(value, unit)}, {relation} {_param_amount(param)}"
            return [(clause, met)]
        raise _Unreadable

    def requirement(self, node: ast.AST, required: float, unit: str) -> str:
        total = _amount_in(required, unit)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return f"At least {total} is needed."
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.args
            and node.func.id in ("round", "floor", "ceil")
        ):
            return self.requirement(node.args[0], required, unit)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            pairs = ((node.left, node.right), (node.right, node.left))
            for amount_node, rate_node in pairs:
                param = self.param(rate_node)
                if param is None:
                    continue
                rate_unit = str(param.get("unit") or "")
                whole = (
                    isinstance(amount_node, ast.Call)
                    and isinstance(amount_node.func, ast.Name)
                    and amount_node.func.id == "floor"
                )
                inner = amount_node.args[0] if whole else amount_node  # type: ignore[attr-defined]
                words, value, fact_unit = self.fact(inner)
                if rate_unit.startswith("fraction"):
                    return (
                        f"{_param_amount(param)} of the {_amount(value, fact_unit)} of "
                        f"{words} = {total}."
                    )
                match = re.match(r"^(?P<what>.+?) per £1m\b", rate_unit)
                if match and fact_unit == "millions":
                    each = "complete £1 million" if whole else "£1 million"
                    rate = param.get("value")
                    what = match.group("what").strip()
                    per = (
                        format_gbp(rate)
                        if what == "£"
                        else f"{format_number(rate)} {unit_words(what, rate)}"
                    )
                    return f"{per} for each {each} of the {_amount(value, fact_unit)} {words} = {total}."
        raise _Unreadable


def _evaluate_compare(op: type, left: Any, right: Any) -> bool:
    try:
        a, b = float(left), float(right)
    except (TypeError, ValueError):
        return False
    return {
        ast.GtE: a >= b,
        ast.Gt: a > b,
        ast.LtE: a <= b,
        ast.Lt: a < b,
        ast.Eq: math.isclose(a, b),
    }[op]


def _amount_in(value: float | None, unit: str) -> str:
    """A rule figure in its unit: '800 m²', '£45,000', '45 placements', '1 commitment'."""
    if value is None:
        return "nothing"
    if unit == "gbp":
        return format_gbp(value)
    if unit == "sqm":
        return f"{format_number(value)} m²"
    if unit == "sqm_years":
        return f"{format_number(value)} m²-years"
    words = unit.replace("_", " ")
    if value == 1 and words.endswith("s"):
        words = words[:-1]
    return f"{format_number(value)} {words}".strip()


EXCLUDED_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), s)
    for p, s in (
        (r"^not local", "it is not delivered in the council's local area"),
        (
            r"^wrong phase: (?P<phase>\S+) \(counts (?P<counts>\S+)\)",
            "it is in {phase}, and this rule counts {counts} only",
        ),
        (r"^other unit: (?P<unit>\S+)", "this rule does not count commitments given in {unit}"),
    )
)


def _excluded_words(reason: str) -> str:
    for pattern, words in EXCLUDED_REASONS:
        m = pattern.search(reason)
        if m:
            values = {k: PHASE_WORDS.get(v, v.replace("_", " ")) for k, v in m.groupdict().items()}
            return words.format(**values)
    return "it does not count towards this rule"


@dataclass(frozen=True)
class RuleExplanation:
    """A rule result in sentences, for the applicant's self-check."""

    applies: str | None
    required: str | None
    proposed: str
    result: str
    evidence: str | None


RESULT_WORDS = {
    "pass": "Your statement meets this rule.",
    "partial": "Your statement partly meets this rule.",
    "fail": "Your statement does not meet this rule yet.",
    "not_applicable": "This rule does not apply to your development.",
    "needs_evidence": "Your commitments meet the figure; the planning officer will also need evidence.",
}


def explain_rule(rule: Any, plan_rule: Any | None, plan: Any | None = None) -> RuleExplanation:
    """Sentences for one rule result of the typed assessment record (`RuleResultOut`).

    Built from the record's structured data: the development facts and parameter values it
    used, the figures and the commitments counted or left out. `plan_rule` (the rule in the
    council's pack, when it is still there) gives the shape of its conditions, so the
    sentence can say "10% of the 8,000 m² of office floorspace = 800 m²"; its expressions
    are never shown. Without it, or for a shape not covered, the sentence is more general.
    """
    params = {p.name: {"value": p.value, "unit": p.unit} for p in rule.parameters}
    reader = _Reader(dict(rule.inputs), params, plan)
    applies: str | None = None
    condition = getattr(plan_rule, "applies_when", None)
    holds = rule.status != "not_applicable"
    if condition is not None:
        try:
            clauses = reader.condition(condition.tree.body, holds)
            joined = " and ".join(clauses) if clauses else ""
            if not joined:
                raise _Unreadable
            applies = (
                f"It applies because {joined}." if holds else f"It does not apply because {joined}."
            )
        except (_Unreadable, IndexError, KeyError, TypeError, ValueError):
            applies = None
    if applies is None and rule.inputs:
        facts = "; ".join(
            f"{_fact_words(name)[0]} {_amount(value, _fact_words(name)[1])}"
            for name, value in rule.inputs.items()
        )
        verb = "applies" if holds else "does not apply"
        applies = f"It {verb} to your development, going by its facts: {facts}."
    required: str | None = None
    if rule.required is not None:
        expression = getattr(plan_rule, "requires", None)
        if expression is not None:
            try:
                required = reader.requirement(expression.tree.body, rule.required, rule.unit)
            except (_Unreadable, AttributeError, IndexError, KeyError, TypeError, ValueError):
                required = None
        if required is None:
            required = f"The rule asks for {_amount_in(rule.required, rule.unit)}."
        else:
            required = required[:1].upper() + required[1:]
    proposed = _proposed_words(rule)
    result = RESULT_WORDS.get(rule.status, "")
    if rule.status in ("fail", "partial") and rule.shortfall:
        result += f" It is {_amount_in(rule.shortfall, rule.unit)} short."
    evidence = rule.evidence if rule.status in ("needs_evidence", "fail") else None
    return RuleExplanation(applies, required, proposed, result.strip(), evidence)


def _proposed_words(rule: Any) -> str:
    if rule.status == "not_applicable":
        return ""
    if rule.unit == "commitments" and rule.counted:
        ids = [item.id for item in rule.counted if item.counted]
        if ids:
            sentence = (
                f"{format_number(len(ids))} of your commitments count: {_or_list(ids).replace(' or ', ' and ')}."
                if len(ids) > 1
                else f"1 of your commitments counts: {ids[0]}."
            )
        else:
            sentence = "None of your commitments counts towards this rule."
        left_out = [f"{e.id}, because {_excluded_words(e.reason)}" for e in rule.excluded]
        return sentence + (f" Not counted: {'; '.join(left_out)}." if left_out else "")
    parts = []
    for item in rule.counted:
        if item.counted != item.quantity or item.unit != rule.unit:
            parts.append(f"commitment {item.id} counts as {_amount_in(item.counted, rule.unit)}")
        else:
            parts.append(f"commitment {item.id} gives {_amount_in(item.counted, rule.unit)}")
    if parts:
        sentence = (
            f"Your commitments add up to {_amount_in(rule.proposed, rule.unit)}: "
            f"{'; '.join(parts)}."
        )
    else:
        sentence = "None of your commitments counts towards this rule."
    left_out = [f"{e.id}, because {_excluded_words(e.reason)}" for e in rule.excluded]
    if left_out:
        sentence += f" Not counted: {'; '.join(left_out)}."
    return sentence


def policy(citation: Mapping[str, Any]) -> dict[str, str | None]:
    """The policy a rule comes from, as the applicant sees it: the document, the policy
    and its link. The citation's paragraph is left out: it may carry research notes
    (what could not be confirmed), which are for officers."""
    return {
        "document": scrub(str(citation.get("document") or "")) or None,
        "policy": scrub(str(citation.get("policy") or "")) or None,
        "url": str(citation.get("url")) if citation.get("url") else None,
    }


# --- what changed between versions ----------------------------------------------------------


def _dev_value(key: str, value: Any) -> str:
    if key == "build_cost_gbp":
        return format_gbp(value)
    if key == "construction_months":
        return format_number(value, "months")
    if key == "dwellings":
        return format_number(value, "homes")
    if key == "site_area_ha":
        return format_number(value, "hectares")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format_number(value)


def _site_words(site: Mapping[str, Any]) -> str:
    if site.get("postcode"):
        return f"postcode {normalise_postcode(str(site['postcode']))}"
    if isinstance(site.get("point"), (list, tuple)) and len(site["point"]) == 2:
        return f"longitude {format_number(site['point'][0])}, latitude {format_number(site['point'][1])}"
    if site.get("geometry"):
        return "a red-line boundary"
    return "not given"


def change_sentences(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    measures: Mapping[str, Any],
    ward_names: Mapping[str, str] | None = None,
) -> list[str]:
    """What changed from one statement version to the next, one sentence per change:
    'Added: 40 FTE-years of local employment in the end-use phase, anywhere in the borough'."""
    out: list[str] = []

    def changed(label: str, before: str, after: str) -> None:
        out.append(f"Changed: {label} from {before} to {after}")

    if old.get("application_reference") != new.get("application_reference"):
        changed(
            "planning application reference",
            str(old.get("application_reference") or "none"),
            str(new.get("application_reference") or "none"),
        )
    old_dev, new_dev = old.get("development") or {}, new.get("development") or {}
    for key, label in DEVELOPMENT_LABELS.items():
        if key.endswith("floorspace_sqm"):
            before_uses, after_uses = old_dev.get(key) or {}, new_dev.get(key) or {}
            for use in sorted(set(before_uses) | set(after_uses)):
                words = f"{'existing ' if key.startswith('existing') else ''}{_key_words(use)} floorspace"
                a, b = before_uses.get(use), after_uses.get(use)
                if a == b:
                    continue
                if a is None:
                    out.append(f"Added: {format_number(b)} m² of {words}")
                elif b is None:
                    out.append(f"Removed: the {format_number(a)} m² of {words}")
                else:
                    changed(words, f"{format_number(a)} m²", f"{format_number(b)} m²")
            continue
        a, b = old_dev.get(key), new_dev.get(key)
        if a == b:
            continue
        words = _lower_first(label)
        if a is None:
            out.append(f"Added: {words} of {_dev_value(key, b)}")
        elif b is None:
            out.append(f"Removed: {words} of {_dev_value(key, a)}")
        else:
            changed(words, _dev_value(key, a), _dev_value(key, b))
    old_site, new_site = old.get("site") or {}, new.get("site") or {}
    if _site_words(old_site) != _site_words(new_site) or (
        old_site.get("geometry") != new_site.get("geometry")
    ):
        changed("site location", _site_words(old_site), _site_words(new_site))
    if old_site.get("address") != new_site.get("address"):
        changed(
            "site address",
            str(old_site.get("address") or "none"),
            str(new_site.get("address") or "none"),
        )
    before = {str(c.get("id")): c for c in old.get("commitments") or [] if isinstance(c, Mapping)}
    after = {str(c.get("id")): c for c in new.get("commitments") or [] if isinstance(c, Mapping)}
    for cid, item in after.items():
        if cid not in before:
            out.append(f"Added: {commitment_words(item, measures, ward_names)}")
        elif item != before[cid]:
            was = commitment_words(before[cid], measures, ward_names)
            now = commitment_words(item, measures, ward_names)
            if was == now:
                out.append(f"Changed: the description or dates of commitment {cid} ({now})")
            else:
                out.append(f"Changed: commitment {cid} from {was}, to {now}")
    for cid, item in before.items():
        if cid not in after:
            out.append(f"Removed: {commitment_words(item, measures, ward_names)}")
    return [scrub(sentence) for sentence in out]


def ward_names_of(record: AssessmentRecord | None) -> dict[str, str]:
    """Ward code -> name from a typed assessment record's placements."""
    if record is None:
        return {}
    names = {w.code: w.name for w in record.site.wards}
    for item in record.commitments:
        names.update({w.code: w.name for w in item.wards})
    return names


def lad_names(plans: Iterable[Any]) -> dict[str, str]:
    """GSS local authority code -> council name, for messages that compare councils."""
    return {p.lad_code: p.name for p in plans if getattr(p, "lad_code", None)}
