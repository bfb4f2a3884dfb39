"""Confirming that an address belongs to the person who signed up with it.

A new account gets a signed link that expires and works once; until it is opened the account
can sign in and browse, but cannot register for an event, take or see a benchmark, or join a
business. Setting a password through an emailed link (an account made for someone else) proves
the address just as well.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from app import mail
from app.auth.models import User
from app.auth.services import AccountError, create_user, find_user_by_email, send_someone_tried
from app.extensions import db
from app.timeutil import utcnow

MAX_AGE = 3 * 24 * 3600  # seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="verify-email")


def make_verification_token(user: User) -> str:
    # Tied to the address: the link dies if the address changes first.
    return _serializer().dumps({"uid": user.id, "email": user.email})


def send_verification(user: User) -> None:
    ctx = {
        "user": user,
        "link": current_app.config["BASE_URL"]
        + url_for("auth.verify_email", token=make_verification_token(user)),
        "days": MAX_AGE // (24 * 3600),
    }
    mail.send(
        mail.build_message(
            user.email,
            "Confirm your email address for Productivity Journey",
            render_template("auth/email/verify.txt", **ctx),
            render_template("auth/email/verify.html", **ctx),
        )
    )


def user_for_verification_token(token: str) -> User:
    """The account a confirmation link is for, while it can still be used."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired as exc:
        raise AccountError("That link has expired. Sign in and ask for a new one.") from exc
    except BadSignature as exc:
        raise AccountError("That link is not valid.") from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or user.email != data.get("email"):
        raise AccountError("That link is out of date. Sign in and ask for a new one.")
    if user.email_verified:
        raise AccountError("Your email address is already confirmed: sign in as usual.")
    return user


def verify_email(token: str, now: datetime | None = None) -> User:
    user = user_for_verification_token(token)
    mark_verified(user, now)
    return user


def mark_verified(user: User, now: datetime | None = None) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
        db.session.flush()


def sign_up(email: str, name: str, password: str) -> User | None:
    """A new, unconfirmed account with a confirmation email; or, when the address already has
    an account, an email to its owner instead (and the same hashing work, so the answer takes
    as long). Returns the new account, or None."""
    existing = find_user_by_email(email)
    if existing is None:
        user = create_user(email, name, password)
        send_verification(user)
        return user
    generate_password_hash(password, method="scrypt")
    if not existing.is_active:
        return None
    if existing.email_verified:
        send_someone_tried(existing, "create a new account")
    else:
        send_verification(existing)  # they lost the first email
    return None
