"""Council plans: `local_plans/<council>/{plan,parameters,rules}.yaml` loaded and checked.

A pack is data written by council staff, so loading it checks everything a rule could trip
over at assessment time (schema, dates, citations, expressions, measures) and reports each
fault with the file and the path inside it. `check_plans()` returns those problems;
`load_plans()` refuses to hand out a pack that has any.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from planning_sv.config import LOCAL_PLANS_DIR
from planning_sv.core.cases import MAX_TARGET_DAYS, CaseTarget
from planning_sv.core.errors import InputInvalid, Problem, json_path
from planning_sv.core.measures import ConversionError, Measure, load_measures
from planning_sv.core.register import PlanningRegister, register_problems
from planning_sv.core.rules.expressions import Expression, ExpressionError, compile_expression
from planning_sv.core.rules.model import (
    COMMITMENTS_UNIT,
    DEVELOPMENT_NAMES,
    GRADING_NAMES,
    ROUNDINGS,
    ConvertOverride,
    Counts,
    DatedCitation,
    Definition,
    Designation,
    Grading,
    LocalArea,
    Rule,
    designation_names,
)
from planning_sv.core.rules.parameters import Parameter, ParameterValue

LOCAL_KINDS = ("borough", "wards", "within_m_of_site", "imd_deciles")
CITATION_FIELDS = ("document", "policy", "paragraph", "url")
PHASES = ("construction", "end_use", "operation")


class PlansInvalid(InputInvalid):
    """One or more rule packs have faults; `problems` lists each with file and path."""


@dataclass(frozen=True)
class CouncilPlan:
    code: str
    name: str
    lad_code: str
    boundary_vintage: str
    pack_version: str
    local_definition: dict[str, Any]
    rules: tuple[Rule, ...]
    parameters: dict[str, Parameter]
    folder: Path | None = field(default=None, compare=False)
    # The measures catalogue the pack was checked against; the engine converts units by it.
    measures: dict[str, Measure] = field(default_factory=dict, compare=False, repr=False)
    organisation: str | None = None  # planning.data.gov.uk CURIE, e.g. local-authority:ISL
    designations: tuple[Designation, ...] = ()
    definitions: tuple[Definition, ...] = ()  # in the order they may use each other
    local_areas: dict[str, LocalArea] = field(default_factory=dict)
    # Its application references' shape and public register (core/register.py), if set.
    planning_register: PlanningRegister | None = None
    # The target period for an officer's decision (core/cases.py; plan.yaml `case_target`).
    case_target: CaseTarget = field(default_factory=CaseTarget)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# --- YAML shapes (pydantic gives typed errors with locations for free) -------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


NonEmpty = Annotated[str, Field(min_length=1)]


class DesignationSpec(_Spec):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: NonEmpty
    hint: str = ""
    boundaries: str | None = None


class LocalAreaSpec(_Spec):
    name: NonEmpty
    # LAD code -> name, so explanations name the district ("in Bolton").
    districts: Annotated[
        dict[Annotated[str, Field(pattern=r"^[EWSN]\d{8}$")], NonEmpty], Field(min_length=1)
    ]
    source: str | None = None


class DefinitionSpec(_Spec):
    expression: str | int | float
    description: NonEmpty
    citation: dict[str, Any]


class PlanningRegisterSpec(_Spec):
    reference_pattern: NonEmpty
    reference_example: NonEmpty
    url_template: NonEmpty
    name: NonEmpty = "the council's planning register"
    source: str | None = None  # where the shape and address were read


class CaseTargetSpec(_Spec):
    # Days from the validation date to the target date for a decision (core/cases.py).
    days: Annotated[int, Field(ge=1, le=MAX_TARGET_DAYS)]
    citation: NonEmpty  # the rule or policy that sets the period


class PlanSpec(_Spec):
    council: NonEmpty
    name: NonEmpty
    lad_code: Annotated[str, Field(pattern=r"^[EWSN]\d{8}$")]
    boundary_vintage: NonEmpty
    pack_version: NonEmpty
    local: dict[str, Any]
    # The council's CURIE in planning.data.gov.uk's organisation dataset (local-authority:ISL):
    # the `organisation` column of the developer contributions exports.
    organisation: Annotated[str, Field(pattern=r"^[a-z][a-z-]*:[A-Z0-9]{2,8}$")] | None = None
    description: str | None = None
    notes: str | None = None
    designations: list[DesignationSpec] = Field(default_factory=list)
    definitions: dict[str, DefinitionSpec] = Field(default_factory=dict)
    local_areas: dict[str, LocalAreaSpec] = Field(default_factory=dict)
    planning_register: PlanningRegisterSpec | None = None
    # Absent: core.cases.DEFAULT_TARGET_DAYS (56 days, DMPO 2015 art. 34(2)(c)).
    case_target: CaseTargetSpec | None = None

    @field_validator("boundary_vintage", "pack_version", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2025 as a number; accept it as the text it means.
        return str(value) if isinstance(value, (int, float)) else value


class ValueSpec(_Spec):
    from_: dt.date = Field(alias="from")
    value: float | int | str | bool | None
    # A value restated by a later document cites that document (OpenFisca style); without
    # one the parameter's own reference and confidence apply.
    reference: dict[str, Any] | None = None
    confidence: Literal["verified", "unverified"] | None = None
    notes: str | None = None


class ParameterSpec(_Spec):
    description: NonEmpty
    unit: str = ""
    reference: dict[str, Any]
    confidence: Literal["verified", "unverified"]
    values: Annotated[list[ValueSpec], Field(min_length=1)]
    notes: str | None = None


class ParametersSpec(_Spec):
    # Each parameter is validated on its own so one bad entry does not hide the others.
    parameters: dict[str, Any] = Field(default_factory=dict)


Text = str | int | float


class OverrideSpec(_Spec):
    per: Text
    rounding: Literal[ROUNDINGS] = "none"  # type: ignore[valid-type]
    reason: NonEmpty


class CountsSpec(_Spec):
    measures: Annotated[list[NonEmpty], Field(min_length=1)]
    units: list[NonEmpty] | None = None
    phase: Literal["construction", "end_use", "operation"] | None = None
    local_only: bool = False
    each: Literal["commitment"] | None = None
    local_area: str | None = None  # a name from the plan's `local_areas`
    convert_override: dict[str, OverrideSpec] = Field(default_factory=dict)
    # Replaced by the measures catalogue: accepted here only to say so (see _load_counts).
    convert: Any = None


class GradingSpec(_Spec):
    pass_: Text | None = Field(default=None, alias="pass")
    partial: Text | None = None


class DatedCitationSpec(_Spec):
    from_: dt.date = Field(alias="from")
    document: Any = None
    policy: Any = None
    paragraph: Any = None
    url: Any = None


class RuleSpec(_Spec):
    id: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9\-_.]*$")]
    title: NonEmpty
    # One citation, or the documents the rule is in, each from the date it took effect.
    citation: dict[str, Any] | Annotated[list[DatedCitationSpec], Field(min_length=1)]
    effective_from: dt.date
    effective_to: dt.date | None = None
    applies_when: Text | None = None
    requires: Text | None = None
    unit: NonEmpty
    counts: CountsSpec
    grading: GradingSpec | None = None
    evidence: str | None = None
    description: str | None = None
    notes: str | None = None


class RulesSpec(_Spec):
    rules: list[RuleSpec]


# --- loading ----------------------------------------------------------------------------


_UNREADABLE = object()


def _read_yaml(path: Path, label: str, problems: list[Problem]) -> Any:
    """The file's data, or _UNREADABLE after recording why (so no schema noise follows)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(Problem(label, "file missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problems.append(Problem(label, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
    except OSError as exc:
        problems.append(Problem(label, f"cannot read: {exc.strerror}"))
    return _UNREADABLE


def _validate(spec: type[BaseModel], data: Any, label: str, problems: list[Problem]) -> Any:
    if data is _UNREADABLE:
        return None
    try:
        return spec.model_validate(data)
    except ValidationError as exc:
        for item in exc.errors():
            loc = [part for part in item["loc"] if not str(part).startswith("function-")]
            path = json_path(loc)
            # Nested validation passes a label that already ends in a JSON path.
            full = f"{label}{path[1:]}" if " $" in label else f"{label} {path}"
            problems.append(Problem(full, item["msg"]))
        return None


def _check_citation(citation: dict[str, Any], where: str, problems: list[Problem]) -> None:
    for key in CITATION_FIELDS:
        value = citation.get(key)
        if not isinstance(value, (str, int, float)) or not str(value).strip():
            problems.append(Problem(f"{where}.{key}", "citation needs a non-empty " + key))
    url = citation.get("url")
    if isinstance(url, str) and url.strip() and not re.match(r"^https?://\S+$", url.strip()):
        problems.append(Problem(f"{where}.url", f"not a web address: {url!r}"))


def _compile(
    text: Text | None,
    known: frozenset[str],
    where: str,
    rule_id: str,
    field_name: str,
    problems: list[Problem],
) -> Expression | None:
    if text is None:
        return None
    try:
        return compile_expression(str(text), known_names=known)
    except ExpressionError as exc:
        problems.append(Problem(where, f"{rule_id} {field_name}: {exc.message} (in `{text}`)"))
        return None


def _load_parameters(
    spec: ParametersSpec, label: str, problems: list[Problem]
) -> dict[str, Parameter]:
    parameters: dict[str, Parameter] = {}
    for name, raw in spec.parameters.items():
        where = f"{label} $.parameters.{name}"
        item = _validate(ParameterSpec, raw, where, problems)
        if item is None:
            continue
        if not re.match(r"^[a-z][a-z0-9_]*$", name):
            problems.append(Problem(where, "name must be lower_snake_case"))
        _check_citation(item.reference, f"{where}.reference", problems)
        for position, value in enumerate(item.values):
            if value.reference is not None:
                _check_citation(value.reference, f"{where}.values[{position}].reference", problems)
        starts = [value.from_ for value in item.values]
        if len(set(starts)) != len(starts):
            problems.append(Problem(f"{where}.values", "two values start on the same date"))
        if starts != sorted(starts):
            problems.append(
                Problem(f"{where}.values", "values must be in date order, oldest first")
            )
        parameters[name] = Parameter(
            name=name,
            description=item.description,
            unit=item.unit,
            reference=dict(item.reference),
            confidence=item.confidence,
            values=tuple(
                ParameterValue(
                    start=v.from_,
                    value=v.value,
                    reference=dict(v.reference) if v.reference is not None else None,
                    confidence=v.confidence,
                )
                for v in sorted(item.values, key=lambda v: v.from_)
            ),
            notes=item.notes,
        )
    return parameters


def _load_rule(
    index: int,
    spec: RuleSpec,
    parameters: dict[str, Parameter],
    declared: set[str],
    measures: dict[str, Measure],
    label: str,
    problems: list[Problem],
    plan_names: frozenset[str] = frozenset(),
    local_areas: dict[str, LocalArea] | None = None,
) -> Rule | None:
    where = f"{label} $.rules[{index}]"
    before = len(problems)
    citations = _load_citations(spec, where, problems)
    if spec.effective_to is not None and spec.effective_to < spec.effective_from:
        problems.append(Problem(f"{where}.effective_to", "is before effective_from"))
    if spec.requires is None and not spec.evidence:
        problems.append(
            Problem(
                f"{where}.requires", "give what the rule requires (only evidence rules may omit it)"
            )
        )

    # Declared-but-invalid parameters count as known: their fault is reported once, above.
    params = frozenset(f"param.{name}" for name in declared | set(parameters))
    facts = DEVELOPMENT_NAMES | params | plan_names
    applies = _compile(
        spec.applies_when, facts, f"{where}.applies_when", spec.id, "applies_when", problems
    )
    requires = _compile(spec.requires, facts, f"{where}.requires", spec.id, "requires", problems)
    grading_spec = spec.grading or GradingSpec()
    grade_pass = _compile(
        grading_spec.pass_,
        facts | GRADING_NAMES,
        f"{where}.grading.pass",
        spec.id,
        "grading.pass",
        problems,
    )
    grade_partial = _compile(
        grading_spec.partial,
        facts | GRADING_NAMES,
        f"{where}.grading.partial",
        spec.id,
        "grading.partial",
        problems,
    )

    overrides = _load_counts(spec, measures, facts, where, problems)
    local_area = None
    if spec.counts.local_area is not None:
        local_area = (local_areas or {}).get(spec.counts.local_area)
        if local_area is None:
            known = ", ".join(sorted(local_areas or {})) or "none in plan.yaml `local_areas`"
            problems.append(
                Problem(
                    f"{where}.counts.local_area",
                    f"unknown local area '{spec.counts.local_area}' (known: {known})",
                )
            )
    # A parameter used by the rule must have a value for the whole time the rule is in force.
    checked = [
        ("applies_when", applies),
        ("requires", requires),
        ("grading.pass", grade_pass),
        ("grading.partial", grade_partial),
        *((f"counts.convert_override.{unit}.per", o.per) for unit, o in overrides.items()),
    ]
    for field_name, expression in checked:
        if expression is None:
            continue
        for name in sorted(n for n in expression.names if n.startswith("param.")):
            parameter = parameters.get(name.removeprefix("param."))
            if parameter is not None and parameter.value_on(spec.effective_from) is None:
                problems.append(
                    Problem(
                        f"{where}.{field_name}",
                        f"parameter '{parameter.name}' has no value on the rule's effective_from "
                        f"{spec.effective_from.isoformat()}",
                    )
                )

    if len(problems) > before:
        return None
    return Rule(
        id=spec.id,
        title=spec.title,
        citation=citations[-1].citation if citations else dict(spec.citation),  # type: ignore[arg-type]
        citations=citations,
        effective_from=spec.effective_from,
        effective_to=spec.effective_to,
        applies_when=applies,
        requires=requires,
        unit=spec.unit,
        counts=Counts(
            measures=tuple(spec.counts.measures),
            units=tuple(spec.counts.units) if spec.counts.units is not None else None,
            phase=spec.counts.phase,
            local_only=spec.counts.local_only,
            each=spec.counts.each,
            overrides=overrides,
            local_area=local_area,
        ),
        grading=Grading(pass_=grade_pass, partial=grade_partial),
        evidence=spec.evidence,
        description=spec.description,
        notes=spec.notes,
    )


def _load_citations(
    spec: RuleSpec, where: str, problems: list[Problem]
) -> tuple[DatedCitation, ...]:
    """A dated list of citations, checked; () for a rule with a single citation."""
    if isinstance(spec.citation, dict):
        _check_citation(spec.citation, f"{where}.citation", problems)
        return ()
    dated: list[DatedCitation] = []
    for position, item in enumerate(spec.citation):
        citation = {key: getattr(item, key) for key in CITATION_FIELDS}
        _check_citation(citation, f"{where}.citation[{position}]", problems)
        dated.append(DatedCitation(start=item.from_, citation=citation))
    starts = [item.start for item in dated]
    if starts != sorted(set(starts)):
        problems.append(
            Problem(f"{where}.citation", "dated citations must be in date order, one per date")
        )
    if starts[0] != spec.effective_from:
        problems.append(
            Problem(
                f"{where}.citation[0].from",
                f"the first citation must start on the rule's effective_from "
                f"{spec.effective_from.isoformat()}",
            )
        )
    return tuple(dated)


def _same_logic(rule: Rule) -> tuple[Any, ...]:
    """What a rule computes, without its dates, citations and words."""

    def text(expression: Expression | None) -> str | None:
        return None if expression is None else " ".join(expression.text.split())

    counts = rule.counts
    return (
        text(rule.applies_when),
        text(rule.requires),
        rule.unit,
        counts.measures,
        counts.units,
        counts.phase,
        counts.local_only,
        counts.each,
        tuple(sorted((unit, text(o.per), o.rounding) for unit, o in counts.overrides.items())),
        text(rule.grading.pass_),
        text(rule.grading.partial),
    )


def _copied_regimes(rules: list[Rule], label: str) -> list[Problem]:
    """Two rules that compute the same thing and differ only in dates are one rule.

    Parameter names are compared with a leading regime prefix such as `spd2016_` removed,
    so a copy that renamed its parameters is still found.
    """

    def unprefixed(key: tuple[Any, ...]) -> str:
        return re.sub(r"param\.[a-z]+\d{4}_", "param.", repr(key))

    problems: list[Problem] = []
    seen: dict[str, Rule] = {}
    for rule in rules:
        key = unprefixed(_same_logic(rule))
        other = seen.setdefault(key, rule)
        if other is not rule:
            problems.append(
                Problem(
                    f"{label} {rule.id}",
                    f"has the same logic as {other.id} and differs only in dates: make it one "
                    "rule whose parameters carry dated values and whose citation is a dated "
                    "list (docs/RULES.md, 'A policy restated by a new document')",
                )
            )
    return problems


def _load_definitions(
    specs: dict[str, DefinitionSpec],
    known: frozenset[str],
    parameters: dict[str, Parameter],
    label: str,
    problems: list[Problem],
) -> tuple[Definition, ...]:
    """Named tests in file order; each may use the facts, parameters and those before it."""
    definitions: list[Definition] = []
    names = set(known)
    for name, spec in specs.items():
        where = f"{label} $.definitions.{name}"
        if not re.match(r"^[a-z][a-z0-9_]*$", name) or name in known:
            problems.append(
                Problem(where, "a definition needs a new lower_snake_case name (not a fact)")
            )
            continue
        _check_citation(spec.citation, f"{where}.citation", problems)
        expression = _compile(
            spec.expression, frozenset(names), f"{where}.expression", name, "expression", problems
        )
        names.add(name)
        if expression is None:
            continue
        for used in sorted(n for n in expression.names if n.startswith("param.")):
            if used.removeprefix("param.") not in parameters:
                problems.append(Problem(where, f"unknown parameter '{used}'"))
        definitions.append(
            Definition(
                name=name,
                expression=expression,
                description=" ".join(spec.description.split()),
                citation=dict(spec.citation),
            )
        )
    return tuple(definitions)


def _load_counts(
    spec: RuleSpec,
    measures: dict[str, Measure],
    facts: frozenset[str],
    where: str,
    problems: list[Problem],
) -> dict[str, ConvertOverride]:
    """Check `counts` against the measures catalogue; the rule's overrides, compiled.

    Every quantity that counts must reach the rule's unit: as it is, by the catalogue's
    conversion (with a value on the rule's effective_from), or by a named override. Rules in
    `commitments` count commitments (`each: commitment`) and nothing else does.
    """
    counts = spec.counts
    here = f"{where}.counts"
    if counts.convert is not None:
        problems.append(
            Problem(
                f"{here}.convert",
                "`convert` expressions are replaced by the measures catalogue: list the unit in "
                "`units` (converted by local_plans/measures.yaml), name a `convert_override` "
                "where the policy counts differently, or count commitments with "
                "`each: commitment`",
            )
        )
    if counts.each is not None and spec.unit != COMMITMENTS_UNIT:
        problems.append(
            Problem(
                f"{here}.each",
                f"`each: commitment` counts commitments: the rule's unit must be "
                f"'{COMMITMENTS_UNIT}', not '{spec.unit}'",
            )
        )
    if counts.each is None and spec.unit == COMMITMENTS_UNIT:
        problems.append(
            Problem(
                f"{here}.each",
                f"a rule in '{COMMITMENTS_UNIT}' must count them with `each: commitment` "
                "(quantities would otherwise be added up as if each were a commitment)",
            )
        )
    if counts.each is not None and counts.convert_override:
        problems.append(
            Problem(
                f"{here}.convert_override",
                "`each: commitment` counts one per commitment: nothing is converted",
            )
        )

    known_units: set[str] = set()
    for position, code in enumerate(counts.measures):
        measure = measures.get(code)
        if measure is None:
            problems.append(
                Problem(
                    f"{here}.measures[{position}]",
                    f"unknown measure '{code}' (known: {', '.join(sorted(measures))})",
                )
            )
            continue
        known_units.update(measure.units)
        if counts.each is not None or spec.unit == COMMITMENTS_UNIT:
            continue  # nothing is converted (a missing `each` is reported above)
        if counts.units is None and len(measure.units) > 1:
            problems.append(
                Problem(
                    f"{here}.units",
                    f"measure '{code}' accepts several units ({', '.join(measure.units)}); say "
                    "which count (units): those not in the rule's unit are converted by the "
                    "measures catalogue or a convert_override",
                )
            )
            continue
        for unit in measure.units:
            if counts.units is not None and unit not in counts.units:
                continue
            if unit == spec.unit or unit in counts.convert_override:
                continue
            _check_catalogue_conversion(measure, unit, spec, f"{here}.units", problems)

    for position, unit in enumerate(counts.units or ()):
        if known_units and unit not in known_units:
            problems.append(
                Problem(f"{here}.units[{position}]", f"no counted measure has unit '{unit}'")
            )

    overrides: dict[str, ConvertOverride] = {}
    for unit, item in counts.convert_override.items():
        at = f"{here}.convert_override.{unit}"
        if known_units and unit not in known_units:
            problems.append(Problem(at, f"no counted measure has unit '{unit}'"))
        elif counts.units is not None and unit not in counts.units:
            problems.append(Problem(at, f"'{unit}' is not one of the counted units (units)"))
        elif unit == spec.unit:
            problems.append(Problem(at, f"'{unit}' is already the rule's unit: nothing to convert"))
        per = _compile(
            item.per, facts, f"{at}.per", spec.id, f"counts.convert_override.{unit}.per", problems
        )
        if per is not None:
            overrides[unit] = ConvertOverride(
                per=per, rounding=item.rounding, reason=" ".join(item.reason.split())
            )
    return overrides


def _check_catalogue_conversion(
    measure: Measure, unit: str, spec: RuleSpec, where: str, problems: list[Problem]
) -> None:
    """The catalogue converts `unit` of `measure` into the rule's unit from effective_from."""
    if not measure.can_convert(unit, spec.unit):
        problems.append(
            Problem(
                where,
                f"{spec.id} counts {measure.code} in {unit}, but the measures catalogue has no "
                f"conversion from {unit} to {spec.unit}: add one to measures.yaml, name a "
                "convert_override, or leave the unit out of `units`",
            )
        )
        return
    try:
        measure.convert(1.0, unit, spec.unit, on=spec.effective_from)
    except ConversionError as exc:
        problems.append(Problem(where, f"{spec.id}: {exc}"))


def _load_pack(
    folder: Path, measures: dict[str, Measure], problems: list[Problem], code: str | None = None
) -> CouncilPlan | None:
    code = code or folder.name
    before = len(problems)
    plan_label = f"{code}/plan.yaml"
    plan = _validate(
        PlanSpec, _read_yaml(folder / "plan.yaml", plan_label, problems), plan_label, problems
    )
    if plan is not None:
        if plan.council != code:
            problems.append(
                Problem(
                    f"{plan_label} $.council",
                    f"'{plan.council}' does not match the folder name '{code}'",
                )
            )
        if plan.planning_register is not None:
            problems += register_problems(
                plan.planning_register.model_dump(), f"{plan_label} $.planning_register"
            )
        kind = plan.local.get("kind")
        if kind not in LOCAL_KINDS:
            problems.append(
                Problem(
                    f"{plan_label} $.local.kind",
                    f"must be one of {', '.join(LOCAL_KINDS)} (got {kind!r})",
                )
            )

    params_label = f"{code}/parameters.yaml"
    parameters: dict[str, Parameter] = {}
    declared: set[str] = set()
    if (folder / "parameters.yaml").exists():
        raw = _read_yaml(folder / "parameters.yaml", params_label, problems)
        spec = _validate(ParametersSpec, {} if raw is None else raw, params_label, problems)
        if spec is not None:
            declared = set(spec.parameters)
            parameters = _load_parameters(spec, params_label, problems)

    designations: tuple[Designation, ...] = ()
    definitions: tuple[Definition, ...] = ()
    if plan is not None:
        designations = tuple(
            Designation(code=d.code, name=d.name, hint=d.hint, boundaries=d.boundaries)
            for d in plan.designations
        )
        codes = [d.code for d in designations]
        if len(set(codes)) != len(codes):
            problems.append(
                Problem(f"{plan_label} $.designations", "two designations share a code")
            )
        definitions = _load_definitions(
            plan.definitions,
            DEVELOPMENT_NAMES
            | designation_names(codes)
            | frozenset(f"param.{name}" for name in declared | set(parameters)),
            parameters,
            plan_label,
            problems,
        )
    local_areas = {
        code: LocalArea(code=code, name=area.name, districts=dict(area.districts))
        for code, area in (plan.local_areas.items() if plan is not None else ())
    }
    plan_names = designation_names(d.code for d in designations) | frozenset(
        d.name for d in definitions
    )

    rules_label = f"{code}/rules.yaml"
    rules: list[Rule] = []
    rules_spec = _validate(
        RulesSpec, _read_yaml(folder / "rules.yaml", rules_label, problems), rules_label, problems
    )
    if rules_spec is not None:
        seen: set[str] = set()
        for index, spec in enumerate(rules_spec.rules):
            if spec.id in seen:
                problems.append(
                    Problem(f"{rules_label} $.rules[{index}].id", f"duplicate rule id '{spec.id}'")
                )
            seen.add(spec.id)
            rule = _load_rule(
                index,
                spec,
                parameters,
                declared,
                measures,
                rules_label,
                problems,
                plan_names,
                local_areas,
            )
            if rule is not None:
                rules.append(rule)
        problems.extend(_copied_regimes(rules, rules_label))

    if plan is None or len(problems) > before:
        return None
    return CouncilPlan(
        code=code,
        name=plan.name,
        lad_code=plan.lad_code,
        boundary_vintage=plan.boundary_vintage,
        pack_version=plan.pack_version,
        local_definition=dict(plan.local),
        rules=tuple(rules),
        parameters=parameters,
        folder=folder,
        measures=measures,
        organisation=plan.organisation,
        designations=designations,
        definitions=definitions,
        local_areas=local_areas,
        planning_register=(
            PlanningRegister(
                reference_pattern=plan.planning_register.reference_pattern,
                reference_example=plan.planning_register.reference_example,
                url_template=plan.planning_register.url_template,
                name=plan.planning_register.name,
            )
            if plan.planning_register is not None
            else None
        ),
        case_target=(
            CaseTarget(days=plan.case_target.days, citation=plan.case_target.citation)
            if plan.case_target is not None
            else CaseTarget()
        ),
    )


def read_draft_pack(
    folder: Path, council: str, root: Path | None = None
) -> tuple[CouncilPlan | None, list[Problem]]:
    """A draft of `council`'s pack kept in any folder (plan.yaml, parameters.yaml,
    rules.yaml), checked like a shipped pack against the shipped measures catalogue."""
    problems: list[Problem] = []
    measures = _measures_for(Path(root or LOCAL_PLANS_DIR))
    plan = _load_pack(Path(folder), measures, problems, code=council)
    return plan, problems


def _pack_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "plan.yaml").exists())


def council_codes(root: Path | None = None) -> list[str]:
    """Codes of the council packs under `root` (their folders), without loading them."""
    root = Path(root or LOCAL_PLANS_DIR)
    return [folder.name for folder in _pack_folders(root)] if root.is_dir() else []


def _measures_for(root: Path) -> dict[str, Measure]:
    path = root / "measures.yaml"
    return load_measures(path if path.exists() else None)


def read_plans(root: Path | None = None) -> tuple[dict[str, CouncilPlan], list[Problem]]:
    """Every pack under `root` that loaded cleanly, and the problems of those that did not."""
    root = Path(root or LOCAL_PLANS_DIR)
    problems: list[Problem] = []
    if not root.is_dir():
        return {}, [Problem(str(root), "rule pack folder not found")]
    measures = _measures_for(root)
    plans: dict[str, CouncilPlan] = {}
    first_seen: dict[str, str] = {}
    for folder in _pack_folders(root):
        plan = _load_pack(folder, measures, problems)
        if plan is None:
            continue
        for rule in plan.rules:
            other = first_seen.setdefault(rule.id, plan.code)
            if other != plan.code:
                problems.append(
                    Problem(
                        f"{plan.code}/rules.yaml", f"rule id '{rule.id}' is also used by {other}"
                    )
                )
        plans[plan.code] = plan
    return plans, problems


def check_plans(root: Path | None = None) -> list[Problem]:
    """Every fault in every pack under `root` (empty when all are valid)."""
    return read_plans(root)[1]


def load_plans(root: Path | None = None) -> dict[str, CouncilPlan]:
    """All council plans by code; raises PlansInvalid when any pack has a fault. Cached."""
    return dict(_load_plans_cached(str(Path(root or LOCAL_PLANS_DIR).resolve())))


@cache
def _load_plans_cached(root: str) -> tuple[tuple[str, CouncilPlan], ...]:
    plans, problems = read_plans(Path(root))
    if problems:
        raise PlansInvalid(problems)
    return tuple(plans.items())


load_plans.cache_clear = _load_plans_cached.cache_clear  # type: ignore[attr-defined]
