"""Demo accounts and statements for `planning-sv demo seed` (idempotent)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planning_sv.core.errors import InputInvalid
from planning_sv.core.workflow import Role
from planning_sv.store import review as review_repo
from planning_sv.store import statements as repo
from planning_sv.store.assessments import assessor_of
from planning_sv.store.models import Statement, User
from planning_sv.store.users import create_user, get_user_by_email

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed for the README's run command
DOMAIN = "demo.example"

# Demo data (planning_sv/data/demo.json): statements used when the shared examples folder is
# missing, so `make run` always has statements; and a site designation per council, because
# the shared examples predate designations (an applicant would choose one).
_DEMO = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "demo.json").read_text("utf-8")
)
FALLBACK_EXAMPLES: dict[str, dict[str, Any]] = _DEMO["examples"]
DEMO_SITE_DESIGNATIONS: dict[str, str] = _DEMO["site_designations"]

# (reference suffix, workflow actions after creation, how to vary the example): one demo
# statement at every stage, so a newcomer can walk the applicant, officer and senior officer
# journeys and the public maps (approved statements) at once.
_REVIEWED = ("submit", "start_review")
_SIGNED_OFF = (*_REVIEWED, "recommend", "sign_off")
PLAN: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("DRAFT", (), "fewer"),
    ("SUBMITTED", ("submit",), "same"),
    ("UNDER-REVIEW", _REVIEWED, "same"),
    ("CHANGES", (*_REVIEWED, "request_changes"), "fewer"),
    ("RESUBMITTED", (*_REVIEWED, "request_changes", "submit"), "more"),
    ("RECOMMENDED", (*_REVIEWED, "recommend"), "same"),
    ("SIGNED-OFF", _SIGNED_OFF, "same"),
    ("APPROVED-1", (*_SIGNED_OFF, "approve"), "same"),
    ("APPROVED-2", (*_SIGNED_OFF, "approve"), "more"),
    ("REFUSED", (*_SIGNED_OFF, "refuse"), "fewer"),
    ("WITHDRAWN", ("submit", "withdraw"), "fewer"),
)
REASONS = {
    "request_changes": "Please add construction work placements to meet the S106 requirement.",
    "refuse": "Social value offer falls well short of the Local Plan requirements.",
    "withdraw": "Scheme redesigned; a new application will follow.",
}


def demo_accounts(councils: list[str]) -> list[tuple[str, str | None, str]]:
    """(role, council, email) for every demo account."""
    accounts: list[tuple[str, str | None, str]] = [
        (Role.APPLICANT.value, None, f"applicant@{DOMAIN}"),
        (Role.APPLICANT.value, None, f"applicant2@{DOMAIN}"),
    ]
    for council in councils:
        accounts.append((Role.OFFICER.value, council, f"officer.{council}@{DOMAIN}"))
        accounts.append((Role.SENIOR_OFFICER.value, council, f"senior.{council}@{DOMAIN}"))
    accounts.append((Role.ADMIN.value, None, f"admin@{DOMAIN}"))
    return accounts


def _vary(example: Mapping[str, Any], how: str, reference: str) -> dict[str, Any]:
    data = copy.deepcopy(dict(example))
    data["application_reference"] = reference
    site = data.get("site")
    designation = DEMO_SITE_DESIGNATIONS.get(str(data.get("council")))
    if isinstance(site, dict) and designation and "designation" not in site:
        site["designation"] = designation
    commitments = data.get("commitments", [])
    if how == "fewer" and len(commitments) > 1:
        data["commitments"] = commitments[:-1]
    elif how == "more":
        for item in commitments:
            item["quantity"] = round(float(item["quantity"]) * 1.5, 2)
    return data


def seed(
    session: Session, examples: Mapping[str, Mapping[str, Any]]
) -> tuple[list[tuple[str, str | None, str]], int]:
    """Create what is missing; returns the accounts and how many statements were created."""
    assessor = assessor_of(session)
    councils = sorted(assessor.plans)
    accounts = demo_accounts(councils)
    users: dict[str, User] = {}
    for role, council, email in accounts:
        user = get_user_by_email(session, email)
        if user is None:
            user = create_user(session, email, DEMO_PASSWORD, role, council, councils=set(councils))
        users[email] = user
    owner = users[f"applicant@{DOMAIN}"]
    created = 0
    for council in councils:
        example = examples.get(council)
        if example is None:
            continue
        officer = users[f"officer.{council}@{DOMAIN}"]
        senior = users[f"senior.{council}@{DOMAIN}"]
        actor_for: dict[str, User] = {
            "submit": owner,
            "start_review": officer,
            "request_changes": officer,
            "recommend": officer,
            "sign_off": senior,
            "approve": officer,
            "refuse": officer,
            "withdraw": owner,
        }
        for suffix, actions, how in PLAN:
            reference = f"DEMO/{council.upper()}/{suffix}"
            exists = session.scalar(
                select(Statement.id).where(
                    Statement.owner_id == owner.id, Statement.application_reference == reference
                )
            )
            if exists is not None:
                continue
            _create(session, owner, council, _vary(example, how, reference), actions, actor_for)
            created += 1
    _seed_monitoring(session, councils, owner, users)
    session.flush()
    return accounts, created


def _seed_monitoring(
    session: Session, councils: list[str], owner: User, users: Mapping[str, User]
) -> None:
    """Agreements and a delivery history for each council's approved demo schemes
    (store/demo_monitoring.py), so that every obligation status appears."""
    from planning_sv.store.demo_monitoring import seed_monitoring

    for council in councils:
        approved = [
            session.scalar(
                select(Statement).where(
                    Statement.owner_id == owner.id,
                    Statement.application_reference == f"DEMO/{council.upper()}/{suffix}",
                    Statement.status == "approved",
                )
            )
            for suffix in ("APPROVED-1", "APPROVED-2")
        ]
        found = [statement for statement in approved if statement is not None]
        if found:
            seed_monitoring(session, found, owner, users[f"officer.{council}@{DOMAIN}"])


def _create(
    session: Session,
    owner: User,
    council: str,
    data: dict[str, Any],
    actions: tuple[str, ...],
    actor_for: Mapping[str, User],
) -> None:
    """One demo statement taken through `actions`; all or nothing (a savepoint)."""
    assessor = assessor_of(session)
    savepoint = session.begin_nested()
    try:
        statement = repo.create_statement(session, owner, council, data, assessor=assessor)
        for action in actions:
            if action == "submit":
                repo.submit(session, statement, owner, assessor=assessor)
            elif action == "recommend":
                # As an officer would: the unverified figures acknowledged first (needed to
                # recommend), no verdicts, so the engine's results are accepted explicitly
                # and the audit lists them (store.review.officer_action).
                version = statement.latest_version
                pending = review_repo.unacknowledged(session, version) if version else []
                if version is not None and pending:
                    review_repo.acknowledge_figures(
                        session,
                        statement,
                        version,
                        pending,
                        actor_for[action],
                        expected_version=None,
                    )
                review_repo.officer_action(
                    session, statement, action, actor_for[action], accept_engine=True
                )
            else:
                repo.apply_transition(
                    session, statement, action, actor_for[action], REASONS.get(action)
                )
            if action == "start_review":
                # The case goes to the officer reviewing it, given by the senior officer, so
                # the queue's officer column and the team view have something to show.
                from planning_sv.store import cases

                cases.assign(session, statement, actor_for[action], actor_for["sign_off"])
        savepoint.commit()
    except InputInvalid:
        savepoint.rollback()
        raise
