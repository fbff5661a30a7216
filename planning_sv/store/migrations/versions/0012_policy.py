"""policy: approved schemes' offers per measure and their distributions (issue 14)

Revision ID: 0012_policy
Revises: 0011_review_notes
Create Date: 2026-11-29 17:00:00

`scheme_offers` holds each approved scheme's offer per measure with its build cost, homes
and floorspace; `offer_distributions` the median and quartiles per council, measure and
metric (store/benchmarks.py). Both are derived: `planning-sv figures rebuild` fills them
from the records after this upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_policy"
down_revision = "0011_review_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_offers",
        sa.Column(
            "statement_id",
            sa.Integer(),
            sa.ForeignKey("statements.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("council", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("build_cost_gbp", sa.Float(), nullable=False),
        sa.Column("dwellings", sa.Integer(), nullable=False),
        sa.Column("floorspace_sqm", sa.Float(), nullable=False),
    )
    op.create_index("ix_scheme_offers_council_measure", "scheme_offers", ["council", "measure"])
    op.create_table(
        "offer_distributions",
        sa.Column("council", sa.String(64), primary_key=True),
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("schemes", sa.Integer(), nullable=False),
        sa.Column("lower_quartile", sa.Float(), nullable=False),
        sa.Column("median", sa.Float(), nullable=False),
        sa.Column("upper_quartile", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("offer_distributions")
    op.drop_index("ix_scheme_offers_council_measure", table_name="scheme_offers")
    op.drop_table("scheme_offers")
