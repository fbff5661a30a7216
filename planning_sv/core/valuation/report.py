"""Plain-text section of the assessment report: social value, readable by a planning officer.

Works from the `social_value` dict (the contract), not from objects, so a stored assessment
prints the same as a fresh one.
"""

from __future__ import annotations

from typing import Any

from planning_sv.core.figures import format_gbp, format_number


def format_social_value(sv: dict[str, Any]) -> str:
    """Render `social_value` as text: totals, local share, by theme, by ward, each
    commitment with the value row used, capped commitments with why, and the unvalued."""
    vs = sv.get("value_set") or {}
    lines: list[str] = ["SOCIAL VALUE", "============"]
    owner = vs.get("owner") or ""
    lines.append(
        f"Value set: {vs.get('name', '?')} version {vs.get('version', '?')}"
        + (f" ({owner})" if owner else "")
        + f"; licence: {vs.get('licence', '?')}"
    )
    years = sv.get("price_years") or []
    if years:
        lines.append("Price years: " + ", ".join(str(y) for y in years))
    total = sv.get("total_gbp") or 0.0
    local = sv.get("local_gbp") or 0.0
    share = f" ({local / total:.0%} of the total)" if total else ""
    lines += [
        "",
        f"Total social value:        {format_gbp(total)}",
        f"Local economic value:      {format_gbp(local)}{share}",
        f"Per £1m of build cost:     {format_gbp(sv.get('per_million_build_cost'))}"
        + (
            f"  (build cost {format_gbp(sv.get('build_cost_gbp'))})"
            if sv.get("build_cost_gbp")
            else ""
        ),
    ]

    by_theme = sv.get("by_theme") or {}
    if by_theme:
        lines += ["", "By theme"]
        width = max(len(t) for t in by_theme)
        for theme, gbp in by_theme.items():
            lines.append(f"  {theme:<{width}}  {format_gbp(gbp):>14}")

    by_ward = sv.get("by_ward") or []
    if by_ward:
        lines += ["", "By ward (borough-wide commitments spread by ward population)"]
        width = max(len(w["name"]) for w in by_ward)
        for ward in by_ward:
            extra = ""
            if ward.get("borough_wide_gbp"):
                extra = f"  of which borough-wide {format_gbp(ward['borough_wide_gbp'])}"
            lines.append(
                f"  {ward['name']:<{width}}  {ward['code']}  {format_gbp(ward['gbp']):>14}{extra}"
            )
    if sv.get("unplaced_gbp"):
        lines.append(
            f"  Not in any ward of the council: {format_gbp(sv['unplaced_gbp'])} "
            "(in the total, not by ward)"
        )

    commitments = sv.get("commitments") or []
    valued = [c for c in commitments if c.get("gbp") is not None]
    if valued:
        lines += ["", "Commitments valued"]
        for c in valued:
            flags = []
            if c.get("local_economic"):
                flags.append("local economic")
            if c.get("capped"):
                flags.append("CAPPED")
            flag_text = f" [{', '.join(flags)}]" if flags else ""
            lines.append(
                f"  {c['id']}: {c['label']}: {format_number(c['quantity'])} {c['unit']}"
                f" → {format_gbp(c['gbp'])}{flag_text}"
            )
            row = c.get("row") or {}
            counted = ""
            if c.get("counted_quantity") != c.get("quantity"):
                counted = f"counted {format_number(c['counted_quantity'])} {c['unit']}; "
            lines.append(
                f"      {counted}{format_number(c.get('valued_quantity'))} {c.get('valued_unit')} × "
                f"{format_gbp(c.get('gbp_per_unit'))} ({c.get('price_year')} prices, "
                f"{row.get('value_type', '?')}, confidence {row.get('confidence', '?')})"
            )
            if c.get("conversion"):
                lines.append(f"      conversion: {c['conversion']}")
            if row.get("method"):
                lines.append(f"      method: {row['method']}")
            if row.get("source"):
                lines.append(
                    f"      source: {row['source']}"
                    + (f" <{row['url']}>" if row.get("url") else "")
                    + f"; licence {row.get('licence', '?')}"
                )
            if c.get("explanation"):
                lines.append(f"      note: {c['explanation']}")

    unvalued = sv.get("unvalued") or []
    lines += ["", "Commitments not valued in £ (kept on record)"]
    if unvalued:
        for u in unvalued:
            lines.append(
                f"  {u['id']}: {u['label']}: {format_number(u['quantity'])} {u['unit']}: {u['reason']}"
            )
    else:
        lines.append("  none")

    notes = sv.get("notes") or []
    if notes:
        lines += ["", "Notes"]
        lines += [f"  - {n}" for n in notes]
    return "\n".join(lines) + "\n"
