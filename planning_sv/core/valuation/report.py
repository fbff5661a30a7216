"""Plain-text section of the assessment report: social value, readable by a planning officer.

Works from the typed `social_value` part of assessment@1 (`SocialValueOut`, the contract),
not from the valuer's objects, so a stored assessment prints the same as a fresh one.
"""

from __future__ import annotations

from planning_sv.core.assessment import SocialValueOut
from planning_sv.core.figures import format_gbp, format_number


def format_social_value(sv: SocialValueOut) -> str:
    """Render `social_value` as text: totals, local share, by theme, by ward, each
    commitment with the value row used, capped commitments with why, and the unvalued."""
    vs = sv.value_set
    lines: list[str] = ["SOCIAL VALUE", "============"]
    owner = vs.owner
    lines.append(
        f"Value set: {vs.name or '?'} version {vs.version}"
        + (f" ({owner})" if owner else "")
        + f"; licence: {vs.licence or '?'}"
    )
    if sv.price_years:
        lines.append("Price years: " + ", ".join(str(y) for y in sv.price_years))
    total, local = sv.total_gbp, sv.local_gbp
    share = f" ({local / total:.0%} of the total)" if total else ""
    lines += [
        "",
        f"Total social value:        {format_gbp(total)}",
        f"Local economic value:      {format_gbp(local)}{share}",
        f"Per £1m of build cost:     {format_gbp(sv.per_million_build_cost)}"
        + (f"  (build cost {format_gbp(sv.build_cost_gbp)})" if sv.build_cost_gbp else ""),
    ]

    if sv.by_theme:
        lines += ["", "By theme"]
        width = max(len(t) for t in sv.by_theme)
        for theme, gbp in sv.by_theme.items():
            lines.append(f"  {theme:<{width}}  {format_gbp(gbp):>14}")

    if sv.by_ward:
        lines += ["", "By ward (borough-wide commitments spread by ward population)"]
        width = max(len(w.name) for w in sv.by_ward)
        for ward in sv.by_ward:
            extra = ""
            if ward.borough_wide_gbp:
                extra = f"  of which borough-wide {format_gbp(ward.borough_wide_gbp)}"
            lines.append(f"  {ward.name:<{width}}  {ward.code}  {format_gbp(ward.gbp):>14}{extra}")
    if sv.unplaced_gbp:
        lines.append(
            f"  Not in any ward of the council: {format_gbp(sv.unplaced_gbp)} "
            "(in the total, not by ward)"
        )

    valued = [c for c in sv.commitments if c.gbp is not None]
    if valued:
        lines += ["", "Commitments valued"]
        for c in valued:
            flags = []
            if c.local_economic:
                flags.append("local economic")
            if c.capped:
                flags.append("CAPPED")
            flag_text = f" [{', '.join(flags)}]" if flags else ""
            lines.append(
                f"  {c.id}: {c.label}: {format_number(c.quantity)} {c.unit}"
                f" → {format_gbp(c.gbp)}{flag_text}"
            )
            row = c.row
            counted = ""
            if c.counted_quantity != c.quantity:
                counted = f"counted {format_number(c.counted_quantity)} {c.unit}; "
            lines.append(
                f"      {counted}{format_number(c.valued_quantity)} {c.valued_unit} × "
                f"{format_gbp(c.gbp_per_unit)} ({c.price_year} prices, "
                f"{row.value_type if row else '?'}, confidence {row.confidence if row else '?'})"
            )
            if c.conversion:
                lines.append(f"      conversion: {c.conversion}")
            if row is not None and row.method:
                lines.append(f"      method: {row.method}")
            if row is not None and row.source:
                lines.append(
                    f"      source: {row.source}"
                    + (f" <{row.url}>" if row.url else "")
                    + f"; licence {row.licence or '?'}"
                )
            if c.explanation:
                lines.append(f"      note: {c.explanation}")

    lines += ["", "Commitments not valued in £ (kept on record)"]
    if sv.unvalued:
        for u in sv.unvalued:
            lines.append(f"  {u.id}: {u.label}: {format_number(u.quantity)} {u.unit}: {u.reason}")
    else:
        lines.append("  none")

    if sv.notes:
        lines += ["", "Notes"]
        lines += [f"  - {n}" for n in sv.notes]
    return "\n".join(lines) + "\n"
