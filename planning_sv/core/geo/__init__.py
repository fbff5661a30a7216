"""Geography: boundary vintages, the fast ward locator, postcodes, local areas, batch locate."""

from planning_sv.core.geo.locator import PolygonLocator
from planning_sv.core.geo.postcodes import PostcodeIndex, normalise_postcode
from planning_sv.core.geo.service import GeoService, clear_cache

__all__ = ["GeoService", "PolygonLocator", "PostcodeIndex", "clear_cache", "normalise_postcode"]
