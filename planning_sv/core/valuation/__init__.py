"""Social value in pounds: measures' valuation attributes, value sets, and totals.

Entry points: `Valuer.default(instance_dir).value_statement(statement, placement, plan)`,
the value-set registry functions (`import_csv`, `list_rows`, `choose`) and
`report.format_social_value(sv_dict)`.
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
    ValueSetRegistry,
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
    "ValueSetRegistry",
    "Valuer",
    "format_social_value",
    "load_indices",
    "load_open_set",
    "parse_value_csv",
    "population_shares",
]
