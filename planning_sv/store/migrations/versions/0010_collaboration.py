"""collaboration: organisations, conversation, evidence documents on statements, case management (issue 15)

Revision ID: 0010_collaboration
Revises: 0009_monitoring
Create Date: 2026-11-29 17:00:00

Reserved in the chain; adds nothing yet.
"""

from __future__ import annotations

revision = "0010_collaboration"
down_revision = "0009_monitoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
