"""Sending email: SMTP (`MAIL_URL`) or GOV.UK Notify (`NOTIFY_API_KEY`), and the mail log.

`mailer_from_config(config)` builds the configured transport (None when mail is not
configured); `send_and_log(session, mailer, message)` sends one message and writes one row of
the mail log (store/mail.py) for the attempt, whatever its outcome. A failure to send is
logged and returned as False, never raised: mail must not break the action that caused it.

Messages are plain text. Every part that comes from users (an application reference, a
name) is inserted as data by str.format-free concatenation in the callers and never
compiled as a template; header values are stripped of line breaks (no header injection).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from planning_sv.store.mail import MailLogEntry

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10  # seconds: a stuck mail server must not hold a request for long
MAX_SUBJECT = 200
DEFAULT_FROM = "noreply@localhost"
NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"

# Mail log statuses.
SENT = "sent"
FAILED = "failed"
NOT_CONFIGURED = "not_configured"
SKIPPED = "skipped"  # not attempted: the address is not verified (reason says so)


@dataclass(frozen=True)
class Message:
    """One email to one address. `kind` names the event (for preferences and the log);
    `dedupe_key`, when given, makes sending idempotent: a key already sent is not sent again."""

    to: str
    subject: str
    body: str
    kind: str
    dedupe_key: str | None = None


class MailError(Exception):
    """The transport refused or failed to send; the message says why (no secrets)."""


class Mailer(Protocol):
    #: "smtp" or "notify", written in the log's `transport` column
    transport: str

    def describe(self) -> str:
        """Where mail goes, for the admin page (never a password or key)."""
        ...

    def send(self, message: Message) -> str | None:
        """Send, or raise MailError; returns the provider's id for the message if any."""
        ...


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """A header value: line breaks and other controls become spaces, cut to `limit`."""
    cleaned = "".join(" " if (ord(ch) < 32 or ord(ch) == 127) else ch for ch in text)
    return " ".join(cleaned.split())[:limit]


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    use_ssl: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://…?starttls=1: upgrade the plain connection
    timeout: float = SMTP_TIMEOUT
    transport: str = "smtp"

    def describe(self) -> str:
        scheme = "smtps" if self.use_ssl else "smtp"
        tls = " with STARTTLS" if self.starttls else ""
        auth = " (signing in)" if self.username else ""
        return f"{scheme}://{self.host}:{self.port}{tls}{auth}, from {self.sender}"

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = one_line(message.to, 254)
        email["Subject"] = one_line(message.subject)
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
        email.set_content(message.body)
        return email

    def connect(self) -> smtplib.SMTP:
        """An open, signed-in connection (raises OSError or SMTPException)."""
        context = ssl.create_default_context()
        if self.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send_on(self, client: smtplib.SMTP, message: Message) -> str:
        email = self.build(message)
        try:
            refused = client.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        if refused:
            raise MailError(f"the server refused {', '.join(refused)}")
        return str(email["Message-ID"])

    def send(self, message: Message) -> str | None:
        try:
            client = self.connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        try:
            return self.send_on(client, message)
        finally:
            _quit(client)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


class SmtpBatch:
    """One SMTP connection for several messages (the emails of one event), opened on the
    first send. If the server cannot be reached, the rest of the batch fails at once with
    the same reason instead of waiting out the timeout again for each message."""

    transport = "smtp"

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.client: smtplib.SMTP | None = None
        self.unreachable: str | None = None

    def describe(self) -> str:
        return self.mailer.describe()

    def send(self, message: Message) -> str | None:
        if self.unreachable is not None:
            raise MailError(self.unreachable)
        if self.client is None:
            try:
                self.client = self.mailer.connect()
            except (OSError, smtplib.SMTPException) as exc:
                self.unreachable = f"{type(exc).__name__}: {exc}"[:500]
                raise MailError(self.unreachable) from exc
        try:
            return self.mailer.send_on(self.client, message)
        except MailError:
            # The connection may be unusable now: the next message opens a new one.
            self.close()
            raise

    def close(self) -> None:
        if self.client is not None:
            _quit(self.client)
            self.client = None


@contextmanager
def batch(mailer: Mailer | None) -> Iterator[Mailer | None]:
    """`mailer`, sharing one connection across the sends made inside (SMTP only)."""
    if not isinstance(mailer, SmtpMailer):
        yield mailer
        return
    shared = SmtpBatch(mailer)
    try:
        yield shared
    finally:
        shared.close()


class NotifyMailer:
    """GOV.UK Notify through its Python client, with one template whose subject and body are
    `((subject))` and `((body))` personalisation fields (docs/OPERATIONS.md)."""

    transport = "notify"

    def __init__(self, api_key: str, template_id: str, base_url: str = NOTIFY_BASE_URL) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.template_id = template_id
        self.base_url = base_url
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=SMTP_TIMEOUT)

    def describe(self) -> str:
        return f"GOV.UK Notify at {self.base_url}, template {self.template_id}"

    def send(self, message: Message) -> str | None:
        from notifications_python_client.errors import APIError

        try:
            response = self.client.send_email_notification(
                email_address=message.to,
                template_id=self.template_id,
                personalisation={"subject": one_line(message.subject), "body": message.body},
                reference=message.dedupe_key or message.kind,
            )
        except (APIError, OSError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        except Exception as exc:  # requests' errors and the client's own all land here
            raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        return str((response or {}).get("id") or "") or None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def smtp_from_url(url: str, sender: str | None = None) -> SmtpMailer:
    """`smtp://[user:pass@]host[:port][?starttls=1]` or `smtps://…`; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("MAIL_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("MAIL_URL must name a host, e.g. smtp://127.0.0.1:8025")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise ValueError("MAIL_URL has an invalid port") from exc
    query = parse_qs(parts.query)
    return SmtpMailer(
        host=parts.hostname,
        port=port,
        sender=sender or DEFAULT_FROM,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "smtps",
        starttls=_flag((query.get("starttls") or [""])[0]),
    )


def mailer_from_config(config: Mapping[str, Any]) -> Mailer | None:
    """The configured transport, or None when mail is not configured.

    `NOTIFY_API_KEY` (with `NOTIFY_TEMPLATE_ID`, optional `NOTIFY_BASE_URL`) selects GOV.UK
    Notify; otherwise `MAIL_URL` selects SMTP, sending from `MAIL_FROM`. A setting that is
    present but wrong raises ValueError, so a misconfiguration fails at start-up.
    """
    api_key = (config.get("NOTIFY_API_KEY") or "").strip()
    if api_key:
        template = (config.get("NOTIFY_TEMPLATE_ID") or "").strip()
        if not template:
            raise ValueError("NOTIFY_API_KEY is set: set NOTIFY_TEMPLATE_ID too")
        if len(api_key) < 74:
            raise ValueError("NOTIFY_API_KEY is not a GOV.UK Notify API key")
        return NotifyMailer(
            api_key, template, (config.get("NOTIFY_BASE_URL") or NOTIFY_BASE_URL).rstrip("/")
        )
    url = (config.get("MAIL_URL") or "").strip()
    if url:
        return smtp_from_url(url, (config.get("MAIL_FROM") or "").strip() or None)
    return None


def already_sent(session: Session, dedupe_key: str) -> bool:
    from planning_sv.store.mail import MailLogEntry

    return (
        session.scalar(
            select(MailLogEntry.id)
            .where(MailLogEntry.dedupe_key == dedupe_key, MailLogEntry.status == SENT)
            .limit(1)
        )
        is not None
    )


def claim(session: Session, dedupe_key: str) -> bool:
    """Claim `dedupe_key` for sending (in the session's transaction); False when it is
    taken. The insert is atomic (insert or do nothing on the primary key): on PostgreSQL a
    concurrent claim of the same key waits for this transaction, then does nothing."""
    from planning_sv.store.mail import MailClaim

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = session.execute(
        insert(MailClaim)
        .values(dedupe_key=dedupe_key, claimed_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        # RETURNING, not rowcount: psycopg reports -1 rows for this statement.
        .returning(MailClaim.dedupe_key)
    )
    return result.scalar() is not None


def release(session: Session, dedupe_key: str) -> None:
    """Give a claim back (the send failed), so the next run may try again."""
    from planning_sv.store.mail import MailClaim

    session.execute(delete(MailClaim).where(MailClaim.dedupe_key == dedupe_key))


def send_and_log(
    session: Session,
    mailer: Mailer | None,
    message: Message,
    *,
    council: str | None = None,
    statement_id: int | None = None,
    commit: bool = True,
) -> bool:
    """Send `message` and log the attempt; True when sent now.

    False when mail is not configured (logged `not_configured`), when sending failed
    (logged `failed` with the reason) and when `dedupe_key` was already sent (nothing
    sent, nothing logged). Never raises for a mail problem. Commits the log row unless
    `commit` is False (the caller's transaction then carries it).

    A message with a dedupe key is sent only after claiming the key (`claim`): of two
    senders at once (two overlapping `monitor run`s), one claims and sends, the other's
    claim waits for the first transaction to end and then finds the key taken, so it
    returns False having sent and logged nothing.
    """
    if message.dedupe_key and already_sent(session, message.dedupe_key):
        return False
    entry = _log_entry(
        message,
        council=council,
        statement_id=statement_id,
        transport=mailer.transport if mailer is not None else None,
    )
    if mailer is None:
        entry.status = NOT_CONFIGURED
        entry.reason = "no MAIL_URL or NOTIFY_API_KEY is set"
    else:
        if message.dedupe_key and not claim(session, message.dedupe_key):
            return False
        try:
            entry.provider_id = (mailer.send(message) or "")[:200] or None
            entry.status = SENT
        except MailError as exc:
            entry.status = FAILED
            entry.reason = str(exc)
            log.warning("mail to %s (%s) failed: %s", entry.to_address, message.kind, exc)
            if message.dedupe_key:
                release(session, message.dedupe_key)  # free for the next run's retry
    session.add(entry)
    if commit:
        session.commit()
    else:
        session.flush()
    return entry.status == SENT


def log_skipped(
    session: Session,
    message: Message,
    reason: str,
    *,
    council: str | None = None,
    statement_id: int | None = None,
) -> None:
    """Log a message that was deliberately not sent (e.g. to an unverified address)."""
    session.add(
        _log_entry(
            message, council=council, statement_id=statement_id, status=SKIPPED, reason=reason
        )
    )


def _log_entry(
    message: Message, *, council: str | None, statement_id: int | None, **fields: Any
) -> MailLogEntry:
    """The mail log row for `message`: kind, recipient and subject cut to the columns' sizes
    (and headers' one line), plus `fields` (status, reason, transport)."""
    from planning_sv.store.mail import MailLogEntry  # deferred: store/mail.py imports this module

    return MailLogEntry(
        kind=message.kind[:64],
        to_address=one_line(message.to, 254),
        subject=one_line(message.subject),
        dedupe_key=message.dedupe_key,
        council=council,
        statement_id=statement_id,
        **fields,
    )
