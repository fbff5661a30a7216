"""The measures catalogue (`local_plans/measures.yaml`): what a commitment can count.

Besides code, label, theme and units (what statement validation and the rule engine need),
each measure carries the attributes valuation needs: whether it is valued or record-only,
whether it counts as local economic value, unit conversions, stacking rules against double
counting, and cross-references to other frameworks' codes (references only, never values).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import format_number

Valuation = Literal["valued", "record_only"]
# A unit without a row in measures.yaml's `max_quantity` gets the largest ceiling there (the £
# one), so a measure appended without a row is still bounded; see the table's comments.
DEFAULT_MAX_QUANTITY = 1.0e9
VALUATIONS: tuple[str, ...] = ("valued", "record_only")
STACKING_KINDS: tuple[str, ...] = ("additional", "subset")


# How sure the catalogue is of a conversion value. verified: the figure was read in the
# source; unverified: the best-supported figure, not confirmed in a source read; convention:
# the catalogue's own counting choice (the source says where the figure comes from).
CONVERSION_CONFIDENCE: tuple[str, ...] = ("verified", "unverified", "convention")


class ConversionError(ValueError):
    """A conversion the catalogue cannot make: unknown unit, no declared conversion, or no
    value on the date. The message says which, in words an officer or pack author can act on."""


@dataclass(frozen=True)
class ConversionSource:
    title: str
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class ConversionValue:
    """`1 <unit> = factor <to>` from `start` (until the next value starts)."""

    start: dt.date
    factor: float
    source: ConversionSource
    confidence: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "factor": self.factor,
            "source": self.source.as_dict(),
            "confidence": self.confidence,
            "note": self.note,
        }


@dataclass(frozen=True)
class UnitConversion:
    """A declared conversion `1 <unit> = factor <to>`, its factor dated like a parameter.

    Only one direction is declared; `Measure.convert` also reads it backwards and chains
    conversions, so each relation between two units is written down once."""

    unit: str
    to: str
    values: tuple[ConversionValue, ...]  # oldest first

    def value_on(self, on: dt.date) -> ConversionValue | None:
        """The value in force on `on`: the latest one starting on or before it."""
        found = None
        for value in self.values:
            if value.start <= on:
                found = value
        return found


@dataclass(frozen=True)
class ConversionStep:
    """One declared conversion used on the way, read forwards or backwards."""

    unit: str
    to: str
    factor: float  # 1 <unit> = factor <to>, after reading backwards when `inverse`
    inverse: bool
    value: ConversionValue

    def declared(self) -> str:
        """'1 start = 52 weeks', as the catalogue declares it (whichever way it was read)."""
        unit, to = (self.to, self.unit) if self.inverse else (self.unit, self.to)
        return f"{format_number(1, unit)} = {format_number(self.value.factor, to)}"

    def sentence(self) -> str:
        """'1 start = 52 weeks (note; Source <url>; from 2000-01-01, unverified)'."""
        declared = self.declared()
        source = self.value.source.title + (
            f" <{self.value.source.url}>" if self.value.source.url else ""
        )
        note = f"{self.value.note}; " if self.value.note else ""
        return (
            f"{declared} ({note}source: {source}; from {self.value.start.isoformat()}, "
            f"{self.value.confidence})"
        )


@dataclass(frozen=True)
class Converted:
    """A quantity converted by the catalogue, with how: `basis_text` is what an officer reads."""

    value: float
    factor: float  # 1 <unit> = factor <to>, over every step
    unit: str
    to: str
    steps: tuple[ConversionStep, ...] = ()

    @property
    def basis_text(self) -> str:
        if not self.steps:
            return f"no conversion: already in {self.to}"
        return "; then ".join(step.sentence() for step in self.steps)

    @property
    def summary(self) -> str:
        """'1 start = 52 weeks (from 2025-08-01, convention)': the short form for a count."""
        return "; ".join(
            f"{s.declared()} (from {s.value.start.isoformat()}, {s.value.confidence})"
            for s in self.steps
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "factor": self.factor,
            "unit": self.unit,
            "to": self.to,
            "basis": self.basis_text,
            "values": [
                {"unit": s.unit, "to": s.to, "inverse": s.inverse, **s.value.as_dict()}
                for s in self.steps
            ],
        }


@dataclass(frozen=True)
class StackingRule:
    """How a commitment relates to the base commitment it `stacks_on`.

    kind "additional": counts on top of the base; all commitments of `group` stacked on one
    base together may not exceed the base's quantity (one group per person, not two).
    kind "subset": already inside the base; only the part above the base's quantity counts.
    first_year_only: only the first year of employment counts.
    """

    kind: str
    group: str
    stacks_on: tuple[str, ...]
    first_year_only: bool = False


@dataclass(frozen=True)
class ExternalRef:
    framework: str
    code: str
    checked: bool = False


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    theme: str
    units: dict[str, str]  # unit code -> label
    extra: dict[str, Any] = field(default_factory=dict)  # attributes not modelled here
    valuation: str = "valued"
    local_economic: bool = False
    conversions: dict[str, UnitConversion] = field(default_factory=dict)
    stacking: StackingRule | None = None
    external_refs: tuple[ExternalRef, ...] = ()
    max_quantity: dict[str, float] = field(default_factory=dict)  # unit code -> ceiling

    @property
    def valued(self) -> bool:
        return self.valuation == "valued"

    def convert(
        self, quantity: float, unit: str, to: str, *, on: dt.date | None = None
    ) -> Converted:
        """`quantity unit` in `to` units by this measure's declared conversions, with the
        values in force on `on` (default: today).

        THE unit conversion: the rule engine, valuation and public figures all call it, so a
        unit means the same everywhere unless a rule names an override. A declared
        conversion is read in either direction (1 start = 52 weeks also gives 104 weeks = 2
        starts) and conversions chain (a -> b -> c), by the fewest steps. Raises
        ConversionError for a unit the measure does not have, for two units with no path of
        declared conversions between them (nothing is guessed at) and for a date before the
        first value.
        """
        for name in (unit, to):
            if name not in self.units:
                raise ConversionError(
                    f"measure '{self.code}' has no unit '{name}' "
                    f"(its units: {', '.join(self.units)})"
                )
        if unit == to:
            return Converted(value=quantity, factor=1.0, unit=unit, to=to)
        path = self._conversion_path(unit, to)
        if path is None:
            raise ConversionError(
                f"the measures catalogue has no conversion between {unit} and {to} for "
                f"'{self.code}'"
            )
        when = on or dt.date.today()
        steps: list[ConversionStep] = []
        factor = 1.0
        for conversion, inverse in path:
            value = conversion.value_on(when)
            if value is None:
                raise ConversionError(
                    f"the conversion {conversion.unit} -> {conversion.to} of '{self.code}' has "
                    f"no value on {when.isoformat()} (its first value is from "
                    f"{conversion.values[0].start.isoformat()})"
                )
            step_factor = 1.0 / value.factor if inverse else value.factor
            frm, dest = (
                (conversion.to, conversion.unit) if inverse else (conversion.unit, conversion.to)
            )
            steps.append(ConversionStep(frm, dest, step_factor, inverse, value))
            factor *= step_factor
        # Divide rather than multiply by a reciprocal for one backwards step, so 104 weeks at
        # 52 a start is exactly 2 starts (104 * (1/52) is 1.9999999999999998).
        if len(steps) == 1 and steps[0].inverse:
            value_out = quantity / steps[0].value.factor
        else:
            value_out = quantity * factor
        return Converted(value=value_out, factor=factor, unit=unit, to=to, steps=tuple(steps))

    def can_convert(self, unit: str, to: str) -> bool:
        """Whether declared conversions link the two units (whatever the date)."""
        return (
            unit in self.units
            and to in self.units
            and (unit == to or self._conversion_path(unit, to) is not None)
        )

    def _conversion_path(
        self, unit: str, to: str
    ) -> tuple[tuple[UnitConversion, bool], ...] | None:
        """The declared conversions from `unit` to `to` (each with `inverse`), fewest first."""
        # Found once per pair: a measure's conversions are fixed once loaded, and searching
        # them again for every commitment of every assessment added up.
        paths = self.__dict__.setdefault("_paths", {})
        key = (unit, to)
        if key not in paths:
            paths[key] = self._search_conversion_path(unit, to)
        return paths[key]

    def _search_conversion_path(
        self, unit: str, to: str
    ) -> tuple[tuple[UnitConversion, bool], ...] | None:
        edges: dict[str, list[tuple[str, UnitConversion, bool]]] = {}
        for conversion in self.conversions.values():
            edges.setdefault(conversion.unit, []).append((conversion.to, conversion, False))
            edges.setdefault(conversion.to, []).append((conversion.unit, conversion, True))
        queue: deque[tuple[str, tuple[tuple[UnitConversion, bool], ...]]] = deque([(unit, ())])
        seen = {unit}
        while queue:
            at, path = queue.popleft()
            for nxt, conversion, inverse in edges.get(at, ()):
                if nxt in seen:
                    continue
                step = (*path, (conversion, inverse))
                if nxt == to:
                    return step
                seen.add(nxt)
                queue.append((nxt, step))
        return None

    def quantity_limit(self, unit: str) -> float:
        """The largest quantity one commitment may give in `unit`."""
        return self.max_quantity.get(unit, DEFAULT_MAX_QUANTITY)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "theme": self.theme,
            "units": dict(self.units),
            "max_quantity": {unit: self.quantity_limit(unit) for unit in self.units},
            "valuation": self.valuation,
            "local_economic": self.local_economic,
            "conversions": {
                unit: {"to": c.to, "values": [v.as_dict() for v in c.values]}
                for unit, c in self.conversions.items()
            },
            "stacking": None
            if self.stacking is None
            else {
                "kind": self.stacking.kind,
                "group": self.stacking.group,
                "stacks_on": list(self.stacking.stacks_on),
                "first_year_only": self.stacking.first_year_only,
            },
            "external_refs": [
                {"framework": r.framework, "code": r.code, "checked": r.checked}
                for r in self.external_refs
            ],
        }


_KNOWN_KEYS = {
    "code",
    "label",
    "theme",
    "units",
    "valuation",
    "local_economic",
    "conversions",
    "stacking",
    "external_refs",
}


def load_measures(path: Path | None = None) -> dict[str, Measure]:
    path = path or LOCAL_PLANS_DIR / "measures.yaml"
    return dict(_load_measures_cached(str(path)))


@cache
def _load_measures_cached(path: str) -> tuple[tuple[str, Measure], ...]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    problems: list[Problem] = []
    limits = _max_quantities(data.get("max_quantity"), f"{path}: $.max_quantity", problems)
    items = []
    for index, row in enumerate(data["measures"]):
        measure = _parse_measure(row, f"{path}: $.measures[{index}]", problems, limits)
        if measure is not None:
            items.append((measure.code, measure))
    # Stacking bases must exist; checked after every measure is known.
    codes = {code for code, _ in items}
    for index, (_, measure) in enumerate(items):
        if measure.stacking:
            for base in measure.stacking.stacks_on:
                if base not in codes:
                    problems.append(
                        Problem(
                            f"{path}: $.measures[{index}].stacking.stacks_on",
                            f"unknown measure '{base}'",
                        )
                    )
    if problems:
        raise InputInvalid(problems)
    return tuple(items)


def _max_quantities(raw: Any, where: str, problems: list[Problem]) -> dict[str, float]:
    """The `max_quantity` table: unit code -> a positive, finite ceiling."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must map unit codes to numbers"))
        return {}
    limits: dict[str, float] = {}
    for unit, value in raw.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            problems.append(Problem(f"{where}.{unit}", "must be a positive number"))
            continue
        limits[str(unit)] = float(value)
    return limits


def _parse_measure(
    row: dict[str, Any],
    where: str,
    problems: list[Problem],
    limits: dict[str, float] | None = None,
) -> Measure | None:
    """Build one Measure, adding a Problem per bad valuation attribute.

    Measures appended by rule-pack authors may carry only code/label/theme/units: the
    valuation attributes default to "valued, not local, no stacking".
    """
    units = dict(row["units"])
    valuation = row.get("valuation", "valued")
    if valuation not in VALUATIONS:
        problems.append(Problem(f"{where}.valuation", f"must be one of {', '.join(VALUATIONS)}"))
    conversions = _parse_conversions(
        row.get("conversions"), units, f"{where}.conversions", problems
    )
    stacking = None
    spec = row.get("stacking")
    if spec:
        if spec.get("kind") not in STACKING_KINDS:
            problems.append(
                Problem(f"{where}.stacking.kind", f"must be one of {', '.join(STACKING_KINDS)}")
            )
        else:
            stacking = StackingRule(
                kind=spec["kind"],
                group=str(spec.get("group", row["code"])),
                stacks_on=tuple(spec.get("stacks_on") or ()),
                first_year_only=bool(spec.get("first_year_only", False)),
            )
    refs = tuple(
        ExternalRef(
            framework=str(ref["framework"]),
            code=str(ref["code"]),
            checked=bool(ref.get("checked", False)),
        )
        for ref in row.get("external_refs") or ()
    )
    return Measure(
        code=row["code"],
        label=row["label"],
        theme=row["theme"],
        units=units,
        extra={k: v for k, v in row.items() if k not in _KNOWN_KEYS},
        valuation=valuation,
        local_economic=bool(row.get("local_economic", False)),
        conversions=conversions,
        stacking=stacking,
        external_refs=refs,
        max_quantity={u: (limits or {}).get(u, DEFAULT_MAX_QUANTITY) for u in units},
    )


def _parse_conversions(
    raw: Any, units: dict[str, str], where: str, problems: list[Problem]
) -> dict[str, UnitConversion]:
    """`conversions: {unit: {to, values: [{from, factor, source: {title, url}, confidence,
    note}]}}`, each problem reported with its place."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must map a unit to {to, values}"))
        return {}
    conversions: dict[str, UnitConversion] = {}
    linked: set[frozenset[str]] = set()
    for unit, spec in raw.items():
        here = f"{where}.{unit}"
        if not isinstance(spec, dict):
            problems.append(Problem(here, "must be {to, values}"))
            continue
        if unit not in units or spec.get("to") not in units or spec.get("to") == unit:
            problems.append(Problem(here, "conversion must be between two of the measure's units"))
            continue
        pair = frozenset((unit, spec["to"]))
        if pair in linked:
            # Both directions declared could disagree; the API reads one backwards instead.
            problems.append(
                Problem(here, f"{unit} and {spec['to']} are already linked the other way")
            )
            continue
        unknown = sorted(set(spec) - {"to", "values"})
        if unknown:
            problems.append(
                Problem(
                    here,
                    f"unknown key(s) {', '.join(unknown)}: a conversion has `to` and dated "
                    "`values` ([{from, factor, source: {title, url}, confidence, note}])",
                )
            )
            continue
        values = _parse_conversion_values(spec.get("values"), f"{here}.values", problems)
        if values:
            linked.add(pair)
            conversions[unit] = UnitConversion(unit=unit, to=spec["to"], values=values)
    return conversions


def _parse_conversion_values(
    raw: Any, where: str, problems: list[Problem]
) -> tuple[ConversionValue, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(where, "give at least one dated value"))
        return ()
    values: list[ConversionValue] = []
    before = len(problems)
    for index, item in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(here, "must be {from, factor, source, confidence, note}"))
            continue
        unknown = sorted(set(item) - {"from", "factor", "source", "confidence", "note"})
        if unknown:
            problems.append(Problem(here, f"unknown key(s): {', '.join(map(str, unknown))}"))
        start = item.get("from")
        if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
            problems.append(Problem(f"{here}.from", "must be a date (YYYY-MM-DD)"))
        factor = item.get("factor")
        if (
            isinstance(factor, bool)
            or not isinstance(factor, (int, float))
            or not math.isfinite(factor)
            or factor <= 0
        ):
            problems.append(Problem(f"{here}.factor", "must be a positive number"))
        confidence = item.get("confidence")
        if confidence not in CONVERSION_CONFIDENCE:
            problems.append(
                Problem(f"{here}.confidence", f"must be one of {', '.join(CONVERSION_CONFIDENCE)}")
            )
        source = item.get("source")
        title = source.get("title") if isinstance(source, dict) else None
        url = source.get("url") if isinstance(source, dict) else None
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(f"{here}.source.title", "give the source's title"))
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://\S+$", url)):
            problems.append(Problem(f"{here}.source.url", f"not a web address: {url!r}"))
        if len(problems) > before:
            continue
        values.append(
            ConversionValue(
                start=start,
                factor=float(factor),
                source=ConversionSource(title=title.strip(), url=url),
                confidence=confidence,
                note=" ".join(str(item.get("note") or "").split()),
            )
        )
    starts = [v.start for v in values]
    if len(problems) == before and (starts != sorted(starts) or len(set(starts)) != len(starts)):
        problems.append(Problem(where, "values must be in date order, oldest first, one per date"))
    return tuple(values) if len(problems) == before else ()
