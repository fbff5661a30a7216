"""Alembic environment, driven from `planning_sv.store.migrate` (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from planning_sv.store.db import make_engine
from planning_sv.store.models import Base, import_all_models

import_all_models()
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite can only ALTER tables by copying them; batch mode does that.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
