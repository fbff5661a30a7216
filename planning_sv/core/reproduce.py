"""Compare a stored assessment with a fresh run of the same statement version.

"Reproduce" answers: would the rules in force today (same assessment date, current rule
pack and value set) give the same verdicts? Identical means every rule's status and figures
and the social value totals match; otherwise each difference is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planning_sv.core.assessment import AssessmentRecord, SocialValueOut
from planning_sv.core.figures import same_figure

RULE_FIELDS = ("status", "required", "proposed", "shortfall", "unit")
TOTAL_FIELDS = ("total_gbp", "local_gbp", "per_million_build_cost")


@dataclass(frozen=True)
class Difference:
    where: str  # "rule ISL-B4", "social value", "rule pack"
    field: str
    stored: Any
    fresh: Any


@dataclass(frozen=True)
class Reproduction:
    stored_pack: str
    fresh_pack: str
    stored_value_set: str | None
    fresh_value_set: str | None
    differences: tuple[Difference, ...] = field(default_factory=tuple)

    @property
    def identical(self) -> bool:
        return not self.differences

    @property
    def rules_changed(self) -> bool:
        return self.stored_pack != self.fresh_pack


def _total(social: SocialValueOut | None, name: str) -> float | None:
    return getattr(social, name) if social is not None else None


def compare(stored: AssessmentRecord, fresh: AssessmentRecord) -> Reproduction:
    """Every difference in rule results and totals between two assessment@1 records."""
    differences: list[Difference] = []
    stored_pack, fresh_pack = stored.pack_version, fresh.pack_version
    if stored_pack != fresh_pack:
        differences.append(Difference("rule pack", "pack_version", stored_pack, fresh_pack))
    old_vs, new_vs = stored.value_set_label, fresh.value_set_label
    if old_vs != new_vs:
        differences.append(Difference("value set", "value_set", old_vs, new_vs))

    old_rules = {r.id: r for r in stored.rules}
    new_rules = {r.id: r for r in fresh.rules}
    for rule_id in list(old_rules) + [r for r in new_rules if r not in old_rules]:
        before, after = old_rules.get(rule_id), new_rules.get(rule_id)
        if before is None:
            differences.append(Difference(f"rule {rule_id}", "rule", None, "added"))
            continue
        if after is None:
            differences.append(Difference(f"rule {rule_id}", "rule", "present", None))
            continue
        for name in RULE_FIELDS:
            was, now = getattr(before, name), getattr(after, name)
            if not same_figure(was, now):
                differences.append(Difference(f"rule {rule_id}", name, was, now))

    for name in TOTAL_FIELDS:
        was = _total(stored.social_value, name)
        now = _total(fresh.social_value, name)
        if not same_figure(was, now):
            differences.append(Difference("social value", name, was, now))
    return Reproduction(stored_pack, fresh_pack, old_vs, new_vs, tuple(differences))
