"""Migration 0006_value_sets: the value sets and choices kept in the instance folder (the
file registry before 0006) are copied into the database by the upgrade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from planning_sv.store import value_sets
from planning_sv.store.db import Database
from planning_sv.store.migrate import upgrade
from planning_sv.store.models import ValueSetChoice, ValueSetRow

HEADER = (
    "measure,unit,gbp_per_unit,price_year,value_type,source,url,licence,method,"
    "confidence,note,uprate_index\n"
)


def _write_version(root: Path, council: str, slug: str, version: int, name: str, body: str) -> None:
    """One version as the file registry wrote it: values.csv, then metadata.json."""
    folder = root / council / slug / f"v{version}"
    folder.mkdir(parents=True)
    (folder / "values.csv").write_text(HEADER + body, encoding="utf-8")
    meta = {
        "name": name,
        "version": version,
        "licence": "Licensed to the council",
        "owner": council,
        "council": council,
        "target_price_year": 2024 if version == 2 else None,
        "slug": slug,
        "title": name,
        "date": f"2025-0{version}-15",
        "sha256": f"sha-{version}",
        "source_file": f"upload{version}.csv",
        "rows": body.count("\n"),
    }
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty (not yet migrated) database on each lane."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_upgrade_imports_the_instance_files(empty_url: str, instance_dir: Path) -> None:
    root = instance_dir / "value_sets"
    _write_version(
        root,
        "islington",
        "islington-2025",
        1,
        "Islington 2025",
        "local_employment,fte_years,40000,2024,,Council study,,Licensed,,medium,,\n"
        "volunteering,hours,20.5,2023,,Council study,,Licensed,,,,\n",
    )
    _write_version(
        root,
        "islington",
        "islington-2025",
        2,
        "Islington 2025",
        "local_employment,fte_years,41000,2024,,Council study,,Licensed,,high,,"
        "ashe_ft_median_annual\n",
    )
    # A version whose metadata was never written did not count, and still does not.
    (root / "salford" / "half" / "v1").mkdir(parents=True)
    (root / "salford" / "half" / "v1" / "values.csv").write_text(HEADER, encoding="utf-8")
    (root / "choices.json").write_text(
        json.dumps(
            {
                "islington": {"name": "Islington 2025", "version": 1},  # pinned to v1
                "salford": {"name": "half", "version": None},  # never usable: dropped
                "camden": {"name": "open", "version": None},
            }
        ),
        encoding="utf-8",
    )

    upgrade(empty_url)

    database = Database(empty_url)
    try:
        with database.session() as s:
            stored = list(s.scalars(select(ValueSetRow).order_by(ValueSetRow.version)))
            assert [(r.council, r.slug, r.version, r.name) for r in stored] == [
                ("islington", "islington-2025", 1, "Islington 2025"),
                ("islington", "islington-2025", 2, "Islington 2025"),
            ]
            first, second = stored
            assert first.source == "upload1.csv" and first.sha256 == "sha-1"
            assert str(first.imported_on) == "2025-01-15" and first.imported_by_id is None
            assert second.target_price_year == 2024
            assert first.rows[1] == {
                "measure": "volunteering",
                "unit": "hours",
                "gbp_per_unit": 20.5,
                "price_year": 2023,
                "value_type": "economic",
                "source": "Council study",
                "url": "",
                "licence": "Licensed",
                "method": "",
                "confidence": "unverified",
                "note": "",
                "uprate_index": None,
            }
            choices = {c.council: (c.slug, c.version) for c in s.scalars(select(ValueSetChoice))}
            assert choices == {"islington": ("islington-2025", 1), "camden": ("open", None)}

            in_force = value_sets.chosen(s, "islington")  # the pinned version 1
            assert (in_force.name, in_force.version) == ("Islington 2025", 1)
            assert in_force.row_for("local_employment", "fte_years").gbp_per_unit == 40_000
            assert value_sets.load(s, "islington", "Islington 2025").row_for(
                "local_employment", "fte_years"
            ).uprate_index == ("ashe_ft_median_annual")
            assert value_sets.chosen(s, "salford").name == "open"
            # A re-import after the move continues the numbering.
            body = b"measure,unit,gbp_per_unit,price_year\nvolunteering,hours,21,2024\n"
            third = value_sets.import_data(
                s, body, "v3.csv", "islington", "Islington 2025", "Licensed"
            )
            assert third.version == 3
    finally:
        database.dispose()


def test_upgrade_without_instance_files_leaves_the_tables_empty(
    empty_url: str, instance_dir: Path
) -> None:
    upgrade(empty_url)
    database = Database(empty_url)
    try:
        with database.session() as s:
            assert list(s.scalars(select(ValueSetRow))) == []
            assert list(s.scalars(select(ValueSetChoice))) == []
            assert value_sets.chosen(s, "islington").name == "open"
    finally:
        database.dispose()
