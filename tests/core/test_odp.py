"""Reading Open Digital Planning application documents (core/odp.py): the real-shaped
sample (tests/fixtures/odp/README.md says where its shape comes from), a post-submission
document, and malformed ones refused naming each field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from planning_sv import config
from planning_sv.core.errors import InputInvalid
from planning_sv.core.odp import organisation_problem, read_odp
from planning_sv.core.statement import Statement

FIXTURES = config.PROJECT_ROOT / "tests" / "fixtures" / "odp"
RING = [
    [-0.118, 51.5525],
    [-0.116, 51.5525],
    [-0.116, 51.5535],
    [-0.118, 51.5535],
    [-0.118, 51.5525],
]


def _sample() -> dict[str, Any]:
    return json.loads((FIXTURES / "planx_major_islington.json").read_text(encoding="utf-8"))


def _paths(document: Any) -> dict[str, str]:
    with pytest.raises(InputInvalid) as caught:
        read_odp(document)
    return {p.path: p.message for p in caught.value.problems}


def test_the_sample_gives_type_address_postcode_boundary_and_source() -> None:
    found = read_odp(_sample())
    assert found.application_type == "pp.full.major"
    assert found.application_type_label == "Planning Permission - Major application"
    assert found.address == "LAND AT HOLLOWAY ROAD, LONDON, N7 9SL"  # singleLine
    assert found.postcode == "N7 9SL"
    assert found.boundary == {"type": "Polygon", "coordinates": [RING]}  # the red line
    assert found.point == [-0.116408, 51.552992]
    assert found.reference is None  # an application document has no council reference
    assert (found.organisation, found.source_id) == ("ISL", "7a1e0c4e-0000-4000-8000-000000000001")
    fields = found.statement_fields()
    assert fields == {
        "application_type": "pp.full.major",
        "site": {
            "address": "LAND AT HOLLOWAY ROAD, LONDON, N7 9SL",
            "postcode": "N7 9SL",
            "geometry": {"type": "Polygon", "coordinates": [RING]},
        },
    }
    # What it fills is valid statement@1 (with the parts the applicant adds).
    Statement.model_validate(
        {
            "council": "islington",
            **fields,
            "development": {"build_cost_gbp": 1_000_000},
        }
    )


def test_the_title_boundary_is_used_when_the_proposal_has_none() -> None:
    document = _sample()
    del document["data"]["proposal"]["boundary"]
    document["data"]["property"]["boundary"]["site"]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [[RING]],
    }
    assert read_odp(document).boundary == {"type": "MultiPolygon", "coordinates": [[RING]]}


def test_a_proposed_address_has_a_title_and_coordinates_only() -> None:
    document = _sample()
    document["data"]["property"]["address"] = {
        "latitude": 51.553,
        "longitude": -0.117,
        "x": 530650,
        "y": 185480,
        "title": "Land north of Holloway Road",
        "source": "Proposed by applicant",
    }
    del document["data"]["proposal"]["boundary"]
    del document["data"]["property"]["boundary"]
    found = read_odp(document)
    assert (found.address, found.postcode, found.boundary) == (
        "Land north of Holloway Road",
        None,
        None,
    )
    assert found.statement_fields()["site"] == {
        "address": "Land north of Holloway Road",
        "point": [-0.117, 51.553],
    }


def test_a_post_submission_document_gives_the_council_reference() -> None:
    document = {
        "applicationType": "pp.full.major",
        "data": {"application": {"reference": "P2026/0123/FUL", "stage": "submission"}},
        "submission": _sample(),
    }
    found = read_odp(document)
    assert found.reference == "P2026/0123/FUL"
    assert found.statement_fields()["application_reference"] == "P2026/0123/FUL"
    assert found.address == "LAND AT HOLLOWAY ROAD, LONDON, N7 9SL"


def test_the_malformed_sample_names_every_field_at_fault() -> None:
    bad = json.loads((FIXTURES / "malformed_application.json").read_text(encoding="utf-8"))
    assert _paths(bad) == {
        "$.data.application.type.value": "is missing",
        "$.data.property.address": "is missing or not an object",
        "$.data.property.boundary.site.geometry.type": (
            "must be Polygon or MultiPolygon (got 'LineString')"
        ),
    }


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d.clear(), "$.data", "is missing: this is not an ODP application document"),
        (
            lambda d: d["data"]["application"]["type"].update(value="not a type!"),
            "$.data.application.type.value",
            "'not a type!' is not an ODP application type",
        ),
        (
            lambda d: d["data"]["property"]["address"].update(longitude="west"),
            "$.data.property.address.longitude",
            "must be a number from -180 to 180",
        ),
        (
            lambda d: d["data"]["proposal"]["boundary"]["site"]["geometry"].update(
                coordinates=[[[1, 2], "x"]]
            ),
            "$.data.proposal.boundary.site.geometry.coordinates",
            "a Polygon's coordinates must be a list of rings, each a list of positions; a "
            "position is [longitude, latitude], two finite numbers",
        ),
        (
            lambda d: d["data"]["property"]["address"].update(singleLine=42),
            "$.data.property.address.singleLine",
            "must be text",
        ),
    ],
)
def test_each_fault_is_named(change: Any, path: str, message: str) -> None:
    document = copy.deepcopy(_sample())
    change(document)
    assert _paths(document) == {path: message}


def test_not_an_object_is_refused_at_the_root() -> None:
    assert _paths([1, 2]) == {"$": "must be a JSON object (an ODP application document)"}


def test_a_document_for_another_council_is_named() -> None:
    found = read_odp(_sample())
    assert organisation_problem(found, "local-authority:ISL", "Islington") is None
    problem = organisation_problem(found, "local-authority:SLF", "Salford City Council")
    assert problem is not None
    assert problem.path == "$.metadata.organisation"
    assert problem.message == (
        "the application is for the council coded ISL, not Salford City Council (SLF)"
    )
