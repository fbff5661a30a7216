"""policy: policy fidelity and councils (issue 14)

Revision ID: 0012_policy
Revises: 0011_review_notes
Create Date: 2026-11-29 17:00:00

Reserved in the chain; adds nothing yet.
"""

from __future__ import annotations

revision = "0012_policy"
down_revision = "0011_review_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
