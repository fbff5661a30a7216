"""Every statement links to its application in the council's public planning register, and
a reference that does not fit the council's shape is flagged when entered (kept, not
refused: councils have local variants)."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store.models import Statement, User
from planning_sv.web import assessor

Make = Callable[..., object]


def _register_url(app: Flask, council: str, reference: str) -> str:
    with app.app_context():
        register = assessor().plans[council].planning_register
        assert register is not None
        url = register.url(reference)
        assert url is not None
        return url


def test_start_flags_a_reference_that_does_not_fit_and_keeps_it(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("applicant")
    response = client.post(
        "/statements/new",
        data={"council": "islington", "application_reference": "ABC-1"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert (
        "'ABC-1' does not have the shape of London Borough of Islington's application "
        "references (like P2025/1234/FUL)."
    ) in text
    with app.extensions["planning_sv.db"].session() as session:
        statement = session.query(Statement).one()
        assert statement.application_reference == "ABC-1"  # kept as typed
    overview = html.unescape(client.get(f"/statements/{statement.id}").text)
    assert 'data-testid="planning-record-notice"' in overview
    assert 'data-testid="planning-record"' not in overview


def test_a_fitting_reference_links_to_the_register_for_applicant_and_officer(
    app: Flask,
    login_as: Callable[..., FlaskClient],
    make_user: Callable[..., User],
) -> None:
    applicant = make_user("applicant")
    client = login_as(user=applicant)
    response = client.post(
        "/statements/new",
        data={"council": "islington", "application_reference": "P2025/1234/FUL"},
        follow_redirects=True,
    )
    assert "does not have the shape" not in html.unescape(response.text)
    with app.extensions["planning_sv.db"].session() as session:
        statement_id = session.query(Statement.id).scalar()
    url = _register_url(app, "islington", "P2025/1234/FUL")
    assert url.endswith("simpleSearchString=P2025%2F1234%2FFUL")
    overview = client.get(f"/statements/{statement_id}").text
    assert f'href="{html.escape(url)}"' in overview
    assert "Application P2025/1234/FUL in Islington&#39;s planning register" in overview


def test_the_officer_review_page_links_to_the_register(
    app: Flask,
    login_as: Callable[..., FlaskClient],
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
) -> None:
    owner = make_user("applicant")
    data = __import__("tests.conftest", fromlist=["load_example"]).load_example("salford")
    data["application_reference"] = "25/81234/FUL"
    statement = make_statement(owner, "salford", data=data, actions=("submit",))
    page = login_as("officer", "salford").get(f"/officer/statements/{statement.id}").text
    url = _register_url(app, "salford", "25/81234/FUL")
    assert f'href="{html.escape(url)}"' in page
    assert 'rel="noopener noreferrer"' in page
