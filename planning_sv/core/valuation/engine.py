"""Social value in pounds: quantity × value per unit, with stacking rules and ward spreading.

`Valuer.value_statement()` takes a parsed statement, where each commitment landed
(`StatementPlacement`) and the council's plan, and returns a `SocialValue` whose `as_dict()`
is the `social_value` part of `planning-sv/assessment@1`.

Counting conventions applied (VALUATION.md): no double counting (a commitment that stacks
on another is capped, with the reason stated); a person in local employment may also count
under one disadvantaged-group measure, not two; disadvantaged-group employment counts the
first year only; record-only and unvalued commitments are listed, never dropped; local
economic value is reported separately from the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from planning_sv.config import DataDirMissing, data_dir
from planning_sv.core.geo.population import WARD_SUMMARY_FILE, read_ward_population
from planning_sv.core.measures import ConversionError, Measure, load_measures
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.statement import Commitment, Statement
from planning_sv.core.valuation.valuesets import (
    PriceIndex,
    ValueRow,
    ValueSet,
    load_indices,
    load_open_set,
    uprated,
)

POPULATION_FILE = WARD_SUMMARY_FILE
POPULATION_BASIS = (
    "borough-wide commitments are spread over the council's wards by ward population "
    "(ONS mid-2020 LSOA estimates, best-fit to 2025 wards)"
)


class WardValue(NamedTuple):
    """A commitment's £ in one ward: its placement share (of 1) and that share of its £."""

    code: str
    name: str
    share: float
    gbp: float


@dataclass
class CommitmentValue:
    """The value of one commitment and how it was reached."""

    id: str
    measure: str
    label: str
    theme: str
    quantity: float
    unit: str
    counted_quantity: float  # after stacking and first-year rules
    gbp: float | None  # None: not valued (record-only, or no row in the value set)
    valued_quantity: float | None = None  # in the row's unit, after any conversion
    valued_unit: str | None = None
    gbp_per_unit: float | None = None
    price_year: int | None = None
    row: ValueRow | None = None
    conversion: str = ""
    local: bool = False  # placed in the council's "local" area
    local_economic: bool = False  # counted in local_gbp
    capped: bool = False
    explanations: list[str] = field(default_factory=list)
    unvalued_reason: str | None = None
    wards: list[WardValue] = field(default_factory=list)
    borough_wide: bool = False

    def as_dict(self) -> dict[str, Any]:
        row = None
        if self.row is not None:
            row = self.row.as_dict()
        return {
            "id": self.id,
            "measure": self.measure,
            "label": self.label,
            "theme": self.theme,
            "quantity": self.quantity,
            "unit": self.unit,
            "counted_quantity": _round(self.counted_quantity, 4),
            "valued_quantity": _round(self.valued_quantity, 4),
            "valued_unit": self.valued_unit,
            "gbp_per_unit": _round(self.gbp_per_unit, 4),
            "price_year": self.price_year,
            "gbp": _round(self.gbp),
            "conversion": self.conversion or None,
            "local": self.local,
            "local_economic": self.local_economic,
            "capped": self.capped,
            "explanation": " ".join(self.explanations) or None,
            "row": row,
            "wards": [
                {"code": w.code, "name": w.name, "share": round(w.share, 6), "gbp": round(w.gbp, 2)}
                for w in self.wards
            ],
            "borough_wide": self.borough_wide,
        }


@dataclass
class SocialValue:
    value_set: dict[str, Any]
    commitments: list[CommitmentValue]
    total_gbp: float
    local_gbp: float
    by_ward: list[dict[str, Any]]
    by_theme: dict[str, float]
    build_cost_gbp: float
    unplaced_gbp: float
    notes: list[str]

    @property
    def per_million_build_cost(self) -> float | None:
        if self.build_cost_gbp <= 0:
            return None
        return self.total_gbp / (self.build_cost_gbp / 1_000_000)

    @property
    def commitment_values(self) -> dict[str, float | None]:
        return {c.id: c.gbp for c in self.commitments}

    @property
    def unvalued(self) -> list[CommitmentValue]:
        return [c for c in self.commitments if c.gbp is None]

    def as_dict(self) -> dict[str, Any]:
        price_years = sorted({c.price_year for c in self.commitments if c.price_year})
        return {
            "value_set": self.value_set,
            "currency": "GBP",
            "price_years": price_years,
            "total_gbp": _round(self.total_gbp),
            "local_gbp": _round(self.local_gbp),
            "by_ward": [
                {
                    "code": w["code"],
                    "name": w["name"],
                    "gbp": _round(w["gbp"]),
                    "borough_wide_gbp": _round(w["borough_wide_gbp"]),
                }
                for w in self.by_ward
            ],
            "by_ward_basis": (
                "commitments are spread over wards by their placement shares; " + POPULATION_BASIS
            ),
            "unplaced_gbp": _round(self.unplaced_gbp),
            "by_theme": {k: _round(v) for k, v in self.by_theme.items()},
            "build_cost_gbp": self.build_cost_gbp,
            "per_million_build_cost": _round(self.per_million_build_cost),
            "commitments": [c.as_dict() for c in self.commitments],
            "unvalued": [
                {
                    "id": c.id,
                    "measure": c.measure,
                    "label": c.label,
                    "quantity": c.quantity,
                    "unit": c.unit,
                    "reason": c.unvalued_reason,
                }
                for c in self.unvalued
            ],
            "notes": list(self.notes),
        }


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def population_shares(lad_code: str, path: Path | None = None) -> tuple[WardShare, ...]:
    """Ward shares of a council's population, for borough-wide commitments placed without
    wards. Empty when the data or the council is missing."""
    try:
        source = path or data_dir() / POPULATION_FILE
    except DataDirMissing:
        return ()
    if not Path(source).exists():
        return ()
    wards = read_ward_population(str(source)).get(lad_code, ())
    total = sum(ward.population for ward in wards)
    if total <= 0:
        return ()
    return tuple(WardShare(ward.code, ward.name, ward.population / total) for ward in wards)


def _years_of(commitment: Commitment, statement: Statement) -> float | None:
    """How many years a commitment's FTE-years are spread over, if the statement says."""
    if commitment.start_date and commitment.end_date:
        days = (commitment.end_date - commitment.start_date).days
        return max(days, 1) / 365.25
    months = statement.development.construction_months
    if commitment.phase == "construction" and months:
        return months / 12
    return None


class Valuer:
    """Values statements with a value set: the one passed in (the council's choice, which
    the store keeps), else `default_set` (the shipped open set)."""

    def __init__(
        self,
        measures: Mapping[str, Measure] | None = None,
        indices: Mapping[str, PriceIndex] | None = None,
        population_path: Path | None = None,
        default_set: ValueSet | None = None,
    ):
        self.measures = measures if measures is not None else load_measures()
        self.indices = indices if indices is not None else load_indices()
        self.population_path = population_path
        self.default_set = default_set or load_open_set()

    @classmethod
    def default(cls) -> Valuer:
        return cls()

    def value_statement(
        self,
        statement: Statement,
        placement: StatementPlacement,
        plan: Any,
        *,
        value_set: ValueSet | None = None,
        on: dt.date | None = None,
    ) -> SocialValue:
        """`on`: the assessment date, which picks the measures catalogue's dated unit
        conversions (default today), the same ones the rules use on that date."""
        lad_code = getattr(plan, "lad_code", None)
        vs = value_set or self.default_set
        notes: list[str] = []
        by_id = {c.id: c for c in statement.commitments}
        # Capacity used on each base commitment by each stacking group, in statement order.
        used: dict[tuple[str, str], list[tuple[str, float]]] = {}
        values: list[CommitmentValue] = []
        for commitment in statement.commitments:
            cv = self._value_one(commitment, statement, by_id, used, vs, on)
            self._place(cv, commitment, placement, lad_code, notes)
            values.append(cv)

        total = sum(c.gbp or 0.0 for c in values)
        local = sum(c.gbp or 0.0 for c in values if c.local_economic)
        by_theme: dict[str, float] = {}
        wards: dict[str, dict[str, Any]] = {}
        unplaced = 0.0
        for cv in values:
            if cv.gbp is None:
                continue
            by_theme[cv.theme] = by_theme.get(cv.theme, 0.0) + cv.gbp
            if not cv.wards:
                unplaced += cv.gbp
            for w in cv.wards:
                entry = wards.get(w.code)
                if entry is None:
                    entry = wards[w.code] = {
                        "code": w.code,
                        "name": w.name,
                        "gbp": 0.0,
                        "borough_wide_gbp": 0.0,
                    }
                entry["gbp"] += w.gbp
                if cv.borough_wide:
                    entry["borough_wide_gbp"] += w.gbp
        by_ward = sorted(wards.values(), key=lambda w: (-w["gbp"], w["name"]))
        years = {c.price_year for c in values if c.price_year}
        if len(years) > 1:
            notes.append(
                "values are in more than one price year ("
                + ", ".join(str(y) for y in sorted(years))
                + "): rows are summed as given unless the value set names a target year "
                "and an index to uprate them by"
            )
        return SocialValue(
            value_set=vs.summary(),
            commitments=values,
            total_gbp=total,
            local_gbp=local,
            by_ward=by_ward,
            by_theme=dict(sorted(by_theme.items(), key=lambda kv: -kv[1])),
            build_cost_gbp=float(statement.development.build_cost_gbp),
            unplaced_gbp=unplaced,
            notes=notes,
        )

    # --- one commitment -------------------------------------------------------------------

    def _value_one(
        self,
        commitment: Commitment,
        statement: Statement,
        by_id: Mapping[str, Commitment],
        used: dict[tuple[str, str], list[tuple[str, float]]],
        vs: ValueSet,
        on: dt.date | None = None,
    ) -> CommitmentValue:
        measure = self.measures.get(commitment.measure)
        cv = CommitmentValue(
            id=commitment.id,
            measure=commitment.measure,
            label=measure.label if measure else commitment.measure,
            theme=measure.theme if measure else "other",
            quantity=commitment.quantity,
            unit=commitment.unit,
            counted_quantity=commitment.quantity,
            gbp=None,
        )
        if measure is None:
            cv.unvalued_reason = f"unknown measure '{commitment.measure}'"
            return cv
        if not measure.valued:
            cv.unvalued_reason = "record-only measure: listed, not given a £ value"
            return cv
        if measure.stacking is not None:
            self._apply_stacking(cv, commitment, measure, statement, by_id, used)

        row = vs.row_for(measure.code, commitment.unit)
        quantity = cv.counted_quantity
        unit = commitment.unit
        # No row in the commitment's unit: another unit of the measure that has one, by the
        # catalogue's conversion (Measure.convert, as the rules and public figures use it).
        others = [
            other
            for other in measure.units
            if other != commitment.unit and measure.can_convert(commitment.unit, other)
        ]
        problem = ""
        for other in others if row is None else ():
            candidate = vs.row_for(measure.code, other)
            if candidate is None:
                continue
            try:
                converted = measure.convert(cv.counted_quantity, commitment.unit, other, on=on)
            except ConversionError as exc:
                problem = f" ({exc})"
                continue
            row, quantity, unit = candidate, converted.value, other
            cv.conversion = f"{commitment.unit} to {other}: {converted.basis_text}"
            break
        if row is None:
            tried = " or ".join([commitment.unit, *others])
            cv.unvalued_reason = (
                f"value set '{vs.name}' v{vs.version} has no value for '{measure.code}' in "
                f"{tried}{problem}; listed, not valued"
            )
            return cv
        per_unit, year, uprate_note = uprated(row, vs.target_price_year, self.indices)
        if uprate_note:
            cv.explanations.append(uprate_note + ".")
        cv.row = row
        cv.valued_quantity = quantity
        cv.valued_unit = unit
        cv.gbp_per_unit = per_unit
        cv.price_year = year
        cv.gbp = quantity * per_unit
        return cv

    def _apply_stacking(
        self,
        cv: CommitmentValue,
        commitment: Commitment,
        measure: Measure,
        statement: Statement,
        by_id: Mapping[str, Commitment],
        used: dict[tuple[str, str], list[tuple[str, float]]],
    ) -> None:
        rule = measure.stacking
        assert rule is not None
        # First year only: FTE-years spread over several years count one year's worth.
        if rule.first_year_only:
            if commitment.unit == "fte_years":
                years = _years_of(commitment, statement)
                if years is None:
                    cv.explanations.append(
                        "Disadvantaged-group employment counts the first year only; no dates "
                        "given, so all FTE-years are taken as falling in the first year."
                    )
                elif years > 1:
                    first = cv.counted_quantity / years
                    cv.explanations.append(
                        f"Disadvantaged-group employment counts the first year only: "
                        f"{cv.counted_quantity:g} FTE-years over {years:.2f} years gives "
                        f"{first:.4g} FTE-years in the first year."
                    )
                    cv.counted_quantity = first
                    cv.capped = True
            else:
                cv.explanations.append(
                    "Each person counts for their first year of employment only."
                )
        if commitment.stacks_on is None:
            if rule.kind == "additional":
                cv.explanations.append(
                    f"Not linked (stacks_on) to a {' or '.join(rule.stacks_on)} commitment: "
                    "counted on its own."
                )
            return
        base = by_id.get(commitment.stacks_on)
        if base is None or base.measure not in rule.stacks_on:
            cv.explanations.append(
                f"stacks_on '{commitment.stacks_on}' is not a "
                f"{' or '.join(rule.stacks_on)} commitment: counted on its own."
            )
            return
        if rule.kind == "subset":
            if base.unit != commitment.unit:
                cv.explanations.append(
                    f"Stacks on {base.id} in a different unit ({base.unit}): counted on its own."
                )
                return
            # Several subsets of one base share it: what earlier ones filled is not room.
            key = (base.id, rule.group)
            earlier = used.setdefault(key, [])
            room = max(0.0, base.quantity - sum(q for _, q in earlier))
            inside = min(cv.counted_quantity, room)
            above = cv.counted_quantity - inside
            earlier.append((cv.id, inside))
            if inside > 0:
                cv.capped = True
                cv.explanations.append(
                    f"Capped: {inside:,.2f} {base.unit} is already counted inside {base.id} "
                    f"({base.quantity:,.2f} {base.unit} of {base.measure}), so only the "
                    f"{above:,.2f} above it counts."
                )
            cv.counted_quantity = above
            return
        # kind "additional": the group's commitments on one base may not exceed the base.
        key = (base.id, rule.group)
        earlier = used.setdefault(key, [])
        taken = sum(q for _, q in earlier)
        room = max(0.0, base.quantity - taken)
        if cv.counted_quantity > room:
            before = cv.counted_quantity
            cv.counted_quantity = room
            cv.capped = True
            others = ", ".join(f"{cid} ({q:g})" for cid, q in earlier) or "none"
            cv.explanations.append(
                f"Capped from {before:g} to {room:g}: a person counted in {base.id} "
                f"({base.quantity:g} {base.unit} of {base.measure}) may also count under one "
                f"disadvantaged-group measure, not two; earlier commitments stacked on "
                f"{base.id}: {others}."
            )
        earlier.append((cv.id, cv.counted_quantity))

    def _place(
        self,
        cv: CommitmentValue,
        commitment: Commitment,
        placement: StatementPlacement,
        lad_code: str | None,
        notes: list[str],
    ) -> None:
        measure = self.measures.get(commitment.measure)
        where: Placement | None = placement.commitments.get(commitment.id)
        if where is None:
            if cv.gbp is not None:
                notes.append(
                    f"{cv.id} has no placement: its value counts in the total but not by ward."
                )
            return
        cv.local = bool(where.local)
        cv.borough_wide = where.method == "borough"
        shares = tuple(where.wards)
        if not shares and cv.borough_wide and lad_code:
            shares = population_shares(lad_code, self.population_path)
        if measure is not None and measure.local_economic and cv.gbp is not None:
            if cv.local:
                cv.local_economic = True
            else:
                notes.append(
                    f"{cv.id} ({measure.label}) is not in the council's local area: its value "
                    "counts in the total but not as local economic value."
                )
        if not shares:
            if cv.gbp is not None and cv.borough_wide:
                notes.append(
                    f"{cv.id} is borough-wide but no ward population was available to spread "
                    "it: its value counts in the total but not by ward."
                )
            elif cv.gbp is not None:
                notes.append(
                    f"{cv.id} lies outside the council's wards: its value counts in the total "
                    "but not by ward."
                )
            return
        total_share = sum(s.share for s in shares) or 1.0
        gbp = cv.gbp or 0.0
        cv.wards = [
            WardValue(s.code, s.name, s.share / total_share, gbp * s.share / total_share)
            for s in shares
        ]
