"""Changing the address a person signs in with. The new address must prove it is theirs: a
signed link goes to it, and the change happens when it is opened. The old address is told."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app import mail
from app.auth.models import User
from app.auth.services import AccountError, find_user_by_email, send_someone_tried
from app.extensions import db
from app.timeutil import utcnow

MAX_AGE = 24 * 3600  # seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-change")


def make_email_change_token(user: User, new: str) -> str:
    # Tied to the current address and password: the link dies if either changes first.
    return _serializer().dumps(
        {"uid": user.id, "new": new, "old": user.email, "ph": user.password_fingerprint}
    )


def request_email_change(user: User, new_email: str, password: str) -> str:
    """Email a confirmation link to the new address; returns it. Changes nothing yet."""
    if not user.check_password(password):
        raise AccountError("That password is not right.")
    new = User.normalise_email(new_email)
    if new == user.email:
        raise AccountError("That is already your email address.")
    existing = find_user_by_email(new)
    if existing is not None:
        # Answer as if all is well, so the form cannot be used to find out who has an
        # account; the address's owner is told someone tried.
        send_someone_tried(existing, "change the email address of another account to yours")
        return new
    token = make_email_change_token(user, new)
    ctx = {
        "user": user,
        "new": new,
        "link": current_app.config["BASE_URL"] + url_for("account.confirm_email", token=token),
        "hours": MAX_AGE // 3600,
    }
    mail.send(
        mail.build_message(
            new,
            "Confirm your new Productivity Journey email address",
            render_template("auth/email/email_change.txt", **ctx),
            render_template("auth/email/email_change.html", **ctx),
        )
    )
    return new


def check_email_change(token: str) -> tuple[User, str]:
    """The user a link is for and the new address, if the link can still be used."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired as exc:
        raise AccountError("That link has expired. Ask for a new one from your settings.") from exc
    except BadSignature as exc:
        raise AccountError("That link is not valid.") from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if (
        user is None
        or not user.is_active
        or user.email != data.get("old")
        or user.password_fingerprint != data.get("ph")
    ):
        raise AccountError("That link has been used or is out of date. Ask for a new one.")
    if find_user_by_email(data["new"]) is not None:
        raise AccountError("An account with that email address already exists.")
    return user, data["new"]


def confirm_email_change(token: str) -> tuple[User, str]:
    """Apply the change a link asks for; returns the user and their old address."""
    user, new = check_email_change(token)
    old = user.email
    user.email = new
    user.email_verified_at = utcnow()  # the link came to the new address
    db.session.flush()
    return user, old


def send_email_changed_notice(user: User, old: str) -> None:
    """Tell the old address, in case the change was not its owner's doing."""
    ctx = {"user": user, "old": old, "reset": current_app.config["BASE_URL"]
           + url_for("auth.request_reset")}  # fmt: skip
    mail.send(
        mail.build_message(
            old,
            "Your Productivity Journey email address has changed",
            render_template("auth/email/email_changed.txt", **ctx),
            render_template("auth/email/email_changed.html", **ctx),
        )
    )
