"""mail accounts: mail log, notification preferences, account tokens (issue 15)

Revision ID: 0008_mail_accounts
Revises: 0007_queue
Create Date: 2026-11-29 17:00:00

Reserved in the chain; adds nothing yet.
"""

from __future__ import annotations

revision = "0008_mail_accounts"
down_revision = "0007_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
