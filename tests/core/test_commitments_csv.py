"""Commitments uploaded as CSV: rows become statement@1 commitments, faults name row and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from planning_sv import config
from planning_sv.core.commitments_csv import next_commitment_id, parse_commitments_csv
from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.service import GeoService
from planning_sv.core.measures import load_measures
from planning_sv.core.plans import load_plans


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
        "postcode, ward, longitude, latitude, on_site, description)"
    ]


def test_every_bad_cell_is_named_in_one_pass() -> None:
    assert _problems(
        "id,measure,quantity,unit\n"
        "a,work_placement,lots,placements\n"
        "b,work_placement,-3,placements\n"
        "c,no_such_measure,1,placements\n"
        "d,work_placement,1,sqm\n"
    ) == [
        "row 2, column quantity: must be a number, not text ('lots')",
        "row 3, column quantity: must be 0 or more",
        "row 4, column measure: unknown measure 'no_such_measure'",
        "row 5, column unit: unit 'sqm' is not accepted for measure 'work_placement' "
        "(accepted: placements, weeks)",
    ]


def test_numbers_as_spreadsheets_write_them() -> None:
    rows = parse_commitments_csv(
        "measure,quantity,unit\n"
        'local_supply_chain_spend,"£2,000",gbp\n'
        'volunteering,"1,000",hours\n',
        [],
        load_measures(),
    )
    assert [r["quantity"] for r in rows] == [2000.0, 1000.0]


def test_the_three_bad_rows_add_nothing_and_are_all_named() -> None:
    # An unknown postcode, a Salford ward in an Islington statement and 1e30 FTE-years.
    geo = GeoService(config.data_dir(), Path(tempfile.mkdtemp()))
    text = (
        "measure,quantity,unit,postcode,ward\n"
        "apprenticeship,2,starts,N1 9ZZ,\n"
        "apprenticeship,2,starts,,E05013028\n"
        "local_employment,1e30,fte_years,,\n"
    )
    with pytest.raises(InputInvalid) as caught:
        parse_commitments_csv(text, [], load_measures(), council=load_plans()["islington"], geo=geo)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column postcode: unknown postcode 'N1 9ZZ' (not in "
        "codepoint_open_2025-10_islington_salford_plus_1km.csv)",
        "row 3, column ward: ward E05013028 is in Salford, not Islington; give one of "
        "Islington's wards (2025 boundaries)",
        "row 4, column quantity: must be at most 100,000 FTE-years; check the figure",
    ]


def test_the_cap_counts_the_commitments_already_there() -> None:
    existing = [{"id": f"e{n}"} for n in range(499)]
    text = "measure,quantity,unit\nvolunteering,5,hours\nvolunteering,6,hours\n"
    assert _problems(text, existing) == [
        "file: a statement can have at most 500 commitments; this would make 501 "
        "(499 already, 2 more)"
    ]


def test_two_locations_in_one_row_are_refused() -> None:
    assert _problems(
        "measure,quantity,unit,postcode,ward\nvolunteering,5,hours,N7 8QP,E05013706\n"
    ) == [
        "row 2, columns postcode, ward, longitude, latitude, on_site: give exactly one of "
        "postcode, ward, point, easting_northing, geometry, borough: true or site: true "
        "(got postcode, ward)"
    ]


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
