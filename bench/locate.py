"""Benchmark: the project's ward locator against geopandas.sjoin on 1,000,000 points.

    python bench/locate.py [--points N] [--seed S]

Loads England's 6,826 2025 wards (EPSG:4326), draws random points inside England with a fixed
seed, times `PolygonLocator.locate` and `geopandas.sjoin(predicate="within")` on the same
points, checks every answer is identical, and prints as its last line:

    locate_mpts_per_s=<x> sjoin_mpts_per_s=<y> ratio_vs_sjoin=<x/y> identical=<true|false> cold_cli_ratio_vs_sjoin=<z>

The locator's one-off build is printed separately: like sjoin's spatial index it is made once
per boundary set, but unlike sjoin's it is reused across calls (the service caches it), so
the rate compares query work with query work. sjoin's time includes building its STRtree,
which is about 1% of its total.

The cold ratio compares whole one-off jobs, each a fresh process: `planning-sv locate` of the
same points written as a CSV (start-up, mapping its cached grid, reading and writing the
CSV), against a python process that imports geopandas, reads the wards and the CSV, sjoins
and writes the same ward code and name columns. The CLI's grid cache (PLANNING_SV_CACHE_DIR,
a temporary folder here) is filled by a first, separately reported run. So is its bytecode:
the CLI runs with a bytecode cache in the same temporary folder (PYTHONPYCACHEPREFIX, and
PYTHONDONTWRITEBYTECODE unset for it alone). Without that, in a checkout whose environment
sets PYTHONDONTWRITEBYTECODE, the CLI would compile its own modules from source on every
run (about 30 ms of CPU), while the baseline's libraries load the bytecode pip compiled at
install, as an installed planning-sv's would; the sjoin script runs with the environment
unchanged. Each kind then runs `--cold-runs` times, alternated so both see the same machine
load; the ratio is of the medians, and CPU times are printed beside them. `identical` is true
only when the in-process answers equal sjoin's and the CLI's output rows carry the same ward
code and name as the sjoin script's.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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


SJOIN_SCRIPT = """
import sys
import geopandas as gpd
import pandas as pd
points_csv, wards_file, out_csv = sys.argv[1:4]
wards = gpd.read_file(wards_file)
code = [c for c in wards.columns if c.upper().startswith("WD") and c.upper().endswith("CD")][0]
name = [c for c in wards.columns if c.upper().startswith("WD") and c.upper().endswith("NM")][0]
points = pd.read_csv(points_csv, dtype=str, keep_default_na=False)
frame = gpd.GeoDataFrame(
    points,
    geometry=gpd.points_from_xy(pd.to_numeric(points["lon"]), pd.to_numeric(points["lat"])),
    crs=wards.crs,
)
joined = gpd.sjoin(frame, wards[[code, name, "geometry"]], how="left", predicate="within")
joined = joined[~joined.index.duplicated(keep="first")]
out = points.assign(ward_code=joined[code].fillna("").values, ward_name=joined[name].fillna("").values)
out.to_csv(out_csv, index=False)
"""


def same_wards(ours: Path, theirs: Path) -> bool:
    """Whether two located CSVs hold the same rows with the same ward code and name."""
    if ours.read_bytes() == theirs.read_bytes():
        return True
    with (
        ours.open(newline="", encoding="utf-8") as a,
        theirs.open(newline="", encoding="utf-8") as b,
    ):
        return all(
            x[-2:] == y[-2:]
            for x, y in itertools.zip_longest(csv.reader(a), csv.reader(b), fillvalue=[])
        )


def cold_runs(x: np.ndarray, y: np.ndarray, wards_file: Path, runs: int) -> tuple[float, bool]:
    """Median wall seconds of one-shot `planning-sv locate` runs and of cold sjoin scripts,
    alternated; prints both with CPU time. Returns (sjoin / CLI median ratio, same answers)."""
    cli = Path(sys.executable).with_name("planning-sv")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "planning_sv"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        points_csv = folder / "points.csv"
        pd.DataFrame({"id": np.arange(len(x)), "lon": x.round(7), "lat": y.round(7)}).to_csv(
            points_csv, index=False
        )
        # Compiled once by the first run, like the grid (see the module docstring).
        env = {
            **os.environ,
            "PLANNING_SV_CACHE_DIR": str(folder / "cache"),
            "PYTHONPYCACHEPREFIX": str(folder / "bytecode"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        args = ["locate", str(points_csv), "--boundaries", str(wards_file)]

        def run(argv: list[str], **kwargs: object) -> tuple[float, float]:
            # CPU time (user + system of the child) hardly moves when other work shares the
            # machine; wall time does.
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

        first, _ = run([*command, *args, "-o", str(folder / "first.csv")], env=env)
        sjoin_argv = [
            sys.executable,
            "-c",
            SJOIN_SCRIPT,
            str(points_csv),
            str(wards_file),
            str(folder / "sjoin.csv"),
        ]
        cli_times, sjoin_times = [], []
        for _ in range(runs):
            cli_times.append(run([*command, *args, "-o", str(folder / "cli.csv")], env=env))
            sjoin_times.append(run(sjoin_argv))
        same = same_wards(folder / "cli.csv", folder / "sjoin.csv")
    cli_s = statistics.median(t for t, _ in cli_times)
    sjoin_s = statistics.median(t for t, _ in sjoin_times)
    cli_cpu = statistics.median(c for _, c in cli_times)
    sjoin_cpu = statistics.median(c for _, c in sjoin_times)

    def listing(times: list[tuple[float, float]]) -> str:
        return ", ".join(f"{t:.2f}" for t, _ in times)

    print(
        f"one-shot CLI, median of {runs}: {cli_s:.2f} s wall, {cli_cpu:.2f} s CPU "
        f"(runs: {listing(cli_times)}; {first:.2f} s on the first run, which builds and saves "
        f"the grid)\ncold sjoin script, median of {runs}: {sjoin_s:.2f} s wall, "
        f"{sjoin_cpu:.2f} s CPU (runs: {listing(sjoin_times)})\n"
        f"cold ratio: {sjoin_s / cli_s:.1f} by wall time, {sjoin_cpu / cli_cpu:.1f} by CPU time; "
        f"same ward code and name on every row: {str(same).lower()}"
    )
    return sjoin_s / cli_s, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--no-cold", action="store_true", help="skip the one-shot process runs")
    parser.add_argument("--cold-runs", type=int, default=3, help="one-shot runs of each kind")
    args = parser.parse_args()

    data = data_dir()
    t = time.perf_counter()
    wards_file = data / "boundaries" / "wards_2025_bgc_england.geojson"
    wards = gpd.read_file(wards_file)
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
    cold = ""
    if not args.no_cold:
        ratio, same = cold_runs(x, y, wards_file, args.cold_runs)
        identical = identical and same
        cold = f" cold_cli_ratio_vs_sjoin={ratio:.1f}"
    print(
        f"locate_mpts_per_s={locate_rate:.2f} sjoin_mpts_per_s={sjoin_rate:.3f} "
        f"ratio_vs_sjoin={locate_rate / sjoin_rate:.1f} identical={str(identical).lower()}{cold}"
    )


if __name__ == "__main__":
    main()
