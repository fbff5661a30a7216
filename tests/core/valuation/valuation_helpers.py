"""Helpers for valuation tests: hand-built placements (no geo dependency) and small sets."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from planning_sv import config
from planning_sv.core.measures import load_measures
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.statement import Statement, parse_statement
from planning_sv.core.valuation import ValueRow, ValueSet

EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"  # copies of ../shared/docs/examples


def load_example(name: str) -> Statement:
    return parse_statement((EXAMPLES / name).read_text(encoding="utf-8"), measures=load_measures())


def statement(commitments: list[dict[str, Any]], **development: Any) -> Statement:
    dev = {"build_cost_gbp": 10_000_000, **development}
    data = {
        "schema": "planning-sv/statement@1",
        "council": "islington",
        "site": {"postcode": "N7 8QP"},
        "development": dev,
        "commitments": [{"where": {"borough": True}, **c} for c in commitments],
    }
    return parse_statement(json.dumps(data), measures=load_measures())


def ward(code: str, name: str, share: float = 1.0) -> WardShare:
    return WardShare(code, name, share)


def placed(*wards: WardShare, method: str = "ward", local: bool = True) -> Placement:
    return Placement(method=method, vintage="2025", wards=tuple(wards), local=local)


def placements(by_id: dict[str, Placement]) -> StatementPlacement:
    site = placed(ward("E05013706", "Holloway"), method="polygon")
    return StatementPlacement(site=site, commitments=by_id)


def all_placed_in(st: Statement, *wards: WardShare, local: bool = True) -> StatementPlacement:
    return placements({c.id: placed(*wards, local=local) for c in st.commitments})


ISLINGTON = SimpleNamespace(code="islington", lad_code="E09000019")
SALFORD = SimpleNamespace(code="salford", lad_code="E08000006")


def value_set(*rows: tuple[str, str, float], target_price_year: int | None = None) -> ValueSet:
    """A value set built in code: (measure, unit, £ per unit) rows, 2024 prices."""
    return ValueSet(
        name="test set",
        version=3,
        licence="test licence",
        owner="tests",
        council="islington",
        target_price_year=target_price_year,
        rows=tuple(
            ValueRow(
                measure=m,
                unit=u,
                gbp_per_unit=g,
                price_year=2024,
                value_type="economic",
                source="tests",
                url="",
                licence="test licence",
                method="",
                confidence="unverified",
            )
            for m, u, g in rows
        ),
    )
