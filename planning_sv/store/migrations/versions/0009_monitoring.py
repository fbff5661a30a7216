"""monitoring: agreements, obligations, trigger events, delivery reports, transactions, documents (issue 13)

Revision ID: 0009_monitoring
Revises: 0008_mail_accounts
Create Date: 2026-11-29 17:00:00

Tables of planning_sv/store/monitoring.py and the document store (planning_sv/store/documents.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_monitoring"
down_revision = "0008_mail_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_documents_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_council"), ["council"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("document_url", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_agreements_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_monitoring_agreements_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_agreements")),
        sa.UniqueConstraint("statement_id", "version", name="uq_monitoring_agreement"),
    )
    with op.batch_alter_table("monitoring_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_agreements_council"), ["council"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_agreements_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_trigger_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("phase", sa.String(length=64), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_trigger_events_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_monitoring_trigger_events_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_trigger_events")),
        sa.UniqueConstraint("statement_id", "key", name="uq_monitoring_trigger_event"),
    )
    with op.batch_alter_table("monitoring_trigger_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_trigger_events_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(length=100), nullable=True),
        sa.Column("measure", sa.String(length=100), nullable=False),
        sa.Column("measure_label", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("unit_label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("is_money", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("offered_quantity", sa.Float(), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("wards", sa.JSON(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("trigger_kind", sa.String(length=32), nullable=False),
        sa.Column("trigger_percent", sa.Float(), nullable=True),
        sa.Column("trigger_phase", sa.String(length=64), nullable=True),
        sa.Column("trigger_on", sa.Date(), nullable=True),
        sa.Column("due_amount", sa.Integer(), nullable=False),
        sa.Column("due_unit", sa.String(length=8), nullable=False),
        sa.Column("uprating_index", sa.String(length=100), nullable=True),
        sa.Column("spend_within_months", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("counted", sa.Float(), nullable=False),
        sa.Column("varied_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("waived_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["monitoring_agreements.id"],
            name=op.f("fk_monitoring_obligations_agreement_id_monitoring_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_monitoring_obligations_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["monitoring_obligations.id"],
            name=op.f("fk_monitoring_obligations_superseded_by_id_monitoring_obligations"),
        ),
        sa.ForeignKeyConstraint(
            ["varied_by_id"],
            ["monitoring_agreements.id"],
            name=op.f("fk_monitoring_obligations_varied_by_id_monitoring_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_obligations")),
    )
    with op.batch_alter_table("monitoring_obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_obligations_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_obligations_council"), ["council"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_obligations_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("where", sa.JSON(), nullable=True),
        sa.Column("wards", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("accepted_quantity", sa.Float(), nullable=True),
        sa.Column("verification_reason", sa.Text(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["monitoring_obligations.id"],
            name=op.f("fk_monitoring_reports_obligation_id_monitoring_obligations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_monitoring_reports_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_reports_submitted_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_reports_verified_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_reports")),
    )
    with op.batch_alter_table("monitoring_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_reports_council"), ["council"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_reports_obligation_id"), ["obligation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_reports_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["monitoring_obligations.id"],
            name=op.f("fk_monitoring_transactions_obligation_id_monitoring_obligations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_monitoring_transactions_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_monitoring_transactions_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_transactions")),
    )
    with op.batch_alter_table("monitoring_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_transactions_council"), ["council"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_transactions_obligation_id"), ["obligation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitoring_transactions_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "monitoring_report_documents",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_monitoring_report_documents_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["monitoring_reports.id"],
            name=op.f("fk_monitoring_report_documents_report_id_monitoring_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "report_id", "document_id", name=op.f("pk_monitoring_report_documents")
        ),
    )
    op.create_table(
        "contribution_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=200), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_contribution_imports_imported_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_imports")),
        sa.UniqueConstraint("council", "kind", "reference", name="uq_contribution_import"),
    )
    with op.batch_alter_table("contribution_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_imports_council"), ["council"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contribution_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_imports_council"))

    op.drop_table("contribution_imports")

    op.drop_table("monitoring_report_documents")
    with op.batch_alter_table("monitoring_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_transactions_statement_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_transactions_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_transactions_council"))

    op.drop_table("monitoring_transactions")
    with op.batch_alter_table("monitoring_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_reports_statement_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_reports_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_reports_council"))

    op.drop_table("monitoring_reports")
    with op.batch_alter_table("monitoring_obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_obligations_statement_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_obligations_council"))
        batch_op.drop_index(batch_op.f("ix_monitoring_obligations_agreement_id"))

    op.drop_table("monitoring_obligations")
    with op.batch_alter_table("monitoring_trigger_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_trigger_events_statement_id"))

    op.drop_table("monitoring_trigger_events")
    with op.batch_alter_table("monitoring_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_agreements_statement_id"))
        batch_op.drop_index(batch_op.f("ix_monitoring_agreements_council"))

    op.drop_table("monitoring_agreements")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_statement_id"))
        batch_op.drop_index(batch_op.f("ix_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_documents_council"))

    op.drop_table("documents")
