"""Fast point-in-polygon for a set of non-overlapping polygons (wards), vectorised with numpy.

Why not `geopandas.sjoin`: it answers about half a million points a second, and a national
batch of tens of millions of postcodes or survey points should take seconds. The locator
trades a one-off build (a couple of seconds for England's 6,826 wards) for a lookup that is
mostly a single array read per point.

How it works
------------
A regular grid covers the polygons' bounds. Each cell is one of:

* **interior / empty**: no polygon edge passes through it, so every point in the cell lies in
  the same polygon (or in none) as the cell's reference point. Answered by array lookup.
* **boundary**: one or more edges pass through it. For a point ``p`` in such a cell, polygon
  ``k`` contains ``p`` exactly when ``k`` contains the cell's reference point ``r`` XOR the
  segment ``r→p`` crosses ``k``'s edges an odd number of times. Only the edges inside the cell
  can cross that segment (the cell is convex), so the test is a handful of orientation
  predicates per point, done for all points at once with numpy.

Reference-point membership is computed by a scanline (crossing number) over all edges, the
same rule GEOS uses, so interior cells agree with `contains`/`within`. Points exactly on an
edge are a measure-zero case; the locator then may differ from GEOS, which says "not within".
Cells whose reference point lies in two polygons (overlapping input) are flagged and answered
by shapely, so overlapping input is slower but still correct.

Coordinates are planar: build and query in the same CRS (the service uses EPSG:4326 lon/lat,
as the boundary files do, so the answers equal sjoin on those files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import shapely

# shapely is imported where it is used: a locator read back from a cache answers
# non-overlapping polygons with numpy alone, and a one-shot `planning-sv locate` should not
# pay shapely's import for polygons it never touches.

# Reference point of a cell, as a fraction of the cell size. Not the exact centre: boundary
# files often have vertices on round coordinates, and an off-centre point makes it unlikely
# that a reference point sits exactly on an edge or a vertex.
_REF_FX = 0.5037231
_REF_FY = 0.4962917


_CELLS_PER_POLYGON = 4_000
_MIN_CELLS = 10_000
_MAX_CELLS = 16_000_000
# What decides the grid built from given polygons: a saved locator is only reused when these
# are unchanged (bump FORMAT when the build or the saved arrays change meaning).
FORMAT = 1
GRID_PARAMETERS = (
    f"format={FORMAT} cells_per_polygon={_CELLS_PER_POLYGON} min_cells={_MIN_CELLS} "
    f"max_cells={_MAX_CELLS} ref={_REF_FX},{_REF_FY}"
)

# The arrays a built locator is made of, saved by `to_arrays` (each as `_<name>`).
_STATE_ARRAYS = (
    "grid",
    "b_cell",
    "b_start",
    "b_count",
    "b_ref_label",
    "b_slow",
    "e_ax",
    "e_ay",
    "e_bx",
    "e_by",
    "e_poly",
    "e_ref_side",
)
_GRID_ARRAYS = ("grid_shape", "grid_origin", "grid_stats", "wkb_data", "wkb_offsets")


@dataclass(frozen=True)
class LocatorStats:
    cells: int
    boundary_cells: int
    edges: int
    cell_edge_pairs: int


class PolygonLocator:
    """Answer "which polygon contains this point?" for many points at once.

    `locate(x, y)` returns, per point, the index of the containing polygon in the sequence
    given to the constructor, or -1 when no polygon contains it.
    """

    def __init__(self, geometries: np.ndarray | list, *, cell_size: float | None = None):
        import shapely

        geoms = np.asarray(geometries, dtype=object)
        if geoms.ndim != 1 or len(geoms) == 0:
            raise ValueError("need at least one polygon")
        self._geometries: np.ndarray | None = geoms
        self._wkb: tuple[np.ndarray, np.ndarray] | None = None
        self._tree_cache: shapely.STRtree | None = None
        shapely.prepare(geoms)

        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        width, height = xmax - xmin, ymax - ymin
        if cell_size is None:
            # About 4,000 cells per polygon, at most 16M cells (64 MB): a trade between the
            # share of points needing the exact test and the memory of the grid.
            target = min(_MAX_CELLS, max(_MIN_CELLS, _CELLS_PER_POLYGON * len(geoms)))
            cell_size = math.sqrt(max(width * height, 1e-12) / target)
        # Pad by half a cell so no vertex sits on the outer grid edge.
        self.x0 = xmin - cell_size / 2
        self.y0 = ymin - cell_size / 2
        self.dx = self.dy = float(cell_size)
        self.nx = math.ceil((width + cell_size) / cell_size) + 1
        self.ny = math.ceil((height + cell_size) / cell_size) + 1

        ax, ay, bx, by, epoly = _edges(geoms)
        self._build(ax, ay, bx, by, epoly)

    def __len__(self) -> int:
        """How many polygons the locator answers for."""
        if self._geometries is not None:
            return len(self._geometries)
        assert self._wkb is not None
        return len(self._wkb[1]) - 1

    @property
    def geometries(self) -> np.ndarray:
        """The polygons, in the order `locate` indexes them (read back lazily from a cache)."""
        if self._geometries is None:
            import shapely

            assert self._wkb is not None
            data, offsets = self._wkb
            self._geometries = shapely.from_wkb(
                [data[offsets[i] : offsets[i + 1]].tobytes() for i in range(len(offsets) - 1)]
            )
            shapely.prepare(self._geometries)
        return self._geometries

    @property
    def _tree(self) -> shapely.STRtree:
        # Only overlapping input needs the tree (cells answered by shapely), so it is made on
        # first use: a locator read from a cache may never need the geometries at all.
        if self._tree_cache is None:
            import shapely

            self._tree_cache = shapely.STRtree(self.geometries)
        return self._tree_cache

    # ------------------------------------------------------------------ save / load

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything `from_arrays` needs, as plain numeric arrays (no pickles)."""
        import shapely

        wkb = shapely.to_wkb(self.geometries)
        offsets = np.zeros(len(wkb) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(b) for b in wkb])
        arrays = {name: getattr(self, f"_{name}") for name in _STATE_ARRAYS}
        arrays.update(
            grid_shape=np.array([self.nx, self.ny], dtype=np.int64),
            grid_origin=np.array([self.x0, self.y0, self.dx, self.dy], dtype=np.float64),
            grid_stats=np.array(
                [
                    self.stats.cells,
                    self.stats.boundary_cells,
                    self.stats.edges,
                    self.stats.cell_edge_pairs,
                ],
                dtype=np.int64,
            ),
            wkb_data=np.frombuffer(b"".join(wkb), dtype=np.uint8),
            wkb_offsets=offsets,
        )
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PolygonLocator:
        """A locator from `to_arrays`'s output; ValueError when it is incomplete or inconsistent."""
        missing = [n for n in (*_STATE_ARRAYS, *_GRID_ARRAYS) if n not in arrays]
        if missing:
            raise ValueError(f"locator arrays lack {', '.join(missing)}")
        self = cls.__new__(cls)
        nx, ny = (int(v) for v in arrays["grid_shape"])
        self.nx, self.ny = nx, ny
        self.x0, self.y0, self.dx, self.dy = (float(v) for v in arrays["grid_origin"])
        for name in _STATE_ARRAYS:
            setattr(self, f"_{name}", np.asarray(arrays[name]))
        self.stats = LocatorStats(*(int(v) for v in arrays["grid_stats"]))
        offsets = np.asarray(arrays["wkb_offsets"], dtype=np.int64)
        data = np.asarray(arrays["wkb_data"], dtype=np.uint8)
        boundary = len(self._b_cell)
        entries = len(self._e_poly)
        consistent = (
            self._grid.shape == (nx * ny,)
            and all(len(getattr(self, f"_{n}")) == boundary for n in _STATE_ARRAYS if n[:2] == "b_")
            and all(len(getattr(self, f"_{n}")) == entries for n in _STATE_ARRAYS if n[:2] == "e_")
            and len(offsets) >= 2
            and offsets[-1] == len(data)
            and bool(np.all(np.diff(offsets) > 0))
            and (not boundary or int((self._b_start + self._b_count).max()) <= entries)
            and int(self._grid.max(initial=-1)) < len(offsets) - 1
        )
        if not consistent:
            raise ValueError("locator arrays do not fit together")
        self._geometries = None
        self._wkb = (data, offsets)
        self._tree_cache = None
        return self

    # ------------------------------------------------------------------ build

    def _build(
        self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, epoly: np.ndarray
    ) -> None:
        nx, ny = self.nx, self.ny
        ref_label, ref_count = self._scanline(ax, ay, bx, by, epoly)

        cell, edge = self._supercover(ax, ay, bx, by)
        # One entry per (cell, edge), ordered by cell then polygon so that the query can sum
        # crossings per (point, polygon) with one reduceat.
        order = np.lexsort((edge, epoly[edge], cell))
        cell, edge = cell[order], edge[order]
        keep = np.ones(len(cell), dtype=bool)
        keep[1:] = (cell[1:] != cell[:-1]) | (edge[1:] != edge[:-1])
        cell, edge = cell[keep], edge[keep]

        bcells, starts, counts = np.unique(cell, return_index=True, return_counts=True)
        grid = ref_label.astype(np.int32, copy=True)
        grid[bcells] = -2 - np.arange(len(bcells), dtype=np.int32)
        # Cells with no edge whose reference point is in two polygons only happen with
        # overlapping input; treat them as boundary cells answered by shapely.
        overlap_cells = np.flatnonzero((ref_count > 1) & (grid >= -1))
        self._grid = grid

        self._b_cell = bcells.astype(np.int64)
        self._b_start = starts.astype(np.int64)
        self._b_count = counts.astype(np.int64)
        self._b_ref_label = ref_label[bcells].astype(np.int32)
        slow = ref_count[bcells] > 1
        if len(overlap_cells):
            extra = len(bcells) + np.arange(len(overlap_cells), dtype=np.int32)
            grid[overlap_cells] = -2 - extra
            self._b_cell = np.concatenate([self._b_cell, overlap_cells])
            self._b_start = np.concatenate([self._b_start, np.zeros(len(overlap_cells), np.int64)])
            self._b_count = np.concatenate([self._b_count, np.zeros(len(overlap_cells), np.int64)])
            self._b_ref_label = np.concatenate(
                [self._b_ref_label, np.full(len(overlap_cells), -1, np.int32)]
            )
            slow = np.concatenate([slow, np.ones(len(overlap_cells), dtype=bool)])
        self._b_slow = slow

        # Per (cell, edge) entry: the edge's coordinates and polygon, gathered once so the
        # query reads contiguous arrays.
        self._e_ax, self._e_ay = ax[edge], ay[edge]
        self._e_bx, self._e_by = bx[edge], by[edge]
        self._e_poly = epoly[edge].astype(np.int32)
        # Orientation of each cell's reference point against each edge in it: fixed per
        # entry, so computed here rather than per query.
        entry_cell = cell
        rx, ry = self._ref_xy(entry_cell)
        self._e_ref_side = np.sign(
            (self._e_bx - self._e_ax) * (ry - self._e_ay)
            - (self._e_by - self._e_ay) * (rx - self._e_ax)
        ).astype(np.int8)
        self.stats = LocatorStats(
            cells=nx * ny,
            boundary_cells=len(self._b_cell),
            edges=len(ax),
            cell_edge_pairs=len(edge),
        )

    def _ref_xy(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j, i = np.divmod(cells, self.nx)
        return self.x0 + (i + _REF_FX) * self.dx, self.y0 + (j + _REF_FY) * self.dy

    def _scanline(
        self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, epoly: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Label every cell's reference point with the polygon containing it (crossing number).

        Returns (label per cell, -1 for none; number of polygons containing it).
        """
        nx, ny = self.nx, self.ny
        ylo, yhi = np.minimum(ay, by), np.maximum(ay, by)
        # Rows whose reference y is in [ylo, yhi): the half-open rule counts a vertex once.
        jlo = np.ceil((ylo - self.y0) / self.dy - _REF_FY).astype(np.int64)
        jhi = np.ceil((yhi - self.y0) / self.dy - _REF_FY).astype(np.int64)
        n = np.maximum(jhi - jlo, 0)
        eidx = np.repeat(np.arange(len(ax)), n)
        offsets = np.arange(len(eidx)) - np.repeat(np.cumsum(n) - n, n)
        rows = jlo[eidx] + offsets
        yr = self.y0 + (rows + _REF_FY) * self.dy
        t = (yr - ay[eidx]) / (by[eidx] - ay[eidx])
        xr = ax[eidx] + t * (bx[eidx] - ax[eidx])
        poly = epoly[eidx]
        order = np.lexsort((xr, rows, poly))
        # Every (polygon, row) group has an even number of crossings, so after sorting the
        # global even/odd positions pair each span's start with its end.
        xs, rows, poly = xr[order], rows[order], poly[order]
        x_start, x_end = xs[0::2], xs[1::2]
        row, p = rows[0::2], poly[0::2].astype(np.int64)
        ilo = np.clip(np.ceil((x_start - self.x0) / self.dx - _REF_FX).astype(np.int64), 0, nx)
        ihi = np.clip(np.ceil((x_end - self.x0) / self.dx - _REF_FX).astype(np.int64), 0, nx)
        span = ihi > ilo
        row, p, ilo, ihi = row[span], p[span], ilo[span], ihi[span]
        width = nx + 1
        # int32 keeps the national grid (16M cells) at 64 MB per array.
        label_diff = np.zeros(ny * width, dtype=np.int32)
        count_diff = np.zeros(ny * width, dtype=np.int32)
        np.add.at(label_diff, row * width + ilo, (p + 1).astype(np.int32))
        np.add.at(label_diff, row * width + ihi, -(p + 1).astype(np.int32))
        np.add.at(count_diff, row * width + ilo, 1)
        np.add.at(count_diff, row * width + ihi, -1)
        label = np.cumsum(label_diff.reshape(ny, width), axis=1, dtype=np.int32)[:, :nx].ravel()
        label -= 1
        del label_diff
        count = np.cumsum(count_diff.reshape(ny, width), axis=1, dtype=np.int32)[:, :nx].ravel()
        label[count != 1] = -1
        return label, count

    def _supercover(
        self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every (cell, edge) with the edge passing through the cell (a superset is fine).

        An edge enters a cell either by starting in it or by crossing one of its sides, so we
        mark the cells of both endpoints and the cells on both sides of every grid-line
        crossing; at a crossing we also look a hair either side along the line, so passing
        exactly through a grid corner marks all four cells around it.
        """
        nx, ny = self.nx, self.ny
        cells: list[np.ndarray] = []
        edges: list[np.ndarray] = []
        eids = np.arange(len(ax))

        def mark(i: np.ndarray, j: np.ndarray, e: np.ndarray) -> None:
            ok = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
            cells.append(j[ok] * nx + i[ok])
            edges.append(e[ok])

        for x, y in ((ax, ay), (bx, by)):
            mark(
                np.floor((x - self.x0) / self.dx).astype(np.int64),
                np.floor((y - self.y0) / self.dy).astype(np.int64),
                eids,
            )
        eps = 1e-6
        for u0, v0, u1, v1, origin_u, step_u, origin_v, step_v, vertical in (
            (ax, ay, bx, by, self.x0, self.dx, self.y0, self.dy, True),
            (ay, ax, by, bx, self.y0, self.dy, self.x0, self.dx, False),
        ):
            ulo, uhi = np.minimum(u0, u1), np.maximum(u0, u1)
            klo = np.ceil((ulo - origin_u) / step_u).astype(np.int64)
            khi = np.floor((uhi - origin_u) / step_u).astype(np.int64)
            n = np.maximum(khi - klo + 1, 0)
            e = np.repeat(eids, n)
            k = klo[e] + (np.arange(len(e)) - np.repeat(np.cumsum(n) - n, n))
            u = origin_u + k * step_u
            du = u1[e] - u0[e]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(du != 0, (u - u0[e]) / du, 0.0)
            v = v0[e] + t * (v1[e] - v0[e])
            vcell = (v - origin_v) / step_v
            for side in (k - 1, k):
                for vv in (np.floor(vcell - eps), np.floor(vcell + eps)):
                    vi = vv.astype(np.int64)
                    if vertical:
                        mark(side, vi, e)
                    else:
                        mark(vi, side, e)
        return np.concatenate(cells), np.concatenate(edges)

    # ------------------------------------------------------------------ query

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the polygon containing each point (x[i], y[i]), or -1 for none."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        fi = np.floor((x - self.x0) / self.dx)
        fj = np.floor((y - self.y0) / self.dy)
        # NaN coordinates and points off the grid are outside every polygon.
        inside = (fi >= 0) & (fi < self.nx) & (fj >= 0) & (fj < self.ny)
        cell = np.where(inside, fj * self.nx + fi, 0).astype(np.int64)
        result = np.where(inside, self._grid[cell], -1)
        hard = np.flatnonzero(result <= -2)
        if len(hard):
            result[hard] = self._locate_boundary(x[hard], y[hard], -2 - result[hard])
        return result.astype(np.int64)

    def _locate_boundary(self, px: np.ndarray, py: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = self._b_ref_label[b].astype(np.int64)
        slow = self._b_slow[b]
        if slow.any():
            out[slow] = self._locate_shapely(px[slow], py[slow])
        fast = np.flatnonzero(~slow)
        if not len(fast):
            return out
        px, py, b = px[fast], py[fast], b[fast]
        counts = self._b_count[b]
        total = int(counts.sum())
        pt = np.repeat(np.arange(len(b)), counts)
        entry = np.repeat(self._b_start[b] - (np.cumsum(counts) - counts), counts) + np.arange(
            total
        )
        ax, ay = self._e_ax[entry], self._e_ay[entry]
        bx, by = self._e_bx[entry], self._e_by[entry]
        qx, qy = px[pt], py[pt]
        rx, ry = self._ref_xy(self._b_cell[b])
        rx, ry = rx[pt], ry[pt]
        # Segment r→q crosses edge a→b when r and q lie strictly on opposite sides of the
        # edge's line and a and b strictly on opposite sides of r→q.
        side_q = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
        ref_side = self._e_ref_side[entry]
        cross = ((ref_side > 0) & (side_q < 0)) | ((ref_side < 0) & (side_q > 0))
        dqx, dqy = qx - rx, qy - ry
        sa = dqx * (ay - ry) - dqy * (ax - rx)
        sb = dqx * (by - ry) - dqy * (bx - rx)
        cross &= ((sa > 0) & (sb < 0)) | ((sa < 0) & (sb > 0))

        poly = self._e_poly[entry]
        new_group = np.ones(total, dtype=bool)
        new_group[1:] = (pt[1:] != pt[:-1]) | (poly[1:] != poly[:-1])
        starts = np.flatnonzero(new_group)
        odd = (np.add.reduceat(cross.astype(np.int32), starts) & 1).astype(bool)
        g_pt, g_poly = pt[starts][odd], poly[starts][odd].astype(np.int64)
        res = out[fast]
        # An odd number of crossings of the reference point's polygon: the point left it.
        leaves = g_poly == res[g_pt]
        res[g_pt[leaves]] = -1
        # An odd number of crossings of another polygon: the point entered it.
        enters = ~leaves
        res[g_pt[enters]] = g_poly[enters]
        out[fast] = res
        return out

    def _locate_shapely(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        import shapely

        points = shapely.points(px, py)
        ipt, ipoly = self._tree.query(points, predicate="within")
        out = np.full(len(px), -1, dtype=np.int64)
        # Lowest polygon index wins where polygons overlap, like taking sjoin's first row.
        order = np.lexsort((-ipoly, ipt))
        out[ipt[order]] = ipoly[order]
        return out


def _edges(
    geoms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All ring edges of the polygons as (ax, ay, bx, by, polygon index)."""
    import shapely

    parts, part_of = shapely.get_parts(geoms, return_index=True)
    types = shapely.get_type_id(parts)
    polygonal = types == shapely.GeometryType.POLYGON
    parts, part_of = parts[polygonal], part_of[polygonal]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    same = coord_of[1:] == coord_of[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    poly = part_of[ring_of[coord_of[:-1][same]]]
    nondegenerate = (a[:, 0] != b[:, 0]) | (a[:, 1] != b[:, 1])
    a, b, poly = a[nondegenerate], b[nondegenerate], poly[nondegenerate]
    return (
        np.ascontiguousarray(a[:, 0]),
        np.ascontiguousarray(a[:, 1]),
        np.ascontiguousarray(b[:, 0]),
        np.ascontiguousarray(b[:, 1]),
        poly.astype(np.int64),
    )
