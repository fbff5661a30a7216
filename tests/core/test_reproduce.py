"""Reproduce: a stored assessment compared with a fresh run.

Hand-written records (the parts compared), completed into valid assessment@1 records by
`tests/assessment_records.complete_record`.
"""

from __future__ import annotations

import copy
from typing import Any

from planning_sv.core.reproduce import compare
from tests.assessment_records import complete_record


def _assessment() -> dict[str, Any]:
    return {
        "pack_version": "islington-2025.1",
        "rules": [
            {
                "id": "R1",
                "status": "pass",
                "required": 10.0,
                "proposed": 12.0,
                "shortfall": 0.0,
                "unit": "sqm",
            },
            {
                "id": "R2",
                "status": "fail",
                "required": 5.0,
                "proposed": 0.0,
                "shortfall": 5.0,
                "unit": "placements",
            },
        ],
        "social_value": {
            "total_gbp": 1000.0,
            "local_gbp": 700.0,
            "value_set": {"name": "open", "version": 1},
        },
    }


def test_identical_when_nothing_changed() -> None:
    stored = _assessment()
    fresh = copy.deepcopy(stored)
    fresh["social_value"]["total_gbp"] = 1000.0000000001  # float noise is not a change
    result = compare(complete_record(stored), complete_record(fresh))
    assert result.identical
    assert not result.rules_changed
    assert list(result.differences) == []
    assert result.stored_value_set == "open v1"


def test_lists_each_difference() -> None:
    stored = _assessment()
    fresh = copy.deepcopy(stored)
    fresh["pack_version"] = "islington-2026.1"
    fresh["rules"][1].update(status="partial", required=4.0)
    fresh["rules"].append({"id": "R3", "status": "pass"})
    del fresh["rules"][0]
    fresh["social_value"]["local_gbp"] = 650.0
    result = compare(complete_record(stored), complete_record(fresh))
    assert not result.identical
    assert result.rules_changed
    found = {(d.where, d.field, d.stored, d.fresh) for d in result.differences}
    assert found == {
        ("rule pack", "pack_version", "islington-2025.1", "islington-2026.1"),
        ("rule R1", "rule", "present", None),
        ("rule R2", "status", "fail", "partial"),
        ("rule R2", "required", 5.0, 4.0),
        ("rule R3", "rule", None, "added"),
        ("social value", "local_gbp", 700.0, 650.0),
    }
