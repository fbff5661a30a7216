"""The admin page for council value sets: import a CSV, see problems by row and column,
choose the set a council's assessments use, list the rows in force."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planning_sv.core.valuation import ValueSet
from planning_sv.store import value_sets
from planning_sv.store.models import AuditEvent, ValueSetRow

GOOD_CSV = (
    "measure,unit,gbp_per_unit,price_year,source\n"
    "local_employment,fte_years,41000,2024,Council study\n"
    "apprenticeship,weeks,200,2024,\n"
)


def _chosen(app: Flask, council: str) -> ValueSet:
    """The set in force, read from the app's database (where the admin page stores it)."""
    with app.extensions["planning_sv.db"].session() as session:
        return value_sets.chosen(session, council)


def _import(client: FlaskClient, body: str | bytes, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "council": "islington",
        "name": "Islington licensed set",
        "licence": "Licensed to the council",
        "use_it": "no",
        **fields,
        "file": (io.BytesIO(body.encode() if isinstance(body, str) else body), "values.csv"),
    }
    return client.post("/admin/value-sets/import", data=data, content_type="multipart/form-data")


def test_import_choose_and_list_rows(
    app: Flask, login_as: Callable[..., FlaskClient], instance_dir: Path
) -> None:
    client = login_as("admin")
    assert "open version 1" in client.get("/admin/value-sets").text

    response = _import(client, GOOD_CSV)
    assert response.status_code == 302, response.text[:2000]
    assert response.location == "/admin/value-sets/islington"
    assert _chosen(app, "islington").name == "open"  # stored, not yet in use

    page = client.get("/admin/value-sets/islington").text
    assert "Islington licensed set: latest version" in page
    chosen = client.post(
        "/admin/value-sets/islington", data={"value_set": "Islington licensed set"}
    )
    assert chosen.status_code == 302
    assert _chosen(app, "islington").name == "Islington licensed set"
    assert _chosen(app, "salford").name == "open"

    rows = client.get("/admin/value-sets/islington").text
    assert "41,000.00" in rows and "Council study" in rows
    # a blank source takes the set's name, so no row is shown without one
    assert "Islington licensed set (islington value set)" in rows
    with app.extensions["planning_sv.db"].session() as session:
        events = list(session.scalars(select(AuditEvent)))
        admin_id = session.scalar(select(ValueSetRow.imported_by_id))
    assert [e.action for e in events] == ["import_value_set", "choose_value_set"]
    # Both name the admin who acted, as does the stored set.
    assert {e.actor_id for e in events} == {admin_id} and admin_id is not None
    assert not (instance_dir / "value_sets").exists()  # nothing in the instance folder


def test_import_and_use_at_once_and_pin_a_version(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("admin")
    assert _import(client, GOOD_CSV, use_it="yes").status_code == 302
    assert _import(client, GOOD_CSV.replace("41000", "42000"), use_it="yes").status_code == 302
    assert _chosen(app, "islington").version == 2
    client.post("/admin/value-sets/islington", data={"value_set": "Islington licensed set@1"})
    assert _chosen(app, "islington").version == 1
    page = client.get("/admin/value-sets/islington").text
    assert 'value="Islington licensed set@1" checked' in page
    back_to_open = client.post("/admin/value-sets/islington", data={"value_set": "open"})
    assert back_to_open.status_code == 302
    assert _chosen(app, "islington").name == "open"


def test_csv_problems_name_row_and_column_and_nothing_is_stored(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as("admin")
    bad = (
        "measure,unit,gbp_per_unit,price_year\n"
        "no_such_measure,fte_years,1,2024\n"
        "local_employment,fte_years,-5,2024\n"
        "local_employment,weeks,abc,\n"
    )
    response = _import(client, bad)
    assert response.status_code == 400
    page = response.text
    assert "There is a problem" in page
    assert "row 2, column measure" in page
    assert "row 3, column gbp_per_unit" in page
    assert "row 4, column price_year" in page
    assert "nothing was imported" in page
    with app.extensions["planning_sv.db"].session() as session:
        assert value_sets.list_sets(session, "islington")[1:] == []
        assert list(session.scalars(select(AuditEvent))) == []


def test_missing_fields_and_bad_bytes_are_field_errors(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as("admin")
    empty = client.post("/admin/value-sets/import", data={})
    assert empty.status_code == 400
    for message in ("Enter a name for the value set", "Enter the licence", "Select a CSV file"):
        assert message in empty.text
    not_utf8 = _import(client, b"measure,unit\n\xff\xfe\n")
    assert not_utf8.status_code == 400
    assert "not UTF-8" in not_utf8.text
    reserved = _import(client, GOOD_CSV, name="Open")
    assert reserved.status_code == 400
    assert "the shipped open set" in reserved.text


def test_council_admin_manages_only_its_council(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as("admin", "salford")
    listing = client.get("/admin/value-sets").text
    assert "Salford" in listing and "Islington" not in listing
    assert client.get("/admin/value-sets/islington").status_code == 404
    assert client.post("/admin/value-sets/islington", data={"value_set": "open"}).status_code == 404
    refused = _import(client, GOOD_CSV, council="islington")
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.text
    assert _import(client, GOOD_CSV, council="salford").status_code == 302


def test_unknown_council_is_404(login_as: Callable[..., FlaskClient]) -> None:
    assert login_as("admin").get("/admin/value-sets/atlantis").status_code == 404


def test_staff_cannot_reach_value_sets(login_as: Callable[..., FlaskClient]) -> None:
    for role in ("applicant", "officer", "senior_officer"):
        assert login_as(role).get("/admin/value-sets").status_code == 403


# --- one transaction, one database, the assessor reading the choice ------------------------


def _stored(app: Flask) -> tuple[int, int, int]:
    """(set versions, choices, audit rows) in the app's database."""
    from sqlalchemy import func

    from planning_sv.store.models import ValueSetChoice

    with app.extensions["planning_sv.db"].session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ValueSetRow, ValueSetChoice, AuditEvent)
        )


def test_a_failure_after_the_set_is_written_stores_neither_set_nor_audit(
    app: Flask, login_as: Callable[..., FlaskClient], monkeypatch
) -> None:
    client = login_as("admin")
    written: list[str] = []

    def audit_fails(session, actor, action, details):  # type: ignore[no-untyped-def]
        # The set (and, with use_it, the choice) is already flushed into the transaction.
        written.append(action)
        assert session.scalar(select(ValueSetRow.name)) == "Islington licensed set"
        raise RuntimeError("disk full while writing the audit row")

    monkeypatch.setattr(value_sets, "_audit", audit_fails)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page
    response = _import(client, GOOD_CSV, use_it="yes")
    assert response.status_code == 500
    assert written == ["import_value_set"]
    assert _stored(app) == (0, 0, 0)
    monkeypatch.undo()
    # The same import then succeeds whole: the set, the choice and one audit row.
    assert _import(client, GOOD_CSV, use_it="yes").status_code == 302
    assert _stored(app) == (1, 1, 1)
    assert _chosen(app, "islington").version == 1


def test_a_choice_made_on_one_app_is_used_by_another_app_on_the_database(
    app: Flask,
    app_with: Callable[..., Flask],
    login_as: Callable[..., FlaskClient],
    make_user,  # type: ignore[no-untyped-def]
    islington_example,  # type: ignore[no-untyped-def]
) -> None:
    from planning_sv.store import statements as repo
    from planning_sv.store.models import Assessment, User

    assert _import(login_as("admin"), GOOD_CSV, use_it="yes").status_code == 302
    other = app_with()  # another host: its own engine and services, the same database
    owner = make_user("applicant")
    with other.extensions["planning_sv.db"].session() as session:
        statement = repo.create_statement(
            session, session.get(User, owner.id), "islington", islington_example
        )
        repo.submit(session, statement, session.get(User, owner.id))
    with other.extensions["planning_sv.db"].session() as session:
        stored = session.scalars(select(Assessment).where(Assessment.version_id.is_not(None))).one()
    assert stored.value_set == "Islington licensed set v1"
    social = stored.data["social_value"]
    assert social["value_set"]["licence"] == "Licensed to the council"
    # c1: 25 FTE-years of local employment at the council's £41,000 (the open set: £37,430).
    c1 = next(c for c in social["commitments"] if c["id"] == "c1")
    assert c1["row"]["gbp_per_unit"] == 41_000
    assert c1["gbp"] == 25 * 41_000 == 1_025_000
