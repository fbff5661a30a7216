"""Geography: boundary vintages, the fast ward locator, postcodes, local areas, batch locate.

The names below are imported on first use (PEP 562): `planning_sv.core.geo.batch` and the
locator must not pay for geopandas, which the service needs and a cached batch does not.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "GeoService": "planning_sv.core.geo.service",
    "GeoCache": "planning_sv.core.geo.service",
    "PolygonLocator": "planning_sv.core.geo.locator",
    "PostcodeIndex": "planning_sv.core.geo.postcodes",
    "normalise_postcode": "planning_sv.core.geo.postcodes",
}
__all__ = ["GeoCache", "GeoService", "PolygonLocator", "PostcodeIndex", "normalise_postcode"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
