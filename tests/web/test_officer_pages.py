"""Issue 12, officer pages: labelled notes and messages, a review page to work through,
decisions shown only to who may take them, plain words and dates, unverified figures
acknowledged before recommending, and officers' ward corrections."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from planning_sv.core.figures import format_date
from planning_sv.store.models import AuditEvent, PublicLineRow, Statement, User
from planning_sv.store.monitoring import Obligation
from planning_sv.store.review import (
    ParameterAcknowledgement,
    ReviewNote,
    RuleVerdict,
    WardCorrectionRow,
)

Make = Callable[..., Any]
INTERNAL = "Internal note – not shown to the applicant"
TO_APPLICANT = "Message to the applicant"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "officer": make_user("officer", "islington"),
        "senior": make_user("senior_officer", "islington"),
        "senior2": make_user("senior_officer", "islington"),
        "salford_officer": make_user("officer", "salford"),
    }


@pytest.fixture
def submitted(make_statement: Make, people: dict[str, User]) -> Statement:
    return make_statement(people["owner"], "islington", actions=("submit",))


def _client(app: Flask, sign_in: Make, user: User) -> FlaskClient:
    return sign_in(app.test_client(), user)


def _review_version(client: FlaskClient, statement: Statement) -> str:
    for path in ("decision", ""):
        html = client.get(f"/officer/statements/{statement.id}/{path}".rstrip("/")).text
        found = re.search(r'name="review_version" value="(\d+)"', html)
        if found is not None:
            return found.group(1)
    raise AssertionError("no review_version on the officer's pages")


def _post(client: FlaskClient, statement: Statement, path: str, **fields: Any) -> TestResponse:
    data = {"review_version": _review_version(client, statement), **fields}
    return client.post(f"/officer/statements/{statement.id}/{path}", data=data)


def _events(app: Flask, statement: Statement) -> list[AuditEvent]:
    with app.extensions["planning_sv.db"].session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.statement_id == statement.id)
                .order_by(AuditEvent.id)
            )
        )


def _record(app: Flask, statement: Statement) -> dict[str, Any]:
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.latest_version is not None
        return row.latest_version.assessment.data  # type: ignore[union-attr]


def _status(app: Flask, statement: Statement) -> str:
    with app.extensions["planning_sv.db"].session() as session:
        return session.get(Statement, statement.id).status  # type: ignore[union-attr]


def _unverified(app: Flask, statement: Statement) -> list[str]:
    """The unverified parameter names the stored results used, once each, in rule order,
    then the site's designation the B4 rules read (the officer confirms the applicant's
    choice)."""
    names: list[str] = []
    record = _record(app, statement)
    for rule in record["rules"]:
        for p in rule["parameters"]:
            if p["confidence"] == "unverified" and p["name"] not in names:
                names.append(p["name"])
    if (record.get("designation") or {}).get("chosen"):
        names.append("site_designation")
    return names


def _acknowledge_all(app: Flask, client: FlaskClient, statement: Statement) -> None:
    names = _unverified(app, statement)
    assert names, "Islington's results rest on unverified figures"
    assert _post(client, statement, "acknowledgements", acknowledge=names).status_code == 302


def _recommend(app: Flask, client: FlaskClient, statement: Statement, **fields: str) -> None:
    _acknowledge_all(app, client, statement)
    assert _post(client, statement, "agree-remaining").status_code == 302
    done = _post(client, statement, "actions", action="recommend", **fields)
    assert done.status_code == 302, done.text[:3000]


def _text(html: str) -> str:
    """What a reader sees: tags, scripts and styles removed."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


# --- notes and messages -------------------------------------------------------------------


def test_internal_notes_and_messages_are_labelled_and_the_applicant_sees_only_theirs(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    rule = _record(app, submitted)["rules"][0]
    other = "pass" if rule["status"] != "pass" else "fail"
    saved = _post(
        officer,
        submitted,
        "verdicts",
        version="1",
        **{
            f"decision-{rule['id']}": "override",
            f"status-{rule['id']}": other,
            f"reason-{rule['id']}": "SECRET-OVERRIDE reason",
            f"comment-{rule['id']}": "SECRET-COMMENT",
        },
    )
    assert saved.status_code == 302
    note = officer.post(
        f"/officer/statements/{submitted.id}/notes", data={"note": "SECRET-NOTE for colleagues"}
    )
    assert note.status_code == 302
    asked = _post(
        officer, submitted, "actions", action="request_changes", message="Please add 10 placements"
    )
    assert asked.status_code == 302

    # Stored apart, each with its audience.
    with app.extensions["planning_sv.db"].session() as session:
        notes = {
            (n.kind, n.audience, n.body)
            for n in session.scalars(
                select(ReviewNote).where(ReviewNote.statement_id == submitted.id)
            )
        }
    assert notes == {
        ("note", "internal", "SECRET-NOTE for colleagues"),
        ("request_changes", "applicant", "Please add 10 placements"),
    }

    # The officer sees both, each labelled.
    page = officer.get(f"/officer/statements/{submitted.id}").text
    notes_html = page[page.index('id="notes"') :]
    internal = re.search(r'data-audience="internal"[^>]*>(.*?)</li>', notes_html, re.S)
    message = re.search(r'data-audience="applicant"[^>]*>(.*?)</li>', notes_html, re.S)
    assert internal is not None and INTERNAL in internal.group(1)
    assert "SECRET-NOTE for colleagues" in internal.group(1)
    assert message is not None and TO_APPLICANT in message.group(1)
    assert "Please add 10 placements" in message.group(1)
    assert f"{INTERNAL}</strong> Reason for overriding" in page

    # The applicant sees the message, labelled, and nothing internal.
    owner = _client(app, sign_in, people["owner"])
    mine = owner.get(f"/statements/{submitted.id}").text
    history = mine[mine.index('data-testid="history"') :]
    assert "The planning officer asked for changes" in history
    assert "Message from the planning officer" in history
    assert "Please add 10 placements" in history
    for secret in ("SECRET-OVERRIDE", "SECRET-COMMENT", "SECRET-NOTE", "Internal note"):
        assert secret not in mine
    assert "verdict" not in _text(history).lower()


def test_recommend_and_return_notes_stay_internal(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    _recommend(app, officer, submitted, note="SECRET-RECOMMEND note")
    senior = _client(app, sign_in, people["senior"])
    returned = _post(senior, submitted, "actions", action="return", comment="SECRET-RETURN")
    assert returned.status_code == 302
    owner = _client(app, sign_in, people["owner"])
    mine = owner.get(f"/statements/{submitted.id}").text
    assert "The planning officer sent a recommendation to a senior officer" in mine
    assert "The senior officer returned the statement to the planning officer" in mine
    assert "SECRET-RECOMMEND" not in mine and "SECRET-RETURN" not in mine
    with app.extensions["planning_sv.db"].session() as session:
        audiences = {
            n.kind: n.audience
            for n in session.scalars(
                select(ReviewNote).where(ReviewNote.statement_id == submitted.id)
            )
        }
    assert audiences == {"recommend": "internal", "return": "internal"}


def test_an_empty_internal_note_is_refused_naming_the_field(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    empty = officer.post(f"/officer/statements/{submitted.id}/notes", data={"note": "  "})
    assert empty.status_code == 400
    assert '<a href="#note">Enter the internal note</a>' in empty.text


# --- the review page ----------------------------------------------------------------------


def test_review_page_summary_has_counts_and_a_jump_link_to_every_rule(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    html = officer.get(f"/officer/statements/{submitted.id}").text
    rules = _record(app, submitted)["rules"]
    summary = html[html.index('data-testid="review-summary"') : html.index('id="rules"')]
    for rule in rules:
        assert f'href="#rule-{rule["id"]}"' in summary  # jump link in the summary
        assert f'id="rule-{rule["id"]}"' in html  # ... to the rule's section
    for status in ("pass", "partial", "fail", "not_applicable", "needs_evidence"):
        expected = sum(1 for r in rules if r["status"] == status)
        assert f'<span data-count="{status}">{expected}</span>' in summary
    assert f"0 of {len(rules)} rules reviewed." in summary
    # The decision is reachable from the top, not only after every rule's form.
    assert summary.index('data-testid="make-decision"') < html.index('id="rule-')
    assert f'href="/officer/statements/{submitted.id}/decision"' in summary
    shortfalls = [r for r in rules if r["shortfall"]]
    assert shortfalls, "the Islington example falls short on a rule"
    for rule in shortfalls:
        assert f'<a class="govuk-link" href="#rule-{rule["id"]}">{rule["title"]}</a>: short by' in (
            summary
        )


def test_agree_with_the_engine_records_exactly_the_unreviewed_rules(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    rules = _record(app, submitted)["rules"]
    first, second = rules[0], rules[1]
    other = "pass" if first["status"] != "pass" else "fail"
    saved = _post(
        officer,
        submitted,
        "verdicts",
        version="1",
        **{
            f"decision-{first['id']}": "override",
            f"status-{first['id']}": other,
            f"reason-{first['id']}": "Lease checked",
            f"decision-{second['id']}": "agree",
        },
    )
    assert saved.status_code == 302
    remaining = [r["id"] for r in rules[2:]]
    page = officer.get(f"/officer/statements/{submitted.id}").text
    assert f"Agree with the engine on the remaining {len(remaining)} rules" in page

    done = _post(officer, submitted, "agree-remaining")
    assert done.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        verdicts = {v.rule_id: v for v in session.scalars(select(RuleVerdict))}
    assert set(verdicts) == {r["id"] for r in rules}
    assert verdicts[first["id"]].officer_status == other  # the override stands
    assert verdicts[first["id"]].reason == "Lease checked"
    for rule in rules[1:]:
        assert verdicts[rule["id"]].officer_status == rule["status"]
    bulk = [
        e.details["rule_id"]
        for e in _events(app, submitted)
        if e.action == "verdict" and e.details.get("bulk") == "agree_remaining"
    ]
    assert bulk == remaining  # exactly the unreviewed rules, in rule order, each audited
    audit = officer.get(f"/officer/statements/{submitted.id}/audit").text
    assert audit.count('data-testid="audit-agree-remaining"') == len(remaining)

    again = _post(officer, submitted, "agree-remaining")
    assert again.status_code == 400
    assert "Every rule already has your verdict" in again.text


# --- who sees which decision --------------------------------------------------------------


def test_sign_off_is_hidden_from_the_recommender_and_still_refused_on_submit(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    senior = _client(app, sign_in, people["senior"])
    _recommend(app, senior, submitted, note="Compliant")
    assert _status(app, submitted) == "recommended"

    own = senior.get(f"/officer/statements/{submitted.id}/decision").text
    assert 'data-action="sign_off"' not in own
    assert 'data-action="return"' in own  # returning is still theirs to do
    assert "You recommended this statement, so another senior officer must sign it off" in own
    review = senior.get(f"/officer/statements/{submitted.id}").text
    assert 'data-action="sign_off"' not in review

    other = _client(app, sign_in, people["senior2"])
    assert (
        'data-action="sign_off"' in other.get(f"/officer/statements/{submitted.id}/decision").text
    )
    officer = _client(app, sign_in, people["officer"])
    decision = officer.get(f"/officer/statements/{submitted.id}/decision").text
    assert 'data-action="sign_off"' not in decision  # an officer's role cannot sign off
    assert "There is no decision for you to take on this statement now." in decision

    # The server still refuses a crafted request from the recommender.
    forced = _post(senior, submitted, "actions", action="sign_off")
    assert forced.status_code == 409
    assert "another senior officer must sign it off" in forced.text
    assert _status(app, submitted) == "recommended"
    assert _post(other, submitted, "actions", action="sign_off").status_code == 302
    assert _status(app, submitted) == "signed_off"


# --- unverified figures -------------------------------------------------------------------


def test_recommending_needs_every_unverified_figure_acknowledged_and_it_is_audited(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    names = _unverified(app, submitted)
    page = officer.get(f"/officer/statements/{submitted.id}").text
    for name in names:
        assert (
            f'value="{name}"' in page
            and f'data-testid="ack-status-{name}">Not acknowledged' in (page)
        )
    assert 'data-testid="unverified-flag"' in page

    refused = _post(officer, submitted, "actions", action="recommend", accept_engine="yes")
    assert refused.status_code == 400
    count = len(names)
    assert (
        f"Before you recommend, acknowledge the {count} unverified figures the results rely on "
        f"({', '.join(n if n != 'site_designation' else 'the site' + chr(39) + 's designation' for n in names)})"
    ) in html.unescape(refused.text)
    assert '<a href="#acknowledge">' in refused.text
    assert _status(app, submitted) == "submitted"

    unknown = _post(officer, submitted, "acknowledgements", acknowledge=["not_a_figure"])
    assert unknown.status_code == 400
    assert "not_a_figure is not an unverified figure here" in unknown.text
    nothing = _post(officer, submitted, "acknowledgements")
    assert nothing.status_code == 400
    assert "Tick the unverified figures you have checked" in nothing.text

    # Acknowledging some is not enough.
    assert _post(officer, submitted, "acknowledgements", acknowledge=names[:1]).status_code == 302
    partly = _post(officer, submitted, "actions", action="recommend", accept_engine="yes")
    assert partly.status_code == 400
    assert f"acknowledge the {count - 1} unverified figure" in partly.text

    assert _post(officer, submitted, "acknowledgements", acknowledge=names).status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        rows = session.scalars(select(ParameterAcknowledgement)).all()
        assert sorted(r.parameter for r in rows) == sorted(names)
        assert {r.officer_id for r in rows} == {people["officer"].id}
    acks = [e for e in _events(app, submitted) if e.action == "acknowledge_unverified"]
    assert [list(e.details["parameters"]) for e in acks] == [names[:1], names[1:]]
    page = officer.get(f"/officer/statements/{submitted.id}").text
    assert f'data-testid="ack-status-{names[0]}">Acknowledged by' in page

    done = _post(officer, submitted, "actions", action="recommend", accept_engine="yes")
    assert done.status_code == 302
    (recommend,) = [e for e in _events(app, submitted) if e.action == "recommend"]
    assert recommend.details["acknowledged_unverified"] == sorted(names)
    audit = officer.get(f"/officer/statements/{submitted.id}/audit").text
    assert audit.count('data-testid="audit-acknowledged"') == 2


# --- ward corrections ---------------------------------------------------------------------


WARD_FROM = "E05013712"  # c6 (volunteering) is placed by the statement in this ward
WARD_TO = "E05013706"


def test_a_ward_correction_is_audited_and_reaches_heads_of_terms_and_public_figures(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    record = _record(app, submitted)
    c6 = next(c for c in record["commitments"] if c["id"] == "c6")
    assert [w["code"] for w in c6["wards"]] == [WARD_FROM]
    officer = _client(app, sign_in, people["officer"])
    page = officer.get(f"/officer/statements/{submitted.id}").text
    found = re.search(rf'<option value="{WARD_TO}" >([^<]+)</option>', page)
    assert found is not None
    to_name = found.group(1)

    no_reason = _post(officer, submitted, "commitments/c6/ward", ward=WARD_TO, reason=" ")
    assert no_reason.status_code == 400
    assert '<a href="#reason">Enter the reason for correcting the ward</a>' in no_reason.text
    assert f'<option value="{WARD_TO}" selected>' in no_reason.text  # the choice is kept
    bad_ward = _post(officer, submitted, "commitments/c6/ward", ward="E09000019", reason="x")
    assert bad_ward.status_code == 400
    assert "Choose the ward from the list" in bad_ward.text
    assert (
        officer.post(f"/officer/statements/{submitted.id}/commitments/c99/ward").status_code == 404
    )

    done = _post(
        officer,
        submitted,
        "commitments/c6/ward",
        ward=WARD_TO,
        reason="The volunteering is run from the site's community room",
    )
    assert done.status_code == 302
    (event,) = [e for e in _events(app, submitted) if e.action == "ward_correction"]
    assert event.reason == "The volunteering is run from the site's community room"
    assert event.details["commitment_id"] == "c6"
    assert [w["code"] for w in event.details["from_wards"]] == [WARD_FROM]
    assert event.details["to_ward"] == {"code": WARD_TO, "name": to_name}
    with app.extensions["planning_sv.db"].session() as session:
        (row,) = session.scalars(select(WardCorrectionRow)).all()
        assert (row.commitment_id, row.ward_code, row.officer_id) == (
            "c6",
            WARD_TO,
            people["officer"].id,
        )
    # The stored record is untouched: the correction is applied when read.
    assert [w["code"] for w in _record(app, submitted)["commitments"][5]["wards"]] == [WARD_FROM]

    page = officer.get(f"/officer/statements/{submitted.id}").text
    cell = re.search(r'data-testid="wards-c6">(.*?)</td>', page, re.S)
    assert cell is not None and cell.group(1).strip().startswith(to_name)
    assert "Ward corrected" in cell.group(1)
    audit = officer.get(f"/officer/statements/{submitted.id}/audit").text
    assert "c6: " in audit and f"→ {to_name}</span>" in audit
    hot = officer.get(f"/officer/statements/{submitted.id}/heads-of-terms").text
    assert to_name in hot

    # Approved: the public figures place c6's value wholly in the corrected ward.
    _recommend(app, officer, submitted)
    senior = _client(app, sign_in, people["senior"])
    assert _post(senior, submitted, "actions", action="sign_off").status_code == 302
    assert _post(officer, submitted, "actions", action="approve").status_code == 302
    valued = next(c for c in record["social_value"]["commitments"] if c["id"] == "c6")
    with app.extensions["planning_sv.db"].session() as session:
        lines = session.scalars(
            select(PublicLineRow).where(
                PublicLineRow.statement_id == submitted.id, PublicLineRow.commitment_id == "c6"
            )
        ).all()
    assert [(line.ward_code, line.ward_share) for line in lines] == [(WARD_TO, 1.0)]
    assert lines[0].ward_gbp == pytest.approx(valued["gbp"])

    # The agreement secures c6 in the corrected ward, so its delivery is monitored there.
    page = officer.get(f"/monitoring/statements/{submitted.id}/agreement")
    assert page.status_code == 200
    heads = sorted(set(re.findall(r'name="secure-(\d+)"', page.text)), key=int)
    form = {"reference": "P2026/0001/S106", "signed_on": "2026-01-15", "fee": "1"}
    form.update({f"secure-{n}": "1" for n in heads})
    done = officer.post(f"/monitoring/statements/{submitted.id}/agreement", data=form)
    assert done.status_code == 302, done.text[:500]
    with app.extensions["planning_sv.db"].session() as session:
        obligation = session.scalars(
            select(Obligation).where(
                Obligation.statement_id == submitted.id, Obligation.commitment_id == "c6"
            )
        ).one()
        assert [w["code"] for w in obligation.wards] == [WARD_TO]


# --- words and dates ----------------------------------------------------------------------


def test_messages_are_plain_sentences(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    rule = _record(app, submitted)["rules"][0]
    bad = _post(
        officer,
        submitted,
        "verdicts",
        version="1",
        **{f"decision-{rule['id']}": "override", f"reason-{rule['id']}": "x"},
    )
    assert bad.status_code == 400
    assert (
        "Choose whether the rule is met, partly met, not met, not applicable or needs evidence"
        in bad.text
    )
    assert "not_applicable, needs_evidence" not in bad.text
    approve = _post(officer, submitted, "actions", action="approve")
    assert approve.status_code == 409
    assert "You cannot record approval while the statement is submitted" in approve.text


def test_officer_pages_print_dates_in_words(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    with app.extensions["planning_sv.db"].session() as session:
        version = session.get(Statement, submitted.id).latest_version  # type: ignore[union-attr]
        submitted_at = version.submitted_at  # type: ignore[union-attr]
    review = officer.get(f"/officer/statements/{submitted.id}").text
    assert f'data-testid="submitted-on">{format_date(submitted_at, time=True)}</dd>' in review
    queue = officer.get("/officer/").text
    assert format_date(submitted_at) in queue
    for path in ("", "/decision", "/audit", "/reproduce"):
        page = officer.get(f"/officer/statements/{submitted.id}{path}")
        assert page.status_code == 200
        assert ISO_DATE.findall(_text(page.text)) == [], path
    assert ISO_DATE.findall(_text(queue)) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 11, 29), "29 November 2026"),
        (dt.date(2026, 3, 1), "1 March 2026"),
        ("2026-01-05", "5 January 2026"),
        (dt.datetime(2026, 11, 29, 14, 5), "29 November 2026"),
        (None, "—"),
        ("not a date", "not a date"),
    ],
)
def test_format_date(value: Any, expected: str) -> None:
    assert format_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 11, 29, 14, 5), "29 November 2026 at 2:05pm"),
        (dt.datetime(2026, 11, 29, 9, 30), "29 November 2026 at 9:30am"),
        (dt.datetime(2026, 11, 29, 12, 0), "29 November 2026 at midday"),
        (dt.datetime(2026, 11, 29, 0, 0), "29 November 2026 at midnight"),
        (dt.date(2026, 11, 29), "29 November 2026"),
    ],
)
def test_format_date_with_time(value: Any, expected: str) -> None:
    assert format_date(value, time=True) == expected


def test_a_bad_date_filter_is_an_error_naming_the_field(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    officer = _client(app, sign_in, people["officer"])
    bad = officer.get("/officer/?from=2026-13-45")
    assert bad.status_code == 400
    assert (
        '<a href="#from">Submitted from must be a real date, for example 31 3 2026</a>' in bad.text
    )
    assert 'value="2026-13-45"' in bad.text  # what was typed stays in the box
    assert "govuk-input--error" in bad.text
    reversed_range = officer.get("/officer/?from=2026-03-31&to=2026-03-01")
    assert reversed_range.status_code == 400
    assert "Submitted to must be the same as or after 31 March 2026" in reversed_range.text
    # Dates as people type them are understood.
    with app.extensions["planning_sv.db"].session() as session:
        day = session.get(Statement, submitted.id).submitted_at.date()  # type: ignore[union-attr]
    for typed in (day.isoformat(), f"{day.day}/{day.month}/{day.year}", format_date(day)):
        found = officer.get("/officer/", query_string={"from": typed, "to": typed})
        assert found.status_code == 200, typed
        assert f'data-statement-id="{submitted.id}"' in found.text
    later = day + dt.timedelta(days=1)
    none = officer.get("/officer/", query_string={"from": later.isoformat()})
    assert f'data-statement-id="{submitted.id}"' not in none.text


def test_iso_dates_in_stored_text_are_written_out() -> None:
    from planning_sv.core.figures import dates_in_words

    assert (
        dates_in_words("param x = 1 (from 2025-04-30, unverified); until 2026-02-30")
        == "param x = 1 (from 30 April 2025, unverified); until 2026-02-30"
    )
    assert dates_in_words(None) == ""


# --- every database lane ------------------------------------------------------------------


def test_review_notes_acknowledgements_and_corrections_on_each_lane(db_app: Flask) -> None:
    """The new tables and their writes on SQLite and PostgreSQL, through to approval."""
    import copy
    import json

    from planning_sv import config
    from planning_sv.store import statements as repo
    from planning_sv.store.review import applicant_history
    from planning_sv.store.users import create_user

    password = "correct-horse-battery-lanes-12"
    example = json.loads(
        (config.PROJECT_ROOT / "tests/fixtures/islington_mixed_use.json").read_text("utf-8")
    )
    db = db_app.extensions["planning_sv.db"]
    with db.session() as session:
        owner = create_user(session, "owner@l12.example", password, "applicant", None)
        create_user(session, "officer@l12.example", password, "officer", "islington")
        create_user(session, "senior@l12.example", password, "senior_officer", "islington")
        statement = repo.create_statement(session, owner, "islington", copy.deepcopy(example))
        repo.submit(session, statement, owner)
        sid = statement.id

    def client(email: str) -> FlaskClient:
        c = db_app.test_client()
        assert c.post("/sign-in", data={"email": email, "password": password}).status_code == 302
        return c

    officer, senior = client("officer@l12.example"), client("senior@l12.example")
    row = Statement(id=sid)  # only its id is used by the helpers below
    assert (
        officer.post(f"/officer/statements/{sid}/notes", data={"note": "SECRET"}).status_code == 302
    )
    corrected = _post(officer, row, "commitments/c6/ward", ward=WARD_TO, reason="Run on site")
    assert corrected.status_code == 302
    _recommend(db_app, officer, row)
    assert _post(senior, row, "actions", action="sign_off").status_code == 302
    assert _post(officer, row, "actions", action="approve").status_code == 302
    with db.session() as session:
        (fix,) = session.scalars(select(WardCorrectionRow)).all()
        assert [w["code"] for w in fix.from_wards] == [WARD_FROM]
        lines = session.scalars(
            select(PublicLineRow.ward_code).where(PublicLineRow.commitment_id == "c6")
        ).all()
        assert lines == [WARD_TO]
        history = applicant_history(session, session.get(Statement, sid))  # type: ignore[arg-type]
        assert [h.title for h in history] == [
            "The council approved the statement",
            "A senior officer signed off the recommendation",
            "The planning officer sent a recommendation to a senior officer",
            "A planning officer started reviewing your statement",
            "You submitted version 1",
            "You started the statement",
        ]
        assert all(h.message is None for h in history)
