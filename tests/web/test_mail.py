"""Email on the workflow's events, through the real flows and a real SMTP server (aiosmtpd):
recipients, subjects and links; preferences; the mail log; mail not configured or failing;
the SMTP URL and the GOV.UK Notify adapter (against a local stand-in for its API)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.mail import (
    Message,
    NotifyMailer,
    SmtpMailer,
    mailer_from_config,
    send_and_log,
)
from planning_sv.store.mail import MailLogEntry
from planning_sv.store.models import Statement, User
from tests.conftest import make_app, sign_in
from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

BASE = "https://sv.example.gov.uk"
REF = "EXAMPLE/2026/0001/FUL"  # the Islington example's application reference


@pytest.fixture
def mail_app(sqlite_url: str, instance_dir: Path, smtp_server: MailServer) -> Iterator[Flask]:  # noqa: F811
    application = make_app(sqlite_url, MAIL_URL=smtp_server.url, PUBLIC_BASE_URL=BASE)
    yield application
    application.extensions["planning_sv.db"].dispose()


def _user(app: Flask, role: str, email: str, council: str | None = None, **kw: Any) -> User:
    from planning_sv.store.users import create_user

    with app.extensions["planning_sv.db"].session() as session:
        return create_user(session, email, "correct-horse-battery", role, council, **kw)


def _statement(app: Flask, owner: User, council: str = "islington") -> Statement:
    from planning_sv.store import statements as repo
    from tests.conftest import load_example

    with app.extensions["planning_sv.db"].session() as session:
        return repo.create_statement(
            session, session.get(User, owner.id), council, load_example(council)
        )


def _client(app: Flask, user: User) -> FlaskClient:
    return sign_in(app.test_client(), user)


def _submit(client: FlaskClient, statement: Statement) -> None:
    response = client.post(f"/statements/{statement.id}/submit", data={"declaration": "y"})
    assert response.status_code == 302, response.text[:300]


def _act(client: FlaskClient, statement: Statement, action: str, **fields: str) -> None:
    html = client.get(f"/officer/statements/{statement.id}/decision").text
    version = re.search(r'name="review_version" value="(\d+)"', html)
    assert version is not None
    response = client.post(
        f"/officer/statements/{statement.id}/actions",
        data={"action": action, "review_version": version.group(1), **fields},
    )
    assert response.status_code == 302, re.findall(
        r"govuk-error-summary__list.*?</ul>", response.text, re.S
    )


def _acknowledge_figures(app: Flask, statement: Statement, officer: User) -> None:
    """Unverified figures must be acknowledged before recommending (the review page's
    business, tested elsewhere): done through the store, which sends no mail."""
    from planning_sv.store import review as review_repo

    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.latest_version is not None
        pending = review_repo.unacknowledged(session, row.latest_version)
        if pending:
            review_repo.acknowledge_figures(
                session,
                row,
                row.latest_version,
                pending,
                session.get(User, officer.id),
                expected_version=None,
            )


def _log(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["planning_sv.db"].session() as session:
        rows = session.scalars(select(MailLogEntry).order_by(MailLogEntry.id))
        return [(r.to_address, r.kind, r.status) for r in rows]


def test_every_workflow_email_reaches_the_right_people_with_subject_and_link(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    app = mail_app
    applicant = _user(app, "applicant", "dev@firm.example")
    officer = _user(app, "officer", "olu@islington.example", "islington")
    officer2 = _user(app, "officer", "pat@islington.example", "islington")
    senior = _user(app, "senior_officer", "sam@islington.example", "islington")
    senior2 = _user(app, "senior_officer", "sue@islington.example", "islington")
    _user(app, "officer", "other@salford.example", "salford")
    statement = _statement(app, applicant)
    assert smtp_server.messages == []  # made through the store: no request, no mail

    applicant_client = _client(app, applicant)
    officer_link = f"{BASE}/officer/statements/{statement.id}"
    applicant_link = f"{BASE}/statements/{statement.id}"

    # Submitted: every Islington officer and senior officer, not Salford's, not the applicant.
    _submit(applicant_client, statement)
    subject = f"Social value statement submitted: {REF}"
    assert sorted(smtp_server.subjects()) == [
        ("olu@islington.example", subject),
        ("pat@islington.example", subject),
        ("sam@islington.example", subject),
        ("sue@islington.example", subject),
    ]
    text = body(smtp_server.to("olu@islington.example")[0])
    assert f"Open the statement: {officer_link}\n" in text
    assert "version 1 of the social value statement" in text
    assert f"{BASE}/account" in text  # where to turn these emails off
    assert smtp_server.envelopes[0][0] == "noreply@localhost"
    assert smtp_server.connections == 1  # one event's emails share one connection

    # Changes requested: the applicant, with the officer's request.
    smtp_server.clear()
    officer_client = _client(app, officer)
    _act(officer_client, statement, "request_changes", message="Attach the procurement strategy")
    assert smtp_server.subjects() == [
        ("dev@firm.example", f"Changes requested to your social value statement: {REF}")
    ]
    text = body(smtp_server.messages[0])
    assert "Attach the procurement strategy" in text
    assert f"Open the statement: {applicant_link}\n" in text

    # Resubmitted: the officers again.
    smtp_server.clear()
    _submit(applicant_client, statement)
    assert sorted(to for to, _ in smtp_server.subjects()) == [
        "olu@islington.example",
        "pat@islington.example",
        "sam@islington.example",
        "sue@islington.example",
    ]
    assert {s for _, s in smtp_server.subjects()} == {f"Social value statement resubmitted: {REF}"}

    # Recommended: the council's senior officers.
    smtp_server.clear()
    _acknowledge_figures(app, statement, officer)
    _act(officer_client, statement, "recommend", accept_engine="yes")
    assert sorted(smtp_server.subjects()) == [
        ("sam@islington.example", f"Recommended for sign-off: {REF}"),
        ("sue@islington.example", f"Recommended for sign-off: {REF}"),
    ]
    assert f"Open the statement: {officer_link}\n" in body(smtp_server.messages[0])

    # Signed off: the officer who recommended it (not the senior who signed).
    smtp_server.clear()
    _act(_client(app, senior), statement, "sign_off")
    assert smtp_server.subjects() == [("olu@islington.example", f"Signed off: {REF}")]

    # Decided: the applicant.
    smtp_server.clear()
    _act(_client(app, officer2), statement, "approve")
    assert smtp_server.subjects() == [
        ("dev@firm.example", f"Decision on your social value statement: {REF} approved")
    ]
    assert f"Open the statement: {applicant_link}\n" in body(smtp_server.messages[0])

    # Every attempt is in the log: 4 + 1 + 4 + 2 + 1 + 1 sent.
    log = _log(app)
    assert len(log) == 13
    assert {status for _, _, status in log} == {"sent"}
    assert [kind for _, kind, _ in log].count("submitted") == 4
    assert ("dev@firm.example", "decided", "sent") in log
    assert senior2.email in [to for to, kind, _ in log if kind == "recommended"]


def test_preferences_turn_emails_off_for_that_person_only(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    app = mail_app
    applicant = _user(app, "applicant", "dev@firm.example")
    keen = _user(app, "officer", "keen@islington.example", "islington")
    quiet = _user(app, "officer", "quiet@islington.example", "islington")
    quiet_client = _client(app, quiet)

    page = quiet_client.get("/account").text
    assert 'name="notify" type="checkbox" value="submitted" checked' in page
    assert 'value="changes_requested"' not in page  # an applicant's email, not an officer's
    # Untick "submitted", keep the rest.
    response = quiet_client.post(
        "/account/notifications", data={"notify": ["resubmitted", "reply", "signed_off"]}
    )
    assert response.status_code == 302
    page = quiet_client.get("/account").text
    assert 'value="submitted">' in page  # shown unticked
    assert 'value="resubmitted" checked' in page

    _submit(_client(app, applicant), _statement(app, applicant))
    assert [to for to, _ in smtp_server.subjects()] == [keen.email]
    assert (quiet.email, "submitted", "sent") not in _log(app)


def test_emails_go_only_to_confirmed_addresses(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    app = mail_app
    applicant = _user(app, "applicant", "dev@firm.example", verified=False)
    officer = _user(app, "officer", "olu@islington.example", "islington")
    statement = _statement(app, applicant)
    _submit(_client(app, applicant), statement)
    smtp_server.clear()
    _act(_client(app, officer), statement, "request_changes", message="More detail please")
    assert smtp_server.messages == []
    assert ("dev@firm.example", "changes_requested", "skipped") in _log(app)


def test_without_mail_the_app_works_and_the_admin_pages_say_so(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> None:
    applicant = make_user("applicant")
    officer = make_user("officer", "islington")
    statement = make_statement(applicant)
    _submit(_client(app, applicant), statement)
    with app.extensions["planning_sv.db"].session() as session:
        assert session.get(Statement, statement.id).status == "submitted"
    assert _log(app) == [(officer.email, "submitted", "not_configured")]

    admin = _client(app, make_user("admin"))
    page = admin.get("/admin/mail")
    assert page.status_code == 200
    assert "Email is not configured." in page.text
    assert officer.email in page.text
    assert "Not sent: email is not configured" in page.text
    assert "Email is not configured: nobody is told" in admin.get("/admin/users").text
    # The account page tells people too.
    assert "not set up to send email" in _client(app, officer).get("/account").text


def test_the_admin_mail_page_shows_the_transport_and_only_the_councils_own_rows(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    app = mail_app
    applicant = _user(app, "applicant", "dev@firm.example")
    _user(app, "officer", "olu@islington.example", "islington")
    _user(app, "officer", "sal@salford.example", "salford")
    _submit(_client(app, applicant), _statement(app, applicant, "salford"))
    port = smtp_server.url.rsplit(":", 1)[1]

    installation = _client(app, _user(app, "admin", "root@example.gov.uk"))
    page = installation.get("/admin/mail").text
    assert f"Email is configured: smtp://127.0.0.1:{port}, from noreply@localhost." in page
    assert f"Links in emails start with {BASE}." in page
    assert "sal@salford.example" in page

    islington_admin = _client(app, _user(app, "admin", "adm@islington.example", "islington"))
    page = islington_admin.get("/admin/mail").text
    assert "sal@salford.example" not in page  # Salford's mail is not Islington's business
    assert "Email is not configured" not in islington_admin.get("/admin/users").text


def test_a_failing_mail_server_never_breaks_the_action(
    app_with: Callable[..., Flask],
) -> None:
    import socket

    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = app_with(MAIL_URL=f"smtp://127.0.0.1:{port}")
    applicant = _user(app, "applicant", "dev@firm.example")
    officer = _user(app, "officer", "olu@islington.example", "islington")
    senior = _user(app, "senior_officer", "sam@islington.example", "islington")
    statement = _statement(app, applicant)
    _submit(_client(app, applicant), statement)
    with app.extensions["planning_sv.db"].session() as session:
        assert session.get(Statement, statement.id).status == "submitted"
        entries = list(session.scalars(select(MailLogEntry).order_by(MailLogEntry.to_address)))
    assert [(e.to_address, e.status, e.transport) for e in entries] == [
        (officer.email, "failed", "smtp"),
        (senior.email, "failed", "smtp"),
    ]
    # The second did not wait for the server again: it failed with the first one's reason.
    assert entries[0].reason == entries[1].reason
    assert entries[0].reason is not None and "ConnectionRefusedError" in entries[0].reason


def test_send_and_log_is_idempotent_by_key(
    database: Any,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    mailer = mailer_from_config(
        {"MAIL_URL": smtp_server.url, "MAIL_FROM": "alerts@council.example"}
    )
    message = Message(
        "a@example.com", "Evidence due", "Due on 1 May.\n", "alert", "alert:7:2026-05"
    )
    with database.session() as session:
        assert send_and_log(session, mailer, message) is True
        assert send_and_log(session, mailer, message) is False
        assert send_and_log(session, None, Message("b@example.com", "x", "y", "alert")) is False
        rows = list(session.scalars(select(MailLogEntry).order_by(MailLogEntry.id)))
    assert [(r.to_address, r.status) for r in rows] == [
        ("a@example.com", "sent"),
        ("b@example.com", "not_configured"),
    ]
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert (str(received["From"]), str(received["Subject"])) == (
        "alerts@council.example",
        "Evidence due",
    )
    assert body(received) == "Due on 1 May.\n"


def test_smtp_urls_are_read_and_bad_settings_refused() -> None:
    mailer = mailer_from_config(
        {
            "MAIL_URL": "smtp://mailer:p%40ss@mail.example:2525?starttls=1",
            "MAIL_FROM": "a@b.example",
        }
    )
    assert mailer == SmtpMailer(
        host="mail.example",
        port=2525,
        sender="a@b.example",
        username="mailer",
        password="p@ss",
        starttls=True,
    )
    assert "p@ss" not in mailer.describe()
    secure = mailer_from_config({"MAIL_URL": "smtps://mail.example"})
    assert isinstance(secure, SmtpMailer)
    assert (secure.port, secure.use_ssl, secure.starttls) == (465, True, False)
    assert mailer_from_config({}) is None
    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        mailer_from_config({"MAIL_URL": "http://mail.example"})
    with pytest.raises(ValueError, match="NOTIFY_TEMPLATE_ID"):
        mailer_from_config({"NOTIFY_API_KEY": "k" * 80})


def test_header_injection_is_flattened(smtp_server: MailServer) -> None:  # noqa: F811
    mailer = SmtpMailer(
        host="127.0.0.1", port=int(smtp_server.url.rsplit(":", 1)[1]), sender="a@b.example"
    )
    mailer.send(Message("x@example.com", "Ref 1\r\nBcc: victim@example.com", "body\n", "test"))
    received = smtp_server.messages[0]
    assert str(received["Subject"]) == "Ref 1 Bcc: victim@example.com"
    assert received["Bcc"] is None
    assert smtp_server.envelopes[0][1] == ["x@example.com"]


# --- GOV.UK Notify, against a local stand-in for its API ----------------------------------

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"


class _Notify(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012
    status = 201

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        payload = (
            {"id": "740e5834-3a29-46b4-9a6f-16142fde533a"}
            if self.status == 201
            else {
                "status_code": 400,
                "errors": [
                    {
                        "error": "BadRequestError",
                        "message": "Can't send to this recipient using a team-only API key",
                    }
                ],
            }
        )
        data = json.dumps(payload).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def notify_api() -> Iterator[tuple[str, type[_Notify]]]:
    handler = type("Handler", (_Notify,), {"received": [], "status": 201})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_notify_adapter_sends_the_template_with_subject_and_body(
    notify_api: tuple[str, type[_Notify]], database: Any
) -> None:
    base_url, handler = notify_api
    mailer = mailer_from_config(
        {"NOTIFY_API_KEY": API_KEY, "NOTIFY_TEMPLATE_ID": TEMPLATE, "NOTIFY_BASE_URL": base_url}
    )
    assert isinstance(mailer, NotifyMailer)
    message = Message(
        "olu@islington.example", "Submitted: REF/1", "Open it.\n", "submitted", "event:9:3"
    )
    with database.session() as session:
        assert send_and_log(session, mailer, message) is True
        entry = session.scalars(select(MailLogEntry)).one()
    assert (entry.status, entry.transport, entry.provider_id) == (
        "sent",
        "notify",
        "740e5834-3a29-46b4-9a6f-16142fde533a",
    )
    [request] = handler.received
    assert request["path"] == "/v2/notifications/email"
    assert request["body"] == {
        "email_address": "olu@islington.example",
        "template_id": TEMPLATE,
        "personalisation": {"subject": "Submitted: REF/1", "body": "Open it.\n"},
        "reference": "event:9:3",
    }
    scheme, token = request["auth"].split(" ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert (scheme, claims["iss"]) == ("Bearer", SERVICE_ID)


def test_notify_refusal_is_logged_as_failed(
    notify_api: tuple[str, type[_Notify]], database: Any
) -> None:
    base_url, handler = notify_api
    handler.status = 400
    mailer = NotifyMailer(API_KEY, TEMPLATE, base_url)
    with database.session() as session:
        assert send_and_log(session, mailer, Message("x@example.com", "s", "b", "test")) is False
        entry = session.scalars(select(MailLogEntry)).one()
    assert entry.status == "failed"
    assert entry.reason is not None and "team-only API key" in entry.reason


def test_the_assigned_officer_alone_hears_of_a_submission_and_colleagues_of_a_request(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    from planning_sv.store import collaboration

    app = mail_app
    owner = _user(app, "applicant", "lead@firm.example")
    colleague = _user(app, "applicant", "colleague@firm.example")
    holder = _user(app, "officer", "holder@islington.example", "islington")
    _user(app, "officer", "other@islington.example", "islington")
    statement = _statement(app, owner)
    with app.extensions["planning_sv.db"].session() as session:
        actor = session.get(User, owner.id)
        organisation = collaboration.create_organisation(session, actor, "Firm Ltd")
        _row, token = collaboration.invite(session, actor, organisation.id, colleague.email)
        collaboration.accept_invite(session, session.get(User, colleague.id), token)
        row = session.get(Statement, statement.id)
        assert row is not None
        row.assigned_officer_id = holder.id  # as store/cases.py assign leaves it

    _submit(_client(app, owner), statement)
    assert [to for to, _ in smtp_server.subjects()] == [holder.email]

    smtp_server.clear()
    _act(_client(app, holder), statement, "request_changes", message="Add the strategy")
    # The organisation's members share the statement, so both hear of the request.
    assert sorted(to for to, _ in smtp_server.subjects()) == [colleague.email, owner.email]


def test_an_unknown_kind_sends_nothing_and_breaks_nothing(
    mail_app: Flask,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    from planning_sv.store import mail as mail_store
    from planning_sv.web import db_session

    applicant = _user(mail_app, "applicant", "dev@firm.example")
    _user(mail_app, "officer", "olu@islington.example", "islington")
    statement = _statement(mail_app, applicant)
    with mail_app.test_request_context():
        session = db_session()
        row = session.get(Statement, statement.id)
        assert mail_store.notify(session, row, "no_such_kind", None) == 0
        assert mail_store.notify(session, row, "reply", None, note="Here it is") == 1
        session.commit()
    assert smtp_server.subjects() == [("olu@islington.example", f"Reply from the applicant: {REF}")]
    assert "Here it is" in body(smtp_server.messages[0])
