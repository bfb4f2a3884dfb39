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
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from app.auth.models import LoginSession, User, password_fingerprint, role_allows, role_is_organiser
from app.extensions import db
from app.hosts.models import HostMember
from app.timeutil import utcnow

# Views whose current_user is a SignedInActor, not a User: endpoint → how it reads a row,
# first_row(statement, params) → the first row or None. The user loader (app.auth.routes)
# looks here.
ACTOR_VIEWS: dict[str, Callable] = {}

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


def _live(query):
    """`query` (of User columns) for the user a cookie names, while its sign-in is live."""
    return query.join(LoginSession, LoginSession.user_id == User.id).where(
        User.id == bindparam("user_id"),
        LoginSession.key_hash == bindparam("key_hash"),
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > bindparam("now"),
    )


# Whether the user hosts site visits for their business (the navigation's "Site visits"),
# read with the sign-in rather than by a query of its own on every page.
_HOSTS_VISITS = (
    select(HostMember.user_id)
    .where(HostMember.user_id == User.id, HostMember.organisation_id == User.organisation_id)
    .exists()
)
# Built once: run on every signed-in request, composing them each time cost more than running.
_LIVE_SIGN_IN = _live(select(User, _HOSTS_VISITS))
LIVE_ACTOR = _live(
    select(User.id, User.name, User.role, User.organisation_id, User.active, User.password_hash)
)


def _parse_login_id(login_id: str, now: datetime | None) -> tuple[dict, str, str] | None:
    """ "<user id>.<fingerprint>.<key>" → (the live-sign-in query's parameters, fingerprint,
    key), or None for an id that cannot be one."""
    user_id, _, rest = login_id.partition(".")
    fingerprint, _, key = rest.partition(".")
    if not user_id.isdigit() or not key:
        return None
    params = {"user_id": int(user_id), "key_hash": _digest(key), "now": now or utcnow()}
    return params, fingerprint, key


def user_for_login_id(login_id: str, now: datetime | None = None) -> User | None:
    """The user a session or remember-me cookie names, if its sign-in is still live. 1 query."""
    parsed = _parse_login_id(login_id, now)
    if parsed is None:
        return None
    params, fingerprint, key = parsed
    row = db.session.execute(_LIVE_SIGN_IN, params).one_or_none()
    if row is None or not row[0].is_active:
        return None
    user = row[0]
    user.hosts_visits = row[1]
    # A sign-in from before the last password change no longer counts either.
    if not hmac.compare_digest(fingerprint, user.password_fingerprint):
        return None
    user.login_key = key
    return user


class SignedInActor:
    """A signed-in user as the few columns a hot JSON view needs (the door's scan), checked
    as `user_for_login_id` checks a User: an ORM User costs more to build than its query."""

    __slots__ = ("id", "name", "role", "organisation_id", "login_key", "_fingerprint")
    is_authenticated = True
    is_active = True  # only active users are loaded
    is_anonymous = False

    def __init__(self, row, login_key: str, fingerprint: str) -> None:
        self.id, self.name, self.role, self.organisation_id = row[:4]
        self.login_key, self._fingerprint = login_key, fingerprint

    @property
    def is_organiser(self) -> bool:
        return role_is_organiser(self.role)

    def has_role(self, *roles: str) -> bool:
        return role_allows(self.role, roles)

    def get_id(self) -> str:  # Flask-Login: the same id as User.get_id
        return f"{self.id}.{self._fingerprint}.{self.login_key}"

    def __repr__(self) -> str:
        return f"<SignedInActor {self.id}>"


def actor_for_login_id(
    login_id: str, first_row: Callable, now: datetime | None = None
) -> SignedInActor | None:
    """`user_for_login_id` as a SignedInActor, read with `first_row` (see ACTOR_VIEWS).
    1 query."""
    parsed = _parse_login_id(login_id, now)
    if parsed is None:
        return None
    params, fingerprint, key = parsed
    row = first_row(LIVE_ACTOR, params)
    if row is None or not row[4]:  # no live sign-in, or a deactivated user
        return None
    # A sign-in from before the last password change no longer counts either.
    if not hmac.compare_digest(fingerprint, password_fingerprint(row[5])):
        return None
    return SignedInActor(row, key, fingerprint)


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
