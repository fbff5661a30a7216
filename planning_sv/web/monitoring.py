"""Monitoring pages: from the signed agreement to verified delivery (issue 13).

Officers (the council's staff) record the agreement and deeds of variation, trigger events,
money transactions and verify delivery reports; the developer (the statement's owner)
reports delivery by form, CSV upload or the JSON API, with evidence files. Who may do what is
web/authz.py (`can_manage_monitoring`, `can_report_delivery`, `statement_or_404`); the rules
are core/monitoring.py and the records store/monitoring.py. Evidence files are served only
here, after the same checks, and never to the public.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from planning_sv.core.assessment import WardShareOut
from planning_sv.core.documents import CheckedDocument, allowed_text, check_document
from planning_sv.core.errors import InputInvalid, Problem, json_path
from planning_sv.core.limits import load_json
from planning_sv.core.monitoring import (
    DUE_UNITS,
    MAX_DUE_AMOUNT,
    MAX_QUANTITY,
    MONITORING_FEE_MEASURE,
    PAYMENT_MEASURES,
    PURPOSE_MONITORING_FEES,
    PURPOSE_OTHER,
    PURPOSE_SOCIAL_VALUE,
    STATUS_LABELS,
    TRIGGER_LABELS,
    VERIFICATION_LABELS,
    DuePeriod,
    FeeHead,
    ObligationStatus,
    TransactionKind,
    Trigger,
    TriggerKind,
    Verification,
    csv_cell,
    fee_head,
    parse_date,
    parse_quantity,
    parse_reports_csv,
    spend_by,
    suggested_trigger,
)
from planning_sv.core.statement import Where
from planning_sv.core.valuation.valuesets import load_indices
from planning_sv.store import monitoring as repo
from planning_sv.store.documents import Document, documents_root, read_document, save_document
from planning_sv.store.models import Statement, User
from planning_sv.web import assessor, attachment, db_session
from planning_sv.web.authz import (
    APPLICANT,
    STAFF_ROLES,
    allow,
    can_manage_monitoring,
    can_report_delivery,
    csrf,
    current_actor,
    statement_or_404,
)
from planning_sv.web.errors import problem

bp = Blueprint("monitoring", __name__)

MAX_EVIDENCE_FILES = 5
MAX_API_REPORTS = 500  # reports in one API request
ECONOMIC_THEMES = frozenset({"jobs", "skills", "growth"})


# --- helpers ------------------------------------------------------------------------------


def _actor() -> User:
    user = current_actor()
    assert user is not None  # @allow guarantees a signed-in user
    return user


def _staff_statement(statement_id: int) -> Statement:
    statement = statement_or_404(statement_id)
    if not can_manage_monitoring(current_actor(), statement):
        abort(404)
    return statement


def _owner_statement(statement_id: int) -> Statement:
    statement = statement_or_404(statement_id)
    if not can_report_delivery(current_actor(), statement):
        abort(404)
    return statement


def _obligation(statement: Statement, obligation_id: int) -> repo.Obligation:
    row = db_session().get(repo.Obligation, obligation_id)
    if row is None or row.statement_id != statement.id:
        abort(404)
    return row


def _root() -> Path:
    return documents_root(Path(current_app.instance_path))


def _text(name: str, limit: int = 2000) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def _date(name: str, problems: list[Problem], *, required: bool = True) -> dt.date | None:
    raw = request.form.get(name, "")
    if not raw.strip() and not required:
        return None
    return parse_date(raw, name, problems)


def _number(name: str, problems: list[Problem]) -> float | None:
    return parse_quantity(request.form.get(name, ""), name, problems)


def _errors(problems: list[Problem]) -> dict[str, str]:
    return {p.path: p.message for p in problems}


def _scheme_context(statement: Statement) -> dict[str, Any]:
    session = db_session()
    obligations = repo.obligations_of(session, statement.id)
    reports = repo.reports_of(session, statement.id)
    transactions = {o.id: repo.transactions_of(session, o.id) for o in obligations if o.is_money}
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(
                    {r.submitted_by_id for r in reports} | {r.verified_by_id for r in reports}
                )
            )
        )
    }
    spend_dates = {}
    for oid, txs in transactions.items():
        received = [t.on_date for t in txs if t.kind == TransactionKind.RECEIVED]
        obligation = next(o for o in obligations if o.id == oid)
        spend_dates[oid] = spend_by(
            min(received) if received else None, obligation.spend_within_months
        )
    return {
        "statement": statement,
        "agreements": repo.agreements_of(session, statement.id),
        "obligations": obligations,
        "events": repo.trigger_events(session, statement.id),
        "reports": reports,
        "transactions": transactions,
        "spend_dates": spend_dates,
        "users": users,
        "status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
        "verification_labels": {k.value: v for k, v in VERIFICATION_LABELS.items()},
        "trigger_labels": {k.value: v for k, v in TRIGGER_LABELS.items()},
        "transaction_kinds": [k.value for k in TransactionKind],
        "is_staff": can_manage_monitoring(current_actor(), statement),
        "is_owner": can_report_delivery(current_actor(), statement),
        "delivery": repo.verified_delivery_by_ward(
            session, statement.council, statement_id=statement.id
        ),
        # Payments with an index: the uprated sum and its working, or why not (None: no index).
        "uprated": {o.id: repo.uprating(session, o) for o in obligations if o.uprating_index},
    }


def _notify(reports: list[repo.DeliveryReport]) -> None:
    """Tell the council's officer now that reports arrived (`monitor run` retries any that
    could not be sent; the dedupe key stops a second copy)."""
    from planning_sv.store.monitoring_alerts import report_messages, send_all

    session = db_session()
    mailer = current_app.extensions.get("planning_sv.mailer")
    send_all(session, mailer, [m for r in reports for m in report_messages(session, r)])


def _render_scheme(statement: Statement, status: int = 200, **extra: Any) -> ResponseReturnValue:
    context = _scheme_context(statement)
    context.setdefault("errors", {})
    context.update(extra)
    return render_template("monitoring/scheme.html", **context), status


# --- officer: overview --------------------------------------------------------------------


@bp.get("/monitoring/")
@allow(*STAFF_ROLES)
def index() -> ResponseReturnValue:
    user = _actor()
    rows = repo.overview(db_session(), user.council or "")
    return render_template(
        "monitoring/index.html",
        rows=rows,
        awaiting=repo.awaiting_agreement(db_session(), user.council or ""),
        status_labels={k.value: v for k, v in STATUS_LABELS.items()},
        statuses=[s.value for s in ObligationStatus],
        counts=repo.status_counts(o for _, obligations in rows for o in obligations),
    )


@bp.get("/monitoring/statements/<int:statement_id>")
@allow(APPLICANT, *STAFF_ROLES)
def scheme(statement_id: int) -> ResponseReturnValue:
    statement = statement_or_404(statement_id)
    return _render_scheme(statement)


# --- officer: the agreement and deeds of variation ----------------------------------------


def _default_trigger(obligation: Any) -> tuple[str, int, str]:
    """(trigger kind, due amount, unit) suggested from the head of terms' own trigger text."""
    return suggested_trigger(obligation)


def _heads(statement: Statement) -> list[dict[str, Any]]:
    """The latest version's heads of terms, with suggested triggers, for the agreement form."""
    from planning_sv.web.officer import _heads_of_terms, _record

    version = statement.latest_version
    if version is None or version.assessment is None:
        return []
    hot = _heads_of_terms(statement, version)
    # The corrected record, as the heads of terms: an obligation is monitored in the ward an
    # officer corrected its commitment to, not the one the engine first placed it in.
    wards = repo.heads_wards(_record(version))
    measures = assessor().measures
    heads = []
    for o in hot.obligations:
        kind, amount, unit = _default_trigger(o)
        theme = getattr(measures.get(o.measure), "theme", None)
        heads.append(
            {
                "number": o.number,
                "commitment_id": o.commitment_id,
                "measure": o.measure,
                "measure_label": o.measure_label,
                "unit": o.unit,
                "unit_label": o.unit_label,
                "description": o.description,
                "quantity": o.quantity,
                "quantity_text": o.quantity_text,
                "where": o.where,
                "wards": wards.get(o.commitment_id, []),
                "policy": "; ".join(p.citation for p in o.policies) or None,
                "purpose": PURPOSE_SOCIAL_VALUE if theme in ECONOMIC_THEMES else PURPOSE_OTHER,
                "trigger_text": o.trigger,
                "trigger": kind,
                "due_amount": amount,
                "due_unit": unit,
                "money": o.measure in PAYMENT_MEASURES,
            }
        )
    return heads


def _fee(statement: Statement, heads: list[dict[str, Any]]) -> dict[str, Any] | None:
    schedule = repo.settings_for(statement.council).fees
    if schedule is None or not heads:
        return None
    amount, count = schedule.fee_for(f"{h['trigger']}" for h in heads)
    return {"schedule": schedule, "amount": amount, "count": count}


@bp.app_template_global("monitoring_fee_for")
def monitoring_fee_for(hot: Any) -> FeeHead | None:
    """The council's monitoring fee as a head of terms (officer/heads_of_terms.html), from
    its fee schedule (local_plans/<council>/monitoring.yaml) and the suggested triggers; the
    DOCX download uses the same `fee_head`."""
    return fee_head(repo.settings_for(hot.council).fees, hot.obligations)


def _agreement_page(statement: Statement, status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = db_session()
    heads = _heads(statement)
    context: dict[str, Any] = {
        "statement": statement,
        "agreements": repo.agreements_of(session, statement.id),
        "live": repo.obligations_of(session, statement.id, live_only=True),
        "heads": heads,
        "fee": _fee(statement, heads),
        "trigger_labels": {k.value: v for k, v in TRIGGER_LABELS.items()},
        "due_units": DUE_UNITS,
        "errors": {},
        "values": request.form if request.method == "POST" else {},
        "can_record": statement.status in repo.AGREEMENT_STATUSES,
        # Indices the service holds values for (an uprated sum needs one of these).
        "index_names": sorted(load_indices()),
    }
    context.update(extra)
    return render_template("monitoring/agreement.html", **context), status


@bp.get("/monitoring/statements/<int:statement_id>/agreement")
@allow(*STAFF_ROLES)
def agreement_form(statement_id: int) -> ResponseReturnValue:
    return _agreement_page(_staff_statement(statement_id))


def _head_from_form(head: dict[str, Any], problems: list[Problem]) -> repo.SecuredHead:
    n = head["number"]
    raw_quantity = (request.form.get(f"quantity-{n}") or "").strip()
    quantity = (
        parse_quantity(raw_quantity, f"quantity-{n}", problems, allow_zero=False)
        if raw_quantity
        else head["quantity"]  # blank: as offered
    )
    kind = request.form.get(f"trigger-{n}", head["trigger"])
    if kind not in {k.value for k in TriggerKind}:
        problems.append(Problem(f"trigger-{n}", f"head {n}: choose a trigger"))
        kind = head["trigger"]
    percent = None
    if kind == TriggerKind.OCCUPATION_PERCENT:
        percent = parse_quantity(request.form.get(f"percent-{n}", ""), f"percent-{n}", problems)
        if percent is not None and not 0 < percent <= 100:
            problems.append(Problem(f"percent-{n}", f"head {n}: a percentage from 1 to 100"))
    phase = _text(f"phase-{n}", 64) or None
    if kind == TriggerKind.PHASE and not phase:
        problems.append(Problem(f"phase-{n}", f"head {n}: say which phase"))
    trigger_on = None
    if kind == TriggerKind.FIXED_DATE:
        trigger_on = _date(f"trigger_on-{n}", problems)
    raw_amount = request.form.get(f"due_amount-{n}", str(head["due_amount"])).strip()
    due_amount = int(raw_amount) if raw_amount.isdigit() and len(raw_amount) < 6 else -1
    if not 0 <= due_amount <= MAX_DUE_AMOUNT:
        problems.append(
            Problem(f"due_amount-{n}", f"head {n}: a whole number of days, weeks or months")
        )
        due_amount = 0
    due_unit = request.form.get(f"due_unit-{n}", head["due_unit"])
    if due_unit not in DUE_UNITS:
        problems.append(Problem(f"due_unit-{n}", f"head {n}: days, weeks or months"))
        due_unit = "weeks"
    spend = request.form.get(f"spend_months-{n}", "").strip()
    spend_months = int(spend) if spend.isdigit() and len(spend) < 5 else None
    if spend and spend_months is None:
        problems.append(Problem(f"spend_months-{n}", f"head {n}: a whole number of months"))
    return repo.SecuredHead(
        number=n,
        commitment_id=head["commitment_id"],
        measure=head["measure"],
        measure_label=head["measure_label"],
        unit=head["unit"],
        unit_label=head["unit_label"],
        description=head["description"],
        quantity=quantity if quantity is not None else head["quantity"],
        offered_quantity=head["quantity"],
        change_reason=_text(f"reason-{n}") or None,
        wards=head["wards"],
        policy=head["policy"],
        purpose=head["purpose"],
        trigger=Trigger(TriggerKind(kind), percent=percent, phase=phase, on=trigger_on),
        period=DuePeriod(due_amount, due_unit),
        uprating_index=_text(f"index-{n}", 100) or None,
        spend_within_months=spend_months,
    )


@bp.post("/monitoring/statements/<int:statement_id>/agreement")
@allow(*STAFF_ROLES)
def record_agreement(statement_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    session = db_session()
    problems: list[Problem] = []
    signed_on = _date("signed_on", problems)
    heads = _heads(statement)
    secured = [
        _head_from_form(h, problems) for h in heads if request.form.get(f"secure-{h['number']}")
    ]
    fee = _fee(statement, heads)
    if fee is not None and request.form.get("fee") and signed_on is not None and secured:
        schedule = fee["schedule"]
        amount, _ = schedule.fee_for(h.trigger.key for h in secured)
        secured.append(
            repo.SecuredHead(
                number=max(h["number"] for h in heads) + 1,
                measure=MONITORING_FEE_MEASURE,
                measure_label="Monitoring fee",
                unit="gbp",
                unit_label="£ paid",
                description=f"{schedule.basis.replace('-', ' ')} fee; {schedule.citation}",
                quantity=amount,
                policy=schedule.citation,
                purpose=PURPOSE_MONITORING_FEES,
                trigger=Trigger(TriggerKind.FIXED_DATE, on=signed_on),
                period=DuePeriod(schedule.due_weeks, "weeks"),
            )
        )
    try:
        if problems:
            raise InputInvalid(problems)
        repo.record_agreement(
            session,
            statement,
            _actor(),
            reference=_text("reference", 200),
            signed_on=signed_on,
            document_url=_text("document_url", 2000) or None,
            notes=_text("notes") or None,
            heads=secured,
        )
    except InputInvalid as exc:
        session.rollback()
        return _agreement_page(statement, 400, errors=_errors(exc.problems), problems=exc.problems)
    session.commit()
    flash("Agreement recorded", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.post("/monitoring/statements/<int:statement_id>/variation")
@allow(*STAFF_ROLES)
def record_variation(statement_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    session = db_session()
    problems: list[Problem] = []
    signed_on = _date("signed_on", problems)
    changes = []
    for obligation in repo.obligations_of(session, statement.id, live_only=True):
        raw = request.form.get(f"vary-{obligation.id}", "").strip()
        if not raw:
            continue
        quantity = parse_quantity(raw, f"vary-{obligation.id}", problems)
        if quantity is not None:
            changes.append(
                repo.Variation(obligation.id, quantity, _text(f"vary_reason-{obligation.id}"))
            )
    try:
        if problems:
            raise InputInvalid(problems)
        repo.record_variation(
            session,
            statement,
            _actor(),
            reference=_text("reference", 200),
            signed_on=signed_on,
            document_url=_text("document_url", 2000) or None,
            notes=_text("notes") or None,
            changes=changes,
        )
    except InputInvalid as exc:
        session.rollback()
        return _agreement_page(statement, 400, errors=_errors(exc.problems), problems=exc.problems)
    session.commit()
    flash("Deed of variation recorded", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


# --- officer: trigger events, money, waivers, verification --------------------------------


@bp.post("/monitoring/statements/<int:statement_id>/triggers")
@allow(*STAFF_ROLES)
def record_trigger(statement_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    session = db_session()
    problems: list[Problem] = []
    occurred_on = _date("occurred_on", problems)
    percent = None
    if request.form.get("kind") == TriggerKind.OCCUPATION_PERCENT:
        percent = _number("percent", problems)
    try:
        if problems:
            raise InputInvalid(problems)
        repo.record_trigger(
            session,
            statement,
            _actor(),
            kind=request.form.get("kind", ""),
            occurred_on=occurred_on,
            percent=percent,
            phase=_text("phase", 64) or None,
            note=_text("note") or None,
        )
    except InputInvalid as exc:
        session.rollback()
        return _render_scheme(statement, 400, errors=_errors(exc.problems), problems=exc.problems)
    session.commit()
    flash("Trigger event recorded", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.post("/monitoring/statements/<int:statement_id>/obligations/<int:obligation_id>/transactions")
@allow(*STAFF_ROLES)
def record_transaction(statement_id: int, obligation_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    obligation = _obligation(statement, obligation_id)
    session = db_session()
    problems: list[Problem] = []
    on_date = _date("on_date", problems)
    kind = request.form.get("kind", "")
    raw_amount = request.form.get("amount", "").strip()
    # "secured" without an amount: the sum due, uprated by its index (store.record_transaction).
    amount = (
        None
        if kind == TransactionKind.SECURED.value and not raw_amount
        else parse_quantity(raw_amount, "amount", problems, allow_zero=False)
    )
    try:
        if problems:
            raise InputInvalid(problems)
        repo.record_transaction(
            session,
            obligation,
            _actor(),
            kind=kind,
            amount=amount,
            on_date=on_date,
            note=_text("note") or None,
        )
    except InputInvalid as exc:
        session.rollback()
        return _render_scheme(statement, 400, errors=_errors(exc.problems), problems=exc.problems)
    session.commit()
    flash("Transaction recorded", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.post("/monitoring/statements/<int:statement_id>/obligations/<int:obligation_id>/waive")
@allow(*STAFF_ROLES)
def waive(statement_id: int, obligation_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    obligation = _obligation(statement, obligation_id)
    session = db_session()
    try:
        repo.waive(session, obligation, _actor(), _text("reason"))
    except InputInvalid as exc:
        session.rollback()
        return _render_scheme(statement, 400, errors=_errors(exc.problems), problems=exc.problems)
    session.commit()
    flash("Obligation waived", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.post("/monitoring/statements/<int:statement_id>/reports/<int:report_id>/verify")
@allow(*STAFF_ROLES)
def verify(statement_id: int, report_id: int) -> ResponseReturnValue:
    statement = _staff_statement(statement_id)
    session = db_session()
    report = session.get(repo.DeliveryReport, report_id)
    if report is None or report.statement_id != statement.id:
        abort(404)
    problems: list[Problem] = []
    accepted = None
    if request.form.get("decision") == Verification.PARTLY_ACCEPTED:
        accepted = parse_quantity(
            request.form.get("accepted_quantity", ""), "accepted_quantity", problems
        )
    try:
        if problems:
            raise InputInvalid(problems)
        repo.verify_report(
            session,
            report,
            _actor(),
            decision=request.form.get("decision", ""),
            accepted_quantity=accepted,
            reason=_text("reason") or None,
        )
    except InputInvalid as exc:
        session.rollback()
        return _render_scheme(
            statement,
            400,
            errors=_errors(exc.problems),
            problems=exc.problems,
            failed_report=report_id,
        )
    session.commit()
    flash("Report verified", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


# --- developer: delivery reports ----------------------------------------------------------


def _report_page(statement: Statement, status: int = 200, **extra: Any) -> ResponseReturnValue:
    session = db_session()
    obligations = [
        o for o in repo.obligations_of(session, statement.id, live_only=True) if not o.is_money
    ]
    context: dict[str, Any] = {
        "statement": statement,
        "obligations": obligations,
        "errors": {},
        "values": request.form if request.method == "POST" else {},
        "allowed": allowed_text(),
        "max_files": MAX_EVIDENCE_FILES,
    }
    context.update(extra)
    return render_template("monitoring/report.html", **context), status


@bp.get("/monitoring/statements/<int:statement_id>/reports/new")
@allow(APPLICANT)
def report_form(statement_id: int) -> ResponseReturnValue:
    return _report_page(_owner_statement(statement_id))


def _evidence(problems: list[Problem]) -> list[tuple[CheckedDocument, bytes]]:
    files = [f for f in request.files.getlist("evidence") if f and f.filename]
    if len(files) > MAX_EVIDENCE_FILES:
        problems.append(Problem("evidence", f"at most {MAX_EVIDENCE_FILES} files per report"))
        return []
    checked = []
    for upload in files:
        data = upload.read()
        try:
            checked.append((check_document(data, upload.filename or "", field="evidence"), data))
        except InputInvalid as exc:
            problems.extend(exc.problems)
    return checked


@bp.post("/monitoring/statements/<int:statement_id>/reports")
@allow(APPLICANT)
def submit_report(statement_id: int) -> ResponseReturnValue:
    statement = _owner_statement(statement_id)
    session = db_session()
    user = _actor()
    problems: list[Problem] = []
    evidence = _evidence(problems)
    where = None
    ward, postcode = _text("ward", 20), _text("postcode", 20)
    if ward and postcode:
        problems.append(Problem("where", "give a ward or a postcode, not both"))
    elif ward:
        where = {"ward": ward}
    elif postcode:
        where = {"postcode": postcode}
    fields = {
        "obligation": request.form.get("obligation", ""),
        "period_start": request.form.get("period_start", ""),
        "period_end": request.form.get("period_end", ""),
        "quantity": request.form.get("quantity", ""),
        "where": where,
        "note": _text("note") or None,
    }
    try:
        ready = repo.check_reports(
            session, statement, [("$", fields)], path_of=lambda p: p.removeprefix("$.")
        )
    except InputInvalid as exc:
        problems = exc.problems + problems
        ready = []
    if problems:
        session.rollback()
        return _report_page(statement, 400, errors=_errors(problems), problems=problems)
    documents = [
        save_document(
            session,
            _root(),
            checked,
            data,
            council=statement.council,
            statement_id=statement.id,
            purpose="delivery_evidence",
            uploaded_by=user,
        )
        for checked, data in evidence
    ]
    rows = repo.add_reports(session, statement, user, ready, source="web", documents=documents)
    session.commit()
    _notify(rows)
    flash("Delivery report sent to the council for verification", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.post("/monitoring/statements/<int:statement_id>/reports.csv")
@allow(APPLICANT)
def upload_reports(statement_id: int) -> ResponseReturnValue:
    statement = _owner_statement(statement_id)
    session = db_session()
    upload = request.files.get("file")
    problems: list[Problem] = []
    ready = []
    if upload is None or not upload.filename:
        problems.append(Problem("file", "choose a CSV file"))
    else:
        data = upload.read()
        try:
            check_document(data, upload.filename, field="file", kinds=frozenset({"csv"}))
            rows = parse_reports_csv(data.decode("utf-8-sig"))
            ready = repo.check_reports(session, statement, rows, path_of=csv_cell)
        except InputInvalid as exc:
            problems = exc.problems
    if problems:
        session.rollback()
        return _report_page(statement, 400, csv_problems=problems)
    rows = repo.add_reports(session, statement, _actor(), ready, source="csv")
    session.commit()
    _notify(rows)
    flash(f"{len(ready)} delivery report(s) sent to the council for verification", "success")
    return redirect(url_for("monitoring.scheme", statement_id=statement.id))


@bp.get("/monitoring/statements/<int:statement_id>/documents/<int:document_id>")
@allow(APPLICANT, *STAFF_ROLES)
def document(statement_id: int, document_id: int) -> ResponseReturnValue:
    """An evidence file, to the statement's owner and its council's staff only."""
    statement = statement_or_404(statement_id)
    row = db_session().get(Document, document_id)
    if row is None or row.statement_id != statement.id:
        abort(404)
    try:
        data = read_document(_root(), row)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=row.media_type)
    response.headers["Content-Disposition"] = attachment(row.filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- API: delivery reports as JSON --------------------------------------------------------


# The API's bodies as models: the server validates requests with DeliveryReportIn (on top
# of check_reports' own checks) and writes responses through the Out models, and
# web/api.py openapi_document generates the OpenAPI schemas from these same classes.


class DeliveryReportIn(BaseModel):
    """One delivery report as the API accepts it (`POST .../delivery-reports`)."""

    model_config = ConfigDict(extra="forbid", title="DeliveryReportIn")

    obligation: int | str = Field(
        description="the obligation's id, as listed by GET (a payment cannot be reported)"
    )
    period_start: str = Field(max_length=40, description="YYYY-MM-DD (or dd/mm/yyyy)")
    period_end: str = Field(
        max_length=40, description="YYYY-MM-DD (or dd/mm/yyyy); on or after period_start"
    )
    quantity: float = Field(
        gt=0, le=MAX_QUANTITY, description="delivered in the obligation's unit, more than 0"
    )
    where: Where | None = Field(
        default=None,
        description="where it was delivered, placed in wards as commitments are "
        "(omitted: where the obligation was committed)",
    )
    note: str | None = Field(default=None, max_length=2000)


class DeliveryReportsIn(BaseModel):
    """Several reports at once: all are stored, or none."""

    model_config = ConfigDict(extra="forbid", title="DeliveryReportsIn")

    reports: list[DeliveryReportIn] = Field(min_length=1, max_length=MAX_API_REPORTS)


class DeliveryReportOut(BaseModel):
    id: int
    obligation: int
    period_start: dt.date
    period_end: dt.date
    quantity: float
    wards: list[WardShareOut]
    note: str | None = None
    source: str
    verification: str = Field(description="pending, accepted, partly_accepted or rejected")
    accepted_quantity: float | None = None
    counted: float = Field(description="what counts as delivered: only verified reports")
    verification_reason: str | None = None
    documents: list[int] = Field(description="evidence document ids")


class DeliveryObligationOut(BaseModel):
    id: int
    number: int
    measure: str
    unit: str
    quantity: float
    status: str
    due_on: dt.date | None = None
    counted: float
    in_force: bool


class DeliveryReportsPage(BaseModel):
    """`GET .../delivery-reports`: the scheme's obligations and every report on them."""

    obligations: list[DeliveryObligationOut]
    reports: list[DeliveryReportOut]


class DeliveryReportsCreated(BaseModel):
    """`POST .../delivery-reports` (201): the reports stored, pending verification."""

    reports: list[DeliveryReportOut]


def _report_model(report: repo.DeliveryReport) -> DeliveryReportOut:
    return DeliveryReportOut(
        id=report.id,
        obligation=report.obligation_id,
        period_start=report.period_start,
        period_end=report.period_end,
        quantity=report.quantity,
        wards=repo.ward_shares(report.wards),
        note=report.note,
        source=report.source,
        verification=report.verification,
        accepted_quantity=report.accepted_quantity,
        counted=report.counted,
        verification_reason=report.verification_reason,
        documents=[d.id for d in report.documents],
    )


def _model_problems(pairs: list[tuple[str, Any]]) -> list[Problem]:
    """DeliveryReportIn's verdict on each report, as problems with JSON paths."""
    found: list[Problem] = []
    for prefix, item in pairs:
        try:
            DeliveryReportIn.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors():
                path = prefix + json_path(error["loc"]).removeprefix("$")
                message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
                found.append(Problem(path, message))
    return found


def _merged(checked: list[Problem], modelled: list[Problem]) -> list[Problem]:
    """check_reports' problems (its wording), then the model's on fields it did not name."""
    named = {p.path for p in checked}
    return checked + [
        p
        for p in modelled
        if p.path not in named and not any(p.path.startswith(f"{n}.") for n in named)
    ]


@bp.get("/api/v1/statements/<int:statement_id>/delivery-reports")
@allow(APPLICANT, *STAFF_ROLES)
def api_reports(statement_id: int) -> ResponseReturnValue:
    statement = statement_or_404(statement_id)
    session = db_session()
    page = DeliveryReportsPage(
        obligations=[
            DeliveryObligationOut(
                id=o.id,
                number=o.number,
                measure=o.measure,
                unit=o.unit,
                quantity=o.quantity,
                status=o.status,
                due_on=o.due_on,
                counted=o.counted,
                in_force=o.live,
            )
            for o in repo.obligations_of(session, statement.id)
        ],
        reports=[_report_model(r) for r in repo.reports_of(session, statement.id)],
    )
    return jsonify(page.model_dump(mode="json"))


@bp.post("/api/v1/statements/<int:statement_id>/delivery-reports")
@allow(APPLICANT)
def api_create_reports(statement_id: int) -> ResponseReturnValue:
    """Body: one report {obligation, period_start, period_end, quantity, where?, note?} or
    {"reports": [...]}; all or nothing, every problem named by its JSON path. With evidence:
    multipart/form-data, the JSON in a `report` part and files in `evidence` parts (attached
    to every report of the request)."""
    statement = statement_or_404(statement_id)
    if not can_report_delivery(current_actor(), statement):
        abort(403)
    problems: list[Problem] = []
    evidence: list[tuple[CheckedDocument, bytes]] = []
    if request.mimetype == "multipart/form-data":
        raw: str | bytes = request.form.get("report", "")
        evidence = _evidence(problems)
    else:
        raw = request.get_data()
    try:
        body = load_json(raw)
    except ValueError as exc:
        return problem(400, f"the body is not JSON: {exc}")
    if isinstance(body, dict) and "reports" in body:
        items = body["reports"]
        if not isinstance(items, list) or not items or len(items) > MAX_API_REPORTS:
            return problem(
                422,
                "invalid input",
                problems=[Problem("$.reports", "a list of 1 to 500 reports")],
            )
        pairs = [(f"$.reports[{i}]", item) for i, item in enumerate(items)]
    else:
        pairs = [("$", body)]
    problems += [
        Problem(path, "must be an object") for path, item in pairs if not isinstance(item, dict)
    ]
    if problems:
        return problem(422, "invalid input", problems=problems)
    modelled = _model_problems(pairs)
    session = db_session()
    try:
        ready = repo.check_reports(session, statement, pairs)
    except InputInvalid as exc:
        session.rollback()
        return problem(422, "invalid input", problems=_merged(exc.problems, modelled))
    if modelled:  # e.g. a field the API does not know: refused, as the schema says
        session.rollback()
        return problem(422, "invalid input", problems=modelled)
    user = _actor()
    documents = [
        save_document(
            session,
            _root(),
            checked,
            data,
            council=statement.council,
            statement_id=statement.id,
            purpose="delivery_evidence",
            uploaded_by=user,
        )
        for checked, data in evidence
    ]
    rows = repo.add_reports(session, statement, user, ready, source="api", documents=documents)
    session.commit()
    _notify(rows)
    created = DeliveryReportsCreated(reports=[_report_model(r) for r in rows])
    return jsonify(created.model_dump(mode="json")), 201


csrf.exempt(api_reports)
csrf.exempt(api_create_reports)
