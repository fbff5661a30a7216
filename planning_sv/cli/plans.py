"""`planning-sv plans check|test`: validate the rule packs and run their scenarios."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.figures import plural
from planning_sv.core.plans import read_plans
from planning_sv.core.rules.scenarios import run_scenarios


def _root(value: str | None) -> Path:
    return Path(value) if value else LOCAL_PLANS_DIR


@click.group("plans")
def plans_group() -> None:
    """Validate council rule packs (local_plans/<council>/) and run their scenario tests."""


@plans_group.command("check")
@click.option(
    "--root", type=click.Path(file_okay=False), help="folder of packs (default local_plans/)"
)
def check_command(root: str | None) -> None:
    """Check every pack: schema, dates, citations, expressions, measures. Exit 1 on faults."""
    plans, problems = read_plans(_root(root))
    today = dt.date.today()
    for plan in plans.values():
        in_force = sum(1 for r in plan.rules if r.in_force(today))
        click.echo(
            f"OK {plan.code}: {plan.name}, pack {plan.pack_version}, {len(plan.rules)} rules "
            f"({in_force} in force today), {len(plan.parameters)} parameters"
        )
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        click.echo(f"{plural(len(problems), 'problem')} found", err=True)
        raise SystemExit(1)
    if not plans:
        click.echo(f"error: no rule packs under {_root(root)}", err=True)
        raise SystemExit(1)


@plans_group.command("test")
@click.argument("council", required=False)
@click.option(
    "--root", type=click.Path(file_okay=False), help="folder of packs (default local_plans/)"
)
def test_command(council: str | None, root: str | None) -> None:
    """Run the scenario tests of COUNCIL (default: every council). Exit 1 on any failure."""
    plans, problems = read_plans(_root(root))
    if council is not None and council not in plans:
        known = ", ".join(sorted(plans)) or "none"
        pack_faults = [p for p in problems if str(p.path).startswith(f"{council}/")]
        for problem in pack_faults:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"error: no valid pack for council '{council}' (valid: {known})", err=True)
        raise SystemExit(1)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if not plans:
        click.echo(f"error: no rule packs under {_root(root)}", err=True)
        raise SystemExit(1)
    chosen = [plans[council]] if council else list(plans.values())
    outcomes = run_scenarios(chosen)
    failed = [o for o in outcomes if not o.passed]
    for outcome in failed:
        click.echo(f"FAIL {outcome.file}: {outcome.name}")
        for failure in outcome.failures:
            click.echo(f"  {failure}")
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed or problems:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(plans_group)
