"""Issue 15, collaboration: applicant organisations (invite links, removal, statements that
stay with the organisation), the conversation per statement (internal notes never shown to
the applicant; a reply emails the officers), and evidence documents (checked by content,
bounded, served only to those who may see the statement, judged by the officer with the
rule's verdict following, carried forward by reference on resubmission)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv.core.documents import MAX_DOCUMENT_BYTES
from planning_sv.store import collaboration as repo
from planning_sv.store import review
from planning_sv.store import statements as statements_repo
from planning_sv.store.documents import Document
from planning_sv.store.models import AuditEvent, Statement, User
from tests.conftest import make_app, sign_in
from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

PROCUREMENT = "ISL-S106-LOCAL-PROCUREMENT"
SKILLS = "ISL-LP21-E11-SKILLS-EMPLOYMENT"


def _subject(message: object) -> str:
    """The Subject as read (a long one arrives folded over two lines)."""
    return " ".join(str(message["Subject"]).split())  # type: ignore[index]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"

Factory = Callable[..., User]


def _db(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["planning_sv.db"].session()


def _organisation(app: Flask, manager: User, *members: User, name: str = "Firm Ltd") -> int:
    """An organisation managed by `manager` with `members` joined by invitation."""
    with _db(app) as session:
        boss = session.get(User, manager.id)
        organisation = repo.create_organisation(session, boss, name)
        for member in members:
            _, token = repo.invite(session, boss, organisation.id, member.email)
            repo.accept_invite(session, session.get(User, member.id), token)
        session.commit()
        return organisation.id


def _submitted(app: Flask, owner: User, make_statement: Callable[..., Statement]) -> Statement:
    return make_statement(owner, "islington", actions=("submit",))


def _upload(
    client: FlaskClient, statement_id: int, data: bytes, filename: str, target: str
) -> object:
    return client.post(
        f"/statements/{statement_id}/evidence",
        data={"evidence_for": target, "document": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


# --- organisations --------------------------------------------------------------------------


def test_invite_link_works_once_for_its_address_and_expires(app: Flask, make_user: Factory) -> None:
    manager = make_user("applicant", email="boss@firm.example")
    colleague = make_user("applicant", email="ana@firm.example")
    stranger = make_user("applicant", email="eve@elsewhere.example")
    boss = sign_in(app.test_client(), manager)
    assert boss.post("/organisation", data={"name": "  Firm   Ltd "}).status_code == 302
    page = boss.post(
        "/organisation/invite", data={"email": "Ana@Firm.example"}, follow_redirects=True
    )
    # No mail configured: the manager is given the link to pass on.
    link = re.search(r"/organisation/join/([A-Za-z0-9_-]+)", page.text)
    assert link is not None, page.text
    token = link.group(1)
    with _db(app) as session:
        invite = session.scalars(select(repo.OrganisationInvite)).one()
        # Only the hash is stored.
        assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invite.email == "ana@firm.example"
        assert (invite.expires_at - invite.created_at) == dt.timedelta(days=7)

    # Someone else signed in cannot use it (and does not use it up).
    eve = sign_in(app.test_client(), stranger)
    refused = eve.post(f"/organisation/join/{token}")
    assert refused.status_code == 400
    assert "This invitation was sent to another email address" in refused.text

    ana = sign_in(app.test_client(), colleague)
    assert "Join Firm Ltd" in ana.get(f"/organisation/join/{token}").text
    assert ana.post(f"/organisation/join/{token}").status_code == 302
    members = ana.get("/organisation").text
    assert 'data-member="boss@firm.example"' in members
    assert 'data-member="ana@firm.example"' in members

    again = ana.post(f"/organisation/join/{token}")
    assert again.status_code == 400
    assert "This invitation link has already been used" in again.text
    assert eve.get(f"/organisation/join/{token}").status_code == 400
    assert ana.get("/organisation/join/not-a-token").status_code == 400

    # A link older than seven days has expired.
    late = make_user("applicant", email="late@firm.example")
    with _db(app) as session:
        organisation_id = repo.membership(session, session.get(User, manager.id)).organisation_id  # type: ignore[union-attr]
        sent = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
        _, old = repo.invite(
            session, session.get(User, manager.id), organisation_id, late.email, now=sent
        )
        session.commit()
    expired = sign_in(app.test_client(), late).post(f"/organisation/join/{old}")
    assert expired.status_code == 400
    assert "This invitation link has expired" in expired.text
    with _db(app) as session:
        assert session.scalar(select(func.count()).select_from(repo.OrganisationMember)) == 2
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == [
        "organisation_create",
        "organisation_invite",
        "organisation_join",
        "organisation_invite",
    ]


def test_only_managers_invite_and_bad_input_names_the_field(app: Flask, make_user: Factory) -> None:
    manager, member = make_user("applicant"), make_user("applicant")
    _organisation(app, manager, member)
    bad = sign_in(app.test_client(), manager).post("/organisation/invite", data={"email": "nope"})
    assert bad.status_code == 400
    assert "Enter an email address in the correct format" in bad.text
    refused = sign_in(app.test_client(), member).post(
        "/organisation/invite", data={"email": "x@y.example"}
    )
    assert refused.status_code == 400
    assert "Only the organisation&#39;s managers can invite people" in refused.text
    empty = sign_in(app.test_client(), make_user("applicant")).post(
        "/organisation", data={"name": " "}
    )
    assert empty.status_code == 400
    assert "Enter the organisation&#39;s name" in empty.text


def test_members_share_statements_and_a_removed_member_loses_access(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    manager, colleague = make_user("applicant"), make_user("applicant")
    rival = make_user("applicant")
    officer = make_user("officer", "islington")
    _organisation(app, manager, colleague)
    _organisation(app, rival, name="Rival plc")
    # The colleague writes a statement: it belongs to the organisation.
    statement = make_statement(colleague, "islington")
    assert statement.organisation_id is not None
    boss, ana, other = (sign_in(app.test_client(), u) for u in (manager, colleague, rival))
    assert boss.get(f"/statements/{statement.id}").status_code == 200
    # A member edits the organisation's draft as its owner would.
    assert boss.get(f"/statements/{statement.id}/commitments").status_code == 200
    assert other.get(f"/statements/{statement.id}").status_code == 404
    assert other.get(f"/statements/{statement.id}/conversation").status_code == 404
    # Lists agree with the page rule (the SQL twin in store/statements.py).
    with _db(app) as session:
        for user, sees in ((manager, True), (colleague, True), (rival, False), (officer, False)):
            row = session.get(User, user.id)
            found = statements_repo.list_visible(session, row)[0]
            assert (statement.id in {s.id for s in found}) is sees, user.email

    # The manager removes the colleague, who wrote the statement: it stays with the firm.
    removed = boss.post(f"/organisation/members/{colleague.id}/remove")
    assert removed.status_code == 302
    assert ana.get(f"/statements/{statement.id}").status_code == 404
    assert ana.get(f"/statements/{statement.id}/conversation").status_code == 404
    assert boss.get(f"/statements/{statement.id}").status_code == 200
    with _db(app) as session:
        assert session.get(Statement, statement.id).organisation_id == statement.organisation_id  # type: ignore[union-attr]
        assert statements_repo.list_visible(session, session.get(User, colleague.id))[1] == 0
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation_remove")
        ).one()
        assert event.actor_id == manager.id
        assert event.details["user_id"] == colleague.id
    # A member cannot remove anyone; an unknown member is a 404; the last manager stays.
    assert other.post(f"/organisation/members/{manager.id}/remove").status_code == 404
    assert boss.post(f"/organisation/members/{colleague.id}/remove").status_code == 404
    last = boss.post(f"/organisation/members/{manager.id}/remove")
    assert last.status_code == 400
    assert "The organisation needs a manager" in last.text


def test_old_statements_stay_owner_only(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    owner, colleague = make_user("applicant"), make_user("applicant")
    statement = make_statement(owner, "islington")  # made before any organisation
    assert statement.organisation_id is None
    assert (
        sign_in(app.test_client(), colleague).get(f"/statements/{statement.id}").status_code == 404
    )
    # Forming an organisation brings the owner's statements into it, for colleagues to share.
    _organisation(app, owner, colleague)
    with _db(app) as session:
        assert session.get(Statement, statement.id).organisation_id is not None  # type: ignore[union-attr]
    assert (
        sign_in(app.test_client(), colleague).get(f"/statements/{statement.id}").status_code == 200
    )


# --- the conversation ------------------------------------------------------------------------


def test_internal_notes_are_never_shown_to_the_applicant(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant, colleague = make_user("applicant"), make_user("applicant")
    officer = make_user("officer", "islington")
    _organisation(app, applicant, colleague)
    statement = _submitted(app, applicant, make_statement)
    staff = sign_in(app.test_client(), officer)
    note = staff.post(
        f"/officer/statements/{statement.id}/notes",
        data={"note": "SECRET-INTERNAL: viability doubts"},
    )
    assert note.status_code == 302
    asked = staff.post(
        f"/statements/{statement.id}/conversation",
        data={"rule": PROCUREMENT, "message": "Please send the local procurement strategy."},
    )
    assert asked.status_code == 302
    review_page = staff.get(f"/officer/statements/{statement.id}").text
    assert "SECRET-INTERNAL" in review_page  # staff see their note
    for user in (applicant, colleague):
        client = sign_in(app.test_client(), user)
        for path in (f"/statements/{statement.id}", f"/statements/{statement.id}/conversation"):
            text = client.get(path).text
            assert "SECRET-INTERNAL" not in text, path
        thread = client.get(f"/statements/{statement.id}/conversation").text
        assert "Please send the local procurement strategy." in thread
        assert "about Local procurement (Code of Local Procurement)" in thread
    with _db(app) as session:
        rows = repo.thread(session, session.get(Statement, statement.id))  # type: ignore[arg-type]
        assert [(m.side, m.rule_id, m.author_id) for m in rows] == [
            ("officer", PROCUREMENT, officer.id)
        ]


def test_a_request_emails_the_applicant_and_a_reply_the_officers(
    sqlite_url: str,
    instance_dir: Path,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    from planning_sv.store.users import create_user

    app = make_app(sqlite_url, MAIL_URL=smtp_server.url, PUBLIC_BASE_URL="https://sv.example")
    try:
        with _db(app) as session:
            applicant = create_user(session, "dev@firm.example", "correct-horse-battery")
            officer = create_user(
                session, "olu@islington.example", "correct-horse-battery", "officer", "islington"
            )
            statement = statements_repo.create_statement(
                session, applicant, "islington", _example()
            )
            statements_repo.submit(session, statement, applicant)
            session.commit()
            statement_id = statement.id
        staff = app.test_client()
        staff.post(
            "/sign-in",
            data={"email": "olu@islington.example", "password": "correct-horse-battery"},
        )
        smtp_server.clear()
        asked = staff.post(
            f"/statements/{statement_id}/conversation",
            data={"rule": PROCUREMENT, "message": "Send the procurement strategy, please."},
        )
        assert asked.status_code == 302
        [request_mail] = smtp_server.to("dev@firm.example")
        assert _subject(request_mail) == (
            "Changes requested to your social value statement: EXAMPLE/2026/0001/FUL"
        )
        assert "Send the procurement strategy, please." in body(request_mail)
        assert f"https://sv.example/statements/{statement_id}" in body(request_mail)
        client = app.test_client()
        client.post(
            "/sign-in", data={"email": "dev@firm.example", "password": "correct-horse-battery"}
        )
        smtp_server.clear()
        reply = client.post(
            f"/statements/{statement_id}/conversation",
            data={"rule": PROCUREMENT, "message": "Our strategy is attached."},
        )
        assert reply.status_code == 302
        got = smtp_server.to("olu@islington.example")
        assert len(got) == 1
        assert _subject(got[0]) == "Reply from the applicant: EXAMPLE/2026/0001/FUL"
        text = body(got[0])
        assert "Our strategy is attached." in text
        assert f"https://sv.example/officer/statements/{statement_id}" in text
        with _db(app) as session:
            row = session.get(Statement, statement_id)
            assert row.status == "submitted"  # answered without resubmitting
            assert row.latest_version_number == 1
        # Only the council's officer was written to (the applicant sent it).
        assert [m["To"] for m in smtp_server.messages] == [officer.email]
    finally:
        app.extensions["planning_sv.db"].dispose()


def _example() -> dict:  # type: ignore[type-arg]
    from tests.conftest import load_example

    return load_example("islington")


def test_reply_and_resubmit_in_one_step(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant, officer = make_user("applicant"), make_user("officer", "islington")
    staff = {"start_review": officer, "request_changes": officer}
    statement = make_statement(
        applicant, "islington", actions=("submit", "start_review", "request_changes"), staff=staff
    )
    client = sign_in(app.test_client(), applicant)
    page = client.get(f"/statements/{statement.id}/conversation").text
    assert "Send reply and resubmit the statement" in page
    done = client.post(
        f"/statements/{statement.id}/conversation",
        data={"message": "Placements added.", "resubmit": "yes"},
    )
    assert done.status_code == 302
    with _db(app) as session:
        row = session.get(Statement, statement.id)
        assert (row.status, row.latest_version_number) == ("resubmitted", 2)  # type: ignore[union-attr]
        [message] = repo.thread(session, row)  # type: ignore[arg-type]
        assert (message.side, message.version_number, message.body) == (
            "applicant",
            2,
            "Placements added.",
        )
    empty = client.post(f"/statements/{statement.id}/conversation", data={"message": "  "})
    assert empty.status_code == 400
    assert "Enter your message" in empty.text


# --- evidence documents --------------------------------------------------------------------------


def test_document_checks_by_content_size_and_permission(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant, stranger = make_user("applicant"), make_user("applicant")
    other_officer = make_user("officer", "salford")
    statement = _submitted(app, applicant, make_statement)
    client = sign_in(app.test_client(), applicant)
    target = f"rule:{PROCUREMENT}"

    renamed = _upload(client, statement.id, b"MZ\x90\x00" + b"\x00" * 200, "strategy.pdf", target)
    assert renamed.status_code == 400  # type: ignore[attr-defined]
    assert "strategy.pdf: by its content this is a program" in renamed.text  # type: ignore[attr-defined]

    oversized = _upload(
        client, statement.id, b"%PDF-1.4\n" + b"0" * MAX_DOCUMENT_BYTES, "big.pdf", target
    )
    assert oversized.status_code == 400  # type: ignore[attr-defined]
    assert "big.pdf: the file is 4.0 MB; the limit is 4 MB per file" in oversized.text  # type: ignore[attr-defined]

    mismatch = _upload(client, statement.id, PDF, "strategy.png", target)
    assert mismatch.status_code == 400  # type: ignore[attr-defined]
    assert "name it with .pdf" in mismatch.text  # type: ignore[attr-defined]

    nothing = client.post(f"/statements/{statement.id}/evidence", data={"evidence_for": target})
    assert nothing.status_code == 400
    assert "Choose the document to upload" in nothing.text

    with _db(app) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0

    good = _upload(client, statement.id, PDF, "strategy.pdf", target)
    assert good.status_code == 302  # type: ignore[attr-defined]
    with _db(app) as session:
        item = session.scalars(select(repo.EvidenceItem)).one()
        document = item.document
        assert (item.rule_id, item.version_number, item.decision) == (PROCUREMENT, 1, "pending")
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        assert document.purpose == "statement_evidence"
        # Outside the web root, by content hash.
        stored = Path(app.instance_path) / "documents" / document.sha256[:2] / document.sha256
        assert stored.read_bytes() == PDF
        item_id = item.id

    url = f"/statements/{statement.id}/evidence/{item_id}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"] == 'attachment; filename="strategy.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    # Anyone who may not see the statement gets 404, for the file and for uploading.
    for user in (stranger, other_officer):
        outsider = sign_in(app.test_client(), user)
        assert outsider.get(url).status_code == 404
        assert outsider.get(f"/statements/{statement.id}/conversation").status_code == 404
    assert (
        _upload(
            sign_in(app.test_client(), stranger), statement.id, PDF, "x.pdf", target
        ).status_code
        == 404
    )  # type: ignore[attr-defined]
    # An evidence id of another statement is not served under this one.
    second = _submitted(app, stranger, make_statement)
    assert (
        sign_in(app.test_client(), stranger)
        .get(f"/statements/{second.id}/evidence/{item_id}")
        .status_code
        == 404
    )
    # The rule now says so on the applicant's overview.
    overview = client.get(f"/statements/{statement.id}").text
    assert "Evidence supplied – awaiting the officer" in overview


def test_officer_judges_evidence_and_the_verdict_follows(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant, officer = make_user("applicant"), make_user("officer", "islington")
    statement = _submitted(app, applicant, make_statement)
    client = sign_in(app.test_client(), applicant)
    assert (
        _upload(client, statement.id, PDF, "strategy.pdf", f"rule:{PROCUREMENT}").status_code == 302
    )  # type: ignore[attr-defined]
    docx = _docx()
    assert _upload(client, statement.id, docx, "skills.docx", f"rule:{SKILLS}").status_code == 302  # type: ignore[attr-defined]
    with _db(app) as session:
        items = {i.rule_id: i.id for i in session.scalars(select(repo.EvidenceItem))}
    staff = sign_in(app.test_client(), officer)

    missing = staff.post(
        f"/statements/{statement.id}/evidence/{items[PROCUREMENT]}/decision",
        data={"decision": "accepted", "reason": ""},
    )
    assert missing.status_code == 400
    assert "Enter the reason for accepting the evidence" in missing.text

    accepted = staff.post(
        f"/statements/{statement.id}/evidence/{items[PROCUREMENT]}/decision",
        data={"decision": "accepted", "reason": "Commits to the Code of Local Procurement"},
    )
    assert accepted.status_code == 302
    insufficient = staff.post(
        f"/statements/{statement.id}/evidence/{items[SKILLS]}/decision",
        data={"decision": "insufficient", "reason": "No end-use phase"},
    )
    assert insufficient.status_code == 302
    # The applicant cannot judge, and neither can another council's officer.
    assert (
        client.post(
            f"/statements/{statement.id}/evidence/{items[SKILLS]}/decision",
            data={"decision": "accepted", "reason": "mine"},
        ).status_code
        == 403
    )

    with _db(app) as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.status == "under_review"  # judging started the review
        verdicts = review.verdicts_for(session, row.latest_version)  # type: ignore[arg-type]
        procurement, skills = verdicts[PROCUREMENT], verdicts[SKILLS]
        assert (procurement.engine_status, procurement.officer_status, procurement.officer_id) == (
            "needs_evidence",
            "pass",
            officer.id,
        )
        assert procurement.reason == (
            "Evidence accepted (strategy.pdf: Commits to the Code of Local Procurement)"
        )
        assert (skills.officer_status, skills.reason) == (
            "needs_evidence",
            "Evidence insufficient (skills.docx: No end-use phase)",
        )
        decisions = [
            (e.details["decision"], e.reason)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "evidence_decision")
                .order_by(AuditEvent.id)
            )
        ]
        assert decisions == [
            ("accepted", "Commits to the Code of Local Procurement"),
            ("insufficient", "No end-use phase"),
        ]
        verdict_events = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "verdict").order_by(AuditEvent.id)
        ).all()
        assert [(d["rule_id"], d["officer_status"]) for d in verdict_events] == [
            (PROCUREMENT, "pass"),
            (SKILLS, "needs_evidence"),
        ]
    page = client.get(f"/statements/{statement.id}/conversation").text
    assert "Evidence accepted" in page
    assert "Evidence insufficient – more needed" in page
    assert "Accepted: Commits to the Code of Local Procurement" in page


def test_resubmission_carries_evidence_forward_by_reference(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant, officer = make_user("applicant"), make_user("officer", "islington")
    staff = {"start_review": officer, "request_changes": officer}
    statement = make_statement(
        applicant, "islington", actions=("submit", "start_review", "request_changes"), staff=staff
    )
    client = sign_in(app.test_client(), applicant)
    assert (
        _upload(client, statement.id, PDF, "strategy.pdf", f"rule:{PROCUREMENT}").status_code == 302
    )  # type: ignore[attr-defined]
    with _db(app) as session:
        row = session.get(Statement, statement.id)
        statements_repo.submit(session, row, session.get(User, applicant.id))  # type: ignore[arg-type]
        session.commit()
        # A second upload after version 2 goes with version 2 only.
    assert (
        _upload(client, statement.id, PDF, "strategy-v2.pdf", f"rule:{PROCUREMENT}").status_code
        == 302
    )  # type: ignore[attr-defined]
    with _db(app) as session:
        row = session.get(Statement, statement.id)
        assert row is not None
        first = [(i.version_number, i.document.filename) for i in repo.evidence_of(session, row, 1)]
        second = [
            (i.version_number, i.document.filename) for i in repo.evidence_of(session, row, 2)
        ]
        assert first == [(1, "strategy.pdf")]
        assert second == [(1, "strategy.pdf"), (2, "strategy-v2.pdf")]
        # By reference: the same bytes are one blob; rows are per upload, never copied.
        assert session.scalar(select(func.count()).select_from(repo.EvidenceItem)) == 2
        assert len(set(session.scalars(select(Document.sha256)))) == 1


def _docx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_membership_rules_in_sql_on_each_database(db_app: Flask) -> None:
    """The SQL twin of the page rule (store/statements.py visible_filter / visible_parts),
    on SQLite and PostgreSQL: members see the organisation's statements, a leaver does not,
    an owner-only statement stays its owner's."""
    from planning_sv.store.users import create_user
    from tests.conftest import load_example

    with _db(db_app) as session:
        boss = create_user(session, "boss@firm.example", "correct-horse-battery")
        ana = create_user(session, "ana@firm.example", "correct-horse-battery")
        solo = create_user(session, "solo@else.example", "correct-horse-battery")
        old = statements_repo.create_statement(
            session, solo, "islington", load_example("islington")
        )
        firm = repo.create_organisation(session, boss, "Firm Ltd")
        _, token = repo.invite(session, boss, firm.id, ana.email)
        repo.accept_invite(session, ana, token)
        shared = statements_repo.create_statement(
            session, ana, "islington", load_example("islington")
        )
        session.commit()

        def seen(user: User) -> set[int]:
            rows, total = statements_repo.list_visible(session, user)
            assert total == len(rows)
            return {s.id for s in rows}

        assert (shared.organisation_id, old.organisation_id) == (firm.id, None)
        assert seen(boss) == {shared.id}
        assert seen(ana) == {shared.id}
        assert seen(solo) == {old.id}
        repo.remove_member(session, boss, firm.id, ana.id)
        session.commit()
        assert seen(ana) == set()
        assert seen(boss) == {shared.id}


def test_commitment_evidence_and_unknown_targets(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    applicant = make_user("applicant")
    officer, salford = make_user("officer", "islington"), make_user("officer", "salford")
    statement = _submitted(app, applicant, make_statement)
    client = sign_in(app.test_client(), applicant)
    unknown_rule = _upload(client, statement.id, PDF, "a.pdf", "rule:NO-SUCH-RULE")
    assert unknown_rule.status_code == 400  # type: ignore[attr-defined]
    assert "There is no rule NO-SUCH-RULE in this statement" in unknown_rule.text  # type: ignore[attr-defined]
    unknown_commitment = _upload(client, statement.id, PDF, "a.pdf", "commitment:c99")
    assert unknown_commitment.status_code == 400  # type: ignore[attr-defined]
    assert "There is no commitment c99 in this statement" in unknown_commitment.text  # type: ignore[attr-defined]
    # A reply's document goes with the rule the reply is about; none chosen: said so, and
    # the typed reply is kept on the page (nothing saved).
    no_target = client.post(
        f"/statements/{statement.id}/conversation",
        data={"message": "Attached", "document": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert no_target.status_code == 400
    assert "Choose the rule or commitment the document is evidence for" in no_target.text
    assert ">Attached</textarea>" in no_target.text

    assert _upload(client, statement.id, PDF, "payroll.pdf", "commitment:c1").status_code == 302  # type: ignore[attr-defined]
    with _db(app) as session:
        item = session.scalars(select(repo.EvidenceItem)).one()
        assert (item.commitment_id, item.rule_id) == ("c1", None)
        item_id = item.id
    url = f"/statements/{statement.id}/evidence/{item_id}/decision"
    assert (
        sign_in(app.test_client(), salford)
        .post(url, data={"decision": "accepted", "reason": "x"})
        .status_code
        == 404
    )
    staff = sign_in(app.test_client(), officer)
    assert (
        staff.post(url, data={"decision": "accepted", "reason": "Payroll matches"}).status_code
        == 302
    )
    with _db(app) as session:
        item = session.get(repo.EvidenceItem, item_id)
        assert (item.decision, item.reason, item.decided_by_id) == (  # type: ignore[union-attr]
            "accepted",
            "Payroll matches",
            officer.id,
        )
        # A commitment's evidence records no rule verdict.
        row = session.get(Statement, statement.id)
        assert review.verdicts_for(session, row.latest_version) == {}  # type: ignore[union-attr, arg-type]


def test_a_member_leaves_and_the_last_manager_cannot(
    app: Flask, make_user: Factory, make_statement: Callable[..., Statement]
) -> None:
    manager, colleague = make_user("applicant"), make_user("applicant")
    _organisation(app, manager, colleague)
    statement = make_statement(colleague, "islington")
    ana = sign_in(app.test_client(), colleague)
    assert ana.get(f"/statements/{statement.id}").status_code == 200
    left = ana.post("/organisation/leave", follow_redirects=True)
    assert "You have left the organisation. Its statements stay with it." in left.text
    assert ana.get(f"/statements/{statement.id}").status_code == 404
    boss = sign_in(app.test_client(), manager)
    assert boss.get(f"/statements/{statement.id}").status_code == 200
    stuck = boss.post("/organisation/leave")
    assert stuck.status_code == 400
    assert "The organisation needs a manager" in stuck.text
    # The founder hands over to a new member, then may leave; the statement stays.
    newcomer = make_user("applicant")
    with _db(app) as session:
        organisation_id = statement.organisation_id
        _, token = repo.invite(
            session, session.get(User, manager.id), organisation_id, newcomer.email
        )  # type: ignore[arg-type]
        repo.accept_invite(session, session.get(User, newcomer.id), token)  # type: ignore[arg-type]
        session.commit()
    # Only a manager promotes (a member gets 404, as for an id that is not theirs).
    eve = sign_in(app.test_client(), newcomer)
    assert eve.post(f"/organisation/members/{newcomer.id}/manager").status_code == 404
    assert boss.post(f"/organisation/members/{colleague.id}/manager").status_code == 404
    assert boss.post(f"/organisation/members/{newcomer.id}/manager").status_code == 302
    assert boss.post("/organisation/leave").status_code == 302
    assert boss.get(f"/statements/{statement.id}").status_code == 404
    assert eve.get(f"/statements/{statement.id}").status_code == 200
    with _db(app) as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.in_(["organisation_leave", "organisation_manager"]))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["organisation_leave", "organisation_manager", "organisation_leave"]
        assert [(m.user_id, m.role) for m in repo.members_of(session, organisation_id)] == [  # type: ignore[arg-type]
            (newcomer.id, "manager")
        ]
