"""Helpers for valuation tests: hand-built placements (no geo dependency) and small sets."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from planning_sv import config
from planning_sv.core.measures import load_measures
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.statement import Statement, parse_statement
from planning_sv.core.valuation import ValueRow, ValueSet
from planning_sv.store import value_sets
from planning_sv.store.db import Database
from planning_sv.store.models import AuditEvent, ValueSetChoice, ValueSetRow

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


class Registry:
    """store/value_sets.py with one committed session per call, as the CLI uses it."""

    def __init__(self, database: Database):
        self.database = database

    def import_csv(self, path: Path, council: str, name: str, licence: str, **kw: Any) -> ValueSet:
        with self.database.session() as s:
            return value_sets.import_csv(s, path, council, name, licence, **kw)

    def choose(self, council: str, name: str, version: int | None = None) -> ValueSet:
        with self.database.session() as s:
            return value_sets.choose(s, council, name, version)

    def chosen(self, council: str | None) -> ValueSet:
        with self.database.session() as s:
            return value_sets.chosen(s, council)

    def load(self, council: str, name: str, version: int | None = None) -> ValueSet:
        with self.database.session() as s:
            return value_sets.load(s, council, name, version)

    def list_rows(self, council: str | None = None) -> list[dict[str, Any]]:
        with self.database.session() as s:
            return value_sets.list_rows(s, council)

    def list_sets(self, council: str | None = None) -> list[dict[str, Any]]:
        with self.database.session() as s:
            return value_sets.list_sets(s, council)

    def stored(self) -> tuple[int, int, int]:
        """(set versions, choices, audit rows) in the database."""
        with self.database.session() as s:
            return (
                s.scalar(select(func.count()).select_from(ValueSetRow)) or 0,
                s.scalar(select(func.count()).select_from(ValueSetChoice)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            )
