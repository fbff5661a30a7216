"""The measures catalogue (`local_plans/measures.yaml`): what a commitment can count.

Besides code, label, theme and units (what statement validation and the rule engine need),
each measure carries the attributes valuation needs: whether it is valued or record-only,
whether it counts as local economic value, unit conversions, stacking rules against double
counting, and cross-references to other frameworks' codes (references only, never values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.errors import InputInvalid, Problem

Valuation = Literal["valued", "record_only"]
# A unit without a row in measures.yaml's `max_quantity` gets the largest ceiling there (the £
# one), so a measure appended without a row is still bounded; see the table's comments.
DEFAULT_MAX_QUANTITY = 1.0e9
VALUATIONS: tuple[str, ...] = ("valued", "record_only")
STACKING_KINDS: tuple[str, ...] = ("additional", "subset")


@dataclass(frozen=True)
class UnitConversion:
    """`1 <unit> = factor <to>`, used when a value set has no row for the unit itself."""

    to: str
    factor: float
    note: str = ""


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

    def convert(self, quantity: float, unit: str, target: str) -> float | None:
        """`quantity unit` in `target` units by this measure's declared conversion (either
        direction), else None: a unit with no declared conversion is not guessed at.

        The one conversion used outside valuation (public figures count, e.g., apprenticeship
        weeks as starts by the same 52 weeks per start valuation uses)."""
        if unit == target:
            return quantity
        forward = self.conversions.get(unit)
        if forward is not None and forward.to == target:
            return quantity * forward.factor
        backward = self.conversions.get(target)
        if backward is not None and backward.to == unit:
            return quantity / backward.factor
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
                unit: {"to": c.to, "factor": c.factor, "note": c.note}
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
    conversions: dict[str, UnitConversion] = {}
    for unit, spec in (row.get("conversions") or {}).items():
        if unit not in units or spec.get("to") not in units:
            problems.append(
                Problem(
                    f"{where}.conversions.{unit}",
                    "conversion must be between two of the measure's units",
                )
            )
            continue
        factor = spec.get("factor")
        if not isinstance(factor, (int, float)) or factor <= 0:
            problems.append(
                Problem(f"{where}.conversions.{unit}.factor", "must be a positive number")
            )
            continue
        conversions[unit] = UnitConversion(
            to=spec["to"], factor=float(factor), note=str(spec.get("note", "")).strip()
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
