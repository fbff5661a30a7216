"""`planning-sv` command line. Each command group lives in its own module."""

from __future__ import annotations

import click

from planning_sv import __version__
from planning_sv.cli import assess, geo, plans, schema, values, web


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planning-sv")
def cli() -> None:
    """Assess the social value promised in planning applications."""


for module in (assess, schema, plans, geo, values, web):
    module.register(cli)


def main() -> None:
    cli(prog_name="planning-sv")
