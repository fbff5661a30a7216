"""Rules as data: safe expressions, dated parameters, the engine and scenario tests."""

from planning_sv.core.rules.engine import RuleEvaluationError, RuleResult, evaluate
from planning_sv.core.rules.expressions import Expression, ExpressionError, compile_expression

__all__ = [
    "Expression",
    "ExpressionError",
    "RuleEvaluationError",
    "RuleResult",
    "compile_expression",
    "evaluate",
]
