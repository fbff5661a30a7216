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
the rows (an outer join); the target-date sort reads the indexed `target_date`.

Each filter that could make a page walk the whole council reads a narrower index instead
(migration 0016_queue_scale), so its page and its count cost the same at 1,000 or 100,000
statements: "overdue" reads `open_target_date` (the target date of open cases only,
store/cases.py `overdue_condition`), its count one index range; a ward's newest cases walk
its `statement_site_wards` rows by their copy of `submitted_at`, its count the ward's index
range; a search that looks like an application reference is one prefix lookup, and a search
with few candidates reads them by id rather than the council's sort index.

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


def queue_keyset(sort: str, order: str, *, overdue: bool = False, ward: bool = False) -> Keyset:
    """The keyset of a sort and order ('asc' | 'desc'); a cursor carries its name.

    Two filters read the same key from a narrower index, under the same name (the values
    are equal for every row they keep, so a cursor stays valid with or without them):
    overdue cases by target date walk `open_target_date` (only open cases are in it), and
    a ward's newest cases walk its site-ward rows' copy of `submitted_at`."""
    name, descending = f"queue:{sort}:{order}", order != "asc"
    if overdue and sort == "target":
        return Keyset(name, (Statement.open_target_date, Statement.id), descending)
    if ward and sort == "submitted":
        return Keyset(
            name,
            (StatementSiteWard.submitted_at, StatementSiteWard.statement_id),
            descending,
            keys=("submitted_at", "id"),
        )
    return Keyset(name, (*SORT_COLUMNS[sort], Statement.id), descending)


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
    ward = filters.get("ward") or None
    sort, order = filters.get("sort") or "submitted", filters.get("order") or "desc"
    keyset = queue_keyset(sort, order, overdue=bool(filters.get("overdue")), ward=bool(ward))
    by_ward_rows = keyset.columns[0] is StatementSiteWard.submitted_at  # the page joins them
    # Only statements submitted at least once: a draft (or one withdrawn before its first
    # submission) stays private to its applicant (web/authz.py `can_view`), in the rows and
    # in the counts alike.
    in_council = Statement.council == council
    counts = {
        status: count
        for status, count in session.execute(
            select(Statement.status, func.count())
            .where(in_council, submitted_condition())
            .group_by(Statement.status)
        ).all()
    }
    # An open case has been submitted, so the overdue filter (open cases only) needs no
    # other test of it, and its count reads the overdue index alone.
    shown = cases.overdue_condition(today) if filters.get("overdue") else submitted_condition()
    conditions = [shown]
    if keyset.columns[0] is Statement.target_date:
        # Every submitted statement has a target date (set at each submission) and drafts
        # none: saying so lets the index range start at the first date (SQLite orders NULLs
        # first) instead of walking the council's drafts. Not a filter the counts miss.
        conditions.append(Statement.target_date.is_not(None))
    narrowing = bool(filters.get("overdue"))  # a filter the status counts do not answer
    few: bool = False  # a search with few candidates: the page reads them, not the council
    if filters.get("status"):
        conditions.append(Statement.status == filters["status"])
    if ward and not by_ward_rows:
        narrowing = True
        # IN, not a correlated EXISTS: the ward's ids are read once from its index, not
        # probed per row (at 10,000 statements the count fell from 31 to 6 ms on SQLite).
        conditions.append(
            Statement.id.in_(
                select(StatementSiteWard.statement_id).where(
                    StatementSiteWard.council == council, StatementSiteWard.ward_code == ward
                )
            )
        )
    elif ward:
        narrowing = True  # the page joins the ward's rows (below)
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
            few = found.few
            conditions.append(found.condition)
    if filters.get("assigned") == "none":
        narrowing = True
        conditions.append(Statement.assigned_officer_id.is_(None))
    elif isinstance(filters.get("assigned"), int):
        narrowing = True
        conditions.append(Statement.assigned_officer_id == filters["assigned"])
    if filters.get("from"):
        narrowing = True
        start = dt.datetime.combine(filters["from"], dt.time(), dt.UTC)
        conditions.append(Statement.submitted_at >= start)
    if filters.get("to"):
        narrowing = True
        end = dt.datetime.combine(filters["to"] + dt.timedelta(days=1), dt.time(), dt.UTC)
        conditions.append(Statement.submitted_at < end)
    # A search's few candidates already belong to the council (the terms carry it): without
    # the council test the databases read them by id rather than walk the council's index.
    if not few:
        conditions.insert(0, in_council)

    in_ward = (
        (StatementSiteWard.statement_id == Statement.id)
        & (StatementSiteWard.council == council)
        & (StatementSiteWard.ward_code == ward)
    )
    others = ("status", "applicant", "q", "assigned", "overdue", "from", "to")
    only_ward = ward and not any(filters.get(name) for name in others)
    if only_ward:
        # Site-ward rows exist exactly for the submitted statements (written at each
        # submission; a statement never returns to draft): the ward's count is its index range.
        total = (
            session.scalar(
                select(func.count())
                .select_from(StatementSiteWard)
                .where(StatementSiteWard.council == council, StatementSiteWard.ward_code == ward)
            )
            or 0
        )
    elif narrowing:
        counted = select(func.count()).select_from(Statement)
        if filters.get("applicant"):
            counted = counted.join(User, User.id == Statement.owner_id)
        if by_ward_rows:
            counted = counted.join(StatementSiteWard, in_ward)
        total = session.scalar(counted.where(*conditions)) or 0
    elif filters.get("status"):
        total = counts.get(filters["status"], 0)
    else:
        total = sum(counts.values())

    query = select(Statement).join(User, User.id == Statement.owner_id)
    if by_ward_rows:
        # The ward's newest cases: a walk of its site-ward rows by their copy of the key.
        query = query.join(StatementSiteWard, in_ward)
    query = (
        query.options(
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
        select(
            Statement.id,
            Statement.council,
            Statement.submitted_at,
            Assessment.data["site"]["wards"],
        )
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
        for statement_id, council, submitted_at, wards in rows:
            # The site's placement as the record's typed model (core/assessment.py).
            typed = _SITE_WARDS.validate_python(wards or [])
            values += [
                {
                    "statement_id": statement_id,
                    "ward_code": ward.code,
                    "council": council,
                    "ward_name": (ward.name or ward.code)[:200],
                    "position": position,
                    "submitted_at": submitted_at,
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
