"""The officer queue: a council's submitted statements (never a private draft), filtered,
sorted and paged in SQL, by indexed columns only.

Every filter and sort reads a column of `statements` (status, submitted_at, updated_at,
reference_key: store/models.py keeps them current with each submission) or the indexed
`statement_site_wards` table, never assessment JSON; pages are keyset pages (store/keyset.py)
so the hundredth page costs what the first does. A page is a fixed number of queries,
whatever its length: the status counts (one grouped query), the rows with their owners
(one), their site wards (one), the ward list (one) and, only with a filter the counts do not
answer, the total (one); a search of several words also ranks them by how common they are
(one: store/cases.py `search_condition`). The case columns (officer, target date) come with
the rows (an outer join), and the overdue filter and target-date sort read the indexed
`target_date` (store/cases.py).

Filters arrive already checked (the web layer turns bad query parameters into messages);
this module only builds the queries, which run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from planning_sv.core.assessment import WardShareOut
from planning_sv.store.keyset import Cursor, Keyset
from planning_sv.store.models import Statement, StatementSiteWard, User
from planning_sv.store.statements import distinct_wards, submitted_condition

_SITE_WARDS = TypeAdapter(list[WardShareOut])

# Sort name -> the key columns before the id (each pair is an index with council first:
# store/models.py). "status" lists each status newest submission first.
SORT_COLUMNS: dict[str, tuple[Any, ...]] = {
    "submitted": (Statement.submitted_at,),
    "updated": (Statement.updated_at,),
    "reference": (Statement.reference_key,),
    "status": (Statement.status, Statement.submitted_at),
    # Case management (store/cases.py): the date a decision is due, soonest first by default.
    "target": (Statement.target_date,),
}


def queue_keyset(sort: str, order: str) -> Keyset:
    """The keyset of a sort and order ('asc' | 'desc'); a cursor carries its name."""
    return Keyset(
        f"queue:{sort}:{order}", (*SORT_COLUMNS[sort], Statement.id), descending=order != "asc"
    )


@dataclass(frozen=True)
class QueuePage:
    rows: list[Statement]  # owner and site_wards loaded: rendering issues no query
    total: int  # statements matching the filters, across all pages
    counts: dict[str, int]  # status -> statements of the council in it (filters ignored)
    ward_options: list[tuple[str, str]]  # (code, name) of every ward a site is in, by name
    following: Cursor | None  # the next page's cursor, None on the last page
    preceding: Cursor | None  # the previous page's cursor, None on the first page
    keyset: Keyset


def council_queue(
    session: Session,
    council: str,
    filters: Mapping[str, Any],
    per_page: int,
    cursor: Cursor | None = None,
    today: dt.date | None = None,
) -> QueuePage:
    """One page of the queue. `filters` keys: status, ward, applicant, from, to (dates),
    q (search: reference, address, postcode, applicant organisation/name/email),
    assigned (an officer's id, or "none"), overdue (bool), sort (submitted, updated,
    reference, status or target), order ('asc'|'desc'). `cursor` (checked against
    `queue_keyset(sort, order)` by the caller) picks the page; None: the first. `today`
    decides what is overdue (default: the UTC date now)."""
    from planning_sv.store import cases

    today = today or dt.datetime.now(dt.UTC).date()
    keyset = queue_keyset(filters.get("sort") or "submitted", filters.get("order") or "desc")
    # Only statements submitted at least once: a draft (or one withdrawn before its first
    # submission) stays private to its applicant (web/authz.py `can_view`), in the rows and
    # in the counts alike.
    visible = [Statement.council == council, submitted_condition()]
    counts = {
        status: count
        for status, count in session.execute(
            select(Statement.status, func.count()).where(*visible).group_by(Statement.status)
        ).all()
    }
    conditions = list(visible)
    narrowing = False  # a filter the status counts do not answer
    if filters.get("status"):
        conditions.append(Statement.status == filters["status"])
    if filters.get("ward"):
        narrowing = True
        # IN, not a correlated EXISTS: the ward's ids are read once from its index, not
        # probed per row (at 10,000 statements the count fell from 31 to 6 ms on SQLite).
        conditions.append(
            Statement.id.in_(
                select(StatementSiteWard.statement_id).where(
                    StatementSiteWard.ward_code == filters["ward"]
                )
            )
        )
    if filters.get("applicant"):
        narrowing = True
        # A substring of the name or email: no index serves "contains", but it only
        # narrows the council's rows that the sort's index already walks in order.
        needle = f"%{filters['applicant'].lower()}%"
        conditions.append(
            or_(func.lower(User.email).like(needle), func.lower(User.name).like(needle))
        )
    if filters.get("q"):
        found = cases.search_condition(session, council, filters["q"])
        if found is not None:
            narrowing = True
            conditions.append(found)
    if filters.get("assigned") == "none":
        narrowing = True
        conditions.append(Statement.assigned_officer_id.is_(None))
    elif isinstance(filters.get("assigned"), int):
        narrowing = True
        conditions.append(Statement.assigned_officer_id == filters["assigned"])
    if filters.get("overdue"):
        narrowing = True
        conditions += [
            Statement.status.in_(cases.OPEN_STATUSES),
            Statement.target_date < today,
        ]
    if filters.get("from"):
        narrowing = True
        start = dt.datetime.combine(filters["from"], dt.time(), dt.UTC)
        conditions.append(Statement.submitted_at >= start)
    if filters.get("to"):
        narrowing = True
        end = dt.datetime.combine(filters["to"] + dt.timedelta(days=1), dt.time(), dt.UTC)
        conditions.append(Statement.submitted_at < end)

    if narrowing:
        counted = select(func.count()).select_from(Statement)
        if filters.get("applicant"):
            counted = counted.join(User, User.id == Statement.owner_id)
        total = session.scalar(counted.where(*conditions)) or 0
    elif filters.get("status"):
        total = counts.get(filters["status"], 0)
    else:
        total = sum(counts.values())

    query = (
        select(Statement)
        .join(User, User.id == Statement.owner_id)
        .options(
            contains_eager(Statement.owner),
            selectinload(Statement.site_wards),
            # The case's officer in the same query (an outer join): no query more per page.
            joinedload(Statement.assigned_officer),
        )
        .where(*conditions)
        .order_by(*keyset.order_by(cursor))
        .limit(per_page + 1)
    )
    if cursor is not None:
        query = query.where(keyset.condition(cursor))
    rows, following, preceding = keyset.page(
        session.scalars(query).unique().all(), per_page, cursor
    )
    return QueuePage(
        rows=rows,
        total=total,
        counts=counts,
        ward_options=ward_options(session, council),
        following=following,
        preceding=preceding,
        keyset=keyset,
    )


# The distinct wards of a council's sites, one index seek per ward (a "loose index scan":
# each step finds the next ward code after the last), so the list costs the same with 100 or
# 100,000 statements. Plain SQL because both databases run this recursive form as written.
_WARDS = text(
    """
    WITH RECURSIVE codes(code) AS (
        SELECT min(ward_code) FROM statement_site_wards WHERE council = :council
        UNION ALL
        SELECT (SELECT min(w.ward_code) FROM statement_site_wards w
                WHERE w.council = :council AND w.ward_code > codes.code)
        FROM codes WHERE codes.code IS NOT NULL
    )
    SELECT code,
           (SELECT min(n.ward_name) FROM statement_site_wards n
            WHERE n.council = :council AND n.ward_code = codes.code) AS name
    FROM codes WHERE code IS NOT NULL
    """
)


def ward_options(session: Session, council: str) -> list[tuple[str, str]]:
    """(code, name) of every ward a submitted site of the council is in, by name."""
    rows = session.execute(_WARDS, {"council": council}).all()
    return sorted(((str(code), str(name)) for code, name in rows), key=lambda cw: (cw[1], cw[0]))


def rebuild_columns(session: Session, batch: int = 2000) -> int:
    """Recompute every statement's queue columns and site-ward rows from its versions and
    their assessments; returns how many statements have been submitted.

    `submit` keeps them current; this is for rows written around it (bulk loads such as
    bench/seed.py). Migration 0007 holds its own frozen copy of the same backfill.
    """
    from sqlalchemy import delete, insert, update

    from planning_sv.store.models import Assessment, StatementVersion

    mine = StatementVersion.statement_id == Statement.id
    table = Statement.__table__
    session.execute(
        # The table, not the mapped class, and updated_at kept as it is: a rebuild is not
        # an update of the statement (its onupdate would reorder every list).
        update(table).values(
            updated_at=table.c.updated_at,
            reference_key=func.coalesce(Statement.application_reference, ""),
            latest_version_number=func.coalesce(
                select(func.max(StatementVersion.number)).where(mine).scalar_subquery(), 0
            ),
            submitted_at=select(func.max(StatementVersion.submitted_at))
            .where(mine)
            .scalar_subquery(),
        )
    )
    session.execute(delete(StatementSiteWard))
    # Case management's columns and search terms too (store/cases.py), after the loop below.
    latest = (
        select(
            StatementVersion.statement_id.label("statement_id"),
            func.max(StatementVersion.number).label("number"),
        )
        .group_by(StatementVersion.statement_id)
        .subquery()
    )
    query = (
        select(Statement.id, Statement.council, Assessment.data["site"]["wards"])
        .join(latest, latest.c.statement_id == Statement.id)
        .join(
            StatementVersion,
            (StatementVersion.statement_id == latest.c.statement_id)
            & (StatementVersion.number == latest.c.number),
        )
        .join(Assessment, Assessment.version_id == StatementVersion.id)
        .order_by(Statement.id)
        .limit(batch)
    )
    submitted, last_id = 0, 0
    while rows := session.execute(query.where(Statement.id > last_id)).all():
        values = []
        for statement_id, council, wards in rows:
            # The site's placement as the record's typed model (core/assessment.py).
            typed = _SITE_WARDS.validate_python(wards or [])
            values += [
                {
                    "statement_id": statement_id,
                    "ward_code": ward.code,
                    "council": council,
                    "ward_name": (ward.name or ward.code)[:200],
                    "position": position,
                }
                for position, ward in enumerate(distinct_wards(typed))
            ]
        if values:
            session.execute(insert(StatementSiteWard), values)
        submitted += len(rows)
        last_id = rows[-1][0]
    from planning_sv.store import cases

    cases.rebuild(session, batch=batch)
    return submitted
