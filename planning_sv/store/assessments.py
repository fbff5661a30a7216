"""The one place the store and web app call the assessment engine.

Rule packs, measures, the geo placer and the valuer are loaded once per process and shared,
because loading boundaries and postcodes per request would be slow.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Mapping
from typing import Any

from planning_sv.core.assessment import site_dict
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.statement import Statement, parse_statement


class Assessor:
    """Parses and assesses statement@1 data with the app's long-lived services."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: Mapping[str, Any] | None = None
        self._measures: Mapping[str, Any] | None = None
        self._services: tuple[Any, Any] | None = None

    @property
    def plans(self) -> Mapping[str, Any]:
        if self._plans is None:
            from planning_sv.core.plans import load_plans

            self._plans = load_plans()
        return self._plans

    @property
    def measures(self) -> Mapping[str, Any]:
        if self._measures is None:
            from planning_sv.core.measures import load_measures

            self._measures = load_measures()
        return self._measures

    def councils(self) -> dict[str, str]:
        """Council code -> display name, sorted by name."""
        return dict(sorted(((c, p.name) for c, p in self.plans.items()), key=lambda kv: kv[1]))

    def services(self) -> tuple[Any, Any]:
        with self._lock:
            if self._services is None:
                from planning_sv.core.pipeline import default_services

                self._services = default_services()
            return self._services

    def parse(self, data: Any) -> Statement:
        """A valid Statement or InputInvalid naming every bad field by JSON path."""
        return parse_statement(data, councils=self.plans, measures=self.measures)

    def assess(self, data: Any, on: dt.date | None = None) -> dict[str, Any]:
        """The assessment@1 record of `data`; InputInvalid for bad input or unplaceable sites."""
        from planning_sv.core.pipeline import assess_statement

        statement = self.parse(data)
        placer, valuer = self.services()
        try:
            result = assess_statement(
                statement,
                on=on or dt.date.today(),
                plans=self.plans,
                placer=placer,
                valuer=valuer,
            )
        except (KeyError, LookupError) as exc:  # reference data the placer could not find
            raise InputInvalid([Problem("$", f"cannot place this statement: {exc}")]) from None
        except (OverflowError, ArithmeticError):
            raise InputInvalid([Problem("$", TOO_LARGE)]) from None
        data = result.to_dict()
        if not _finite(data):
            # e.g. 1e308 of something valued at £20 each: JSON (and PostgreSQL) cannot hold it.
            raise InputInvalid([Problem("$", TOO_LARGE)])
        return data

    def place_site(self, council: str, site: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
        """Where a site lands (wards, shares, point), before the rest of the statement exists.

        Returns (site placement as in assessment@1, []) or (None, problems under `$.site`).
        """
        from planning_sv.core.statement import SCHEMA_ID

        probe = {
            "schema": SCHEMA_ID,
            "council": council,
            "site": site,
            "development": {"build_cost_gbp": 0},
            "commitments": [],
        }
        try:
            statement = self.parse(probe)
            placer, _valuer = self.services()
            placement = placer.place_statement(statement, self.plans[council])
        except InputInvalid as exc:
            return None, [p for p in exc.problems if p.path.startswith("$.site")] or exc.problems
        return site_dict(placement.site), []


TOO_LARGE = "the numbers in this statement are too large to assess; check the quantities"


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return True


_assessor: Assessor | None = None


def get_assessor() -> Assessor:
    global _assessor
    if _assessor is None:
        _assessor = Assessor()
    return _assessor
