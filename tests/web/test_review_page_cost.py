"""Issue 11: the officer's review page costs the same whatever the statement's history, and
its site map is rendered once per distinct map (web/maps.PartsCache), never stale and with
each response's own CSP nonce."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from planning_sv.store.models import User
from planning_sv.web import maps

Make = Callable[..., Any]
LEAFLET_NONCE = re.compile(r'<script nonce="([^"]+)" src="/static/vendor/leaflet/leaflet.js">')


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "officer": make_user("officer", "islington"),
    }


@contextmanager
def _queries(app: Flask) -> Iterator[list[str]]:
    engine = app.extensions["planning_sv.db"].engine
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_review_page_query_count_does_not_grow_with_versions_or_history(
    app: Flask, make_statement: Make, sign_in: Make, people: dict[str, User]
) -> None:
    staff = {a: people["officer"] for a in ("start_review", "request_changes")}
    cycle = ("start_review", "request_changes", "resubmit")
    two = make_statement(people["owner"], "islington", actions=("submit", *cycle), staff=staff)
    four = make_statement(
        people["owner"], "islington", actions=("submit", *cycle, *cycle, *cycle), staff=staff
    )
    client = sign_in(app.test_client(), people["officer"])
    client.get(f"/officer/statements/{two.id}")  # warm: connection set-up, rule packs, map
    counts = {}
    for name, statement in (("two versions", two), ("four versions", four)):
        with _queries(app) as sent:
            page = client.get(f"/officer/statements/{statement.id}")
        assert page.status_code == 200
        counts[name] = len(sent)
    # One query per kind of thing shown (user, statement, versions, assessment, corrections,
    # verdicts of this and the previous version, ...), never one per version, event or rule:
    # four versions with three times the audit events cost exactly what two versions cost.
    assert counts["four versions"] == counts["two versions"], counts
    # The ward corrections are read once (they were read twice: record and list).
    assert sum("FROM ward_corrections" in q for q in sent) == 1


def test_site_map_rendered_once_and_each_response_carries_its_own_nonce(
    app: Flask,
    make_statement: Make,
    sign_in: Make,
    people: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statement = make_statement(people["owner"], "islington", actions=("submit",))
    built: list[int] = []
    real = maps.ward_map

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(maps, "ward_map", counting)
    client = sign_in(app.test_client(), people["officer"])
    pages = [client.get(f"/officer/statements/{statement.id}") for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 200]
    assert len(built) == 1  # the second page reused the rendered parts
    # The same map (same data island) on both pages ...
    assert maps.map_data(pages[0].text) == maps.map_data(pages[1].text)
    # ... but each Leaflet script tag carries its own response's nonce, the one in its CSP.
    nonces = []
    for page in pages:
        found = LEAFLET_NONCE.search(page.text)
        assert found is not None
        assert f"'nonce-{found.group(1)}'" in page.headers["Content-Security-Policy"]
        nonces.append(found.group(1))
    assert nonces[0] != nonces[1]


def test_parts_cache_keys_on_every_input_and_on_the_wards_frame_itself() -> None:
    cache = maps.PartsCache(limit=2)
    calls: list[str] = []
    wards, fresh_wards = object(), object()

    def build(label: str) -> Callable[[], Any]:
        def make() -> Any:
            calls.append(label)
            return maps.base_map(leaflet_prefix="/static/vendor/leaflet/")

        return make

    first = cache.get(("a",), wards, build("a"), nonce="n1")
    again = cache.get(("a",), wards, build("a again"), nonce="n2")
    assert calls == ["a"]  # same key, same frame: not rendered again
    assert 'nonce="n1"' in first.head and 'nonce="n1"' not in again.head
    assert 'nonce="n2"' in again.head and "&lt;script" not in again.head
    assert again.html == first.html and again.script == first.script
    cache.get(("a",), fresh_wards, build("a, new frame"), nonce=None)
    assert calls == ["a", "a, new frame"]  # a boundary import (new frame) misses
    cache.get(("b",), fresh_wards, build("b"), nonce=None)
    cache.get(("c",), fresh_wards, build("c"), nonce=None)  # limit 2: "a" is evicted
    cache.get(("a",), fresh_wards, build("a evicted"), nonce=None)
    assert calls == ["a", "a, new frame", "b", "c", "a evicted"]
