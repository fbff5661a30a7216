"""Value sets: the open set's provenance, council imports (every rejection path), choice.

Imports and choices are stored in the database (store/value_sets.py); `registry` is that
store with one committed session per call (conftest.py), on each database lane.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from valuation_helpers import Registry

from planning_sv.core.errors import InputInvalid
from planning_sv.core.measures import load_measures
from planning_sv.core.valuation import OPEN_LICENCES, load_open_set
from planning_sv.core.valuation import valuesets as vs_module
from planning_sv.store.db import Database
from planning_sv.store.models import ValueSetRow

HEADER = "measure,unit,gbp_per_unit,price_year\n"


def problems_of(registry: Registry, path: Path, **kwargs: str) -> list[tuple[str, str]]:
    args = {"council": "islington", "name": "Council set", "licence": "council licence", **kwargs}
    with pytest.raises(InputInvalid) as info:
        registry.import_csv(path, args["council"], args["name"], args["licence"])
    return [(p.path, p.message) for p in info.value.problems]


# --- the shipped open set -----------------------------------------------------------------


def test_open_set_rows_all_cite_an_open_source_with_price_year_and_licence() -> None:
    open_set = load_open_set()
    measures = load_measures()
    assert open_set.name == "open" and open_set.licence in OPEN_LICENCES
    assert len(open_set.rows) >= 8
    for row in open_set.rows:
        assert row.source and row.url.startswith("https://"), row
        assert row.licence in OPEN_LICENCES, row
        assert 2000 <= row.price_year <= 2030, row
        assert row.measure in measures and row.unit in measures[row.measure].units, row
        assert measures[row.measure].valued
        assert row.method, row
        # Anything below high confidence says why in the row.
        if row.confidence != "high":
            assert row.note, row
        # Never National TOMs or HACT values.
        text = f"{row.source} {row.url} {row.method}".lower()
        assert "toms" not in text and "hact" not in text and "social value bank" not in text


def test_open_set_key_figures() -> None:
    open_set = load_open_set()
    assert open_set.row_for("local_employment", "fte_years").gbp_per_unit == 37_430
    assert open_set.row_for("local_employment", "fte_years").price_year == 2024
    assert open_set.row_for("apprenticeship", "weeks").gbp_per_unit == 6.40 * 30
    assert open_set.row_for("volunteering", "hours").gbp_per_unit == 18.64
    assert open_set.row_for("carbon_saved", "tco2e").gbp_per_unit == 245
    assert open_set.row_for("carbon_saved", "tco2e").price_year == 2020
    assert open_set.row_for("work_placement", "weeks") is None


# --- council imports: accepted ------------------------------------------------------------


def test_import_stores_a_version_with_defaults_filled(registry: Registry, write_csv) -> None:
    path = write_csv(
        "\ufeffMeasure,Unit,GBP_per_unit,Price_Year,source,confidence\n"
        'local_employment,fte_years,"£40,000.50",2024,,medium\n'
        "employment_neet,people,5000,2023,Council research 2023,\n"
        "\n"
    )
    first = registry.import_csv(
        path, "islington", "Islington TOMs 2024", "licensed: CC BY-NC-ND 4.0"
    )
    assert first.version == 1 and first.council == "islington"
    row = first.row_for("local_employment", "fte_years")
    assert row.gbp_per_unit == 40_000.50
    assert row.source == "Islington TOMs 2024 (islington value set)"
    assert row.licence == "licensed: CC BY-NC-ND 4.0"
    assert row.confidence == "medium"
    assert first.row_for("employment_neet", "people").confidence == "unverified"
    with registry.database.session() as s:
        stored = s.scalars(select(ValueSetRow)).one()
        assert (stored.council, stored.slug, stored.version) == (
            "islington",
            "islington-toms-2024",
            1,
        )
        assert len(stored.rows) == 2 and stored.sha256 == first.sha256
        assert stored.source == "values.csv" and stored.imported_by_id is None
    second = registry.import_csv(
        path, "islington", "Islington TOMs 2024", "licensed: CC BY-NC-ND 4.0"
    )
    assert second.version == 2
    # Earlier versions stay loadable so old assessments reproduce.
    assert registry.load("islington", "Islington TOMs 2024", 1).version == 1


def test_choose_and_list_rows(registry: Registry, write_csv) -> None:
    assert registry.chosen("islington").name == "open"
    assert {r["value_set"] for r in registry.list_rows("islington")} == {"open"}
    path = write_csv(HEADER + "volunteering,hours,20,2024\n")
    registry.import_csv(path, "islington", "Mine", "OGL-UK-3.0")
    registry.choose("islington", "Mine")
    rows = registry.list_rows("islington")
    assert [(r["measure"], r["gbp_per_unit"], r["value_set"]) for r in rows] == [
        ("volunteering", 20.0, "Mine")
    ]
    for field in (
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
    ):
        assert field in rows[0]
    assert registry.chosen("salford").name == "open"
    # Pin version 1, then import version 2: the pinned choice holds.
    registry.choose("islington", "Mine", 1)
    registry.import_csv(
        write_csv(HEADER + "volunteering,hours,25,2024\n"), "islington", "Mine", "x"
    )
    assert registry.chosen("islington").row_for("volunteering", "hours").gbp_per_unit == 20
    registry.choose("islington", "Mine")
    assert registry.chosen("islington").row_for("volunteering", "hours").gbp_per_unit == 25
    registry.choose("islington", "open")
    assert registry.chosen("islington").name == "open"
    sets = registry.list_sets("islington")
    assert [s["name"] for s in sets] == ["open", "Mine", "Mine"]


def test_choose_unknown_set_or_version_is_rejected(registry: Registry, write_csv) -> None:
    with pytest.raises(InputInvalid) as info:
        registry.choose("islington", "nothing")
    assert info.value.problems[0].path == "name"
    registry.import_csv(
        write_csv(HEADER + "volunteering,hours,20,2024\n"), "islington", "Mine", "x"
    )
    with pytest.raises(InputInvalid) as info:
        registry.choose("islington", "Mine", 7)
    assert info.value.problems[0].path == "version"


def test_a_choice_is_seen_by_another_database_object_and_no_files_are_written(
    registry: Registry, database: Database, _instance: Path, write_csv
) -> None:
    # A second app instance (another host) opens its own engine on the same database.
    registry.import_csv(write_csv(HEADER + "volunteering,hours,20,2024\n"), "salford", "S", "x")
    registry.choose("salford", "S")
    other = Database(database.url)
    try:
        assert Registry(other).list_rows("salford")[0]["gbp_per_unit"] == 20
    finally:
        other.dispose()
    assert not (_instance / "value_sets").exists()


# --- council imports: every rejection path ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            HEADER + "nonsense,fte_years,1,2024\n",
            [("row 2, column measure", "unknown measure 'nonsense'")],
        ),
        (HEADER + ",fte_years,1,2024\n", [("row 2, column measure", "missing measure code")]),
        (
            HEADER + "local_employment,sqm,1,2024\n",
            [("row 2, column unit", "unit 'sqm' is not a unit of 'local_employment'")],
        ),
        (HEADER + "local_employment,,1,2024\n", [("row 2, column unit", "missing unit")]),
        (
            HEADER + "local_employment,fte_years,-5,2024\n",
            [("row 2, column gbp_per_unit", "negative value -5")],
        ),
        (
            HEADER + "local_employment,fte_years,lots,2024\n",
            [("row 2, column gbp_per_unit", "'lots' is not a number")],
        ),
        (
            HEADER + "local_employment,fte_years,nan,2024\n",
            [("row 2, column gbp_per_unit", "'nan' is not a number")],
        ),
        (
            HEADER + "local_employment,fte_years,,2024\n",
            [("row 2, column gbp_per_unit", "missing value")],
        ),
        (
            HEADER + "local_employment,fte_years,1,\n",
            [("row 2, column price_year", "missing price year")],
        ),
        (
            HEADER + "local_employment,fte_years,1,24/25\n",
            [("row 2, column price_year", "'24/25' is not a year")],
        ),
        (
            HEADER + "local_employment,fte_years,1,1850\n",
            [("row 2, column price_year", "1850 is outside")],
        ),
        (
            HEADER + "local_workforce_share,percent,1,2024\n",
            [("row 2, column measure", "record-only")],
        ),
        (
            HEADER + "volunteering,hours,1,2024\nvolunteering,hours,2,2024\n",
            [("row 3, column unit", "already given in row 2")],
        ),
        (
            "measure,unit,gbp_per_unit,price_year,value_type\nvolunteering,hours,1,2024,priceless\n",
            [("row 2, column value_type", "unknown value type 'priceless'")],
        ),
        (
            "measure,unit,gbp_per_unit,price_year,confidence\nvolunteering,hours,1,2024,sure\n",
            [("row 2, column confidence", "unknown confidence 'sure'")],
        ),
        (
            "measure,unit,gbp_per_unit,price_year,uprate_index\nvolunteering,hours,1,2024,rpi\n",
            [("row 2, column uprate_index", "unknown index 'rpi'")],
        ),
        (
            "measure,unit,price_year\nvolunteering,hours,2024\n",
            [("row 1, column gbp_per_unit", "required column is missing")],
        ),
        (
            "measure,unit,gbp_per_unit,price_year,colour\nvolunteering,hours,1,2024,red\n",
            [("row 1, column colour", "unknown column")],
        ),
        (
            "measure,unit,gbp_per_unit,price_year,unit\nvolunteering,hours,1,2024,hours\n",
            [("row 1, column unit", "column given twice")],
        ),
        (HEADER + "volunteering,hours,1,2024,extra\n", [("row 2", "5 cells but 4 columns")]),
        ("", [("row 1", "the file is empty")]),
        (HEADER, [("row 2", "no value rows after the header")]),
    ],
)
def test_import_rejects_bad_rows_naming_row_and_column(
    registry: Registry, write_csv, body: str, expected: list[tuple[str, str]]
) -> None:
    found = problems_of(registry, write_csv(body))
    assert len(found) == len(expected), found
    for (path, message), (want_path, want_text) in zip(found, expected, strict=True):
        assert path == want_path
        assert want_text in message
    # Nothing is stored on bad input: no set, no choice, no audit row.
    assert registry.stored() == (0, 0, 0)


def test_import_reports_every_problem_at_once(registry: Registry, write_csv) -> None:
    body = HEADER + "nonsense,x,1,2024\nvolunteering,hours,-1,\nvolunteering,days,abc,2024\n"
    paths = [p for p, _ in problems_of(registry, write_csv(body))]
    assert paths == [
        "row 2, column measure",
        "row 3, column gbp_per_unit",
        "row 3, column price_year",
        "row 4, column unit",
        "row 4, column gbp_per_unit",
    ]


def test_import_rejects_bad_arguments_and_files(registry: Registry, write_csv, tmp_path) -> None:
    good = write_csv(HEADER + "volunteering,hours,1,2024\n")
    assert problems_of(registry, good, name="  ")[0][0] == "name"
    assert "shipped open set" in problems_of(registry, good, name="Open")[0][1]
    assert problems_of(registry, good, licence="")[0][0] == "licence"
    assert problems_of(registry, good, council="../etc")[0][0] == "council"
    missing = problems_of(registry, tmp_path / "nope.csv")
    assert missing[0][0] == "file" and "cannot read" in missing[0][1]
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + "volunteering,hours,\xa31,2024\n").encode("latin-1"))
    assert "not UTF-8" in problems_of(registry, latin)[0][1]
    big = tmp_path / "big.csv"
    big.write_bytes(HEADER.encode() + b"x" * (vs_module.MAX_CSV_BYTES + 1))
    assert "larger than" in problems_of(registry, big)[0][1]
    assert registry.stored() == (0, 0, 0)


def test_two_imports_racing_for_the_same_version_refuse_the_second_cleanly(
    registry: Registry, write_csv, monkeypatch
) -> None:
    from planning_sv.store import value_sets

    path = write_csv(HEADER + "volunteering,hours,20,2024\n")
    registry.import_csv(path, "islington", "Mine", "x")
    # The second request read the latest version before the first one committed.
    monkeypatch.setattr(value_sets, "_latest_version", lambda *_args: 0)
    with pytest.raises(InputInvalid) as info:
        registry.import_csv(path, "islington", "Mine", "x")
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("name", "another import of 'Mine' was stored at the same moment; import the file again")
    ]
    assert registry.stored() == (1, 0, 1)  # the first import and its audit row only
