"""Boundary files: column detection, CRS handling, repair, and the vintage registry."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.boundaries import BoundaryRegistry, read_boundary_file
from planning_sv.core.geo.service import GeoService
from planning_sv.core.statement import Where


@pytest.fixture(scope="module")
def salford_2025(data_dir):
    return gpd.read_file(data_dir / "boundaries" / "wards_2025_bgc_salford_E08000006.geojson")


def test_detects_ons_columns(data_dir):
    frame, warnings = read_boundary_file(
        data_dir / "boundaries" / "wards_2025_bgc_islington_E09000019.geojson"
    )
    assert len(frame) == 17 and warnings == []
    assert list(frame.columns) == ["code", "name", "lad_code", "geometry"]
    assert set(frame["lad_code"]) == {"E09000019"}
    assert frame.crs.to_epsg() == 4326


def test_previous_vintage_without_lad_column_uses_fallbacks(data_dir):
    frame, _ = read_boundary_file(
        data_dir / "boundaries" / "wards_2020_bgc_islington_E09000019_previous_vintage.geojson"
    )
    assert len(frame) == 16
    assert set(frame["lad_code"]) == {"E09000019"}
    assert "Highbury East" in set(frame["name"])


def test_shapefile_in_british_national_grid(tmp_path, salford_2025):
    # Written in EPSG:27700 with 2022-style column names, read back in lon/lat.
    path = tmp_path / "salford_wd22.shp"
    salford_2025.rename(columns={"WD25CD": "WD22CD", "WD25NM": "WD22NM", "LAD25CD": "LAD22CD"})[
        ["WD22CD", "WD22NM", "LAD22CD", "geometry"]
    ].to_crs(27700).to_file(path)
    frame, _ = read_boundary_file(path)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 20
    ordsall = frame.loc[frame["code"] == "E05013028", "geometry"].iloc[0]
    assert ordsall.contains(gpd.points_from_xy([-2.272852], [53.47676])[0])


def test_explicit_columns_and_missing_columns(tmp_path, salford_2025):
    path = tmp_path / "custom.gpkg"
    salford_2025.rename(columns={"WD25CD": "ward_id", "WD25NM": "label"})[
        ["ward_id", "label", "geometry"]
    ].to_file(path, driver="GPKG")
    with pytest.raises(InputInvalid) as caught:
        read_boundary_file(path)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"--code-column", "--name-column", "--lad-column"}
    frame, _ = read_boundary_file(
        path, code_column="ward_id", name_column="label", lad_code="E08000006"
    )
    assert set(frame["lad_code"]) == {"E08000006"} and len(frame) == 20
    with pytest.raises(InputInvalid) as caught:
        read_boundary_file(path, code_column="nope", name_column="label", lad_code="E08000006")
    assert caught.value.problems[0].message.startswith("no column 'nope'")


def test_invalid_geometry_is_repaired_with_warning(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    square = Polygon([(2, 0), (3, 0), (3, 1), (2, 1)])
    path = tmp_path / "w.geojson"
    gpd.GeoDataFrame(
        {"WD25CD": ["E05000001", "E05000002"], "WD25NM": ["A", "B"], "LAD25CD": ["E09000001"] * 2},
        geometry=[bowtie, square],
        crs=27700,
    ).to_file(path)
    frame, warnings = read_boundary_file(path)
    assert frame.geometry.is_valid.all()
    assert any("repaired 1 invalid" in w for w in warnings)


def test_unreadable_and_crs_less_files(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("this is not json")
    with pytest.raises(InputInvalid) as caught:
        read_boundary_file(bad)
    assert "cannot read" in caught.value.problems[0].message
    with pytest.raises(InputInvalid) as caught:
        read_boundary_file(tmp_path / "missing.geojson")
    assert caught.value.problems[0].message == "file not found"


def test_registry_keeps_vintages_and_service_uses_imports(tmp_path, data_dir, salford_2025):
    instance = tmp_path / "instance"
    registry = BoundaryRegistry(instance)
    with pytest.raises(InputInvalid) as caught:
        registry.import_file(tmp_path / "x.geojson", "2025 May")  # bad label
    # Refused for the label (checked first), not for the missing file.
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("--vintage", "'2025 May' is not a vintage label like 2025 or 2025-05")
    ]
    # A "2026" vintage where Ordsall is renamed: the service must answer with the import.
    renamed = salford_2025.copy()
    renamed.loc[renamed["WD25CD"] == "E05013028", "WD25NM"] = "Ordsall Riverside"
    path = tmp_path / "salford_2026.geojson"
    renamed.to_file(path)
    entry, _ = registry.import_file(path, "2026")
    assert entry.features == 20 and entry.lad_codes == ["E08000006"]
    registry.import_file(path, "2026")  # re-import replaces, not duplicates
    assert len(registry.entries()) == 1

    service = GeoService(data_dir, instance)
    assert {"2020", "2025", "2026"} <= set(service.vintages())
    placement = service.place(
        Where(point=[-2.272852, 53.47676]), lad_code="E08000006", vintage="2026"
    )
    assert placement.vintage == "2026"
    assert [(w.code, w.name) for w in placement.wards] == [("E05013028", "Ordsall Riverside")]
    with pytest.raises(KeyError):
        service.council("1999", "E08000006")
