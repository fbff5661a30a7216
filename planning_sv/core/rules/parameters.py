"""Named, dated policy values (OpenFisca style) with the reference they come from.

A Local Plan figure such as "1 construction placement per £1m of build cost" changes when a
plan or SPD is adopted; keeping each value with the date it took effect lets an assessment
be reproduced for any date and lets explanations cite the exact value used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

ParameterScalar = float | int | str | bool


@dataclass(frozen=True)
class ParameterValue:
    start: dt.date
    value: ParameterScalar | None  # None: the parameter lapses from `start`
    # The document this value was read in, when it differs from the parameter's own (a
    # figure restated by a later SPD keeps one parameter with two dated citations).
    reference: dict[str, Any] | None = None
    confidence: str | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    reference: dict[str, Any]
    confidence: str  # "verified" or "unverified"
    values: tuple[ParameterValue, ...]  # ordered by start, oldest first
    notes: str | None = None

    def reference_of(self, value: ParameterValue) -> dict[str, Any]:
        return dict(value.reference) if value.reference is not None else dict(self.reference)

    def confidence_of(self, value: ParameterValue) -> str:
        return value.confidence or self.confidence

    def value_on(self, on: dt.date) -> ParameterValue | None:
        """The value in force on `on`, or None before the first date or after a lapse."""
        current: ParameterValue | None = None
        for item in self.values:
            if item.start > on:
                break
            current = item
        if current is None or current.value is None:
            return None
        return current


@dataclass(frozen=True)
class UsedParameter:
    """A parameter value that went into a result, carried into its explanation."""

    name: str
    value: ParameterScalar
    start: dt.date
    unit: str
    description: str
    confidence: str
    reference: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "from": self.start.isoformat(),
            "unit": self.unit,
            "description": self.description,
            "confidence": self.confidence,
            "reference": dict(self.reference),
        }


def parameters_on(
    parameters: dict[str, Parameter], on: dt.date
) -> tuple[dict[str, ParameterScalar], dict[str, UsedParameter]]:
    """Values in force on `on` as expression names (`param.<name>`) plus their provenance."""
    env: dict[str, ParameterScalar] = {}
    used: dict[str, UsedParameter] = {}
    for name, parameter in parameters.items():
        value = parameter.value_on(on)
        if value is None or value.value is None:
            continue
        env[f"param.{name}"] = value.value
        used[name] = UsedParameter(
            name=name,
            value=value.value,
            start=value.start,
            unit=parameter.unit,
            description=parameter.description,
            confidence=parameter.confidence_of(value),
            reference=parameter.reference_of(value),
        )
    return env, used
