"""Administrators: accounts and roles, and the value sets councils' assessments use.

Who may do what is decided in web/authz.py (`can_manage_user`, `can_assign_role`,
`can_set_active`, `managed_councils`): an admin tied to a council manages that council's
staff and value sets and may take applicants on as its staff; only an installation admin
(no council) manages every council and makes or changes installation admins. Every change
of role, council or active flag is audited in the same transaction (store/users.py).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import parse_whole_number
from planning_sv.core.valuation.valuesets import (
    MAX_CSV_BYTES,
    OPEN_SET_NAME,
    ValueSet,
    rows_in_force,
)
from planning_sv.store import value_sets as value_set_store
from planning_sv.store.mail import MailLogEntry
from planning_sv.store.models import User
from planning_sv.store.users import set_active, set_role
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import (
    ADMIN,
    allow,
    can_assign_role,
    can_manage_user,
    can_set_active,
    current_actor,
    is_installation_admin,
    manageable_users_filter,
    managed_councils,
)
from planning_sv.web.forms import (
    RoleForm,
    ValueSetChoiceForm,
    ValueSetImportForm,
    attach_problems,
    select_choices,
)
from planning_sv.web.notify import mailer
from planning_sv.web.params import page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def _managed_councils() -> dict[str, str]:
    """Council code -> name for the councils the signed-in admin manages."""
    return managed_councils(current_actor(), assessor().councils())


@bp.get("/users")
@allow(ADMIN)
def users() -> ResponseReturnValue:
    admin = current_actor()
    page = page_arg()  # bounded, ASCII digits (web/params.py); a bad value is a 400
    query = select(User).where(manageable_users_filter(admin))
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.email).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return render_template(
        "admin/users.html",
        users=list(rows),
        total=total,
        page=page,
        per_page=PER_PAGE,
        mail_configured=mailer() is not None,
    )


MAIL_LOG_ROWS = 200
MAIL_STATUSES = {
    "sent": "Sent",
    "failed": "Failed",
    "not_configured": "Not sent: email is not configured",
    "skipped": "Not sent",
}


@bp.get("/mail")
@allow(ADMIN)
def mail() -> ResponseReturnValue:
    """Whether email is configured, and the mail log: a council admin sees their council's
    rows, an installation admin every row (account emails have no council)."""
    admin = current_actor()
    query = select(MailLogEntry)
    if not is_installation_admin(admin):
        query = query.where(MailLogEntry.council == admin.council)
    entries = db_session().scalars(
        query.order_by(MailLogEntry.at.desc(), MailLogEntry.id.desc()).limit(MAIL_LOG_ROWS)
    )
    transport = mailer()
    return render_template(
        "admin/mail.html",
        transport=transport.describe() if transport is not None else None,
        base_url=current_app.config.get("PUBLIC_BASE_URL"),
        entries=list(entries),
        statuses=MAIL_STATUSES,
        council=None if is_installation_admin(admin) else admin.council,
    )


def _refusal(admin: User, user: User, role: str, council: str | None) -> tuple[str, str] | None:
    """(field, message) when `admin` may not give `user` this role and council, else None."""
    if user.id == admin.id and (role, council) != (user.role, user.council):
        # Also keeps the last installation admin from demoting themselves by accident.
        return "role", "You cannot change your own role or council"
    if can_assign_role(admin, role, council):
        return None
    if role == ADMIN and council is None:
        return "council", (
            "Only an installation administrator can make an administrator with no council"
        )
    return "council", "Choose a council you administer"


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    session = db_session()
    admin = current_actor()
    user = session.get(User, user_id)
    # 404, not 403, for accounts outside the admin's reach, so ids are not probed.
    if user is None or not can_manage_user(admin, user):
        abort(404)
    may_set_active = can_set_active(admin, user)
    form = RoleForm(
        data={
            "role": user.role,
            "council": user.council or "",
            "active": "yes" if user.is_active else "no",
        }
        if request.method == "GET"
        else None
    )
    none_label = (
        "None (applicants, installation admins)"
        if is_installation_admin(admin)
        else "None (applicants)"
    )
    form.council.choices = select_choices({"": none_label, **_managed_councils()})
    if form.validate_on_submit():
        role, council = form.role.data, form.council.data or None
        active = {"yes": True, "no": False}.get(form.active.data or "")
        refusal = _refusal(admin, user, role, council)
        if refusal is not None:
            getattr(form, refusal[0]).errors = [refusal[1]]
        elif active is not None and active != user.is_active and not may_set_active:
            form.active.errors = ["You cannot disable or enable this account"]
        else:
            try:
                # The changes and their audit events commit together, or not at all.
                set_role(
                    session, user, role, council, actor=admin, councils=set(assessor().councils())
                )
                if active is not None:
                    set_active(session, user, active, actor=admin)
            except InputInvalid as exc:  # raised before anything changed
                attach_problems(form, exc.problems, {"role": "role", "council": "council"})
            else:
                session.commit()
                state = "" if user.is_active else " (disabled)"
                flash(f"{user.email} is now {user.role.replace('_', ' ')}{state}", "success")
                return redirect(url_for(".users"))
    return render_template(
        "admin/edit_user.html", form=form, user=user, may_set_active=may_set_active
    ), 400 if form.errors else 200


# --- value sets ---------------------------------------------------------------------------


def _managed_council_or_404(council: str) -> str:
    if council not in _managed_councils():
        abort(404)
    return council


def _set_option(name: str, version: int | None) -> str:
    """Radio value for a set: 'name' follows its latest version, 'name@N' pins version N."""
    return name if version is None else f"{name}@{version}"


def _parse_set_option(value: str) -> tuple[str, int | None]:
    name, _, version = value.rpartition("@")
    if name:
        try:
            return name, parse_whole_number(version, minimum=1)
        except ValueError:
            pass
    return value, None


def _in_use_option(in_use: dict[str, Any], sets: list[dict[str, Any]]) -> str:
    """The radio to preselect: a set in use at an older version than its latest is pinned."""
    versions = [item["version"] for item in sets if item["name"] == in_use["name"]]
    pinned = bool(versions) and in_use["version"] != max(versions)
    return _set_option(in_use["name"], in_use["version"] if pinned else None)


def _set_choices(sets: list[dict[str, Any]]) -> dict[str, str]:
    options = {
        OPEN_SET_NAME: "Open value set shipped with the service (every row cites an open source)"
    }
    for item in sets:
        if item.get("council") is None:
            continue
        options.setdefault(item["name"], f"{item['name']}: latest version")
        options[_set_option(item["name"], item["version"])] = (
            f"{item['name']}: version {item['version']} only ({item.get('rows', '?')} rows, "
            f"imported {item.get('date', '')})"
        )
    return options


@bp.get("/value-sets")
@allow(ADMIN)
def value_sets() -> ResponseReturnValue:
    session = db_session()
    councils = [
        {"code": code, "name": name, "in_use": value_set_store.chosen(session, code).summary()}
        for code, name in _managed_councils().items()
    ]
    return render_template("admin/value_sets.html", councils=councils)


@bp.route("/value-sets/<council>", methods=["GET", "POST"])
@allow(ADMIN)
def council_value_set(council: str) -> ResponseReturnValue:
    _managed_council_or_404(council)
    session = db_session()
    sets = value_set_store.list_sets(session, council)
    form = ValueSetChoiceForm()
    form.value_set.choices = select_choices(_set_choices(sets))
    if form.validate_on_submit():
        name, version = _parse_set_option(form.value_set.data)
        try:
            # The choice and its audit row, committed together.
            chosen = value_set_store.choose(session, council, name, version, actor=current_actor())
        except InputInvalid as exc:
            session.rollback()
            attach_problems(form, exc.problems, {"name": "value_set", "version": "value_set"})
        else:
            session.commit()
            flash(
                f"{assessor().councils().get(council, council)} now uses "
                f"'{chosen.name}' version {chosen.version}",
                "success",
            )
            return redirect(url_for(".council_value_set", council=council))
    in_use_set = value_set_store.chosen(session, council)
    in_use = in_use_set.summary()
    if request.method == "GET":
        form.value_set.data = _in_use_option(in_use, sets)
    return render_template(
        "admin/value_set.html",
        council=council,
        form=form,
        sets=sets,
        in_use=in_use,
        rows=rows_in_force(in_use_set),
    ), 400 if form.errors else 200


@bp.route("/value-sets/import", methods=["GET", "POST"])
@allow(ADMIN)
def import_value_set() -> ResponseReturnValue:
    councils = _managed_councils()
    form = ValueSetImportForm()
    form.council.choices = select_choices(
        {"": "Select", **councils} if len(councils) > 1 else councils
    )
    problems: list[Problem] = []
    if form.validate_on_submit():
        council = form.council.data
        session = db_session()
        try:
            value_set = _import_upload(form, council)
        except InputInvalid as exc:
            session.rollback()
            # CSV faults name "row N, column X" and stay in the summary; the set's own
            # fields (name, licence, year) go on their fields.
            problems = attach_problems(
                form,
                exc.problems,
                {
                    "council": "council",
                    "name": "name",
                    "licence": "licence",
                    "target_price_year": "target_price_year",
                },
            )
            if problems:
                form.file.errors = [
                    *form.file.errors,
                    f"The CSV has {len(problems)} problem(s); nothing was imported",
                ]
        else:
            # The set, the choice (if asked) and the audit row: one commit, all or nothing.
            session.commit()
            flash(
                f"Imported '{value_set.name}' version {value_set.version} "
                f"({len(value_set.rows)} rows)"
                + ("; it is now in use" if form.use_it.data == "yes" else ""),
                "success",
            )
            return redirect(url_for(".council_value_set", council=council))
    return render_template(
        "admin/import_value_set.html", form=form, problems=problems, max_bytes=MAX_CSV_BYTES
    ), 400 if form.errors else 200


def _import_upload(form: ValueSetImportForm, council: str) -> ValueSet:
    """Hand the uploaded CSV to the store, which validates it before adding anything (and
    adds the choice, when asked, and the audit row to the request's session)."""
    upload = form.file.data
    raw = upload.stream.read(MAX_CSV_BYTES + 1)
    return value_set_store.import_data(
        db_session(),
        raw,
        # The original name is kept with the set.
        secure_filename(upload.filename or "") or "values.csv",
        council,
        form.name.data,
        form.licence.data,
        actor=current_actor(),
        use=form.use_it.data == "yes",
        target_price_year=form.target_price_year.data,
    )


# The draft-pack impact page is an admin page in a module of its own (web/admin_impact.py);
# importing it registers its route on this blueprint.
from planning_sv.web import admin_impact  # noqa: E402, F401
