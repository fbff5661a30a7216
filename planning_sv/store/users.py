"""Accounts and API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import Role
from planning_sv.store.models import (
    ApiToken,
    AuditEvent,
    SignInThrottle,
    User,
    new_session_token,
    utcnow,
)

# ASVS 2.1.1/2.1.2: at least 12 characters, and up to 128 (longer is refused, never cut).
MIN_PASSWORD = 12
MAX_PASSWORD = 128
TOKEN_PREFIX = "psv_"  # noqa: S105 - a public marker, not a secret


@functools.cache
def _dummy_hash() -> str:
    """A hash to compare against when the email is unknown, so sign-in takes the same time
    whether or not the account exists. Made on first use, not at import: scrypt costs
    ~100 ms, which every command and worker start would otherwise pay."""
    return generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    # werkzeug's default is scrypt, a current memory-hard KDF.
    return generate_password_hash(password)


# --- password policy (every place a password is set: register, CLI, change password) -----

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
# Look-alike characters people swap into words ('P@ssw0rd'), read back as letters.
_LOOKALIKES = str.maketrans(
    {"@": "a", "$": "s", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list (scripts/common_passwords.py makes it), normalised, read once."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def normalise_password(password: str) -> str:
    """Lower case, letters and digits only: 'Pass word-1!' and 'password1' are one guess."""
    lowered = password.lower().replace("@", "a").replace("$", "s")
    return "".join(ch for ch in lowered if ch.isalnum())


def is_common_password(password: str) -> bool:
    """On the list as typed, or once the digits people add at either end are dropped
    ('Password2024!'), or with look-alikes read back ('P@ssw0rd-2024')."""
    listed = common_passwords()
    normal = normalise_password(password)
    core = normal.strip("0123456789")
    candidates = {normal, core, core.translate(_LOOKALIKES), normal.translate(_LOOKALIKES)}
    return any(c in listed for c in candidates if c)


def password_problems(password: str | None, email: str | None = None) -> list[Problem]:
    """Why a new password is refused (ASVS 2.1): length, then the common list, then the
    account's own email address. Any characters are allowed, spaces included."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return [Problem("password", f"Password must be at least {MIN_PASSWORD} characters")]
    if len(password) > MAX_PASSWORD:
        return [Problem("password", f"Password must be {MAX_PASSWORD} characters or fewer")]
    if len(set(password)) < 4 or is_common_password(password):
        return [
            Problem(
                "password",
                "Password is too easy to guess: it is a common password or pattern. "
                "Try a few unrelated words together",
            )
        ]
    local = normalise_password(normalise_email(email or "").partition("@")[0])
    if len(local) >= 4 and local in normalise_password(password):
        return [Problem("password", "Password must not contain your email address")]
    return []


def check_new_account(
    email: str, password: str, role: str, council: str | None, councils: set[str] | None
) -> list[Problem]:
    problems = []
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        problems.append(Problem("email", "Enter an email address in the correct format"))
    problems += password_problems(password, email)
    problems += check_role(role, council, councils)
    return problems


def check_role(role: str, council: str | None, councils: set[str] | None) -> list[Problem]:
    """Whether the role and council make a valid pair: staff belong to one council,
    applicants to none, admins to one (council admin) or none (installation admin).

    Only validity: who may grant what is web/authz.py's `can_assign_role`.
    """
    problems = []
    if role not in {r.value for r in Role}:
        known = ", ".join(r.value for r in Role)
        problems.append(Problem("role", f"unknown role '{role}' (known: {known})"))
    elif role != Role.APPLICANT.value and not council and role != Role.ADMIN.value:
        problems.append(Problem("council", f"a {role} must belong to a council"))
    if council and councils is not None and council not in councils:
        problems.append(Problem("council", f"unknown council '{council}'"))
    if role == Role.APPLICANT.value and council:
        problems.append(Problem("council", "applicants do not belong to a council"))
    return problems


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str = Role.APPLICANT.value,
    council: str | None = None,
    *,
    name: str | None = None,
    councils: set[str] | None = None,
    verified: bool = True,
) -> User:
    """Create an account or raise InputInvalid naming each bad field (and duplicate email).

    `verified`: the address counts as confirmed (an operator or admin made the account);
    self-registration passes False and sends a confirmation link (web/auth.py)."""
    problems = check_new_account(email, password, role, council, councils)
    email = normalise_email(email)
    if not problems and get_user_by_email(session, email) is not None:
        problems.append(Problem("email", "An account with this email address already exists"))
    if problems:
        raise InputInvalid(problems)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        council=council or None,
        name=name,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


# --- sign-in, with a per-address back-off lock (ASVS 2.2.1) -------------------------------
#
# Failures are counted per email address in sign_in_throttles, for addresses with and
# without an account alike, so whether an address gets locked says nothing about whether it
# has an account. From the LOCK_AFTER-th failure in a row each further failure locks the
# address for twice as long as the last (1, 2, 4 ... minutes, at most LOCK_MAX); attempts
# while locked are refused unchecked and do not count. A success clears the count; so does a
# day without failures. The per-IP limit (web/auth.py) stops one client spraying addresses.

LOCK_AFTER = 5
LOCK_MAX = dt.timedelta(hours=1)
FAILURES_FORGOTTEN_AFTER = dt.timedelta(days=1)


class SignInLocked(Exception):
    """Sign-in refused: too many failures for this address; try again after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked for {retry_after} seconds")
        self.retry_after = retry_after


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for DateTime(timezone=True); they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _email_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()


def lock_duration(failures: int) -> dt.timedelta | None:
    """How long the `failures`-th failure in a row locks the address: None below LOCK_AFTER,
    then 1 minute, doubling with each further failure, at most LOCK_MAX."""
    if failures < LOCK_AFTER:
        return None
    return min(dt.timedelta(minutes=2 ** min(failures - LOCK_AFTER, 10)), LOCK_MAX)


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def _record_failure(session: Session, email: str, now: dt.datetime) -> dt.datetime | None:
    """Count one failure for `email`; returns when the lock it caused ends, if it caused one."""
    # Forget old rows as we go, so addresses typed once do not pile up.
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - FAILURES_FORGOTTEN_AFTER,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < now),
        )
    )
    key = _email_hash(email)
    # An atomic increment, so parallel failures for one address all count.
    bump = (
        update(SignInThrottle)
        .where(SignInThrottle.email_hash == key)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
        .returning(SignInThrottle.failures)
        .execution_options(synchronize_session=False)
    )
    failures = session.scalar(bump)
    if failures is None:
        try:
            with session.begin_nested():  # a parallel first failure may insert it first
                session.execute(
                    insert(SignInThrottle).values(email_hash=key, failures=1, last_failure_at=now)
                )
            failures = 1
        except IntegrityError:
            failures = session.scalar(bump) or 1
    duration = lock_duration(failures)
    locked_until = now + duration if duration else None
    session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.email_hash == key)
        .values(locked_until=locked_until)
        .execution_options(synchronize_session=False)
    )
    return locked_until


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (without saying which was wrong).

    Raises SignInLocked while the address is locked, and on the failure that locks it. The
    caller commits either way, so the failure count is kept.
    """
    now = utcnow()
    key = _email_hash(email)
    locked_until = session.scalar(
        select(SignInThrottle.locked_until).where(SignInThrottle.email_hash == key)
    )
    if locked_until is not None and _aware(locked_until) > now:
        raise SignInLocked(_seconds_until(_aware(locked_until), now))
    user = get_user_by_email(session, email)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "") and user.is_active
    if not ok:
        if user is not None:
            user.failed_logins += 1
        locked_until = _record_failure(session, email, now)
        if locked_until is not None:
            raise SignInLocked(_seconds_until(locked_until, now))
        return None
    assert user is not None
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.email_hash == key)
        .execution_options(synchronize_session=False)
    )
    user.failed_logins = 0
    user.last_login_at = now
    return user


# --- sessions and password changes (ASVS 3.3) ---------------------------------------------


def end_sessions(user: User) -> None:
    """End every session of the account: a new token makes old session and remember-me
    cookies (which carry the old one, see User.get_id) fail in the user loader."""
    user.session_token = new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password (checked as at registration) after checking the current one, and
    end every other session; raises InputInvalid naming `current_password` or `password`."""
    if not check_password_hash(user.password_hash, current or ""):
        raise InputInvalid([Problem("current_password", "Your current password is not correct")])
    problems = password_problems(new, user.email)
    if not problems and check_password_hash(user.password_hash, new):
        problems = [Problem("password", "Choose a password different from your current one")]
    if problems:
        raise InputInvalid(problems)
    user.password_hash = hash_password(new)
    end_sessions(user)
    # A leaked password may have been used to make API tokens: they go with it (the
    # account page lists them revoked). Reset links fail too (password_fingerprint).
    session = object_session(user)
    if session is not None:
        revoke_tokens(session, user)


def register_applicant(session: Session, email: str, password: str) -> User | None:
    """Self-registration: a new applicant account, or None when the address already has one.

    The caller answers both alike, so registration does not reveal which addresses have
    accounts (ASVS 2.5 / 3.1 enumeration); the existing account is left untouched. A
    password is hashed on both paths so the two take the same time.
    """
    problems = check_new_account(email, password, Role.APPLICANT.value, None, None)
    if problems:
        raise InputInvalid(problems)
    if get_user_by_email(session, email) is not None:
        hash_password(password)
        return None
    return create_user(session, email, password, verified=False)


# --- role changes, always audited --------------------------------------------------------
#
# Every change of an account's role, council or active flag writes an AuditEvent (actor,
# time, before and after) in the caller's transaction, so the change and its record commit
# or roll back together. The actor is None for the operator's command line.


def _audit_account(
    session: Session,
    actor: User | None,
    user: User,
    action: str,
    before: Any,
    after: Any,
    via: str,
) -> AuditEvent:
    # Written here rather than through store.statements.record_event, whose module pulls in
    # the assessment stack that account commands do not need.
    event = AuditEvent(
        statement_id=None,
        actor_id=actor.id if actor is not None else None,
        action=action,
        details={"user_id": user.id, "email": user.email, "from": before, "to": after, "via": via},
    )
    session.add(event)
    session.flush()
    return event


def set_role(
    session: Session,
    user: User,
    role: str,
    council: str | None,
    *,
    actor: User | None = None,
    councils: set[str] | None = None,
    via: str = "web",
) -> AuditEvent | None:
    """Give `user` this role and council, audited as 'set_role' with details
    from/to = [role, council]; None when nothing changed. Raises InputInvalid for an invalid
    pair (the caller checks the actor may grant it: web/authz.py `can_assign_role`)."""
    problems = check_role(role, council, councils)
    if problems:
        raise InputInvalid(problems)
    before = [user.role, user.council]
    user.role = role
    user.council = council or None
    after = [user.role, user.council]
    if after == before:
        return None
    return _audit_account(session, actor, user, "set_role", before, after, via)


def set_active(
    session: Session, user: User, active: bool, *, actor: User | None = None, via: str = "web"
) -> AuditEvent | None:
    """Disable (active False) or re-enable an account, audited as 'set_active' with
    from/to booleans; None when nothing changed. A disabled account cannot sign in, its
    sessions end at the next request and its API tokens stop working."""
    before = user.is_active
    if before == active:
        return None
    user.disabled_at = None if active else utcnow()
    if not active:
        # Re-enabling later must not revive cookies captured while the account was live.
        end_sessions(user)
    return _audit_account(session, actor, user, "set_active", before, active, via)


def audit_account_created(
    session: Session, user: User, *, actor: User | None = None, via: str = "cli"
) -> AuditEvent:
    """Record the role an account was created with ('create_user', from None)."""
    return _audit_account(session, actor, user, "create_user", None, [user.role, user.council], via)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, label: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`; the plain token is returned once and stored only hashed."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_token_hash(plain), label=label)
    session.add(token)
    session.flush()
    return token, plain


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user


def revoke_tokens(session: Session, user: User, token_id: int | None = None) -> int:
    """Revoke one token (by id) or all of a user's tokens; returns how many were revoked."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    tokens = list(session.scalars(query))
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)


# --- links sent by email: verification, password reset, change of email (ASVS 2.5, 3.3) ----
#
# A link carries a 256-bit random token; only its SHA-256 is stored (store/mail.py
# AccountToken). Each works once, expires, and fails once the account's password changes
# (the token records a fingerprint of the password hash it was issued under). Issuing a new
# link of a purpose retires the account's earlier unused ones.

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
CHANGE_EMAIL = "change_email"
TOKEN_LIFETIMES = {
    VERIFY_EMAIL: dt.timedelta(days=3),
    RESET_PASSWORD: dt.timedelta(hours=1),
    CHANGE_EMAIL: dt.timedelta(days=1),
}


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()


def issue_account_token(
    session: Session,
    user: User,
    purpose: str,
    *,
    new_email: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A new single-use link token for `user` (returned once, stored hashed)."""
    from planning_sv.store.mail import AccountToken

    now = now or utcnow()
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    plain = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(plain),
            new_email=normalise_email(new_email) if new_email else None,
            password_fingerprint=password_fingerprint(user),
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
        )
    )
    session.flush()
    return plain


def account_token(
    session: Session, plain: str | None, purpose: str, *, now: dt.datetime | None = None
) -> Any:
    """The live AccountToken for this link, or None: unknown, another purpose, used,
    expired, issued under an earlier password, or for a disabled account."""
    from planning_sv.store.mail import AccountToken

    if not plain or len(plain) > 100:
        return None
    token = session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _token_hash(plain))
    )
    now = now or utcnow()
    if token is None or token.purpose != purpose or token.used_at is not None:
        return None
    if _aware(token.expires_at) <= now:
        return None
    user = session.get(User, token.user_id)
    if (
        user is None
        or not user.is_active
        or token.password_fingerprint != password_fingerprint(user)
    ):
        return None
    return token


LINK_INVALID = (
    "This link has expired or has already been used. Links work once, for a limited time, "
    "and stop working when the password changes"
)


def _redeem(
    session: Session, plain: str | None, purpose: str, now: dt.datetime | None
) -> tuple[Any, User]:
    token = account_token(session, plain, purpose, now=now)
    if token is None:
        raise InputInvalid([Problem("token", LINK_INVALID)])
    # Claimed with a conditional UPDATE, so two uses at once cannot both succeed.
    from planning_sv.store.mail import AccountToken

    claimed = session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InputInvalid([Problem("token", LINK_INVALID)])
    session.refresh(token)
    user = session.get(User, token.user_id)
    assert user is not None
    return token, user


def verify_email(session: Session, plain: str | None, *, now: dt.datetime | None = None) -> User:
    """Confirm the account's address from its link; InputInvalid naming `token` if not live."""
    _token, user = _redeem(session, plain, VERIFY_EMAIL, now)
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
    return user


def request_password_reset(session: Session, email: str) -> tuple[User, str] | None:
    """A reset link token for the active account with this address, or None (the caller
    answers alike either way, so the form does not reveal who has an account)."""
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    return user, issue_account_token(session, user, RESET_PASSWORD)


def reset_password(
    session: Session, plain: str | None, new: str, *, now: dt.datetime | None = None
) -> User:
    """Set a new password from a reset link: the password is checked as at registration,
    every session ends and every API token is revoked. InputInvalid names `token` or
    `password`; a refused password leaves the link usable."""
    token = account_token(session, plain, RESET_PASSWORD, now=now)
    if token is None:
        raise InputInvalid([Problem("token", LINK_INVALID)])
    user = session.get(User, token.user_id)
    assert user is not None
    problems = password_problems(new, user.email)
    if problems:
        raise InputInvalid(problems)
    _redeem(session, plain, RESET_PASSWORD, now)
    user.password_hash = hash_password(new)
    end_sessions(user)
    revoke_tokens(session, user)
    # Whoever used the link reads the account's mail: the sign-in lock an attacker may have
    # set on the address by failing on purpose need not keep its owner out.
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.email_hash == _email_hash(user.email))
        .execution_options(synchronize_session=False)
    )
    # The link came to this address, so it is confirmed too.
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
    return user


def request_email_change(
    session: Session, user: User, current_password: str, new_email: str
) -> str | None:
    """A confirmation token for moving `user` to `new_email`, after checking the current
    password; None when the address already has an account (the caller answers alike).
    InputInvalid names `current_password` or `email`."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise InputInvalid([Problem("current_password", "Your current password is not correct")])
    email = normalise_email(new_email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise InputInvalid([Problem("email", "Enter an email address in the correct format")])
    if email == user.email:
        raise InputInvalid([Problem("email", "This is already your email address")])
    if get_user_by_email(session, email) is not None:
        return None
    return issue_account_token(session, user, CHANGE_EMAIL, new_email=email)


def confirm_email_change(
    session: Session, plain: str | None, *, now: dt.datetime | None = None
) -> tuple[User, str]:
    """Move the account to the address its link was sent to; returns (user, old address).
    Every session ends. InputInvalid names `token` (also when the address was taken since)."""
    token, user = _redeem(session, plain, CHANGE_EMAIL, now)
    new_email = token.new_email or ""
    if get_user_by_email(session, new_email) is not None:
        raise InputInvalid([Problem("token", "Another account now uses this email address")])
    old = user.email
    user.email = new_email
    user.email_verified_at = now or utcnow()
    end_sessions(user)
    return user, old
