"""Starting a statement from an Open Digital Planning application document, on the applicant
page (upload) and through the API: the real-shaped sample pre-fills reference, site address,
boundary and application type; a malformed one is refused naming each field, never a 500,
and nothing is saved."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv import config
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.users import create_token

FIXTURES = config.PROJECT_ROOT / "tests" / "fixtures" / "odp"
SAMPLE = (FIXTURES / "planx_major_islington.json").read_bytes()
MALFORMED = (FIXTURES / "malformed_application.json").read_bytes()
RING = [
    [-0.118, 51.5525],
    [-0.116, 51.5525],
    [-0.116, 51.5535],
    [-0.118, 51.5535],
    [-0.118, 51.5525],
]


def _count(app: Flask) -> int:
    with app.extensions["planning_sv.db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Statement)) or 0)


def _upload(client: FlaskClient, data: bytes, **fields: str) -> Any:
    return client.post(
        "/statements/import",
        data={"council": "islington", **fields, "document": (io.BytesIO(data), "application.json")},
        content_type="multipart/form-data",
    )


def _errors(text: str) -> list[str]:
    found = re.search(r"govuk-error-summary__list\">(.*?)</ul>", text, re.S)
    return re.findall(r">([^<]+)</a>", found.group(1)) if found else []


def test_the_page_starts_a_draft_from_the_sample(
    app: Flask, login_as: Callable[..., FlaskClient], make_user: Callable[..., User]
) -> None:
    applicant = make_user("applicant")
    client = login_as(user=applicant)
    page = client.get("/statements/import")
    assert page.status_code == 200 and 'name="document"' in page.text
    response = _upload(client, SAMPLE, application_reference="P2026/0123/FUL")
    assert response.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        statement = session.scalars(select(Statement)).one()
        assert response.headers["Location"].endswith(f"/statements/{statement.id}/development")
        assert (statement.owner_id, statement.council, statement.status) == (
            applicant.id,
            "islington",
            "draft",
        )
        assert statement.application_reference == "P2026/0123/FUL"
        draft = statement.draft
        assert draft["application_type"] == "pp.full.major"
        assert draft["site"] == {
            "address": "LAND AT HOLLOWAY ROAD, LONDON, N7 9SL",
            "postcode": "N7 9SL",
            "geometry": {"type": "Polygon", "coordinates": [RING]},
        }
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import_odp")).one()
        assert event.details == {
            "source_id": "7a1e0c4e-0000-4000-8000-000000000001",
            "application_type": "pp.full.major",
            "organisation": "ISL",
        }
    followed = client.get(response.headers["Location"])
    assert "Started from the application: LAND AT HOLLOWAY ROAD, LONDON, N7 9SL" in followed.text


def test_the_page_refuses_a_malformed_document_naming_each_field(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("applicant")
    response = _upload(client, MALFORMED, application_reference="P2026/0123/FUL")
    assert response.status_code == 400
    assert _errors(response.text) == [
        "The file has a problem: $.data.application.type.value: is missing",
        "The file has a problem: $.data.property.address: is missing or not an object",
        "The file has a problem: $.data.property.boundary.site.geometry.type: must be Polygon "
        "or MultiPolygon (got &#39;LineString&#39;)",
    ]
    assert 'value="P2026/0123/FUL"' in response.text  # what was typed is kept
    assert _count(app) == 0


def test_the_page_names_not_json_a_missing_file_and_the_wrong_council(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("applicant")
    not_json = _upload(client, b"%PDF-1.7 not json")
    assert not_json.status_code == 400
    assert _errors(not_json.text) == [
        "The file has a problem: not valid JSON: Expecting value at line 1 column 1"
    ]
    missing = client.post("/statements/import", data={"council": "islington"})
    assert _errors(missing.text) == ["Choose the application&#39;s JSON file"]
    other = _upload(client, SAMPLE, council="salford")
    assert other.status_code == 400
    assert _errors(other.text) == [
        "The file has a problem: $.metadata.organisation: the application is for the council "
        "coded ISL, not Salford City Council (SLF)"
    ]
    unknown = _upload(client, SAMPLE, council="atlantis")
    assert _errors(unknown.text) == ["Choose the council the application is for"]
    assert _count(app) == 0


def test_a_site_outside_the_council_is_refused_naming_the_boundary(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    document = json.loads(SAMPLE)
    document["metadata"]["organisation"] = None  # no code: the site itself decides
    salford = [[-2.30, 53.48], [-2.29, 53.48], [-2.29, 53.49], [-2.30, 53.49], [-2.30, 53.48]]
    document["data"]["proposal"]["boundary"]["site"]["geometry"]["coordinates"] = [salford]
    del document["data"]["property"]["address"]["postcode"]
    document["data"]["property"]["address"]["singleLine"] = "Somewhere in Salford"
    response = _upload(login_as("applicant"), json.dumps(document).encode())
    assert response.status_code == 400
    [message] = _errors(response.text)
    assert message.startswith("The file has a problem: $.data.proposal.boundary.site: ")
    assert _count(app) == 0


def test_the_api_imports_the_sample_and_refuses_the_malformed_one(
    app: Flask, make_user: Callable[..., User]
) -> None:
    applicant = make_user("applicant")
    officer = make_user("officer", "islington")
    with app.extensions["planning_sv.db"].session() as session:
        token = create_token(session, session.get(User, applicant.id))[1]
        officer_token = create_token(session, session.get(User, officer.id))[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    created = client.post(
        "/api/v1/statements/import-odp?council=islington",
        data=SAMPLE,
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.get_json()
    assert body["imported"] == {
        "application_reference": None,
        "application_type": "pp.full.major",
        "address": "LAND AT HOLLOWAY ROAD, LONDON, N7 9SL",
        "postcode": "N7 9SL",
        "boundary": True,
        "source_id": "7a1e0c4e-0000-4000-8000-000000000001",
    }
    assert created.headers["Location"] == f"/api/v1/statements/{body['id']}"
    detail = client.get(created.headers["Location"], headers=headers).get_json()
    assert detail["draft"]["application_type"] == "pp.full.major"
    assert detail["draft"]["site"]["geometry"] == {"type": "Polygon", "coordinates": [RING]}

    bad = client.post(
        "/api/v1/statements/import-odp?council=islington",
        data=MALFORMED,
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"] == [
        {"path": "$.data.application.type.value", "message": "is missing"},
        {"path": "$.data.property.address", "message": "is missing or not an object"},
        {
            "path": "$.data.property.boundary.site.geometry.type",
            "message": "must be Polygon or MultiPolygon (got 'LineString')",
        },
    ]
    broken = client.post(
        "/api/v1/statements/import-odp?council=islington",
        data=b"{not json",
        content_type="application/json",
        headers=headers,
    )
    assert broken.status_code == 422
    assert broken.get_json()["errors"][0]["path"] == "$"
    no_council = client.post(
        "/api/v1/statements/import-odp",
        data=SAMPLE,
        content_type="application/json",
        headers=headers,
    )
    assert no_council.status_code == 422
    assert no_council.get_json()["errors"] == [
        {"path": "council", "message": "Choose the council the application is for"}
    ]
    assert _count(app) == 1

    officer_try = client.post(
        "/api/v1/statements/import-odp?council=islington",
        data=SAMPLE,
        content_type="application/json",
        headers={"Authorization": f"Bearer {officer_token}"},
    )
    assert officer_try.status_code == 403
    anonymous = client.post(
        "/api/v1/statements/import-odp?council=islington",
        data=SAMPLE,
        content_type="application/json",
    )
    assert anonymous.status_code == 401
    assert _count(app) == 1
