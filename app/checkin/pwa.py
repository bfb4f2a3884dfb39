"""The scanner as an installable web app: its manifest and its service worker.

The service worker lives at /checkin/sw.js so that it may serve every scanner page under
/checkin/. Its cache name carries a hash of the files it keeps, so a new release replaces
the copy on every phone the next time it opens the scanner with signal.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, url_for
from sqlalchemy import select

from app.events.models import Event
from app.extensions import db, limiter

bp = Blueprint("checkin_pwa", __name__)

# What the scanner needs to open and work with no network (under app/static/).
SHELL_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/journey.css",
    "css/scanner.css",
    "vendor/jsqr/jsQR.js",
    "js/door-store.js",
    "js/scanner.js",
    "icons/favicon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


@cache
def _assets_version(static_folder: str, template: bytes) -> str:
    digest = hashlib.sha256(template)
    for name in SHELL_ASSETS:
        digest.update(Path(static_folder, name).read_bytes())
    return digest.hexdigest()[:16]


@bp.get("/checkin/sw.js")
@limiter.exempt
def service_worker():
    template = Path(current_app.root_path, "templates", "checkin", "sw.js").read_bytes()
    body = render_template(
        "checkin/sw.js",
        version=_assets_version(current_app.static_folder, template),
        assets=[url_for("static", filename=name) for name in SHELL_ASSETS],
        scope=url_for("checkin.choose_event"),
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # browsers check for a new one each visit
    return response


@bp.get("/checkin/<slug>/manifest.webmanifest")
@limiter.exempt
def manifest(slug: str):
    """Public (browsers fetch manifests without cookies): it names only a public event."""
    event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
    title = event.title if event is not None and event.is_public else "Journey scanner"
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"),
        "sizes": size,
        "type": "image/png",
        "purpose": purpose,
    }
    response = jsonify(
        name=f"Scanner · {title}"[:80],
        short_name="Scanner",
        description="Journey door scanner: scan tickets, even with no signal.",
        start_url=url_for("checkin.scanner", slug=slug),
        scope=url_for("checkin.choose_event") + "/",
        display="standalone",
        orientation="portrait",
        background_color="#ffffff",
        theme_color="#0b4f6c",
        icons=[
            icon("icon-192.png", "192x192"),
            icon("icon-512.png", "512x512"),
            icon("icon-maskable-512.png", "512x512", "maskable"),
        ],
    )
    response.mimetype = "application/manifest+json"
    return response
