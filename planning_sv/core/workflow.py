"""The statement workflow as an explicit state machine.

Every change of a statement's status goes through `transition()`, which checks the action
is legal from the current state and allowed to the actor's role. Callers write the audit
event (actor, time, from, to, reason) for each transition it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    RECOMMENDED = "recommended"
    SIGNED_OFF = "signed_off"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    APPLICANT = "applicant"
    OFFICER = "officer"
    SENIOR_OFFICER = "senior_officer"
    ADMIN = "admin"


CLOSED = frozenset({Status.APPROVED, Status.REFUSED, Status.WITHDRAWN})
OPEN = frozenset(Status) - CLOSED
# States in which the applicant may edit the working draft of their statement.
APPLICANT_EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})
STAFF = frozenset({Role.OFFICER, Role.SENIOR_OFFICER})


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    requires_reason: bool = False


_ACTIONS = (
    Action(
        "submit", "Submit", frozenset({Status.DRAFT}), Status.SUBMITTED, frozenset({Role.APPLICANT})
    ),
    Action(
        "resubmit",
        "Resubmit",
        frozenset({Status.CHANGES_REQUESTED}),
        Status.RESUBMITTED,
        frozenset({Role.APPLICANT}),
    ),
    Action(
        "start_review",
        "Start review",
        frozenset({Status.SUBMITTED, Status.RESUBMITTED}),
        Status.UNDER_REVIEW,
        STAFF,
    ),
    Action(
        "request_changes",
        "Request changes",
        frozenset({Status.UNDER_REVIEW}),
        Status.CHANGES_REQUESTED,
        STAFF,
        requires_reason=True,
    ),
    Action("recommend", "Recommend", frozenset({Status.UNDER_REVIEW}), Status.RECOMMENDED, STAFF),
    Action(
        "sign_off",
        "Sign off",
        frozenset({Status.RECOMMENDED}),
        Status.SIGNED_OFF,
        frozenset({Role.SENIOR_OFFICER}),
    ),
    Action(
        "return",
        "Return to officer",
        frozenset({Status.RECOMMENDED}),
        Status.UNDER_REVIEW,
        frozenset({Role.SENIOR_OFFICER}),
        requires_reason=True,
    ),
    Action("approve", "Record approval", frozenset({Status.SIGNED_OFF}), Status.APPROVED, STAFF),
    Action(
        "refuse",
        "Record refusal",
        frozenset({Status.SIGNED_OFF}),
        Status.REFUSED,
        STAFF,
        requires_reason=True,
    ),
    Action(
        "withdraw",
        "Withdraw",
        OPEN,
        Status.WITHDRAWN,
        frozenset({Role.APPLICANT}),
        requires_reason=True,
    ),
)
ACTIONS: dict[str, Action] = {action.name: action for action in _ACTIONS}


class IllegalTransition(Exception):
    """The action is not allowed from this state or for this role (HTTP 409 / 403).

    `missing_reason`: refused only because the action needs a reason and none was given
    (pages answer 400 on the reason's field rather than 409).
    """

    def __init__(self, message: str, *, forbidden: bool = False, missing_reason: bool = False):
        super().__init__(message)
        self.forbidden = forbidden
        self.missing_reason = missing_reason


@dataclass(frozen=True)
class Transition:
    action: str
    source: Status
    target: Status
    reason: str | None


def transition(
    current: Status | str, action_name: str, role: Role | str, reason: str | None = None
) -> Transition:
    """Return the transition for `action_name` from `current`, or raise IllegalTransition."""
    # A role or status the workflow does not know (a stale database value, a tampered
    # request) is refused as an illegal transition, not left to crash as a ValueError.
    if role not in {r.value for r in Role}:
        raise IllegalTransition(f"the role '{role}' may not change statements", forbidden=True)
    if current not in {s.value for s in Status}:
        raise IllegalTransition(f"unknown status '{current}'")
    current = Status(current)
    role = Role(role)
    action = ACTIONS.get(action_name)
    if action is None:
        raise IllegalTransition(f"unknown action '{action_name}'")
    if role not in action.roles:
        raise IllegalTransition(
            f"The {role.value.replace('_', ' ')} role may not use '{action.label}'", forbidden=True
        )
    if current not in action.sources:
        raise IllegalTransition(
            f"You cannot {action.label[0].lower() + action.label[1:]} while the statement is "
            f"{current.value.replace('_', ' ')}"
        )
    reason = (reason or "").strip() or None
    if action.requires_reason and reason is None:
        raise IllegalTransition(f"{action.label} needs a reason", missing_reason=True)
    return Transition(action.name, current, action.target, reason)


def four_eyes_refusal(action_name: str, actor_id: int, recommended_by: int | None) -> str | None:
    """Why `actor_id` may not take the action because of who recommended, or None.

    A senior officer may not sign off a recommendation they made themselves. The one rule
    behind both the buttons shown (web/authz.py) and the refusal on submit (store/review.py).
    """
    if action_name == "sign_off" and recommended_by is not None and recommended_by == actor_id:
        return "You recommended this statement, so another senior officer must sign it off"
    return None


def available_actions(current: Status | str, role: Role | str) -> list[Action]:
    """The actions a role may take from the current state, for showing buttons."""
    current, role = Status(current), Role(role)
    return [a for a in _ACTIONS if current in a.sources and role in a.roles]
