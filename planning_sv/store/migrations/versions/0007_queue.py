"""queue: denormalised, indexed columns for the officer queue and the statement lists

Revision ID: 0007_queue
Revises: 0006_value_sets
Create Date: 2026-11-29 15:00:00

`statements` gains `latest_version_number`, `submitted_at` (the latest version's) and
`reference_key` (application_reference or ""), and a child table `statement_site_wards`
holds the wards of the latest submitted version's site; composite indexes cover what the
queue filters and sorts by. `store.statements.submit` keeps them current from now on; the
upgrade fills them from the existing rows (the code below is frozen with this migration on
purpose: it reads the tables as they are at this revision).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_queue"
down_revision = "0006_value_sets"
branch_labels = None
depends_on = None

_BATCH = 2000

_STATEMENT_INDEXES = {
    "ix_statements_queue_submitted": ["council", "submitted_at", "id"],
    "ix_statements_queue_status_submitted": ["council", "status", "submitted_at", "id"],
    "ix_statements_queue_updated": ["council", "updated_at", "id"],
    "ix_statements_queue_status_updated": ["council", "status", "updated_at", "id"],
    "ix_statements_queue_reference": ["council", "reference_key", "id"],
    "ix_statements_owner_updated": ["owner_id", "updated_at", "id"],
}


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): on SQLite a batch copy drops and recreates
    # `statements`, and with foreign keys on, dropping it would cascade to every version,
    # assessment and audit event.
    op.add_column(
        "statements",
        sa.Column("latest_version_number", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("statements", sa.Column("submitted_at", sa.DateTime(timezone=True)))
    op.add_column(
        "statements",
        sa.Column("reference_key", sa.String(length=200), nullable=False, server_default=""),
    )
    op.create_table(
        "statement_site_wards",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("ward_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_site_wards_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "ward_code", name=op.f("pk_statement_site_wards")),
    )
    op.create_index(
        "ix_statement_site_wards_ward", "statement_site_wards", ["ward_code", "statement_id"]
    )
    op.create_index(
        "ix_statement_site_wards_council",
        "statement_site_wards",
        ["council", "ward_code", "ward_name"],
    )
    _backfill(op.get_bind())
    # After the backfill: filling indexed columns row by row is slower than indexing once.
    for name, columns in _STATEMENT_INDEXES.items():
        op.create_index(name, "statements", columns)


def downgrade() -> None:
    for name in _STATEMENT_INDEXES:
        op.drop_index(name, table_name="statements")
    op.drop_index("ix_statement_site_wards_council", table_name="statement_site_wards")
    op.drop_index("ix_statement_site_wards_ward", table_name="statement_site_wards")
    op.drop_table("statement_site_wards")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: see upgrade().
    for column in ("reference_key", "submitted_at", "latest_version_number"):
        op.drop_column("statements", column)


def _backfill(bind: Any) -> None:
    """The new columns and rows from the statements, versions and assessments there are."""
    meta = sa.MetaData()
    statements = sa.Table("statements", meta, autoload_with=bind)
    versions = sa.Table("statement_versions", meta, autoload_with=bind)
    assessments = sa.Table("assessments", meta, autoload_with=bind)
    site_wards = sa.Table("statement_site_wards", meta, autoload_with=bind)

    bind.execute(
        statements.update().values(
            reference_key=sa.func.coalesce(statements.c.application_reference, "")
        )
    )
    mine = versions.c.statement_id == statements.c.id
    has_version = sa.select(versions.c.id).where(mine).exists()
    bind.execute(
        statements.update()
        .where(has_version)
        .values(
            latest_version_number=sa.select(sa.func.max(versions.c.number))
            .where(mine)
            .scalar_subquery(),
            submitted_at=sa.select(sa.func.max(versions.c.submitted_at))
            .where(mine)
            .scalar_subquery(),
        )
    )
    # The site's wards of each statement's latest version, read from its assessment record
    # (only `site.wards`, extracted by the database, not whole records).
    latest = (
        sa.select(versions.c.statement_id, sa.func.max(versions.c.number).label("number"))
        .group_by(versions.c.statement_id)
        .subquery()
    )
    query = (
        sa.select(statements.c.id, statements.c.council, assessments.c.data["site"]["wards"])
        .join(latest, latest.c.statement_id == statements.c.id)
        .join(
            versions,
            (versions.c.statement_id == latest.c.statement_id)
            & (versions.c.number == latest.c.number),
        )
        .join(assessments, assessments.c.version_id == versions.c.id)
        .order_by(statements.c.id)
    )
    batch: list[dict[str, Any]] = []
    # A separate read connection would not see this transaction's tables on SQLite, so the
    # rows are read in pages of ids, inserting between pages.
    last_id = 0
    while True:
        rows = bind.execute(query.where(statements.c.id > last_id).limit(_BATCH)).all()
        if not rows:
            break
        for statement_id, council, wards in rows:
            seen: set[str] = set()
            for ward in wards if isinstance(wards, list) else []:
                code = str(ward.get("code") or "") if isinstance(ward, dict) else ""
                if not code or code in seen:
                    continue
                seen.add(code)
                batch.append(
                    {
                        "statement_id": statement_id,
                        "ward_code": code,
                        "council": council,
                        "ward_name": str(ward.get("name") or code)[:200],
                        "position": len(seen) - 1,
                    }
                )
        if batch:
            bind.execute(site_wards.insert(), batch)
            batch.clear()
        last_id = rows[-1][0]
