"""`planning-sv schema statement|assessment`: the published JSON Schemas."""

from __future__ import annotations

import json

import click

from planning_sv.core.assessment import assessment_json_schema
from planning_sv.core.statement import statement_json_schema

SCHEMAS = {"statement": statement_json_schema, "assessment": assessment_json_schema}


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)))
def schema_command(name: str) -> None:
    """Print the JSON Schema of NAME (generated from the code's own models)."""
    click.echo(json.dumps(SCHEMAS[name](), indent=2))


def register(cli: click.Group) -> None:
    cli.add_command(schema_command)
