"""Where a site or commitment lands: the contract between geo, rules and valuation.

The geo package produces these; the rule engine reads `local`, valuation spreads value by
`wards[].share`, and pages map `point`/`wards`. Kept free of shapely so every consumer can
use it without the geo stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class WardShare:
    code: str  # ONS GSS code, E05...
    name: str
    share: float  # fraction of the thing placed that lies in this ward; shares sum to 1


@dataclass(frozen=True)
class Placement:
    """The result of placing one location (`where` of a commitment, or the site).

    method: "postcode", "point", "easting_northing", "ward", "polygon", "borough", or "site"
        (a commitment delivered on the site: the site's own placement, see geo.service.on_site).
    vintage: the boundary vintage used, e.g. "2025".
    wards: wards inside the council with shares summing to 1 (empty when wholly outside).
    inside_council: False when the location lies wholly outside the council's area.
    outside_share: fraction of a polygon outside the council's area (0 for points).
    point: a representative [lon, lat] for maps (postcode/point location or centroid).
    nearest_ward / nearest_distance_m: for a point outside every ward of the council.
    local / local_reason: the council's definition of "local" applied to this location.
    district: the LAD code of a location outside the council (None inside or unknown).
    warnings: non-fatal notes, e.g. a repaired geometry or a previous-vintage ward code.
    """

    method: str
    vintage: str
    wards: tuple[WardShare, ...]
    inside_council: bool = True
    outside_share: float = 0.0
    point: tuple[float, float] | None = None
    nearest_ward: WardShare | None = None
    nearest_distance_m: float | None = None
    local: bool = False
    local_reason: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # The local authority a location outside the council lies in (LAD code), when known: a
    # rule whose "local" is a named set of districts (Greater Manchester) reads it.
    district: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["wards"] = [asdict(w) for w in self.wards]
        data["point"] = list(self.point) if self.point else None
        return data


@dataclass(frozen=True)
class StatementPlacement:
    """Every location of one statement placed in wards: the site and each commitment by id."""

    site: Placement
    commitments: dict[str, Placement]

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site.as_dict(),
            "commitments": {cid: p.as_dict() for cid, p in self.commitments.items()},
        }
