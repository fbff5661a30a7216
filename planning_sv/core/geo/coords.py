"""Checking coordinates and GeoJSON from users, and moving between lon/lat and British National Grid.

Every check returns `Problem`s naming the field, so a statement with several bad locations is
reported in one go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape

from planning_sv.core.errors import Problem

# Great Britain with its islands (Scilly to Shetland), generously: a point outside this box is
# certainly not in an English ward, and most often a typing or axis-order mistake.
GB_LON = (-8.8, 2.1)
GB_LAT = (49.7, 61.0)
GB_EASTING = (0.0, 700_000.0)
GB_NORTHING = (0.0, 1_300_000.0)

# GeoJSON's `crs` member is obsolete (RFC 7946) but still written by many tools; these names
# all mean lon/lat on WGS84, the only coordinates `site.geometry` and `where` accept.
WGS84_NAMES = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "crs84",
    "epsg:4326",
    "urn:ogc:def:crs:epsg::4326",
    "urn:ogc:def:crs:epsg:4326",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "http://www.opengis.net/def/crs/epsg/0/4326",
}


@lru_cache(maxsize=1)
def _to_bng() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@lru_cache(maxsize=1)
def _to_wgs84() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def lonlat_to_bng(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = _to_bng().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def bng_to_lonlat(easting: Any, northing: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = _to_wgs84().transform(
        np.asarray(easting, dtype=float), np.asarray(northing, dtype=float)
    )
    return np.asarray(x), np.asarray(y)


def geometry_to_bng(geometry: shapely.Geometry) -> shapely.Geometry:
    """A lon/lat shapely geometry in EPSG:27700 metres."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(lonlat_to_bng(xy[:, 0], xy[:, 1]))
    )


def polygon_area_ha(geojson: Mapping[str, Any]) -> float | None:
    """The area in hectares of a lon/lat GeoJSON polygon (None for points and lines).

    Measured in British National Grid metres, so a site's area is its area on the ground.
    """
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        return None
    return round(float(geometry_to_bng(shapely.make_valid(geometry)).area) / 10_000, 4)


def _in(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def check_lonlat(values: Sequence[float], path: str) -> list[Problem]:
    """Problems with a [lon, lat] pair: not finite, swapped, or outside Great Britain."""
    if len(values) != 2:
        return [Problem(path, "give two numbers, [longitude, latitude]")]
    lon, lat = float(values[0]), float(values[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return [Problem(path, "coordinates must be finite numbers")]
    if _in(lon, GB_LON) and _in(lat, GB_LAT):
        return []
    if _in(lat, GB_LON) and _in(lon, GB_LAT):
        return [
            Problem(
                path,
                f"[{values[0]}, {values[1]}] looks like [latitude, longitude]; GeoJSON order is "
                f"[longitude, latitude], i.e. [{values[1]}, {values[0]}]",
            )
        ]
    if _in(lon, GB_EASTING) and _in(lat, GB_NORTHING) and (abs(lon) > 180 or abs(lat) > 90):
        return [
            Problem(
                path,
                f"[{values[0]}, {values[1]}] looks like British National Grid metres; give "
                "[longitude, latitude] in EPSG:4326, or use easting_northing",
            )
        ]
    return [
        Problem(
            path,
            f"[{values[0]}, {values[1]}] is outside Great Britain (longitude {GB_LON[0]}..{GB_LON[1]}, "
            f"latitude {GB_LAT[0]}..{GB_LAT[1]})",
        )
    ]


def check_easting_northing(values: Sequence[float], path: str) -> list[Problem]:
    if len(values) != 2:
        return [Problem(path, "give two numbers, [easting, northing] in EPSG:27700")]
    e, n = float(values[0]), float(values[1])
    if not (math.isfinite(e) and math.isfinite(n)):
        return [Problem(path, "coordinates must be finite numbers")]
    if _in(e, GB_EASTING) and _in(n, GB_NORTHING):
        return []
    if _in(n, GB_EASTING) and _in(e, GB_NORTHING):
        return [
            Problem(
                path,
                f"[{values[0]}, {values[1]}] looks like [northing, easting]; give [easting, "
                "northing]",
            )
        ]
    if _in(e, GB_LON) and _in(n, GB_LAT):
        return [Problem(path, f"[{values[0]}, {values[1]}] looks like lon/lat; use point instead")]
    return [
        Problem(
            path,
            f"[{values[0]}, {values[1]}] is outside Great Britain (easting 0..700000, northing "
            "0..1300000)",
        )
    ]


def parse_geojson_geometry(
    data: dict[str, Any], path: str
) -> tuple[shapely.Geometry | None, list[Problem], list[str]]:
    """A user's GeoJSON geometry as a valid shapely geometry in lon/lat.

    Returns (geometry or None, problems, warnings). An invalid polygon is repaired with
    `make_valid` (keeping only its polygonal part) and a warning; one that is empty after
    repair is a problem.
    """
    crs = data.get("crs")
    if crs is not None:
        name = None
        if isinstance(crs, dict):
            props = crs.get("properties")
            name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or name.strip().lower() not in WGS84_NAMES:
            shown = name if isinstance(name, str) else crs
            return (
                None,
                [
                    Problem(
                        f"{path}.crs",
                        f"coordinate reference system {shown!r} is not accepted: give "
                        "GeoJSON in WGS84 longitude/latitude (EPSG:4326) without a crs member",
                    )
                ],
                [],
            )
    plain = {"type": data.get("type"), "coordinates": data.get("coordinates")}
    try:
        geometry = shape(plain)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        return (
            None,
            [Problem(f"{path}.coordinates", f"not a valid GeoJSON {plain['type']}: {exc}")],
            [],
        )

    coords = shapely.get_coordinates(geometry)
    if len(coords) == 0:
        return None, [Problem(f"{path}.coordinates", "the geometry has no coordinates")], []
    bad = [
        problem
        for problem in (
            check_lonlat(coords[i].tolist(), f"{path}.coordinates") for i in range(len(coords))
        )
        if problem
    ]
    if bad:
        # One message is enough: every vertex usually has the same mistake.
        first = bad[0][0]
        suffix = f" ({len(bad)} of {len(coords)} positions)" if len(bad) > 1 else ""
        return None, [Problem(first.path, first.message + suffix)], []

    warnings: list[str] = []
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        repaired = shapely.make_valid(geometry)
        if geometry.geom_type in ("Polygon", "MultiPolygon"):
            repaired = _polygonal_part(repaired)
        if (
            repaired is None
            or repaired.is_empty
            or (geometry.geom_type != "Point" and repaired.area == 0)
        ):
            return (
                None,
                [Problem(path, f"invalid geometry ({reason}) that is empty after repair")],
                [],
            )
        warnings.append(f"{path}: invalid geometry ({reason}) was repaired with make_valid")
        geometry = repaired
    if geometry.geom_type in ("Polygon", "MultiPolygon") and geometry.area == 0:
        return None, [Problem(path, "the polygon has no area")], []
    return geometry, [], warnings


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """make_valid can return a collection with stray lines; only the areas matter here."""
    parts = shapely.get_parts(geometry)
    polygons = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        return None
    return shapely.union_all(polygons)
