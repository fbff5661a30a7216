"""mail claims: one row per dedupe key, inserted before an email is sent, so that two
overlapping senders (two `planning-sv monitor run`s) cannot both send it

Revision ID: 0015_mail_claims
Revises: 0014_cases
Create Date: 2026-11-29 17:55:00

`mail_claims.dedupe_key` is the primary key: `mail.send_and_log` inserts the claim (insert
or do nothing) before sending and skips the message when another sender holds it. Keys
already sent (the `mail_log` rows with status `sent`) are copied in, so history counts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_mail_claims"
down_revision = "0014_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_claims",
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dedupe_key", name=op.f("pk_mail_claims")),
    )
    op.execute(
        "INSERT INTO mail_claims (dedupe_key, claimed_at) "
        "SELECT dedupe_key, MIN(at) FROM mail_log "
        "WHERE status = 'sent' AND dedupe_key IS NOT NULL GROUP BY dedupe_key"
    )


def downgrade() -> None:
    op.drop_table("mail_claims")
