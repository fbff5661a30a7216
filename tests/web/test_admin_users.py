"""Administrators and accounts: a council admin stays inside its council and can never make,
change or demote an installation admin (admin with no council); an installation admin can.
Every change of role, council or active flag is audited with its before and after values,
from the admin pages and from `planning-sv users`."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.cli import cli
from planning_sv.store.db import Database
from planning_sv.store.models import AuditEvent, User
from planning_sv.store.users import create_token
from planning_sv.web.authz import (
    can_assign_role,
    can_manage_user,
    can_set_active,
    managed_councils,
)

UserFactory = Callable[..., User]
Login = Callable[..., FlaskClient]
COUNCILS = {"islington": "Islington", "salford": "Salford"}


def _account(app: Flask, user_id: int) -> tuple[str, str | None, bool]:
    with app.extensions["planning_sv.db"].session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.role, user.council, user.is_active


def _events(app: Flask) -> list[tuple[str, int | None, dict[str, Any]]]:
    with app.extensions["planning_sv.db"].session() as session:
        return [
            (e.action, e.actor_id, e.details)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


# --- the policy itself (web/authz.py), without HTTP ----------------------------------------


def test_policy_functions(make_user: UserFactory) -> None:
    isl_admin = make_user("admin", "islington")
    installation = make_user("admin")
    isl_officer = make_user("officer", "islington")
    sal_officer = make_user("officer", "salford")
    applicant = make_user("applicant")
    other_installation = make_user("admin")

    assert managed_councils(isl_admin, COUNCILS) == {"islington": "Islington"}
    assert managed_councils(installation, COUNCILS) == COUNCILS
    assert managed_councils(isl_officer, COUNCILS) == {}

    assert [
        can_manage_user(isl_admin, t)
        for t in (isl_officer, sal_officer, applicant, other_installation, isl_admin)
    ] == [True, False, True, False, True]
    assert all(
        can_manage_user(installation, t)
        for t in (isl_officer, sal_officer, applicant, other_installation)
    )
    assert not can_manage_user(isl_officer, applicant)  # not an admin at all

    assert can_assign_role(isl_admin, "officer", "islington")
    assert can_assign_role(isl_admin, "admin", "islington")
    assert can_assign_role(isl_admin, "applicant", None)
    assert not can_assign_role(isl_admin, "admin", None)  # the escalation in the finding
    assert not can_assign_role(isl_admin, "officer", "salford")
    assert not can_assign_role(isl_admin, "officer", None)
    assert can_assign_role(installation, "admin", None)
    assert can_assign_role(installation, "senior_officer", "salford")
    assert not can_assign_role(installation, "superuser", None)

    # Disabling: own council's staff only for a council admin, never oneself.
    assert can_set_active(isl_admin, isl_officer)
    assert not can_set_active(isl_admin, applicant)  # an applicant serves every council
    assert not can_set_active(isl_admin, isl_admin)
    assert can_set_active(installation, applicant)
    assert can_set_active(installation, other_installation)
    assert not can_set_active(installation, installation)


# --- a council admin ---------------------------------------------------------------------


def test_council_admin_cannot_make_an_installation_admin(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    client = login_as(user=make_user("admin", "islington"))
    officer = make_user("officer", "islington")
    applicant = make_user("applicant")
    for target in (officer, applicant):
        response = client.post(f"/admin/users/{target.id}", data={"role": "admin", "council": ""})
        assert response.status_code == 400
        assert "Only an installation administrator can make an administrator" in response.text
    assert _account(app, officer.id) == ("officer", "islington", True)
    assert _account(app, applicant.id) == ("applicant", None, True)
    assert _events(app) == []


def test_council_admin_cannot_give_roles_in_another_council(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    client = login_as(user=make_user("admin", "islington"))
    officer = make_user("officer", "islington")
    page = client.get(f"/admin/users/{officer.id}").text
    assert 'value="islington"' in page and 'value="salford"' not in page
    for data in (
        {"role": "officer", "council": "salford"},
        {"role": "admin", "council": "salford"},
    ):
        response = client.post(f"/admin/users/{officer.id}", data=data)
        assert response.status_code == 400, data
    assert _account(app, officer.id) == ("officer", "islington", True)
    assert _events(app) == []


def test_council_admin_cannot_touch_an_installation_admin(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    client = login_as(user=make_user("admin", "islington"))
    installation = make_user("admin")
    assert client.get(f"/admin/users/{installation.id}").status_code == 404
    for data in (
        {"role": "applicant", "council": ""},
        {"role": "admin", "council": "islington"},
        {"role": "admin", "council": "", "active": "no"},
    ):
        assert client.post(f"/admin/users/{installation.id}", data=data).status_code == 404
    assert installation.email not in client.get("/admin/users").text
    assert _account(app, installation.id) == ("admin", None, True)
    assert _events(app) == []


def test_council_admin_cannot_see_other_councils_users_or_value_sets(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    client = login_as(user=make_user("admin", "islington"))
    salford_officer = make_user("officer", "salford")
    salford_admin = make_user("admin", "salford")
    islington_officer = make_user("officer", "islington")
    listing = client.get("/admin/users").text
    assert islington_officer.email in listing
    assert salford_officer.email not in listing and salford_admin.email not in listing
    assert "2 accounts" in listing  # the admin and the Islington officer, nobody else
    for target in (salford_officer, salford_admin):
        assert client.get(f"/admin/users/{target.id}").status_code == 404
        applicant = {"role": "applicant", "council": ""}
        assert client.post(f"/admin/users/{target.id}", data=applicant).status_code == 404

    assert client.get("/admin/value-sets/salford").status_code == 404
    assert client.post("/admin/value-sets/salford", data={"value_set": "open"}).status_code == 404
    sets = client.get("/admin/value-sets").text
    assert "/admin/value-sets/islington" in sets and "/admin/value-sets/salford" not in sets
    upload = client.post(
        "/admin/value-sets/import",
        data={
            "council": "salford",
            "name": "Smuggled",
            "licence": "None",
            "use_it": "yes",
            "file": (io.BytesIO(b"measure,unit,gbp_per_unit,price_year,source\n"), "v.csv"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400 and "Smuggled" not in client.get("/admin/value-sets").text
    assert _events(app) == []


def test_council_admin_manages_its_own_council(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    admin = make_user("admin", "islington")
    client = login_as(user=admin)
    applicant = make_user("applicant")
    officer = make_user("officer", "islington")

    taken_on = client.post(
        f"/admin/users/{applicant.id}", data={"role": "officer", "council": "islington"}
    )
    assert taken_on.status_code == 302
    promoted = client.post(
        f"/admin/users/{officer.id}", data={"role": "senior_officer", "council": "islington"}
    )
    assert promoted.status_code == 302
    disabled = client.post(
        f"/admin/users/{officer.id}",
        data={"role": "senior_officer", "council": "islington", "active": "no"},
    )
    assert disabled.status_code == 302
    assert _account(app, applicant.id) == ("officer", "islington", True)
    assert _account(app, officer.id) == ("senior_officer", "islington", False)
    assert [(action, actor, d["user_id"], d["from"], d["to"]) for action, actor, d in _events(app)] == [
        ("set_role", admin.id, applicant.id, ["applicant", None], ["officer", "islington"]),
        ("set_role", admin.id, officer.id, ["officer", "islington"], ["senior_officer", "islington"]),
        ("set_active", admin.id, officer.id, True, False),
    ]  # fmt: skip

    # An applicant's account serves every council: a council admin may not disable it.
    refused = client.post(
        f"/admin/users/{applicant.id}",
        data={"role": "officer", "council": "islington", "active": "no"},
    )
    assert refused.status_code == 302  # now Islington staff, so it may
    other = make_user("applicant")
    refused = client.post(
        f"/admin/users/{other.id}", data={"role": "applicant", "council": "", "active": "no"}
    )
    assert refused.status_code == 400 and "cannot disable or enable" in refused.text
    assert _account(app, other.id) == ("applicant", None, True)


def test_no_admin_changes_their_own_role_or_disables_themselves(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    attempts = {
        "islington": (
            {"role": "officer", "council": "islington"},
            {"role": "applicant", "council": ""},
            {"role": "admin", "council": "salford"},
            {"role": "admin", "council": "islington", "active": "no"},
        ),
        None: (
            {"role": "officer", "council": "islington"},
            {"role": "applicant", "council": ""},
            {"role": "admin", "council": "islington"},  # would leave no installation admin
            {"role": "admin", "council": "", "active": "no"},
        ),
    }
    for council, tries in attempts.items():
        admin = make_user("admin", council)
        client = login_as(user=admin)
        for data in tries:
            response = client.post(f"/admin/users/{admin.id}", data=data)
            assert response.status_code == 400, (council, data)
        assert _account(app, admin.id) == ("admin", council, True)
    assert _events(app) == []


# --- an installation admin ----------------------------------------------------------------


def test_installation_admin_makes_and_demotes_installation_admins(
    app: Flask, make_user: UserFactory, login_as: Login
) -> None:
    installation = make_user("admin")
    client = login_as(user=installation)
    officer = make_user("officer", "salford")
    other = make_user("admin")

    page = client.get(f"/admin/users/{officer.id}").text
    assert "None (applicants, installation admins)" in page
    assert 'value="islington"' in page and 'value="salford"' in page
    made = client.post(f"/admin/users/{officer.id}", data={"role": "admin", "council": ""})
    assert made.status_code == 302
    demoted = client.post(
        f"/admin/users/{other.id}", data={"role": "admin", "council": "islington"}
    )
    assert demoted.status_code == 302
    disabled = client.post(
        f"/admin/users/{other.id}", data={"role": "admin", "council": "islington", "active": "no"}
    )
    assert disabled.status_code == 302
    enabled = client.post(
        f"/admin/users/{other.id}", data={"role": "admin", "council": "islington", "active": "yes"}
    )
    assert enabled.status_code == 302
    assert _account(app, officer.id) == ("admin", None, True)
    assert _account(app, other.id) == ("admin", "islington", True)
    events = _events(app)
    assert [(a, actor, d["user_id"], d["from"], d["to"], d["via"]) for a, actor, d in events] == [
        ("set_role", installation.id, officer.id, ["officer", "salford"], ["admin", None], "web"),
        ("set_role", installation.id, other.id, ["admin", None], ["admin", "islington"], "web"),
        ("set_active", installation.id, other.id, True, False, "web"),
        ("set_active", installation.id, other.id, False, True, "web"),
    ]  # fmt: skip
    assert events[0][2]["email"] == officer.email
    listing = client.get("/admin/users").text
    assert "installation admin" in listing and "3 accounts" in listing


def test_a_disabled_account_can_no_longer_sign_in_or_use_its_token(
    app: Flask, make_user: UserFactory, login_as: Login, password: str
) -> None:
    admin_client = login_as(user=make_user("admin", "islington"))
    officer = make_user("officer", "islington")
    officer_client = login_as(user=officer)
    with app.extensions["planning_sv.db"].session() as session:
        token = create_token(session, session.get(User, officer.id))[1]
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/statements", headers=bearer).status_code == 200
    assert officer_client.get("/officer/").status_code == 200

    off = {"role": "officer", "council": "islington", "active": "no"}
    assert admin_client.post(f"/admin/users/{officer.id}", data=off).status_code == 302
    assert api.get("/api/v1/statements", headers=bearer).status_code == 401
    assert officer_client.get("/officer/").status_code == 302  # the session ended
    again = app.test_client().post("/sign-in", data={"email": officer.email, "password": password})
    assert again.status_code == 400 and "Enter a correct email address and password" in again.text

    # Enabling the account again does not revive the session captured while it was live.
    on = {"role": "officer", "council": "islington", "active": "yes"}
    assert admin_client.post(f"/admin/users/{officer.id}", data=on).status_code == 302
    assert officer_client.get("/officer/").status_code == 302


# --- the command line ---------------------------------------------------------------------


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)


def test_cli_role_changes_are_audited(db_url: str) -> None:
    email = "ops@islington.example"
    created = _run(
        db_url, "users", "create", "--email", email, "--password", "Tq7-audit-trail-42",
        "--role", "officer", "--council", "islington",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    moved = _run(db_url, "users", "set-role", "--email", email, "--role", "admin")
    assert moved.exit_code == 0 and f"{email} is now admin" in moved.output
    same = _run(db_url, "users", "set-role", "--email", email, "--role", "admin")
    assert same.exit_code == 0 and "was already admin" in same.output
    bad = _run(db_url, "users", "set-role", "--email", email, "--role", "officer")
    assert bad.exit_code == 2 and "error: --council: a officer must belong to a council" in (
        bad.output
    )
    unknown = _run(
        db_url, "users", "set-role", "--email", email, "--role", "officer", "--council", "atlantis"
    )
    assert unknown.exit_code == 2 and "unknown council 'atlantis'" in unknown.output
    assert _run(db_url, "users", "disable", "--email", email).exit_code == 0
    assert "was already disabled" in _run(db_url, "users", "disable", "--email", email).output
    assert "is now enabled" in _run(db_url, "users", "enable", "--email", email).output
    missing = _run(db_url, "users", "disable", "--email", "nobody@x.example")
    assert missing.exit_code == 2 and "no account" in missing.output

    database = Database(db_url)
    try:
        with database.session() as session:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None and (user.role, user.council, user.is_active) == (
                "admin",
                None,
                True,
            )
            events = [
                (e.action, e.actor_id, e.statement_id, e.details["from"], e.details["to"])
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            ]
            vias = {e.details["via"] for e in session.scalars(select(AuditEvent))}
    finally:
        database.dispose()
    assert events == [
        ("create_user", None, None, None, ["officer", "islington"]),
        ("set_role", None, None, ["officer", "islington"], ["admin", None]),
        ("set_active", None, None, True, False),
        ("set_active", None, None, False, True),
    ]
    assert vias == {"cli"}
