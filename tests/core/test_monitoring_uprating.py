"""Uprating a payment by its index (core.monitoring.uprate), hand-worked on the shipped
index data (local_plans/value_sets/indices.yaml: ONS ASHE median full-time gross annual
earnings, 2022 £33,061, 2023 £35,004, 2024 £37,430)."""

from __future__ import annotations

import datetime as dt

from planning_sv.core.monitoring import find_index, uprate
from planning_sv.core.valuation.valuesets import PriceIndex, load_indices

ASHE = "ashe_ft_median_annual"


def test_uprated_sum_is_amount_times_index_ratio() -> None:
    # 45,000 x 37,430 = 1,684,350,000; / 33,061 = 50,946.7348... -> £50,946.73
    worked = uprate(45000.0, ASHE, dt.date(2022, 6, 1), dt.date(2024, 3, 1), load_indices())
    assert (worked.amount, worked.from_value, worked.to_value) == (50946.73, 33061.0, 37430.0)
    assert worked.reason is None
    assert worked.text == (
        "£45,000.00 × 37,430 (2024) ÷ 33,061 (2022) = £50,946.73, by ONS ASHE median gross "
        "annual earnings of full-time employees, UK (April each year)"
    )
    assert worked.url is not None and worked.url.startswith("https://www.ons.gov.uk/")
    # 1,000 x 35,004 / 33,061 = 1,058.7701... -> £1,058.77; same year: unchanged.
    assert (
        uprate(1000.0, ASHE, dt.date(2022, 1, 1), dt.date(2023, 12, 31), load_indices()).amount
        == 1058.77
    )
    assert (
        uprate(1000.0, ASHE, dt.date(2024, 1, 1), dt.date(2024, 12, 31), load_indices()).amount
        == 1000.0
    )


def test_the_index_is_found_by_key_or_title_in_any_case() -> None:
    indices = load_indices()
    title = "ons ashe median gross annual earnings of full-time employees, uk (april each year)"
    assert find_index(title, indices) is indices[ASHE]
    assert find_index(" ASHE_FT_MEDIAN_ANNUAL ", indices) is indices[ASHE]
    assert find_index("RPI", indices) is None


def test_no_figure_where_the_data_cannot_support_it() -> None:
    indices = load_indices()
    unknown = uprate(45000.0, "BCIS All-in TPI", dt.date(2026, 4, 1), dt.date(2027, 4, 1), indices)
    assert unknown.amount is None
    assert unknown.text == (
        "Uprated sum not computed: the index 'BCIS All-in TPI' is not in the service's index "
        "data (local_plans/value_sets/indices.yaml; it holds: ashe_ft_median_annual)"
    )
    # Today's agreements: the data stops at 2024.
    missing = uprate(45000.0, ASHE, dt.date(2026, 4, 1), dt.date(2027, 4, 1), indices)
    assert (missing.amount, missing.from_value) == (None, None)
    assert missing.reason == (
        "ONS ASHE median gross annual earnings of full-time employees, UK (April each year) "
        "has no value for 2026 or 2027 (the data holds 2022–2024)"
    )
    one_missing = uprate(45000.0, ASHE, dt.date(2023, 4, 1), dt.date(2025, 4, 1), indices)
    assert one_missing.reason is not None and "has no value for 2025 (" in one_missing.reason
    undated = uprate(45000.0, ASHE, dt.date(2023, 4, 1), None, indices)
    assert undated.reason == "the payment date is not known yet (no due date)"
    # An index without values at all.
    empty = {"x": PriceIndex("x", "Index X", "", "", {})}
    assert uprate(1.0, "x", dt.date(2023, 1, 1), dt.date(2024, 1, 1), empty).reason == (
        "Index X has no value for 2023 or 2024 (the data holds no years)"
    )
