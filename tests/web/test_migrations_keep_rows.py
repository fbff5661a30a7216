"""Migrations that rebuild a table on SQLite (batch mode) must not cascade-delete children.

SQLite's DROP TABLE deletes the rows first, and with foreign keys on that cascades: a batch
rebuild of `statements` once emptied every version and assessment. Going down past such a
migration and up again must keep every row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command

from planning_sv.store import statements as repo
from planning_sv.store.db import Database
from planning_sv.store.migrate import alembic_config, upgrade
from planning_sv.store.users import create_user
from tests.conftest import shared_assessor

TABLES = ("statements", "statement_versions", "assessments", "audit_events")


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        # The table names are this module's constants.
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def test_down_past_the_statements_rebuild_and_up_again_keeps_every_row(
    tmp_path: Path, islington_example: dict[str, Any]
) -> None:
    path = tmp_path / "keep.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url, assessor=shared_assessor())
    with database.session() as session:
        owner = create_user(session, "keep@example.com", "a-long-password-1")
        for _ in range(3):
            statement = repo.create_statement(session, owner, "islington", islington_example)
            repo.submit(session, statement, owner)
    database.dispose()
    before = _counts(path)
    assert before["statement_versions"] == 3 and before["assessments"] >= 3
    # 0010 adds statements.organisation_id; its downgrade rebuilds `statements`.
    command.downgrade(alembic_config(url), "0009_monitoring")
    assert _counts(path) == before
    upgrade(url)
    assert _counts(path) == before
    with sqlite3.connect(path) as con:
        assert con.execute("pragma foreign_key_check").fetchall() == []
