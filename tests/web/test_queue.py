"""The officer queue and the API list at any size, on every database lane: a fixed number
of queries per page whatever its length, keyset pages that neither skip nor repeat rows
while statements arrive, filters by status and ward from the indexed columns, and the
migration's backfill of those columns."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, select, update

from planning_sv import config
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement, StatementSiteWard, User
from planning_sv.store.users import create_token, create_user

PASSWORD = "correct-horse-battery-queue"
EXAMPLE = config.PROJECT_ROOT / "tests" / "fixtures" / "islington_mixed_use.json"


def _square(lon: float, lat: float) -> dict[str, Any]:
    d = 0.001
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


# Sites in Islington and the wards (2022 boundaries) they lie in, read off the ONS ward map:
SITES = {
    "holloway": _square(-0.118, 51.5525),  # Holloway E05013706
    "highbury": _square(-0.1035, 51.5463),  # Highbury E05013704 (96%), Laycock E05013708
    "archway": _square(-0.1347, 51.5653),  # Junction E05013707
}
HOLLOWAY, HIGHBURY, JUNCTION, LAYCOCK = "E05013706", "E05013704", "E05013707", "E05013708"


@dataclass
class Lane:
    app: Flask
    owner_id: int
    officer_id: int
    token: str  # the Islington officer's API token

    def session(self) -> Any:
        return self.app.extensions["planning_sv.db"].session()

    def make(
        self,
        *,
        reference: str | None = "REF",
        site: str = "holloway",
        council: str = "islington",
        actions: tuple[str, ...] = ("submit",),
    ) -> int:
        """A statement taken through `actions` (start_review by the officer); its id."""
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        if council == "salford":
            data = json.loads(
                (EXAMPLE.parent / "salford_residential.json").read_text(encoding="utf-8")
            )
        else:
            # Keep the fixture's designation: Islington's B4 rules need one for 8,000 m² office.
            data["site"] = {
                "address": site,
                "designation": data["site"]["designation"],
                "geometry": copy.deepcopy(SITES[site]),
            }
        data.pop("application_reference", None)
        if reference is not None:
            data["application_reference"] = reference
        with self.session() as session:
            owner = session.get(User, self.owner_id)
            statement = repo.create_statement(session, owner, council, data)
            for action in actions:
                if action in ("submit", "resubmit"):
                    repo.submit(session, statement, owner)
                elif action in ("withdraw",):
                    repo.apply_transition(session, statement, action, owner, "not going ahead")
                else:
                    officer = session.get(User, self.officer_id)
                    reason = "more placements" if action == "request_changes" else None
                    repo.apply_transition(session, statement, action, officer, reason)
            return statement.id

    def officer(self) -> FlaskClient:
        client = self.app.test_client()
        signed = client.post(
            "/sign-in", data={"email": "officer@queue.example", "password": PASSWORD}
        )
        assert signed.status_code == 302
        return client

    def api(self, path: str) -> Any:
        return self.app.test_client().get(
            f"/api/v1{path}", headers={"Authorization": f"Bearer {self.token}"}
        )


@pytest.fixture
def lane(db_app: Flask) -> Lane:
    with db_app.extensions["planning_sv.db"].session() as session:
        owner = create_user(session, "owner@queue.example", PASSWORD, "applicant", None)
        officer = create_user(session, "officer@queue.example", PASSWORD, "officer", "islington")
        token = create_token(session, officer)[1]
        return Lane(db_app, owner.id, officer.id, token)


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    sent: list[str] = []
    engine = app.extensions["planning_sv.db"].engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-statement-id="(\d+)"', html)]


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


# --- a fixed number of queries ------------------------------------------------------------

# The queue page: the signed-in user (1), the status counts (1), the rows with their owners
# (1), their site wards (1), the ward list (1). With a filter the counts do not answer
# (ward, applicant, dates), the total (1) more.
QUEUE_QUERIES = 5
QUEUE_FILTERED_QUERIES = 6
# The API list for an officer: the token (1), its user (1), marking the token used (1),
# then for each part of what an officer sees (the council's submitted statements, their
# own) a count and a page (4); the summaries read columns only (no query per row).
API_QUERIES = 7


def test_queries_per_page_do_not_grow_with_the_page(
    lane: Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    monkeypatch.setattr(officer, "PER_PAGE", 100)
    for _ in range(5):
        lane.make()
    client = lane.officer()
    client.get("/officer/")  # warm: the first connection's own set-up queries
    lane.api("/statements")

    def measure() -> tuple[int, int, int, int, int]:
        with counting(lane.app) as plain:
            page = client.get("/officer/")
        with counting(lane.app) as filtered:
            by_ward = client.get(f"/officer/?ward={HOLLOWAY}&applicant=owner")
        with counting(lane.app) as api:
            listed = lane.api("/statements?per_page=100").get_json()
        assert page.status_code == by_ward.status_code == 200
        assert len(_ids(page.text)) == len(_ids(by_ward.text)) == len(listed["items"])
        return len(_ids(page.text)), len(plain), len(filtered), len(api), listed["total"]

    rows, plain, filtered, api, total = measure()
    assert (rows, total) == (5, 5)
    assert (plain, filtered, api) == (QUEUE_QUERIES, QUEUE_FILTERED_QUERIES, API_QUERIES)
    for _ in range(45):
        lane.make()
    rows, plain, filtered, api, total = measure()
    assert (rows, total) == (50, 50)
    assert (plain, filtered, api) == (QUEUE_QUERIES, QUEUE_FILTERED_QUERIES, API_QUERIES)


# --- keyset pages -------------------------------------------------------------------------


def test_keyset_pages_walk_every_row_once_while_rows_arrive(
    lane: Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    monkeypatch.setattr(officer, "PER_PAGE", 3)
    ids = {ref: lane.make(reference=ref) for ref in [f"Q-0{n}" for n in range(1, 8)]}
    client = lane.officer()

    def refs(html: str) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        return [by_id[i] for i in _ids(html)]

    first = client.get("/officer/?sort=reference&order=asc").text
    assert refs(first) == ["Q-01", "Q-02", "Q-03"]
    assert _link(first, "prev") is None
    # Arriving now: one before the page boundary (never shown going forward), one after.
    ids["Q-00"] = lane.make(reference="Q-00")
    ids["Q-05b"] = lane.make(reference="Q-05b")
    second = client.get(_link(first, "next") or "").text
    assert refs(second) == ["Q-04", "Q-05", "Q-05b"]
    third = client.get(_link(second, "next") or "").text
    assert refs(third) == ["Q-06", "Q-07"]
    assert _link(third, "next") is None
    # Back again: the three before each page, then the rows that arrived before page one.
    back = client.get(_link(third, "prev") or "").text
    assert refs(back) == ["Q-04", "Q-05", "Q-05b"]
    back = client.get(_link(back, "prev") or "").text
    assert refs(back) == ["Q-01", "Q-02", "Q-03"]
    back = client.get(_link(back, "prev") or "").text
    assert refs(back) == ["Q-00"]
    assert _link(back, "prev") is None and _link(back, "next") is not None

    # Newest submitted first (the default): new submissions go on top, not into later pages.
    walked: list[int] = []
    page = client.get("/officer/").text
    newest = sorted(ids.values(), reverse=True)  # submitted in id order, one after another
    while True:
        walked += _ids(page)
        lane.make(reference="NEW")  # a submission during the walk
        following = _link(page, "next")
        if following is None:
            break
        page = client.get(following).text
    assert walked == newest


def test_api_pages_by_cursor(lane: Lane) -> None:
    made = [lane.make(reference=f"A-{n}") for n in range(5)]
    seen: list[int] = []
    body = lane.api("/statements?per_page=2").get_json()
    assert body["page"] == 1 and body["total"] == 5
    while True:
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        assert "cursor=" in body["next"] and "per_page=2" in body["next"]
        lane.make(reference="LATE")  # newer: listed first, so not on the pages still to come
        response = lane.app.test_client().get(
            body["next"], headers={"Authorization": f"Bearer {lane.token}"}
        )
        body = response.get_json()
        assert body["page"] is None
    assert seen == made[::-1]  # last updated first, each once

    # A statement resubmitted after changes reports its two versions, from the column.
    twice = lane.make(actions=("submit", "start_review", "request_changes", "resubmit"))
    items = lane.api("/statements?per_page=1").get_json()["items"]
    assert (items[0]["id"], items[0]["versions"]) == (twice, 2)


# --- filters ------------------------------------------------------------------------------


def test_filters_by_status_and_ward(lane: Lane) -> None:
    a = lane.make(site="holloway")
    b = lane.make(site="highbury", actions=("submit", "start_review"))
    c = lane.make(site="holloway", actions=("submit", "start_review"))
    lane.make(site="archway", actions=())  # a draft: private, its ward not listed either
    lane.make(site="archway", actions=("withdraw",))  # withdrawn before submission
    lane.make(council="salford")  # another council's
    client = lane.officer()

    page = client.get("/officer/").text
    assert sorted(_ids(page)) == [a, b, c]
    assert '<span data-count="submitted">1</span>' in page
    assert '<span data-count="under_review">2</span>' in page
    assert 'data-count="withdrawn"' not in page and 'data-count="draft"' not in page
    options = re.findall(r'<option value="(E\d+)"[^>]*>([^<]+)</option>', page)
    assert options == [(HIGHBURY, "Highbury"), (HOLLOWAY, "Holloway"), (LAYCOCK, "Laycock")]

    expected = {
        "status=under_review": [b, c],
        f"ward={HOLLOWAY}": [a, c],
        f"ward={LAYCOCK}": [b],  # 4% of the Highbury site: still a ward of the site
        f"ward={JUNCTION}": [],  # only the private draft's and the withdrawn draft's ward
        f"status=under_review&ward={HOLLOWAY}": [c],
        f"status=submitted&ward={HIGHBURY}": [],
    }
    for query, ids in expected.items():
        html = client.get(f"/officer/?{query}").text
        assert sorted(_ids(html)) == ids, query
        total = f"{len(ids)} statement{'s' if len(ids) != 1 else ''}"
        assert f'data-testid="queue-total">{total}</p>' in html, query
    # The rows name their site's wards from the indexed table, in the assessment's order.
    row = re.search(rf'data-statement-id="{b}">(.*?)</tr>', page, re.S)
    assert row is not None and "Highbury, Laycock" in row.group(1)


# --- bad cursors --------------------------------------------------------------------------


def test_bad_cursors_are_refused_with_a_message(
    lane: Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_sv.web import officer

    monkeypatch.setattr(officer, "PER_PAGE", 1)
    lane.make(reference="B-1")
    lane.make(reference="B-2")
    client = lane.officer()
    following = _link(client.get("/officer/?sort=reference").text, "next")
    assert following is not None
    cursor = following.split("cursor=")[1]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for query in (
        "cursor=not-a-cursor",
        f"cursor={tampered}",
        f"sort=submitted&cursor={cursor}",  # another sort's cursor: a stale link
        f"sort=reference&order=asc&cursor={cursor}",
    ):
        bad = client.get(f"/officer/?{query}")
        assert bad.status_code == 400, query
        message = "this page link is not valid or is out of date; start again from the first page"
        assert message in bad.text, query
        assert 'href="#cursor"' in bad.text, query  # the error summary names the field
    assert client.get(f"/officer/?sort=reference&cursor={cursor}").status_code == 200

    junk = lane.api("/statements?cursor=not-a-cursor")
    assert junk.status_code == 400
    assert junk.get_json()["errors"][0]["path"] == "cursor"
    assert "not valid or is out of date" in junk.get_json()["detail"]
    both = lane.api(f"/statements?page=2&cursor={cursor}")
    assert both.status_code == 400
    assert both.get_json()["detail"] == "give either page or cursor, not both"
    # A queue cursor is not an API cursor.
    assert lane.api(f"/statements?cursor={cursor}").status_code == 400


# --- the migration's backfill -------------------------------------------------------------


def test_migration_backfills_the_queue_columns(lane: Lane, db_url: str) -> None:
    from alembic import command

    from planning_sv.store.migrate import alembic_config, upgrade

    twice = lane.make(
        reference="R-2", actions=("submit", "start_review", "request_changes", "resubmit")
    )
    draft = lane.make(reference="R-D", actions=())
    unnamed = lane.make(reference=None, site="highbury")

    def snapshot() -> dict[int, tuple[Any, ...]]:
        with lane.session() as session:
            wards = {
                sid: [
                    (w.ward_code, w.ward_name, w.position, w.council)
                    for w in session.scalars(
                        select(StatementSiteWard)
                        .where(StatementSiteWard.statement_id == sid)
                        .order_by(StatementSiteWard.position)
                    )
                ]
                for sid in (twice, draft, unnamed)
            }
            return {
                s.id: (
                    s.latest_version_number,
                    s.submitted_at,
                    s.reference_key,
                    wards[s.id],
                    s.updated_at,  # a backfill is not an update: the lists' order stays
                )
                for s in session.scalars(select(Statement).order_by(Statement.id))
            }

    written = snapshot()  # as `submit` wrote them
    assert written[twice][0] == 2 and written[twice][2] == "R-2"
    assert written[twice][3] == [(HOLLOWAY, "Holloway", 0, "islington")]
    assert written[draft][:3] == (0, None, "R-D") and written[draft][3] == []
    assert written[unnamed][2] == ""
    assert written[unnamed][3] == [
        (HIGHBURY, "Highbury", 0, "islington"),
        (LAYCOCK, "Laycock", 1, "islington"),
    ]
    lane.app.extensions["planning_sv.db"].dispose()
    command.downgrade(alembic_config(db_url), "0006_value_sets")
    upgrade(db_url)
    assert snapshot() == written
    # The same from store.queue.rebuild_columns (for bulk loads), after wiping them.
    from planning_sv.store.queue import rebuild_columns

    with lane.session() as session:
        session.execute(delete(StatementSiteWard))
        session.execute(
            update(Statement.__table__).values(
                latest_version_number=0,
                submitted_at=None,
                updated_at=Statement.__table__.c.updated_at,
            )
        )
        assert rebuild_columns(session, batch=2) == 2  # two submitted statements, in two batches
    assert snapshot() == written


def test_an_officer_who_owns_statements_sees_each_once(lane: Lane) -> None:
    """The list merges the council's submitted statements and the caller's own (two index
    scans): a statement in both parts is listed and counted once."""
    s1 = lane.make(reference="S-1")  # own, Islington, submitted: in both parts
    s2 = lane.make(council="salford", actions=())  # own draft in another council
    with lane.session() as session:
        other = create_user(session, "other@queue.example", PASSWORD, "applicant", None)
    lane.owner_id, owner_id = other.id, lane.owner_id
    s3 = lane.make(reference="S-3")  # someone else's, submitted: the council part
    lane.make(reference="S-4", actions=())  # someone else's draft: never listed
    with lane.session() as session:
        user = session.get(User, owner_id)
        assert user is not None
        user.role, user.council = "officer", "islington"  # an applicant taken on as staff
    with lane.session() as session:
        user = session.get(User, owner_id)
        walked, after = [], None
        while True:
            found = repo.visible_page(session, user, per_page=1, after=after)
            assert found.total == 3
            walked += [s.id for s in found.rows]
            if found.following is None:
                break
            after = found.following
        assert walked == [s3, s2, s1]  # last updated first
        both = repo.visible_page(session, user, per_page=2, statuses=["submitted"])
        assert ([s.id for s in both.rows], both.total) == ([s3, s1], 2)
