"""Hostile input is a 4xx naming the field, never a 500: one test per finding of the input
fuzzing (docs/WEB.md, "Limits"), on the API and the pages, on both database lanes."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store import statements as repo
from planning_sv.store.models import User
from planning_sv.store.users import create_token, create_user

PASSWORD = "a-long-password-for-tests"
TOO_BIG = str(2**64)  # beyond 64 bits: overflowed SQLite and PostgreSQL before
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32-bit on PostgreSQL


class Actors:
    """An applicant (bearer token and signed-in page client) with one submitted Islington
    statement, an Islington officer (signed in) and an admin (signed in)."""

    def __init__(self, app: Flask, example: dict[str, Any]):
        self.app = app
        db = app.extensions["planning_sv.db"]
        with db.session() as s:
            applicant = create_user(s, "lim.applicant@test.example", PASSWORD, "applicant", None)
            create_user(s, "lim.officer@test.example", PASSWORD, "officer", "islington")
            create_user(s, "lim.admin@test.example", PASSWORD, "admin", None)
            owner = s.get(User, applicant.id)
            self.applicant_id = applicant.id
            statement = repo.create_statement(s, owner, "islington", example)
            repo.submit(s, statement, owner)
            self.statement_id = statement.id
            self.token = create_token(s, owner)[1]
        self.anonymous = app.test_client()
        self.applicant = self._signed_in("lim.applicant@test.example")
        self.officer = self._signed_in("lim.officer@test.example")
        self.admin = self._signed_in("lim.admin@test.example")

    def _signed_in(self, email: str) -> FlaskClient:
        client = self.app.test_client()
        response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.text[:300]
        return client

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return getattr(self.anonymous, method)("/api/v1" + path, headers=headers, **kwargs)

    def post_raw(self, body: str) -> Any:
        return self.api("post", "/statements", data=body, content_type="application/json")


@pytest.fixture
def actors(db_app: Flask, islington_example: dict[str, Any]) -> Actors:
    return Actors(db_app, islington_example)


def _problems(response: Any, status: int = 422) -> list[dict[str, str]]:
    assert response.status_code == status, response.text[:500]
    assert response.mimetype == "application/problem+json"
    return response.get_json().get("errors", [])


def _paths(response: Any, status: int = 422) -> dict[str, str]:
    return {e["path"]: e["message"] for e in _problems(response, status)}


# --- non-ASCII digits ('²'.isdigit() is True, int('²') raises) --------------------------


@pytest.mark.parametrize("value", ["²", "٣", "1_0", " 7 x"])
def test_non_ascii_digits_in_query_parameters(actors: Actors, value: str) -> None:
    sid = actors.statement_id
    found = _paths(actors.api("get", f"/statements/{sid}/assessment?version={value}"))
    assert list(found) == ["version"] and "not a whole number" in found["version"]
    assert list(_paths(actors.api("get", f"/statements?page={value}"))) == ["page"]
    public = actors.anonymous.get(f"/councils/islington/wards?year={value}")
    assert public.status_code == 400 and "Invalid query parameter &#39;year&#39;" in public.text
    assert actors.officer.get(f"/officer/statements/{sid}?version={value}").status_code == 404
    mine = actors.applicant.get(f"/statements?page={value}")
    assert mine.status_code == 400 and "&#39;page&#39;" in mine.text


def test_non_ascii_digits_in_form_fields(actors: Actors, islington_example: dict[str, Any]) -> None:
    with actors.app.extensions["planning_sv.db"].session() as s:
        draft = repo.create_statement(
            s, s.get(User, actors.applicant_id), "islington", islington_example
        )
        draft_id = draft.id
    response = actors.applicant.post(
        f"/statements/{draft_id}/development",
        data={"dwellings": "٣", "build_cost_gbp": "²", "construction_months": "1_2"},
    )
    assert response.status_code == 400
    # Each message names its field, twice: in the error summary and at the field.
    assert response.text.count("Number of homes must be a whole number, like 120") == 2
    assert response.text.count("Construction period must be a whole number, like 30") == 2
    assert response.text.count("Build cost must be a number, like 45,000,000") == 2


# --- integers beyond 64 bits in URLs and query strings ----------------------------------


def test_ids_beyond_64_bits_in_urls_are_404(actors: Actors) -> None:
    sid = actors.statement_id
    for method, path in (
        ("get", f"/statements/{TOO_BIG}"),
        ("put", f"/statements/{TOO_BIG}"),
        ("post", f"/statements/{TOO_BIG}/submit"),
        ("get", f"/statements/{TOO_BIG}/assessment"),
        ("get", f"/statements/{sid}/versions/{TOO_BIG}"),
        ("get", f"/statements/{MAX_ID + 1}"),
        ("get", f"/statements/{2**63 - 1}"),
        ("put", f"/statements/{'9' * 5000}"),
    ):
        response = actors.api(method, path, json={})
        # 404, not a database overflow (500) nor a misleading 405 "use GET".
        _problems(response, 404)
    # The largest id is a well-formed id that does not exist (PostgreSQL is asked).
    _problems(actors.api("get", f"/statements/{MAX_ID}"), 404)
    assert actors.applicant.get(f"/statements/{TOO_BIG}").status_code == 404
    assert actors.officer.get(f"/officer/statements/{TOO_BIG}").status_code == 404
    assert actors.admin.get(f"/admin/users/{TOO_BIG}").status_code == 404


def test_pages_and_versions_beyond_their_range(actors: Actors) -> None:
    sid = actors.statement_id
    found = _paths(actors.api("get", f"/statements?page={TOO_BIG}&per_page={TOO_BIG}"))
    assert found == {
        "page": "must be between 1 and 1000000",
        "per_page": "must be between 1 and 100",
    }
    found = _paths(actors.api("get", f"/statements/{sid}/assessment?version={TOO_BIG}"))
    assert found == {"version": f"must be between 1 and {MAX_ID}"}
    assert actors.applicant.get(f"/statements?page={TOO_BIG}").status_code == 400
    assert actors.admin.get(f"/admin/users?page={TOO_BIG}").status_code == 400
    queue = actors.officer.get(f"/officer/?cursor={'9' * 5000}")  # keyset pages: no page
    assert queue.status_code == 400 and "page link is not valid" in queue.text
    public = actors.anonymous.get(f"/councils/islington/wards?year={'9' * 5000}")
    assert public.status_code == 400 and "is not a year between" in public.text


# --- hostile JSON bodies ----------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [{}, [], 7, None])
def test_commitment_id_of_the_wrong_type(
    actors: Actors, islington_example: dict[str, Any], bad_id: Any
) -> None:
    body = copy.deepcopy(islington_example)
    body["commitments"][0]["id"] = bad_id
    body["commitments"][1]["stacks_on"] = {"x": 1}
    found = _paths(actors.api("post", "/statements", json=body))
    assert "$.commitments[0].id" in found and "$.commitments[1].stacks_on" in found


def test_json_nested_100000_deep(actors: Actors) -> None:
    found = _paths(actors.post_raw("[" * 100_000 + "]" * 100_000))
    assert found == {"$": "the JSON is nested more than 32 levels deep"}


def test_a_5000_digit_integer_names_its_field(
    actors: Actors, islington_example: dict[str, Any]
) -> None:
    text = json.dumps(islington_example).replace(
        '"build_cost_gbp": 45000000', '"build_cost_gbp": ' + "1" * 5000, 1
    )
    assert "1" * 5000 in text
    found = _paths(actors.post_raw(text))
    assert list(found) == ["$.development.build_cost_gbp"]
    assert found["$.development.build_cost_gbp"].startswith("a number with more than 20 digits")


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_coordinates_must_be_finite(
    actors: Actors, islington_example: dict[str, Any], word: str
) -> None:
    body = copy.deepcopy(islington_example)
    body["site"] = {"point": ["LON", 51.55]}
    body["commitments"][0]["where"] = {"point": [-0.11, "LAT"]}
    text = json.dumps(body).replace('"LON"', word).replace('"LAT"', word)
    found = _paths(actors.post_raw(text))
    # Every non-finite number is named, in document order.
    assert list(found.items()) == [
        ("$.site.point[0]", "must be a finite number (not NaN or Infinity)"),
        ("$.commitments[0].where.point[1]", "must be a finite number (not NaN or Infinity)"),
    ]


def test_geometry_nested_900_deep(actors: Actors, islington_example: dict[str, Any]) -> None:
    body = copy.deepcopy(islington_example)
    body["site"] = {"geometry": {"type": "Polygon", "coordinates": "DEEP"}}
    text = json.dumps(body).replace('"DEEP"', "[" * 900 + "]" * 900)
    found = _paths(actors.post_raw(text))
    assert found == {"$.site.geometry.coordinates": "nested more than 32 levels deep"}


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Polygon", "coordinates": [[-0.11, 51.55]]}, "must be a list of rings"),
        ({"type": "Point", "coordinates": [-0.11, 51.55, 1, 2]}, "must be one position"),
        ({"type": "Point", "coordinates": [True, 51.55]}, "two finite numbers"),
        ({"type": "MultiPolygon", "coordinates": [[[[-0.11, "x"]]]]}, "a list of polygons"),
    ],
)
def test_unknown_geometry_shapes_are_refused(
    actors: Actors, islington_example: dict[str, Any], geometry: dict[str, Any], message: str
) -> None:
    body = copy.deepcopy(islington_example)
    body["site"] = {"geometry": geometry}
    found = _paths(actors.api("post", "/statements", json=body))
    assert message in found["$.site.geometry.coordinates"]


# --- the HTTP contract --------------------------------------------------------------------


def test_405_carries_allow(actors: Actors) -> None:
    sid = actors.statement_id
    response = actors.api("delete", f"/statements/{sid}")
    _problems(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    page = actors.anonymous.put("/councils")
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def _utc(text: str) -> dt.datetime:
    assert text.endswith(("Z", "+00:00")), text
    parsed = dt.datetime.fromisoformat(text)
    assert parsed.utcoffset() == dt.timedelta(0)
    return parsed


def test_timestamps_are_rfc3339_utc(actors: Actors) -> None:
    sid = actors.statement_id
    detail = actors.api("get", f"/statements/{sid}").get_json()
    updated = _utc(detail["updated_at"])
    submitted = _utc(detail["submitted"][0]["submitted_at"])
    assert abs(updated - submitted) < dt.timedelta(minutes=5)
    listed = actors.api("get", "/statements").get_json()["items"][0]
    assert _utc(listed["updated_at"]) == updated
    frozen = actors.api("get", f"/statements/{sid}/versions/1")
    assert _utc(frozen.headers["X-Submitted-At"]) == submitted


def test_limits_are_documented(actors: Actors) -> None:
    from planning_sv import config

    text = (config.PROJECT_ROOT / "docs" / "WEB.md").read_text(encoding="utf-8")
    limits = text.split("## Limits", 1)[1]
    for fact in ("2^31-1", "32 levels", "20 digits", "NaN", "1,000,000", "100,000 positions"):
        assert fact in limits, fact
