"""`planning-sv export contributions|ifs` and `planning-sv import contributions`.

The national developer contributions data (planning.data.gov.uk's three CSV files, plus our
social value file) and the Infrastructure Funding Statement's section 106 report, from the
monitoring records; and the importer that loads a council's existing S106 records from the
same three files. docs/MONITORING.md explains the mapping and each IFS figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from planning_sv.cli.common import fail
from planning_sv.cli.web import _session, url_option
from planning_sv.core.errors import InputInvalid, Problem

if TYPE_CHECKING:
    from planning_sv.core.plans import CouncilPlan


def _plan(council: str) -> tuple[CouncilPlan, str]:
    """The council's plan and organisation code, or exit 2 naming what is at fault."""
    from planning_sv.core.plans import load_plans

    plans = load_plans()
    plan = plans.get(council)
    if plan is None:
        fail([Problem("--council", f"unknown council '{council}'; use one of {', '.join(plans)}")])
    if not plan.organisation:
        fail(
            [
                Problem(
                    f"local_plans/{council}/plan.yaml $.organisation",
                    "is not set: add the council's planning.data.gov.uk code "
                    "(e.g. local-authority:ISL)",
                )
            ]
        )
    return plan, plan.organisation


@click.group("export")
def export_group() -> None:
    """National developer contributions data and the Infrastructure Funding Statement."""


@export_group.command("contributions")
@click.option("--council", required=True, help="council code (a folder of local_plans/)")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder to write the four CSV files into (created if missing)",
)
@url_option
def export_contributions(council: str, out_dir: Path, url: str | None) -> None:
    """Write developer-agreement.csv, developer-agreement-contribution.csv and
    developer-agreement-transaction.csv (planning.data.gov.uk), and
    developer-agreement-contribution-social-value.csv (what the standard cannot hold)."""
    from planning_sv.core import contributions as dc
    from planning_sv.core.files import write_atomically
    from planning_sv.store.contributions import council_data

    _, organisation = _plan(council)
    with _session(url) as session:
        data = council_data(session, council, organisation)
    try:
        files = dc.export_files(data)
    except InputInvalid as exc:
        fail(exc.problems, heading="the records have broken links; nothing written")
    for name, text in files.items():
        write_atomically(out_dir / name, text)
    click.echo(
        f"{council}: {len(data.agreements)} agreements, {len(data.contributions)} contributions, "
        f"{len(data.transactions)} transactions, {len(data.social_value)} social value rows "
        f"written to {out_dir}"
    )


@export_group.command("ifs")
@click.option("--council", required=True, help="council code (a folder of local_plans/)")
@click.option(
    "--year",
    required=True,
    type=click.IntRange(2000, 2100),
    help="reported year: 2026 is 1 April 2026 to 31 March 2027",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "text"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="file to write (default: standard output)",
)
@url_option
def export_ifs(
    council: str, year: int, output_format: str, out_file: Path | None, url: str | None
) -> None:
    """The Infrastructure Funding Statement's section 106 report (CIL Regulations 2010,
    Schedule 2 paragraph 3) for one reported year."""
    from planning_sv.core import contributions as dc
    from planning_sv.core.files import write_atomically
    from planning_sv.core.ifs import IFS_COLUMNS, compute_ifs, ifs_rows, ifs_text
    from planning_sv.store.contributions import council_data

    plan, organisation = _plan(council)
    with _session(url) as session:
        data = council_data(session, council, organisation)
    report = compute_ifs(data, year, organisation=organisation)
    if output_format == "csv":
        text = dc.csv_text(IFS_COLUMNS, ifs_rows(report))
    else:
        text = ifs_text(report, plan.name)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_atomically(out_file, text)
        click.echo(f"{council}: IFS {report.year.label} written to {out_file}")


@click.group("import")
def import_group() -> None:
    """Load a council's existing records from other systems."""


@import_group.command("contributions")
@click.option("--council", required=True, help="council code (a folder of local_plans/)")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@url_option
def import_contributions(council: str, folder: Path, url: str | None) -> None:
    """Load FOLDER's developer-agreement*.csv files (planning.data.gov.uk's three files, as
    exported by another system), all or nothing: every fault is listed and nothing is stored."""
    from planning_sv.core import contributions as dc
    from planning_sv.store.contributions import load_files

    _, organisation = _plan(council)
    files = {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.is_file() and dc.standard_name(path.name) is not None
    }
    if not files:
        fail(
            [
                Problem(
                    str(folder),
                    f"has none of the standard files ({', '.join(dc.STANDARD_FILES)})",
                )
            ]
        )
    with _session(url) as session:
        try:
            counts = load_files(session, council, organisation, files, None)
        except InputInvalid as exc:
            session.rollback()
            fail(exc.problems, heading="nothing imported")
    click.echo(
        f"{council}: imported {counts['agreements']} agreements, "
        f"{counts['contributions']} contributions, {counts['transactions']} transactions"
    )
