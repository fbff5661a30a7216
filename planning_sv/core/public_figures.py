"""Public figures: where the social value of APPROVED schemes lands, ward by ward.

Pure (no database, no Flask). Everything here is computed from typed assessment records
(`core.assessment.AssessmentRecord`) and the measures catalogue (`core.measures`):

* `public_scheme(record, ...)` -> `PublicScheme`: the public facts of one approved scheme
  (no applicant details): its site's wards, and each commitment with its ward parts, £ from
  the valuer's own per-ward split (never re-derived as total × share) and each quantity
  figure converted by the catalogue (`Measure.convert`).
* `scheme_in_wards(scheme, selection)` -> the scheme's part in each ward it reaches, under
  the public filters: sited there, commitments placed there, or only a population share of
  borough-wide commitments (kept apart: `schemes_shared`).
* `contributions(scheme)` -> what the scheme adds to every (ward, year, filter) cell of the
  stored aggregates; the store adds it on approval and subtracts it when that changes, so
  pages read pre-computed rows instead of every record.
* `council_figures(...)` -> per-ward rows with £ per resident and the council's totals, each
  ward's borough-wide share kept apart from what is located in it (`WardRow.shared`).
* `approval_date(events)` -> the date of the latest transition into "approved".

Delivery monitoring does not exist yet: every "delivered" figure is 0 and labelled
"not yet reported"; `delivery_status()` is the one place that changes when it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict

from planning_sv.core.assessment import AssessmentRecord, CommitmentOut
from planning_sv.core.measures import ConversionError, Measure

PUBLIC_STATUS = "approved"  # core.workflow.Status.APPROVED
DELIVERY_NOT_REPORTED = "not yet reported"
# Delivery status of a commitment (the `status` filter). Until delivery monitoring exists
# every approved commitment is "promised" with delivery not yet reported.
DELIVERY_STATUSES: dict[str, str] = {
    "not_reported": "Promised, delivery not yet reported",
    "delivered": "Delivered (verified)",
}
# Placement methods whose point is where the commitment happens (drawn on the ward map);
# the others carry only a representative point of a ward or of the borough.
POINT_METHODS = frozenset({"postcode", "point", "easting_northing"})
UNKNOWN_YEAR = 0  # stored year of a scheme without an approval date (never in practice)
# Stored cells of borough-wide shares only: the selection's filter key with this suffix.
# A ward's figures are stored twice per selection, all lines and borough-wide lines only, so
# the pages can show what is located in the ward apart from its population share of
# borough-wide commitments without reading every line.
SHARED_SUFFIX = "|shared"
# How borough-wide commitments are divided between wards (the valuer's and placement's
# split), stated wherever a shared figure is shown.
SHARING_BASIS = (
    "Commitments for the whole borough are divided between its wards in proportion to each "
    "ward's population (ONS mid-2020 estimates)."
)


@dataclass(frozen=True)
class FigureDef:
    """A figure the map can shade by: a sum of £ or of one measure's quantity, or £/resident."""

    key: str
    label: str
    unit_label: str
    measure: str | None = None  # quantity figures: the measure counted
    unit: str | None = None  # ... in this unit (other units converted by the catalogue)
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
QUANTITY_FIGURES = tuple(k for k, f in FIGURES.items() if f.kind == "quantity")


def delivery_status(_line: Any) -> str:
    """A commitment's delivery status; always "not reported" until monitoring is built."""
    return "not_reported"


def publishable(status: str) -> bool:
    """Only approved statements reach the public pages (never submitted, withdrawn …)."""
    return status == PUBLIC_STATUS


def per_resident(gbp: float | None, population: int | None) -> float | None:
    """£ per resident: None where the population is not known (never divided by 0)."""
    if gbp is None or not population:
        return None
    return gbp / population


def approval_date(events: Iterable[tuple[str | None, dt.datetime | None]]) -> dt.date | None:
    """The date of the latest transition INTO approved among (to_status, at) audit events.

    Later events (a note, a heads-of-terms issue) and earlier ones (submission, sign-off)
    are not the approval."""
    approvals = [at for to_status, at in events if to_status == PUBLIC_STATUS and at is not None]
    return max(approvals).date() if approvals else None


# --- the public facts of one approved scheme ------------------------------------------------


class _Facts(BaseModel):
    # Frozen and strict-keyed: stored as JSON beside the scheme's rows, to subtract exactly
    # what was added when the scheme's figures change.
    model_config = ConfigDict(frozen=True, extra="forbid")


class WardPart(_Facts):
    code: str
    name: str
    share: float  # of the commitment's quantity (the placement's share)
    gbp: float | None = None  # the valuer's £ in this ward (None: not valued)


class PublicLine(_Facts):
    """One approved commitment as the public sees it, with its parts in each ward."""

    commitment_id: str
    measure: str
    measure_label: str
    theme: str
    quantity: float
    unit: str
    unit_label: str
    description: str | None = None
    borough_wide: bool
    gbp: float | None  # the whole commitment's £ (None: not valued)
    status: str
    point: tuple[float, float] | None = None  # lon, lat where the commitment happens
    # The whole commitment in each quantity figure's unit (absent: another measure, or a
    # unit the catalogue cannot convert: not counted rather than guessed).
    amounts: dict[str, float] = {}
    wards: tuple[WardPart, ...] = ()


class PublicScheme(_Facts):
    """An approved statement: the public facts only (no applicant details)."""

    statement_id: int
    council: str
    reference: str
    address: str | None = None
    approved_on: dt.date | None = None
    site_wards: tuple[WardPart, ...] = ()
    site_point: tuple[float, float] | None = None
    lines: tuple[PublicLine, ...] = ()

    @property
    def year(self) -> int:
        return self.approved_on.year if self.approved_on else UNKNOWN_YEAR

    @property
    def gbp(self) -> float:
        return sum(line.gbp or 0.0 for line in self.lines)


def figure_amounts(
    measure: Measure | None,
    measure_code: str,
    quantity: float,
    unit: str,
    on: dt.date | None = None,
) -> dict[str, float]:
    """The commitment in each quantity figure's unit, by the catalogue's conversions in force
    on `on` (the assessment date: the values its rules and valuation used)."""
    out: dict[str, float] = {}
    if measure is None:
        return out
    for key in QUANTITY_FIGURES:
        fig = FIGURES[key]
        if fig.measure != measure_code or fig.unit is None:
            continue
        try:
            out[key] = measure.convert(quantity, unit, fig.unit, on=on).value
        except ConversionError:
            continue  # not counted rather than guessed
    return out


def _line(
    commitment: CommitmentOut,
    record: AssessmentRecord,
    measures: Mapping[str, Measure],
    fallback_point: tuple[float, float] | None,
) -> PublicLine:
    measure = measures.get(commitment.measure)
    valued = record.valued(commitment.id)
    # The valuer's own split of the £ over wards; nothing is re-derived here.
    gbp_by_ward = {w.code: w.gbp for w in valued.wards} if valued is not None else {}
    total = commitment.value_gbp
    point: tuple[float, float] | None = None
    if commitment.method in POINT_METHODS and commitment.point and len(commitment.point) == 2:
        point = (commitment.point[0], commitment.point[1])
    elif commitment.point is None:
        point = fallback_point  # records stored before commitments carried their point
    return PublicLine(
        commitment_id=commitment.id,
        measure=commitment.measure,
        measure_label=measure.label if measure else commitment.measure,
        theme=measure.theme if measure else "",
        quantity=commitment.quantity,
        unit=commitment.unit,
        unit_label=measure.units.get(commitment.unit, commitment.unit)
        if measure
        else commitment.unit,
        description=commitment.description,
        borough_wide=commitment.method == "borough"
        or bool(valued is not None and valued.borough_wide),
        gbp=total,
        status=delivery_status(commitment),
        point=point,
        amounts=figure_amounts(
            measure, commitment.measure, commitment.quantity, commitment.unit, record.assessed_on
        ),
        wards=tuple(
            WardPart(
                code=w.code,
                name=w.name,
                share=w.share,
                gbp=(gbp_by_ward.get(w.code) or 0.0) if total is not None else None,
            )
            for w in commitment.wards
        ),
    )


def public_scheme(
    record: AssessmentRecord,
    *,
    statement_id: int,
    reference: str | None,
    address: str | None,
    approved_on: dt.date | None,
    measures: Mapping[str, Measure],
    fallback_points: Mapping[str, tuple[float, float]] | None = None,
) -> PublicScheme:
    """The public facts of an approved scheme from its typed assessment record.

    `fallback_points`: commitment id -> lon/lat from the submitted statement, used only for
    records stored before the record carried each commitment's point.
    """
    site = record.site
    site_point = (site.point[0], site.point[1]) if site.point and len(site.point) == 2 else None
    points = fallback_points or {}
    return PublicScheme(
        statement_id=statement_id,
        council=record.council,
        reference=record.application_reference or reference or f"Statement {statement_id}",
        address=address,
        approved_on=approved_on,
        site_wards=tuple(WardPart(code=w.code, name=w.name, share=w.share) for w in site.wards),
        site_point=site_point,
        lines=tuple(_line(c, record, measures, points.get(c.id)) for c in record.commitments),
    )


# --- the public filters as selections -------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The commitments the public filters keep (the year filter selects schemes, apart).

    At most one of measure/theme: `selection_for` folds a consistent pair into the measure.
    """

    status: str | None = None
    measure: str | None = None
    theme: str | None = None

    @property
    def filters_lines(self) -> bool:
        return bool(self.status or self.measure or self.theme)

    @property
    def status_key(self) -> str:
        return self.status or ""

    @property
    def filter_key(self) -> str:
        if self.measure:
            return f"measure:{self.measure}"
        if self.theme:
            return f"theme:{self.theme}"
        return ""

    def matches(self, line: PublicLine | LineInWard) -> bool:
        return (
            (self.status is None or line.status == self.status)
            and (self.measure is None or line.measure == self.measure)
            and (self.theme is None or line.theme == self.theme)
        )


EVERYTHING = Selection()


def selection_for(
    measures: Mapping[str, Measure],
    *,
    measure: str | None = None,
    theme: str | None = None,
    status: str | None = None,
) -> Selection | None:
    """The selection of the filters, or None when they exclude everything (a measure of
    another theme)."""
    if measure is not None and theme is not None:
        known = measures.get(measure)
        if known is None or known.theme != theme:
            return None
        theme = None
    return Selection(status=status, measure=measure, theme=theme)


def selections_of(scheme: PublicScheme) -> list[Selection]:
    """Every selection under which the scheme has something to show (the stored cells)."""
    statuses = [None, *sorted({line.status for line in scheme.lines})]
    line_filters = [
        Selection(),
        *(Selection(measure=m) for m in sorted({line.measure for line in scheme.lines})),
        *(Selection(theme=t) for t in sorted({line.theme for line in scheme.lines if line.theme})),
    ]
    out = []
    for status in statuses:
        for base in line_filters:
            selection = Selection(status=status, measure=base.measure, theme=base.theme)
            if not selection.filters_lines or any(selection.matches(x) for x in scheme.lines):
                out.append(selection)
    return out


def selection_keys(scheme: PublicScheme) -> list[str]:
    """`status|filter` keys of `selections_of` (stored, to filter a ward's scheme list)."""
    return [f"{s.status_key}|{s.filter_key}" for s in selections_of(scheme)]


# --- one scheme in each ward ----------------------------------------------------------------


@dataclass
class WardFigures:
    """Additive figures of a ward (or of one scheme in a ward): sums and counts only."""

    schemes: int = 0
    schemes_sited: int = 0  # the scheme's site is (partly) in the ward
    schemes_shared: int = 0  # reaching the ward only through borough-wide commitments
    commitments: int = 0
    gbp: float = 0.0
    quantities: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(QUANTITY_FIGURES, 0.0)
    )

    def add(self, other: WardFigures, sign: int = 1) -> None:
        self.schemes += sign * other.schemes
        self.schemes_sited += sign * other.schemes_sited
        self.schemes_shared += sign * other.schemes_shared
        self.commitments += sign * other.commitments
        self.gbp += sign * other.gbp
        for key in QUANTITY_FIGURES:
            self.quantities[key] = self.quantities.get(key, 0.0) + sign * other.quantities.get(
                key, 0.0
            )


@dataclass(frozen=True)
class LineInWard:
    """One commitment's part in one ward: what the ward page and its download list."""

    statement_id: int
    reference: str
    ward_code: str
    commitment_id: str
    measure: str
    measure_label: str
    theme: str
    quantity: float
    unit: str
    unit_label: str
    description: str | None
    borough_wide: bool
    gbp: float | None  # the whole commitment
    status: str
    point: tuple[float, float] | None
    ward_share: float
    ward_gbp: float | None  # None: not valued
    ward_quantity: float
    ward_amounts: Mapping[str, float] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES[self.status]


@dataclass(frozen=True)
class SchemeInWard:
    """A scheme's part in one ward under a selection."""

    statement_id: int
    reference: str
    address: str | None
    approved_on: dt.date | None
    ward_code: str
    ward_name: str
    sited: bool
    site_point: tuple[float, float] | None
    lines: tuple[LineInWard, ...] = ()

    @property
    def placed(self) -> bool:
        """Some commitment is placed in the ward itself (not only a borough-wide share)."""
        return any(not line.borough_wide for line in self.lines)

    @property
    def shared_only(self) -> bool:
        return not self.sited and not self.placed

    @property
    def gbp(self) -> float:
        return sum(line.ward_gbp or 0.0 for line in self.lines)

    def figures(self) -> WardFigures:
        return ward_figures(self.sited, self.lines)


def ward_figures(sited: bool, lines: tuple[LineInWard, ...]) -> WardFigures:
    """One scheme's figures in a ward: it counts once (as sited there, or as reaching it only
    by borough-wide shares), with each of its commitment lines there and their sums."""
    quantities = dict.fromkeys(QUANTITY_FIGURES, 0.0)
    gbp = 0.0
    placed = False
    for line in lines:
        gbp += line.ward_gbp or 0.0
        placed = placed or not line.borough_wide
        for key, amount in line.ward_amounts.items():
            quantities[key] += amount
    return WardFigures(
        schemes=1,
        schemes_sited=int(sited),
        schemes_shared=int(not sited and not placed),
        commitments=len(lines),
        gbp=gbp,
        quantities=quantities,
    )


def _in_ward(scheme: PublicScheme, line: PublicLine, part: WardPart) -> LineInWard:
    return LineInWard(
        statement_id=scheme.statement_id,
        reference=scheme.reference,
        ward_code=part.code,
        commitment_id=line.commitment_id,
        measure=line.measure,
        measure_label=line.measure_label,
        theme=line.theme,
        quantity=line.quantity,
        unit=line.unit,
        unit_label=line.unit_label,
        description=line.description,
        borough_wide=line.borough_wide,
        gbp=line.gbp,
        status=line.status,
        point=line.point,
        ward_share=part.share,
        ward_gbp=part.gbp if line.gbp is not None else None,
        ward_quantity=line.quantity * part.share,
        ward_amounts={key: amount * part.share for key, amount in line.amounts.items()},
    )


def scheme_in_wards(
    scheme: PublicScheme, selection: Selection = EVERYTHING
) -> dict[str, SchemeInWard] | None:
    """Ward code -> the scheme's part there, or None when the selection leaves it out.

    A scheme reaches a ward when its site lies there or one of its (selected) commitments
    has a share there; a ward outside the council is kept here and ignored by
    `council_figures`, which knows the council's wards.
    """
    lines = [line for line in scheme.lines if selection.matches(line)]
    if selection.filters_lines and not lines:
        return None
    names: dict[str, str] = {}
    sited: set[str] = set()
    for part in scheme.site_wards:
        if part.share > 0:
            sited.add(part.code)
            names.setdefault(part.code, part.name)
    parts: dict[str, list[LineInWard]] = {}
    for line in lines:
        for part in line.wards:
            if part.share <= 0:
                continue
            names.setdefault(part.code, part.name)
            parts.setdefault(part.code, []).append(_in_ward(scheme, line, part))
    return {
        code: SchemeInWard(
            statement_id=scheme.statement_id,
            reference=scheme.reference,
            address=scheme.address,
            approved_on=scheme.approved_on,
            ward_code=code,
            ward_name=name,
            sited=code in sited,
            site_point=scheme.site_point,
            lines=tuple(parts.get(code, ())),
        )
        for code, name in names.items()
    }


# --- stored aggregates: what one scheme contributes -----------------------------------------

# (ward code, approval year, status key, filter key) and (year, status key, filter key)
WardCell = tuple[str, int, str, str]
CouncilCell = tuple[int, str, str]


@dataclass
class Contributions:
    wards: dict[WardCell, WardFigures] = field(default_factory=dict)
    council: dict[CouncilCell, int] = field(default_factory=dict)  # schemes

    def add(self, other: Contributions, sign: int = 1) -> None:
        for key, figures in other.wards.items():
            self.wards.setdefault(key, WardFigures()).add(figures, sign)
        for key, count in other.council.items():
            self.council[key] = self.council.get(key, 0) + sign * count

    def selected(
        self, selection: Selection, year: int | None = None, *, shared: bool = False
    ) -> tuple[dict[str, WardFigures], int]:
        """Ward code -> figures summed over the years (or of one year) of a selection, and
        the number of schemes: what store/public_queries.py reads from the stored cells.
        `shared`: the borough-wide shares only (the cells under SHARED_SUFFIX)."""
        cells: dict[str, WardFigures] = {}
        wanted = selection.filter_key + (SHARED_SUFFIX if shared else "")
        for (code, cell_year, status_key, filter_key), figures in self.wards.items():
            if (status_key, filter_key) != (selection.status_key, wanted):
                continue
            if year is None or cell_year == year:
                cells.setdefault(code, WardFigures()).add(figures)
        schemes = sum(
            count
            for (cell_year, status_key, filter_key), count in self.council.items()
            if (status_key, filter_key) == (selection.status_key, selection.filter_key)
            and (year is None or cell_year == year)
        )
        return cells, schemes

    def years(self) -> list[int]:
        """Approval years with at least one scheme."""
        return sorted({y for (y, s, f), n in self.council.items() if (s, f) == ("", "") and n > 0})


def contributions(scheme: PublicScheme) -> Contributions:
    """What the scheme adds to every stored cell: one per ward it reaches, per selection."""
    out = Contributions()
    everything = scheme_in_wards(scheme) or {}  # each line's ward parts, built once
    for selection in selections_of(scheme):
        council_key = (scheme.year, selection.status_key, selection.filter_key)
        out.council[council_key] = out.council.get(council_key, 0) + 1
        # selections_of lists only selections the scheme has a commitment under, so this
        # is scheme_in_wards(scheme, selection) without building the parts again.
        for code, part in everything.items():
            lines = tuple(line for line in part.lines if selection.matches(line))
            if part.sited or lines:
                out.wards[(code, *council_key)] = ward_figures(part.sited, lines)
            shared = tuple(line for line in lines if line.borough_wide)
            if shared:
                # The same lines' borough-wide part alone, counted as one sharing scheme.
                key = (
                    code,
                    scheme.year,
                    selection.status_key,
                    selection.filter_key + SHARED_SUFFIX,
                )
                out.wards[key] = ward_figures(False, shared)
    return out


# --- a council's figures for the public pages -----------------------------------------------


@dataclass
class WardRow:
    code: str
    name: str
    population: int | None
    promised: dict[str, float | None]
    delivered: dict[str, float]
    schemes: int = 0
    schemes_sited: int = 0
    schemes_shared: int = 0
    commitments: int = 0
    # The borough-wide part of each summed figure (the ward's population share of
    # commitments for the whole borough), and how many schemes it comes from.
    shared: dict[str, float] = field(default_factory=dict)
    schemes_sharing: int = 0
    commitments_shared: int = 0

    def figure(self, key: str) -> float | None:
        return self.promised.get(key)

    @property
    def schemes_placed(self) -> int:
        """Schemes sited elsewhere with a commitment located in this ward."""
        return self.schemes - self.schemes_sited - self.schemes_shared

    def located(self, key: str) -> float | None:
        """A summed figure without the borough-wide share: what is located in the ward."""
        total = self.promised.get(key)
        if total is None or key not in SUM_FIGURES:
            return None
        return max(0.0, total - self.shared.get(key, 0.0))


@dataclass
class CouncilFigures:
    council: str
    council_name: str
    lad_code: str
    vintage: str
    wards: list[WardRow]
    schemes: int  # approved schemes matching the filters
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


def council_figures(
    *,
    council: str,
    council_name: str,
    lad_code: str,
    vintage: str,
    ward_names: Mapping[str, str],
    population: Mapping[str, int],
    cells: Mapping[str, WardFigures],
    schemes: int,
    years: Iterable[int] = (),
    shared_cells: Mapping[str, WardFigures] | None = None,
) -> CouncilFigures:
    """Per-ward rows (every ward of the council, by name) from the summed ward cells.

    £ per resident is the ward's £ over its population; the borough's totals are the sums
    over its wards (wards of other councils are left out) and its rate is the total £ over
    the borough's population.
    """
    rows = []
    for code, name in sorted(ward_names.items(), key=lambda kv: kv[1]):
        cell = cells.get(code, WardFigures())
        promised: dict[str, float | None] = {"gbp": cell.gbp}
        promised.update({key: cell.quantities.get(key, 0.0) for key in QUANTITY_FIGURES})
        pop = population.get(code)
        promised["gbp_per_resident"] = per_resident(cell.gbp, pop)
        delivered = dict.fromkeys(FIGURES, 0.0)
        share = (shared_cells or {}).get(code, WardFigures())
        shared = {"gbp": share.gbp}
        shared.update({key: share.quantities.get(key, 0.0) for key in QUANTITY_FIGURES})
        rows.append(
            WardRow(
                code=code,
                name=name,
                population=pop,
                promised={key: promised[key] for key in FIGURES},
                delivered=delivered,
                schemes=cell.schemes,
                schemes_sited=cell.schemes_sited,
                schemes_shared=cell.schemes_shared,
                commitments=cell.commitments,
                shared=shared,
                schemes_sharing=share.schemes,
                commitments_shared=share.commitments,
            )
        )
    borough_population = sum(population.get(code, 0) for code in ward_names) or None
    totals: dict[str, float | None] = {
        key: sum(row.promised[key] or 0.0 for row in rows) for key in SUM_FIGURES
    }
    totals["gbp_per_resident"] = per_resident(totals["gbp"], borough_population)
    return CouncilFigures(
        council=council,
        council_name=council_name,
        lad_code=lad_code,
        vintage=vintage,
        wards=rows,
        schemes=schemes,
        population=borough_population,
        totals=totals,
        years=sorted({y for y in years if y != UNKNOWN_YEAR}),
    )


def ward_schemes(
    parts: Iterable[SchemeInWard], selection: Selection, selected: Mapping[int, bool]
) -> list[SchemeInWard]:
    """The schemes a ward page lists under a selection, each with only its selected lines.

    `parts`: the ward's stored scheme parts (all lines); `selected`: statement id -> whether
    the scheme has any selected commitment anywhere (a sited scheme is listed when it does).
    """
    out = []
    for part in parts:
        if selection.filters_lines and not selected.get(part.statement_id, False):
            continue
        lines = tuple(line for line in part.lines if selection.matches(line))
        if not part.sited and not lines:
            continue
        out.append(replace(part, lines=lines))
    return out


# --- one scheme, ward by ward (the scheme page) -----------------------------------------------


@dataclass(frozen=True)
class SchemeWard:
    """What one approved scheme brings to one ward of its council: located there (its site,
    or commitments placed in the ward) apart from its population share of borough-wide ones."""

    code: str
    name: str
    sited: bool
    located: int  # commitments located in the ward
    shared: int  # borough-wide commitments shared to it
    gbp_located: float
    gbp_shared: float

    @property
    def gbp(self) -> float:
        return self.gbp_located + self.gbp_shared


def scheme_by_ward(scheme: PublicScheme, ward_names: Mapping[str, str]) -> list[SchemeWard]:
    """The scheme's part in each ward of the council (`ward_names`: code -> name), the site's
    wards first, then by £ located there, then by name."""
    rows = []
    for code, part in (scheme_in_wards(scheme) or {}).items():
        if code not in ward_names:
            continue  # a commitment outside the council: not on its pages
        located = [line for line in part.lines if not line.borough_wide]
        shared = [line for line in part.lines if line.borough_wide]
        rows.append(
            SchemeWard(
                code=code,
                name=ward_names[code],
                sited=part.sited,
                located=len(located),
                shared=len(shared),
                gbp_located=sum(line.ward_gbp or 0.0 for line in located),
                gbp_shared=sum(line.ward_gbp or 0.0 for line in shared),
            )
        )
    return sorted(rows, key=lambda r: (not r.sited, -r.gbp_located, -r.located, r.name))


def line_place(line: PublicLine, ward_count: int) -> str:
    """Where a commitment is delivered, in words: 'Holloway', 'Holloway (60%) and Hillrise
    (40%)', or 'the whole borough, divided between its 17 wards by population'."""
    if line.borough_wide:
        return f"the whole borough, divided between its {ward_count} wards by population"
    parts = [part for part in line.wards if part.share > 0]
    if not parts:
        return "outside the council"
    if len(parts) == 1:
        return parts[0].name
    named = [f"{part.name} ({part.share:.0%})" for part in parts]
    return ", ".join(named[:-1]) + " and " + named[-1]
