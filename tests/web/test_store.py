"""Store: migrations, users and tokens, statements, versions, assessments and audit events.

Runs on SQLite and (with TEST_POSTGRES_URL) PostgreSQL via the `database` fixture.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from planning_sv.core.errors import InputInvalid
from planning_sv.core.workflow import IllegalTransition
from planning_sv.store import statements as repo
from planning_sv.store.db import Database
from planning_sv.store.migrate import upgrade
from planning_sv.store.models import Assessment, AuditEvent, Statement, StatementVersion, User
from planning_sv.store.users import (
    authenticate,
    create_token,
    create_user,
    revoke_tokens,
    user_for_token,
)

PASSWORD = "a-good-long-password"


def test_migrations_create_every_table_and_are_repeatable(database: Database, db_url: str) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {
        "users",
        "api_tokens",
        "statements",
        "statement_versions",
        "assessments",
        "audit_events",
        "alembic_version",
    } <= tables
    upgrade(db_url)  # a second upgrade is a no-op, not an error


def test_migrations_downgrade_and_upgrade_again(database: Database, db_url: str) -> None:
    from alembic import command

    from planning_sv.store.migrate import alembic_config

    database.dispose()
    command.downgrade(alembic_config(db_url), "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db_url)
    assert "statements" in inspect(database.engine).get_table_names()


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    db = Database(url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_users_passwords_are_hashed_and_checked(database: Database) -> None:
    with database.session() as s:
        user = create_user(s, " Dev@Example.COM ", PASSWORD)
        assert user.email == "dev@example.com"
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")
    with database.session() as s:
        assert authenticate(s, "dev@example.com", "wrong-password-xx") is None
        assert authenticate(s, "nobody@example.com", PASSWORD) is None
    with database.session() as s:
        assert s.scalar(select(User.failed_logins)) == 1
        assert authenticate(s, "DEV@example.com", PASSWORD) is not None
        assert authenticate(s, "DEV@example.com", PASSWORD).email == "dev@example.com"  # type: ignore[union-attr]
        assert s.scalar(select(User.failed_logins)) == 0


@pytest.mark.parametrize(
    ("email", "password", "role", "council", "path"),
    [
        ("not-an-email", PASSWORD, "applicant", None, "email"),
        ("a@b.example", "short", "applicant", None, "password"),
        ("a@b.example", PASSWORD, "wizard", None, "role"),
        ("a@b.example", PASSWORD, "officer", None, "council"),
        ("a@b.example", PASSWORD, "officer", "atlantis", "council"),
        ("a@b.example", PASSWORD, "applicant", "islington", "council"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    database: Database, email: str, password: str, role: str, council: str | None, path: str
) -> None:
    with database.session() as s, pytest.raises(InputInvalid) as caught:
        create_user(s, email, password, role, council, councils={"islington", "salford"})
    assert path in [p.path for p in caught.value.problems]


def test_duplicate_email_is_refused(database: Database) -> None:
    with database.session() as s:
        create_user(s, "dup@example.com", PASSWORD)
    with database.session() as s, pytest.raises(InputInvalid) as caught:
        create_user(s, "DUP@example.com", PASSWORD)
    assert caught.value.problems[0].path == "email"


def test_tokens_are_stored_hashed_and_revocable(database: Database) -> None:
    with database.session() as s:
        user = create_user(s, "api@example.com", PASSWORD)
        token, plain = create_token(s, user, "ci")
        assert plain not in token.token_hash and len(token.token_hash) == 64
    with database.session() as s:
        assert user_for_token(s, plain).email == "api@example.com"
        assert user_for_token(s, plain + "x") is None
        assert user_for_token(s, "") is None
        assert revoke_tokens(s, s.get(User, user.id)) == 1
    with database.session() as s:
        assert user_for_token(s, plain) is None


def _owner(s, email: str = "owner@example.com") -> User:  # type: ignore[no-untyped-def]
    return create_user(s, email, PASSWORD)


def test_submit_freezes_versions_with_assessments_and_audit(
    database: Database, islington_example: dict[str, Any]
) -> None:
    with database.session() as s:
        owner = _owner(s)
        officer = create_user(s, "o@council.example", PASSWORD, "officer", "islington")
        st = repo.create_statement(s, owner, "islington", islington_example)
        assert repo.draft_assessment(s, st) is not None  # the self-check ran on create
        draft = repo.draft_assessment(s, st).data  # type: ignore[union-attr]
        assert draft["council"] == "islington" and len(draft["rules"]) == 7
        assert draft["social_value"]["total_gbp"] == pytest.approx(3_019_350)
        v1 = repo.submit(s, st, owner)
        assert (v1.number, st.status) == (1, "submitted")
        repo.apply_transition(s, st, "start_review", officer)
        repo.apply_transition(s, st, "request_changes", officer, "add placements")
        changed = copy.deepcopy(islington_example)
        changed["commitments"][2]["quantity"] = 45
        repo.save_draft(s, st, changed, owner)
        v2 = repo.submit(s, st, owner)
        assert (v2.number, st.status) == (2, "resubmitted")
        statement_id = st.id
    with database.session() as s:
        st = s.get(Statement, statement_id)
        assert [v.number for v in st.versions] == [1, 2]
        assert st.versions[0].data["commitments"][2]["quantity"] == 20  # v1 unchanged
        for version in st.versions:
            assert version.assessment.data["schema"] == "planning-sv/assessment@1"
            assert version.assessment.pack_version == version.assessment.data["pack_version"]
            assert version.assessment.value_set
        events = [(e.action, e.from_status, e.to_status, e.reason) for e in repo.events_for(s, st)]
        assert events == [
            ("create", None, "draft", None),
            ("submit", "draft", "submitted", None),
            ("start_review", "submitted", "under_review", None),
            ("request_changes", "under_review", "changes_requested", "add placements"),
            ("resubmit", "changes_requested", "resubmitted", None),
        ]
        changes = repo.diff(st.versions[0].data, st.versions[1].data)
        assert [(c.path, c.old, c.new) for c in changes] == [
            ("$.commitments[id=c3].quantity", 20, 45)
        ]


def test_invalid_draft_cannot_be_submitted_and_nothing_changes(database: Database) -> None:
    with database.session() as s:
        owner = _owner(s)
        st = repo.create_statement(s, owner, "islington")
        with pytest.raises(InputInvalid) as caught:
            repo.submit(s, st, owner)
        assert any(
            p.path.startswith("$.site") or p.path.startswith("$.development")
            for p in caught.value.problems
        )
        # One problem per missing part, each at its JSON path.
        assert sorted((p.path, p.message) for p in caught.value.problems) == [
            ("$.development", "Field required"),
            ("$.site", "Field required"),
        ]
        assert st.status == "draft"
        assert s.scalar(select(StatementVersion.id)) is None


def test_illegal_transitions_are_refused(
    database: Database, islington_example: dict[str, Any]
) -> None:
    with database.session() as s:
        owner = _owner(s)
        st = repo.create_statement(s, owner, "islington", islington_example)
        with pytest.raises(IllegalTransition) as caught:
            repo.apply_transition(s, st, "approve", owner)
        assert caught.value.forbidden
        repo.submit(s, st, owner)
        with pytest.raises(repo.NotEditable):
            repo.save_draft(s, st, islington_example, owner)
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "approve")) is None


def test_council_cannot_change_and_unknown_council_is_refused(
    database: Database, islington_example: dict[str, Any]
) -> None:
    with database.session() as s:
        owner = _owner(s)
        with pytest.raises(InputInvalid) as caught:
            repo.create_statement(s, owner, "atlantis")
        assert caught.value.problems[0].path == "$.council"
        st = repo.create_statement(s, owner, "islington", islington_example)
        other = dict(islington_example, council="salford")
        with pytest.raises(InputInvalid) as caught:
            repo.save_draft(s, st, other, owner)
        assert [(p.path, p.message) for p in caught.value.problems] == [
            ("$.council", "this statement is for islington; start a new one for another council")
        ]


def test_stale_writes_are_detected(database: Database, islington_example: dict[str, Any]) -> None:
    with database.session() as s:
        st = repo.create_statement(s, _owner(s), "islington", islington_example)
        statement_id = st.id
    first, second = database.Session(), database.Session()
    try:
        a, b = first.get(Statement, statement_id), second.get(Statement, statement_id)
        a.application_reference = "A"
        first.commit()
        b.application_reference = "B"
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()


def test_visibility_filter(
    database: Database, islington_example: dict[str, Any], salford_example: dict[str, Any]
) -> None:
    with database.session() as s:
        owner = _owner(s)
        other = _owner(s, "other@example.com")
        isl = create_user(s, "isl@council.example", PASSWORD, "officer", "islington")
        admin = create_user(s, "admin@council.example", PASSWORD, "admin")
        draft = repo.create_statement(s, owner, "islington", islington_example)
        repo.create_statement(s, owner, "salford", salford_example)
        assert repo.list_visible(s, owner)[1] == 2
        assert repo.list_visible(s, other)[1] == 0
        assert repo.list_visible(s, admin)[1] == 0
        assert repo.list_visible(s, owner, page=2, per_page=1)[0][0].council == "islington"
        # Drafts are private to their owner, even from their council's officers.
        assert repo.list_visible(s, isl) == ([], 0)
        assert repo.list_visible(s, isl, statuses=["draft"]) == ([], 0)
        repo.submit(s, draft, owner)
        rows, total = repo.list_visible(s, isl)
        assert total == 1 and rows[0].council == "islington"
        assert repo.list_visible(s, isl, statuses=["draft"]) == ([], 0)


def test_draft_assessment_is_replaced_on_each_save(
    database: Database, islington_example: dict[str, Any]
) -> None:
    with database.session() as s:
        owner = _owner(s)
        st = repo.create_statement(s, owner, "islington", islington_example)
        changed = copy.deepcopy(islington_example)
        changed["commitments"][4]["quantity"] = 100
        result = repo.save_draft(s, st, changed, owner)
        # The example's site is a town centre: B4's town-centre part asks 800 sqm.
        rule = next(
            r for r in result["rules"] if r["id"] == "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS"
        )
        assert rule["status"] != "pass" and rule["shortfall"] == 700
        drafts = s.scalars(select(Assessment).where(Assessment.version_id.is_(None))).all()
        assert len(drafts) == 1


def test_submitted_versions_are_immutable(
    database: Database, islington_example: dict[str, Any]
) -> None:
    from planning_sv.store.models import ImmutableRecord

    with database.session() as s:
        owner = _owner(s)
        st = repo.create_statement(s, owner, "islington", islington_example)
        repo.submit(s, st, owner)
    for change in (
        lambda s: setattr(s.scalar(select(StatementVersion)), "data", {"forged": True}),
        lambda s: s.delete(s.scalar(select(StatementVersion))),
    ):
        with pytest.raises(ImmutableRecord), database.session() as s:
            change(s)
            s.flush()
    with database.session() as s:
        assert s.scalar(select(StatementVersion)).data["council"] == "islington"
