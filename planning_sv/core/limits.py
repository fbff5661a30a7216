"""Limits on untrusted input, in one place: whole numbers, JSON and GeoJSON shapes.

Every query parameter, form field, URL segment and JSON body that carries a number or
nested data goes through these helpers, so a hostile value (`²`, a 5,000-digit integer,
`NaN`, JSON nested 100,000 deep) is refused with a message naming the field instead of
reaching `int()`, the database or a recursive serialiser. docs/WEB.md ("Limits") lists them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from planning_sv.core.errors import InputInvalid, Problem, json_path

# The largest integer SQLite and PostgreSQL BIGINT store (and what OFFSET takes).
INT64_MAX = 2**63 - 1
# The largest id or number our tables hold: their columns are INTEGER, 32-bit on PostgreSQL
# (SQLite's are wider). A larger value in a URL or query would overflow in the driver (a
# 500), so it is refused, or simply "not found", before any query.
MAX_ID = 2**31 - 1
# JSON bodies: a statement is at most 6 levels deep (a MultiPolygon's coordinates inside
# site.geometry); 32 leaves room for foreign GeoJSON members and stays far from Python's
# recursion limit (json and pydantic both recurse).
MAX_JSON_DEPTH = 32
# Digits in one JSON integer literal: 20 covers every 64-bit integer; longer ones are refused
# before int() (which costs quadratic time, and raises past 4,300 digits).
MAX_JSON_INT_DIGITS = 20
# Positions in one GeoJSON geometry (a detailed red-line boundary has a few thousand).
MAX_GEOMETRY_POSITIONS = 100_000

_LONG_INT = 10**MAX_JSON_INT_DIGITS
_WHOLE = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() and int() accept '²', '٣'


def parse_whole_number(text: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """`text` as an int in [minimum, maximum], ASCII digits only; ValueError with a message
    for people otherwise (callers add the field name)."""
    shown = text if len(text) <= 20 else text[:20] + "…"
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"'{shown}' is not a whole number")
    digits = text.lstrip("-").lstrip("0")
    if len(digits) > len(str(max(abs(minimum), abs(maximum)))):
        # Decided on length alone, so a huge number never reaches int().
        raise ValueError(f"must be between {minimum} and {maximum}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError(f"must be between {minimum} and {maximum}")
    return value


class _LongInt:
    """An integer literal over MAX_JSON_INT_DIGITS, kept as text so the walk after parsing
    can name its field (int() is never called on it)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _json_int(text: str) -> int | _LongInt:
    return _LongInt(text) if len(text.lstrip("-")) > MAX_JSON_INT_DIGITS else int(text)


def load_json(raw: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON, or raise InputInvalid naming the field at fault: malformed,
    NaN/Infinity or a float that overflows, an integer over 20 digits, or nesting deeper
    than `max_depth` (at '$' when it is so deep that the parser itself gives up)."""
    try:
        data = json.loads(raw, parse_int=_json_int, parse_constant=float)
    except RecursionError:
        raise InputInvalid([Problem("$", _too_deep(max_depth))]) from None
    except json.JSONDecodeError as exc:
        raise InputInvalid(
            [Problem("$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise InputInvalid([Problem("$", "not valid JSON: not UTF-8 text")]) from None
    problems = json_value_problems(data, max_depth=max_depth)
    if problems:
        raise InputInvalid(problems)
    return data


def _too_deep(max_depth: int) -> str:
    return f"the JSON is nested more than {max_depth} levels deep"


def json_value_problem(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> Problem | None:
    """The first (in document order) of `json_value_problems`, or None."""
    problems = json_value_problems(value, max_depth=max_depth, limit=1)
    return problems[0] if problems else None


def json_value_problems(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, limit: int = 20
) -> list[Problem]:
    """Values JSON storage and our models cannot take, each with its JSON path, in document
    order (at most `limit`): a number that is not finite, an integer over 20 digits, or
    nesting deeper than `max_depth` (reported at the last named member above it, and
    ending the walk). Iterative, so a hostile depth costs no stack."""
    if _plainly_fine(value, max_depth):
        return []
    return named_json_problems(value, max_depth=max_depth, limit=limit)


def named_json_problems(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, limit: int = 20
) -> list[Problem]:
    """`json_value_problems` without its quick first look: the walk that names paths."""
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(value, (), 0)]
    while stack and len(problems) < limit:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= max_depth:
                named = path
                while named and isinstance(named[-1], int):
                    named = named[:-1]
                problems.append(
                    Problem(json_path(named), f"nested more than {max_depth} levels deep")
                )
                break
            pairs = list(item.items() if isinstance(item, dict) else enumerate(item))
            # Reversed onto the stack, so members are visited in document order.
            stack.extend((child, (*path, key), depth + 1) for key, child in reversed(pairs))
        elif isinstance(item, float) and not math.isfinite(item):
            problems.append(
                Problem(json_path(path), "must be a finite number (not NaN or Infinity)")
            )
        elif isinstance(item, _LongInt) or (
            isinstance(item, int) and abs(item) >= _LONG_INT  # built in Python, not parsed
        ):
            # (str() of a Python int past 4,300 digits raises, so only parsed text is shown)
            shown = f" ({item.text[:12]}…)" if isinstance(item, _LongInt) else ""
            problems.append(
                Problem(
                    json_path(path),
                    f"a number with more than {MAX_JSON_INT_DIGITS} digits{shown} is not accepted",
                )
            )
    return problems


def _plainly_fine(value: Any, max_depth: int) -> bool:
    """True when `json_value_problems` would find nothing, by a walk that builds no paths.

    Almost every statement is fine, and building each member's path was most of the check's
    cost on a 100-commitment statement; only a value with a problem is walked again, with
    paths, to name it. False means "look closer", not "faulty".
    """
    if type(value) is not dict and type(value) is not list:
        return False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= max_depth:
            return False
        children = item.values() if type(item) is dict else item
        for child in children:
            kind = type(child)
            if kind is str or kind is bool or child is None:
                continue
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    return False
            elif kind is not int or abs(child) >= _LONG_INT:
                return False  # a _LongInt, an int too long, or a type to look at closer
    return True


def json_depth(value: Any, *, stop_at: int | None = None) -> int:
    """Nesting depth of lists/dicts (a scalar is 0, [] is 1), without recursion; counting
    stops at `stop_at` so a hostile value costs no more than the limit."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            depth += 1
            deepest = max(deepest, depth)
            if stop_at is not None and deepest >= stop_at:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


# GeoJSON coordinates: how many list levels sit above the positions for each type we accept.
GEOMETRY_POSITION_DEPTH = {"Point": 0, "Polygon": 2, "MultiPolygon": 3}
_GEOMETRY_SHAPES = {
    "Point": "one position",
    "Polygon": "a list of rings, each a list of positions",
    "MultiPolygon": "a list of polygons, each a list of rings of positions",
}


def geometry_coordinate_problem(kind: Any, coordinates: Any) -> str | None:
    """What is wrong with a GeoJSON geometry's `coordinates` for its `type`, or None.

    Checks the shape only (nesting exactly as the type says, positions of 2 or 3 finite
    numbers, at most MAX_GEOMETRY_POSITIONS), iteratively, so a value nested 900 deep
    is refused before shapely or a serialiser recurses into it."""
    levels = GEOMETRY_POSITION_DEPTH.get(kind) if isinstance(kind, str) else None
    if levels is None:
        return None  # the type itself is reported by the model
    positions = 0
    stack: list[tuple[Any, int]] = [(coordinates, 0)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, list):
            return _shape_message(kind)
        if level < levels:
            stack.extend((child, level + 1) for child in item)
            continue
        positions += 1
        if positions > MAX_GEOMETRY_POSITIONS:
            return f"a geometry may have at most {MAX_GEOMETRY_POSITIONS:,} positions"
        if not 2 <= len(item) <= 3 or not all(_finite_number(v) for v in item):
            return _shape_message(kind)
    return None


def _shape_message(kind: str) -> str:
    return (
        f"a {kind}'s coordinates must be {_GEOMETRY_SHAPES[kind]}; a position is "
        "[longitude, latitude], two finite numbers"
    )


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int too large for a float
        return False
