"""review notes: officer review: acknowledgements, ward corrections, internal notes (issue 12)

Revision ID: 0011_review_notes
Revises: 0010_collaboration
Create Date: 2026-11-29 17:00:00

`review_notes` keeps what officers write with its audience (internal, or a message to the
applicant); the upgrade fills it from the reasons of the decisions already recorded, so an
older request for changes still reaches the applicant and an older recommendation note
stays internal. `parameter_acknowledgements` records an officer acknowledging an unverified
rule parameter on a version; `ward_corrections` an officer's correction of a commitment's
ward (store/review.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_review_notes"
down_revision = "0010_collaboration"
branch_labels = None
depends_on = None

# Frozen with this migration: which decision's reason was meant for whom at this revision.
_AUDIENCE = {
    "request_changes": "applicant",
    "refuse": "applicant",
    "recommend": "internal",
    "sign_off": "internal",
    "return": "internal",
    "approve": "internal",
    "start_review": "internal",
}


def upgrade() -> None:
    op.create_table(
        "review_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("statement_version_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_review_notes_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_review_notes_statement_version_id_statement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_review_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_events.id"],
            name=op.f("fk_review_notes_event_id_audit_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_notes")),
    )
    op.create_index(op.f("ix_review_notes_statement_id"), "review_notes", ["statement_id"])
    op.create_index(op.f("ix_review_notes_event_id"), "review_notes", ["event_id"])
    op.create_table(
        "parameter_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_version_id", sa.Integer(), nullable=False),
        sa.Column("parameter", sa.String(length=128), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_parameter_acknowledgements_statement_version_id_statement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_parameter_acknowledgements_officer_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parameter_acknowledgements")),
        sa.UniqueConstraint(
            "statement_version_id", "parameter", name="uq_parameter_acknowledgement"
        ),
    )
    op.create_index(
        op.f("ix_parameter_acknowledgements_statement_version_id"),
        "parameter_acknowledgements",
        ["statement_version_id"],
    )
    op.create_table(
        "ward_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_version_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(length=128), nullable=False),
        sa.Column("from_wards", sa.JSON(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("ward_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_ward_corrections_statement_version_id_statement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_ward_corrections_officer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_corrections")),
    )
    op.create_index(
        op.f("ix_ward_corrections_statement_version_id"),
        "ward_corrections",
        ["statement_version_id"],
    )
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_ward_corrections_statement_version_id"), table_name="ward_corrections")
    op.drop_table("ward_corrections")
    op.drop_index(
        op.f("ix_parameter_acknowledgements_statement_version_id"),
        table_name="parameter_acknowledgements",
    )
    op.drop_table("parameter_acknowledgements")
    op.drop_index(op.f("ix_review_notes_event_id"), table_name="review_notes")
    op.drop_index(op.f("ix_review_notes_statement_id"), table_name="review_notes")
    op.drop_table("review_notes")


def _backfill(bind: Any) -> None:
    """A note for every decision already recorded with a reason, with its audience."""
    meta = sa.MetaData()
    events = sa.Table("audit_events", meta, autoload_with=bind)
    notes = sa.Table("review_notes", meta, autoload_with=bind)
    rows = bind.execute(
        sa.select(
            events.c.id,
            events.c.statement_id,
            events.c.actor_id,
            events.c.at,
            events.c.action,
            events.c.reason,
        )
        .where(events.c.action.in_(list(_AUDIENCE)), events.c.reason.is_not(None))
        .where(events.c.statement_id.is_not(None))
        .order_by(events.c.id)
    ).all()
    batch = [
        {
            "statement_id": statement_id,
            "statement_version_id": None,
            "audience": _AUDIENCE[action],
            "kind": action,
            "body": reason,
            "author_id": actor_id,
            "created_at": at,
            "event_id": event_id,
        }
        for event_id, statement_id, actor_id, at, action, reason in rows
        if reason
    ]
    if batch:
        bind.execute(notes.insert(), batch)
