"""Error responses: RFC 9457 problem+json under /api/, GOV.UK error pages elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import IllegalTransition
from planning_sv.web.authz import is_api_request
from planning_sv.web.logging import request_id

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
}


def problem(
    status: int,
    detail: str,
    *,
    problems: Iterable[Problem] = (),
    title: str | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem+json response; `errors` lists each invalid field's JSON path."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    errors = [p.as_dict() for p in problems]
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="planning-sv"'
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        if is_api_request():
            detail = exc.description or TITLES.get(status, "")
            if status == 413:
                limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
                detail = f"the request body is larger than the {limit} MB limit"
            response = problem(status, detail)
            _keep_headers(exc, response)
            return response
        if isinstance(exc, CSRFError):
            status = 400
        response = app.make_response(
            (
                render_template(
                    "error.html",
                    status=status,
                    title=TITLES.get(status, exc.name),
                    detail=_page_detail(exc, status),
                ),
                status,
            )
        )
        _keep_headers(exc, response)
        return response

    @app.errorhandler(InputInvalid)
    def _invalid(exc: InputInvalid) -> ResponseReturnValue:
        if is_api_request():
            return problem(422, "the input has problems; see errors", problems=exc.problems)
        return render_template(
            "error.html", status=400, title="There is a problem", detail=str(exc)
        ), 400

    @app.errorhandler(IllegalTransition)
    def _illegal(exc: IllegalTransition) -> ResponseReturnValue:
        status = 403 if exc.forbidden else 409
        if is_api_request():
            return problem(status, str(exc))
        return render_template(
            "error.html", status=status, title=TITLES[status], detail=str(exc)
        ), status

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> ResponseReturnValue:
        _discard_failed_transaction()
        detail = "the statement was changed by someone else; reload it and try again"
        if is_api_request():
            return problem(409, detail)
        return render_template("error.html", status=409, title=TITLES[409], detail=detail), 409

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error on %s", request.path)
        _discard_failed_transaction()
        if is_api_request():
            # The id in the logs (also in X-Request-Id), for the caller to quote to support.
            return problem(
                500, "an unexpected error occurred; nothing was changed", request_id=request_id()
            )
        return render_template(
            "error.html",
            status=500,
            title=TITLES[500],
            detail="Nothing you saved before this page has been lost. Try again later.",
        ), 500


def _keep_headers(exc: HTTPException, response: Response) -> None:
    """The exception's own headers (Allow on 405 as RFC 9110 requires, Retry-After on 429,
    WWW-Authenticate) survive our replacement body; its Content-Type does not."""
    for name, value in exc.get_headers(request.environ):
        if name.lower() not in ("content-type", "content-length"):
            response.headers.setdefault(name, value)


def _discard_failed_transaction() -> None:
    """Roll back the request's database session before rendering an error page: after a
    failed flush it refuses every read (the page reads the signed-in user) until then."""
    session = g.get("_db_session")
    if session is not None:
        session.rollback()


def _page_detail(exc: HTTPException, status: int) -> str:
    if status == 404:
        return "If you typed the web address, check it is correct."
    if status == 403:
        return "Your account does not have access to this page."
    if status == 413:
        return "The file you uploaded is too large. Files must be smaller than 5 MB."
    if status == 429:
        return "You have tried too many times. Wait a minute and try again."
    if status == 400 and "CSRF" in (exc.description or ""):
        return "Your session expired or the form was not sent from this service. Go back and try again."
    return exc.description or ""
