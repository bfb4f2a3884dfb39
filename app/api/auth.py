"""Bearer-token authentication for /api/v1, JSON errors and the per-token rate limit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, jsonify, request
from flask_limiter.util import get_remote_address

from app.api.models import ApiToken
from app.api.tokens import authenticate
from app.extensions import db


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str):
    response = jsonify(error=code, message=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="journey"'
    return response


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def rate_limit_key() -> str:
    """Each token has its own allowance; requests without one share their address's."""
    raw = _bearer()
    if raw:
        return "api-token:" + hashlib.sha256(raw.encode()).hexdigest()[:24]
    return "api-ip:" + get_remote_address()


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute")


def token_required(scope: str) -> Callable:
    """The view runs only for a valid, unexpired, unrevoked token carrying `scope`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = authenticate(_bearer())
            if token is None:
                return error(
                    401, "unauthorized", "Send a valid API token: Authorization: Bearer <token>."
                )
            if scope not in token.scope_list:
                return error(403, "forbidden", f"This token does not have the '{scope}' scope.")
            if token.touched:
                db.session.commit()  # the last use, on its own before the view's work
            g.api_token = token
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_token() -> ApiToken:
    return g.api_token
