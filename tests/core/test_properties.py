"""Properties (hypothesis): statement parsing, input limits and the rule expression language.

- parse_statement raises nothing but InputInvalid, whatever JSON-like value it is given
  (whole documents, or the example statement with one member replaced by anything);
- a statement that parses round-trips through its JSON form unchanged;
- whole numbers are read from ASCII digits only, within their range;
- any string either compiles as an expression or raises ExpressionError (never another
  exception), and compiled arithmetic on small ints equals Python's.

Derandomised, so every run checks the same examples.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning_sv import config
from planning_sv.core.errors import InputInvalid
from planning_sv.core.limits import INT64_MAX, MAX_JSON_DEPTH, load_json, parse_whole_number
from planning_sv.core.measures import load_measures
from planning_sv.core.plans import load_plans
from planning_sv.core.rules.expressions import ExpressionError, compile_expression
from planning_sv.core.statement import parse_statement

SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PLANS = load_plans()
MEASURES = load_measures()


def _parse(data: Any) -> Any:
    return parse_statement(data, councils=PLANS, measures=MEASURES)


# Any JSON-like value, with the awkward ones in: NaN, Infinity, huge ints, unicode digits.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["²", "٣", "islington", "N7 8QP", "E05013706", "apprenticeship", "starts"])
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "where", "type"]), children, max_size=4
        )
    ),
    max_leaves=25,
)


@SETTINGS
@given(json_like)
def test_parse_statement_raises_only_input_invalid(value: Any) -> None:
    try:
        _parse(value)
    except InputInvalid as exc:
        assert exc.problems and all(p.path.startswith("$") for p in exc.problems)


def _members(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member of a JSON value (dict keys and list indexes)."""
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _members(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _members(child, (*path, index))
    return out


# The shared example statement (tests/conftest.py's `islington_example`, read directly: a
# module-level constant cannot use a fixture, and `conftest` names several modules).
EXAMPLE = json.loads(
    next(p for p in sorted(config.examples_dir().glob("islington*.json"))).read_text("utf-8")
)
EXAMPLE_PATHS = [p for p in _members(EXAMPLE) if p]


@SETTINGS
@given(st.sampled_from(EXAMPLE_PATHS), json_like)
def test_one_member_replaced_by_anything_is_input_invalid_or_a_statement(
    path: tuple[Any, ...], replacement: Any
) -> None:
    data = copy.deepcopy(EXAMPLE)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = replacement
    try:
        statement = _parse(data)
    except InputInvalid as exc:
        assert exc.problems
    else:
        # Whatever was accepted can be stored as JSON (no NaN, no unserialisable values).
        json.dumps(statement.to_json_dict(), allow_nan=False)


@SETTINGS
@given(
    build_cost=st.floats(min_value=0, max_value=1e12),
    dwellings=st.integers(min_value=0, max_value=1_000_000),
    quantities=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6),
    lon=st.floats(min_value=-0.14, max_value=-0.09),
    lat=st.floats(min_value=51.53, max_value=51.57),
)
def test_valid_statements_round_trip(
    build_cost: float, dwellings: int, quantities: list[int], lon: float, lat: float
) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["development"]["build_cost_gbp"] = build_cost
    data["development"]["dwellings"] = dwellings
    data["site"] = {"point": [lon, lat]}
    data["commitments"] = [
        dict(c, quantity=q) for c, q in zip(data["commitments"], quantities, strict=False)
    ]
    first = _parse(data).to_json_dict()
    text = json.dumps(first, allow_nan=False)
    again = _parse(load_json(text)).to_json_dict()
    assert again == first
    assert again["development"]["build_cost_gbp"] == build_cost
    assert [c["quantity"] for c in again["commitments"]] == quantities[: len(again["commitments"])]


@SETTINGS
@given(st.text(max_size=30))
def test_whole_numbers_are_ascii_digits_in_range(text: str) -> None:
    try:
        value = parse_whole_number(text, minimum=0, maximum=INT64_MAX)
    except ValueError as exc:
        assert str(exc)
        # Refused: not all ASCII digits, or out of range.
        assert not (text.isascii() and text.isdigit()) or int(text) > INT64_MAX
    else:
        assert text.isascii() and text.isdigit() and value == int(text) <= INT64_MAX


@SETTINGS
@given(json_like)
def test_load_json_raises_only_input_invalid(value: Any) -> None:
    text = json.dumps(value)  # NaN/Infinity written as bare words, as some clients do
    try:
        parsed = load_json(text)
    except InputInvalid as exc:
        assert exc.problems[0].path.startswith("$")
    else:
        json.dumps(parsed, allow_nan=False)


@SETTINGS
@given(json_like, st.integers(min_value=1, max_value=6))
def test_quick_check_agrees_with_the_walk_that_names_paths(value: Any, max_depth: int) -> None:
    # json_value_problems answers "nothing wrong" from a walk without paths; it must say so
    # exactly when the full walk (which names every problem's path) finds nothing.
    from planning_sv.core import limits

    quick = limits._plainly_fine(value, max_depth)
    full = limits.named_json_problems(value, max_depth=max_depth)
    assert not quick or full == []
    assert (limits.json_value_problems(value, max_depth=max_depth) == []) == (full == [])


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 900, 100_000])
def test_load_json_refuses_deep_nesting(depth: int) -> None:
    with pytest.raises(InputInvalid) as caught:
        load_json("[" * depth + "]" * depth)
    assert caught.value.problems[0].path == "$"
    assert f"more than {MAX_JSON_DEPTH} levels" in caught.value.problems[0].message


# --- the rule expression language ------------------------------------------------------------

TOKENS = [
    "1", "2", "0", "-", "+", "*", "/", "//", "%", "**", "(", ")", "[", "]", ",", " ", "<",
    "==", "and", "or", "not", "if", "else", "in", "min", "max", "round", "floor", "x",
    "floorspace.office", "param.rate", "'a'", "1e400", "lambda", "__import__", ".", "\x00",
]  # fmt: skip


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # ast.parse warns on e.g. '1if'
@SETTINGS
@given(st.text(max_size=60) | st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_any_string_compiles_or_raises_expression_error(text: str) -> None:
    try:
        compiled = compile_expression(text)
    except ExpressionError as exc:
        assert exc.message
        return
    try:
        compiled.evaluate({"x": 3, "floorspace.office": 100.0, "param.rate": 0.5})
    except ExpressionError as exc:  # MissingName, division by zero, overflow, type errors
        assert exc.message


def arithmetic(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.integers(min_value=-50, max_value=50).map(lambda n: f"({n})")
    if depth == 0:
        return leaf
    sub = arithmetic(depth - 1)
    return leaf | st.tuples(sub, st.sampled_from(["+", "-", "*", "//", "%", "/"]), sub).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )


@SETTINGS
@given(arithmetic())
def test_arithmetic_matches_python(text: str) -> None:
    # `text` is built here from integers and operators only, so Python's eval is the oracle.
    try:
        expected: Any = eval(text, {"__builtins__": {}})  # noqa: S307
    except ZeroDivisionError:
        with pytest.raises(ExpressionError, match="division by zero"):
            compile_expression(text).evaluate({})
        return
    got = compile_expression(text).evaluate({})
    assert got == expected or math.isclose(got, expected, rel_tol=1e-12)
