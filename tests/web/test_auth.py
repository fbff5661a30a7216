"""Registration, sign-in and -out, cookies, rate limit, CSRF, escaping, tokens, admin roles."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv.store.models import ApiToken, AuditEvent, User


def _register(client: FlaskClient, email: str, password: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/register",
        data={"email": email, "password": password, "confirm": confirm or password},
    )


def test_register_creates_an_applicant_who_then_signs_in(client: FlaskClient, app: Flask) -> None:
    response = _register(client, "new@dev.example", "a-long-password")
    # Registration never signs in (an existing address must get the same answer): it sends
    # the visitor to sign in, with the neutral confirmation.
    assert response.status_code == 302 and response.location == "/sign-in"
    assert client.get("/statements").location.startswith("/sign-in")
    assert "Now sign in with your email address and password" in client.get("/sign-in").text
    # A new account is an applicant of no council; the password is not stored as typed.
    with app.extensions["planning_sv.db"].session() as s:
        user = s.scalar(select(User).where(User.email == "new@dev.example"))
        assert user is not None
        assert (user.role, user.council) == ("applicant", None)
        assert "a-long-password" not in str(user.password_hash)
    signed_in = client.post(
        "/sign-in", data={"email": "new@dev.example", "password": "a-long-password"}
    )
    assert signed_in.location == "/statements"
    assert client.get("/statements").status_code == 200


def test_register_errors_name_each_field(client: FlaskClient) -> None:
    response = _register(client, "nope", "short", "different")
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page
    assert 'href="#email"' in page and 'href="#password"' in page and 'href="#confirm"' in page
    assert "Enter an email address in the correct format" in page
    assert "<title>Error:" in page


def test_registering_an_existing_email_answers_like_a_new_one(
    app: Flask, make_user: Callable[..., User], password: str
) -> None:
    """The same status, redirect and page for a taken and a new address (no enumeration);
    the taken account is untouched and nobody is signed in."""
    user = make_user("applicant")
    taken, fresh = app.test_client(), app.test_client()
    taken_answer = _register(taken, user.email.upper(), "another-long-password")
    fresh_answer = _register(fresh, "brand.new@dev.example", "another-long-password")
    assert (taken_answer.status_code, taken_answer.location) == (302, "/sign-in")
    assert (fresh_answer.status_code, fresh_answer.location) == (302, "/sign-in")
    assert "already exists" not in taken_answer.text
    taken_page, fresh_page = taken.get("/sign-in").text, fresh.get("/sign-in").text
    # Pages differ only in their CSRF token and CSP nonce; strip both and compare.
    scrub = re.compile(r'(value|nonce)="[^"]*"')
    assert scrub.sub("", taken_page) == scrub.sub("", fresh_page)
    assert "Now sign in with your email address and password" in taken_page
    for client in (taken, fresh):
        assert client.get("/statements").location.startswith("/sign-in")
    # The existing password still works; the one typed at registration does not.
    assert (
        app.test_client()
        .post("/sign-in", data={"email": user.email, "password": password})
        .location
        == "/statements"
    )
    assert (
        app.test_client()
        .post("/sign-in", data={"email": user.email, "password": "another-long-password"})
        .status_code
        == 400
    )
    with app.extensions["planning_sv.db"].session() as s:
        emails = sorted(s.scalars(select(User.email)))
    assert emails == sorted([user.email, "brand.new@dev.example"])


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


def test_sign_out_is_a_post(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("applicant")
    # A link (GET) from another site cannot sign anyone out.
    assert client.get("/sign-out").status_code == 405
    assert client.get("/statements").status_code == 200
    page = client.get("/statements").text
    assert '<form method="post" action="/sign-out" class="app-sign-out">' in page
    assert 'href="/sign-out"' not in page
    signed_out = client.post("/sign-out")
    assert (signed_out.status_code, signed_out.location) == (302, "/")
    # Signed out for real: the next page sends the visitor to sign in.
    assert client.get("/statements").location.startswith("/sign-in")


def test_sign_out_needs_the_csrf_token(app_with: Callable[..., Flask], make_user, password) -> None:  # type: ignore[no-untyped-def]
    user = make_user("applicant")
    client = app_with(WTF_CSRF_ENABLED=True).test_client()
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": token})
    refused = client.post("/sign-out")  # what a forged cross-site form would send
    assert refused.status_code == 400
    assert client.get("/statements").status_code == 200  # still signed in
    page = client.get("/statements").text
    header_token = re.search(
        r'action="/sign-out" class="app-sign-out">\s*<input type="hidden" name="csrf_token" '
        r'value="([^"]+)"',
        page,
    ).group(1)
    assert client.post("/sign-out", data={"csrf_token": header_token}).location == "/"
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
    limited = client.post("/sign-in", data={"email": "a@b.example", "password": "x" * 12})
    assert limited.status_code == 429
    # Seconds until the one-minute window ends: 1..60.
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/sign-in").status_code == 200  # only POSTs are limited


def _sign_in_codes(client: FlaskClient, forwarded_for: str, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [
        client.post(
            "/sign-in",
            data={"email": f"{forwarded_for}@b.example", "password": "x" * 12},
            headers=headers,
        ).status_code
        for _ in range(times)
    ]


def test_rate_limit_counts_each_client_behind_a_trusted_proxy(
    app_with: Callable[..., Flask],
) -> None:
    """Behind one trusted proxy the limit counts the forwarded client, so one visitor cannot
    use up everyone's sign-ins; with no trusted proxy the header is ignored."""
    behind = app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="2/minute", TRUSTED_PROXIES=1)
    client = behind.test_client()
    assert _sign_in_codes(client, "203.0.113.7", 3) == [400, 400, 429]
    assert _sign_in_codes(client, "203.0.113.8", 1) == [400]

    direct = app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="2/minute").test_client()
    assert _sign_in_codes(direct, "203.0.113.7", 2) == [400, 400]
    assert _sign_in_codes(direct, "203.0.113.8", 1) == [429]  # a chosen header changes nothing


def test_trusted_proxies_setting_is_checked(app_with: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match="PLANNING_SV_TRUSTED_PROXIES"):
        app_with(TRUSTED_PROXIES="²")


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
    assert accepted.location == "/sign-in"  # registered, not bounced back


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


# --- sessions end for real (ASVS 3.3) ------------------------------------------------------


def _copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """A second browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_stops_working_after_sign_out(login_as, app: Flask) -> None:  # type: ignore[no-untyped-def]
    client = login_as("applicant")
    thief = _copy_of(client, app)
    assert thief.get("/statements").status_code == 200  # the copy works while signed in
    client.post("/sign-out")
    refused = thief.get("/statements")
    assert refused.status_code == 302 and refused.location.startswith("/sign-in")


def test_change_password_ends_other_sessions_and_keeps_this_one(  # type: ignore[no-untyped-def]
    login_as, make_user, sign_in, app: Flask, password: str
) -> None:
    user = make_user("applicant")
    client = login_as(user=user)
    thief = _copy_of(client, app)
    other_device = sign_in(app.test_client(), user)
    assert client.get("/account").text.count('href="/account/password"') == 1
    assert client.get("/account/password").status_code == 200

    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not-my-password",
            "password": "new-long-password-9",
            "confirm": "new-long-password-9",
        },
    )
    assert wrong.status_code == 400 and 'href="#current_password"' in wrong.text
    assert "Your current password is not correct" in wrong.text
    assert thief.get("/statements").status_code == 200  # nothing changed yet

    new = "a-brand-new-secret-9"
    changed = client.post(
        "/account/password",
        data={"current_password": password, "password": new, "confirm": new},
    )
    assert (changed.status_code, changed.location) == (302, "/account")
    assert "signed out everywhere else" in client.get("/account").text
    assert client.get("/statements").status_code == 200  # this browser stays signed in
    for stale in (thief, other_device):
        assert stale.get("/statements").location.startswith("/sign-in")
    fresh = app.test_client()
    old = fresh.post("/sign-in", data={"email": user.email, "password": password})
    assert old.status_code == 400
    assert fresh.post("/sign-in", data={"email": user.email, "password": new}).status_code == 302


def test_a_session_without_the_current_token_is_refused(login_as, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """A session naming only the user id (as before tokens) or a wrong token signs nobody in."""
    client = login_as("applicant")
    with client.session_transaction() as sess:
        user_id = sess["_user_id"].partition(":")[0]
    for forged in (user_id, f"{user_id}:", f"{user_id}:wrong", f"{user_id}:é", "x:y"):
        with client.session_transaction() as sess:
            sess["_user_id"] = forged
        response = client.get("/statements")
        assert response.status_code == 302, forged
        assert response.location.startswith("/sign-in"), forged


# --- lockout per email address (ASVS 2.2.1) ------------------------------------------------


def _attempt(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": password})


LOCKED = "There have been too many attempts to sign in with this email address. Wait 1 minute"


def test_five_failures_lock_the_address_with_retry_after(
    app: Flask, make_user: Callable[..., User], password: str
) -> None:
    from planning_sv.store.models import SignInThrottle

    user = make_user("applicant")
    client = app.test_client()
    codes = [_attempt(client, user.email, "wrong-password-xyz").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 400]
    fifth = _attempt(client, user.email, "wrong-password-xyz")
    assert fifth.status_code == 429
    assert fifth.headers["Retry-After"] == "60"  # the first lock is one minute
    assert LOCKED in fifth.text
    # While locked even the right password is refused, from any client, unchecked.
    locked = _attempt(app.test_client(), user.email, password)
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 60
    # Other addresses are not affected.
    other = make_user("applicant")
    assert _attempt(app.test_client(), other.email, password).status_code == 302

    # The lock ends (moved into the past here rather than waited for); success resets it.
    with app.extensions["planning_sv.db"].session() as s:
        row = s.scalar(select(SignInThrottle))
        assert row.failures == 5
        row.locked_until = row.last_failure_at
    assert _attempt(client, user.email, password).status_code == 302
    with app.extensions["planning_sv.db"].session() as s:
        assert s.scalar(select(func.count()).select_from(SignInThrottle)) == 0
        assert s.get(User, user.id).failed_logins == 0
    fresh = app.test_client()
    again = [_attempt(fresh, user.email, "wrong-password-xyz").status_code for _ in range(4)]
    assert again == [400, 400, 400, 400]


def test_the_lock_says_nothing_about_whether_an_account_exists(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("applicant")
    answers = {}
    for email in (user.email, "nobody-here@test.example"):
        client = app.test_client()
        responses = [_attempt(client, email, "wrong-password-xyz") for _ in range(6)]
        answers[email] = [(r.status_code, r.headers.get("Retry-After")) for r in responses]
        assert LOCKED in responses[-1].text
    assert answers[user.email][:5] == [(400, None)] * 4 + [(429, "60")]
    assert answers["nobody-here@test.example"][:5] == answers[user.email][:5]
    assert answers["nobody-here@test.example"][5][0] == answers[user.email][5][0] == 429


def test_lock_durations_double_up_to_an_hour() -> None:
    import datetime as dt

    from planning_sv.store.users import lock_duration

    minutes = {n: lock_duration(n) for n in (1, 4, 5, 6, 7, 10, 11, 50)}
    assert minutes == {
        1: None,
        4: None,
        5: dt.timedelta(minutes=1),
        6: dt.timedelta(minutes=2),
        7: dt.timedelta(minutes=4),
        10: dt.timedelta(minutes=32),
        11: dt.timedelta(minutes=60),  # 64 capped at an hour
        50: dt.timedelta(minutes=60),
    }


# --- password rules (ASVS 2.1) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password12", "Password must be at least 12 characters"),
        ("1234567890", "Password must be at least 12 characters"),
        ("123456789012", "Password is too easy to guess"),
        ("Password2024!", "Password is too easy to guess"),
        ("P@ssw0rd-2024", "Password is too easy to guess"),
        ("qwertyuiopasdf", "Password is too easy to guess"),
        ("monkeymonkey", "Password is too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "Password is too easy to guess"),
        ("x" * 129, "Password must be 128 characters or fewer"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(
    client: FlaskClient, password: str, message: str
) -> None:
    response = _register(client, "weak@dev.example", password)
    assert response.status_code == 400
    assert 'href="#password"' in response.text and message in response.text


def test_password_rules_apply_to_change_and_command_line(  # type: ignore[no-untyped-def]
    login_as, sqlite_url: str, password: str
) -> None:
    from click.testing import CliRunner

    from planning_sv.cli import cli

    client = login_as("applicant")
    common = client.post(
        "/account/password",
        data={"current_password": password, "password": "Welcome2025!", "confirm": "Welcome2025!"},
    )
    assert common.status_code == 400 and 'href="#password"' in common.text
    assert "Password is too easy to guess" in common.text
    result = CliRunner().invoke(
        cli,
        ["users", "create", "--email", "cli@dev.example", "--password", "iloveyou1234"],
        env={"DATABASE_URL": sqlite_url},
    )
    assert result.exit_code == 2
    assert "error: password: Password is too easy to guess" in result.output


def test_a_password_may_not_contain_the_email_address(client: FlaskClient) -> None:
    response = _register(client, "harriet.jones@dev.example", "harrietjones-2026")
    assert response.status_code == 400
    assert "Password must not contain your email address" in response.text


def test_long_passphrases_with_any_characters_are_accepted(client: FlaskClient) -> None:
    phrase = "ünïcode and spaces are fine here, 32 chars"
    assert _register(client, "phrase@dev.example", phrase).location == "/sign-in"
    signed_in = client.post("/sign-in", data={"email": "phrase@dev.example", "password": phrase})
    assert signed_in.status_code == 302


# --- redirects after sign-in stay on this site (ASVS 5.1.5) --------------------------------

HOSTILE_NEXT = [
    "/\t/evil.example",  # what ?next=/%09/evil.example decodes to; browsers drop the tab
    "/\\evil.example",
    "\\\\evil.example",
    "//evil",
    "///evil.example",
    "https://evil.example",
    "http:/evil.example",
    "/\n/evil",
    "/\r\nLocation: https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /evil",
    "/%2F/evil.example",  # double-encoded '//'
    "/%09/evil.example",  # double-encoded tab
    "/%5Cevil.example",  # double-encoded backslash
    "/\u200b/evil.example",  # zero-width space
    "/" + "a" * 2001,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_values_redirect_to_the_home_page(
    app: Flask, make_user: Callable[..., User], password: str, target: str
) -> None:
    user = make_user("applicant")
    response = app.test_client().post(
        "/sign-in", query_string={"next": target}, data={"email": user.email, "password": password}
    )
    assert (response.status_code, response.location) == (302, "/statements")


def test_raw_tab_in_next_query_redirects_home(app: Flask, make_user, password: str) -> None:  # type: ignore[no-untyped-def]
    """The reported URL exactly as typed: /sign-in?next=/%09/evil.example."""
    user = make_user("applicant")
    response = app.test_client().post(
        "/sign-in?next=/%09/evil.example", data={"email": user.email, "password": password}
    )
    assert response.location == "/statements"


def test_same_site_next_with_a_query_is_kept(app: Flask, make_user, password: str) -> None:  # type: ignore[no-untyped-def]
    user = make_user("applicant")
    response = app.test_client().post(
        "/sign-in",
        query_string={"next": "/statements?status=draft"},
        data={"email": user.email, "password": password},
    )
    assert response.location == "/statements?status=draft"


# --- HSTS when served over https -----------------------------------------------------------


def test_hsts_only_when_configured_for_https(
    app_with: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = app_with().test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers
    configured = app_with(PREFERRED_URL_SCHEME="https").test_client().get("/")
    assert configured.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    monkeypatch.setenv("PLANNING_SV_HTTPS", "1")
    from_env = app_with().test_client().get("/sign-in")
    assert from_env.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_lock_is_kept_in_the_database_on_each_lane(database, password: str) -> None:  # type: ignore[no-untyped-def]
    """The same back-off through the store on SQLite and PostgreSQL (atomic counting)."""
    import datetime as dt

    from planning_sv.store.models import SignInThrottle
    from planning_sv.store.users import SignInLocked, authenticate, create_user

    with database.session() as s:
        create_user(s, "lane@dev.example", password)
    for _ in range(4):
        with database.session() as s:
            assert authenticate(s, "LANE@dev.example ", "wrong-password-xyz") is None
    # pytest.raises exits first, so the session commits, as the view does after a lock.
    with database.session() as s, pytest.raises(SignInLocked) as locked:
        authenticate(s, "lane@dev.example", "wrong-password-xyz")
    assert locked.value.retry_after == 60
    with database.session() as s, pytest.raises(SignInLocked):
        authenticate(s, "lane@dev.example", password)  # the right password, still locked
    with database.session() as s:
        row = s.scalar(select(SignInThrottle))
        assert row.failures == 5  # attempts while locked are not counted
        row.locked_until = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with database.session() as s:
        assert authenticate(s, "lane@dev.example", password) is not None
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(SignInThrottle)) == 0
