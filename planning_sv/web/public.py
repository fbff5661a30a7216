"""Public pages for ward councillors and residents: where the promised social value lands.

Anyone may read them (`@allow(PUBLIC)`); they show APPROVED statements only and never the
applicant's account details (see store/public_queries.py). The figures are computed in the
core (core/public_figures.py) and kept in tables current with every approval
(store/figures.py), so a page reads a ward's rows, never every statement's record.

    /councils                                   councils with public pages, "Find your ward"
    /councils/find-your-ward?postcode=…         303 to the postcode's ward page (400 naming
                                                the field for an unknown or outside postcode)
    /councils/<council>/schemes                 approved schemes, newest first (?page=)
    /councils/<council>/schemes/<id>            one scheme: what, where, by ward, map + table
    /methodology, /accessibility, /privacy      site-wide pages linked from every footer
    /councils/<council>/wards                   borough choropleth + table (?figure=…)
    /councils/<council>/wards.csv|.geojson      the same figures as downloads
    /councils/<council>/wards/<ward_code>       one ward: map, schemes, commitments, totals
    /councils/<council>/wards/<ward_code>.csv|.geojson

Ward figures keep what is located in a ward (its schemes' sites, commitments placed there)
apart from its population share of borough-wide commitments (`WardRow.shared`), and counts
of things shared to a ward are rounded (core/figures.py `format_share`).

Filters (`measure`, `theme`, `status`, `year`) are query parameters shared by all of them; a
bad value is a 400 naming the parameter, an unknown council or ward a 404. Downloads stream
(generator responses reading rows in batches), whatever the number of schemes.
"""

from __future__ import annotations

import collections
import csv
import functools
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from planning_sv.core import public_figures as pf

# The one CSV writer for records (a header, then a chunk per record for a streamed response;
# cells neutralised by core/files.py csv_cell), shared with the contributions exports.
from planning_sv.core.contributions import csv_chunks as csv_lines
from planning_sv.core.figures import (
    UNDIVIDED_UNITS,
    format_date,
    format_gbp,
    format_number,
    format_quantity,
    format_share,
    round_share,
)
from planning_sv.core.files import csv_cell
from planning_sv.core.geo.service import GeoService
from planning_sv.core.limits import parse_whole_number
from planning_sv.core.public_figures import CouncilFigures, LineInWard, SchemeInWard, WardRow
from planning_sv.store import public_queries as queries
from planning_sv.web import assessor, attachment, csp_nonce, db_session, maps, services
from planning_sv.web.authz import PUBLIC, allow
from planning_sv.web.delivery import line_delivered, ward_popup_rows, ward_table_delivered
from planning_sv.web.page_cache import public_page

bp = Blueprint("public", __name__, url_prefix="/councils")

SCHEMES_PER_PAGE = 50  # a ward page lists this many schemes (with their lines) at a time
MAX_PAGE = 100_000
DOWNLOAD_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}
SITE_COLOUR = "#d4351c"  # GOV.UK red
COMMITMENT_COLOUR = "#ffdd00"  # GOV.UK yellow


# --- helpers (kept small: figures are core.public_figures, rows store.public_queries) --------


def _plan(council: str) -> Any:
    plan = assessor().plans.get(council)
    if plan is None:
        abort(404)
    return plan


def _geo() -> GeoService:
    # The app's own service (web.services()), the one its assessor places with.
    return services().geo


def _filters() -> queries.PublicFilters:
    try:
        return queries.parse_filters(request.args, assessor().measures)
    except queries.BadFilter as exc:
        abort(400, description=f"Invalid query parameter '{exc.parameter}': {exc.message}")


def _figure() -> queries.FigureDef:
    try:
        return queries.parse_figure(request.args)
    except queries.BadFilter as exc:
        abort(400, description=f"Invalid query parameter '{exc.parameter}': {exc.message}")


def _page() -> int:
    """The ward page's page of schemes (`page`, default 1); 400 naming it when bad."""
    raw = (request.args.get("page") or "").strip()
    if not raw:
        return 1
    try:
        return parse_whole_number(raw, minimum=1, maximum=MAX_PAGE)
    except ValueError as exc:
        abort(400, description=f"Invalid query parameter 'page': {exc}")


def _council_figures(council: str, filters: queries.PublicFilters) -> tuple[Any, CouncilFigures]:
    plan = _plan(council)
    geo = _geo()
    figures = queries.council_figures(
        db_session(),
        council=council,
        council_name=plan.name,
        lad_code=plan.lad_code,
        vintage=plan.boundary_vintage,
        ward_names=geo.ward_names(plan.boundary_vintage, plan.lad_code),
        population=geo.ward_population(plan.lad_code),
        measures=assessor().measures,
        filters=filters,
    )
    return plan, figures


def _ward_geometries(plan: Any) -> dict[str, Any]:
    """Ward code -> boundary geometry, for the GeoJSON downloads."""
    frame = _geo().wards_frame(plan.boundary_vintage, plan.lad_code)
    return dict(zip(frame["code"], frame.geometry, strict=True))


def _ward_links(council: str, figures: CouncilFigures, query: dict[str, Any]) -> dict[str, str]:
    """Ward code -> its ward page, keeping the filters in force."""
    return {
        w.code: url_for(".ward", council=council, ward_code=w.code, **query) for w in figures.wards
    }


def format_figure(key: str, value: float | None) -> str:
    """A ward figure as a number for a table cell or the map: £ to the pound, £ per resident
    to the penny, and a count that includes population shares rounded as core.figures
    rounds shares (whole starts and sqm, FTE-years to one decimal; 'less than 1' when a
    share is not yet one whole thing)."""
    if value is None:
        return "–"
    fig = queries.FIGURES[key]
    if fig.kind == "gbp":
        return format_gbp(value)
    if fig.kind == "per_resident":
        return f"£{value:,.2f}"
    unit = fig.unit or ""
    shown = round_share(value, unit)
    if value > 0 and shown == 0:
        return "less than 0.1" if unit == "fte_years" else "less than 1"
    return format_number(shown)


def _filter_options(figures: CouncilFigures) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for each filter select, in display order."""
    measures = assessor().measures
    return {
        "measure": sorted(((code, m.label) for code, m in measures.items()), key=lambda kv: kv[1]),
        "theme": [
            (theme, theme.capitalize()) for theme in sorted({m.theme for m in measures.values()})
        ],
        "status": list(queries.DELIVERY_STATUSES.items()),
        "year": [(str(year), str(year)) for year in figures.years],
    }


@bp.app_template_filter("figure")
def _figure_filter(value: float | None, key: str) -> str:
    return format_figure(key, value)


@bp.app_template_filter("public_number")
def _number_filter(value: float) -> str:
    return format_number(round(value, 2))


@bp.app_template_filter("public_quantity")
def _quantity_filter(line: Any) -> str:
    """A whole commitment: '£2,000,000 spent', '20 placements of at least 2 weeks'."""
    return format_quantity(line.quantity, line.unit, line.unit_label)


@bp.app_template_filter("public_undivided")
def _undivided_filter(line: LineInWard) -> bool:
    """A unit that is not divided between wards (one plan document, a % of the workforce)."""
    return line.unit in UNDIVIDED_UNITS


@bp.app_template_filter("public_share")
def _share_filter(line: LineInWard) -> str:
    """A commitment's part in a ward, rounded as a share: 'about 1 placement …'."""
    return format_share(line.ward_quantity, line.unit, line.unit_label)


def _ward_popup_rows(row: WardRow) -> list[tuple[str, str]]:
    """A ward's popup on the borough map: what is located in it kept apart from its share
    of borough-wide commitments (never one count that mixes them)."""
    sited = row.schemes_sited
    rows = [
        ("Schemes sited in the ward", format_number(sited)),
        ("Social value located in the ward", format_gbp(row.located("gbp") or 0.0)),
        ("Share of borough-wide commitments", format_gbp(row.shared.get("gbp", 0.0))),
    ]
    return rows


# --- downloads: flat records, streamed --------------------------------------------------------

WARD_COLUMNS = (
    "ward_code",
    "ward_name",
    "population_mid2020",
    "schemes",
    "schemes_sited",
    "schemes_shared",
    "commitments",
    *(f"{key}_promised" for key in queries.FIGURES),
    *(f"{key}_delivered" for key in queries.FIGURES),
    "delivery",
)
LINE_COLUMNS = (
    "application_reference",
    "commitment_id",
    "measure",
    "theme",
    "quantity",
    "unit",
    "share_in_ward",
    "quantity_in_ward",
    "gbp_in_ward",
    "borough_wide",
    "status",
    "delivered",
    "description",
)
ATTRIBUTION = maps.ATTRIBUTION  # the data manifest's map attribution


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def ward_record(row: WardRow, delivered: str | None = None) -> dict[str, Any]:
    """A ward's figures as a flat record (CSV row and GeoJSON properties); `delivered`: its
    verified delivery in words (web/delivery.py), else "not yet reported"."""
    record: dict[str, Any] = {
        "ward_code": row.code,
        "ward_name": row.name,
        "population_mid2020": row.population,
        "schemes": row.schemes,
        "schemes_sited": row.schemes_sited,
        "schemes_shared": row.schemes_shared,
        "commitments": row.commitments,
    }
    for key in queries.FIGURES:
        record[f"{key}_promised"] = _round(row.promised.get(key))
    for key in queries.FIGURES:
        record[f"{key}_delivered"] = _round(row.delivered.get(key))
    record["delivery"] = delivered or queries.DELIVERY_NOT_REPORTED
    return record


def line_values(line: LineInWard | Any, delivered: str | None = None) -> list[Any]:
    """A commitment line's download values in LINE_COLUMNS order. `line` is a LineInWard
    or a row of `queries.ward_line_batches` (the same names); `delivered`: the verified
    delivery placed in the ward, in words (web/delivery.py `line_delivered`)."""
    return [
        line.reference,
        line.commitment_id,
        line.measure,
        line.theme,
        line.quantity,
        line.unit,
        round(line.ward_share, 6),
        _round(line.ward_quantity, 4),
        _round(line.ward_gbp),
        line.borough_wide,
        line.status,
        delivered or queries.DELIVERY_NOT_REPORTED,
        line.description or "",
    ]


def line_record(line: LineInWard | Any, delivered: str | None = None) -> dict[str, Any]:
    return dict(zip(LINE_COLUMNS, line_values(line, delivered), strict=True))


def _delivered_in(
    council: str, ward_code: str, lines: Sequence[Any], session: Any
) -> dict[str, str]:
    from planning_sv.web.delivery import line_delivered

    return line_delivered(council, ward_code, lines, session) if lines else {}


def _line_key(line: Any) -> str:
    return f"{line.statement_id}:{line.commitment_id}"


@functools.cache
def _plain_row_type(fields: tuple[str, ...]) -> Any:
    return collections.namedtuple("DownloadRow", fields)


def plain_rows(batch: Sequence[Any]) -> list[Any]:
    """A batch of database rows as namedtuples with the same field names. A named field of
    a SQLAlchemy Row costs a Python-level lookup, and `line_values` reads 13 per line over
    tens of thousands of lines; a namedtuple's are C-level (same values, same names)."""
    if not batch:
        return []
    make = _plain_row_type(tuple(batch[0]._fields))._make
    return [make(row) for row in batch]


def _row_point(row: Any) -> tuple[float, float] | None:
    return (row.lon, row.lat) if row.lon is not None and row.lat is not None else None


def _metadata(figures: CouncilFigures, filters: queries.PublicFilters) -> dict[str, Any]:
    return {
        "council": figures.council,
        "lad_code": figures.lad_code,
        "boundary_vintage": figures.vintage,
        "filters": filters.as_query(),
        "statements": f"{queries.PUBLIC_STATUS} statements only",
        "delivered": "verified delivery only (accepted or partly accepted reports); "
        f"'{queries.DELIVERY_NOT_REPORTED}' where none is verified",
        "attribution": ATTRIBUTION,
    }


def csv_batches(
    columns: Iterable[str], batches: Iterable[Iterable[Sequence[Any]]]
) -> Iterator[str]:
    """CSV text, a header then one chunk per batch of rows (values in `columns` order): the
    same cells as `csv_lines`, written a batch at a time (a ward's download has tens of
    thousands of rows, and a chunk per row is a socket write per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    yield buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(v) if isinstance(v, str) else v for v in row] for row in batch)
        yield buffer.getvalue()


def feature_batches(metadata: Mapping[str, Any], batches: Iterable[list[Any]]) -> Iterator[str]:
    """A GeoJSON FeatureCollection as text chunks, one batch of features at a time; the
    same text as `feature_collection`."""
    yield '{"type": "FeatureCollection", "metadata": ' + json.dumps(metadata)
    yield ', "features": ['
    first = True
    for batch in batches:
        if batch:
            yield ("" if first else ", ") + json.dumps(batch)[1:-1]
            first = False
    yield "]}"


def feature_collection(metadata: Mapping[str, Any], features: Iterable[Any]) -> Iterator[str]:
    """A GeoJSON FeatureCollection as text chunks, one feature at a time."""
    yield '{"type": "FeatureCollection", "metadata": ' + json.dumps(metadata)
    yield ', "features": ['
    for index, feature in enumerate(features):
        yield ("" if index == 0 else ", ") + json.dumps(feature)
    yield "]}"


def _geometry(geometry: Any) -> Any:
    import shapely.geometry

    return shapely.geometry.mapping(geometry) if geometry is not None else None


def _point(lonlat: tuple[float, float] | None) -> dict[str, Any] | None:
    return {"type": "Point", "coordinates": list(lonlat)} if lonlat else None


def _streaming_session() -> Session:
    """A session of its own for a streamed download: the body is written after the request
    (and its session) ended, so it needs no request context; `_closing` closes it."""
    return current_app.extensions["planning_sv.db"].Session()


def _closing(body: Iterable[str], session: Session) -> Iterator[str]:
    try:
        yield from body
    finally:
        session.close()  # also when the client goes away (the server closes the iterator)


def _download(body: Iterable[str], fmt: str, filename: str) -> Response:
    response = Response(body, mimetype=DOWNLOAD_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = DOWNLOAD_TYPES[fmt]
    response.headers["Content-Disposition"] = attachment(filename)
    return response


# --- pages ----------------------------------------------------------------------------------


@bp.get("")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    return render_template("public/index.html", councils=assessor().councils())


@bp.get("/<council>/wards")
@allow(PUBLIC)
@public_page()
def wards(council: str) -> ResponseReturnValue:
    filters = _filters()
    figure = _figure()
    plan, figures = _council_figures(council, filters)
    delivery = ward_popup_rows(council)
    display = services().display_wards(plan.boundary_vintage, plan.lad_code)
    values = figures.values(figure.key)
    legend = maps.choropleth_bins(values.values(), fmt=lambda v: format_figure(figure.key, v))
    query = filters.as_query()
    m = maps.ward_map(
        display,
        values,
        value_label=f"{figure.label} ({figure.unit_label})",
        format_value=lambda v: format_figure(figure.key, v),
        legend=legend,
        links=_ward_links(council, figures, query),
        # Monitored delivery (web/delivery.py): promised, due and verified delivered.
        extra_rows={w.code: _ward_popup_rows(w) + delivery.get(w.code, []) for w in figures.wards},
        aria_label=f"Map of {plan.name} wards shaded by {figure.label.lower()}",
        **maps.page_map_options(),
    )
    return render_template(
        "public/wards.html",
        plan=plan,
        council=council,
        figures=figures,
        figure=figure,
        figure_defs=queries.FIGURES,
        legend=legend,
        map=maps.render_parts(m, csp_nonce()),
        query=query,
        options=_filter_options(figures),
        not_reported=queries.DELIVERY_NOT_REPORTED,
        # Verified delivery where monitoring has any (web/delivery.py), else not reported.
        delivered=ward_table_delivered(council, figure, filters),
        sharing_basis=pf.SHARING_BASIS,
    )


@bp.get("/<council>/wards.<any(csv, geojson):fmt>")
@allow(PUBLIC)
@public_page(keep=False)
def wards_download(council: str, fmt: str) -> ResponseReturnValue:
    filters = _filters()
    plan, figures = _council_figures(council, filters)  # wards' aggregate rows only
    from planning_sv.web.delivery import ward_delivery_texts

    delivered = ward_delivery_texts(council, filters, assessor().measures)
    records = (ward_record(row, delivered.get(row.code)) for row in figures.wards)
    if fmt == "csv":
        return _download(csv_lines(WARD_COLUMNS, records), fmt, f"{council}-wards.{fmt}")
    geometries = _ward_geometries(plan)
    features = (
        {
            "type": "Feature",
            "id": row.code,
            "properties": ward_record(row, delivered.get(row.code)),
            "geometry": _geometry(geometries.get(row.code)),
        }
        for row in figures.wards
    )
    body = feature_collection(_metadata(figures, filters), features)
    return _download(body, fmt, f"{council}-wards.{fmt}")


def _ward_rows(council: str, ward_code: str) -> tuple[Any, CouncilFigures, WardRow, Any]:
    """The plan, the council's figures, the ward's row and the filters; 404 for no ward."""
    filters = _filters()
    plan, figures = _council_figures(council, filters)
    row = figures.ward(ward_code)
    if row is None:
        abort(404)
    return plan, figures, row, filters


@bp.get("/<council>/wards/<ward_code>")
@allow(PUBLIC)
@public_page()
def ward(council: str, ward_code: str) -> ResponseReturnValue:
    plan, figures, row, filters = _ward_rows(council, ward_code)
    query = filters.as_query()
    display = services().display_wards(plan.boundary_vintage, plan.lad_code)
    m = maps.ward_map(
        display,
        None,
        links=_ward_links(council, figures, query),
        highlight=ward_code,
        focus=ward_code,
        aria_label=f"Map of {row.name} ward with scheme sites and commitment locations",
        **maps.page_map_options(),
    )
    page = _page()
    schemes: list[SchemeInWard]
    schemes, listed = queries.ward_schemes(
        db_session(),
        council,
        ward_code,
        filters,
        assessor().measures,
        offset=(page - 1) * SCHEMES_PER_PAGE,
        limit=SCHEMES_PER_PAGE,
    )
    pages = max(1, -(-listed // SCHEMES_PER_PAGE))
    if page > pages:
        abort(404)
    lines = [line for scheme in schemes for line in scheme.lines]
    sites = [
        maps.MapPoint(
            lat=s.site_point[1],
            lon=s.site_point[0],
            title=f"Site: {s.reference}",
            rows=[
                ("Address", s.address or "not given"),
                ("Approved", format_date(s.approved_on) if s.approved_on else "not known"),
            ],
        )
        for s in schemes
        if s.site_point and s.sited
    ]
    points = [
        maps.MapPoint(
            lat=line.point[1],
            lon=line.point[0],
            title=f"{line.measure_label} ({line.reference})",
            rows=[
                ("Promised", format_quantity(line.quantity, line.unit, line.unit_label)),
                ("Status", line.status_label),
                *([("Description", line.description)] if line.description else []),
            ],
        )
        for line in lines
        if line.point is not None
    ]
    if sites:
        maps.point_layer(m, sites, name="Scheme sites", colour=SITE_COLOUR, radius=9)
    if points:
        maps.point_layer(m, points, name="Commitments", colour=COMMITMENT_COLOUR, radius=6)
    return render_template(
        "public/ward.html",
        plan=plan,
        council=council,
        figures=figures,
        row=row,
        schemes=schemes,
        lines=lines,
        listed=listed,
        page=page,
        pages=pages,
        first=(page - 1) * SCHEMES_PER_PAGE + 1,
        figure_defs=queries.FIGURES,
        map=maps.render_parts(m, csp_nonce()),
        query=query,
        options=_filter_options(figures),
        not_reported=queries.DELIVERY_NOT_REPORTED,
        delivered=line_delivered(council, row.code, lines),
        sharing_basis=pf.SHARING_BASIS,
        site_colour=SITE_COLOUR,
        commitment_colour=COMMITMENT_COLOUR,
        has_sites=bool(sites),
        has_points=bool(points),
    )


@bp.get("/<council>/wards/<ward_code>.<any(csv, geojson):fmt>")
@allow(PUBLIC)
@public_page(keep=False)
def ward_download(council: str, ward_code: str, fmt: str) -> ResponseReturnValue:
    plan, figures, row, filters = _ward_rows(council, ward_code)
    measures = assessor().measures
    geometry = _ward_geometries(plan).get(ward_code) if fmt == "geojson" else None
    session = _streaming_session()
    batches = queries.ward_line_batches(session, council, ward_code, filters, measures)

    def with_delivered(batch: Sequence[Any]) -> list[tuple[Any, str | None]]:
        lines = plain_rows(batch)
        found = _delivered_in(council, ward_code, lines, session)
        return [(line, found.get(_line_key(line))) for line in lines]

    if fmt == "csv":
        rows = (
            [line_values(line, done) for line, done in with_delivered(batch)] for batch in batches
        )
        body = _closing(csv_batches(LINE_COLUMNS, rows), session)
        return _download(body, fmt, f"{council}-{ward_code}.{fmt}")

    from planning_sv.web.delivery import ward_delivery_texts

    # The ward's own feature only (the CSV has no ward row): a council-wide read of reports.
    ward_delivered = ward_delivery_texts(council, filters, measures).get(ward_code)

    def features() -> Iterator[list[dict[str, Any]]]:
        yield [
            {
                "type": "Feature",
                "id": ward_code,
                "properties": {"kind": "ward", **ward_record(row, ward_delivered)},
                "geometry": _geometry(geometry),
            }
        ]
        for batch in batches:
            yield [
                {
                    "type": "Feature",
                    "properties": {"kind": "commitment", **line_record(line, done)},
                    "geometry": _point(_row_point(line)),
                }
                for line, done in with_delivered(batch)
            ]
        sites = queries.iter_ward_sites(session, council, ward_code, filters, measures)
        yield [
            {
                "type": "Feature",
                "properties": {
                    "kind": "site",
                    "application_reference": site.reference,
                    "address": site.address or "",
                },
                "geometry": _point((site.site_lon, site.site_lat)),
            }
            for site in sites
        ]

    body = _closing(feature_batches(_metadata(figures, filters), features()), session)
    return _download(body, fmt, f"{council}-{ward_code}.{fmt}")


# --- find my ward: a postcode to its ward page --------------------------------------------


class PostcodeProblem(ValueError):
    """A postcode the search cannot take to a ward page (shown against the field)."""


def ward_for_postcode(text: str) -> tuple[str, str]:
    """(council, ward code) of the ward a postcode lies in, among the councils with pages.

    Raises PostcodeProblem with a message for the resident that names the field."""
    from planning_sv.core.geo.postcodes import looks_like_postcode, normalise_postcode

    raw = (text or "").strip()
    if not raw:
        raise PostcodeProblem("Enter a postcode")
    if len(raw) > 10 or not looks_like_postcode(raw):
        raise PostcodeProblem("Enter a full postcode, like N19 5RQ")
    postcode = normalise_postcode(raw)
    geo = _geo()
    point = geo.postcodes.lookup(postcode)
    if point is None:
        raise PostcodeProblem(
            f"We cannot find the postcode {postcode}: check it and enter it again"
        )
    plans = assessor().plans
    for code in assessor().councils():
        plan = plans[code]
        wards = geo.council(plan.boundary_vintage, plan.lad_code)
        index = int(wards.locator.locate(np.array([point.lon]), np.array([point.lat]))[0])
        if index >= 0:
            return code, str(wards.codes[index])
    names = " or ".join(assessor().councils().values())
    elsewhere = geo.council_at(point.lon, point.lat)
    where = f" It is in {elsewhere[1]}." if elsewhere else ""
    raise PostcodeProblem(
        f"The postcode {postcode} is not in {names}.{where} Enter a postcode in one of "
        "these councils"
    )


def _find_ward_page(error: str | None, value: str, status: int) -> ResponseReturnValue:
    return (
        render_template(
            "public/find_ward.html", error=error, value=value, councils=assessor().councils()
        ),
        status,
    )


@bp.get("/find-your-ward")
@allow(PUBLIC)
def find_ward() -> ResponseReturnValue:
    """The postcode search: a form, then a redirect to the ward page (GET, so the result
    can be bookmarked); a postcode it cannot use is a 400 with the reason at the field."""
    if "postcode" not in request.args:
        return _find_ward_page(None, "", 200)
    value = request.args.get("postcode", "")
    try:
        council, ward_code = ward_for_postcode(value)
    except PostcodeProblem as exc:
        return _find_ward_page(str(exc), value[:20], 400)
    return redirect(url_for(".ward", council=council, ward_code=ward_code), code=303)


# --- approved schemes: a list and a page for each ------------------------------------------


@bp.get("/<council>/schemes")
@allow(PUBLIC)
@public_page()
def schemes(council: str) -> ResponseReturnValue:
    plan = _plan(council)
    page = _page()
    found, total = queries.list_schemes(
        db_session(), council, offset=(page - 1) * SCHEMES_PER_PAGE, limit=SCHEMES_PER_PAGE
    )
    pages = max(1, -(-total // SCHEMES_PER_PAGE))
    if page > pages:
        abort(404)
    names = _geo().ward_names(plan.boundary_vintage, plan.lad_code)
    rows = [
        {
            "scheme": s,
            "site_wards": [names[w.code] for w in s.site_wards if w.code in names],
        }
        for s in found
    ]
    return render_template(
        "public/schemes.html",
        plan=plan,
        council=council,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * SCHEMES_PER_PAGE + 1,
    )


@bp.get("/<council>/schemes/<int:scheme_id>")
@allow(PUBLIC)
@public_page()
def scheme(council: str, scheme_id: int) -> ResponseReturnValue:
    """One approved scheme: what was promised, where, ward by ward, with its map and a
    table beside the map giving the same £ per ward."""
    plan = _plan(council)
    found = queries.scheme(db_session(), council, scheme_id)
    if found is None:
        abort(404)
    names = _geo().ward_names(plan.boundary_vintage, plan.lad_code)
    by_ward = pf.scheme_by_ward(found, names)
    values = {row.code: row.gbp for row in by_ward}
    legend = maps.choropleth_bins(values.values(), fmt=format_gbp)
    display = services().display_wards(plan.boundary_vintage, plan.lad_code)
    links = {code: url_for(".ward", council=council, ward_code=code) for code in names}
    m = maps.ward_map(
        display,
        values,
        value_label="Social value from this scheme",
        format_value=format_gbp,
        legend=legend,
        links=links,
        aria_label=f"Map of {plan.name} wards shaded by the social value of {found.reference}",
        **maps.page_map_options(),
    )
    if found.site_point is not None:
        maps.point_layer(
            m,
            [
                maps.MapPoint(
                    lat=found.site_point[1],
                    lon=found.site_point[0],
                    title=f"Site: {found.reference}",
                    rows=[("Address", found.address or "not given")],
                )
            ],
            name="Scheme sites",
            colour=SITE_COLOUR,
            radius=9,
        )
    points = [
        maps.MapPoint(
            lat=line.point[1],
            lon=line.point[0],
            title=line.measure_label,
            rows=[("Promised", format_quantity(line.quantity, line.unit, line.unit_label))],
        )
        for line in found.lines
        if line.point is not None and not line.borough_wide
    ]
    if points:
        maps.point_layer(m, points, name="Commitments", colour=COMMITMENT_COLOUR, radius=6)
    lines = [
        {
            "line": line,
            "promised": format_quantity(line.quantity, line.unit, line.unit_label),
            "where": pf.line_place(line, len(names)),
        }
        for line in found.lines
    ]
    return render_template(
        "public/scheme.html",
        plan=plan,
        council=council,
        scheme=found,
        lines=lines,
        by_ward=by_ward,
        legend=legend,
        map=maps.render_parts(m, csp_nonce()),
        sharing_basis=pf.SHARING_BASIS,
        has_points=bool(points),
        site_colour=SITE_COLOUR,
        commitment_colour=COMMITMENT_COLOUR,
        not_reported=queries.DELIVERY_NOT_REPORTED,
    )


# --- about the service: methodology, accessibility, privacy ---------------------------------
# Site-wide pages (not under /councils): added to the app when the blueprint registers, with
# endpoints in this blueprint ("public.methodology" …) so the footer, the route matrix and
# the authorisation policy treat them as public pages.


def _data_sources() -> list[dict[str, str]]:
    """The open datasets the figures rest on, once per title (no file names: readers need
    the publisher, the licence and where to find it)."""
    from planning_sv.datasets import manifest

    seen: dict[str, dict[str, str]] = {}
    for dataset in manifest().datasets:
        if not dataset.required:
            continue
        title = dataset.title.split(",")[0].strip()
        seen.setdefault(
            title,
            {
                "title": title,
                "publisher": dataset.publisher,
                "licence": dataset.licence,
                "licence_url": dataset.licence_url,
                "url": dataset.official_url or "",
            },
        )
    return list(seen.values())


def _value_sources() -> list[dict[str, Any]]:
    """Each council's value set in force: £ per unit of each valued measure, its source,
    price year and licence."""
    from planning_sv.store import value_sets

    measures = assessor().measures
    out = []
    for code, name in assessor().councils().items():
        chosen = value_sets.chosen(db_session(), code)
        rows = []
        for row in chosen.rows:
            measure = measures.get(row.measure)
            unit_label = measure.units.get(row.unit, row.unit) if measure else row.unit
            rows.append(
                {
                    "measure": measure.label if measure else row.measure,
                    "per": singular_unit(row.unit, unit_label),
                    "gbp": format_gbp(row.gbp_per_unit),
                    "price_year": row.price_year,
                    "source": row.source,
                    "url": row.url if str(row.url).startswith(("https://", "http://")) else "",
                    "licence": LICENCE_NAMES.get(row.licence, row.licence),
                }
            )
        out.append({"council": name, "title": chosen.title or chosen.name, "rows": rows})
    return out


LICENCE_NAMES = {
    "OGL-UK-3.0": "Open Government Licence v3.0",
    "CC-BY-4.0": "Creative Commons Attribution 4.0",
}


def singular_unit(unit: str, label: str) -> str:
    """'per apprenticeship week', 'per £1 spent'."""
    from planning_sv.core.figures import singular_label

    if unit == "gbp":
        return f"per £1 {label.replace('£', '').strip()}".rstrip()
    return f"per {singular_label(label)}"


@allow(PUBLIC)
def methodology() -> ResponseReturnValue:
    return render_template(
        "public/methodology.html",
        councils=assessor().councils(),
        sharing_basis=pf.SHARING_BASIS,
        data_sources=_data_sources(),
        value_sources=_value_sources(),
        attribution=ATTRIBUTION,
    )


@allow(PUBLIC)
def accessibility() -> ResponseReturnValue:
    return render_template("public/accessibility.html")


@allow(PUBLIC)
def privacy() -> ResponseReturnValue:
    return render_template("public/privacy.html")


@bp.record_once
def _about_pages(state: Any) -> None:
    for path, view in (
        ("/methodology", methodology),
        ("/accessibility", accessibility),
        ("/privacy", privacy),
    ):
        state.app.add_url_rule(path, f"public.{view.__name__}", view, methods=["GET"])
