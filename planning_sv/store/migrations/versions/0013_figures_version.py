"""figures version: a counter per council raised with every change to its public figures

Revision ID: 0013_figures_version
Revises: 0012_policy
Create Date: 2026-11-29 17:00:00

The public pages' rendered-page cache and ETags are keyed on it (web/public.py). A council
without a row is at version 0; the first approval or rebuild creates the row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_figures_version"
down_revision = "0012_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_figures_versions",
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("council", name=op.f("pk_public_figures_versions")),
    )


def downgrade() -> None:
    op.drop_table("public_figures_versions")
