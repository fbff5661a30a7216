"""queue scale: the officer queue's overdue filter and ward filter as index ranges

Revision ID: 0016_queue_scale
Revises: 0015_mail_claims
Create Date: 2026-11-29 20:15:00

`statements.open_target_date` is the target date while the case is open (submitted, not
decided or withdrawn), else NULL (core/cases.py `open_target`; the models' "set" listeners
keep it with every status or target change), indexed with the council so the overdue filter
and its count read only overdue rows. `statement_site_wards.submitted_at` copies the
statement's submission time (both are written at each submission), indexed after the council
and ward so a ward's newest cases are one index range. `ix_statements_queue_updated` gains
the visibility test's columns (status, submitted_at) after its key, so the API's offset pages
read their sort keys from the index alone. The upgrade fills both columns from the rows
there are, with the open statuses frozen here on purpose (the workflow as at this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_queue_scale"
down_revision = "0015_mail_claims"
branch_labels = None
depends_on = None

_UPDATED = ["council", "updated_at", "id", "status", "submitted_at"]
# core/workflow.py as at this revision: submitted at least once, not decided nor withdrawn.
_OPEN = (
    "submitted",
    "under_review",
    "changes_requested",
    "resubmitted",
    "recommended",
    "signed_off",
)


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): see 0007_queue.
    op.add_column("statements", sa.Column("open_target_date", sa.Date(), nullable=True))
    op.add_column(
        "statement_site_wards", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True)
    )
    meta = sa.MetaData()
    bind = op.get_bind()
    statements = sa.Table("statements", meta, autoload_with=bind)
    site_wards = sa.Table("statement_site_wards", meta, autoload_with=bind)
    # updated_at kept as it is: filling a derived column is not an update of the statement.
    bind.execute(
        statements.update()
        .where(statements.c.status.in_(_OPEN))
        .values(open_target_date=statements.c.target_date, updated_at=statements.c.updated_at)
    )
    bind.execute(
        site_wards.update().values(
            submitted_at=sa.select(statements.c.submitted_at)
            .where(statements.c.id == site_wards.c.statement_id)
            .scalar_subquery()
        )
    )
    # After the backfill: indexing once is faster than keeping an index through it.
    op.create_index(
        "ix_statements_queue_open_target", "statements", ["council", "open_target_date", "id"]
    )
    op.create_index(
        "ix_statement_site_wards_submitted",
        "statement_site_wards",
        ["council", "ward_code", "submitted_at", "statement_id"],
    )
    # The council's statements newest first, with the visibility test's columns (status,
    # submitted_at) after the key: the API's offset pages read their keys from the index.
    op.drop_index("ix_statements_queue_updated", table_name="statements")
    op.create_index("ix_statements_queue_updated", "statements", _UPDATED)


def downgrade() -> None:
    op.drop_index("ix_statements_queue_updated", table_name="statements")
    op.create_index("ix_statements_queue_updated", "statements", _UPDATED[:3])
    op.drop_index("ix_statement_site_wards_submitted", table_name="statement_site_wards")
    op.drop_index("ix_statements_queue_open_target", table_name="statements")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: see 0007_queue.
    op.drop_column("statement_site_wards", "submitted_at")
    op.drop_column("statements", "open_target_date")
