"""Complete assessment@1 records from the few parts a test is about.

Readers take the strict `AssessmentRecord` (core/assessment.py), so a test that cares only
about rules and commitments still hands them a record the schema accepts: `complete_record`
fills every other required part with a neutral value (no wards, no parameters, nothing
valued) and validates the result. What the test writes is kept exactly; the fill-ins never
add a figure the test did not state:

* a rule's counted entry gets its commitment's measure, quantity and unit, counted as
  offered (no conversion), unless the test gives them;
* `summary` is counted from the rules' statuses (as `Assessment.summary` does);
* `social_value`, when given, gets empty lists and zero totals for what it leaves out.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from planning_sv.core.assessment import (
    SCHEMA_ID,
    AssessmentRecord,
    SocialValueOut,
    parse_assessment,
)
from planning_sv.core.rules.model import STATUSES

SITE = {
    "method": "postcode",
    "vintage": "2024-12",
    "wards": [],
    "inside_council": True,
    "outside_share": 0.0,
    "point": None,
    "warnings": [],
}

VALUE_SET = {
    "name": "planning_sv open",
    "version": 1,
    "licence": "OGL-UK-3.0",
    "owner": "planning_sv",
    "council": None,
    "target_price_year": None,
}


def _ward(ward: dict[str, Any]) -> dict[str, Any]:
    return {"code": ward["code"], "name": ward.get("name", ward["code"]), "share": ward["share"]}


def _commitment(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": None,
        "vintage": None,
        "local": False,
        "local_reason": "not placed",
        **item,
        "wards": [_ward(w) for w in item.get("wards") or []],
    }


def _counted(entry: dict[str, Any], commitments: dict[str, dict[str, Any]]) -> dict[str, Any]:
    source = commitments.get(entry["id"], {})
    quantity = float(entry.get("quantity", source.get("quantity", 0.0)))
    return {
        "measure": source.get("measure", ""),
        "quantity": quantity,
        "unit": source.get("unit", ""),
        "counted": quantity,
        **entry,
    }


def _rule(rule: dict[str, Any], commitments: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": rule["id"],
        "citation": {},
        "required": None,
        "proposed": None,
        "shortfall": None,
        "unit": "",
        "explanation": "",
        "inputs": {},
        "parameters": [],
        **rule,
        "counted": [_counted(c, commitments) for c in rule.get("counted") or []],
        "excluded": [
            {"measure": "", "reason": "", **entry} for entry in rule.get("excluded") or []
        ],
    }


def _social_value(social: dict[str, Any]) -> dict[str, Any]:
    return {
        "currency": "GBP",
        "price_years": [],
        "total_gbp": 0.0,
        "local_gbp": 0.0,
        "by_ward_basis": "placement shares",
        "unplaced_gbp": 0.0,
        "by_theme": {},
        "build_cost_gbp": 0.0,
        "per_million_build_cost": None,
        "commitments": [],
        "unvalued": [],
        "notes": [],
        **social,
        "value_set": {**VALUE_SET, **(social.get("value_set") or {})},
        "by_ward": [{"borough_wide_gbp": None, **w} for w in social.get("by_ward") or []],
    }


def complete_data(partial: dict[str, Any]) -> dict[str, Any]:
    """The partial record with every required part filled (JSON, as stored)."""
    data = copy.deepcopy(partial)
    commitments = [_commitment(c) for c in data.get("commitments") or []]
    by_id = {c["id"]: c for c in commitments}
    rules = [_rule(r, by_id) for r in data.get("rules") or []]
    counts = Counter(r["status"] for r in rules)
    summary = {"total": len(rules), **{s: counts.get(s, 0) for s in STATUSES}}
    record: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "council": "islington",
        "council_name": "Islington",
        "application_reference": None,
        "pack_version": "test",
        "assessed_on": "2026-01-15",
        "generated_at": "2026-01-15T09:00:00+00:00",
        "site": SITE,
        "summary": summary,
        **data,
        "rules": rules,
        "commitments": commitments,
    }
    if data.get("social_value") is not None:
        record["social_value"] = _social_value(data["social_value"])
    return record


def complete_record(partial: dict[str, Any]) -> AssessmentRecord:
    """The partial record completed and read as the strict model (raises if still invalid)."""
    return parse_assessment(complete_data(partial))


def complete_social_value(partial: dict[str, Any]) -> SocialValueOut:
    """A `social_value` part completed as in `complete_data` and read as its model."""
    return SocialValueOut.model_validate(_social_value(copy.deepcopy(partial)))
