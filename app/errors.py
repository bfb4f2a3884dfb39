"""Error pages in the site's style, and JSON errors for API callers. Never a bare 500."""

from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.urls import local_path

_TITLES = {
    400: "That request could not be understood",
    401: "Please sign in",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Method not allowed",
    409: "That could not be done",
    413: "That upload is too large",
    415: "That request is in a format this page does not take",
    422: "Please check what you sent",
    429: "Too many requests",
    500: "Something went wrong",
}


_PLAIN = {
    403: "Your account cannot open this page. If you think it should, ask an organiser.",
    404: "There is nothing at this address. It may have moved, or the link is wrong.",
    500: "Sorry: something went wrong on our side. Please try again in a moment.",
}


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/payments/stripe/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _page_before() -> str | None:
    """The page of this site the person came from (say, the form that was refused), to go
    back to; None when they came from elsewhere or from this very address."""
    try:
        parts = urlsplit(request.referrer or "")
    except ValueError:  # a Referer no browser sends ("http://[x/"): no way back, not a 500
        return None
    if parts.netloc != request.host:
        return None
    back = local_path(parts.path + (f"?{parts.query}" if parts.query else ""))
    return back if back and back != request.full_path.rstrip("?") else None


def error_response(code: int, message: str):
    if wants_json():
        return jsonify(error=_TITLES.get(code, "Error"), message=message), code
    return (
        render_template("errors/error.html", code=code, title=_TITLES.get(code, "Error"),
                        message=message, back=_page_before()),
        code,
    )  # fmt: skip


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400, "Your form expired or was sent without its security token. Please try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        message = exc.description or ""
        if message == type(exc).description and exc.code in _PLAIN:
            # Werkzeug's default texts speak of servers and resources; say it plainly.
            message = _PLAIN[exc.code]
        if exc.code == 429:
            message = "Too many attempts. Please wait a moment and try again."
        return error_response(exc.code, message)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_UNHANDLED", True):
            raise exc
        return error_response(500, _PLAIN[500])
