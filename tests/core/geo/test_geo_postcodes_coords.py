"""Postcode normalisation and lookup; coordinate checks."""

from __future__ import annotations

import pytest

from planning_sv.core.geo.coords import (
    check_easting_northing,
    check_lonlat,
    parse_geojson_geometry,
)
from planning_sv.core.geo.postcodes import PostcodeIndex, looks_like_postcode, normalise_postcode


@pytest.fixture(scope="module")
def postcodes(data_dir):
    return PostcodeIndex(
        data_dir / "postcodes" / "codepoint_open_2025-10_islington_salford_plus_1km.csv"
    )


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("n195rq", "N19 5RQ"),
        ("N19   5RQ", "N19 5RQ"),
        (" m5 4wt ", "M5 4WT"),
        ("ec1p1ad", "EC1P 1AD"),
    ],
)
def test_normalise(raw, normal):
    assert normalise_postcode(raw) == normal
    assert looks_like_postcode(raw)


def test_not_postcodes():
    assert not looks_like_postcode("Highbury")
    assert not looks_like_postcode("12345")


def test_lookup_real_postcodes(postcodes):
    assert len(postcodes) == 25_793
    point = postcodes.lookup("n7 8qp")
    assert point is not None
    assert (point.easting, point.northing) == (530967, 185107)
    assert (point.lon, point.lat) == (-0.112506, 51.549665)
    assert not point.non_geographic
    assert postcodes.lookup("N1 9ZZ") is None


def test_po_box_districts_are_flagged(postcodes):
    assert postcodes.lookup("EC1P 1AD").non_geographic
    assert postcodes.lookup("M60 9HL").non_geographic


def test_lonlat_checks():
    assert check_lonlat([-0.1, 51.5], "$.p") == []
    assert "[latitude, longitude]" in check_lonlat([51.5, -0.1], "$.p")[0].message
    assert "outside Great Britain" in check_lonlat([-74.0, 40.7], "$.p")[0].message
    assert "finite" in check_lonlat([float("nan"), 51.5], "$.p")[0].message
    assert check_lonlat([51.5, -0.1], "$.p")[0].path == "$.p"


def test_easting_northing_checks():
    assert check_easting_northing([531830, 185277], "$.e") == []
    assert "outside Great Britain" in check_easting_northing([-5, 185277], "$.e")[0].message
    assert "lon/lat" in check_easting_northing([-0.1, 51.5], "$.e")[0].message


def test_geojson_problems_name_the_field():
    geometry, problems, _ = parse_geojson_geometry(
        {
            "type": "Polygon",
            "coordinates": [[[51.5, -0.1], [51.6, -0.1], [51.6, -0.2], [51.5, -0.1]]],
        },
        "$.site.geometry",
    )
    assert geometry is None
    assert problems[0].path == "$.site.geometry.coordinates"
    assert (
        "[latitude, longitude]" in problems[0].message
        and "(4 of 4 positions)" in problems[0].message
    )
    _, problems, _ = parse_geojson_geometry(
        {"type": "Polygon", "coordinates": [[1, 2]]}, "$.site.geometry"
    )
    assert problems[0].path == "$.site.geometry.coordinates"
