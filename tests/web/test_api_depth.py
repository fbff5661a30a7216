"""Offset pages (`?page=N`) read the index, not every row, and stop at MAX_OFFSET.

An officer who also owns statements sees two disjoint parts (the council's submitted
statements, and their own others): offset pages merge the parts' sort keys, so page N by
offset is exactly the N-th page of the cursor walk."""

from __future__ import annotations

from planning_sv.store import statements as repo
from planning_sv.store.models import User
from planning_sv.store.users import create_user
from planning_sv.web.api import MAX_OFFSET
from tests.web.test_queue import PASSWORD, Lane, lane  # noqa: F401 - the fixture

__all__ = ["lane"]


def _officer_owning_statements(lane: Lane) -> tuple[int, list[int]]:
    """The owner (turned officer) and every id they may see, newest first by hand:
    ids are made in time order and none is changed after, so newest = last made."""
    own = [lane.make(reference="OWN-1"), lane.make(council="salford", actions=())]
    with lane.session() as session:
        other = create_user(session, "other@depth.example", PASSWORD, "applicant", None)
    lane.owner_id, owner_id = other.id, lane.owner_id
    theirs = [lane.make(reference=f"THEIRS-{i}") for i in range(3)]
    lane.make(reference="DRAFT", actions=())  # someone else's draft: never listed
    with lane.session() as session:
        user = session.get(User, owner_id)
        assert user is not None
        user.role, user.council = "officer", "islington"
    return owner_id, list(reversed(own + theirs))


def test_offset_pages_equal_the_cursor_walk_across_both_parts(lane: Lane) -> None:
    owner_id, newest_first = _officer_owning_statements(lane)
    assert len(newest_first) == 5
    with lane.session() as session:
        user = session.get(User, owner_id)
        by_offset = []
        for page in (1, 2, 3):
            found = repo.visible_page(session, user, page=page, per_page=2)
            assert found.total == 5
            by_offset.append([s.id for s in found.rows])
        assert by_offset == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
        assert repo.visible_page(session, user, page=4, per_page=2).rows == []


def test_the_api_refuses_offsets_beyond_the_limit_and_names_page(lane: Lane) -> None:
    client = lane.app.test_client()
    auth = {"Authorization": f"Bearer {lane.token}"}
    lane.make(reference="ONE")
    assert MAX_OFFSET == 1_000
    # page 11 of 100 starts after 1,000 statements: the deepest page a number reaches.
    assert client.get("/api/v1/statements?page=11&per_page=100", headers=auth).status_code == 200
    refused = client.get("/api/v1/statements?page=12&per_page=100", headers=auth)
    assert refused.status_code == 400
    body = refused.get_json()
    assert [e["path"] for e in body["errors"]] == ["page"]
    assert "first 1,000 statements" in body["errors"][0]["message"]
    assert "follow `next`" in body["detail"]
