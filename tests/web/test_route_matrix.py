"""Every registered route × every kind of user, checked against the route's declaration.

The test walks `app.url_map`, so a new route is covered automatically; a route without an
`@allow(...)` declaration fails here. Expected outcome per actor:

- not allowed by role: anonymous → redirect to sign-in (pages) or 401 (API); signed in → 403;
- allowed, but the URL names a statement the actor may not see → 404;
- allowed and visible → neither 401/403/404 nor a 5xx.

URL arguments are filled from SAMPLES; a route with a new argument name fails with a
message asking for a sample value (add one below).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_token
from planning_sv.web.authz import allowed_for, can_view, role_allowed

ACTORS = (
    "anonymous",
    "applicant_owner",
    "other_applicant",
    "officer_same_council",
    "senior_same_council",
    "officer_other_council",
    "admin",
)

# Written by hand, not read from the declarations, so a wrong @allow(...) fails here:
# who may see a statement (owner and its council's staff) ...
SEES_THE_STATEMENT = {"applicant_owner", "officer_same_council", "senior_same_council"}
# ... and who each blueprint is for (endpoints listed in EXCEPTIONS differ from their blueprint).
BLUEPRINT_ROLES = {
    "admin": {"admin"},
    "officer": {"officer", "senior_officer"},
    "applicant": {"applicant"},
    "public": {"public"},
    "api": {"applicant", "officer", "senior_officer"},
    "auth": {"signed_in"},
}
EXCEPTIONS = {
    "api.create_statement": {"applicant"},
    "api.put_statement": {"applicant"},
    "api.submit_statement": {"applicant"},
    "api.openapi": {"public"},
    "auth.home": {"public"},
    "auth.register": {"public"},
    "auth.sign_in": {"public"},
    "govuk_assets": {"public"},
}


def _samples(statement: Statement, owner: User) -> dict[str, Any]:
    """A value for every URL argument name used by the app's routes."""
    return {
        "statement_id": statement.id,
        "commitment_id": "c1",
        "number": 1,
        "version": 1,
        "token_id": 1,
        "user_id": owner.id,
        "filename": "manifest.json",
        "council": "islington",
        "ward": "E05013706",
        "ward_code": "E05013706",
        "code": "E05013706",
        "rule_id": "ISL-B4-AFFORDABLE-WORKSPACE",
        "event_id": 1,
        "fmt": "csv",
        "format": "csv",
    }


def _routes(app: Flask) -> list[tuple[str, str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule))
    # Sign-out last: it ends the shared clients' sessions.
    return sorted(out, key=lambda r: (r[0] == "auth.sign_out", r[0], r[1]))


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and allowed_for(view) is None
    ]
    assert missing == [], f"routes without an @allow(...) declaration: {missing}"


def test_declarations_match_the_written_policy(app: Flask) -> None:
    wrong = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        expected = EXCEPTIONS.get(endpoint) or BLUEPRINT_ROLES[endpoint.split(".")[0]]
        declared = set(allowed_for(view) or ())
        if declared != expected:
            wrong.append(f"{endpoint}: declared {sorted(declared)}, expected {sorted(expected)}")
    assert wrong == [], "\n".join(wrong)
    assert len(app.view_functions) > 40  # the policy really was checked route by route


def test_route_matrix(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    users: dict[str, User | None] = {
        "anonymous": None,
        "applicant_owner": make_user("applicant"),
        "other_applicant": make_user("applicant"),
        "officer_same_council": make_user("officer", "islington"),
        "senior_same_council": make_user("senior_officer", "islington"),
        "officer_other_council": make_user("officer", "salford"),
        "admin": make_user("admin"),
    }
    clients: dict[str, FlaskClient] = {}
    tokens: dict[str, str] = {}
    for name, user in users.items():
        clients[name] = app.test_client() if user is None else sign_in(app.test_client(), user)
        if user is not None:
            with app.extensions["planning_sv.db"].session() as session:
                tokens[name] = create_token(session, session.get(User, user.id))[1]
    owner = users["applicant_owner"]
    staff = {
        "start_review": users["officer_same_council"],
        "request_changes": users["officer_same_council"],
    }
    probe = make_statement(owner, "islington", actions=("submit",), staff=staff)

    for actor, user in users.items():
        if user is not None:
            assert can_view(user, probe) == (actor in SEES_THE_STATEMENT), actor

    failures: list[str] = []
    routes = _routes(app)
    assert len(routes) > 20, "the blueprints did not register"
    for endpoint, method, rule in routes:
        view = app.view_functions[endpoint]
        allowed = allowed_for(view) if endpoint != "static" else frozenset({"public"})
        if allowed is None:
            failures.append(f"{method} {rule.rule}: no @allow declaration")
            continue
        # A fresh statement per route, in a state that has a version and is still editable,
        # so one route's side effects (remove, submit) cannot change another's outcome.
        statement = make_statement(
            owner, "islington", actions=("submit", "start_review", "request_changes"), staff=staff
        )
        samples = _samples(statement, owner)
        unknown = [arg for arg in rule.arguments if arg not in samples]
        if unknown:
            failures.append(
                f"{rule.rule}: add a sample value for {unknown} in test_route_matrix.py"
            )
            continue
        if endpoint == "static":
            samples["filename"] = "css/app.css"
        with app.test_request_context():
            url = url_for(endpoint, **{a: samples[a] for a in rule.arguments})
        is_api = url.startswith("/api/")
        for actor in ACTORS:
            user = users[actor]
            # The API authenticates by bearer token, pages by the session cookie.
            headers = {"Authorization": f"Bearer {tokens[actor]}"} if is_api and user else {}
            response = clients[actor].open(url, method=method, headers=headers)
            status = response.status_code
            where = f"{actor:<22} {method:<6} {url} -> {status}"
            if not role_allowed(allowed, user):
                if user is None:
                    ok = (
                        status == 401
                        if is_api
                        else (status == 302 and "/sign-in" in response.location)
                    )
                else:
                    ok = status == 403
                if not ok:
                    failures.append(f"{where} (expected refusal for {sorted(allowed)})")
            elif "statement_id" in rule.arguments and actor not in SEES_THE_STATEMENT:
                # Signed in with the right role, but not the owner or the council's staff.
                if status != 404:
                    failures.append(f"{where} (expected 404: not owner, not council staff)")
            elif "statement_id" in rule.arguments and not can_view(user, statement):
                if status != 404:
                    failures.append(f"{where} (expected 404: statement not visible)")
            elif status in (401, 403, 404) or status >= 500:
                failures.append(f"{where} (expected access)")
    assert not failures, "route matrix failures:\n" + "\n".join(failures)


@pytest.mark.parametrize("path", ["/api/v1/statements", "/api/v1/statements/1"])
def test_api_ignores_session_cookies(login_as: Callable[..., FlaskClient], path: str) -> None:
    """The API authenticates by bearer token only, so CSRF via a browser session is moot."""
    client = login_as("applicant")
    response = client.get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
