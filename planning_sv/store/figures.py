"""Keeping the public figures current: written with the decision that changes them.

`refresh_statement(session, statement)` runs inside the transaction of every workflow
transition into or out of "approved" (store/statements.py `apply_transition`): it subtracts
what the statement added to the stored aggregates before, replaces its public rows, and
adds what it contributes now. What a scheme contributes is computed in the core
(`core.public_figures.contributions`) from its typed assessment record; this module only
reads and writes rows. `rebuild(session, council)` recomputes every row from the records
(`planning-sv figures rebuild`), and gives the same figures as the incremental updates.

Aggregates are summed in SQL (`x = x + delta`, insert-or-add on the cell's unique key), so
two approvals committing at once both count.

Every change also raises the council's figures version (`public_figures_versions`, `bump`)
in the same transaction. The public pages key their rendered-page cache and ETags on it
(`version`), so an approval shows at once in every worker process, never a stale page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from planning_sv.core import public_figures as pf
from planning_sv.core.measures import Measure, load_measures
from planning_sv.store.models import (
    AuditEvent,
    CouncilFiguresRow,
    FiguresVersionRow,
    PublicLineRow,
    PublicSchemeRow,
    PublicSchemeWardRow,
    Statement,
    StatementVersion,
    WardFiguresRow,
)

PostcodePoint = Callable[[str], tuple[float, float] | None]
BATCH = 500


# --- reading the submitted statement (only what records stored before the point lacked) ---


def _where_point(where: Any, postcode_point: PostcodePoint | None) -> tuple[float, float] | None:
    """lon/lat of a commitment's `where` in statement@1, for records without points."""
    if not isinstance(where, Mapping):
        return None
    point = where.get("point")
    if isinstance(point, list | tuple) and len(point) == 2:
        return float(point[0]), float(point[1])
    geometry = where.get("geometry")
    if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates") or []
        if len(coords) >= 2:
            return float(coords[0]), float(coords[1])
    if postcode_point is not None and where.get("postcode"):
        return postcode_point(str(where["postcode"]))
    return None


def _submitted(
    data: Mapping[str, Any], postcode_point: PostcodePoint | None
) -> tuple[str | None, dict[str, tuple[float, float]]]:
    """The site address and fallback commitment points of a submitted statement@1."""
    site = data.get("site")
    address = site.get("address") if isinstance(site, Mapping) else None
    points = {}
    for item in data.get("commitments") or []:
        if isinstance(item, Mapping):
            point = _where_point(item.get("where"), postcode_point)
            if point is not None:
                points[str(item.get("id"))] = point
    return (str(address) if address else None), points


def public_scheme_of(
    statement: Statement,
    events: Iterable[tuple[str | None, Any]],
    measures: Mapping[str, Measure],
    postcode_point: PostcodePoint | None = None,
) -> pf.PublicScheme | None:
    """The public facts of an approved statement (None: not approved or nothing assessed)."""
    if not pf.publishable(statement.status):
        return None
    version = statement.latest_version
    if version is None or version.assessment is None:
        return None
    # With the officers' ward corrections applied (store/review.py; imported here because
    # review imports statements, which imports this module).
    from planning_sv.store.review import corrected_record

    record = corrected_record(None, version) or version.assessment.record
    address, points = _submitted(version.data or {}, postcode_point)
    approved_on = pf.approval_date(events)
    if approved_on is None and statement.updated_at is not None:
        approved_on = statement.updated_at.date()  # no approval event (never in practice)
    return pf.public_scheme(
        record,
        statement_id=statement.id,
        reference=statement.application_reference,
        address=address,
        approved_on=approved_on,
        measures=measures,
        fallback_points=points,
    )


def _status_events(session: Session, ids: list[int]) -> dict[int, list[tuple[str | None, Any]]]:
    """Statement id -> its audit events as (to_status, at); the core picks the approval."""
    out: dict[int, list[tuple[str | None, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(AuditEvent.statement_id, AuditEvent.to_status, AuditEvent.at).where(
            AuditEvent.statement_id.in_(ids)
        )
    )
    for statement_id, to_status, at in rows:
        out[statement_id].append((to_status, at))
    return out


# --- writing ------------------------------------------------------------------------------


def _rows(scheme: pf.PublicScheme) -> Iterator[tuple[type[Any], dict[str, Any]]]:
    """(table, row) pairs of the scheme's public rows."""
    yield (
        PublicSchemeRow,
        dict(
            statement_id=scheme.statement_id,
            council=scheme.council,
            reference=scheme.reference,
            address=scheme.address,
            approved_on=scheme.approved_on,
            year=scheme.year,
            site_lon=scheme.site_point[0] if scheme.site_point else None,
            site_lat=scheme.site_point[1] if scheme.site_point else None,
            selections="".join(f";{key}" for key in pf.selection_keys(scheme)) + ";",
            facts=scheme.model_dump(mode="json"),
        ),
    )
    positions = {line.commitment_id: index for index, line in enumerate(scheme.lines)}
    for code, part in (pf.scheme_in_wards(scheme) or {}).items():
        yield (
            PublicSchemeWardRow,
            dict(
                statement_id=scheme.statement_id,
                council=scheme.council,
                ward_code=code,
                ward_name=part.ward_name,
                year=scheme.year,
                sited=part.sited,
                shared_only=part.shared_only,
                commitments=len(part.lines),
                gbp=part.gbp,
            ),
        )
        for line in part.lines:
            yield (
                PublicLineRow,
                dict(
                    statement_id=scheme.statement_id,
                    council=scheme.council,
                    ward_code=code,
                    year=scheme.year,
                    position=positions[line.commitment_id],
                    commitment_id=line.commitment_id,
                    measure=line.measure,
                    measure_label=line.measure_label,
                    theme=line.theme,
                    status=line.status,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_label=line.unit_label,
                    description=line.description,
                    borough_wide=line.borough_wide,
                    gbp=line.gbp,
                    ward_share=line.ward_share,
                    ward_gbp=line.ward_gbp,
                    ward_quantity=line.ward_quantity,
                    lon=line.point[0] if line.point else None,
                    lat=line.point[1] if line.point else None,
                ),
            )


def _insert(session: Session, rows: Iterable[tuple[type[Any], dict[str, Any]]]) -> None:
    """Bulk inserts, one statement per table (thousands of schemes on a rebuild)."""
    by_table: dict[type[Any], list[dict[str, Any]]] = {}
    for model, values in rows:
        by_table.setdefault(model, []).append(values)
    for model in (PublicSchemeRow, PublicSchemeWardRow, PublicLineRow):
        if by_table.get(model):
            # Core executemany: the ORM's bulk path sent one INSERT per row on SQLite.
            session.connection().execute(insert(model.__table__), by_table[model])


_SUMMED = ("schemes", "schemes_sited", "schemes_shared", "commitments", "gbp")


def _cell_values(figures: pf.WardFigures, sign: int) -> dict[str, Any]:
    values: dict[str, Any] = {name: sign * getattr(figures, name) for name in _SUMMED}
    values.update({key: sign * figures.quantities.get(key, 0.0) for key in pf.QUANTITY_FIGURES})
    return values


_WARD_KEY = ("council", "status_key", "filter_key", "year", "ward_code")
_COUNCIL_KEY = ("council", "status_key", "filter_key", "year")


def _apply(session: Session, council: str, change: pf.Contributions, sign: int) -> None:
    """Add (sign 1) or subtract (sign -1) contributions to the stored cells."""
    wards = [
        {
            "council": council,
            "status_key": status_key,
            "filter_key": filter_key,
            "year": year,
            "ward_code": code,
            **_cell_values(figures, sign),
        }
        for (code, year, status_key, filter_key), figures in change.wards.items()
    ]
    councils = [
        {
            "council": council,
            "status_key": status_key,
            "filter_key": filter_key,
            "year": year,
            "schemes": sign * count,
        }
        for (year, status_key, filter_key), count in change.council.items()
    ]
    _add_or_insert(session, WardFiguresRow, _WARD_KEY, wards)
    _add_or_insert(session, CouncilFiguresRow, _COUNCIL_KEY, councils)
    # A cell no scheme reaches any more is removed, not left at (nearly) zero.
    session.execute(
        delete(WardFiguresRow).where(WardFiguresRow.council == council, WardFiguresRow.schemes <= 0)
    )
    session.execute(
        delete(CouncilFiguresRow).where(
            CouncilFiguresRow.council == council, CouncilFiguresRow.schemes <= 0
        )
    )


def _add_or_insert(
    session: Session, model: type[Any], key: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """Each row's values added to the cell its `key` columns name, creating it when new:
    one INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x, executed for every row."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {dialect}")
    table = model.__table__
    summed = [name for name in rows[0] if name not in key]
    statement = upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in summed},
    )
    session.connection().execute(statement, rows)


def bump(session: Session, council: str) -> None:
    """Raise the council's figures version (inside the transaction that changes its rows).

    An UPDATE of one row, so two approvals committing at once serialise on it and each
    commit gives a new version; readers read the version before the rows it keys."""
    _add_or_insert(session, FiguresVersionRow, ("council",), [{"council": council, "version": 1}])


def version(session: Session, council: str) -> int:
    """The council's figures version (0 before its first approval or rebuild)."""
    found = session.scalar(
        select(FiguresVersionRow.version).where(FiguresVersionRow.council == council)
    )
    return int(found or 0)


def _remove(session: Session, statement_id: int) -> None:
    """Subtract the statement's stored contributions and delete its public rows."""
    old = session.get(PublicSchemeRow, statement_id)
    if old is None:
        return
    scheme = pf.PublicScheme.model_validate(old.facts)
    _apply(session, old.council, pf.contributions(scheme), -1)
    for model in (PublicLineRow, PublicSchemeWardRow):
        session.execute(delete(model).where(model.statement_id == statement_id))
    session.delete(old)
    session.flush()


def _add(session: Session, scheme: pf.PublicScheme) -> None:
    _insert(session, _rows(scheme))
    _apply(session, scheme.council, pf.contributions(scheme), 1)


def refresh_statement(
    session: Session,
    statement: Statement,
    *,
    measures: Mapping[str, Measure] | None = None,
    postcode_point: PostcodePoint | None = None,
) -> None:
    """Bring the statement's public rows and the aggregates up to date with its status.

    Called in the transaction of the decision (approval, or any change out of approved),
    so the public pages never show a half-applied decision.
    """
    session.flush()  # the decision's audit event and status are in the queries below
    _remove(session, statement.id)
    events = _status_events(session, [statement.id])[statement.id]
    scheme = public_scheme_of(statement, events, measures or load_measures(), postcode_point)
    if scheme is not None:
        _add(session, scheme)
    bump(session, statement.council)
    session.flush()


def rebuild(
    session: Session,
    council: str | None = None,
    *,
    measures: Mapping[str, Measure] | None = None,
    postcode_point: PostcodePoint | None = None,
) -> int:
    """Recompute every public row of `council` (default: all) from the stored records.

    Returns the number of approved schemes published.
    """
    measures = measures or load_measures()
    # Every council whose rows change: those published before (and the versions known), and
    # those published after.
    touched = (
        {council}
        if council is not None
        else set(session.scalars(select(PublicSchemeRow.council).distinct()))
        | set(session.scalars(select(FiguresVersionRow.council)))
    )
    for model in (PublicLineRow, PublicSchemeWardRow, PublicSchemeRow):
        query = delete(model)
        if council is not None:
            query = query.where(model.council == council)
        session.execute(query)
    for model in (WardFiguresRow, CouncilFiguresRow):
        query = delete(model)
        if council is not None:
            query = query.where(model.council == council)
        session.execute(query)
    session.flush()
    query = select(Statement.id).where(Statement.status == pf.PUBLIC_STATUS)
    if council is not None:
        query = query.where(Statement.council == council)
    ids = list(session.scalars(query.order_by(Statement.id)))
    totals: dict[str, pf.Contributions] = {}
    published = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        events = _status_events(session, batch)
        statements = session.scalars(
            select(Statement)
            .where(Statement.id.in_(batch))
            .options(selectinload(Statement.versions).selectinload(StatementVersion.assessment))
        )
        rows: list[tuple[type[Any], dict[str, Any]]] = []
        for statement in sorted(statements, key=lambda s: s.id):
            scheme = public_scheme_of(statement, events[statement.id], measures, postcode_point)
            if scheme is None:
                continue
            rows.extend(_rows(scheme))
            totals.setdefault(scheme.council, pf.Contributions()).add(pf.contributions(scheme))
            published += 1
        _insert(session, rows)
        session.flush()
        session.expunge_all()  # keep memory flat over many thousands of statements
    for code, change in totals.items():
        _apply(session, code, change, 1)
    for code in sorted(touched | set(totals)):
        bump(session, code)
    session.flush()
    return published
