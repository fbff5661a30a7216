"""Commitments delivered "on the site" are credited to the site's ward(s) exactly as the site.

The found problem: an on-site affordable workspace given as a point 5 m over the ward line
was credited to the neighbouring ward. With `where: {"site": true}` the commitment takes the
site's placement, whatever point the applicant might have typed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
import shapely

from planning_sv.core.assessment import parse_assessment
from planning_sv.core.commitments_csv import parse_commitments_csv
from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.coords import bng_to_lonlat
from planning_sv.core.statement import Statement, Where, statement_json_schema
from tests.conftest import EXAMPLES, shared_assessor

HOLLOWAY = "E05013706"


def _islington() -> dict[str, Any]:
    return json.loads((EXAMPLES / "islington_mixed_use.json").read_text())


def _lonlat(x: float, y: float) -> list[float]:
    lon, lat = bng_to_lonlat(x, y)
    return [round(float(lon), 7), round(float(lat), 7)]


def _site_at_the_ward_line() -> tuple[dict[str, Any], list[float], str]:
    """A 20 m x 20 m site inside Holloway whose edge is 5 m from Holloway's boundary, and a
    point 5 m over that boundary (in the neighbouring ward), found from the real wards."""
    placer = shared_assessor().placer()
    wards = placer.council("2025", config_lad())
    index = list(wards.codes).index(HOLLOWAY)
    holloway = wards.geoms_bng[index]
    inner = holloway.buffer(-15)  # at least 15 m inside Holloway
    centre = inner.representative_point()
    # The boundary point nearest a point just inside the line, and the outward direction.
    on_line = shapely.ops.nearest_points(holloway.boundary, centre)[0]
    dx, dy = on_line.x - centre.x, on_line.y - centre.y
    length = (dx * dx + dy * dy) ** 0.5
    ux, uy = dx / length, dy / length
    over = shapely.Point(on_line.x + 5 * ux, on_line.y + 5 * uy)
    if holloway.contains(over):  # pragma: no cover - the representative point is inside
        raise AssertionError("the point 5 m out should lie outside Holloway")
    square = shapely.box(centre.x - 10, centre.y - 10, centre.x + 10, centre.y + 10)
    assert holloway.contains(square)
    ring = [_lonlat(x, y) for x, y in square.exterior.coords]
    neighbour = wards.codes[int(wards.locator.locate(*[[v] for v in _lonlat(over.x, over.y)])[0])]
    return {"type": "Polygon", "coordinates": [ring]}, _lonlat(over.x, over.y), str(neighbour)


def config_lad() -> str:
    return shared_assessor().plans["islington"].lad_code


def test_an_on_site_workspace_follows_the_site_not_a_point_over_the_ward_line() -> None:
    geometry, over_the_line, neighbour = _site_at_the_ward_line()
    assert neighbour != HOLLOWAY
    data = _islington()
    data["site"] = {"address": "Holloway Road (example site)", "geometry": geometry}
    workspace = next(c for c in data["commitments"] if c["measure"] == "affordable_workspace")
    workspace["where"] = {"point": over_the_line}
    as_point = copy.deepcopy(data)
    workspace["where"] = {"site": True}

    assessor = shared_assessor()
    plan = assessor.plans["islington"]
    placer = assessor.placer()
    by_point = placer.place_statement(Statement.model_validate(as_point), plan)
    on_site = placer.place_statement(Statement.model_validate(data), plan)

    # The point 5 m over the line lands in the neighbouring ward ...
    assert [w.code for w in by_point.commitments["c5"].wards] == [neighbour]
    # ... the on-site commitment is credited to the site's ward, exactly as the site.
    assert [(w.code, w.share) for w in on_site.site.wards] == [(HOLLOWAY, 1.0)]
    placed = on_site.commitments["c5"]
    assert placed.method == "site"
    assert placed.wards == on_site.site.wards
    assert placed.point == on_site.site.point
    assert placed.local is on_site.site.local is True


def test_on_site_takes_the_site_shares_when_the_site_straddles_wards() -> None:
    data = _islington()
    data["commitments"][4]["where"] = {"site": True}
    assessor = shared_assessor()
    placement = assessor.placer().place_statement(
        Statement.model_validate(data), assessor.plans["islington"]
    )
    assert placement.commitments["c5"].wards == placement.site.wards
    assert abs(sum(w.share for w in placement.commitments["c5"].wards) - 1.0) < 1e-9


def test_assessment_records_the_on_site_commitment_in_the_site_wards() -> None:
    data = _islington()
    data["commitments"][4]["where"] = {"site": True}
    assessor = shared_assessor()
    record = assessor.assess(data, on=dt.date(2026, 11, 29))
    (workspace,) = [c for c in record["commitments"] if c["id"] == "c5"]
    assert workspace["method"] == "site"
    assert workspace["wards"] == record["site"]["wards"]
    parse_assessment(record)  # the strict assessment@1 model holds the new placement method
    # B4 (whichever of its location parts applies) counts local affordable workspace: the
    # on-site workspace counts in full.
    counted = [
        (c["id"], c["counted"])
        for r in record["rules"]
        if r["id"].startswith("ISL-B4") and r["status"] != "not_applicable"
        for c in r["counted"]
    ]
    assert counted == [("c5", 800.0)]


def test_site_is_one_of_the_location_kinds_and_old_statements_still_read() -> None:
    assert Where(site=True).kind == "site"
    with pytest.raises(ValueError, match="site: true"):
        Where(site=True, ward=HOLLOWAY)
    # A statement stored before the choice existed reads exactly as before.
    old = Statement.model_validate(_islington())
    assert [c.where.kind for c in old.commitments] == [
        "postcode",
        "ward",
        "borough",
        "borough",
        "point",
        "ward",
    ]
    assert "site" not in old.to_json_dict()["commitments"][4]["where"]
    schema = statement_json_schema()
    assert schema["$defs"]["Where"]["properties"]["site"]["anyOf"][0] == {"type": "boolean"}


def test_a_lone_on_site_location_is_refused_without_a_site() -> None:
    assessor = shared_assessor()
    plan = assessor.plans["islington"]
    with pytest.raises(InputInvalid) as caught:
        assessor.placer().place(
            Where(site=True),
            lad_code=plan.lad_code,
            vintage=plan.boundary_vintage,
            path="$.commitments[0].where",
        )
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$.commitments[0].where.site", "an on-site commitment needs the site's location")
    ]


def test_csv_on_site_column() -> None:
    measures = shared_assessor().measures
    rows = parse_commitments_csv(
        "measure,quantity,unit,on_site\naffordable_workspace,800,sqm,yes\nvolunteering,5,hours,\n",
        [],
        measures,
    )
    assert [r["where"] for r in rows] == [{"site": True}, {"borough": True}]
    with pytest.raises(InputInvalid) as caught:
        parse_commitments_csv(
            "measure,quantity,unit,on_site\naffordable_workspace,800,sqm,maybe\n", [], measures
        )
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("row 2, column on_site", "write yes or no (or leave it empty)")
    ]
