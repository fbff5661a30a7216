"""Promised, due and verified-delivered figures on the public ward, borough and scheme pages.

The public pages (web/public.py) include `templates/public/_delivery.html`, which calls the
template global `public_delivery(council, ward=..., scheme=...)` defined here: the figures
(core/delivery.py over store/delivery.py), a year filter (`?delivery_year=2027`), a chart per
measure drawn on the server (web/charts.py) and, for a scheme, its obligations with their
status. Only verified delivery counts. This blueprint has no routes of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, request

from planning_sv.core import delivery as core_delivery
from planning_sv.core.figures import format_number
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
