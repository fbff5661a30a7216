"""A plain-text assessment report an officer can read in a terminal or paste into a memo."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from planning_sv.core.assessment import AssessmentRecord, WardShareOut
from planning_sv.core.figures import MISSING, format_gbp, format_number
from planning_sv.core.valuation.report import format_social_value

# Short upper-case labels, so the status column scans in a terminal.
STATUS_COLUMN = {
    "pass": "PASS",
    "partial": "PARTIAL",
    "fail": "FAIL",
    "not_applicable": "N/A",
    "needs_evidence": "EVIDENCE",
}
WIDTH = 100


def _table(headers: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = list(rows)
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def _wrap(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def _wards(wards: list[WardShareOut]) -> str:
    if not wards:
        return MISSING
    if len(wards) == 1:
        return f"{wards[0].name} ({wards[0].code})"
    if len(wards) > 3:
        # Borough-wide commitments spread over every ward; the JSON keeps the shares.
        return f"spread over {len(wards)} wards"
    return ", ".join(f"{w.name} ({w.code}) {w.share:.0%}" for w in wards)


def render_text(assessment: AssessmentRecord) -> str:
    """Render an assessment@1 record as text: summary, rules, placements, social value."""
    a = assessment
    lines = [
        f"Social value assessment — {a.council_name}",
        f"Application: {a.application_reference or '(no reference)'}",
        f"Rules: pack {a.pack_version}, in force on {a.assessed_on.isoformat()}; "
        # As stored: the assessor writes seconds and "+00:00".
        f"generated {a.generated_at.isoformat(timespec='seconds')}",
    ]
    summary = a.summary.model_dump(by_alias=True)
    counts = ", ".join(
        f"{summary[s]} {s.replace('_', ' ')}" for s in STATUS_COLUMN if summary.get(s)
    )
    lines.append(f"Summary: {a.summary.total} rules — {counts or 'none in force'}")

    site = a.site
    lines += [
        "",
        "SITE",
        f"  {_wards(site.wards)}; {site.method}, boundaries {site.vintage}",
    ]
    if not site.inside_council:
        lines.append("  Warning: the site lies outside the council's area.")
    for warning in site.warnings:
        lines.append(f"  Warning: {warning}")

    lines += ["", "RULES"]
    rows = [
        [
            STATUS_COLUMN[r.status],
            r.id,
            format_number(r.required, r.unit),
            format_number(r.proposed, r.unit) if r.status != "not_applicable" else MISSING,
            format_number(r.shortfall, r.unit),
        ]
        for r in a.rules
    ]
    lines += [
        "  " + row for row in _table(["status", "rule", "required", "proposed", "shortfall"], rows)
    ]
    for r in a.rules:
        c = r.citation  # open-ended by schema: document, policy, paragraph, url …
        lines += ["", f"  {r.id} — {r.title} [{STATUS_COLUMN[r.status]}]"]
        lines += _wrap(
            f"Source: {c.get('document')}, {c.get('policy')}, para {c.get('paragraph')} "
            f"<{c.get('url')}>"
        )
        lines += _wrap(r.explanation)

    lines += ["", "COMMITMENTS"]
    rows = [
        [
            c.id,
            c.measure,
            format_number(c.quantity, c.unit),
            _wards(c.wards) if c.wards else (c.local_reason or MISSING),
            "yes" if c.local else "no",
            format_gbp(c.value_gbp),
        ]
        for c in a.commitments
    ]
    lines += [
        "  " + row for row in _table(["id", "measure", "quantity", "where", "local", "value"], rows)
    ]
    for c in a.commitments:
        for warning in c.warnings:
            lines.append(f"  {c.id}: {warning}")

    if a.social_value is not None:
        lines += ["", format_social_value(a.social_value).rstrip("\n")]
    return "\n".join(lines) + "\n"
