"""Start page, registration, sign-in and -out, and the account page with API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from sqlalchemy import select

from planning_sv.core.errors import InputInvalid
from planning_sv.core.workflow import Role
from planning_sv.store.models import ApiToken
from planning_sv.store.users import authenticate, create_token, create_user, revoke_tokens
from planning_sv.web import db_session
from planning_sv.web.authz import PUBLIC, SIGNED_IN, allow, current_actor, limiter
from planning_sv.web.forms import ConfirmForm, RegisterForm, SignInForm, TokenForm, attach_problems

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so `?next=` cannot send users to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_for(role: str) -> str:
    if role == Role.APPLICANT.value:
        return url_for("applicant.index")
    if role == Role.ADMIN.value:
        return url_for("admin.users")
    if "officer.queue" in current_app.view_functions:
        return url_for("officer.queue")
    return url_for("auth.account")


@bp.get("/")
@allow(PUBLIC)
def home() -> ResponseReturnValue:
    return render_template("auth/home.html")


@bp.route("/register", methods=["GET", "POST"])
@allow(PUBLIC)
def register() -> ResponseReturnValue:
    form = RegisterForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            user = create_user(session, form.email.data, form.password.data)
        except InputInvalid as exc:
            attach_problems(form, exc.problems, {"email": "email", "password": "password"})
        else:
            session.commit()
            login_user(user)
            flash("Your account has been created", "success")
            return redirect(url_for("applicant.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    if form.validate_on_submit():
        session = db_session()
        user = authenticate(session, form.email.data, form.password.data)
        session.commit()  # keeps the failed-login count even when sign-in fails
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
        form.email.errors = ["Enter a correct email address and password"]
    return render_template("auth/sign_in.html", form=form), 400 if form.errors else 200


@bp.get("/sign-out")
@allow(SIGNED_IN)
def sign_out() -> ResponseReturnValue:
    logout_user()
    flash("You have signed out", "success")
    return redirect(url_for("auth.home"))


@bp.get("/account")
@allow(SIGNED_IN)
def account() -> ResponseReturnValue:
    user = current_actor()
    tokens = db_session().scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    )
    return render_template(
        "auth/account.html",
        user=user,
        tokens=list(tokens),
        form=TokenForm(),
        confirm=ConfirmForm(),
        new_token=None,
    )


@bp.post("/account/tokens")
@allow(SIGNED_IN)
def create_api_token() -> ResponseReturnValue:
    form = TokenForm()
    user = current_actor()
    session = db_session()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = create_token(session, user, form.label.data or None)
        session.commit()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    )
    # The plain token is shown once, on this response only; it is stored hashed.
    return render_template(
        "auth/account.html",
        user=user,
        tokens=list(tokens),
        form=TokenForm(formdata=None),
        confirm=ConfirmForm(),
        new_token=new_token,
    ), 200 if new_token else 400


@bp.post("/account/tokens/<int:token_id>/revoke")
@allow(SIGNED_IN)
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit():
        session = db_session()
        if revoke_tokens(session, current_actor(), token_id):
            session.commit()
            flash("The API token has been revoked", "success")
    return redirect(url_for("auth.account"))
