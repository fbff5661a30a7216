"""Public pages for ward councillors and residents: where the promised social value lands.

Anyone may read them (`@allow(PUBLIC)`); they show APPROVED statements only and never the
applicant's account details (see store/public_queries.py). Every page, table and download is
built from one `council_figures(...)` result, so they always agree.

    /councils                                   councils with public pages
    /councils/<council>/wards                   borough choropleth + table (?figure=…)
    /councils/<council>/wards.csv|.geojson      the same figures as downloads
    /councils/<council>/wards/<ward_code>       one ward: map, schemes, commitments, totals
    /councils/<council>/wards/<ward_code>.csv|.geojson

Filters (`measure`, `theme`, `status`, `year`) are query parameters shared by all of them; a
bad value is a 400 naming the parameter, an unknown council or ward a 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.geo.service import GeoService
from planning_sv.store import public_queries as pq
from planning_sv.web import assessor, csp_nonce, db_session, maps
from planning_sv.web.authz import PUBLIC, allow

bp = Blueprint("public", __name__, url_prefix="/councils")

DOWNLOAD_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}
SITE_COLOUR = "#d4351c"  # GOV.UK red
COMMITMENT_COLOUR = "#ffdd00"  # GOV.UK yellow


# --- helpers (kept small: the work is in store.public_queries and web.maps) ------------------


def _plan(council: str) -> Any:
    plan = assessor().plans.get(council)
    if plan is None:
        abort(404)
    return plan


def _geo() -> GeoService:
    return GeoService.from_data_dir()


def _filters() -> pq.PublicFilters:
    try:
        return pq.parse_filters(request.args, assessor().measures)
    except pq.BadFilter as exc:
        abort(400, description=f"Invalid query parameter '{exc.parameter}': {exc.message}")


def _figure() -> pq.FigureDef:
    try:
        return pq.parse_figure(request.args)
    except pq.BadFilter as exc:
        abort(400, description=f"Invalid query parameter '{exc.parameter}': {exc.message}")


def _postcode_point(geo: GeoService) -> Any:
    def lookup(text: str) -> tuple[float, float] | None:
        point = geo.postcodes.lookup(text)
        return (float(point.lon), float(point.lat)) if point is not None else None

    return lookup


def _council_figures(council: str, filters: pq.PublicFilters) -> tuple[Any, pq.CouncilFigures]:
    plan = _plan(council)
    geo = _geo()
    figures = pq.council_figures(
        db_session(),
        council=council,
        council_name=plan.name,
        lad_code=plan.lad_code,
        vintage=plan.boundary_vintage,
        ward_names=geo.ward_names(plan.boundary_vintage, plan.lad_code),
        population=geo.ward_population(plan.lad_code),
        measures=assessor().measures,
        filters=filters,
        postcode_point=_postcode_point(geo),
    )
    return plan, figures


def _ward_geometries(plan: Any) -> dict[str, Any]:
    """Ward code -> boundary geometry, for the GeoJSON downloads."""
    frame = _geo().wards_frame(plan.boundary_vintage, plan.lad_code)
    return dict(zip(frame["code"], frame.geometry, strict=True))


def _ward_links(council: str, figures: pq.CouncilFigures, query: dict[str, Any]) -> dict[str, str]:
    """Ward code -> its ward page, keeping the filters in force."""
    return {
        w.code: url_for(".ward", council=council, ward_code=w.code, **query) for w in figures.wards
    }


def _map_options() -> dict[str, Any]:
    return {
        "tiles": maps.tiles_from_config(current_app.config),
        "leaflet_prefix": url_for("static", filename="vendor/leaflet/"),
    }


def format_figure(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if pq.FIGURES[key].kind == "gbp":
        return format_gbp(value)
    if pq.FIGURES[key].kind == "per_resident":
        return f"£{value:,.2f}"
    return maps.format_tenths(value)


def _filter_options(figures: pq.CouncilFigures) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for each filter select, in display order."""
    measures = assessor().measures
    return {
        "measure": sorted(((code, m.label) for code, m in measures.items()), key=lambda kv: kv[1]),
        "theme": [
            (theme, theme.capitalize()) for theme in sorted({m.theme for m in measures.values()})
        ],
        "status": list(pq.DELIVERY_STATUSES.items()),
        "year": [(str(year), str(year)) for year in figures.years],
    }


def _download(body: str, fmt: str, filename: str) -> Response:
    response = Response(body, mimetype=DOWNLOAD_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = DOWNLOAD_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.app_template_filter("figure")
def _figure_filter(value: float | None, key: str) -> str:
    return format_figure(key, value)


@bp.app_template_filter("public_number")
def _number_filter(value: float) -> str:
    return format_number(round(value, 2))


# --- pages ----------------------------------------------------------------------------------


@bp.get("")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    return render_template("public/index.html", councils=assessor().councils())


@bp.get("/<council>/wards")
@allow(PUBLIC)
def wards(council: str) -> ResponseReturnValue:
    filters = _filters()
    figure = _figure()
    plan, figures = _council_figures(council, filters)
    display = maps.display_wards(_geo(), plan.boundary_vintage, plan.lad_code)
    values = figures.values(figure.key)
    legend = maps.choropleth_bins(values.values(), fmt=lambda v: format_figure(figure.key, v))
    query = figures.filters.as_query()
    m = maps.ward_map(
        display,
        values,
        value_label=f"{figure.label} ({figure.unit_label})",
        format_value=lambda v: format_figure(figure.key, v),
        legend=legend,
        links=_ward_links(council, figures, query),
        extra_rows={
            w.code: [("Approved schemes", str(w.schemes)), ("Delivered", pq.DELIVERY_NOT_REPORTED)]
            for w in figures.wards
        },
        aria_label=f"Map of {plan.name} wards shaded by {figure.label.lower()}",
        **_map_options(),
    )
    return render_template(
        "public/wards.html",
        plan=plan,
        council=council,
        figures=figures,
        figure=figure,
        figure_defs=pq.FIGURES,
        legend=legend,
        map=maps.render_parts(m, csp_nonce()),
        query=query,
        options=_filter_options(figures),
        not_reported=pq.DELIVERY_NOT_REPORTED,
    )


@bp.get("/<council>/wards.<any(csv, geojson):fmt>")
@allow(PUBLIC)
def wards_download(council: str, fmt: str) -> ResponseReturnValue:
    filters = _filters()
    plan, figures = _council_figures(council, filters)
    if fmt == "csv":
        body = pq.wards_csv(figures)
    else:
        body = pq.wards_geojson(figures, _ward_geometries(plan))
    return _download(body, fmt, f"{council}-wards.{fmt}")


@bp.get("/<council>/wards/<ward_code>")
@allow(PUBLIC)
def ward(council: str, ward_code: str) -> ResponseReturnValue:
    filters = _filters()
    plan, figures = _council_figures(council, filters)
    row = figures.ward(ward_code)
    if row is None:
        abort(404)
    query = figures.filters.as_query()
    display = maps.display_wards(_geo(), plan.boundary_vintage, plan.lad_code)
    m = maps.ward_map(
        display,
        None,
        links=_ward_links(council, figures, query),
        highlight=ward_code,
        focus=ward_code,
        aria_label=f"Map of {row.name} ward with scheme sites and commitment locations",
        **_map_options(),
    )
    schemes = figures.schemes_in(ward_code)
    lines = figures.lines_in(ward_code)
    sites = [
        maps.MapPoint(
            lat=s.site_point[1],
            lon=s.site_point[0],
            title=f"Site: {s.reference}",
            rows=[
                ("Address", s.address or "not given"),
                ("Approved", s.approved_on.isoformat() if s.approved_on else ""),
            ],
        )
        for s in schemes
        if s.site_point and any(w["code"] == ward_code for w in s.site_wards)
    ]
    points = [
        maps.MapPoint(
            lat=line.point[1],
            lon=line.point[0],
            title=f"{line.measure_label} ({line.reference})",
            rows=[
                ("Promised", f"{format_number(line.quantity)} {line.unit_label}"),
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
        figure_defs=pq.FIGURES,
        map=maps.render_parts(m, csp_nonce()),
        query=query,
        options=_filter_options(figures),
        not_reported=pq.DELIVERY_NOT_REPORTED,
        site_colour=SITE_COLOUR,
        commitment_colour=COMMITMENT_COLOUR,
        has_sites=bool(sites),
        has_points=bool(points),
    )


@bp.get("/<council>/wards/<ward_code>.<any(csv, geojson):fmt>")
@allow(PUBLIC)
def ward_download(council: str, ward_code: str, fmt: str) -> ResponseReturnValue:
    filters = _filters()
    plan, figures = _council_figures(council, filters)
    if figures.ward(ward_code) is None:
        abort(404)
    if fmt == "csv":
        body = pq.ward_lines_csv(figures, ward_code)
    else:
        body = pq.ward_geojson(figures, ward_code, _ward_geometries(plan).get(ward_code))
    return _download(body, fmt, f"{council}-{ward_code}.{fmt}")
