"""Role checks in one place. Deny by default: a view is only open to the roles it names.

Use `role_required("organiser")` on a view, or `require_roles(...)` as a blueprint's
`before_request` so every view of that blueprint is covered.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort, make_response, render_template, request
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


def check_verified() -> None:
    """Anonymous → login redirect; an account whose address is not confirmed yet → 403 with a
    page that says so and offers the email again."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.email_verified:
        abort(make_response(render_template("auth/verify_needed.html"), 403))


def verified_required(view: Callable) -> Callable:
    """For views that register, benchmark or join a business: a confirmed address first."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        check_verified()
        return view(*args, **kwargs)

    return wrapped


def verified_to_submit(view: Callable) -> Callable:
    """Like verified_required, for a page whose GET anyone may read but whose POST acts."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST" and current_user.is_authenticated:
            check_verified()
        return view(*args, **kwargs)

    return wrapped
