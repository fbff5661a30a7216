"""A hand-worked monitored scheme for the export and public delivery tests.

An approved Islington statement with a signed agreement (P2026/0001/S106, signed 1 April
2026), two obligations and their history, written straight into the monitoring tables so
every figure is known by hand:

- obligation 1: 10 FTE-years of local employment, placed 60% Bunhill (E05013699) and 40%
  Caledonian (E05013700), due 1 October 2026;
  - report A: 3 delivered in Bunhill, accepted (verified 1 November 2026, period to 31 Oct);
  - report B: 5 claimed, rejected (never counts);
  - report C: 4 claimed in Caledonian, partly accepted as 2.5 (verified 2 February 2027);
  - report D: 1 claimed, still pending (never counts);
- obligation 2: the £460 monitoring fee, received 2 April 2026 and spent 1 May 2026.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask

from planning_sv.store import monitoring as mon
from planning_sv.store.models import Statement, User

APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")
BUNHILL, CALEDONIAN = "E05013699", "E05013700"
UTC = dt.UTC


def monitored_scheme(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
) -> dict[str, Any]:
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(owner, "islington", None, APPROVE, staff)
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        assert row is not None and row.status == "approved"
        agreement = mon.Agreement(
            statement_id=statement.id,
            council="islington",
            version=1,
            reference="P2026/0001/S106",
            kind="section-106",
            signed_on=dt.date(2026, 4, 1),
            document_url="https://example.org/deeds/p2026-0001.pdf",
            recorded_by_id=officer.id,
            recorded_at=dt.datetime(2026, 4, 3, 9, 0, tzinfo=UTC),
        )
        session.add(agreement)
        session.flush()
        common = {
            "agreement_id": agreement.id,
            "statement_id": statement.id,
            "council": "islington",
            "trigger_kind": "commencement",
            "due_amount": 26,
            "due_unit": "weeks",
            "created_at": dt.datetime(2026, 4, 3, 9, 0, tzinfo=UTC),
        }
        jobs = mon.Obligation(
            number=1,
            commitment_id="c1",
            measure="local_employment",
            measure_label="Local people employed (FTE-years)",
            unit="fte_years",
            unit_label="FTE-years",
            purpose="economic-development",
            is_money=False,
            quantity=10.0,
            wards=[
                {"code": BUNHILL, "name": "Bunhill", "share": 0.6},
                {"code": CALEDONIAN, "name": "Caledonian", "share": 0.4},
            ],
            policy="Islington Local Plan policy B5",
            status="part_delivered",
            due_on=dt.date(2026, 10, 1),
            counted=5.5,
            **common,
        )
        fee = mon.Obligation(
            number=2,
            commitment_id=None,
            measure="monitoring_fee",
            measure_label="Monitoring fee",
            unit="gbp",
            unit_label="£",
            purpose="monitoring-fees",
            is_money=True,
            quantity=460.0,
            wards=[],
            status="delivered",
            counted=460.0,
            **common,
        )
        session.add_all([jobs, fee])
        session.flush()

        def report(
            quantity: float,
            ward: str,
            verification: str,
            verified: dt.date | None,
            accepted: float | None = None,
            end: dt.date = dt.date(2026, 10, 31),
        ) -> mon.DeliveryReport:
            return mon.DeliveryReport(
                obligation_id=jobs.id,
                statement_id=statement.id,
                council="islington",
                period_start=dt.date(2026, 4, 1),
                period_end=end,
                quantity=quantity,
                wards=[{"code": ward, "name": ward, "share": 1.0}],
                source="web",
                submitted_by_id=owner.id,
                submitted_at=dt.datetime(2026, 10, 31, 12, 0, tzinfo=UTC),
                verification=verification,
                accepted_quantity=accepted,
                verified_by_id=officer.id if verified else None,
                verified_at=(
                    dt.datetime.combine(verified, dt.time(10, 0), tzinfo=UTC) if verified else None
                ),
            )

        reports = [
            report(3.0, BUNHILL, "accepted", dt.date(2026, 11, 1)),
            report(5.0, BUNHILL, "rejected", dt.date(2026, 11, 2)),
            report(
                4.0,
                CALEDONIAN,
                "partly_accepted",
                dt.date(2027, 2, 2),
                accepted=2.5,
                end=dt.date(2027, 1, 31),
            ),
            report(1.0, BUNHILL, "pending", None),
        ]
        session.add_all(reports)
        money = [
            mon.MoneyTransaction(
                obligation_id=fee.id,
                statement_id=statement.id,
                council="islington",
                kind=kind,
                amount=460.0,
                on_date=on,
                recorded_by_id=officer.id,
                recorded_at=dt.datetime.combine(on, dt.time(9, 0), tzinfo=UTC),
            )
            for kind, on in (("received", dt.date(2026, 4, 2)), ("spent", dt.date(2026, 5, 1)))
        ]
        session.add_all(money)
        session.flush()
        ids = {
            "agreement": agreement.id,
            "jobs": jobs.id,
            "fee": fee.id,
            "reports": [r.id for r in reports],
            "money": [t.id for t in money],
            "application_reference": row.application_reference,
        }
    return {
        "statement": statement,
        "owner": owner,
        "officer": officer,
        "senior": senior,
        **ids,
    }
