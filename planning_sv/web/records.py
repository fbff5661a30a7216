"""Links from a statement to its application in the council's public planning register
(core/register.py; each council's `planning_register` in its plan.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash

from planning_sv.core.register import reference_notice
from planning_sv.store.models import Statement


@dataclass(frozen=True)
class PlanningRecord:
    url: str | None  # the application's page in the register, when the reference fits
    register: str  # the register's name, for the link text
    notice: str | None  # why there is no link, when the reference does not fit


def planning_record(statement: Statement) -> PlanningRecord:
    from planning_sv.web import assessor

    plan = assessor().plans.get(statement.council)
    register = plan.planning_register if plan is not None else None
    if register is None:
        return PlanningRecord(None, "", None)
    reference = statement.application_reference
    return PlanningRecord(
        register.url(reference),
        register.name,
        reference_notice(register, reference, plan.name if plan is not None else statement.council),
    )


def check_reference_on_entry(council: str, reference: str | None) -> None:
    """Tell the applicant, on the next page, when a reference they just entered does not
    fit the council's shape. Kept, not refused: councils have local variants."""
    from planning_sv.web import assessor

    plan = assessor().plans.get(council)
    if plan is None:
        return
    notice = reference_notice(plan.planning_register, reference, plan.name)
    if notice:
        flash(notice, "warning")
