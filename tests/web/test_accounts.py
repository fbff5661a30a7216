"""Accounts people run themselves, through the real pages and a real SMTP server: email
verification on registration, password reset by a single-use link that expires (and fails
after a password change), change of password and of email address (ending other sessions
and API tokens), with answers that never tell whether an address has an account."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from planning_sv.store.mail import AccountToken, MailLogEntry
from planning_sv.store.models import ApiToken, User
from planning_sv.store.users import create_token, create_user
from tests.conftest import make_app
from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

BASE = "https://sv.example.gov.uk"
PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "violet-kettle-harbour-9"


@pytest.fixture
def mail_app(sqlite_url: str, instance_dir: Path, smtp_server: MailServer) -> Iterator[Flask]:  # noqa: F811
    application = make_app(sqlite_url, MAIL_URL=smtp_server.url, PUBLIC_BASE_URL=BASE)
    yield application
    application.extensions["planning_sv.db"].dispose()


def _user(app: Flask, email: str, role: str = "applicant", council: str | None = None) -> User:
    with app.extensions["planning_sv.db"].session() as session:
        return create_user(session, email, PASSWORD, role, council)


def _get(app: Flask, user_id: int) -> User:
    with app.extensions["planning_sv.db"].session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def _sign_in(app: Flask, email: str, password: str = PASSWORD) -> tuple[FlaskClient, int]:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": password})
    return client, response.status_code


def _link(server: MailServer, to: str, path: str) -> str:
    """The one link to `path` in the latest email to `to`, as a path on the test client."""
    found = re.findall(re.escape(BASE + path) + r"[A-Za-z0-9_\-]+", body(server.to(to)[-1]))
    assert len(found) == 1, found
    return found[0][len(BASE) :]


def _flash(response_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response_text).split())


# --- registration and email verification --------------------------------------------------


def test_registration_sends_a_verification_link_that_works_once(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    client = mail_app.test_client()
    response = client.post(
        "/register",
        data={"email": "New@Firm.example", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert smtp_server.subjects() == [("new@firm.example", "Confirm your email address")]
    link = _link(smtp_server, "new@firm.example", "/account/verify-email/")
    with mail_app.extensions["planning_sv.db"].session() as session:
        user = session.scalars(select(User).where(User.email == "new@firm.example")).one()
        assert user.email_verified_at is None
        # Only the hash of the token is stored.
        stored = session.scalars(select(AccountToken.token_hash)).one()
    assert link.rsplit("/", 1)[1] not in stored

    # Opening the link shows a button (a mail scanner's GET spends nothing) ...
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my email address" in page.text
    assert _get(mail_app, user.id).email_verified_at is None
    # ... which confirms the address, once.
    assert client.post(link).status_code == 302
    assert _get(mail_app, user.id).email_verified_at is not None
    again = client.post(link)
    assert again.status_code == 400
    assert "has already been used" in again.text

    signed_in, status = _sign_in(mail_app, "new@firm.example")
    assert status == 302
    assert "new@firm.example (confirmed)" in signed_in.get("/account").text


def test_registering_a_taken_address_looks_the_same_and_tells_its_owner(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    owner = _user(mail_app, "dev@firm.example")
    first = mail_app.test_client().post(
        "/register",
        data={"email": "dev@firm.example", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    second = mail_app.test_client().post(
        "/register",
        data={"email": "fresh@firm.example", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert first.status_code == second.status_code == 200
    assert "We have sent an email to the address" in first.text
    assert _flash(first.text) == _flash(second.text)
    assert smtp_server.subjects() == [
        ("dev@firm.example", "You already have an account"),
        ("fresh@firm.example", "Confirm your email address"),
    ]
    assert f"{BASE}/forgot-password" in body(smtp_server.to("dev@firm.example")[0])
    # The existing account is untouched: its password still works, the new one does not.
    assert _sign_in(mail_app, owner.email)[1] == 302
    assert _sign_in(mail_app, owner.email, NEW_PASSWORD)[1] == 400


def test_an_unverified_user_can_ask_for_a_new_link(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    client = mail_app.test_client()
    client.post(
        "/register", data={"email": "dev@firm.example", "password": PASSWORD, "confirm": PASSWORD}
    )
    first = _link(smtp_server, "dev@firm.example", "/account/verify-email/")
    signed_in, _ = _sign_in(mail_app, "dev@firm.example")
    assert "Send me a confirmation link" in signed_in.get("/account").text
    assert signed_in.post("/account/verify-email").status_code == 302
    second = _link(smtp_server, "dev@firm.example", "/account/verify-email/")
    assert second != first
    assert signed_in.post(first).status_code == 400  # a new link retires the old one
    assert signed_in.post(second).status_code == 302


# --- password reset -----------------------------------------------------------------------


def test_password_reset_link_works_once_and_ends_sessions_and_api_tokens(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "dev@firm.example")
    elsewhere, _ = _sign_in(mail_app, user.email)
    with mail_app.extensions["planning_sv.db"].session() as session:
        _token, api_token = create_token(session, session.get(User, user.id))
    # Someone locks the address by failing on purpose (5 failures: locked for a minute).
    statuses = [_sign_in(mail_app, user.email, "wrong-guess-000")[1] for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    client = mail_app.test_client()
    assert client.get("/sign-in").text.count('href="/forgot-password"') == 1

    response = client.post("/forgot-password", data={"email": "DEV@firm.example"})
    assert response.status_code == 302
    assert smtp_server.subjects() == [("dev@firm.example", "Reset your password")]
    text = body(smtp_server.messages[0])
    assert "within 1 hour" in text
    link = _link(smtp_server, user.email, "/reset-password/")

    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.text
    # A weak password is refused naming the field, and the link stays usable.
    weak = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and "too easy to guess" in weak.text
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/sign-in")

    # The reset lifted the lock: the new password signs in at once, the old one fails.
    assert _sign_in(mail_app, user.email, NEW_PASSWORD)[1] == 302
    assert _sign_in(mail_app, user.email)[1] == 400
    # Every other session ended; API tokens revoked; the owner is told.
    assert elsewhere.get("/account").status_code == 302
    api = mail_app.test_client()
    headers = {"Authorization": f"Bearer {api_token}"}
    assert api.get("/api/v1/statements", headers=headers).status_code == 401
    assert smtp_server.subjects()[-1] == ("dev@firm.example", "Your password has been changed")
    # The link worked once.
    used = client.post(link, data={"password": "another-long-phrase-7", "confirm": "x"})
    assert used.status_code == 400 and "has already been used" in used.text
    assert client.get(link).status_code == 400


def test_password_reset_link_expires(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "dev@firm.example")
    client = mail_app.test_client()
    client.post("/forgot-password", data={"email": user.email})
    link = _link(smtp_server, user.email, "/reset-password/")
    with mail_app.extensions["planning_sv.db"].session() as session:
        row = session.scalars(select(AccountToken)).one()
        # Issued an hour ago to the second: its hour is up.
        assert row.expires_at - row.created_at == dt.timedelta(hours=1)
        session.execute(
            update(AccountToken).values(
                created_at=row.created_at - dt.timedelta(hours=1),
                expires_at=row.created_at,
            )
        )
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and "has expired" in response.text
    assert _sign_in(mail_app, user.email)[1] == 302  # the password did not change


def test_password_reset_link_fails_after_a_password_change(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "dev@firm.example")
    mail_app.test_client().post("/forgot-password", data={"email": user.email})
    link = _link(smtp_server, user.email, "/reset-password/")
    signed_in, _ = _sign_in(mail_app, user.email)
    changed = signed_in.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    attacker = mail_app.test_client()
    response = attacker.post(
        link, data={"password": "attacker-chosen-phrase", "confirm": "attacker-chosen-phrase"}
    )
    assert response.status_code == 400 and "stop working when the password changes" in response.text
    assert _sign_in(mail_app, user.email, NEW_PASSWORD)[1] == 302


def test_forgot_password_answers_alike_for_unknown_and_disabled_addresses(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    _user(mail_app, "dev@firm.example")
    known = mail_app.test_client().post(
        "/forgot-password", data={"email": "dev@firm.example"}, follow_redirects=True
    )
    unknown = mail_app.test_client().post(
        "/forgot-password", data={"email": "nobody@firm.example"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert "If there is an account with this email address" in known.text
    assert _flash(known.text) == _flash(unknown.text)
    # One email each, alike in subject, so the request takes the same time either way; only
    # the account's owner gets a link.
    assert smtp_server.subjects() == [
        ("dev@firm.example", "Reset your password"),
        ("nobody@firm.example", "Reset your password"),
    ]
    assert "/reset-password/" in body(smtp_server.to("dev@firm.example")[0])
    unknown_text = body(smtp_server.to("nobody@firm.example")[0])
    assert "/reset-password/" not in unknown_text
    assert "there is no account that can use it" in unknown_text
    bad = mail_app.test_client().post("/forgot-password", data={"email": "not-an-address"})
    assert bad.status_code == 400 and "correct format" in bad.text


def test_change_of_password_revokes_api_tokens(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "dev@firm.example")
    with mail_app.extensions["planning_sv.db"].session() as session:
        _row, api_token = create_token(session, session.get(User, user.id))
    client, _ = _sign_in(mail_app, user.email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert "your API tokens have been revoked" in response.text
    headers = {"Authorization": f"Bearer {api_token}"}
    assert mail_app.test_client().get("/api/v1/statements", headers=headers).status_code == 401
    with mail_app.extensions["planning_sv.db"].session() as session:
        assert session.scalars(select(ApiToken.revoked_at)).one() is not None
    assert smtp_server.subjects() == [("dev@firm.example", "Your password has been changed")]


# --- change of email ----------------------------------------------------------------------


def test_change_of_email_confirms_the_new_address_and_ends_other_sessions(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "old@firm.example")
    client, _ = _sign_in(mail_app, user.email)
    elsewhere, _ = _sign_in(mail_app, user.email)

    wrong = client.post(
        "/account/email", data={"email": "new@firm.example", "current_password": "nope"}
    )
    assert wrong.status_code == 400 and "Your current password is not correct" in wrong.text
    assert smtp_server.messages == []

    asked = client.post(
        "/account/email",
        data={"email": "New@Firm.example", "current_password": PASSWORD},
        follow_redirects=True,
    )
    assert "We have sent a link to new@firm.example" in asked.text
    assert _get(mail_app, user.id).email == "old@firm.example"  # not until confirmed
    link = _link(smtp_server, "new@firm.example", "/account/email/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "new@firm.example" in page.text

    assert client.post(link).status_code == 302
    assert _get(mail_app, user.id).email == "new@firm.example"
    assert client.get("/account").status_code == 200  # this browser goes on
    assert elsewhere.get("/account").status_code == 302  # every other session ended
    assert smtp_server.subjects()[-1] == ("old@firm.example", "Your email address has been changed")
    assert "new@firm.example" in body(smtp_server.to("old@firm.example")[-1])
    assert _sign_in(mail_app, "new@firm.example")[1] == 302
    assert _sign_in(mail_app, "old@firm.example")[1] == 400
    assert client.post(link).status_code == 400  # once only


def test_change_to_a_taken_address_looks_the_same_and_changes_nothing(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    user = _user(mail_app, "old@firm.example")
    _user(mail_app, "taken@firm.example")
    client, _ = _sign_in(mail_app, user.email)
    taken = client.post(
        "/account/email",
        data={"email": "taken@firm.example", "current_password": PASSWORD},
        follow_redirects=True,
    )
    free = client.post(
        "/account/email",
        data={"email": "free@firm.example", "current_password": PASSWORD},
        follow_redirects=True,
    )
    assert "We have sent a link to taken@firm.example" in taken.text
    assert "We have sent a link to free@firm.example" in free.text
    assert "already has an account" in body(smtp_server.to("taken@firm.example")[0])
    assert "/account/email/confirm/" not in body(smtp_server.to("taken@firm.example")[0])
    with mail_app.extensions["planning_sv.db"].session() as session:
        assert [t.new_email for t in session.scalars(select(AccountToken))] == ["free@firm.example"]
    assert _get(mail_app, user.id).email == "old@firm.example"


def test_account_emails_are_logged_without_their_links(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    _user(mail_app, "dev@firm.example")
    mail_app.test_client().post("/forgot-password", data={"email": "dev@firm.example"})
    with mail_app.extensions["planning_sv.db"].session() as session:
        entry = session.scalars(select(MailLogEntry)).one()
    assert (entry.to_address, entry.kind, entry.status, entry.subject) == (
        "dev@firm.example",
        "reset_password",
        "sent",
        "Reset your password",
    )
    assert not hasattr(entry, "body")  # the log never holds a live link


def test_without_mail_reset_still_answers_and_logs_not_configured(app: Flask) -> None:
    _user(app, "dev@firm.example")
    response = app.test_client().post(
        "/forgot-password", data={"email": "dev@firm.example"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "If there is an account with this email address" in response.text
    with app.extensions["planning_sv.db"].session() as session:
        statuses = [e.status for e in session.scalars(select(MailLogEntry))]
    assert statuses == ["not_configured"]
