"""GeoService on real Islington and Salford places, one test per input kind plus edge cases.

Coordinates are taken from the data: ONS ward label points (BNG_E/BNG_N, LONG/LAT columns
of the 2025 ward files) and Code-Point Open postcodes.
"""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.coords import bng_to_lonlat
from planning_sv.core.geo.population import WARD_SUMMARY_FILE
from planning_sv.core.geo.service import GeoService
from planning_sv.core.placement import Placement
from planning_sv.core.statement import Site, Where, parse_statement

ISLINGTON = "E09000019"
SALFORD = "E08000006"


def place(service: GeoService, lad: str = ISLINGTON, local: dict | None = None, **where):
    return service.place(
        Where(**where),
        lad_code=lad,
        vintage="2025",
        local_definition=local or {"kind": "borough"},
        path="$.commitments[0].where",
    )


def codes(placement: Placement) -> list[str]:
    return [w.code for w in placement.wards]


def bng_box_geojson(*boxes: tuple[float, float, float, float]) -> dict:
    """GeoJSON (lon/lat) of rectangles given in British National Grid metres."""
    polygons = []
    for xmin, ymin, xmax, ymax in boxes:
        ring = [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax), (xmin, ymin)]
        lon, lat = bng_to_lonlat([p[0] for p in ring], [p[1] for p in ring])
        polygons.append([[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]])
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


# ---------------------------------------------------------------- each input kind


def test_point_lonlat_islington_label_point(service):
    # Arsenal's ONS label point (LONG, LAT in the 2025 ward file).
    placement = place(service, point=[-0.107138, 51.55633])
    assert placement.method == "point"
    assert placement.vintage == "2025"
    assert [(w.code, w.name, w.share) for w in placement.wards] == [("E05013697", "Arsenal", 1.0)]
    assert placement.inside_council and placement.local
    assert placement.point == (-0.107138, 51.55633)


def test_point_salford(service):
    # Ordsall's label point.
    placement = place(service, SALFORD, point=[-2.272852, 53.47676])
    assert codes(placement) == ["E05013028"]
    assert placement.wards[0].name == "Ordsall"


def test_easting_northing(service):
    # Highbury's label point in BNG metres (BNG_E, BNG_N).
    placement = place(service, easting_northing=[531830, 185277])
    assert placement.method == "easting_northing"
    assert codes(placement) == ["E05013704"]
    lon, lat = placement.point
    assert lon == pytest.approx(-0.100003, abs=5e-5) and lat == pytest.approx(51.55099, abs=5e-5)


@pytest.mark.parametrize(
    ("text", "lad", "ward"),
    [
        ("N19 5RQ", ISLINGTON, "E05013707"),  # Junction
        ("n195rq", ISLINGTON, "E05013707"),  # spacing and case normalised
        (" N7  8QP ", ISLINGTON, "E05013708"),  # Laycock
        ("M5 4WT", SALFORD, "E05013028"),  # Ordsall
        ("m282ly", SALFORD, "E05013032"),  # Swinton & Wardley
    ],
)
def test_postcode(service, text, lad, ward):
    placement = place(service, lad, postcode=text)
    assert placement.method == "postcode"
    assert codes(placement) == [ward]
    assert placement.warnings == ()


def test_po_box_postcode_is_placed_with_a_warning(service):
    # M60 9HL is in the non-geographic M60 district: placed at the delivery office.
    placement = place(service, SALFORD, postcode="M60 9HL")
    assert codes(placement) == ["E05013028"]
    assert any("PO box" in w for w in placement.warnings)


def test_ward_code(service):
    placement = place(service, ward="E05013705")
    assert placement.method == "ward"
    assert [(w.code, w.name, w.share) for w in placement.wards] == [("E05013705", "Hillrise", 1.0)]


def test_borough_spreads_by_population(service):
    placement = place(service, borough=True)
    population = service.ward_population(ISLINGTON)
    assert placement.method == "borough"
    assert len(placement.wards) == 17 == len(population)
    assert [w.code for w in placement.wards] == sorted(population)
    assert sum(w.share for w in placement.wards) == pytest.approx(1.0, abs=1e-9)
    total = sum(population.values())
    assert total == 248_115
    laycock = next(w for w in placement.wards if w.code == "E05013708")
    assert laycock.share == pytest.approx(population["E05013708"] / total, abs=1e-6)
    assert any("population" in w for w in placement.warnings)


def test_geo_and_valuation_share_one_ward_population(service):
    """One reader of the ward summary: the geo spread and valuation's fallback spread give
    the same wards and shares (248,115 residents in Islington's 17 wards)."""
    from planning_sv.core.valuation import population_shares

    population = service.ward_population(ISLINGTON)
    shares = population_shares(ISLINGTON, service.data_dir / WARD_SUMMARY_FILE)
    assert sorted(w.code for w in shares) == sorted(population)
    for share in shares:
        assert share.share == pytest.approx(population[share.code] / 248_115, rel=1e-12)


def test_polygon_straddling_two_wards_matches_hand_computation(service):
    # A straight 894 m edge of the 2025 boundary between Canonbury (south) and Mildmay
    # (north) runs from (532076.531, 184873.282) to (532968.734, 184816.659) in BNG.
    # Rectangle x 532300..532500, y 184700..185000 crosses only that edge; the part below the
    # line is a trapezoid: width * (mean height of the line above y=184700).
    ax, ay, bx, by = 532076.531, 184873.282, 532968.734, 184816.659

    def line_y(x: float) -> float:
        return ay + (x - ax) * (by - ay) / (bx - ax)

    x0, y0, x1, y1 = 532300, 184700, 532500, 185000
    canonbury_area = (x1 - x0) * ((line_y(x0) + line_y(x1)) / 2 - y0)
    expected_canonbury = canonbury_area / ((x1 - x0) * (y1 - y0))
    assert expected_canonbury == pytest.approx(0.50918, abs=1e-4)  # the arithmetic, by hand

    wards = service.council("2025", ISLINGTON)
    pair = shapely.union_all(
        [wards.geoms_bng[list(wards.codes).index(c)] for c in ("E05013701", "E05013709")]
    )
    assert pair.contains(box(x0, y0, x1, y1))  # precondition: only these two wards

    placement = place(service, geometry=bng_box_geojson((x0, y0, x1, y1)))
    assert placement.method == "polygon"
    shares = {w.code: w.share for w in placement.wards}
    assert set(shares) == {"E05013701", "E05013709"}
    assert shares["E05013701"] == pytest.approx(expected_canonbury, abs=2e-4)
    assert shares["E05013709"] == pytest.approx(1 - expected_canonbury, abs=2e-4)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert placement.outside_share == 0.0


def test_polygon_partly_outside_the_borough(service):
    # Two equal 100 m squares: one round Arsenal's label point, one round NW5 1TL in Camden.
    geometry = bng_box_geojson((531270, 185808, 531370, 185908), (528671, 185475, 528771, 185575))
    placement = place(service, geometry=geometry)
    assert codes(placement) == ["E05013697"]
    assert placement.wards[0].share == pytest.approx(1.0)
    assert placement.outside_share == pytest.approx(0.5, abs=1e-3)
    assert placement.inside_council
    assert any("outside" in w for w in placement.warnings)


def test_geojson_point_geometry_is_a_point(service):
    placement = place(
        service, SALFORD, geometry={"type": "Point", "coordinates": [-2.293258, 53.47304]}
    )
    assert placement.method == "point"
    assert codes(placement) == ["E05013031"]  # Quays


# ---------------------------------------------------------------- edge cases


def test_point_outside_borough_reports_nearest_ward(service):
    # NW5 1TL (Camden, Kentish Town North) is about 500 m west of Islington's Junction ward.
    placement = place(service, postcode="NW5 1TL")
    assert placement.wards == ()
    assert not placement.inside_council
    assert placement.nearest_ward is not None
    assert placement.nearest_ward.code in {"E05013707", "E05013713"}  # Junction, Tufnell Park
    assert 0 < placement.nearest_distance_m < 1500
    assert not placement.local and placement.local_reason == "outside the borough"


def test_islington_point_in_salford_plan_is_outside_with_distance(service):
    placement = place(service, SALFORD, point=[-0.107138, 51.55633])
    assert not placement.inside_council
    # London to Salford is about 260 km.
    assert 230_000 < placement.nearest_distance_m < 290_000


def test_invalid_polygon_is_repaired_with_warning(service):
    # A bow-tie (self-intersecting) inside Highbury ward.
    lon, lat = bng_to_lonlat([531780, 531880, 531780, 531880], [185227, 185327, 185327, 185227])
    ring = [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    placement = place(service, geometry=geometry)
    assert any(
        "make_valid" in w and "$.commitments[0].where.geometry" in w for w in placement.warnings
    )
    assert codes(placement) == ["E05013704"]
    assert placement.wards[0].share == pytest.approx(1.0)


def test_polygon_empty_after_repair_is_rejected(service):
    line = [[-0.10, 51.55], [-0.09, 51.55], [-0.08, 51.55], [-0.10, 51.55]]
    with pytest.raises(InputInvalid) as caught:
        place(service, geometry={"type": "Polygon", "coordinates": [line]})
    assert caught.value.problems[0].path == "$.commitments[0].where.geometry"
    assert "empty after repair" in caught.value.problems[0].message


def test_swapped_coordinates_are_named(service):
    with pytest.raises(InputInvalid) as caught:
        place(service, point=[51.55633, -0.107138])
    problem = caught.value.problems[0]
    assert problem.path == "$.commitments[0].where.point"
    assert "[latitude, longitude]" in problem.message


def test_swapped_easting_northing(service):
    # Both orders are grid positions; the swap shows because [n, e] is in Islington.
    with pytest.raises(InputInvalid) as caught:
        place(service, easting_northing=[185277, 531830])
    assert caught.value.problems[0].path == "$.commitments[0].where.easting_northing"
    assert "[northing, easting]" in caught.value.problems[0].message
    # Northing beyond the easting range: caught by the bounds alone.
    with pytest.raises(InputInvalid) as caught:
        place(service, easting_northing=[1_000_000, 400_000])
    assert "[northing, easting]" in caught.value.problems[0].message


def test_point_outside_great_britain(service):
    with pytest.raises(InputInvalid) as caught:
        place(service, point=[2.35, 48.85])  # Paris
    assert "outside Great Britain" in caught.value.problems[0].message


def test_bng_metres_given_as_point(service):
    with pytest.raises(InputInvalid) as caught:
        place(service, point=[531830, 185277])
    assert "British National Grid" in caught.value.problems[0].message


def test_geojson_with_non_wgs84_crs_member(service):
    geometry = {
        "type": "Point",
        "coordinates": [531830, 185277],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
    }
    with pytest.raises(InputInvalid) as caught:
        place(service, geometry=geometry)
    assert caught.value.problems[0].path == "$.commitments[0].where.geometry.crs"


def test_geojson_with_crs84_member_is_accepted(service):
    geometry = {
        "type": "Point",
        "coordinates": [-0.100003, 51.55099],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    }
    assert codes(place(service, geometry=geometry)) == ["E05013704"]


def test_unknown_and_malformed_postcodes(service):
    with pytest.raises(InputInvalid) as caught:
        place(service, postcode="N1 9ZZ")
    assert caught.value.problems[0].path == "$.commitments[0].where.postcode"
    assert "unknown postcode 'N1 9ZZ'" in caught.value.problems[0].message
    with pytest.raises(InputInvalid) as caught:
        place(service, postcode="not a postcode")
    assert "is not a UK postcode" in caught.value.problems[0].message


def test_previous_vintage_ward_code_is_mapped_with_warning(service):
    # E05000366 is Barnsbury in the 2020 boundaries; the 2022 Barnsbury is E05013698.
    placement = place(service, ward="E05000366")
    assert placement.vintage == "2025"
    assert placement.wards[0].code == "E05013698"
    assert placement.wards[0].share > 0.8
    assert sum(w.share for w in placement.wards) == pytest.approx(1.0, abs=1e-5)
    assert any("2020 boundaries" in w for w in placement.warnings)


def test_previous_vintage_salford_ward(service):
    # Salford's 2020 wards include Irwell Riverside; by area its land now lies mostly in
    # Pendleton & Charlestown (about 64%), the rest in four neighbouring 2025 wards.
    old = service._vintage_frame("2020")
    code = old.loc[old["name"] == "Irwell Riverside", "code"].iloc[0]
    placement = place(service, SALFORD, ward=code)
    assert set(codes(placement)) <= set(service.ward_names("2025", SALFORD))
    assert len(placement.wards) >= 2
    assert any("2020 boundaries" in w for w in placement.warnings)
    # By area overlap, most of the old ward is now Pendleton & Charlestown.
    assert set(codes(placement)) == {
        "E05013030",  # Pendleton & Charlestown
        "E05013019",  # Blackfriars & Trinity
        "E05013023",  # Claremont
        "E05013029",  # Pendlebury & Clifton
        "E05013028",  # Ordsall
    }
    assert placement.wards[0].code == "E05013030" and placement.wards[0].share > 0.6
    assert sum(w.share for w in placement.wards) == pytest.approx(1.0, abs=1e-5)


def test_unknown_and_other_council_ward_codes(service):
    with pytest.raises(InputInvalid) as caught:
        place(service, ward="E05999999")
    assert "unknown ward code" in caught.value.problems[0].message
    with pytest.raises(InputInvalid) as caught:
        place(service, ward="E05013028")  # Ordsall, Salford
    assert caught.value.problems[0].message == (
        "ward E05013028 is in Salford, not Islington; give one of Islington's wards "
        "(2025 boundaries)"
    )
    with pytest.raises(InputInvalid) as caught:
        place(service, ward="E05009367")  # a Hackney ward: named from the national file
    assert caught.value.problems[0].message.startswith("ward E05009367 is in Hackney, not ")
    with pytest.raises(InputInvalid) as caught:
        place(service, ward="Highbury")
    assert "not a ward GSS code" in caught.value.problems[0].message


# ---------------------------------------------------------------- local definitions


def test_local_named_wards(service):
    local = {"kind": "wards", "wards": ["E05013707", "Tufnell Park"]}
    assert place(service, local=local, postcode="N19 5RQ").local  # Junction
    inside_other = place(service, local=local, postcode="N7 8QP")  # Laycock
    assert not inside_other.local
    assert "not in any" in inside_other.local_reason
    assert not place(service, local=local, borough=True).local


def test_local_imd_deciles(service):
    local = {"kind": "imd_deciles", "max_decile": 2}
    # N7 8QP is in LSOA E01033486 (IMD 2019 decile 2), N19 5RQ in E01002770 (decile 3).
    near = place(service, local=local, postcode="N7 8QP")
    assert near.local and "E01033486" in near.local_reason and "decile 2" in near.local_reason
    far = place(service, local=local, postcode="N19 5RQ")
    assert not far.local and "decile 3" in far.local_reason


def test_place_statement_site_first_and_within_metres(service, make_plan):
    statement = parse_statement(
        {
            "council": "islington",
            "site": {"postcode": "N7 8QP"},
            "development": {"build_cost_gbp": 1_000_000},
            "commitments": [
                {
                    "id": "near",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"postcode": "N19 5RQ"},
                },
                {
                    "id": "far",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"postcode": "M5 4WT"},
                },
                {
                    "id": "all",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"borough": True},
                },
            ],
        }
    )
    # N7 8QP (530967, 185107) to N19 5RQ (529365, 186828): hypot(1602, 1721) = 2351.2 m.
    distance = math.hypot(1602, 1721)
    result = service.place_statement(
        statement, make_plan(local={"kind": "within_m_of_site", "metres": 2500})
    )
    assert result.site.method == "postcode" and codes(result.site) == ["E05013708"]
    assert result.site.local
    assert result.commitments["near"].local
    assert f"{distance:.0f} m" in result.commitments["near"].local_reason
    assert not result.commitments["far"].local
    assert not result.commitments["far"].inside_council
    assert not result.commitments["all"].local
    tighter = service.place_statement(
        statement, make_plan(local={"kind": "within_m_of_site", "metres": 2000})
    )
    assert not tighter.commitments["near"].local


def test_place_statement_reports_every_problem(service, make_plan):
    statement = parse_statement(
        {
            "council": "salford",
            "site": {"point": [53.47676, -2.272852]},
            "development": {"build_cost_gbp": 1_000_000},
            "commitments": [
                {
                    "id": "ok",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"postcode": "M5 4WT"},
                },
                {
                    "id": "pc",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"postcode": "M5 9ZZ"},
                },
                {
                    "id": "wd",
                    "measure": "m",
                    "quantity": 1,
                    "unit": "u",
                    "where": {"ward": "E05013697"},
                },
            ],
        }
    )
    with pytest.raises(InputInvalid) as caught:
        service.place_statement(statement, make_plan(SALFORD))
    assert [p.path for p in caught.value.problems] == [
        "$.site.point",
        "$.commitments[1].where.postcode",
        "$.commitments[2].where.ward",
    ]


def test_site_polygon_in_salford(service, make_plan):
    # The long straight edge between Boothstown & Ellenbrook (north) and Higher Irlam & Peel
    # Green (south): a 100 m square centred on the edge's midpoint (372475, 397741).
    geometry = bng_box_geojson((372425, 397691, 372525, 397791))
    statement = parse_statement(
        {
            "council": "salford",
            "site": {"geometry": geometry},
            "development": {"build_cost_gbp": 1_000_000},
            "commitments": [],
        }
    )
    result = service.place_statement(statement, make_plan(SALFORD))
    assert set(codes(result.site)) == {"E05013020", "E05013025"}
    assert sum(w.share for w in result.site.wards) == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------- maps and caching


def test_wards_frame_and_outline(service):
    frame = service.wards_frame("2025", SALFORD)
    assert len(frame) == 20 and frame.crs.to_epsg() == 4326
    assert list(frame.columns) == ["code", "name", "geometry"]
    outline = service.council_outline(SALFORD)
    assert outline.contains(shapely.Point(-2.272852, 53.47676))
    assert len(service.ward_names("2020", ISLINGTON)) == 16


def test_geo_cache_is_owned_per_cache_and_renews_after_a_boundary_import(data_dir, tmp_path):
    from planning_sv.core.geo import GeoCache

    # No process-wide cache: each call builds a service; a GeoCache keeps its own.
    assert GeoService.from_data_dir(data_dir, tmp_path) is not GeoService.from_data_dir(
        data_dir, tmp_path
    )
    cache, other = GeoCache(), GeoCache()
    first = cache.get(data_dir, tmp_path)
    assert cache.get(data_dir, tmp_path) is first
    assert other.get(data_dir, tmp_path) is not first
    assert cache.get(data_dir, tmp_path / "elsewhere") is not first  # another instance folder
    assert "2030" not in first.vintages()
    # `planning-sv geo import` (another process) rewrites the registry: the next get is new.
    entry, _warnings = first.registry.import_file(
        data_dir / "boundaries" / "wards_2025_bgc_islington_E09000019.geojson", "2030"
    )
    assert first.boundaries_changed()
    renewed = cache.get(data_dir, tmp_path)
    assert renewed is not first and renewed.vintages()["2030"] == [
        str(renewed.registry.root / entry.file)
    ]
    assert cache.get(data_dir, tmp_path) is renewed


def test_multipolygon_helper_is_what_it_says():
    geometry = bng_box_geojson((0, 0, 1, 1), (2, 2, 3, 3))
    assert geometry["type"] == "MultiPolygon"
    assert isinstance(shapely.geometry.shape(geometry), MultiPolygon)


def test_polygon_wholly_outside_the_borough(service):
    # A 100 m square round NW5 1TL (Camden).
    placement = place(service, geometry=bng_box_geojson((528671, 185475, 528771, 185575)))
    assert placement.wards == () and not placement.inside_council
    assert placement.outside_share == 1.0
    assert placement.nearest_ward is not None and placement.nearest_distance_m > 0
    # As for NW5 1TL itself: Tufnell Park, about half a kilometre east.
    assert placement.nearest_ward.code == "E05013713"
    assert 300 < placement.nearest_distance_m < 700


def test_imd_local_for_a_polygon_uses_area_share(service):
    # The square round N7 8QP's grid point lies in LSOA E01033486 (decile 2) by more than half.
    local = {"kind": "imd_deciles", "max_decile": 2}
    placement = place(
        service, local=local, geometry=bng_box_geojson((530947, 185087, 530987, 185127))
    )
    assert placement.local
    assert "deciles 1–2" in placement.local_reason


def test_place_within_metres_of_a_placed_site(service):
    local = {"kind": "within_m_of_site", "metres": 2500}
    site = place(service, easting_northing=[530967, 185107])  # N7 8QP's grid point
    placement = service.place(
        Where(postcode="N19 5RQ"),
        lad_code=ISLINGTON,
        vintage="2025",
        local_definition=local,
        site=site,
        path="$.commitments[0].where",
    )
    assert placement.local
    assert placement.local_reason.startswith("2351 m from the site")


# ---------------------------------------------------------------- the site must be in the council


@pytest.mark.parametrize(
    ("site", "field", "message"),
    [
        # Code-Point Open: M5 4AD at (381468, 398512) is in Salford; E8 1AB at
        # (534431, 184625) is in Hackney.
        ({"postcode": "M5 4AD"}, "postcode", "This postcode is in Salford, not Islington"),
        ({"postcode": "E8 1AB"}, "postcode", "This postcode is in Hackney, not Islington"),
        # Salford's Ordsall ward label point (LONG, LAT in the 2025 ward file).
        ({"point": [-2.272852, 53.47676]}, "point", "This point is in Salford, not Islington"),
        # Cardiff city centre: in Great Britain, not in England.
        (
            {"point": [-3.18, 51.48]},
            "point",
            "This point is in Cardiff, Wales, not in England; this statement is for Islington",
        ),
    ],
)
def test_site_wholly_in_another_council_is_refused(service, make_plan, site, field, message):
    with pytest.raises(InputInvalid) as caught:
        service.place_site(Site(**site), make_plan(ISLINGTON))
    assert [(p.path, p.message) for p in caught.value.problems] == [(f"$.site.{field}", message)]


def test_salford_polygon_site_for_islington_is_refused(service, make_plan):
    # The 100 m square of test_site_polygon_in_salford (Boothstown / Higher Irlam, Salford).
    site = Site(geometry=bng_box_geojson((372425, 397691, 372525, 397791)))
    with pytest.raises(InputInvalid) as caught:
        service.place_site(site, make_plan(ISLINGTON))
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$.site.geometry", "This site is in Salford, not Islington")
    ]
    # The same square is a good site for Salford.
    assert service.place_site(site, make_plan(SALFORD)).inside_council


def test_partly_outside_polygon_site_is_placed_with_its_share(service, make_plan):
    # Two equal 100 m squares, one round Arsenal's label point (Islington), one round
    # NW5 1TL (Camden): half the site is outside, by construction.
    site = Site(
        geometry=bng_box_geojson((531270, 185808, 531370, 185908), (528671, 185475, 528771, 185575))
    )
    placement = service.place_site(site, make_plan(ISLINGTON))
    assert codes(placement) == ["E05013697"]
    assert placement.outside_share == pytest.approx(0.5, abs=1e-3)
    assert any("50.0% of the polygon" in w for w in placement.warnings)


def test_place_statement_refuses_a_site_in_another_council(service, make_plan):
    statement = parse_statement(
        {
            "council": "islington",
            "site": {"postcode": "M5 4AD"},
            "development": {"build_cost_gbp": 1_000_000},
            "commitments": [],
        }
    )
    with pytest.raises(InputInvalid) as caught:
        service.place_statement(statement, make_plan(ISLINGTON))
    assert [str(p) for p in caught.value.problems] == [
        "$.site.postcode: This postcode is in Salford, not Islington"
    ]
