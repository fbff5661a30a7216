"""The officer journey over HTTP: queue, review, verdicts, decisions, heads of terms, audit."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.review import ReviewState, RuleVerdict

Make = Callable[..., Any]


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "officer": make_user("officer", "islington"),
        "officer2": make_user("officer", "islington"),
        "senior": make_user("senior_officer", "islington"),
        "senior2": make_user("senior_officer", "islington"),
        "salford": make_user("officer", "salford"),
    }


@pytest.fixture
def submitted(make_statement: Make, people: dict[str, User]) -> Statement:
    return make_statement(people["owner"], "islington", actions=("submit",))


def _client(app: Flask, sign_in: Callable[..., FlaskClient], user: User) -> FlaskClient:
    return sign_in(app.test_client(), user)


def _rules(app: Flask, statement: Statement) -> list[dict[str, Any]]:
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.latest_version is not None
        return row.latest_version.assessment.data["rules"]


def _status(app: Flask, statement: Statement) -> str:
    with app.extensions["planning_sv.db"].session() as session:
        return session.get(Statement, statement.id).status  # type: ignore[union-attr]


def _events(app: Flask, statement: Statement) -> list[AuditEvent]:
    with app.extensions["planning_sv.db"].session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.statement_id == statement.id)
                .order_by(AuditEvent.id)
            )
        )


def _review_version(client: FlaskClient, statement: Statement) -> str:
    """The review's lock version as the officer's review page carries it in its forms."""
    # The decision forms are on their own page (issue 12); the review page's forms carry
    # the same version while the review is open.
    html = client.get(f"/officer/statements/{statement.id}/decision").text
    found = re.search(r'name="review_version" value="(\d+)"', html)
    if found is None:
        html = client.get(f"/officer/statements/{statement.id}").text
        found = re.search(r'name="review_version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def _act(
    client: FlaskClient,
    statement: Statement,
    action: str,
    version: str | None = None,
    **fields: str,
) -> TestResponse:
    """Post a workflow decision from the review page, as taken on `version` of the review
    (by default the version the page shows now, as a browser would)."""
    if version is None:
        version = _review_version(client, statement)
    return client.post(
        f"/officer/statements/{statement.id}/actions",
        data={"action": action, "review_version": version, **fields},
    )


def acknowledge_all(client: FlaskClient, statement: Statement) -> None:
    """Acknowledge every unverified figure the review page lists (needed to recommend)."""
    html = client.get(f"/officer/statements/{statement.id}").text
    names = re.findall(r'name="acknowledge" type="checkbox" value="([^"]+)"(?! checked)', html)
    if names:
        response = client.post(
            f"/officer/statements/{statement.id}/acknowledgements",
            data={"review_version": _review_version(client, statement), "acknowledge": names},
        )
        assert response.status_code == 302, response.text[:2000]


def _override(rule: dict[str, Any]) -> str:
    return "pass" if rule["status"] != "pass" else "fail"


# --- queue --------------------------------------------------------------------------------


def test_queue_shows_own_council_submitted_statements_with_counts(
    app: Flask, sign_in: Make, make_statement: Make, people: dict[str, User], submitted: Statement
) -> None:
    make_statement(people["owner"], "islington")  # a draft: private to the applicant
    other = make_statement(people["owner"], "salford", actions=("submit",))
    client = _client(app, sign_in, people["officer"])
    page = client.get("/officer/")
    assert page.status_code == 200
    html = page.text
    assert f'data-statement-id="{submitted.id}"' in html
    assert f'data-statement-id="{other.id}"' not in html  # another council's
    assert html.count("data-statement-id=") == 1  # the draft is not listed
    assert '<span data-count="submitted">1</span>' in html


def test_queue_filters_sort_and_validation(
    app: Flask, sign_in: Make, make_statement: Make, people: dict[str, User], submitted: Statement
) -> None:
    second = make_statement(
        people["owner"],
        "islington",
        actions=("submit", "start_review"),
        staff={"start_review": people["officer"]},
    )
    client = _client(app, sign_in, people["officer"])
    html = client.get("/officer/?status=under_review").text
    assert f'data-statement-id="{second.id}"' in html
    assert f'data-statement-id="{submitted.id}"' not in html

    # Ward: the example site's ward (read from the stored assessment) matches; another not.
    with app.extensions["planning_sv.db"].session() as session:
        site_ward = session.get(Statement, submitted.id).latest_version.assessment.data["site"][  # type: ignore[union-attr]
            "wards"
        ][0]["code"]
    html = client.get(f"/officer/?ward={site_ward}").text
    assert html.count("data-statement-id=") == 2
    assert f'<option value="{site_ward}" selected>' in html
    assert "data-statement-id=" not in client.get("/officer/?ward=E05999999").text

    owner_email = people["owner"].email
    assert (
        client.get(f"/officer/?applicant={owner_email[:8].upper()}").text.count(
            "data-statement-id="
        )
        == 2
    )
    assert "data-statement-id=" not in client.get("/officer/?applicant=nobody-here").text
    assert "data-statement-id=" not in client.get("/officer/?from=2999-01-01").text
    assert client.get("/officer/?to=2999-01-01").text.count("data-statement-id=") == 2

    ascending = client.get("/officer/?sort=submitted&order=asc").text
    assert ascending.index(f'data-statement-id="{submitted.id}"') < ascending.index(
        f'data-statement-id="{second.id}"'
    )
    descending = client.get("/officer/?sort=submitted&order=desc").text
    assert descending.index(f'data-statement-id="{second.id}"') < descending.index(
        f'data-statement-id="{submitted.id}"'
    )

    bad = client.get("/officer/?from=31/02/2026&ward=DROP&status=nope&sort=x")
    assert bad.status_code == 400
    assert "Submitted from must be a real date, for example 31 3 2026" in bad.text
    assert "Choose a ward of the site from the list" in bad.text
    assert "Choose a status from the list" in bad.text


def test_queue_paginates(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement, monkeypatch: Any
) -> None:
    from planning_sv.web import officer

    monkeypatch.setattr(officer, "PER_PAGE", 1)
    client = _client(app, sign_in, people["officer"])
    with app.extensions["planning_sv.db"].session() as session:
        # A second submitted statement, cheaply: copy the first one's rows.
        from planning_sv.store import statements as repo

        owner = session.get(User, people["owner"].id)
        original = session.get(Statement, submitted.id)
        copy = repo.create_statement(session, owner, "islington", original.draft)  # type: ignore[union-attr]
        repo.submit(session, copy, owner)  # type: ignore[arg-type]
    first = client.get("/officer/").text
    assert first.count("data-statement-id=") == 1
    # Keyset pages: a Next link (with the boundary row's cursor), no link per page.
    assert 'aria-label="Page 2"' not in first and 'rel="prev"' not in first
    next_url = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_url is not None
    second = client.get(next_url.group(1).replace("&amp;", "&")).text
    assert second.count("data-statement-id=") == 1
    assert 'rel="next"' not in second and 'rel="prev"' in second
    assert first != second


def test_applicants_and_other_councils_cannot_use_officer_pages(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    owner = _client(app, sign_in, people["owner"])
    assert owner.get("/officer/").status_code == 403
    assert owner.get(f"/officer/statements/{submitted.id}").status_code == 403
    salford = _client(app, sign_in, people["salford"])
    assert salford.get(f"/officer/statements/{submitted.id}").status_code == 404
    assert salford.get(f"/officer/statements/{submitted.id}/heads-of-terms.docx").status_code == 404


def test_drafts_are_not_reviewable(
    app: Flask, sign_in: Make, make_statement: Make, people: dict[str, User]
) -> None:
    draft = make_statement(people["owner"], "islington")
    client = _client(app, sign_in, people["officer"])
    assert client.get(f"/officer/statements/{draft.id}").status_code == 404
    assert client.get(f"/officer/statements/{draft.id}?version=x").status_code == 404


# --- review page and verdicts -------------------------------------------------------------


def test_review_page_shows_rules_commitments_and_map(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    page = client.get(f"/officer/statements/{submitted.id}")
    assert page.status_code == 200
    html = page.text
    # The 7 Islington rules in force today (the three 2016 S106 rules ended 2025-04-29; B4
    # in three areas): the loop below must not run over an empty list.
    assert [r["id"] for r in _rules(app, submitted)] == [
        "ISL-B4-AFFORDABLE-WORKSPACE",
        "ISL-B4-AFFORDABLE-WORKSPACE-LSIS",
        "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS",
        "ISL-S106-CONSTRUCTION-PLACEMENTS",
        "ISL-S106-EMPLOYMENT-TRAINING-CONTRIBUTION",
        "ISL-S106-LOCAL-PROCUREMENT",
        "ISL-LP21-E11-SKILLS-EMPLOYMENT",
    ]
    for rule in _rules(app, submitted):
        assert f'data-rule-id="{rule["id"]}"' in html
        assert f'name="decision-{rule["id"]}"' in html
    assert 'data-testid="commitments"' in html
    assert 'name="review_version" value="1"' in html
    # The folium map is drawn from local assets only.
    assert "leaflet" in html.lower()
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert page.headers["Content-Security-Policy"]
    assert "No verdict yet" in html
    rules = _rules(app, submitted)
    assert f"0 of {len(rules)} rules reviewed." in html
    # The decisions are on their own page, linked from the top of the review page.
    decision = client.get(f"/officer/statements/{submitted.id}/decision").text
    assert f"{len(rules)} of {len(rules)} rules have no verdict from you" in decision
    assert 'data-action="start_review"' in decision
    assert 'data-action="sign_off"' not in decision  # not for an officer, not in this state
    assert client.get(f"/officer/statements/{submitted.id}?version=9").status_code == 404


def test_override_needs_a_reason_and_nothing_is_saved_without_one(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    rule = _rules(app, submitted)[0]
    client = _client(app, sign_in, people["officer"])
    response = client.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "1",
            f"decision-{rule['id']}": "override",
            f"status-{rule['id']}": _override(rule),
            f"reason-{rule['id']}": "  ",
        },
    )
    assert response.status_code == 400
    assert f"Enter your reason for overriding the result for {rule['id']}" in response.text
    assert f'href="#rules-{rule["id"]}-reason"' in response.text  # summary links to the field
    assert _status(app, submitted) == "submitted"  # nothing happened, not even start_review
    with app.extensions["planning_sv.db"].session() as session:
        assert session.scalars(select(RuleVerdict)).all() == []


def test_empty_posts_answer_400_not_500(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    assert client.post(f"/officer/statements/{submitted.id}/verdicts").status_code == 400
    no_verdict = client.post(
        f"/officer/statements/{submitted.id}/verdicts", data={"review_version": "1"}
    )
    assert no_verdict.status_code == 400
    assert "Choose agree or override for at least one rule" in no_verdict.text
    assert client.post(f"/officer/statements/{submitted.id}/actions").status_code == 400


def test_verdicts_are_saved_side_by_side_and_audited(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    rules = _rules(app, submitted)
    first, second = rules[0], rules[1]
    client = _client(app, sign_in, people["officer"])
    response = client.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "1",
            f"decision-{first['id']}": "override",
            f"status-{first['id']}": _override(first),
            f"reason-{first['id']}": "Fee in lieu <agreed>",
            f"decision-{second['id']}": "agree",
            f"comment-{second['id']}": "Checked the figures",
        },
    )
    assert response.status_code == 302
    assert _status(app, submitted) == "under_review"  # the first save starts the review

    html = client.get(f"/officer/statements/{submitted.id}").text
    assert "Fee in lieu &lt;agreed&gt;" in html  # escaped
    assert "Overridden" in html
    assert 'name="review_version" value="2"' in html

    with app.extensions["planning_sv.db"].session() as session:
        verdicts = {v.rule_id: v for v in session.scalars(select(RuleVerdict))}
        assert verdicts[first["id"]].engine_status == first["status"]
        assert verdicts[first["id"]].officer_status == _override(first)
        assert verdicts[second["id"]].officer_status == second["status"]
        assert verdicts[second["id"]].comment == "Checked the figures"
    actions = [(e.action, e.details.get("rule_id")) for e in _events(app, submitted)]
    assert ("start_review", None) in actions
    assert ("verdict", first["id"]) in actions
    assert ("verdict", second["id"]) in actions
    verdict_event = next(
        e for e in _events(app, submitted) if e.details.get("rule_id") == first["id"]
    )
    assert verdict_event.reason == "Fee in lieu <agreed>"
    assert verdict_event.details["overridden"] is True
    assert verdict_event.actor_id == people["officer"].id

    # Saving the same verdicts again changes nothing and writes no event.
    count = len(_events(app, submitted))
    again = client.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "2",
            f"decision-{second['id']}": "agree",
            f"comment-{second['id']}": "Checked the figures",
        },
    )
    assert again.status_code == 302
    assert len(_events(app, submitted)) == count


def test_second_officer_gets_a_conflict_and_nothing_is_overwritten(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    rule = _rules(app, submitted)[0]
    alice = _client(app, sign_in, people["officer"])
    bob = _client(app, sign_in, people["officer2"])
    # Both open the page at review version 1.
    assert (
        'name="review_version" value="1"' in alice.get(f"/officer/statements/{submitted.id}").text
    )
    assert 'name="review_version" value="1"' in bob.get(f"/officer/statements/{submitted.id}").text

    saved = alice.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "1",
            f"decision-{rule['id']}": "override",
            f"status-{rule['id']}": _override(rule),
            f"reason-{rule['id']}": "Alice's reason",
        },
    )
    assert saved.status_code == 302
    late = bob.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "1",
            f"decision-{rule['id']}": "agree",
            f"comment-{rule['id']}": "Bob's comment",
        },
    )
    assert late.status_code == 409
    assert "Not saved: someone else changed this review" in late.text
    assert "Alice&#39;s reason" in late.text  # what changed, and by whom
    assert people["officer"].email in late.text
    assert "Bob&#39;s comment" in late.text  # Bob's input is kept in the form
    assert 'name="review_version" value="2"' in late.text  # he can now save on top
    with app.extensions["planning_sv.db"].session() as session:
        (verdict,) = session.scalars(select(RuleVerdict)).all()
        assert verdict.reason == "Alice's reason"
        assert verdict.officer_id == people["officer"].id
        assert session.scalars(select(ReviewState)).one().version == 2

    # A decision taken on a stale page is refused the same way.
    stale = _act(bob, submitted, "recommend", version="1")
    assert stale.status_code == 409
    assert _status(app, submitted) == "under_review"


def test_stale_write_race_is_a_conflict(
    app: Flask, people: dict[str, User], submitted: Statement, monkeypatch: Any
) -> None:
    """Two saves pass the version check together; `UPDATE ... WHERE version = 2` lets only
    the first one in, and the second is a ReviewConflict, not a database error."""
    from planning_sv.store import review as review_repo

    db = app.extensions["planning_sv.db"]
    rules = _rules(app, submitted)

    def save(user: User, rule_id: str, comment: str | None, expected: int) -> list[str]:
        with db.session() as session:
            statement = session.get(Statement, submitted.id)
            version = statement.latest_version  # type: ignore[union-attr]
            return review_repo.save_verdicts(
                session,
                statement,  # type: ignore[arg-type]
                version,  # type: ignore[arg-type]
                version.assessment.record,  # type: ignore[union-attr]
                [review_repo.VerdictInput(rule_id, "agree", comment=comment)],
                session.get(User, user.id),  # type: ignore[arg-type]
                expected_version=expected,
            )

    assert save(people["officer"], rules[0]["id"], None, 1) == [rules[0]["id"]]  # row at 2
    assert save(people["officer"], rules[1]["id"], None, 2) == [rules[1]["id"]]  # now 3
    # The late save read version 2 before the other committed: make its read say so.
    monkeypatch.setattr(review_repo, "current_review_version", lambda *_args: 2)
    with pytest.raises(review_repo.ReviewConflict) as caught:
        save(people["officer2"], rules[0]["id"], "late", 2)
    assert (caught.value.expected, caught.value.current) == (2, 3)
    with db.session() as session:
        first = session.scalars(
            select(RuleVerdict).where(RuleVerdict.rule_id == rules[0]["id"])
        ).one()
        assert first.comment is None  # the first save stands
        assert first.officer_id == people["officer"].id
        assert session.scalars(select(ReviewState.version)).one() == 3


# --- decisions ----------------------------------------------------------------------------


def test_request_changes_needs_a_message_then_reaches_the_applicant(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    empty = _act(client, submitted, "request_changes", message=" ")
    assert empty.status_code == 400
    assert "Enter what the applicant needs to change" in empty.text
    assert _status(app, submitted) == "submitted"

    done = _act(client, submitted, "request_changes", message="Add 10 more construction placements")
    assert done.status_code == 302
    assert _status(app, submitted) == "changes_requested"
    owner = _client(app, sign_in, people["owner"])
    assert "Add 10 more construction placements" in owner.get(f"/statements/{submitted.id}").text
    events = [(e.action, e.from_status, e.to_status) for e in _events(app, submitted)]
    assert ("start_review", "submitted", "under_review") in events
    assert ("request_changes", "under_review", "changes_requested") in events


def test_illegal_action_is_a_409_and_role_is_a_403(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    illegal = _act(officer, submitted, "approve")
    assert illegal.status_code == 409
    assert "You cannot record approval while the statement is submitted" in illegal.text
    forbidden = _act(officer, submitted, "sign_off")
    assert forbidden.status_code == 403
    assert _status(app, submitted) == "submitted"


def test_recommend_sign_off_four_eyes_return_and_approve(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    senior = _client(app, sign_in, people["senior"])
    senior2 = _client(app, sign_in, people["senior2"])
    acknowledge_all(senior, submitted)  # Islington's unverified figures (issue 12)
    assert (
        _act(senior, submitted, "recommend", note="Policy compliant", accept_engine="yes")
    ).status_code == 302
    assert _status(app, submitted) == "recommended"

    own = _act(senior, submitted, "sign_off")
    assert own.status_code == 409
    assert "another senior officer must sign it off" in own.text

    no_comment = _act(senior2, submitted, "return")
    assert no_comment.status_code == 400
    assert _act(senior2, submitted, "return", comment="Check the placements").status_code == 302
    assert _status(app, submitted) == "under_review"

    officer = _client(app, sign_in, people["officer"])
    assert _act(officer, submitted, "recommend", accept_engine="yes").status_code == 302
    assert _act(senior2, submitted, "sign_off").status_code == 302
    assert _status(app, submitted) == "signed_off"
    # Signed off: the heads of terms lose their draft mark.
    final = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert 'class="app-obligation"' in final
    assert "app-draft-mark" not in final and "Not yet signed off" not in final
    assert _act(officer, submitted, "approve").status_code == 302
    assert _status(app, submitted) == "approved"
    html = officer.get(f"/officer/statements/{submitted.id}").text
    assert 'data-testid="verdicts-form"' not in html  # closed: read only
    recommend = next(e for e in _events(app, submitted) if e.action == "recommend")
    assert recommend.reason == "Policy compliant"
    assert recommend.details["version"] == 1


# --- heads of terms, audit, reproduce -----------------------------------------------------


def test_heads_of_terms_html_and_docx(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    rule = _rules(app, submitted)[0]
    client = _client(app, sign_in, people["officer"])
    client.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": "1",
            f"decision-{rule['id']}": "override",
            f"status-{rule['id']}": _override(rule),
            f"reason-{rule['id']}": "Agreed in lieu",
        },
    )
    with app.extensions["planning_sv.db"].session() as session:
        data = session.get(Statement, submitted.id).latest_version.assessment.data  # type: ignore[union-attr]
    offered = [c for c in data["commitments"] if c["quantity"]]
    assert len(offered) == 6  # the Islington example's c1..c6, so the counts below mean something

    html = client.get(f"/officer/statements/{submitted.id}/heads-of-terms")
    assert html.status_code == 200
    assert "css/print.css" in html.text
    assert html.text.count('class="app-obligation"') == len(offered)
    assert "(overridden)" in html.text
    assert "DRAFT – not signed off" in html.text  # not signed off yet

    download = client.get(f"/officer/statements/{submitted.id}/heads-of-terms.docx")
    assert download.status_code == 200
    assert download.mimetype.endswith("wordprocessingml.document")
    assert "attachment;" in download.headers["Content-Disposition"]
    document = Document(io.BytesIO(download.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Section 106 obligations" in text
    # The offered heads, then the council's monitoring fee as one more head (issue 13).
    assert text.count("Trigger and timing:") == len(offered) + 1
    rows = [[c.text for c in r.cells] for r in document.tables[0].rows]
    overridden = next(r for r in rows if r[0].startswith(rule["id"]))
    assert overridden[6].endswith("(overridden)")
    assert overridden[7] == "Agreed in lieu"


def test_audit_page_lists_transitions_and_verdicts(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    _act(client, submitted, "request_changes", message="More jobs")
    page = client.get(f"/officer/statements/{submitted.id}/audit")
    assert page.status_code == 200
    for action in ("create", "submit", "start_review", "request_changes"):
        assert f'data-action="{action}"' in page.text
    assert "More jobs" in page.text
    assert "under review → changes requested" in page.text


def test_reproduce_identical_and_changed(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    same = client.get(f"/officer/statements/{submitted.id}/reproduce")
    assert same.status_code == 200
    assert 'data-testid="reproduce-identical"' in same.text

    # Simulate an assessment stored under an older rule pack with another verdict.
    with app.extensions["planning_sv.db"].session() as session:
        version = session.get(Statement, submitted.id).latest_version  # type: ignore[union-attr]
        data = dict(version.assessment.data)  # type: ignore[union-attr]
        data["pack_version"] = "islington-2000.1"
        rules = [dict(r) for r in data["rules"]]
        rules[0]["status"] = "needs_evidence" if rules[0]["status"] != "needs_evidence" else "pass"
        data["rules"] = rules
        version.assessment.data = data  # type: ignore[union-attr]
    changed = client.get(f"/officer/statements/{submitted.id}/reproduce")
    assert 'data-testid="reproduce-changed"' in changed.text
    assert "islington-2000.1" in changed.text
    assert f"rule {rules[0]['id']}" in changed.text


def test_a_lost_race_at_commit_is_shown_as_a_conflict(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement, monkeypatch: Any
) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from planning_sv.store import review as review_repo

    def lose(*_args: Any, **_kwargs: Any) -> list[str]:
        raise StaleDataError("UPDATE statement on table 'review_states' expected 1 row")

    monkeypatch.setattr(review_repo, "save_verdicts", lose)
    rule = _rules(app, submitted)[0]
    client = _client(app, sign_in, people["officer"])
    response = client.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={"version": "1", "review_version": "1", f"decision-{rule['id']}": "agree"},
    )
    assert response.status_code == 409
    assert 'data-testid="conflict"' in response.text


def test_viewing_a_review_writes_nothing(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    assert client.get(f"/officer/statements/{submitted.id}").status_code == 200
    assert client.get(f"/officer/statements/{submitted.id}/heads-of-terms").status_code == 200
    assert client.get(f"/officer/statements/{submitted.id}/audit").status_code == 200
    with app.extensions["planning_sv.db"].session() as session:
        assert session.scalars(select(ReviewState)).all() == []
    assert _status(app, submitted) == "submitted"
