"""Start page, registration, sign-in and -out, and the account page with API tokens.

Sessions (ASVS V3): the session cookie carries the account's session token (User.get_id);
sign-out and a password change replace the token, so copied cookies stop working. Sign-in
is limited per client address (Flask-Limiter) and per email address (a back-off lock in
store/users.py); both answer 429 with Retry-After. Registration answers alike whether or not
the address already has an account.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from planning_sv.core.errors import InputInvalid
from planning_sv.core.workflow import Role
from planning_sv.store.models import ApiToken
from planning_sv.store.users import (
    MIN_PASSWORD,
    SignInLocked,
    authenticate,
    change_password,
    create_token,
    end_sessions,
    register_applicant,
    revoke_tokens,
)
from planning_sv.web import db_session
from planning_sv.web.authz import PUBLIC, SIGNED_IN, allow, current_actor, limiter
from planning_sv.web.forms import (
    ChangePasswordForm,
    ConfirmForm,
    RegisterForm,
    SignInForm,
    TokenForm,
    attach_problems,
)

bp = Blueprint("auth", __name__)


MAX_NEXT = 2000


def _unsafe_char(ch: str) -> bool:
    # Controls (tab, newline), format characters (zero-width) and any kind of space.
    return ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ"


def _safe_next(target: str | None) -> str | None:
    """`?next=` if it is a path on this site, else None (ASVS 5.1.5, open redirects).

    Browsers are lenient with a Location header: they drop tabs and newlines, read a
    backslash as a slash and take '//host' as another site, so '/<tab>/evil.example' lands
    on evil.example. Only a plain absolute path passes: no control, space or backslash
    characters, no scheme or host, no '//' start; and the same once percent-decoded, in
    case something between here and the browser decodes it again.
    """
    if not target or len(target) > MAX_NEXT or any(_unsafe_char(ch) for ch in target):
        return None
    decoded = "".join(ch for ch in unquote(target) if not _unsafe_char(ch) or ch == "\\")
    for candidate in (target, decoded):
        parts = urlsplit(candidate)
        if (
            not candidate.startswith("/")
            or candidate.startswith("//")
            or "\\" in candidate
            or parts.scheme
            or parts.netloc
        ):
            return None
    return target


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


REGISTERED = (
    "Thank you. Now sign in with your email address and password. If you already had an "
    "account with this email address, sign in with the password you set for it before."
)


@bp.route("/register", methods=["GET", "POST"])
@allow(PUBLIC)
def register() -> ResponseReturnValue:
    """Create an applicant account, answering the same whether or not the address is taken.

    A new address gets an account; a taken one is left as it is (no session, nothing
    changed). Both get the same redirect to sign-in and the same message, so the form does
    not reveal who has an account (ASVS 2.5 / 3.1). Until the service sends email, that
    message is the confirmation; with email, a taken address would get a "you already have
    an account" email instead.
    """
    form = RegisterForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            register_applicant(session, form.email.data, form.password.data)
            session.commit()
        except InputInvalid as exc:
            attach_problems(form, exc.problems, {"email": "email", "password": "password"})
        except IntegrityError:
            session.rollback()  # the same address registered at the same moment: taken
        if not form.errors:
            flash(REGISTERED, "success")
            return redirect(url_for("auth.sign_in"))
    return render_template(
        "auth/register.html", form=form, min_password=MIN_PASSWORD
    ), 400 if form.errors else 200


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            user = authenticate(session, form.email.data, form.password.data)
        except SignInLocked as exc:
            session.commit()  # keeps the failure that caused the lock
            return _locked(form, exc.retry_after)
        session.commit()  # keeps the failed-login count even when sign-in fails
        if user is not None:
            # A fresh session: nothing from before sign-in (a planted CSRF token, say) is kept.
            cookie_session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
        form.email.errors = ["Enter a correct email address and password"]
    return render_template("auth/sign_in.html", form=form), 400 if form.errors else 200


def _locked(form: SignInForm, retry_after: int) -> ResponseReturnValue:
    """429 for a locked address; the same words whether or not it has an account."""
    minutes = max(1, -(-retry_after // 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    form.email.errors = [
        f"There have been too many attempts to sign in with this email address. "
        f"Wait {wait} and try again"
    ]
    response = make_response(render_template("auth/sign_in.html", form=form), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/sign-out")
@allow(SIGNED_IN)
def sign_out() -> ResponseReturnValue:
    """POST only (a form with a CSRF token), so another site cannot sign people out. Ends
    every session of the account, so a copied session cookie stops working too."""
    user = current_actor()
    if user is not None:
        end_sessions(user)
        db_session().commit()
    logout_user()
    cookie_session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
@limiter.limit(_sign_in_limit, methods=["POST"])
def change_password_page() -> ResponseReturnValue:
    """Change password: the current one first; every other session ends, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_actor()
        assert user is not None  # @allow(SIGNED_IN)
        session = db_session()
        try:
            change_password(user, form.current_password.data, form.password.data)
        except InputInvalid as exc:
            attach_problems(
                form,
                exc.problems,
                {"current_password": "current_password", "password": "password"},
            )
        else:
            session.commit()
            login_user(user)  # this browser carries the new token; every other session ends
            flash(
                "Your password has been changed. You have been signed out everywhere else.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/change_password.html", form=form, min_password=MIN_PASSWORD
    ), 400 if form.errors else 200


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
