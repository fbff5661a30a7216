"""Two officers deciding at the same moment, over real HTTP, on every database lane.

A real server (werkzeug, threaded, on 127.0.0.1 port 0) and two `requests` sessions that
sign in through the form and read CSRF tokens from the pages, as browsers would. Both
decisions are released together by a barrier: exactly one wins (a redirect), the other is
told about the conflict (409), never a 500, and the audit holds exactly one decision.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from planning_sv import config
from planning_sv.store import review as review_repo
from planning_sv.store import statements as repo
from planning_sv.store.migrate import upgrade
from planning_sv.store.models import AuditEvent, Statement
from planning_sv.store.users import create_user
from planning_sv.web import create_app

PASSWORD = "correct-horse-battery-race"
TRIALS = 10
DECISIONS = ("recommend", "request_changes")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[Flask, str]]:
    """The app with CSRF on, served by a threaded werkzeug server on a free port."""
    upgrade(db_url)
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "SECRET_KEY": "race-secret",
            "RATELIMIT_ENABLED": False,  # 2 sign-ins only, but other tests share the limiter
            # Plain http on 127.0.0.1: `requests` sends no Secure cookies over http.
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        app.extensions["planning_sv.db"].dispose()


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def _signed_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{base}/sign-in", timeout=30)
    response = browser.post(
        f"{base}/sign-in",
        data={"csrf_token": _csrf(form.text), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def _decision_form(browser: requests.Session, base: str, sid: int, action: str) -> dict[str, str]:
    """The decision form's fields as the review page renders them (token, lock version)."""
    page = browser.get(f"{base}/officer/statements/{sid}/decision", timeout=30)
    assert page.status_code == 200
    form = re.search(rf'<form[^>]*data-action="{action}".*?</form>', page.text, re.S)
    assert form is not None, f"no {action} form"
    version = re.search(r'name="review_version" value="(\d+)"', form.group(0))
    assert version is not None
    fields = {
        "csrf_token": _csrf(form.group(0)),
        "action": action,
        "review_version": version.group(1),
    }
    if action == "recommend":
        fields["accept_engine"] = "yes"  # the officers judged no rule: they accept the engine's
    else:
        fields["message"] = "Add 10 more construction placements"
    return fields


def _race(
    base: str, sid: int, forms: list[tuple[requests.Session, dict[str, str]]]
) -> list[requests.Response]:
    """Post every decision form at the same moment (released together by a barrier)."""
    barrier = threading.Barrier(len(forms))
    results: list[requests.Response | None] = [None] * len(forms)

    def decide(index: int, browser: requests.Session, fields: dict[str, str]) -> None:
        barrier.wait()
        results[index] = browser.post(
            f"{base}/officer/statements/{sid}/actions",
            data=fields,
            allow_redirects=False,
            timeout=60,
        )

    threads = [
        threading.Thread(target=decide, args=(i, browser, fields))
        for i, (browser, fields) in enumerate(forms)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_concurrent_decisions_one_wins_the_other_gets_409(served: tuple[Flask, str]) -> None:
    app, base = served
    db = app.extensions["planning_sv.db"]
    example = json.loads(
        (config.PROJECT_ROOT / "tests/fixtures/islington_mixed_use.json").read_text(
            encoding="utf-8"
        )
    )
    with db.session() as session:
        owner = create_user(session, "owner@race.example", PASSWORD, "applicant", None)
        alice_user = create_user(session, "alice@race.example", PASSWORD, "officer", "islington")
        create_user(session, "bob@race.example", PASSWORD, "senior_officer", "islington")
        ids = []
        for trial in range(TRIALS):
            statement = repo.create_statement(session, owner, "islington", copy.deepcopy(example))
            repo.submit(session, statement, owner)
            ids.append(statement.id)
            # Recommending needs the unverified figures acknowledged (issue 12): rows written
            # directly, so the review's lock version stays where this race expects it.
            submitted = statement.latest_version
            assert submitted is not None
            for name in review_repo.unacknowledged(session, submitted):
                session.add(
                    review_repo.ParameterAcknowledgement(
                        statement_version_id=submitted.id, parameter=name, officer_id=alice_user.id
                    )
                )
            if trial % 2:
                # Half the races are on an existing review row (the UPDATE ... WHERE version
                # path), half on a review nobody has written yet (the INSERT path).
                version = statement.latest_version
                assert version is not None and version.assessment is not None
                rule_id = version.assessment.data["rules"][0]["id"]
                review_repo.save_verdicts(
                    session,
                    statement,
                    version,
                    version.assessment.record,
                    [review_repo.VerdictInput(rule_id, "agree")],
                    alice_user,
                    expected_version=1,
                )
    alice = _signed_in(base, "alice@race.example")
    bob = _signed_in(base, "bob@race.example")

    outcomes: list[tuple[int, int]] = []
    for trial, sid in enumerate(ids):
        forms = [
            (alice, _decision_form(alice, base, sid, DECISIONS[0])),
            (bob, _decision_form(bob, base, sid, DECISIONS[1])),
        ]
        # Both pages were built on the same review version: 1, or 2 after the verdict.
        assert {f["review_version"] for _, f in forms} == {"2" if trial % 2 else "1"}
        results = _race(base, sid, forms)
        codes = sorted(r.status_code for r in results)
        outcomes.append((codes[0], codes[1]))
        assert codes == [302, 409], (sid, codes, [r.text[:300] for r in results])
        loser = next(r for r in results if r.status_code == 409)
        assert 'data-testid="conflict"' in loser.text
        assert "Not saved: someone else changed this review" in loser.text
        # The loser is told what the winner decided (their decision is committed by then).
        assert 'data-testid="conflict-decision"' in loser.text

        with db.session() as session:
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.statement_id == sid).order_by(AuditEvent.id)
            ).all()
            decisions = [e for e in events if e.action in DECISIONS]
            assert len(decisions) == 1
            assert decisions[0].details["review_version"] == (3 if trial % 2 else 2)
            assert [e.action for e in events].count("start_review") == 1
            status = session.get(Statement, sid).status  # type: ignore[union-attr]
            assert status == decisions[0].to_status
            assert status in ("recommended", "changes_requested")
    assert outcomes == [(302, 409)] * TRIALS
