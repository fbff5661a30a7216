"""Start page, registration, sign-in and -out, and the account page with API tokens.

Sessions (ASVS V3): the session cookie carries the account's session token (User.get_id);
sign-out and a password change replace the token, so copied cookies stop working. Sign-in
is limited per client address (Flask-Limiter) and per email address (a back-off lock in
store/users.py); both answer 429 with Retry-After. Registration answers alike whether or not
the address already has an account.
"""

from __future__ import annotations

import unicodedata
from typing import Any
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
from planning_sv.mail import Message
from planning_sv.store import mail as mail_store
from planning_sv.store.models import ApiToken
from planning_sv.store.users import (
    CHANGE_EMAIL,
    LINK_INVALID,
    MIN_PASSWORD,
    RESET_PASSWORD,
    TOKEN_LIFETIMES,
    VERIFY_EMAIL,
    SignInLocked,
    account_token,
    authenticate,
    change_password,
    confirm_email_change,
    create_token,
    end_sessions,
    get_user_by_email,
    issue_account_token,
    register_applicant,
    request_email_change,
    request_password_reset,
    reset_password,
    revoke_tokens,
    verify_email,
)
from planning_sv.web import db_session
from planning_sv.web.authz import PUBLIC, SIGNED_IN, allow, current_actor, limiter
from planning_sv.web.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    RegisterForm,
    ResetPasswordForm,
    SignInForm,
    TokenForm,
    attach_problems,
)
from planning_sv.web.notify import absolute_url, mailer, send_now

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
    "account with this email address, sign in with the password you set for it before. "
    "We have sent an email to the address: follow its link to confirm it."
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
        outgoing: Message | None = None
        try:
            user = register_applicant(session, form.email.data, form.password.data)
            if user is not None:
                outgoing = _verification_email(
                    user, issue_account_token(session, user, VERIFY_EMAIL)
                )
            session.commit()
        except InputInvalid as exc:
            attach_problems(form, exc.problems, {"email": "email", "password": "password"})
        except IntegrityError:
            session.rollback()  # the same address registered at the same moment: taken
        if not form.errors:
            if outgoing is None:
                # Taken: the owner of the address hears of it; the visitor sees no difference.
                existing = get_user_by_email(session, form.email.data)
                if existing is not None:
                    outgoing = _already_registered_email(existing)
            if outgoing is not None:
                send_now(session, outgoing)
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
            send_now(session, _password_changed_email(user))
            flash(
                "Your password has been changed. You have been signed out everywhere else, "
                "and your API tokens have been revoked.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/change_password.html", form=form, min_password=MIN_PASSWORD
    ), 400 if form.errors else 200


def _account_page(**extra: Any) -> str:
    """The account page: details, email preferences and API tokens."""
    user = current_actor()
    assert user is not None  # @allow(SIGNED_IN)
    session = db_session()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    )
    off = mail_store.opted_out(session, user)
    context: dict[str, Any] = {
        "user": user,
        "tokens": list(tokens),
        "form": TokenForm(),
        "confirm": ConfirmForm(),
        "new_token": None,
        "notifications": [
            (kind, spec.label, kind not in off) for kind, spec in mail_store.kinds_for(user).items()
        ],
        "mail_configured": mailer() is not None,
    }
    context.update(extra)
    return render_template("auth/account.html", **context)


@bp.get("/account")
@allow(SIGNED_IN)
def account() -> ResponseReturnValue:
    return _account_page()


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
    # The plain token is shown once, on this response only; it is stored hashed.
    return _account_page(form=TokenForm(formdata=None), new_token=new_token), (
        200 if new_token else 400
    )


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


# --- email preferences --------------------------------------------------------------------


@bp.post("/account/notifications")
@allow(SIGNED_IN)
def notification_preferences() -> ResponseReturnValue:
    """Which workflow emails the person wants: ticked kinds stay on, the rest go off."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _account_page(), 400
    user = current_actor()
    assert user is not None  # @allow(SIGNED_IN)
    session = db_session()
    mail_store.set_preferences(session, user, request.form.getlist("notify"))
    session.commit()
    flash("Your email preferences have been saved", "success")
    return redirect(url_for("auth.account"))


# --- links by email: verification, password reset, change of email (ASVS 2.5, 3.3) --------
#
# A link's GET only shows a page with a button (or the new-password form); the POST uses
# it up. Mail scanners that fetch links cannot spend them, and the token never reaches a
# log as a query string. Answers never say whether an address has an account.


def _hours(purpose: str) -> str:
    hours = int(TOKEN_LIFETIMES[purpose].total_seconds() // 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


def _signature() -> str:
    return f"\n{current_app.config['SERVICE_NAME']}\n"


def _verification_email(user: Any, token: str) -> Message:
    link = absolute_url("auth.verify_email_page", token=token)
    return Message(
        user.email,
        "Confirm your email address",
        "Confirm your email address for your account by opening this link:\n\n"
        f"{link}\n\nThe link works once, within {_hours(VERIFY_EMAIL)}. If you did not "
        "create an account, you can ignore this email." + _signature(),
        "verify_email",
    )


def _already_registered_email(user: Any) -> Message:
    return Message(
        user.email,
        "You already have an account",
        "Someone tried to create an account with this email address, which already has "
        "one. If it was you, sign in instead; if you have forgotten your password, reset it "
        f"here:\n\n{absolute_url('auth.forgot_password')}\n\nIf it was not you, you can "
        "ignore this email: nothing has changed." + _signature(),
        "account_exists",
    )


def _password_changed_email(user: Any) -> Message:
    return Message(
        user.email,
        "Your password has been changed",
        "The password for your account has just been changed. You have been signed out "
        "everywhere and your API tokens have been revoked.\n\nIf you did not do this, reset "
        f"your password now:\n\n{absolute_url('auth.forgot_password')}\n" + _signature(),
        "password_changed",
    )


def _link_invalid(template: str, **context: Any) -> ResponseReturnValue:
    return render_template(template, invalid=LINK_INVALID, **context), 400


@bp.route("/account/verify-email/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def verify_email_page(token: str) -> ResponseReturnValue:
    session = db_session()
    form = ConfirmForm()
    if account_token(session, token, VERIFY_EMAIL) is None:
        return _link_invalid("auth/verify_email.html", form=form)
    if request.method == "POST" and form.validate_on_submit():
        try:
            verify_email(session, token)
        except InputInvalid:
            session.rollback()
            return _link_invalid("auth/verify_email.html", form=form)
        session.commit()
        flash("Your email address is confirmed", "success")
        if current_actor() is not None:
            return redirect(url_for("auth.account"))
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/verify_email.html", form=form, invalid=None)


@bp.post("/account/verify-email")
@allow(SIGNED_IN)
@limiter.limit(_sign_in_limit)
def resend_verification() -> ResponseReturnValue:
    form = ConfirmForm()
    user = current_actor()
    assert user is not None  # @allow(SIGNED_IN)
    if form.validate_on_submit() and user.email_verified_at is None:
        session = db_session()
        message = _verification_email(user, issue_account_token(session, user, VERIFY_EMAIL))
        session.commit()
        send_now(session, message)
        flash(f"We have sent a link to {user.email}", "success")
    return redirect(url_for("auth.account"))


FORGOT_SENT = (
    "If there is an account with this email address, we have sent it a link to reset the "
    "password. The link works once, within {hours}. If no email arrives, check the address "
    "and your spam folder."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    """Send a reset link to the address's account, answering alike whether or not it has
    one (the work differs only by the email sent, which the visitor cannot see)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        session = db_session()
        issued = request_password_reset(session, form.email.data)
        session.commit()
        if issued is not None:
            user, token = issued
            link = absolute_url("auth.reset_password_page", token=token)
            send_now(
                session,
                Message(
                    user.email,
                    "Reset your password",
                    "Someone (we hope you) asked to reset the password for your account. "
                    f"Choose a new password here:\n\n{link}\n\nThe link works once, within "
                    f"{_hours(RESET_PASSWORD)}, and stops working if your password changes. "
                    "If you did not ask, you can ignore this email: your password has not "
                    "changed." + _signature(),
                    "reset_password",
                ),
            )
        else:
            # An address without a live account hears so: the request costs the same (one
            # email) either way, so its timing does not tell who has an account.
            send_now(
                session,
                Message(
                    form.email.data.strip().lower(),
                    "Reset your password",
                    "Someone (we hope you) asked to reset the password for an account with "
                    "this email address, but there is no account that can use it. You can "
                    f"create one here:\n\n{absolute_url('auth.register')}\n\nIf you did not "
                    "ask, you can ignore this email." + _signature(),
                    "reset_password_no_account",
                ),
            )
        flash(FORGOT_SENT.format(hours=_hours(RESET_PASSWORD)), "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def reset_password_page(token: str) -> ResponseReturnValue:
    session = db_session()
    form = ResetPasswordForm()
    if account_token(session, token, RESET_PASSWORD) is None:
        return _link_invalid("auth/reset_password.html", form=form, min_password=MIN_PASSWORD)
    if form.validate_on_submit():
        try:
            user = reset_password(session, token, form.password.data)
        except InputInvalid as exc:
            session.rollback()
            if any(p.path == "token" for p in exc.problems):
                return _link_invalid(
                    "auth/reset_password.html", form=form, min_password=MIN_PASSWORD
                )
            attach_problems(form, exc.problems, {"password": "password"})
        else:
            session.commit()
            send_now(session, _password_changed_email(user))
            # Whoever was signed in on this browser is signed out: sign in afresh.
            logout_user()
            cookie_session.clear()
            flash("Your password has been reset. Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template(
        "auth/reset_password.html", form=form, min_password=MIN_PASSWORD, invalid=None
    ), 400 if form.errors else 200


EMAIL_CHANGE_SENT = (
    "We have sent a link to {email}. Your email address changes when you follow it "
    "(within {hours}); until then, keep using your current one."
)


@bp.route("/account/email", methods=["GET", "POST"])
@allow(SIGNED_IN)
@limiter.limit(_sign_in_limit, methods=["POST"])
def change_email_page() -> ResponseReturnValue:
    """Ask for a new address: the current password first, then a link to the new address.
    The same answer whether or not the new address already has an account."""
    form = ChangeEmailForm()
    user = current_actor()
    assert user is not None  # @allow(SIGNED_IN)
    if form.validate_on_submit():
        session = db_session()
        try:
            token = request_email_change(session, user, form.current_password.data, form.email.data)
        except InputInvalid as exc:
            session.rollback()
            attach_problems(
                form, exc.problems, {"current_password": "current_password", "email": "email"}
            )
        else:
            session.commit()
            new_email = form.email.data.strip().lower()
            if token is not None:
                link = absolute_url("auth.confirm_email_page", token=token)
                body = (
                    "Someone asked to use this email address for their account. If it was "
                    f"you, confirm it here:\n\n{link}\n\nThe link works once, within "
                    f"{_hours(CHANGE_EMAIL)}. If it was not you, ignore this email."
                )
            else:
                body = (
                    "Someone asked to move an account to this email address, which already "
                    "has an account, so nothing has changed. If it was you, sign in to the "
                    "account this address already has."
                )
            send_now(
                session,
                Message(
                    new_email, "Confirm your new email address", body + _signature(), "change_email"
                ),
            )
            flash(EMAIL_CHANGE_SENT.format(email=new_email, hours=_hours(CHANGE_EMAIL)), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form), 400 if form.errors else 200


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_sign_in_limit, methods=["POST"])
def confirm_email_page(token: str) -> ResponseReturnValue:
    session = db_session()
    form = ConfirmForm()
    pending = account_token(session, token, CHANGE_EMAIL)
    if pending is None:
        return _link_invalid("auth/confirm_email.html", form=form, new_email=None)
    if request.method == "POST" and form.validate_on_submit():
        actor = current_actor()
        try:
            user, old = confirm_email_change(session, token)
            session.commit()
        except (InputInvalid, IntegrityError) as exc:
            session.rollback()
            message = exc.problems[0].message if isinstance(exc, InputInvalid) else LINK_INVALID
            return render_template(
                "auth/confirm_email.html", form=form, new_email=None, invalid=message
            ), 400
        send_now(
            session,
            Message(
                old,
                "Your email address has been changed",
                f"The email address of your account has been changed to {user.email}. You "
                "have been signed out everywhere. If you did not do this, contact the "
                "council's administrator." + _signature(),
                "email_changed",
            ),
        )
        if actor is not None and actor.id == user.id:
            login_user(user)  # this browser goes on with the new session token
            flash(
                "Your email address has been changed. You have been signed out everywhere else.",
                "success",
            )
            return redirect(url_for("auth.account"))
        logout_user()
        cookie_session.clear()
        flash("Your email address has been changed. Sign in with it.", "success")
        return redirect(url_for("auth.sign_in"))
    return render_template(
        "auth/confirm_email.html", form=form, new_email=pending.new_email, invalid=None
    )
