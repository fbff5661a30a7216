"""public figures: approved schemes, their ward parts and lines, ward and council aggregates

Revision ID: 0005_figures
Revises: 0003_sessions
Create Date: 2026-11-26 12:00:00

The tables start empty; `planning-sv figures rebuild` fills them from the stored records
of already approved statements (the upgrade does not, so it stays quick and needs no
reference data).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_figures"
down_revision = "0003_sessions"
branch_labels = None
depends_on = None


def _statement_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["statement_id"],
        ["statements.id"],
        name=op.f(f"fk_{table}_statement_id_statements"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "public_schemes",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("site_lon", sa.Float(), nullable=True),
        sa.Column("site_lat", sa.Float(), nullable=True),
        sa.Column("selections", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        _statement_fk("public_schemes"),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_public_schemes")),
    )
    with op.batch_alter_table("public_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_schemes_council"), ["council"], unique=False)

    op.create_table(
        "public_scheme_wards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("ward_name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sited", sa.Boolean(), nullable=False),
        sa.Column("shared_only", sa.Boolean(), nullable=False),
        sa.Column("commitments", sa.Integer(), nullable=False),
        sa.Column("gbp", sa.Float(), nullable=False),
        _statement_fk("public_scheme_wards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_scheme_wards")),
    )
    with op.batch_alter_table("public_scheme_wards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_scheme_wards_council_ward", ["council", "ward_code", "year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_scheme_wards_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "public_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=100), nullable=False),
        sa.Column("measure_label", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("unit_label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("borough_wide", sa.Boolean(), nullable=False),
        sa.Column("gbp", sa.Float(), nullable=True),
        sa.Column("ward_share", sa.Float(), nullable=False),
        sa.Column("ward_gbp", sa.Float(), nullable=True),
        sa.Column("ward_quantity", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        _statement_fk("public_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_lines")),
    )
    with op.batch_alter_table("public_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_lines_council_ward", ["council", "ward_code", "year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_lines_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "public_ward_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("status_key", sa.String(length=32), nullable=False),
        sa.Column("filter_key", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("schemes", sa.Integer(), nullable=False),
        sa.Column("schemes_sited", sa.Integer(), nullable=False),
        sa.Column("schemes_shared", sa.Integer(), nullable=False),
        sa.Column("commitments", sa.Integer(), nullable=False),
        sa.Column("gbp", sa.Float(), nullable=False),
        sa.Column("jobs_fte_years", sa.Float(), nullable=False),
        sa.Column("apprenticeships", sa.Float(), nullable=False),
        sa.Column("workspace_sqm", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_ward_figures")),
        sa.UniqueConstraint(
            "council", "status_key", "filter_key", "year", "ward_code", name="uq_public_ward_cell"
        ),
    )
    op.create_table(
        "public_council_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("status_key", sa.String(length=32), nullable=False),
        sa.Column("filter_key", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("schemes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_council_figures")),
        sa.UniqueConstraint(
            "council", "status_key", "filter_key", "year", name="uq_public_council_cell"
        ),
    )


def downgrade() -> None:
    op.drop_table("public_council_figures")
    op.drop_table("public_ward_figures")
    with op.batch_alter_table("public_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_lines_statement_id"))
        batch_op.drop_index("ix_public_lines_council_ward")
    op.drop_table("public_lines")
    with op.batch_alter_table("public_scheme_wards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_scheme_wards_statement_id"))
        batch_op.drop_index("ix_public_scheme_wards_council_ward")
    op.drop_table("public_scheme_wards")
    with op.batch_alter_table("public_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_schemes_council"))
    op.drop_table("public_schemes")
