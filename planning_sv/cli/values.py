"""`planning-sv values ...`: import, list and choose the value sets used for social value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from planning_sv.cli.common import fail
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.plans import council_codes
from planning_sv.core.valuation.valuesets import COLUMNS, ValueSetRegistry


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


def _registry() -> ValueSetRegistry:
    try:
        return ValueSetRegistry.default()
    except OSError as exc:
        # The catalogue or the open set is missing: the installation, not the input, is at fault.
        click.echo(f"error: cannot load the measures and the open value set: {exc}", err=True)
        raise SystemExit(1) from None


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
@click.option("--council", required=True, help="council code, e.g. islington")
@click.option("--name", required=True, help="name of the value set")
@click.option("--licence", required=True, help="licence the council holds the values under")
@click.option("--target-year", type=int, default=None, help="uprate rows to this price year")
@click.option("--use", "use_it", is_flag=True, help="also make it the set the council uses")
def import_cmd(
    file: Path,
    council: str,
    name: str,
    licence: str,
    target_year: int | None,
    use_it: bool,
) -> None:
    """Import a council's value set from CSV.

    Columns: measure, unit, gbp_per_unit, price_year (required), and value_type, source,
    url, licence, method, confidence, note, uprate_index. Row numbers in errors count
    the header as row 1.
    """
    _check_council(council)
    registry = _registry()
    try:
        value_set = registry.import_csv(file, council, name, licence, target_price_year=target_year)
        if use_it:
            registry.choose(council, value_set.name, None)
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
def list_cmd(council: str | None, fmt: str) -> None:
    """List the value rows in force for a council (the open set when none is chosen)."""
    _check_council(council)
    try:
        rows = _registry().list_rows(council)
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
def use_cmd(council: str, name: str, version: int | None) -> None:
    """Choose the value set a council's assessments use."""
    _check_council(council)
    try:
        value_set = _registry().choose(council, name, version)
    except InputInvalid as exc:
        fail(exc.problems)
    click.echo(f"{council} now uses '{value_set.name}' version {value_set.version}")


@values_group.command("sets")
@click.option("--council", default=None)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
def sets_cmd(council: str | None, fmt: str) -> None:
    """List stored value sets and their versions."""
    sets = _registry().list_sets(council)
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
