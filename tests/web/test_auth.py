"""Registration, sign-in and -out, cookies, rate limit, CSRF, escaping, tokens, admin roles."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.store.models import ApiToken, AuditEvent, User


def _register(client: FlaskClient, email: str, password: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/register",
        data={"email": email, "password": password, "confirm": confirm or password},
    )


def test_register_signs_in_and_lands_on_statements(client: FlaskClient, app: Flask) -> None:
    response = _register(client, "new@dev.example", "a-long-password")
    assert response.status_code == 302 and response.location.endswith("/statements")
    assert client.get("/statements").status_code == 200
    # A new account is an applicant of no council; the password is not stored as typed.
    with app.extensions["planning_sv.db"].session() as s:
        user = s.scalar(select(User).where(User.email == "new@dev.example"))
        assert user is not None
        assert (user.role, user.council) == ("applicant", None)
        assert "a-long-password" not in str(user.password_hash)


def test_register_errors_name_each_field(client: FlaskClient) -> None:
    response = _register(client, "nope", "short", "different")
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page
    assert 'href="#email"' in page and 'href="#password"' in page and 'href="#confirm"' in page
    assert "Enter an email address in the correct format" in page
    assert "<title>Error:" in page


def test_register_duplicate_email_is_a_field_error(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("applicant")
    response = _register(client, user.email.upper(), "a-long-password")
    assert response.status_code == 400
    assert "An account with this email address already exists" in response.text


def test_sign_in_wrong_password_and_next_redirect(
    client: FlaskClient, make_user: Callable[..., User], password: str
) -> None:
    user = make_user("applicant")
    bad = client.post("/sign-in", data={"email": user.email, "password": "wrong-wrong-wrong"})
    assert bad.status_code == 400 and "Enter a correct email address and password" in bad.text
    ok = client.post("/sign-in?next=/account", data={"email": user.email, "password": password})
    assert ok.status_code == 302 and ok.location == "/account"


def test_next_cannot_redirect_off_site(client: FlaskClient, make_user, password: str) -> None:  # type: ignore[no-untyped-def]
    user = make_user("applicant")
    response = client.post(
        "/sign-in?next=//evil.example/x", data={"email": user.email, "password": password}
    )
    assert response.location == "/statements"


def test_anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/statements/new")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=/statements/new")


def test_staff_land_on_their_home(login_as, make_user, password: str, app: Flask) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin")
    response = app.test_client().post("/sign-in", data={"email": admin.email, "password": password})
    assert response.location == "/admin/users"


def test_sign_out(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("applicant")
    assert client.get("/sign-out").status_code == 302
    assert client.get("/statements").status_code == 302
    # Signed out for real: the next page sends the visitor to sign in.
    assert client.get("/statements").location.startswith("/sign-in")


def test_session_cookie_flags(
    app_with: Callable[..., Flask], make_user: Callable[..., User], password: str
) -> None:
    """By default (production settings) the session cookie is Secure, HttpOnly, SameSite=Lax."""
    user = make_user("applicant")
    app = app_with(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = app.test_client().post("/sign-in", data={"email": user.email, "password": password})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    app = app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3/minute")
    client = app.test_client()
    codes = [
        client.post("/sign-in", data={"email": "a@b.example", "password": "x" * 12}).status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    assert client.get("/sign-in").status_code == 200  # only POSTs are limited


def test_csrf_is_enforced_on_forms(app_with: Callable[..., Flask]) -> None:
    client = app_with(WTF_CSRF_ENABLED=True).test_client()
    data = {
        "email": "csrf@dev.example",
        "password": "a-long-password",
        "confirm": "a-long-password",
    }
    refused = client.post("/register", data=data)
    assert refused.status_code == 400
    # Refused for the missing token, not for a field error.
    assert "the form was not sent from this service" in refused.text
    form = client.get("/register").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    accepted = client.post("/register", data={**data, "csrf_token": token})
    assert accepted.status_code == 302
    assert accepted.location.endswith("/statements")  # registered, not bounced back


def test_user_text_is_escaped(login_as, make_statement, make_user, islington_example) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("applicant")
    hostile = "<script>alert(1)</script>"
    islington_example["application_reference"] = hostile
    islington_example["commitments"][0]["description"] = hostile
    statement = make_statement(owner, data=islington_example)
    client = login_as(user=owner)
    for path in (
        "/statements",
        f"/statements/{statement.id}",
        f"/statements/{statement.id}/check",
        f"/statements/{statement.id}/commitments",
    ):
        page = client.get(path).text
        assert hostile not in page, path
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in client.get(f"/statements/{statement.id}/commitments").text
    )


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]
    assert "vendor/govuk/govuk-frontend.min.css" in response.text
    assert "cdn" not in response.text.lower()


def test_account_tokens_create_show_once_and_revoke(login_as, app: Flask) -> None:  # type: ignore[no-untyped-def]
    client = login_as("applicant")
    page = client.post("/account/tokens", data={"label": "laptop"}).text
    token = re.search(r'data-testid="new-token">(psv_[^<]+)<', page).group(1)
    assert client.get("/api/v1/statements").status_code == 401  # cookies do not work on the API
    api = app.test_client()
    assert (
        api.get("/api/v1/statements", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert token not in client.get("/account").text
    with app.extensions["planning_sv.db"].session() as s:
        token_id = s.scalar(select(ApiToken.id))
    client.post(f"/account/tokens/{token_id}/revoke")
    assert (
        api.get("/api/v1/statements", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_admin_changes_a_role_and_it_is_audited(login_as, make_user, app: Flask) -> None:  # type: ignore[no-untyped-def]
    admin_client = login_as("admin")
    user = make_user("applicant")
    listing = admin_client.get("/admin/users").text
    assert user.email in listing
    bad = admin_client.post(f"/admin/users/{user.id}", data={"role": "officer", "council": ""})
    assert bad.status_code == 400 and "must belong to a council" in bad.text
    ok = admin_client.post(
        f"/admin/users/{user.id}", data={"role": "officer", "council": "salford"}
    )
    assert ok.status_code == 302
    with app.extensions["planning_sv.db"].session() as s:
        changed = s.get(User, user.id)
        assert (changed.role, changed.council) == ("officer", "salford")
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "set_role"))
        assert event.details["to"] == ["officer", "salford"]


def test_council_admin_sees_only_their_council(login_as, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin", "islington")
    salford_officer = make_user("officer", "salford")
    islington_officer = make_user("officer", "islington")
    client = login_as(user=admin)
    assert salford_officer.email not in client.get("/admin/users").text
    assert islington_officer.email in client.get("/admin/users").text  # the list is not empty
    assert client.get(f"/admin/users/{islington_officer.id}").status_code == 200
    assert client.get(f"/admin/users/{salford_officer.id}").status_code == 404


def test_route_without_declaration_is_refused(app: Flask, login_as) -> None:  # type: ignore[no-untyped-def]
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert app.test_client().get("/undeclared").status_code == 403
    assert login_as("admin").get("/undeclared").status_code == 403


def test_unknown_page_is_a_govuk_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in response.text
