"""monitoring: agreements, obligations, delivery reports, transactions, documents (issue 13)

Revision ID: 0009_monitoring
Revises: 0008_mail_accounts
Create Date: 2026-11-29 17:00:00

Reserved in the chain; adds nothing yet.
"""

from __future__ import annotations

revision = "0009_monitoring"
down_revision = "0008_mail_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
