"""Issue 12: a ward's figures keep what is located in it apart from its share of borough-wide
commitments (core/public_figures.py), worked out by hand on two made-up schemes.

Wards A and B (populations in the ratio 1:3, so a borough-wide commitment is split 25% / 75%):

  S1 (site in A)  l1 local spend £1,000,000, whole borough   A £250,000  B £750,000
                  l2 apprenticeships 3 starts in ward A      A £29,952 (3 × 52 × £192)
                  l3 work placements 20, whole borough       A 5         B 15 (not valued)
  S2 (site in B)  l4 local spend £400,000, whole borough     A £100,000  B £300,000

Ward A: S1 sited, S2 there only by its share -> 2 schemes: 1 sited, 0 placed, 1 shared only.
  commitments 4 (l1, l2, l3, l4), 3 of them borough-wide (l1, l3, l4) from 2 schemes.
  £ total 250,000 + 29,952 + 100,000 = 379,952; shared 350,000; located 29,952.
  apprenticeships 3 (located), none shared.
Ward B: S2 sited, S1 there only by its shares -> 2 schemes: 1 sited, 0 placed, 1 shared only.
  commitments 3 (l1, l3, l4), all borough-wide, from 2 schemes.
  £ total 750,000 + 300,000 = 1,050,000, all shared; located 0.
Ward C (no population here): nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from planning_sv.core import public_figures as pf


def _line(
    cid: str,
    measure: str,
    quantity: float,
    unit: str,
    gbp: float | None,
    wards: list[tuple[str, float, float]],
    **kw: Any,
) -> pf.PublicLine:
    return pf.PublicLine(
        commitment_id=cid,
        measure=measure,
        measure_label=measure,
        theme=kw.pop("theme", "growth"),
        quantity=quantity,
        unit=unit,
        unit_label=unit,
        borough_wide=kw.pop("borough_wide", False),
        gbp=gbp,
        status="not_reported",
        amounts=kw.pop("amounts", {}),
        wards=tuple(
            pf.WardPart(code=c, name=c, share=s, gbp=None if gbp is None else g)
            for c, s, g in wards
        ),
    )


def _schemes() -> list[pf.PublicScheme]:
    s1 = pf.PublicScheme(
        statement_id=1,
        council="x",
        reference="S1",
        approved_on=dt.date(2026, 1, 10),
        site_wards=(pf.WardPart(code="A", name="A", share=1.0),),
        lines=(
            _line(
                "l1",
                "local_supply_chain_spend",
                1_000_000,
                "gbp",
                1_000_000,
                [("A", 0.25, 250_000), ("B", 0.75, 750_000)],
                borough_wide=True,
            ),
            _line(
                "l2",
                "apprenticeship",
                3,
                "starts",
                29_952,
                [("A", 1.0, 29_952)],
                theme="skills",
                amounts={"apprenticeships": 3.0},
            ),
            _line(
                "l3",
                "work_placement",
                20,
                "placements",
                None,
                [("A", 0.25, 0), ("B", 0.75, 0)],
                theme="skills",
                borough_wide=True,
            ),
        ),
    )
    s2 = pf.PublicScheme(
        statement_id=2,
        council="x",
        reference="S2",
        approved_on=dt.date(2026, 2, 1),
        site_wards=(pf.WardPart(code="B", name="B", share=1.0),),
        lines=(
            _line(
                "l4",
                "local_supply_chain_spend",
                400_000,
                "gbp",
                400_000,
                [("A", 0.25, 100_000), ("B", 0.75, 300_000)],
                borough_wide=True,
            ),
        ),
    )
    return [s1, s2]


def _figures(selection: pf.Selection = pf.EVERYTHING) -> pf.CouncilFigures:
    total = pf.Contributions()
    for scheme in _schemes():
        total.add(pf.contributions(scheme))
    cells, schemes = total.selected(selection)
    shared, _ = total.selected(selection, shared=True)
    return pf.council_figures(
        council="x",
        council_name="X",
        lad_code="E09999999",
        vintage="2025",
        ward_names={"A": "A", "B": "B", "C": "C"},
        population={"A": 1000, "B": 3000, "C": 0},
        cells=cells,
        schemes=schemes,
        shared_cells=shared,
    )


def test_ward_a_sited_apart_from_shared() -> None:
    a = _figures().ward("A")
    assert a is not None
    assert (a.schemes, a.schemes_sited, a.schemes_placed, a.schemes_shared) == (2, 1, 0, 1)
    assert (a.commitments, a.commitments_shared, a.schemes_sharing) == (4, 3, 2)
    assert a.promised["gbp"] == pytest.approx(379_952)
    assert a.shared["gbp"] == pytest.approx(350_000)
    assert a.located("gbp") == pytest.approx(29_952)
    assert a.located("apprenticeships") == pytest.approx(3)
    assert a.shared["apprenticeships"] == 0
    assert a.located("gbp_per_resident") is None  # a rate is not split


def test_ward_b_only_shared() -> None:
    b = _figures().ward("B")
    assert b is not None
    assert (b.schemes, b.schemes_sited, b.schemes_placed, b.schemes_shared) == (2, 1, 0, 1)
    assert (b.commitments, b.commitments_shared, b.schemes_sharing) == (3, 3, 2)
    assert b.promised["gbp"] == pytest.approx(1_050_000)
    assert b.shared["gbp"] == pytest.approx(1_050_000)
    assert b.located("gbp") == 0
    c = _figures().ward("C")
    assert c is not None and (c.schemes, c.commitments, c.shared["gbp"]) == (0, 0, 0)


def test_borough_totals_count_each_pound_once() -> None:
    figures = _figures()
    assert figures.schemes == 2
    assert figures.totals["gbp"] == pytest.approx(1_429_952)  # 1,000,000 + 29,952 + 400,000


def test_a_filter_keeps_the_split() -> None:
    # Apprenticeships only: S1 in A by its located l2; nothing shared anywhere.
    apprentices = _figures(pf.Selection(measure="apprenticeship"))
    a, b = apprentices.ward("A"), apprentices.ward("B")
    assert a is not None and b is not None
    assert (a.schemes, a.schemes_sited, a.commitments, a.commitments_shared) == (1, 1, 1, 0)
    assert a.shared["gbp"] == 0 and a.located("gbp") == pytest.approx(29_952)
    assert (b.schemes, b.commitments) == (0, 0)
    # Local spend only: both schemes' borough-wide spend; S1 still sited in A.
    spend = _figures(pf.Selection(measure="local_supply_chain_spend"))
    a = spend.ward("A")
    assert a is not None
    assert (a.schemes, a.schemes_sited, a.commitments_shared) == (2, 1, 2)
    assert a.shared["gbp"] == pytest.approx(350_000) and a.located("gbp") == 0


def test_scheme_by_ward_and_where_in_words() -> None:
    s1 = _schemes()[0]
    rows = pf.scheme_by_ward(s1, {"A": "Ward A", "B": "Ward B"})
    assert [(r.code, r.sited, r.located, r.shared) for r in rows] == [
        ("A", True, 1, 2),
        ("B", False, 0, 2),
    ]
    assert rows[0].gbp_located == pytest.approx(29_952)
    assert rows[0].gbp_shared == pytest.approx(250_000)
    assert rows[1].gbp == pytest.approx(750_000)
    assert pf.line_place(s1.lines[0], 17) == (
        "the whole borough, divided between its 17 wards by population"
    )
    assert pf.line_place(s1.lines[1], 17) == "A"
    split = _line("l9", "volunteering", 10, "hours", None, [("A", 0.6, 0), ("B", 0.4, 0)])
    assert pf.line_place(split, 17) == "A (60%) and B (40%)"
