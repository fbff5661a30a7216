"""The delivery-reports API in /api/v1/openapi.json: its schemas come from the models the
server validates requests and writes responses with (web/monitoring.py), and real answers
on the hand-worked monitored scheme (tests/web/monitoring_fixture.py) fit them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from planning_sv.store import monitoring as repo
from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_token
from planning_sv.web.monitoring import DeliveryReportIn
from tests.web.monitoring_fixture import BUNHILL, monitored_scheme

PATH = "/statements/{statement_id}/delivery-reports"
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _fits(value: Any, schema: dict[str, Any], schemas: dict[str, Any], path: str = "$") -> None:
    """A small JSON Schema check (the subset pydantic writes): $ref, anyOf, type,
    required, properties, additionalProperties false, items, enum."""
    if "$ref" in schema:
        _fits(value, schemas[schema["$ref"].rsplit("/", 1)[1]], schemas, path)
        return
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            try:
                _fits(value, option, schemas, path)
                return
            except AssertionError:
                continue
        raise AssertionError(f"{path}: {value!r} fits no option")
    kind = schema.get("type")
    if kind is not None:
        assert isinstance(value, TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        ), f"{path}: {value!r} is not {kind}"
    if "enum" in schema:
        assert value in schema["enum"], path
    if kind == "object":
        assert set(schema.get("required", [])) <= set(value), f"{path}: missing required"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), f"{path}: extra {set(value) - set(properties)}"
        for key, item in value.items():
            if key in properties:
                _fits(item, properties[key], schemas, f"{path}.{key}")
    if kind == "array":
        for n, item in enumerate(value):
            _fits(item, schema.get("items", {}), schemas, f"{path}[{n}]")


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    return monitored_scheme(app, make_user, make_statement)


def _token(app: Flask, user: User) -> dict[str, str]:
    with app.extensions["planning_sv.db"].session() as session:
        return {"Authorization": f"Bearer {create_token(session, session.get(User, user.id))[1]}"}


def test_the_document_describes_both_routes_from_the_models(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    item = doc["paths"][PATH]
    assert set(item) == {"parameters", "get", "post"}
    assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DeliveryReportsPage"
    }
    assert item["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DeliveryReportsCreated"
    }
    assert item["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/DeliveryReportIn"},
            {"$ref": "#/components/schemas/DeliveryReportsIn"},
        ]
    }
    schemas = doc["components"]["schemas"]
    one = schemas["DeliveryReportIn"]
    assert (
        set(one["properties"])
        == set(DeliveryReportIn.model_fields)
        == {
            "obligation",
            "period_start",
            "period_end",
            "quantity",
            "where",
            "note",
        }
    )
    assert one["required"] == ["obligation", "period_start", "period_end", "quantity"]
    assert one["additionalProperties"] is False
    assert (one["properties"]["quantity"]["exclusiveMinimum"], one["properties"]["note"]) == (
        0,
        {
            "anyOf": [{"type": "string", "maxLength": 2000}, {"type": "null"}],
            "default": None,
            "title": "Note",
        },
    )
    # `where` is the same Where as a commitment's (one placement, one schema).
    assert {"$ref": "#/components/schemas/Where"} in one["properties"]["where"]["anyOf"]
    assert schemas["DeliveryReportsIn"]["properties"]["reports"]["maxItems"] == 500
    page = schemas["DeliveryReportsPage"]
    assert page["required"] == ["obligations", "reports"]
    assert set(schemas["DeliveryReportOut"]["required"]) >= {"id", "counted", "verification"}


def test_real_answers_fit_the_documented_schemas(app: Flask, scheme: dict[str, Any]) -> None:
    client = app.test_client()
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    url = f"/api/v1/statements/{scheme['statement'].id}/delivery-reports"
    listed = client.get(url, headers=_token(app, scheme["officer"]))
    assert listed.status_code == 200
    body = listed.get_json()
    _fits(body, {"$ref": "#/components/schemas/DeliveryReportsPage"}, schemas)
    # The fixture's four reports: accepted 3, rejected 5, partly accepted 4 -> 2.5, pending 1.
    reports = sorted(body["reports"], key=lambda r: r["id"])
    assert [(r["verification"], r["quantity"], r["counted"]) for r in reports] == [
        ("accepted", 3.0, 3.0),
        ("rejected", 5.0, 0.0),
        ("partly_accepted", 4.0, 2.5),
        ("pending", 1.0, 0.0),
    ]
    assert [(o["number"], o["counted"], o["due_on"]) for o in body["obligations"]] == [
        (1, 5.5, "2026-10-01"),
        (2, 460.0, None),
    ]
    report = {
        "obligation": scheme["jobs"],
        "period_start": "2027-02-01",
        "period_end": "2027-02-28",
        "quantity": 1.5,
        "where": {"ward": BUNHILL},
    }
    _fits(report, {"$ref": "#/components/schemas/DeliveryReportIn"}, schemas)
    created = client.post(url, json=report, headers=_token(app, scheme["owner"]))
    assert created.status_code == 201, created.text
    _fits(created.get_json(), {"$ref": "#/components/schemas/DeliveryReportsCreated"}, schemas)
    assert created.get_json()["reports"][0]["wards"] == [
        {"code": BUNHILL, "name": "Bunhill", "share": 1.0}
    ]


def test_the_server_refuses_what_the_schema_refuses(app: Flask, scheme: dict[str, Any]) -> None:
    """A field the schema does not know is refused by name (additionalProperties false);
    check_reports' own wording is kept for the fields it checks; nothing is stored."""
    client = app.test_client()
    url = f"/api/v1/statements/{scheme['statement'].id}/delivery-reports"
    auth = _token(app, scheme["owner"])

    def count() -> int:
        with app.extensions["planning_sv.db"].session() as session:
            return session.scalar(select(func.count()).select_from(repo.DeliveryReport)) or 0

    before = count()
    good = {
        "obligation": scheme["jobs"],
        "period_start": "2027-02-01",
        "period_end": "2027-02-28",
        "quantity": 2,
    }
    typo = {key: value for key, value in good.items() if key != "quantity"} | {"quantiy": 2}
    refused = client.post(url, json={"reports": [good, typo]}, headers=auth)
    assert refused.status_code == 422
    assert [(e["path"], e["message"]) for e in refused.get_json()["errors"]] == [
        ("$.reports[1].quantity", "enter a number"),
        ("$.reports[1].quantiy", "unknown field"),
    ]
    extra = client.post(url, json=good | {"colour": "red"}, headers=auth)
    assert extra.status_code == 422
    assert [(e["path"], e["message"]) for e in extra.get_json()["errors"]] == [
        ("$.colour", "unknown field")
    ]
    assert count() == before
