"""The public downloads carry the same verified delivery as the pages.

Hand-worked from tests/web/monitoring_fixture.py: verified 3 FTE-years in Bunhill and 2.5 in
Caledonian (a rejected 5 and a pending 1 never count); no delivery anywhere else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from planning_sv.store.models import Statement, User
from tests.web.monitoring_fixture import BUNHILL, CALEDONIAN, monitored_scheme


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    return monitored_scheme(app, make_user, make_statement)


def _csv(app: Flask, url: str) -> list[dict[str, str]]:
    response = app.test_client().get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_borough_download_says_what_was_verified_in_each_ward(
    app: Flask, scheme: dict[str, Any]
) -> None:
    rows = {r["ward_code"]: r["delivery"] for r in _csv(app, "/councils/islington/wards.csv")}
    assert rows[BUNHILL] == "Local people employed (FTE-years): 3 FTE-years verified"
    assert rows[CALEDONIAN] == "Local people employed (FTE-years): 2.5 FTE-years verified"
    others = {code: text for code, text in rows.items() if code not in (BUNHILL, CALEDONIAN)}
    assert set(others.values()) == {"not yet reported"}
    geo = app.test_client().get("/councils/islington/wards.geojson").get_json()
    by_ward = {f["id"]: f["properties"]["delivery"] for f in geo["features"]}
    assert by_ward[BUNHILL] == rows[BUNHILL]


def test_the_ward_download_carries_the_wards_verified_delivery(
    app: Flask, scheme: dict[str, Any]
) -> None:
    # The verified FTE-years were placed in Bunhill by the report; the commitment's own line
    # is sited elsewhere (N19 3AA), so Bunhill's lines claim no delivery of their own: the
    # same reading as the ward page (web/delivery.line_delivered).
    lines = _csv(app, f"/councils/islington/wards/{BUNHILL}.csv")
    assert lines and {line["delivered"] for line in lines} == {"not yet reported"}
    geo = app.test_client().get(f"/councils/islington/wards/{BUNHILL}.geojson").get_json()
    ward = next(f for f in geo["features"] if f["properties"]["kind"] == "ward")
    assert (
        ward["properties"]["delivery"] == "Local people employed (FTE-years): 3 FTE-years verified"
    )
