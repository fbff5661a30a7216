"""Run a council's rules against a statement: one RuleResult per rule in force.

The engine is pure: it reads the statement, where each commitment was placed (the geo
module decides what is "local") and the parameters in force on the assessment date. Every
result says which inputs and parameter values produced it, so an officer can check it by
hand and an assessment can be reproduced from its record.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import format_number
from planning_sv.core.measures import ConversionError, Measure
from planning_sv.core.placement import Placement
from planning_sv.core.rules.expressions import Expression, ExpressionError, MissingName
from planning_sv.core.rules.model import (
    DESCRIBED_UNITS,
    DESIGNATION_PREFIX,
    DEVELOPMENT_NAMES,
    ConvertOverride,
    Rule,
    designation_env,
    development_env,
    missing_fact_path,
)
from planning_sv.core.rules.parameters import UsedParameter, parameters_on
from planning_sv.core.statement import Commitment, Statement

if TYPE_CHECKING:
    from planning_sv.core.plans import CouncilPlan


@dataclass(frozen=True)
class CountedCommitment:
    id: str
    measure: str
    quantity: float  # as stated
    unit: str
    counted: float  # after any unit conversion (catalogue or the rule's override)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "measure": self.measure,
            "quantity": self.quantity,
            "unit": self.unit,
            "counted": self.counted,
            "note": self.note,
        }


@dataclass(frozen=True)
class ExcludedCommitment:
    id: str
    measure: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "measure": self.measure, "reason": self.reason}


@dataclass(frozen=True)
class RuleResult:
    id: str
    title: str
    citation: dict[str, Any]
    status: str
    required: float | None
    proposed: float | None
    shortfall: float | None
    unit: str
    explanation: str
    inputs: dict[str, Any] = field(default_factory=dict)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    counted: list[CountedCommitment] = field(default_factory=list)
    excluded: list[ExcludedCommitment] = field(default_factory=list)
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "citation": dict(self.citation),
            "status": self.status,
            "required": self.required,
            "proposed": self.proposed,
            "shortfall": self.shortfall,
            "unit": self.unit,
            "explanation": self.explanation,
            "inputs": dict(self.inputs),
            "parameters": [dict(p) for p in self.parameters],
            "counted": [c.to_dict() for c in self.counted],
            "excluded": [e.to_dict() for e in self.excluded],
            "evidence": self.evidence,
        }


class RuleEvaluationError(ExpressionError):
    """A rule that cannot be evaluated: a fault in the pack, not in the statement."""


def evaluate(
    plan: CouncilPlan,
    statement: Statement,
    placements: Mapping[str, Placement],
    on: dt.date,
    *,
    explain: bool = True,
) -> list[RuleResult]:
    """Evaluate every rule of `plan` in force on `on`, in pack order.

    `explain=False` leaves the explanation sentences out (their substituted expressions
    are most of a rule's cost): for bulk comparisons such as `plans impact`.

    Raises InputInvalid when a rule needs a development fact the statement left out (one
    Problem per missing field), and RuleEvaluationError for faults in the pack itself.
    """
    base_env: dict[str, Any] = dict(development_env(statement.development))
    base_env.update(
        designation_env(statement.site.designation, (d.code for d in plan.designations))
    )
    param_env, used_params = parameters_on(plan.parameters, on)
    base_env.update(param_env)
    definitions = _define(plan, base_env)
    results: list[RuleResult] = []
    missing: dict[str, list[str]] = {}
    for rule in plan.rules:
        if not rule.in_force(on):
            continue
        try:
            results.append(
                _evaluate_rule(
                    rule,
                    statement.commitments,
                    placements,
                    base_env,
                    used_params,
                    plan.measures,
                    on,
                    definitions.uses,
                    explain,
                )
            )
        except _NeedsFact as exc:
            name = definitions.missing.get(exc.name, exc.name)
            missing.setdefault(missing_fact_path(name) or "$.development", []).append(rule.id)
    if missing:
        raise InputInvalid(
            Problem(path, f"needed by rule {', '.join(dict.fromkeys(ids))}")
            for path, ids in missing.items()
        )
    return results


class _NeedsFact(Exception):
    def __init__(self, name: str):
        self.name = name


@dataclass
class _Defined:
    """The plan's definitions evaluated for one statement."""

    uses: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> names it read
    missing: dict[str, str] = field(default_factory=dict)  # name -> the fact it lacked


def _define(plan: CouncilPlan, env: dict[str, Any]) -> _Defined:
    """Add each definition's value to `env`; one that lacks an optional fact is left out.

    It is only a fault if a rule in force needs it: that rule then asks for the fact.
    """
    defined = _Defined()
    for definition in plan.definitions:
        uses = set(definition.expression.names)
        for name in definition.expression.names:
            uses |= defined.uses.get(name, frozenset())
        defined.uses[definition.name] = frozenset(uses)
        lacking = next((n for n in definition.expression.names if n in defined.missing), None)
        if lacking is not None:
            defined.missing[definition.name] = defined.missing[lacking]
            continue
        try:
            env[definition.name] = definition.expression.evaluate(env)
        except MissingName as exc:
            # A parameter with no value on this date (an application validated before the
            # plan's figures) leaves the definition out: only a rule in force that needs it
            # is at fault, and no rule is in force before its figures are.
            if missing_fact_path(exc.name) is None and not exc.name.startswith("param."):
                raise RuleEvaluationError(
                    exc.message, text=definition.expression.text, field=definition.name
                ) from None
            defined.missing[definition.name] = exc.name
        except ExpressionError as exc:
            raise RuleEvaluationError(
                exc.message, text=definition.expression.text, field=definition.name
            ) from None
    return defined


def _run(
    expression: Expression, env: Mapping[str, Any], rule: Rule, field_name: str, on_missing: bool
) -> Any:
    try:
        return expression.evaluate(env)
    except MissingName as exc:
        # Every other name was checked when the pack loaded: what is missing now is an
        # optional fact the statement left out (directly or through a definition).
        if on_missing and not exc.name.startswith("param."):
            raise _NeedsFact(exc.name) from None
        if exc.name.startswith("param."):
            message = f"parameter '{exc.name.removeprefix('param.')}' has no value on this date"
        else:
            message = exc.message
        raise RuleEvaluationError(
            message, text=expression.text, rule_id=rule.id, field=field_name
        ) from None
    except ExpressionError as exc:
        raise RuleEvaluationError(
            exc.message, text=expression.text, rule_id=rule.id, field=field_name
        ) from None


def _evaluate_rule(
    rule: Rule,
    commitments: Sequence[Commitment],
    placements: Mapping[str, Placement],
    env: Mapping[str, Any],
    used_params: Mapping[str, UsedParameter],
    measures: Mapping[str, Measure],
    on: dt.date,
    definition_uses: Mapping[str, frozenset[str]] | None = None,
    explain: bool = True,
) -> RuleResult:
    used_names: set[str] = set()
    sentences: list[str] = []
    uses = definition_uses or {}

    def finish(status: str, **values: Any) -> RuleResult:
        # A definition the rule used brings the facts and parameters it read.
        read = set(used_names)
        for name in used_names:
            read |= uses.get(name, frozenset())
        inputs = {
            name: env[name]
            for name in sorted(read)
            if name in env
            and (name in DEVELOPMENT_NAMES or name in uses or name.startswith(DESIGNATION_PREFIX))
        }
        params = [
            used_params[name.removeprefix("param.")].as_dict()
            for name in sorted(read)
            if name.startswith("param.") and name.removeprefix("param.") in used_params
        ]
        return RuleResult(
            id=rule.id,
            title=rule.title,
            citation=rule.citation_on(on),
            status=status,
            unit=rule.unit,
            explanation=" ".join(sentences),
            inputs=inputs,
            parameters=params,
            evidence=rule.evidence,
            **values,
        )

    if rule.applies_when is not None:
        used_names |= rule.applies_when.names
        applies = bool(_run(rule.applies_when, env, rule, "applies_when", True))
        if not applies:
            if explain:
                sentences.append(
                    f"Does not apply: `{rule.applies_when.text}` is false "
                    f"({rule.applies_when.substituted(env)})."
                )
            return finish("not_applicable", required=None, proposed=None, shortfall=None)
        if explain:
            sentences.append(
                f"Applies: `{rule.applies_when.text}` ({rule.applies_when.substituted(env)})."
            )

    required: float | None = None
    if rule.requires is not None:
        used_names |= rule.requires.names
        raw = _run(rule.requires, env, rule, "requires", True)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise RuleEvaluationError(
                f"must give a number, gave {raw!r}",
                text=rule.requires.text,
                rule_id=rule.id,
                field="requires",
            )
        required = float(raw)
        clamped = ""
        if required < 0:
            required = 0.0
            clamped = " (negative, so nothing)"
        if explain:
            sentences.append(
                f"Required: {rule.requires.substituted(env)} = {format_number(raw, rule.unit)}{clamped}"
                + _provenance(rule.requires.names, env, used_params)
                + "."
            )

    counted, excluded = _count(rule, commitments, placements, env, measures, on)
    for commitment in counted:
        override = rule.counts.overrides.get(commitment.unit)
        if override is not None:
            used_names.update(override.per.names)
    proposed = float(sum(c.counted for c in counted))
    if explain:
        sentences.append(_proposed_sentence(rule, counted, excluded, proposed))

    if required is None:
        # Evidence-only rule: the requirement is a document, not a quantity.
        status = "needs_evidence" if counted else "fail"
        sentences.append(
            f"Needs evidence: {rule.evidence}."
            if counted
            else f"Fail: no commitment towards {rule.evidence or rule.title}."
        )
        return finish(
            status,
            required=None,
            proposed=proposed,
            shortfall=None,
            counted=counted,
            excluded=excluded,
        )

    grade, how = _grade(rule, env, required, proposed, used_names)
    status = grade
    verdict = f"{_of(proposed, required, rule.unit)}: {grade}{how}."
    if rule.evidence:
        if not counted:
            status = "fail"
            verdict = f"No commitment counts towards it: fail (needs {rule.evidence})."
        elif grade == "pass":
            status = "needs_evidence"
            verdict = (
                f"{_of(proposed, required, rule.unit)} meets the quantity; "
                f"needs evidence: {rule.evidence}."
            )
    sentences.append(verdict)
    return finish(
        status,
        required=required,
        proposed=proposed,
        shortfall=max(required - proposed, 0.0),
        counted=counted,
        excluded=excluded,
    )


def _grade(
    rule: Rule, env: Mapping[str, Any], required: float, proposed: float, used: set[str]
) -> tuple[str, str]:
    grading_env = {**env, "required": required, "proposed": proposed}
    if rule.grading.pass_ is not None:
        used |= rule.grading.pass_.names
        passed = bool(_run(rule.grading.pass_, grading_env, rule, "grading.pass", False))
        how_pass = f" (`{rule.grading.pass_.text}`)"
    else:
        passed = proposed >= required
        how_pass = ""
    if passed:
        return "pass", how_pass
    if rule.grading.partial is not None:
        used |= rule.grading.partial.names
        if bool(_run(rule.grading.partial, grading_env, rule, "grading.partial", False)):
            return "partial", f" (`{rule.grading.partial.text}`)"
    return "fail", ""


def _count(
    rule: Rule,
    commitments: Sequence[Commitment],
    placements: Mapping[str, Placement],
    env: Mapping[str, Any],
    measures: Mapping[str, Measure],
    on: dt.date,
) -> tuple[list[CountedCommitment], list[ExcludedCommitment]]:
    counts = rule.counts
    counted: list[CountedCommitment] = []
    excluded: list[ExcludedCommitment] = []
    for commitment in commitments:
        if commitment.measure not in counts.measures:
            continue

        def exclude(reason: str, commitment: Commitment = commitment) -> None:
            excluded.append(ExcludedCommitment(commitment.id, commitment.measure, reason))

        if counts.units is not None and commitment.unit not in counts.units:
            exclude(f"other unit: {commitment.unit} (counts {', '.join(counts.units)})")
            continue
        notes: list[str] = []
        if counts.phase is not None:
            if commitment.phase is None:
                # An unstated phase is taken at the applicant's word; the officer sees why.
                notes.append(f"phase not stated, taken as {counts.phase}")
            elif commitment.phase != counts.phase:
                exclude(f"wrong phase: {commitment.phase} (counts {counts.phase})")
                continue
        if counts.local_only:
            placement = placements.get(commitment.id)
            if placement is None:
                exclude("not local: location not placed")
                continue
            area = counts.local_area
            if not placement.local and area is not None and placement.district in area.districts:
                district = area.districts[placement.district]
                notes.append(f"local: in {district}, one of the {area.name} districts")
            elif not placement.local:
                reason = placement.local_reason or "outside the council's local area"
                if area is not None:
                    reason += f", and not in the {area.name} districts"
                exclude(f"not local: {reason}")
                continue
        if counts.each is not None:
            quantity = _one_each(commitment, notes)
        elif commitment.unit == rule.unit:
            quantity = commitment.quantity
        elif commitment.unit in counts.overrides:
            quantity = _overridden(
                rule, commitment, counts.overrides[commitment.unit], env, measures, on, notes
            )
        else:
            quantity = _by_catalogue(rule, commitment, measures, on, notes)
        counted.append(
            CountedCommitment(
                id=commitment.id,
                measure=commitment.measure,
                quantity=commitment.quantity,
                unit=commitment.unit,
                counted=float(quantity),
                note="; ".join(notes),
            )
        )
    return counted, excluded


def _one_each(commitment: Commitment, notes: list[str]) -> float:
    """`each: commitment`: one for a commitment to something, none for a quantity of 0."""
    if commitment.unit in DESCRIBED_UNITS or commitment.quantity > 0:
        return 1.0
    notes.append(f"quantity {format_number(commitment.quantity)}: nothing committed")
    return 0.0


def _by_catalogue(
    rule: Rule,
    commitment: Commitment,
    measures: Mapping[str, Measure],
    on: dt.date,
    notes: list[str],
) -> float:
    """The commitment in the rule's unit by the measures catalogue, the one conversion."""
    measure = measures.get(commitment.measure)
    try:
        if measure is None:
            raise ConversionError(f"measure '{commitment.measure}' is not in the catalogue")
        converted = measure.convert(commitment.quantity, commitment.unit, rule.unit, on=on)
    except ConversionError as exc:
        # plans check makes sure the conversion exists from effective_from: a pack fault.
        raise RuleEvaluationError(
            str(exc), text=commitment.unit, rule_id=rule.id, field="counts.units"
        ) from None
    notes.append(
        f"{format_number(commitment.quantity, commitment.unit)} converted to "
        f"{format_number(converted.value, rule.unit)} by the measures catalogue: "
        f"{converted.summary}"
    )
    return converted.value


_ROUNDED = {
    "none": "",
    "floor": ", rounded down",
    "ceil": ", rounded up",
    "round": ", rounded",
}


def _overridden(
    rule: Rule,
    commitment: Commitment,
    override: ConvertOverride,
    env: Mapping[str, Any],
    measures: Mapping[str, Measure],
    on: dt.date,
    notes: list[str],
) -> float:
    """The rule's own conversion, with the reason and what the catalogue would have said."""
    field_name = f"counts.convert_override.{commitment.unit}.per"
    per = _run(override.per, env, rule, field_name, False)
    if isinstance(per, bool) or not isinstance(per, (int, float)) or not math.isfinite(per):
        raise RuleEvaluationError(
            f"must give a number, gave {per!r}",
            text=override.per.text,
            rule_id=rule.id,
            field=field_name,
        )
    if per <= 0:
        raise RuleEvaluationError(
            f"must be more than 0, gave {format_number(per)}",
            text=override.per.text,
            rule_id=rule.id,
            field=field_name,
        )
    exact = commitment.quantity / per
    if override.rounding == "floor":
        value = float(math.floor(exact))
    elif override.rounding == "ceil":
        value = float(math.ceil(exact))
    elif override.rounding == "round":
        value = float(math.floor(exact + 0.5))  # halves up, as the expressions' round()
    else:
        value = exact
    measure = measures.get(commitment.measure)
    catalogue = "the measures catalogue has no conversion between these units"
    if measure is not None:
        try:
            would = measure.convert(commitment.quantity, commitment.unit, rule.unit, on=on)
        except ConversionError:
            pass
        else:
            catalogue = (
                f"the measures catalogue would count {format_number(would.value, rule.unit)}: "
                f"{would.summary}"
            )
    notes.append(
        f"{format_number(commitment.quantity, commitment.unit)} counted as "
        f"{format_number(value, rule.unit)} of {format_number(per, commitment.unit)} each"
        f"{_ROUNDED[override.rounding]}, by this rule's override: {override.reason}; {catalogue}"
    )
    return value


def _proposed_sentence(
    rule: Rule,
    counted: Sequence[CountedCommitment],
    excluded: Sequence[ExcludedCommitment],
    proposed: float,
) -> str:
    what = " / ".join(m.replace("_", " ") for m in rule.counts.measures)
    conditions = []
    if rule.counts.each is not None:
        conditions.append("one each")
    if rule.counts.local_only:
        conditions.append("local only")
    if rule.counts.phase:
        conditions.append(f"{rule.counts.phase.replace('_', ' ')} phase only")
    scope = f"{what} commitments" + (f", {', '.join(conditions)}" if conditions else "")
    if counted:
        parts = []
        for item in counted:
            note = f", {item.note}" if item.note else ""
            parts.append(f"{item.id}: {format_number(item.counted, rule.unit)}{note}")
        sentence = (
            f"Proposed: {format_number(proposed, rule.unit)} counting {scope} ({'; '.join(parts)})."
        )
    else:
        sentence = f"Proposed: nothing counting {scope}."
    if excluded:
        sentence += " Not counted: " + "; ".join(f"{e.id} ({e.reason})" for e in excluded) + "."
    return sentence


def _provenance(
    names: frozenset[str], env: Mapping[str, Any], used_params: Mapping[str, UsedParameter]
) -> str:
    parts = []
    for name in sorted(names):
        if name.startswith("param."):
            used = used_params.get(name.removeprefix("param."))
            if used is None:
                continue
            parts.append(
                f"param {used.name} = {format_number(used.value)}"
                + (f" {used.unit}" if used.unit else "")
                + f" (from {used.start.isoformat()}, {used.confidence})"
            )
        elif name in env:
            parts.append(f"{name} = {format_number(env[name])}")
    return f", with {'; '.join(parts)}" if parts else ""


def _of(proposed: float, required: float, unit: str) -> str:
    if unit == "gbp":
        return f"{format_number(proposed, unit)} of {format_number(required, unit)}"
    return f"{format_number(proposed)} of {format_number(required, unit)}"
