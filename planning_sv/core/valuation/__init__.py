"""Social value in pounds: measures' valuation attributes, value sets, and totals.

Entry points: `Valuer().value_statement(statement, placement, plan, value_set=...)` (the
open set unless the caller passes the council's chosen set, which the store keeps),
`build_value_set` (a council's CSV, validated) and `report.format_social_value(sv_dict)`.
"""

from __future__ import annotations

from planning_sv.core.valuation.engine import (
    CommitmentValue,
    SocialValue,
    Valuer,
    population_shares,
)
from planning_sv.core.valuation.report import format_social_value
from planning_sv.core.valuation.valuesets import (
    OPEN_LICENCES,
    PriceIndex,
    ValueRow,
    ValueSet,
    build_value_set,
    load_indices,
    load_open_set,
    parse_value_csv,
)

__all__ = [
    "OPEN_LICENCES",
    "CommitmentValue",
    "PriceIndex",
    "SocialValue",
    "ValueRow",
    "ValueSet",
    "Valuer",
    "build_value_set",
    "format_social_value",
    "load_indices",
    "load_open_set",
    "parse_value_csv",
    "population_shares",
]
