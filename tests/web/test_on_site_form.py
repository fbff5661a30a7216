"""The applicant's commitment form, CSV upload and API offer "On the site" as a place."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_token
from tests.conftest import EXAMPLES


def _draft(app: Flask, statement_id: int) -> dict:
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement_id)
        assert row is not None
        return row.draft


def test_form_stores_and_shows_an_on_site_commitment(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("applicant")
    started = client.post(
        "/statements/new", data={"council": "islington", "application_reference": "P/1"}
    )
    sid = int(started.location.split("/")[2])
    form = client.get(f"/statements/{sid}/commitments/new").text
    assert re.search(r'<input[^>]*value="site"', form)
    assert "On the site" in form

    added = client.post(
        f"/statements/{sid}/commitments/new",
        data={"measure": "affordable_workspace", "quantity": "800", "unit": "sqm", "where": "site"},
    )
    assert added.status_code == 302, added.text[:500]
    (commitment,) = _draft(app, sid)["commitments"]
    assert commitment["where"] == {"site": True}
    # Editing keeps the choice selected.
    edit = client.get(f"/statements/{sid}/commitments/{commitment['id']}/edit").text
    assert re.search(r'<input[^>]*value="site"[^>]*checked', edit)


def test_api_accepts_site_true_and_places_it_with_the_site(
    app: Flask, make_user: Callable[..., User]
) -> None:
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    data["commitments"][4]["where"] = {"site": True}
    owner = make_user("applicant")
    with app.extensions["planning_sv.db"].session() as session:
        token = create_token(session, session.get(User, owner.id))[1]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    created = client.post("/api/v1/statements", json=data, headers=headers)
    assert created.status_code == 201, created.text[:500]
    url = created.headers["Location"]
    stored = client.get(url, headers=headers).get_json()
    assert json.dumps(stored).count('"site": true') == 1
    record = client.get(f"{url}/assessment", headers=headers).get_json()
    workspace = next(c for c in record["commitments"] if c["id"] == "c5")
    assert workspace["method"] == "site"
    assert workspace["wards"] == record["site"]["wards"]
    schema = client.get("/api/v1/openapi.json").get_json()
    where = schema["components"]["schemas"]["Where"]["properties"]
    assert where["site"]["anyOf"][0] == {"type": "boolean"}
