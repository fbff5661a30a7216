"""Benchmarking a scheme's offer against approved schemes: intensities, quartiles, the
five-scheme floor."""

from __future__ import annotations

import datetime as dt

import pytest

from planning_sv.core import benchmarks as bm
from planning_sv.core.measures import load_measures

MEASURES = load_measures()
ON = dt.date(2026, 1, 1)


def test_offers_are_summed_per_measure_in_its_first_unit() -> None:
    development = {
        "dwellings": 100,
        "build_cost_gbp": 20_000_000,
        "floorspace_sqm": {"residential": 8_000, "office": 2_000},
    }
    commitments = [
        {"measure": "apprenticeship", "quantity": 6, "unit": "starts"},
        {"measure": "apprenticeship", "quantity": 4, "unit": "starts"},
        {"measure": "local_supply_chain_spend", "quantity": 1_000_000, "unit": "gbp"},
        {"measure": "volunteering", "quantity": 0, "unit": "hours"},  # nothing offered
        {"measure": "no_such_measure", "quantity": 5, "unit": "x"},
    ]
    offers = {o.measure: o for o in bm.scheme_offers(development, commitments, MEASURES, ON)}
    assert sorted(offers) == ["apprenticeship", "local_supply_chain_spend"]
    apprenticeships = offers["apprenticeship"]
    assert apprenticeships.quantity == 10
    # 10 starts / £20m = 0.5 per £1m; / 100 homes = 0.1 per home; / 10 (x 1,000 m²) = 1.
    assert apprenticeships.intensity("per_million") == pytest.approx(0.5)
    assert apprenticeships.intensity("per_home") == pytest.approx(0.1)
    assert apprenticeships.intensity("per_1000_sqm") == pytest.approx(1.0)


def test_a_scheme_without_homes_has_no_per_home_figure() -> None:
    offer = bm.SchemeOffer("apprenticeship", "starts", 4, 8_000_000, 0, 5_000)
    assert offer.intensity("per_home") is None
    assert offer.intensity("per_million") == pytest.approx(0.5)


def test_no_distribution_from_fewer_than_five_schemes() -> None:
    assert bm.distribution("apprenticeship", "per_million", [1, 2, 3, 4]) is None


def test_quartiles_are_hand_worked() -> None:
    # 1, 2, 3, 4, 5: inclusive quartiles at positions 1 + (n - 1) / 4 = 2 and 4.
    found = bm.distribution("apprenticeship", "per_million", [5, 1, 4, 2, 3])
    assert found == bm.Distribution("apprenticeship", "per_million", 5, 2.0, 3.0, 4.0)
    # 1, 2, 3, 4, 5, 6: positions 2.25, 3.5 and 4.75.
    six = bm.distribution("apprenticeship", "per_million", [1, 2, 3, 4, 5, 6])
    assert (six.lower_quartile, six.median, six.upper_quartile) == (2.25, 3.5, 4.75)


def test_compare_places_the_scheme_and_keeps_rows_without_enough_schemes() -> None:
    offers = [bm.SchemeOffer("apprenticeship", "starts", 10, 20_000_000, 100, 10_000)]
    distributions = {
        ("apprenticeship", "per_million"): bm.Distribution(
            "apprenticeship", "per_million", 7, 0.6, 0.8, 1.0
        )
    }
    rows = {r.metric: r for r in bm.compare(offers, distributions, MEASURES)}
    assert rows["per_million"].this_scheme == pytest.approx(0.5)
    assert rows["per_million"].position == "below the lower quartile"
    assert rows["per_home"].distribution is None
    assert rows["per_home"].position == "fewer than 5 approved schemes to compare with"
    assert bm.figure(0.5, "starts") == "0.5"
    assert bm.figure(44_444.4, "gbp") == "£44,444"
