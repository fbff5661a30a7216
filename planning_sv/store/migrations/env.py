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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode copies a table, drops the old one and renames the copy. With foreign
        # keys on, SQLite's DROP TABLE deletes the old rows first and cascades to every child
        # table (a batch on `statements` emptied versions, assessments and public rows). So
        # foreign keys are off while migrating (this must run before the transaction starts:
        # the pragma is ignored inside one), and checked afterwards.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end the transaction the pragma began, so the migrations own theirs
    # render_as_batch: SQLite can only ALTER tables by copying them; batch mode does that.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(
                    f"the migration left rows whose foreign keys break: {broken[:5]}"
                )
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


run_migrations()
