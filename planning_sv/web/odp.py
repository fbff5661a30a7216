"""Start a statement from the application the council already has: import an Open Digital
Planning application document (the JSON PlanX sends to back-office systems; core/odp.py)
to pre-fill the reference, site address, boundary and application type of a new draft.

- Applicant page: GET/POST /statements/import (upload the .json file).
- API: POST /api/v1/statements/import-odp?council=<code> with the document as the JSON
  body (Bearer token, as the rest of /api/v1); 201 with the new statement, or 422
  problem+json naming each field of the document at fault.

Either way the site is placed before anything is saved (a site wholly in another council is
refused), the draft is the applicant's (or their organisation's) like any other, and the
import is an audit event ("import_odp", with the document's PlanX id and type).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from planning_sv.core import odp
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import load_json
from planning_sv.store import statements as repo
from planning_sv.store.models import Statement, User
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import APPLICANT, allow, csrf, current_actor

bp = Blueprint("odp", __name__)

MAX_REFERENCE = 200
# statement@1 site paths -> the ODP document's fields they came from (for messages).
_SITE_SOURCES = {
    "$.site.geometry": "$.data.proposal.boundary.site",
    "$.site.postcode": "$.data.property.address.postcode",
    "$.site.point": "$.data.property.address",
    "$.site": "$.data.property",
}


def _import(
    document: Any, council: str, reference: str | None, owner: User
) -> tuple[Statement, odp.OdpApplication]:
    """Read, check and save: the new draft and what was read. InputInvalid names each field
    at fault (document fields as their JSON paths; `council`, `application_reference`)."""
    plans = assessor().plans
    if council not in plans:
        raise InputInvalid([Problem("council", "Choose the council the application is for")])
    plan = plans[council]
    found = odp.read_odp(document)
    wrong_council = odp.organisation_problem(found, getattr(plan, "organisation", None), plan.name)
    if wrong_council is not None:
        raise InputInvalid([wrong_council])
    fields = found.statement_fields()
    typed = (reference or "").strip()
    if len(typed) > MAX_REFERENCE:
        raise InputInvalid(
            [Problem("application_reference", f"must be at most {MAX_REFERENCE} characters")]
        )
    if typed:
        fields["application_reference"] = typed
    # Placed before saving: a site that cannot be placed or lies wholly in another council
    # is refused, naming the document's field.
    _placed, problems = assessor().place_site(council, fields["site"])
    if problems:
        raise InputInvalid(Problem(_SITE_SOURCES.get(p.path, p.path), p.message) for p in problems)
    draft = {**repo.new_draft(council), **fields}
    session = db_session()
    statement = repo.create_statement(session, owner, council, draft)
    repo.record_event(
        session,
        statement,
        owner,
        "import_odp",
        None,
        statement.status,
        None,
        {
            "source_id": found.source_id,
            "application_type": found.application_type,
            "organisation": found.organisation,
        },
    )
    session.commit()
    return statement, found


def _councils() -> dict[str, str]:
    return dict(assessor().councils())


@bp.route("/statements/import", methods=["GET", "POST"])
@allow(APPLICANT)
def start() -> ResponseReturnValue:
    """The applicant's upload page."""
    typed = {"council": "", "application_reference": ""}
    problems: list[Problem] = []
    if request.method == "POST":
        typed = {
            "council": request.form.get("council", "").strip()[:64],
            "application_reference": request.form.get("application_reference", "").strip()[
                :MAX_REFERENCE
            ],
        }
        upload = request.files.get("document")
        if not typed["council"] or typed["council"] not in _councils():
            problems.append(Problem("council", "Choose the council the application is for"))
        if upload is None or not upload.filename:
            problems.append(Problem("document", "Choose the application's JSON file"))
        if not problems:
            assert upload is not None
            try:
                document = load_json(upload.read())
                owner = current_actor()
                assert owner is not None
                statement, found = _import(
                    document, typed["council"], typed["application_reference"] or None, owner
                )
            except InputInvalid as exc:
                db_session().rollback()
                problems = [
                    p if p.path in ("council", "application_reference") else _document_problem(p)
                    for p in exc.problems
                ]
            else:
                label = found.application_type_label or found.application_type
                flash(
                    f"Started from the application: {found.address or 'the site'} ({label}). "
                    "Check the site, then enter the development.",
                    "success",
                )
                return redirect(url_for("applicant.development", statement_id=statement.id))
    return render_template(
        "applicant/import_odp.html",
        councils=_councils(),
        typed=typed,
        errors={p.path: p.message for p in problems},
        error_list=problems,
    ), (400 if problems else 200)


def _document_problem(problem: Problem) -> Problem:
    """A problem in the uploaded document, shown against the file field, naming the
    document's own field (its JSON path) so the applicant's agent can find it."""
    where = "" if problem.path == "$" else f"{problem.path}: "
    return Problem("document", f"The file has a problem: {where}{problem.message}")


@bp.post("/api/v1/statements/import-odp")
@allow(APPLICANT)
def api_import() -> ResponseReturnValue:
    """The document as the JSON body; `council` (required) and `application_reference`
    (optional: the document's own, else none) as query parameters."""
    if not request.is_json:
        raise InputInvalid(
            [Problem("$", "send the document as JSON with Content-Type: application/json")]
        )
    document = load_json(request.get_data(cache=False))
    council = request.args.get("council", "").strip()[:64]
    owner = current_actor()
    assert owner is not None
    statement, found = _import(document, council, request.args.get("application_reference"), owner)
    url = url_for("api.get_statement", statement_id=statement.id)
    response = jsonify(
        {
            "id": statement.id,
            "status": statement.status,
            "url": url,
            "imported": {
                "application_reference": statement.application_reference,
                "application_type": found.application_type,
                "address": found.address,
                "postcode": found.postcode,
                "boundary": found.boundary is not None,
                "source_id": found.source_id,
            },
        }
    )
    response.status_code = 201
    response.headers["Location"] = url
    return response


# Bearer tokens, not cookies, authenticate the API: no CSRF token there (as web/api.py).
csrf.exempt(api_import)
