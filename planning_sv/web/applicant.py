"""The applicant journey: start → development → site → commitments → check → submit → revise.

Each step saves straight into the statement's draft (save-and-return) and recomputes the
self-check. Routes parse input and call `store.statements`; the domain decides validity.
"""

from __future__ import annotations

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

from planning_sv.core.commitments_csv import next_commitment_id, parse_commitments_csv
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import load_json
from planning_sv.core.statement import USE_CLASSES, json_field_path
from planning_sv.core.workflow import OPEN, Status
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import APPLICANT, allow, can_edit, current_actor, statement_or_404
from planning_sv.web.forms import (
    CommitmentForm,
    ConfirmForm,
    DevelopmentForm,
    SiteForm,
    StartForm,
    UploadForm,
    WithdrawForm,
    attach_problems,
    select_choices,
)
from planning_sv.web.params import page_arg

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
    if statement.owner_id != current_actor().id:
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


def _sentence(field: Any, message: str) -> str:
    """A domain message as a form error: 'must be 0 or more' under Quantity reads
    'Quantity must be 0 or more'; others get a capital letter. The words stay the core's,
    so the form, the CSV upload and the API say the same thing."""
    if message.startswith(("must ", "give ")):
        label = str(getattr(getattr(field, "label", None), "text", "") or "").strip()
        label = label.removesuffix("(optional)").strip().rstrip("?")
        return f"{label} {message}" if label else message[:1].upper() + message[1:]
    return message[:1].upper() + message[1:]


def _attach(form: Any, problems: list[Problem], fields: dict[str, str], *, fallback: str) -> None:
    """Put domain problems on the fields their paths map to; any left over (e.g. the
    statement's commitment limit) go on `fallback` so the error summary still lists them."""
    worded = []
    for item in problems:
        name = next((f for prefix, f in fields.items() if item.path.startswith(prefix)), fallback)
        worded.append(Problem(item.path, _sentence(getattr(form, name, None), item.message)))
    for item in attach_problems(form, worded, fields):
        target = getattr(form, fallback)
        target.errors = [*list(target.errors or []), item.message]


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
        events=repo.events_for(session, statement),
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
                **{
                    f"floorspace_{u}": current.get("floorspace_sqm", {}).get(u) for u in USE_CLASSES
                },
            }
        )
    else:
        form = DevelopmentForm()
    if form.validate_on_submit():
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
        # Keep facts this form does not show (e.g. from an uploaded JSON statement).
        for key in ("existing_floorspace_sqm", "site_area_ha"):
            if key in current:
                development[key] = current[key]
        draft["development"] = development
        if form.application_reference.data:
            draft["application_reference"] = form.application_reference.data.strip()
        else:
            draft.pop("application_reference", None)
        _save(statement, draft)
        return redirect(url_for(".site", statement_id=statement.id))
    return render_template(
        "applicant/development.html", form=form, statement=statement, use_classes=USE_CLASSES
    ), 400 if form.errors else 200


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
        where = exc.problems[0]
        return None, f"The selected file is not valid GeoJSON: {where.path}: {where.message}"
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
            }
        )
    else:
        form = SiteForm()
    if form.validate_on_submit():
        new_site: dict[str, Any] = {}
        if form.address.data:
            new_site["address"] = form.address.data.strip()
        if form.method.data == "postcode":
            new_site["postcode"] = form.postcode.data.strip().upper()
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
            if not problems:
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
        saved=request.args.get("saved") == "1",
    ), 400 if form.errors else 200


# --- commitments --------------------------------------------------------------------------


def _commitment_form(data: dict[str, Any] | None = None) -> CommitmentForm:
    form = CommitmentForm(data=data) if data is not None else CommitmentForm()
    measures = _measures()
    form.measure.choices = select_choices(
        {"": "Select", **{code: m.label for code, m in measures.items()}}
    )
    units: dict[str, str] = {}
    for measure in measures.values():
        units.update(measure.units)
    form.unit.choices = select_choices(
        {"": "Select", **dict(sorted(units.items(), key=lambda kv: kv[1]))}
    )
    return form


def _commitment_from_form(
    form: CommitmentForm, commitment_id: str, original: dict[str, Any] | None = None
) -> dict[str, Any]:
    where: dict[str, Any]
    if form.where.data == KEEP and original is not None:
        where = dict(original.get("where", {}))
    elif form.where.data == "postcode":
        where = {"postcode": form.where_postcode.data.strip().upper()}
    elif form.where.data == "ward":
        where = {"ward": form.where_ward.data.strip().upper()}
    elif form.where.data == "point":
        where = {"point": [_number(form.where_longitude.data), _number(form.where_latitude.data)]}
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
    kind = next((k for k in ("postcode", "ward", "point") if k in where), "borough")
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


def _commitment_problems(form: CommitmentForm, problems: list[Problem], index: int) -> None:
    base = f"$.commitments[{index}]"
    _attach(
        form,
        problems,
        {base + suffix: name for suffix, name in COMMITMENT_FIELDS.items()},
        fallback="measure",
    )


@bp.get("/<int:statement_id>/commitments")
@allow(APPLICANT)
def commitments(statement_id: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    data, problems = repo.self_check(
        statement.draft or {}, assessor=assessor(), session=db_session()
    )
    return render_template(
        "applicant/commitments.html",
        statement=statement,
        commitments=(statement.draft or {}).get("commitments", []),
        # Where each landed (local or not), once the statement is complete enough to place.
        placed={c["id"]: c for c in (data or {}).get("commitments", [])},
        problems=_section_problems(problems, "$.commitments"),
        measures=assessor().measures,
        confirm=ConfirmForm(),
        editable=can_edit(current_actor(), statement),
    )


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
            _commitment_problems(form, problems, position)
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
    if form.validate_on_submit():
        text = _read_upload(form, limit)
        if text is not None:
            try:
                response = handle(statement, text, form)
            except InputInvalid as exc:
                problems = exc.problems
                form.file.errors = [f"The {what} has {len(problems)} problem(s); nothing changed"]
            else:
                if response is not None:
                    return response
    return render_template(
        "applicant/upload.html", form=form, statement=statement, problems=problems, kind=kind
    ), 400 if form.errors else 200


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
    flash(f"{len(added)} commitment(s) added from the CSV", "success")
    return redirect(url_for(".commitments", statement_id=statement.id))


def _replace_statement(statement: Statement, text: str, form: UploadForm) -> Response | None:
    # The council first: a file for another council would otherwise be refused for its
    # places (they are in that council), which hides the real mistake.
    try:
        council = load_json(text).get("council")
    except (InputInvalid, AttributeError):
        council = None  # not a JSON object: parse below names the fault
    if isinstance(council, str) and council.strip() != statement.council:
        form.file.errors = [f"The file is for {council}; this statement is for {statement.council}"]
        return None
    data = assessor().parse(text).to_json_dict()  # the same checks as the API, places included
    _save(statement, data)
    flash("The statement was replaced by the uploaded file", "success")
    return redirect(url_for(".check", statement_id=statement.id))


@bp.route("/<int:statement_id>/commitments/upload", methods=["GET", "POST"])
@allow(APPLICANT)
def upload_commitments(statement_id: int) -> ResponseReturnValue:
    return _upload_page(statement_id, "csv", 2 * 1024 * 1024, "CSV", _add_commitments)


@bp.route("/<int:statement_id>/upload", methods=["GET", "POST"])
@allow(APPLICANT)
def upload_statement(statement_id: int) -> ResponseReturnValue:
    return _upload_page(statement_id, "json", 5 * 1024 * 1024, "statement", _replace_statement)


# --- check, submit, versions --------------------------------------------------------------


SECTION_FOR_PATH = (
    ("$.development", ".development"),
    ("$.site", ".site"),
    ("$.commitments", ".commitments"),
    ("$.application_reference", ".development"),
)


def _problem_links(statement: Statement, problems: list[Problem]) -> list[dict[str, str]]:
    links = []
    for item in problems:
        endpoint = next(
            (e for prefix, e in SECTION_FOR_PATH if item.path.startswith(prefix)), ".overview"
        )
        links.append(
            {
                "text": str(item),
                "href": url_for(endpoint, statement_id=statement.id),
            }
        )
    return links


@bp.get("/<int:statement_id>/check")
@allow(APPLICANT)
def check(statement_id: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    data, problems = repo.self_check(
        statement.draft or {}, assessor=assessor(), session=db_session()
    )
    return render_template(
        "applicant/check.html",
        statement=statement,
        assessment=data,
        problem_links=_problem_links(statement, problems),
        draft=statement.draft or {},
        measures=assessor().measures,
        confirm=ConfirmForm(),
        editable=can_edit(current_actor(), statement),
        resubmit=statement.status == Status.CHANGES_REQUESTED.value,
    )


@bp.post("/<int:statement_id>/submit")
@allow(APPLICANT)
def submit(statement_id: int) -> ResponseReturnValue:
    statement = _editable(statement_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The form could not be checked. Go back and try again.")
    session = db_session()
    try:
        version = repo.submit(session, statement, current_actor(), assessor=assessor())
    except InputInvalid:
        session.rollback()
        return redirect(url_for(".check", statement_id=statement_id))
    session.commit()
    flash(
        f"Version {version.number} submitted to {assessor().councils().get(statement.council, statement.council)}",
        "success",
    )
    return redirect(url_for(".overview", statement_id=statement.id))


@bp.get("/<int:statement_id>/versions/<int:number>")
@allow(APPLICANT)
def version(statement_id: int, number: int) -> ResponseReturnValue:
    statement = _own(statement_id)
    current = statement.version(number)
    if current is None:
        abort(404)
    previous = statement.version(number - 1)
    changes = repo.diff(previous.data, current.data) if previous else []
    return render_template(
        "applicant/version.html",
        statement=statement,
        version=current,
        previous=previous,
        changes=changes,
        assessment=current.assessment.data if current.assessment else None,
    )
