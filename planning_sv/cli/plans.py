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
    """Council rule packs (local_plans/<council>/): check, scenario tests, impact of a draft."""


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


@plans_group.command("impact")
@click.option("--council", required=True, help="the council whose statements are re-assessed")
@click.option(
    "--draft",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="folder of the draft pack (plan.yaml, parameters.yaml, rules.yaml)",
)
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="submitted on or after")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="submitted on or before")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file")
@click.option("--url", envvar="DATABASE_URL", help="database URL")
def impact_command(
    council: str,
    draft: Path,
    since: dt.datetime | None,
    until: dt.datetime | None,
    fmt: str,
    out: Path | None,
    url: str | None,
) -> None:
    """Re-assess COUNCIL's stored statements under a DRAFT pack beside the pack in force:
    statements whose verdicts change, the change in each required figure, totals by rule
    and by ward."""
    from planning_sv.cli.web import _session
    from planning_sv.core import impact
    from planning_sv.core.plans import load_plans, read_draft_pack
    from planning_sv.store.impact import impact_cases

    plans = load_plans()
    if council not in plans:
        raise click.ClickException(f"--council: unknown council '{council}' ({', '.join(plans)})")
    plan, problems = read_draft_pack(draft, council)
    if plan is None or problems:
        for problem in problems:
            click.echo(f"error: draft {problem}", err=True)
        raise click.ClickException("the draft pack has faults: fix them and run again")
    with _session(url) as session:
        report = impact.compare(
            plans[council],
            plan,
            impact_cases(
                session,
                council,
                submitted_from=since.date() if since else None,
                submitted_to=until.date() if until else None,
            ),
        )
    text = {
        "text": impact.report_text,
        "csv": impact.report_csv,
        "json": impact.report_json_text,
    }[fmt](report)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(
            f"{len(report.changed_statements)} of {report.statements} statements change; "
            f"written to {out}"
        )


def register(cli: click.Group) -> None:
    cli.add_command(plans_group)
