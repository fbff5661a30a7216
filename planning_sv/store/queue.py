"""The officer queue: a council's submitted statements (never a private draft), filtered,
sorted and paged in SQL.

Filters arrive already checked (the web layer turns bad query parameters into messages);
this module only builds the queries, which run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, String, and_, asc, cast, desc, func, or_, select
from sqlalchemy.orm import Session

from planning_sv.store.models import Assessment, Statement, StatementVersion, User
from planning_sv.store.statements import submitted_condition


@dataclass(frozen=True)
class QueuePage:
    rows: list[Row[Any]]  # (Statement, submitted_at of the latest version, its site's wards)
    total: int  # statements matching the filters, across all pages
    counts: dict[str, int]  # status -> statements of the council in it (filters ignored)
    ward_options: list[tuple[str, str]]  # (code, name) of every ward a site is in, by name


def _latest_versions() -> Any:
    return (
        select(
            StatementVersion.statement_id.label("statement_id"),
            func.max(StatementVersion.id).label("version_id"),
            func.max(StatementVersion.submitted_at).label("submitted_at"),
        )
        .group_by(StatementVersion.statement_id)
        .subquery()
    )


def council_queue(
    session: Session, council: str, filters: Mapping[str, Any], per_page: int
) -> QueuePage:
    """One page of the queue. `filters` keys: status, ward, applicant, from, to (dates),
    sort (submitted, updated, reference or status), order ('asc'|'desc'), page (1-based)."""
    latest = _latest_versions()
    of_council = Statement.council == council
    base = (
        select(Statement, latest.c.submitted_at, Assessment.data["site"]["wards"])
        .join(latest, latest.c.statement_id == Statement.id)
        .join(User, User.id == Statement.owner_id)
        .outerjoin(Assessment, Assessment.version_id == latest.c.version_id)
        .where(of_council)
        .where(submitted_condition())
    )
    # Counted like the rows: only statements submitted at least once (a draft withdrawn
    # before submission stays private to its applicant, web/authz.py `can_view`).
    counts = dict(
        session.execute(
            select(Statement.status, func.count())
            .where(of_council)
            .where(submitted_condition())
            .group_by(Statement.status)
        ).all()
    )
    conditions = []
    if filters.get("status"):
        conditions.append(Statement.status == filters["status"])
    if filters.get("ward"):
        # Ward codes are fixed-format (the caller checks them), so a substring match on the
        # site's ward list is exact and works on SQLite and PostgreSQL alike.
        conditions.append(cast(Assessment.data["site"]["wards"], String).contains(filters["ward"]))
    if filters.get("applicant"):
        needle = f"%{filters['applicant'].lower()}%"
        conditions.append(
            or_(func.lower(User.email).like(needle), func.lower(User.name).like(needle))
        )
    if filters.get("from"):
        conditions.append(
            latest.c.submitted_at >= dt.datetime.combine(filters["from"], dt.time(), dt.UTC)
        )
    if filters.get("to"):
        end = dt.datetime.combine(filters["to"] + dt.timedelta(days=1), dt.time(), dt.UTC)
        conditions.append(latest.c.submitted_at < end)
    query = base.where(and_(*conditions)) if conditions else base
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = asc if filters.get("order") == "asc" else desc
    column = {
        "submitted": latest.c.submitted_at,
        "updated": Statement.updated_at,
        "reference": Statement.application_reference,
        "status": Statement.status,
    }[filters.get("sort") or "submitted"]
    page = max(int(filters.get("page") or 1), 1)
    rows = session.execute(
        query.order_by(order(column), order(Statement.id))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return QueuePage(
        rows=list(rows),
        total=total,
        counts=counts,
        ward_options=_ward_options(session, council, latest),
    )


def _ward_options(session: Session, council: str, latest: Any) -> list[tuple[str, str]]:
    ward_lists = session.scalars(
        select(Assessment.data["site"]["wards"])
        .join(latest, Assessment.version_id == latest.c.version_id)
        .join(Statement, Statement.id == latest.c.statement_id)
        .where(Statement.council == council)
    ).all()
    return sorted(
        {
            (str(w.get("code")), str(w.get("name")))
            for wards in ward_lists
            for w in (wards or [])
            if isinstance(w, dict)
        },
        key=lambda cw: cw[1],
    )
