"""What if: the effect of a draft rule pack on the statements a council already has.

Each stored statement is evaluated under the pack in force and under the draft, on the
same date (its regime date) and with the placements its assessment recorded, so the
difference is the draft's alone: no re-placing, no re-valuing. The report lists the
statements whose verdicts or required figures change, totals by rule and by ward, as
text, CSV or JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from planning_sv.core.assessment import CommitmentOut
from planning_sv.core.errors import InputInvalid
from planning_sv.core.figures import format_number, plural
from planning_sv.core.files import csv_cell
from planning_sv.core.placement import Placement, WardShare
from planning_sv.core.plans import CouncilPlan
from planning_sv.core.rules.engine import RuleResult, evaluate
from planning_sv.core.rules.expressions import ExpressionError
from planning_sv.core.statement import Statement


@dataclass(frozen=True)
class Case:
    """One stored statement: its latest submitted version and where its assessment placed it."""

    statement_id: int
    reference: str
    statement: Statement
    placements: Mapping[str, Placement]
    on: dt.date
    site_wards: tuple[tuple[str, str], ...]  # (code, name) of the site's wards


def placements_from_record(commitments: Iterable[CommitmentOut]) -> dict[str, Placement]:
    """The placements an assessment@1 record kept for each commitment (its typed
    `commitments` part)."""
    placed: dict[str, Placement] = {}
    for item in commitments:
        placed[item.id] = Placement(
            method=item.method or "recorded",
            vintage=item.vintage or "",
            wards=tuple(WardShare(code=w.code, name=w.name, share=w.share) for w in item.wards),
            inside_council=item.inside_council is not False,
            local=item.local,
            local_reason=item.local_reason,
            district=item.district,
        )
    return placed


@dataclass(frozen=True)
class RuleChange:
    statement_id: int
    reference: str
    rule_id: str
    title: str
    status_before: str | None  # None: the rule is not in force in that pack
    status_after: str | None
    required_before: float | None
    required_after: float | None

    @property
    def required_change(self) -> float:
        return (self.required_after or 0.0) - (self.required_before or 0.0)


@dataclass
class RuleTotals:
    rule_id: str
    title: str
    required_before: float = 0.0
    required_after: float = 0.0
    statuses_before: Counter[str] = field(default_factory=Counter)
    statuses_after: Counter[str] = field(default_factory=Counter)
    statements_changed: int = 0


@dataclass
class WardTotals:
    code: str
    name: str
    statements: int = 0
    statements_changed: int = 0
    # rule id -> change in the required figure, summed over the ward's statements (a site in
    # several wards counts in each: a statement's figures are not split by site share).
    required_change: dict[str, float] = field(default_factory=dict)


@dataclass
class ImpactReport:
    council: str
    council_name: str
    pack_version: str
    draft_version: str
    statements: int = 0
    unassessable: list[tuple[int, str, str]] = field(default_factory=list)
    changes: list[RuleChange] = field(default_factory=list)
    rules: dict[str, RuleTotals] = field(default_factory=dict)
    wards: dict[str, WardTotals] = field(default_factory=dict)

    @property
    def changed_statements(self) -> list[tuple[int, str]]:
        seen: dict[int, str] = {}
        for change in self.changes:
            seen.setdefault(change.statement_id, change.reference)
        return sorted(seen.items())


def _by_id(results: Iterable[RuleResult]) -> dict[str, RuleResult]:
    return {result.id: result for result in results}


def compare(current: CouncilPlan, draft: CouncilPlan, cases: Iterable[Case]) -> ImpactReport:
    """Evaluate every case under both packs; a case that either cannot evaluate (a fact the
    draft newly needs) is listed as unassessable with the reason, not dropped silently."""
    report = ImpactReport(
        council=current.code,
        council_name=current.name,
        pack_version=current.pack_version,
        draft_version=draft.pack_version,
    )
    for case in cases:
        report.statements += 1
        try:
            before = _by_id(
                evaluate(current, case.statement, case.placements, case.on, explain=False)
            )
            after = _by_id(evaluate(draft, case.statement, case.placements, case.on, explain=False))
        except (InputInvalid, ExpressionError) as exc:
            report.unassessable.append((case.statement_id, case.reference, str(exc)))
            continue
        changed_rules: list[RuleChange] = []
        for rule_id in sorted(set(before) | set(after)):
            old, new = before.get(rule_id), after.get(rule_id)
            title = (new or old).title  # type: ignore[union-attr]
            totals = report.rules.setdefault(rule_id, RuleTotals(rule_id, title))
            totals.required_before += (old.required or 0.0) if old else 0.0
            totals.required_after += (new.required or 0.0) if new else 0.0
            totals.statuses_before[old.status if old else "not in force"] += 1
            totals.statuses_after[new.status if new else "not in force"] += 1
            same = (
                old is not None
                and new is not None
                and old.status == new.status
                and old.required == new.required
            )
            if not same:
                totals.statements_changed += 1
                changed_rules.append(
                    RuleChange(
                        statement_id=case.statement_id,
                        reference=case.reference,
                        rule_id=rule_id,
                        title=title,
                        status_before=old.status if old else None,
                        status_after=new.status if new else None,
                        required_before=old.required if old else None,
                        required_after=new.required if new else None,
                    )
                )
        report.changes.extend(changed_rules)
        for code, name in case.site_wards:
            ward = report.wards.setdefault(code, WardTotals(code, name))
            ward.statements += 1
            if changed_rules:
                ward.statements_changed += 1
            for change in changed_rules:
                ward.required_change[change.rule_id] = (
                    ward.required_change.get(change.rule_id, 0.0) + change.required_change
                )
    return report


# --- output ---------------------------------------------------------------------------------

CSV_COLUMNS = (
    "statement_id",
    "application_reference",
    "rule_id",
    "rule_title",
    "status_before",
    "status_after",
    "required_before",
    "required_after",
    "required_change",
)


def _status(value: str | None) -> str:
    return value if value is not None else "not in force"


def _figure(value: float | None) -> str:
    return "" if value is None else format_number(value)


def report_csv(report: ImpactReport) -> str:
    """One row per changed (statement, rule); numbers plain so spreadsheets read them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in report.changes:
        writer.writerow(
            [
                c.statement_id,
                _csv_text(c.reference),
                c.rule_id,
                _csv_text(c.title),
                _status(c.status_before),
                _status(c.status_after),
                "" if c.required_before is None else _plain(c.required_before),
                "" if c.required_after is None else _plain(c.required_after),
                _plain(c.required_change),
            ]
        )
    return out.getvalue()


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 6))


def _csv_text(value: str) -> str:
    return str(csv_cell(value))


def report_json(report: ImpactReport) -> dict[str, Any]:
    return {
        "council": report.council,
        "pack_version": report.pack_version,
        "draft_version": report.draft_version,
        "statements": report.statements,
        "statements_changed": [
            {"id": sid, "application_reference": ref} for sid, ref in report.changed_statements
        ],
        "unassessable": [
            {"id": sid, "application_reference": ref, "reason": why}
            for sid, ref, why in report.unassessable
        ],
        "changes": [
            {
                "statement_id": c.statement_id,
                "application_reference": c.reference,
                "rule_id": c.rule_id,
                "status_before": c.status_before,
                "status_after": c.status_after,
                "required_before": c.required_before,
                "required_after": c.required_after,
            }
            for c in report.changes
        ],
        "rules": [
            {
                "rule_id": t.rule_id,
                "title": t.title,
                "required_before": t.required_before,
                "required_after": t.required_after,
                "statuses_before": dict(t.statuses_before),
                "statuses_after": dict(t.statuses_after),
                "statements_changed": t.statements_changed,
            }
            for t in report.rules.values()
        ],
        "wards": [
            {
                "ward_code": w.code,
                "ward_name": w.name,
                "statements": w.statements,
                "statements_changed": w.statements_changed,
                "required_change": w.required_change,
            }
            for w in sorted(report.wards.values(), key=lambda w: w.code)
        ],
    }


def report_text(report: ImpactReport) -> str:
    lines = [
        f"{report.council_name}: draft pack {report.draft_version} against pack "
        f"{report.pack_version} in force",
        f"{plural(report.statements, 'statement')} re-assessed; "
        f"{plural(len(report.changed_statements), 'statement')} change.",
    ]
    if report.unassessable:
        lines.append(
            f"{plural(len(report.unassessable), 'statement')} cannot be assessed under one "
            "of the packs:"
        )
        lines += [f"  {sid} {ref}: {why}" for sid, ref, why in report.unassessable]
    lines.append("")
    lines.append("By rule (required figure summed over the statements; verdict counts):")
    for t in report.rules.values():
        lines.append(
            f"  {t.rule_id}: required {format_number(t.required_before)} -> "
            f"{format_number(t.required_after)}; {plural(t.statements_changed, 'statement')} "
            f"changed; before {_counts(t.statuses_before)}; after {_counts(t.statuses_after)}"
        )
    if report.changes:
        lines.append("")
        lines.append("Statements that change:")
        for c in report.changes:
            lines.append(
                f"  {c.statement_id} {c.reference or '(no reference)'} {c.rule_id}: "
                f"{_status(c.status_before)} -> {_status(c.status_after)}, required "
                f"{_figure(c.required_before) or '-'} -> {_figure(c.required_after) or '-'}"
            )
    if report.wards:
        lines.append("")
        lines.append("By ward of the site (statements; changed):")
        for w in sorted(report.wards.values(), key=lambda w: w.name):
            lines.append(f"  {w.name} ({w.code}): {w.statements}; {w.statements_changed}")
    return "\n".join(lines) + "\n"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counter.items())) or "none"


def report_json_text(report: ImpactReport) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
