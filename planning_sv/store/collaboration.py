"""People working on a statement together (issue 15): organisations, the conversation and
evidence documents. Migration 0010_collaboration; docs/COLLABORATION.md.

- Organisations. A developer or agent firm; each applicant account is in at most one. A
  statement made by a member belongs to the organisation (`statements.organisation_id`), and
  then access follows current membership (web/authz.py), so nothing is orphaned when someone
  leaves. Statements without one (made before, or by someone in none) stay owner-only.
  Managers invite by email with a single-use link (only its SHA-256 is stored, as
  store/mail.py's account tokens) and remove members; every change is an audit event.
- The conversation (`statement_messages`): the officer's requests (general or on one rule)
  and the applicant's replies, with who and when. Officers' internal notes are review_notes
  with audience "internal" (store/review.py) and never enter this table or its pages.
- Evidence (`evidence_items`): a document of the one document store (store/documents.py,
  purpose "statement_evidence") attached to a rule's evidence requirement or a commitment,
  kept with the version it was submitted with (`version_number`; 0 = before the first
  submission). Later versions carry it forward by reference: the evidence of version N is
  every item with version_number <= N, never a copy. The officer's judgement (accepted or
  insufficient, with a reason) is audited and the rule's verdict follows through the normal
  verdict path (core/evidence.py says which).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from planning_sv.core.documents import CheckedDocument
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.evidence import (
    Decision,
    EvidenceState,
    FollowingVerdict,
    Judged,
    check_decision,
    evidence_state,
    verdict_from_evidence,
)
from planning_sv.core.workflow import CLOSED, STAFF, Role, Status
from planning_sv.store import documents as doc_store
from planning_sv.store.models import Base, Statement, StatementVersion, User, utcnow

MANAGER = "manager"
MEMBER = "member"
MEMBER_ROLES = (MANAGER, MEMBER)
INVITE_DAYS = 7
MAX_NAME = 200
MAX_MESSAGE = 5000
EVIDENCE_PURPOSE = "statement_evidence"
OFFICER_SIDE = "officer"
APPLICANT_SIDE = "applicant"


class Organisation(Base):
    """A developer or agent firm whose members share its statements."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class OrganisationMember(Base):
    """A current member. Leaving deletes the row (the audit trail keeps who and when); one
    organisation per account (`user_id` unique) so a statement's organisation is never a
    guess."""

    __tablename__ = "organisation_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class OrganisationInvite(Base):
    """An invitation by email: a single-use link that expires; only its hash is kept."""

    __tablename__ = "organisation_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class StatementMessage(Base):
    """One message of a statement's conversation: an officer's request or an applicant's
    reply (never an internal note). Append-only."""

    __tablename__ = "statement_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int] = mapped_column(Integer, default=0)  # the version it is about
    side: Mapped[str] = mapped_column(String(16))  # officer | applicant
    rule_id: Mapped[str | None] = mapped_column(String(128), default=None)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_events.id", ondelete="CASCADE"), default=None
    )

    author: Mapped[User | None] = relationship()


class EvidenceItem(Base):
    """A document attached to a rule's evidence requirement or to a commitment, with the
    officer's judgement of it."""

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    # The latest submitted version when attached (0: before the first submission).
    version_number: Mapped[int] = mapped_column(Integer, default=0)
    rule_id: Mapped[str | None] = mapped_column(String(128), default=None)
    commitment_id: Mapped[str | None] = mapped_column(String(128), default=None)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_messages.id", ondelete="SET NULL"), default=None
    )
    decision: Mapped[str] = mapped_column(String(16), default=Decision.PENDING.value)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[doc_store.Document] = relationship()

    def judged(self) -> Judged:
        return Judged(self.document.filename, Decision(self.decision), self.reason)


# --- organisations ---------------------------------------------------------------------------


def _record(
    session: Session,
    statement: Statement | None,
    actor: User | None,
    action: str,
    details: Mapping[str, Any],
    reason: str | None = None,
) -> Any:
    from planning_sv.store.statements import record_event

    return record_event(session, statement, actor, action, None, None, reason, details)


def membership(session: Session, user: User | None) -> OrganisationMember | None:
    if user is None or user.id is None:
        return None
    return session.scalar(select(OrganisationMember).where(OrganisationMember.user_id == user.id))


def organisation_id_of(session: Session, user: User | None) -> int | None:
    """The organisation `user` belongs to now (None: none, or not an applicant)."""
    if user is None or user.id is None or user.role != Role.APPLICANT.value:
        return None
    return session.scalar(
        select(OrganisationMember.organisation_id).where(OrganisationMember.user_id == user.id)
    )


def members_of(session: Session, organisation_id: int) -> list[OrganisationMember]:
    return list(
        session.scalars(
            select(OrganisationMember)
            .where(OrganisationMember.organisation_id == organisation_id)
            .order_by(OrganisationMember.joined_at, OrganisationMember.id)
        )
    )


def open_invites(session: Session, organisation_id: int) -> list[OrganisationInvite]:
    """Invitations not yet used nor expired, newest first (the managers' page)."""
    now = utcnow()
    return [
        row
        for row in session.scalars(
            select(OrganisationInvite)
            .where(
                OrganisationInvite.organisation_id == organisation_id,
                OrganisationInvite.used_at.is_(None),
            )
            .order_by(OrganisationInvite.created_at.desc(), OrganisationInvite.id.desc())
        )
        if _aware(row.expires_at) > now
    ]


def organisation_statements(session: Session, organisation_id: int) -> list[Statement]:
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.organisation_id == organisation_id)
            .order_by(Statement.updated_at.desc(), Statement.id.desc())
        )
    )


def statement_members(session: Session, statement: Statement) -> list[User]:
    """The applicant side of an organisation's statement: its current members (for emails)."""
    if statement.organisation_id is None:
        return []
    return [m.user for m in members_of(session, statement.organisation_id)]


def _clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise InputInvalid([Problem("name", "Enter the organisation's name")])
    if len(text) > MAX_NAME:
        raise InputInvalid(
            [Problem("name", f"The organisation's name must be {MAX_NAME} characters or fewer")]
        )
    return text


def create_organisation(session: Session, actor: User, name: str) -> Organisation:
    """A new organisation with `actor` as its manager. The actor's statements that belong to
    no organisation join it (they are the firm's work; nothing changes for anyone else)."""
    if actor.role != Role.APPLICANT.value:
        raise InputInvalid([Problem("name", "Only applicant accounts can form an organisation")])
    if membership(session, actor) is not None:
        raise InputInvalid([Problem("name", "You are already a member of an organisation")])
    organisation = Organisation(name=_clean_name(name), created_by_id=actor.id)
    session.add(organisation)
    session.flush()
    session.add(OrganisationMember(organisation_id=organisation.id, user_id=actor.id, role=MANAGER))
    moved = list(
        session.scalars(
            select(Statement).where(
                Statement.owner_id == actor.id, Statement.organisation_id.is_(None)
            )
        )
    )
    for statement in moved:
        statement.organisation_id = organisation.id
    _record(
        session,
        None,
        actor,
        "organisation_create",
        {
            "organisation_id": organisation.id,
            "name": organisation.name,
            "statements": [s.id for s in moved],
        },
    )
    session.flush()
    return organisation


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normal_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _member(session: Session, organisation_id: int, user_id: int) -> OrganisationMember:
    """`user_id`'s membership of the organisation; LookupError when they are not a member."""
    row = session.scalar(
        select(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation_id,
            OrganisationMember.user_id == user_id,
        )
    )
    if row is None:
        raise LookupError(user_id)
    return row


def _is_manager(session: Session, actor: User, organisation_id: int) -> bool:
    found = membership(session, actor)
    return found is not None and found.organisation_id == organisation_id and found.role == MANAGER


def invite(
    session: Session,
    actor: User,
    organisation_id: int,
    email: str,
    *,
    now: dt.datetime | None = None,
) -> tuple[OrganisationInvite, str]:
    """A single-use invitation for `email`; returns the row and the raw token (for the link;
    it is never stored). Only the organisation's managers invite."""
    if not _is_manager(session, actor, organisation_id):
        raise InputInvalid([Problem("email", "Only the organisation's managers can invite people")])
    address = _normal_email(email)
    if "@" not in address or len(address) > 254 or " " in address:
        raise InputInvalid(
            [
                Problem(
                    "email", "Enter an email address in the correct format, like name@example.com"
                )
            ]
        )
    member_emails = {_normal_email(m.user.email) for m in members_of(session, organisation_id)}
    if address in member_emails:
        raise InputInvalid([Problem("email", f"{address} is already a member")])
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    row = OrganisationInvite(
        organisation_id=organisation_id,
        email=address,
        token_hash=_hash(token),
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITE_DAYS),
    )
    session.add(row)
    session.flush()
    _record(
        session,
        None,
        actor,
        "organisation_invite",
        {"organisation_id": organisation_id, "invite_id": row.id, "email": address},
    )
    return row, token


class InviteRefused(Exception):
    """The link cannot be used (unknown, used, expired, or for another address)."""


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def invite_for(
    session: Session, token: str, *, now: dt.datetime | None = None
) -> OrganisationInvite:
    """The live invitation a link names, or InviteRefused saying why."""
    row = session.scalar(
        select(OrganisationInvite).where(OrganisationInvite.token_hash == _hash(token or ""))
    )
    if row is None:
        raise InviteRefused("This invitation link is not valid")
    if row.used_at is not None:
        raise InviteRefused("This invitation link has already been used")
    if _aware(row.expires_at) <= (now or utcnow()):
        raise InviteRefused("This invitation link has expired: ask the organisation for a new one")
    return row


def accept_invite(
    session: Session, actor: User, token: str, *, now: dt.datetime | None = None
) -> Organisation:
    """Join the organisation a live link invites `actor` to; the link is then used up."""
    row = invite_for(session, token, now=now)
    if actor.role != Role.APPLICANT.value:
        raise InviteRefused("Only applicant accounts can join an organisation")
    if _normal_email(actor.email) != row.email:
        raise InviteRefused(
            "This invitation was sent to another email address: sign in with that account"
        )
    if membership(session, actor) is not None:
        raise InviteRefused("You are already a member of an organisation")
    row.used_at = now or utcnow()
    row.used_by_id = actor.id
    session.add(OrganisationMember(organisation_id=row.organisation_id, user_id=actor.id))
    _record(
        session,
        None,
        actor,
        "organisation_join",
        {"organisation_id": row.organisation_id, "invite_id": row.id},
    )
    session.flush()
    organisation = session.get(Organisation, row.organisation_id)
    assert organisation is not None
    return organisation


def remove_member(session: Session, actor: User, organisation_id: int, user_id: int) -> User:
    """A manager removes a member, or a member leaves (`user_id` is the actor's own). Their
    access to the organisation's statements ends at once (authorisation reads membership);
    the statements stay with the organisation."""
    leaving = user_id == actor.id
    if not leaving and not _is_manager(session, actor, organisation_id):
        raise InputInvalid(
            [Problem("member", "Only the organisation's managers can remove members")]
        )
    row = _member(session, organisation_id, user_id)
    if row.role == MANAGER:
        managers = [m for m in members_of(session, organisation_id) if m.role == MANAGER]
        if len(managers) == 1:
            raise InputInvalid(
                [Problem("member", "The organisation needs a manager: invite another first")]
            )
    user = row.user
    session.delete(row)
    _record(
        session,
        None,
        actor,
        "organisation_leave" if leaving else "organisation_remove",
        {"organisation_id": organisation_id, "user_id": user_id, "email": user.email},
    )
    session.flush()
    return user


def make_manager(session: Session, actor: User, organisation_id: int, user_id: int) -> User:
    """A manager makes a member a manager too (so the founder can hand over and leave)."""
    if not _is_manager(session, actor, organisation_id):
        raise LookupError(user_id)
    row = _member(session, organisation_id, user_id)
    if row.role != MANAGER:
        row.role = MANAGER
        _record(
            session,
            None,
            actor,
            "organisation_manager",
            {"organisation_id": organisation_id, "user_id": user_id, "email": row.user.email},
        )
        session.flush()
    return row.user


# --- the conversation --------------------------------------------------------------------------


def _clean_body(body: str | None, field: str = "message") -> str:
    text = (body or "").strip()
    if not text:
        raise InputInvalid([Problem(field, "Enter your message")])
    if len(text) > MAX_MESSAGE:
        raise InputInvalid(
            [Problem(field, f"The message must be {MAX_MESSAGE:,} characters or fewer")]
        )
    return text


def rule_ids_of(version: StatementVersion | None) -> list[str]:
    if version is None or version.assessment is None:
        return []
    return [r.id for r in version.assessment.record.rules]


def _check_rule(statement: Statement, rule_id: str | None, field: str = "rule") -> str | None:
    rule_id = (rule_id or "").strip() or None
    if rule_id is not None and rule_id not in rule_ids_of(statement.latest_version):
        raise InputInvalid([Problem(field, f"There is no rule {rule_id} in this statement")])
    return rule_id


def is_staff_of(user: User, statement: Statement) -> bool:
    return user.role in {r.value for r in STAFF} and user.council == statement.council


def post_message(
    session: Session,
    statement: Statement,
    actor: User,
    body: str,
    *,
    rule_id: str | None = None,
) -> StatementMessage:
    """Add to the conversation. Officers write requests (general or on a rule); the
    applicant side replies. A reply emails the officer(s) (store/mail.notify "reply"); a
    request emails the applicant side ("changes_requested", with the request as message)."""
    from planning_sv.store import mail

    side = OFFICER_SIDE if is_staff_of(actor, statement) else APPLICANT_SIDE
    text = _clean_body(body)
    rule = _check_rule(statement, rule_id)
    if Status(statement.status) in CLOSED:
        raise InputInvalid([Problem("message", "The statement is closed: no more messages")])
    if side == OFFICER_SIDE and statement.latest_version is None:
        raise InputInvalid([Problem("message", "The statement has not been submitted yet")])
    event = _record(
        session,
        statement,
        actor,
        "message" if side == OFFICER_SIDE else "reply",
        {"version": statement.latest_version_number, "rule_id": rule, "side": side},
    )
    row = StatementMessage(
        statement_id=statement.id,
        version_number=statement.latest_version_number,
        side=side,
        rule_id=rule,
        body=text,
        author_id=actor.id,
        event_id=event.id,
    )
    session.add(row)
    session.flush()
    if side == APPLICANT_SIDE and statement.latest_version is not None:
        mail.notify(session, statement, "reply", actor, note=text, dedupe_key=f"message:{row.id}")
    elif side == OFFICER_SIDE:
        # An officer's request is what the applicant side must act on: the same email (and
        # the same preference) as a request for changes, with the request as its message.
        mail.notify(
            session,
            statement,
            "changes_requested",
            actor,
            note=text,
            dedupe_key=f"message:{row.id}",
        )
    return row


def thread(session: Session, statement: Statement) -> list[StatementMessage]:
    """The conversation, oldest first: the same for the applicant side and the officers."""
    return list(
        session.scalars(
            select(StatementMessage)
            .where(StatementMessage.statement_id == statement.id)
            .order_by(StatementMessage.created_at, StatementMessage.id)
        )
    )


# --- evidence ------------------------------------------------------------------------------------


def evidence_rules(statement: Statement) -> dict[str, str]:
    """Rule id -> title of the latest version's rules that ask for evidence (an `evidence:`
    requirement in the rule pack, or the engine's needs_evidence status)."""
    version = statement.latest_version
    if version is None or version.assessment is None:
        return {}
    return {
        rule.id: rule.title
        for rule in version.assessment.record.rules
        if rule.evidence or rule.status == "needs_evidence"
    }


def attach_evidence(
    session: Session,
    root: Path,
    statement: Statement,
    actor: User,
    checked: CheckedDocument,
    data: bytes,
    *,
    rule_id: str | None = None,
    commitment_id: str | None = None,
    message: StatementMessage | None = None,
) -> EvidenceItem:
    """Store a checked file in the document store and attach it to a rule or commitment of
    the statement, with the version it is submitted with. The caller commits."""
    if Status(statement.status) in CLOSED:
        raise InputInvalid([Problem("evidence", "The statement is closed: no more evidence")])
    rule = (rule_id or "").strip() or None
    commitment = (commitment_id or "").strip() or None
    if rule is not None and commitment is not None:
        raise InputInvalid(
            [Problem("rule", "Attach the document to a rule or to a commitment, not both")]
        )
    if rule is not None and rule not in rule_ids_of(statement.latest_version):
        raise InputInvalid([Problem("rule", f"There is no rule {rule} in this statement")])
    if commitment is not None:
        ids = {str(c.get("id")) for c in (statement.draft or {}).get("commitments", [])}
        if statement.latest_version is not None:
            ids |= {str(c.get("id")) for c in statement.latest_version.data.get("commitments", [])}
        if commitment not in ids:
            raise InputInvalid(
                [Problem("commitment", f"There is no commitment {commitment} in this statement")]
            )
    if rule is None and commitment is None:
        raise InputInvalid(
            [Problem("rule", "Choose the rule or commitment the document is evidence for")]
        )
    document = doc_store.save_document(
        session,
        root,
        checked,
        data,
        council=statement.council,
        statement_id=statement.id,
        purpose=EVIDENCE_PURPOSE,
        uploaded_by=actor,
    )
    item = EvidenceItem(
        statement_id=statement.id,
        document_id=document.id,
        version_number=statement.latest_version_number,
        rule_id=rule,
        commitment_id=commitment,
        message_id=message.id if message is not None else None,
    )
    session.add(item)
    session.flush()
    _record(
        session,
        statement,
        actor,
        "evidence_attach",
        {
            "version": statement.latest_version_number,
            "evidence_id": item.id,
            "document_id": document.id,
            "sha256": document.sha256,
            "filename": document.filename,
            "rule_id": rule,
            "commitment_id": commitment,
        },
    )
    return item


def evidence_of(
    session: Session, statement: Statement, version_number: int | None = None
) -> list[EvidenceItem]:
    """The evidence of a version (default: the latest): every item attached with it or an
    earlier one (carried forward by reference), oldest first."""
    number = statement.latest_version_number if version_number is None else version_number
    return list(
        session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.statement_id == statement.id, EvidenceItem.version_number <= number)
            .order_by(EvidenceItem.created_at, EvidenceItem.id)
        )
    )


def all_evidence(session: Session, statement: Statement) -> list[EvidenceItem]:
    """Every item, the ones attached after the latest version included (the applicant's page)."""
    return list(
        session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.statement_id == statement.id)
            .order_by(EvidenceItem.created_at, EvidenceItem.id)
        )
    )


@dataclass(frozen=True)
class RuleEvidence:
    rule_id: str
    title: str
    engine_status: str
    items: list[EvidenceItem]
    state: EvidenceState


def rule_evidence(session: Session, statement: Statement) -> list[RuleEvidence]:
    """Each evidence rule of the latest version with its documents and state."""
    rules = evidence_rules(statement)
    version = statement.latest_version
    engine = (
        {r.id: r.status for r in version.assessment.record.rules}
        if version is not None and version.assessment is not None
        else {}
    )
    items = all_evidence(session, statement)
    out = []
    for rule_id, title in rules.items():
        mine = [i for i in items if i.rule_id == rule_id]
        out.append(
            RuleEvidence(
                rule_id,
                title,
                engine.get(rule_id, ""),
                mine,
                evidence_state([i.judged() for i in mine]),
            )
        )
    return out


def judge_evidence(
    session: Session,
    statement: Statement,
    item: EvidenceItem,
    actor: User,
    decision: str,
    reason: str | None,
    *,
    expected_version: int | None = None,
) -> FollowingVerdict | None:
    """The officer marks one document accepted or insufficient (audited); when every
    document of its rule is judged, the verdict core/evidence.py gives is recorded on the
    latest version as the officer's verdict, through store/review.py (audited there)."""
    from planning_sv.store import review

    if not is_staff_of(actor, statement):
        raise PermissionError("only the council's officers judge evidence")
    chosen, text = check_decision(decision, reason)
    version = statement.latest_version
    if version is None or Status(statement.status) not in review.REVIEWABLE:
        raise InputInvalid(
            [
                Problem(
                    "decision",
                    "You can judge evidence while the statement is submitted or under review",
                )
            ]
        )
    item.decision = chosen.value
    item.reason = text
    item.decided_by_id = actor.id
    item.decided_at = utcnow()
    _record(
        session,
        statement,
        actor,
        "evidence_decision",
        {
            "version": version.number,
            "evidence_id": item.id,
            "filename": item.document.filename,
            "rule_id": item.rule_id,
            "commitment_id": item.commitment_id,
            "decision": chosen.value,
        },
        reason=text,
    )
    session.flush()
    if item.rule_id is None or version.assessment is None:
        return None
    engine = {r.id: r.status for r in version.assessment.record.rules}
    if item.rule_id not in engine:
        return None
    judged = [i.judged() for i in evidence_of(session, statement) if i.rule_id == item.rule_id]
    following = verdict_from_evidence(engine[item.rule_id], judged)
    if following is None:
        return None
    entry = review.VerdictInput(
        rule_id=item.rule_id,
        decision=following.decision(engine[item.rule_id]),
        status=following.officer_status
        if following.decision(engine[item.rule_id]) == "override"
        else None,
        reason=following.reason,
    )
    review.save_verdicts(
        session,
        statement,
        version,
        version.assessment.record,
        [entry],
        actor,
        expected_version=expected_version,
    )
    return following
