"""GET /healthz for load balancers and monitoring, and /favicon.ico for browsers that ask."""

from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't crash: that is the point of a health check
        db.session.rollback()
        return jsonify(status="error", database=f"error: {type(exc).__name__}"), 503
    return jsonify(status="ok", database=database)


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    response = Response(_favicon_bytes(current_app.static_folder), mimetype="image/x-icon")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@cache
def _favicon_bytes(static_folder: str) -> bytes:
    return Path(static_folder, "icons", "favicon.ico").read_bytes()  # 4 KB, kept in memory
