"""The batch locator's grid cached on disk: reused, keyed by the file's content, rebuilt when bad."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from planning_sv.core.geo import boundaries
from planning_sv.core.geo.batch import WardLookup, cache_key, read_arrays, write_arrays
from planning_sv.core.geo.locator import PolygonLocator

# Two 0.01° squares side by side in north London: Alpha west of -0.11, Beta east of it.
ALPHA = [[-0.12, 51.55], [-0.11, 51.55], [-0.11, 51.56], [-0.12, 51.56], [-0.12, 51.55]]
BETA = [[-0.11, 51.55], [-0.10, 51.55], [-0.10, 51.56], [-0.11, 51.56], [-0.11, 51.55]]
# In Alpha, in Beta, east of both, and a NaN row.
LON = np.array([-0.115, -0.105, -0.05, np.nan])
LAT = np.array([51.555, 51.555, 51.555, 51.555])


def write_wards(path: Path, beta_name: str = "Beta") -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"WD25CD": code, "WD25NM": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for code, name, ring in (("E05000001", "Alpha", ALPHA), ("E05000002", beta_name, BETA))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def no_reading(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the boundary file was read although the cache holds its grid")


def test_second_lookup_reads_the_cache_not_the_file(tmp_path, monkeypatch):
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    built = WardLookup.from_file(wards, cache_dir=cache)
    files = list(cache.glob("wards-*.grid"))
    assert [f.name for f in files] == [f"wards-{cache_key(wards)}.grid"]

    monkeypatch.setattr(boundaries, "read_boundary_file", no_reading)
    cached = WardLookup.from_file(wards, cache_dir=cache)
    codes, names = cached.lookup(LON, LAT)
    assert list(codes) == ["E05000001", "E05000002", "", ""]
    assert list(names) == ["Alpha", "Beta", "", ""]
    assert cached.locator.stats == built.locator.stats
    assert len(cached.locator) == 2


def test_changed_file_gets_a_new_key_and_its_own_names(tmp_path):
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    WardLookup.from_file(wards, cache_dir=cache)
    old_key = cache_key(wards)

    write_wards(wards, beta_name="Beta Renamed")
    assert cache_key(wards) != old_key
    _codes, names = WardLookup.from_file(wards, cache_dir=cache).lookup(LON, LAT)
    assert list(names) == ["Alpha", "Beta Renamed", "", ""]
    assert len(list(cache.glob("wards-*.grid"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other_format"])
def test_corrupt_or_outdated_cache_is_rebuilt(tmp_path, damage):
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    WardLookup.from_file(wards, cache_dir=cache)
    saved = cache / f"wards-{cache_key(wards)}.grid"
    good = saved.read_bytes()
    if damage == "garbage":
        saved.write_bytes(b"not a locator grid file at all")
    elif damage == "truncated":
        saved.write_bytes(good[: len(good) // 2])
    else:
        _fmt, arrays = read_arrays(saved)
        arrays = {name: np.array(value) for name, value in arrays.items()}
        write_arrays(saved, arrays, "format=0 an older locator")

    codes, _names = WardLookup.from_file(wards, cache_dir=cache).lookup(LON, LAT)
    assert list(codes) == ["E05000001", "E05000002", "", ""]
    # The rebuilt grid replaced the bad file: it loads again on its own.
    assert list(WardLookup.load(saved).lookup(LON, LAT)[0]) == list(codes)


def test_no_cache_dir_writes_nothing(tmp_path):
    wards = write_wards(tmp_path / "wards.geojson")
    WardLookup.from_file(wards)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wards.geojson"]


def test_locator_arrays_round_trip_with_overlapping_polygons():
    # Two overlapping squares: cells in the overlap are answered by shapely, so the saved
    # locator must bring its polygons back too. The lower index wins in the overlap.
    first = shapely.box(0, 0, 2, 2)
    second = shapely.box(1, 1, 3, 3)
    locator = PolygonLocator([first, second])
    restored = PolygonLocator.from_arrays(locator.to_arrays())
    x = np.array([0.5, 1.5, 2.5, 5.0])
    y = np.array([0.5, 1.5, 2.5, 5.0])
    assert list(restored.locate(x, y)) == [0, 0, 1, -1]
    assert list(locator.locate(x, y)) == [0, 0, 1, -1]
    assert shapely.equals(restored.geometries[1], second)


def test_inconsistent_arrays_are_refused():
    arrays = PolygonLocator([shapely.box(0, 0, 1, 1)]).to_arrays()
    arrays["grid"] = arrays["grid"][:-1]
    with pytest.raises(ValueError, match="do not fit together"):
        PolygonLocator.from_arrays(arrays)
    del arrays["e_poly"]
    with pytest.raises(ValueError, match="lack e_poly"):
        PolygonLocator.from_arrays(arrays)
