"""Commitments uploaded as CSV: one row a commitment, faults named by row and column.

Applicants keep commitments in spreadsheets; this turns such a CSV into statement@1
commitment dicts. Each fault is a Problem at "row N, column X" (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any, get_args

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.measures import Measure
from planning_sv.core.statement import Phase

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
    "description",
)


PHASES = get_args(Phase)


def next_commitment_id(commitments: list[dict[str, Any]]) -> str:
    """The first free id of the form c<N>, as the forms and CSV upload number commitments."""
    taken = {str(c.get("id")) for c in commitments}
    n = len(commitments) + 1
    while f"c{n}" in taken:
        n += 1
    return f"c{n}"


def parse_commitments_csv(
    text: str, existing: list[dict[str, Any]], measures: Mapping[str, Measure]
) -> list[dict[str, Any]]:
    """Commitments from CSV text; InputInvalid naming 'row N, column X' for each fault."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    problems: list[Problem] = []
    missing = [c for c in ("measure", "quantity", "unit") if c not in header]
    if missing:
        raise InputInvalid(
            [
                Problem(
                    "row 1",
                    f"missing column(s): {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})",
                )
            ]
        )
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        problems.append(Problem("row 1", f"unknown column(s): {', '.join(unknown)}"))
    reader.fieldnames = header
    out: list[dict[str, Any]] = []
    rows: list[int] = []  # the CSV row of each item in `out` (blank rows are skipped)
    all_items = list(existing)
    for number, row in enumerate(reader, start=2):
        if number > 501:
            problems.append(Problem(f"row {number}", "at most 500 commitments can be uploaded"))
            break
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        try:
            quantity = float(row["quantity"])
        except ValueError:
            problems.append(
                Problem(f"row {number}, column quantity", f"'{row['quantity']}' is not a number")
            )
            continue
        if quantity < 0 or quantity != quantity or quantity in (float("inf"), float("-inf")):
            problems.append(Problem(f"row {number}, column quantity", "must be a number 0 or more"))
            continue
        where: dict[str, Any] = {"borough": True}
        if row.get("postcode"):
            where = {"postcode": row["postcode"].upper()}
        elif row.get("ward"):
            where = {"ward": row["ward"].upper()}
        elif row.get("longitude") or row.get("latitude"):
            try:
                where = {"point": [float(row["longitude"]), float(row["latitude"])]}
            except (KeyError, ValueError):
                problems.append(
                    Problem(
                        f"row {number}, column longitude",
                        "give both longitude and latitude as numbers",
                    )
                )
                continue
        item_id = row.get("id") or next_commitment_id(all_items)
        if not re.fullmatch(r"[\w.\-]{1,64}", item_id):
            problems.append(
                Problem(
                    f"row {number}, column id", "use letters, digits, '.', '-' or '_' (at most 64)"
                )
            )
            continue
        item: dict[str, Any] = {
            "id": item_id,
            "measure": row["measure"],
            "quantity": quantity,
            "unit": row["unit"],
            "where": where,
        }
        if row.get("phase"):
            item["phase"] = row["phase"]
        if row.get("description"):
            item["description"] = row["description"]
        out.append(item)
        rows.append(number)
        all_items.append(item)
    if problems:
        raise InputInvalid(problems)
    # Check every row's fields with the statement model, reporting CSV rows, not JSON paths.
    for number, item in zip(rows, out, strict=True):
        measure = measures.get(item["measure"])
        if measure is None:
            problems.append(
                Problem(f"row {number}, column measure", f"unknown measure '{item['measure']}'")
            )
        elif item["unit"] not in measure.units:
            problems.append(
                Problem(
                    f"row {number}, column unit",
                    f"unit '{item['unit']}' is not accepted for {item['measure']} (accepted: {', '.join(measure.units)})",
                )
            )
        if item.get("phase") and item["phase"] not in PHASES:
            problems.append(
                Problem(f"row {number}, column phase", "use construction, end_use or operation")
            )
    ids = [str(i.get("id")) for i in all_items]
    for number, item in zip(rows, out, strict=True):
        if ids.count(str(item["id"])) > 1:
            problems.append(
                Problem(f"row {number}, column id", f"duplicate commitment id '{item['id']}'")
            )
    if problems:
        raise InputInvalid(problems)
    return out
