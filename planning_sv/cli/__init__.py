"""`planning-sv` command line. Each command group lives in its own module.

Commands are loaded when they run, not at start-up: the modules behind them import pandas,
geopandas, shapely, SQLAlchemy and pydantic, which together cost about a second before the
first line of output. `planning-sv --help` and any one command import only what they use.
"""

from __future__ import annotations

import importlib

import click

from planning_sv import __version__

# name -> ("module:attribute" of the click command, its one-line help for `--help`).
# The help text is repeated here so listing the commands imports none of them;
# tests/core/test_cli_lazy.py checks each line against the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": (
        "planning_sv.cli.assess:assess_command",
        "Assess STATEMENT.json against its council's rules.",
    ),
    "councils": (
        "planning_sv.cli.councils:councils_group",
        "Councils: start a rule pack for any English council from the national data.",
    ),
    "data": (
        "planning_sv.cli.data:data_group",
        "Open data: check, download and rebuild the files the app reads.",
    ),
    "backup": (
        "planning_sv.cli.backup:backup_command",
        "Back up the database, settings and uploaded files into one archive, while running.",
    ),
    "db": (
        "planning_sv.cli.web:db_group",
        "Create or migrate the database named by DATABASE_URL.",
    ),
    "demo": ("planning_sv.cli.web:demo_group", "Demo data."),
    "export": (
        "planning_sv.cli.export:export_group",
        "National developer contributions data and the Infrastructure Funding Statement.",
    ),
    "figures": (
        "planning_sv.cli.figures:figures_group",
        "Public ward figures: pre-computed rows the public pages read.",
    ),
    "geo": ("planning_sv.cli.geo:geo_group", "Ward boundary vintages."),
    "import": (
        "planning_sv.cli.export:import_group",
        "Load a council's existing records from other systems.",
    ),
    "locate": (
        "planning_sv.cli.geo:locate_command",
        "Place every row of POINTS.csv in a ward, streaming; adds ward_code and ward_name.",
    ),
    "monitor": (
        "planning_sv.cli.monitor:monitor_group",
        "Monitoring of secured obligations: statuses and alert emails.",
    ),
    "plans": (
        "planning_sv.cli.plans:plans_group",
        "Council rule packs (local_plans/<council>/): check, scenario tests, impact of a draft.",
    ),
    "restore": (
        "planning_sv.cli.backup:restore_command",
        "Restore a backup archive into an empty installation (checksums verified first).",
    ),
    "schema": (
        "planning_sv.cli.schema:schema_command",
        "Print the JSON Schema of NAME (generated from the code's own models).",
    ),
    "serve": (
        "planning_sv.cli.web:serve",
        "Serve the app with waitress (a production WSGI server).",
    ),
    "tokens": (
        "planning_sv.cli.web:tokens_group",
        "Manage API tokens (stored hashed; shown once).",
    ),
    "users": ("planning_sv.cli.web:users_group", "Manage accounts."),
    "values": (
        "planning_sv.cli.values:values_group",
        "Value sets: £ per unit of each measure, with source, price year and licence.",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module behind command `name` and return its click command."""
    module_name, attribute = COMMANDS[name][0].split(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{COMMANDS[name][0]} is not a click command")
    return command


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (see COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing imports every command to read its help; use the table instead.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            # A stand-in command carrying the table's help, shortened the way click does.
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planning-sv")
def cli() -> None:
    """Assess the social value promised in planning applications."""


def main() -> None:
    cli(prog_name="planning-sv")
