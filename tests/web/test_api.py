"""The JSON API: statements, submit, assessment, listing, problem+json errors, OpenAPI."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store.models import User
from planning_sv.store.users import create_token


class Api:
    """A test client that sends a bearer token."""

    def __init__(self, app: Flask, user: User | None):
        self.client = app.test_client()
        self.headers: dict[str, str] = {}
        if user is not None:
            with app.extensions["planning_sv.db"].session() as s:
                self.headers["Authorization"] = f"Bearer {create_token(s, s.get(User, user.id))[1]}"

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)("/api/v1" + path, headers=headers, **kwargs)

        return call


@pytest.fixture
def api_for(db_app: Flask) -> Callable[..., Api]:
    """api_for(role, council=None) -> an Api client for a new user (both database lanes)."""
    from planning_sv.store.users import create_user

    counter = {"n": 0}

    def make(role: str = "applicant", council: str | None = None) -> Api:
        counter["n"] += 1
        with db_app.extensions["planning_sv.db"].session() as s:
            user = create_user(
                s, f"api{counter['n']}@test.example", "a-long-password", role, council
            )
        return Api(db_app, user)

    return make


def _problem(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


def test_create_get_put_submit_assess(api_for, islington_example: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    api = api_for("applicant")
    created = api.post("/statements", json=islington_example)
    assert created.status_code == 201
    statement_id = created.get_json()["id"]
    assert created.headers["Location"] == f"/api/v1/statements/{statement_id}"

    got = api.get(f"/statements/{statement_id}")
    body = got.get_json()
    assert body["status"] == "draft" and body["owner"] is True
    assert body["draft"]["commitments"][0]["id"] == "c1"

    draft_assessment = api.get(f"/statements/{statement_id}/assessment").get_json()
    assert draft_assessment["schema"] == "planning-sv/assessment@1"
    # The draft is really assessed: the example's hand-computed social value (see
    # test_valuation_engine) and Islington's seven rules in force (B4 in three parts).
    assert draft_assessment["social_value"]["total_gbp"] == pytest.approx(3_019_350)
    assert len(draft_assessment["rules"]) == 7
    placements = next(
        r for r in draft_assessment["rules"] if r["id"] == "ISL-S106-CONSTRUCTION-PLACEMENTS"
    )
    assert placements["proposed"] == 20 and placements["status"] == "fail"

    changed = copy.deepcopy(islington_example)
    changed["commitments"][2]["quantity"] = 45
    stale = api.put(f"/statements/{statement_id}", json=changed, headers={"If-Match": '"999"'})
    _problem(stale, 412)
    put = api.put(
        f"/statements/{statement_id}", json=changed, headers={"If-Match": got.headers["ETag"]}
    )
    assert put.status_code == 200
    assert put.get_json()["draft"]["commitments"][2]["quantity"] == 45

    submitted = api.post(f"/statements/{statement_id}/submit")
    assert submitted.get_json() == {"id": statement_id, "status": "submitted", "version": 1}
    _problem(api.post(f"/statements/{statement_id}/submit"), 409)
    _problem(api.put(f"/statements/{statement_id}", json=changed), 409)

    assessment = api.get(f"/statements/{statement_id}/assessment").get_json()
    rule = next(r for r in assessment["rules"] if r["id"] == "ISL-S106-CONSTRUCTION-PLACEMENTS")
    assert rule["proposed"] == 45 and rule["status"] == "pass"
    assert rule["required"] == 45 and rule["shortfall"] == 0  # 1 per £1m of £45m build cost
    assert api.get(f"/statements/{statement_id}/assessment?version=1").get_json() == assessment
    frozen = api.get(f"/statements/{statement_id}/versions/1").get_json()
    assert frozen["commitments"][2]["quantity"] == 45 and frozen["council"] == "islington"
    _problem(api.get(f"/statements/{statement_id}/versions/2"), 404)
    _problem(api.get(f"/statements/{statement_id}/assessment?version=7"), 404)
    _problem(api.get(f"/statements/{statement_id}/assessment?version=x"), 422)


def test_visibility_over_the_api(api_for, islington_example: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    owner = api_for("applicant")
    statement_id = owner.post("/statements", json=islington_example).get_json()["id"]
    _problem(api_for("applicant").get(f"/statements/{statement_id}"), 404)
    _problem(api_for("officer", "salford").get(f"/statements/{statement_id}"), 404)
    officer = api_for("officer", "islington")
    # A draft is the applicant's until first submitted, even to its council's officers.
    _problem(officer.get(f"/statements/{statement_id}"), 404)
    _problem(officer.get(f"/statements/{statement_id}/assessment"), 404)
    assert officer.get("/statements?status=draft").get_json()["total"] == 0
    assert owner.post(f"/statements/{statement_id}/submit").status_code == 200
    detail = officer.get(f"/statements/{statement_id}").get_json()
    assert (detail["owner"], detail["status"], detail["draft"]) == (False, "submitted", {})
    assert officer.get(f"/statements/{statement_id}/assessment").status_code == 200
    seen = officer.get(f"/statements/{statement_id}/assessment").get_json()
    assert seen["schema"] == "planning-sv/assessment@1"
    assert seen["social_value"]["total_gbp"] == pytest.approx(3_019_350)
    _problem(officer.put(f"/statements/{statement_id}", json=islington_example), 403)
    _problem(officer.post("/statements", json=islington_example), 403)
    _problem(api_for("admin").get("/statements"), 403)
    _problem(Api(owner.client.application, None).get("/statements"), 401)
    bad_token = owner.get("/statements", headers={"Authorization": "Bearer psv_nope"})
    assert _problem(bad_token, 401) and bad_token.headers["WWW-Authenticate"].startswith("Bearer")


def test_listing_is_paginated_and_scoped(api_for, islington_example, salford_example) -> None:  # type: ignore[no-untyped-def]
    owner = api_for("applicant")
    for _ in range(3):
        owner.post("/statements", json=islington_example)
    owner.post("/statements", json=salford_example)
    page = owner.get("/statements?per_page=2&page=2").get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (4, 2, 2, 2)
    salford_officer = api_for("officer", "salford")
    # All four are drafts: private to their owner, whatever the status filter asks for.
    assert salford_officer.get("/statements").get_json()["total"] == 0
    assert salford_officer.get("/statements?status=draft").get_json()["total"] == 0
    salford_id = owner.get("/statements?per_page=1").get_json()["items"][0]["id"]
    assert owner.get(f"/statements/{salford_id}").get_json()["council"] == "salford"
    assert owner.post(f"/statements/{salford_id}/submit").status_code == 200
    assert salford_officer.get("/statements").get_json()["total"] == 1
    assert salford_officer.get("/statements?status=draft").get_json()["total"] == 0
    assert api_for("applicant").get("/statements").get_json()["total"] == 0
    assert owner.get("/statements?status=submitted").get_json()["total"] == 1  # the Salford one
    errors = _problem(owner.get("/statements?per_page=1000&page=0&status=nope"), 422)["errors"]
    assert _problem(owner.get("/statements?page=abc"), 422)["errors"][0]["path"] == "page"
    assert {e["path"] for e in errors} == {"page", "per_page", "status"}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(council="atlantis"), "$.council"),
        (lambda d: d["development"].update(build_cost_gbp="lots"), "$.development.build_cost_gbp"),
        (lambda d: d["commitments"][1].update(quantity=-3), "$.commitments[1].quantity"),
        (lambda d: d["commitments"][0].update(unit="parsecs"), "$.commitments[0].unit"),
        (lambda d: d["commitments"][0].update(measure="magic"), "$.commitments[0].measure"),
        (lambda d: d.pop("site"), "$.site"),
        (lambda d: d.update(surprise=1), "$.surprise"),
        (
            lambda d: d["commitments"][0].update(where={"postcode": "ZZ99 9ZZ"}),
            "$.commitments[0].where.postcode",
        ),
    ],
)
def test_invalid_statements_get_422_with_json_paths(
    api_for, islington_example, mutate, path
) -> None:  # type: ignore[no-untyped-def]
    api = api_for("applicant")
    mutate(islington_example)
    # Every fault, a place that cannot be placed included, is refused when the draft is made.
    body = _problem(api.post("/statements", json=islington_example), 422)
    assert path in [e["path"] for e in body["errors"]], body["errors"]


def test_malformed_bodies_are_4xx(api_for, db_app: Flask) -> None:  # type: ignore[no-untyped-def]
    api = api_for("applicant")
    body = _problem(api.post("/statements", data="{not json", content_type="application/json"), 422)
    assert body["errors"][0]["path"] == "$" and "not valid JSON" in body["errors"][0]["message"]
    _problem(api.post("/statements", data="[1, 2]", content_type="application/json"), 422)
    _problem(
        api.post("/statements", data="x=1", content_type="application/x-www-form-urlencoded"), 422
    )
    _problem(api.post("/statements", data=b"\xff\xfe", content_type="application/json"), 422)
    huge = b'{"x": "' + b"a" * (5 * 1024 * 1024 + 10) + b'"}'
    body = _problem(api.post("/statements", data=huge, content_type="application/json"), 413)
    assert "5 MB" in body["detail"]
    _problem(api.get("/statements/999999"), 404)
    _problem(api.get("/nothing-here"), 404)
    _problem(api.delete("/statements"), 405)


def test_openapi_documents_every_api_route(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    schemas = doc["components"]["schemas"]
    assert {"Statement", "AssessmentOut", "ProblemOut", "StatementPage"} <= set(schemas)
    # Generated from the same model the API validates with.
    from planning_sv.core.statement import statement_json_schema

    assert set(schemas["Statement"]["properties"]) == set(statement_json_schema()["properties"])
    json.dumps(doc)  # serialisable


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["development"].update(dwellings=10**400),
        lambda d: d["commitments"][0].update(quantity=1e308),
        lambda d: d["development"].update(build_cost_gbp=1e308),
    ],
)
def test_absurd_numbers_never_5xx(api_for, islington_example, mutate) -> None:  # type: ignore[no-untyped-def]
    api = api_for("applicant")
    mutate(islington_example)
    created = api.post("/statements", json=islington_example)
    assert created.status_code in (201, 422), created.text[:300]
    if created.status_code == 201:
        statement_id = created.get_json()["id"]
        assert api.get(f"/statements/{statement_id}/assessment").status_code < 500
        assert api.post(f"/statements/{statement_id}/submit").status_code < 500
