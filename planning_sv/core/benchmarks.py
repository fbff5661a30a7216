"""How a scheme's offer compares with the council's approved schemes.

For each measure a scheme commits to, its offer per £1m of build cost, per home and per
1,000 m² of floorspace, beside the median and quartiles of the same figure over the
council's approved schemes that offered that measure. Officers use it to negotiate and
applicants to see what schemes like theirs offered. A figure from fewer than
`MIN_SCHEMES` schemes is never shown: it would identify them and says little.

Quantities are summed per measure in the measure's first unit (measures.yaml), converted by
the catalogue on the scheme's date; a commitment in a unit that does not convert is left
out, and so is a scheme with no build cost (per £1m), no homes (per home) or no floorspace.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from planning_sv.core.figures import format_gbp, format_number
from planning_sv.core.measures import ConversionError, Measure

MIN_SCHEMES = 5
METRICS = ("per_million", "per_home", "per_1000_sqm")
METRIC_LABELS = {
    "per_million": "per £1m of build cost",
    "per_home": "per home",
    "per_1000_sqm": "per 1,000 m² of floorspace",
}


@dataclass(frozen=True)
class SchemeOffer:
    """What one scheme offered of one measure, with the size figures to divide it by."""

    measure: str
    unit: str
    quantity: float
    build_cost_gbp: float
    dwellings: int
    floorspace_sqm: float

    def intensity(self, metric: str) -> float | None:
        if metric == "per_million":
            return self.quantity / (self.build_cost_gbp / 1e6) if self.build_cost_gbp > 0 else None
        if metric == "per_home":
            return self.quantity / self.dwellings if self.dwellings > 0 else None
        if metric == "per_1000_sqm":
            return self.quantity / (self.floorspace_sqm / 1e3) if self.floorspace_sqm > 0 else None
        raise ValueError(f"unknown metric {metric!r}")


def scheme_offers(
    development: Mapping[str, Any],
    commitments: Iterable[Mapping[str, Any]],
    measures: Mapping[str, Measure],
    on: dt.date,
) -> list[SchemeOffer]:
    """One offer per measure of a statement's commitments (statement@1 dicts)."""
    totals: dict[str, float] = {}
    for item in commitments:
        measure = measures.get(str(item.get("measure")))
        if measure is None or not measure.units:
            continue
        unit = next(iter(measure.units))
        quantity = float(item.get("quantity") or 0)
        if quantity <= 0:
            continue
        try:
            converted = measure.convert(quantity, str(item.get("unit")), unit, on=on).value
        except ConversionError:
            continue
        totals[measure.code] = totals.get(measure.code, 0.0) + converted
    floorspace = sum(float(v) for v in (development.get("floorspace_sqm") or {}).values())
    return [
        SchemeOffer(
            measure=code,
            unit=next(iter(measures[code].units)),
            quantity=quantity,
            build_cost_gbp=float(development.get("build_cost_gbp") or 0),
            dwellings=int(development.get("dwellings") or 0),
            floorspace_sqm=floorspace,
        )
        for code, quantity in sorted(totals.items())
    ]


@dataclass(frozen=True)
class Distribution:
    measure: str
    metric: str
    schemes: int
    lower_quartile: float
    median: float
    upper_quartile: float


def distribution(measure: str, metric: str, values: Iterable[float]) -> Distribution | None:
    """Median and quartiles (inclusive method), or None from fewer than MIN_SCHEMES values."""
    data = sorted(values)
    if len(data) < MIN_SCHEMES:
        return None
    q1, median, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Distribution(measure, metric, len(data), q1, median, q3)


@dataclass(frozen=True)
class BenchmarkRow:
    measure: str
    measure_label: str
    unit: str
    unit_label: str
    metric: str
    metric_label: str
    this_scheme: float
    distribution: Distribution | None

    @property
    def position(self) -> str:
        """Where the scheme stands, in words."""
        d = self.distribution
        if d is None:
            return f"fewer than {MIN_SCHEMES} approved schemes to compare with"
        if self.this_scheme < d.lower_quartile:
            return "below the lower quartile"
        if self.this_scheme > d.upper_quartile:
            return "above the upper quartile"
        return "between the quartiles"


def compare(
    offers: Iterable[SchemeOffer],
    distributions: Mapping[tuple[str, str], Distribution],
    measures: Mapping[str, Measure],
) -> list[BenchmarkRow]:
    """A row per (measure, metric) the scheme has a figure for."""
    rows = []
    for offer in offers:
        measure = measures[offer.measure]
        for metric in METRICS:
            value = offer.intensity(metric)
            if value is None:
                continue
            rows.append(
                BenchmarkRow(
                    measure=offer.measure,
                    measure_label=measure.label,
                    unit=offer.unit,
                    unit_label=measure.units[offer.unit],
                    metric=metric,
                    metric_label=METRIC_LABELS[metric],
                    this_scheme=value,
                    distribution=distributions.get((offer.measure, metric)),
                )
            )
    return rows


def figure(value: float, unit: str) -> str:
    """A benchmark figure as people read it: money in whole pounds; other figures to two
    decimal places below 10 and whole above."""
    if unit == "gbp":
        return format_gbp(round(value))
    return format_number(round(value, 2) if abs(value) < 10 else round(value))
