"""Email from the web app: absolute links, the request session's mail context, and sending
account emails now (verification, password reset, change of email).

Workflow notifications are queued by store/mail.py during the action and sent after its
commit; `attach(session)` (called by `db_session()`) gives each request's session what that
needs. Links are absolute: `PUBLIC_BASE_URL` when set (recommended in production: a link
built from the request's Host header could point elsewhere), else the request's host.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import Session

from planning_sv.mail import Mailer, Message, send_and_log
from planning_sv.store.mail import MailContext, attach_delivery
from planning_sv.store.models import Statement

MAILER_KEY = "planning_sv.mailer"


def mailer() -> Mailer | None:
    """The app's transport (built once at start-up), or None when mail is not configured."""
    return current_app.extensions.get(MAILER_KEY)


def absolute_url(endpoint: str, **values: Any) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return url_for(endpoint, **values)


def _statement_link(statement: Statement, audience: str) -> str:
    if audience == "officer" and "officer.review" in current_app.view_functions:
        return absolute_url("officer.review", statement_id=statement.id)
    return absolute_url("applicant.overview", statement_id=statement.id)


def _council_name(code: str) -> str:
    from planning_sv.web import assessor

    return assessor().councils().get(code, code)


def attach(session: Session) -> None:
    """Queue-and-send-after-commit for workflow emails on this request's session."""
    attach_delivery(
        session,
        MailContext(
            mailer=mailer(),
            link=_statement_link,
            account_link=lambda: absolute_url("auth.account"),
            council_name=_council_name,
        ),
    )


def send_now(session: Session, message: Message) -> bool:
    """Send an account email now, logging it (commits the log row). Call after the action's
    own commit: the link it carries must already be stored."""
    return send_and_log(session, mailer(), message)
