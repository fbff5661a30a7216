"""Rules as loaded from a pack, and the names their expressions may use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from planning_sv.core.rules.expressions import Expression
from planning_sv.core.statement import USE_CLASSES, Development

STATUSES = ("pass", "partial", "fail", "not_applicable", "needs_evidence")

# Development facts every rule may use; optional ones are absent when the statement omits
# them, so a rule that needs them reports the missing field instead of assuming zero.
SCALAR_FACTS = (
    "dwellings",
    "build_cost_gbp",
    "build_cost_millions",
    "construction_months",
    "site_area_ha",
    "dwellings_not_known",
    "floorspace_total",
    "floorspace_non_residential",
    "existing_floorspace_total",
    "net_floorspace_total",
)
OPTIONAL_FACTS = {
    "construction_months": "$.development.construction_months",
    "site_area_ha": "$.development.site_area_ha",
}
# `designation.<code>` is 1 for the site's designation and 0 for the council's others; all
# are absent when the statement names none, so a rule that depends on location asks for it.
DESIGNATION_PREFIX = "designation."
DESIGNATION_FIELD = "$.site.designation"


def designation_names(codes: Iterable[str]) -> frozenset[str]:
    return frozenset(DESIGNATION_PREFIX + code for code in codes)


def designation_env(designation: str | None, codes: Iterable[str]) -> dict[str, float]:
    if designation is None:
        return {}
    return {DESIGNATION_PREFIX + code: float(code == designation) for code in codes}


def missing_fact_path(name: str) -> str | None:
    """Where in a statement a missing optional fact is given, or None if it is not one."""
    if name.startswith(DESIGNATION_PREFIX):
        return DESIGNATION_FIELD
    return OPTIONAL_FACTS.get(name)


@dataclass(frozen=True)
class Definition:
    """A named test the plan defines once (e.g. statutory "major development").

    Rules use it by name; its expression may use development facts, parameters and earlier
    definitions, and the result explains which of them it read.
    """

    name: str
    expression: Expression
    description: str
    citation: dict[str, Any]


@dataclass(frozen=True)
class Designation:
    """A planning designation a site can lie in (a Central Activities Zone, an industrial site, a town centre)."""

    code: str
    name: str
    hint: str = ""
    boundaries: str | None = None  # a GeoJSON file (in the data folder) to derive it from


FLOORSPACE_NAMES = tuple(
    f"{prefix}.{use}"
    for prefix in ("floorspace", "existing_floorspace", "net_floorspace")
    for use in USE_CLASSES
)
DEVELOPMENT_NAMES = frozenset(SCALAR_FACTS) | frozenset(FLOORSPACE_NAMES)
GRADING_NAMES = frozenset({"required", "proposed"})
# `counts.convert_override.<unit>.rounding`: how a converted count is made whole.
ROUNDINGS = ("none", "floor", "ceil", "round")
# `counts.each`: what one counts as, instead of adding up quantities.
EACH_KINDS = ("commitment",)
COMMITMENTS_UNIT = "commitments"
# Units that describe rather than measure (a qualitative commitment is its text): with
# `each: commitment` such a commitment counts whatever quantity it gives.
DESCRIBED_UNITS = frozenset({"text"})


def development_env(development: Development) -> dict[str, float]:
    """The development facts as expression names (floorspace per use is 0 when absent)."""
    env: dict[str, float] = {
        "dwellings": development.dwellings,
        "dwellings_not_known": float(development.dwellings_not_known),
        "build_cost_gbp": development.build_cost_gbp,
        "build_cost_millions": development.build_cost_gbp / 1_000_000,
    }
    if development.construction_months is not None:
        env["construction_months"] = development.construction_months
    if development.site_area_ha is not None:
        env["site_area_ha"] = development.site_area_ha
    proposed = development.floorspace_sqm
    existing = development.existing_floorspace_sqm
    for use in USE_CLASSES:
        env[f"floorspace.{use}"] = proposed.get(use, 0.0)
        env[f"existing_floorspace.{use}"] = existing.get(use, 0.0)
        # Signed: a scheme that loses office space has a negative net office figure.
        env[f"net_floorspace.{use}"] = proposed.get(use, 0.0) - existing.get(use, 0.0)
    env["floorspace_total"] = sum(proposed.values())
    env["floorspace_non_residential"] = sum(
        area for use, area in proposed.items() if use != "residential"
    )
    env["existing_floorspace_total"] = sum(existing.values())
    env["net_floorspace_total"] = env["floorspace_total"] - env["existing_floorspace_total"]
    return env


@dataclass(frozen=True)
class ConvertOverride:
    """A policy's own conversion of `unit` into the rule's unit, named so it is never silent.

    One of the rule's unit per `per` of `unit` (e.g. a placement per 26 placement weeks),
    made whole by `rounding`; the explanation says `reason` and what the measures catalogue
    would have counted instead.
    """

    per: Expression
    rounding: str = "none"  # one of ROUNDINGS
    reason: str = ""


@dataclass(frozen=True)
class Counts:
    """What in a statement counts towards a rule.

    Quantities in the rule's unit count as they are; those in another of `units` are
    converted by the measures catalogue (`Measure.convert`), unless `overrides` names the
    policy's own conversion for that unit. With `each: commitment` (rules in `commitments`)
    no quantity is added up: each commitment with a positive quantity counts one.
    """

    measures: tuple[str, ...]
    units: tuple[str, ...] | None = None  # None: every unit of the counted measures
    phase: str | None = None
    local_only: bool = False
    each: str | None = None  # "commitment", or None to add up quantities
    overrides: dict[str, ConvertOverride] = field(default_factory=dict)  # unit -> override
    # A named set of districts (the plan's `local_areas`) that is local for this rule too,
    # beside the council's own local definition.
    local_area: LocalArea | None = None


@dataclass(frozen=True, eq=False)
class LocalArea:
    """A definition of "local" wider than the council: a named set of local authorities."""

    code: str
    name: str
    districts: dict[str, str]  # LAD code -> name


@dataclass(frozen=True)
class Grading:
    pass_: Expression | None = None  # None: proposed >= required
    partial: Expression | None = None


@dataclass(frozen=True)
class DatedCitation:
    """The policy text a rule applies from `start`: one rule, restated by a later document."""

    start: dt.date
    citation: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    citation: dict[str, Any]  # the latest citation (what lists of rules show)
    effective_from: dt.date
    effective_to: dt.date | None
    applies_when: Expression | None
    requires: Expression | None  # None only for evidence-only rules
    unit: str
    counts: Counts
    grading: Grading = field(default_factory=Grading)
    evidence: str | None = None
    description: str | None = None
    notes: str | None = None
    # Oldest first; empty when the rule has one citation for its whole life.
    citations: tuple[DatedCitation, ...] = ()

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def citation_on(self, on: dt.date) -> dict[str, Any]:
        """The citation of the policy document in force on `on` (the regime applied)."""
        current = self.citation
        for dated in self.citations:
            if dated.start > on:
                break
            current = dated.citation
        return dict(current)

    def expressions(self) -> dict[str, Expression]:
        """Every expression of the rule by field name, for checks and explanations."""
        found: dict[str, Expression | None] = {
            "applies_when": self.applies_when,
            "requires": self.requires,
            "grading.pass": self.grading.pass_,
            "grading.partial": self.grading.partial,
        }
        for unit, override in self.counts.overrides.items():
            found[f"counts.convert_override.{unit}.per"] = override.per
        return {name: expr for name, expr in found.items() if expr is not None}
