"""Property-based fuzzing of the JSON API from its own OpenAPI document (schemathesis).

Every operation in `/api/v1/openapi.json` is exercised as an applicant (bearer token), an
officer and anonymously, on SQLite, with schema-valid and schema-breaking requests
(schemathesis' coverage phase adds boundary values such as 2^63 and missing parameters).
The checks: no 5xx; every status, content type, header and body is one the document
declares; data the schema forbids is refused; a wrong method is 405 with `Allow`.

Data the schema allows can still be refused with 422 for reasons a JSON Schema cannot say
(a unit that does not belong to the measure, a postcode that does not exist, duplicate
commitment ids), so `positive_data_acceptance` is not among the checks; docs/WEB.md
("Limits") lists those rules.

Deterministic (derandomised, no example database, no network); the number of requests
and the time taken are printed at the end of the module (run with -s to see them).
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from planning_sv import config
from planning_sv.store import statements as repo
from planning_sv.store.assessments import Assessor
from planning_sv.store.migrate import upgrade
from planning_sv.store.models import User
from planning_sv.store.users import create_token, create_user
from planning_sv.web.api import openapi_document

PASSWORD = "a-long-password-for-fuzzing"


def load_example(council: str) -> dict[str, Any]:
    """The example statement (as tests/conftest.py reads it; `conftest` names several
    modules in this suite, so it is not imported)."""
    # tests/fixtures holds the examples as the statement format now stands (the shared copies
    # predate site designations).
    folder = config.PROJECT_ROOT / "tests" / "fixtures"
    path = next(p for p in sorted(folder.glob("*.json")) if p.name.startswith(council))
    return json.loads(path.read_text(encoding="utf-8"))


def make_app(url: str) -> Flask:
    """The app as tests/conftest.py's make_app builds it: migrated, CSRF and rate limit off."""
    from planning_sv.web import create_app

    upgrade(url)
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )


# Examples per operation and role (the coverage phase adds its boundary cases on top).
MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]

REQUESTS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One SQLite app for the module with an applicant (a draft and a submitted statement)
    and an Islington officer, each with a bearer token."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANNING_SV_INSTANCE_DIR", str(folder / "instance"))
        app: Flask = make_app(f"sqlite:///{folder / 'fuzz.db'}")
        with app.extensions["planning_sv.db"].session() as s:
            applicant = create_user(s, "fuzz.applicant@test.example", PASSWORD, "applicant", None)
            officer = create_user(s, "fuzz.officer@test.example", PASSWORD, "officer", "islington")
            owner = s.get(User, applicant.id)
            submitted = repo.create_statement(s, owner, "islington", load_example("islington"))
            repo.submit(s, submitted, owner)
            repo.create_statement(s, owner, "salford", load_example("salford"))
            tokens = {
                "applicant": create_token(s, owner)[1],
                "officer": create_token(s, s.get(User, officer.id))[1],
            }
        CURRENT.app = app
        started = time.perf_counter()
        yield {"app": app, "tokens": tokens}
        took = time.perf_counter() - started
        app.extensions["planning_sv.db"].dispose()
    summary = ", ".join(f"{role} {n}" for role, n in sorted(REQUESTS.items()))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES.items()))
    print(
        f"\nAPI fuzz: {sum(REQUESTS.values())} requests ({summary}) in {took:.1f} s; "
        f"statuses {statuses}"
    )


class _CurrentApp:
    """The module's app as a WSGI callable: the schema (and so the test list) is built when
    the module is imported, the app only when the module's fixture runs."""

    app: Flask | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None, "the fuzz_app fixture has not run"
        return self.app(environ, start_response)


CURRENT = _CurrentApp()


# The same document GET /api/v1/openapi.json serves (a test below checks they are equal).


def _document_with_examples() -> dict[str, Any]:
    """The served document plus the shared example statements as request-body examples, so
    the explicit phase also sends bodies the server accepts (random ones almost never name
    a real postcode or a point inside the council) and the 201/200 answers are checked."""
    document = copy.deepcopy(openapi_document(Assessor()))
    examples = {c: {"value": load_example(c)} for c in ("islington", "salford")}
    for path, method in (("/statements", "post"), ("/statements/{statement_id}", "put")):
        body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        body["examples"] = examples
    return document


schema = schemathesis.openapi.from_dict(_document_with_examples())
schema.app = CURRENT


@pytest.mark.parametrize("role", ["applicant", "officer", "anonymous"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(
    case: Any, role: str, fuzz_app: dict[str, Any]
) -> None:
    # Schemathesis generates the Authorization header from the bearer scheme: well formed in
    # valid cases (a random token, replaced here by the role's real one), missing or garbled
    # in invalid ones (left alone: the server must answer 401). Anonymous sends none.
    generated = (case.headers or {}).get("Authorization")
    if role == "anonymous":
        if case.headers:
            case.headers.pop("Authorization", None)
    elif isinstance(generated, str) and generated.startswith("Bearer "):
        case.headers["Authorization"] = f"Bearer {fuzz_app['tokens'][role]}"
    response = case.call_and_validate(checks=CHECKS)
    REQUESTS[role] += 1
    STATUSES[response.status_code] += 1
    assert response.status_code < 500


def test_the_fuzzed_document_is_the_served_one(fuzz_app: dict[str, Any]) -> None:
    served = fuzz_app["app"].test_client().get("/api/v1/openapi.json").get_json()
    assert served == openapi_document(Assessor())
    # The request schema names the councils and measures the server knows.
    statement = served["components"]["schemas"]["Statement"]["properties"]
    assert statement["council"]["enum"] == ["islington", "salford"]
