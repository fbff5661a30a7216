"""Offset pages (`?page=N`) read the index, not every row, and stop at MAX_OFFSET.

An officer who also owns statements sees two disjoint parts (the council's submitted
statements, and their own others): offset pages merge the parts' sort keys, so page N by
offset is exactly the N-th page of the newest-first list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from planning_sv.store import statements as repo
from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_token
from planning_sv.web.api import MAX_OFFSET


def test_offset_pages_equal_the_newest_first_list_across_both_parts(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    salford_example: dict[str, Any],
) -> None:
    owner = make_user("applicant", email="turned.officer@depth.example")
    other = make_user("applicant", email="other@depth.example")
    # Made in time order and never changed after: newest first = last made first.
    own = [
        make_statement(owner, "islington", None, ("submit",)).id,  # in both parts: once
        make_statement(owner, "salford", salford_example).id,  # own draft elsewhere
    ]
    theirs = [make_statement(other, "islington", None, ("submit",)).id for _ in range(3)]
    make_statement(other, "islington")  # someone else's draft: never listed
    newest_first = list(reversed(own + theirs))
    database = app.extensions["planning_sv.db"]
    with database.session() as session:
        user = session.get(User, owner.id)
        assert user is not None
        user.role, user.council = "officer", "islington"  # an applicant taken on as staff
    with database.session() as session:
        user = session.get(User, owner.id)
        pages = []
        for page in (1, 2, 3):
            found = repo.visible_page(session, user, page=page, per_page=2)
            assert found.total == 5
            pages.append([s.id for s in found.rows])
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
        assert repo.visible_page(session, user, page=4, per_page=2).rows == []


def test_the_api_refuses_offsets_beyond_the_limit_and_names_page(
    app: Flask, make_user: Callable[..., User]
) -> None:
    officer = make_user("officer", "islington")
    with app.extensions["planning_sv.db"].session() as session:
        token = create_token(session, session.get(User, officer.id))[1]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert MAX_OFFSET == 1_000
    # Page 11 of 100 starts after 1,000 statements: the deepest page a number reaches.
    assert client.get("/api/v1/statements?page=11&per_page=100", headers=auth).status_code == 200
    refused = client.get("/api/v1/statements?page=12&per_page=100", headers=auth)
    assert refused.status_code == 400
    body = refused.get_json()
    assert [e["path"] for e in body["errors"]] == ["page"]
    assert "first 1,000 statements" in body["errors"][0]["message"]
    assert "follow `next`" in body["detail"]
