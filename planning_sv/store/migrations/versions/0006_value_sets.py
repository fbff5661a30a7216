"""value sets: councils' imported sets and each council's choice, moved into the database

Revision ID: 0006_value_sets
Revises: 0005_figures
Create Date: 2026-11-27 10:00:00

Until now the sets lived in the instance folder (`value_sets/<council>/<slug>/v<N>/`
with `values.csv` and `metadata.json`, and `value_sets/choices.json`). The upgrade copies
every stored version and choice it finds there into the new tables, so assessments keep
the set they used; the files are left in place (and no longer read). The reader below is
frozen with this migration on purpose: it must read the files as they were written, not
as today's code would validate them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_value_sets"
down_revision = "0005_figures"
branch_labels = None
depends_on = None

_OPEN = "open"
_TEXT_COLUMNS = ("measure", "unit", "value_type", "source", "url", "licence", "method")


def upgrade() -> None:
    op.create_table(
        "value_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("target_price_year", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"], name=op.f("fk_value_sets_imported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_sets")),
        sa.UniqueConstraint("council", "slug", "version", name=op.f("uq_value_sets_council")),
    )
    with op.batch_alter_table("value_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_value_sets_council"), ["council"], unique=False)
    op.create_table(
        "value_set_choices",
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"], ["users.id"], name=op.f("fk_value_set_choices_chosen_by_id_users")
        ),
        sa.PrimaryKeyConstraint("council", name=op.f("pk_value_set_choices")),
    )
    _import_instance_files(op.get_bind())


def downgrade() -> None:
    op.drop_table("value_set_choices")
    with op.batch_alter_table("value_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_value_sets_council"))
    op.drop_table("value_sets")


# --- the instance files, as the file registry wrote them ---------------------------------


def _instance_root() -> Path:
    from planning_sv import config

    return config.instance_dir() / "value_sets"


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    """values.csv as written by the registry (normalised: every column, plain numbers)."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            try:
                row: dict[str, Any] = {c: (record.get(c) or "").strip() for c in _TEXT_COLUMNS}
                row["gbp_per_unit"] = float(record["gbp_per_unit"])
                row["price_year"] = int(record["price_year"])
            except (KeyError, TypeError, ValueError) as exc:
                raise RuntimeError(
                    f"cannot import {path}, row {line}: {exc}; fix the file and upgrade again"
                ) from None
            row["value_type"] = row["value_type"] or "economic"
            row["confidence"] = (record.get("confidence") or "").strip() or "unverified"
            row["note"] = (record.get("note") or "").strip()
            row["uprate_index"] = (record.get("uprate_index") or "").strip() or None
            rows.append(row)
    return rows


def _stored_versions(root: Path) -> list[dict[str, Any]]:
    found = []
    for council_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for set_dir in sorted(p for p in council_dir.iterdir() if p.is_dir()):
            for version_dir in sorted(set_dir.iterdir()):
                meta_path = version_dir / "metadata.json"
                values = version_dir / "values.csv"
                # A version only counted once its metadata existed (written last).
                if not re.fullmatch(r"v\d+", version_dir.name) or not meta_path.exists():
                    continue
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                at = _mtime(meta_path)
                try:
                    on = dt.date.fromisoformat(str(meta.get("date") or ""))
                except ValueError:
                    on = at.date()
                name = str(meta.get("name") or set_dir.name)
                found.append(
                    {
                        "council": council_dir.name,
                        "name": name,
                        "slug": str(meta.get("slug") or _slugify(name)),
                        "version": int(version_dir.name[1:]),
                        "licence": str(meta.get("licence") or ""),
                        "owner": str(meta.get("owner") or council_dir.name),
                        "source": str(meta.get("source_file") or ""),
                        "target_price_year": meta.get("target_price_year"),
                        "sha256": str(meta.get("sha256") or ""),
                        "imported_on": on,
                        "imported_at": at,
                        "imported_by_id": None,
                        "rows": _read_rows(values),
                    }
                )
    return found


def _import_instance_files(conn: sa.Connection) -> None:
    root = _instance_root()
    if not root.is_dir():
        return
    sets = sa.table(
        "value_sets",
        *(
            sa.column(name)
            for name in (
                "council",
                "name",
                "slug",
                "version",
                "licence",
                "owner",
                "source",
                "target_price_year",
                "sha256",
                "imported_on",
                "imported_at",
                "imported_by_id",
            )
        ),
        sa.column("rows", sa.JSON()),
    )
    versions = _stored_versions(root)
    if versions:
        conn.execute(sets.insert(), versions)
    known = {(v["council"], v["slug"], v["version"]) for v in versions}
    choices_path = root / "choices.json"
    if not choices_path.exists():
        return
    choices = sa.table(
        "value_set_choices",
        sa.column("council"),
        sa.column("slug"),
        sa.column("version"),
        sa.column("chosen_at"),
        sa.column("chosen_by_id"),
    )
    at = _mtime(choices_path)
    rows = []
    for council, choice in sorted(json.loads(choices_path.read_text(encoding="utf-8")).items()):
        slug = _slugify(str(choice.get("name") or ""))
        version = choice.get("version")
        exists = slug == _OPEN or any(
            (c, s) == (council, slug) and (version is None or v == version) for c, s, v in known
        )
        if exists:  # a choice of a set that is gone was already unusable; it is not carried
            version = None if slug == _OPEN else version
            rows.append(
                {
                    "council": council,
                    "slug": slug,
                    "version": version,
                    "chosen_at": at,
                    "chosen_by_id": None,
                }
            )
    if rows:
        conn.execute(choices.insert(), rows)
