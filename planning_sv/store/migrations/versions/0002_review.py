"""officer review: rule verdicts and review state (optimistic lock)

Revision ID: 0002_review
Revises: 0001
Create Date: 2026-11-25 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_review"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_version_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_review_states_statement_version_id_statement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_review_states_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_states")),
        sa.UniqueConstraint(
            "statement_version_id", name=op.f("uq_review_states_statement_version_id")
        ),
    )
    op.create_table(
        "rule_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_version_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("engine_status", sa.String(length=32), nullable=False),
        sa.Column("officer_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_rule_verdicts_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_rule_verdicts_statement_version_id_statement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_verdicts")),
        sa.UniqueConstraint("statement_version_id", "rule_id", name="uq_rule_verdict"),
    )
    with op.batch_alter_table("rule_verdicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_verdicts_statement_version_id"),
            ["statement_version_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_verdicts_statement_version_id"))
    op.drop_table("rule_verdicts")
    op.drop_table("review_states")
