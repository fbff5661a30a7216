"""The officer queue's narrow indexes (migration 0016_queue_scale), on every database lane:
the overdue filter reads `open_target_date` (kept with every status and target change,
rebuilt and backfilled to the same values), the ward filter walks its site-ward rows by
their copy of `submitted_at`, a search that looks like an application reference is one
prefix lookup; each with hand-worked rows and a fixed number of queries per page."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from planning_sv.core import cases as core
from planning_sv.store import cases
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement, StatementSiteWard, User
from planning_sv.store.users import create_token, create_user
from tests.web.test_queue import (
    EXAMPLE,
    HIGHBURY,
    HOLLOWAY,
    QUEUE_FILTERED_QUERIES,
    SITES,
    Lane,
    _ids,
    _link,
    counting,
)

# A search of several words: the filtered page's queries and the probe ranking the words.
QUEUE_SEARCH_WORDS_QUERIES = QUEUE_FILTERED_QUERIES + 1
TODAY = dt.date(2026, 7, 1)
PASSWORD = "correct-horse-battery-queue"  # tests/web/test_queue.py Lane.officer signs in with it


@pytest.fixture
def lane(db_app: Flask) -> Lane:
    """An applicant and an Islington officer (as tests/web/test_queue.py's fixture)."""
    with db_app.extensions["planning_sv.db"].session() as session:
        owner = create_user(session, "owner@queue.example", PASSWORD, "applicant", None)
        officer = create_user(session, "officer@queue.example", PASSWORD, "officer", "islington")
        token = create_token(session, officer)[1]
        return Lane(db_app, owner.id, officer.id, token)


def _make(
    lane: Lane,
    *,
    validation: str,
    reference: str | None = "REF",
    site: str = "holloway",
    council: str = "islington",
    actions: tuple[str, ...] = ("submit",),
) -> int:
    """As Lane.make, with a validation date (Islington's target: that date + 91 days)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    if council == "salford":
        data = json.loads((EXAMPLE.parent / "salford_residential.json").read_text("utf-8"))
    else:
        data["site"] = {
            "address": site,
            "designation": data["site"]["designation"],
            "geometry": SITES[site],
        }
    data.pop("application_reference", None)
    if reference is not None:
        data["application_reference"] = reference
    data["validation_date"] = validation
    with lane.session() as session:
        owner = session.get(User, lane.owner_id)
        officer = session.get(User, lane.officer_id)
        assert owner is not None and officer is not None
        statement = repo.create_statement(session, owner, council, data)
        for action in actions:
            if action in ("submit", "resubmit"):
                repo.submit(session, statement, owner)
            elif action == "withdraw":
                repo.apply_transition(session, statement, action, owner, "not going ahead")
            else:
                reason = "more placements" if action == "request_changes" else None
                repo.apply_transition(session, statement, action, officer, reason)
        session.commit()
        return statement.id


def _today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    from planning_sv.web import cases as web_cases

    monkeypatch.setattr(web_cases, "today", lambda: day)


def _total(text: str) -> int:
    found = re.search(r'data-testid="queue-total">([\d,]+) statement', text)
    assert found is not None
    return int(found.group(1).replace(",", ""))


def _open_targets(lane: Lane) -> dict[int, dt.date | None]:
    with lane.session() as session:
        return dict(session.execute(select(Statement.id, Statement.open_target_date)).all())


def test_core_open_target_and_reference_term() -> None:
    june = dt.date(2026, 6, 1)
    assert core.open_target("under_review", june) == june
    assert core.open_target("changes_requested", june) == june
    assert core.open_target("approved", june) is None
    assert core.open_target("withdrawn", june) is None
    assert core.open_target("draft", june) is None
    assert core.open_target("submitted", None) is None
    # Overdue from the day after the target date, as before.
    assert not core.is_overdue(june, "submitted", dt.date(2026, 6, 1))
    assert core.is_overdue(june, "submitted", dt.date(2026, 6, 2))
    assert not core.is_overdue(june, "refused", dt.date(2026, 6, 2))

    assert core.reference_term("P2025/1234/FUL") == "p20251234ful"
    assert core.reference_term(" BENCH/SALFORD/2024/000123 ") == "benchsalford2024000123"
    assert core.reference_term("12-14") == "1214"
    assert core.reference_term("N7 8QP") is None  # two tokens: a postcode, not a reference
    assert core.reference_term("holloway") is None  # one word
    assert core.reference_term("high-street") is None  # no digit
    assert core.reference_term("P2025") is None  # one word
    assert core.reference_term("") is None


def test_overdue_cases_by_target_date_in_fixed_queries_kept_rebuilt_and_backfilled(
    lane: Lane, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    # Islington: validation + 91 days. Today 1 July 2026.
    a = _make(lane, validation="2026-03-01")  # target 31 May: overdue
    b = _make(lane, validation="2026-03-10", actions=("submit", "start_review"))  # 9 June
    c = _make(lane, validation="2026-03-05", actions=("submit", "withdraw"))  # closed
    d = _make(lane, validation="2026-04-15")  # 15 July: not yet
    e = _make(lane, validation="2026-03-03", actions=())  # a draft: never
    f = _make(lane, validation="2026-03-20")  # 19 June, moved to 1 August below
    g = _make(
        lane, validation="2026-03-07", actions=("submit", "start_review", "request_changes")
    )  # 6 June, changes requested: still open, overdue
    with lane.session() as session:
        statement = session.get(Statement, f)
        officer_user = session.get(User, lane.officer_id)
        assert statement is not None and officer_user is not None
        cases.set_target(session, statement, dt.date(2026, 8, 1), "awaiting a survey", officer_user)
        session.commit()

    kept = _open_targets(lane)
    assert kept == {
        a: dt.date(2026, 5, 31),
        b: dt.date(2026, 6, 9),
        c: None,
        d: dt.date(2026, 7, 15),
        e: None,
        f: dt.date(2026, 8, 1),
        g: dt.date(2026, 6, 6),
    }
    with lane.session() as session:
        assert cases.overdue_count(session, "islington", TODAY) == 3
        team = cases.team(session, "islington", TODAY)
        assert (team.unassigned.held, team.unassigned.overdue) == (5, 3)  # a b d f g; a b g

    _today(monkeypatch, TODAY)
    monkeypatch.setattr(officer, "PER_PAGE", 2)
    client = lane.officer()
    client.get("/officer/")  # warm the connection
    seen, sizes, totals = [], [], []
    url: str | None = "/officer/?overdue=1&sort=target"
    while url:
        with counting(lane.app) as sent:
            page = client.get(url)
        assert page.status_code == 200
        sizes.append(len(sent))
        totals.append(_total(page.text))
        seen.append(_ids(page.text))
        url = _link(page.text, "next")
    assert seen == [[a, g], [b]]  # 31 May, 6 June; 9 June
    assert totals == [3, 3]
    assert sizes == [QUEUE_FILTERED_QUERIES] * 2
    latest = client.get("/officer/?overdue=1&sort=target&order=desc")
    assert _ids(latest.text) == [b, g]
    back = client.get(_link(client.get(_link(latest.text, "next") or "").text, "prev") or "")
    assert _ids(back.text) == [b, g]
    # The same cursor serves the target sort without the filter (same key, same values).
    plain = client.get(_link(client.get("/officer/?overdue=1&sort=target").text, "next") or "")
    assert _ids(plain.text) == [b]

    # A closing transition clears it in its transaction; reopening is impossible.
    with lane.session() as session:
        statement = session.get(Statement, b)
        owner = session.get(User, lane.owner_id)
        assert statement is not None and owner is not None
        repo.apply_transition(session, statement, "withdraw", owner, "sold the site")
        session.commit()
    assert _open_targets(lane)[b] is None
    assert _ids(client.get("/officer/?overdue=1&sort=target").text) == [a, g]
    kept[b] = None

    # The rebuild path (bulk loads) gives the same values from scratch.
    from planning_sv.store.queue import rebuild_columns

    with lane.session() as session:
        session.execute(
            update(Statement.__table__).values(
                open_target_date=dt.date(2000, 1, 1),
                updated_at=Statement.__table__.c.updated_at,
            )
        )
        assert rebuild_columns(session, batch=2) == 6  # every statement but the draft
        session.commit()
    assert _open_targets(lane) == kept

    # The migration's backfill too.
    from alembic import command

    from planning_sv.store.migrate import alembic_config, upgrade

    lane.app.extensions["planning_sv.db"].dispose()
    command.downgrade(alembic_config(db_url), "0015_mail_claims")
    upgrade(db_url)
    assert _open_targets(lane) == kept


def test_a_wards_newest_cases_walk_its_rows_in_fixed_queries(
    lane: Lane, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    h1 = _make(lane, validation="2026-03-01", reference="H-1")
    b1 = _make(lane, validation="2026-03-01", reference="B-1", site="highbury")
    h3 = _make(lane, validation="2026-03-01", reference="H-3", actions=("submit", "start_review"))
    _make(lane, validation="2026-03-01", reference="H-4", actions=())  # a private draft
    h5 = _make(lane, validation="2026-03-01", reference="H-5", actions=("submit", "withdraw"))
    # Changes requested and resubmitted last: its new submission time moves it first.
    h1b = _make(
        lane,
        validation="2026-03-01",
        reference="H-6",
        actions=("submit", "start_review", "request_changes"),
    )
    with lane.session() as session:
        statement = session.get(Statement, h1b)
        owner = session.get(User, lane.owner_id)
        assert statement is not None and owner is not None
        repo.submit(session, statement, owner)
        session.commit()

    def copies() -> list[tuple[Any, Any]]:
        with lane.session() as session:
            return [
                (w.submitted_at, s.submitted_at)
                for w, s in session.execute(
                    select(StatementSiteWard, Statement).join(
                        Statement, Statement.id == StatementSiteWard.statement_id
                    )
                ).all()
            ]

    pairs = copies()
    assert len(pairs) == 6  # five Holloway sites submitted, one Highbury (2 wards: 1 here)
    assert all(w == s and s is not None for w, s in pairs)

    monkeypatch.setattr(officer, "PER_PAGE", 2)
    client = lane.officer()
    client.get("/officer/")
    seen, sizes, totals = [], [], []
    url: str | None = f"/officer/?ward={HOLLOWAY}"
    while url:
        with counting(lane.app) as sent:
            page = client.get(url)
        assert page.status_code == 200
        sizes.append(len(sent))
        totals.append(_total(page.text))
        seen.append(_ids(page.text))
        url = _link(page.text, "next")
    assert seen == [[h1b, h5], [h3, h1]]  # newest submission first; the draft never
    assert totals == [4, 4]
    assert sizes == [QUEUE_FILTERED_QUERIES] * 2
    second = client.get(_link(client.get(f"/officer/?ward={HOLLOWAY}").text, "next") or "")
    assert _ids(client.get(_link(second.text, "prev") or "").text) == [h1b, h5]
    # With other filters and sorts, the ward's ids narrow the council's index walk.
    assert _ids(client.get(f"/officer/?ward={HOLLOWAY}&status=under_review").text) == [h3]
    both = client.get(f"/officer/?ward={HOLLOWAY}&sort=reference&order=asc")
    assert _ids(both.text) == [h1, h3] and _total(both.text) == 4
    highbury = client.get(f"/officer/?ward={HIGHBURY}")
    assert _ids(highbury.text) == [b1] and _total(highbury.text) == 1

    # Rebuilt and backfilled to the same copies.
    from planning_sv.store.queue import rebuild_columns

    with lane.session() as session:
        session.execute(update(StatementSiteWard).values(submitted_at=None))
        rebuild_columns(session)
        session.commit()
    assert sorted(copies()) == sorted(pairs)
    from alembic import command

    from planning_sv.store.migrate import alembic_config, upgrade

    lane.app.extensions["planning_sv.db"].dispose()
    command.downgrade(alembic_config(db_url), "0015_mail_claims")
    upgrade(db_url)
    assert sorted(copies()) == sorted(pairs)


def test_a_reference_is_looked_up_whole_before_its_words(lane: Lane) -> None:
    f12 = _make(lane, validation="2026-03-01", reference="P2026/0012/FUL")
    l12 = _make(lane, validation="2026-03-01", reference="P2026/0012/LBC")
    f120 = _make(lane, validation="2026-03-01", reference="P2026/0120/FUL")
    # The same reference in another council: never in Islington's queue.
    _make(lane, validation="2026-03-01", reference="P2026/0012/FUL", council="salford")
    client = lane.officer()
    client.get("/officer/")

    def search(text: str) -> tuple[list[int], int, int]:
        with counting(lane.app) as sent:
            page = client.get(f"/officer/?q={text}&sort=reference&order=asc")
        assert page.status_code == 200
        return _ids(page.text), _total(page.text), len(sent)

    # Whole: 'p20260012ful' starts only its own statement's run-together reference.
    assert search("P2026/0012/FUL") == ([f12], 1, QUEUE_SEARCH_WORDS_QUERIES)
    assert search("p2026/0012") == ([f12, l12], 2, QUEUE_SEARCH_WORDS_QUERIES)
    assert search("P2026/01") == ([f120], 1, QUEUE_SEARCH_WORDS_QUERIES)
    # No reference starts 'p2026ful': its words, each a prefix of a term, as before.
    assert search("P2026/FUL") == ([f12, f120], 2, QUEUE_SEARCH_WORDS_QUERIES)
    # Words with spaces are words, not a reference.
    assert search("0012 lbc") == ([l12], 1, QUEUE_SEARCH_WORDS_QUERIES)
    # Nothing found: no rows, so no query for their site wards.
    assert search("P2026/9999/FUL") == ([], 0, QUEUE_SEARCH_WORDS_QUERIES - 1)
