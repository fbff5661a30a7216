"""Admin: what a draft rule pack would change, before the council adopts it.

The draft's files are uploaded (any of plan.yaml, parameters.yaml, rules.yaml; the others
are the pack in force), checked like `plans check`, and compared over the council's stored
statements (`core.impact`), with a ward map of the statements that change and a table of
the same figures beside it. Nothing is stored: the files live in a temporary folder for the
request.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField

from planning_sv.core import impact
from planning_sv.core.errors import Problem
from planning_sv.core.figures import format_number
from planning_sv.core.plans import read_draft_pack
from planning_sv.core.verdicts import STATUS_LABELS
from planning_sv.store.impact import impact_cases
from planning_sv.web import assessor, csp_nonce, db_session, maps, services
from planning_sv.web.admin import _managed_council_or_404, bp
from planning_sv.web.authz import ADMIN, allow
from planning_sv.web.forms import GovFileInput, GovSubmitInput

MAX_PACK_FILE_BYTES = 512 * 1024
SHOWN_CHANGES = 500  # rows of the changes table; the CLI gives every row
PACK_FILES = ("plan", "parameters", "rules")


class DraftPackForm(FlaskForm):
    plan = FileField("plan.yaml (optional)", widget=GovFileInput())
    parameters = FileField("parameters.yaml (optional)", widget=GovFileInput())
    rules = FileField("rules.yaml (optional)", widget=GovFileInput())
    submit = SubmitField("Show the impact", widget=GovSubmitInput())


def _draft_folder(form: DraftPackForm, council: str, folder: Path) -> list[Problem]:
    """The pack in force copied to `folder`, with the uploaded files in place of its own."""
    shutil.copytree(Path(assessor().plans[council].folder), folder)
    problems: list[Problem] = []
    uploaded = 0
    for name in PACK_FILES:
        upload = getattr(form, name).data
        if not upload or not getattr(upload, "filename", ""):
            continue
        raw = upload.stream.read(MAX_PACK_FILE_BYTES + 1)
        if len(raw) > MAX_PACK_FILE_BYTES:
            problems.append(Problem(name, f"{name}.yaml is over {MAX_PACK_FILE_BYTES:,} bytes"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, f"{name}.yaml must be UTF-8 text"))
            continue
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        uploaded += 1
    if not uploaded and not problems:
        problems.append(Problem("parameters", "Choose at least one file of the draft pack"))
    return problems


@bp.route("/councils/<council>/impact", methods=["GET", "POST"])
@allow(ADMIN)
def council_impact(council: str) -> ResponseReturnValue:
    _managed_council_or_404(council)
    plan = assessor().plans[council]
    form = DraftPackForm()
    report = None
    pack_problems: list[Problem] = []
    map_parts = None
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(prefix="planning-sv-draft-") as tmp:
            folder = Path(tmp) / council
            upload_problems = _draft_folder(form, council, folder)
            for problem in upload_problems:
                getattr(form, problem.path).errors = [problem.message]
            if not upload_problems:
                draft, pack_problems = read_draft_pack(folder, council)
                if draft is not None and not pack_problems:
                    report = impact.compare(plan, draft, impact_cases(db_session(), council))
        if report is not None:
            map_parts = _change_map(plan, report)
    status = 400 if form.errors or pack_problems else 200
    return render_template(
        "admin/impact.html",
        plan=plan,
        form=form,
        report=report,
        pack_problems=pack_problems,
        map=map_parts,
        format_number=format_number,
        shown_changes=SHOWN_CHANGES,
        status_labels=STATUS_LABELS,
    ), status


def _change_map(plan: object, report: impact.ImpactReport) -> maps.MapParts:
    display = services().display_wards(plan.boundary_vintage, plan.lad_code)  # type: ignore[attr-defined]
    values = {code: float(w.statements_changed) for code, w in report.wards.items()}
    for code in display["code"]:
        values.setdefault(str(code), 0.0)
    m = maps.ward_map(
        display,
        values,
        value_label="Statements whose verdicts or figures change",
        format_value=lambda v: format_number(round(v)),
        aria_label=f"Map of {plan.name} wards shaded by the statements the draft changes",  # type: ignore[attr-defined]
        **maps.page_map_options(),
    )
    return maps.render_parts(m, csp_nonce())
