"""Administrators: accounts and roles, and the value sets councils' assessments use.

An admin tied to a council manages that council's staff, applicants and value sets; an
installation admin (no council) manages every council.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.valuation.valuesets import (
    MAX_CSV_BYTES,
    OPEN_SET_NAME,
    ValueSet,
    ValueSetRegistry,
)
from planning_sv.core.workflow import Role
from planning_sv.store.models import User
from planning_sv.store.statements import record_event
from planning_sv.store.users import set_role
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import ADMIN, allow, current_actor
from planning_sv.web.forms import (
    RoleForm,
    ValueSetChoiceForm,
    ValueSetImportForm,
    attach_problems,
    select_choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def _manageable(user: User) -> bool:
    """An admin tied to a council manages its staff and applicants; one without, everyone."""
    admin = current_actor()
    return admin.council is None or user.council in (None, admin.council)


def _managed_councils() -> dict[str, str]:
    """Council code -> name for the councils the signed-in admin manages."""
    councils = assessor().councils()
    admin = current_actor()
    if admin.council is None:
        return councils
    return {admin.council: councils.get(admin.council, admin.council)}


@bp.get("/users")
@allow(ADMIN)
def users() -> ResponseReturnValue:
    admin = current_actor()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(User)
    if admin.council is not None:
        query = query.where((User.council == admin.council) | User.council.is_(None))
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.email).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return render_template(
        "admin/users.html", users=list(rows), total=total, page=page, per_page=PER_PAGE
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    session = db_session()
    user = session.get(User, user_id)
    if user is None or not _manageable(user):
        abort(404)
    form = RoleForm(
        data={"role": user.role, "council": user.council or ""} if request.method == "GET" else None
    )
    admin = current_actor()
    form.council.choices = select_choices(
        {"": "None (applicants, installation admins)", **_managed_councils()}
    )
    if form.validate_on_submit():
        if user.id == admin.id and form.role.data != Role.ADMIN.value:
            form.role.errors = ["You cannot remove your own administrator role"]
        else:
            before = (user.role, user.council)
            try:
                set_role(session, user, form.role.data, form.council.data or None)
            except InputInvalid as exc:
                attach_problems(form, exc.problems, {"role": "role", "council": "council"})
            else:
                record_event(
                    session,
                    None,
                    admin,
                    "set_role",
                    None,
                    None,
                    details={
                        "user_id": user.id,
                        "from": list(before),
                        "to": [user.role, user.council],
                    },
                )
                session.commit()
                flash(f"{user.email} is now {user.role.replace('_', ' ')}", "success")
                return redirect(url_for(".users"))
    return render_template(
        "admin/edit_user.html", form=form, user=user
    ), 400 if form.errors else 200


# --- value sets ---------------------------------------------------------------------------


def _registry() -> ValueSetRegistry:
    # The same instance folder the assessor's valuer reads, so a choice made here is the
    # set the next assessment uses.
    return ValueSetRegistry.default()


def _managed_council_or_404(council: str) -> str:
    if council not in _managed_councils():
        abort(404)
    return council


def _set_option(name: str, version: int | None) -> str:
    """Radio value for a set: 'name' follows its latest version, 'name@N' pins version N."""
    return name if version is None else f"{name}@{version}"


def _parse_set_option(value: str) -> tuple[str, int | None]:
    name, _, version = value.rpartition("@")
    if name and version.isdigit():
        return name, int(version)
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
    registry = _registry()
    councils = [
        {"code": code, "name": name, "in_use": registry.chosen_summary(code)}
        for code, name in _managed_councils().items()
    ]
    return render_template("admin/value_sets.html", councils=councils)


@bp.route("/value-sets/<council>", methods=["GET", "POST"])
@allow(ADMIN)
def council_value_set(council: str) -> ResponseReturnValue:
    _managed_council_or_404(council)
    registry = _registry()
    sets = [item for item in registry.list_sets(council) if item.get("council") in (None, council)]
    form = ValueSetChoiceForm()
    form.value_set.choices = select_choices(_set_choices(sets))
    if form.validate_on_submit():
        name, version = _parse_set_option(form.value_set.data)
        try:
            chosen = registry.choose(council, name, version)
        except InputInvalid as exc:
            attach_problems(form, exc.problems, {"name": "value_set", "version": "value_set"})
        else:
            _audit_value_set(
                "choose_value_set", council, name=chosen.name, version=version, pinned=version
            )
            flash(
                f"{assessor().councils().get(council, council)} now uses "
                f"'{chosen.name}' version {chosen.version}",
                "success",
            )
            return redirect(url_for(".council_value_set", council=council))
    in_use = registry.chosen_summary(council)
    if request.method == "GET":
        form.value_set.data = _in_use_option(in_use, sets)
    return render_template(
        "admin/value_set.html",
        council=council,
        form=form,
        sets=sets,
        in_use=in_use,
        rows=registry.list_rows(council),
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
        try:
            value_set = _import_upload(form, council)
            if form.use_it.data == "yes":
                _registry().choose(council, value_set.name, None)
        except InputInvalid as exc:
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
            _audit_value_set(
                "import_value_set",
                council,
                name=value_set.name,
                version=value_set.version,
                rows=len(value_set.rows),
                licence=value_set.licence,
                in_use=form.use_it.data == "yes",
            )
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
    """Hand the uploaded CSV to the registry, which validates it before storing anything."""
    upload = form.file.data
    raw = upload.stream.read(MAX_CSV_BYTES + 1)
    return _registry().import_data(
        raw,
        # The original name is kept in the set's metadata.
        secure_filename(upload.filename or "") or "values.csv",
        council,
        form.name.data,
        form.licence.data,
        target_price_year=form.target_price_year.data,
    )


def _audit_value_set(action: str, council: str, **details: Any) -> None:
    session = db_session()
    record_event(
        session, None, current_actor(), action, None, None, details={"council": council, **details}
    )
    session.commit()
