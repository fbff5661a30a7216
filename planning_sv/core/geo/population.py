"""Ward population: the one reader of the ward summary file, for geo (spreading borough-wide
commitments) and valuation (its fallback when a placement carries no wards).

The summary is derived from ONS mid-2020 LSOA populations, best-fitted to 2025 wards
(`planning-sv data build` rebuilds it for any council).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from planning_sv.datasets import WARD_SUMMARY, file_of

WARD_SUMMARY_FILE = file_of(WARD_SUMMARY)


@dataclass(frozen=True)
class WardPopulation:
    code: str
    name: str
    population: float


@cache
def read_ward_population(path: str) -> dict[str, tuple[WardPopulation, ...]]:
    """Wards by local authority code, in file order, from the ward summary CSV at `path`."""
    by_lad: dict[str, list[WardPopulation]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_lad.setdefault(row["lad_code"], []).append(
                WardPopulation(
                    row["ward_code"], row["ward_name"], float(row["pop_mid2020_best_fit"])
                )
            )
    return {lad: tuple(rows) for lad, rows in by_lad.items()}
