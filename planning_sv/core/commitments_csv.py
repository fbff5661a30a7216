"""Commitments uploaded as CSV: one row a commitment, faults named by row and column.

Applicants keep commitments in spreadsheets; this turns such a CSV into statement@1
commitment dicts and checks them with `core.statement.validate_commitments`, the check every
other way of adding a commitment uses. Each fault is a Problem at "row N, column X" (the
header is row 1; N is the row in the file, blank rows included). All or nothing: one fault
anywhere and no row is returned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import parse_number
from planning_sv.core.measures import Measure
from planning_sv.core.statement import LocationChecker, LocationPlan, validate_commitments

CSV_COLUMNS = (
    "id",
    "measure",
    "quantity",
    "unit",
    "phase",
    "postcode",
    "ward",
    "longitude",
    "latitude",
    "on_site",
    "description",
)
REQUIRED_COLUMNS = ("measure", "quantity", "unit")
LOCATION_COLUMNS = "postcode, ward, longitude, latitude, on_site"
# `on_site` cells that mean "delivered on the development site" (placed as the site is).
ON_SITE_YES = frozenset({"yes", "y", "true", "1"})
ON_SITE_NO = frozenset({"", "no", "n", "false", "0"})

# statement@1 field (as validate_commitments names it) -> the CSV column it came from.
_COLUMN_FOR_FIELD = {
    "where.postcode": "postcode",
    "where.ward": "ward",
    "where.point": "longitude",
    "where.site": "on_site",
}


def next_commitment_id(commitments: list[dict[str, Any]]) -> str:
    """The first free id of the form c<N>, as the forms and CSV upload number commitments."""
    taken = {str(c.get("id")) for c in commitments}
    n = len(commitments) + 1
    while f"c{n}" in taken:
        n += 1
    return f"c{n}"


def _cell(row: int, field_name: str) -> str:
    """'row 4, column quantity' for a statement@1 field of the commitment from CSV row 4."""
    if not field_name:
        return f"row {row}"
    column = next(
        (c for f, c in _COLUMN_FOR_FIELD.items() if field_name.startswith(f)),
        None,
    )
    if column is None and field_name.startswith("where"):
        return f"row {row}, columns {LOCATION_COLUMNS}"
    return f"row {row}, column {column or field_name.split('.')[0].split('[')[0]}"


def _where(row: dict[str, str], number: int, problems: list[Problem]) -> dict[str, Any] | None:
    """The row's location: every location column given (the check refuses more than one),
    or anywhere in the borough when none is. None after a fault in the coordinates."""
    where: dict[str, Any] = {}
    if row.get("postcode"):
        where["postcode"] = row["postcode"].upper()
    if row.get("ward"):
        where["ward"] = row["ward"].upper()
    if row.get("longitude") or row.get("latitude"):
        lon = parse_number(row.get("longitude", ""))
        lat = parse_number(row.get("latitude", ""))
        if lon is None or lat is None:
            problems.append(
                Problem(
                    f"row {number}, column longitude",
                    "give both longitude and latitude as numbers",
                )
            )
            return None
        where["point"] = [lon, lat]
    on_site = row.get("on_site", "").casefold()
    if on_site in ON_SITE_YES:
        where["site"] = True
    elif on_site not in ON_SITE_NO:
        problems.append(
            Problem(f"row {number}, column on_site", "write yes or no (or leave it empty)")
        )
        return None
    return where or {"borough": True}


def parse_commitments_csv(
    text: str,
    existing: list[dict[str, Any]],
    measures: Mapping[str, Measure],
    *,
    council: LocationPlan | None = None,
    geo: LocationChecker | None = None,
) -> list[dict[str, Any]]:
    """The commitments of a CSV, to add to `existing`; InputInvalid naming every fault.

    Numbers may be written as spreadsheets do ("1,000", "£2,000"). With `council` and `geo`
    each row's location is checked too (unknown postcodes, other councils' wards).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputInvalid(
            [
                Problem(
                    "row 1",
                    f"missing column(s): {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})",
                )
            ]
        )
    problems: list[Problem] = []
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        problems.append(Problem("row 1", f"unknown column(s): {', '.join(unknown)}"))
    reader.fieldnames = header
    items: list[dict[str, Any]] = []
    rows: list[int] = []  # the file's row of each item (blank rows are skipped)
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k and isinstance(v, str)}
        if not any(row.values()):
            continue
        where = _where(row, number, problems)
        quantity: Any = None
        if row.get("quantity"):
            # Text that is not a number stays text, for the check to word like any other.
            quantity = parse_number(row["quantity"])
            if quantity is None:
                quantity = row["quantity"]
        item: dict[str, Any] = {
            "id": row.get("id") or next_commitment_id([*existing, *items]),
            "measure": row.get("measure", ""),
            "quantity": quantity,
            "unit": row.get("unit", ""),
            "where": where if where is not None else {"borough": True},
        }
        if row.get("phase"):
            item["phase"] = row["phase"]
        if row.get("description"):
            item["description"] = row["description"]
        items.append(item)
        rows.append(number)
    if not items and not problems:
        raise InputInvalid([Problem("row 2", "the file has no commitments below the header")])
    found = {p.path for p in problems}
    checked = validate_commitments(
        items,
        existing=existing,
        measures=measures,
        council=council,
        geo=geo,
        path=lambda index, field_name: _cell(rows[index], field_name),
        list_path="file",
    )
    problems += [p for p in checked if p.path not in found]
    if problems:
        raise InputInvalid(sorted(problems, key=_row_order))
    return items


def _row_order(problem: Problem) -> tuple[int, int]:
    """File-level problems first, then by row (stable within a row)."""
    if problem.path.startswith("row "):
        return (1, int(problem.path[4:].split(",")[0]))
    return (0, 0)
