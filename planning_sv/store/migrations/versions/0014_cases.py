"""cases: officer case management (issue 15): who holds a statement, its target date, and
the officer queue's search terms

Revision ID: 0014_cases
Revises: 0013_figures_version
Create Date: 2026-11-29 17:30:00

`statements` gains `assigned_officer_id` (a plain indexed id: users are disabled, never
deleted, and SQLite cannot drop a foreign-key column without copying the table, which would
cascade to every version), `target_date` and `target_adjusted`; `statement_search_terms`
holds each submitted statement's search terms (store/cases.py). The upgrade fills target
dates and terms of statements submitted before, with the code below frozen on purpose (it
reads the tables as they are at this revision): target = validation date (else first
submission) + the council's period from its plan.yaml `case_target.days` (default 56).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014_cases"
down_revision = "0013_figures_version"
branch_labels = None
depends_on = None

_BATCH = 2000
_INDEXES = {
    "ix_statements_queue_target": ["council", "target_date", "id"],
    "ix_statements_queue_status_target": ["council", "status", "target_date", "id"],
    "ix_statements_queue_assigned": ["council", "assigned_officer_id", "target_date", "id"],
}
_TERM = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("statements", sa.Column("assigned_officer_id", sa.Integer(), nullable=True))
    op.add_column("statements", sa.Column("target_date", sa.Date(), nullable=True))
    op.add_column(
        "statements",
        sa.Column("target_adjusted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "statement_search_terms",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("term", _TERM, nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_search_terms_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "term", name=op.f("pk_statement_search_terms")),
    )
    _backfill(op.get_bind())
    op.create_index(
        "ix_statement_search_terms_lookup",
        "statement_search_terms",
        ["council", "term", "statement_id"],
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "statements", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="statements")
    op.drop_index("ix_statement_search_terms_lookup", table_name="statement_search_terms")
    op.drop_table("statement_search_terms")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: see 0007_queue.
    for column in ("target_adjusted", "target_date", "assigned_officer_id"):
        op.drop_column("statements", column)


# --- the backfill, frozen with this revision -------------------------------------------------

_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


def _terms(texts: list[Any]) -> list[str]:
    out: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        lowered = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
        lowered = lowered.lower()
        words = _WORD.findall(lowered)
        found = list(words) + [(a + b).lower() for a, b in _POSTCODE.findall(lowered)]
        if len(words) > 1:
            found.append("".join(words))
        for word in found:
            out.setdefault(word[:64], None)
    return list(out)


def _period_days() -> dict[str, int]:
    """council -> target days from the rule packs as they are now (default 56)."""
    try:
        from planning_sv.core.plans import load_plans

        return {
            code: int(getattr(getattr(plan, "case_target", None), "days", 56) or 56)
            for code, plan in load_plans().items()
        }
    except Exception:  # a pack that does not load must not block the upgrade
        return {}


def _backfill(bind: Any) -> None:
    meta = sa.MetaData()
    statements = sa.Table("statements", meta, autoload_with=bind)
    versions = sa.Table("statement_versions", meta, autoload_with=bind)
    users = sa.Table("users", meta, autoload_with=bind)
    terms = sa.Table("statement_search_terms", meta, autoload_with=bind)
    days = _period_days()
    # The applicant organisation (0010_collaboration), when this database has it.
    organisations = None
    organisation_name: Any = sa.null()
    if "organisation_id" in statements.c and sa.inspect(bind).has_table("organisations"):
        organisations = sa.Table("organisations", meta, autoload_with=bind)
        organisation_name = organisations.c.name
    first = (
        sa.select(versions.c.statement_id, sa.func.min(versions.c.submitted_at).label("first"))
        .group_by(versions.c.statement_id)
        .subquery()
    )
    query = (
        sa.select(
            statements.c.id,
            statements.c.council,
            statements.c.application_reference,
            first.c.first,
            versions.c.data,
            users.c.name,
            users.c.email,
            organisation_name,
        )
        .select_from(statements)
        .join(first, first.c.statement_id == statements.c.id)
        .join(
            versions,
            (versions.c.statement_id == statements.c.id)
            & (versions.c.number == statements.c.latest_version_number),
        )
        .join(users, users.c.id == statements.c.owner_id)
        .order_by(statements.c.id)
    )
    if organisations is not None:
        query = query.outerjoin(organisations, organisations.c.id == statements.c.organisation_id)
    last_id = 0
    while True:
        rows = bind.execute(query.where(statements.c.id > last_id).limit(_BATCH)).all()
        if not rows:
            break
        targets, values = [], []
        for sid, council, reference, first_at, data, name, email, organisation in rows:
            data = data if isinstance(data, dict) else {}
            start = None
            raw = data.get("validation_date")
            if raw:
                try:
                    start = dt.date.fromisoformat(str(raw))
                except ValueError:
                    start = None
            if start is None:
                start = first_at.date() if isinstance(first_at, dt.datetime) else None
            if start is None and isinstance(first_at, str):
                start = dt.datetime.fromisoformat(first_at).date()
            if start is not None:
                target = start + dt.timedelta(days=days.get(council, 56))
                targets.append({"b_id": sid, "b_target": target})
            site = data.get("site") if isinstance(data.get("site"), dict) else {}
            texts = [reference, site.get("address"), site.get("postcode"), organisation]
            texts += [name, email]
            values += [{"statement_id": sid, "term": t, "council": council} for t in _terms(texts)]
        if targets:
            bind.execute(
                statements.update()
                .where(statements.c.id == sa.bindparam("b_id"))
                .values(target_date=sa.bindparam("b_target")),
                targets,
            )
        if values:
            bind.execute(terms.insert(), values)
        last_id = rows[-1][0]
