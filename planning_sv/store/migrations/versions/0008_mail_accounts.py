"""mail accounts: mail log, notification preferences, account tokens (issue 15)

Revision ID: 0008_mail_accounts
Revises: 0007_queue
Create Date: 2026-11-29 17:00:00

Adds `users.email_verified_at` (accounts that exist at the upgrade count as verified from
their creation: an operator made them, or they predate verification), the `mail_log`,
`mail_opt_outs` and `account_tokens` tables (store/mail.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_mail_accounts"
down_revision = "0007_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy: see 0007 (a copy of `users` would cascade).
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    users = sa.table(
        "users",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("email_verified_at", sa.DateTime(timezone=True)),
    )
    op.execute(users.update().values(email_verified_at=users.c.created_at))

    op.create_table(
        "mail_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transport", sa.String(length=16), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("council", sa.String(length=64), nullable=True),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_log")),
    )
    op.create_index(op.f("ix_mail_log_at"), "mail_log", ["at"])
    op.create_index(op.f("ix_mail_log_dedupe_key"), "mail_log", ["dedupe_key"])
    op.create_index("ix_mail_log_council_at", "mail_log", ["council", "at"])

    op.create_table(
        "mail_opt_outs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mail_opt_outs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_mail_opt_outs")),
    )

    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=True),
        sa.Column("password_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index(op.f("ix_account_tokens_user_id"), "account_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_tokens_user_id"), table_name="account_tokens")
    op.drop_table("account_tokens")
    op.drop_table("mail_opt_outs")
    op.drop_index("ix_mail_log_council_at", table_name="mail_log")
    op.drop_index(op.f("ix_mail_log_dedupe_key"), table_name="mail_log")
    op.drop_index(op.f("ix_mail_log_at"), table_name="mail_log")
    op.drop_table("mail_log")
    op.drop_column("users", "email_verified_at")
