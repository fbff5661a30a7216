"""Officer case management (issue 15): assignment (audited, emailed, reassigned), target
dates (from the validation date, the fallback, adjustment with a reason, overdue from the
day after), the queue sorted by target date in keyset pages with a fixed number of queries,
search by each field, and the senior officers' team view with hand-worked counts."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from planning_sv.store import statements as repo
from planning_sv.store.models import AuditEvent, Statement, User
from tests.conftest import load_example, make_app
from tests.mail_server import MailServer, body, smtp_server  # noqa: F401

BASE = "https://sv.example.gov.uk"
PASSWORD = "correct-horse-battery-cases"
RING = [
    [-0.118, 51.5525],
    [-0.116, 51.5525],
    [-0.116, 51.5535],
    [-0.118, 51.5535],
    [-0.118, 51.5525],
]


@pytest.fixture
def mail_app(sqlite_url: str, instance_dir: Path, smtp_server: MailServer) -> Iterator[Flask]:  # noqa: F811
    application = make_app(sqlite_url, MAIL_URL=smtp_server.url, PUBLIC_BASE_URL=BASE)
    yield application
    application.extensions["planning_sv.db"].dispose()


class Team:
    """An Islington team: an applicant, officers Ann and Bob, senior officer Sue."""

    def __init__(self, app: Flask) -> None:
        from planning_sv.store.users import create_user

        self.app = app
        with self.session() as session:
            self.applicant = create_user(
                session, "dev@firm.example", PASSWORD, "applicant", None, name="Dee Developer"
            )
            self.ann = create_user(
                session, "ann@islington.example", PASSWORD, "officer", "islington", name="Ann"
            )
            self.bob = create_user(
                session, "bob@islington.example", PASSWORD, "officer", "islington", name="Bob"
            )
            self.sue = create_user(
                session,
                "sue@islington.example",
                PASSWORD,
                "senior_officer",
                "islington",
                name="Sue",
            )

    def session(self) -> Any:
        return self.app.extensions["planning_sv.db"].session()

    def client(self, user: User) -> FlaskClient:
        client = self.app.test_client()
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return client

    def statement(
        self,
        *,
        reference: str | None = "P2026/0001/FUL",
        validation: str | None = None,
        address: str = "Holloway Road (example site)",
        postcode: str | None = None,
        owner: User | None = None,
        submit: bool = True,
    ) -> int:
        data = copy.deepcopy(load_example("islington"))
        data.pop("application_reference", None)
        if reference:
            data["application_reference"] = reference
        if validation:
            data["validation_date"] = validation
        data["site"]["address"] = address
        if postcode:
            data["site"]["postcode"] = postcode
        with self.session() as session:
            person = session.get(User, (owner or self.applicant).id)
            statement = repo.create_statement(session, person, "islington", data)
            if submit:
                repo.submit(session, statement, person)
            session.commit()
            return statement.id

    def row(self, statement_id: int) -> Statement:
        with self.session() as session:
            found = session.get(Statement, statement_id)
            assert found is not None
            session.expunge(found)
            return found

    def events(self, statement_id: int, *actions: str) -> list[AuditEvent]:
        with self.session() as session:
            rows = session.scalars(
                select(AuditEvent)
                .where(AuditEvent.statement_id == statement_id, AuditEvent.action.in_(actions))
                .order_by(AuditEvent.id)
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)


@pytest.fixture
def team(mail_app: Flask) -> Team:
    return Team(mail_app)


def _today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    from planning_sv.web import cases

    monkeypatch.setattr(cases, "today", lambda: day)


def _errors(text: str) -> list[str]:
    found = re.search(r"govuk-error-summary__list\">(.*?)</ul>", text, re.S)
    return re.findall(r">([^<]+)</a>", found.group(1)) if found else []


# --- assignment --------------------------------------------------------------------------


def test_a_senior_officer_assigns_and_reassigns_audited_and_emailed(
    team: Team,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    statement_id = team.statement(validation="2026-03-02")
    sue = team.client(team.sue)
    smtp_server.clear()

    response = sue.post(
        f"/officer/statements/{statement_id}/case/assign",
        data={"officer": str(team.ann.id), "reason": "Ann knows the site"},
    )
    assert response.status_code == 302
    assert team.row(statement_id).assigned_officer_id == team.ann.id
    [first] = team.events(statement_id, "assign")
    assert (first.actor_id, first.details) == (team.sue.id, {"from": None, "to": team.ann.id})
    assert first.reason == "Ann knows the site"
    [mail] = smtp_server.messages
    assert str(mail["To"]) == "ann@islington.example"
    assert str(mail["Subject"]).strip() == "Assigned to you: P2026/0001/FUL"
    text = body(mail)
    assert "Sue assigned the social value statement for P2026/0001/FUL to you." in text
    # 2 March 2026 + 91 days (Islington's 13 weeks) = 1 June 2026.
    assert "The target date for a decision is 1 June 2026." in text
    assert "Ann knows the site" in text
    assert f"Open the statement: {BASE}/officer/statements/{statement_id}\n" in text

    smtp_server.clear()
    sue.post(f"/officer/statements/{statement_id}/case/assign", data={"officer": str(team.bob.id)})
    assert team.row(statement_id).assigned_officer_id == team.bob.id
    second = team.events(statement_id, "assign")[-1]
    assert second.details == {"from": team.ann.id, "to": team.bob.id}
    assert [str(m["To"]) for m in smtp_server.messages] == ["bob@islington.example"]

    # Saving the same officer again changes nothing and sends nothing.
    smtp_server.clear()
    sue.post(f"/officer/statements/{statement_id}/case/assign", data={"officer": str(team.bob.id)})
    assert len(team.events(statement_id, "assign")) == 2
    assert smtp_server.messages == []

    page = html.unescape(sue.get(f"/officer/statements/{statement_id}/case").text)
    assert 'data-testid="case-holder">Bob<' in page
    assert "Officer Ann → Bob" in page and "Officer nobody → Ann" in page


def test_an_officer_takes_an_unassigned_case_and_hands_it_back_but_cannot_give_it_away(
    team: Team,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    statement_id = team.statement()
    ann = team.client(team.ann)
    url = f"/officer/statements/{statement_id}/case/assign"
    assert ann.post(url, data={"officer": str(team.bob.id)}).status_code == 403
    assert team.row(statement_id).assigned_officer_id is None
    smtp_server.clear()
    assert ann.post(url, data={"officer": "me"}).status_code == 302
    assert team.row(statement_id).assigned_officer_id == team.ann.id
    assert smtp_server.messages == []  # nobody is emailed about taking a case oneself
    bob = team.client(team.bob)
    assert bob.post(url, data={"officer": "me"}).status_code == 403  # Ann holds it
    assert ann.post(url, data={"officer": ""}).status_code == 302
    assert team.row(statement_id).assigned_officer_id is None
    assert [e.action for e in team.events(statement_id, "assign", "unassign")] == [
        "assign",
        "unassign",
    ]


def test_assigning_to_someone_outside_the_council_is_refused_naming_the_field(
    team: Team,
) -> None:
    from planning_sv.store.users import create_user

    with team.session() as session:
        salford = create_user(session, "sal@salford.example", PASSWORD, "officer", "salford")
    statement_id = team.statement()
    sue = team.client(team.sue)
    url = f"/officer/statements/{statement_id}/case/assign"
    for value in (str(salford.id), str(team.applicant.id), "abc", "999999"):
        response = sue.post(url, data={"officer": value})
        assert response.status_code == 400, value
        assert _errors(response.text) in (
            ["Choose an officer of this council"],
            ["Choose an officer of this council from the list"],
        )
    assert team.row(statement_id).assigned_officer_id is None


def test_resubmission_emails_go_to_the_assigned_officer_only(
    team: Team,
    smtp_server: MailServer,  # noqa: F811
) -> None:
    statement_id = team.statement()
    with team.session() as session:
        statement = session.get(Statement, statement_id)
        sue = session.get(User, team.sue.id)
        assert statement is not None and sue is not None
        from planning_sv.store import cases

        cases.assign(session, statement, session.get(User, team.bob.id), sue)
        repo.apply_transition(session, statement, "start_review", sue)
        repo.apply_transition(session, statement, "request_changes", sue, "more placements")
        session.commit()
    smtp_server.clear()
    applicant = team.client(team.applicant)
    response = applicant.post(f"/statements/{statement_id}/submit", data={"declaration": "y"})
    assert response.status_code == 302, response.text[:300]
    assert smtp_server.subjects() == [
        ("bob@islington.example", "Social value statement resubmitted: P2026/0001/FUL")
    ]


# --- target dates ------------------------------------------------------------------------


def test_the_target_date_runs_from_the_validation_date(team: Team) -> None:
    statement_id = team.statement(validation="2026-03-02")
    row = team.row(statement_id)
    assert (row.target_date, row.target_adjusted) == (dt.date(2026, 6, 1), False)
    page = html.unescape(team.client(team.ann).get(f"/officer/statements/{statement_id}/case").text)
    assert "The application's validation date, 2 March 2026, plus 91 days." in page
    assert "article 34(2)(b)" in page


def test_without_a_validation_date_it_runs_from_the_first_submission(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.store import statements as statements_module

    monkeypatch.setattr(
        statements_module, "utcnow", lambda: dt.datetime(2026, 4, 10, 15, 0, tzinfo=dt.UTC)
    )
    statement_id = team.statement()
    # 10 April 2026 + 91 days: 20 (April) + 31 (May) + 30 (June) + 10 = 10 July 2026.
    assert team.row(statement_id).target_date == dt.date(2026, 7, 10)
    page = html.unescape(team.client(team.ann).get(f"/officer/statements/{statement_id}/case").text)
    assert "first submitted, 10 April 2026, plus 91 days" in page


def test_an_officer_moves_the_target_date_with_a_reason_and_it_stays(team: Team) -> None:
    statement_id = team.statement(validation="2026-03-02")
    ann = team.client(team.ann)
    url = f"/officer/statements/{statement_id}/case/target"

    missing = ann.post(url, data={"target_date": "15 6 2026", "target_reason": ""})
    assert missing.status_code == 400
    assert _errors(missing.text) == ["Enter why the target date is changing"]
    assert 'value="15 6 2026"' in missing.text  # what was typed is kept
    bad = ann.post(url, data={"target_date": "31 2 2026", "target_reason": "agreed"})
    assert _errors(bad.text) == ["The target date must be a real date, for example 31 3 2027"]
    assert team.row(statement_id).target_date == dt.date(2026, 6, 1)  # unchanged
    assert team.events(statement_id, "target_date") == []

    moved = ann.post(
        url, data={"target_date": "15 6 2026", "target_reason": "Extension of time agreed"}
    )
    assert moved.status_code == 302
    row = team.row(statement_id)
    assert (row.target_date, row.target_adjusted) == (dt.date(2026, 6, 15), True)
    [event_row] = team.events(statement_id, "target_date")
    assert event_row.actor_id == team.ann.id
    assert event_row.reason == "Extension of time agreed"
    assert event_row.details == {"from": "2026-06-01", "to": "2026-06-15"}

    # A resubmission recomputes nothing once an officer has set the date.
    with team.session() as session:
        statement = session.get(Statement, statement_id)
        sue = session.get(User, team.sue.id)
        applicant = session.get(User, team.applicant.id)
        assert statement is not None and sue is not None and applicant is not None
        repo.apply_transition(session, statement, "start_review", sue)
        repo.apply_transition(session, statement, "request_changes", sue, "more placements")
        statement.draft = {**statement.draft, "validation_date": "2026-03-09"}
        repo.submit(session, statement, applicant)
        session.commit()
    assert team.row(statement_id).target_date == dt.date(2026, 6, 15)


def test_a_resubmission_with_a_new_validation_date_moves_an_unadjusted_target(team: Team) -> None:
    statement_id = team.statement(validation="2026-03-02")
    with team.session() as session:
        statement = session.get(Statement, statement_id)
        sue = session.get(User, team.sue.id)
        applicant = session.get(User, team.applicant.id)
        assert statement is not None and sue is not None and applicant is not None
        repo.apply_transition(session, statement, "start_review", sue)
        repo.apply_transition(session, statement, "request_changes", sue, "the validation date")
        statement.draft = {**statement.draft, "validation_date": "2026-03-09"}
        repo.submit(session, statement, applicant)
        session.commit()
    assert team.row(statement_id).target_date == dt.date(2026, 6, 8)  # 9 March + 91 days


def test_overdue_from_the_day_after_the_target_date(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement_id = team.statement(validation="2026-03-02")  # target 1 June 2026
    ann = team.client(team.ann)
    _today(monkeypatch, dt.date(2026, 6, 1))
    on_the_day = ann.get("/officer/")
    assert "data-overdue" not in on_the_day.text
    case_page = html.unescape(ann.get(f"/officer/statements/{statement_id}/case").text)
    assert "(0 days left)" in case_page and "case-overdue" not in case_page
    assert _ids(ann.get("/officer/?overdue=1").text) == []

    _today(monkeypatch, dt.date(2026, 6, 2))
    after = ann.get("/officer/")
    assert re.search(
        rf'data-statement-id="{statement_id}".*?data-overdue>Overdue<', after.text, re.S
    )
    case_page = html.unescape(ann.get(f"/officer/statements/{statement_id}/case").text)
    assert "Overdue by 1 day<" in case_page
    assert _ids(ann.get("/officer/?overdue=1").text) == [statement_id]


# --- the queue: sort, pages, queries, search ---------------------------------------------


def _ids(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-statement-id="(\d+)"', text)]


def _link(text: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', text)
    return found.group(1).replace("&amp;", "&") if found else None


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    sent: list[str] = []
    engine = app.extensions["planning_sv.db"].engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


# The queue page: the signed-in user, the status counts, the rows with their owners and
# officers, their site wards, the ward list; a search adds the total, and a search of
# several words the ranking of its words (store/queue.py, store/cases.py).
QUEUE_QUERIES = 5
QUEUE_SEARCH_QUERIES = 6
QUEUE_SEARCH_WORDS_QUERIES = 7


def test_the_queue_sorts_by_target_date_in_keyset_pages_with_fixed_queries(
    db_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    local = Team(db_app)
    # Validation dates out of order; targets are each + 91 days.
    days = ["2026-03-05", "2026-03-01", "2026-03-04", "2026-03-02", "2026-03-03"]
    ids = [local.statement(reference=f"P2026/000{n}/FUL", validation=d) for n, d in enumerate(days)]
    by_target = [ids[1], ids[3], ids[4], ids[2], ids[0]]  # 1, 2, 3, 4, 5 March
    monkeypatch.setattr(officer, "PER_PAGE", 2)
    ann = local.client(local.ann)
    ann.get("/officer/")  # warm the connection

    seen: list[int] = []
    counts: list[int] = []
    url: str | None = "/officer/?sort=target"
    while url:
        with counting(db_app) as sent:
            page = ann.get(url)
        assert page.status_code == 200
        counts.append(len(sent))
        seen += _ids(page.text)
        url = _link(page.text, "next")
    assert seen == by_target  # soonest first by default, no row skipped or repeated
    assert counts == [QUEUE_QUERIES] * 3  # pages of 2, 2 and 1: the same queries each

    # Latest first on request; back from the last page with Previous.
    latest = ann.get("/officer/?sort=target&order=desc")
    assert _ids(latest.text) == list(reversed(by_target))[:2]
    last = ann.get(_link(ann.get(_link(latest.text, "next") or "").text, "next") or "")
    assert _ids(last.text) == [by_target[0]]
    previous = ann.get(_link(last.text, "prev") or "")
    assert _ids(previous.text) == [by_target[2], by_target[1]]

    # A search costs one query more (its total), whatever the page size.
    monkeypatch.setattr(officer, "PER_PAGE", 100)
    with counting(db_app) as sent:
        found = ann.get("/officer/?q=p2026&sort=target")
    assert sorted(_ids(found.text)) == sorted(ids)
    assert len(sent) == QUEUE_SEARCH_QUERIES
    with counting(db_app) as sent:
        found = ann.get("/officer/?q=P2026/0003/FUL&sort=target")
    assert _ids(found.text) == [ids[3]]
    assert len(sent) == QUEUE_SEARCH_WORDS_QUERIES


def test_search_finds_each_field(team: Team) -> None:
    from planning_sv.store import collaboration
    from planning_sv.store.users import create_user

    with team.session() as session:
        member = create_user(session, "mo@holloway-dev.example", PASSWORD, "applicant", None)
        collaboration.create_organisation(session, member, "Holloway Developments Ltd")
        session.commit()
    by_reference = team.statement(reference="P2026/0042/FUL")
    by_address = team.statement(reference="P2026/0043/FUL", address="12 Upper Street, London")
    by_postcode = team.statement(reference="P2026/0044/FUL", postcode="N7 9SL")
    by_organisation = team.statement(reference="P2026/0045/FUL", owner=member)
    ann = team.client(team.ann)

    def search(query: str) -> list[int]:
        response = ann.get("/officer/", query_string={"q": query})
        assert response.status_code == 200
        return sorted(_ids(response.text))

    assert search("P2026/0042") == [by_reference]  # reference, as typed
    assert search("p20260042ful") == [by_reference]  # reference run together
    assert search("upper street") == [by_address]  # address words, any case
    assert search("N7 9SL") == [by_postcode]  # postcode with its space
    assert search("n79sl") == [by_postcode]  # and without
    assert search("Holloway Developments") == [by_organisation]  # organisation name
    assert search("holl developm") == [by_organisation]  # prefixes of its words
    assert search("dee developer") == sorted([by_reference, by_address, by_postcode])  # name
    assert search("p2026") == sorted([by_reference, by_address, by_postcode, by_organisation])
    assert search("nowhere") == []
    page = ann.get("/officer/?q=upper")
    assert 'data-testid="queue-total">1 statement<' in page.text
    assert 'value="upper"' in page.text  # the search is kept in the box


def test_a_draft_is_never_searchable(team: Team) -> None:
    team.statement(reference="P2026/0099/FUL", submit=False)
    ann = team.client(team.ann)
    assert _ids(ann.get("/officer/?q=P2026/0099").text) == []


def test_bad_queue_filters_are_named(team: Team) -> None:
    ann = team.client(team.ann)
    response = ann.get("/officer/?assigned=x&overdue=yes")
    assert response.status_code == 400
    assert _errors(response.text) == [
        "Choose who holds the case from the list",
        "Tick overdue or leave it empty",
    ]


def test_my_cases_and_unassigned_filters(team: Team) -> None:
    mine = team.statement(reference="P2026/0001/FUL")
    nobody = team.statement(reference="P2026/0002/FUL")
    team.client(team.ann).post(f"/officer/statements/{mine}/case/assign", data={"officer": "me"})
    ann = team.client(team.ann)
    assert _ids(ann.get("/officer/?assigned=me").text) == [mine]
    assert _ids(ann.get("/officer/?assigned=none").text) == [nobody]
    assert _ids(ann.get(f"/officer/?assigned={team.ann.id}").text) == [mine]
    listed = html.unescape(ann.get("/officer/").text)
    assert re.search(rf'data-statement-id="{mine}".*?data-officer>Ann<', listed, re.S)


# --- the team view -----------------------------------------------------------------------


def test_the_team_view_counts_who_holds_what(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    from planning_sv.store import cases

    _today(monkeypatch, dt.date(2026, 6, 10))
    # Targets (validation + 91 days): 1 March -> 31 May (overdue on 10 June), 12 March ->
    # 11 June (due this week), 1 April -> 1 July (neither).
    a1 = team.statement(validation="2026-03-01")  # Ann, overdue
    a2 = team.statement(validation="2026-04-01")  # Ann
    b1 = team.statement(validation="2026-03-12")  # Bob, due this week
    u1 = team.statement(validation="2026-03-01")  # nobody, overdue
    team.statement(validation="2026-04-01")  # nobody
    gone = team.statement(validation="2026-03-01")  # Ann, but withdrawn: not counted
    team.statement(submit=False)  # a draft: not a case
    with team.session() as session:
        sue = session.get(User, team.sue.id)
        ann = session.get(User, team.ann.id)
        bob = session.get(User, team.bob.id)
        applicant = session.get(User, team.applicant.id)
        for statement_id, holder in ((a1, ann), (a2, ann), (b1, bob), (gone, ann)):
            row = session.get(Statement, statement_id)
            assert row is not None and sue is not None
            cases.assign(session, row, holder, sue)
        withdrawn = session.get(Statement, gone)
        assert withdrawn is not None and applicant is not None
        repo.apply_transition(session, withdrawn, "withdraw", applicant, "not going ahead")
        session.commit()
    assert u1  # unassigned, overdue

    page = team.client(team.sue).get("/officer/team")
    assert page.status_code == 200

    def cells(officer: str) -> tuple[str, str, str]:
        row = re.search(rf'data-officer-id="{officer}">(.*?)</tr>', page.text, re.S)
        assert row is not None, officer
        values = [
            re.sub(r"<[^>]+>", "", re.search(rf"data-{k}>(.*?)</td>", row.group(1), re.S).group(1))  # type: ignore[union-attr]
            for k in ("held", "overdue", "soon")
        ]
        return values[0].strip(), values[1].strip(), values[2].strip()

    assert cells(str(team.ann.id)) == ("2", "1", "0")
    assert cells(str(team.bob.id)) == ("1", "0", "1")
    assert cells(str(team.sue.id)) == ("0", "0", "0")
    assert cells("none") == ("2", "1", "0")
    assert 'data-testid="team-total">5 open cases in all.' in page.text
    link = f'href="/officer/?assigned={team.ann.id}&amp;overdue=1&amp;sort=target&amp;order=asc"'
    assert link in page.text

    assert team.client(team.ann).get("/officer/team").status_code == 403


# --- migration 0014 and the bulk rebuild -------------------------------------------------


def test_the_migration_and_the_rebuild_fill_target_dates_and_search_terms(
    db_app: Flask, db_url: str
) -> None:
    from alembic import command
    from sqlalchemy import delete, update

    from planning_sv.store.cases import SearchTerm, rebuild
    from planning_sv.store.migrate import alembic_config, upgrade

    local = Team(db_app)
    validated = local.statement(reference="P2026/0001/FUL", validation="2026-03-02")
    fallback = local.statement(reference="P2026/0002/FUL", postcode="N7 9SL")
    draft = local.statement(reference="P2026/0003/FUL", submit=False)

    def snapshot() -> dict[int, tuple[Any, ...]]:
        with local.session() as session:
            terms: dict[int, list[str]] = {}
            for sid, term in session.execute(
                select(SearchTerm.statement_id, SearchTerm.term).order_by(
                    SearchTerm.statement_id, SearchTerm.term
                )
            ):
                terms.setdefault(sid, []).append(term)
            return {
                s.id: (s.target_date, s.assigned_officer_id, terms.get(s.id, []), s.updated_at)
                for s in session.scalars(select(Statement).order_by(Statement.id))
            }

    written = snapshot()
    first = local.row(fallback).submitted_at
    assert first is not None
    assert written[validated][0] == dt.date(2026, 6, 1)
    assert written[fallback][0] == first.date() + dt.timedelta(days=91)
    assert written[draft][0] is None and written[draft][2] == []  # a draft is no case
    assert {"p2026", "0002", "ful", "p20260002ful", "n79sl", "dee", "developer"} <= set(
        written[fallback][2]
    )

    db_app.extensions["planning_sv.db"].dispose()
    command.downgrade(alembic_config(db_url), "0013_figures_version")
    upgrade(db_url)
    assert snapshot() == written  # the backfill computes what `submit` wrote

    with local.session() as session:
        session.execute(delete(SearchTerm))
        table = Statement.__table__
        session.execute(update(table).values(target_date=None, updated_at=table.c.updated_at))
        assert rebuild(session, batch=1) == 2  # the two submitted statements, one per batch
        session.commit()
    assert snapshot() == written


def test_the_review_page_shows_the_case_and_links_to_it(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement_id = team.statement(validation="2026-03-02")  # target 1 June 2026
    _today(monkeypatch, dt.date(2026, 6, 3))
    ann = team.client(team.ann)
    ann.post(f"/officer/statements/{statement_id}/case/assign", data={"officer": "me"})
    page = html.unescape(ann.get(f"/officer/statements/{statement_id}").text)
    line = re.search(r'data-testid="case-summary-line">(.*?)</p>', page, re.S)
    assert line is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", line.group(1)).split())
    assert text == (
        "Officer: Ann · Target date: 1 June 2026 Overdue by 2 days · Case: officer and target date"
    )
    assert f'href="/officer/statements/{statement_id}/case"' in line.group(1)
