"""Developer contributions data and the Infrastructure Funding Statement, for council staff.

/admin/contributions lists the councils the signed-in officer or admin may read
(web/authz.contributions_councils); for each, the four CSV downloads (planning.data.gov.uk's
three files and our social value file), the section 106 report of a reported year as a page
and as CSV, and, for the council's admins, the importer of earlier S106 records. Another
council's URL is a 404, as for its statements.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from planning_sv.core import contributions as dc
from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.ifs import IFS_COLUMNS, IfsReport, ReportingYear, compute_ifs, ifs_rows
from planning_sv.core.limits import parse_whole_number
from planning_sv.store.contributions import council_data, load_files
from planning_sv.web import assessor, attachment, db_session
from planning_sv.web.authz import (
    ADMIN,
    STAFF_ROLES,
    allow,
    can_import_contributions,
    contributions_councils,
    current_actor,
)

bp = Blueprint("contributions", __name__, url_prefix="/admin/contributions")

# URL name -> the file it downloads.
DATASETS = {
    "developer-agreement": dc.AGREEMENT_FILE,
    "developer-agreement-contribution": dc.CONTRIBUTION_FILE,
    "developer-agreement-transaction": dc.TRANSACTION_FILE,
    "developer-agreement-contribution-social-value": dc.SOCIAL_VALUE_FILE,
}
FIRST_YEAR = 2019  # the first reported year under the 2019 regulations


class ImportForm(FlaskForm):
    agreements = FileField("developer-agreement.csv", widget=GovFileInput())
    contributions = FileField("developer-agreement-contribution.csv", widget=GovFileInput())
    transactions = FileField("developer-agreement-transaction.csv", widget=GovFileInput())
    submit = SubmitField("Check and import", widget=GovSubmitInput())


def _council_or_404(council: str) -> tuple[str, str]:
    """(name, organisation code) of a council the actor may read; 404 otherwise."""
    councils = contributions_councils(current_actor(), assessor().councils())
    if council not in councils:
        abort(404)
    return councils[council], _organisation(council)


def _organisation(council: str) -> str:
    """The council's planning.data.gov.uk code (plan.yaml `organisation`)."""
    plan = assessor().plans.get(council)
    return str(getattr(plan, "organisation", None) or "")


def _year_arg() -> int:
    """?year=2026 (default: the last complete reported year), bounded; 400 naming it."""
    today = dt.date.today()
    default = ReportingYear.containing(today).year - 1
    raw = request.args.get("year", "")
    if not raw:
        return default
    try:
        return parse_whole_number(raw, minimum=FIRST_YEAR, maximum=today.year + 1)
    except ValueError as exc:
        abort(400, description=f"year: {exc}")


@bp.get("/")
@allow(ADMIN, *STAFF_ROLES)
def index() -> ResponseReturnValue:
    actor = current_actor()
    councils = contributions_councils(actor, assessor().councils())
    rows = [
        {
            "code": code,
            "name": name,
            "organisation": _organisation(code),
            "can_import": can_import_contributions(actor, code),
        }
        for code, name in councils.items()
    ]
    year = ReportingYear.containing(dt.date.today()).year - 1
    return render_template("admin/contributions.html", councils=rows, datasets=DATASETS, year=year)


@bp.get("/<council>/<dataset>.csv")
@allow(ADMIN, *STAFF_ROLES)
def download(council: str, dataset: str) -> ResponseReturnValue:
    _name, organisation = _council_or_404(council)
    filename = DATASETS.get(dataset)
    if filename is None:
        abort(404)
    data = council_data(db_session(), council, organisation)
    try:
        files = dc.export_files(data)
    except InputInvalid as exc:  # a broken link in the records: say which, never a 500
        abort(409, description="; ".join(str(p) for p in exc.problems))
    stamp = dt.date.today().strftime("%Y%m%d")
    return _csv_download(files[filename], f"{council}-{dataset}_{stamp}.csv")


def _csv_download(text: str, filename: str) -> Response:
    """A CSV file to save: the council's records, so never kept by a shared cache."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )


def _ifs_report(council: str) -> tuple[str, int, IfsReport]:
    """The council's name, the `year` asked for, and its infrastructure funding statement
    section 106 report for that year (404 for an unknown council, 400 for a bad year)."""
    name, organisation = _council_or_404(council)
    year = _year_arg()
    report = compute_ifs(
        council_data(db_session(), council, organisation), year, organisation=organisation
    )
    return name, year, report


@bp.get("/<council>/ifs")
@allow(ADMIN, *STAFF_ROLES)
def ifs(council: str) -> ResponseReturnValue:
    name, _year, report = _ifs_report(council)
    today = dt.date.today()
    years = list(range(ReportingYear.containing(today).year, FIRST_YEAR - 1, -1))
    return render_template(
        "admin/contributions_ifs.html",
        council=council,
        council_name=name,
        report=report,
        rows=ifs_rows(report),
        years=years,
    )


@bp.get("/<council>/ifs.csv")
@allow(ADMIN, *STAFF_ROLES)
def ifs_csv(council: str) -> ResponseReturnValue:
    _name, year, report = _ifs_report(council)
    return _csv_download(
        dc.csv_text(IFS_COLUMNS, ifs_rows(report)), f"{council}-ifs-section-106-{year}.csv"
    )


@bp.route("/<council>/import", methods=["GET", "POST"])
@allow(ADMIN)
def import_records(council: str) -> ResponseReturnValue:
    name, organisation = _council_or_404(council)
    if not can_import_contributions(current_actor(), council):
        abort(404)
    form = ImportForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        files: dict[str, bytes] = {}
        for field, standard in (
            (form.agreements, dc.AGREEMENT_FILE),
            (form.contributions, dc.CONTRIBUTION_FILE),
            (form.transactions, dc.TRANSACTION_FILE),
        ):
            upload = field.data
            if upload is not None and getattr(upload, "filename", ""):
                # Keyed by the field's standard name: what the council called its file on
                # disk does not decide which table it is.
                files[standard] = upload.stream.read(dc.MAX_IMPORT_BYTES + 1)
        session = db_session()
        if not files:
            form.agreements.errors = [
                "Select at least one file: developer-agreement.csv, "
                "developer-agreement-contribution.csv or developer-agreement-transaction.csv"
            ]
        else:
            try:
                counts = load_files(session, council, organisation, files, current_actor())
            except InputInvalid as exc:
                session.rollback()
                problems = exc.problems
            else:
                session.commit()
                flash(
                    f"Imported {counts['agreements']} agreements, {counts['contributions']} "
                    f"contributions and {counts['transactions']} transactions for {name}",
                    "success",
                )
                return redirect(url_for(".index"))
    failed = bool(problems or form.errors)
    return render_template(
        "admin/contributions_import.html",
        council=council,
        council_name=name,
        form=form,
        problems=problems,
        # The request limit (MAX_CONTENT_LENGTH) covers the three files together.
        max_bytes=min(
            dc.MAX_IMPORT_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or dc.MAX_IMPORT_BYTES
        ),
    ), 400 if failed else 200
