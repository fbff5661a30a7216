"""Helpers shared by the command modules: exiting with clear messages, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import click

from planning_sv.core.errors import Problem

EXIT_BAD_INPUT = 2
EXIT_FAULT = 1  # the installation is at fault (a rule pack, the open data), not the input


def fail(
    problems: Iterable[Problem | str],
    *,
    heading: str | None = None,
    exit_code: int = EXIT_BAD_INPUT,
) -> NoReturn:
    """Print one line per problem to stderr and exit (2, bad input, unless told otherwise)."""
    if heading:
        click.echo(f"error: {heading}", err=True)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(exit_code)
