"""A one-shot `planning-sv locate` with its grid cached imports no heavy library: start-up is
most of such a run, and pandas, geopandas, shapely, SQLAlchemy or Flask would double it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.core.geo.test_locator_cache import write_wards

NOT_FOR_LOCATE = ("pandas", "geopandas", "shapely", "pyogrio", "sqlalchemy", "flask", "pydantic")


def _locate_in_fresh_process(points: Path, wards: Path, out: Path, cache: Path) -> set[str]:
    script = (
        "import sys, json\n"
        "from planning_sv.cli import cli\n"
        "try:\n"
        f"    cli(['locate', {str(points)!r}, '--boundaries', {str(wards)!r}, '-o', {str(out)!r}],"
        " prog_name='planning-sv')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PLANNING_SV_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_cached_locate_run_imports_only_numpy_and_click(tmp_path: Path) -> None:
    wards = write_wards(tmp_path / "wards.geojson")
    points = tmp_path / "points.csv"
    points.write_text("id,lon,lat\n1,-0.115,51.555\n2,-0.105,51.555\n3,x,\n", "utf-8")
    cache = tmp_path / "cache"
    out = tmp_path / "out.csv"

    first = _locate_in_fresh_process(points, wards, out, cache)
    # The first run reads the boundary file (geopandas) and builds the grid (shapely).
    assert {"geopandas", "shapely"} <= first
    second = _locate_in_fresh_process(points, wards, out, cache)
    assert [m for m in NOT_FOR_LOCATE if m in second] == []
    assert "numpy" in second and "planning_sv.core.geo.batch" in second
    assert out.read_text("utf-8") == (
        "id,lon,lat,ward_code,ward_name\n"
        "1,-0.115,51.555,E05000001,Alpha\n"
        "2,-0.105,51.555,E05000002,Beta\n"
        "3,x,,,\n"
    )
