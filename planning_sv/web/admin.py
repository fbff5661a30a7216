"""Council administrators: list accounts and change a user's role and council."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from planning_sv.core.errors import InputInvalid
from planning_sv.core.workflow import Role
from planning_sv.store.models import User
from planning_sv.store.statements import record_event
from planning_sv.store.users import set_role
from planning_sv.web import assessor, db_session
from planning_sv.web.authz import ADMIN, allow, current_actor
from planning_sv.web.forms import RoleForm, attach_problems

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def _manageable(user: User) -> bool:
    """An admin tied to a council manages its staff and applicants; one without, everyone."""
    admin = current_actor()
    return admin.council is None or user.council in (None, admin.council)


@bp.get("/users")
@allow(ADMIN)
def users():  # type: ignore[no-untyped-def]
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
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    session = db_session()
    user = session.get(User, user_id)
    if user is None or not _manageable(user):
        abort(404)
    form = RoleForm(
        data={"role": user.role, "council": user.council or ""} if request.method == "GET" else None
    )
    admin = current_actor()
    councils = assessor().councils()
    if admin.council is not None:
        councils = {admin.council: councils.get(admin.council, admin.council)}
    form.council.choices = [("", "None (applicants, installation admins)"), *list(councils.items())]
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
