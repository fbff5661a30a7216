"""The queue's SQL (JSON ward filter, date and applicant filters) and the review lock on
every database lane: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from planning_sv import config
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement
from planning_sv.store.review import ReviewState, RuleVerdict
from planning_sv.store.users import create_user

PASSWORD = "correct-horse-battery-lanes"
EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples


def _example() -> dict[str, Any]:
    return json.loads((EXAMPLES / "islington_mixed_use.json").read_text(encoding="utf-8"))


def test_queue_and_review_lock_on_each_lane(db_app: Flask) -> None:
    with db_app.extensions["planning_sv.db"].session() as session:
        owner = create_user(session, "owner@lane.example", PASSWORD, "applicant", None)
        create_user(session, "o1@lane.example", PASSWORD, "officer", "islington")
        create_user(session, "o2@lane.example", PASSWORD, "officer", "islington")
        statement = repo.create_statement(session, owner, "islington", copy.deepcopy(_example()))
        repo.submit(session, statement, owner)
        data = statement.latest_version.assessment.data  # type: ignore[union-attr]
        sid, ward = statement.id, data["site"]["wards"][0]["code"]
        rule = data["rules"][0]["id"]

    def client(email: str) -> Any:
        c = db_app.test_client()
        assert c.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302
        return c

    alice, bob = client("o1@lane.example"), client("o2@lane.example")
    assert f'data-statement-id="{sid}"' in alice.get(f"/officer/?ward={ward}").text
    assert "data-statement-id=" not in alice.get("/officer/?ward=E05999999").text
    assert f'data-statement-id="{sid}"' in alice.get("/officer/?applicant=OWNER@lane").text
    assert (
        f'data-statement-id="{sid}"' in alice.get("/officer/?from=2000-01-01&sort=reference").text
    )

    form = {"version": "1", "review_version": "1", f"decision-{rule}": "agree"}
    assert alice.post(f"/officer/statements/{sid}/verdicts", data=form).status_code == 302
    late = bob.post(f"/officer/statements/{sid}/verdicts", data={**form, f"comment-{rule}": "x"})
    assert late.status_code == 409
    with db_app.extensions["planning_sv.db"].session() as session:
        assert session.scalars(select(ReviewState.version)).one() == 2
        assert session.scalars(select(RuleVerdict.comment)).one() is None
        assert session.get(Statement, sid).status == "under_review"  # type: ignore[union-attr]
