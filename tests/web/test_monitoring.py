"""Monitoring pages: agreement, trigger events, delivery reports with evidence, verification,
money, CSV upload and API; bad reports are refused, naming the field, and change nothing."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv.store import monitoring as repo
from planning_sv.store.documents import Document
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.users import create_token

APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def scheme(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> dict[str, Any]:
    """An approved Islington scheme with its owner, officers and signed-in clients."""
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(owner, "islington", None, APPROVE, staff)
    return {
        "statement": statement,
        "owner": owner,
        "officer": officer,
        "officer_client": sign_in(app.test_client(), officer),
        "owner_client": sign_in(app.test_client(), owner),
    }


def _problems(html: str) -> list[str]:
    """The error summary's entries ("path: message")."""
    import re

    return [m.strip() for m in re.findall(r'<li><a href="#[^"]*">([^<]*)</a></li>', html)]


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.extensions["planning_sv.db"].session() as session:
        return (
            session.scalar(select(func.count()).select_from(repo.DeliveryReport)) or 0,
            session.scalar(select(func.count()).select_from(Document)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _record_agreement(client: FlaskClient, statement_id: int, **extra: str) -> Any:
    page = client.get(f"/monitoring/statements/{statement_id}/agreement")
    assert page.status_code == 200
    import re

    heads = sorted(set(re.findall(r'name="secure-(\d+)"', page.text)), key=int)
    form = {"reference": "P2026/0001/S106", "signed_on": "2026-01-15", "fee": "1"}
    for n in heads:
        form[f"secure-{n}"] = "1"
    form.update(extra)
    return client.post(f"/monitoring/statements/{statement_id}/agreement", data=form)


def _obligations(app: Flask, statement_id: int) -> list[repo.Obligation]:
    with app.extensions["planning_sv.db"].session() as session:
        return repo.obligations_of(session, statement_id)


def test_agreement_trigger_report_verify(app: Flask, scheme: dict[str, Any]) -> None:
    sid = scheme["statement"].id
    officer, owner = scheme["officer_client"], scheme["owner_client"]
    response = _record_agreement(officer, sid)
    assert response.status_code == 302, _problems(response.text)
    obligations = _obligations(app, sid)
    assert obligations
    fee = [o for o in obligations if o.purpose == "monitoring-fees"]
    assert len(fee) == 1
    print([(o.number, o.measure, o.quantity, o.unit, o.trigger_kind, o.due_amount, o.status, o.wards) for o in obligations])
    response = officer.post(
        f"/monitoring/statements/{sid}/triggers",
        data={"kind": "commencement", "occurred_on": "2026-03-03"},
    )
    assert response.status_code == 302, _problems(response.text)
    target = next(o for o in obligations if not o.is_money)
    response = owner.post(
        f"/monitoring/statements/{sid}/reports",
        data={
            "obligation": str(target.id),
            "period_start": "2026-03-03",
            "period_end": "2026-06-30",
            "quantity": "2",
            "evidence": (io.BytesIO(PDF), "timesheets.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, _problems(response.text)
    page = officer.get(f"/monitoring/statements/{sid}")
    assert page.status_code == 200
    print(page.text[-6000:])
