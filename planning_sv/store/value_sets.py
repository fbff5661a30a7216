"""Councils' value sets and the choice of each, in the database.

`core.valuation.valuesets` validates a CSV into a `ValueSet` (pure); this module stores each
import as a new version (`value_sets`), keeps each council's choice (`value_set_choices`)
and writes the audit row of every import and choice in the same session, so the caller's
one `session.commit()` stores both or neither. With no choice stored a council uses the
shipped open set (`local_plans/value_sets/open/`).

Nothing here commits: the web views and CLI commands do, once per action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planning_sv.core.assessment import AssessmentRecord
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.measures import Measure
from planning_sv.core.valuation.valuesets import (
    OPEN_SET_NAME,
    PriceIndex,
    ValueSet,
    build_value_set,
    is_council_code,
    load_open_set,
    row_from_dict,
    rows_in_force,
    set_problems,
    slugify,
)
from planning_sv.store.models import AuditEvent, User, ValueSetChoice, ValueSetRow

IMPORT_ACTION = "import_value_set"
CHOOSE_ACTION = "choose_value_set"


def _audit(session: Session, actor: User | None, action: str, details: dict[str, Any]) -> None:
    session.add(
        AuditEvent(actor_id=actor.id if actor is not None else None, action=action, details=details)
    )
    session.flush()


def _as_value_set(row: ValueSetRow) -> ValueSet:
    return ValueSet(
        name=row.name,
        version=row.version,
        licence=row.licence,
        owner=row.owner,
        rows=tuple(row_from_dict(r) for r in row.rows),
        council=row.council,
        title=row.name,
        date=row.imported_on.isoformat(),
        target_price_year=row.target_price_year,
        sha256=row.sha256,
    )


def _latest_version(session: Session, council: str, slug: str) -> int:
    found = session.scalar(
        select(func.max(ValueSetRow.version)).where(
            ValueSetRow.council == council, ValueSetRow.slug == slug
        )
    )
    return int(found or 0)


# --- writing ---------------------------------------------------------------------------------


def import_csv(
    session: Session,
    path: Path | str,
    council: str,
    name: str,
    licence: str,
    *,
    actor: User | None = None,
    **options: Any,
) -> ValueSet:
    """`import_data` for a file on disk (the CLI); an unreadable file is a `file` problem."""
    source_path = Path(path)
    try:
        raw = source_path.read_bytes()
    except OSError as exc:
        problems = set_problems(council, name, licence, options.get("target_price_year"))
        problems.append(Problem("file", f"cannot read {source_path}: {exc.strerror}"))
        raise InputInvalid(problems) from None
    return import_data(
        session, raw, source_path.name, council, name, licence, actor=actor, **options
    )


def import_data(
    session: Session,
    raw: bytes,
    source_file: str,
    council: str,
    name: str,
    licence: str,
    *,
    actor: User | None = None,
    use: bool = False,
    owner: str | None = None,
    target_price_year: int | None = None,
    today: dt.date | None = None,
    measures: Mapping[str, Measure] | None = None,
    indices: Mapping[str, PriceIndex] | None = None,
) -> ValueSet:
    """Validate CSV bytes and add them as the next version of the council's named set.

    Raises InputInvalid (nothing added) for any fault. With `use`, the council's
    assessments follow the set's latest version from now on. The version, the choice and
    one `import_value_set` audit row are added to `session`; the caller commits them.
    """
    slug = slugify(name or "")
    version = _latest_version(session, council, slug) + 1 if slug else 1
    value_set = build_value_set(
        raw,
        council,
        name,
        licence,
        version=version,
        measures=measures,
        indices=indices,
        owner=owner,
        target_price_year=target_price_year,
        today=today,
    )
    row = ValueSetRow(
        council=council,
        name=value_set.name,
        slug=slug,
        version=version,
        licence=value_set.licence,
        owner=value_set.owner,
        source=source_file,
        target_price_year=target_price_year,
        sha256=value_set.sha256,
        imported_on=dt.date.fromisoformat(value_set.date),
        imported_by_id=actor.id if actor is not None else None,
        rows=[r.as_dict() for r in value_set.rows],
    )
    _add_or_refuse(
        session,
        row,
        Problem(
            "name",
            f"another import of '{value_set.name}' was stored at the same moment; "
            "import the file again",
        ),
    )
    if use:
        _store_choice(session, council, slug, None, actor)
    _audit(
        session,
        actor,
        IMPORT_ACTION,
        {
            "council": council,
            "name": value_set.name,
            "version": version,
            "rows": len(value_set.rows),
            "licence": value_set.licence,
            "source_file": source_file,
            "sha256": value_set.sha256,
            "in_use": use,
        },
    )
    return value_set


def _add_or_refuse(session: Session, row: Any, problem: Problem) -> None:
    """Add and flush `row`; a clash with a row another request committed meanwhile (the
    same next version, the same council's first choice) is a problem, not a 500.

    The session is rolled back then, as the caller would on any InputInvalid. Not a
    savepoint: with pysqlite a SAVEPOINT opened before any write starts the transaction
    itself, and releasing it would commit what came before without its audit row.
    """
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InputInvalid([problem]) from None


def choose(
    session: Session,
    council: str,
    name: str,
    version: int | None = None,
    *,
    actor: User | None = None,
) -> ValueSet:
    """Make `name` (its latest version unless `version` pins one) the council's set.

    Raises InputInvalid when the set or version does not exist. Adds the choice and one
    `choose_value_set` audit row to `session`; the caller commits them.
    """
    if not is_council_code(council):
        raise InputInvalid([Problem("council", f"'{council}' is not a council code")])
    value_set = load(session, council, name, version)  # raises if it does not exist
    slug = slugify(name)
    _store_choice(session, council, slug, None if slug == OPEN_SET_NAME else version, actor)
    _audit(
        session,
        actor,
        CHOOSE_ACTION,
        {
            "council": council,
            "name": value_set.name,
            "version": value_set.version,
            "pinned": version if slug != OPEN_SET_NAME else None,
        },
    )
    return value_set


def _store_choice(
    session: Session, council: str, slug: str, version: int | None, actor: User | None
) -> None:
    choice = session.get(ValueSetChoice, council)
    if choice is None:
        choice = ValueSetChoice(council=council, slug=slug, chosen_by_id=None)
        _add_or_refuse(
            session,
            choice,
            Problem("value_set", "another choice was stored at the same moment; choose again"),
        )
    choice.slug = slug
    choice.version = version
    choice.chosen_at = dt.datetime.now(dt.UTC)
    choice.chosen_by_id = actor.id if actor is not None else None
    session.flush()


# --- reading ---------------------------------------------------------------------------------


def load(session: Session, council: str, name: str, version: int | None = None) -> ValueSet:
    """One version of a council's set (the latest unless pinned); 'open' is the shipped set."""
    slug = slugify(name or "")
    if slug == OPEN_SET_NAME:
        return load_open_set()
    query = select(ValueSetRow).where(ValueSetRow.council == council, ValueSetRow.slug == slug)
    if version is None:
        row = session.scalar(query.order_by(ValueSetRow.version.desc()).limit(1))
        if row is None:
            raise InputInvalid(
                [Problem("name", f"council '{council}' has no value set named '{name}'")]
            )
        return _as_value_set(row)
    row = session.scalar(query.where(ValueSetRow.version == version))
    if row is None:
        if _latest_version(session, council, slug) == 0:
            raise InputInvalid(
                [Problem("name", f"council '{council}' has no value set named '{name}'")]
            )
        raise InputInvalid([Problem("version", f"value set '{name}' has no version {version}")])
    return _as_value_set(row)


def chosen(session: Session, council: str | None) -> ValueSet:
    """The set in force for a council: its stored choice, or the open set by default.

    Read from the database at each assessment, so every app instance on the database uses
    the choice as soon as it is committed.
    """
    if not council:
        return load_open_set()
    choice = session.get(ValueSetChoice, council)
    if choice is None or choice.slug == OPEN_SET_NAME:
        return load_open_set()
    return load(session, council, choice.slug, choice.version)


def used_by(session: Session, typed: AssessmentRecord) -> ValueSet:
    """The set (and version) a stored assessment@1 record was valued with, to re-run it;
    the council's current set when the record names none that is stored."""
    if typed.social_value is not None and typed.social_value.value_set.name:
        used = typed.social_value.value_set
        try:
            return load(session, typed.council, used.name, used.version)
        except InputInvalid:
            pass
    return chosen(session, typed.council)


def list_rows(session: Session, council: str | None = None) -> list[dict[str, Any]]:
    """The rows in force for a council (the open set when none is chosen)."""
    return rows_in_force(chosen(session, council))


def list_sets(session: Session, council: str | None = None) -> list[dict[str, Any]]:
    """The open set and every stored version (of one council, or all), each marked with
    whether it is the one in use; the choices are read once."""
    choices = {c.council: c for c in session.scalars(select(ValueSetChoice))}
    open_set = load_open_set()
    out: list[dict[str, Any]] = [
        dict(
            open_set.summary(),
            rows=len(open_set.rows),
            in_use_by=sorted(c for c, choice in choices.items() if choice.slug == OPEN_SET_NAME),
        )
    ]
    query = select(ValueSetRow).order_by(ValueSetRow.council, ValueSetRow.slug, ValueSetRow.version)
    if council:
        query = query.where(ValueSetRow.council == council)
    rows = list(session.scalars(query))
    latest: dict[tuple[str, str], int] = {}
    for row in rows:
        latest[(row.council, row.slug)] = max(latest.get((row.council, row.slug), 0), row.version)
    for row in rows:
        choice = choices.get(row.council)
        in_use = (
            choice is not None
            and choice.slug == row.slug
            and (choice.version or latest[(row.council, row.slug)]) == row.version
        )
        out.append(
            {
                "name": row.name,
                "version": row.version,
                "licence": row.licence,
                "owner": row.owner,
                "council": row.council,
                "target_price_year": row.target_price_year,
                "slug": row.slug,
                "title": row.name,
                "date": row.imported_on.isoformat(),
                "sha256": row.sha256,
                "source_file": row.source,
                "rows": len(row.rows),
                "imported_at": row.imported_at.isoformat(),
                "in_use": in_use,
            }
        )
    return out
