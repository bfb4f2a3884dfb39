"""Security headers on every response.

- Content-Security-Policy on every HTML page: scripts only from this site or inline with the
  request's nonce (`csp_nonce()` in templates), never `unsafe-inline` for scripts; no inline
  `on…=` handlers (static/js/page-actions.js does their work from data- attributes).
- Permissions-Policy: no camera, microphone, location or payment API, except the camera on
  the door scanner.
- Strict-Transport-Security in production (HSTS_SECONDS).
- Cache-Control: no-store on what is personal: any page for someone signed in, and the
  account, ticket, payment and organiser areas, unless the view chose a policy itself.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request
from flask_login import current_user

# Stripe's payment page is reached by a redirect after a form is posted.
FORM_TARGETS = "'self' https://checkout.stripe.com"
CAMERA_PAGES = {"checkin.scanner"}
PERSONAL_PREFIXES = ("/me", "/auth", "/tickets/", "/payments/", "/organiser", "/business",
                     "/checkin", "/calendar/")  # fmt: skip
_NO_APIS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def csp_nonce() -> str:
    """This request's nonce for an inline <script nonce="…">."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # style attributes; scripts stay strict
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action {FORM_TARGETS}",
            "frame-ancestors 'self'",
        ]
    )


def _personal(response: Response) -> bool:
    if request.path.startswith(PERSONAL_PREFIXES):
        return True
    # Any page for someone signed in carries their name at least (static files never look).
    return response.mimetype == "text/html" and bool(current_user) and current_user.is_authenticated


def init_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        camera = "camera=(self)" if request.endpoint in CAMERA_PAGES else "camera=()"
        headers.setdefault("Permissions-Policy", _NO_APIS.replace("camera=()", camera))
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        if app.config.get("HSTS_SECONDS"):
            headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains",
            )
        if "Cache-Control" not in headers and _personal(response):
            headers["Cache-Control"] = "no-store"
        return response
