"""People working on a statement together (issue 15): organisation pages, the conversation
per statement, and evidence documents (upload, download, the officer's judgement).

Who may do what is web/authz.py alone (`statement_or_404`, `is_applicant_side`,
`can_contribute`, `can_message_as_officer`); the records are store/collaboration.py and the
rules for evidence core/evidence.py. Files are served only by `evidence_file`, after the
statement check, as attachments that browsers may not sniff. docs/COLLABORATION.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from planning_sv.core.documents import allowed_text, check_document
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.evidence import DECISION_LABELS, STATE_LABELS, Decision
from planning_sv.core.verdicts import STATUS_LABELS
from planning_sv.core.workflow import Status
from planning_sv.mail import Message, send_and_log
from planning_sv.store import collaboration as repo
from planning_sv.store import statements as statements_repo
from planning_sv.store.documents import documents_root, read_document
from planning_sv.store.models import Statement, User
from planning_sv.web import attachment, db_session
from planning_sv.web.authz import (
    APPLICANT,
    STAFF_ROLES,
    allow,
    can_contribute,
    can_edit,
    can_message_as_officer,
    current_actor,
    statement_or_404,
)

bp = Blueprint("collaboration", __name__)


def _actor() -> User:
    user = current_actor()
    assert user is not None  # @allow guarantees a signed-in account
    return user


def _root() -> Path:
    return documents_root(Path(current_app.instance_path))


def _errors(exc: InputInvalid) -> dict[str, str]:
    return {p.path: p.message for p in exc.problems}


# --- organisations -------------------------------------------------------------------------


def _organisation_page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = db_session()
    actor = _actor()
    mine = repo.membership(session, actor)
    organisation = members = invites = None
    statements: list[Statement] = []
    if mine is not None:
        organisation = session.get(repo.Organisation, mine.organisation_id)
        members = repo.members_of(session, mine.organisation_id)
        invites = repo.open_invites(session, mine.organisation_id)
        statements = repo.organisation_statements(session, mine.organisation_id)
    context = {
        "membership": mine,
        "organisation": organisation,
        "members": members or [],
        "invites": invites or [],
        "statements": statements,
        "is_manager": mine is not None and mine.role == repo.MANAGER,
        "errors": {},
        "error_list": [],
        "entered": {},
        **extra,
    }
    return render_template("collaboration/organisation.html", **context), status


@bp.get("/organisation")
@allow(APPLICANT)
def organisation() -> ResponseReturnValue:
    """Your organisation: its members and statements; managers invite and remove people."""
    return _organisation_page()


@bp.post("/organisation")
@allow(APPLICANT)
def create_organisation() -> ResponseReturnValue:
    session = db_session()
    name = request.form.get("name", "")
    try:
        repo.create_organisation(session, _actor(), name)
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        return _organisation_page(
            400, errors=_errors(exc), error_list=exc.problems, entered={"name": name}
        )
    flash("Organisation created. Your statements now belong to it.", "success")
    return redirect(url_for(".organisation"))


@bp.post("/organisation/invite")
@allow(APPLICANT)
def invite() -> ResponseReturnValue:
    """Invite someone by email: a single-use link that expires (store/collaboration.py)."""
    from planning_sv.web.notify import absolute_url, mailer

    session = db_session()
    actor = _actor()
    email = request.form.get("email", "")
    mine = repo.membership(session, actor)
    try:
        if mine is None:
            raise InputInvalid([Problem("email", "Create an organisation before inviting people")])
        row, token = repo.invite(session, actor, mine.organisation_id, email)
        organisation = session.get(repo.Organisation, mine.organisation_id)
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        return _organisation_page(
            400, errors=_errors(exc), error_list=exc.problems, entered={"email": email}
        )
    assert organisation is not None
    link = absolute_url("collaboration.join", token=token)
    who = actor.name or actor.email
    body = (
        f"{who} invites you to join {organisation.name} on the social value service, "
        "to work on its social value statements.\n\n"
        f"Accept the invitation (the link works once, for {repo.INVITE_DAYS} days, and only "
        f"for the account with this email address): {link}\n\n"
        "If you did not expect this, you can ignore this email.\n"
    )
    sent = send_and_log(
        session,
        mailer(),
        Message(row.email, f"Invitation to join {organisation.name}", body, "organisation_invite"),
    )
    if sent:
        flash(f"Invitation sent to {row.email}.", "success")
    else:
        # No mail transport (or it failed): the manager can pass the link on themselves.
        flash(
            f"Email could not be sent. Send {row.email} this single-use link yourself: {link}",
            "warning",
        )
    return redirect(url_for(".organisation"))


@bp.post("/organisation/members/<int:user_id>/remove")
@allow(APPLICANT)
def remove_member(user_id: int) -> ResponseReturnValue:
    session = db_session()
    actor = _actor()
    mine = repo.membership(session, actor)
    if mine is None or mine.role != repo.MANAGER:
        abort(404)
    try:
        removed = repo.remove_member(session, actor, mine.organisation_id, user_id)
        session.commit()
    except LookupError:
        session.rollback()
        abort(404)
    except InputInvalid as exc:
        session.rollback()
        return _organisation_page(400, errors=_errors(exc), error_list=exc.problems)
    flash(f"{removed.email} is no longer a member.", "success")
    return redirect(url_for(".organisation"))


@bp.post("/organisation/members/<int:user_id>/manager")
@allow(APPLICANT)
def make_manager(user_id: int) -> ResponseReturnValue:
    session = db_session()
    actor = _actor()
    mine = repo.membership(session, actor)
    if mine is None:
        abort(404)
    try:
        promoted = repo.make_manager(session, actor, mine.organisation_id, user_id)
        session.commit()
    except LookupError:
        session.rollback()
        abort(404)
    flash(f"{promoted.email} is now a manager.", "success")
    return redirect(url_for(".organisation"))


@bp.post("/organisation/leave")
@allow(APPLICANT)
def leave() -> ResponseReturnValue:
    """Leave your organisation: its statements stay with it (and out of your reach)."""
    session = db_session()
    actor = _actor()
    mine = repo.membership(session, actor)
    if mine is None:
        flash("You are not a member of an organisation.", "warning")
        return redirect(url_for(".organisation"))
    try:
        repo.remove_member(session, actor, mine.organisation_id, actor.id)
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        return _organisation_page(400, errors=_errors(exc), error_list=exc.problems)
    flash("You have left the organisation. Its statements stay with it.", "success")
    return redirect(url_for(".organisation"))


@bp.get("/organisation/join/<token>")
@allow(APPLICANT)
def join(token: str) -> ResponseReturnValue:
    """The invitation link: shows whom it is from; joining is a POST (links get prefetched)."""
    session = db_session()
    try:
        row = repo.invite_for(session, token)
    except repo.InviteRefused as exc:
        return render_template("collaboration/join.html", refused=str(exc), token=token), 400
    organisation = session.get(repo.Organisation, row.organisation_id)
    return render_template(
        "collaboration/join.html", refused=None, organisation=organisation, token=token
    )


@bp.post("/organisation/join/<token>")
@allow(APPLICANT)
def accept(token: str) -> ResponseReturnValue:
    session = db_session()
    try:
        organisation = repo.accept_invite(session, _actor(), token)
        session.commit()
    except repo.InviteRefused as exc:
        session.rollback()
        return render_template("collaboration/join.html", refused=str(exc), token=token), 400
    flash(f"You joined {organisation.name}.", "success")
    return redirect(url_for(".organisation"))


# --- the conversation and evidence ---------------------------------------------------------


def _commitment_ids(statement: Statement) -> list[str]:
    source = (
        statement.latest_version.data
        if statement.latest_version is not None
        else (statement.draft or {})
    )
    return [str(c.get("id")) for c in source.get("commitments", []) if c.get("id")]


def _conversation_page(
    statement: Statement, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    session = db_session()
    actor = _actor()
    version = statement.latest_version
    rules = (
        [(r.id, r.title) for r in version.assessment.record.rules]
        if version is not None and version.assessment is not None
        else []
    )
    items = repo.all_evidence(session, statement)
    context = {
        "statement": statement,
        "messages": repo.thread(session, statement),
        "rule_evidence": repo.rule_evidence(session, statement),
        "commitment_evidence": [i for i in items if i.commitment_id],
        "rules": rules,
        "commitment_ids": _commitment_ids(statement),
        "is_officer": can_message_as_officer(actor, statement),
        "can_contribute": can_contribute(actor, statement),
        "can_resubmit": can_edit(actor, statement)
        and statement.status == Status.CHANGES_REQUESTED.value,
        "state_labels": STATE_LABELS,
        "decision_labels": DECISION_LABELS,
        "status_labels": STATUS_LABELS,
        "allowed_files": allowed_text(),
        "errors": {},
        "error_list": [],
        "entered": {},
        **extra,
    }
    return render_template("collaboration/conversation.html", **context), status


@bp.get("/statements/<int:statement_id>/conversation")
@allow(APPLICANT, *STAFF_ROLES)
def conversation(statement_id: int) -> ResponseReturnValue:
    """The statement's conversation and its evidence, for the applicant side and the
    council's officers alike (internal notes are not here: they stay on the review page)."""
    return _conversation_page(statement_or_404(statement_id))


def _upload(statement: Statement, actor: User, message: repo.StatementMessage | None) -> bool:
    """Attach the request's file, if one was chosen; InputInvalid names `document`."""
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return False
    data = upload.read()
    checked = check_document(data, upload.filename, field="document")
    # The upload form names "rule:ID" or "commitment:ID"; a reply's file goes with the rule
    # the reply is about.
    kind, _, target = (request.form.get("evidence_for") or "").partition(":")
    rule = target if kind == "rule" else None
    commitment = target if kind == "commitment" else None
    if not kind:
        rule = request.form.get("rule") or None
    repo.attach_evidence(
        db_session(),
        _root(),
        statement,
        actor,
        checked,
        data,
        rule_id=rule,
        commitment_id=commitment,
        message=message,
    )
    return True


@bp.post("/statements/<int:statement_id>/conversation")
@allow(APPLICANT, *STAFF_ROLES)
def post(statement_id: int) -> ResponseReturnValue:
    """A message: an officer's request (general or on a rule), or the applicant side's
    reply, with an optional document, and optionally resubmitting (changes requested)."""
    statement = statement_or_404(statement_id)
    actor = _actor()
    officer = can_message_as_officer(actor, statement)
    if not officer and not can_contribute(actor, statement):
        abort(409, description="The statement is closed: no more messages.")
    session = db_session()
    body = request.form.get("message", "")
    rule = request.form.get("rule") or None
    resubmit = not officer and request.form.get("resubmit") == "yes"
    try:
        if resubmit:
            if not can_edit(actor, statement):
                raise InputInvalid([Problem("message", "The statement cannot be resubmitted now")])
            try:
                statements_repo.submit(session, statement, actor)
            except InputInvalid as exc:
                raise InputInvalid(
                    [
                        Problem(
                            "message",
                            "Your statement is not ready to resubmit: open 'Check your "
                            "answers' to see what to fix, or send the reply without resubmitting",
                        )
                    ]
                ) from exc
        message = repo.post_message(session, statement, actor, body, rule_id=rule)
        attached = False if officer else _upload(statement, actor, message)
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        session.refresh(statement)
        return _conversation_page(
            statement,
            400,
            errors=_errors(exc),
            error_list=exc.problems,
            entered={"message": body, "rule": rule or ""},
        )
    flash(
        "Request sent to the applicant."
        if officer
        else "Reply sent"
        + (" with your document" if attached else "")
        + (" and the statement resubmitted." if resubmit else "."),
        "success",
    )
    return redirect(url_for(".conversation", statement_id=statement.id, _anchor="thread"))


@bp.post("/statements/<int:statement_id>/evidence")
@allow(APPLICANT)
def upload(statement_id: int) -> ResponseReturnValue:
    """Attach a document to a rule's evidence requirement or a commitment (no message)."""
    statement = statement_or_404(statement_id)
    actor = _actor()
    if not can_contribute(actor, statement):
        abort(409, description="The statement is closed: no more evidence.")
    session = db_session()
    try:
        if not _upload(statement, actor, None):
            raise InputInvalid([Problem("document", "Choose the document to upload")])
        session.commit()
    except InputInvalid as exc:
        session.rollback()
        return _conversation_page(statement, 400, errors=_errors(exc), error_list=exc.problems)
    flash("Document uploaded: the officer will check it.", "success")
    return redirect(url_for(".conversation", statement_id=statement.id, _anchor="evidence"))


def _item(statement: Statement, evidence_id: int) -> repo.EvidenceItem:
    item = db_session().get(repo.EvidenceItem, evidence_id)
    if item is None or item.statement_id != statement.id:
        abort(404)
    return item


@bp.get("/statements/<int:statement_id>/evidence/<int:evidence_id>")
@allow(APPLICANT, *STAFF_ROLES)
def evidence_file(statement_id: int, evidence_id: int) -> ResponseReturnValue:
    """An evidence file, only to those who may see its statement (404 otherwise)."""
    statement = statement_or_404(statement_id)
    item = _item(statement, evidence_id)
    try:
        data = read_document(_root(), item.document)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=item.document.media_type)
    response.headers["Content-Disposition"] = attachment(item.document.filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/statements/<int:statement_id>/evidence/<int:evidence_id>/decision")
@allow(*STAFF_ROLES)
def decide(statement_id: int, evidence_id: int) -> ResponseReturnValue:
    """The officer marks a document accepted or insufficient with a reason; the rule's
    verdict follows (core/evidence.py) as the officer's audited verdict."""
    from planning_sv.store.review import ReviewConflict

    statement = statement_or_404(statement_id)
    actor = _actor()
    if not can_message_as_officer(actor, statement):
        abort(404)
    item = _item(statement, evidence_id)
    session = db_session()
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    try:
        following = repo.judge_evidence(session, statement, item, actor, decision, reason)
        session.commit()
    except (InputInvalid, ReviewConflict) as exc:
        session.rollback()
        session.refresh(statement)
        problems = (
            exc.problems if isinstance(exc, InputInvalid) else [Problem("decision", str(exc))]
        )
        errors = {f"{p.path}-{evidence_id}": p.message for p in problems}
        listed = [Problem(f"{p.path}-{evidence_id}", p.message) for p in problems]
        return _conversation_page(
            statement,
            409 if isinstance(exc, ReviewConflict) else 400,
            errors=errors,
            error_list=listed,
            entered={f"reason-{evidence_id}": reason},
        )
    word = DECISION_LABELS[Decision(item.decision)].lower()
    text = f"{item.document.filename} marked {word}."
    if following is not None:
        text += (
            f" Your verdict on {item.rule_id} is now "
            f"'{STATUS_LABELS.get(following.officer_status, following.officer_status)}'."
        )
    flash(text, "success")
    return redirect(url_for(".conversation", statement_id=statement.id, _anchor="evidence"))


# --- what other pages include ------------------------------------------------------------------


def collaboration_summary(statement: Statement) -> dict[str, Any]:
    """For the `{% include "collaboration/_summary.html" %}` lines on the applicant overview
    and the officer review page: the evidence rules' states and the conversation's size."""
    session = db_session()
    return {
        "statement": statement,
        "rule_evidence": repo.rule_evidence(session, statement),
        "messages": len(repo.thread(session, statement)),
        "state_labels": STATE_LABELS,
    }


@bp.record_once
def _register(state: Any) -> None:
    state.app.jinja_env.globals["collaboration_summary"] = collaboration_summary
