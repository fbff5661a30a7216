"""Commitments uploaded as CSV: rows become statement@1 commitments, faults name row and column."""

from __future__ import annotations

import pytest

from planning_sv.core.commitments_csv import next_commitment_id, parse_commitments_csv
from planning_sv.core.errors import InputInvalid
from planning_sv.core.measures import load_measures


def _problems(text: str, existing: list[dict] | None = None) -> list[str]:
    with pytest.raises(InputInvalid) as caught:
        parse_commitments_csv(text, existing or [], load_measures())
    return [str(p) for p in caught.value.problems]


def test_rows_become_commitments_with_their_locations() -> None:
    text = (
        "measure,quantity,unit,phase,postcode,ward,longitude,latitude\n"
        "work_placement,20,placements,construction,n19 5rq,,,\n"
        "apprenticeship,8,starts,,,e05013706,,\n"
        "affordable_workspace,800,sqm,,,,-0.117,51.553\n"
        "volunteering,200,hours,,,,,\n"
    )
    rows = parse_commitments_csv(text, [{"id": "c1"}], load_measures())
    assert [r["id"] for r in rows] == ["c2", "c3", "c4", "c5"]
    assert rows[0]["where"] == {"postcode": "N19 5RQ"}
    assert rows[0]["phase"] == "construction"
    assert rows[1]["where"] == {"ward": "E05013706"}
    assert rows[2]["where"] == {"point": [-0.117, 51.553]}
    assert rows[3]["where"] == {"borough": True}
    assert rows[0]["quantity"] == 20.0


def test_missing_columns_are_named() -> None:
    assert _problems("measure,unit\nx,y\n") == [
        "row 1: missing column(s): quantity (columns: id, measure, quantity, unit, phase, "
        "postcode, ward, longitude, latitude, description)"
    ]


def test_each_bad_cell_is_named_by_row_and_column() -> None:
    problems = _problems(
        "id,measure,quantity,unit\n"
        "a,work_placement,lots,placements\n"
        "b,work_placement,-3,placements\n"
        "c,no_such_measure,1,placements\n"
        "d,work_placement,1,sqm\n"
    )
    assert problems[0] == "row 2, column quantity: 'lots' is not a number"
    assert problems[1] == "row 3, column quantity: must be a number 0 or more"
    assert len(problems) == 2  # rows 4 and 5 wait for the second pass (below)
    # Number faults are reported first; measure and unit faults come once the numbers parse.
    assert _problems("id,measure,quantity,unit\nc,no_such_measure,1,placements\n") == [
        "row 2, column measure: unknown measure 'no_such_measure'"
    ]
    assert _problems("id,measure,quantity,unit\nd,work_placement,1,sqm\n")[0].startswith(
        "row 2, column unit: unit 'sqm' is not accepted for work_placement"
    )


def test_an_id_already_in_the_statement_is_a_duplicate() -> None:
    assert _problems("id,measure,quantity,unit\nc1,volunteering,5,hours\n", [{"id": "c1"}]) == [
        "row 2, column id: duplicate commitment id 'c1'"
    ]


def test_next_id_skips_taken_ids() -> None:
    assert next_commitment_id([{"id": "c2"}, {"id": "c3"}]) == "c4"
    assert next_commitment_id([{"id": "c3"}]) == "c2"


def test_rows_keep_their_file_numbers_after_a_blank_line() -> None:
    # Row 2 is blank and skipped; the unknown measure is on row 3 of the file.
    assert _problems("measure,quantity,unit\n,,\nmagic,1,starts\n") == [
        "row 3, column measure: unknown measure 'magic'"
    ]
    assert _problems(
        "id,measure,quantity,unit\n,,,\nc1,volunteering,5,hours\n", [{"id": "c1"}]
    ) == ["row 3, column id: duplicate commitment id 'c1'"]
