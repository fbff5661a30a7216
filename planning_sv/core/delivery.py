"""Promised, due and verified-delivered figures for the public pages: pure sums.

The public ward, borough and scheme pages show three figures side by side for each measure
(docs/MONITORING.md, "Public view"):

- **promised**: what signed agreements secure and is still in force (obligations varied away
  or waived are not counted), placed in wards by the assessment's shares;
- **due**: the promised quantity of obligations whose due date has passed (on or before
  `today`): what should have been delivered by now;
- **delivered**: verified delivery only (reports accepted or partly accepted; money received
  less returned), placed in wards as the reports were.

With a year, promised counts agreements signed in that calendar year, due counts due dates in
it (up to `today`), delivered counts delivery in it (a report's period end; a payment's date).
`over_time` gives the due and delivered figures per year for the chart and its table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WardShares = tuple[tuple[str, float], ...]  # (GSS code, share); empty: borough-wide


@dataclass(frozen=True)
class ObligationFacts:
    measure: str
    label: str
    unit: str
    unit_label: str
    quantity: float
    wards: WardShares
    signed_on: dt.date
    due_on: dt.date | None
    live: bool = True
    ward_names: tuple[tuple[str, str], ...] = ()  # (GSS code, name) for the pages


@dataclass(frozen=True)
class DeliveredFacts:
    measure: str
    unit: str
    quantity: float  # verified
    wards: WardShares
    on: dt.date


@dataclass(frozen=True)
class DeliveryRow:
    measure: str
    label: str
    unit: str
    unit_label: str
    promised: float
    due: float
    delivered: float


@dataclass(frozen=True)
class YearFigures:
    year: int
    due: float
    delivered: float


@dataclass(frozen=True)
class MeasureOverTime:
    measure: str
    label: str
    unit: str
    unit_label: str
    years: tuple[YearFigures, ...]


def _share(wards: WardShares, ward: str | None) -> float:
    """The part of a quantity that counts: all of it for the borough, a ward's share for a
    ward (nothing when it is not placed there, including borough-wide commitments)."""
    if ward is None:
        return 1.0
    return sum(share for code, share in wards if code == ward)


def _in_year(day: dt.date | None, year: int | None) -> bool:
    return year is None or (day is not None and day.year == year)


def summarise(
    obligations: Sequence[ObligationFacts],
    delivered: Iterable[DeliveredFacts],
    *,
    today: dt.date,
    year: int | None = None,
    ward: str | None = None,
) -> tuple[DeliveryRow, ...]:
    """One row per measure and unit with promised, due and delivered (see the module text),
    in the order the obligations name them."""
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    promised: dict[tuple[str, str], float] = defaultdict(float)
    due: dict[tuple[str, str], float] = defaultdict(float)
    done: dict[tuple[str, str], float] = defaultdict(float)
    for o in obligations:
        key = (o.measure, o.unit)
        labels.setdefault(key, (o.label, o.unit_label))
        if not o.live:
            continue
        part = o.quantity * _share(o.wards, ward)
        if not part:
            continue
        if _in_year(o.signed_on, year):
            promised[key] += part
        if o.due_on is not None and o.due_on <= today and _in_year(o.due_on, year):
            due[key] += part
    for d in delivered:
        key = (d.measure, d.unit)
        if key not in labels or not _in_year(d.on, year):
            continue
        done[key] += d.quantity * _share(d.wards, ward)
    rows = [
        DeliveryRow(
            measure,
            label,
            unit,
            unit_label,
            round(promised[(measure, unit)], 6),
            round(due[(measure, unit)], 6),
            round(done[(measure, unit)], 6),
        )
        for (measure, unit), (label, unit_label) in labels.items()
    ]
    return tuple(r for r in rows if r.promised or r.due or r.delivered)


def over_time(
    obligations: Sequence[ObligationFacts],
    delivered: Iterable[DeliveredFacts],
    *,
    today: dt.date,
    ward: str | None = None,
) -> tuple[MeasureOverTime, ...]:
    """Per measure, each calendar year's due and verified-delivered quantities, from the
    first year with either to the last (years with neither inside that span are zeros)."""
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    due: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    done: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for o in obligations:
        key = (o.measure, o.unit)
        labels.setdefault(key, (o.label, o.unit_label))
        if o.live and o.due_on is not None and o.due_on <= today:
            part = o.quantity * _share(o.wards, ward)
            if part:
                due[key][o.due_on.year] += part
    for d in delivered:
        key = (d.measure, d.unit)
        if key in labels:
            part = d.quantity * _share(d.wards, ward)
            if part:
                done[key][d.on.year] += part
    out = []
    for key, (label, unit_label) in labels.items():
        years = set(due[key]) | set(done[key])
        if not years:
            continue
        out.append(
            MeasureOverTime(
                key[0],
                label,
                key[1],
                unit_label,
                tuple(
                    YearFigures(y, round(due[key].get(y, 0.0), 6), round(done[key].get(y, 0.0), 6))
                    for y in range(min(years), max(years) + 1)
                ),
            )
        )
    return tuple(out)
