"""Command group placeholder: filled in by the module's owner."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this module's commands to the `planning-sv` group."""
