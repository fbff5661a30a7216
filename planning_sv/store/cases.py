"""Officer case management (issue 15): who holds a statement, when a decision is due, the
queue's search terms and the senior officers' team view. Migration 0014_cases.

- Assignment: `statements.assigned_officer_id`, changed only by `assign` (audited as
  "assign" with from/to; the new holder is emailed, store/mail.py kind "assigned"). Emails
  about submissions and replies go to the holder when there is one (store/mail.py).
- Target date: `statements.target_date`, set at each submission from the validation date
  (or the first submission date) plus the council's period (core/cases.py), until an officer
  moves it with a reason (`set_target`, audited as "target_date"); from then on it stays.
  `statements.open_target_date` is the same date while the case is open, else NULL
  (core/cases.py `open_target`, kept by store/models.py's listeners; migration 0016): what
  is overdue is `overdue_condition`, one index range.
- Search: `statement_search_terms` holds each submitted statement's terms (reference,
  address, postcode, applicant organisation, name and email; core/cases.py), refreshed at
  each submission; the queue matches each typed term as a prefix over its index.
- Team view: one grouped query for the council's open cases per holder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, selectinload

from planning_sv.core import cases as core
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import Role, Status
from planning_sv.store.models import Base, Statement, StatementVersion, User

STAFF = (Role.OFFICER.value, Role.SENIOR_OFFICER.value)
# The statuses core/cases.py `is_open` calls open (one rule; the team view filters by them).
OPEN_STATUSES = tuple(s.value for s in Status if core.is_open(s.value))
# Byte order on PostgreSQL whatever the database's locale, so a prefix is a range
# (core/cases.py prefix_bounds); SQLite compares bytes already.
TERM_TYPE = String(core.MAX_TERM).with_variant(String(core.MAX_TERM, collation="C"), "postgresql")


class SearchTerm(Base):
    """One term a submitted statement is found by in the officer queue."""

    __tablename__ = "statement_search_terms"
    __table_args__ = (
        # A term's statements in one council: the queue's search is a range scan of this.
        Index("ix_statement_search_terms_lookup", "council", "term", "statement_id"),
    )

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(TERM_TYPE, primary_key=True)
    council: Mapped[str] = mapped_column(String(64))


# --- target dates ----------------------------------------------------------------------------


def overdue_condition(today: dt.date) -> Any:
    """SQL: an open case past its target date (core/cases.py `is_overdue`, read from the
    indexed `open_target_date` that the models keep by `core.cases.open_target`)."""
    return Statement.open_target_date < today


def plan_target(plan: Any) -> core.CaseTarget:
    """The council's target period (plan.yaml `case_target`), or the default."""
    found = getattr(plan, "case_target", None) if plan is not None else None
    return found if isinstance(found, core.CaseTarget) else core.CaseTarget()


def validation_date_of(data: dict[str, Any] | None) -> dt.date | None:
    raw = (data or {}).get("validation_date")
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def computed_target(
    statement: Statement, data: dict[str, Any] | None, now: dt.datetime, plan: Any
) -> dt.date:
    """The target date by the rule: validation date (else first submission) + period."""
    first = statement.versions[0].submitted_at if statement.versions else now
    return core.target_date(core.target_start(validation_date_of(data), first), plan_target(plan))


def on_submit(
    session: Session,
    statement: Statement,
    data: dict[str, Any],
    now: dt.datetime,
    plan: Any,
) -> None:
    """At each (re)submission, in its transaction: the target date (unless an officer moved
    it) and the search terms, from the version being submitted (`data`, statement@1)."""
    if not statement.target_adjusted:
        statement.target_date = computed_target(statement, data, now, plan)
    refresh_terms(session, statement, data)


def set_target(
    session: Session, statement: Statement, new_date: dt.date, reason: str, actor: User
) -> None:
    """An officer moves the target date; the reason is required and audited."""
    from planning_sv.store.statements import record_event

    text = (reason or "").strip()
    problems = []
    if not text:
        problems.append(Problem("reason", "Enter why the target date is changing"))
    elif len(text) > core.MAX_REASON:
        problems.append(
            Problem("reason", f"The reason must be {core.MAX_REASON:,} characters or fewer")
        )
    if statement.target_date is not None and new_date == statement.target_date:
        problems.append(Problem("target_date", "The new target date is the same as the old one"))
    if problems:
        raise InputInvalid(problems)
    before = statement.target_date
    statement.target_date = new_date
    statement.target_adjusted = True
    record_event(
        session,
        statement,
        actor,
        "target_date",
        statement.status,
        statement.status,
        text,
        {"from": before.isoformat() if before else None, "to": new_date.isoformat()},
    )


# --- assignment ------------------------------------------------------------------------------


def council_officers(session: Session, council: str) -> list[User]:
    """The council's active officers and senior officers, by name: who may hold a case."""
    people = session.scalars(
        select(User).where(
            User.council == council, User.role.in_(STAFF), User.disabled_at.is_(None)
        )
    ).all()
    return sorted(people, key=lambda u: ((u.name or u.email).lower(), u.id))


def assign(
    session: Session,
    statement: Statement,
    officer: User | None,
    actor: User,
    *,
    reason: str | None = None,
) -> bool:
    """Give the case to `officer` (None: nobody). Audited as "assign" (from, to); the new
    holder is emailed unless they assigned it to themselves. False when nothing changed.

    `officer` must be an active officer or senior officer of the statement's council."""
    from planning_sv.store import mail
    from planning_sv.store.statements import record_event

    if officer is not None and (
        officer.council != statement.council or officer.role not in STAFF or not officer.is_active
    ):
        raise InputInvalid([Problem("officer", "Choose an officer of this council")])
    before = statement.assigned_officer_id
    after = officer.id if officer is not None else None
    if before == after:
        return False
    note = (reason or "").strip()[: core.MAX_REASON] or None
    statement.assigned_officer_id = after
    event = record_event(
        session,
        statement,
        actor,
        "assign" if after is not None else "unassign",
        statement.status,
        statement.status,
        note,
        {"from": before, "to": after},
    )
    if officer is not None and officer.id != actor.id:
        mail.notify(
            session,
            statement,
            "assigned",
            actor,
            outcome=statement.target_date.isoformat() if statement.target_date else None,
            note=note,
            dedupe_key=f"event:{event.id}",
        )
    return True


# --- search ----------------------------------------------------------------------------------


def _applicant_texts(session: Session, statement: Statement) -> list[str | None]:
    texts: list[str | None] = []
    organisation_id = getattr(statement, "organisation_id", None)
    if organisation_id is not None:
        from planning_sv.store.collaboration import Organisation

        organisation = session.get(Organisation, organisation_id)
        if organisation is not None:
            texts.append(organisation.name)
    owner = statement.owner
    if owner is not None:
        texts += [owner.name, owner.email]
    return texts


def terms_for(session: Session, statement: Statement, data: dict[str, Any] | None) -> list[str]:
    site = (data or {}).get("site") or {}
    return core.statement_terms(
        statement.application_reference or (data or {}).get("application_reference"),
        site.get("address") if isinstance(site, dict) else None,
        site.get("postcode") if isinstance(site, dict) else None,
        _applicant_texts(session, statement),
    )


def refresh_terms(session: Session, statement: Statement, data: dict[str, Any] | None) -> None:
    """Replace the statement's search terms by those of `data` (its submitted version)."""
    session.execute(delete(SearchTerm).where(SearchTerm.statement_id == statement.id))
    terms = terms_for(session, statement, data)
    if terms:
        session.execute(
            insert(SearchTerm),
            [
                {"statement_id": statement.id, "term": t, "council": statement.council}
                for t in terms
            ],
        )


# How far the selectivity probe counts a term's matches: enough to rank common words
# ("london", "ful") after rare ones (a reference number) without reading them all.
PROBE_CAP = 2000


def _term_range(council: str, term: str) -> Any:
    low, high = core.prefix_bounds(term)
    return and_(SearchTerm.council == council, SearchTerm.term >= low, SearchTerm.term < high)


@dataclass(frozen=True)
class SearchMatch:
    """What a queue search matches, as SQL, and how to read it."""

    condition: Any  # the statement matches the query (its candidates carry the council)
    few: bool  # the candidates are fewer than PROBE_CAP: read them, not the council's list


def search_condition(session: Session, council: str, query: str) -> SearchMatch | None:
    """The statements of `council` matching `query`; None when the query has no terms.

    One probe query first counts, up to PROBE_CAP, the matches of each term of the query
    and, when the query looks like one application reference (core/cases.py
    `reference_term`), of the reference run together. A reference that matches is looked up
    alone, as one prefix over the index ('BENCH/COUNCIL/2024/000123' finds its statement and
    no other). Otherwise the statement must match every term as a prefix of one of its
    terms: the rarest term selects the candidates (IN: its statements read once from the
    index) and each other term is checked per candidate (EXISTS on the (statement_id, term)
    key), so "P2026/000123/FUL" is looked up by "000123", not by "ful" (nearly every
    statement of the council)."""
    terms = core.query_terms(query)
    if not terms:
        return None
    reference = core.reference_term(query)
    if len(terms) == 1 and not reference:
        # One word: nothing to rank, no probe (its candidates are read as the index gives
        # them, the page walking the council's sort index).
        return SearchMatch(
            Statement.id.in_(select(SearchTerm.statement_id).where(_term_range(council, terms[0]))),
            few=False,
        )
    probed = [*terms, reference] if reference and reference not in terms else list(terms)
    probes = [
        select(literal(i).label("i"), func.count().label("n")).select_from(
            select(SearchTerm.statement_id)
            .where(_term_range(council, term))
            .limit(PROBE_CAP)
            .subquery()
        )
        for i, term in enumerate(probed)
    ]
    found = {int(i): int(n) for i, n in session.execute(union_all(*probes)).all()}
    matches = {term: found.get(i, 0) for i, term in enumerate(probed)}
    if reference and matches[reference]:
        terms = [reference]  # the exact reference path: nothing else to rank or check
    else:
        terms = sorted(terms, key=matches.__getitem__)  # stable: ties keep the typed order
    rarest, *others = terms
    conditions = [
        Statement.id.in_(select(SearchTerm.statement_id).where(_term_range(council, rarest)))
    ]
    for term in others:
        low, high = core.prefix_bounds(term)
        conditions.append(
            select(SearchTerm.statement_id)
            .where(
                SearchTerm.statement_id == Statement.id,
                SearchTerm.term >= low,
                SearchTerm.term < high,
            )
            .exists()
        )
    return SearchMatch(and_(*conditions), few=matches[rarest] < PROBE_CAP)


# --- the team view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    officer: User | None  # None: the unassigned cases
    held: int  # open cases
    overdue: int  # open cases past their target date
    due_this_week: int  # open, not overdue, due within 7 days


@dataclass(frozen=True)
class TeamView:
    rows: list[TeamRow]  # every active officer of the council (zero rows included), by name
    unassigned: TeamRow
    today: dt.date

    @property
    def total(self) -> int:
        return self.unassigned.held + sum(r.held for r in self.rows)


def team(session: Session, council: str, today: dt.date) -> TeamView:
    """Who holds what: open cases, overdue and due within a week per officer, and unassigned.
    Two queries whatever the council's size (the counts, grouped; the officers)."""
    week = today + dt.timedelta(days=7)
    overdue = case((overdue_condition(today), 1), else_=0)
    soon = case((and_(Statement.target_date >= today, Statement.target_date <= week), 1), else_=0)
    rows = session.execute(
        select(
            Statement.assigned_officer_id,
            func.count(),
            func.coalesce(func.sum(overdue), 0),
            func.coalesce(func.sum(soon), 0),
        )
        .where(
            Statement.council == council,
            Statement.status.in_(OPEN_STATUSES),
            Statement.submitted_at.is_not(None),
        )
        .group_by(Statement.assigned_officer_id)
    ).all()
    counts = {officer_id: (int(n), int(o), int(s)) for officer_id, n, o, s in rows}
    officers = council_officers(session, council)
    known = {o.id for o in officers}
    # A case still held by someone since disabled or moved: shown, so nothing is hidden.
    missing = [i for i in counts if i is not None and i not in known]
    if missing:
        officers += list(session.scalars(select(User).where(User.id.in_(missing))))
    out = [TeamRow(o, *counts.get(o.id, (0, 0, 0))) for o in officers]
    return TeamView(rows=out, unassigned=TeamRow(None, *counts.get(None, (0, 0, 0))), today=today)


def overdue_count(session: Session, council: str, today: dt.date) -> int:
    """Open cases of the council past their target date (the queue's "overdue" tab)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Statement)
            .where(Statement.council == council, overdue_condition(today))
        )
        or 0
    )


# --- bulk loads ------------------------------------------------------------------------------


def rebuild(session: Session, batch: int = 2000) -> int:
    """Fill target dates (where not moved by an officer), open target dates and search terms
    of every submitted statement from its versions: for rows written around `submit`
    (bench/seed.py via store.queue.rebuild_columns; migrations 0014 and 0016 hold their own
    frozen copies). Returns how many."""
    from planning_sv.store.assessments import assessor_of

    plans = assessor_of(session).plans
    session.execute(delete(SearchTerm))
    table = Statement.__table__
    # Never submitted (a draft, or withdrawn before its first submission): never open, so
    # no open target (core.open_target); the submitted ones are set in the loop below.
    session.execute(
        update(table)
        .where(table.c.submitted_at.is_(None))
        .values(open_target_date=None, updated_at=table.c.updated_at)
    )
    done, last_id = 0, 0
    while True:
        statements = session.scalars(
            select(Statement)
            .where(Statement.id > last_id, Statement.submitted_at.is_not(None))
            .options(selectinload(Statement.owner))
            .order_by(Statement.id)
            .limit(batch)
        ).all()
        if not statements:
            break
        ids = [s.id for s in statements]
        firsts = dict(
            session.execute(
                select(StatementVersion.statement_id, func.min(StatementVersion.submitted_at))
                .where(StatementVersion.statement_id.in_(ids))
                .group_by(StatementVersion.statement_id)
            ).all()
        )
        latest = dict(
            session.execute(
                select(StatementVersion.statement_id, StatementVersion.data)
                .join(Statement, Statement.id == StatementVersion.statement_id)
                .where(
                    Statement.id.in_(ids),
                    StatementVersion.number == Statement.latest_version_number,
                )
            ).all()
        )
        targets, values = [], []
        for statement in statements:
            data = latest.get(statement.id) or {}
            target = statement.target_date
            if not statement.target_adjusted:
                first = firsts.get(statement.id) or statement.submitted_at
                start = core.target_start(validation_date_of(data), first)
                target = core.target_date(start, plan_target(plans.get(statement.council)))
            targets.append(
                {
                    "b_id": statement.id,
                    "b_target": target,
                    "b_open": core.open_target(statement.status, target),
                }
            )
            values += [
                {"statement_id": statement.id, "term": t, "council": statement.council}
                for t in terms_for(session, statement, data)
            ]
        if targets:
            # The table, not the mapped class, and updated_at kept: a rebuild is not an
            # update of the statement (as store.queue.rebuild_columns).
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    target_date=bindparam("b_target"),
                    open_target_date=bindparam("b_open"),
                    updated_at=table.c.updated_at,
                ),
                targets,
            )
        if values:
            session.execute(insert(SearchTerm), values)
        done += len(statements)
        last_id = ids[-1]
        session.expire_all()
    return done
