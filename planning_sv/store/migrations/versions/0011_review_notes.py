"""review notes: officer review: acknowledgements, ward corrections, internal notes (issue 12)

Revision ID: 0011_review_notes
Revises: 0010_collaboration
Create Date: 2026-11-29 17:00:00

Reserved in the chain; adds nothing yet.
"""

from __future__ import annotations

revision = "0011_review_notes"
down_revision = "0010_collaboration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
