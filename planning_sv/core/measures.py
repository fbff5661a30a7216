"""The measures catalogue (`local_plans/measures.yaml`): what a commitment can count."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from planning_sv.config import LOCAL_PLANS_DIR


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    theme: str
    units: dict[str, str]  # unit code -> label
    extra: dict[str, Any] = field(default_factory=dict)  # valuation attributes, see valuation


def load_measures(path: Path | None = None) -> dict[str, Measure]:
    path = path or LOCAL_PLANS_DIR / "measures.yaml"
    return dict(_load_measures_cached(str(path)))


@cache
def _load_measures_cached(path: str) -> tuple[tuple[str, Measure], ...]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    items = []
    for row in data["measures"]:
        known = {"code", "label", "theme", "units"}
        items.append(
            (
                row["code"],
                Measure(
                    code=row["code"],
                    label=row["label"],
                    theme=row["theme"],
                    units=dict(row["units"]),
                    extra={k: v for k, v in row.items() if k not in known},
                ),
            )
        )
    return tuple(items)
