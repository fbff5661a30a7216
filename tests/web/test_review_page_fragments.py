"""Issue 11: the officer's review page renders its heavy parts (unverified figures, rule
index, commitments, social value, rules) once per distinct input and reuses them
(web/render_cache.py, web/officer.py `_review_parts`). A change to anything they draw is a
new key, so the page always shows the current state; the per-request parts (CSRF token, CSP
nonce) and the viewer's own parts are never shared between officers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from planning_sv.core.assessment import parse_assessment
from planning_sv.store.models import Statement, User
from planning_sv.web.render_cache import FragmentCache, RecordCache, split_parts

Make = Callable[..., Any]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NONCE = re.compile(r'nonce="[^"]+"')


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "alice": make_user("officer", "islington", email="alice@council.example"),
        "bob": make_user("officer", "islington", email="bob@council.example"),
    }


@pytest.fixture
def submitted(make_statement: Make, people: dict[str, User]) -> Statement:
    return make_statement(people["owner"], "islington", actions=("submit",))


def _fragments(app: Flask) -> FragmentCache:
    return app.extensions["planning_sv"].fragments


def _page(client: FlaskClient, statement: Statement) -> str:
    response = client.get(f"/officer/statements/{statement.id}")
    assert response.status_code == 200
    return response.text


def _review_version(html: str) -> str:
    found = re.search(r'name="review_version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def _rule_ids(html: str) -> list[str]:
    return re.findall(r'name="decision-([^"]+)" type="radio" value="agree"', html)


def _normalised(html: str) -> str:
    return CSRF.sub('name="csrf_token" value="-"', NONCE.sub('nonce="-"', html))


def test_parts_are_rendered_once_and_a_repeat_is_the_same_page(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = sign_in(app.test_client(), people["alice"])
    cache = _fragments(app)
    first = _page(client, submitted)
    assert (cache.misses, cache.hits, len(cache)) == (1, 0, 1)
    second = _page(client, submitted)
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)  # reused, not rendered
    # The reused parts make exactly the page the first request rendered (bar the CSP
    # nonce, which is each response's own).
    assert _normalised(first) == _normalised(second)
    assert cache.placeholder not in second
    for testid in ("rule-index", "commitments", "social-value", "verdicts-form", "unverified"):
        assert f'data-testid="{testid}"' in second
    # The decision page reads the same context but never draws the parts.
    assert client.get(f"/officer/statements/{submitted.id}/decision").status_code == 200
    assert (cache.misses, cache.hits) == (1, 1)


def test_two_officers_share_the_parts_but_never_each_others_token_or_name(
    app_with: Callable[..., Flask],
    password: str,
    people: dict[str, User],
    submitted: Statement,
) -> None:
    csrf_app = app_with(WTF_CSRF_ENABLED=True)
    alice = csrf_app.test_client()
    bob = csrf_app.test_client()
    for client, user in ((alice, people["alice"]), (bob, people["bob"])):
        form = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/sign-in").text
        )
        assert form is not None
        signed = client.post(
            "/sign-in",
            data={"email": user.email, "password": password, "csrf_token": form.group(1)},
        )
        assert signed.status_code == 302
    cache = _fragments(csrf_app)
    alice_page = _page(alice, submitted)
    bob_page = _page(bob, submitted)
    assert (cache.misses, cache.hits) == (1, 1)  # Bob's page reused Alice's parts ...
    # ... yet each page carries its own session's token in every form, the parts' too.
    alice_tokens, bob_tokens = set(CSRF.findall(alice_page)), set(CSRF.findall(bob_page))
    assert len(alice_tokens) == 1 and len(bob_tokens) == 1
    assert alice_tokens != bob_tokens
    # Forms inside the parts: the verdicts form and the acknowledgement form.
    assert alice_page.count('name="csrf_token"') == bob_page.count('name="csrf_token"') >= 4
    # The viewer's own parts (navigation) name only the viewer.
    assert "alice@council.example" in alice_page and "alice@council.example" not in bob_page
    assert "bob@council.example" in bob_page and "bob@council.example" not in alice_page

    # Bob's token, swapped into the shared parts, is the one his session accepts ...
    rules = _rule_ids(bob_page)
    posted = bob.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "csrf_token": bob_tokens.pop(),
            "version": "1",
            "review_version": _review_version(bob_page),
            f"decision-{rules[0]}": "agree",
        },
    )
    assert posted.status_code == 302
    # ... and Alice's is refused in Bob's session (it is no shared placeholder).
    refused = bob.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "csrf_token": alice_tokens.pop(),
            "version": "1",
            "review_version": "2",
            f"decision-{rules[1]}": "agree",
        },
    )
    assert refused.status_code == 400


def test_every_change_the_parts_draw_is_shown_at_once(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    alice = sign_in(app.test_client(), people["alice"])
    bob = sign_in(app.test_client(), people["bob"])
    cache = _fragments(app)
    html = _page(bob, submitted)
    rules = _rule_ids(html)
    assert "Not reviewed" in html and "Overridden" not in html
    misses = cache.misses
    engine = re.search(
        rf'id="rule-{rules[0]}".*?data-testid="engine-status">\s*<strong[^>]*'
        r'data-rule-status="([a-z_]+)"',
        html,
        re.S,
    )
    assert engine is not None

    # A verdict (Alice's) is on Bob's next page, with its reason, escaped.
    saved = alice.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": _review_version(html),
            f"decision-{rules[0]}": "override",
            f"status-{rules[0]}": "fail" if engine.group(1) != "fail" else "pass",
            f"reason-{rules[0]}": "Agreed <off-site> provision",
        },
    )
    assert saved.status_code == 302
    html = _page(bob, submitted)
    assert cache.misses == misses + 1
    misses = cache.misses
    assert 'data-testid="verdict-reason">Agreed &lt;off-site&gt; provision<' in html
    assert '<strong class="govuk-tag govuk-tag--orange">Overridden</strong>' in html
    assert "alice@council.example, " in html  # who gave the verdict
    assert 'name="review_version" value="2"' in html

    # An acknowledgement.
    names = re.findall(r'name="acknowledge" type="checkbox" value="([^"]+)" >', html)
    assert names, "the Islington example relies on unverified figures"
    acked = alice.post(
        f"/officer/statements/{submitted.id}/acknowledgements",
        data={"review_version": _review_version(html), "acknowledge": names[0]},
    )
    assert acked.status_code == 302
    html = _page(bob, submitted)
    assert cache.misses == misses + 1
    misses = cache.misses
    status = re.search(rf'data-testid="ack-status-{names[0]}">([^<]+)<', html)
    assert status is not None
    assert status.group(1).startswith("Acknowledged by alice@council.example on ")
    assert f'value="{names[0]}" checked disabled' in html

    # A ward correction.
    commitment = re.findall(r'data-testid="ward-form-([^"]+)"', html)[0]
    wards = re.findall(r'<option value="(E05\d{6})" >([^<]+)</option>', html)
    current = re.search(rf'data-testid="wards-{commitment}">([^<]*)', html)
    assert current is not None
    code, name = next((c, n) for c, n in wards if n not in current.group(1))
    corrected = alice.post(
        f"/officer/statements/{submitted.id}/commitments/{commitment}/ward",
        data={
            "review_version": _review_version(html),
            "ward": code,
            "reason": "The site office is in this ward",
        },
    )
    assert corrected.status_code == 302
    html = _page(bob, submitted)
    assert cache.misses == misses + 1
    misses = cache.misses
    cell = re.search(rf'data-testid="wards-{commitment}">(.*?)</td>', html, re.S)
    assert cell is not None
    assert cell.group(1).startswith(str(escape(name)))
    assert "Ward corrected" in cell.group(1)
    assert "“The site office is in this ward”" in cell.group(1)

    # An officer's new name is a new key too (the verdict names its officer).
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(User, people["alice"].id)
        assert row is not None
        row.name = "Alice Example"
        session.commit()
    html = _page(bob, submitted)
    assert cache.misses == misses + 1
    misses = cache.misses
    assert "Alice Example, " in html and "alice@council.example, " not in html

    # A note is outside the parts: shown at once, and the parts are reused.
    noted = alice.post(f"/officer/statements/{submitted.id}/notes", data={"note": "Call <them>"})
    assert noted.status_code == 302
    html = _page(bob, submitted)
    assert cache.misses == misses
    assert '<span class="app-note-body">Call &lt;them&gt;</span>' in html

    # A decision changes the statement's status: the forms go with it.
    assert 'data-testid="verdicts-form"' in html
    from planning_sv.store import statements as repo

    with app.extensions["planning_sv.db"].session() as session:
        row_statement = session.get(Statement, submitted.id)
        officer = session.get(User, people["alice"].id)
        assert row_statement is not None and officer is not None
        repo.apply_transition(session, row_statement, "request_changes", officer, "More jobs")
        session.commit()
    html = _page(bob, submitted)
    assert cache.misses == misses + 1
    assert 'data-testid="verdicts-form"' not in html
    assert 'data-testid="ward-form-' not in html


def test_a_refused_form_is_drawn_for_that_request_only(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    alice = sign_in(app.test_client(), people["alice"])
    cache = _fragments(app)
    html = _page(alice, submitted)
    rules = _rule_ids(html)
    kept = len(cache)
    refused = alice.post(
        f"/officer/statements/{submitted.id}/verdicts",
        data={
            "version": "1",
            "review_version": _review_version(html),
            f"decision-{rules[0]}": "override",  # no status, no reason: refused
            f"comment-{rules[0]}": "My draft <comment>",
        },
    )
    assert refused.status_code == 400
    assert "My draft &lt;comment&gt;</textarea>" in refused.text  # what was typed, kept
    assert len(cache) == kept  # not stored
    again = _page(alice, submitted)
    assert "My draft" not in again  # nor shown to the next request


def test_fragment_cache_swaps_the_token_and_keeps_nothing_unkeyed() -> None:
    cache = FragmentCache(max_bytes=220)  # four entries of 50 characters
    rendered: list[str] = []

    def render(token: Callable[[], str]) -> str:
        value = token()  # what the forms are drawn with
        rendered.append(value)
        return f'\n<!--part:a-->\n<input value="{value}">\n<!--part:b-->\nB\n\n<!--part:end-->\n'

    first = cache.parts(("k",), render, lambda: "tok-1")
    second = cache.parts(("k",), render, lambda: 'tok"2')
    assert rendered == [cache.placeholder]  # rendered once, with the placeholder
    assert first == {"a": '<input value="tok-1">', "b": "B\n"}
    assert second["a"] == '<input value="tok&#34;2">'  # the token is escaped
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)
    unkeyed = cache.parts(None, render, lambda: "mine")
    assert unkeyed["a"] == '<input value="mine">' and len(cache) == 1
    # Bounded by size: the oldest goes first; one part bigger than a quarter is not kept.
    for key in ("l", "m", "n", "o"):
        cache.parts((key,), render, lambda: "t")
    assert ("k",) not in cache._items and len(cache) == 4
    cache.parts(("big",), lambda token: "<!--part:a-->" + "x" * 200, lambda: "t")
    assert ("big",) not in cache._items


def test_parts_split_only_at_marks_and_escaped_text_cannot_forge_one() -> None:
    forged = str(escape("<!--part:rules-->owned"))
    assert split_parts(f"<!--part:a-->\n{forged}\n<!--part:end-->") == {"a": forged}
    assert split_parts("  \n<!--part:x-->\n\n1\n\n<!--part:y-->2<!--part:end-->tail") == {
        "x": "\n1\n",
        "y": "2",
    }


def test_record_cache_parses_a_row_once(
    app: Flask, people: dict[str, User], submitted: Statement
) -> None:
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, submitted.id)
        assert row is not None and row.latest_version is not None
        assert row.latest_version.assessment is not None
        data = row.latest_version.assessment.data
    parsed: list[int] = []

    def load() -> Any:
        parsed.append(1)
        return data

    cache = RecordCache(limit=2)
    assert not cache.has_version(11)
    first = cache.get((1, "t1"), load, version_id=11)
    assert cache.get((1, "t1"), load) is first and parsed == [1]
    assert cache.has_version(11)
    assert first == parse_assessment(data)
    assert [r.id for r in first.rules] == [r["id"] for r in data["rules"]]
    cache.get((2, "t2"), load, version_id=12)
    cache.get((3, "t3"), load, version_id=13)  # limit 2: (1, "t1") is dropped
    assert not cache.has_version(11) and cache.has_version(13)
    assert cache.get((1, "t1"), load) is not first and len(parsed) == 4


def test_a_kept_record_is_not_read_again_from_the_database(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    from sqlalchemy import event

    engine = app.extensions["planning_sv.db"].engine
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    client = sign_in(app.test_client(), people["alice"])
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = _page(client, submitted)
        cold = list(sent)
        sent.clear()
        second = _page(client, submitted)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert _normalised(first) == _normalised(second)
    reads = [q for q in cold if "FROM assessments" in q]
    assert len(reads) == 1 and "assessments.data" in reads[0]  # parsed once, then kept
    reads = [q for q in sent if "FROM assessments" in q]
    assert len(reads) == 1 and "assessments.data" not in reads[0]  # the JSON is not read
    assert len(sent) == len(cold)  # the same number of queries either way


def test_the_parts_template_draws_only_the_context_it_is_keyed_on(app: Flask) -> None:
    from jinja2 import meta, nodes

    from planning_sv.web.officer import PARTS_CONTEXT, PARTS_TEMPLATE

    env = app.jinja_env
    assert env.loader is not None
    tree = env.parse(env.loader.get_source(env, PARTS_TEMPLATE)[0])
    own = {n.target.name for n in tree.find_all((nodes.Assign, nodes.AssignBlock))}  # type: ignore[union-attr]
    drawn = meta.find_undeclared_variables(tree) - own
    # App-wide constants and functions (figures, URLs), the per-request CSRF function that
    # the cache swaps, and the refused ward form (never kept): nothing else.
    shared = {"url_for", "format_number", "format_gbp", "benchmark_figure"}
    shared |= {"benchmark_min_schemes", "csrf_token", "ward_entered"}
    assert drawn - shared == set(PARTS_CONTEXT)
    assert not drawn & {"current_user", "request", "session", "g", "cspNonce", "notes"}
