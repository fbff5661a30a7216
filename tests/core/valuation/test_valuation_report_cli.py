"""The officer's text report and the `planning-sv values` commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from valuation_helpers import (
    ISLINGTON,
    Registry,
    all_placed_in,
    load_example,
    statement,
    value_set,
    ward,
)

from planning_sv.cli import cli
from planning_sv.core.assessment import SocialValueOut
from planning_sv.core.valuation import Valuer, format_social_value
from planning_sv.store.db import Database
from tests.assessment_records import complete_social_value


def test_report_shows_totals_rows_caps_and_unvalued(valuer: Valuer) -> None:
    st = load_example("islington_mixed_use.json")
    text = format_social_value(
        SocialValueOut.model_validate(
            valuer.value_statement(
                st, all_placed_in(st, ward("E05013706", "Holloway")), ISLINGTON
            ).as_dict()
        )
    )
    assert "Value set: open version 1" in text
    assert "Total social value:        £3,019,350" in text
    assert "Local economic value:      £2,935,750 (97% of the total)" in text
    assert "Per £1m of build cost:     £67,097" in text
    assert "Holloway" in text and "E05013706" in text
    assert "c2: Apprenticeships: 8 starts → £79,872" in text
    assert "416 weeks × £192" in text
    assert "licence OGL-UK-3.0" in text
    assert "c3: Work placements: 20 placements" in text  # unvalued, still listed
    assert "c5: Affordable workspace: 800 sqm" in text


def test_report_explains_a_cap(valuer: Valuer) -> None:
    st = statement(
        [
            {"id": "c1", "measure": "local_employment", "quantity": 1, "unit": "fte_years"},
            {
                "id": "c2",
                "measure": "employment_neet",
                "quantity": 2,
                "unit": "people",
                "stacks_on": "c1",
            },
        ]
    )
    vs = value_set(("local_employment", "fte_years", 100), ("employment_neet", "people", 10))
    sv = valuer.value_statement(
        st, all_placed_in(st, ward("E05013706", "Holloway")), ISLINGTON, value_set=vs
    )
    text = format_social_value(SocialValueOut.model_validate(sv.as_dict()))
    assert "[CAPPED]" in text
    assert "counted 1 people" in text
    assert "not two" in text
    empty = format_social_value(complete_social_value({"total_gbp": 0.0, "local_gbp": 0.0}))
    assert "Commitments not valued in £ (kept on record)\n  none" in empty


def test_values_list_json_rows_all_have_source_price_year_licence() -> None:
    result = CliRunner().invoke(cli, ["values", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows
    for row in rows:
        assert row["source"] and row["price_year"] and row["licence"]
        assert list(row)[:10] == [
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
        ]


def test_values_import_use_and_list_for_a_council(tmp_path: Path) -> None:
    path = tmp_path / "isl.csv"
    path.write_text(
        "measure,unit,gbp_per_unit,price_year\nvolunteering,hours,21,2024\n", encoding="utf-8"
    )
    runner = CliRunner()
    # The sets live in the database (DATABASE_URL default: SQLite in the test's instance).
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        cli,
        [
            "values",
            "import",
            str(path),
            "--council",
            "islington",
            "--name",
            "Islington 2025",
            "--licence",
            "council licence",
            "--use",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "now in use" in result.output
    result = runner.invoke(cli, ["values", "list", "--council", "islington", "--format", "json"])
    rows = json.loads(result.output)
    assert [(r["measure"], r["gbp_per_unit"], r["licence"], r["value_set"]) for r in rows] == [
        ("volunteering", 21.0, "council licence", "Islington 2025")
    ]
    result = runner.invoke(cli, ["values", "list", "--council", "islington"])
    assert "Islington 2025" in result.output and "volunteering" in result.output
    result = runner.invoke(cli, ["values", "use", "--council", "islington", "--name", "open"])
    assert result.exit_code == 0 and "open" in result.output
    result = runner.invoke(cli, ["values", "sets", "--format", "json"])
    sets = json.loads(result.output)
    assert [(s["name"], s.get("in_use_by"), s.get("in_use")) for s in sets] == [
        ("open", ["islington"], None),
        ("Islington 2025", None, False),
    ]
    # Each change is audited in the database, in the same commit as the change.
    from sqlalchemy import select

    from planning_sv.store.db import Database
    from planning_sv.store.models import AuditEvent

    database = Database()
    with database.session() as s:
        events = [(e.action, e.details["name"]) for e in s.scalars(select(AuditEvent))]
    database.dispose()
    assert events == [
        ("import_value_set", "Islington 2025"),
        ("choose_value_set", "open"),
    ]


def test_values_commands_on_a_database_not_set_up_exit_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["values", "sets", "--url", url])
    assert result.exit_code == 1
    assert "run `planning-sv db upgrade` first" in result.stderr
    assert "Traceback" not in result.output


def test_values_import_bad_csv_exits_2_naming_row_and_column(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    path = tmp_path / "bad.csv"
    path.write_text(
        "measure,unit,gbp_per_unit,price_year\nvolunteering,hours,-1,2024\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli,
        ["values", "import", str(path), "--council", "islington", "--name", "x", "--licence", "y"],
    )
    assert result.exit_code == 2
    assert "row 2, column gbp_per_unit: negative value" in result.output
    assert "Traceback" not in result.output
    registry = Registry(Database())
    assert registry.stored() == (0, 0, 0)  # no set, no choice, no audit row
    registry.database.dispose()


def test_values_use_of_an_unknown_set_exits_2_and_stores_nothing() -> None:
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(
        cli, ["values", "use", "--council", "islington", "--name", "nothing", "--version", "2"]
    )
    assert result.exit_code == 2
    assert "error: name: council 'islington' has no value set named 'nothing'" in result.output
    registry = Registry(Database())
    assert registry.stored() == (0, 0, 0)
    registry.database.dispose()


def test_values_list_without_the_catalogue_exits_1_without_traceback(monkeypatch) -> None:
    from planning_sv.cli import values

    def missing(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "/nowhere/measures.yaml")

    monkeypatch.setattr(values, "load_open_set", missing)
    result = CliRunner().invoke(cli, ["values", "list"])
    assert result.exit_code == 1
    assert "error: cannot load the measures and the open value set" in result.stderr
    assert "/nowhere/measures.yaml" in result.stderr
