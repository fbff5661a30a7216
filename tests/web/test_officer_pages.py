"""Issue 12, officer pages: labelled notes and messages, a review page to work through,
decisions shown only to who may take them, plain words and dates, unverified figures
acknowledged before recommending, and officers' ward corrections."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.review import (
    ParameterAcknowledgement,
    ReviewNote,
    RuleVerdict,
    WardCorrectionRow,
)

Make = Callable[..., Any]


@pytest.fixture
def people(make_user: Make) -> dict[str, User]:
    return {
        "owner": make_user("applicant"),
        "officer": make_user("officer", "islington"),
        "senior": make_user("senior_officer", "islington"),
        "senior2": make_user("senior_officer", "islington"),
    }


@pytest.fixture
def submitted(make_statement: Make, people: dict[str, User]) -> Statement:
    return make_statement(people["owner"], "islington", actions=("submit",))


def _client(app: Flask, sign_in: Make, user: User) -> FlaskClient:
    return sign_in(app.test_client(), user)


def _review_version(client: FlaskClient, statement: Statement) -> str:
    html = client.get(f"/officer/statements/{statement.id}").text
    found = re.search(r'name="review_version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def _post(client: FlaskClient, statement: Statement, path: str, **fields: Any) -> TestResponse:
    data = {"review_version": _review_version(client, statement), **fields}
    return client.post(f"/officer/statements/{statement.id}/{path}", data=data)


def _events(app: Flask, statement: Statement) -> list[AuditEvent]:
    with app.extensions["planning_sv.db"].session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.statement_id == statement.id)
                .order_by(AuditEvent.id)
            )
        )


def _rules(app: Flask, statement: Statement) -> list[dict[str, Any]]:
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.latest_version is not None
        return row.latest_version.assessment.data["rules"]


def test_smoke_review_and_decision_pages(
    app: Flask, sign_in: Make, people: dict[str, User], submitted: Statement
) -> None:
    client = _client(app, sign_in, people["officer"])
    page = client.get(f"/officer/statements/{submitted.id}")
    assert page.status_code == 200, page.text[:3000]
    decision = client.get(f"/officer/statements/{submitted.id}/decision")
    assert decision.status_code == 200, decision.text[:3000]
