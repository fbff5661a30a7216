"""Safe expressions: arithmetic, names, and every way an expression is refused."""

from __future__ import annotations

import pytest

from planning_sv.core.rules.expressions import ExpressionError, MissingName, compile_expression


def ev(text: str, **env: object) -> object:
    return compile_expression(text).evaluate(env)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("10 - 4 - 3", 3),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("-3 + +5", 2),
        ("1 < 2 < 3", True),
        ("3 > 2 > 2", False),
        ("1 == 1 and not 2 == 3", True),
        ("0 or 5 > 4", True),
        ("10 if 1 > 2 else 20", 20),
        ("'office' in ['office', 'retail']", True),
        ("'hotel' not in ['office', 'retail']", True),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("floor(2.9)", 2),
        ("ceil(2.1)", 3),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(2.345, 2)", 2.35),
        ("abs(-4)", 4),
    ],
)
def test_arithmetic_and_logic(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_names_and_namespaces_are_collected_and_looked_up() -> None:
    expression = compile_expression(
        "floor(build_cost_gbp / 1000000) * param.rate + floorspace.office"
    )
    assert expression.names == {"build_cost_gbp", "param.rate", "floorspace.office"}
    env = {"build_cost_gbp": 45_500_000, "param.rate": 2, "floorspace.office": 10}
    assert expression.evaluate(env) == 100
    # Compiled once, evaluated many times with different inputs.
    assert expression.evaluate({**env, "build_cost_gbp": 1_000_000}) == 12


def test_substituted_shows_values_for_explanations() -> None:
    expression = compile_expression("floor(build_cost_gbp / 1000000) * param.rate")
    assert (
        expression.substituted({"build_cost_gbp": 45_000_000.0, "param.rate": 1})
        == "floor(45000000 / 1000000) * 1"
    )


def test_unknown_name_lists_known_names() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("dwelings * 2", known_names={"dwellings", "build_cost_gbp"})
    assert "unknown name 'dwelings'" in str(caught.value)
    assert "build_cost_gbp, dwellings" in str(caught.value)


def test_missing_value_at_evaluation_names_it() -> None:
    with pytest.raises(MissingName) as caught:
        ev("construction_months / 12")
    assert caught.value.name == "construction_months"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("dwellings.__class__", "attribute access is not allowed"),
        ("floorspace.__class__", "unsupported name"),
        ("(1).real", "attribute access is not allowed"),
        ("param.x.y", "attribute access is not allowed"),
        ("lambda: 1", "lambda"),
        ("[x for x in [1, 2]]", "list comprehension"),
        ("{x for x in [1]}", "set comprehension"),
        ("sum(x for x in [1])", "unknown function 'sum'"),
        ("max(1, (x for x in [1]))", "generator expression"),
        ("[1, 2]", "list"),
        ("{'a': 1}", "dict"),
        ("dwellings[0]", "subscript"),
        ("2 ** 1000", "'**'"),
        ("1 << 3", "'<<'"),
        ("~1", "'~'"),
        ("a is None", "'is'"),
        ("(y := 2)", "assignment"),
        ("f'{dwellings}'", "f-string"),
        ("x in dwellings", "literal list"),
        ("min(1)", "takes 2 to 50 arguments"),
        ("floor(1, 2)", "takes 1 arguments"),
        ("round(x=1)", "keyword"),
        ("floorspace", "needs a field"),
        ("floor", "must be called"),
        ("1 +", "syntax error"),
        ("", "empty expression"),
        ("import os", "syntax error"),
        ("1 +\x00 2", "null bytes"),
        ("(" * 300 + "1" + ")" * 300, "syntax error"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("text", ["1 / 0", "1 // (2 - 2)", "5 % 0", "dwellings / dwellings"])
def test_division_by_zero(text: str) -> None:
    with pytest.raises(ExpressionError, match="division by zero"):
        ev(text, dwellings=0)


def test_type_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="expected a number"):
        ev("'a' + 1")
    with pytest.raises(ExpressionError, match="expected a number"):
        ev("(1 > 0) * 3")


def test_overlong_and_deeply_nested_are_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression("1 + " * 600 + "1")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("-" * 60 + "1")


def test_located_error_names_rule_and_field() -> None:
    try:
        compile_expression("dwellings ** 2")
    except ExpressionError as exc:
        located = exc.located(rule_id="ISL-X", field="requires")
    assert str(located).startswith("ISL-X.requires: unsupported operator '**'")
    assert "`dwellings ** 2`" in str(located)


def test_number_given_as_yaml_number_compiles() -> None:
    assert compile_expression(5).evaluate({}) == 5  # type: ignore[arg-type]


def _substituted_by_ast(text: str, env: dict[str, object]) -> str:
    """How explanations were written before the template: parse, replace names, unparse."""
    import ast

    from planning_sv.core.rules.expressions import _dotted, _tidy

    class Substitute(ast.NodeTransformer):
        def _replace(self, node: ast.AST, name: str | None) -> ast.AST:
            return ast.Constant(value=_tidy(env[name])) if name in env else node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            return self._replace(node, node.id)

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            return self._replace(node, _dotted(node))

        def visit_Call(self, node: ast.Call) -> ast.AST:
            node.args = [self.visit(arg) for arg in node.args]
            return node

    return ast.unparse(Substitute().visit(ast.parse(text.strip(), mode="eval")))


VALUES = [0, 3, -2, 2.5, -0.125, 45_000_000.0, 1e-7, 1e22, "office", True, None]


@pytest.mark.parametrize(
    "text",
    [
        "floor(build_cost_gbp / 1000000) * param.rate",
        "x * 2 - y % z",
        "-x",
        "floorspace.b + param.d * x",
        "max(0, floorspace.office - existing_floorspace.office) * param.rate / 100",
        "x if y > 2 else z",
        "use in ['office', 'retail']",
        "round(x, 2) + min(y, z)",
        "not x and (y or z)",
    ],
)
def test_substituted_matches_the_ast_substitution(text: str) -> None:
    expression = compile_expression(text)
    names = sorted(expression.names | {"floorspace", "param", "x", "y", "z"})
    for offset, _ in enumerate(VALUES):
        env = {name: VALUES[(i + offset) % len(VALUES)] for i, name in enumerate(names)}
        assert expression.substituted(env) == _substituted_by_ast(text, env)
        partial = {name: value for i, (name, value) in enumerate(env.items()) if i % 2}
        assert expression.substituted(partial) == _substituted_by_ast(text, partial)


def test_every_plan_expression_is_substituted_as_before() -> None:
    from planning_sv.core.plans import load_plans

    for plan in load_plans().values():
        for rule in plan.rules:
            for expression in (rule.applies_when, rule.requires):
                if expression is None:
                    continue
                env = {name: 1234.5 for name in expression.names}
                expected = _substituted_by_ast(expression.text, env)
                assert expression.substituted(env) == expected, rule.id
