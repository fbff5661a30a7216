"""Safe arithmetic expressions for rule packs.

Rule packs are data written by council staff, so their expressions must never reach
`eval`: we parse with `ast` and accept only a small whitelist of node types, then turn the
tree into nested Python closures once (`compile_expression`) so evaluating a rule against
many statements costs no re-parsing. Anything outside the whitelist (attribute access other
than `floorspace.office`-style names, calls to anything but a few maths functions,
subscripts, lambdas, comprehensions, `**`) is rejected at compile time.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 40

# Prefixes that may be followed by `.name`: the only attribute access allowed.
NAMESPACES = frozenset(
    {"floorspace", "existing_floorspace", "net_floorspace", "param", "designation"}
)

Value = float | int | str | bool
Env = Mapping[str, Any]
Evaluator = Callable[[Env], Any]


class ExpressionError(ValueError):
    """An expression that cannot be compiled or evaluated, tied to its rule and field."""

    def __init__(
        self,
        message: str,
        *,
        text: str | None = None,
        rule_id: str | None = None,
        field: str | None = None,
    ):
        self.message = message
        self.text = text
        self.rule_id = rule_id
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = ".".join(part for part in (self.rule_id, self.field) if part)
        prefix = f"{where}: " if where else ""
        suffix = f" (in `{self.text}`)" if self.text else ""
        return f"{prefix}{self.message}{suffix}"

    def located(self, *, rule_id: str | None = None, field: str | None = None) -> ExpressionError:
        """The same error, naming the rule and field it came from."""
        return type(self)(
            self.message,
            text=self.text,
            rule_id=rule_id or self.rule_id,
            field=field or self.field,
        )


class MissingName(ExpressionError):
    """A known name with no value in this evaluation (e.g. construction_months not given)."""

    def __init__(self, name: str, **kwargs: Any):
        self.name = name
        kwargs.pop("message", None)
        super().__init__(f"no value for '{name}'", **kwargs)

    def located(self, *, rule_id: str | None = None, field: str | None = None) -> MissingName:
        return MissingName(
            self.name, text=self.text, rule_id=rule_id or self.rule_id, field=field or self.field
        )


def _safe_div(a: Any, b: Any) -> Any:
    if b == 0:
        raise ZeroDivisionError
    return a / b


def _safe_floordiv(a: Any, b: Any) -> Any:
    if b == 0:
        raise ZeroDivisionError
    return a // b


def _safe_mod(a: Any, b: Any) -> Any:
    if b == 0:
        raise ZeroDivisionError
    return a % b


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _safe_div,
    ast.FloorDiv: _safe_floordiv,
    ast.Mod: _safe_mod,
}
_BINARY_SYMBOL = {
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.MatMult: "@",
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _round(value: Any, digits: Any = 0) -> Any:
    # Python's round() is banker's rounding; council staff expect half-up (2.5 -> 3).
    factor = 10 ** int(digits)
    result = math.floor(abs(value) * factor + 0.5) / factor
    result = math.copysign(result, value)
    return int(result) if int(digits) == 0 else result


# name -> (callable, min args, max args)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "min": (min, 2, 50),
    "max": (max, 2, 50),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "round": (_round, 1, 2),
    "abs": (abs, 1, 1),
}


@dataclass(frozen=True)
class Expression:
    """A compiled expression: evaluate many times against an environment of names."""

    text: str
    names: frozenset[str]
    tree: ast.Expression = field(repr=False, compare=False)
    _run: Evaluator = field(repr=False, compare=False)
    _template: _Template = field(repr=False, compare=False)

    def evaluate(self, env: Env) -> Any:
        try:
            return self._run(env)
        except ExpressionError as exc:
            if exc.text is None:
                exc.text = self.text
                exc.args = (exc._render(),)
            raise
        except ZeroDivisionError:
            raise ExpressionError("division by zero", text=self.text) from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise ExpressionError(f"cannot evaluate: {exc}", text=self.text) from None

    def substituted(self, env: Env) -> str:
        """The expression with each name replaced by its value, for explanations."""
        out = []
        for index, part in enumerate(self._template.parts):
            if index % 2 == 0:
                out.append(part)
                continue
            name, original = self._template.holes[int(part)]
            out.append(_constant_text(env[name]) if name in env else original)
        return "".join(out)


_HOLE = re.compile("\x00(\\d+)\x00")


@dataclass(frozen=True)
class _Template:
    """The expression as ast.unparse writes it, with a hole for each name it may substitute:
    made once at compile time, where parsing and unparsing for every explanation cost a
    twentieth of an assessment."""

    parts: tuple[str, ...]  # text, hole number, text, hole number, …, text
    holes: tuple[tuple[str, str], ...]  # (name, its text when the environment lacks it)

    @classmethod
    def of(cls, source: str) -> _Template:
        holes = _Holes()
        tree = holes.visit(ast.parse(source, mode="eval"))
        return cls(tuple(_HOLE.split(ast.unparse(tree))), tuple(holes.found))


class _Holes(ast.NodeTransformer):
    """Replaces each substitutable name with a numbered hole: names and dotted names
    (`floorspace.office`) in any position but a called function's own name or a keyword."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def _hole(self, node: ast.AST, name: str | None) -> ast.AST:
        if name is None:
            return node
        self.found.append((name, ast.unparse(node)))
        return ast.Name(id=f"\x00{len(self.found) - 1}\x00")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self._hole(node, node.id)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        return self._hole(node, _dotted(node))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # Keep the function name itself, only substitute the arguments.
        node.args = [self.visit(arg) for arg in node.args]
        return node


def _constant_text(value: Any) -> str:
    """A value as ast.unparse writes it as a constant."""
    value = _tidy(value)
    if type(value) is int:
        return repr(value)
    return ast.unparse(ast.Constant(value=value))


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _dotted(node: ast.Attribute) -> str | None:
    if isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


class _Compiler:
    def __init__(self, text: str, known: frozenset[str] | None, functions: Mapping[str, Any]):
        self.text = text
        self.known = known
        self.functions = functions
        self.names: set[str] = set()

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(message, text=self.text)

    def compile(self, node: ast.AST, depth: int = 0) -> Evaluator:
        if depth > MAX_DEPTH:
            raise self.error("expression is nested too deeply")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.error(f"unsupported syntax: {_describe(node)}")
        return method(node, depth + 1)

    def _Expression(self, node: ast.Expression, depth: int) -> Evaluator:
        return self.compile(node.body, depth)

    def _Constant(self, node: ast.Constant, depth: int) -> Evaluator:
        value = node.value
        if not isinstance(value, (int, float, str, bool)) or isinstance(value, complex):
            raise self.error(f"unsupported literal {value!r}")
        return lambda env: value

    def _lookup(self, name: str) -> Evaluator:
        if name.startswith("_") or "._" in name or "__" in name:
            raise self.error(f"unsupported name '{name}'")
        if self.known is not None and name not in self.known:
            raise self.error(_unknown_name_message(name, self.known))
        self.names.add(name)

        def run(env: Env) -> Any:
            try:
                return env[name]
            except KeyError:
                raise MissingName(name) from None

        return run

    def _Name(self, node: ast.Name, depth: int) -> Evaluator:
        if node.id in NAMESPACES:
            raise self.error(f"'{node.id}' needs a field, e.g. {node.id}.office")
        if node.id in self.functions:
            raise self.error(f"function '{node.id}' must be called, e.g. {node.id}(...)")
        return self._lookup(node.id)

    def _Attribute(self, node: ast.Attribute, depth: int) -> Evaluator:
        dotted = _dotted(node)
        if dotted is None or dotted.split(".")[0] not in NAMESPACES:
            raise self.error(
                "attribute access is not allowed except "
                + ", ".join(f"{n}.<name>" for n in sorted(NAMESPACES))
            )
        return self._lookup(dotted)

    def _BinOp(self, node: ast.BinOp, depth: int) -> Evaluator:
        op = _BINARY.get(type(node.op))
        if op is None:
            symbol = _BINARY_SYMBOL.get(type(node.op), type(node.op).__name__)
            raise self.error(f"unsupported operator '{symbol}'")
        left, right = self.compile(node.left, depth), self.compile(node.right, depth)
        return lambda env: op(_number(left(env)), _number(right(env)))

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Evaluator:
        operand = self.compile(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return lambda env: -_number(operand(env))
        if isinstance(node.op, ast.UAdd):
            return lambda env: +_number(operand(env))
        if isinstance(node.op, ast.Not):
            return lambda env: not operand(env)
        raise self.error("unsupported operator '~'")

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Evaluator:
        parts = [self.compile(value, depth) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(bool(part(env)) for part in parts)
        return lambda env: any(bool(part(env)) for part in parts)

    def _Compare(self, node: ast.Compare, depth: int) -> Evaluator:
        left = self.compile(node.left, depth)
        steps: list[tuple[Callable[[Any, Any], bool], Evaluator]] = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                options = self._literal_list(comparator)
                negate = isinstance(op, ast.NotIn)
                steps.append(
                    (
                        lambda a, b, negate=negate: (a in b) != negate,
                        lambda env, options=options: options,
                    )
                )
                continue
            function = _COMPARE.get(type(op))
            if function is None:
                raise self.error("unsupported comparison ('is' / 'is not'); use == or !=")
            steps.append((function, self.compile(comparator, depth)))

        def run(env: Env) -> bool:
            current = left(env)
            for function, right in steps:
                following = right(env)
                if not function(current, following):
                    return False
                current = following
            return True

        return run

    def _literal_list(self, node: ast.AST) -> tuple[Any, ...]:
        if not isinstance(node, (ast.List, ast.Tuple)) or not all(
            isinstance(item, ast.Constant) and isinstance(item.value, (int, float, str))
            for item in node.elts
        ):
            raise self.error("'in' needs a literal list, e.g. x in ['office', 'retail']")
        return tuple(item.value for item in node.elts)  # type: ignore[attr-defined]

    def _IfExp(self, node: ast.IfExp, depth: int) -> Evaluator:
        test = self.compile(node.test, depth)
        body = self.compile(node.body, depth)
        orelse = self.compile(node.orelse, depth)
        return lambda env: body(env) if test(env) else orelse(env)

    def _Call(self, node: ast.Call, depth: int) -> Evaluator:
        if not isinstance(node.func, ast.Name):
            raise self.error("only the functions " + ", ".join(self.functions) + " may be called")
        name = node.func.id
        if name not in self.functions:
            raise self.error(
                f"unknown function '{name}' (allowed: {', '.join(sorted(self.functions))})"
            )
        if node.keywords:
            raise self.error(f"{name}() takes no keyword arguments")
        function, low, high = self.functions[name]
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise self.error(f"{name}() takes {expected} arguments, got {len(node.args)}")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.error(f"{name}() does not take *arguments")
        args = [self.compile(arg, depth) for arg in node.args]
        return lambda env: function(*(_number(arg(env)) for arg in args))


def _number(value: Any) -> Any:
    # Booleans are ints in Python; keep them out of arithmetic so `True * 3` is an error.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {value!r}")
    return value


def _describe(node: ast.AST) -> str:
    labels = {
        "Lambda": "lambda",
        "ListComp": "list comprehension",
        "SetComp": "set comprehension",
        "DictComp": "dict comprehension",
        "GeneratorExp": "generator expression",
        "Subscript": "subscript [...]",
        "NamedExpr": "assignment :=",
        "JoinedStr": "f-string",
        "Await": "await",
        "Yield": "yield",
        "YieldFrom": "yield",
        "Starred": "*unpacking",
        "List": "list (only allowed after 'in')",
        "Tuple": "tuple",
        "Dict": "dict",
        "Set": "set",
        "Slice": "slice",
    }
    name = type(node).__name__
    return labels.get(name, name)


def _unknown_name_message(name: str, known: frozenset[str]) -> str:
    # List only the relevant family: parameters for `param.x`, facts otherwise.
    is_param = name.startswith("param.")
    family = sorted(k for k in known if k.startswith("param.") == is_param)
    close = difflib.get_close_matches(name, family, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    label = "known parameters" if is_param else "known names"
    return f"unknown name '{name}' ({hint}{label}: {_list_known(family) or 'none'})"


def _list_known(known: Iterable[str]) -> str:
    names = sorted(known)
    if len(names) > 40:
        return ", ".join(names[:40]) + f", … ({len(names) - 40} more)"
    return ", ".join(names)


def compile_expression(
    text: str,
    *,
    known_names: Iterable[str] | None = None,
    functions: Mapping[str, tuple[Callable[..., Any], int, int]] | None = None,
) -> Expression:
    """Parse and check `text` once; raise ExpressionError on anything not whitelisted.

    `known_names`, when given, makes an unknown name a compile-time error listing the
    known ones; otherwise unknown names surface at evaluation as MissingName.
    """
    if not isinstance(text, str):
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = repr(text)
        else:
            raise ExpressionError(f"expected an expression as text, got {text!r}")
    source = text.strip()
    if not source:
        raise ExpressionError("empty expression")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}", text=source) from None
    except (ValueError, RecursionError, MemoryError):
        # e.g. a NUL byte, or nesting the parser itself refuses
        raise ExpressionError("cannot be parsed", text=source) from None
    compiler = _Compiler(
        source,
        frozenset(known_names) if known_names is not None else None,
        functions if functions is not None else FUNCTIONS,
    )
    run = compiler.compile(tree)
    return Expression(
        text=source,
        names=frozenset(compiler.names),
        tree=tree,
        _run=run,
        _template=_Template.of(source),
    )
