"""JSON API under /api/v1/, authenticated by `Authorization: Bearer <token>`.

Bodies are statement@1 and answers are assessment@1, the same pydantic models the CLI and
`planning-sv schema` publish; `GET /api/v1/openapi.json` is generated from them. Errors are
RFC 9457 problem+json (see errors.py) with the JSON path of each invalid field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator, BaseModel, Field
from pydantic.json_schema import models_json_schema

from planning_sv import __version__
from planning_sv.core.assessment import AssessmentOut
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import MAX_ID, load_json
from planning_sv.core.statement import Statement as StatementModel
from planning_sv.core.workflow import Status
from planning_sv.store import statements as repo
from planning_sv.store.keyset import MAX_CURSOR_LENGTH, CursorCodec, CursorInvalid
from planning_sv.store.models import Statement
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import (
    APPLICANT,
    PUBLIC,
    STAFF_ROLES,
    allow,
    can_edit,
    can_read_working_draft,
    csrf,
    current_actor,
    is_applicant_side,
    statement_or_404,
)
from planning_sv.web.errors import problem
from planning_sv.web.params import MAX_PAGE, int_arg, parse_int

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate here, so cross-site forms cannot ride a session.
csrf.exempt(bp)

MAX_PER_PAGE = 100
# `page` skips (page - 1) * per_page rows, which the database reads one by one: it stops at
# this offset (a 400 naming `page`). Deeper lists follow `next`, a keyset cursor whose
# pages cost what the first does at any depth.
MAX_OFFSET = 1_000


# --- response models (also the OpenAPI components) ---------------------------------------


def as_utc(value: dt.datetime) -> dt.datetime:
    """Stored times are UTC; SQLite hands them back naive, so they gain the zone here and
    every API timestamp is RFC 3339 with an offset (the schema's `date-time` requires one)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]


class Created(BaseModel):
    id: int
    status: str
    url: str


class VersionSummary(BaseModel):
    number: int
    submitted_at: UtcDateTime


class StatementSummary(BaseModel):
    id: int
    council: str
    status: str
    application_reference: str | None = None
    updated_at: UtcDateTime
    versions: int


class StatementDetail(StatementSummary):
    version_counter: int = Field(description="send as If-Match with PUT to avoid lost updates")
    draft: dict[str, Any] = Field(
        description="the working statement@1 (may be incomplete); owner only, {} for officers,"
        " who read the submitted versions"
    )
    submitted: list[VersionSummary]
    owner: bool = Field(description="whether the caller owns the statement")


class StatementPage(BaseModel):
    items: list[StatementSummary]
    page: int | None = Field(description="the page number asked for; null when paged by cursor")
    per_page: int
    total: int = Field(description="statements matching the filters, across all pages")
    next: str | None = Field(
        description="the next page (same filters, a cursor after this page's last row);"
        " null on the last page"
    )


class Submitted(BaseModel):
    id: int
    status: str
    version: int


class ProblemOut(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] = Field(
        default_factory=list, description="each invalid field: {path: '$.a[0].b', message}"
    )


def _summary(statement: Statement) -> dict[str, Any]:
    return StatementSummary(
        id=statement.id,
        council=statement.council,
        status=statement.status,
        application_reference=statement.application_reference,
        updated_at=statement.updated_at,
        # Versions are numbered 1..N: the column is the count, with no query per row.
        versions=statement.latest_version_number,
    ).model_dump(mode="json")


def _detail(statement: Statement) -> dict[str, Any]:
    actor = current_actor()
    return StatementDetail(
        **_summary(statement),
        version_counter=statement.version_counter,
        # The working draft is the owner's (web/authz.py); officers read submitted versions.
        draft=(statement.draft or {}) if can_read_working_draft(actor, statement) else {},
        submitted=[
            VersionSummary(number=v.number, submitted_at=v.submitted_at) for v in statement.versions
        ],
        owner=is_applicant_side(actor, statement),
    ).model_dump(mode="json")


def _json_body() -> Any:
    """The parsed JSON body, or InputInvalid at '$' for a wrong type, malformed JSON or one
    over the limits (core/limits.py: depth, integer digits, NaN/Infinity) — checked before
    pydantic sees it."""
    if not request.is_json:
        raise InputInvalid(
            [Problem("$", "send the body as JSON with Content-Type: application/json")]
        )
    raw = request.get_data(cache=False)  # raises 413 above MAX_CONTENT_LENGTH
    return load_json(raw)


def _own_editable(statement_id: int) -> Statement:
    """The caller's own statement in an editable state, else a 404/403/409 problem response."""
    statement = statement_or_404(statement_id)
    if not is_applicant_side(current_actor(), statement):
        abort(problem(403, "only the applicant who owns a statement may change it"))
    if not can_edit(current_actor(), statement):
        abort(
            problem(
                409, f"a statement that is {statement.status.replace('_', ' ')} cannot be changed"
            )
        )
    return statement


def _statement_response(statement: Statement) -> Response:
    """The statement's detail, with its version counter as the ETag for If-Match."""
    response = jsonify(_detail(statement))
    response.headers["ETag"] = f'"{statement.version_counter}"'
    return response


# --- endpoints ----------------------------------------------------------------------------


@bp.get("/openapi.json")
@allow(PUBLIC)
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document(assessor()))


@bp.get("/statements")
@allow(APPLICANT, *STAFF_ROLES)
def list_statements() -> ResponseReturnValue:
    problems: list[Problem] = []
    page = int_arg("page", 1, problems, minimum=1, maximum=MAX_PAGE)
    per_page = int_arg("per_page", 20, problems, minimum=1, maximum=MAX_PER_PAGE)
    statuses = [s for s in request.args.getlist("status") if s]
    known = {s.value for s in Status}
    problems += [Problem("status", f"unknown status '{s}'") for s in statuses if s not in known]
    if problems:
        raise InputInvalid(problems)
    codec = CursorCodec(current_app.secret_key or "")
    after = None
    raw_cursor = request.args.get("cursor")
    if raw_cursor is not None:
        if "page" in request.args:
            return problem(
                400,
                "give either page or cursor, not both",
                problems=[Problem("cursor", "give either page or cursor, not both")],
            )
        try:
            after = codec.loads(repo.NEWEST_FIRST, raw_cursor)
        except CursorInvalid as exc:
            return problem(400, str(exc), problems=[Problem("cursor", str(exc))])
    elif (page - 1) * per_page > MAX_OFFSET:
        message = (
            f"page {page} of {per_page} starts after statement {(page - 1) * per_page:,}; "
            f"page numbers reach the first {MAX_OFFSET:,} statements only: follow `next` "
            "(a cursor) from the first page to go further"
        )
        return problem(400, message, problems=[Problem("page", message)])
    # A fixed number of queries whatever per_page is (store/statements.py `visible_page`);
    # the summaries read only columns.
    found = repo.visible_page(
        db_session(), current_actor(), page=page, per_page=per_page, statuses=statuses, after=after
    )
    following = None
    if found.following is not None:
        following = url_for(
            ".list_statements",
            cursor=codec.dumps(repo.NEWEST_FIRST, found.following),
            per_page=per_page,
            status=statuses,
        )
    return jsonify(
        StatementPage(
            items=[StatementSummary(**_summary(s)) for s in found.rows],
            page=None if after is not None else page,
            per_page=per_page,
            total=found.total,
            next=following,
        ).model_dump(mode="json")
    )


@bp.post("/statements")
@allow(APPLICANT)
def create_statement() -> ResponseReturnValue:
    parsed = assessor().parse(_json_body())  # InputInvalid -> 422 with JSON paths
    session = db_session()
    statement = repo.create_statement(
        session, current_actor(), parsed.council, parsed.to_json_dict(), assessor=assessor()
    )
    session.commit()
    url = url_for(".get_statement", statement_id=statement.id)
    response = jsonify(Created(id=statement.id, status=statement.status, url=url).model_dump())
    response.status_code = 201
    response.headers["Location"] = url
    return response


@bp.get("/statements/<int:statement_id>")
@allow(APPLICANT, *STAFF_ROLES)
def get_statement(statement_id: int) -> ResponseReturnValue:
    return _statement_response(statement_or_404(statement_id))


@bp.put("/statements/<int:statement_id>")
@allow(APPLICANT)
def put_statement(statement_id: int) -> ResponseReturnValue:
    statement = _own_editable(statement_id)
    expected = request.headers.get("If-Match", "").strip().strip('"')
    if expected and expected != str(statement.version_counter):
        return problem(
            412,
            "the statement changed since you read it; GET it again",
            title="Precondition failed",
        )
    parsed = assessor().parse(_json_body())
    session = db_session()
    repo.save_draft(session, statement, parsed.to_json_dict(), current_actor(), assessor=assessor())
    session.commit()
    return _statement_response(statement)


@bp.post("/statements/<int:statement_id>/submit")
@allow(APPLICANT)
def submit_statement(statement_id: int) -> ResponseReturnValue:
    statement = _own_editable(statement_id)
    session = db_session()
    version = repo.submit(session, statement, current_actor(), assessor=assessor())
    session.commit()
    return jsonify(
        Submitted(id=statement.id, status=statement.status, version=version.number).model_dump()
    )


@bp.get("/statements/<int:statement_id>/versions/<int:number>")
@allow(APPLICANT, *STAFF_ROLES)
def get_version(statement_id: int, number: int) -> ResponseReturnValue:
    """A submitted version exactly as frozen (statement@1)."""
    statement = statement_or_404(statement_id)
    match = statement.version(number)
    if match is None:
        return problem(404, f"statement {statement_id} has no version {number}")
    response = jsonify(match.data)
    response.headers["X-Submitted-At"] = as_utc(match.submitted_at).isoformat()
    return response


@bp.get("/statements/<int:statement_id>/assessment")
@allow(APPLICANT, *STAFF_ROLES)
def get_assessment(statement_id: int) -> ResponseReturnValue:
    """The assessment of the latest submitted version (or ?version=N); else of the draft."""
    statement = statement_or_404(statement_id)
    number = parse_int(request.args.get("version"), "version", minimum=1, maximum=MAX_ID)
    if number is not None:
        match = statement.version(number)
        if match is None or match.assessment is None:
            return problem(404, f"statement {statement_id} has no version {number}")
        return jsonify(_record_json(match.assessment))
    if can_read_working_draft(current_actor(), statement):
        record = repo.latest_assessment(db_session(), statement)
    else:
        # Officers: the latest submitted version's, never the working draft's self-check.
        latest = statement.latest_version
        record = latest.assessment if latest is not None else None
        if record is None:
            return problem(404, f"statement {statement_id} has no assessed submitted version")
    if record is None:
        # The draft is incomplete: say what is missing rather than a bare 404.
        _data, problems = repo.self_check(
            statement.draft or {}, assessor=assessor(), session=db_session()
        )
        return problem(
            409,
            "the statement is not complete enough to assess",
            problems=problems,
            title="Conflict",
        )
    return jsonify(_record_json(record))


def _record_json(row: Any) -> dict[str, Any]:
    """A stored assessment as the API serves it: read as the typed record (core/assessment.py,
    strict), then written with the fields the record has, so the API can only ever serve
    what the published schema says."""
    return row.record.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- OpenAPI ------------------------------------------------------------------------------


def _problem_responses(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad request",
        401: "No or invalid bearer token",
        403: "Not allowed for this role",
        404: "No such statement visible to you",
        409: "Not allowed in the statement's state",
        412: "If-Match does not match",
        413: "Body larger than 5 MB",
        415: "Body is not JSON",
        422: "Invalid fields (errors[].path is a JSON path)",
    }
    return {
        str(code): {
            "description": text[code],
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
            },
        }
        for code in codes
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _reference_enums(schemas: dict[str, Any], reference: Any) -> None:
    """Narrow the generated request schema to the codes this server knows, so the document
    says what a request must hold to be accepted (council, measure, unit), not just their
    shape. A unit must still belong to its measure, which docs/WEB.md ("Limits") lists."""
    council = schemas.get("Statement", {}).get("properties", {}).get("council")
    if council is not None:
        council["enum"] = sorted(reference.plans)
    commitment = schemas.get("Commitment", {}).get("properties", {})
    if "measure" in commitment:
        commitment["measure"]["enum"] = sorted(reference.measures)
    if "unit" in commitment:
        units = {unit for m in reference.measures.values() for unit in m.units}
        commitment["unit"]["enum"] = sorted(units)


def openapi_document(reference: Any = None) -> dict[str, Any]:
    """OpenAPI 3.1, with schemas generated from the same pydantic models the code uses;
    with `reference` (the Assessor) the councils, measures and units it knows are enums."""
    from planning_sv.web.monitoring import (  # deferred: the monitoring blueprint's own models
        DeliveryReportIn,
        DeliveryReportsCreated,
        DeliveryReportsIn,
        DeliveryReportsPage,
    )

    _, defs = models_json_schema(
        [
            (StatementModel, "validation"),
            (DeliveryReportIn, "validation"),
            (DeliveryReportsIn, "validation"),
            (DeliveryReportsPage, "serialization"),
            (DeliveryReportsCreated, "serialization"),
            (AssessmentOut, "serialization"),
            (Created, "serialization"),
            (StatementDetail, "serialization"),
            (StatementPage, "serialization"),
            (Submitted, "serialization"),
            (ProblemOut, "serialization"),
        ],
        ref_template="#/components/schemas/{model}",
        by_alias=True,
    )
    schemas = defs.get("$defs", {})
    if reference is not None:
        _reference_enums(schemas, reference)
    # What the server accepts, not just "integer": ids and versions fit our INTEGER columns
    # (IdConverter answers 404 above that), pages are bounded (web/params.py).
    id_schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    id_param = {"name": "statement_id", "in": "path", "required": True, "schema": id_schema}
    statement_body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Statement"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "planning_sv API",
            "version": __version__,
            "description": "Social value statements (planning-sv/statement@1) and their assessments (planning-sv/assessment@1).",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "create a token with `planning-sv tokens create --email E` or on your account page",
                }
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI document"}},
                }
            },
            "/statements": {
                "get": {
                    "summary": "Your statements (applicants) or your council's (officers), newest first",
                    "description": "Follow `next` for the following page: it carries a cursor"
                    " after the last row, so pages neither skip nor repeat rows while"
                    " statements change, and a deep page costs what the first does.",
                    "parameters": [
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "opaque; from a previous page's `next`. Not with `page`",
                            "schema": {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "deprecated": True,
                            "description": "page number (offset paging; the offset"
                            f" (page - 1) × per_page may be at most {MAX_OFFSET:,}, else 400);"
                            " prefer `next`",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PAGE,
                                "default": 1,
                            },
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PER_PAGE,
                                "default": 20,
                            },
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": [s.value for s in Status]},
                        },
                    ],
                    "responses": {
                        "200": _json("StatementPage", "One page of statements"),
                        **_problem_responses(400, 401, 403, 422),
                    },
                },
                "post": {
                    "summary": "Create a draft statement from a whole statement@1 body",
                    "requestBody": statement_body,
                    "responses": {
                        "201": _json("Created", "Created; Location names it"),
                        **_problem_responses(401, 403, 413, 415, 422),
                    },
                },
            },
            "/statements/{statement_id}": {
                "parameters": [id_param],
                "get": {
                    "summary": "A statement: its draft and submitted versions",
                    "responses": {
                        "200": _json("StatementDetail", "The statement"),
                        **_problem_responses(401, 403, 404),
                    },
                },
                "put": {
                    "summary": "Replace the draft (owner; draft or changes requested)",
                    "parameters": [
                        {"name": "If-Match", "in": "header", "schema": {"type": "string"}}
                    ],
                    "requestBody": statement_body,
                    "responses": {
                        "200": _json("StatementDetail", "Saved"),
                        **_problem_responses(401, 403, 404, 409, 412, 413, 415, 422),
                    },
                },
            },
            "/statements/{statement_id}/submit": {
                "parameters": [id_param],
                "post": {
                    "summary": "Submit (or resubmit) the draft as the next immutable version",
                    "responses": {
                        "200": _json("Submitted", "Submitted"),
                        **_problem_responses(401, 403, 404, 409, 422),
                    },
                },
            },
            "/statements/{statement_id}/versions/{number}": {
                "parameters": [
                    id_param,
                    {"name": "number", "in": "path", "required": True, "schema": id_schema},
                ],
                "get": {
                    "summary": "A submitted version, exactly as frozen",
                    "responses": {
                        "200": _json("Statement", "The statement@1 as submitted"),
                        **_problem_responses(401, 403, 404),
                    },
                },
            },
            "/statements/{statement_id}/assessment": {
                "parameters": [
                    id_param,
                    {
                        "name": "version",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    },
                ],
                "get": {
                    "summary": "assessment@1 of the latest version (or ?version=N), else of the draft",
                    "responses": {
                        "200": _json("AssessmentOut", "The assessment"),
                        **_problem_responses(401, 403, 404, 409, 422),
                    },
                },
            },
            # Delivery reports on monitored obligations (web/monitoring.py, issue 13).
            "/statements/{statement_id}/delivery-reports": {
                "parameters": [id_param],
                "get": {
                    "summary": "The scheme's monitored obligations and every delivery report "
                    "(the developer and the council's staff)",
                    "responses": {
                        "200": _json("DeliveryReportsPage", "Obligations and reports"),
                        **_problem_responses(401, 403, 404),
                    },
                },
                "post": {
                    "summary": "Report delivery (the developer): one report or "
                    '{"reports": [...]}; all are stored or none, every problem named by its '
                    "JSON path. Evidence: multipart/form-data with the JSON in a `report` part "
                    "and files (PDF, DOCX, XLSX, CSV, PNG, JPEG; 4 MB each, at most 5) in "
                    "`evidence` parts, attached to every report of the request",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/DeliveryReportIn"},
                                        {"$ref": "#/components/schemas/DeliveryReportsIn"},
                                    ]
                                }
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["report"],
                                    "properties": {
                                        "report": {
                                            "type": "string",
                                            "description": "DeliveryReportIn or "
                                            "DeliveryReportsIn as JSON text",
                                        },
                                        "evidence": {
                                            "type": "array",
                                            "items": {
                                                "type": "string",
                                                "contentEncoding": "binary",
                                            },
                                            "maxItems": 5,
                                        },
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": _json("DeliveryReportsCreated", "Stored, pending verification"),
                        **_problem_responses(400, 401, 403, 404, 413, 422),
                    },
                },
            },
            # Open Digital Planning import (web/odp.py, issue 15).
            "/statements/import-odp": {
                "post": {
                    "summary": "Start a draft from an Open Digital Planning application document "
                    "(the JSON PlanX sends): reference, site address and boundary, application type",
                    "parameters": [
                        {
                            "name": "council",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "application_reference",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "description": "an ODP application (or post-submission "
                                    "application) document: https://theopensystemslab.github.io/"
                                    "digital-planning-data-schemas/@next/schemas/application.json",
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "The new draft: id, status, url and what was imported",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_problem_responses(401, 403, 422),
                    },
                },
            },
        },
    }
