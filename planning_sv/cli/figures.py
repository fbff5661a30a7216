"""`planning-sv figures rebuild [--council C]`: recompute the public figures from the records.

The public pages read pre-computed rows that every approval keeps current (store/figures.py).
Rebuild them after an upgrade (the 0005_figures migration creates them empty), after the
measures catalogue changes, or to check them: the result equals the incremental updates.
"""

from __future__ import annotations

import click

from planning_sv.cli.common import fail
from planning_sv.cli.web import _session, url_option
from planning_sv.core.errors import Problem


@click.group("figures")
def figures_group() -> None:
    """Public ward figures: pre-computed rows the public pages read."""


@figures_group.command("rebuild")
@click.option("--council", default=None, help="only this council (default: every council)")
@url_option
def rebuild_command(council: str | None, url: str | None) -> None:
    """Recompute every council's (or one council's) public figures from the stored records."""
    from planning_sv.core.geo.service import GeoService
    from planning_sv.core.plans import load_plans
    from planning_sv.store import benchmarks, figures

    plans = load_plans()
    if council is not None and council not in plans:
        fail([Problem("--council", f"unknown council '{council}'; use one of {', '.join(plans)}")])
    postcodes = GeoService.from_data_dir().postcodes

    def postcode_point(text: str) -> tuple[float, float] | None:
        # Only records stored before commitments carried their point need this.
        point = postcodes.lookup(text)
        return (float(point.lon), float(point.lat)) if point is not None else None

    with _session(url) as session:
        count = figures.rebuild(session, council, postcode_point=postcode_point)
        for code in [council] if council else list(plans):
            benchmarks.rebuild(session, code)
    click.echo(f"public figures rebuilt for {council or 'every council'}: {count} approved schemes")
