"""`planning-sv assess STATEMENT.json`: assess a statement against its council's rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planning_sv.cli.common import EXIT_FAULT, fail
from planning_sv.config import DataDirMissing
from planning_sv.core.assessment import parse_assessment
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.measures import load_measures
from planning_sv.core.plans import PlansInvalid, load_plans
from planning_sv.core.report import render_text
from planning_sv.core.rules.expressions import ExpressionError
from planning_sv.core.statement import parse_statement
from planning_sv.datasets import require as require_open_data

if TYPE_CHECKING:
    from planning_sv.core.pipeline import Placer, Valuer


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-01-31") from None


def services() -> tuple[Placer, Valuer]:
    """The placer and valuer; a seam the tests replace with fakes."""
    from planning_sv.core.pipeline import default_services

    return default_services()


@click.command("assess")
@click.argument("statement_file", metavar="STATEMENT.json", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="json: the assessment@1 record; text: a report for officers",
)
@click.option(
    "--on",
    "on",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="apply the rules and parameters in force on this date (default: today)",
)
def assess_command(statement_file: str, output_format: str, on: dt.date) -> None:
    """Assess STATEMENT.json against its council's rules.

    Exits 0 whenever the assessment ran, whatever the verdicts; 2 on bad input (each
    problem named by its JSON path); 1 when a rule pack or the open data is at fault.
    """
    from planning_sv.core.pipeline import assess_statement

    try:
        text = Path(statement_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        fail([Problem("$", f"cannot read {statement_file}: {reason}")])
    try:
        plans = load_plans()
    except PlansInvalid as exc:
        fail(
            exc.problems,
            heading="the rule packs have faults (run `planning-sv plans check`)",
            exit_code=EXIT_FAULT,
        )
    try:
        statement = parse_statement(text, councils=plans, measures=load_measures())
    except InputInvalid as exc:
        fail(exc.problems)
    try:
        require_open_data()  # DataMissing names every missing dataset and the fetch command
        placer, valuer = services()
    except (ImportError, DataDirMissing) as exc:
        fail(
            [str(exc)],
            heading="cannot load the placement and valuation services",
            exit_code=EXIT_FAULT,
        )
    try:
        assessment = assess_statement(statement, on=on, plans=plans, placer=placer, valuer=valuer)
    except InputInvalid as exc:
        fail(exc.problems)
    except ExpressionError as exc:
        fail(
            [str(exc)],
            heading=f"a rule in the {statement.council} pack cannot be evaluated",
            exit_code=EXIT_FAULT,
        )
    data = assessment.to_dict()
    if output_format == "text":
        click.echo(render_text(parse_assessment(data)), nl=False)
    else:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def register(cli: click.Group) -> None:
    cli.add_command(assess_command)
