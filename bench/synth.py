"""Synthetic statement@1 documents for the benchmarks (not a test; no database here).

Commitments are drawn from `local_plans/measures.yaml` with quantities of a realistic size
for their unit, placed by ward code, postcode, point or borough-wide. Ward codes come from
the council's 2025 boundaries, postcodes from the Code-Point Open extract in the data folder
(only those inside the council), points from inside the council's wards. Everything is
drawn from a seeded generator, so a benchmark sees the same statements on every run.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

COUNCILS = ("islington", "salford")

# (low, high) of a commitment's quantity by unit: orders of magnitude seen in S106 social
# value offers for schemes of 50-1,000 homes, not figures from any one scheme.
QUANTITY = {
    "fte_years": (2, 80),
    "people": (1, 40),
    "starts": (1, 25),
    "weeks": (10, 600),
    "placements": (2, 60),
    "hours": (50, 5_000),
    "gbp": (10_000, 5_000_000),
    "sqm": (50, 2_500),
    "sqm_years": (200, 20_000),
    "tco2e": (10, 2_000),
    "visits": (5, 200),
    "attendee_hours": (100, 10_000),
    "tonnes": (20, 5_000),
    "percent": (10, 60),
}
# Measures whose unit is a document or a description: no quantity to vary; and measures
# that must stack on another commitment (left out to keep the statements valid).
_SKIP_UNITS = {"text", "document"}
# How commitments are located, with the share of each in a typical statement.
WHERE_MIX = (("borough", 0.3), ("ward", 0.3), ("postcode", 0.25), ("point", 0.15))


@dataclass
class CouncilGeo:
    """What the generator needs to place things inside one council."""

    code: str
    lad_code: str
    ward_codes: list[str]
    postcodes: list[str]
    points: list[tuple[float, float]]  # lon/lat inside the council's wards


def council_geo(council: str, *, seed: int = 1) -> CouncilGeo:
    """Ward codes, postcodes and interior points of `council` (2025 boundaries)."""
    from planning_sv.config import data_dir
    from planning_sv.core.geo.service import GeoService
    from planning_sv.core.plans import load_plans

    plan = load_plans()[council]
    service = GeoService.from_data_dir()
    wards = service.council(plan.boundary_vintage, plan.lad_code)
    path = sorted((data_dir() / "postcodes").glob("*.csv"))[0]
    with path.open(encoding="utf-8") as handle:
        rows = [(r["postcode"], float(r["lon"]), float(r["lat"])) for r in csv.DictReader(handle)]
    lon = np.array([r[1] for r in rows])
    lat = np.array([r[2] for r in rows])
    inside = wards.locator.locate(lon, lat) >= 0
    postcodes = sorted({rows[i][0] for i in np.flatnonzero(inside)})
    # Points: uniform in the council's bounds, kept when inside a ward.
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = shapely.total_bounds(wards.geoms)
    x = rng.uniform(xmin, xmax, 4000)
    y = rng.uniform(ymin, ymax, 4000)
    keep = wards.locator.locate(x, y) >= 0
    points = [
        (round(float(a), 6), round(float(b), 6)) for a, b in zip(x[keep], y[keep], strict=True)
    ]
    return CouncilGeo(
        code=council,
        lad_code=plan.lad_code,
        ward_codes=[str(c) for c in wards.codes],
        postcodes=postcodes,
        points=points[:1000],
    )


def measure_choices() -> list[tuple[str, str]]:
    """(measure code, unit) pairs a synthetic commitment may use."""
    from planning_sv.core.measures import load_measures

    pairs = []
    for code, measure in load_measures().items():
        if measure.stacking is not None:
            continue
        for unit in measure.units:
            if unit not in _SKIP_UNITS:
                pairs.append((code, unit))
    return pairs


# Councils whose rule packs need the site's planning designation (plan.yaml
# `designations`): a few of each, "none" the most common.
SITE_DESIGNATIONS = {"islington": ("none", "none", "town_centre", "caz", "lsis")}


def _where(geo: CouncilGeo, rng: random.Random) -> dict[str, Any]:
    kind = rng.choices([k for k, _ in WHERE_MIX], weights=[w for _, w in WHERE_MIX])[0]
    if kind == "borough":
        return {"borough": True}
    if kind == "ward":
        return {"ward": rng.choice(geo.ward_codes)}
    if kind == "postcode" and geo.postcodes:
        return {"postcode": rng.choice(geo.postcodes)}
    lon, lat = rng.choice(geo.points)
    return {"point": [lon, lat]}


def _quantity(unit: str, rng: random.Random) -> float:
    low, high = QUANTITY.get(unit, (1, 100))
    # Log-uniform: most offers are small, a few are large.
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(round(value)) if value >= 10 else round(value, 1)


def statement(
    geo: CouncilGeo,
    commitments: int,
    rng: random.Random,
    reference: str,
    pairs: list[tuple[str, str]],
) -> dict[str, Any]:
    """One statement@1 document for `geo`'s council with `commitments` commitments."""
    site_lon, site_lat = rng.choice(geo.points)
    dwellings = rng.choice((0, 25, 60, 120, 250, 400, 800))
    build_cost = max(dwellings, 10) * rng.randint(150_000, 260_000)
    items = []
    for i in range(commitments):
        measure, unit = rng.choice(pairs)
        items.append(
            {
                "id": f"c{i + 1}",
                "measure": measure,
                "quantity": _quantity(unit, rng),
                "unit": unit,
                "where": _where(geo, rng),
            }
        )
    site: dict[str, Any] = {
        "address": f"{reference} (synthetic site)",
        "point": [site_lon, site_lat],
    }
    if geo.code in SITE_DESIGNATIONS:  # drawn last: the other draws stay as they were
        site["designation"] = rng.choice(SITE_DESIGNATIONS[geo.code])
    return {
        "schema": "planning-sv/statement@1",
        "council": geo.code,
        "application_reference": reference,
        "site": site,
        "development": {
            "dwellings": dwellings,
            "floorspace_sqm": {"residential": dwellings * 80} if dwellings else {"office": 5000},
            "build_cost_gbp": build_cost,
            "construction_months": rng.choice((12, 18, 24, 36, 48)),
        },
        "commitments": items,
    }
