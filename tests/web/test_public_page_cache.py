"""Public pages rendered once per figures version (web/page_cache.py), never stale.

Hand-worked figures: volunteering is valued at £18.64 an hour (Islington's value set, as in
test_public_figures.py), so VOL/1's 100 hours in Tollington are £1,864 and VOL/2's 50 more
hours make the ward's total £2,796 (150 × £18.64).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planning_sv.store import figures
from planning_sv.store.models import Statement, User
from planning_sv.web.page_cache import store

TOLLINGTON = "E05013712"
WARD_PAGE = f"/councils/islington/wards/{TOLLINGTON}"
APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")


def _volunteering(example: dict[str, Any], reference: str, hours: int) -> dict[str, Any]:
    data = copy.deepcopy(example)
    data["application_reference"] = reference
    data["commitments"] = [
        {
            "id": "c1",
            "measure": "volunteering",
            "quantity": hours,
            "unit": "hours",
            "where": {"ward": TOLLINGTON},
        }
    ]
    return data


@pytest.fixture
def staff(make_user: Callable[..., User]) -> dict[str, User]:
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    return {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}


def _nonce(response: Any) -> str:
    """The script nonce of the CSP header; the page's scripts must carry the same."""
    header = response.headers["Content-Security-Policy"]
    found = re.search(r"'nonce-([^']+)'", header)
    assert found is not None
    return found.group(1)


def _ward_total(html: str) -> str:
    found = re.search(r'id="ward-totals".*?(£[\d,]+)', html, re.S)
    assert found is not None
    return found.group(1)


def test_an_approval_shows_at_once_in_every_worker_and_revalidation_is_a_304(
    app: Flask,
    app_with: Callable[..., Flask],
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    islington_example: dict[str, Any],
    staff: dict[str, User],
) -> None:
    owner = make_user("applicant")
    make_statement(
        owner, "islington", _volunteering(islington_example, "VOL/1", 100), APPROVE, staff
    )
    visitor = app.test_client()

    first = visitor.get(WARD_PAGE)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["ETag"].startswith('W/"')
    assert "Set-Cookie" not in first.headers  # nothing personal: the page is shared
    assert _ward_total(first.text) == "£1,864"
    first_nonce = _nonce(first)
    assert f'nonce="{first_nonce}"' in first.text

    # The second visitor gets the stored page with a nonce of its own, matching its header.
    pages = store(app)
    assert pages is not None
    hits = pages.hits
    second = visitor.get(WARD_PAGE)
    assert pages.hits == hits + 1
    second_nonce = _nonce(second)
    assert second_nonce != first_nonce
    assert f'nonce="{second_nonce}"' in second.text and first_nonce not in second.text
    assert second.text.replace(second_nonce, "N") == first.text.replace(first_nonce, "N")
    assert second.headers["ETag"] == first.headers["ETag"]

    # Revalidation: nothing rendered, no body, and no new CSP (the stored one matches).
    again = visitor.get(WARD_PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert "Content-Security-Policy" not in again.headers

    # Another worker process (its own app and page store, the same database) approves more
    # volunteering in the ward; the first worker's very next page shows it.
    other = app_with()
    make_statement_in(other, owner, _volunteering(islington_example, "VOL/2", 50), staff)
    after = visitor.get(WARD_PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert _ward_total(after.text) == "£2,796"
    assert after.headers["ETag"] != first.headers["ETag"]
    assert "VOL/2" in after.text


def make_statement_in(
    application: Flask, owner: User, data: dict[str, Any], staff: dict[str, User]
) -> None:
    """The workflow (submit … approve) through `application`'s own database engine."""
    from planning_sv.store import statements as repo

    with application.extensions["planning_sv.db"].session() as session:
        statement = repo.create_statement(session, session.get(User, owner.id), "islington", data)
        repo.submit(session, statement, session.get(User, owner.id))
        for action in APPROVE[1:]:
            repo.apply_transition(session, statement, action, session.get(User, staff[action].id))


def test_figures_version_rises_with_approval_and_rebuild(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    islington_example: dict[str, Any],
    staff: dict[str, User],
) -> None:
    database = app.extensions["planning_sv.db"]
    with database.session() as session:
        assert figures.version(session, "islington") == 0  # no row before the first change
    owner = make_user("applicant")
    make_statement(
        owner, "islington", _volunteering(islington_example, "VOL/1", 100), APPROVE, staff
    )
    with database.session() as session:
        # submit … sign off leave the public rows alone; the approval raises it once.
        assert figures.version(session, "islington") == 1
        assert figures.version(session, "salford") == 0
        figures.rebuild(session)
    with database.session() as session:
        assert figures.version(session, "islington") == 2
        assert figures.version(session, "salford") == 0  # nothing of Salford's changed


def test_downloads_revalidate_and_signed_in_pages_are_neither_shared_nor_stored(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    login_as: Callable[..., FlaskClient],
    islington_example: dict[str, Any],
    staff: dict[str, User],
) -> None:
    owner = make_user("applicant")
    make_statement(
        owner, "islington", _volunteering(islington_example, "VOL/1", 100), APPROVE, staff
    )
    visitor = app.test_client()
    csv_page = f"{WARD_PAGE}.csv"
    download = visitor.get(csv_page)
    assert download.status_code == 200 and "VOL/1" in download.text
    tag = download.headers["ETag"]
    assert visitor.get(csv_page, headers={"If-None-Match": tag}).status_code == 304
    # Another filter is another URL, so another tag.
    assert (
        visitor.get(f"{csv_page}?theme=community", headers={"If-None-Match": tag}).status_code
        == 200
    )

    pages = store(app)
    assert pages is not None
    stored = len(pages)
    officer = login_as("officer", "islington")
    mine = officer.get(WARD_PAGE)
    assert mine.status_code == 200 and _ward_total(mine.text) == "£1,864"
    assert "ETag" not in mine.headers
    assert len(pages) == stored  # a signed-in page is never kept for others
    assert officer.get(WARD_PAGE, headers={"If-None-Match": tag}).status_code == 200
