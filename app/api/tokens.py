"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.api.models import ApiToken
from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow

SCOPES = ("read", "write")
TOKEN_PREFIX = "jrn_"  # noqa: S105  (a marker, not a secret)
MAX_TOKEN_LENGTH = 100
# Last use is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be made as asked; the message is for the organiser."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    owner: User,
    actor: User,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `owner` (an organiser). Returns the row and the token itself, which
    is never stored and cannot be shown again."""
    now = now or utcnow()
    if not owner.is_organiser:
        raise TokenError("API tokens are for organisers.")
    if actor.id != owner.id and not actor.has_role("admin"):
        raise TokenError("You can only create tokens for yourself.")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError("Give the token a name of up to 100 characters.")
    wanted = sorted(set(scopes), key=SCOPES.index) if set(scopes) <= set(SCOPES) else None
    if not wanted:
        raise TokenError("Choose the token's scopes: read, write or both.")
    if expires_at is not None and expires_at <= now:
        raise TokenError("The expiry date must be in the future.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=owner.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:10],
        scopes=" ".join(wanted),
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def revoke_api_token(token: ApiToken, actor: User, now: datetime | None = None) -> None:
    if token.user_id != actor.id and not actor.has_role("admin"):
        raise TokenError("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.session.flush()


def authenticate(raw: str | None, now: datetime | None = None) -> ApiToken | None:
    """The usable token for an Authorization header's value, or None. One indexed lookup;
    last use is recorded with a conditional UPDATE at most once a minute."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    token = db.session.execute(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(raw))
        .options(joinedload(ApiToken.user))
    ).scalar_one_or_none()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if not token.user.is_organiser:  # lost the role since: the token goes with it
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        token.last_used_at = now
        token.touched = True
    return token
