"""store/monitoring.py on each database lane (SQLite, PostgreSQL): agreement, trigger,
reports, verification, variation, statuses (audited, idempotent) and the exports' queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from planning_sv.core.monitoring import DuePeriod, Trigger, TriggerKind
from planning_sv.store import monitoring as repo
from planning_sv.store import statements as statements_repo
from planning_sv.store.db import Database
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.users import create_user

D = dt.date
WARDS = [
    {"code": "E05013706", "name": "Holloway", "share": 0.75},
    {"code": "E05013712", "name": "Tollington", "share": 0.25},
]


def _approved(session: Any, example: dict[str, Any]) -> tuple[Statement, User, User]:
    owner = create_user(session, "dev@lane.example", "a-long-password-1", "applicant", None)
    officer = create_user(session, "o@lane.example", "a-long-password-1", "officer", "islington")
    senior = create_user(
        session, "s@lane.example", "a-long-password-1", "senior_officer", "islington"
    )
    statement = statements_repo.create_statement(session, owner, "islington", example)
    statements_repo.submit(session, statement, owner)
    for action, actor in (
        ("start_review", officer),
        ("recommend", officer),
        ("sign_off", senior),
        ("approve", officer),
    ):
        statements_repo.apply_transition(session, statement, action, actor)
    return statement, owner, officer


def _head(number: int, measure: str, quantity: float, weeks: int) -> repo.SecuredHead:
    return repo.SecuredHead(
        number=number,
        measure=measure,
        measure_label=measure,
        unit="starts",
        unit_label="starts",
        quantity=quantity,
        trigger=Trigger(TriggerKind.COMMENCEMENT),
        period=DuePeriod(weeks, "weeks"),
        wards=WARDS,
    )


def test_monitoring_records_on_each_lane(
    database: Database, islington_example: dict[str, Any]
) -> None:
    with database.session() as session:
        statement, owner, officer = _approved(session, islington_example)
        repo.record_agreement(
            session,
            statement,
            officer,
            reference="S106/1",
            signed_on=D(2026, 1, 15),
            document_url="https://example.org/deed.pdf",
            heads=[_head(1, "apprenticeship", 8, 26), _head(2, "work_placement", 20, 52)],
            today=D(2026, 3, 1),
        )
        repo.record_trigger(
            session,
            statement,
            officer,
            kind="commencement",
            occurred_on=D(2026, 3, 3),
            today=D(2026, 3, 3),
        )
        first, second = repo.obligations_of(session, statement.id)
        # 3 March 2026 + 26 weeks (182 days) = 1 September 2026; + 52 weeks = 2 March 2027
        assert (first.due_on, second.due_on) == (D(2026, 9, 1), D(2027, 3, 2))
        reports = repo.add_reports(
            session,
            statement,
            owner,
            [
                repo.NewReport(first, D(2026, 3, 3), D(2026, 6, 30), 4, None, WARDS, None),
                repo.NewReport(first, D(2026, 7, 1), D(2026, 8, 31), 4, None, WARDS, None),
            ],
            source="api",
        )
        repo.verify_report(
            session,
            reports[0],
            officer,
            decision="accepted",
            accepted_quantity=None,
            reason=None,
            today=D(2026, 9, 1),
        )
        repo.verify_report(
            session,
            reports[1],
            officer,
            decision="rejected",
            accepted_quantity=None,
            reason="no evidence",
            today=D(2026, 9, 1),
        )
        sid = statement.id
    with database.session() as session:
        # Only the accepted report counts: 4 starts, split 3 / 1 between the wards.
        delivery = repo.verified_delivery_by_ward(session, "islington")
        assert [(d.ward_code, d.quantity) for d in delivery] == [
            ("E05013706", 3.0),
            ("E05013712", 1.0),
        ]
        assert repo.verified_delivery_by_ward(session, "islington", year=2025) == []
        # On 1 September (verification day) both were at risk: the first 4 of 8 done (0.5)
        # with all its time gone, the second 0 of 20 with 182 of 364 days (0.5) gone. The day
        # after the first due date it is part delivered; the second is still at risk.
        changes = repo.refresh_statuses(session, D(2026, 9, 2), council="islington")
        assert [(c.before, c.after) for c in changes] == [("at_risk", "part_delivered")]
        assert repo.refresh_statuses(session, D(2026, 9, 2), council="islington") == []
        audited = session.scalars(
            select(AuditEvent.to_status).where(
                AuditEvent.statement_id == sid, AuditEvent.action == "monitoring.status"
            )
        ).all()
        assert "part_delivered" in audited and "at_risk" in audited
        statement = session.get(Statement, sid)
        officer = session.scalar(select(User).where(User.email == "o@lane.example"))
        old = repo.obligations_of(session, sid)[1]
        repo.record_variation(
            session,
            statement,
            officer,
            reference="DOV/1",
            signed_on=D(2026, 10, 1),
            document_url=None,
            changes=[repo.Variation(old.id, 10, "smaller phase")],
            today=D(2026, 10, 1),
        )
        rows = repo.obligations_of(session, sid)
        assert [(o.quantity, o.status, o.live) for o in rows] == [
            (8.0, "part_delivered", True),
            (20.0, "varied", False),
            (10.0, rows[2].status, True),
        ]
        assert len(repo.council_agreements(session, "islington")) == 2
