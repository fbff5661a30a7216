"""The one place the store and web app call the assessment engine.

An `Assessor` holds the long-lived services (rule packs, measures, the geo placer, the
valuer), loaded once and shared by the requests of the app that built it
(`app.extensions["planning_sv"]`) or the CLI command that built it. There is no
process-wide instance: two apps in one process (tests, several tenants) keep their own.
The value set comes from the database at each assessment (`assess(..., session=)`).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic_core

from planning_sv.core.assessment import site_dict
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.statement import (
    Statement,
    json_field_path,
    parse_statement,
    validate_commitments,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planning_sv.core.geo.service import GeoCache, GeoService
    from planning_sv.core.valuation import ValueSet

# The key under which a Database's sessions carry the assessor of their owner (store/db.py).
SESSION_KEY = "planning_sv.assessor"


class Assessor:
    """Parses and assesses statement@1 data with the app's long-lived services.

    `data_dir`/`instance_dir` default to the configured folders when first needed. The geo
    service comes from `geo_cache` (a `core.geo.GeoCache`; the assessor makes its own when
    none is given), which rebuilds it when a new boundary vintage is imported.
    """

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        instance_dir: Path | None = None,
        geo_cache: GeoCache | None = None,
        plans_dir: Path | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.plans_dir = plans_dir  # None: the configured local_plans/
        self.data_dir = data_dir
        self.instance_dir = instance_dir
        self._geo_cache = geo_cache
        self._plans: Mapping[str, Any] | None = None
        self._measures: Mapping[str, Any] | None = None
        self._valuer: Any = None

    @property
    def plans(self) -> Mapping[str, Any]:
        if self._plans is None:
            from planning_sv.core.plans import load_plans

            self._plans = load_plans(self.plans_dir)
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
        """(placer, valuer): the geo service for the configured folders and the valuer."""
        return self.placer(), self.valuer()

    def placer(self) -> GeoService:
        """The geo service that places sites and commitments (core.geo.GeoService)."""
        with self._lock:
            if self._geo_cache is None:
                from planning_sv.core.geo.service import GeoCache

                self._geo_cache = GeoCache()
            cache = self._geo_cache
        return cache.get(self.data_dir, self.instance_dir)

    def valuer(self) -> Any:
        with self._lock:
            if self._valuer is None:
                from planning_sv.core.valuation import Valuer

                self._valuer = Valuer()
            return self._valuer

    def value_set(self, council: str, session: Session | None) -> ValueSet | None:
        """The council's chosen set, read from the database in `session`; None without one
        (the valuer's default, the shipped open set)."""
        if session is None:
            return None
        from planning_sv.store.value_sets import chosen

        return chosen(session, council)

    def parse(self, data: Any, *, locations: bool = True) -> Statement:
        """A valid Statement or InputInvalid naming every bad field by JSON path.

        With `locations` (the default, for anything about to be stored) every place is
        checked against the council too: unknown postcodes, other councils' wards, a site
        wholly outside the council. `assess` turns it off because placing does the same.
        """
        geo = self.placer() if locations else None
        return parse_statement(data, councils=self.plans, measures=self.measures, geo=geo)

    def validate_commitments(
        self,
        council: str,
        commitments: list[Any],
        *,
        existing: list[dict[str, Any]] | None = None,
        path: Callable[[int, str], str] | None = None,
        list_path: str = "$.commitments",
    ) -> list[Problem]:
        """Problems with adding `commitments` to a `council` statement holding `existing`:
        the same `core.statement.validate_commitments` check that `parse` makes."""
        return validate_commitments(
            commitments,
            existing=existing or [],
            measures=self.measures,
            council=self.plans.get(council),
            geo=self.placer() if council in self.plans else None,
            path=path or json_field_path,
            list_path=list_path,
        )

    def assess(
        self,
        data: Any,
        on: dt.date | None = None,
        *,
        session: Session | None = None,
        value_set: ValueSet | None = None,
    ) -> dict[str, Any]:
        """The assessment@1 record of `data`; InputInvalid for bad input or unplaceable sites.

        Valued with `value_set` when given; else, with `session`, the set the council has
        chosen (read in that session); else the shipped open set.
        """
        from planning_sv.core.pipeline import assess_statement

        statement = self.parse(data, locations=False)  # placing below checks every place
        placer, valuer = self.services()
        try:
            result = assess_statement(
                statement,
                on=on or dt.date.today(),
                plans=self.plans,
                placer=placer,
                valuer=valuer,
                value_set=value_set or self.value_set(statement.council, session),
            )
        except (KeyError, LookupError) as exc:  # reference data the placer could not find
            raise InputInvalid([Problem("$", f"cannot place this statement: {exc}")]) from None
        except (OverflowError, ArithmeticError):
            raise InputInvalid([Problem("$", TOO_LARGE)]) from None
        data = result.to_dict()
        if not _finite_figures(data):
            # JSON (and PostgreSQL) cannot hold Infinity or NaN.
            raise InputInvalid([Problem("$", TOO_LARGE)])
        # The record is not re-validated against the strict assessment@1 model here: that
        # took 3-4 ms of a 10 ms budget on every assessment, to catch a fault in to_dict,
        # which is code, not input. tests/core/test_assessor_records.py holds every record
        # kind (all placement methods, both councils) to the model instead, and reading a
        # stored record (store.models) still parses it.
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
            statement = self.parse(probe, locations=False)
            placement = self.placer().place_site(statement.site, self.plans[council])
        except InputInvalid as exc:
            return None, [p for p in exc.problems if p.path.startswith("$.site")] or exc.problems
        except LookupError as exc:  # reference data the placer could not find
            return None, [Problem("$.site", f"cannot place the site: {exc}")]
        return site_dict(placement), []


TOO_LARGE = "the numbers in this statement are too large to assess; check the quantities"


def _finite_figures(record: dict[str, Any]) -> bool:
    """No NaN or infinity among the figures an assessment computes.

    Every input figure is bounded (core/statement.MAX_FIGURE, quantities by their unit's
    ceiling), so only arithmetic on them could overflow: the rules' figures, and the
    valuation, whose total adds up every commitment's £ (any Infinity or NaN among those,
    or in the ward and theme sums made of them, makes the total non-finite too). Checking
    those parts rather than the whole record (mostly echoed input and value-set rows) took
    a tenth of a 100-commitment assessment's time off.
    """
    social = record.get("social_value") or {}
    figures = [social.get(key) for key in ("total_gbp", "local_gbp", "per_million_build_cost")]
    return _finite([figures, record.get("rules"), record.get("summary"), record.get("site")])


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in `value`.

    The JSON encoder's own check, in C: walking a 100-commitment record in Python took
    longer than placing its commitments. pydantic-core's serialiser (in Rust, three times
    faster) answers first: it writes every non-finite float as NaN or Infinity, so output
    without those words is finite; only output with them (or a value it cannot write) is
    checked by the exact encoder.
    """
    try:
        text = pydantic_core.to_json(value, inf_nan_mode="constants", fallback=lambda _o: None)
    except (ValueError, TypeError, RecursionError):
        text = b"NaN"
    if b"NaN" not in text and b"Infinity" not in text:
        return True
    try:
        json.dumps(value, allow_nan=False, default=lambda _other: None)
    except ValueError:
        return False
    return True


def assessor_of(session: Session) -> Assessor:
    """The assessor of the app or command that owns `session`'s Database (store/db.py)."""
    found = session.info.get(SESSION_KEY)
    if found is None:
        raise RuntimeError(
            "this session's Database has no assessor: build it as Database(url, "
            "assessor=...) or pass assessor= to the store function"
        )
    return found
