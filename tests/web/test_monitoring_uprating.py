"""The uprated sum on the obligation page and in `secured` transactions (hand-worked on the
shipped ASHE index: 2022 £33,061, 2024 £37,430), and a clear statement instead of a figure
where the index data cannot support it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from planning_sv.store import monitoring as mon
from planning_sv.store.models import Statement, User
from tests.conftest import sign_in
from tests.web.monitoring_fixture import monitored_scheme

ASHE_TITLE = "ONS ASHE median gross annual earnings of full-time employees, UK (April each year)"


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    """The monitored scheme plus a £45,000 employment and training contribution uprated by
    ASHE, under an agreement signed on 1 June 2022 and due on 1 March 2024."""
    found = monitored_scheme(app, make_user, make_statement)
    with app.extensions["planning_sv.db"].session() as session:
        agreement = session.get(mon.Agreement, found["agreement"])
        fee = session.get(mon.Obligation, found["fee"])
        assert agreement is not None and fee is not None
        agreement.signed_on = dt.date(2022, 6, 1)
        contribution = mon.Obligation(
            agreement_id=agreement.id,
            statement_id=fee.statement_id,
            council="islington",
            number=3,
            commitment_id="c9",
            measure="employment_training_contribution",
            measure_label="Employment and training contribution",
            unit="gbp",
            unit_label="£",
            purpose="economic-development",
            is_money=True,
            quantity=45000.0,
            wards=[],
            status="overdue",
            trigger_kind="commencement",
            due_amount=0,
            due_unit="weeks",
            due_on=dt.date(2024, 3, 1),
            uprating_index="ashe_ft_median_annual",
            created_at=fee.created_at,
        )
        session.add(contribution)
        session.commit()
        found["contribution"] = contribution.id
    return found


def _uprated(html: str, obligation: int) -> str:
    found = re.search(rf'data-testid="uprated-{obligation}">(.*?)</span>', html, re.S)
    assert found is not None
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_page_shows_the_uprated_sum_with_its_working(app: Flask, scheme: dict[str, Any]) -> None:
    officer = sign_in(app.test_client(), scheme["officer"])
    sid, oid = scheme["statement"].id, scheme["contribution"]
    page = officer.get(f"/monitoring/statements/{sid}")
    assert page.status_code == 200
    # 45,000 x 37,430 (2024, the due date) / 33,061 (2022, signed) = 50,946.73
    assert _uprated(page.text, oid) == (
        "Uprated sum due at 2024-03-01: £45,000.00 × 37,430 (2024) ÷ 33,061 (2022) = "
        f"£50,946.73, by {ASHE_TITLE} (source)"
    )
    # `secured` without an amount records the uprated sum, with its working as the note.
    url = f"/monitoring/statements/{sid}/obligations/{oid}/transactions"
    done = officer.post(url, data={"kind": "secured", "amount": "", "on_date": "2024-03-01"})
    assert done.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        row = session.scalars(
            select(mon.MoneyTransaction).where(mon.MoneyTransaction.obligation_id == oid)
        ).one()
        assert (row.kind, row.amount, row.on_date) == ("secured", 50946.73, dt.date(2024, 3, 1))
        assert row.note is not None and row.note.startswith("£45,000.00 × 37,430 (2024)")
    # Secured in 2023: 45,000 x 35,004 = 1,575,180,000; / 33,061 = 47,644.66
    officer.post(url, data={"kind": "secured", "amount": "", "on_date": "2023-09-01"})
    # An amount the officer types is kept as typed.
    officer.post(url, data={"kind": "secured", "amount": "46000", "on_date": "2023-10-01"})
    with app.extensions["planning_sv.db"].session() as session:
        amounts = session.scalars(
            select(mon.MoneyTransaction.amount)
            .where(mon.MoneyTransaction.obligation_id == oid)
            .order_by(mon.MoneyTransaction.id)
        ).all()
        assert amounts == [50946.73, 47644.66, 46000.0]


def test_no_figure_where_the_index_data_cannot_support_it(
    app: Flask, scheme: dict[str, Any]
) -> None:
    officer = sign_in(app.test_client(), scheme["officer"])
    sid, oid = scheme["statement"].id, scheme["contribution"]
    url = f"/monitoring/statements/{sid}/obligations/{oid}/transactions"
    # Secured in 2026: the index data stops at 2024, so no sum is guessed; nothing stored.
    refused = officer.post(url, data={"kind": "secured", "amount": "", "on_date": "2026-05-01"})
    assert refused.status_code == 400
    assert (
        f"enter the amount due: Uprated sum not computed: {ASHE_TITLE} has no value for 2026 "
        "(the data holds 2022–2024)" in unescape(refused.text)
    )
    with app.extensions["planning_sv.db"].session() as session:
        assert (
            session.scalars(
                select(mon.MoneyTransaction).where(mon.MoneyTransaction.obligation_id == oid)
            ).all()
            == []
        )
        obligation = session.get(mon.Obligation, oid)
        assert obligation is not None
        obligation.uprating_index = "BCIS All-in TPI"
        session.commit()
    page = officer.get(f"/monitoring/statements/{sid}").text
    assert _uprated(page, oid) == (
        "Uprated sum not computed: the index 'BCIS All-in TPI' is not in the service's index "
        "data (local_plans/value_sets/indices.yaml; it holds: ashe_ft_median_annual)"
    )
    assert "£50,946.73" not in page
    # Without an index, `secured` with no amount records the obligation's own amount.
    with app.extensions["planning_sv.db"].session() as session:
        obligation = session.get(mon.Obligation, oid)
        assert obligation is not None
        obligation.uprating_index = None
        session.commit()
    assert officer.post(url, data={"kind": "secured", "on_date": "2026-05-01"}).status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        assert session.scalars(
            select(mon.MoneyTransaction.amount).where(mon.MoneyTransaction.obligation_id == oid)
        ).all() == [45000.0]
