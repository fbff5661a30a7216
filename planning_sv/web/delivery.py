"""Promised, due and verified-delivered figures on the public ward, borough and scheme pages.

The public pages (web/public.py) include `templates/public/_delivery.html`, which calls the
template global `public_delivery(council, ward=..., scheme=...)` defined here: the figures
(core/delivery.py over store/delivery.py), a year filter (`?delivery_year=2027`), a chart per
measure drawn on the server (web/charts.py) and, for a scheme, its obligations with their
status. Only verified delivery counts. This blueprint has no routes of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, request

from planning_sv.core import delivery as core_delivery
from planning_sv.core.figures import format_number, format_quantity
from planning_sv.core.limits import parse_whole_number
from planning_sv.store import delivery as store_delivery
from planning_sv.web import db_session
from planning_sv.web.charts import delivery_chart

bp = Blueprint("delivery", __name__)
FIRST_YEAR = 2000
YEAR_ARG = "delivery_year"


def _year() -> int | None:
    raw = (request.args.get(YEAR_ARG) or "").strip()
    if not raw:
        return None
    try:
        return parse_whole_number(raw, minimum=FIRST_YEAR, maximum=2100)
    except ValueError as exc:
        abort(400, description=f"Invalid query parameter '{YEAR_ARG}': {exc}")


def _quantity(value: float) -> str:
    return format_number(round(value, 2))


@bp.app_template_global("public_delivery")
def public_delivery(
    council: str, ward: str | None = None, scheme: int | None = None
) -> dict[str, Any]:
    """What the delivery partial shows for the council, one ward, or one scheme."""
    today = dt.date.today()
    year = _year()
    session = db_session()
    obligations, delivered = store_delivery.delivery_facts(session, council, statement_id=scheme)
    rows = core_delivery.summarise(obligations, delivered, today=today, year=year, ward=ward)
    series = core_delivery.over_time(obligations, delivered, today=today, ward=ward)
    years = sorted(
        {o.signed_on.year for o in obligations}
        | {o.due_on.year for o in obligations if o.due_on is not None and o.due_on <= today}
        | {d.on.year for d in delivered},
        reverse=True,
    )
    charts = [
        {"series": s, "svg": delivery_chart(s, f"delivery-chart-{index}")}
        for index, s in enumerate(series, start=1)
    ]
    by_ward: list[dict[str, Any]] = []
    if ward is None and scheme is None:
        names: dict[str, str] = {}
        for o in obligations:
            names.update(o.ward_names)
        for code in sorted(names, key=lambda c: names[c]):
            ward_rows = core_delivery.summarise(
                obligations, delivered, today=today, year=year, ward=code
            )
            by_ward.extend({"code": code, "name": names[code], "row": r} for r in ward_rows)
    return {
        "rows": rows,
        "by_ward": by_ward,
        "charts": charts,
        "year": year,
        "years": years,
        "year_arg": YEAR_ARG,
        "args": {k: v for k, v in request.args.items() if k not in (YEAR_ARG, "page")},
        "obligations": (
            store_delivery.scheme_obligations(session, council, scheme)
            if scheme is not None
            else []
        ),
        "quantity": _quantity,
        "has_any": bool(obligations),
    }


def ward_popup_rows(council: str) -> dict[str, list[tuple[str, str]]]:
    """Ward code -> map popup rows, one per measure: "promised 6, due 6, delivered 3"
    (verified delivery only; all years), for the borough map beside its table."""
    today = dt.date.today()
    obligations, delivered = store_delivery.delivery_facts(db_session(), council)
    codes = {code for o in obligations for code, _share in o.wards}
    out: dict[str, list[tuple[str, str]]] = {}
    for code in codes:
        rows = core_delivery.summarise(obligations, delivered, today=today, ward=code)
        out[code] = [
            (
                f"{r.label} ({r.unit_label})",
                f"promised {_quantity(r.promised)}, due {_quantity(r.due)}, "
                f"delivered (verified) {_quantity(r.delivered)}",
            )
            for r in rows
        ]
    return out


# --- the "Delivered" cells of the public ward and borough tables -----------------------------

NOT_IN_GBP = "Delivery reported in units, not in £: see Promised, due and delivered"


def _counted_measures(filters: Any) -> set[str] | None:
    """The measures the page's measure and theme filters keep (None: all), by the promised
    figures' own selection (`core/public_figures.selection_for`). Delivery is not split by
    the status filter."""
    from planning_sv.store.public_queries import selection_of
    from planning_sv.web import assessor

    measures = assessor().measures
    selection = selection_of(filters, measures)
    if selection is None:
        return set()  # a measure of another theme: nothing
    keep = {
        code
        for code, m in measures.items()
        if selection.measure in (None, code) and selection.theme in (None, m.theme)
    }
    return None if keep == set(measures) else keep


def ward_table_delivered(council: str, figure: Any, filters: Any) -> dict[str, Any]:
    """The borough table's "Delivered" cells for `figure` under the page's filters: per ward
    code, None where nothing is verified (the page says "not yet reported"), else
    {"value": verified quantity in the figure's measure and unit, "text": None} for a
    quantity figure, or {"value": None, "text": NOT_IN_GBP} for a £ figure (delivery is
    verified in units, never valued in £). The figures are store/monitoring.py
    `verified_delivery_by_ward` (only accepted or partly accepted reports), the same reports
    the "Promised, due and delivered" section sums. `total`: the sum over the wards."""
    from planning_sv.store.monitoring import verified_delivery_by_ward

    keep = _counted_measures(filters)
    rows = [
        row
        for row in verified_delivery_by_ward(
            db_session(), council, public_only=True, scheme_year=filters.year
        )
        if row.quantity > 0 and (keep is None or row.measure in keep)
    ]
    cells: dict[str, dict[str, Any]]
    if figure.kind == "quantity":
        sums: dict[str, float] = {}
        for row in rows:
            if (row.measure, row.unit) == (figure.measure, figure.unit):
                sums[row.ward_code] = sums.get(row.ward_code, 0.0) + row.quantity
        cells = {code: {"value": round(v, 6), "text": None} for code, v in sums.items()}
        total = {"value": round(sum(sums.values()), 6), "text": None} if sums else None
    else:
        cells = {row.ward_code: {"value": None, "text": NOT_IN_GBP} for row in rows}
        total = {"value": None, "text": NOT_IN_GBP} if rows else None
    return {"wards": cells, "total": total}


def line_delivered(
    council: str, ward_code: str, lines: Iterable[Any], session: Any = None
) -> dict[str, str]:
    """The ward page's "Delivered" cell per commitment line ("<statement id>:<commitment
    id>" -> '3 FTE-years'), verified delivery placed in this ward; lines with nothing
    verified are absent (the page says "not yet reported")."""
    from planning_sv.store.monitoring import verified_delivery_by_commitment

    lines = list(lines)
    # A streamed download passes its own session: its body runs after the request context.
    found = verified_delivery_by_commitment(
        session or db_session(), council, ward_code, {line.statement_id for line in lines}
    )
    return {
        f"{line.statement_id}:{line.commitment_id}": format_quantity(
            found[(line.statement_id, line.commitment_id)], line.unit, line.unit_label
        )
        for line in lines
        if found.get((line.statement_id, line.commitment_id), 0) > 0
    }


def ward_delivery_texts(council: str, filters: Any, measures: Any) -> dict[str, str]:
    """The borough download's "delivery" cell per ward: the verified delivery there in words
    ('3 FTE-years of local employment'), from the same reports as the page's Delivered
    cells; wards with nothing verified are absent (the download says "not yet reported")."""
    from planning_sv.store.monitoring import verified_delivery_by_ward

    keep = _counted_measures(filters)
    texts: dict[str, list[str]] = {}
    for row in verified_delivery_by_ward(
        db_session(), council, public_only=True, scheme_year=filters.year
    ):
        if row.quantity <= 0 or (keep is not None and row.measure not in keep):
            continue
        measure = measures.get(row.measure)
        label = measure.units.get(row.unit, row.unit) if measure is not None else row.unit
        name = measure.label if measure is not None else row.measure
        texts.setdefault(row.ward_code, []).append(
            f"{name}: {format_quantity(round(row.quantity, 6), row.unit, label)} verified"
        )
    return {code: "; ".join(parts) for code, parts in texts.items()}
