"""The assessment@1 record and the pipeline composing it, with fake placer and valuer."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from planning_sv.core.assessment import (
    SCHEMA_ID,
    AssessmentOut,
    assessment_json_schema,
    parse_assessment,
)
from planning_sv.core.errors import InputInvalid
from planning_sv.core.pipeline import Placer, Valuer, assess_statement
from planning_sv.core.placement import Placement, StatementPlacement, WardShare
from planning_sv.core.plans import read_plans
from planning_sv.core.report import render_text
from planning_sv.core.statement import Statement, parse_statement

FIXTURE_ROOT = Path(__file__).parent / "rules" / "fixtures" / "local_plans"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


class FakePlacer:
    """Places every commitment in one ward; ids listed in `outside` are not local."""

    def __init__(self, outside: frozenset[str] = frozenset()):
        self.outside = outside

    def place_statement(self, statement: Statement, plan: Any) -> StatementPlacement:
        ward = WardShare("E05000001", "Testward", 1.0)
        site = Placement(
            method="polygon",
            vintage=plan.boundary_vintage,
            wards=(ward, WardShare("E05000002", "Otherward", 0.0)),
        )
        commitments = {
            c.id: Placement(
                method="ward",
                vintage=plan.boundary_vintage,
                wards=() if c.id in self.outside else (ward,),
                inside_council=c.id not in self.outside,
                local=c.id not in self.outside,
                local_reason="outside Testshire" if c.id in self.outside else "in Testshire",
                warnings=("ward code from a previous vintage",) if c.id == "c2" else (),
            )
            for c in statement.commitments
        }
        return StatementPlacement(site=site, commitments=commitments)


class FakeValuation:
    def __init__(self, values: dict[str, float | None]):
        self.commitment_values = values

    def as_dict(self) -> dict[str, Any]:
        # Every key of the strict social_value model (core/assessment.py SocialValueOut).
        total = sum(v for v in self.commitment_values.values() if v is not None)
        return {
            "value_set": {
                "name": "fake",
                "version": 1,
                "licence": "OGL-UK-3.0",
                "owner": "tests",
                "council": None,
                "target_price_year": None,
            },
            "currency": "GBP",
            "price_years": [],
            "total_gbp": total,
            "local_gbp": total / 2,
            "by_ward": [
                {"code": "E05000001", "name": "Testward", "gbp": total, "borough_wide_gbp": 0.0}
            ],
            "by_ward_basis": "all in one ward",
            "unplaced_gbp": 0.0,
            "by_theme": {"skills": total},
            "build_cost_gbp": 45_000_000.0,
            "per_million_build_cost": total / 45,
            "commitments": [],
            "unvalued": [],
            "notes": [],
        }


class FakeValuer:
    def value_statement(
        self, statement: Statement, placement: Any, plan: Any, *, on: Any = None
    ) -> FakeValuation:
        return FakeValuation({c.id: c.quantity * 100.0 for c in statement.commitments})


@pytest.fixture(scope="module")
def plans():
    found, problems = read_plans(FIXTURE_ROOT)
    assert problems == []
    return found


@pytest.fixture
def statement() -> Statement:
    return parse_statement(
        {
            "council": "testshire",
            "application_reference": "T/2026/1",
            "site": {"postcode": "TE1 1ST"},
            "development": {
                "dwellings": 120,
                "floorspace_sqm": {"office": 8000, "residential": 9500},
                "build_cost_gbp": 45_000_000,
                "construction_months": 30,
            },
            "commitments": [
                {
                    "id": "c1",
                    "measure": "work_placement",
                    "quantity": 20,
                    "unit": "placements",
                    "phase": "construction",
                    "where": {"borough": True},
                },
                {
                    "id": "c2",
                    "measure": "apprenticeship",
                    "quantity": 8,
                    "unit": "starts",
                    "where": {"ward": "E05000001"},
                },
                {
                    "id": "c3",
                    "measure": "work_placement",
                    "quantity": 30,
                    "unit": "placements",
                    "where": {"postcode": "ZZ1 1ZZ"},
                },
            ],
        }
    )


def test_fakes_satisfy_protocols() -> None:
    assert isinstance(FakePlacer(), Placer)
    assert isinstance(FakeValuer(), Valuer)


def test_assessment_record_matches_contract(plans, statement) -> None:
    assessment = assess_statement(
        statement,
        on=dt.date(2026, 1, 1),
        plans=plans,
        placer=FakePlacer(outside=frozenset({"c3"})),
        valuer=FakeValuer(),
        now=NOW,
    )
    data = assessment.to_dict()
    AssessmentOut.model_validate(data)  # the published schema accepts what we emit
    assert data["schema"] == SCHEMA_ID
    assert (data["council"], data["pack_version"], data["assessed_on"]) == (
        "testshire",
        "2026.1.0",
        "2026-01-01",
    )
    assert data["generated_at"] == "2026-11-25T12:00:00+00:00"
    assert data["application_reference"] == "T/2026/1"
    assert data["site"]["wards"][0] == {"code": "E05000001", "name": "Testward", "share": 1.0}
    assert data["site"]["vintage"] == "2025"
    rules = {r["id"]: r for r in data["rules"]}
    assert "TST-OLD-RULE" not in rules
    placements = rules["TST-PLACEMENTS"]
    assert (placements["status"], placements["required"], placements["proposed"]) == (
        "fail",
        45,
        20,
    )
    assert placements["excluded"] == [
        {"id": "c3", "measure": "work_placement", "reason": "not local: outside Testshire"}
    ]
    commitments = {c["id"]: c for c in data["commitments"]}
    assert commitments["c1"]["local"] is True and commitments["c1"]["value_gbp"] == 2000
    assert commitments["c3"]["local"] is False and commitments["c3"]["wards"] == []
    assert commitments["c3"]["local_reason"] == "outside Testshire"
    assert commitments["c2"]["warnings"] == ["ward code from a previous vintage"]
    assert data["social_value"]["total_gbp"] == 5800
    assert data["summary"] == {
        "total": 5,
        "pass": 0,
        "partial": 0,
        "fail": 5,
        "not_applicable": 0,
        "needs_evidence": 0,
    }
    assert json.loads(json.dumps(data)) == data


def test_summary_counts_by_status(plans, statement) -> None:
    assessment = assess_statement(
        statement, on=dt.date(2026, 1, 1), plans=plans, placer=FakePlacer(), now=NOW
    )
    statuses = [r.status for r in assessment.rules]
    summary = assessment.summary()
    assert summary["total"] == len(statuses) == 5
    for status in ("pass", "partial", "fail", "not_applicable", "needs_evidence"):
        assert summary[status] == statuses.count(status)


def test_without_valuer_social_value_is_absent(plans, statement) -> None:
    data = assess_statement(
        statement, on=dt.date(2026, 1, 1), plans=plans, placer=FakePlacer(), now=NOW
    ).to_dict()
    assert "social_value" not in data
    assert all(c["value_gbp"] is None for c in data["commitments"])
    AssessmentOut.model_validate(data)


def test_unknown_council_is_input_problem(plans, statement) -> None:
    other = statement.model_copy(update={"council": "nowhere"})
    with pytest.raises(InputInvalid) as caught:
        assess_statement(other, on=dt.date(2026, 1, 1), plans=plans, placer=FakePlacer())
    assert caught.value.problems[0].path == "$.council"
    assert "unknown council 'nowhere' (known: testshire)" in caught.value.problems[0].message


def test_json_schema_is_published() -> None:
    schema = assessment_json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert {"council", "pack_version", "assessed_on", "rules", "commitments", "summary"} <= set(
        schema["required"]
    )
    assert "social_value" in schema["properties"]


def test_text_report_reads_well(plans, statement) -> None:
    data = assess_statement(
        statement,
        on=dt.date(2026, 1, 1),
        plans=plans,
        placer=FakePlacer(outside=frozenset({"c3"})),
        valuer=FakeValuer(),
        now=NOW,
    ).to_dict()
    text = render_text(parse_assessment(data))
    assert "Social value assessment — Testshire District Council" in text
    assert "pack 2026.1.0, in force on 2026-01-01" in text
    assert re.search(r"FAIL +TST-PLACEMENTS +45 placements +20 placements +25 placements", text)
    assert "45 placements" in text and "25 placements" in text  # required and shortfall
    assert (
        "Source: Testshire Planning Obligations SPD, SPD 3, para 3.4 <https://example.org/spd>"
        in text
    )
    assert "c3 (not local: outside Testshire)" in text
    assert re.search(r"Total social value: +£5,800", text)
    assert re.search(r"Testward +E05000001 +£5,800", text)
    assert re.search(r"skills +£5,800", text)
    assert "c2: ward code from a previous vintage" in text


def test_default_services_satisfy_protocols() -> None:
    from planning_sv.config import DataDirMissing
    from planning_sv.core.pipeline import default_services

    try:
        placer, valuer = default_services()
    except DataDirMissing:
        pytest.skip("open data folder not available")
    assert isinstance(placer, Placer)
    assert isinstance(valuer, Valuer)
