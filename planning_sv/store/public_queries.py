"""The public pages' queries: APPROVED schemes' pre-computed rows, read by index.

The figures are computed in the core (`core/public_figures.py`) from typed assessment
records and written with the decision that changes them (`store/figures.py`). Here:

* `council_figures` reads only the ward aggregate rows of one filter selection (wards ×
  approval years) and hands them to the core, which adds £ per resident and the totals;
  the borough map, its table, the ward page's comparison and the downloads all use it, so
  they cannot disagree.
* `ward_schemes` reads one page of a ward's scheme rows and their commitment lines (index
  on council, ward, statement) for the ward page; `ward_line_batches` streams a ward's
  lines in index order for its downloads.

Query-string parsing (`parse_filters`, `parse_figure`, `BadFilter`) stays here for now.

Privacy: nothing here reads the statement's owner or any user row; the public outputs carry
the application reference, the site address and the commitments only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from planning_sv.core import public_figures as pf
from planning_sv.core.limits import parse_whole_number
from planning_sv.core.public_figures import (
    DELIVERY_NOT_REPORTED,
    DELIVERY_STATUSES,
    FIGURES,
    PUBLIC_STATUS,
    SUM_FIGURES,
    CouncilFigures,
    FigureDef,
    LineInWard,
    SchemeInWard,
    Selection,
    WardFigures,
)
from planning_sv.store.models import (
    CouncilFiguresRow,
    PublicLineRow,
    PublicSchemeRow,
    PublicSchemeWardRow,
    WardFiguresRow,
)

__all__ = [
    "DELIVERY_NOT_REPORTED",
    "DELIVERY_STATUSES",
    "FIGURES",
    "PUBLIC_STATUS",
    "SUM_FIGURES",
    "CouncilFigures",
    "FigureDef",
]

MIN_YEAR, MAX_YEAR = 2000, 2100
BATCH = 1000  # rows fetched at a time when streaming a download


class BadFilter(ValueError):
    """A query parameter has a value the public pages do not accept (HTTP 400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class PublicFilters:
    measure: str | None = None
    theme: str | None = None
    status: str | None = None
    year: int | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links to downloads and other pages)."""
        out = {"measure": self.measure, "theme": self.theme, "status": self.status}
        query = {k: v for k, v in out.items() if v}
        if self.year is not None:
            query["year"] = str(self.year)
        return query

    @property
    def active(self) -> bool:
        return bool(self.as_query())


def parse_filters(args: Mapping[str, str], measures: Mapping[str, Any]) -> PublicFilters:
    """Filters from query parameters; an empty value means "any". Raises BadFilter."""

    def value(name: str) -> str | None:
        raw = args.get(name)
        raw = raw.strip() if isinstance(raw, str) else None
        return raw or None

    measure = value("measure")
    if measure is not None and measure not in measures:
        raise BadFilter(
            "measure", f"unknown measure '{measure}'; use one of {', '.join(sorted(measures))}"
        )
    themes = sorted({m.theme for m in measures.values()})
    theme = value("theme")
    if theme is not None and theme not in themes:
        raise BadFilter("theme", f"unknown theme '{theme}'; use one of {', '.join(themes)}")
    status = value("status")
    if status is not None and status not in DELIVERY_STATUSES:
        raise BadFilter(
            "status", f"unknown status '{status}'; use one of {', '.join(DELIVERY_STATUSES)}"
        )
    year_text = value("year")
    year: int | None = None
    if year_text is not None:
        try:
            # ASCII digits only: '²'.isdigit() is true but int('²') raises (core/limits.py).
            year = parse_whole_number(year_text, minimum=MIN_YEAR, maximum=MAX_YEAR)
        except ValueError:
            shown = year_text if len(year_text) <= 20 else year_text[:20] + "…"
            raise BadFilter(
                "year", f"'{shown}' is not a year between {MIN_YEAR} and {MAX_YEAR}"
            ) from None
    return PublicFilters(measure=measure, theme=theme, status=status, year=year)


def parse_figure(args: Mapping[str, str]) -> FigureDef:
    """The figure the borough map is shaded by (`figure` parameter, default £)."""
    raw = (args.get("figure") or "").strip() or "gbp"
    if raw not in FIGURES:
        raise BadFilter("figure", f"unknown figure '{raw}'; use one of {', '.join(FIGURES)}")
    return FIGURES[raw]


# --- queries --------------------------------------------------------------------------------


def selection_of(filters: PublicFilters, measures: Mapping[str, Any]) -> Selection | None:
    """The core's selection for the filters (None: they exclude everything)."""
    return pf.selection_for(
        measures, measure=filters.measure, theme=filters.theme, status=filters.status
    )


def council_figures(
    session: Session,
    *,
    council: str,
    council_name: str,
    lad_code: str,
    vintage: str,
    ward_names: Mapping[str, str],
    population: Mapping[str, int],
    measures: Mapping[str, Any],
    filters: PublicFilters = PublicFilters(),
) -> CouncilFigures:
    """Per-ward figures of the council's approved schemes under the filters.

    Reads only the aggregate rows of the filters' selection (wards × approval years, a few
    hundred rows whatever the number of schemes); the core sums the years and computes £
    per resident and the borough's totals.
    """
    selection = selection_of(filters, measures)
    cells: dict[str, WardFigures] = {}
    shared: dict[str, WardFigures] = {}  # the borough-wide shares alone (core SHARED_SUFFIX)
    schemes = 0
    if selection is not None:
        shared_key = selection.filter_key + pf.SHARED_SUFFIX
        query = select(WardFiguresRow).where(
            WardFiguresRow.council == council,
            WardFiguresRow.status_key == selection.status_key,
            WardFiguresRow.filter_key.in_((selection.filter_key, shared_key)),
        )
        if filters.year is not None:
            query = query.where(WardFiguresRow.year == filters.year)
        for row in session.scalars(query):
            into = shared if row.filter_key == shared_key else cells
            into.setdefault(row.ward_code, WardFigures()).add(_figures_of(row))
        counts = select(CouncilFiguresRow.schemes).where(
            CouncilFiguresRow.council == council,
            CouncilFiguresRow.status_key == selection.status_key,
            CouncilFiguresRow.filter_key == selection.filter_key,
        )
        if filters.year is not None:
            counts = counts.where(CouncilFiguresRow.year == filters.year)
        schemes = sum(session.scalars(counts))
    years = session.scalars(
        select(CouncilFiguresRow.year).where(
            CouncilFiguresRow.council == council,
            CouncilFiguresRow.status_key == "",
            CouncilFiguresRow.filter_key == "",
            CouncilFiguresRow.schemes > 0,
        )
    )
    return pf.council_figures(
        council=council,
        council_name=council_name,
        lad_code=lad_code,
        vintage=vintage,
        ward_names=ward_names,
        population=population,
        cells=cells,
        schemes=schemes,
        years=years,
        shared_cells=shared,
    )


def _figures_of(row: WardFiguresRow) -> WardFigures:
    return WardFigures(
        schemes=row.schemes,
        schemes_sited=row.schemes_sited,
        schemes_shared=row.schemes_shared,
        commitments=row.commitments,
        gbp=row.gbp,
        quantities={key: getattr(row, key) for key in pf.QUANTITY_FIGURES},
    )


def _line_filters(selection: Selection, lines: Any = PublicLineRow) -> list[Any]:
    """SQL twin of `Selection.matches` on public_lines."""
    conditions = []
    if selection.status is not None:
        conditions.append(lines.status == selection.status)
    if selection.measure is not None:
        conditions.append(lines.measure == selection.measure)
    if selection.theme is not None:
        conditions.append(lines.theme == selection.theme)
    return conditions


_LINE_COLUMNS = (
    PublicLineRow.statement_id,
    PublicLineRow.ward_code,
    PublicLineRow.commitment_id,
    PublicLineRow.measure,
    PublicLineRow.measure_label,
    PublicLineRow.theme,
    PublicLineRow.quantity,
    PublicLineRow.unit,
    PublicLineRow.unit_label,
    PublicLineRow.description,
    PublicLineRow.borough_wide,
    PublicLineRow.gbp,
    PublicLineRow.status,
    PublicLineRow.lon,
    PublicLineRow.lat,
    PublicLineRow.ward_share,
    PublicLineRow.ward_gbp,
    PublicLineRow.ward_quantity,
    PublicSchemeRow.reference,
)


EXPORT_LINE_FIELDS = frozenset(
    {
        # statement_id and unit_label: to look up and word the line's verified delivery.
        "statement_id",
        "unit_label",
        "reference",
        "commitment_id",
        "measure",
        "theme",
        "quantity",
        "unit",
        "ward_share",
        "ward_quantity",
        "ward_gbp",
        "borough_wide",
        "status",
        "description",
        "lon",
        "lat",
    }
)


def _lines_query(council: str, ward_code: str, selection: Selection, year: int | None) -> Any:
    # Plain columns, not ORM objects: a busy ward's download has tens of thousands of lines.
    query = (
        select(*_LINE_COLUMNS)
        .join(PublicSchemeRow, PublicSchemeRow.statement_id == PublicLineRow.statement_id)
        .where(
            PublicLineRow.council == council,
            PublicLineRow.ward_code == ward_code,
            *_line_filters(selection),
        )
    )
    if year is not None:
        query = query.where(PublicLineRow.year == year)
    return query.order_by(PublicLineRow.statement_id, PublicLineRow.position)


def _line(row: Any) -> LineInWard:
    return LineInWard(
        statement_id=row.statement_id,
        reference=row.reference,
        ward_code=row.ward_code,
        commitment_id=row.commitment_id,
        measure=row.measure,
        measure_label=row.measure_label,
        theme=row.theme,
        quantity=row.quantity,
        unit=row.unit,
        unit_label=row.unit_label,
        description=row.description,
        borough_wide=row.borough_wide,
        gbp=row.gbp,
        status=row.status,
        point=(row.lon, row.lat) if row.lon is not None and row.lat is not None else None,
        ward_share=row.ward_share,
        ward_gbp=row.ward_gbp,
        ward_quantity=row.ward_quantity,
    )


def iter_ward_lines(
    session: Session,
    council: str,
    ward_code: str,
    filters: PublicFilters,
    measures: Mapping[str, Any],
) -> Iterator[LineInWard]:
    """The ward's selected commitment lines, fetched BATCH rows at a time (downloads)."""
    selection = selection_of(filters, measures)
    if selection is None:
        return
    query = _lines_query(council, ward_code, selection, filters.year)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        yield _line(row)


def ward_line_batches(
    session: Session,
    council: str,
    ward_code: str,
    filters: PublicFilters,
    measures: Mapping[str, Any],
    size: int = BATCH,
) -> Iterator[Sequence[Any]]:
    """The ward's selected commitment lines in order, `size` plain rows at a time (for the
    downloads: tens of thousands of lines, so no object is built per line). A row has the
    `LineInWard` fields a download shows (EXPORT_LINE_FIELDS) by name, with `lon` and `lat`
    for its point. Read in index order (council, ward, statement, position): nothing is
    sorted, whatever the ward's size."""
    selection = selection_of(filters, measures)
    if selection is None:
        return
    query = _lines_query(council, ward_code, selection, filters.year).with_only_columns(
        *(column for column in _LINE_COLUMNS if column.key in EXPORT_LINE_FIELDS),
        maintain_column_froms=True,
    )
    # Core, not the ORM session: rows go straight from the cursor to the writer.
    result = session.connection().execution_options(yield_per=size).execute(query)
    yield from result.partitions(size)


def _listed(council: str, ward_code: str, selection: Selection, year: int | None) -> Any:
    """Conditions for a scheme's row in the ward to be listed under the selection.

    The SQL twin of `core.public_figures.ward_schemes`: with a commitment filter, the scheme
    must have a selected commitment somewhere, and here either its site or such a commitment.
    """
    conditions = [
        PublicSchemeWardRow.council == council,
        PublicSchemeWardRow.ward_code == ward_code,
    ]
    if year is not None:
        conditions.append(PublicSchemeWardRow.year == year)
    if selection.filters_lines:
        key = f";{selection.status_key}|{selection.filter_key};"
        here = (
            select(PublicLineRow.id)
            .where(
                PublicLineRow.statement_id == PublicSchemeWardRow.statement_id,
                PublicLineRow.ward_code == ward_code,
                *_line_filters(selection),
            )
            .exists()
        )
        conditions.append(PublicSchemeRow.selections.contains(key, autoescape=True))
        conditions.append(or_(PublicSchemeWardRow.sited.is_(True), here))
    return conditions


def ward_schemes(
    session: Session,
    council: str,
    ward_code: str,
    filters: PublicFilters,
    measures: Mapping[str, Any],
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[SchemeInWard], int]:
    """One page of the schemes the ward page lists (each with its selected lines in the
    ward), and how many there are in all. Reads the ward's rows only (index on council,
    ward, statement), and only the lines of the schemes on the page."""
    selection = selection_of(filters, measures)
    if selection is None:
        return [], 0
    conditions = _listed(council, ward_code, selection, filters.year)
    # Without a commitment filter the list is the ward's rows alone: counted and paged on
    # the index (council, ward, statement) without reading a table row; the page's rows
    # are then read by id. A filter joins the scheme's selections (a few thousand rows).
    in_list = select(PublicSchemeWardRow.statement_id).where(*conditions)
    if selection.filters_lines:
        in_list = in_list.join(
            PublicSchemeRow, PublicSchemeRow.statement_id == PublicSchemeWardRow.statement_id
        )
    total = session.scalar(select(func.count()).select_from(in_list.subquery()))
    page_ids = in_list.order_by(PublicSchemeWardRow.statement_id).offset(offset)
    if limit is not None:
        page_ids = page_ids.limit(limit)
    ids = list(session.scalars(page_ids))
    found: list[Any] = []
    if ids:
        found = list(
            session.execute(
                select(PublicSchemeWardRow, PublicSchemeRow)
                .join(
                    PublicSchemeRow,
                    PublicSchemeRow.statement_id == PublicSchemeWardRow.statement_id,
                )
                .where(
                    PublicSchemeWardRow.council == council,
                    PublicSchemeWardRow.ward_code == ward_code,
                    PublicSchemeWardRow.statement_id.in_(ids),
                )
                .order_by(PublicSchemeWardRow.statement_id)
            )
        )
    lines: dict[int, list[LineInWard]] = {}
    if ids:
        in_page = _lines_query(council, ward_code, selection, filters.year).where(
            PublicLineRow.statement_id.in_(ids)
        )
        for row in session.execute(in_page):
            lines.setdefault(row.statement_id, []).append(_line(row))
    parts = [
        SchemeInWard(
            statement_id=part.statement_id,
            reference=scheme.reference,
            address=scheme.address,
            approved_on=scheme.approved_on,
            ward_code=part.ward_code,
            ward_name=part.ward_name,
            sited=part.sited,
            site_point=(scheme.site_lon, scheme.site_lat)
            if scheme.site_lon is not None and scheme.site_lat is not None
            else None,
            lines=tuple(lines.get(part.statement_id, ())),
        )
        for part, scheme in found
    ]
    # The SQL above already applied the selection; the core keeps the lines it selects.
    listed = pf.ward_schemes(parts, selection, dict.fromkeys(ids, True))
    return listed, int(total or 0)


def iter_ward_sites(
    session: Session,
    council: str,
    ward_code: str,
    filters: PublicFilters,
    measures: Mapping[str, Any],
) -> Iterator[Any]:
    """Schemes sited in the ward (with a site point) under the filters, BATCH at a time, as
    rows of reference, address, site_lon and site_lat (not the stored facts)."""
    selection = selection_of(filters, measures)
    if selection is None:
        return
    query = (
        select(
            PublicSchemeRow.reference,
            PublicSchemeRow.address,
            PublicSchemeRow.site_lon,
            PublicSchemeRow.site_lat,
        )
        .join(PublicSchemeWardRow, PublicSchemeWardRow.statement_id == PublicSchemeRow.statement_id)
        .where(
            *_listed(council, ward_code, selection, filters.year),
            PublicSchemeWardRow.sited.is_(True),
            PublicSchemeRow.site_lon.is_not(None),
        )
        .order_by(PublicSchemeRow.statement_id)
    )
    yield from session.execute(query.execution_options(yield_per=BATCH))


# --- approved schemes: the list and one scheme's page (issue 12) -------------------------------


def list_schemes(
    session: Session, council: str, *, offset: int = 0, limit: int | None = None
) -> tuple[list[pf.PublicScheme], int]:
    """One page of the council's approved schemes, newest approval first, and how many
    there are. Each is read from its stored public facts (no applicant details)."""
    total = session.scalar(
        select(func.count()).select_from(PublicSchemeRow).where(PublicSchemeRow.council == council)
    )
    query = (
        select(PublicSchemeRow.facts)
        .where(PublicSchemeRow.council == council)
        .order_by(PublicSchemeRow.approved_on.desc(), PublicSchemeRow.statement_id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    schemes = [pf.PublicScheme.model_validate(facts) for facts in session.scalars(query)]
    return schemes, int(total or 0)


def scheme(session: Session, council: str, statement_id: int) -> pf.PublicScheme | None:
    """An approved scheme's public facts, or None (not approved, or another council's)."""
    row = session.get(PublicSchemeRow, statement_id)
    if row is None or row.council != council:
        return None
    return pf.PublicScheme.model_validate(row.facts)
