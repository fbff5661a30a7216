"""Every legal and illegal transition of the statement workflow, against a table written here.

The expected table is typed out from the issue (draft → submitted → under review → changes
requested → resubmitted → recommended → signed off → approved | refused; withdrawn from any
open state), not derived from `core/workflow.py`, so a change to the state machine must be
made in both places on purpose.
"""

from __future__ import annotations

import itertools

import pytest

from planning_sv.core.workflow import (
    ACTIONS,
    IllegalTransition,
    Role,
    Status,
    available_actions,
    transition,
)

A, OFF, S, ADMIN = "applicant", "officer", "senior_officer", "admin"
OPEN_STATES = (
    "draft",
    "submitted",
    "under_review",
    "changes_requested",
    "resubmitted",
    "recommended",
    "signed_off",
)

# action -> (source states, target state, roles allowed, reason required)
EXPECTED: dict[str, tuple[tuple[str, ...], str, frozenset[str], bool]] = {
    "submit": (("draft",), "submitted", frozenset({A}), False),
    "resubmit": (("changes_requested",), "resubmitted", frozenset({A}), False),
    "start_review": (("submitted", "resubmitted"), "under_review", frozenset({OFF, S}), False),
    "request_changes": (("under_review",), "changes_requested", frozenset({OFF, S}), True),
    "recommend": (("under_review",), "recommended", frozenset({OFF, S}), False),
    "sign_off": (("recommended",), "signed_off", frozenset({S}), False),
    "return": (("recommended",), "under_review", frozenset({S}), True),
    "approve": (("signed_off",), "approved", frozenset({OFF, S}), False),
    "refuse": (("signed_off",), "refused", frozenset({OFF, S}), True),
    "withdraw": (OPEN_STATES, "withdrawn", frozenset({A}), True),
}
ALL_STATES = (*OPEN_STATES, "approved", "refused", "withdrawn")
ALL_ROLES = (A, OFF, S, ADMIN)

CASES = list(itertools.product(ALL_STATES, EXPECTED, ALL_ROLES))


def test_the_table_covers_the_code() -> None:
    assert {s.value for s in Status} == set(ALL_STATES)
    assert {r.value for r in Role} == set(ALL_ROLES)
    assert set(ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_transition(state: str, action: str, role: str) -> None:
    sources, target, roles, needs_reason = EXPECTED[action]
    if role in roles and state in sources:
        step = transition(state, action, role, reason="because")
        assert step.action == action
        assert step.source == Status(state)
        assert step.target == Status(target)
        assert step.reason == "because"
        if needs_reason:
            with pytest.raises(IllegalTransition, match="needs a reason") as caught:
                transition(state, action, role, reason="   ")
            assert not caught.value.forbidden
        else:
            assert transition(state, action, role).reason is None
    else:
        with pytest.raises(IllegalTransition) as caught:
            transition(state, action, role, reason="because")
        # The wrong role is refused whatever the state (403); the right role in the wrong
        # state gets a conflict (409) naming the state.
        assert caught.value.forbidden is (role not in roles)
        if role in roles:
            assert state.replace("_", " ") in str(caught.value)


@pytest.mark.parametrize(("state", "role"), list(itertools.product(ALL_STATES, ALL_ROLES)))
def test_available_actions(state: str, role: str) -> None:
    expected = [
        name
        for name, (sources, _target, roles, _reason) in EXPECTED.items()
        if state in sources and role in roles
    ]
    assert [a.name for a in available_actions(state, role)] == expected


def test_closed_states_have_no_way_out() -> None:
    for state, role in itertools.product(("approved", "refused", "withdrawn"), ALL_ROLES):
        assert available_actions(state, role) == []


def test_unknown_action_is_a_conflict_not_a_crash() -> None:
    with pytest.raises(IllegalTransition, match="unknown action 'publish'"):
        transition("draft", "publish", "applicant")


def test_unknown_role_or_state_is_refused_cleanly() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition("draft", "submit", "auditor")
    assert caught.value.forbidden
    with pytest.raises(IllegalTransition, match="unknown status 'limbo'"):
        transition("limbo", "submit", "applicant")
