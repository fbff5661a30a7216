"""Accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.workflow import Role
from planning_sv.store.models import ApiToken, User, utcnow

MIN_PASSWORD = 10
TOKEN_PREFIX = "psv_"  # noqa: S105 - a public marker, not a secret
# A hash to compare against when the email is unknown, so sign-in takes the same time
# whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    # werkzeug's default is scrypt, a current memory-hard KDF.
    return generate_password_hash(password)


def check_new_account(
    email: str, password: str, role: str, council: str | None, councils: set[str] | None
) -> list[Problem]:
    problems = []
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        problems.append(Problem("email", "Enter an email address in the correct format"))
    if len(password or "") < MIN_PASSWORD:
        problems.append(Problem("password", f"Password must be at least {MIN_PASSWORD} characters"))
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
) -> User:
    """Create an account or raise InputInvalid naming each bad field (and duplicate email)."""
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
    )
    session.add(user)
    session.flush()
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (without saying which was wrong)."""
    user = get_user_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        return None
    if not user.is_active:
        return None
    user.failed_logins = 0
    user.last_login_at = utcnow()
    return user


def set_role(session: Session, user: User, role: str, council: str | None) -> None:
    problems = check_new_account(user.email, "x" * MIN_PASSWORD, role, council, None)
    if problems:
        raise InputInvalid(problems)
    user.role = role
    user.council = council or None


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
