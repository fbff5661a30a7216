"""`planning-sv values ...`: import, list and choose the value sets used for social value.

The sets and each council's choice live in the database (DATABASE_URL or --url), written
with their audit rows in one commit (store/value_sets.py); the shipped open set needs none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from planning_sv.cli.common import EXIT_FAULT, fail
from planning_sv.cli.web import url_option
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.plans import council_codes
from planning_sv.core.valuation.valuesets import COLUMNS, load_open_set, rows_in_force

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _check_council(council: str | None) -> None:
    # Councils with a rule pack; none installed means any code is allowed.
    known = council_codes()
    if council and known and council not in known:
        fail(
            [
                Problem(
                    "--council", f"unknown council '{council}' (known: {', '.join(sorted(known))})"
                )
            ]
        )


def _open_set_or_exit() -> Any:
    try:
        return load_open_set()
    except OSError as exc:
        # The catalogue or the open set is missing: the installation, not the input, is at fault.
        click.echo(f"error: cannot load the measures and the open value set: {exc}", err=True)
        raise SystemExit(EXIT_FAULT) from None


@contextmanager
def _session(url: str | None) -> Iterator[Session]:
    """A session on the database, committed when the command succeeds (set, choice and
    audit row together); a database that is not set up is reported, not a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from planning_sv.store.db import Database

    database = Database(url)
    try:
        with database.session() as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        fail(
            [f"{type(exc).__name__}: {str(exc.orig).strip()}"],
            heading="the database is not ready: run `planning-sv db upgrade` first",
            exit_code=EXIT_FAULT,
        )
    finally:
        database.dispose()


def _print_rows_text(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no rows")
        return
    first = rows[0]
    click.echo(f"value set: {first['value_set']} version {first['value_set_version']}")
    for row in rows:
        click.echo(
            f"{row['measure']:<34} {row['unit']:<12} £{row['gbp_per_unit']:>12,.2f} "
            f"{row['price_year']}  {row['value_type']:<15} {row['confidence']:<10} "
            f"{row['licence']}"
        )
        click.echo(f"    source: {row['source']}" + (f" <{row['url']}>" if row["url"] else ""))
        if row["method"]:
            click.echo(f"    method: {row['method']}")
        if row.get("note"):
            click.echo(f"    note: {row['note']}")


@click.group("values")
def values_group() -> None:
    """Value sets: £ per unit of each measure, with source, price year and licence."""


@values_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--council", required=True, help="council code: the folder name of its rule pack")
@click.option("--name", required=True, help="name of the value set")
@click.option("--licence", required=True, help="licence the council holds the values under")
@click.option("--target-year", type=int, default=None, help="uprate rows to this price year")
@click.option("--use", "use_it", is_flag=True, help="also make it the set the council uses")
@url_option
def import_cmd(
    file: Path,
    council: str,
    name: str,
    licence: str,
    target_year: int | None,
    use_it: bool,
    url: str | None,
) -> None:
    """Import a council's value set from CSV.

    Columns: measure, unit, gbp_per_unit, price_year (required), and value_type, source,
    url, licence, method, confidence, note, uprate_index. Row numbers in errors count
    the header as row 1.
    """
    from planning_sv.store import value_sets

    _check_council(council)
    _open_set_or_exit()
    with _session(url) as session:
        try:
            value_set = value_sets.import_csv(
                session, file, council, name, licence, use=use_it, target_price_year=target_year
            )
        except InputInvalid as exc:
            fail(exc.problems, heading=f"{file} was not imported")
    click.echo(
        f"imported '{value_set.name}' version {value_set.version} for {council}: "
        f"{len(value_set.rows)} rows"
        + (
            "; now in use"
            if use_it
            else f' (use it with: planning-sv values use --council {council} --name "{value_set.name}")'
        )
    )


@values_group.command("list")
@click.option("--council", default=None, help="council code; default: the open set")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@url_option
def list_cmd(council: str | None, fmt: str, url: str | None) -> None:
    """List the value rows in force for a council (the open set when none is chosen)."""
    from planning_sv.store import value_sets

    _check_council(council)
    open_set = _open_set_or_exit()
    if council is None:
        rows = rows_in_force(open_set)  # no council, no choice: the database is not needed
    else:
        with _session(url) as session:
            try:
                rows = value_sets.list_rows(session, council)
            except InputInvalid as exc:
                fail(exc.problems)
    if fmt == "json":
        out = [
            {
                **{k: row[k] for k in COLUMNS},
                "value_set": row["value_set"],
                "value_set_version": row["value_set_version"],
            }
            for row in rows
        ]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        _print_rows_text(rows)


@values_group.command("use")
@click.option("--council", required=True)
@click.option("--name", required=True, help="value set name ('open' for the shipped set)")
@click.option("--version", type=int, default=None, help="pin a version (default: latest)")
@url_option
def use_cmd(council: str, name: str, version: int | None, url: str | None) -> None:
    """Choose the value set a council's assessments use."""
    from planning_sv.store import value_sets

    _check_council(council)
    _open_set_or_exit()
    with _session(url) as session:
        try:
            value_set = value_sets.choose(session, council, name, version)
        except InputInvalid as exc:
            fail(exc.problems)
    click.echo(f"{council} now uses '{value_set.name}' version {value_set.version}")


@values_group.command("sets")
@click.option("--council", default=None)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@url_option
def sets_cmd(council: str | None, fmt: str, url: str | None) -> None:
    """List stored value sets and their versions."""
    from planning_sv.store import value_sets

    _check_council(council)
    _open_set_or_exit()
    with _session(url) as session:
        sets = value_sets.list_sets(session, council)
    if fmt == "json":
        click.echo(json.dumps(sets, indent=2, ensure_ascii=False))
        return
    for item in sets:
        owner = item.get("council") or "shipped"
        flag = " (in use)" if item.get("in_use") else ""
        click.echo(
            f"{owner:<12} {item['name']:<30} v{item['version']:<3} {item.get('rows', '?'):>4} rows"
            f"  licence: {item['licence']}{flag}"
        )


def register(cli: click.Group) -> None:
    """Add this module's commands to the `planning-sv` group."""
    cli.add_command(values_group)
