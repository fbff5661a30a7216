"""Monitoring pages: agreement, trigger events, delivery reports with evidence, verification,
money, CSV upload and API; bad reports are refused, naming the field, and change nothing;
`monitor run` sends each alert once through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv.core.documents import MAX_DOCUMENT_BYTES
from planning_sv.mail import smtp_from_url
from planning_sv.store import monitoring as repo
from planning_sv.store.documents import Document
from planning_sv.store.mail import MailLogEntry
from planning_sv.store.models import AuditEvent, Statement, User
from planning_sv.store.monitoring_alerts import run_monitor
from planning_sv.store.users import create_token
from tests.conftest import shared_assessor
from tests.mail_server import MailServer, smtp_server  # noqa: F401

APPROVE = ("submit", "start_review", "recommend", "sign_off", "approve")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
HOLLOWAY = "E05013706"


@pytest.fixture
def scheme(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> dict[str, Any]:
    """An approved Islington scheme (the shared example) with its agreement recorded."""
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(owner, "islington", None, APPROVE, staff)
    found = {
        "statement": statement,
        "sid": statement.id,
        "owner": owner,
        "officer": officer,
        "officer_client": sign_in(app.test_client(), officer),
        "owner_client": sign_in(app.test_client(), owner),
    }
    response = _record_agreement(found["officer_client"], statement.id)
    assert response.status_code == 302, _problems(response.text)
    return found


def _problems(html: str) -> list[str]:
    """The error summary's entries ("path: message")."""
    found = re.findall(r'<li><a href="#[^"]*">([^<]*)</a></li>', html)
    return [unescape(m.strip()) for m in found]


def _record_agreement(client: FlaskClient, statement_id: int, **extra: str) -> Any:
    page = client.get(f"/monitoring/statements/{statement_id}/agreement")
    assert page.status_code == 200
    heads = sorted(set(re.findall(r'name="secure-(\d+)"', page.text)), key=int)
    form = {"reference": "P2026/0001/S106", "signed_on": "2026-01-15", "fee": "1"}
    for n in heads:
        form[f"secure-{n}"] = "1"
    form.update(extra)
    return client.post(f"/monitoring/statements/{statement_id}/agreement", data=form)


def _obligations(app: Flask, statement_id: int) -> dict[str, repo.Obligation]:
    """Live obligations by measure."""
    with app.extensions["planning_sv.db"].session() as session:
        return {o.measure: o for o in repo.obligations_of(session, statement_id, live_only=True)}


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.extensions["planning_sv.db"].session() as session:
        return (
            session.scalar(select(func.count()).select_from(repo.DeliveryReport)) or 0,
            session.scalar(select(func.count()).select_from(Document)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _report(client: FlaskClient, sid: int, obligation: int, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "obligation": str(obligation),
        "period_start": "2026-03-03",
        "period_end": "2026-06-30",
        "quantity": "2",
    }
    data.update(fields)
    return client.post(
        f"/monitoring/statements/{sid}/reports", data=data, content_type="multipart/form-data"
    )


def test_agreement_secures_the_heads_of_terms_and_the_monitoring_fee(
    app: Flask, scheme: dict[str, Any]
) -> None:
    obligations = _obligations(app, scheme["sid"])
    # The Islington example's six heads of terms, plus the fee: 6 obligations x £460.
    assert set(obligations) == {
        "local_employment",
        "apprenticeship",
        "work_placement",
        "local_supply_chain_spend",
        "affordable_workspace",
        "volunteering",
        "monitoring_fee",
    }
    fee = obligations["monitoring_fee"]
    assert (fee.quantity, fee.purpose, fee.is_money) == (2760.0, "monitoring-fees", True)
    assert fee.trigger_kind == "fixed-date" and fee.due_on == dt.date(2026, 2, 12)
    apprenticeships = obligations["apprenticeship"]
    assert (apprenticeships.quantity, apprenticeships.offered_quantity) == (8.0, 8.0)
    assert apprenticeships.wards == [{"code": HOLLOWAY, "name": "Holloway", "share": 1.0}]
    assert apprenticeships.status == "not_yet_due"  # no commencement recorded yet
    # The heads of terms carry the fee too, from the council's schedule (data).
    hot = scheme["officer_client"].get(f"/officer/statements/{scheme['sid']}/heads-of-terms")
    assert hot.status_code == 200
    fee_section = hot.text.split('data-testid="monitoring-fee"')[1].split("</section>")[0]
    assert (
        "The owner shall pay the council a monitoring fee of £2,760 (£460 per obligation, "
        "6 obligations)." in fee_section
    )
    assert "Islington Planning Obligations SPD (April 2025)" in fee_section
    # A second section 106 agreement is refused: variations are deeds of variation.
    again = _record_agreement(scheme["officer_client"], scheme["sid"])
    assert again.status_code == 400
    assert "kind: an agreement is already recorded: record a deed of variation" in _problems(
        again.text
    )


def test_amended_quantity_needs_a_reason(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    login_as: Callable[..., FlaskClient],
) -> None:
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(owner, "islington", None, APPROVE, staff)
    client = login_as(user=officer)
    listed = client.get("/monitoring/").text
    awaiting = listed.split('data-testid="awaiting"')[1].split("</ul>")[0]
    assert f"/monitoring/statements/{statement.id}/agreement" in awaiting
    page = client.get(f"/monitoring/statements/{statement.id}/agreement")
    number = re.search(r'value="8" ?[^>]*>|name="quantity-(\d+)" value="8"', page.text)
    assert number is not None
    n = number.group(1)
    refused = _record_agreement(client, statement.id, **{f"quantity-{n}": "6"})
    assert refused.status_code == 400
    assert f"heads[{n}].reason: head {n}: give the reason for the amended quantity" in (
        _problems(refused.text)
    )
    assert _obligations(app, statement.id) == {}  # nothing saved
    done = _record_agreement(
        client, statement.id, **{f"quantity-{n}": "6", f"reason-{n}": "phase 2 dropped"}
    )
    assert done.status_code == 302
    listed = client.get("/monitoring/").text
    assert 'data-testid="awaiting"' not in listed
    assert f'/monitoring/statements/{statement.id}"' in listed
    secured = _obligations(app, statement.id)["apprenticeship"]
    assert (secured.quantity, secured.offered_quantity, secured.change_reason) == (
        6.0,
        8.0,
        "phase 2 dropped",
    )


def test_commencement_report_with_evidence_and_verification(
    app: Flask,
    scheme: dict[str, Any],
    make_user: Callable[..., User],
    login_as: Callable[..., FlaskClient],
) -> None:
    sid, officer, owner = scheme["sid"], scheme["officer_client"], scheme["owner_client"]
    response = officer.post(
        f"/monitoring/statements/{sid}/triggers",
        data={"kind": "commencement", "occurred_on": "2026-03-03"},
    )
    assert response.status_code == 302
    target = _obligations(app, sid)["apprenticeship"]
    # 3 March 2026 + 104 weeks (728 days): 3 March 2028 is 731 days on (365 + 366, 2028
    # being a leap year), so 3 days earlier: 29 February 2028.
    assert target.due_on == dt.date(2028, 2, 29)
    response = _report(
        owner, sid, target.id, quantity="3", evidence=(io.BytesIO(PDF), "starts.pdf")
    )
    assert response.status_code == 302, _problems(response.text)
    with app.extensions["planning_sv.db"].session() as session:
        report = repo.reports_of(session, sid)[0]
        assert (report.quantity, report.verification, report.counted) == (3.0, "pending", 0.0)
        assert report.wards == [{"code": HOLLOWAY, "name": "Holloway", "share": 1.0}]
        document_id = report.documents[0].id
        report_id = report.id
    # Pending delivery counts nowhere.
    assert _obligations(app, sid)["apprenticeship"].counted == 0
    # The evidence: its owner and the council's officer only.
    url = f"/monitoring/statements/{sid}/documents/{document_id}"
    for client in (owner, officer):
        got = client.get(url)
        assert (got.status_code, got.data, got.mimetype) == (200, PDF, "application/pdf")
        assert got.headers["Cache-Control"] == "private, no-store"
    assert login_as("applicant").get(url).status_code == 404
    assert login_as("officer", "salford").get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to sign in
    # Partly accept needs the accepted quantity and a reason.
    refused = officer.post(
        f"/monitoring/statements/{sid}/reports/{report_id}/verify",
        data={"decision": "partly_accepted", "accepted_quantity": "5"},
    )
    assert refused.status_code == 400
    assert _problems(refused.text) == [
        "reason: give the reason",
        "accepted_quantity: enter the quantity accepted: more than 0 and less than the "
        "quantity reported",
    ]
    accepted = officer.post(
        f"/monitoring/statements/{sid}/reports/{report_id}/verify",
        data={"decision": "partly_accepted", "accepted_quantity": "2", "reason": "1 not local"},
    )
    assert accepted.status_code == 302
    assert _obligations(app, sid)["apprenticeship"].counted == 2.0
    with app.extensions["planning_sv.db"].session() as session:
        delivery = repo.verified_delivery_by_ward(session, "islington")
        assert [(d.ward_code, d.measure, d.quantity) for d in delivery] == [
            (HOLLOWAY, "apprenticeship", 2.0)
        ]
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.statement_id == sid).order_by(AuditEvent.id)
            )
        ]
    for action in ("monitoring.agreement", "monitoring.trigger", "monitoring.report"):
        assert action in actions
    assert actions.count("monitoring.verify") == 1
    page = officer.get(f"/monitoring/statements/{sid}")
    assert 'data-ward="E05013706"' in page.text
    # A verified report cannot be verified again.
    again = officer.post(
        f"/monitoring/statements/{sid}/reports/{report_id}/verify", data={"decision": "accepted"}
    )
    assert again.status_code == 400


def test_money_transactions_count_received_less_returned(
    app: Flask, scheme: dict[str, Any]
) -> None:
    sid, officer = scheme["sid"], scheme["officer_client"]
    fee = _obligations(app, sid)["monitoring_fee"]
    url = f"/monitoring/statements/{sid}/obligations/{fee.id}/transactions"
    for kind, amount in (("secured", "2760"), ("received", "2,000"), ("received", "760")):
        assert (
            officer.post(
                url, data={"kind": kind, "amount": amount, "on_date": "2026-02-01"}
            ).status_code
            == 302
        )
    fee = _obligations(app, sid)["monitoring_fee"]
    assert (fee.counted, fee.status) == (2760.0, "delivered")
    bad = officer.post(url, data={"kind": "stolen", "amount": "-1", "on_date": ""})
    assert bad.status_code == 400
    assert _problems(bad.text) == [
        "on_date: enter a date (YYYY-MM-DD)",
        "amount: must not be negative",
    ]
    # Reports are for delivered quantities: a payment is recorded by the council.
    refused = _report(scheme["owner_client"], sid, fee.id)
    assert refused.status_code == 400
    assert _problems(refused.text) == [
        f"obligation: obligation {fee.id} is a payment: the council records payments received"
    ]


def test_bad_reports_are_refused_and_change_nothing(app: Flask, scheme: dict[str, Any]) -> None:
    sid, owner, officer = scheme["sid"], scheme["owner_client"], scheme["officer_client"]
    target = _obligations(app, sid)["volunteering"]
    salford_ward = sorted(shared_assessor().placer().ward_names("2025", "E08000006"))[0]
    before = _counts(app)
    cases = [
        ({"quantity": "-5"}, ["quantity: must not be negative"]),
        (
            {"ward": salford_ward},
            [
                f"where.ward: ward {salford_ward} is in Salford, not Islington; give one of "
                "Islington's wards (2025 boundaries)"
            ],
        ),
        (
            {"evidence": (io.BytesIO(EXE), "invoice.pdf")},
            [
                "evidence: invoice.pdf: by its content this is a program; upload PDF, Word "
                "(DOCX), Excel (XLSX), CSV, PNG, JPEG files only"
            ],
        ),
        (
            {"evidence": (io.BytesIO(b"a,b\n" * (MAX_DOCUMENT_BYTES // 4 + 1)), "big.csv")},
            ["evidence: big.csv: the file is 4.0 MB; the limit is 4 MB per file"],
        ),
    ]
    for fields, expected in cases:
        response = _report(owner, sid, target.id, **fields)
        assert response.status_code == 400, fields
        problems = _problems(response.text)
        assert problems == expected
        assert _counts(app) == before
    # The commitments' ceiling per unit (measures.yaml) holds for reports too.
    apprenticeships = _obligations(app, sid)["apprenticeship"]
    too_many = _report(owner, sid, apprenticeships.id, quantity="1000000")
    assert too_many.status_code == 400
    assert _problems(too_many.text) == [
        "quantity: must be at most 100,000 apprenticeship starts; check the figure"
    ]
    assert _counts(app) == before
    # A deed of variation removes the volunteering obligation: reports on it are refused.
    varied = officer.post(
        f"/monitoring/statements/{sid}/variation",
        data={
            "reference": "P2026/0001/DOV1",
            "signed_on": "2026-05-01",
            f"vary-{target.id}": "0",
            f"vary_reason-{target.id}": "volunteering replaced by a contribution",
        },
    )
    assert varied.status_code == 302, _problems(varied.text)
    before = _counts(app)
    response = _report(owner, sid, target.id)
    assert response.status_code == 400
    assert _problems(response.text) == [
        f"obligation: obligation {target.id} was varied away by a deed of variation; report "
        "against the obligation that replaced it"
    ]
    assert _counts(app) == before


def test_deed_of_variation_adds_a_version_and_deletes_nothing(
    app: Flask, scheme: dict[str, Any]
) -> None:
    sid, officer = scheme["sid"], scheme["officer_client"]
    old = _obligations(app, sid)["work_placement"]
    response = officer.post(
        f"/monitoring/statements/{sid}/variation",
        data={
            "reference": "DOV/1",
            "signed_on": "2026-06-01",
            f"vary-{old.id}": "15",
            f"vary_reason-{old.id}": "fewer trades on site",
        },
    )
    assert response.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        agreements = repo.agreements_of(session, sid)
        assert [(a.version, a.kind) for a in agreements] == [
            (1, "section-106"),
            (2, "deed-of-variation"),
        ]
        kept = session.get(repo.Obligation, old.id)
        assert kept is not None and kept.status == "varied"
        new = session.get(repo.Obligation, kept.superseded_by_id)
        assert new is not None
        assert (new.quantity, new.change_reason, new.agreement_id) == (
            15.0,
            "fewer trades on site",
            agreements[1].id,
        )
    missing_reason = officer.post(
        f"/monitoring/statements/{sid}/variation",
        data={"reference": "DOV/2", "signed_on": "2026-07-01", f"vary-{new.id}": "12"},
    )
    assert missing_reason.status_code == 400
    assert _problems(missing_reason.text) == [
        f"changes[{new.id}].reason: give the reason for the change"
    ]


def test_csv_upload_is_all_or_nothing(app: Flask, scheme: dict[str, Any]) -> None:
    sid, owner = scheme["sid"], scheme["owner_client"]
    obligations = _obligations(app, sid)
    a, b = obligations["apprenticeship"].id, obligations["volunteering"].id
    bad = (
        "obligation,period_start,period_end,quantity,ward\n"
        f"{a},2026-04-01,2026-06-30,2,{HOLLOWAY}\n"
        f"{b},2026-04-01,2026-03-01,-4,\n"
        "99999,2026-04-01,2026-06-30,1,\n"
    )
    before = _counts(app)
    response = owner.post(
        f"/monitoring/statements/{sid}/reports.csv",
        data={"file": (io.BytesIO(bad.encode()), "reports.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _problems(response.text) == [
        "row 3, column period_end: must be on or after the period start",
        "row 3, column quantity: must not be negative",
        "row 4, column obligation: there is no obligation 99999 on this scheme",
    ]
    assert _counts(app) == before
    good = (
        "obligation,period_start,period_end,quantity,ward\n"
        f"{a},2026-04-01,2026-06-30,2,{HOLLOWAY}\n"
        f"{b},2026-04-01,2026-06-30,40,\n"
    )
    response = owner.post(
        f"/monitoring/statements/{sid}/reports.csv",
        data={"file": (io.BytesIO(good.encode()), "reports.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        rows = sorted(
            (r.obligation_id, r.quantity, r.source) for r in repo.reports_of(session, sid)
        )
    assert rows == sorted([(a, 2.0, "csv"), (b, 40.0, "csv")])


def test_api_delivery_reports(app: Flask, scheme: dict[str, Any]) -> None:
    sid = scheme["sid"]
    with app.extensions["planning_sv.db"].session() as session:
        owner_token = create_token(session, session.get(User, scheme["owner"].id))[1]
        officer_token = create_token(session, session.get(User, scheme["officer"].id))[1]
    client = app.test_client()
    target = _obligations(app, sid)["affordable_workspace"]
    url = f"/api/v1/statements/{sid}/delivery-reports"
    body = {
        "reports": [
            {
                "obligation": target.id,
                "period_start": "2026-04-01",
                "period_end": "2026-06-30",
                "quantity": 400,
                "where": {"ward": HOLLOWAY},
            },
            {
                "obligation": target.id,
                "period_start": "2026-07-01",
                "period_end": "2026-06-30",
                "quantity": -1,
            },
        ]
    }
    before = _counts(app)
    refused = client.post(url, json=body, headers={"Authorization": f"Bearer {owner_token}"})
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert [(e["path"], e["message"]) for e in refused.get_json()["errors"]] == [
        ("$.reports[1].period_end", "must be on or after the period start"),
        ("$.reports[1].quantity", "must not be negative"),
    ]
    assert _counts(app) == before
    body["reports"].pop()
    created = client.post(url, json=body, headers={"Authorization": f"Bearer {owner_token}"})
    assert created.status_code == 201
    report = created.get_json()["reports"][0]
    assert (report["quantity"], report["verification"], report["counted"]) == (400, "pending", 0)
    assert report["wards"] == [{"code": HOLLOWAY, "name": "Holloway", "share": 1.0}]
    # Officers read but do not report; the API takes no cookies.
    listed = client.get(url, headers={"Authorization": f"Bearer {officer_token}"})
    assert listed.status_code == 200
    assert [r["id"] for r in listed.get_json()["reports"]] == [report["id"]]
    assert (
        client.post(
            url, json=body, headers={"Authorization": f"Bearer {officer_token}"}
        ).status_code
        == 403
    )
    assert scheme["owner_client"].post(url, json=body).status_code == 401
    # Evidence through the API: multipart, the JSON in `report`, files in `evidence`.
    one = json.dumps(body["reports"][0])
    auth = {"Authorization": f"Bearer {owner_token}"}
    before = _counts(app)
    bad = client.post(
        url,
        data={"report": one, "evidence": (io.BytesIO(EXE), "photo.png")},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert bad.status_code == 422
    assert [e["path"] for e in bad.get_json()["errors"]] == ["evidence"]
    assert _counts(app) == before
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    good = client.post(
        url,
        data={"report": one, "evidence": (io.BytesIO(png), "site-photo.png")},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert good.status_code == 201
    document = good.get_json()["reports"][0]["documents"][0]
    fetched = scheme["officer_client"].get(f"/monitoring/statements/{sid}/documents/{document}")
    assert (fetched.status_code, fetched.data, fetched.mimetype) == (200, png, "image/png")


def test_monitor_run_sends_each_alert_once(
    app: Flask,
    scheme: dict[str, Any],
    smtp_server: MailServer,  # noqa: F811
) -> None:
    sid, officer, owner = scheme["sid"], scheme["officer_client"], scheme["owner_client"]
    officer.post(
        f"/monitoring/statements/{sid}/triggers",
        data={"kind": "commencement", "occurred_on": "2026-03-03"},
    )
    target = _obligations(app, sid)["volunteering"]
    assert _report(owner, sid, target.id, quantity="10").status_code == 302
    mailer = smtp_from_url(smtp_server.url)
    database = app.extensions["planning_sv.db"]
    # 1 March 2028 is the day after the 104-week obligations' due date (29 February 2028).
    with database.session() as session:
        first = run_monitor(session, mailer, dt.date(2028, 3, 1), council="islington")
    received = smtp_server.subjects()
    owner_email, officer_email = scheme["owner"].email, scheme["officer"].email
    overdue = [s for s in received if s[1].startswith("Obligation overdue")]
    # 6 obligations overdue (all but the fee, which was due 12 Feb 2026 and is breached):
    # the developer and the officer hear about each, and about the fee.
    assert sum(1 for to, _ in overdue if to == owner_email) == 7
    assert sum(1 for to, _ in overdue if to == officer_email) == 7
    reports = [s for s in received if s[1].startswith("Delivery report to verify")]
    assert (
        reports == [(officer_email, "Delivery report to verify: P2026/0001")] or len(reports) == 1
    )
    assert first.sent == len(received)
    with database.session() as session:
        second = run_monitor(session, mailer, dt.date(2028, 3, 1), council="islington")
        assert (second.changes, second.sent) == ([], 0)
        assert len(smtp_server.messages) == len(received)
        logged = session.scalar(
            select(func.count()).select_from(MailLogEntry).where(MailLogEntry.status == "sent")
        )
    assert logged == len(received)
    statuses = {o.measure: o.status for o in _obligations(app, sid).values()}
    assert statuses["apprenticeship"] == "overdue"
    assert statuses["monitoring_fee"] == "breached"


HOSTILE = "X{{7*7}}X<script>alert(1)</script>"


def test_user_text_is_shown_as_data(app: Flask, scheme: dict[str, Any]) -> None:
    """Notes, reasons and file names are data: escaped, never compiled as a template."""
    from markupsafe import escape

    sid, owner, officer = scheme["sid"], scheme["owner_client"], scheme["officer_client"]
    target = _obligations(app, sid)["volunteering"]
    response = _report(
        owner, sid, target.id, note=HOSTILE, evidence=(io.BytesIO(PDF), "a{{7*7}}.pdf")
    )
    assert response.status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        report_id = repo.reports_of(session, sid)[0].id
    officer.post(
        f"/monitoring/statements/{sid}/reports/{report_id}/verify",
        data={"decision": "rejected", "reason": HOSTILE},
    )
    page = officer.get(f"/monitoring/statements/{sid}").text
    assert str(escape(HOSTILE)) in page
    assert "X49X" not in page and "<script>alert(1)" not in page
    assert "a-7-7-.pdf" in page  # the stored name keeps safe characters only


def test_waiver_needs_a_reason_and_closes_the_obligation(
    app: Flask, scheme: dict[str, Any]
) -> None:
    sid, officer = scheme["sid"], scheme["officer_client"]
    target = _obligations(app, sid)["volunteering"]
    url = f"/monitoring/statements/{sid}/obligations/{target.id}/waive"
    refused = officer.post(url, data={"reason": " "})
    assert refused.status_code == 400
    assert _problems(refused.text) == ["reason: give the reason for waiving the obligation"]
    assert officer.post(url, data={"reason": "delivered by the council instead"}).status_code == 302
    with app.extensions["planning_sv.db"].session() as session:
        waived = session.get(repo.Obligation, target.id)
        assert waived is not None
        assert (waived.status, waived.waived_reason) == (
            "waived",
            "delivered by the council instead",
        )
    # Waived: no more reports on it, and a second waiver is refused.
    assert _report(scheme["owner_client"], sid, target.id).status_code == 400
    assert officer.post(url, data={"reason": "again"}).status_code == 400


def test_contribution_with_index_and_spend_by(
    app: Flask,
    make_user: Callable[..., User],
    make_statement: Callable[..., Statement],
    login_as: Callable[..., FlaskClient],
    islington_example: dict[str, Any],
) -> None:
    """A financial contribution: paid, not reported; its uprating index and spend-by period
    are kept, and the spend-by date runs from its first receipt."""
    islington_example["commitments"].append(
        {
            "id": "c9",
            "measure": "employment_training_contribution",
            "quantity": 45000,
            "unit": "gbp",
            "where": {"borough": True},
        }
    )
    owner = make_user("applicant")
    officer = make_user("officer", "islington")
    senior = make_user("senior_officer", "islington")
    staff = {"start_review": officer, "recommend": officer, "sign_off": senior, "approve": officer}
    statement = make_statement(owner, "islington", islington_example, APPROVE, staff)
    client = login_as(user=officer)
    page = client.get(f"/monitoring/statements/{statement.id}/agreement").text
    n = re.search(r'name="index-(\d+)"', page)
    assert n is not None  # only payments offer an index and a spend-by period
    number = n.group(1)
    response = _record_agreement(
        client,
        statement.id,
        **{f"index-{number}": "BCIS All-in TPI", f"spend_months-{number}": "60"},
    )
    assert response.status_code == 302, _problems(response.text)
    contribution = _obligations(app, statement.id)["employment_training_contribution"]
    assert (contribution.is_money, contribution.trigger_kind, contribution.due_amount) == (
        True,
        "commencement",
        0,
    )
    assert (contribution.uprating_index, contribution.spend_within_months) == (
        "BCIS All-in TPI",
        60,
    )
    url = f"/monitoring/statements/{statement.id}/obligations/{contribution.id}/transactions"
    assert (
        client.post(
            url, data={"kind": "received", "amount": "45000", "on_date": "2026-04-01"}
        ).status_code
        == 302
    )
    shown = client.get(f"/monitoring/statements/{statement.id}").text
    row = shown.split(f'data-obligation="{contribution.id}"')[1].split("</tr>")[0]
    assert "spend by 2031-04-01" in row  # 1 April 2026 + 60 months
    assert "Uprated by BCIS All-in TPI" in row
    assert "£45,000 / £45,000" in row
