"""Store-level guards: the audit table is append-only (no update or delete, not even in bulk)
and only officers of the statement's council record verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from planning_sv.store.models import AuditEvent, ImmutableRecord, Statement, StatementVersion, User
from planning_sv.store.review import AuditImmutable


@pytest.fixture
def event_id(app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Any]) -> int:
    statement: Statement = make_statement(make_user("applicant"), "islington", actions=("submit",))
    with app.extensions["planning_sv.db"].session() as session:
        return session.scalars(
            select(AuditEvent.id).where(AuditEvent.statement_id == statement.id)
        ).first()  # type: ignore[return-value]


def test_changing_an_event_is_refused(app: Flask, event_id: int) -> None:
    db = app.extensions["planning_sv.db"]
    with pytest.raises(AuditImmutable), db.session() as session:
        session.get(AuditEvent, event_id).reason = "rewritten"  # type: ignore[union-attr]
    with db.session() as session:
        assert session.get(AuditEvent, event_id).reason is None  # type: ignore[union-attr]


def test_reassigning_the_same_value_is_not_a_change(app: Flask, event_id: int) -> None:
    db = app.extensions["planning_sv.db"]
    with db.session() as session:
        event = session.get(AuditEvent, event_id)
        assert event is not None
        event.details = dict(event.details)  # equal value: no UPDATE, so no refusal


def test_guards_share_the_store_exception(app: Flask) -> None:
    assert issubclass(AuditImmutable, ImmutableRecord)  # callers catch one type


def test_deleting_an_event_is_refused(app: Flask, event_id: int) -> None:
    db = app.extensions["planning_sv.db"]
    with pytest.raises(AuditImmutable), db.session() as session:
        session.delete(session.get(AuditEvent, event_id))
    with db.session() as session:
        assert session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(reason="bulk"),
        delete(AuditEvent),
        update(StatementVersion).values(number=99),
        delete(StatementVersion),
    ],
    ids=["audit-bulk-update", "audit-bulk-delete", "version-bulk-update", "version-bulk-delete"],
)
def test_bulk_statements_are_refused(app: Flask, event_id: int, statement: Any) -> None:
    db = app.extensions["planning_sv.db"]
    with pytest.raises(AuditImmutable), db.session() as session:
        session.execute(statement)
    with db.session() as session:
        assert session.get(AuditEvent, event_id) is not None
        # Nothing changed either: the event keeps its reason, the version its number.
        assert session.get(AuditEvent, event_id).reason is None  # type: ignore[union-attr]
        assert session.scalars(select(StatementVersion.number)).all() == [1]


def test_other_tables_are_not_affected(app: Flask, event_id: int) -> None:
    db = app.extensions["planning_sv.db"]
    with db.session() as session:
        session.execute(update(User).values(name="Renamed"))
    with db.session() as session:
        assert {u.name for u in session.scalars(select(User))} == {"Renamed"}


def test_only_staff_of_the_council_record_verdicts(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Any]
) -> None:
    from planning_sv.core.workflow import IllegalTransition
    from planning_sv.store import review as review_repo

    owner = make_user("applicant")
    statement = make_statement(owner, "islington", actions=("submit",))
    salford_officer = make_user("officer", "salford")
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        version = row.latest_version  # type: ignore[union-attr]
        rule = version.assessment.data["rules"][0]["id"]  # type: ignore[union-attr]
        for actor in (session.get(User, owner.id), session.get(User, salford_officer.id)):
            with pytest.raises(IllegalTransition) as caught:
                review_repo.save_verdicts(
                    session,
                    row,
                    version,
                    version.assessment.record,  # type: ignore[union-attr]
                    [review_repo.VerdictInput(rule, "agree")],
                    actor,  # type: ignore[arg-type]
                    expected_version=1,
                )
            assert caught.value.forbidden
