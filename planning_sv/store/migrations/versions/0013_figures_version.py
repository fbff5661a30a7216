"""figures version: a counter per council raised with every change to its public figures;
indexes that keep the ward page and its downloads flat as the schemes grow

Revision ID: 0013_figures_version
Revises: 0012_policy
Create Date: 2026-11-29 17:00:00

The public pages' rendered-page cache and ETags are keyed on it (web/public.py). A council
without a row is at version 0; the first approval or rebuild creates the row.

The indexes order a ward's schemes and lines by statement (and position), so the ward page
counts and pages its list from the index alone and a download streams in order without
sorting every line of the ward; and a council's schemes by approval, for the scheme list.
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
    op.create_index(
        "ix_public_scheme_wards_ward_scheme",
        "public_scheme_wards",
        ["council", "ward_code", "statement_id"],
    )
    op.create_index(
        "ix_public_schemes_council_approved",
        "public_schemes",
        ["council", "approved_on", "statement_id"],
    )
    op.create_index(
        "ix_public_lines_ward_scheme",
        "public_lines",
        ["council", "ward_code", "statement_id", "position"],
    )


def downgrade() -> None:
    op.drop_index("ix_public_lines_ward_scheme", table_name="public_lines")
    op.drop_index("ix_public_schemes_council_approved", table_name="public_schemes")
    op.drop_index("ix_public_scheme_wards_ward_scheme", table_name="public_scheme_wards")
    op.drop_table("public_figures_versions")
