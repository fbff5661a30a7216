"""Every registered route × every kind of user, checked against the route's declaration.

The test walks `app.url_map`, so a new route is covered automatically; a route without an
`@allow(...)` declaration fails here. Expected outcome per actor:

- not allowed by role: anonymous → redirect to sign-in (pages) or 401 (API); signed in → 403;
- allowed, but the URL names a statement the actor may not see → 404;
- allowed, but the URL names another council's account or value sets → 404 (council admins);
- allowed and visible → neither 401/403/404 nor a 5xx.

A second pass walks every statement route with a private draft (never submitted: a draft,
and one withdrawn before submission), where only the owner gets in; a third checks which
accounts and councils each kind of administrator reaches.

URL arguments are filled from SAMPLES; a route with a new argument name fails with a
message asking for a sample value (add one below).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.users import create_token
from planning_sv.web.authz import allowed_for, can_view, role_allowed

ACTORS = (
    "anonymous",
    "applicant_owner",
    "other_applicant",
    "officer_same_council",
    "senior_same_council",
    "officer_other_council",
    "council_admin_same",  # admin of the statement's council (islington)
    "council_admin_other",  # admin of another council (salford)
    "installation_admin",  # admin with no council
)
ADMINS = ("council_admin_same", "council_admin_other", "installation_admin")

# Written by hand, not read from the declarations, so a wrong @allow(...) fails here:
# who may see a statement (owner and its council's staff) ...
SEES_THE_STATEMENT = {"applicant_owner", "officer_same_council", "senior_same_council"}
# ... and who each blueprint is for (endpoints listed in EXCEPTIONS differ from their blueprint).
BLUEPRINT_ROLES = {
    "admin": {"admin"},
    "officer": {"officer", "senior_officer"},
    "applicant": {"applicant"},
    "public": {"public"},
    "api": {"applicant", "officer", "senior_officer"},
    "auth": {"signed_in"},
    "ops": {"public"},  # /healthz and /readyz: monitoring, no personal data
    # Developer contributions exports and the IFS: the council's staff and its admins.
    "contributions": {"officer", "senior_officer", "admin"},
    # Monitoring (issue 13): agreements, trigger events, verification, money: the staff.
    "monitoring": {"officer", "senior_officer"},
    # Collaboration (issue 15): a statement's conversation and evidence, both sides.
    "collaboration": {"applicant", "officer", "senior_officer"},
    # Case management (issue 15): assignment and target dates are the council's staff's.
    "cases": {"officer", "senior_officer"},
    # Open Digital Planning import (issue 15): starting a statement is the applicant's.
    "odp": {"applicant"},
}
# URLs the main pass fills with Islington's officer (user_id) and council (council): an
# admin of another council is allowed by role but must not reach them.
NOT_THEIRS = {
    ("admin.edit_user", "council_admin_other"),
    ("admin.council_value_set", "council_admin_other"),
    ("admin.council_impact", "council_admin_other"),
    # Islington's contributions data: Salford's officer and admin are allowed by role only.
    ("contributions.download", "council_admin_other"),
    ("contributions.download", "officer_other_council"),
    ("contributions.ifs", "council_admin_other"),
    ("contributions.ifs", "officer_other_council"),
    ("contributions.ifs_csv", "council_admin_other"),
    ("contributions.ifs_csv", "officer_other_council"),
    ("contributions.import_records", "council_admin_other"),
    # Removing a member is for a manager of that member's organisation: the matrix's
    # applicants manage none, so the (officer's) id is not theirs to remove.
    ("collaboration.remove_member", "applicant_owner"),
    ("collaboration.remove_member", "other_applicant"),
    ("collaboration.make_manager", "applicant_owner"),
    ("collaboration.make_manager", "other_applicant"),
}
# Public pages of one approved scheme: the matrix's statements are never approved, so every
# actor gets 404 (an unapproved statement is not public, whoever asks).
NOT_PUBLISHED = {"public.scheme"}
EXCEPTIONS = {
    "api.create_statement": {"applicant"},
    "api.put_statement": {"applicant"},
    "api.submit_statement": {"applicant"},
    "api.openapi": {"public"},
    "contributions.import_records": {"admin"},  # loading records: the council's admins
    "auth.home": {"public"},
    "auth.register": {"public"},
    "auth.sign_in": {"public"},
    # Links sent by email: opened by whoever holds the link, signed in or not (issue 15).
    "auth.forgot_password": {"public"},
    "auth.reset_password_page": {"public"},
    "auth.verify_email_page": {"public"},
    "auth.confirm_email_page": {"public"},
    "govuk_assets": {"public"},
    # Monitoring: the obligations page, evidence files and the report list are the
    # developer's and the council's; reporting delivery is the developer's alone.
    "monitoring.scheme": {"applicant", "officer", "senior_officer"},
    "monitoring.document": {"applicant", "officer", "senior_officer"},
    "monitoring.api_reports": {"applicant", "officer", "senior_officer"},
    "monitoring.report_form": {"applicant"},
    "monitoring.submit_report": {"applicant"},
    "monitoring.upload_reports": {"applicant"},
    "monitoring.api_create_reports": {"applicant"},
    # Collaboration (issue 15): organisations are the applicants'; uploading evidence is
    # the applicant side's, judging it the council's staff's.
    "collaboration.organisation": {"applicant"},
    "collaboration.create_organisation": {"applicant"},
    "collaboration.invite": {"applicant"},
    "collaboration.remove_member": {"applicant"},
    "collaboration.leave": {"applicant"},
    "collaboration.make_manager": {"applicant"},
    "collaboration.join": {"applicant"},
    "collaboration.accept": {"applicant"},
    "collaboration.upload": {"applicant"},
    "collaboration.decide": {"officer", "senior_officer"},
    # Who holds what across the council (issue 15): senior officers only.
    "cases.team": {"senior_officer"},
}


def _samples(statement: Statement, account: User) -> dict[str, Any]:
    """A value for every URL argument name used by the app's routes (`account`: the one
    admin pages edit)."""
    return {
        "statement_id": statement.id,
        "commitment_id": "c1",
        "number": 1,
        "version": 1,
        "token_id": 1,
        "user_id": account.id,
        "filename": "manifest.json",
        "council": "islington",
        "ward": "E05013706",
        "ward_code": "E05013706",
        "code": "E05013706",
        "rule_id": "ISL-B4-AFFORDABLE-WORKSPACE",
        "event_id": 1,
        "fmt": "csv",
        "format": "csv",
        "token": "not-a-live-token",  # account links (auth): an unknown token is a 400
        "dataset": "developer-agreement",
        "scheme_id": statement.id,
        # Monitoring objects: the main pass uses a monitored scheme's own (`_monitored`).
        "obligation_id": 1,
        "report_id": 1,
        "document_id": 1,
        "evidence_id": 1,  # the main pass attaches a real one (`_with_evidence`)
    }


def _with_evidence(app: Flask, statement: Statement, owner: User) -> int:
    """A PDF attached to the statement's procurement rule: the evidence routes' URL value."""
    from pathlib import Path

    from planning_sv.core.documents import check_document
    from planning_sv.store import collaboration
    from planning_sv.store.documents import documents_root

    pdf = b"%PDF-1.4\n%%EOF\n"
    with app.extensions["planning_sv.db"].session() as session:
        item = collaboration.attach_evidence(
            session,
            documents_root(Path(app.instance_path)),
            session.get(Statement, statement.id),
            session.get(User, owner.id),
            check_document(pdf, "strategy.pdf"),
            pdf,
            rule_id="ISL-S106-LOCAL-PROCUREMENT",
        )
        session.commit()
        return item.id


def _monitored(
    app: Flask, make_statement: Callable[..., Statement], users: dict[str, User | None]
) -> tuple[Statement, dict[str, int]]:
    """An approved Islington scheme of the matrix's owner with an agreement, an obligation,
    a pending delivery report and its evidence file: the monitoring routes' URL values."""
    import datetime as dt
    from pathlib import Path

    from planning_sv.core.documents import check_document
    from planning_sv.core.monitoring import DuePeriod, Trigger, TriggerKind
    from planning_sv.store import monitoring as mon
    from planning_sv.store.documents import documents_root, save_document

    officer, senior = users["officer_same_council"], users["senior_same_council"]
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(
        users["applicant_owner"],
        "islington",
        actions=("submit", "start_review", "recommend", "sign_off", "approve"),
        staff=staff,
    )
    pdf = b"%PDF-1.4\n%%EOF\n"
    with app.extensions["planning_sv.db"].session() as session:
        row = session.get(Statement, statement.id)
        actor = session.get(User, officer.id)  # type: ignore[union-attr]
        owner = session.get(User, users["applicant_owner"].id)  # type: ignore[union-attr]
        head = mon.SecuredHead(
            number=1,
            measure="apprenticeship",
            measure_label="Apprenticeships",
            unit="starts",
            unit_label="starts",
            quantity=8,
            trigger=Trigger(TriggerKind.COMMENCEMENT),
            period=DuePeriod(26, "weeks"),
            wards=[{"code": "E05013706", "name": "Holloway", "share": 1.0}],
        )
        mon.record_agreement(
            session,
            row,
            actor,
            reference="S106/1",
            signed_on=dt.date(2026, 1, 1),
            document_url=None,
            heads=[head],
        )
        obligation = mon.obligations_of(session, statement.id)[0]
        document = save_document(
            session,
            documents_root(Path(app.instance_path)),
            check_document(pdf, "a.pdf"),
            pdf,
            council="islington",
            statement_id=statement.id,
            purpose="delivery_evidence",
            uploaded_by=owner,
        )
        new = mon.NewReport(
            obligation, dt.date(2026, 1, 1), dt.date(2026, 3, 31), 2.0, None, obligation.wards, None
        )
        report = mon.add_reports(session, row, owner, [new], source="web", documents=[document])[0]
        ids = {"obligation_id": obligation.id, "report_id": report.id, "document_id": document.id}
    return statement, ids


def _routes(app: Flask) -> list[tuple[str, str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule))
    # Sign-out last: it ends the shared clients' sessions.
    return sorted(out, key=lambda r: (r[0] == "auth.sign_out", r[0], r[1]))


def _clients(
    app: Flask,
    users: dict[str, User | None],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> tuple[dict[str, FlaskClient], dict[str, str]]:
    """A signed-in page client and an API token per actor."""
    clients: dict[str, FlaskClient] = {}
    tokens: dict[str, str] = {}
    for name, user in users.items():
        clients[name] = app.test_client() if user is None else sign_in(app.test_client(), user)
        if user is not None:
            with app.extensions["planning_sv.db"].session() as session:
                tokens[name] = create_token(session, session.get(User, user.id))[1]
    return clients, tokens


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and allowed_for(view) is None
    ]
    assert missing == [], f"routes without an @allow(...) declaration: {missing}"


def test_declarations_match_the_written_policy(app: Flask) -> None:
    wrong = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        expected = EXCEPTIONS.get(endpoint) or BLUEPRINT_ROLES[endpoint.split(".")[0]]
        declared = set(allowed_for(view) or ())
        if declared != expected:
            wrong.append(f"{endpoint}: declared {sorted(declared)}, expected {sorted(expected)}")
    assert wrong == [], "\n".join(wrong)
    assert len(app.view_functions) > 40  # the policy really was checked route by route


def test_route_matrix(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    users: dict[str, User | None] = {
        "anonymous": None,
        "applicant_owner": make_user("applicant"),
        "other_applicant": make_user("applicant"),
        "officer_same_council": make_user("officer", "islington"),
        "senior_same_council": make_user("senior_officer", "islington"),
        "officer_other_council": make_user("officer", "salford"),
        "council_admin_same": make_user("admin", "islington"),
        "council_admin_other": make_user("admin", "salford"),
        "installation_admin": make_user("admin"),
    }
    clients, tokens = _clients(app, users, sign_in)
    owner = users["applicant_owner"]
    staff = {
        "start_review": users["officer_same_council"],
        "request_changes": users["officer_same_council"],
    }
    probe = make_statement(owner, "islington", actions=("submit",), staff=staff)

    for actor, user in users.items():
        if user is not None:
            assert can_view(user, probe) == (actor in SEES_THE_STATEMENT), actor

    failures: list[str] = []
    routes = _routes(app)
    assert len(routes) > 20, "the blueprints did not register"
    for endpoint, method, rule in routes:
        view = app.view_functions[endpoint]
        allowed = allowed_for(view) if endpoint != "static" else frozenset({"public"})
        if allowed is None:
            failures.append(f"{method} {rule.rule}: no @allow declaration")
            continue
        # A fresh statement per route, in a state that has a version and is still editable,
        # so one route's side effects (remove, submit) cannot change another's outcome.
        statement = make_statement(
            owner, "islington", actions=("submit", "start_review", "request_changes"), staff=staff
        )
        samples = _samples(statement, users["officer_same_council"])  # type: ignore[arg-type]
        if endpoint.startswith("monitoring."):
            statement, monitored = _monitored(app, make_statement, users)
            samples = {**_samples(statement, users["officer_same_council"]), **monitored}  # type: ignore[arg-type]
        if "evidence_id" in rule.arguments:
            samples["evidence_id"] = _with_evidence(app, statement, owner)  # type: ignore[arg-type]
        unknown = [arg for arg in rule.arguments if arg not in samples]
        if unknown:
            failures.append(
                f"{rule.rule}: add a sample value for {unknown} in test_route_matrix.py"
            )
            continue
        if endpoint == "static":
            samples["filename"] = "css/app.css"
        with app.test_request_context():
            url = url_for(endpoint, **{a: samples[a] for a in rule.arguments})
        is_api = url.startswith("/api/")
        if is_api and endpoint.startswith("monitoring."):
            # These API routes sort after auth.*, whose token routes revoked token 1 (the
            # owner's): fresh tokens, so each actor is judged by role and statement only.
            with app.extensions["planning_sv.db"].session() as session:
                tokens = {
                    name: create_token(session, session.get(User, u.id))[1]
                    for name, u in users.items()
                    if u is not None
                }
        for actor in ACTORS:
            user = users[actor]
            # The API authenticates by bearer token, pages by the session cookie.
            headers = {"Authorization": f"Bearer {tokens[actor]}"} if is_api and user else {}
            response = clients[actor].open(url, method=method, headers=headers)
            status = response.status_code
            where = f"{actor:<22} {method:<6} {url} -> {status}"
            if not role_allowed(allowed, user):
                if user is None:
                    ok = (
                        status == 401
                        if is_api
                        else (status == 302 and "/sign-in" in response.location)
                    )
                else:
                    ok = status == 403
                if not ok:
                    failures.append(f"{where} (expected refusal for {sorted(allowed)})")
            elif "statement_id" in rule.arguments and actor not in SEES_THE_STATEMENT:
                # Signed in with the right role, but not the owner or the council's staff.
                if status != 404:
                    failures.append(f"{where} (expected 404: not owner, not council staff)")
            elif "statement_id" in rule.arguments and not can_view(user, statement):
                if status != 404:
                    failures.append(f"{where} (expected 404: statement not visible)")
            elif endpoint in NOT_PUBLISHED:
                if status != 404:
                    failures.append(f"{where} (expected 404: not an approved scheme)")
            elif (endpoint, actor) in NOT_THEIRS:
                if status != 404:
                    failures.append(f"{where} (expected 404: another council's)")
            elif status in (401, 403, 404) or status >= 500:
                failures.append(f"{where} (expected access)")
    assert not failures, "route matrix failures:\n" + "\n".join(failures)


@pytest.mark.parametrize("path", ["/api/v1/statements", "/api/v1/statements/1"])
def test_api_ignores_session_cookies(login_as: Callable[..., FlaskClient], path: str) -> None:
    """The API authenticates by bearer token only, so CSRF via a browser session is moot."""
    client = login_as("applicant")
    response = client.get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


# --- private drafts -----------------------------------------------------------------------

# A statement never submitted (a draft, or withdrawn before its first submission) is its
# applicant's alone. Expected status per route audience and actor, by hand: "ok" means
# neither 401/403/404 nor a 5xx; "sign-in" a redirect to the sign-in page.
_REFUSED = {
    "council_admin_same": 403,
    "council_admin_other": 403,
    "installation_admin": 403,
}
DRAFT_EXPECTED: dict[str, dict[str, int | str]] = {
    "applicant": {
        "anonymous": "sign-in",
        "applicant_owner": "ok",
        "other_applicant": 404,
        "officer_same_council": 403,
        "senior_same_council": 403,
        "officer_other_council": 403,
        **_REFUSED,
    },
    "officer": {
        "anonymous": "sign-in",
        "applicant_owner": 403,
        "other_applicant": 403,
        "officer_same_council": 404,
        "senior_same_council": 404,
        "officer_other_council": 404,
        **_REFUSED,
    },
    "api_read": {
        "anonymous": 401,
        "applicant_owner": "ok",
        "other_applicant": 404,
        "officer_same_council": 404,
        "senior_same_council": 404,
        "officer_other_council": 404,
        **_REFUSED,
    },
    "api_write": {
        "anonymous": 401,
        "applicant_owner": "ok",
        "other_applicant": 404,
        "officer_same_council": 403,
        "senior_same_council": 403,
        "officer_other_council": 403,
        **_REFUSED,
    },
}
DRAFT_AUDIENCE = {"api.put_statement": "api_write", "api.submit_statement": "api_write"}
# A draft has no version 1, so even its owner finds none there.
NO_VERSION_YET = {"applicant.version", "applicant.submitted", "api.get_version"}
# ... and no evidence file (the sample document is another statement's).
NO_VERSION_YET |= {"monitoring.document"}
# Monitoring (issue 13) on a private draft: the staff's routes as the officer pages, the
# developer's as the applicant pages, the shared ones (obligations page, evidence): owner only.
DRAFT_EXPECTED["monitoring"] = DRAFT_EXPECTED["officer"]
DRAFT_EXPECTED["monitoring_shared"] = {
    "anonymous": "sign-in",
    "applicant_owner": "ok",
    "other_applicant": 404,
    "officer_same_council": 404,
    "senior_same_council": 404,
    "officer_other_council": 404,
    **_REFUSED,
}
# Collaboration (issue 15) on a private draft: the conversation and its files are the
# applicant side's alone (the sample evidence id is another statement's: none here).
NO_VERSION_YET |= {"collaboration.evidence_file"}
DRAFT_AUDIENCE.update(
    {
        "collaboration.conversation": "monitoring_shared",
        "collaboration.post": "monitoring_shared",
        "collaboration.evidence_file": "monitoring_shared",
        "collaboration.upload": "applicant",
        "collaboration.decide": "officer",
    }
)
# Case management (issue 15) on a private draft: staff routes, so as the officer pages
# (a draft is no case: 404 for the council's own staff too).
DRAFT_EXPECTED["cases"] = DRAFT_EXPECTED["officer"]
DRAFT_AUDIENCE.update(
    {
        "monitoring.scheme": "monitoring_shared",
        "monitoring.document": "monitoring_shared",
        "monitoring.report_form": "applicant",
        "monitoring.submit_report": "applicant",
        "monitoring.upload_reports": "applicant",
        "monitoring.api_reports": "api_read",
        "monitoring.api_create_reports": "api_write",
    }
)


def _matches(expected: int | str, status: int, location: str | None) -> bool:
    if expected == "ok":
        return status not in (401, 403, 404) and status < 500
    if expected == "sign-in":
        return status == 302 and "/sign-in" in (location or "")
    return status == expected


@pytest.mark.parametrize("withdrawn", [False, True], ids=["draft", "withdrawn-unsubmitted"])
def test_private_drafts_on_every_statement_route(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
    withdrawn: bool,
) -> None:
    users: dict[str, User | None] = {
        "anonymous": None,
        "applicant_owner": make_user("applicant"),
        "other_applicant": make_user("applicant"),
        "officer_same_council": make_user("officer", "islington"),
        "senior_same_council": make_user("senior_officer", "islington"),
        "officer_other_council": make_user("officer", "salford"),
        "council_admin_same": make_user("admin", "islington"),
        "council_admin_other": make_user("admin", "salford"),
        "installation_admin": make_user("admin"),
    }
    clients, tokens = _clients(app, users, sign_in)
    owner = users["applicant_owner"]
    assert owner is not None
    actions = ("withdraw",) if withdrawn else ()

    def private() -> Statement:
        return make_statement(owner, "islington", actions=actions, staff={"withdraw": owner})

    probe = private()
    assert probe.status == ("withdrawn" if withdrawn else "draft")
    with app.extensions["planning_sv.db"].session() as session:
        loaded = session.get(Statement, probe.id)
        for actor, user in users.items():
            if user is not None:
                assert can_view(user, loaded) == (actor == "applicant_owner"), actor

    failures: list[str] = []
    checked = 0
    for endpoint, method, rule in _routes(app):
        if "statement_id" not in rule.arguments:
            continue
        audience = DRAFT_AUDIENCE.get(endpoint) or (
            "api_read" if endpoint.startswith("api.") else endpoint.split(".")[0]
        )
        statement = private()  # fresh: submit or withdraw on one route cannot touch the next
        samples = _samples(statement, owner)
        with app.test_request_context():
            url = url_for(endpoint, **{a: samples[a] for a in rule.arguments})
        for actor in ACTORS:
            expected = DRAFT_EXPECTED[audience][actor]
            if actor == "applicant_owner" and endpoint in NO_VERSION_YET:
                expected = 404
            user = users[actor]
            headers = (
                {"Authorization": f"Bearer {tokens[actor]}"}
                if audience.startswith("api") and user
                else {}
            )
            response = clients[actor].open(url, method=method, headers=headers)
            checked += 1
            if not _matches(expected, response.status_code, response.location):
                failures.append(
                    f"{actor:<22} {method:<6} {url} -> {response.status_code} (expected {expected})"
                )
    assert checked > 20 * len(ACTORS)
    assert not failures, "private draft failures:\n" + "\n".join(failures)

    # Lists never show another's private draft, whatever the filter asks for.
    mine = probe.id
    status = "withdrawn" if withdrawn else "draft"
    for actor in ("officer_same_council", "senior_same_council"):
        api = (
            clients[actor]
            .get(
                f"/api/v1/statements?status={status}&per_page=100",
                headers={"Authorization": f"Bearer {tokens[actor]}"},
            )
            .get_json()
        )
        assert (api["total"], api["items"]) == (0, []), actor
        queue = clients[actor].get(f"/officer/?status={status}")
        # 'draft' is not a queue status at all (400 with a message); withdrawn is, but
        # only for statements that were submitted.
        assert queue.status_code == (400 if status == "draft" else 200), actor
        assert f'data-statement-id="{mine}"' not in queue.text
    owners = (
        clients["applicant_owner"]
        .get(
            f"/api/v1/statements?status={status}&per_page=100",
            headers={"Authorization": f"Bearer {tokens['applicant_owner']}"},
        )
        .get_json()
    )
    assert mine in {item["id"] for item in owners["items"]}


# --- administrators -----------------------------------------------------------------------

# Which accounts each administrator reaches (GET the account page, POST an unchanged role):
# 200/302 in reach, 404 out of reach. Written by hand from the policy in web/authz.py.
ADMIN_REACH: dict[str, dict[str, int]] = {
    #                        islington admin, salford admin, installation admin
    "islington_officer": {"council_admin_same": 200, "council_admin_other": 404, "installation_admin": 200},
    "salford_officer": {"council_admin_same": 404, "council_admin_other": 200, "installation_admin": 200},
    "applicant": {"council_admin_same": 200, "council_admin_other": 200, "installation_admin": 200},
    "islington_admin_peer": {"council_admin_same": 200, "council_admin_other": 404, "installation_admin": 200},
    "other_installation_admin": {"council_admin_same": 404, "council_admin_other": 404, "installation_admin": 200},
}  # fmt: skip
COUNCIL_REACH: dict[str, dict[str, int]] = {
    "islington": {"council_admin_same": 200, "council_admin_other": 404, "installation_admin": 200},
    "salford": {"council_admin_same": 404, "council_admin_other": 200, "installation_admin": 200},
}  # fmt: skip


def test_admin_reach_by_council(
    app: Flask,
    make_user: Callable[..., User],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    admins = {
        "council_admin_same": make_user("admin", "islington"),
        "council_admin_other": make_user("admin", "salford"),
        "installation_admin": make_user("admin"),
    }
    targets = {
        "islington_officer": make_user("officer", "islington"),
        "salford_officer": make_user("officer", "salford"),
        "applicant": make_user("applicant"),
        "islington_admin_peer": make_user("admin", "islington"),
        "other_installation_admin": make_user("admin"),
    }
    clients = {name: sign_in(app.test_client(), user) for name, user in admins.items()}
    failures = []
    for target_name, target in targets.items():
        unchanged = {"role": target.role, "council": target.council or ""}
        for actor, expected in ADMIN_REACH[target_name].items():
            client = clients[actor]
            got = client.get(f"/admin/users/{target.id}").status_code
            posted = client.post(f"/admin/users/{target.id}", data=unchanged).status_code
            listed = target.email in client.get("/admin/users?page=1").text
            want = (expected, 302 if expected == 200 else 404, expected == 200)
            if (got, posted, listed) != want:
                failures.append(f"{actor} -> {target_name}: {(got, posted, listed)} != {want}")
    for council, reach in COUNCIL_REACH.items():
        for actor, expected in reach.items():
            got = clients[actor].get(f"/admin/value-sets/{council}").status_code
            listed = f"/admin/value-sets/{council}" in clients[actor].get("/admin/value-sets").text
            if (got, listed) != (expected, expected == 200):
                failures.append(f"{actor} -> value sets of {council}: {(got, listed)}")
    assert not failures, "\n".join(failures)
    # Nothing was changed by posting unchanged roles, so nothing was audited.
    with app.extensions["planning_sv.db"].session() as session:
        assert list(session.scalars(select(AuditEvent.action))) == []


# --- issue 12: the officer's new review routes, by hand -----------------------------------
# The walk above covers them too; this spells out, for each new route, who gets what on a
# statement under review (empty POSTs: refused as incomplete, 400, never 5xx).
ISSUE12_OFFICER_ROUTES = {
    ("GET", "decision"): 200,
    ("POST", "agree-remaining"): 400,
    ("POST", "acknowledgements"): 400,
    ("POST", "notes"): 400,
    ("POST", "commitments/c6/ward"): 400,
}
ISSUE12_OTHERS = {
    "anonymous": "sign-in",
    "applicant_owner": 403,
    "other_applicant": 403,
    "officer_other_council": 404,
    "council_admin_same": 403,
    "installation_admin": 403,
}


def test_issue12_officer_routes_by_role(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    owner = make_user("applicant")
    users: dict[str, User | None] = {
        "anonymous": None,
        "applicant_owner": owner,
        "other_applicant": make_user("applicant"),
        "officer_same_council": make_user("officer", "islington"),
        "senior_same_council": make_user("senior_officer", "islington"),
        "officer_other_council": make_user("officer", "salford"),
        "council_admin_same": make_user("admin", "islington"),
        "installation_admin": make_user("admin"),
    }
    for endpoint in ("decision", "agree_remaining", "acknowledge", "add_note", "correct_ward"):
        view = app.view_functions[f"officer.{endpoint}"]
        assert set(allowed_for(view) or ()) == {"officer", "senior_officer"}
    clients, _ = _clients(app, users, sign_in)
    staff = {"start_review": users["officer_same_council"]}
    statement = make_statement(owner, "islington", actions=("submit", "start_review"), staff=staff)
    failures = []
    for (method, path), staff_status in ISSUE12_OFFICER_ROUTES.items():
        url = f"/officer/statements/{statement.id}/{path}"
        for actor in users:
            response = clients[actor].open(url, method=method)
            expected = (
                staff_status
                if actor in ("officer_same_council", "senior_same_council")
                else ISSUE12_OTHERS[actor]
            )
            if not _matches(expected, response.status_code, response.location):
                failures.append(f"{actor} {method} {url} -> {response.status_code}, not {expected}")
    assert not failures, "\n".join(failures)
    # Nothing an empty POST did changed the review: no verdict, note or correction events.
    with app.extensions["planning_sv.db"].session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.statement_id == statement.id)
        ).all()
    assert actions == ["create", "submit", "start_review"]
