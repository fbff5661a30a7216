"""Database tables. Councils are the codes of the folders in `local_plans/` (no table).

JSON columns use `sqlalchemy.JSON` so the same models run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from planning_sv.core.assessment import AssessmentRecord, parse_assessment
from planning_sv.core.cases import open_target
from planning_sv.core.workflow import Role, Status

# Named constraints so Alembic migrations are reproducible on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default=Role.APPLICANT.value)
    # Staff (officer, senior officer, admin) belong to one council; applicants to none.
    council: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Part of every sign-in session (see get_id): replacing it (sign-out, password change)
    # ends every session of the account, including cookies copied before.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # When the address was confirmed by a link sent to it (store/users.py); None until then.
    # Workflow emails go only to confirmed addresses (store/mail.py).
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )

    # Flask-Login's user protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # What the session (and a remember-me cookie) carries; the user loader in
        # web/authz.py accepts it only while the token is the account's current one.
        return f"{self.id}:{self.session_token}"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.OFFICER.value, Role.SENIOR_OFFICER.value)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token: tokens are 256-bit random, so a fast hash is enough and lookup
    # by hash stays a single indexed query.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    user: Mapped[User] = relationship()


class Statement(Base):
    """The applicant's working statement: a mutable draft plus immutable submitted versions."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_reference: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(32), default=Status.DRAFT.value, index=True)
    # The working draft: statement@1-shaped, possibly incomplete while being entered.
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Optimistic locking: a stale save (two tabs, two API clients) raises StaleDataError.
    version_counter: Mapped[int] = mapped_column(Integer, default=1)
    # Denormalised for the queue and lists (store/queue.py), which filter and sort by indexed
    # columns instead of reading versions or assessment JSON: `submit` keeps the first two
    # current in its transaction, the "set" listener below keeps `reference_key` current.
    # 0 / None until the first submission; versions are numbered 1..N, so N is also the count.
    latest_version_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # application_reference or "": a never-NULL sort key, so keyset pagination compares
    # plain values and both databases order the same rows the same way.
    reference_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The applicant organisation the statement belongs to (store/collaboration.py, 0010):
    # its current members see and edit it (web/authz.py). None: owner-only, as before.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), default=None, index=True
    )
    # Case management (store/cases.py, migration 0014): the officer who holds the case, the
    # date a decision is due (the validation date plus the council's target period, or as
    # an officer moved it: `target_adjusted`). The assignee is a plain indexed id, not a
    # foreign key: users are disabled, never deleted, and SQLite cannot drop a foreign-key
    # column in a downgrade without copying `statements` (see 0007).
    assigned_officer_id: Mapped[int | None] = mapped_column(Integer, default=None)
    target_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    target_adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The target date while the case is open, else NULL (core/cases.py `open_target`, the one
    # overdue rule): kept by the "set" listeners below with every status or target change, in
    # its transaction, so "overdue" is one index range (migration 0016_queue_scale).
    open_target_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    __mapper_args__ = {"version_id_col": version_counter}  # noqa: RUF012
    __table_args__ = (
        # The queue's filters and sorts: council first, then the status filter (optional),
        # then the sort key and id, so a page is one index range scan (store/queue.py).
        Index("ix_statements_queue_submitted", "council", "submitted_at", "id"),
        Index("ix_statements_queue_status_submitted", "council", "status", "submitted_at", "id"),
        # With the visibility test's columns after the key (0016), so the API's offset pages
        # read their sort keys from the index alone (store/statements.py visible_page).
        Index(
            "ix_statements_queue_updated", "council", "updated_at", "id", "status", "submitted_at"
        ),
        Index("ix_statements_queue_status_updated", "council", "status", "updated_at", "id"),
        Index("ix_statements_queue_reference", "council", "reference_key", "id"),
        # Case management: by target date (all, or one status), and one officer's cases.
        Index("ix_statements_queue_target", "council", "target_date", "id"),
        Index("ix_statements_queue_status_target", "council", "status", "target_date", "id"),
        Index(
            "ix_statements_queue_assigned", "council", "assigned_officer_id", "target_date", "id"
        ),
        # An applicant's own list (the API and their statements page), newest first.
        Index("ix_statements_owner_updated", "owner_id", "updated_at", "id"),
        # Overdue cases (and their count): open cases only, by target date (0016).
        Index("ix_statements_queue_open_target", "council", "open_target_date", "id"),
    )

    owner: Mapped[User] = relationship()
    # Read-only: written through `assigned_officer_id` (store/cases.py assign, audited).
    assigned_officer: Mapped[User | None] = relationship(
        primaryjoin="foreign(Statement.assigned_officer_id) == User.id", viewonly=True
    )
    versions: Mapped[list[StatementVersion]] = relationship(
        back_populates="statement", order_by="StatementVersion.number"
    )
    # The wards of the latest submitted version's site, in the assessment's order.
    site_wards: Mapped[list[StatementSiteWard]] = relationship(
        order_by="StatementSiteWard.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def latest_version(self) -> StatementVersion | None:
        return self.versions[-1] if self.versions else None

    def version(self, number: int) -> StatementVersion | None:
        """Submitted version `number` (1, 2, …), or None."""
        return next((v for v in self.versions if v.number == number), None)

    @property
    def organisation_members(self) -> list[User]:
        """The organisation's current members (store/mail.py emails the applicant side)."""
        from sqlalchemy.orm import object_session

        from planning_sv.store.collaboration import statement_members

        session = object_session(self)
        return statement_members(session, self) if session is not None else []


def _keep_reference_key(target: Statement, value: str | None, *_args: Any) -> None:
    target.reference_key = (value or "")[:200]


# Fires on every assignment, the constructor's included, so no code path can forget it.
event.listen(Statement.application_reference, "set", _keep_reference_key)


def _keep_open_target_on_status(target: Statement, value: str | None, *_args: Any) -> None:
    target.open_target_date = open_target(value or "", target.target_date)


def _keep_open_target_on_target(target: Statement, value: dt.date | None, *_args: Any) -> None:
    target.open_target_date = open_target(target.status or "", value)


# Every status change (store/statements.py apply_transition) and target change (submit,
# an officer's new date) passes through these, so `open_target_date` cannot go stale; bulk
# SQL updates around the ORM are rebuilt by store/cases.py `rebuild`.
event.listen(Statement.status, "set", _keep_open_target_on_status)
event.listen(Statement.target_date, "set", _keep_open_target_on_target)


class StatementSiteWard(Base):
    """A ward the latest submitted version's site is in (its assessment's `site.wards`).

    Written by `store.statements.submit` in the submission's transaction, so the queue's ward
    filter is an index lookup and its ward list a short index walk, never JSON extraction.
    Only submitted statements have rows: a private draft's wards never reach the queue.
    """

    __tablename__ = "statement_site_wards"
    __table_args__ = (
        Index("ix_statement_site_wards_ward", "ward_code", "statement_id"),
        Index("ix_statement_site_wards_council", "council", "ward_code", "ward_name"),
        Index(
            "ix_statement_site_wards_submitted",
            "council",
            "ward_code",
            "submitted_at",
            "statement_id",
        ),
    )

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    ward_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    council: Mapped[str] = mapped_column(String(64))
    ward_name: Mapped[str] = mapped_column(String(200))
    # The statement's `submitted_at`, written with these rows at each submission (the only
    # time either changes), so a ward's newest cases are one index range (0016_queue_scale).
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)


class StatementVersion(Base):
    """A submitted version: never updated after insert."""

    __tablename__ = "statement_versions"
    __table_args__ = (UniqueConstraint("statement_id", "number", name="uq_statement_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    statement: Mapped[Statement] = relationship(back_populates="versions")
    submitted_by: Mapped[User] = relationship()
    assessment: Mapped[Assessment | None] = relationship(back_populates="version", uselist=False)


_NOT_LOADED = object()  # an Assessment row's `data` not (yet) loaded: see `use_record`


class Assessment(Base):
    """An assessment@1 record of a version (or of the draft, when `version_id` is null)."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), default=None, index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    pack_version: Mapped[str] = mapped_column(String(64))
    value_set: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    version: Mapped[StatementVersion | None] = relationship(back_populates="assessment")

    @property
    def record(self) -> AssessmentRecord:
        """The stored assessment@1 as its typed, strict model (core/assessment.py).

        Parsed once per loaded row: a review page reads it several times (rules, map,
        figures). The memo is keyed on the `data` object itself (or on its not being
        loaded, see `use_record`), so assigning or loading new data parses afresh; records
        are read, never mutated, by their readers.
        """
        memo = self.__dict__.get("_record_memo")
        if memo is not None and memo[0] is self.__dict__.get("data", _NOT_LOADED):
            return memo[1]
        record = parse_assessment(self.data)
        self.__dict__["_record_memo"] = (self.data, record)
        return record

    def use_record(self, record: AssessmentRecord) -> None:
        """Take `record`, parsed before from this very row's data, as its record: the
        officer's review page keeps parsed records per app by row id and creation time
        (web/render_cache.RecordCache; assessment rows are never updated), so every reader
        of this row in the request gets it without parsing again. The row may have been
        loaded without its `data` (deferred): the record stands until data is loaded."""
        self.__dict__["_record_memo"] = (self.__dict__.get("data", _NOT_LOADED), record)


class AuditEvent(Base):
    """Append-only record of every workflow transition and officer decision."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), default=None, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32), default=None)
    to_status: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class SignInThrottle(Base):
    """Failed sign-ins per email address, for the back-off lock (store/users.py).

    Keyed by a hash of the normalised address, whether or not it has an account, so a lock
    does not tell anyone which addresses have accounts, and typed addresses are not kept.
    """

    __tablename__ = "sign_in_throttles"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


# --- public figures (store/figures.py keeps them current; core/public_figures.py computes) --
# Written in the same transaction as the approval that changes them, so the public pages
# read a ward's rows (by index) instead of decoding every approved statement's record.


class PublicSchemeRow(Base):
    """An approved scheme's public facts: one row per approved statement."""

    __tablename__ = "public_schemes"
    __table_args__ = (
        # The scheme list, newest approval first, paged without a sort (0013).
        Index("ix_public_schemes_council_approved", "council", "approved_on", "statement_id"),
    )

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    council: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text, default=None)
    approved_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    year: Mapped[int] = mapped_column(Integer)
    site_lon: Mapped[float | None] = mapped_column(Float, default=None)
    site_lat: Mapped[float | None] = mapped_column(Float, default=None)
    # ";status|filter;…;": the public filter selections under which the scheme shows
    # anything (core.public_figures.selection_keys), matched with LIKE by the ward page.
    selections: Mapped[str] = mapped_column(Text, default="")
    # core.public_figures.PublicScheme as JSON: what was added to the aggregates, so a
    # change subtracts exactly that (read only when the scheme's figures change).
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)


class PublicSchemeWardRow(Base):
    """One approved scheme in one ward it reaches (site, placed or borough-wide share)."""

    __tablename__ = "public_scheme_wards"
    __table_args__ = (
        Index("ix_public_scheme_wards_council_ward", "council", "ward_code", "year"),
        # The ward page's list in order, counted and paged from the index alone (0013).
        Index("ix_public_scheme_wards_ward_scheme", "council", "ward_code", "statement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str] = mapped_column(String(16))
    ward_name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    sited: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_only: Mapped[bool] = mapped_column(Boolean, default=False)
    commitments: Mapped[int] = mapped_column(Integer, default=0)
    gbp: Mapped[float] = mapped_column(Float, default=0.0)


class PublicLineRow(Base):
    """One approved commitment's part in one ward, with its figures there."""

    __tablename__ = "public_lines"
    __table_args__ = (
        Index("ix_public_lines_council_ward", "council", "ward_code", "year"),
        # A page's schemes' lines, and a download's in order, without a sort (0013).
        Index("ix_public_lines_ward_scheme", "council", "ward_code", "statement_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    council: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # the commitment's place in the statement
    commitment_id: Mapped[str] = mapped_column(String(100))
    measure: Mapped[str] = mapped_column(String(100))
    measure_label: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(64))
    unit_label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    borough_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    gbp: Mapped[float | None] = mapped_column(Float, default=None)
    ward_share: Mapped[float] = mapped_column(Float)
    ward_gbp: Mapped[float | None] = mapped_column(Float, default=None)
    ward_quantity: Mapped[float] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)


class WardFiguresRow(Base):
    """A ward's summed figures for one approval year under one public-filter selection.

    status_key/filter_key "" mean any; filter_key is "measure:<code>" or "theme:<name>".
    """

    __tablename__ = "public_ward_figures"
    __table_args__ = (
        UniqueConstraint(
            "council", "status_key", "filter_key", "year", "ward_code", name="uq_public_ward_cell"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(String(64))
    status_key: Mapped[str] = mapped_column(String(32))
    filter_key: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[str] = mapped_column(String(16))
    schemes: Mapped[int] = mapped_column(Integer, default=0)
    schemes_sited: Mapped[int] = mapped_column(Integer, default=0)
    schemes_shared: Mapped[int] = mapped_column(Integer, default=0)
    commitments: Mapped[int] = mapped_column(Integer, default=0)
    gbp: Mapped[float] = mapped_column(Float, default=0.0)
    # One column per quantity figure of core.public_figures.FIGURES (a new quantity figure
    # needs a column and a migration): summed in SQL, so concurrent approvals add up.
    jobs_fte_years: Mapped[float] = mapped_column(Float, default=0.0)
    apprenticeships: Mapped[float] = mapped_column(Float, default=0.0)
    workspace_sqm: Mapped[float] = mapped_column(Float, default=0.0)


class CouncilFiguresRow(Base):
    """How many approved schemes a council has, per approval year and selection."""

    __tablename__ = "public_council_figures"
    __table_args__ = (
        UniqueConstraint(
            "council", "status_key", "filter_key", "year", name="uq_public_council_cell"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(String(64))
    status_key: Mapped[str] = mapped_column(String(32))
    filter_key: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    schemes: Mapped[int] = mapped_column(Integer, default=0)


class FiguresVersionRow(Base):
    """A counter per council, raised in the transaction of every change to its public rows
    (store/figures.py). Rendered public pages and their ETags are keyed on it, so every
    worker process sees an approval at once (web/public.py)."""

    __tablename__ = "public_figures_versions"

    council: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


# --- value sets (store/value_sets.py): councils' imported sets and the choice of each ------
# In the database, not the instance folder, so the set, the choice and their audit rows are
# written in one transaction and every app instance sharing the database sees the choice.


class ValueSetRow(Base):
    """One version of a council's imported value set. Versions are never changed."""

    __tablename__ = "value_sets"
    __table_args__ = (UniqueConstraint("council", "slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64))  # the name as a key: re-imports add versions
    version: Mapped[int] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")  # the uploaded file's name
    target_price_year: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_on: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Every row as ValueRow.as_dict(): a set is at most 5,000 rows and always read whole.
    rows: Mapped[list[Any]] = mapped_column(JSON)


class ValueSetChoice(Base):
    """The set a council's assessments use. No row: the shipped open set."""

    __tablename__ = "value_set_choices"

    council: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))  # "open" for the shipped set
    version: Mapped[int | None] = mapped_column(Integer, default=None)  # None: the latest
    chosen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ImmutableRecord(Exception):
    """A submitted version was about to be changed or deleted."""


def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutableRecord(f"{type(target).__name__} {target.id} is immutable once written")


# A submitted version is the record of what was submitted: the ORM refuses to update or
# delete it (a statement's deletion still cascades in the database). AuditEvent's guard
# lives with the officer workflow in store/review.py (AuditImmutable).
event.listen(StatementVersion, "before_update", _refuse_change)
event.listen(StatementVersion, "before_delete", _refuse_change)


# Modules that define more tables on this Base. Alembic's env.py imports them all, so
# autogenerate and migrations see every table (docs/WEB.md, "Adding tables"). They are not
# imported here: they import the repositories, which import this module.
MODEL_MODULES = (
    "planning_sv.store.models",
    "planning_sv.store.review",
    "planning_sv.store.mail",
    "planning_sv.store.monitoring",
    "planning_sv.store.collaboration",
    "planning_sv.store.benchmarks",
    "planning_sv.store.cases",
)


def import_all_models() -> None:
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
