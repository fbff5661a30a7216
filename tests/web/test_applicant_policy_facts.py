"""The facts the rules choose by: validation date, outline schemes, site area.

The validation date picks the regime (Islington's SPDs), so it is typed as people write
dates, refused when it is not a real past date, stored as ISO and shown on check your
answers; "number of homes not known" and the site area feed the statutory major-development
test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store.models import Statement

BASE = {"dwellings": "0", "build_cost_gbp": "3,000,000", "floorspace_residential": "800"}


def _start(client: FlaskClient) -> int:
    response = client.post("/statements/new", data={"council": "salford"})
    assert response.status_code == 302
    return int(response.location.split("/")[2])


def _draft(app: Flask, sid: int) -> dict[str, Any]:
    with app.extensions["planning_sv.db"].session() as s:
        return s.get(Statement, sid).draft  # type: ignore[union-attr]


@pytest.fixture
def applicant(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as("applicant")


@pytest.mark.parametrize("typed", ["30 April 2025", "30/4/2025", "2025-04-30", "30 apr 2025"])
def test_a_validation_date_is_read_as_people_write_it(
    applicant: FlaskClient, app: Flask, typed: str
) -> None:
    sid = _start(applicant)
    saved = applicant.post(
        f"/statements/{sid}/development", data={**BASE, "validation_date": typed}
    )
    assert saved.status_code == 302
    assert _draft(app, sid)["validation_date"] == "2025-04-30"
    form = applicant.get(f"/statements/{sid}/development").text
    assert 'value="30 April 2025"' in form


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31 February 2025", "Validation date must be a real date, like 30 April 2025"),
        ("next week", "Validation date must be a real date, like 30 April 2025"),
        (
            (dt.date.today() + dt.timedelta(days=1)).isoformat(),
            "Validation date must be today or in the past",
        ),
    ],
)
def test_a_bad_validation_date_is_an_error_on_the_field_and_nothing_is_saved(
    applicant: FlaskClient, app: Flask, typed: str, message: str
) -> None:
    sid = _start(applicant)
    before = _draft(app, sid)
    page = applicant.post(f"/statements/{sid}/development", data={**BASE, "validation_date": typed})
    assert page.status_code == 400
    assert message in page.text
    assert 'href="#validation_date"' in page.text
    assert _draft(app, sid) == before


def test_an_outline_scheme_and_its_site_area_are_stored_and_shown(
    applicant: FlaskClient, app: Flask
) -> None:
    sid = _start(applicant)
    saved = applicant.post(
        f"/statements/{sid}/development",
        data={**BASE, "dwellings_not_known": "y", "site_area_ha": "0.6"},
    )
    assert saved.status_code == 302
    development = _draft(app, sid)["development"]
    assert development["dwellings_not_known"] is True
    assert development["site_area_ha"] == 0.6
    check = applicant.get(f"/statements/{sid}/check").text
    assert "No: an outline application" in check
    assert "0.6 hectares" in check
    assert "Not given: the rules in force when you submit apply" in check


def test_a_negative_site_area_names_the_field(applicant: FlaskClient) -> None:
    sid = _start(applicant)
    page = applicant.post(f"/statements/{sid}/development", data={**BASE, "site_area_ha": "-1"})
    assert page.status_code == 400
    assert "Site area must be 0 or more" in page.text
