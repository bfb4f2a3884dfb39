"""Accounts: creating users, finding or creating their organisation, password resets."""

from __future__ import annotations

import functools
import re
import secrets

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app import mail
from app.auth.models import Organisation, Role, User
from app.extensions import db
from app.timeutil import utcnow


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the user."""


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, or None. An unknown address costs
    the same password-hash work as a known one, so timing does not tell who has an account."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(User.password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    # The same scheme and cost as real accounts (User.set_password).
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == User.normalise_email(email))
    ).scalar_one_or_none()


def create_user(
    email: str,
    name: str,
    password: str,
    role: str = Role.DELEGATE,
    organisation: Organisation | None = None,
    verified: bool = False,
) -> User:
    if role not in set(Role):
        raise AccountError(f"Unknown role {role!r}.")
    if find_user_by_email(email) is not None:
        raise AccountError("An account with that email address already exists.")
    user = User(email=User.normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    user.organisation = organisation
    if verified:
        user.email_verified_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def create_invited_user(
    email: str, name: str, role: str = Role.DELEGATE, organisation: Organisation | None = None
) -> User:
    """An account made for someone else (a colleague, a guest, a door volunteer): its owner
    chooses a password through the reset page; the random one set here is never told."""
    return create_user(email, name, secrets.token_urlsafe(32), role, organisation)


def normalise_company_number(number: str | None) -> str | None:
    """A Companies House number is 8 characters: 8 digits, or 2 letters and 6 digits."""
    if not number:
        return None
    number = re.sub(r"\s+", "", number).upper()
    if not re.fullmatch(r"\d{8}|[A-Z]{2}\d{6}", number):
        raise AccountError(
            "A Companies House number is 8 characters: 8 digits, or 2 letters and 6 digits "
            "(e.g. 01234567 or SC123456)."
        )
    return number


def find_or_create_organisation(
    name: str, companies_house_number: str | None = None
) -> Organisation:
    """For organisers (who may place anyone in a business): the business with this number,
    else with this exact name (ignoring case and spaces), else a new one. A number never
    moves onto another business by this route."""
    number = normalise_company_number(companies_house_number)
    name = " ".join(name.split())
    if not name:
        raise AccountError("Enter your business name.")
    if number:
        org = db.session.execute(
            select(Organisation).where(Organisation.companies_house_number == number)
        ).scalar_one_or_none()
        if org:
            return org
    org = db.session.execute(
        select(Organisation).where(func.lower(Organisation.name) == name.lower()).limit(1)
    ).scalar_one_or_none()
    if org:
        return org
    org = Organisation(name=name, companies_house_number=number)
    db.session.add(org)
    db.session.flush()
    return org


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The fingerprint makes a token single-use: it stops matching once the password changes.
    return _reset_serializer().dumps({"uid": user.id, "ph": user.password_fingerprint})


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except SignatureExpired as exc:
        raise AccountError("That reset link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise AccountError("That reset link is not valid. Ask for a new one.") from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.password_fingerprint != data.get("ph"):
        raise AccountError("That reset link has already been used. Ask for a new one.")
    return user


def send_password_reset(user: User) -> None:
    link = current_app.config["BASE_URL"] + url_for(
        "auth.reset_password", token=make_reset_token(user)
    )
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    ctx = {"user": user, "link": link, "minutes": minutes}
    mail.send(
        mail.build_message(
            user.email,
            "Reset your Productivity Journey password",
            render_template("auth/email/reset.txt", **ctx),
            render_template("auth/email/reset.html", **ctx),
        ),
        kind="password_reset",
        user_id=user.id,
    )


def send_someone_tried(user: User, attempt: str) -> None:
    """Tell an account's owner that someone used their address in a form (sign-up, email
    change): the form itself answered as it would for any address."""
    ctx = {
        "user": user,
        "attempt": attempt,
        "reset": current_app.config["BASE_URL"] + url_for("auth.request_reset"),
    }
    mail.send(
        mail.build_message(
            user.email,
            "Someone used your address on Productivity Journey",
            render_template("auth/email/someone_tried.txt", **ctx),
            render_template("auth/email/someone_tried.html", **ctx),
        )
    )
