"""Benchmark: the project's ward locator against geopandas.sjoin on 1,000,000 points.

    python bench/locate.py [--points N] [--seed S]

Loads England's 6,826 2025 wards (EPSG:4326), draws random points inside England with a fixed
seed, times `PolygonLocator.locate` and `geopandas.sjoin(predicate="within")` on the same
points, checks every answer is identical, and prints as its last line:

    locate_mpts_per_s=<x> sjoin_mpts_per_s=<y> ratio_vs_sjoin=<x/y> identical=<true|false>

The locator's one-off build is printed separately: like sjoin's spatial index it is made once
per boundary set, but unlike sjoin's it is reused across calls (the service caches it), so
the rate compares query work with query work. sjoin's time includes building its STRtree,
which is about 1% of its total.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planning_sv.config import data_dir
from planning_sv.core.geo.locator import PolygonLocator


def england_points(n: int, seed: int, data: Path) -> tuple[np.ndarray, np.ndarray]:
    """n uniform random lon/lat points inside England's outline (LAD 2024, 500 m generalised).

    Uniform in the bounding box, rejected outside England. The outline is coarser than the
    wards, so a few points land just off the coast in no ward: that exercises "outside" too.
    """
    lads = gpd.read_file(data / "boundaries" / "lad2024_buc_uk.geojson")
    england = shapely.union_all(lads[lads["LAD24CD"].str.startswith("E")].geometry.values)
    shapely.prepare(england)
    xmin, ymin, xmax, ymax = england.bounds
    rng = np.random.default_rng(seed)
    xs, ys, have = [], [], 0
    while have < n:
        x = rng.uniform(xmin, xmax, 2 * n)
        y = rng.uniform(ymin, ymax, 2 * n)
        ok = shapely.contains_xy(england, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()

    data = data_dir()
    t = time.perf_counter()
    wards = gpd.read_file(data / "boundaries" / "wards_2025_bgc_england.geojson")
    print(f"loaded {len(wards)} wards in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    x, y = england_points(args.points, args.seed, data)
    print(f"drew {len(x):,} points inside England in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    locator = PolygonLocator(wards.geometry.values)
    build_s = time.perf_counter() - t
    s = locator.stats
    print(
        f"locator build {build_s:.2f} s: {s.cells:,} cells, {s.boundary_cells:,} boundary "
        f"cells, {s.edges:,} edges, {s.cell_edge_pairs:,} cell-edge entries"
    )

    # Best of three: the first call also pays for page faults on the grid.
    times = []
    for _ in range(3):
        t = time.perf_counter()
        ours = locator.locate(x, y)
        times.append(time.perf_counter() - t)
    locate_s = min(times)
    print(
        f"locator: {locate_s * 1000:.1f} ms (runs: {', '.join(f'{v * 1000:.0f}' for v in times)})"
    )

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=wards.crs)
    t = time.perf_counter()
    joined = gpd.sjoin(points, wards[["geometry"]], how="left", predicate="within")
    sjoin_s = time.perf_counter() - t
    print(f"sjoin: {sjoin_s:.2f} s")

    # One answer per point: sjoin repeats a point that falls in two wards (none should).
    duplicated = int(joined.index.duplicated().sum())
    theirs = (
        joined[~joined.index.duplicated(keep="first")]["index_right"]
        .reindex(range(len(x)))
        .fillna(-1)
        .astype(np.int64)
        .to_numpy()
    )
    identical = duplicated == 0 and bool(np.array_equal(ours, theirs))
    mismatches = int((ours != theirs).sum())
    outside = int((ours == -1).sum())
    print(
        f"points outside every ward: {outside:,}; mismatches: {mismatches}; "
        f"points in two wards: {duplicated}"
    )
    if mismatches:
        bad = np.flatnonzero(ours != theirs)[:5]
        print(pd.DataFrame({"x": x[bad], "y": y[bad], "ours": ours[bad], "sjoin": theirs[bad]}))

    locate_rate = len(x) / locate_s / 1e6
    sjoin_rate = len(x) / sjoin_s / 1e6
    # For a one-off batch the build counts too: printed for honesty, not in the last line.
    with_build = len(x) / (locate_s + build_s) / 1e6
    print(
        f"locator including its build: {with_build:.2f} M points/s "
        f"({with_build / sjoin_rate:.1f}x sjoin)"
    )
    print(
        f"locate_mpts_per_s={locate_rate:.2f} sjoin_mpts_per_s={sjoin_rate:.3f} "
        f"ratio_vs_sjoin={locate_rate / sjoin_rate:.1f} identical={str(identical).lower()}"
    )


if __name__ == "__main__":
    main()
