"""parse_statement validates each commitment once and gives the same Statement as before.

`validate_commitments` hands its Commitment models to `parse_statement`, which builds the
Statement from them instead of validating the commitment dicts a second time."""

from __future__ import annotations

import copy
import json
from typing import Any

from planning_sv import config
from planning_sv.core.statement import Commitment, Statement, parse_statement, validate_commitments

EXAMPLES = config.PROJECT_ROOT / "tests" / "fixtures"


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def test_parsed_statement_equals_one_validated_from_the_dicts() -> None:
    paths = sorted(EXAMPLES.glob("*.json"))
    assert [p.name for p in paths] == ["islington_mixed_use.json", "salford_residential.json"]
    for path in paths:
        data = json.loads(path.read_text("utf-8"))
        parsed = parse_statement(copy.deepcopy(data))
        assert parsed == Statement.model_validate(data), path.name
        assert parsed.to_json_dict() == Statement.model_validate(data).to_json_dict()


def test_validate_commitments_hands_over_one_model_per_commitment() -> None:
    items = [
        {
            "id": "a",
            "measure": "volunteering",
            "quantity": 5,
            "unit": "hours",
            "where": {"borough": True},
            "description": "  padded  ",
        },
        {
            "id": "b",
            "measure": "volunteering",
            "quantity": -1,
            "unit": "hours",
            "where": {"borough": True},
        },
        "not an object",
    ]
    models: list[Commitment | None] = []
    problems = validate_commitments(items, models=models)
    assert [p.path for p in problems] == ["$.commitments[1].quantity", "$.commitments[2]"]
    assert len(models) == 3
    assert models[0] == Commitment.model_validate(items[0])
    assert models[0] is not None and models[0].description == "padded"
    assert models[1] is None and models[2] is None
