"""Role checks in one place. Deny by default: a view is only open to the roles it names.

Use `role_required("organiser")` on a view, or `require_roles(...)` as a blueprint's
`before_request` so every view of that blueprint is covered.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def check_roles(*roles: str) -> None:
    """Anonymous → login redirect; signed in without one of `roles` → 403. Admin passes all."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.has_role(*roles):
        abort(403)


def role_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            check_roles(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_roles(*roles: str) -> Callable[[], None]:
    """A `before_request` hook that guards a whole blueprint."""

    def hook() -> None:
        check_roles(*roles)

    return hook


def login_required_json() -> None:
    """For JSON APIs: 401 instead of a redirect to the login page."""
    if not current_user.is_authenticated:
        abort(401, "Sign in first.")
