"""`planning-sv councils add LAD_CODE`: start a rule pack for any English council."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import click

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.figures import plural


@click.group("councils")
def councils_group() -> None:
    """Councils: start a rule pack for any English council from the national data."""


@councils_group.command("add")
@click.argument("lad_code")
@click.option("--name", help="the council's name, e.g. 'London Borough of Camden'")
@click.option("--code", help="the pack's folder name (default: from the ward file's LAD name)")
@click.option(
    "--root", type=click.Path(file_okay=False), help="folder of packs (default local_plans/)"
)
def add_command(lad_code: str, name: str | None, code: str | None, root: str | None) -> None:
    """Create local_plans/<code>/ for LAD_CODE: plan, statutory major-development parameters and,
    in London, the London Plan rules; check it; count its wards in the national ward file."""
    from planning_sv.config import DataDirMissing, data_dir
    from planning_sv.core.council_pack import (
        LAD_CODE,
        PackError,
        council_code_for,
        new_pack,
        write_pack,
    )
    from planning_sv.core.geo import GeoService
    from planning_sv.core.plans import read_plans

    plans_dir = Path(root) if root else LOCAL_PLANS_DIR
    lad_code = lad_code.strip().upper()
    if not LAD_CODE.match(lad_code):
        raise click.ClickException(
            f"'{lad_code}' is not an English local authority code (E06, E07, E08 or E09 and six "
            "digits, e.g. E09000007)"
        )
    try:
        geo = GeoService.from_data_dir(data_dir())
    except DataDirMissing as exc:
        raise click.ClickException(str(exc)) from None
    try:
        wards = geo.council("2025", lad_code)
    except (KeyError, ValueError):
        raise click.ClickException(
            f"{lad_code} has no wards in the national 2025 ward file: is it an English "
            "local authority code (run `planning-sv data status`)?"
        ) from None
    short_name = geo.lad_name(lad_code)
    plans, _problems = read_plans(plans_dir)
    existing = {plan.lad_code: plan.code for plan in plans.values()}
    try:
        pack = new_pack(
            plans_dir,
            lad_code=lad_code,
            name=name or short_name,
            code=code or council_code_for(short_name),
            existing=existing,
            today=dt.date.today(),
        )
    except PackError as exc:
        raise click.ClickException(str(exc)) from None
    folder = write_pack(plans_dir, pack)
    _plans, problems = read_plans(plans_dir)
    mine = [p for p in problems if str(p.path).startswith(f"{pack.code}/")]
    if mine:
        shutil.rmtree(folder)  # never leave a pack that `plans check` refuses
        for problem in mine:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException("the new pack did not pass `plans check`; nothing was written")
    what = "the statutory major-development definition"
    if pack.london:
        what += " and the London Plan 2021 rules for every London borough"
    click.echo(f"created local_plans/{pack.code}/ for {name or short_name} ({lad_code}): {what}")
    click.echo(f"{plural(len(wards.codes), 'ward')} from the national 2025 ward file")
    click.echo(
        "next: restart the app to see its public pages; `planning-sv data build --council "
        f"{lad_code}` writes its ward population and deprivation summary (until then a "
        "borough-wide commitment is spread by ward area); add its own rules (docs/RULES.md) "
        f"and run `planning-sv plans check` and `planning-sv plans test {pack.code}`"
    )
