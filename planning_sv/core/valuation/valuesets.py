"""Value sets: £ per unit of each measure, with the source, price year and licence of each.

The open set ships in `local_plans/value_sets/open/` (CSV + metadata); every row cites an
OGL v3 or CC BY 4.0 source. A council may import its own set (e.g. its licensed copy of a
commercial framework) as CSV; this module validates it (`build_value_set`) and
`planning_sv/store/value_sets.py` keeps the versions and each council's choice in the
database, with their audit rows. Nothing here imports Flask or SQLAlchemy or writes files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import parse_number
from planning_sv.core.measures import Measure, load_measures

OPEN_SET_NAME = "open"
VALUE_SETS_DIR = LOCAL_PLANS_DIR / "value_sets"
VALUE_TYPES: tuple[str, ...] = (
    "economic",
    "fiscal",
    "wellbeing",
    "local_economic",
    "environmental",
    "social",
)
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low", "unverified")
# The only licences the shipped open set may carry (SPDX identifiers).
OPEN_LICENCES: tuple[str, ...] = ("OGL-UK-3.0", "CC-BY-4.0")
# The fields `planning-sv values list` shows first, in this order (issue 4's contract).
LISTED_FIELDS: tuple[str, ...] = (
    "measure",
    "unit",
    "gbp_per_unit",
    "price_year",
    "value_type",
    "source",
    "url",
    "licence",
    "method",
    "confidence",
)
COLUMNS: tuple[str, ...] = (*LISTED_FIELDS, "note", "uprate_index")
REQUIRED_COLUMNS: tuple[str, ...] = ("measure", "unit", "gbp_per_unit", "price_year")
MAX_CSV_BYTES = 2_000_000  # a value set is a few hundred rows; anything bigger is a mistake
MAX_ROWS = 5_000
PRICE_YEARS = range(1990, 2101)
_COUNCIL_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@dataclass(frozen=True)
class ValueRow:
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

    def as_dict(self) -> dict[str, Any]:
        # Every field is a scalar, so a copy of the fields is enough: `asdict`'s recursive
        # deep copy cost 3 ms per 100-commitment assessment.
        return dict(self.__dict__)


@dataclass(frozen=True)
class ValueSet:
    """A named, versioned set of value rows. `council` is None for the shipped open set."""

    name: str
    version: int
    licence: str
    owner: str
    rows: tuple[ValueRow, ...]
    council: str | None = None
    title: str = ""
    date: str = ""
    target_price_year: int | None = None
    notes: str = ""
    sha256: str = ""
    _index: dict[tuple[str, str], ValueRow] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({(r.measure, r.unit): r for r in self.rows})

    def row_for(self, measure: str, unit: str) -> ValueRow | None:
        return self._index.get((measure, unit))

    def summary(self) -> dict[str, Any]:
        """What an assessment records about the set it used (reproducible later)."""
        return {
            "name": self.name,
            "version": self.version,
            "licence": self.licence,
            "owner": self.owner,
            "council": self.council,
            "target_price_year": self.target_price_year,
        }


@dataclass(frozen=True)
class PriceIndex:
    name: str
    title: str
    url: str
    licence: str
    values: dict[int, float]

    def factor(self, from_year: int, to_year: int) -> float | None:
        """Multiplier from one year's prices to another's, or None if a year is missing."""
        if from_year not in self.values or to_year not in self.values:
            return None
        return self.values[to_year] / self.values[from_year]


# --- loading the shipped data -------------------------------------------------------------


def load_indices(path: Path | None = None) -> dict[str, PriceIndex]:
    return dict(_load_indices_cached(str(path or VALUE_SETS_DIR / "indices.yaml")))


@cache
def _load_indices_cached(path: str) -> tuple[tuple[str, PriceIndex], ...]:
    if not Path(path).exists():
        return ()
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    out = []
    for name, spec in (data.get("indices") or {}).items():
        out.append(
            (
                name,
                PriceIndex(
                    name=name,
                    title=str(spec.get("title", name)),
                    url=str(spec.get("url", "")),
                    licence=str(spec.get("licence", "")),
                    values={int(k): float(v) for k, v in (spec.get("values") or {}).items()},
                ),
            )
        )
    return tuple(out)


def load_open_set(folder: Path | None = None) -> ValueSet:
    """The shipped open value set; its rows are validated like any import."""
    folder = folder or VALUE_SETS_DIR / OPEN_SET_NAME
    return _load_open_cached(str(folder))


@cache
def _load_open_cached(folder: str) -> ValueSet:
    base = Path(folder)
    with open(base / "metadata.yaml", encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    raw = (base / "values.csv").read_bytes()
    rows = parse_value_csv(
        raw,
        measures=load_measures(),
        default_source="",
        default_licence="",
        indices=load_indices(),
    )
    return ValueSet(
        name=str(meta.get("name", OPEN_SET_NAME)),
        version=int(meta.get("version", 1)),
        licence=str(meta["licence"]),
        owner=str(meta.get("owner", "planning_sv project")),
        rows=tuple(rows),
        council=None,
        title=str(meta.get("title", "")),
        date=str(meta.get("date", "")),
        target_price_year=meta.get("target_price_year"),
        notes=str(meta.get("notes", "")).strip(),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


# --- CSV parsing and validation -----------------------------------------------------------


def _decode(raw: bytes) -> str:
    try:
        # utf-8-sig: spreadsheets on Windows write a byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputInvalid(
            [Problem("file", f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")]
        ) from None


def parse_value_csv(
    data: bytes | str,
    *,
    measures: Mapping[str, Measure],
    default_source: str,
    default_licence: str,
    indices: Mapping[str, PriceIndex] | None = None,
) -> list[ValueRow]:
    """Validate a value-set CSV into rows, or raise InputInvalid naming each bad cell.

    Paths are `row N, column X` with the header as row 1, as a spreadsheet shows them.
    Blank source/licence cells take the set's defaults, so no stored row lacks them.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_CSV_BYTES:
            raise InputInvalid(
                [Problem("file", f"larger than {MAX_CSV_BYTES:,} bytes; a value set is smaller")]
            )
        text = _decode(data)
    else:
        text = data
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputInvalid([Problem("row 1", f"not valid CSV: {exc}")]) from None
    if not header or not any(cell.strip() for cell in header):
        raise InputInvalid([Problem("row 1", "the file is empty: expected a header row")])
    names = [cell.strip().lower() for cell in header]
    problems: list[Problem] = []
    for position, name in enumerate(names, start=1):
        if name not in COLUMNS:
            problems.append(
                Problem(
                    f"row 1, column {name or position}",
                    f"unknown column (known: {', '.join(COLUMNS)})",
                )
            )
        elif names.index(name) != position - 1:
            problems.append(Problem(f"row 1, column {name}", "column given twice"))
    for name in REQUIRED_COLUMNS:
        if name not in names:
            problems.append(Problem(f"row 1, column {name}", "required column is missing"))
    if problems:
        raise InputInvalid(problems)

    rows: list[ValueRow] = []
    seen: dict[tuple[str, str], int] = {}
    line = 1
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines at the end of spreadsheet exports
            if line - 1 > MAX_ROWS:
                problems.append(Problem(f"row {line}", f"more than {MAX_ROWS} rows"))
                break
            if len(cells) > len(names):
                problems.append(
                    Problem(f"row {line}", f"{len(cells)} cells but {len(names)} columns")
                )
                continue
            record = {
                name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(names)
            }
            row = _parse_row(
                record, line, measures, default_source, default_licence, indices, problems
            )
            if row is None:
                continue
            key = (row.measure, row.unit)
            if key in seen:
                problems.append(
                    Problem(
                        f"row {line}, column unit",
                        f"'{row.measure}' in '{row.unit}' is already given in row {seen[key]}",
                    )
                )
                continue
            seen[key] = line
            rows.append(row)
    except csv.Error as exc:
        problems.append(Problem(f"row {line + 1}", f"not valid CSV: {exc}"))
    if not rows and not problems:
        problems.append(Problem("row 2", "no value rows after the header"))
    if problems:
        raise InputInvalid(problems)
    return rows


def _parse_row(
    record: dict[str, str],
    line: int,
    measures: Mapping[str, Measure],
    default_source: str,
    default_licence: str,
    indices: Mapping[str, PriceIndex] | None,
    problems: list[Problem],
) -> ValueRow | None:
    start = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(Problem(f"row {line}, column {column}", message))

    code = record.get("measure", "")
    unit = record.get("unit", "")
    measure = measures.get(code)
    if not code:
        bad("measure", "missing measure code")
    elif measure is None:
        bad("measure", f"unknown measure '{code}'")
    elif not measure.valued:
        bad("measure", f"measure '{code}' is record-only and cannot carry a £ value")
    if measure is not None:
        if not unit:
            bad("unit", "missing unit")
        elif unit not in measure.units:
            bad(
                "unit",
                f"unit '{unit}' is not a unit of '{code}' (units: {', '.join(measure.units)})",
            )

    raw_value = record.get("gbp_per_unit", "")
    value = parse_number(raw_value) if raw_value else None
    if not raw_value:
        bad("gbp_per_unit", "missing value")
    elif value is None:
        bad("gbp_per_unit", f"'{raw_value}' is not a number")
    elif value < 0:
        bad("gbp_per_unit", f"negative value {raw_value}; values must be 0 or more")

    raw_year = record.get("price_year", "")
    year: int | None = None
    if not raw_year:
        bad("price_year", "missing price year")
    elif not re.fullmatch(r"\d{4}", raw_year):
        bad("price_year", f"'{raw_year}' is not a year (YYYY)")
    elif int(raw_year) not in PRICE_YEARS:
        bad("price_year", f"{raw_year} is outside {PRICE_YEARS.start}–{PRICE_YEARS.stop - 1}")
    else:
        year = int(raw_year)

    value_type = record.get("value_type", "") or "economic"
    if value_type not in VALUE_TYPES:
        bad("value_type", f"unknown value type '{value_type}' (known: {', '.join(VALUE_TYPES)})")
    confidence = record.get("confidence", "") or "unverified"
    if confidence not in CONFIDENCES:
        bad("confidence", f"unknown confidence '{confidence}' (known: {', '.join(CONFIDENCES)})")
    uprate_index = record.get("uprate_index", "") or None
    if uprate_index is not None and indices is not None and uprate_index not in indices:
        bad(
            "uprate_index",
            f"unknown index '{uprate_index}' (known: {', '.join(indices) or 'none'})",
        )
    source = record.get("source", "") or default_source
    licence = record.get("licence", "") or default_licence
    if not source:
        bad("source", "missing source")
    if not licence:
        bad("licence", "missing licence")

    if len(problems) > start:
        return None
    assert value is not None and year is not None  # guaranteed when no problem was added
    return ValueRow(
        measure=code,
        unit=unit,
        gbp_per_unit=value,
        price_year=year,
        value_type=value_type,
        source=source,
        url=record.get("url", ""),
        licence=licence,
        method=record.get("method", ""),
        confidence=confidence,
        note=record.get("note", ""),
        uprate_index=uprate_index,
    )


def rows_to_csv(rows: Iterable[ValueRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.as_dict()
        writer.writerow(["" if data[c] is None else data[c] for c in COLUMNS])
    return out.getvalue()


# --- building a council's set from an upload (storing it is store/value_sets.py) ----------


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def is_council_code(council: str | None) -> bool:
    return bool(_COUNCIL_RE.match(council or ""))


def set_problems(
    council: str, name: str, licence: str, target_price_year: int | None
) -> list[Problem]:
    """What is wrong with an import's council, name, licence and price year."""
    problems: list[Problem] = []
    if not is_council_code(council):
        problems.append(Problem("council", f"'{council}' is not a council code"))
    slug = slugify(name or "")
    if not name or not name.strip() or not slug:
        problems.append(Problem("name", "give the value set a name"))
    elif slug == OPEN_SET_NAME:
        problems.append(Problem("name", "'open' is the shipped open set; choose another name"))
    if not licence or not licence.strip():
        problems.append(Problem("licence", "give the licence the council holds the values under"))
    if target_price_year is not None and target_price_year not in PRICE_YEARS:
        problems.append(
            Problem("target_price_year", f"{target_price_year} is not a plausible year")
        )
    return problems


def build_value_set(
    raw: bytes,
    council: str,
    name: str,
    licence: str,
    *,
    version: int,
    measures: Mapping[str, Measure] | None = None,
    indices: Mapping[str, PriceIndex] | None = None,
    owner: str | None = None,
    target_price_year: int | None = None,
    today: dt.date | None = None,
) -> ValueSet:
    """Validate a council's CSV bytes into version `version` of the named set.

    Raises InputInvalid naming every fault (the set's own fields first, then `row N,
    column X`); nothing is stored here. The price indices are checked on import, so a
    stored row never names an index the service does not know.
    """
    problems = set_problems(council, name, licence, target_price_year)
    if problems:
        raise InputInvalid(problems)
    rows = parse_value_csv(
        raw,
        measures=measures if measures is not None else load_measures(),
        default_source=f"{name.strip()} ({council} value set)",
        default_licence=licence.strip(),
        indices=indices if indices is not None else load_indices(),
    )
    body = rows_to_csv(rows)
    return ValueSet(
        name=name.strip(),
        version=version,
        licence=licence.strip(),
        owner=owner or council,
        rows=tuple(rows),
        council=council,
        title=name.strip(),
        date=(today or dt.date.today()).isoformat(),
        target_price_year=target_price_year,
        sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )


def row_from_dict(data: Mapping[str, Any]) -> ValueRow:
    """A stored row (ValueRow.as_dict) back as a ValueRow; rows were validated on import."""
    return ValueRow(
        measure=str(data["measure"]),
        unit=str(data["unit"]),
        gbp_per_unit=float(data["gbp_per_unit"]),
        price_year=int(data["price_year"]),
        value_type=str(data.get("value_type") or "economic"),
        source=str(data.get("source") or ""),
        url=str(data.get("url") or ""),
        licence=str(data.get("licence") or ""),
        method=str(data.get("method") or ""),
        confidence=str(data.get("confidence") or "unverified"),
        note=str(data.get("note") or ""),
        uprate_index=data.get("uprate_index") or None,
    )


def rows_in_force(value_set: ValueSet) -> list[dict[str, Any]]:
    """A set's rows as `planning-sv values list` and the admin page show them."""
    return [
        dict(row.as_dict(), value_set=value_set.name, value_set_version=value_set.version)
        for row in value_set.rows
    ]


def uprated(
    row: ValueRow, target_year: int | None, indices: Mapping[str, PriceIndex]
) -> tuple[float, int, str]:
    """(£ per unit, price year, note) after uprating `row` to `target_year` where possible."""
    if target_year is None or target_year == row.price_year:
        return row.gbp_per_unit, row.price_year, ""
    if row.uprate_index is None:
        return (
            row.gbp_per_unit,
            row.price_year,
            f"kept in {row.price_year} prices: the row names no index to uprate by",
        )
    index = indices.get(row.uprate_index)
    factor = index.factor(row.price_year, target_year) if index else None
    if index is None or factor is None:
        return (
            row.gbp_per_unit,
            row.price_year,
            f"kept in {row.price_year} prices: index '{row.uprate_index}' lacks "
            f"{row.price_year} or {target_year}",
        )
    return (
        row.gbp_per_unit * factor,
        target_year,
        f"uprated from {row.price_year} to {target_year} prices by {index.title} (× {factor:.4f})",
    )


__all__ = [
    "COLUMNS",
    "CONFIDENCES",
    "LISTED_FIELDS",
    "OPEN_LICENCES",
    "VALUE_TYPES",
    "PriceIndex",
    "ValueRow",
    "ValueSet",
    "build_value_set",
    "load_indices",
    "load_open_set",
    "parse_value_csv",
    "row_from_dict",
    "rows_in_force",
    "rows_to_csv",
    "set_problems",
    "slugify",
    "uprated",
]
