"""GET /healthz for load balancers and monitoring."""

from flask import Blueprint, jsonify
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
