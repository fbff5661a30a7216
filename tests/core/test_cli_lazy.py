"""The command line loads each command's module only when that command runs."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from planning_sv.cli import COMMANDS, cli, load_command

HEAVY = ("pandas", "geopandas", "shapely", "sqlalchemy", "pydantic", "numpy", "flask")


def _modules_after(code: str) -> set[str]:
    """The module names loaded by a fresh interpreter after running `code`."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_help_lists_every_command_without_importing_heavy_libraries() -> None:
    loaded = _modules_after(
        "from planning_sv.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='planning-sv')\nexcept SystemExit:\n    pass"
    )
    assert [m for m in HEAVY if m in loaded] == []
    assert not any(m.startswith("planning_sv.cli.") for m in loaded)


def test_running_one_command_imports_only_its_module() -> None:
    loaded = _modules_after(
        "from planning_sv.cli import cli\n"
        "try:\n    cli(['schema', '--help'], prog_name='planning-sv')\nexcept SystemExit:\n    pass"
    )
    assert "planning_sv.cli.schema" in loaded
    assert "planning_sv.cli.geo" not in loaded
    assert "planning_sv.cli.web" not in loaded
    assert "geopandas" not in loaded


def test_help_table_matches_each_commands_own_help() -> None:
    for name, (_target, summary) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        # The command's own first help line, as click would show it untruncated.
        assert command.get_short_help_str(limit=1000) == summary


def test_help_output_names_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1].split()
    for name in (
        "assess",
        "db",
        "demo",
        "geo",
        "locate",
        "plans",
        "schema",
        "serve",
        "tokens",
        "users",
        "values",
    ):
        assert name in listed


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["nonsense"])
    assert result.exit_code == 2
    assert "No such command 'nonsense'" in result.output


def test_subcommand_runs_through_the_lazy_group() -> None:
    result = CliRunner().invoke(cli, ["schema", "statement"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"]
    assert isinstance(cli.get_command(click.Context(cli), "schema"), click.Command)
