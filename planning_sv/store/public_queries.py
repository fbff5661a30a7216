"""What the public pages show: committed figures per ward across a council's APPROVED statements.

One query (`council_figures`) feeds the borough map, its table, the ward pages and every
download, so the figures cannot disagree between them. Figures come from the stored
assessment@1 of each approved statement's latest submitted version: £ from the valuer's
per-commitment ward split (`social_value.commitments[].wards[].gbp`, borough-wide
commitments spread by ward population), quantities from the commitments' ward shares.

Delivery monitoring does not exist yet, so every "delivered" figure is 0 and labelled
"not yet reported" (`DELIVERY_NOT_REPORTED`); `delivery_status()` is the one place that
changes when it does.

Privacy: nothing here reads the statement's owner or any user row; the public outputs carry
the application reference, the site address and the commitments only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from planning_sv.core.workflow import Status
from planning_sv.store.models import AuditEvent, Statement, StatementVersion

PUBLIC_STATUS = Status.APPROVED.value
DELIVERY_NOT_REPORTED = "not yet reported"

# Delivery status of a commitment (the `status` filter). Until delivery monitoring exists
# every approved commitment is "promised" with delivery not yet reported.
DELIVERY_STATUSES: dict[str, str] = {
    "not_reported": "Promised, delivery not yet reported",
    "delivered": "Delivered (verified)",
}
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class FigureDef:
    """A figure the map can shade by: a sum of £ or of one measure's quantity, or £/resident."""

    key: str
    label: str
    unit_label: str
    measure: str | None = None  # quantity figures: the measure counted
    unit: str | None = None  # ... in this unit (other units converted when declared)
    kind: str = "quantity"  # gbp | quantity | per_resident


FIGURES: dict[str, FigureDef] = {
    f.key: f
    for f in (
        FigureDef("gbp", "Social value committed", "£", kind="gbp"),
        FigureDef(
            "gbp_per_resident", "Social value per resident", "£ per resident", kind="per_resident"
        ),
        FigureDef("jobs_fte_years", "Local jobs", "FTE-years", "local_employment", "fte_years"),
        FigureDef("apprenticeships", "Apprenticeships", "starts", "apprenticeship", "starts"),
        FigureDef("workspace_sqm", "Affordable workspace", "sqm", "affordable_workspace", "sqm"),
    )
}
SUM_FIGURES = tuple(k for k, f in FIGURES.items() if f.kind != "per_resident")


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
        if not year_text.isdigit() or not MIN_YEAR <= int(year_text) <= MAX_YEAR:
            raise BadFilter(
                "year", f"'{year_text}' is not a year between {MIN_YEAR} and {MAX_YEAR}"
            )
        year = int(year_text)
    return PublicFilters(measure=measure, theme=theme, status=status, year=year)


def parse_figure(args: Mapping[str, str]) -> FigureDef:
    """The figure the borough map is shaded by (`figure` parameter, default £)."""
    raw = (args.get("figure") or "").strip() or "gbp"
    if raw not in FIGURES:
        raise BadFilter("figure", f"unknown figure '{raw}'; use one of {', '.join(FIGURES)}")
    return FIGURES[raw]


# --- results --------------------------------------------------------------------------------


@dataclass
class CommitmentLine:
    """One approved commitment as the public sees it, with its part in one ward (if any)."""

    scheme_id: int
    reference: str
    commitment_id: str
    measure: str
    measure_label: str
    theme: str
    quantity: float
    unit: str
    unit_label: str
    description: str | None
    method: str | None
    borough_wide: bool
    wards: list[dict[str, Any]]  # code, name, share, gbp
    gbp: float | None  # the whole commitment's £ (None: not valued)
    status: str
    point: tuple[float, float] | None = None  # lon, lat where the statement gave one
    ward_share: float = 0.0
    ward_gbp: float | None = None
    ward_quantity: float = 0.0

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES[self.status]

    def in_ward(self, code: str) -> CommitmentLine | None:
        """A copy carrying this ward's share, or None when none of it lands there."""
        share = sum(w["share"] for w in self.wards if w["code"] == code)
        if share <= 0:
            return None
        gbp = sum((w.get("gbp") or 0.0) for w in self.wards if w["code"] == code)
        return replace(
            self,
            ward_share=share,
            ward_gbp=gbp if self.gbp is not None else None,
            ward_quantity=self.quantity * share,
        )


@dataclass
class Scheme:
    """An approved statement: the public facts only (no applicant details)."""

    id: int
    reference: str
    address: str | None
    approved_on: dt.date | None
    site_wards: list[dict[str, Any]]
    site_point: tuple[float, float] | None  # lon, lat
    lines: list[CommitmentLine] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return self.approved_on.year if self.approved_on else None

    @property
    def gbp(self) -> float:
        return sum(line.gbp or 0.0 for line in self.lines)


@dataclass
class WardRow:
    code: str
    name: str
    population: int | None
    promised: dict[str, float | None]
    delivered: dict[str, float]
    schemes: int = 0
    commitments: int = 0

    def figure(self, key: str) -> float | None:
        return self.promised.get(key)


@dataclass
class CouncilFigures:
    council: str
    council_name: str
    lad_code: str
    vintage: str
    filters: PublicFilters
    wards: list[WardRow]
    schemes: list[Scheme]
    population: int | None
    totals: dict[str, float | None]
    years: list[int] = field(default_factory=list)  # approval years of all approved schemes

    def ward(self, code: str) -> WardRow | None:
        return next((w for w in self.wards if w.code == code), None)

    def values(self, key: str) -> dict[str, float]:
        """Ward code -> the figure (0 where nothing is committed), for the map."""
        return {w.code: (w.promised.get(key) or 0.0) for w in self.wards}

    def average(self, key: str) -> float | None:
        """The borough's average ward (for sums) or the borough rate (for £ per resident)."""
        if FIGURES[key].kind == "per_resident":
            return self.totals.get(key)
        total = self.totals.get(key)
        return total / len(self.wards) if total is not None and self.wards else None

    def lines_in(self, code: str) -> list[CommitmentLine]:
        return [
            part
            for scheme in self.schemes
            for line in scheme.lines
            if (part := line.in_ward(code)) is not None
        ]

    def schemes_in(self, code: str) -> list[Scheme]:
        """Schemes with a (filtered) commitment in the ward or with their site there."""
        return [
            s
            for s in self.schemes
            if any(line.in_ward(code) for line in s.lines)
            or any(w["code"] == code for w in s.site_wards)
        ]


def delivery_status(_commitment: Mapping[str, Any]) -> str:
    """A commitment's delivery status; always "not reported" until monitoring is built."""
    return "not_reported"


def _convert(measure: Any, quantity: float, unit: str, target: str) -> float | None:
    """`quantity unit` in `target` units via the measure's declared conversion, else None."""
    if unit == target:
        return quantity
    conversions = getattr(measure, "conversions", {}) or {}
    conv = conversions.get(target)
    if conv is not None and conv.to == unit and conv.factor:
        return quantity / conv.factor
    conv = conversions.get(unit)
    if conv is not None and conv.to == target:
        return quantity * conv.factor
    return None


def _point(where: Any) -> tuple[float, float] | None:
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
    return None


def _approval_dates(session: Session, ids: list[int]) -> dict[int, dt.date]:
    if not ids:
        return {}
    rows = session.execute(
        select(AuditEvent.statement_id, func.max(AuditEvent.at))
        .where(AuditEvent.statement_id.in_(ids), AuditEvent.to_status == PUBLIC_STATUS)
        .group_by(AuditEvent.statement_id)
    )
    return {sid: at.date() for sid, at in rows if at is not None}


def load_schemes(
    session: Session,
    council: str,
    measures: Mapping[str, Any],
    *,
    postcode_point: Callable[[str], tuple[float, float] | None] | None = None,
) -> list[Scheme]:
    """Every approved statement of the council with its latest assessed version, unfiltered."""
    statements = list(
        session.scalars(
            select(Statement)
            .where(Statement.council == council, Statement.status == PUBLIC_STATUS)
            .options(selectinload(Statement.versions).selectinload(StatementVersion.assessment))
            .order_by(Statement.id)
        )
    )
    approved = _approval_dates(session, [s.id for s in statements])
    schemes = []
    for statement in statements:
        version = statement.latest_version
        if version is None or version.assessment is None:
            continue  # nothing assessed to publish
        data = version.assessment.data or {}
        submitted = version.data or {}
        wheres = {
            c.get("id"): c.get("where")
            for c in submitted.get("commitments", [])
            if isinstance(c, Mapping)
        }
        valued = {
            c.get("id"): c
            for c in ((data.get("social_value") or {}).get("commitments") or [])
            if isinstance(c, Mapping)
        }
        site = data.get("site") or {}
        site_point = site.get("point")
        reference = (
            data.get("application_reference")
            or statement.application_reference
            or f"Statement {statement.id}"
        )
        scheme = Scheme(
            id=statement.id,
            reference=str(reference),
            address=(submitted.get("site") or {}).get("address"),
            approved_on=approved.get(
                statement.id, statement.updated_at.date() if statement.updated_at else None
            ),
            site_wards=list(site.get("wards") or []),
            site_point=(float(site_point[0]), float(site_point[1])) if site_point else None,
        )
        for item in data.get("commitments") or []:
            measure = measures.get(item.get("measure"))
            value = valued.get(item.get("id")) or {}
            gbp_by_ward = {w.get("code"): w.get("gbp") for w in value.get("wards") or []}
            total_gbp = item.get("value_gbp")
            wards = [
                {
                    "code": w["code"],
                    "name": w.get("name", w["code"]),
                    "share": float(w.get("share") or 0.0),
                    # The valuer's own split; a commitment it did not split gets its share.
                    "gbp": gbp_by_ward.get(
                        w["code"], (total_gbp or 0.0) * float(w.get("share") or 0.0)
                    )
                    if total_gbp is not None
                    else None,
                }
                for w in item.get("wards") or []
            ]
            where = wheres.get(item.get("id"))
            point = item.get("point")
            lonlat = (float(point[0]), float(point[1])) if point else _point(where)
            if (
                lonlat is None
                and postcode_point
                and isinstance(where, Mapping)
                and where.get("postcode")
            ):
                lonlat = postcode_point(str(where["postcode"]))
            unit = str(item.get("unit") or "")
            scheme.lines.append(
                CommitmentLine(
                    scheme_id=statement.id,
                    reference=scheme.reference,
                    commitment_id=str(item.get("id")),
                    measure=str(item.get("measure")),
                    measure_label=measure.label if measure else str(item.get("measure")),
                    theme=measure.theme if measure else "",
                    quantity=float(item.get("quantity") or 0.0),
                    unit=unit,
                    unit_label=measure.units.get(unit, unit) if measure else unit,
                    description=item.get("description"),
                    method=item.get("method"),
                    borough_wide=item.get("method") == "borough" or bool(value.get("borough_wide")),
                    wards=wards,
                    gbp=float(total_gbp) if total_gbp is not None else None,
                    status=delivery_status(item),
                    point=lonlat,
                )
            )
        schemes.append(scheme)
    return schemes


def apply_filters(schemes: Iterable[Scheme], filters: PublicFilters) -> list[Scheme]:
    """Schemes approved in the year, each keeping only the commitments that match."""
    out = []
    for scheme in schemes:
        if filters.year is not None and scheme.year != filters.year:
            continue
        lines = [
            line
            for line in scheme.lines
            if (filters.measure is None or line.measure == filters.measure)
            and (filters.theme is None or line.theme == filters.theme)
            and (filters.status is None or line.status == filters.status)
        ]
        if (filters.measure or filters.theme or filters.status) and not lines:
            continue
        out.append(replace(scheme, lines=lines))
    return out


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
    postcode_point: Callable[[str], tuple[float, float] | None] | None = None,
) -> CouncilFigures:
    """Per-ward promised (and delivered) figures for the council's approved statements."""
    every = load_schemes(session, council, measures, postcode_point=postcode_point)
    schemes = apply_filters(every, filters)
    rows = {
        code: WardRow(
            code=code,
            name=name,
            population=population.get(code),
            promised={k: 0.0 for k in SUM_FIGURES},
            delivered={k: 0.0 for k in SUM_FIGURES},
        )
        for code, name in sorted(ward_names.items(), key=lambda kv: kv[1])
    }
    for scheme in schemes:
        seen: set[str] = {w["code"] for w in scheme.site_wards if w["code"] in rows}
        for line in scheme.lines:
            measure = measures.get(line.measure)
            for ward in line.wards:
                row = rows.get(ward["code"])
                if row is None or ward["share"] <= 0:
                    continue  # outside the council (e.g. a neighbouring borough's postcode)
                seen.add(row.code)
                row.commitments += 1
                row.promised["gbp"] = (row.promised["gbp"] or 0.0) + (ward.get("gbp") or 0.0)
                for key in SUM_FIGURES:
                    fig = FIGURES[key]
                    if fig.kind != "quantity" or fig.measure != line.measure or measure is None:
                        continue
                    assert fig.unit is not None
                    amount = _convert(measure, line.quantity, line.unit, fig.unit)
                    if amount is not None:
                        row.promised[key] = (row.promised[key] or 0.0) + amount * ward["share"]
        for code in seen:
            rows[code].schemes += 1
    for row in rows.values():
        gbp = row.promised["gbp"] or 0.0
        row.promised["gbp_per_resident"] = gbp / row.population if row.population else None
        row.delivered["gbp_per_resident"] = 0.0
    borough_population = sum(population.get(code, 0) for code in rows) or None
    totals: dict[str, float | None] = {
        k: sum(r.promised[k] or 0.0 for r in rows.values()) for k in SUM_FIGURES
    }
    totals["gbp_per_resident"] = (
        (totals["gbp"] or 0.0) / borough_population if borough_population else None
    )
    return CouncilFigures(
        council=council,
        council_name=council_name,
        lad_code=lad_code,
        vintage=vintage,
        filters=filters,
        wards=list(rows.values()),
        schemes=schemes,
        population=borough_population,
        totals=totals,
        years=sorted({s.year for s in every if s.year is not None}),
    )


# --- downloads ------------------------------------------------------------------------------

WARD_COLUMNS = (
    "ward_code",
    "ward_name",
    "population_mid2020",
    "schemes",
    "commitments",
    *(f"{key}_promised" for key in FIGURES),
    *(f"{key}_delivered" for key in FIGURES),
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


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def ward_record(row: WardRow) -> dict[str, Any]:
    """A ward's figures as a flat record (CSV row and GeoJSON properties)."""
    record: dict[str, Any] = {
        "ward_code": row.code,
        "ward_name": row.name,
        "population_mid2020": row.population,
        "schemes": row.schemes,
        "commitments": row.commitments,
    }
    for key in FIGURES:
        record[f"{key}_promised"] = _round(row.promised.get(key))
    for key in FIGURES:
        record[f"{key}_delivered"] = _round(row.delivered.get(key))
    record["delivery"] = DELIVERY_NOT_REPORTED
    return record


def line_record(line: CommitmentLine) -> dict[str, Any]:
    return {
        "application_reference": line.reference,
        "commitment_id": line.commitment_id,
        "measure": line.measure,
        "theme": line.theme,
        "quantity": line.quantity,
        "unit": line.unit,
        "share_in_ward": round(line.ward_share, 6),
        "quantity_in_ward": _round(line.ward_quantity, 4),
        "gbp_in_ward": _round(line.ward_gbp),
        "borough_wide": line.borough_wide,
        "status": line.status,
        "delivered": DELIVERY_NOT_REPORTED,
        "description": line.description or "",
    }


def _csv(columns: Iterable[str], records: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell("" if v is None else v) for k, v in record.items()})
    return buffer.getvalue()


def wards_csv(figures: CouncilFigures) -> str:
    return _csv(WARD_COLUMNS, (ward_record(row) for row in figures.wards))


def ward_lines_csv(figures: CouncilFigures, code: str) -> str:
    return _csv(LINE_COLUMNS, (line_record(line) for line in figures.lines_in(code)))


def _metadata(figures: CouncilFigures) -> dict[str, Any]:
    return {
        "council": figures.council,
        "lad_code": figures.lad_code,
        "boundary_vintage": figures.vintage,
        "filters": figures.filters.as_query(),
        "statements": f"{PUBLIC_STATUS} statements only",
        "delivered": DELIVERY_NOT_REPORTED,
        "attribution": "Contains National Statistics and OS data © Crown copyright and database right 2025",
    }


def wards_geojson(figures: CouncilFigures, geometries: Mapping[str, Any]) -> str:
    """FeatureCollection of the wards (full geometry, EPSG:4326) with their figures."""
    import shapely.geometry

    features = [
        {
            "type": "Feature",
            "id": row.code,
            "properties": ward_record(row),
            "geometry": shapely.geometry.mapping(geometries[row.code])
            if row.code in geometries
            else None,
        }
        for row in figures.wards
    ]
    return json.dumps(
        {"type": "FeatureCollection", "metadata": _metadata(figures), "features": features}
    )


def ward_geojson(figures: CouncilFigures, code: str, geometry: Any) -> str:
    """The ward with its figures, then one point per commitment and site placed by a point."""
    import shapely.geometry

    row = figures.ward(code)
    if row is None:
        raise KeyError(code)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"kind": "ward", **ward_record(row)},
            "geometry": shapely.geometry.mapping(geometry) if geometry is not None else None,
        }
    ]
    for line in figures.lines_in(code):
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "commitment", **line_record(line)},
                "geometry": {"type": "Point", "coordinates": list(line.point)}
                if line.point
                else None,
            }
        )
    for scheme in figures.schemes_in(code):
        if scheme.site_point and any(w["code"] == code for w in scheme.site_wards):
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "site",
                        "application_reference": scheme.reference,
                        "address": scheme.address or "",
                    },
                    "geometry": {"type": "Point", "coordinates": list(scheme.site_point)},
                }
            )
    return json.dumps(
        {"type": "FeatureCollection", "metadata": _metadata(figures), "features": features}
    )
