"""Signed-in browsers, kept on the server so that signing out really ends them.

Each sign-in makes a LoginSession row with a random key; the key travels inside Flask-Login's
id ("<user id>.<password fingerprint>.<key>"), so the session cookie and the remember-me cookie
both name the row. The user loader accepts a cookie only while its row is live: signing out
ends the row, and a copied or left-behind cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from app.auth.models import LoginSession, User
from app.extensions import db
from app.timeutil import utcnow

# Longest a sign-in lasts, "keep me signed in" included (REMEMBER_COOKIE_DURATION matches).
SESSION_DAYS = 30


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_login_session(user: User, now: datetime | None = None) -> str:
    """A new signed-in browser for `user`; returns its key (also set on `user.login_key`)."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            user_id=user.id,
            key_hash=_digest(key),
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    db.session.flush()
    user.login_key = key
    return key


# Built once: run on every signed-in request, composing it each time cost more than running it.
_LIVE_SIGN_IN = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        LoginSession.key_hash == bindparam("key_hash"),
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > bindparam("now"),
    )
)


def user_for_login_id(login_id: str, now: datetime | None = None) -> User | None:
    """The user a session or remember-me cookie names, if its sign-in is still live. 1 query."""
    user_id, _, rest = login_id.partition(".")
    fingerprint, _, key = rest.partition(".")
    if not user_id.isdigit() or not key:
        return None
    params = {"user_id": int(user_id), "key_hash": _digest(key), "now": now or utcnow()}
    user = db.session.execute(_LIVE_SIGN_IN, params).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    # A sign-in from before the last password change no longer counts either.
    if not hmac.compare_digest(fingerprint, user.password_fingerprint):
        return None
    user.login_key = key
    return user


def end_login_session(user: User, now: datetime | None = None) -> None:
    """Sign out the browser `user` was loaded from."""
    if user.login_key:
        db.session.execute(
            update(LoginSession)
            .where(
                LoginSession.key_hash == _digest(user.login_key), LoginSession.ended_at.is_(None)
            )
            .values(ended_at=now or utcnow())
        )
    user.login_key = None


def end_all_login_sessions(
    user: User, keep_current: bool = False, now: datetime | None = None
) -> int:
    """Sign out every browser of `user` (but the current one if `keep_current`); returns how
    many were signed in."""
    query = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep_current and user.login_key:
        query = query.where(LoginSession.key_hash != _digest(user.login_key))
    elif not keep_current:
        user.login_key = None
    return db.session.execute(query.values(ended_at=now or utcnow())).rowcount
