"""GeoService: place a statement's site and commitments in wards.

Loads the open data lazily, once per service. Whoever keeps services alive owns a
`GeoCache` (the web app, through its Assessor; a CLI command; a test session): it hands back
the same service for the same folders, and a new one once a boundary vintage has been
imported, so a running server picks up new wards without a restart. There is no
process-wide cache. Every placement names the boundary vintage and the method used, so a
record made in 2025 can be re-read correctly after wards change.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning_sv import config
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.geo.boundaries import BoundaryRegistry, read_boundary_file
from planning_sv.core.geo.coords import (
    bng_to_lonlat,
    check_easting_northing,
    check_lonlat,
    geometry_to_bng,
    lonlat_to_bng,
    parse_geojson_geometry,
)
from planning_sv.core.geo.locator import PolygonLocator
from planning_sv.core.geo.population import WARD_SUMMARY_FILE, read_ward_population
from planning_sv.core.geo.postcodes import PostcodeIndex, looks_like_postcode
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.statement import Site, Statement, Where
from planning_sv.datasets import IMD_LSOA11, LADS_UK, WARDS_ENGLAND, file_of, manifest

WARD_CODE = re.compile(r"^[EWSN]05\d{6}$")
BOROUGH_SPREAD_NOTE = "spread by ward population (ONS mid-2020, best-fit from LSOAs)"
# Area shares below this are slivers from generalised boundaries, not real overlap.
_MIN_SHARE = 1e-6

# National reference layers, used only to say where a place is when it is not in the council:
# every English ward with its LAD (20 m generalised) and every UK LAD (for "not in England").
_ENGLAND_WARDS = file_of(WARDS_ENGLAND)
_ENGLAND_WARDS_VINTAGE = manifest().get(WARDS_ENGLAND).vintage
_UK_LADS = file_of(LADS_UK)
_COUNTRY_BY_PREFIX = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
# How the refusal of a site wholly outside the council names what was given.
_SITE_WHAT = {"postcode": "This postcode", "point": "This point", "geometry": "This site"}

# Built-in vintages: (vintage, file pattern). The LAD code comes from the file name.
_BUILTIN = (
    ("2025", "wards_2025_bgc_*_E0*.geojson"),
    ("2020", "wards_2020_bgc_*_previous_vintage.geojson"),
)


class PlanLike(Protocol):
    lad_code: str
    boundary_vintage: str
    local_definition: dict[str, Any]


@dataclass
class CouncilWards:
    """One council's wards in one vintage, ready for placing."""

    vintage: str
    lad_code: str
    codes: np.ndarray
    names: np.ndarray
    geoms: np.ndarray  # EPSG:4326
    geoms_bng: np.ndarray  # EPSG:27700
    locator: PolygonLocator
    tree_bng: shapely.STRtree
    outline_bng: shapely.Geometry
    name_by_code: dict[str, str] = field(default_factory=dict)
    # Placement (before the local verdict) and BNG geometry of each current ward code placed
    # so far: the same for every commitment naming that ward, so made once.
    ward_placements: dict[str, tuple[Placement, shapely.Geometry]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def share(self, index: int, share: float = 1.0) -> WardShare:
        return WardShare(code=str(self.codes[index]), name=str(self.names[index]), share=share)


@dataclass
class _Located:
    """Internal result: the Placement plus the BNG geometry, used for local definitions."""

    placement: Placement
    geometry: shapely.Geometry | None  # point or polygon; None for ward/borough
    # A point's BNG position, or its lon/lat to project: made a geometry only when a local
    # definition or a site distance asks (most plans' "inside the borough" never does, and
    # projecting and building a point per commitment was a tenth of placing a statement).
    bng_xy: tuple[float, float] | None = None
    lonlat: tuple[float, float] | None = None

    @property
    def geom_bng(self) -> shapely.Geometry | None:
        if self.geometry is None and (self.bng_xy is not None or self.lonlat is not None):
            if self.bng_xy is None:
                assert self.lonlat is not None
                e, n = lonlat_to_bng(*self.lonlat)
                self.bng_xy = (float(e), float(n))
            self.geometry = shapely.Point(self.bng_xy)
        return self.geometry


def _signature(path: Path) -> tuple[int, int] | None:
    """What changes when a file is rewritten (the boundary registry's index)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class GeoCache:
    """GeoServices by (data folder, instance folder), owned by whoever constructs it.

    `get` returns the same service while the instance's boundary registry is unchanged
    and a fresh one after `planning-sv geo import` rewrites it (one stat per call).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str], GeoService] = {}

    def get(self, data_dir: Path | None = None, instance_dir: Path | None = None) -> GeoService:
        data = Path(data_dir) if data_dir else config.data_dir()
        instance = Path(instance_dir) if instance_dir else config.instance_dir()
        key = (str(data.resolve()), str(instance.resolve()))
        with self._lock:
            service = self._services.get(key)
            if service is None or service.boundaries_changed():
                service = self._services[key] = GeoService(data, instance)
            return service

    def clear(self) -> None:
        with self._lock:
            self._services.clear()


class GeoService:
    def __init__(self, data_dir: Path, instance_dir: Path):
        self.data_dir = data_dir
        self.instance_dir = instance_dir
        self.registry = BoundaryRegistry(instance_dir)
        self._lock = threading.RLock()
        self._vintage_frames: dict[str, gpd.GeoDataFrame] = {}
        self._councils: dict[tuple[str, str], CouncilWards] = {}
        self._postcodes: PostcodeIndex | None = None
        self._population: dict[str, dict[str, int]] | None = None
        self._lsoa: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, PolygonLocator]] = {}
        self._england: _NationalLayer | None = None
        self._uk_lads: _NationalLayer | None = None
        self._designation_layers: dict[str, shapely.Geometry] = {}
        # Borough-wide placement per (vintage, LAD): the same for every commitment, and its
        # outline union was most of the time of assessing a statement.
        self._borough: dict[tuple[str, str], Placement] = {}
        self._outlines: dict[tuple[str, str], shapely.Geometry] = {}
        # The imported vintages this service was built with (see boundaries_changed).
        self._registry_signature = _signature(self.registry.index_path)

    @classmethod
    def from_data_dir(
        cls, data_dir: Path | None = None, instance_dir: Path | None = None
    ) -> GeoService:
        """A new service over the configured (or given) folders. Callers that live long
        keep it, or get it from a GeoCache they own."""
        data = Path(data_dir) if data_dir else config.data_dir()
        instance = Path(instance_dir) if instance_dir else config.instance_dir()
        return cls(data, instance)

    def boundaries_changed(self) -> bool:
        """Whether a boundary vintage was imported (or re-imported) since this was built."""
        return _signature(self.registry.index_path) != self._registry_signature

    # ------------------------------------------------------------ boundaries

    def vintages(self) -> dict[str, list[str]]:
        """Vintage → the files it is made of (built-in first, then imports)."""
        out: dict[str, list[str]] = {}
        for vintage, pattern in _BUILTIN:
            for path in sorted((self.data_dir / "boundaries").glob(pattern)):
                out.setdefault(vintage, []).append(str(path))
        for entry in self.registry.entries():
            out.setdefault(entry.vintage, []).append(str(self.registry.root / entry.file))
        return out

    def _vintage_frame(self, vintage: str) -> gpd.GeoDataFrame:
        with self._lock:
            if vintage in self._vintage_frames:
                return self._vintage_frames[vintage]
            frames = []
            for vv, pattern in _BUILTIN:
                if vv == vintage:
                    for path in sorted((self.data_dir / "boundaries").glob(pattern)):
                        frames.append(read_boundary_file(path)[0])
            for entry in self.registry.entries():
                if entry.vintage == vintage:
                    frames.append(self.registry.read(entry))
            if not frames:
                known = ", ".join(sorted(self.vintages())) or "none"
                raise KeyError(f"no boundaries for vintage '{vintage}' (known: {known})")
            frame = pd.concat(frames, ignore_index=True)
            # A later import of the same ward code replaces the built-in one.
            frame = gpd.GeoDataFrame(
                frame.drop_duplicates("code", keep="last").reset_index(drop=True),
                geometry="geometry",
                crs="EPSG:4326",
            )
            self._vintage_frames[vintage] = frame
            return frame

    def council(self, vintage: str, lad_code: str) -> CouncilWards:
        key = (vintage, lad_code)
        with self._lock:
            if key in self._councils:
                return self._councils[key]
            frame = self._vintage_frame(vintage)
            rows = frame[frame["lad_code"] == lad_code].sort_values("code")
            if len(rows) == 0:
                rows = self._national_wards(vintage, lad_code)
            if len(rows) == 0:
                raise KeyError(f"no wards of council {lad_code} in boundary vintage {vintage}")
            geoms = np.asarray(list(rows.geometry), dtype=object)
            geoms_bng = np.asarray([geometry_to_bng(g) for g in geoms], dtype=object)
            shapely.prepare(geoms_bng)
            wards = CouncilWards(
                vintage=vintage,
                lad_code=lad_code,
                codes=rows["code"].to_numpy(dtype=str),
                names=rows["name"].to_numpy(dtype=str),
                geoms=geoms,
                geoms_bng=geoms_bng,
                locator=PolygonLocator(geoms),
                tree_bng=shapely.STRtree(geoms_bng),
                outline_bng=shapely.union_all(geoms_bng),
            )
            wards.name_by_code = dict(zip(wards.codes, wards.names, strict=True))
            self._councils[key] = wards
            return wards

    def _national_wards(self, vintage: str, lad_code: str) -> gpd.GeoDataFrame:
        """A council with no ward file of its own: its wards from the national ward file.

        So any English council works from the national data at once; `planning-sv data
        build` can still write it a file of its own (faster to load).
        """
        national = self.data_dir / _ENGLAND_WARDS
        if vintage != _ENGLAND_WARDS_VINTAGE or not national.is_file():
            return gpd.GeoDataFrame({"code": [], "name": [], "lad_code": []}, geometry=[])
        try:
            frame, _ = read_boundary_file(national, only_lad=lad_code)
        except InputInvalid:
            return gpd.GeoDataFrame({"code": [], "name": [], "lad_code": []}, geometry=[])
        return frame[frame["lad_code"] == lad_code].sort_values("code")

    def ward_names(self, vintage: str, lad_code: str) -> dict[str, str]:
        return dict(self.council(vintage, lad_code).name_by_code)

    def wards_frame(self, vintage: str, lad_code: str) -> gpd.GeoDataFrame:
        """The council's wards for maps: code, name, geometry in EPSG:4326."""
        wards = self.council(vintage, lad_code)
        return gpd.GeoDataFrame(
            {"code": wards.codes, "name": wards.names}, geometry=list(wards.geoms), crs="EPSG:4326"
        )

    def council_outline(self, lad_code: str, vintage: str = "2025") -> shapely.Geometry:
        """The council's area in EPSG:4326, dissolved from its wards (matches the ward layer)."""
        key = (vintage, lad_code)
        with self._lock:
            if key not in self._outlines:
                self._outlines[key] = shapely.union_all(self.council(vintage, lad_code).geoms)
            return self._outlines[key]

    # ------------------------------------------------------------ reference data

    @property
    def postcodes(self) -> PostcodeIndex:
        with self._lock:
            if self._postcodes is None:
                files = sorted((self.data_dir / "postcodes").glob("codepoint_open_*.csv"))
                if not files:
                    raise FileNotFoundError(
                        f"no Code-Point Open CSV in {self.data_dir / 'postcodes'}"
                    )
                self._postcodes = PostcodeIndex(files[-1])
            return self._postcodes

    def ward_population(self, lad_code: str) -> dict[str, int]:
        with self._lock:
            if self._population is None:
                by_lad = read_ward_population(str(self.data_dir / WARD_SUMMARY_FILE))
                self._population = {
                    lad: {ward.code: int(ward.population) for ward in wards}
                    for lad, wards in by_lad.items()
                }
            return dict(self._population.get(lad_code, {}))

    def lsoa_lad_codes(self) -> list[str]:
        """Local authorities whose LSOA 2011 boundaries are in the data folder."""
        files = (self.data_dir / "boundaries").glob("lsoa2011_bgc_*_*.geojson")
        return sorted({path.stem.rsplit("_", 1)[-1] for path in files})

    def lsoa_imd(self, lad_code: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, PolygonLocator]:
        """LSOA 2011 codes, IMD 2019 deciles, BNG geometries and a lon/lat locator."""
        with self._lock:
            if lad_code not in self._lsoa:
                files = sorted(
                    (self.data_dir / "boundaries").glob(f"lsoa2011_bgc_*_{lad_code}.geojson")
                )
                if not files:
                    raise KeyError(f"no LSOA 2011 boundaries for {lad_code} in {self.data_dir}")
                lsoa = gpd.read_file(files[0]).to_crs("EPSG:4326")
                imd = pd.read_csv(self.data_dir / file_of(IMD_LSOA11))
                deciles = dict(zip(imd["lsoa11cd"], imd["imd_decile"], strict=True))
                codes = lsoa["LSOA11CD"].to_numpy(dtype=str)
                dec = np.array([deciles.get(c, 0) for c in codes], dtype=np.int64)
                geoms = np.asarray(list(lsoa.geometry), dtype=object)
                bng = np.asarray([geometry_to_bng(g) for g in geoms], dtype=object)
                self._lsoa[lad_code] = (codes, dec, bng, PolygonLocator(geoms))
            return self._lsoa[lad_code]

    # ------------------------------------------------------------ where in the country

    def _national(self, which: str) -> _NationalLayer:
        """The English wards (with their LADs) or the UK LADs, loaded on first use."""
        with self._lock:
            if which == "england":
                if self._england is None:
                    frame = gpd.read_file(
                        self.data_dir / _ENGLAND_WARDS,
                        columns=["WD25CD", "LAD25CD", "LAD25NM"],
                    )
                    self._england = _NationalLayer.of(frame, "LAD25CD", "LAD25NM", "WD25CD")
                return self._england
            if self._uk_lads is None:
                frame = gpd.read_file(self.data_dir / _UK_LADS)
                self._uk_lads = _NationalLayer.of(frame, "LAD24CD", "LAD24NM")
            return self._uk_lads

    def lad_name(self, lad_code: str) -> str:
        """The local authority's name ('Camden') from the national LAD layer, else the code."""
        try:
            layer = self._national("uk")
        except (OSError, ValueError):  # no national layer: the code still identifies it
            return lad_code
        return layer.name_by_code.get(lad_code, lad_code)

    def council_at(self, lon: float, lat: float) -> tuple[str, str] | None:
        """(LAD code, name) of the local authority containing a lon/lat point, or None.

        English wards first (20 m generalised: right near borough edges), then the UK LADs
        for Wales, Scotland and Northern Ireland (500 m generalised, enough to name them).
        """
        point = shapely.Point(lon, lat)
        for which in ("england", "uk"):
            try:
                layer = self._national(which)
            except (OSError, ValueError):
                continue
            hit = layer.at(point)
            if hit is not None:
                return hit
        return None

    def _elsewhere(self, what: str, lon: float, lat: float, own_lad: str) -> str:
        """'This postcode is in <council>, not <this council>', or that it is not in England."""
        own = self.lad_name(own_lad)
        found = self.council_at(lon, lat)
        if found is None:
            return f"{what} is not in England; this statement is for {own}"
        code, name = found
        country = _COUNTRY_BY_PREFIX.get(code[:1], "England")
        if country != "England":
            return f"{what} is in {name}, {country}, not in England; this statement is for {own}"
        return f"{what} is in {name}, not {own}"

    # ------------------------------------------------------------ designations

    def designation_at(self, plan: PlanLike, lon: float, lat: float) -> str | None:
        """The first of the plan's designations whose boundary file contains the point.

        A council may load its designation boundaries (any GeoJSON in lon/lat or with a
        declared CRS, e.g. from planning.data.gov.uk) by naming the file in the plan's
        `designations[].boundaries` (absolute, or relative to the data folder). None when no
        file contains the point or the plan loads none.
        """
        point = shapely.Point(lon, lat)
        for designation in getattr(plan, "designations", ()):
            if not designation.boundaries:
                continue
            area = self._designation_area(designation.boundaries)
            if area is not None and area.covers(point):
                return str(designation.code)
        return None

    def _designation_area(self, name: str) -> shapely.Geometry | None:
        with self._lock:
            if name not in self._designation_layers:
                path = Path(name) if Path(name).is_absolute() else self.data_dir / name
                try:
                    frame = gpd.read_file(path)
                    if frame.crs is not None:
                        frame = frame.to_crs("EPSG:4326")
                    area = shapely.union_all(shapely.make_valid(frame.geometry.to_numpy()))
                except (
                    Exception
                ):  # an unreadable file derives nothing; the applicant's choice stands
                    area = None
                if area is not None:
                    shapely.prepare(area)
                self._designation_layers[name] = area
            return self._designation_layers[name]

    # ------------------------------------------------------------ placing

    def place_statement(self, statement: Statement, plan: PlanLike) -> StatementPlacement:
        """Place the site, then every commitment; raise InputInvalid with all problems."""
        problems: list[Problem] = []
        site_located: _Located | None = None
        try:
            site_located = self._locate_site(statement.site, plan, "$.site")
        except InputInvalid as exc:
            problems.extend(exc.problems)
        placed: dict[str, Placement] = {}
        known = self._prelocate(plan, statement.commitments) if statement.commitments else {}
        for index, commitment in enumerate(statement.commitments):
            if commitment.where.kind == "site":
                # On the site: credited to the site's ward(s) exactly as the site is placed,
                # never to a point that may lie a few metres over a ward line. (If the site
                # itself cannot be placed, that problem is already reported once.)
                if site_located is not None:
                    placed[commitment.id] = on_site(site_located.placement)
                continue
            try:
                located = self._place(
                    commitment.where,
                    lad_code=plan.lad_code,
                    vintage=plan.boundary_vintage,
                    local_definition=plan.local_definition,
                    site_geom=site_located.geom_bng if site_located else None,
                    path=f"$.commitments[{index}].where",
                    known=known,
                )
                placement = located.placement
                if not placement.inside_council and placement.point and _has_local_areas(plan):
                    # Only a plan with a wider named "local" (a set of districts) needs to
                    # know which council an outside place is in; finding it loads the
                    # national layer once.
                    found = self.council_at(*placement.point)
                    placement = _replaced(placement, district=found[0] if found else None)
                placed[commitment.id] = placement
            except InputInvalid as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputInvalid(problems)
        assert site_located is not None
        return StatementPlacement(site=site_located.placement, commitments=placed)

    def _prelocate(self, plan: PlanLike, commitments: list[Any]) -> dict[tuple[float, float], int]:
        """Ward index (-1: none) of every valid point and known postcode among `commitments`,
        by (lon, lat), from one locator call: a call per commitment cost more than the rest
        of placing it. Anything not found here is placed one by one, as before."""
        points: list[tuple[float, float]] = []
        for commitment in commitments:
            where = commitment.where
            kind = where.kind
            if kind == "point" and not check_lonlat(where.point or [], ""):
                lon, lat = where.point  # type: ignore[misc]
                points.append((lon, lat))
            elif kind == "postcode" and looks_like_postcode(str(where.postcode)):
                found = self.postcodes.lookup(str(where.postcode))
                if found is not None:
                    points.append((found.lon, found.lat))
        if not points:
            return {}
        wards = self.council(plan.boundary_vintage, plan.lad_code)
        xy = np.array(points, dtype=float)
        return dict(zip(points, wards.locator.locate(xy[:, 0], xy[:, 1]).tolist(), strict=True))

    def place_site(self, site: Site, plan: PlanLike, *, path: str = "$.site") -> Placement:
        """Place a site; InputInvalid when it cannot be placed or lies wholly outside the
        council's area (the message names the council it is in). A polygon partly outside is
        placed, with `outside_share` and a warning saying how much."""
        return self._locate_site(site, plan, path).placement

    def _locate_site(self, site: Site, plan: PlanLike, path: str) -> _Located:
        # The most precise location given wins: drawn geometry, then point, then postcode.
        if site.geometry is not None:
            where = Where(geometry=site.geometry)
        elif site.point is not None:
            where = Where(point=site.point)
        else:
            where = Where(postcode=site.postcode)
        located = self._place(
            where,
            lad_code=plan.lad_code,
            vintage=plan.boundary_vintage,
            local_definition=plan.local_definition,
            site_geom=None,
            path=path,
            is_site=True,
        )
        if not located.placement.inside_council:
            # A statement is assessed against one council's plan; a site in another council
            # belongs in that council's statement, so say which council that is.
            lon, lat = _lonlat_inside(located)
            message = self._elsewhere(_SITE_WHAT[where.kind], lon, lat, plan.lad_code)
            raise InputInvalid([Problem(f"{path}.{where.kind}", message)])
        return located

    def place(
        self,
        where: Where,
        *,
        lad_code: str,
        vintage: str,
        local_definition: dict[str, Any] | None = None,
        site: Placement | None = None,
        path: str = "$.where",
    ) -> Placement:
        """Place one location; raise InputInvalid naming `path` and the field at fault.

        `site` (already placed) anchors "within N metres of the site"; here it is measured
        from the site's point, while `place_statement` measures from the full site geometry.
        """
        if where.kind == "site":
            if site is None:
                raise InputInvalid(
                    [Problem(f"{path}.site", "an on-site commitment needs the site's location")]
                )
            return on_site(site)
        site_geom = None
        if site is not None and site.point is not None:
            site_geom = shapely.points(*lonlat_to_bng(site.point[0], site.point[1]))
        return self._place(
            where,
            lad_code=lad_code,
            vintage=vintage,
            local_definition=local_definition or {"kind": "borough"},
            site_geom=site_geom,
            path=path,
        ).placement

    def _place(
        self,
        where: Where,
        *,
        lad_code: str,
        vintage: str,
        local_definition: dict[str, Any],
        site_geom: shapely.Geometry | None,
        path: str,
        is_site: bool = False,
        known: dict[tuple[float, float], int] | None = None,
    ) -> _Located:
        wards = self.council(vintage, lad_code)
        kind = where.kind
        field_path = f"{path}.{kind}"
        if kind == "postcode":
            located = self._place_postcode(wards, str(where.postcode), field_path, known)
        elif kind == "point":
            problems = check_lonlat(where.point or [], field_path)
            if problems:
                raise InputInvalid(problems)
            lon, lat = where.point  # type: ignore[misc]
            located = self._place_lonlat(wards, lon, lat, "point", known=known)
        elif kind == "easting_northing":
            problems = check_easting_northing(where.easting_northing or [], field_path)
            if problems:
                raise InputInvalid(problems)
            e, n = where.easting_northing  # type: ignore[misc]
            lon, lat = bng_to_lonlat(e, n)
            located = self._place_lonlat(wards, float(lon), float(lat), "easting_northing")
            if not located.placement.inside_council:
                # Both orders are valid grid positions, so a swap only shows when the other
                # order lands in the council: say so rather than report a far-away point.
                slon, slat = bng_to_lonlat(n, e)
                if wards.locator.locate(np.array([slon]), np.array([slat]))[0] >= 0:
                    raise InputInvalid(
                        [
                            Problem(
                                field_path,
                                f"[{e}, {n}] looks like [northing, easting]: [{n}, {e}] is in "
                                f"{wards.lad_code}; give [easting, northing]",
                            )
                        ]
                    )
        elif kind == "ward":
            located = self._place_ward(wards, str(where.ward).strip().upper(), field_path)
        elif kind == "borough":
            located = self._place_borough(wards)
        elif kind == "site":
            # Only place_statement and place() know the site; they place these themselves.
            raise InputInvalid(
                [Problem(field_path, "an on-site commitment is placed with the site")]
            )
        else:
            assert where.geometry is not None
            data = where.geometry.model_dump()
            geometry, problems, warnings = parse_geojson_geometry(data, field_path)
            if problems or geometry is None:
                raise InputInvalid(problems)
            if geometry.geom_type == "Point":
                located = self._place_lonlat(wards, geometry.x, geometry.y, "point")
            else:
                located = self._place_polygon(wards, geometry)
            if warnings:
                located.placement = replace(
                    located.placement, warnings=(*warnings, *located.placement.warnings)
                )
        local, reason = self._local(local_definition, located, wards, site_geom, is_site=is_site)
        located.placement = _replaced(located.placement, local=local, local_reason=reason)
        return located

    def _place_postcode(
        self,
        wards: CouncilWards,
        text: str,
        path: str,
        known: dict[tuple[float, float], int] | None = None,
    ) -> _Located:
        if not looks_like_postcode(text):
            raise InputInvalid([Problem(path, f"'{text}' is not a UK postcode")])
        point = self.postcodes.lookup(text)
        if point is None:
            raise InputInvalid(
                [Problem(path, f"unknown postcode '{text}' (not in {self.postcodes.path.name})")]
            )
        located = self._place_lonlat(
            wards,
            point.lon,
            point.lat,
            "postcode",
            bng=(point.easting, point.northing),
            known=known,
        )
        if point.non_geographic:
            located.placement = replace(
                located.placement,
                warnings=(
                    *located.placement.warnings,
                    f"{point.postcode} is a non-geographic (PO box) postcode: its point is the "
                    "delivery office, not where the benefit lands",
                ),
            )
        return located

    def _place_lonlat(
        self,
        wards: CouncilWards,
        lon: float,
        lat: float,
        method: str,
        bng: tuple[float, float] | None = None,
        known: dict[tuple[float, float], int] | None = None,
    ) -> _Located:
        index = known.get((lon, lat)) if known else None
        if index is None:
            index = int(wards.locator.locate(np.array([lon]), np.array([lat]))[0])
        point = (round(float(lon), 7), round(float(lat), 7))
        lonlat = (float(lon), float(lat))
        if index >= 0:
            placement = Placement(
                method=method, vintage=wards.vintage, wards=(wards.share(index),), point=point
            )
            return _Located(placement, None, bng_xy=bng, lonlat=lonlat)
        # Outside every ward: the distance to the nearest needs the projected point, which
        # the result then keeps for any local-definition check.
        if bng is None:
            e, n = lonlat_to_bng(lon, lat)
            bng = (float(e), float(n))
        point_bng = shapely.Point(bng)
        distances = shapely.distance(wards.geoms_bng, point_bng)
        nearest = int(np.argmin(distances))
        placement = Placement(
            method=method,
            vintage=wards.vintage,
            wards=(),
            inside_council=False,
            point=point,
            nearest_ward=wards.share(nearest, 0.0),
            nearest_distance_m=round(float(distances[nearest]), 1),
            warnings=(
                f"outside {wards.lad_code}: {distances[nearest]:.0f} m from the nearest "
                f"ward, {wards.names[nearest]} ({wards.codes[nearest]})",
            ),
        )
        return _Located(placement, point_bng, bng_xy=bng, lonlat=lonlat)

    def _place_polygon(self, wards: CouncilWards, geometry: shapely.Geometry) -> _Located:
        geom_bng = geometry_to_bng(geometry)
        total = geom_bng.area
        candidates = wards.tree_bng.query(geom_bng, predicate="intersects")
        areas = shapely.area(shapely.intersection(wards.geoms_bng[candidates], geom_bng))
        keep = areas / total > _MIN_SHARE
        candidates, areas = candidates[keep], areas[keep]
        inside = float(areas.sum())
        centroid = geometry.centroid
        point = (round(centroid.x, 7), round(centroid.y, 7))
        if inside <= 0:
            distances = shapely.distance(wards.geoms_bng, geom_bng)
            nearest = int(np.argmin(distances))
            return _Located(
                Placement(
                    method="polygon",
                    vintage=wards.vintage,
                    wards=(),
                    inside_council=False,
                    outside_share=1.0,
                    point=point,
                    nearest_ward=wards.share(nearest, 0.0),
                    nearest_distance_m=round(float(distances[nearest]), 1),
                    warnings=(f"the polygon lies wholly outside {wards.lad_code}",),
                ),
                geom_bng,
            )
        shares = _shares(wards, candidates, areas)
        outside_share = max(0.0, 1.0 - inside / total)
        warnings = ()
        if outside_share > _MIN_SHARE:
            warnings = (
                f"{outside_share:.1%} of the polygon ({total - inside:.0f} m²) lies outside "
                f"{wards.lad_code}; ward shares are of the part inside",
            )
        return _Located(
            Placement(
                method="polygon",
                vintage=wards.vintage,
                wards=shares,
                outside_share=round(outside_share, 6) if outside_share > _MIN_SHARE else 0.0,
                point=point,
                warnings=warnings,
            ),
            geom_bng,
        )

    def _place_ward(self, wards: CouncilWards, code: str, path: str) -> _Located:
        if not WARD_CODE.match(code):
            raise InputInvalid([Problem(path, f"'{code}' is not a ward GSS code like E05013705")])
        if code in wards.name_by_code:
            cached = wards.ward_placements.get(code)
            if cached is None:
                index = int(np.flatnonzero(wards.codes == code)[0])
                cached = wards.ward_placements[code] = (
                    Placement(
                        method="ward",
                        vintage=wards.vintage,
                        wards=(wards.share(index),),
                        point=_rep_point(wards.geoms[index]),
                    ),
                    wards.geoms_bng[index],
                )
            # A fresh _Located: callers replace its placement (local verdict, warnings).
            return _Located(*cached)
        # A code from another vintage: map by area overlap onto the current wards.
        for vintage in sorted(self.vintages(), reverse=True):
            if vintage == wards.vintage:
                frame = self._vintage_frame(vintage)
                if code in set(frame["code"]):
                    other = str(frame.loc[frame["code"] == code, "lad_code"].iloc[0])
                    raise InputInvalid([Problem(path, self._other_ward(code, other, wards))])
                continue
            frame = self._vintage_frame(vintage)
            match = frame[frame["code"] == code]
            if len(match) == 0:
                continue
            old_name = str(match["name"].iloc[0])
            old_bng = geometry_to_bng(match.geometry.iloc[0])
            candidates = wards.tree_bng.query(old_bng, predicate="intersects")
            areas = shapely.area(shapely.intersection(wards.geoms_bng[candidates], old_bng))
            keep = areas / old_bng.area > 0.001  # ignore slivers from generalisation
            candidates, areas = candidates[keep], areas[keep]
            if len(candidates) == 0:
                raise InputInvalid(
                    [
                        Problem(
                            path,
                            f"ward {code} ({old_name}, {vintage} boundaries) overlaps no ward "
                            f"of {wards.lad_code} in the {wards.vintage} boundaries",
                        )
                    ]
                )
            shares = _shares(wards, candidates, areas)
            mapped = ", ".join(f"{s.name} {s.share:.1%}" for s in shares)
            return _Located(
                Placement(
                    method="ward",
                    vintage=wards.vintage,
                    wards=shares,
                    point=_rep_point(match.geometry.iloc[0]),
                    warnings=(
                        f"ward {code} ({old_name}) is from the {vintage} boundaries; mapped to "
                        f"the {wards.vintage} wards by area overlap: {mapped}",
                    ),
                ),
                old_bng,
            )
        # Not in any vintage loaded for placing: perhaps another English council's ward.
        other_lad = self._england_ward_lad(code)
        if other_lad is not None:
            raise InputInvalid([Problem(path, self._other_ward(code, other_lad, wards))])
        raise InputInvalid(
            [Problem(path, f"unknown ward code {code} (not in any loaded boundary vintage)")]
        )

    def _england_ward_lad(self, code: str) -> str | None:
        try:
            layer = self._national("england")
        except (OSError, ValueError):
            return None
        return layer.lad_by_key.get(code)

    def _other_ward(self, code: str, other_lad: str, wards: CouncilWards) -> str:
        own = self.lad_name(wards.lad_code)
        return (
            f"ward {code} is in {self.lad_name(other_lad)}, not {own}; give one of "
            f"{own}'s wards ({wards.vintage} boundaries)"
        )

    def _place_borough(self, wards: CouncilWards) -> _Located:
        key = (wards.vintage, wards.lad_code)
        placement = self._borough.get(key)
        if placement is None:
            placement = self._borough[key] = self._borough_placement(wards)
        # A fresh _Located: callers replace its placement (local verdict, warnings).
        return _Located(placement, None)

    def _borough_placement(self, wards: CouncilWards) -> Placement:
        population = self.ward_population(wards.lad_code)
        weights = np.array([population.get(c, 0) for c in wards.codes], dtype=float)
        note = f"borough-wide: {BOROUGH_SPREAD_NOTE}"
        if weights.sum() <= 0 or (weights == 0).any():
            # No population for (some of) these wards, e.g. another vintage: use area.
            weights = shapely.area(wards.geoms_bng)
            note = "borough-wide: spread by ward area (no ward population for these wards)"
        # In code order (not by size) so borough-wide records read like the ward list.
        by_size = {w.code: w for w in _shares(wards, np.arange(len(wards.codes)), weights)}
        return Placement(
            method="borough",
            vintage=wards.vintage,
            wards=tuple(by_size[str(code)] for code in wards.codes),
            point=_rep_point(self.council_outline(wards.lad_code, wards.vintage)),
            warnings=(note,),
        )

    # ------------------------------------------------------------ local

    def _local(
        self,
        definition: dict[str, Any],
        located: _Located,
        wards: CouncilWards,
        site_geom: shapely.Geometry | None,
        *,
        is_site: bool = False,
    ) -> tuple[bool, str]:
        placement = located.placement
        kind = definition.get("kind", "borough")
        if kind == "borough":
            if placement.method == "borough":
                return True, "anywhere in the borough"
            if placement.inside_council:
                return True, "inside the borough"
            return False, "outside the borough"
        if kind == "wards":
            # Plans may name wards by GSS code or by name.
            named = {str(w).strip().casefold() for w in definition.get("wards", [])}
            if placement.method == "borough":
                return False, "borough-wide, not limited to the named local wards"
            hits = [
                w
                for w in placement.wards
                if w.code.casefold() in named or w.name.casefold() in named
            ]
            share = sum(w.share for w in hits)
            if share > 0:
                names = ", ".join(w.name for w in hits)
                return True, f"in the named local wards ({names}; {share:.0%})"
            return False, "not in any of the named local wards"
        if kind == "within_m_of_site":
            metres = float(definition["metres"])
            if is_site:
                return True, "the site itself"
            if placement.method == "borough":
                return False, f"borough-wide, not within {metres:.0f} m of the site"
            if site_geom is None or located.geom_bng is None:
                return False, "cannot measure the distance to the site"
            distance = float(shapely.distance(located.geom_bng, site_geom))
            if distance <= metres:
                return True, f"{distance:.0f} m from the site (local: within {metres:.0f} m)"
            return False, f"{distance:.0f} m from the site (local: within {metres:.0f} m)"
        if kind == "imd_deciles":
            max_decile = int(definition["max_decile"])
            if placement.method == "borough":
                return False, f"borough-wide, not limited to IMD 2019 deciles 1–{max_decile}"
            if located.geom_bng is None or not placement.inside_council:
                return False, "outside the borough's LSOAs"
            codes, deciles, lsoa_bng, locator = self.lsoa_imd(wards.lad_code)
            geom = located.geom_bng
            if geom.geom_type == "Point":
                lon, lat = placement.point or (np.nan, np.nan)
                index = int(locator.locate(np.array([lon]), np.array([lat]))[0])
                if index < 0:
                    return False, "in no LSOA of the borough"
                decile = int(deciles[index])
                verdict = 1 <= decile <= max_decile
                return (
                    verdict,
                    f"LSOA {codes[index]} is in IMD 2019 decile {decile} (local: 1–{max_decile})",
                )
            areas = shapely.area(shapely.intersection(lsoa_bng, geom))
            if areas.sum() <= 0:
                return False, "in no LSOA of the borough"
            qualifying = (deciles >= 1) & (deciles <= max_decile)
            share = float(areas[qualifying].sum() / areas.sum())
            verdict = share >= 0.5
            return verdict, (
                f"{share:.0%} of the area is in LSOAs of IMD 2019 deciles 1–{max_decile} "
                "(local when at least half)"
            )
        raise ValueError(f"unknown local definition kind '{kind}' in the council's plan")


def _has_local_areas(plan: PlanLike) -> bool:
    return bool(getattr(plan, "local_areas", None))


def on_site(site: Placement) -> Placement:
    """A commitment delivered on the site: the site's placement (wards, shares, local) as is,
    with method "site" so records and pages say where it came from."""
    return _replaced(site, method="site", warnings=())


def _replaced(placement: Placement, **changes: Any) -> Placement:
    """`dataclasses.replace` for Placement (no __post_init__, every field in __init__),
    without re-reading the field list on each of a statement's hundred placements."""
    return Placement(**{**placement.__dict__, **changes})


def _rep_point(geometry: shapely.Geometry) -> tuple[float, float]:
    p = geometry.representative_point()
    return (round(p.x, 7), round(p.y, 7))


def _shares(wards: CouncilWards, indices: np.ndarray, weights: np.ndarray) -> tuple[WardShare, ...]:
    """Ward shares from weights (areas, populations), largest first, summing to 1.

    Shares are rounded to 6 decimals for readable records; the rounding residue goes to the
    largest share so the sum stays 1 for valuation's spreading.
    """
    order = np.argsort(-weights, kind="stable")
    raw = weights[order] / weights.sum()
    rounded = np.round(raw, 6)
    rounded[0] = round(1.0 - float(rounded[1:].sum()), 6)
    return tuple(
        wards.share(int(indices[i]), float(r)) for i, r in zip(order, rounded, strict=True)
    )


def _lonlat_inside(located: _Located) -> tuple[float, float]:
    """A lon/lat inside what was placed (a polygon's centroid can fall outside it)."""
    geom = located.geom_bng
    if geom is not None and geom.geom_type != "Point":
        p = geom.representative_point()
        lon, lat = bng_to_lonlat(p.x, p.y)
        return float(lon), float(lat)
    assert located.placement.point is not None
    return located.placement.point


@dataclass
class _NationalLayer:
    """Polygons naming a local authority each (one row per ward or per LAD)."""

    codes: np.ndarray
    names: np.ndarray
    tree: shapely.STRtree
    geoms: np.ndarray
    name_by_code: dict[str, str]
    lad_by_key: dict[str, str]  # ward code -> LAD code (empty for a LAD layer)

    @classmethod
    def of(
        cls, frame: gpd.GeoDataFrame, code: str, name: str, key: str | None = None
    ) -> _NationalLayer:
        frame = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
        geoms = np.asarray(list(frame.geometry), dtype=object)
        codes = frame[code].to_numpy(dtype=str)
        names = frame[name].to_numpy(dtype=str)
        return cls(
            codes=codes,
            names=names,
            tree=shapely.STRtree(geoms),
            geoms=geoms,
            name_by_code=dict(zip(codes, names, strict=True)),
            lad_by_key=dict(zip(frame[key].to_numpy(dtype=str), codes, strict=True)) if key else {},
        )

    def at(self, point: shapely.Point) -> tuple[str, str] | None:
        hits = self.tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        index = int(min(hits))  # a point on a shared edge: either side is a fair answer
        return str(self.codes[index]), str(self.names[index])
