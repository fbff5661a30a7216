"""The exact wording of the heads of terms for both example statements (hand-written).

Assessed by the real pipeline (open data, both rule packs, the measures catalogue) on a fixed
date, so the obligations say what the council's rules count: Islington's placements last at
least 26 weeks (its rule's `convert_override`), not the catalogue's 2 weeks.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from docx import Document

from planning_sv.core.assessment import parse_assessment
from planning_sv.core.heads_of_terms import (
    HeadsOfTerms,
    build_heads_of_terms,
    draft_obligation,
    legal_citation,
    trigger_text,
)
from planning_sv.core.heads_of_terms_docx import render_docx
from tests.conftest import EXAMPLES, shared_assessor

ON = dt.date(2026, 6, 1)

ISLINGTON_2023 = (
    "Islington Local Plan: Strategic and Development Management Policies (adopted 28 "
    "September 2023): B4 Affordable workspace"
)
ISLINGTON_SPD = (
    "Planning Obligations Supplementary Planning Document, adopted April 2025 (applications "
    "validated from 30 April 2025)"
)
LONDON_E11 = (
    "The London Plan 2021 (as applied in Islington): E11 Skills and opportunities for all (E11 B)"
)
SALFORD_F2 = (
    "Salford Local Plan: Development Management Policies and Designations (adopted 18 January "
    "2023): F2 Social value and inclusion"
)
PLAN_THEN_CONSTRUCTION = "for approval; deliver during construction."
PLAN_THEN_AS_APPROVED = "stating the phase and timing for approval; deliver as approved."


def _heads(name: str) -> HeadsOfTerms:
    data = json.loads((EXAMPLES / f"{name}.json").read_text())
    assessor = shared_assessor()
    record = parse_assessment(assessor.assess(data, on=ON))
    return build_heads_of_terms(record, data, plan=assessor.plans[data["council"]], version=1)


def _rows(hot: HeadsOfTerms) -> list[tuple[Any, ...]]:
    return [
        (
            o.number,
            o.heading,
            o.text,
            o.quantity_text,
            o.where,
            o.trigger,
            [p.citation for p in o.policies],
        )
        for o in hot.obligations
    ]


def test_islington_mixed_use_heads_of_terms() -> None:
    hot = _heads("islington_mixed_use")
    assert hot.title == "Heads of terms: EXAMPLE/2026/0001/FUL"
    assert hot.council_name == "London Borough of Islington"
    assert hot.site_address == "Holloway Road (example site)"
    assert _rows(hot) == [
        (
            1,
            "Local employment",
            "The Owner shall provide not less than 25 full-time equivalent years (FTE-years) "
            "of employment for local people.",
            "25 full-time equivalent years (FTE-years)",
            "Hillrise ward",
            f"Prior to commencement, submit a local employment delivery plan {PLAN_THEN_CONSTRUCTION}",
            [LONDON_E11],
        ),
        (
            2,
            "Apprenticeships",
            "The Owner shall provide not less than 8 apprenticeships.",
            "8 apprenticeships",
            "Holloway ward",
            f"Prior to commencement, submit an apprenticeship delivery plan {PLAN_THEN_AS_APPROVED}",
            [LONDON_E11],
        ),
        (
            3,
            "Work placements",
            # Islington's rule counts a placement as 26 weeks: the obligation says so.
            "The Owner shall provide not less than 20 work placements, each lasting at least 26 "
            "weeks.",
            "20 work placements, each lasting at least 26 weeks",
            "Anywhere in the council's area",
            f"Prior to commencement, submit a work placement delivery plan {PLAN_THEN_AS_APPROVED}",
            [
                f"{ISLINGTON_SPD}: Employment and training: construction work placements",
                LONDON_E11,
            ],
        ),
        (
            4,
            "Local procurement",
            "The Owner shall spend not less than £2,000,000 with local businesses.",
            "£2,000,000",
            "Anywhere in the council's area",
            f"Prior to commencement, submit a local procurement plan {PLAN_THEN_AS_APPROVED}",
            [
                f"{ISLINGTON_SPD}: Local procurement (compliance with the council's Code of "
                "Local Procurement)"
            ],
        ),
        (
            5,
            "Affordable workspace",
            "The Owner shall provide not less than 800 m² (gross internal area) of affordable "
            "workspace, for a term of at least 20 years.",
            "800 m², for a term of at least 20 years",
            "Holloway ward",
            "Prior to commencement, submit an affordable workspace delivery plan "
            f"{PLAN_THEN_AS_APPROVED}",
            [ISLINGTON_2023],
        ),
        (
            6,
            "Staff volunteering",
            "The Owner shall provide not less than 200 hours of staff volunteering.",
            "200 hours",
            "Tollington ward",
            f"Prior to commencement, submit a volunteering delivery plan {PLAN_THEN_AS_APPROVED}",
            [],
        ),
    ]
    assert hot.notes[:2] == (
        "Obligations citing no policy were offered beyond the plan's requirements; they are "
        "secured as offered.",
        "2 requirements are not fully met; see the committee report section.",
    )


def test_salford_residential_heads_of_terms() -> None:
    hot = _heads("salford_residential")
    assert hot.title == "Heads of terms: EXAMPLE/26/00002/FUL"
    assert hot.council_name == "Salford City Council"
    assert _rows(hot) == [
        (
            1,
            "Local employment",
            "The Owner shall provide not less than 40 full-time equivalent years (FTE-years) "
            "of employment for local people.",
            "40 full-time equivalent years (FTE-years)",
            "Quays ward",
            f"Prior to commencement, submit a local employment delivery plan {PLAN_THEN_CONSTRUCTION}",
            # Salford's strategy rule and its jobs rule are one policy: cited once.
            [SALFORD_F2],
        ),
        (
            2,
            "Apprenticeships",
            "The Owner shall provide not less than 12 apprenticeships.",
            "12 apprenticeships",
            "Anywhere in the council's area",
            f"Prior to commencement, submit an apprenticeship delivery plan {PLAN_THEN_AS_APPROVED}",
            [SALFORD_F2],
        ),
        (
            3,
            "Local procurement",
            "The Owner shall spend not less than £5,000,000 with local businesses.",
            "£5,000,000",
            "Anywhere in the council's area",
            f"Prior to commencement, submit a local procurement plan {PLAN_THEN_AS_APPROVED}",
            [SALFORD_F2],
        ),
        (
            4,
            "Staff volunteering",
            "The Owner shall provide not less than 500 hours of staff volunteering.",
            "500 hours",
            "Ordsall ward",
            f"Prior to commencement, submit a volunteering delivery plan {PLAN_THEN_AS_APPROVED}",
            [SALFORD_F2],
        ),
    ]
    assert hot.notes[0] == "1 requirement is not fully met; see the committee report section."


def test_placement_weeks_read_as_the_whole_placements_the_rule_counts() -> None:
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    weeks = copy.deepcopy(data)
    weeks["commitments"][2].update(quantity=530, unit="weeks", phase="construction")
    assessor = shared_assessor()
    record = parse_assessment(assessor.assess(weeks, on=ON))
    hot = build_heads_of_terms(record, weeks, plan=assessor.plans["islington"])
    placements = next(o for o in hot.obligations if o.measure == "work_placement")
    # 530 weeks at 26 a placement, rounded down: 20 whole placements (the rule's count).
    assert placements.text == (
        "The Owner shall provide not less than 20 work placements, each lasting at least 26 weeks."
    )
    assert placements.offered == "530 weeks"
    assert placements.trigger == (
        f"Prior to commencement, submit a work placement delivery plan {PLAN_THEN_CONSTRUCTION}"
    )


def test_on_site_commitment_reads_on_the_site() -> None:
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    data["commitments"][4]["where"] = {"site": True}
    assessor = shared_assessor()
    record = parse_assessment(assessor.assess(data, on=ON))
    hot = build_heads_of_terms(record, data, plan=assessor.plans["islington"])
    workspace = next(o for o in hot.obligations if o.measure == "affordable_workspace")
    assert workspace.where == "On the site (Holloway ward)"


# Never in a legal document: a JSON path, a rule expression, a data file name, a research
# caveat ("unverified", "not confirmed", "placeholder").
FORBIDDEN = [
    re.compile(r"\$\.|\[\d+\]\."),  # $.commitments[2].where
    re.compile(r"param\.|>=|<=|==| if .* else |floor\(|round\("),  # rule expressions
    re.compile(r"\.(csv|json|yaml|yml|gpkg|geojson|zip)\b", re.IGNORECASE),  # file names
    re.compile(r"codepoint|unverified|not confirmed|not read|placeholder", re.IGNORECASE),
]


def _document_text(hot: HeadsOfTerms) -> str:
    document = Document(io.BytesIO(render_docx(hot)))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    section = document.sections[0]
    parts += [p.text for p in (*section.header.paragraphs, *section.footer.paragraphs)]
    props = document.core_properties
    parts += [props.title, props.author, props.subject, props.comments, props.keywords]
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["islington_mixed_use", "salford_residential"])
def test_no_path_expression_file_name_or_caveat_in_the_heads_of_terms(name: str) -> None:
    hot = _heads(name)
    texts = [hot.title, hot.council_name, *hot.notes, _document_text(hot)]
    for o in hot.obligations:
        texts += [o.heading, o.text, o.quantity_text, o.where, o.trigger, o.monitoring]
        texts += [p.citation for p in o.policies]
    texts += [r.citation for r in hot.committee.rules]
    for text in texts:
        for pattern in FORBIDDEN:
            assert not pattern.search(text), (pattern.pattern, text[:300])


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        (
            {
                "document": "SPD 2025",
                "policy": "Contribution",
                "paragraph": "not confirmed: 2025 SPD not read; placeholder formula",
            },
            "SPD 2025: Contribution",
        ),
        (
            {"document": "London Plan", "policy": "E11", "paragraph": "E11 B"},
            "London Plan: E11 (E11 B)",
        ),
        (
            {
                "document": "Salford Local Plan",
                "policy": "F2",
                "paragraph": "F2: strategy (policy clause numbering not confirmed)",
            },
            "Salford Local Plan: F2",
        ),
        (
            {"document": "Plan", "policy": "P1", "paragraph": "para 4.2 (figure unverified)"},
            "Plan: P1",
        ),
    ],
)
def test_legal_citation_is_the_policy_only(citation: dict[str, str], expected: str) -> None:
    assert legal_citation(citation) == expected


@pytest.mark.parametrize(
    ("measure", "unit", "quantity", "extra", "expected"),
    [
        (
            "apprenticeship",
            "starts",
            1,
            {},
            "The Owner shall provide not less than 1 apprenticeship.",
        ),
        (
            "local_employment",
            "people",
            1,
            {},
            "The Owner shall employ not less than 1 local person.",
        ),
        (
            "employment_skills_plan",
            "document",
            1,
            {},
            "The Owner shall submit an employment and skills plan to the Council for its written "
            "approval and implement it as approved.",
        ),
        (
            "work_placement",
            "placements",
            1,
            {"duration": 26},
            "The Owner shall provide not less than 1 work placement, each lasting at least 26 weeks.",
        ),
        (
            "employment_training_contribution",
            "gbp",
            38000,
            {},
            "The Owner shall pay to the Council a financial contribution of £38,000 towards "
            "employment and training.",
        ),
        (
            "local_supply_chain_spend",
            "gbp",
            2_000_000,
            {},
            "The Owner shall spend not less than £2,000,000 with local businesses.",
        ),
        (
            "qualitative_commitment",
            "text",
            1,
            {"description": "A community garden on the roof"},
            "The Owner shall deliver the following commitment: A community garden on the roof.",
        ),
        (
            "a_new_measure",
            "widgets",
            3,
            {"label": "New widgets", "unit_label": "widgets"},
            "The Owner shall deliver not less than 3 widgets (new widgets).",
        ),
    ],
)
def test_drafting_articles_and_plurals(
    measure: str, unit: str, quantity: float, extra: dict[str, Any], expected: str
) -> None:
    assert draft_obligation(measure, unit, quantity, **extra) == expected


def test_trigger_articles() -> None:
    # Not "submit a apprenticeship delivery plan".
    assert trigger_text("apprenticeship", "starts", None).startswith(
        "Prior to commencement, submit an apprenticeship delivery plan"
    )
    assert trigger_text("employment_training_contribution", "gbp", None) == (
        "Pay to the council prior to commencement of development."
    )
