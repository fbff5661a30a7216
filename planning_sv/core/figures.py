"""Figures: numbers, money and counts as an officer would write them, and when two are equal.

One place, so the rule explanations, the text report, the heads of terms and the value-set
listing agree on how a figure looks, and scenario tests and reproductions on when two
figures are the same.
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"  # a figure that does not exist (e.g. no required quantity), not zero


def parse_number(text: str) -> float | None:
    """A number as spreadsheets write it: "1,000", "£2,000.50", " 12 ", "1e3"; else None.

    The one parser for typed-in figures (commitments CSV, value-set CSV), so both accept the
    same forms. NaN and infinities are None: they are never a quantity or a price.
    """
    cleaned = text.strip().removeprefix("£").replace(",", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def format_gbp(value: float | None) -> str:
    """£45,000 for sums; pence only below £100, where they matter (£18.64 an hour)."""
    if value is None:
        return MISSING
    if abs(value) >= 100 or float(value).is_integer():
        return f"£{value:,.0f}"
    return f"£{value:,.2f}"


def format_number(value: Any, unit: str | None = None) -> str:
    """45,000,000; 2.5; 0.001; '2.5 fte years', '1 fte year'; money when `unit` is 'gbp'."""
    if value is None:
        return MISSING
    if unit == "gbp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_gbp(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    elif float(value).is_integer():
        text = f"{int(value):,}"
    elif abs(value) < 1:
        # Rates such as 0.001 of build cost must not print as 0.
        text = f"{value:.6g}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit is None:
        return text
    words = unit.replace("_", " ")
    if value == 1 and words.endswith("s"):
        # Every plural unit in measures.yaml and the rule packs is a noun + "s" (placements,
        # fte years, commitments), so one of them reads "1 placement", not "1 placements".
        words = words[:-1]
    return f"{text} {words}"


def same_figure(a: Any, b: Any) -> bool:
    """Equal, with numbers compared within a tolerance.

    Figures go through JSON and float arithmetic, so 0.1 + 0.2 against 0.3 is no change.
    True is not the number 1 here: a status flag never equals a quantity.
    """
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 council', '3 councils'."""
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"
