"""Mail tables and the workflow's email notifications (issue 15).

Tables (migration 0008_mail_accounts): `mail_log` (one row per attempt to send, whatever
its outcome; never the body, which may carry a single-use link), `mail_opt_outs` (the
notification kinds a person turned off) and `account_tokens` (email verification, password
reset and change-of-email links, stored only as SHA-256 hashes; store/users.py uses them).

Notifications are queued in the transaction that changes the statement and sent only after
it commits (`attach_delivery`): a rolled-back action sends nothing, and a mail failure is
logged, never raised, so it cannot undo or break the action. Store code announces events
with `notify(session, statement, kind, actor)`; it does nothing unless the session carries a
`MailContext` (the web app attaches one to each request's session; commands such as
`demo seed` send no mail).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, delete, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from planning_sv.core.figures import format_date
from planning_sv.core.workflow import Role
from planning_sv.mail import Mailer, Message, batch, log_skipped, send_and_log
from planning_sv.store.models import AuditEvent, Base, Statement, User, utcnow

log = logging.getLogger(__name__)


class MailLogEntry(Base):
    """One attempt to send one email: sent, failed (with the reason), not configured, or
    skipped (with the reason). The body is not kept: it may hold a single-use link."""

    __tablename__ = "mail_log"
    __table_args__ = (Index("ix_mail_log_council_at", "council", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    transport: Mapped[str | None] = mapped_column(String(16), default=None)
    provider_id: Mapped[str | None] = mapped_column(String(200), default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    # Which council's admins see the row (None: installation admins only).
    council: Mapped[str | None] = mapped_column(String(64), default=None)
    statement_id: Mapped[int | None] = mapped_column(Integer, default=None)


class MailClaim(Base):
    """The claim on a dedupe key, taken before the message is sent (mail.send_and_log).

    The key is the primary key, so of two senders racing on one key (two overlapping
    `monitor run`s) only one can insert it: the other's insert waits for the first
    transaction and then conflicts, and it sends nothing. The claim is written in the same
    transaction as the `sent` log row and removed again when sending fails, so a failed or
    rolled-back attempt leaves the key free for the next run (migration 0015_mail_claims).
    """

    __tablename__ = "mail_claims"

    dedupe_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MailOptOut(Base):
    """A notification kind (NOTIFICATION_KINDS) the person does not want by email."""

    __tablename__ = "mail_opt_outs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)


class AccountToken(Base):
    """A single-use link sent by email: `purpose` is verify_email, reset_password or
    change_email (then `new_email` is the address being confirmed).

    Only the SHA-256 of the token is stored (it is 256-bit random, so a fast hash is
    enough). `password_fingerprint` ties a reset link to the password it was issued under,
    so the link fails once the password changes by any route.
    """

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254), default=None)
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


# --- what people can be told, and who may turn what off ------------------------------------

STAFF = frozenset({Role.OFFICER.value, Role.SENIOR_OFFICER.value})
APPLICANTS = frozenset({Role.APPLICANT.value})


@dataclass(frozen=True)
class Kind:
    label: str  # as on the account page's preferences
    roles: frozenset[str]  # who gets it (and so sees the preference)


NOTIFICATION_KINDS: dict[str, Kind] = {
    "submitted": Kind("A statement is submitted to my council", STAFF),
    "resubmitted": Kind("A statement is resubmitted after changes", STAFF),
    "reply": Kind("An applicant replies to a request", STAFF),
    # Case management (store/cases.py assign, owner h15-cases).
    "assigned": Kind("A statement is assigned to me", STAFF),
    "recommended": Kind(
        "A statement is recommended for sign-off", frozenset({Role.SENIOR_OFFICER.value})
    ),
    "signed_off": Kind("A statement I recommended is signed off", STAFF),
    "changes_requested": Kind("The council asks for changes to my statement", APPLICANTS),
    "message": Kind("The council writes to me about my statement", APPLICANTS),
    "decided": Kind("The council records its decision on my statement", APPLICANTS),
}
# Workflow actions (core/workflow.py) that send an email, and the kind they send.
TRANSITION_KINDS = {
    "submit": "submitted",
    "resubmit": "resubmitted",
    "request_changes": "changes_requested",
    "recommend": "recommended",
    "sign_off": "signed_off",
    "approve": "decided",
    "refuse": "decided",
}


def kinds_for(user: User) -> dict[str, Kind]:
    return {k: v for k, v in NOTIFICATION_KINDS.items() if user.role in v.roles}


def opted_out(session: Session, user: User) -> set[str]:
    return set(session.scalars(select(MailOptOut.kind).where(MailOptOut.user_id == user.id)))


def set_preferences(session: Session, user: User, wanted: Iterable[str]) -> None:
    """Keep the kinds in `wanted` on and turn the user's other kinds off."""
    wanted = set(wanted)
    session.execute(delete(MailOptOut).where(MailOptOut.user_id == user.id))
    for kind in kinds_for(user):
        if kind not in wanted:
            session.add(MailOptOut(user_id=user.id, kind=kind))
    session.flush()


# --- queueing and delivering after commit ------------------------------------------------

CONTEXT_KEY = "planning_sv.mail"
OUTBOX_KEY = "planning_sv.mail_outbox"


@dataclass(frozen=True)
class MailContext:
    """What notifications need from the web app: the transport (None: not configured) and
    absolute links (`link(statement, audience)` with audience "applicant" or "officer";
    `account_link()` for the preferences)."""

    mailer: Mailer | None
    link: Callable[[Statement, str], str]
    account_link: Callable[[], str]
    council_name: Callable[[str], str]


@dataclass(frozen=True)
class Outgoing:
    message: Message
    council: str | None
    statement_id: int | None
    skip_reason: str | None = None  # logged instead of sending


def attach_delivery(session: Session, context: MailContext) -> None:
    """Let `notify` queue mail on this session and send it after each commit."""
    session.info[CONTEXT_KEY] = context
    event.listen(session, "after_commit", _deliver_after_commit)
    event.listen(session, "after_rollback", _drop_outbox)


def _drop_outbox(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)


def _deliver_after_commit(session: Session) -> None:
    outbox: list[Outgoing] = session.info.pop(OUTBOX_KEY, [])
    context: MailContext | None = session.info.get(CONTEXT_KEY)
    if not outbox or context is None:
        return
    # The committed session cannot run SQL inside this hook: the log goes through its own.
    with Session(bind=session.get_bind()) as log_session, batch(context.mailer) as mailer:
        deliver(log_session, mailer, outbox)


def deliver(session: Session, mailer: Mailer | None, outbox: Iterable[Outgoing]) -> int:
    """Send (or log as skipped) each queued message; returns how many were sent."""
    sent = 0
    for item in outbox:
        try:
            if item.skip_reason:
                log_skipped(
                    session,
                    item.message,
                    item.skip_reason,
                    council=item.council,
                    statement_id=item.statement_id,
                )
                session.commit()
            elif send_and_log(
                session,
                mailer,
                item.message,
                council=item.council,
                statement_id=item.statement_id,
            ):
                sent += 1
        except Exception:  # the action has committed: mail must not undo it
            session.rollback()
            log.exception("mail log write failed")
    return sent


# --- the notifications -------------------------------------------------------------------


def _active_verified(users: Iterable[User], actor: User | None) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user is None or not user.is_active or (actor is not None and user.id == actor.id):
            continue
        seen.setdefault(user.id, user)
    return sorted(seen.values(), key=lambda u: u.email)


def _assigned_officer(session: Session, statement: Statement) -> User | None:
    """The officer the statement is assigned to (store/cases.py), if any."""
    if statement.assigned_officer_id is None:
        return None
    return session.get(User, statement.assigned_officer_id)


def _council_staff(session: Session, council: str, roles: Iterable[str]) -> list[User]:
    return list(
        session.scalars(select(User).where(User.council == council, User.role.in_(list(roles))))
    )


def _applicants(session: Session, statement: Statement) -> list[User]:
    """The statement's applicant side: its owner and its organisation's current members."""
    from planning_sv.store.collaboration import statement_members

    if statement.organisation_id is not None:
        # An organisation's statement: its current members only (web/authz.py
        # is_applicant_side), so a member who left, the author included, is not written to.
        return statement_members(session, statement)
    return [statement.owner, *statement_members(session, statement)]


def _recommender(session: Session, statement: Statement) -> User | None:
    actor_id = session.scalar(
        select(AuditEvent.actor_id)
        .where(AuditEvent.statement_id == statement.id, AuditEvent.action == "recommend")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return session.get(User, actor_id) if actor_id else None


def recipients(
    session: Session, statement: Statement, kind: str, actor: User | None
) -> tuple[list[User], str]:
    """Who gets `kind` about `statement` (never the actor), and which pages the link opens."""
    if kind in ("submitted", "resubmitted", "reply"):
        assigned = _assigned_officer(session, statement)
        people = (
            [assigned]
            if assigned is not None
            else _council_staff(session, statement.council, STAFF)
        )
        return _active_verified(people, actor), "officer"
    if kind == "assigned":
        assigned = _assigned_officer(session, statement)
        return _active_verified([assigned] if assigned else [], actor), "officer"
    if kind == "recommended":
        people = _council_staff(session, statement.council, [Role.SENIOR_OFFICER.value])
        return _active_verified(people, actor), "officer"
    if kind == "signed_off":
        people = [_recommender(session, statement), _assigned_officer(session, statement)]
        return _active_verified([p for p in people if p is not None], actor), "officer"
    if kind in ("changes_requested", "decided", "message"):
        return _active_verified(_applicants(session, statement), actor), "applicant"
    # A caller's mistake must not break the action it is part of: logged, nothing sent.
    log.error("unknown notification kind %r: no email", kind)
    return [], "officer"


def _reference(statement: Statement) -> str:
    return (statement.application_reference or "").strip() or f"statement {statement.id}"


def compose(
    kind: str,
    statement: Statement,
    actor: User | None,
    council_name: str,
    link: str,
    account_link: str,
    *,
    version: int | None = None,
    outcome: str | None = None,
    note: str | None = None,
) -> tuple[str, str]:
    """Subject and plain-text body. User text (reference, note) is inserted as data."""
    ref = _reference(statement)
    who = (actor.name or actor.email) if actor is not None else "Someone"
    numbered = f"version {version} of " if version else ""
    lines: list[str]
    if kind == "submitted":
        subject = f"Social value statement submitted: {ref}"
        lines = [
            f"{who} submitted {numbered}the social value statement for {ref} to {council_name}."
        ]
    elif kind == "resubmitted":
        subject = f"Social value statement resubmitted: {ref}"
        lines = [f"{who} resubmitted the social value statement for {ref} ({numbered.strip()})."]
        if not version:
            lines = [f"{who} resubmitted the social value statement for {ref}."]
    elif kind == "reply":
        subject = f"Reply from the applicant: {ref}"
        lines = [f"{who} replied about the social value statement for {ref}."]
    elif kind == "assigned":
        subject = f"Assigned to you: {ref}"
        lines = [f"{who} assigned the social value statement for {ref} to you."]
        if outcome:  # the target date, as an ISO date (store/cases.py assign)
            lines.append(f"The target date for a decision is {format_date(outcome)}.")
    elif kind == "message":
        subject = f"A message from {council_name} about your statement: {ref}"
        lines = [f"{council_name} wrote to you about your social value statement for {ref}."]
    elif kind == "changes_requested":
        subject = f"Changes requested to your social value statement: {ref}"
        lines = [f"{council_name} asks for changes to your social value statement for {ref}."]
    elif kind == "recommended":
        subject = f"Recommended for sign-off: {ref}"
        lines = [f"{who} recommended the social value statement for {ref} for sign-off."]
    elif kind == "signed_off":
        subject = f"Signed off: {ref}"
        lines = [f"{who} signed off the social value statement for {ref}."]
    elif kind == "decided":
        word = outcome or "decided"
        subject = f"Decision on your social value statement: {ref} {word}"
        lines = [f"{council_name} recorded its decision on your statement for {ref}: {word}."]
    else:
        raise ValueError(f"unknown notification kind '{kind}'")
    if note:
        lines += ["", "Their message:", "", note.strip()[:2000]]
    lines += [
        "",
        f"Open the statement: {link}",
        "",
        "You get this email because of your role on this statement. You can turn these "
        f"emails off on your account page: {account_link}",
    ]
    return subject, "\n".join(lines) + "\n"


def notify(
    session: Session,
    statement: Statement,
    kind: str,
    actor: User | None,
    *,
    version: int | None = None,
    outcome: str | None = None,
    note: str | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Queue the `kind` email about `statement` to everyone it concerns who wants it; sent
    after the session commits. Returns how many were queued (0 without a MailContext)."""
    context: MailContext | None = session.info.get(CONTEXT_KEY)
    if context is None:
        return 0
    people, audience = recipients(session, statement, kind, actor)
    if not people:
        return 0
    link = context.link(statement, audience)
    subject, body = compose(
        kind,
        statement,
        actor,
        context.council_name(statement.council),
        link,
        context.account_link(),
        version=version,
        outcome=outcome,
        note=note,
    )
    outbox: list[Outgoing] = session.info.setdefault(OUTBOX_KEY, [])
    queued = 0
    for person in people:
        if kind in opted_out(session, person):
            continue
        key = f"{dedupe_key}:{person.id}" if dedupe_key else None
        message = Message(person.email, subject, body, kind, key)
        skip = None if person.email_verified_at is not None else "the address is not verified"
        outbox.append(Outgoing(message, statement.council, statement.id, skip))
        queued += 1
    return queued


def notify_transition(
    session: Session, statement: Statement, event_row: AuditEvent, actor: User | None
) -> int:
    """The email for a workflow transition (store/statements.apply_transition calls this)."""
    kind = TRANSITION_KINDS.get(event_row.action)
    if kind is None or CONTEXT_KEY not in session.info:
        return 0
    details: Mapping[str, Any] = event_row.details or {}
    version = details.get("version") if isinstance(details.get("version"), int) else None
    outcome = {"approve": "approved", "refuse": "refused"}.get(event_row.action)
    # The request is what the applicant must act on (their overview shows it too); a
    # decision's reason is left to the page.
    note = event_row.reason if kind == "changes_requested" else None
    return notify(
        session,
        statement,
        kind,
        actor,
        version=version,
        outcome=outcome,
        note=note,
        dedupe_key=f"event:{event_row.id}",
    )
