"""Every kind of assessment record the Assessor makes satisfies the assessment@1 model.

`Assessor.assess` no longer re-validates each record it returns (3-4 ms of a 10 ms budget);
this holds the code to the model instead, over every placement method and both councils.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from planning_sv.core.assessment import parse_assessment
from tests.conftest import shared_assessor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def islington_every_method() -> dict[str, Any]:
    """The Islington example plus one commitment for each remaining way of placing it."""
    data = json.loads((FIXTURES / "islington_mixed_use.json").read_text(encoding="utf-8"))
    more = [
        # N19 5RQ and this point are in Junction and Arsenal (see test_geo_cli).
        {"id": "p1", "where": {"postcode": "N19 5RQ"}},
        {"id": "p2", "where": {"point": [-0.107138, 51.55633]}},
        # The same point again: placed from the same batched lookup.
        {"id": "p3", "where": {"point": [-0.107138, 51.55633]}},
        # Holloway Road (530500, 186000) in British National Grid.
        {"id": "p4", "where": {"easting_northing": [530500, 186000]}},
        {
            "id": "p5",
            "where": {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-0.118, 51.5525], [-0.116, 51.5525], [-0.116, 51.5535], [-0.118, 51.5525]]
                    ],
                }
            },
        },
        # A point in Camden, outside Islington: placed, not local.
        {"id": "p6", "where": {"point": [-0.1426, 51.5390]}},
        # A Salford postcode: outside the council too.
        {"id": "p7", "where": {"postcode": "M5 4WT"}},
    ]
    for item in more:
        data["commitments"].append(
            {"measure": "volunteering", "quantity": 10, "unit": "hours", **item}
        )
    return data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(islington_every_method(), id="islington-every-method"),
        pytest.param(
            json.loads((FIXTURES / "salford_residential.json").read_text(encoding="utf-8")),
            id="salford",
        ),
    ],
)
def test_assessor_records_satisfy_the_model(data: dict[str, Any]) -> None:
    record = parse_assessment(shared_assessor().assess(copy.deepcopy(data)))
    assert [c.id for c in record.commitments] == [c["id"] for c in data["commitments"]]
    assert record.social_value is not None
    assert len(record.social_value.commitments) == len(data["commitments"])


def test_batched_points_land_where_one_by_one_placing_puts_them() -> None:
    record = shared_assessor().assess(islington_every_method())
    by_id = {c["id"]: c for c in record["commitments"]}
    assert by_id["p1"]["method"] == "postcode"
    assert [w["code"] for w in by_id["p1"]["wards"]] == ["E05013707"]
    assert [w["name"] for w in by_id["p2"]["wards"]] == ["Arsenal"]
    assert by_id["p3"]["wards"] == by_id["p2"]["wards"]
    assert by_id["p6"]["wards"] == [] and by_id["p6"]["inside_council"] is False
    assert by_id["p6"]["local"] is False
    assert by_id["p7"]["wards"] == [] and by_id["p7"]["inside_council"] is False

    # Each location placed on its own (GeoService.place, one locator call each) agrees.
    from planning_sv.core.statement import Where

    assessor = shared_assessor()
    placer = assessor.placer()
    plan = assessor.plans["islington"]
    for cid in ("p1", "p2", "p4", "p6", "p7"):
        where = next(c["where"] for c in islington_every_method()["commitments"] if c["id"] == cid)
        alone = placer.place(
            Where.model_validate(where),
            lad_code=plan.lad_code,
            vintage=plan.boundary_vintage,
            local_definition=plan.local_definition,
        )
        assert [w.code for w in alone.wards] == [w["code"] for w in by_id[cid]["wards"]], cid
        assert alone.inside_council == by_id[cid]["inside_council"], cid
