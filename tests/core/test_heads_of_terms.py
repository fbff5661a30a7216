"""Heads of terms, committee section and officer verdicts from a hand-built assessment.

The assessment is hand-written for what these tests are about and completed into a valid
assessment@1 record (`tests/assessment_records.complete_record`), as the store reads it.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from docx import Document

from planning_sv.core.assessment import AssessmentRecord
from planning_sv.core.errors import InputInvalid
from planning_sv.core.heads_of_terms import (
    build_heads_of_terms,
    committee_section,
    format_number,
    trigger_text,
)
from planning_sv.core.heads_of_terms_docx import render_docx
from planning_sv.core.verdicts import carry_forward, make_verdict
from tests.assessment_records import complete_record

CITATION_B4 = {
    "document": "Islington Local Plan 2023",
    "policy": "B4 Affordable workspace",
    "paragraph": "B4 part 1",
    "url": "https://example.org/b4",
}
CITATION_PL = {"document": "Planning Obligations SPD 2025", "policy": "Construction placements"}


def _rule(rule_id: str, status: str, **extra: Any) -> dict[str, Any]:
    base = {
        "id": rule_id,
        "title": rule_id.title(),
        "citation": CITATION_PL,
        "status": status,
        "required": 45.0,
        "proposed": 20.0,
        "shortfall": 25.0,
        "unit": "placements",
        "explanation": "45 required (1 per £1m)",
        "counted": [],
        "excluded": [],
    }
    base.update(extra)
    return base


@pytest.fixture()
def assessment() -> AssessmentRecord:
    return complete_record(
        {
            "schema": "planning-sv/assessment@1",
            "council": "islington",
            "council_name": "Islington",
            "application_reference": "P2025/1234/FUL",
            "pack_version": "islington-2025.1",
            "assessed_on": "2026-01-15",
            "rules": [
                _rule(
                    "ISL-B4",
                    "pass",
                    title="Affordable workspace",
                    citation=CITATION_B4,
                    required=800.0,
                    proposed=800.0,
                    shortfall=0.0,
                    unit="sqm",
                    counted=[{"id": "c3", "measure": "affordable_workspace"}],
                ),
                _rule(
                    "ISL-PLACEMENTS",
                    "partial",
                    counted=[{"id": "c1", "measure": "work_placement"}],
                ),
                _rule(
                    "ISL-HOTEL",
                    "not_applicable",
                    counted=[],
                    excluded=[{"id": "c3", "measure": "affordable_workspace", "reason": "n/a"}],
                ),
            ],
            "commitments": [
                {
                    "id": "c1",
                    "measure": "work_placement",
                    "quantity": 20,
                    "unit": "placements",
                    "phase": "construction",
                    "wards": [
                        {"code": "E05000001", "name": "Holloway", "share": 0.6},
                        {"code": "E05000002", "name": "Finsbury Park", "share": 0.4},
                    ],
                    "method": "polygon",
                    "local": True,
                    "value_gbp": 12000.0,
                },
                {
                    "id": "c2",
                    "measure": "employment_training_contribution",
                    "quantity": 50000,
                    "unit": "gbp",
                    "phase": None,
                    # Borough-wide: spread over wards for the £ figures, but delivered anywhere.
                    "wards": [
                        {"code": "E05000001", "name": "Holloway", "share": 0.5},
                        {"code": "E05000002", "name": "Finsbury Park", "share": 0.5},
                    ],
                    "method": "borough",
                    "local": True,
                    "value_gbp": 50000.0,
                },
                {
                    "id": "c3",
                    "measure": "affordable_workspace",
                    "quantity": 800,
                    "unit": "sqm",
                    "phase": "end_use",
                    "wards": [{"code": "E05000001", "name": "Holloway", "share": 1.0}],
                    "method": "point",
                    "local": True,
                    "value_gbp": 30000.0,
                },
                {
                    "id": "c4",
                    "measure": "volunteering",
                    "quantity": 0,
                    "unit": "hours",
                    "wards": [],
                },
            ],
            "social_value": {
                "total_gbp": 92000.0,
                "local_gbp": 69000.0,
                "per_million_build_cost": 2044.44,
                "by_theme": {"growth": 30000.0, "skills": 62000.0},  # largest first on the page
                "by_ward": [{"code": "E05000001", "name": "Holloway", "gbp": 37200.0}],
                # assessment@1 value set versions are whole numbers (the fixture once said "2025.1").
                "value_set": {"name": "planning_sv open", "version": 3},
            },
        }
    )


@pytest.fixture()
def statement() -> dict[str, Any]:
    return {
        "schema": "planning-sv/statement@1",
        "council": "islington",
        "site": {"address": "1 Example Road", "postcode": "N7 8QP"},
        "development": {"build_cost_gbp": 45_000_000},
        "commitments": [
            {
                "id": "c1",
                "measure": "work_placement",
                "quantity": 20,
                "unit": "placements",
                "phase": "construction",
                "start_date": "2026-03-01",
                "end_date": "2028-08-31",
                "where": {"postcode": "N7 8QP"},
            },
            {
                "id": "c2",
                "measure": "employment_training_contribution",
                "quantity": 50000,
                "unit": "gbp",
                "where": {"borough": True},
                "description": "Paid to iWork",
            },
            {
                "id": "c3",
                "measure": "affordable_workspace",
                "quantity": 800,
                "unit": "sqm",
                "phase": "end_use",
                "where": {"point": [-0.1, 51.5]},
            },
        ],
    }


MEASURES = {
    "work_placement": SimpleNamespace(
        label="Work placements", theme="skills", units={"placements": "placements"}
    ),
    "affordable_workspace": SimpleNamespace(
        label="Affordable workspace", theme="growth", units={"sqm": "sqm (GIA)"}
    ),
}


def test_each_commitment_becomes_an_obligation_with_quantity_where_and_timing(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    hot = build_heads_of_terms(assessment, statement, measures=MEASURES, version=2)

    # c4 offers nothing (quantity 0): nothing to secure.
    assert [o.commitment_id for o in hot.obligations] == ["c1", "c2", "c3"]
    assert [o.number for o in hot.obligations] == [1, 2, 3]
    placements, contribution, workspace = hot.obligations

    assert placements.measure_label == "Work placements"
    # No plan or catalogue conversion given: no minimum length is known to state.
    assert placements.quantity_text == "20 work placements"
    assert placements.where == "Holloway (60%) and Finsbury Park (40%) wards"
    assert placements.wards == ("Holloway", "Finsbury Park")
    assert placements.trigger == (
        "Prior to commencement, submit a work placement delivery plan for approval; deliver "
        "during construction (from 1 March 2026 to 31 August 2028)."
    )
    assert "Quarterly monitoring return" in placements.monitoring

    assert contribution.trigger == "Pay to the council prior to commencement of development."
    assert contribution.where == "Anywhere in the council's area"
    assert contribution.description == "Paid to iWork"  # taken from the statement
    assert "Evidence of payment" in contribution.monitoring
    assert contribution.unit_label == "gbp"  # no measure given: the code is shown
    assert contribution.quantity_text == "£50,000"
    assert contribution.text == (
        "The Owner shall pay to the Council a financial contribution of £50,000 towards "
        "employment and training."
    )
    assert placements.text == "The Owner shall provide not less than 20 work placements."

    assert workspace.trigger.startswith("On occupation")
    assert workspace.where == "Holloway ward"
    assert workspace.unit_label == "sqm (GIA)"
    assert "lease terms" in workspace.monitoring

    assert hot.version == 2
    assert hot.site_address == "1 Example Road"
    assert hot.application_reference == "P2025/1234/FUL"


def test_policies_are_the_applicable_rules_counting_the_measure(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    hot = build_heads_of_terms(assessment, statement)
    placements, contribution, workspace = hot.obligations
    assert [p.rule_id for p in placements.policies] == ["ISL-PLACEMENTS"]
    assert placements.policies[0].citation == (
        "Planning Obligations SPD 2025: Construction placements"
    )
    # ISL-HOTEL lists workspace as excluded but is not applicable: it secures nothing.
    assert [p.rule_id for p in workspace.policies] == ["ISL-B4"]
    assert workspace.policies[0].url == "https://example.org/b4"
    assert contribution.policies == ()
    assert any("beyond the plan's requirements" in n for n in hot.notes)


def test_rule_measures_from_the_plan_take_precedence(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    hot = build_heads_of_terms(
        assessment,
        statement,
        rule_measures={"ISL-PLACEMENTS": ["work_placement", "employment_training_contribution"]},
    )
    assert [p.rule_id for p in hot.obligations[1].policies] == ["ISL-PLACEMENTS"]
    assert hot.obligations[2].policies == ()


def test_officer_override_changes_final_status_and_keeps_engine_status(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    verdicts = {
        "ISL-PLACEMENTS": make_verdict(
            "ISL-PLACEMENTS", "partial", "override", "pass", "Fee in lieu agreed for the rest"
        ),
        "ISL-B4": make_verdict("ISL-B4", "pass", "agree", comment="Lease checked"),
    }
    hot = build_heads_of_terms(assessment, statement, verdicts)
    rows = {r.id: r for r in hot.committee.rules}
    assert rows["ISL-PLACEMENTS"].engine_status == "partial"
    assert rows["ISL-PLACEMENTS"].officer_status == "pass"
    assert rows["ISL-PLACEMENTS"].overridden
    assert rows["ISL-PLACEMENTS"].reason == "Fee in lieu agreed for the rest"
    assert not rows["ISL-B4"].overridden
    assert rows["ISL-B4"].comment == "Lease checked"
    assert hot.committee.summary == {
        "pass": 2,
        "partial": 0,
        "fail": 0,
        "not_applicable": 1,
        "needs_evidence": 0,
    }
    assert hot.committee.unmet == ()
    assert hot.obligations[0].policies[0].status == "pass"


def test_committee_officer_column_says_not_reviewed_without_a_verdict(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    verdicts = {
        "ISL-PLACEMENTS": make_verdict(
            "ISL-PLACEMENTS", "partial", "override", "pass", "Fee in lieu agreed for the rest"
        )
    }
    hot = build_heads_of_terms(assessment, statement, verdicts)
    rows = {r.id: r for r in hot.committee.rules}
    # No verdict: the Officer column never repeats the engine's result.
    assert rows["ISL-B4"].officer_status is None
    assert rows["ISL-B4"].officer_label == "Not reviewed"
    assert rows["ISL-B4"].engine_label == "Met"
    assert rows["ISL-HOTEL"].officer_label == "Not reviewed"
    assert rows["ISL-PLACEMENTS"].officer_label == "Met"
    assert [r.id for r in hot.committee.not_reviewed] == ["ISL-B4", "ISL-HOTEL"]
    # The status that counts still falls back to the engine's: 2 pass, 1 not applicable.
    assert rows["ISL-B4"].status == "pass"
    assert hot.committee.summary == {
        "pass": 2,
        "partial": 0,
        "fail": 0,
        "not_applicable": 1,
        "needs_evidence": 0,
    }
    assert (
        "2 rules have no officer verdict (shown as not reviewed); the engine's result is "
        "counted for them."
    ) in hot.notes


def test_rules_accepted_at_recommendation_read_not_reviewed_with_the_acceptance(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    verdicts = {"ISL-B4": make_verdict("ISL-B4", "pass", "agree")}
    # ISL-B4 has a verdict, so its listing among the accepted ones is ignored.
    hot = build_heads_of_terms(
        assessment, statement, verdicts, accepted_engine={"ISL-PLACEMENTS", "ISL-B4"}
    )
    labels = {r.id: r.officer_label for r in hot.committee.rules}
    assert labels == {
        "ISL-B4": "Met",
        "ISL-PLACEMENTS": "Not reviewed (engine result accepted at recommendation)",
        "ISL-HOTEL": "Not reviewed",
    }
    document = Document(io.BytesIO(render_docx(hot)))
    cells = {
        row.cells[0].text.split("\n")[0]: row.cells[6].text for row in document.tables[0].rows[1:]
    }
    assert cells == labels


def test_carry_forward_keeps_an_agreement_and_an_override() -> None:
    agreed = make_verdict("R1", "partial", "agree", comment="Checked")
    carried = carry_forward(agreed, "pass", 1)
    # The officer agreed with the engine's reading; the new result is the engine's reading.
    assert (carried.decision, carried.status, carried.comment) == ("agree", None, "Checked")
    assert carried.engine_changed and carried.from_version == 1

    overridden = make_verdict("R2", "fail", "override", "partial", "Fee in lieu")
    carried = carry_forward(overridden, "fail", 3)
    assert (carried.decision, carried.status, carried.reason) == (
        "override",
        "partial",
        "Fee in lieu",
    )
    assert not carried.engine_changed and carried.from_version == 3
    # The engine now gives the overridden status itself: an override must change the status,
    # so it is carried as an agreement.
    carried = carry_forward(overridden, "partial", 3)
    assert (carried.decision, carried.status, carried.reason) == ("agree", None, None)
    assert carried.previous.reason == "Fee in lieu"  # still shown beside the rule


def test_an_override_to_not_applicable_drops_the_policy_citation(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    verdicts = {
        "ISL-B4": make_verdict("ISL-B4", "pass", "override", "not_applicable", "Not in the CAZ")
    }
    hot = build_heads_of_terms(assessment, statement, verdicts)
    assert hot.obligations[2].policies == ()


def test_committee_section_totals_and_local_share(assessment: AssessmentRecord) -> None:
    section = committee_section(assessment)
    assert section.total_gbp == 92000.0
    assert section.local_gbp == 69000.0
    assert section.local_share == pytest.approx(0.75)
    assert section.by_theme == (("skills", 62000.0), ("growth", 30000.0))
    assert section.by_ward == (("E05000001", "Holloway", 37200.0),)
    assert section.pack_version == "islington-2025.1"
    assert section.value_set == "planning_sv open v3"
    assert [r.id for r in section.unmet] == ["ISL-PLACEMENTS"]
    assert section.summary["partial"] == 1


def test_committee_section_without_valuation(assessment: AssessmentRecord) -> None:
    section = committee_section(assessment.model_copy(update={"social_value": None}))
    assert section.total_gbp is None
    assert section.local_share is None
    assert section.by_theme == ()


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("construction", "deliver during construction."),
        ("end_use", "On occupation: deliver from first occupation."),
        ("operation", "On occupation: deliver from first occupation and throughout operation."),
        (None, "stating the phase and timing for approval; deliver as approved."),
    ],
)
def test_trigger_by_phase(phase: str | None, expected: str) -> None:
    assert trigger_text("local_employment", "fte_years", phase).endswith(expected)


def test_trigger_for_documents_and_open_ended_dates() -> None:
    assert trigger_text("employment_skills_plan", "document", "construction").startswith(
        "Prior to commencement, submit for the council's written approval"
    )
    assert trigger_text("training", "weeks", "end_use", start="2027-01-01").endswith(
        "(from 1 January 2027)."
    )
    assert trigger_text("training", "weeks", "end_use", end="2027-01-01").endswith(
        "(by 1 January 2027)."
    )


def test_money_reads_as_pounds() -> None:
    measures = {
        "local_sme_spend": SimpleNamespace(
            label="Spend with local SMEs", theme="growth", units={"gbp": "£ spent"}
        )
    }
    assessment = complete_record(
        {
            "rules": [],
            "commitments": [
                {
                    "id": "s",
                    "measure": "local_sme_spend",
                    "quantity": 2_000_000,
                    "unit": "gbp",
                    "wards": [],
                    "method": None,
                }
            ],
        }
    )
    (obligation,) = build_heads_of_terms(assessment, {}, measures=measures).obligations
    assert obligation.quantity_text == "£2,000,000"
    # Not "deliver £2,000,000 spent": money is spent, with whom the measure says.
    assert obligation.text == (
        "The Owner shall spend not less than £2,000,000 with local small and medium-sized "
        "enterprises and voluntary, community and social enterprises."
    )
    assert obligation.where == "Location not placed"


def test_format_number() -> None:
    assert format_number(1234.0) == "1,234"
    assert format_number(2.5) == "2.5"
    assert format_number(None) == "—"


def test_override_needs_a_reason_and_a_different_status() -> None:
    with pytest.raises(InputInvalid) as caught:
        make_verdict("R1", "fail", "override", "fail", "  ", field="rules[R1]")
    paths = {p.path for p in caught.value.problems}
    assert paths == {"rules[R1].status", "rules[R1].reason"}

    with pytest.raises(InputInvalid) as caught:
        make_verdict("R1", "fail", "override", "bogus", "why")
    assert [p.path for p in caught.value.problems] == ["verdict.status"]

    with pytest.raises(InputInvalid) as caught:
        make_verdict("R1", "fail", "maybe")
    assert [p.path for p in caught.value.problems] == ["verdict.decision"]

    with pytest.raises(InputInvalid) as caught:
        make_verdict("R1", "fail", "agree", comment="x" * 5001)
    assert [p.path for p in caught.value.problems] == ["verdict.comment"]


def test_agree_keeps_the_engine_status() -> None:
    verdict = make_verdict("R1", "fail", "agree", override_status="pass", reason=" ok ")
    assert verdict.officer_status == "fail"
    assert not verdict.overridden
    assert verdict.reason == "ok"


def test_docx_contains_obligations_and_rule_table(
    assessment: AssessmentRecord, statement: dict[str, Any]
) -> None:
    verdicts = {
        "ISL-PLACEMENTS": make_verdict(
            "ISL-PLACEMENTS", "partial", "override", "pass", "Fee in lieu agreed"
        )
    }
    hot = build_heads_of_terms(assessment, statement, verdicts, measures=MEASURES, version=2)
    data = render_docx(hot)
    assert data[:2] == b"PK"  # a DOCX is a zip file

    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Heads of terms: P2025/1234/FUL" in text
    assert "1. Work placements" in text
    assert "The Owner shall provide not less than 20 work placements." in text
    assert "Holloway (60%) and Finsbury Park (40%) wards" in text
    assert "Pay to the council prior to commencement of development." in text
    assert "Islington Local Plan 2023: B4 Affordable workspace (B4 part 1)" in text
    rule_table, totals_table = document.tables
    cells = [[c.text for c in row.cells] for row in rule_table.rows]
    assert cells[0][:2] == ["Rule", "Policy"]
    placements_row = next(row for row in cells if row[0].startswith("ISL-PLACEMENTS"))
    assert placements_row[2:5] == ["45 placements", "20 placements", "25 placements"]
    assert placements_row[5:] == ["Partly met", "Met (overridden)", "Fee in lieu agreed"]
    totals = {row.cells[0].text: row.cells[1].text for row in totals_table.rows}
    assert totals["Total social value"] == "£92,000"
    assert totals["Local share"] == "75%"
    assert totals["Ward: Holloway (E05000001)"] == "£37,200"


def test_docx_without_obligations(assessment: AssessmentRecord, statement: dict[str, Any]) -> None:
    no_commitments = assessment.model_copy(update={"commitments": []})
    document = Document(io.BytesIO(render_docx(build_heads_of_terms(no_commitments, statement))))
    assert any("offers no commitments" in p.text for p in document.paragraphs)
