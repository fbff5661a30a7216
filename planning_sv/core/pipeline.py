"""Compose one assessment: place the statement, evaluate the rules, value it, record it.

The placer (geo) and valuer (valuation) are passed in as protocols so the core stays
testable with small fakes and the web app can reuse long-lived services (loaded boundaries,
value sets) across requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from planning_sv.core.assessment import Assessment, Regime, commitment_dict
from planning_sv.core.errors import InputInvalid
from planning_sv.core.placement import StatementPlacement
from planning_sv.core.plans import CouncilPlan
from planning_sv.core.rules.engine import evaluate
from planning_sv.core.statement import Statement, unknown_council


@runtime_checkable
class Placer(Protocol):
    def place_statement(self, statement: Statement, plan: CouncilPlan) -> StatementPlacement: ...


class Valuation(Protocol):
    @property
    def commitment_values(self) -> Mapping[str, float | None]: ...

    def as_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class Valuer(Protocol):
    def value_statement(
        self,
        statement: Statement,
        placement: StatementPlacement,
        plan: CouncilPlan,
        *,
        on: dt.date | None = None,
    ) -> Valuation: ...


def assess_statement(
    statement: Statement,
    *,
    on: dt.date,
    plans: Mapping[str, CouncilPlan],
    placer: Placer,
    valuer: Valuer | None = None,
    value_set: Any = None,
    now: dt.datetime | None = None,
) -> Assessment:
    """Assess `statement` against its council's rules in force on `on`.

    `value_set` (a `core.valuation.ValueSet`) is the set the council has chosen, which the
    caller reads from wherever it keeps it; None leaves the valuer to its default.

    Raises InputInvalid for an unknown council or missing development facts a rule needs
    (and whatever the placer raises for locations it cannot place).
    """
    plan = plans.get(statement.council)
    if plan is None:
        raise InputInvalid([unknown_council(statement.council, plans)])
    placement = placer.place_statement(statement, plan)
    statement = with_site_area(statement)
    # Councils apply the policy in force when the application was validated (an SPD that
    # applies to "applications validated from 30 April 2025"), not when it is assessed.
    regime = Regime.of(statement, on)
    on = regime.applied_on
    designation = _designation(statement, plan, placement, placer)
    results = evaluate(plan, statement, placement.commitments, on)
    values: Mapping[str, float | None] = {}
    social_value: dict[str, Any] | None = None
    if valuer is not None:
        # The same date as the rules, so both convert units by the catalogue's same values.
        # The council's chosen set only when the caller gave one: fakes need not take it.
        extra = {} if value_set is None else {"value_set": value_set}
        valuation = valuer.value_statement(statement, placement, plan, on=on, **extra)
        values = valuation.commitment_values
        social_value = valuation.as_dict()
    return Assessment(
        council=plan.code,
        council_name=plan.name,
        application_reference=statement.application_reference,
        pack_version=plan.pack_version,
        assessed_on=on,
        generated_at=now or dt.datetime.now(dt.UTC),
        site=placement.site,
        rules=results,
        commitments=[
            commitment_dict(c, placement.commitments.get(c.id), values.get(c.id))
            for c in statement.commitments
        ],
        social_value=social_value,
        placement=placement,
        regime=regime,
        site_area_ha=statement.development.site_area_ha,
        designation=designation,
    )


def _designation(
    statement: Statement, plan: CouncilPlan, placement: StatementPlacement, placer: Placer
) -> dict[str, Any] | None:
    """The site's designation as chosen, and as found in the council's boundary files.

    The officer confirms the choice; where the two differ the review page says so. None for
    a council without designations.
    """
    if not plan.designations:
        return None
    found = None
    locate = getattr(placer, "designation_at", None)
    point = placement.site.point
    if locate is not None and point is not None and any(d.boundaries for d in plan.designations):
        found = locate(plan, point[0], point[1])
    names = {d.code: d.name for d in plan.designations}
    chosen = statement.site.designation
    return {
        "chosen": chosen,
        "found": found,
        "chosen_name": names.get(chosen) if chosen else None,
        "found_name": names.get(found) if found else None,
    }


def with_site_area(statement: Statement) -> Statement:
    """The statement with its site area taken from the site polygon when it gives none."""
    geometry = statement.site.geometry
    if statement.development.site_area_ha is not None or geometry is None:
        return statement
    from planning_sv.core.geo.coords import polygon_area_ha  # the geo stack, only when needed

    area = polygon_area_ha(geometry.model_dump())
    if area is None:
        return statement
    development = statement.development.model_copy(update={"site_area_ha": area})
    return statement.model_copy(update={"development": development})


def default_services() -> tuple[Placer, Valuer]:
    """A new real placer and valuer over the shared open data and the open value set.

    Each call loads its own; a long-lived caller (the web app, store.assessments.Assessor)
    keeps what it builds.

    Imported here, not at module load, so the rules core works without the geo stack and
    a missing data folder only matters to callers that actually place statements.
    """
    from planning_sv.core.geo import GeoService
    from planning_sv.core.valuation import Valuer as DefaultValuer

    return GeoService.from_data_dir(), DefaultValuer()
