"""The applicant journey: start → development → site → commitments → check → submit → revise.

Each step saves straight into the statement's draft (save-and-return) and recomputes the
self-check. Routes parse input and call `store.statements`; the domain decides validity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from planning_sv.core.assessment import AssessmentRecord, parse_assessment
from planning_sv.core.commitments_csv import next_commitment_id, parse_commitments_csv
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import format_date, format_gbp, format_number, parse_day
from planning_sv.core.geo.postcodes import normalise_postcode
from planning_sv.core.limits import load_json
from planning_sv.core.statement import USE_CLASS_LABELS, USE_CLASSES, json_field_path
from planning_sv.core.workflow import OPEN, Status
from planning_sv.store import benchmarks as benchmarks_store
from planning_sv.store import review as review_repo
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import (
    APPLICANT,
    allow,
    can_edit,
    current_actor,
    is_applicant_side,
    statement_or_404,
)
from planning_sv.web.forms import (
    CommitmentForm,
    ConfirmForm,
    DevelopmentForm,
    SiteForm,
    StartForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    select_choices,
)
from planning_sv.web.messages import (
    Context,
    change_sentences,
    commitment_words,
    explain_rule,
    lad_names,
    place_words,
    policy,
    problem_text,
    scrub,
    ward_names_of,
)
from planning_sv.web.params import page_arg
from planning_sv.web.records import check_reference_on_entry

bp = Blueprint("applicant", __name__, url_prefix="/statements")

MAX_GEOJSON_BYTES = 1024 * 1024


# --- helpers ------------------------------------------------------------------------------


def _editable(statement_id: int) -> Statement:
    """The statement, if the current applicant may change it now; else 409 with a reason."""
    statement = _own(statement_id)
    if not can_edit(current_actor(), statement):
        abort(
            409,
            description=f"This statement is {statement.status.replace('_', ' ')} and cannot be changed now.",
        )
    return statement


def _own(statement_id: int) -> Statement:
    statement = statement_or_404(statement_id)
    # The applicant side: its owner, or its organisation's members (web/authz.py).
    if not is_applicant_side(current_actor(), statement):
        abort(404)
    return statement


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _save(statement: Statement, draft: dict[str, Any]) -> dict[str, Any] | None:
    session = db_session()
    result = repo.save_draft(session, statement, draft, current_actor())
    session.commit()
    return result


def _section_problems(problems: list[Problem], prefix: str) -> list[Problem]:
    return [p for p in problems if p.path.startswith(prefix)]


def _context(council: str | None = None) -> Context:
    """What web/messages.py needs to word problems for this council's pages."""
    plans = assessor().plans
    plan = plans.get(council) if council else None
    return Context(
        measures=assessor().measures,
        councils_by_lad=lad_names(plans.values()),
        council_name=plan.name if plan is not None else "the council",
    )


def _field_label(form: Any, name: str) -> str:
    """The name a field's errors use: the field's `noun`, else its label without
    '(optional)' or a question mark."""
    field = getattr(form, name, None)
    noun = getattr(field, "noun", None)
    if noun:
        return str(noun)
    text = str(getattr(getattr(field, "label", None), "text", "") or "")
    return text.replace("(optional)", "").strip().rstrip("?") or "This"


def _attach(
    form: Any,
    problems: list[Problem],
    fields: dict[str, str],
    *,
    fallback: str,
    council: str | None = None,
) -> None:
    """Put domain problems on the fields their paths map to, worded for the page by
    web/messages.py (named after the field, no JSON paths); any left over (e.g. the
    statement's commitment limit) go on `fallback` so the error summary still lists them."""
    ctx = _context(council)
    for item in problems:
        name = next((f for prefix, f in fields.items() if item.path.startswith(prefix)), fallback)
        target = getattr(form, name, None) or getattr(form, fallback)
        text = problem_text(item, ctx, field=_field_label(form, target.name))
        target.errors = [*list(target.errors or []), text]


def _measures() -> dict[str, Any]:
    return dict(sorted(assessor().measures.items(), key=lambda kv: kv[1].label))


def _sections(statement: Statement) -> list[dict[str, Any]]:
    """The task list: each section with whether it has been completed."""
    draft = statement.draft or {}
    return [
        {
            "name": "Development facts",
            "href": url_for(".development", statement_id=statement.id),
            "done": "development" in draft,
        },
        {
            "name": "Site",
            "href": url_for(".site", statement_id=statement.id),
            "done": "site" in draft,
        },
        {
            "name": "Commitments",
            "href": url_for(".commitments", statement_id=statement.id),
            "done": bool(draft.get("commitments")),
        },
    ]


# --- list and start -----------------------------------------------------------------------


@bp.get("")
@allow(APPLICANT)
def index() -> ResponseReturnValue:
    page = page_arg()  # bounded, ASCII digits (web/params.py); a bad value is a 400
    rows, total = repo.list_visible(db_session(), current_actor(), page=page, per_page=20)
    return render_template("applicant/index.html", statements=rows, total=total, page=page)


@bp.route("/new", methods=["GET", "POST"])
@allow(APPLICANT)
def start() -> ResponseReturnValue:
    form = StartForm()
    form.council.choices = select_choices(assessor().councils())
    if form.validate_on_submit():
        session = db_session()
        draft = repo.new_draft(form.council.data)
        if form.application_reference.data:
            draft["application_reference"] = form.application_reference.data.strip()
        statement = repo.create_statement(session, current_actor(), form.council.data, draft)
        session.commit()
        check_reference_on_entry(statement.council, statement.application_reference)
        return redirect(url_for(".development", statement_id=statement.id))
    return render_template("applicant/start.html", form=form), 400 if form.errors else 200


@bp.get("/<int:statement_id>")
@allow(APPLICANT)
def overview(statement_id: int) -> ResponseReturnValue:
    return _overview_page(_own(statement_id), WithdrawForm(formdata=None))


def _overview_page(statement: Statement, withdraw_form: WithdrawForm) -> str:
    session = db_session()
    return render_template(
        "applicant/overview.html",
        statement=statement,
        sections=_sections(statement),
        requests=repo.officer_requests(session, statement),
        # Only what is meant for the applicant, labelled (store/review.py): never an
        # officer's override reason, verdict comment or internal note.
        history=review_repo.applicant_history(session, statement),
        editable=can_edit(current_actor(), statement),
        withdraw_form=withdraw_form,
        can_withdraw=Status(statement.status) in OPEN,
    )


@bp.post("/<int:statement_id>/withdraw")
@allow(APPLICANT)
def withdraw(statement_id: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    form = WithdrawForm()
    session = db_session()
    if form.validate_on_submit():
        repo.apply_transition(session, statement, "withdraw", current_actor(), form.reason.data)
        session.commit()
        flash("The statement has been withdrawn", "success")
        return redirect(url_for(".overview", statement_id=statement.id))
    return _overview_page(statement, form), 400


# --- development --------------------------------------------------------------------------


@bp.route("/<int:statement_id>/development", methods=["GET", "POST"])
@allow(APPLICANT)
def development(statement_id: int) -> ResponseReturnValue:
    statement = _editable(statement_id)
    draft = dict(statement.draft or {})
    current = draft.get("development", {})
    if request.method == "GET":
        form = DevelopmentForm(
            data={
                "application_reference": draft.get("application_reference"),
                "dwellings": current.get("dwellings"),
                "build_cost_gbp": current.get("build_cost_gbp"),
                "construction_months": current.get("construction_months"),
                "dwellings_not_known": bool(current.get("dwellings_not_known")),
                "site_area_ha": current.get("site_area_ha"),
                "validation_date": format_date(draft["validation_date"])
                if draft.get("validation_date")
                else None,
                **{
                    f"floorspace_{u}": current.get("floorspace_sqm", {}).get(u) for u in USE_CLASSES
                },
            }
        )
    else:
        form = DevelopmentForm()
    valid = form.validate_on_submit()  # resets every field's errors: read the date after
    validated = _validation_date(form) if request.method == "POST" else None
    if valid and not form.validation_date.errors:
        development = {
            "dwellings": form.dwellings.data or 0,
            "floorspace_sqm": {
                use: _number(getattr(form, f"floorspace_{use}").data)
                for use in USE_CLASSES
                if getattr(form, f"floorspace_{use}").data is not None
            },
            "build_cost_gbp": _number(form.build_cost_gbp.data),
        }
        if form.construction_months.data is not None:
            development["construction_months"] = form.construction_months.data
        if form.site_area_ha.data is not None:
            development["site_area_ha"] = _number(form.site_area_ha.data)
        if form.dwellings_not_known.data:
            development["dwellings_not_known"] = True
        # Keep facts this form does not show (e.g. from an uploaded JSON statement).
        for key in ("existing_floorspace_sqm",):
            if key in current:
                development[key] = current[key]
        draft["development"] = development
        if validated is not None:
            draft["validation_date"] = validated.isoformat()
        else:
            draft.pop("validation_date", None)
        if form.application_reference.data:
            draft["application_reference"] = form.application_reference.data.strip()
        else:
            draft.pop("application_reference", None)
        _save(statement, draft)
        check_reference_on_entry(statement.council, draft.get("application_reference"))
        return redirect(url_for(".site", statement_id=statement.id))
    return render_template(
        "applicant/development.html", form=form, statement=statement, use_classes=USE_CLASSES
    ), 400 if form.errors else 200


def _validation_date(form: DevelopmentForm) -> dt.date | None:
    """The validation date as typed ('30 April 2025', '30/4/2025', '2025-04-30'), or None;
    an unreadable or future date is an error on the field."""
    text = (form.validation_date.data or "").strip()
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        form.validation_date.errors = [
            *form.validation_date.errors,
            "Validation date must be a real date, like 30 April 2025",
        ]
        return None
    if day > dt.date.today():
        form.validation_date.errors = [
            *form.validation_date.errors,
            "Validation date must be today or in the past",
        ]
        return None
    return day


# --- site ---------------------------------------------------------------------------------


def _read_geojson(upload: FileStorage | None) -> tuple[dict[str, Any] | None, str | None]:
    """(geometry, error message) from an uploaded GeoJSON file of a Polygon/MultiPolygon."""
    if upload is None or not upload.filename:
        return None, "Select a GeoJSON file"
    raw = upload.stream.read(MAX_GEOJSON_BYTES + 1)
    if len(raw) > MAX_GEOJSON_BYTES:
        return None, "The GeoJSON file must be smaller than 1 MB"
    try:
        # core/limits.py: nesting depth, NaN/Infinity and huge integers refused, never a 500.
        data = load_json(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, "The selected file is not valid GeoJSON: not UTF-8 text"
    except InputInvalid as exc:
        # The parser's own words, without its JSON path (web/messages.py scrubs it).
        detail = scrub(exc.problems[0].message)
        return None, f"The selected file is not valid GeoJSON: {detail}"
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            return None, "The GeoJSON file must contain exactly one feature: the red-line boundary"
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon", "Point"):
        return None, "The GeoJSON must be a Polygon, MultiPolygon or Point geometry"
    if not isinstance(data.get("coordinates"), list) or not data["coordinates"]:
        return None, "The GeoJSON geometry has no coordinates"
    return {"type": data["type"], "coordinates": data["coordinates"]}, None


@bp.route("/<int:statement_id>/site", methods=["GET", "POST"])
@allow(APPLICANT)
def site(statement_id: int) -> ResponseReturnValue:
    statement = _editable(statement_id)
    draft = dict(statement.draft or {})
    current = draft.get("site", {})
    if request.method == "GET":
        method = (
            "geojson" if "geometry" in current else "point" if "point" in current else "postcode"
        )
        point = current.get("point") or [None, None]
        form = SiteForm(
            data={
                "address": current.get("address"),
                "method": method if current else None,
                "postcode": current.get("postcode"),
                "longitude": point[0],
                "latitude": point[1],
                "designation": current.get("designation"),
            }
        )
    else:
        form = SiteForm()
    plan = assessor().plans.get(statement.council)
    designations = list(getattr(plan, "designations", ()) or ())
    form.designation.choices = select_choices((d.code, d.name) for d in designations)
    if form.validate_on_submit():
        new_site: dict[str, Any] = {}
        if form.address.data:
            new_site["address"] = form.address.data.strip()
        if designations and form.designation.data:
            new_site["designation"] = form.designation.data
        if form.method.data == "postcode":
            new_site["postcode"] = normalise_postcode(form.postcode.data)
        elif form.method.data == "point":
            new_site["point"] = [_number(form.longitude.data), _number(form.latitude.data)]
        else:
            upload = request.files.get(form.geojson.name)
            if (upload is None or not upload.filename) and "geometry" in current:
                geometry, error = current["geometry"], None  # keep the boundary already saved
            else:
                geometry, error = _read_geojson(upload)
            if error is not None:
                form.geojson.errors = [error]
            else:
                new_site["geometry"] = geometry
        if not form.errors:
            # Placed before saving: a site that cannot be placed, or lies wholly in another
            # council, is refused and the saved draft keeps its previous site.
            _placed, problems = assessor().place_site(statement.council, new_site)
            if designations and not form.designation.data:
                # Asked with the place (and checked after it, so both faults show at once).
                form.designation.errors = ["Select the area the site is in, or 'None of these'"]
            if not problems and not form.errors:
                draft["site"] = new_site
                _save(statement, draft)
                return redirect(url_for(".site", statement_id=statement.id, saved=1))
            _attach(
                form,
                problems,
                {
                    "$.site.postcode": "postcode",
                    "$.site.point": "longitude",
                    "$.site.geometry": "geojson",
                    "$.site": form.method.name,
                    "$": form.method.name,
                },
                fallback=form.method.name,
                council=statement.council,
            )
    site_data = (statement.draft or {}).get("site")
    placed = None
    if site_data and not form.errors:
        placed, _problems = assessor().place_site(statement.council, site_data)
    return render_template(
        "applicant/site.html",
        form=form,
        statement=statement,
        placed=placed,
        site=site_data,
        designation_hints=[{"hint": {"text": d.hint}} if d.hint else {} for d in designations],
        saved=request.args.get("saved") == "1",
    ), 400 if form.errors else 200


# --- commitments --------------------------------------------------------------------------


def units_by_measure(measures: dict[str, Any]) -> dict[str, list[list[str]]]:
    """measure code -> [[unit code, unit label], ...]: the units each measure accepts
    (local_plans/measures.yaml), for the unit list and the script that filters it."""
    return {code: [[u, label] for u, label in m.units.items()] for code, m in measures.items()}


def _unit_options(measures: dict[str, Any], chosen: Any | None) -> dict[str, str]:
    """The unit choices: the chosen measure's own, else every unit (named by its code's
    words where measures label it differently) until a measure is chosen."""
    if chosen is not None:
        return dict(chosen.units)
    labels: dict[str, set[str]] = {}
    for measure in measures.values():
        for code, label in measure.units.items():
            labels.setdefault(code, set()).add(label)
    options = {
        code: next(iter(names)) if len(names) == 1 else code.replace("_", " ")
        for code, names in labels.items()
    }
    return dict(sorted(options.items(), key=lambda kv: kv[1].casefold()))


def _commitment_form(data: dict[str, Any] | None = None) -> CommitmentForm:
    form = CommitmentForm(data=data) if data is not None else CommitmentForm()
    measures = _measures()
    form.measure.choices = select_choices(
        {"": "Select", **{code: m.label for code, m in measures.items()}}
    )
    chosen = measures.get(form.measure.data or "")
    form.unit.choices = select_choices({"": "Select", **_unit_options(measures, chosen)})
    if chosen is not None:
        # The server checks what the page's script filters: only the measure's own units.
        accepted = " or ".join(chosen.units.values())
        form.unit.invalid = (
            f"Unit must be one that fits {chosen.label[:1].lower()}{chosen.label[1:]}: {accepted}"
        )
    return form


def _commitment_from_form(
    form: CommitmentForm, commitment_id: str, original: dict[str, Any] | None = None
) -> dict[str, Any]:
    where: dict[str, Any]
    if form.where.data == KEEP and original is not None:
        where = dict(original.get("where", {}))
    elif form.where.data == "postcode":
        where = {"postcode": normalise_postcode(form.where_postcode.data)}
    elif form.where.data == "ward":
        where = {"ward": form.where_ward.data.strip().upper()}
    elif form.where.data == "point":
        where = {"point": [_number(form.where_longitude.data), _number(form.where_latitude.data)]}
    elif form.where.data == "site":
        where = {"site": True}
    else:
        where = {"borough": True}
    item: dict[str, Any] = {
        "id": commitment_id,
        "measure": form.measure.data,
        "quantity": _number(form.quantity.data),
        "unit": form.unit.data,
        "where": where,
    }
    if form.phase.data:
        item["phase"] = form.phase.data
    if form.description.data and form.description.data.strip():
        item["description"] = form.description.data.strip()
    return item


KEEP = "keep"


def _needs_keep(item: dict[str, Any] | None) -> bool:
    """Locations the form cannot show (an uploaded area, grid reference) are kept as they are."""
    where = (item or {}).get("where", {})
    return any(k in where for k in ("geometry", "easting_northing"))


def _form_data_for(item: dict[str, Any]) -> dict[str, Any]:
    where = item.get("where", {})
    kind = next((k for k in ("postcode", "ward", "point", "site") if k in where), "borough")
    if _needs_keep(item):
        kind = KEEP
    point = where.get("point") or [None, None]
    return {
        "measure": item.get("measure"),
        "quantity": item.get("quantity"),
        "unit": item.get("unit"),
        "phase": item.get("phase") or "",
        "where": kind,
        "where_postcode": where.get("postcode"),
        "where_ward": where.get("ward"),
        "where_longitude": point[0],
        "where_latitude": point[1],
        "description": item.get("description"),
    }


COMMITMENT_FIELDS = {
    ".where.postcode": "where_postcode",
    ".where.ward": "where_ward",
    ".where.point": "where_longitude",
    ".where": "where",
    ".measure": "measure",
    ".unit": "unit",
    ".quantity": "quantity",
    ".phase": "phase",
    ".description": "description",
}


def _commitment_problems(
    form: CommitmentForm, problems: list[Problem], index: int, council: str
) -> None:
    base = f"$.commitments[{index}]"
    _attach(
        form,
        problems,
        {base + suffix: name for suffix, name in COMMITMENT_FIELDS.items()},
        fallback="measure",
        council=council,
    )


@bp.get("/<int:statement_id>/commitments")
@allow(APPLICANT)
def commitments(statement_id: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    data, problems = repo.self_check(
        statement.draft or {}, assessor=assessor(), session=db_session()
    )
    record = parse_assessment(data) if data else None
    items = (statement.draft or {}).get("commitments", [])
    ctx = _context(statement.council)
    wards = ward_names_of(record)
    return render_template(
        "applicant/commitments.html",
        statement=statement,
        commitments=items,
        places={
            str(c.get("id")): _capital(place_words(c.get("where"), wards))
            for c in items
            if isinstance(c, dict)
        },
        # Where each landed (local or not), once the statement is complete enough to place.
        placed={
            c.id: {"local": c.local, "reason": scrub(c.local_reason, ctx)}
            for c in record.commitments
        }
        if record
        else {},
        problems=[
            {"text": problem_text(p, ctx, commitments=items), "href": _row_anchor(p.path)}
            for p in _section_problems(problems, "$.commitments")
        ],
        measures=assessor().measures,
        confirm=ConfirmForm(),
        editable=can_edit(current_actor(), statement),
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _row_anchor(path: str) -> str:
    """The commitments table row a problem is about ('#commitment-row-2'), else the table."""
    match = re.match(r"^\$\.commitments\[(\d+)\]", path)
    return f"#commitment-row-{match.group(1)}" if match else "#commitments"


def _commitment_edit(statement: Statement, index: int | None) -> ResponseReturnValue:
    draft = dict(statement.draft or {})
    items = list(draft.get("commitments", []))
    original = items[index] if index is not None else None
    form = _commitment_form(
        _form_data_for(original) if request.method == "GET" and original is not None else None
    )
    if _needs_keep(original):
        form.where.choices = [
            *form.where.choices,
            *select_choices({KEEP: "Keep the location as uploaded"}),
        ]
    if request.method == "POST" and form.validate_on_submit():
        item_id = original["id"] if original is not None else next_commitment_id(items)
        item = _commitment_from_form(form, item_id, original)
        if original is not None:
            # Fields the form does not show are kept as they were.
            kept = ("start_date", "end_date", "stacks_on")
            item = {**{k: v for k, v in original.items() if k in kept}, **item}
        position = len(items) if index is None else index
        others = [c for i, c in enumerate(items) if i != index]
        # The same check as the CSV upload, JSON upload and API; nothing is saved unless it
        # passes, so a refused form can be corrected and sent again without a duplicate.
        problems = assessor().validate_commitments(
            statement.council,
            [item],
            existing=others,
            path=lambda _i, field: json_field_path(position, field),
        )
        if problems:
            _commitment_problems(form, problems, position, statement.council)
        else:
            if index is None:
                items.append(item)
            else:
                items[index] = item
            draft["commitments"] = items
            _save(statement, draft)
            flash(f"Commitment {item_id} saved", "success")
            return redirect(url_for(".commitments", statement_id=statement.id))
    return render_template(
        "applicant/commitment_form.html",
        form=form,
        statement=statement,
        index=index,
        commitment=items[index] if index is not None and index < len(items) else None,
        units_by_measure=units_by_measure(_measures()),
    ), 400 if form.errors else 200


@bp.route("/<int:statement_id>/commitments/new", methods=["GET", "POST"])
@allow(APPLICANT)
def add_commitment(statement_id: int) -> ResponseReturnValue:
    return _commitment_edit(_editable(statement_id), None)


def _index_of(statement: Statement, commitment_id: str) -> int:
    for index, item in enumerate((statement.draft or {}).get("commitments", [])):
        if str(item.get("id")) == commitment_id:
            return index
    abort(404)


@bp.route("/<int:statement_id>/commitments/<commitment_id>/edit", methods=["GET", "POST"])
@allow(APPLICANT)
def edit_commitment(statement_id: int, commitment_id: str) -> ResponseReturnValue:
    statement = _editable(statement_id)
    return _commitment_edit(statement, _index_of(statement, commitment_id))


@bp.post("/<int:statement_id>/commitments/<commitment_id>/remove")
@allow(APPLICANT)
def remove_commitment(statement_id: int, commitment_id: str) -> ResponseReturnValue:
    statement = _editable(statement_id)
    index = _index_of(statement, commitment_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        draft = dict(statement.draft or {})
        items = list(draft.get("commitments", []))
        removed = items.pop(index)
        draft["commitments"] = items
        _save(statement, draft)
        flash(f"Commitment {removed.get('id')} removed", "success")
    return redirect(url_for(".commitments", statement_id=statement.id))


def _read_upload(form: UploadForm, limit: int) -> str | None:
    upload = form.file.data
    raw = upload.stream.read(limit + 1)
    if len(raw) > limit:
        form.file.errors = [f"The selected file must be smaller than {limit // (1024 * 1024)} MB"]
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = ["The selected file must be UTF-8 text"]
        return None


UploadHandler = Callable[[Statement, str, UploadForm], Response | None]


def _upload_page(
    statement_id: int, kind: str, limit: int, what: str, handle: UploadHandler
) -> ResponseReturnValue:
    """The upload pages' shared flow: read the file, hand its text to `handle`, and show the
    domain's problems (by row/column or JSON path) in the error summary when it refuses.

    `handle` returns the redirect on success, or None after putting an error on the form.
    """
    statement = _editable(statement_id)
    form = UploadForm()
    problems: list[Problem] = []
    named: list[Any] = []  # the file's commitments, to name problems by their reference
    if form.validate_on_submit():
        text = _read_upload(form, limit)
        if text is not None:
            try:
                response = handle(statement, text, form)
            except InputInvalid as exc:
                problems = exc.problems
                named = _file_commitments(text) if kind == "json" else []
                count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
                form.file.errors = [
                    f"The {what} has {count}: nothing was changed. Correct "
                    f"{'it' if len(problems) == 1 else 'them'} and upload the file again"
                ]
            else:
                if response is not None:
                    return response
    ctx = _context(statement.council)
    return render_template(
        "applicant/upload.html",
        form=form,
        statement=statement,
        problems=[problem_text(p, ctx, commitments=named) for p in problems],
        kind=kind,
    ), 400 if form.errors else 200


def _file_commitments(text: str) -> list[Any]:
    try:
        data = load_json(text)
    except InputInvalid:
        return []
    items = data.get("commitments") if isinstance(data, dict) else None
    return items if isinstance(items, list) else []


def _add_commitments(statement: Statement, text: str, form: UploadForm) -> Response:
    draft = dict(statement.draft or {})
    existing = list(draft.get("commitments", []))
    added = parse_commitments_csv(
        text,
        existing,
        assessor().measures,
        council=assessor().plans[statement.council],
        geo=assessor().placer(),
    )
    draft["commitments"] = existing + added
    _save(statement, draft)
    flash(
        f"{len(added)} commitment{'s' if len(added) != 1 else ''} added from the CSV file",
        "success",
    )
    return redirect(url_for(".commitments", statement_id=statement.id))


def _replace_statement(statement: Statement, text: str, form: UploadForm) -> Response | None:
    # The council first: a file for another council would otherwise be refused for its
    # places (they are in that council), which hides the real mistake.
    try:
        council = load_json(text).get("council")
    except (InputInvalid, AttributeError):
        council = None  # not a JSON object: parse below names the fault
    if isinstance(council, str) and council.strip() != statement.council:
        names = assessor().councils()
        form.file.errors = [
            f"The file is for {names.get(council.strip(), 'another council')}, but this "
            f"statement is for {names.get(statement.council, statement.council)}: upload a "
            "statement for this council"
        ]
        return None
    data = assessor().parse(text).to_json_dict()  # the same checks as the API, places included
    _save(statement, data)
    flash("The statement was replaced by the uploaded file", "success")
    return redirect(url_for(".check", statement_id=statement.id))


@bp.route("/<int:statement_id>/commitments/upload", methods=["GET", "POST"])
@allow(APPLICANT)
def upload_commitments(statement_id: int) -> ResponseReturnValue:
    return _upload_page(statement_id, "csv", 2 * 1024 * 1024, "CSV file", _add_commitments)


@bp.route("/<int:statement_id>/upload", methods=["GET", "POST"])
@allow(APPLICANT)
def upload_statement(statement_id: int) -> ResponseReturnValue:
    return _upload_page(statement_id, "json", 5 * 1024 * 1024, "file", _replace_statement)


# --- check, submit, versions --------------------------------------------------------------


SECTION_FOR_PATH = (
    ("$.development", ".development"),
    ("$.site", ".site"),
    ("$.commitments", ".commitments"),
    ("$.application_reference", ".development"),
)


def _problem_links(statement: Statement, problems: list[Problem]) -> list[dict[str, str]]:
    ctx = _context(statement.council)
    items = (statement.draft or {}).get("commitments", [])
    links = []
    for item in problems:
        endpoint = next(
            (e for prefix, e in SECTION_FOR_PATH if item.path.startswith(prefix)), ".overview"
        )
        links.append(
            {
                "text": problem_text(item, ctx, commitments=items),
                "href": url_for(endpoint, statement_id=statement.id),
            }
        )
    return links


def _self_check(record: AssessmentRecord | None, council: str) -> list[dict[str, Any]]:
    """Each rule result of the typed record with its plain-English sentences and policy."""
    if record is None:
        return []
    plan = assessor().plans.get(council)
    by_id = {rule.id: rule for rule in getattr(plan, "rules", ())}
    return [
        {
            "result": rule,
            "text": explain_rule(rule, by_id.get(rule.id), plan),
            "policy": policy(rule.citation),
        }
        for rule in record.rules
    ]


def _summary_rows(statement: Statement, record: AssessmentRecord | None) -> dict[str, Any]:
    """Check-your-answers rows: (question, answer lines, where to change it, hidden text)."""
    draft = statement.draft or {}
    dev = draft.get("development") or {}
    site = draft.get("site") or {}
    development = url_for(".development", statement_id=statement.id)
    where_site = url_for(".site", statement_id=statement.id)

    def given(value: Any, show: Callable[[Any], str]) -> list[str]:
        return ["Not given"] if value is None else [show(value)]

    def floorspace(uses: dict[str, Any]) -> list[str]:
        lines = [
            f"{USE_CLASS_LABELS.get(use, use)}: {format_number(area)} m²"
            for use, area in uses.items()
            if isinstance(area, (int, float))
        ]
        return lines or ["None"]

    rows = [
        (
            "Planning application reference",
            [draft.get("application_reference") or "Not given"],
            development,
            "planning application reference",
        ),
        (
            "Number of homes",
            given(dev.get("dwellings"), lambda v: format_number(v)),
            development,
            "number of homes",
        ),
        ("Build cost", given(dev.get("build_cost_gbp"), format_gbp), development, "build cost"),
        (
            "Construction period",
            given(dev.get("construction_months"), lambda v: format_number(v, "months")),
            development,
            "construction period",
        ),
        ("Floorspace", floorspace(dev.get("floorspace_sqm") or {}), development, "floorspace"),
    ]
    if dev.get("existing_floorspace_sqm"):
        rows.append(
            (
                "Existing floorspace",
                floorspace(dev["existing_floorspace_sqm"]),
                development,
                "existing floorspace",
            )
        )
    if dev.get("dwellings_not_known"):
        rows.append(
            ("Number of homes known", ["No: an outline application"], development, "outline")
        )
    rows.append(
        (
            "Validation date",
            [
                format_date(draft["validation_date"])
                if draft.get("validation_date")
                else "Not given: the rules in force when you submit apply"
            ],
            development,
            "validation date",
        )
    )
    if dev.get("site_area_ha") is not None:
        rows.append(
            (
                "Site area",
                [format_number(dev["site_area_ha"], "hectares")],
                development,
                "site area",
            )
        )
    rows.append(("Site address", [site.get("address") or "Not given"], where_site, "site address"))
    if site.get("postcode"):
        location = [f"Postcode {normalise_postcode(site['postcode'])}"]
    elif site.get("point"):
        lon, lat = site["point"]
        location = [f"Longitude {format_number(lon)}, latitude {format_number(lat)}"]
    elif site.get("geometry"):
        location = ["Red-line boundary uploaded"]
    else:
        location = ["Not given"]
    if record is not None and record.site.wards:
        location.append(
            "In "
            + ", ".join(
                f"{w.name} ward"
                + (
                    f" ({format_number(round(w.share * 100))}%)"
                    if len(record.site.wards) > 1
                    else ""
                )
                for w in record.site.wards
            )
        )
    rows.append(("Site location", location, where_site, "site location"))
    ctx = _context(statement.council)
    wards = ward_names_of(record)
    commitments = [
        (
            f"Commitment {c.get('id')}",
            [commitment_words(c, ctx.measures, wards)],
            url_for(".edit_commitment", statement_id=statement.id, commitment_id=c.get("id")),
            f"commitment {c.get('id')}",
        )
        for c in draft.get("commitments") or []
        if isinstance(c, dict)
    ]
    return {"development": rows, "commitments": commitments}


def _benchmark_rows(
    council: str, data: dict[str, Any], record: AssessmentRecord | None
) -> list[Any]:
    """This statement's offer per £1m, per home and per 1,000 m² beside the council's
    approved schemes (store/benchmarks.py); none until the self-check has run."""
    if record is None:
        return []
    return benchmarks_store.benchmark_rows(
        db_session(), council, data, record.applied_on, assessor().measures
    )


def _check_page(statement: Statement, form: SubmitForm) -> str:
    data, problems = repo.self_check(
        statement.draft or {}, assessor=assessor(), session=db_session()
    )
    record = parse_assessment(data) if data else None
    return render_template(
        "applicant/check.html",
        statement=statement,
        assessment=record,
        benchmarks=_benchmark_rows(statement.council, statement.draft or {}, record),
        checks=_self_check(record, statement.council),
        rows=_summary_rows(statement, record),
        problem_links=_problem_links(statement, problems),
        form=form,
        editable=can_edit(current_actor(), statement),
        resubmit=statement.status == Status.CHANGES_REQUESTED.value,
    )


@bp.get("/<int:statement_id>/check")
@allow(APPLICANT)
def check(statement_id: int) -> ResponseReturnValue:
    return _check_page(_own(statement_id), SubmitForm(formdata=None))


@bp.post("/<int:statement_id>/submit")
@allow(APPLICANT)
def submit(statement_id: int) -> ResponseReturnValue:
    statement = _editable(statement_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, description="The form could not be checked. Go back and try again.")
        # Without the declaration nothing is submitted; the page says what to do.
        return _check_page(statement, form), 400
    session = db_session()
    try:
        version = repo.submit(session, statement, current_actor(), assessor=assessor())
    except InputInvalid:
        session.rollback()
        return redirect(url_for(".check", statement_id=statement_id))
    session.commit()
    return redirect(url_for(".submitted", statement_id=statement.id, number=version.number))


@bp.get("/<int:statement_id>/versions/<int:number>/submitted")
@allow(APPLICANT)
def submitted(statement_id: int, number: int) -> ResponseReturnValue:
    """The confirmation page: what was sent, its reference, and what happens next."""
    statement = _own(statement_id)
    version = statement.version(number)
    if version is None:
        abort(404)
    return render_template(
        "applicant/submitted.html",
        statement=statement,
        version=version,
        council_name=assessor().councils().get(statement.council, statement.council),
    )


@bp.get("/<int:statement_id>/versions/<int:number>")
@allow(APPLICANT)
def version(statement_id: int, number: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    current = statement.version(number)
    if current is None:
        abort(404)
    previous = statement.version(number - 1)
    record = current.assessment.record if current.assessment else None
    changes = (
        change_sentences(previous.data, current.data, assessor().measures, ward_names_of(record))
        if previous
        else []
    )
    wards = ward_names_of(record)
    return render_template(
        "applicant/version.html",
        statement=statement,
        version=current,
        previous=previous,
        changes=changes,
        assessment=record,
        checks=_self_check(record, statement.council),
        # What was submitted, as the applicant wrote it.
        submitted=current.data,
        commitment_lines=[
            (item, commitment_words(item, assessor().measures, wards))
            for item in current.data.get("commitments", [])
        ],
    )
