"""PolygonLocator gives the same answers as GEOS point-in-polygon."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from planning_sv.core.geo.locator import PolygonLocator


def expected(geoms, x, y) -> np.ndarray:
    """Reference answer: first polygon whose interior contains the point (GEOS), else -1."""
    out = np.full(len(x), -1)
    for index in range(len(geoms) - 1, -1, -1):
        out[shapely.contains_xy(geoms[index], x, y)] = index
    return out


def random_points(rng, bounds, n):
    xmin, ymin, xmax, ymax = bounds
    pad_x, pad_y = (xmax - xmin) * 0.1, (ymax - ymin) * 0.1
    return (
        rng.uniform(xmin - pad_x, xmax + pad_x, n),
        rng.uniform(ymin - pad_y, ymax + pad_y, n),
    )


def test_concave_polygons_holes_and_multipolygons_match_geos():
    star = Polygon(
        [
            (
                5 + (4 if k % 2 == 0 else 1.5) * np.cos(k * np.pi / 7),
                5 + (4 if k % 2 == 0 else 1.5) * np.sin(k * np.pi / 7),
            )
            for k in range(14)
        ]
    )
    with_hole = Polygon(
        [(10, 0), (20, 0), (20, 10), (10, 10)], [[(12, 2), (18, 2), (18, 8), (12, 8)]]
    )
    island = Polygon([(14, 4), (16, 4), (16, 6), (14, 6)])  # inside the hole
    split = MultiPolygon([box(0, 12, 3, 15), box(5, 12, 9, 14.5)])
    geoms = np.array([star, with_hole, island, split], dtype=object)
    locator = PolygonLocator(geoms, cell_size=0.37)
    x, y = random_points(np.random.default_rng(1), shapely.total_bounds(geoms), 200_000)
    got = locator.locate(x, y)
    assert np.array_equal(got, expected(geoms, x, y))
    # Every kind of answer happens, so the test exercises interior, boundary and empty cells.
    assert set(np.unique(got)) == {-1, 0, 1, 2, 3}
    assert locator.stats.boundary_cells > 0


def test_tiling_with_shared_edges_has_one_answer_per_point():
    # A 6x5 tiling of squares with jagged shared edges: points lie in exactly one tile.
    tiles = []
    for i in range(6):
        for j in range(5):
            tiles.append(
                Polygon(
                    [
                        (i, j),
                        (i + 0.5, j + 0.1 * ((i + j) % 3)),
                        (i + 1, j),
                        (i + 1, j + 1),
                        (i + 0.5, j + 1 + 0.1 * ((i + j + 1) % 3)),
                        (i, j + 1),
                    ]
                )
            )
    geoms = np.array(tiles, dtype=object)
    x, y = random_points(np.random.default_rng(2), shapely.total_bounds(geoms), 100_000)
    for cell_size in (0.05, 0.31, 2.0):  # many cells, some, and fewer cells than tiles
        got = PolygonLocator(geoms, cell_size=cell_size).locate(x, y)
        assert np.array_equal(got, expected(geoms, x, y)), cell_size


def test_overlapping_polygons_fall_back_to_geos():
    geoms = np.array([box(0, 0, 2, 2), box(1, 1, 3, 3)], dtype=object)
    locator = PolygonLocator(geoms, cell_size=0.1)
    got = locator.locate(np.array([0.5, 1.5, 2.5, 5.0]), np.array([0.5, 1.5, 2.5, 5.0]))
    # In the overlap the lowest index wins, as the first row of sjoin would.
    assert got.tolist() == [0, 0, 1, -1]


def test_nan_and_far_points_are_outside():
    locator = PolygonLocator(np.array([box(0, 0, 1, 1)], dtype=object))
    got = locator.locate(np.array([np.nan, 0.5, 1e9, -1e9]), np.array([0.5, np.nan, 0.5, 0.5]))
    assert got.tolist() == [-1, -1, -1, -1]


def test_empty_input_is_rejected():
    with pytest.raises(ValueError):
        PolygonLocator(np.array([], dtype=object))


@pytest.mark.parametrize(
    "name",
    ["wards_2025_bgc_islington_E09000019.geojson", "wards_2025_bgc_salford_E08000006.geojson"],
)
def test_real_wards_equal_sjoin_within(data_dir, name):
    wards = gpd.read_file(data_dir / "boundaries" / name)
    locator = PolygonLocator(wards.geometry.values)
    x, y = random_points(np.random.default_rng(3), wards.total_bounds, 50_000)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=wards.crs)
    joined = gpd.sjoin(points, wards[["geometry"]], how="left", predicate="within")
    assert not joined.index.duplicated().any()
    theirs = joined["index_right"].fillna(-1).astype(int).to_numpy()
    ours = locator.locate(x, y)
    assert np.array_equal(ours, theirs)
    assert (ours >= 0).sum() > 10_000 and (ours == -1).sum() > 1_000
