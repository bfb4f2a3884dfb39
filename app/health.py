"""GET /healthz for load balancers and monitoring (the database, and the email outbox's
backlog), and /favicon.ico for browsers that ask."""

from datetime import datetime
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select, text

from app.extensions import db, limiter
from app.outbox.models import FAILED, QUEUED, SENDING, OutboxMessage
from app.timeutil import utcnow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        outbox = _outbox_figures(utcnow())
    except Exception as exc:  # report, don't crash: that is the point of a health check
        db.session.rollback()
        return jsonify(status="error", database=f"error: {type(exc).__name__}"), 503
    # A backlog is for monitoring to alert on, not a reason to take this web process out of
    # the load balancer: the answer stays 200.
    return jsonify(status="ok", database="ok", outbox=outbox)


def _outbox_figures(now: datetime) -> dict:
    """Emails waiting (queued or being sent), how long the most overdue one has waited past
    its time (a stuck or missing worker), and how many failed for good. Two index range
    scans on (status, next_attempt_at), whatever the number of sent messages."""
    waiting, oldest_due = db.session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status.in_((QUEUED, SENDING))
        )
    ).one()
    failed = db.session.execute(
        select(func.count()).where(OutboxMessage.status == FAILED)
    ).scalar_one()
    overdue = max(0, int((now - oldest_due).total_seconds())) if oldest_due else 0
    return {"waiting": waiting, "overdue_seconds": overdue, "failed": failed}


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
