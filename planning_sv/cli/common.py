"""Helpers shared by the command modules: exiting with clear messages, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import click

from planning_sv.core.errors import Problem

EXIT_BAD_INPUT = 2


def fail(problems: Iterable[Problem | str], *, heading: str | None = None) -> NoReturn:
    """Print one line per problem to stderr and exit 2."""
    if heading:
        click.echo(f"error: {heading}", err=True)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)
